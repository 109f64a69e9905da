"""APScheduler 3 wiring: jobs are plain async functions; the scheduler lives on the app's loop.

Misfire policy: a weekly post missed while the bot was down runs once when it comes back, if
it is back within ``misfire_grace_time`` (6 hours); older misses are skipped (a Monday post on
Thursday would mislead). ``coalesce`` folds several missed runs into one. A (job, slot) claim
in the database makes each week's post happen once even across restarts.

Periodic jobs (every minute, 5 minutes, 15 minutes) fire in every replica; the first replica
to claim the current (job, slot) runs it, the others skip it. Their triggers are aligned on
the slots that ``slot_of`` uses: each fires ``SLOT_OFFSET`` (a tenth) of a slot after the slot
starts, e.g. 6 s past each minute, so a firing delayed by the event loop (a GC pause, a busy
fan-out) still claims its own slot unless it is more than nine tenths of a slot late. (An
unaligned trigger fired at the phase the process happened to start at; near the end of a
slot, a small delay made it claim the next slot and leave its own to the other replicas, or
to nobody: see the scheduler benchmark in docs/benchmarks.md.) A firing later than that
claims the next slot and leaves its own to the other replicas; firings missed by more than
a slot (the misfire grace) coalesce into one. Either way the jobs handle every row that is
due, so the next run catches up the work of a slot that no replica ran.
"""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import ScheduledWork
from bot.leaderboard import LeaderboardService
from bot.ports import Clock, JobRunLedger
from bot.privacy import RetentionWork
from bot.recap import RecapService
from bot.recognition import RecognitionService
from bot.suggestions import SuggestionService

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600
SLOT_OFFSET = 0.1  # periodic jobs fire this fraction of a slot after the slot's start


def holder_name() -> str:
    """Who claims job slots: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def post_weekly_leaderboard(leaderboard: LeaderboardService) -> None:
    """The weekly leaderboard job."""
    posted = await leaderboard.post_weekly(holder=holder_name())
    logger.info("weekly leaderboard job: posted to %d channel(s)", posted)


RunObserver = Callable[[str, str], None]  # (job, outcome: ran | skipped_claimed | failed)


@dataclass(frozen=True)
class PeriodicJob:
    """A job that runs every ``every``; each slot of that length runs once across replicas."""

    name: str
    every: timedelta
    body: Callable[[], Awaitable[object]]


def slot_of(moment: datetime, every: timedelta) -> str:
    """The slot a moment falls in: the start of its ``every``-long bucket, in UTC."""
    seconds = int(every.total_seconds())
    start = int(moment.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def run_claimed(
    job: PeriodicJob, *, jobs: JobRunLedger, clock: Clock, holder: str, observe: RunObserver
) -> bool:
    """Run ``job`` for the current slot unless another replica already claimed it."""
    now = clock.now()
    if not await jobs.claim(job=job.name, slot=slot_of(now, job.every), holder=holder, now=now):
        observe(job.name, "skipped_claimed")
        return False
    try:
        await job.body()
    except Exception:
        # The claim stays: the work is idempotent and row-based, so the next slot picks
        # up whatever this one did not finish.
        logger.exception("scheduled job %s failed", job.name)
        observe(job.name, "failed")
        return False
    observe(job.name, "ran")
    return True


def periodic_jobs(work: ScheduledWork) -> tuple[PeriodicJob, ...]:
    """The programme's periodic jobs."""
    return (
        PeriodicJob("publish_scheduled", timedelta(minutes=1), work.publish_scheduled),
        PeriodicJob("expire_content", timedelta(minutes=5), work.expire_content),
        PeriodicJob("send_reminders", timedelta(minutes=15), work.send_reminders),
    )


def suggestion_jobs(
    suggestions: SuggestionService, *, poll_every: timedelta, poll_feeds: bool = True
) -> tuple[PeriodicJob, ...]:
    """Expiring unreviewed suggestions (hourly) and polling the feeds (each slot claimed
    once across replicas, so one replica polls)."""
    jobs = [PeriodicJob("expire_suggestions", timedelta(hours=1), suggestions.expire_stale)]
    if poll_feeds:
        jobs.append(PeriodicJob("poll_feeds", poll_every, suggestions.poll_feeds))
    return tuple(jobs)


def recognition_jobs(recognition: RecognitionService | None) -> tuple[PeriodicJob, ...]:
    """Turning new visits to tracked links into points, every minute (off the redirect's
    path; each visit counts once even if two runs overlap)."""
    if recognition is None:
        return ()
    return (PeriodicJob("award_link_clicks", timedelta(minutes=1), recognition.award_link_clicks),)


