"""Recognition beyond single clicks (issue 6): points for visits to a person's tracked
links (capped per local day), weekly streaks and their bonus, and badges.

Every point lands in the append-only ledger (``points_award``) under a unique key, and every
badge once per person (a unique row), so retries, double clicks and two replicas racing award
nothing twice. The domain decides *what* is due; the store makes it happen once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import GatewayError
from bot.leaderboard import Week, week_of
from bot.model import (
    Ambassador,
    AmbassadorId,
    Badge,
    EarnedBadge,
    InteractionKind,
    LeaderboardEntry,
    Platform,
    PlatformUser,
)
from bot.ports import ActivityLedger, AmbassadorRepository, Clock, Notifier, Recognition
from bot.programme import Programme
from bot.views import Notice

logger = logging.getLogger(__name__)

# Badges for a number of shares (share clicks or confirmed shares, distinct contents: the
# "shares" figure of ``me`` and the leaderboard) and of counted visits to one's links.
SHARE_BADGES = ((1, Badge.FIRST_SHARE), (10, Badge.SHARES_10), (50, Badge.SHARES_50))
STREAK_BADGES = ((4, Badge.STREAK_4),)
CLICK_BADGES = ((100, Badge.CLICKS_100),)
TOP_OF_WEEK = 3


@dataclass(frozen=True)
class Streak:
    """Consecutive ISO weeks (programme zone) in which a person shared at least once."""

    current: int  # alive while this week or last week counted
    best: int
    started: str | None = None  # label of the current streak's first week, e.g. "2026-W47"


@dataclass(frozen=True)
class Standing:
    """What ``me`` and the App Home show about recognition."""

    badges: tuple[Badge, ...]
    streak: Streak


def local_day(moment: datetime, tz: ZoneInfo) -> tuple[date, datetime, datetime]:
    """The local day containing ``moment`` in ``tz``, with its UTC half-open window (23 or
    25 hours long on DST days)."""
    day = moment.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return day, start.astimezone(UTC), end.astimezone(UTC)


def streak_of(moments: Iterable[datetime], tz: ZoneInfo, now: datetime) -> Streak:
    """Current and best streak of weeks with at least one of ``moments``.

    Weeks are compared by their local Monday, so W52/W53 → W01 is just seven days later.
    The current week still counts as "in progress": a streak that reached last week is alive.
    """
    mondays = sorted({week_of(m, tz).first_day for m in moments})
    if not mondays:
        return Streak(0, 0)
    best = run = 1
    run_start = mondays[0]
    for previous, monday in itertools.pairwise(mondays):
        if monday - previous == timedelta(days=7):
            run += 1
        else:
            run, run_start = 1, monday
        best = max(best, run)
    this_week = week_of(now, tz).first_day
    if mondays[-1] < this_week - timedelta(days=7):
        return Streak(0, best)
    year, number, _ = run_start.isocalendar()
    return Streak(run, best, f"{year}-W{number:02d}")


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


class RecognitionService:
    """Link-click points, streaks, badges, and telling people about their badges."""

    def __init__(
        self,
        *,
        store: Recognition,
        ledger: ActivityLedger,
        ambassadors: AmbassadorRepository,
        notifiers: Mapping[Platform, Notifier],
        programme: Programme,
        clock: Clock,
        lookback: timedelta = timedelta(days=3),
        batch: int = 1_000,
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._ambassadors = ambassadors
        self._notifiers = notifiers
        self._programme = programme
        self._clock = clock
        self._lookback = lookback
        self._batch = batch
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- link clicks (the every-minute job) ------------------------------------------

    async def award_link_clicks(self) -> int:
        """Turn new visits by real visitors into points: ``points.link_click`` each, at most
        ``link_click_daily_cap`` a day in the link owner's time zone (the programme's when
        unknown). Each visit counts once, whoever runs the job. Returns the points awarded."""
        rules = self._programme.points
        total = 0
        owners: set[AmbassadorId] = set()
        since = self._clock.now() - self._lookback
        for _ in range(20):  # a burst is caught up over a few rounds, then the next run
            visits = await self._store.pending_visits(since=since, limit=self._batch)
            for visit in visits:
                tz = _zone(visit.timezone, self._programme.timezone)
                day, start, end = local_day(visit.visited_at, tz)
                total += await self._store.award_visit(
                    visit=visit,
                    points=rules.link_click,
                    day=day.isoformat(),
                    day_start=start,
                    day_end=end,
                    paid_per_day=rules.paid_clicks_per_day,
                )
                owners.add(visit.ambassador_id)
            if len(visits) < self._batch:
                break
        for ambassador_id in sorted(owners):
            await self.check_clicks(ambassador_id)
        return total

    async def check_clicks(self, ambassador_id: AmbassadorId) -> tuple[Badge, ...]:
        """Badges for visits to the person's links (100 counted visits)."""
        ambassador = await self._active(ambassador_id)
        if ambassador is None:
            return ()
        clicks = await self._store.clicks_awarded(ambassador_id)
        return await self._earn(ambassador, [b for n, b in CLICK_BADGES if clicks >= n])

    # ---- shares: badges, streak, streak bonus ----------------------------------------

    def after_share(self, ambassador_id: AmbassadorId) -> None:
        """A share was recorded: look at badges and the streak in the background, so the
        click's acknowledgement never waits for it (``settle`` waits, for tests and stop)."""
        task = asyncio.get_running_loop().create_task(self._after_share(ambassador_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the background checks started so far."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def _after_share(self, ambassador_id: AmbassadorId) -> None:
        try:
            await self.check_shares(ambassador_id)
        except Exception:
            # Recognition must never break sharing; the next share looks again.
            logger.exception("could not check badges of ambassador %d", ambassador_id)

    async def check_shares(self, ambassador_id: AmbassadorId) -> tuple[Badge, ...]:
        """Share badges, the streak badge and the streak bonus due now; returns new badges."""
        ambassador = await self._active(ambassador_id)
        if ambassador is None:
            return ()
        _, shares = await self._ledger.points_of(ambassador_id=ambassador_id, start=None, end=None)
        streak = await self.streak(ambassador_id)
        due = [b for n, b in SHARE_BADGES if shares >= n]
        due += [b for n, b in STREAK_BADGES if streak.best >= n]
        rules = self._programme.points
        bonus = 0
        if rules.streak_bonus > 0 and streak.current >= rules.streak_bonus_weeks:
            bonus = await self._store.award_once(
                key=f"streak:{ambassador_id}:{streak.started}:{rules.streak_bonus_weeks}",
                ambassador_id=ambassador_id,
                kind=InteractionKind.STREAK_BONUS,
                points=rules.streak_bonus,
                now=self._clock.now(),
            )
        if bonus:
            await self._notify(
                ambassador,
                Notice("points_streak_bonus", {"weeks": streak.current, "points": bonus}),
            )
        return await self._earn(ambassador, due)

    async def streak(self, ambassador_id: AmbassadorId) -> Streak:
        """The person's current and best weekly streak, from the ledger."""
        moments = await self._store.share_times(ambassador_id)
        return streak_of(moments, self._programme.timezone, self._clock.now())

    # ---- suggestions and the weekly leaderboard --------------------------------------

    async def after_suggestion_approved(self, user: PlatformUser) -> tuple[Badge, ...]:
        """A suggestion of this person became content: the first-suggestion badge."""
        ambassador = await self._ambassadors.get_by_user(user)
        if ambassador is None or not ambassador.is_active:
            return ()
        return await self._earn(ambassador, [Badge.FIRST_SUGGESTION])

    async def week_closed(self, entries: Sequence[LeaderboardEntry]) -> tuple[EarnedBadge, ...]:
        """The week's ranking is final: its top 3 (ranks 1-3, ties included) earn the badge."""
        earned: list[EarnedBadge] = []
        for entry in entries:
            if entry.rank > TOP_OF_WEEK or entry.points <= 0:
                continue
            ambassador = await self._active(entry.ambassador_id)
            if ambassador is not None and await self._earn(ambassador, [Badge.TOP_3_WEEK]):
                earned.append(
                    EarnedBadge(
                        entry.ambassador_id,
                        Badge.TOP_3_WEEK,
                        self._clock.now(),
                        entry.display_name,
                    )
                )
        return tuple(earned)

    async def new_badges(self, *, start: datetime, end: datetime) -> Sequence[EarnedBadge]:
        """Badges earned in ``[start, end)`` by active people, with their names (the weekly
        post shows them)."""
        return await self._store.badges_between(start=start, end=end)

    async def week_badges(self, week: Week) -> Sequence[EarnedBadge]:
        """Badges of a week's post: earned from its start until now (the top-3 badges are
        earned when the week closes, just after its end)."""
        return await self.new_badges(start=week.start, end=self._clock.now() + timedelta(seconds=1))

    async def standing(self, ambassador_id: AmbassadorId) -> Standing:
        """A person's badges and streak (``me``, the App Home)."""
        badges = await self._store.badges_of(ambassador_id)
        return Standing(tuple(b.badge for b in badges), await self.streak(ambassador_id))

    # ---- helpers ---------------------------------------------------------------------

    async def _active(self, ambassador_id: AmbassadorId) -> Ambassador | None:
        ambassador = await self._ambassadors.get(ambassador_id)
        return ambassador if ambassador is not None and ambassador.is_active else None

    async def _earn(self, ambassador: Ambassador, due: Iterable[Badge]) -> tuple[Badge, ...]:
        now = self._clock.now()
        new: list[Badge] = []
        for badge in due:
            if badge.value not in self._programme.badges:
                continue
            if await self._store.earn(ambassador_id=ambassador.id, badge=badge, now=now):
                new.append(badge)
        for badge in new:
            # Announced once: only the call that inserted the badge gets here.
            await self._notify(ambassador, Notice("points_badge_earned", {"badge": badge.value}))
        return tuple(new)

    async def _notify(self, ambassador: Ambassador, notice: Notice) -> None:
        notifier = self._notifiers.get(ambassador.user.platform)
        if notifier is None:
            return
        try:
            await notifier.notify(ambassador.user, notice, ambassador.locale)
        except GatewayError:
            logger.warning("could not tell ambassador %d about %s", ambassador.id, notice.key)
