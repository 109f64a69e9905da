"""Weeks and rankings."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.errors import GatewayError
from bot.model import LeaderboardEntry, Platform, PlatformUser
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    BotMessageLog,
    ChatGateway,
    Clock,
    JobRunLedger,
)
from bot.programme import Programme
from bot.views import BadgeLine, LeaderboardView

if TYPE_CHECKING:
    from bot.recognition import RecognitionService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Week:
    """An ISO week in the company's time zone, as a UTC half-open window."""

    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    first_day: date
    label: str  # "2026-W47"


def week_of(moment: datetime, tz: ZoneInfo) -> Week:
    """The ISO week (Monday 00:00 to Monday 00:00, local time) containing ``moment``.

    Built from local midnights, so a week with a DST change is 167 or 169 hours long.
    """
    local = moment.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    year, week, _ = monday.isocalendar()
    return Week(
        start=start.astimezone(ZoneInfo("UTC")),
        end=end.astimezone(ZoneInfo("UTC")),
        first_day=monday,
        label=f"{year}-W{week:02d}",
    )


def previous_week(week: Week, tz: ZoneInfo) -> Week:
    """The ISO week before ``week``."""
    return week_of(week.start - timedelta(hours=1), tz)


def competition_ranks(points: Sequence[int]) -> list[int]:
    """Standard competition ranking ("1224") of scores sorted in descending order."""
    ranks: list[int] = []
    for index, value in enumerate(points):
        ranks.append(ranks[-1] if index and value == points[index - 1] else index + 1)
    return ranks


class LeaderboardService:
    """This week's ranking, on demand and as the weekly post."""

    def __init__(
        self,
        *,
        ledger: ActivityLedger,
        ambassadors: AmbassadorRepository,
        bot_messages: BotMessageLog,
        jobs: JobRunLedger,
        gateways: Mapping[Platform, ChatGateway],
        channels: Mapping[Platform, Sequence[str]],
        programme: Programme,
        clock: Clock,
        report_previous_week: bool = True,
        recognition: RecognitionService | None = None,
    ) -> None:
        self._recognition = recognition  # top-3 badges, new badges in the post (issue 6)
        self._ledger = ledger
        self._ambassadors = ambassadors
        self._bot_messages = bot_messages
        self._jobs = jobs
        self._gateways = gateways
        self._channels = channels
        self._programme = programme
        self._clock = clock
        self._report_previous_week = report_previous_week

    async def weekly(
        self, *, locale: str, viewer: PlatformUser | None = None, week: Week | None = None
    ) -> LeaderboardView:
        """The ranking of a week (this week by default), with the viewer's own line."""
        week = week or week_of(self._clock.now(), self._programme.timezone)
        entries = tuple(
            await self._ledger.leaderboard(
                start=week.start, end=week.end, limit=self._programme.leaderboard_size
            )
        )
        mine: LeaderboardEntry | None = None
        viewer_points: int | None = None
        if viewer is not None:
            ambassador = await self._ambassadors.get_by_user(viewer)
            if ambassador is not None:
                viewer_points, _ = await self._ledger.points_of(
                    ambassador_id=ambassador.id, start=week.start, end=week.end
                )
                mine = next((e for e in entries if e.ambassador_id == ambassador.id), None)
        return LeaderboardView(
            locale=locale,
            week_label=week.label,
            week_start=week.first_day,
            entries=entries,
            viewer=mine,
            viewer_points=viewer_points,
        )

    async def post_weekly(self, *, holder: str) -> int:
        """Post the weekly leaderboard in every configured channel, once per week even if
        several processes or a restart try again. Returns the number of channels posted to."""
        now = self._clock.now()
        week = week_of(now, self._programme.timezone)
        if self._report_previous_week:
            week = previous_week(week, self._programme.timezone)
        if not await self._jobs.claim(
            job="weekly_leaderboard", slot=week.label, holder=holder, now=now
        ):
            logger.info("weekly leaderboard for %s already posted", week.label)
            return 0
        view = await self.weekly(locale=self._programme.default_locale, week=week)
        if self._recognition is not None:
            try:
                await self._recognition.week_closed(view.entries)
                earned = await self._recognition.week_badges(week)
            except Exception:
                # Badges must never keep the ranking from its post; the podium badges are
                # given at the next post (they are once per person anyway).
                logger.exception("could not award or list the badges of %s", week.label)
                earned = ()
            view = replace(view, badges=tuple(BadgeLine(b.display_name, b.badge) for b in earned))
        posted = attempted = 0
        for platform, channel_ids in self._channels.items():
            gateway = self._gateways.get(platform)
            if gateway is None:
                continue
            for channel_id in channel_ids:
                attempted += 1
                try:
                    message = await gateway.post_leaderboard(channel_id, view)
                except GatewayError:
                    # One unreachable channel must not keep the others from their post.
                    logger.exception("could not post the leaderboard to %s", channel_id)
                    continue
                await self._bot_messages.remember(message=message, kind="leaderboard", now=now)
                posted += 1
        if attempted and not posted:
            # Nothing went out: give the slot back so a restart's catch-up can try again.
            await self._jobs.release(job="weekly_leaderboard", slot=week.label)
            logger.error("weekly leaderboard for %s reached no channel", week.label)
        return posted
