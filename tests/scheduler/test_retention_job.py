"""The daily retention job: one run per day across replicas, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.clock import FixedClock
from bot.model import RawEventKind
from bot.privacy import RetentionWork
from content_store.privacy import SqlRawEvents
from content_store.repositories import SqlStore
from scheduler.setup import retention_job, run_claimed

START = datetime(2026, 11, 23, 2, 24, tzinfo=UTC)


async def test_the_retention_job_runs_once_a_day(sql_store: SqlStore) -> None:
    clock = FixedClock(START)
    work = RetentionWork(
        events=SqlRawEvents(sql_store.db),
        retention_days={RawEventKind.JOB_RUNS: 1},
        clock=clock,
    )
    job = retention_job(work)
    assert (job.name, job.every) == ("purge_raw_events", timedelta(days=1))
    outcomes: list[str] = []

    async def replica(holder: str) -> bool:
        return await run_claimed(
            job,
            jobs=sql_store.jobs,
            clock=clock,
            holder=holder,
            observe=lambda _job, outcome: outcomes.append(outcome),
        )

    assert [await replica("a"), await replica("b")] == [True, False]
    clock.advance(timedelta(hours=20))  # still the same day
    assert not await replica("a")
    clock.advance(timedelta(hours=5))  # the next day: its run deletes yesterday's claim
    assert await replica("b")
    assert outcomes == ["ran", "skipped_claimed", "skipped_claimed", "ran"]
    async with sql_store.db.reading() as session:
        slots = (await session.execute(text("SELECT slot FROM job_run"))).scalars().all()
    assert slots == ["2026-11-24T00:00:00Z"]
