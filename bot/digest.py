"""The weekly digest: what the weekly channel post says besides the leaderboard and the new
badges (``LeaderboardService.post_weekly`` posts it): the content published in the week,
the most shared content, the programme's figures with the week before for comparison, and a
chart of shares and clicks per week over the last weeks.

Each section is read on its own and a failing one is logged and left out: a database hiccup
in the figures, or a chart that cannot be drawn, never keeps the leaderboard from its post.

The chart is a PNG drawn by a ``ChartRenderer`` (matplotlib, in a worker thread: it is CPU
work and the loop answers Slack, Teams and the redirects). Slack gets the bytes (a file
upload); a Teams card can only show an image from a URL, so the PNG is kept in a
``ChartStore`` and the card points at this bot's ``/charts/<token>.png``, a signed link
(HMAC, :data:`CHART_LINK_TTL`): nobody can list or guess the charts, and the image holds
programme totals only, no person.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

from bot.leaderboard import Week, previous_week
from bot.model import StatsWindow, WeekActivity
from bot.ports import ChartRenderer, ChartStore, Clock, StatsReader
from bot.programme import Programme
from bot.signing import LinkSigner
from bot.stats import share_rate
from bot.views import ChartImage, DigestFigures, LeaderboardView, WeeklyDigestView

logger = logging.getLogger(__name__)

CHART_PURPOSE = "digest_chart"
# Channel posts stay; their image should too, for about a year (then the card shows its
# alt text). The image holds no personal data.
CHART_LINK_TTL = timedelta(days=400)
MAX_CHART_WEEKS = 26

T = TypeVar("T")


class ChartNotFound(LookupError):
    """A genuine chart link whose image is no longer kept (the web route answers 404; no
    person is told anything: a chart is only ever fetched by a chat client)."""


@dataclass(frozen=True)
class DigestSettings:
    """``digest`` in config.yaml: which sections the weekly post carries."""

    new_content: int = 8  # newest content of the week listed (0: the section is left out)
    top_content: int = 5  # most shared content of the week (0: left out)
    figures: bool = True  # the programme's figures of the week
    chart_weeks: int = 8  # weeks in the chart (0: no chart; at most MAX_CHART_WEEKS)


def chart_weeks(week: Week, count: int, programme: Programme) -> list[Week]:
    """The ``count`` weeks ending with ``week``, oldest first."""
    weeks = [week]
    while len(weeks) < count:
        weeks.append(previous_week(weeks[-1], programme.timezone))
    return weeks[::-1]


def window_of_week(week: Week) -> StatsWindow:
    """A week as a stats window."""
    return StatsWindow(start=week.start, end=week.end, label=week.label)


class DigestComposer:
    """Builds the weekly digest around a week's leaderboard."""

    def __init__(
        self,
        *,
        stats: StatsReader,
        programme: Programme,
        clock: Clock,
        settings: DigestSettings | None = None,
        charts: ChartRenderer | None = None,
        chart_store: ChartStore | None = None,
        signer: LinkSigner | None = None,
        public_url: str = "",
        to_thread: Callable[..., Awaitable[bytes]] = asyncio.to_thread,
    ) -> None:
        self._stats = stats
        self._programme = programme
        self._clock = clock
        self._settings = settings or DigestSettings()
        self._charts = charts
        self._chart_store = chart_store
        self._signer = signer
        self._public_url = public_url.rstrip("/")
        self._to_thread = to_thread

    @property
    def settings(self) -> DigestSettings:
        """The sections this digest carries."""
        return self._settings

    async def compose(self, board: LeaderboardView, week: Week) -> WeeklyDigestView:
        """The digest of ``week`` around its leaderboard ``board`` (badges included)."""
        settings = self._settings
        window = window_of_week(week)
        digest = WeeklyDigestView(board=board)
        if settings.new_content > 0:
            found = await self._section(
                "new content", self._stats.published(window, limit=settings.new_content)
            )
            if found is not None:
                items, total = found
                digest = replace(digest, new_content=tuple(items), new_content_total=total)
        activity: Sequence[WeekActivity] = ()
        count = min(max(settings.chart_weeks, 2 if settings.figures else 0), MAX_CHART_WEEKS)
        if count:
            weeks = chart_weeks(week, count, self._programme)
            rows = await self._section(
                "weekly activity",
                self._stats.weekly_activity([window_of_week(w) for w in weeks]),
            )
            if rows is not None:
                activity = [
                    WeekActivity(w.label, w.first_day, shares, clicks)
                    for w, (shares, clicks) in zip(weeks, rows, strict=True)
                ]
        if settings.figures or settings.top_content > 0:
            figures = await self._section(
                "figures", self._stats.programme(window, top=max(settings.top_content, 1))
            )
            if figures is not None and settings.top_content > 0:
                digest = replace(digest, top_content=tuple(figures.top_content))
            if figures is not None and settings.figures:
                this = activity[-1] if activity else None
                before = activity[-2] if len(activity) > 1 else None
                digest = replace(
                    digest,
                    figures=DigestFigures(
                        active_ambassadors=figures.active_ambassadors,
                        ambassadors=figures.ambassadors,
                        deliveries=figures.deliveries,
                        shared=figures.shared,
                        share_rate=share_rate(figures.shared, figures.deliveries),
                        shares=this.shares if this else 0,
                        clicks=this.clicks if this else sum(figures.clicks.values()),
                        reactions=figures.reactions,
                        shares_before=before.shares if before else None,
                        clicks_before=before.clicks if before else None,
                    ),
                )
        if settings.chart_weeks > 0 and activity:
            shown = tuple(activity[-settings.chart_weeks :])
            chart = await self._chart(shown, week, board.locale)
            if chart is not None:
                digest = replace(digest, chart=chart)
        return digest

    async def _section(self, name: str, read: Awaitable[T]) -> T | None:
        try:
            return await read
        except Exception:
            logger.exception("weekly digest: could not read the %s; the post goes without", name)
            return None

    async def _chart(
        self, weeks: tuple[WeekActivity, ...], week: Week, locale: str
    ) -> ChartImage | None:
        """Draw and keep the chart; None when there is no renderer, nothing happened in any
        of the weeks (a flat line says nothing), or drawing failed."""
        if self._charts is None or not any(w.shares or w.clicks for w in weeks):
            return None
        try:
            png = await self._to_thread(self._charts.weekly_activity_png, weeks, locale)
        except Exception:
            logger.exception("weekly digest: could not draw the chart of %s", week.label)
            return None
        key = f"{week.label}.{locale}"
        url = None
        if self._chart_store is not None and self._signer is not None and self._public_url:
            try:
                now = self._clock.now()
                await self._chart_store.save_chart(key=key, png=png, now=now)
                token = self._signer.sign(CHART_PURPOSE, key, now + CHART_LINK_TTL)
                url = f"{self._public_url}/charts/{token}.png"
            except Exception:
                # Slack still gets the bytes; Teams shows the digest without the image.
                logger.exception("weekly digest: could not keep the chart of %s", week.label)
        return ChartImage(png=png, filename=f"advocacy-{week.label}.png", weeks=weeks, url=url)

    async def chart_from_link(self, token: str) -> bytes:
        """The PNG a chart link points at (``GET /charts/<token>.png``).

        Raises:
            LinkInvalid: not a genuine chart link.
            LinkExpired: a genuine link past its time.
            ChartNotFound: genuine, but the image is no longer kept.
        """
        if self._signer is None or self._chart_store is None:
            raise ChartNotFound
        key = self._signer.verify(CHART_PURPOSE, token, self._clock.now())
        png = await self._chart_store.load_chart(key)
        if png is None:
            raise ChartNotFound
        return png
