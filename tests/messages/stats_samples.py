"""Sample stats views for the rendering tests (Slack and Teams)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.model import (
    ContentFigures,
    ContentId,
    DepartmentStats,
    Network,
    Platform,
    PlatformUser,
    ProgrammeFigures,
    Prospect,
    RankedCount,
)
from bot.stats import DEFAULT_RATES, estimate_emv, share_rate
from bot.views import (
    ContentStatsView,
    InvitationView,
    ProspectsView,
    StatsLinkView,
    StatsView,
)

EXPORT_URL = "https://bot.example.com/exports/t.1.m.csv"


def programme_figures(departments: int = 3, top: int = 5) -> ProgrammeFigures:
    return ProgrammeFigures(
        active_ambassadors=12,
        ambassadors=40,
        deliveries=200,
        shared=61,
        share_clicks={Network.LINKEDIN: 50, Network.X: 20, Network.BLUESKY: 3},
        confirmed=30,
        clicks={Network.LINKEDIN: 310, Network.X: 45},
        bot_hits=17,
        reactions=25,
        top_content=[
            RankedCount(str(i), f'=HYPERLINK("x") <b>Launch {i}</b> & more', 30 - i, 100 - i)
            for i in range(1, top + 1)
        ],
        top_topics=[RankedCount("ai", "ai", 40), RankedCount("jobs", "jobs", 21)],
        departments=[
            *(DepartmentStats(f"Team {i} " + "x" * 80, 5, 50, 10, 30) for i in range(departments)),
            DepartmentStats(None, 2, 3, 0, 0),
        ],
    )


def stats_view(locale: str, command: str = "/advocacy", **kwargs: int) -> StatsView:
    f = programme_figures(**kwargs)
    return StatsView(
        locale=locale,
        window="30d",
        figures=f,
        emv=estimate_emv(f.clicks, f.share_clicks, DEFAULT_RATES),
        share_rate=share_rate(f.shared, f.deliveries),
        command=command,
    )


def content_stats_view(locale: str) -> ContentStatsView:
    f = ContentFigures(
        content_id=ContentId(7),
        title="Our Paris office opens",
        url="https://example.com/a",
        published_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        deliveries=0,
        shared=0,
        share_clicks={},
        confirmed=0,
        clicks={},
        bot_hits=0,
        reactions=0,
    )
    return ContentStatsView(
        locale=locale,
        window="all",
        figures=f,
        emv=estimate_emv(f.clicks, f.share_clicks, DEFAULT_RATES),
        share_rate=share_rate(f.shared, f.deliveries),
    )


def stats_link_view(locale: str) -> StatsLinkView:
    return StatsLinkView(locale=locale, url=EXPORT_URL, valid_minutes=15, window="90d")


def prospects_view(locale: str, count: int = 3) -> ProspectsView:
    people = tuple(
        Prospect(
            user=PlatformUser(Platform.SLACK, "T1", f"U0PROS{i:03d}"),
            reactions=10 - i,
            suggestions=i % 2,
            name=None if i % 2 else f"<b>Eve</b> {i}",
            invited_at=datetime(2026, 10, 1, tzinfo=UTC) if i == 1 else None,
        )
        for i in range(count)
    )
    return ProspectsView(
        locale=locale,
        window="30d",
        prospects=people,
        cooldown_days=90,
        now=datetime(2026, 11, 18, tzinfo=UTC),
    )


def invitation_view(locale: str) -> InvitationView:
    return InvitationView(locale=locale, programme="Acme Voices")
