"""Group commit on SQLite and PostgreSQL: a burst of clicks shares few commits, and every
click still counts exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model import InteractionKind, Network
from content_store.repositories import SqlStore
from tests.content_store.test_contract import NOW, content, enrol


async def burst(store: SqlStore, people: list[Any], item: Any, clicks: int) -> list[Any]:
    async def click(n: int) -> Any:
        person = people[n % len(people)]
        return await store.ledger.record(
            dedupe_key=f"click-{n % (clicks // 2)}",  # every click is delivered twice
            ambassador_id=person.id,
            content_id=item.id,
            delivery_id=None,
            kind=InteractionKind.SHARE_CLICK,
            network=Network.LINKEDIN,
            points=5,
            now=NOW,
        )

    return await asyncio.gather(*(click(n) for n in range(clicks)))


async def test_a_burst_shares_commits_and_counts_once(sql_store: SqlStore) -> None:
    people = [await enrol(sql_store, n, {"ai"}) for n in range(1, 11)]
    item = await content(sql_store, ("ai",))
    group = sql_store.db.group
    group.start()
    try:
        outcomes = await burst(sql_store, people, item, 400)
    finally:
        await group.stop()
    assert sum(o.recorded for o in outcomes) == 200  # each dedupe key once
    assert sum(o.points_awarded for o in outcomes) == 5 * 10  # one award per person
    assert group.writes == 400
    assert group.batches < 100  # writes shared their commits
    async with sql_store.db.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM interaction"))).scalar()
    assert count == 200


async def test_one_failing_write_does_not_undo_the_others(sql_store: SqlStore) -> None:
    group = sql_store.db.group
    group.start()

    async def good(session: AsyncSession) -> str:
        await session.execute(
            text(
                "INSERT INTO job_run (job, slot, holder, claimed_at) "
                "VALUES ('j', :slot, 'h', CURRENT_TIMESTAMP)"
            ),
            {"slot": "ok"},
        )
        return "ok"

    async def bad(session: AsyncSession) -> str:
        await session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        return "never"

    try:
        results = await asyncio.gather(
            group.submit(good), group.submit(bad), return_exceptions=True
        )
    finally:
        await group.stop()
    assert results[0] == "ok"
    assert isinstance(results[1], Exception)
    assert await sql_store.jobs.claim(job="j", slot="ok", holder="x", now=NOW) is False


async def test_without_the_writer_each_write_commits_alone(sql_store: SqlStore) -> None:
    person = await enrol(sql_store, 1, {"ai"})
    item = await content(sql_store, ("ai",))
    outcome = await sql_store.ledger.record(
        dedupe_key="solo",
        ambassador_id=person.id,
        content_id=item.id,
        delivery_id=None,
        kind=InteractionKind.CONFIRMED_SHARE,
        network=None,
        points=10,
        now=NOW,
    )
    assert outcome.recorded
    assert sql_store.db.group.batches == 0
