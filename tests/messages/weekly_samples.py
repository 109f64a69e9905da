"""Sample weekly digests for the rendering tests (Slack and Teams)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.model import (
    AmbassadorId,
    ContentId,
    LeaderboardEntry,
    PublishedItem,
    RankedCount,
    WeekActivity,
)
from bot.views import BadgeLine, ChartImage, DigestFigures, LeaderboardView, WeeklyDigestView

CHART_URL = "https://bot.example.com/charts/MjAyNi1XNDcuZW4.1790000000.sig.png"
NEW_URL = "https://example.com/news/{}"
WEEK_START = date(2026, 11, 16)
PNG = b"\x89PNG\r\n\x1a\nfake"


def board(locale: str, people: int = 5, badges: int = 2) -> LeaderboardView:
    entries = tuple(
        LeaderboardEntry(i, AmbassadorId(i), f"Person {i}", 100 - i * 7, 10 - i)
        for i in range(1, people + 1)
    )
    return LeaderboardView(
        locale=locale,
        week_label="2026-W47",
        week_start=WEEK_START,
        entries=entries,
        badges=tuple(BadgeLine(f"Person {i}", "first_share") for i in range(1, badges + 1)),
    )


def weeks(count: int = 8) -> tuple[WeekActivity, ...]:
    return tuple(
        WeekActivity(
            f"2026-W{47 - count + 1 + i}",
            WEEK_START - timedelta(weeks=count - 1 - i),
            10 + 3 * i,
            200 + 50 * i,
        )
        for i in range(count)
    )


def weekly_view(
    locale: str,
    *,
    people: int = 5,
    new: int = 3,
    new_total: int | None = None,
    top: int = 3,
    figures: bool = True,
    chart: bool = True,
    chart_url: str | None = CHART_URL,
    title: str = "Launch <b>{}</b> & more",
) -> WeeklyDigestView:
    return WeeklyDigestView(
        board=board(locale, people),
        new_content=tuple(
            PublishedItem(
                ContentId(i),
                title.format(i),
                NEW_URL.format(i),
                datetime(2026, 11, 17, 9, tzinfo=UTC),
            )
            for i in range(1, new + 1)
        ),
        new_content_total=new if new_total is None else new_total,
        top_content=tuple(
            RankedCount(str(i), title.format(i), 30 - i, 120 - i) for i in range(1, top + 1)
        ),
        figures=DigestFigures(
            active_ambassadors=12,
            ambassadors=40,
            deliveries=200,
            shared=61,
            share_rate=Decimal("30.5"),
            shares=31,
            clicks=550,
            reactions=25,
            shares_before=28,
            clicks_before=600,
        )
        if figures
        else None,
        chart=ChartImage(PNG, "advocacy-2026-W47.png", weeks(), chart_url) if chart else None,
    )
