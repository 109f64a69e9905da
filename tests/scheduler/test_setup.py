"""The weekly job's schedule, and the catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.setup import (
    MISFIRE_GRACE_SECONDS,
    PeriodicJob,
    add_periodic_job,
    build_scheduler,
    last_slot,
    missed_slot,
    slot_aligned_start,
    slot_of,
)

PARIS = ZoneInfo("Europe/Paris")


class Slot(TypedDict):
    """The keyword arguments of ``last_slot`` and ``missed_slot``."""

    day: str
    hour: int
    minute: int
    timezone: ZoneInfo


SLOT: Slot = {"day": "mon", "hour": 9, "minute": 0, "timezone": PARIS}


def test_last_slot_is_the_latest_monday_nine_in_paris() -> None:
    tuesday = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert last_slot(tuesday, **SLOT) == datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
    monday_early = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)  # 08:59 in Paris
    assert last_slot(monday_early, **SLOT) == datetime(2026, 11, 16, 9, 0, tzinfo=PARIS)
    monday_on_time = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    assert last_slot(monday_on_time, **SLOT) == datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def test_last_slot_across_the_autumn_clock_change() -> None:
    # 2026-10-25: Paris goes from UTC+2 to UTC+1; the slot stays at 09:00 local time.
    after = datetime(2026, 10, 26, 8, 30, tzinfo=UTC)  # 09:30 local, UTC+1
    offset = last_slot(after, **SLOT).utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 3600
    before = datetime(2026, 10, 26, 7, 30, tzinfo=UTC)  # 08:30 local
    assert last_slot(before, **SLOT) == datetime(2026, 10, 19, 9, 0, tzinfo=PARIS)


def test_missed_slot_only_within_the_grace_period() -> None:
    slot = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert missed_slot(slot.replace(minute=30), **SLOT)
    assert missed_slot(
        datetime.fromtimestamp(slot.timestamp() + MISFIRE_GRACE_SECONDS, UTC), **SLOT
    )
    assert not missed_slot(
        datetime.fromtimestamp(slot.timestamp() + MISFIRE_GRACE_SECONDS + 1, UTC), **SLOT
    )


def test_the_weekly_job_is_registered_once_with_its_policy() -> None:
    scheduler = build_scheduler(leaderboard=object(), **SLOT)  # type: ignore[arg-type]
    (job,) = scheduler.get_jobs()
    assert job.id == "weekly_leaderboard"
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger.timezone) == "Europe/Paris"
    assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert job.coalesce
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")


def _periodic_scheduler() -> AsyncIOScheduler:
    async def body() -> None:
        return None

    return build_scheduler(
        leaderboard=object(),  # type: ignore[arg-type]
        **SLOT,
        periodic=(
            PeriodicJob("every_minute", timedelta(minutes=1), body),
            PeriodicJob("every_15_minutes", timedelta(minutes=15), body),
        ),
        jobs=object(),  # type: ignore[arg-type]
        clock=object(),  # type: ignore[arg-type]
    )


def test_slot_aligned_start_is_a_tenth_into_the_current_slot() -> None:
    now = datetime(2026, 11, 23, 8, 7, 42, 500_000, tzinfo=UTC)
    assert slot_aligned_start(now, timedelta(minutes=1)) == datetime(
        2026, 11, 23, 8, 7, 6, tzinfo=UTC
    )
    assert slot_aligned_start(now, timedelta(minutes=5)) == datetime(
        2026, 11, 23, 8, 5, 30, tzinfo=UTC
    )
    assert slot_aligned_start(now, timedelta(minutes=15), offset=0.2) == datetime(
        2026, 11, 23, 8, 3, tzinfo=UTC
    )


@pytest.mark.parametrize("seconds_into_slot", [0.0, 5.999, 6.0, 6.001, 37.25, 59.999])
def test_periodic_jobs_fire_a_tenth_into_every_slot_whatever_the_start(
    seconds_into_slot: float,
) -> None:
    # Wherever "now" falls in a slot when the scheduler starts, the next firings fall a tenth
    # of a slot after the slot boundaries that slot_of uses, in any time zone.
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC) + timedelta(seconds=seconds_into_slot)
    jobs = {job.id: job for job in _periodic_scheduler().get_jobs()}
    for name, every, offset in (
        ("every_minute", timedelta(minutes=1), timedelta(seconds=6)),
        ("every_15_minutes", timedelta(minutes=15), timedelta(seconds=90)),
    ):
        trigger = jobs[name].trigger
        assert isinstance(trigger, IntervalTrigger)
        fire = trigger.get_next_fire_time(None, now)
        assert fire >= now
        assert fire - now <= every
        for _ in range(5):
            boundary = datetime.fromisoformat(slot_of(fire, every))
            assert fire - boundary == offset
            # A firing that is late by less than nine tenths of a slot still claims its slot.
            late = fire + (every - offset) - timedelta(milliseconds=1)
            assert slot_of(late, every) == slot_of(fire, every)
            fire = trigger.get_next_fire_time(fire, fire)
        assert jobs[name].misfire_grace_time == int(every.total_seconds())
        assert jobs[name].coalesce


def test_an_accelerated_interval_is_aligned_the_same_way() -> None:
    # The benchmark's accelerated clock: the trigger runs every 0.1 s of real time, aligned
    # on multiples of 0.1 s since the epoch, plus 10 ms.
    async def body() -> None:
        return None

    scheduler = AsyncIOScheduler(timezone=UTC)
    add_periodic_job(
        scheduler,
        PeriodicJob("tick", timedelta(minutes=1), body),
        jobs=object(),  # type: ignore[arg-type]
        clock=object(),  # type: ignore[arg-type]
        holder="h",
        observe=lambda _job, _outcome: None,
        interval=timedelta(milliseconds=100),
    )
    (job,) = scheduler.get_jobs()
    now = datetime(2026, 11, 24, 10, 0, 0, 456_789, tzinfo=UTC)
    fire = job.trigger.get_next_fire_time(None, now)
    assert fire == datetime(2026, 11, 24, 10, 0, 0, 510_000, tzinfo=UTC)
    assert job.misfire_grace_time == 1  # APScheduler needs a whole number of seconds