def recap_jobs(recaps: RecapService | None) -> tuple[PeriodicJob, ...]:
    """The personal weekly recaps, every minute once the week has ended and ``send_at`` has
    come (before then a run does nothing): a batch per run, each person once per week even
    when two runs overlap (a claimed row per person and week)."""
    if recaps is None:
        return ()
    return (PeriodicJob("send_weekly_recaps", timedelta(minutes=1), recaps.send_due),)


def retention_job(work: RetentionWork) -> PeriodicJob:
    """The daily retention of raw events (each day's slot runs once across replicas)."""
    return PeriodicJob("purge_raw_events", timedelta(days=1), work.purge)


def rollup_job(leaderboard: LeaderboardService) -> PeriodicJob:
    """The leaderboards' rollup, every minute (one replica per slot; a second one would
    find nothing to do anyway: the rollup is guarded by its watermark). Awards are read
    once they are 30 s old, so boards trail the ledger by about 1 to 2 minutes."""
    return PeriodicJob(
        "roll_up_points",
        timedelta(minutes=1),
        lambda: leaderboard.roll_up(settle=timedelta(seconds=30)),
    )


def slot_aligned_start(
    now: datetime, interval: timedelta, *, offset: float = SLOT_OFFSET
) -> datetime:
    """The start of ``now``'s ``interval``-long bucket since the epoch (the buckets of
    ``slot_of``) plus ``offset`` of an interval: an interval trigger started there fires at
    that offset into every slot (the first time at the next such instant after ``now``)."""
    step = interval.total_seconds()
    start = math.floor(now.timestamp() / step) * step + offset * step
    return datetime.fromtimestamp(start, UTC)


def add_periodic_job(
    scheduler: AsyncIOScheduler,
    job: PeriodicJob,
    *,
    jobs: JobRunLedger,
    clock: Clock,
    holder: str,
    observe: RunObserver,
    interval: timedelta | None = None,
) -> None:
    """Fire ``run_claimed(job)`` in ``scheduler`` every ``interval`` of real time, at
    ``SLOT_OFFSET`` of an interval after each multiple of ``interval`` since the epoch.

    ``interval`` defaults to ``job.every``; it differs only when ``clock`` runs faster than
    real time (the scheduler benchmark's accelerated clock).
    """
    every = interval or job.every
    seconds = every.total_seconds()
    scheduler.add_job(
        run_claimed,
        IntervalTrigger(
            seconds=seconds,
            start_date=slot_aligned_start(datetime.now(UTC), every),
            timezone=scheduler.timezone,
        ),
        args=[job],
        kwargs={"jobs": jobs, "clock": clock, "holder": holder, "observe": observe},
        id=job.name,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, int(seconds)),
    )


def build_scheduler(
    *,
    leaderboard: LeaderboardService,
    day: str,
    hour: int,
    minute: int,
    timezone: ZoneInfo,
    periodic: tuple[PeriodicJob, ...] = (),
    jobs: JobRunLedger | None = None,
    clock: Clock | None = None,
    observe: RunObserver | None = None,
) -> AsyncIOScheduler:
    """A scheduler with the weekly leaderboard and the periodic jobs (not started).

    Periodic jobs fire in every replica; ``run_claimed`` lets one run per slot. Misfires:
    they coalesce, and since each run handles every row that is due (content to publish
    or expire, reminders), a run after downtime catches up on the missed slots at once.
    """
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        post_weekly_leaderboard,
        CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=timezone),
        args=[leaderboard],
        id="weekly_leaderboard",
        replace_existing=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        coalesce=True,
        max_instances=1,
    )
    if periodic and jobs is not None and clock is not None:
        holder = holder_name()
        for job in periodic:
            add_periodic_job(
                scheduler,
                job,
                jobs=jobs,
                clock=clock,
                holder=holder,
                observe=observe or (lambda _job, _outcome: None),
            )
    return scheduler


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def last_slot(now: datetime, *, day: str, hour: int, minute: int, timezone: ZoneInfo) -> datetime:
    """The most recent weekly slot at or before ``now`` (local wall time in ``timezone``)."""
    local = now.astimezone(timezone)
    days_back = (local.weekday() - WEEKDAYS.index(day)) % 7
    candidate = datetime.combine(
        local.date() - timedelta(days=days_back), time(hour, minute), tzinfo=timezone
    )
    if candidate > local:
        candidate -= timedelta(days=7)
        candidate = datetime.combine(candidate.date(), time(hour, minute), tzinfo=timezone)
    return candidate


def missed_slot(now: datetime, *, day: str, hour: int, minute: int, timezone: ZoneInfo) -> bool:
    """Whether the last slot is recent enough to run now (the process was down at the time).

    APScheduler 3's memory job store forgets missed runs over a restart, so start-up asks this
    and runs the job once; the (job, slot) claim makes that a no-op if the slot already ran.
    """
    slot = last_slot(now, day=day, hour=hour, minute=minute, timezone=timezone)
    return (now - slot).total_seconds() <= MISFIRE_GRACE_SECONDS
