"""Weeks and rankings."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.errors import GatewayError, InvalidInput, NotAnAmbassador
from bot.model import (
    AmbassadorId,
    BoardPeriod,
    BoardScope,
    LeaderboardEntry,
    Platform,
    PlatformUser,
)
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    BoardRepository,
    BotMessageLog,
    ChatGateway,
    Clock,
    JobRunLedger,
)
from bot.programme import Programme
from bot.views import BadgeLine, LeaderboardView, Notice, WeeklyDigestView

if TYPE_CHECKING:
    from bot.digest import DigestComposer
    from bot.recognition import RecognitionService

logger = logging.getLogger(__name__)

MAX_TEAM = 100  # characters of a free-text team (no departments configured)


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


def week_part_of(moment: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """Where an award falls: ``(period_start, week_start)``.

    ``week_start`` is the Monday of the ISO week in ``tz``; ``period_start`` is that Monday,
    or the 1st of the month when a month begins inside the week: the award belongs to the
    month of ``period_start``, and a week is made of one or two such parts.
    """
    local = moment.astimezone(tz).date()
    monday = local - timedelta(days=local.weekday())
    return max(monday, local.replace(day=1)), monday


def month_start(moment: datetime, tz: ZoneInfo) -> date:
    """The first day of the calendar month containing ``moment`` in ``tz``."""
    return moment.astimezone(tz).date().replace(day=1)


def next_month(first_day: date) -> date:
    """The first day of the month after the one starting on ``first_day``."""
    return (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)


def week_starting(monday: date, tz: ZoneInfo) -> Week:
    """The ISO week whose Monday (local) is ``monday``."""
    return week_of(datetime.combine(monday, time(12), tzinfo=tz), tz)


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
        boards: BoardRepository | None = None,
        digest: DigestComposer | None = None,
    ) -> None:
        self._digest = digest  # the weekly post's other sections (issue 6); None: board only
        self._recognition = recognition  # top-3 badges, new badges in the post (issue 6)
        self._boards = boards
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
        if self._boards is not None:
            return await self.board(
                locale=locale, viewer=viewer, period=BoardPeriod.WEEK, first_day=week.first_day
            )
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
        """Post the weekly digest (the leaderboard, new badges and, with a ``DigestComposer``,
        new and most shared content, figures and a chart) in every configured channel, once
        per week even if several processes or a restart try again. Returns the number of
        channels posted to."""
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
            # People hiding from public boards are not named in the post either.
            shown = [
                b
                for b in earned
                if self._boards is None
                or not await self._boards.is_hidden(ambassador_id=b.ambassador_id)
            ]
            view = replace(view, badges=tuple(BadgeLine(b.display_name, b.badge) for b in shown))
        # The channels of the platforms this process can post to (the podium badges above
        # are given even with none).
        targets = [
            (gateway, channel_id)
            for platform, channel_ids in self._channels.items()
            if (gateway := self._gateways.get(platform)) is not None
            for channel_id in channel_ids
        ]
        digest = WeeklyDigestView(board=view)
        if self._digest is not None and targets:
            digest = await self._digest.compose(view, week)
        posted = 0
        for gateway, channel_id in targets:
            try:
                message = await gateway.post_weekly_digest(channel_id, digest)
            except GatewayError:
                # One unreachable channel must not keep the others from their post.
                logger.exception("could not post the weekly digest to %s", channel_id)
                continue
            await self._bot_messages.remember(message=message, kind="leaderboard", now=now)
            posted += 1
        if targets and not posted:
            # Nothing went out: give the slot back so a restart's catch-up can try again.
            await self._jobs.release(job="weekly_leaderboard", slot=week.label)
            logger.error("weekly leaderboard for %s reached no channel", week.label)
        return posted

    def _boards_or_fail(self) -> BoardRepository:
        if self._boards is None:
            raise RuntimeError("leaderboards need a BoardRepository")
        return self._boards

    def team_id(self, team: str | None) -> str | None:
        """The team a board is asked for, as stored in ``ambassador.team``: a configured
        department's id, else (no departments configured) the text as typed, bounded.

        Raises:
            InvalidInput: departments are configured and ``team`` is none of them.
        """
        return parse_team(self._programme, team)

    async def board(
        self,
        *,
        locale: str,
        viewer: PlatformUser | None = None,
        period: BoardPeriod | str = BoardPeriod.WEEK,
        team: str | None = None,
        first_day: date | None = None,
    ) -> LeaderboardView:
        """A public board (this week, this month or all time; everyone or one team), with
        the viewer's own standing, shown to them alone even when they hide.

        Raises:
            InvalidInput: an unknown team.
        """
        boards = self._boards_or_fail()
        period = BoardPeriod(period)
        tz = self._programme.timezone
        now = self._clock.now()
        week = week_of(now, tz)
        if first_day is None and period is BoardPeriod.WEEK:
            first_day = week.first_day
        elif first_day is None and period is BoardPeriod.MONTH:
            first_day = month_start(now, tz)
        team_id = self.team_id(team)
        scope = BoardScope(period, first_day if period is not BoardPeriod.ALL else None, team_id)
        entries = tuple(await boards.top(scope=scope, limit=self._programme.leaderboard_size))
        mine: LeaderboardEntry | None = None
        viewer_points: int | None = None
        viewer_rank: int | None = None
        hidden = False
        if viewer is not None:
            ambassador = await self._ambassadors.get_by_user(viewer)
            if ambassador is not None:
                standing = await boards.standing(scope=scope, ambassador_id=ambassador.id)
                hidden = await boards.is_hidden(ambassador_id=ambassador.id)
                viewer_points, viewer_rank = standing.points, standing.rank
                mine = next((e for e in entries if e.ambassador_id == ambassador.id), None)
        label = None
        if team_id is not None:
            department = self._programme.department(team_id)
            label = department.label(locale) if department else team_id
        shown = first_day or week.first_day
        return LeaderboardView(
            locale=locale,
            week_label=f"{shown.isocalendar()[0]}-W{shown.isocalendar()[1]:02d}",
            week_start=shown,
            entries=entries,
            viewer=mine,
            viewer_points=viewer_points,
            period=period.value,
            team_label=label,
            viewer_hidden=hidden,
            viewer_rank=viewer_rank,
        )

    async def hide(self, user: PlatformUser, *, hidden: bool) -> Notice:
        """Hide the person from public boards (or show them again); they still see their
        own standing when they ask for a board.

        Raises:
            NotAnAmbassador: the person has not joined.
        """
        boards = self._boards_or_fail()
        ambassador = await self._ambassadors.get_by_user(user)
        if ambassador is None:
            raise NotAnAmbassador()
        await boards.set_hidden(ambassador_id=ambassador.id, hidden=hidden)
        logger.info("ambassador %s %s public boards", ambassador.id, "left" if hidden else "joined")
        return Notice("boards_hidden" if hidden else "boards_shown")

    async def is_hidden(self, ambassador_id: AmbassadorId) -> bool:
        """Whether someone hides from public boards (the settings form shows it)."""
        return await self._boards_or_fail().is_hidden(ambassador_id=ambassador_id)

    async def choose_team(self, user: PlatformUser, team: str | None, *, clear: bool) -> Notice:
        """Set (or clear) the person's team or department, as the team boards group people;
        without a team, say which ones exist and which is theirs.

        Raises:
            NotAnAmbassador: the person has not joined.
            InvalidInput: departments are configured and ``team`` is none of them.
        """
        boards = self._boards_or_fail()
        ambassador = await self._ambassadors.get_by_user(user)
        if ambassador is None:
            raise NotAnAmbassador()
        teams = [d.id for d in self._programme.departments]
        if clear:
            await boards.set_team(ambassador_id=ambassador.id, team=None)
            return Notice("team_cleared")
        if team is None:
            return Notice("team_current", {"team": ambassador.team or "", "teams": teams})
        chosen = self.team_id(team)
        await boards.set_team(ambassador_id=ambassador.id, team=chosen)
        return Notice("team_set", {"team": chosen})

    async def roll_up(self, *, settle: timedelta, batch: int = 200_000, rounds: int = 10) -> int:
        """Bring the leaderboards' rollup up to date (the scheduled job): a few batches at
        most per run, so a backlog never holds the loop for long."""
        boards = self._boards_or_fail()
        applied = 0
        for _ in range(rounds):
            done = await boards.roll_up(
                tz=self._programme.timezone, now=self._clock.now(), settle=settle, batch=batch
            )
            applied += done
            if done < batch:
                break
        return applied

    async def rebuild_week(self, label: str) -> int:
        """Rebuild one ISO week (``2026-W47``) of the rollup from the points ledger.

        Raises:
            InvalidInput: not an ISO week label.
        """
        first_day = parse_week_label(label)
        return await self._boards_or_fail().rebuild_week(
            tz=self._programme.timezone, week_start=first_day
        )


def parse_team(programme: Programme, team: str | None) -> str | None:
    """A team as stored in ``ambassador.team`` (the ``team`` command, board filters and the
    settings form share this rule): a configured department's id, matched case-insensitively,
    else (no departments configured) the text as typed, trimmed to :data:`MAX_TEAM`.

    Raises:
        InvalidInput: departments are configured and ``team`` is none of them
            (``field="team"``).
    """
    if team is None:
        return None
    if programme.departments:
        department = programme.department(team)
        if department is None:
            raise InvalidInput(
                "unknown_team",
                field="team",
                team=team[:50],
                teams=[d.id for d in programme.departments],
            )
        return department.id
    return team.strip()[:MAX_TEAM] or None


def parse_week_label(label: str) -> date:
    """The Monday of an ISO week written ``2026-W47``.

    Raises:
        InvalidInput: not a week label, or no such week.
    """
    text = label.strip().upper()
    try:
        year, week = text.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError as error:
        raise InvalidInput("bad_week", field="week", week=label[:20]) from error
