"""APScheduler 3 wiring: jobs are plain async functions; the scheduler lives on the app's loop.

Misfire policy: a weekly post missed while the bot was down runs once when it comes back, if
it is back within ``misfire_grace_time`` (6 hours); older misses are skipped (a Monday post on
Thursday would mislead). ``coalesce`` folds several missed runs into one. A (job, slot) claim
in the database makes each week's post happen once even across restarts.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.leaderboard import LeaderboardService

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600


def holder_name() -> str:
    """Who claims job slots: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def post_weekly_leaderboard(leaderboard: LeaderboardService) -> None:
    """The weekly leaderboard job."""
    posted = await leaderboard.post_weekly(holder=holder_name())
    logger.info("weekly leaderboard job: posted to %d channel(s)", posted)


def build_scheduler(
    *, leaderboard: LeaderboardService, day: str, hour: int, minute: int, timezone: ZoneInfo
) -> AsyncIOScheduler:
    """A scheduler with the weekly leaderboard job (not started)."""
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
