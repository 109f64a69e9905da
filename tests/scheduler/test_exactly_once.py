"""Two replicas' schedulers race for every slot: each slot runs exactly once (SQLite, PG)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from content_store.repositories import SqlStore
from scheduler.setup import PeriodicJob, run_claimed, slot_of

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
EVERY = timedelta(minutes=1)


async def test_each_slot_runs_once_and_a_dead_replica_does_not_skip_one(
    sql_store: SqlStore,
) -> None:
    clock = FixedClock(START)
    ran: Counter[str] = Counter()
    by: dict[str, str] = {}
    outcomes: Counter[str] = Counter()

    def job_for(holder: str) -> PeriodicJob:
        async def body() -> None:
            slot = slot_of(clock.now(), EVERY)
            ran[slot] += 1
            by[slot] = holder
            await asyncio.sleep(0)  # let the other replica try meanwhile

        return PeriodicJob("tick", EVERY, body)

    async def replica(holder: str) -> bool:
        return await run_claimed(
            job_for(holder),
            jobs=sql_store.jobs,
            clock=clock,
            holder=holder,
            observe=lambda _job, outcome: outcomes.update([outcome]),
        )

    alive = ["replica-a", "replica-b", "replica-c"]
    for minute in range(1_000):
        clock.set(START + minute * EVERY + timedelta(seconds=minute % 50))
        results = await asyncio.gather(*(replica(holder) for holder in alive))
        assert sum(results) == 1
        if minute == 500:
            # The replica that ran this slot dies: the next slot still runs.
            alive.remove(by[slot_of(clock.now(), EVERY)])
    assert len(ran) == 1_000
    assert set(ran.values()) == {1}
    assert outcomes["ran"] == 1_000
    assert outcomes["skipped_claimed"] == 501 * 2 + 499 * 1


def test_slots_are_wall_clock_buckets() -> None:
    assert slot_of(START + timedelta(seconds=59), EVERY) == "2026-11-23T08:00:00Z"
    assert slot_of(START + timedelta(seconds=60), EVERY) == "2026-11-23T08:01:00Z"
    assert slot_of(START + timedelta(minutes=7), timedelta(minutes=5)) == "2026-11-23T08:05:00Z"
