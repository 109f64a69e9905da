"""The weekly job's schedule, and the catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from scheduler.setup import MISFIRE_GRACE_SECONDS, build_scheduler, last_slot, missed_slot

PARIS = ZoneInfo("Europe/Paris")
SLOT = {"day": "mon", "hour": 9, "minute": 0, "timezone": PARIS}


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
    assert last_slot(after, **SLOT).utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
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
