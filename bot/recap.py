"""The personal weekly recap DM (issue 6): for those who opted in, the week that just ended.

Choices made here, and why:

- **Opt-in, off by default** (``Ambassador.weekly_recap``): participation is voluntary, and a
  recap nobody asked for is one more notification. The recap itself carries a button that
  turns it off.
- **The week that just ended, once it has ended**: the ISO week in the programme's time zone
  (:func:`bot.leaderboard.previous_week`), sent from ``send_at`` (Monday 09:00 local by
  default) and only during the following week: a recap that could not go out by then is
  dropped rather than sent late.
- **Once per person and week**: a row is claimed before the DM is sent, so two runs or two
  replicas racing send it once. A 429 or a transient failure gives the claim back (a later
  run retries); a permanent refusal marks the row failed (and the person unreachable when the
  platform says nobody can reach them, as the sender does).
- **The person's own rules**: someone paused gets no recap that week (recorded as skipped);
  someone in their quiet hours gets it at a later run, once the quiet hours end.
- **Paced and bounded**: each send takes a token from the workspace's bucket (the one the
  sender paces suggestions with), and one run sends at most ``batch`` recaps and reads at
  most ``pages`` pages of candidates, so a programme of thousands is spread over several
  runs and no run holds the loop for long. Where a run stopped is remembered, so people
  deferred by their quiet hours do not keep the others waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from bot.errors import DeliveryFailed, RateLimited
from bot.leaderboard import Week, previous_week, week_of
from bot.limiter import TokenBucket
from bot.model import Ambassador, AmbassadorId, BoardPeriod, BoardScope, Platform, workspace_key
from bot.policy import in_quiet_hours
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    BoardRepository,
    ChatGateway,
    Clock,
    PreferencesRepository,
    RecapRepository,
    Recognition,
)
from bot.programme import Programme
from bot.recognition import streak_of
from bot.sender import MAX_BLOCK_SECONDS, UNREACHABLE, preferences_of
from bot.views import RecapView

logger = logging.getLogger(__name__)

WAITING_CAP = 20  # "20+ suggestions wait for you" is enough; no need to count them all


@dataclass(frozen=True)
class RecapSettings:
    """When and how fast recaps go out (``recap:`` in config.yaml)."""

    send_at: time = time(9, 0)  # local time (programme zone) on the Monday after the week
    batch: int = 100  # recaps sent at most per run
    pages: int = 10  # pages of ``batch`` candidates read at most per run


@dataclass
class RecapReport:
    """What one run did."""

    sent: int = 0
    skipped: int = 0  # paused: no recap this week
    deferred: int = 0  # in their quiet hours: a later run
    failed: int = 0  # refused for good
    retried: int = 0  # rate limited or a transient failure: the claim was given back
    claimed_elsewhere: int = 0  # another run or replica had it


class RecapService:
    """Builds and sends the personal weekly recaps."""

    def __init__(
        self,
        *,
        recaps: RecapRepository,
        ambassadors: AmbassadorRepository,
        preferences: PreferencesRepository,
        ledger: ActivityLedger,
        gateways: Mapping[Platform, ChatGateway],
        programme: Programme,
        clock: Clock,
        holder: str,
        boards: BoardRepository | None = None,
        recognition: Recognition | None = None,
        bucket: Callable[[str], TokenBucket] | None = None,
        settings: RecapSettings | None = None,
    ) -> None:
        self._recaps = recaps
        self._ambassadors = ambassadors
        self._preferences = preferences
        self._ledger = ledger
        self._gateways = gateways
        self._programme = programme
        self._clock = clock
        self._holder = holder
        self._boards = boards
        self._recognition = recognition
        self._bucket = bucket
        self._settings = settings or RecapSettings()
        # Where the last run stopped reading candidates, per week: the next run goes on from
        # there (people deferred by quiet hours are met again once the list wraps around).
        self._cursor: tuple[date, AmbassadorId] | None = None

    def due_week(self, now: datetime) -> Week | None:
        """The week whose recaps may go out at ``now``: the one that just ended, from
        ``send_at`` on the Monday after it; None before then."""
        tz = self._programme.timezone
        week = previous_week(week_of(now, tz), tz)
        opens = datetime.combine(_next_monday(week), self._settings.send_at, tzinfo=tz)
        return week if now >= opens else None

    async def view_for(
        self, ambassador: Ambassador, week: Week, *, now: datetime | None = None
    ) -> RecapView:
        """One person's recap of ``week``, as it stands at ``now`` (default: the clock's)."""
        now = now or self._clock.now()
        points, rank, shares = await self._standing(ambassador.id, week)
        hidden = False
        if self._boards is not None:
            hidden = await self._boards.is_hidden(ambassador_id=ambassador.id)
        badges: tuple[str, ...] = ()
        streak = 0
        if self._recognition is not None:
            earned = await self._recognition.badges_of(ambassador.id)
            badges = tuple(b.badge.value for b in earned if week.start <= b.earned_at < week.end)
            moments = await self._recognition.share_times(ambassador.id)
            streak = streak_of(moments, self._programme.timezone, now).current
        clicks = await self._recaps.clicks(
            ambassador_id=ambassador.id, start=week.start, end=week.end
        )
        waiting = await self._preferences.pending_suggestions(
            ambassador_id=ambassador.id, now=now, limit=WAITING_CAP + 1
        )
        return RecapView(
            locale=ambassador.locale,
            week_label=week.label,
            week_start=week.first_day,
            points=points,
            rank=rank,
            hidden=hidden,
            shares=shares,
            clicks=clicks,
            badges=badges,
            streak=streak,
            waiting=min(len(waiting), WAITING_CAP),
            waiting_more=len(waiting) > WAITING_CAP,
        )

    async def _standing(
        self, ambassador_id: AmbassadorId, week: Week
    ) -> tuple[int, int | None, int]:
        if self._boards is not None:
            scope = BoardScope(BoardPeriod.WEEK, week.first_day)
            standing = await self._boards.standing(scope=scope, ambassador_id=ambassador_id)
            return standing.points, standing.rank, standing.shares
        points, shares = await self._ledger.points_of(
            ambassador_id=ambassador_id, start=week.start, end=week.end
        )
        rank = await self._ledger.rank_of(
            ambassador_id=ambassador_id, start=week.start, end=week.end
        )
        return points, rank, shares

    async def send_due(self, now: datetime | None = None) -> RecapReport:
        """Send the recaps of the week that just ended that are due at ``now`` (default: the
        clock's; the scheduled job): at most ``batch`` of them, reading at most ``pages``
        pages of candidates."""
        report = RecapReport()
        now = now or self._clock.now()
        week = self.due_week(now)
        if week is None:
            return report
        settings = self._settings
        after = self._cursor[1] if self._cursor and self._cursor[0] == week.first_day else None
        limited: set[str] = set()  # workspaces that said 429 during this run
        full = False
        for _ in range(settings.pages):
            page = await self._recaps.candidates(
                week_start=week.first_day, after=after, limit=settings.batch
            )
            for ambassador in page:
                after = ambassador.id
                if workspace_key(ambassador.user) not in limited:
                    await self._one(ambassador, week, now, report, limited)
                full = report.sent + report.failed >= settings.batch
                if full:
                    break
            if full:
                break
            if len(page) < settings.batch:
                after = None  # the end of the list: the next run starts again at the top
                break
        self._cursor = (week.first_day, after) if after is not None else None
        if report.sent or report.failed or report.retried:
            logger.info("weekly recaps of %s: %s", week.label, report)
        return report

    async def _one(
        self,
        ambassador: Ambassador,
        week: Week,
        now: datetime,
        report: RecapReport,
        limited: set[str],
    ) -> None:
        if ambassador.is_paused(now):
            await self._recaps.skip(
                ambassador_id=ambassador.id, week_start=week.first_day, reason="paused", now=now
            )
            report.skipped += 1
            return
        if in_quiet_hours(now, preferences_of(ambassador)):
            report.deferred += 1
            return
        gateway = self._gateways.get(ambassador.user.platform)
        if gateway is None:
            return  # that platform is not configured here (another deployment's people)
        view = await self.view_for(ambassador, week, now=now)
        if not await self._recaps.claim(
            ambassador_id=ambassador.id, week_start=week.first_day, holder=self._holder, now=now
        ):
            report.claimed_elsewhere += 1
            return
        workspace = workspace_key(ambassador.user)
        if self._bucket is not None:
            await self._bucket(workspace).acquire()
        try:
            await gateway.send_recap(ambassador.user, view)
        except RateLimited as slow_down:
            if self._bucket is not None:
                self._bucket(workspace).block(
                    min(max(slow_down.retry_after, 0.0), MAX_BLOCK_SECONDS)
                )
            limited.add(workspace)
            await self._recaps.release(ambassador_id=ambassador.id, week_start=week.first_day)
            report.retried += 1
            return
        except DeliveryFailed as failure:
            if not failure.permanent:
                await self._recaps.release(ambassador_id=ambassador.id, week_start=week.first_day)
                report.retried += 1
                return
            if failure.code in UNREACHABLE:
                await self._ambassadors.mark_unreachable(
                    ambassador_id=ambassador.id, reason=failure.code, now=now
                )
            await self._recaps.finish(
                ambassador_id=ambassador.id,
                week_start=week.first_day,
                status="failed",
                error=failure.code[:64],
                now=now,
            )
            logger.warning("weekly recap to ambassador %s refused: %s", ambassador.id, failure.code)
            report.failed += 1
            return
        await self._recaps.finish(
            ambassador_id=ambassador.id,
            week_start=week.first_day,
            status="sent",
            now=now,
        )
        report.sent += 1


def _next_monday(week: Week) -> date:
    return date.fromordinal(week.first_day.toordinal() + 7)
