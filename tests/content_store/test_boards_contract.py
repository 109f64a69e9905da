"""The leaderboard port: the in-memory fake (computed on the fly), SQLite and PostgreSQL (read
from the rollup) must agree, and the rollup must equal the ledger it sums."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.leaderboard import competition_ranks, next_month, week_of, week_part_of
from bot.model import BoardPeriod, BoardScope, InteractionKind, Network, Standing
from content_store.engine import create_engine
from content_store.repositories import Database, SqlStore
from tests.content_store.test_contract import NOW, content, enrol

AUCKLAND = ZoneInfo("Pacific/Auckland")
PARIS = ZoneInfo("Europe/Paris")
SETTLED = timedelta(0)
LATER = NOW + timedelta(days=3650)  # roll-up "now": every award is settled


async def give(
    ports: Any,
    person: Any,
    item: Any,
    points: int,
    at: datetime,
    kind: InteractionKind = InteractionKind.CONFIRMED_SHARE,
    network: Network | None = None,
) -> None:
    await ports.ledger.record(
        dedupe_key=f"{person.id}-{item.id}-{kind}-{network}-{at.isoformat()}",
        ambassador_id=person.id,
        content_id=item.id,
        delivery_id=None,
        kind=kind,
        network=network,
        points=points,
        now=at,
    )


async def roll_up(ports: Any, tz: ZoneInfo = PARIS, *, now: datetime = LATER) -> int:
    return int(await ports.boards.roll_up(tz=tz, now=now, settle=SETTLED, batch=1_000_000))


def lines(board: Sequence[Any]) -> list[tuple[int, str, int, int]]:
    return [(e.rank, e.display_name, e.points, e.shares) for e in board]


WEEK = BoardScope(BoardPeriod.WEEK, week_of(NOW, PARIS).first_day)
MONTH = BoardScope(BoardPeriod.MONTH, date(2026, 11, 1))
ALL = BoardScope(BoardPeriod.ALL)


async def test_boards_rank_hide_and_split_by_team(ports: Any) -> None:
    ana, bob, cy, dee = [
        await enrol(ports, n, {"ai"}, name=name)
        for n, name in [(1, "Ana"), (2, "Bob"), (3, "Cy"), (4, "Dee")]
    ]
    items = [await content(ports, ("ai",)) for _ in range(3)]
    last_month = datetime(2026, 10, 20, 12, tzinfo=UTC)
    await give(ports, ana, items[0], 10, NOW)
    await give(ports, ana, items[1], 10, NOW, InteractionKind.SHARE_CLICK, Network.X)
    await give(ports, ana, items[1], 10, NOW, InteractionKind.CONFIRMED_SHARE)  # same content
    await give(ports, bob, items[0], 30, NOW, InteractionKind.REACTION)
    await give(ports, cy, items[0], 10, NOW)
    await give(ports, cy, items[1], 50, last_month)
    await give(ports, dee, items[0], 99, NOW)
    await ports.ambassadors.leave(ambassador_id=dee.id, now=NOW)  # no longer active
    assert await roll_up(ports) == 7

    assert lines(await ports.boards.top(scope=WEEK, limit=10)) == [
        (1, "Ana", 30, 2),
        (1, "Bob", 30, 0),
        (3, "Cy", 10, 1),
    ]
    assert lines(await ports.boards.top(scope=MONTH, limit=2)) == [
        (1, "Ana", 30, 2),
        (1, "Bob", 30, 0),
    ]
    assert lines(await ports.boards.top(scope=ALL, limit=10))[0] == (1, "Cy", 60, 2)
    assert await ports.boards.standing(scope=WEEK, ambassador_id=cy.id) == Standing(3, 10, 1)

    # Hidden: off the public board; their own standing is what they would hold.
    assert not await ports.boards.is_hidden(ambassador_id=ana.id)
    await ports.boards.set_hidden(ambassador_id=ana.id, hidden=True)
    assert await ports.boards.is_hidden(ambassador_id=ana.id)
    assert lines(await ports.boards.top(scope=WEEK, limit=10)) == [
        (1, "Bob", 30, 0),
        (2, "Cy", 10, 1),
    ]
    assert await ports.boards.standing(scope=WEEK, ambassador_id=ana.id) == Standing(1, 30, 2)
    assert await ports.boards.standing(scope=WEEK, ambassador_id=cy.id) == Standing(2, 10, 1)
    await ports.boards.set_hidden(ambassador_id=ana.id, hidden=False)

    # Per team.
    await ports.boards.set_team(ambassador_id=ana.id, team="sales")
    await ports.boards.set_team(ambassador_id=cy.id, team="sales")
    await ports.boards.set_team(ambassador_id=bob.id, team="tech")
    sales = BoardScope(BoardPeriod.WEEK, WEEK.first_day, "sales")
    assert lines(await ports.boards.top(scope=sales, limit=10)) == [
        (1, "Ana", 30, 2),
        (2, "Cy", 10, 1),
    ]
    assert await ports.boards.standing(scope=sales, ambassador_id=cy.id) == Standing(2, 10, 1)
    assert lines(await ports.boards.top(scope=BoardScope(BoardPeriod.ALL, None, "tech"), limit=5))
    assert await ports.boards.top(scope=BoardScope(BoardPeriod.ALL, None, "hr"), limit=5) == []
    # Someone with no points on a board has no rank.
    late = await enrol(ports, 9, {"ai"})
    assert await ports.boards.standing(scope=WEEK, ambassador_id=late.id) == Standing(None, 0, 0)


def reference(
    awards: list[tuple[int, datetime, int, bool, int]], scope: BoardScope, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """Boards from the award list itself: (person, at, points, is share, content)."""
    totals: dict[int, tuple[int, int]] = {}
    shared: set[tuple[int, int]] = set()
    for person, at, points, is_share, item in awards:
        first = is_share and (person, item) not in shared
        if is_share:
            shared.add((person, item))
        period, week = week_part_of(at, tz)
        if scope.period is BoardPeriod.WEEK and week != scope.first_day:
            continue
        if scope.period is BoardPeriod.MONTH and not (
            scope.first_day and scope.first_day <= period < next_month(scope.first_day)
        ):
            continue
        p, n = totals.get(person, (0, 0))
        totals[person] = (p + points, n + int(first))
    return totals


@pytest.mark.parametrize("seed", [1, 2])
async def test_rollup_equals_the_ledger(ports: Any, seed: int) -> None:
    """Property: for random awards around month ends, DST changes and ISO week 53 in
    Auckland, every board read from the rollup equals the one computed from the awards,
    and each person's points equal the ledger's on-the-fly sum over the same window."""
    rng = random.Random(seed)
    tz = AUCKLAND
    people = [await enrol(ports, n, {"ai"}, name=f"P{n:02d}") for n in range(1, 9)]
    items = [await content(ports, ("ai",)) for _ in range(4)]
    anchors = [
        datetime(2026, 3, 31, 11, tzinfo=UTC),  # Apr 1st 00:00 in Auckland (NZDT, +13)
        datetime(2026, 4, 4, 13, 30, tzinfo=UTC),  # NZ DST ends Sun Apr 5, 03:00 -> 02:00
        datetime(2026, 12, 31, 10, 30, tzinfo=UTC),  # 2026-W53 ends Sun Jan 3, 2027
        datetime(2027, 1, 3, 10, 30, tzinfo=UTC),  # ... and 2027-W01 begins
    ]
    awards: list[tuple[int, datetime, int, bool, int]] = []
    used: set[tuple[int, int, InteractionKind, Network | None, datetime]] = set()
    kinds = [InteractionKind.CONFIRMED_SHARE, InteractionKind.SHARE_CLICK, InteractionKind.REACTION]
    for _ in range(60):
        person, item = rng.randrange(8), rng.randrange(4)
        kind, network = rng.choice(kinds), rng.choice([None, Network.X, Network.LINKEDIN])
        at = rng.choice(anchors) + timedelta(minutes=rng.randrange(-180, 180))
        if kind is InteractionKind.REACTION:
            network = None
        if any(u[:4] == (person, item, kind, network) for u in used):
            continue  # one award per (person, content, network, kind)
        used.add((person, item, kind, network, at))
        points = rng.randrange(1, 20)
        await give(ports, people[person], items[item], points, at, kind, network)
        awards.append(
            (people[person].id, at, points, kind is not InteractionKind.REACTION, items[item].id)
        )
    await roll_up(ports, tz)
    names = {p.id: p.display_name for p in people}
    scopes = [ALL]
    for anchor in anchors:
        scopes.append(BoardScope(BoardPeriod.WEEK, week_of(anchor, tz).first_day))
        scopes.append(BoardScope(BoardPeriod.MONTH, anchor.astimezone(tz).date().replace(day=1)))
    for scope in scopes:
        expected = reference(awards, scope, tz)
        rows = sorted(
            ((a, p, n) for a, (p, n) in expected.items() if p > 0),
            key=lambda r: (-r[1], -r[2], names[r[0]], r[0]),
        )
        ranks = competition_ranks([p for _, p, _ in rows])
        want = [(rank, names[a], p, n) for rank, (a, p, n) in zip(ranks, rows, strict=True)]
        assert lines(await ports.boards.top(scope=scope, limit=50)) == want, scope
        for person in people:
            mine = await ports.boards.standing(scope=scope, ambassador_id=person.id)
            assert mine.points == expected.get(person.id, (0, 0))[0]
            if scope.period is BoardPeriod.WEEK and scope.first_day is not None:
                week = week_of(datetime.combine(scope.first_day, datetime.min.time(), tz), tz)
                live, _ = await ports.ledger.points_of(
                    ambassador_id=person.id, start=week.start, end=week.end
                )
                assert live == mine.points


async def test_the_rollup_is_idempotent_and_waits_for_settled_ids(ports: Any) -> None:
    if not hasattr(ports, "db"):
        pytest.skip("the fake computes boards on the fly: nothing to roll up")
    ana = await enrol(ports, 1, {"ai"}, name="Ana")
    items = [await content(ports, ("ai",)) for _ in range(3)]
    await give(ports, ana, items[0], 10, NOW)
    settle = timedelta(seconds=30)
    t0 = NOW
    # The first run only notes the highest id; it is applied once 30 s have passed.
    assert await ports.boards.roll_up(tz=PARIS, now=t0, settle=settle, batch=100) == 0
    assert await ports.boards.top(scope=ALL, limit=5) == []
    assert await ports.boards.roll_up(tz=PARIS, now=t0 + settle, settle=settle, batch=100) == 1
    assert await ports.boards.roll_up(tz=PARIS, now=t0 + settle, settle=settle, batch=100) == 0
    await give(ports, ana, items[1], 5, NOW)
    t1 = t0 + 2 * settle
    assert await ports.boards.roll_up(tz=PARIS, now=t1, settle=settle, batch=100) == 0  # noted
    assert lines(await ports.boards.top(scope=ALL, limit=5)) == [(1, "Ana", 10, 1)]
    assert await ports.boards.roll_up(tz=PARIS, now=t1 + settle, settle=settle, batch=100) == 1
    assert lines(await ports.boards.top(scope=ALL, limit=5)) == [(1, "Ana", 15, 2)]


async def test_concurrent_rollups_count_each_award_once(store_url: str | None) -> None:
    if store_url is None:
        pytest.skip("SQL only")
    stores = [SqlStore(Database(create_engine(store_url))) for _ in range(3)]
    try:
        ports = stores[0]
        people = [await enrol(ports, n, {"ai"}) for n in range(1, 6)]
        item = await content(ports, ("ai",))
        for i, person in enumerate(people):
            await give(ports, person, item, 10 + i, NOW)
        applied = await asyncio.gather(
            *(s.boards.roll_up(tz=PARIS, now=LATER, settle=SETTLED, batch=2) for s in stores)
        )
        while sum(applied) < 5:
            more = await roll_up(ports)
            assert more > 0
            applied.append(more)
        assert sum(applied) == 5
        assert await roll_up(ports) == 0
        board = await ports.boards.top(scope=ALL, limit=10)
        assert [e.points for e in board] == [14, 13, 12, 11, 10]
    finally:
        for s in stores:
            await s.db.engine.dispose()


async def test_rebuilding_a_week_restores_it(ports: Any) -> None:
    ana, bob = [await enrol(ports, n, {"ai"}, name=name) for n, name in [(1, "Ana"), (2, "Bob")]]
    items = [await content(ports, ("ai",)) for _ in range(2)]
    await give(ports, ana, items[0], 10, NOW)
    await give(ports, bob, items[1], 7, NOW)
    await give(ports, bob, items[0], 3, NOW - timedelta(days=14))
    await roll_up(ports)
    before = (
        lines(await ports.boards.top(scope=WEEK, limit=5)),
        lines(await ports.boards.top(scope=ALL, limit=5)),
        lines(await ports.boards.top(scope=MONTH, limit=5)),
    )
    if hasattr(ports, "db"):  # damage the SQL rollup, as a bug or a manual edit would
        from sqlalchemy import update
        from sqlmodel import col

        from content_store.tables import PointsMonthlyRow, PointsTotalRow, PointsWeeklyRow

        async with ports.db.transaction() as session:
            await session.execute(
                update(PointsWeeklyRow)
                .where(col(PointsWeeklyRow.week_start) == WEEK.first_day)
                .values(points=PointsWeeklyRow.points + 1000)
            )
            await session.execute(
                update(PointsMonthlyRow).values(points=PointsMonthlyRow.points + 1000)
            )
            await session.execute(
                update(PointsTotalRow).values(points=PointsTotalRow.points + 1000)
            )
        assert lines(await ports.boards.top(scope=WEEK, limit=5))[0][2] == 1010
    assert await ports.boards.rebuild_week(tz=PARIS, week_start=WEEK.first_day) == 2
    assert await ports.boards.rebuild_week(tz=PARIS, week_start=WEEK.first_day) == 2
    week = lines(await ports.boards.top(scope=WEEK, limit=5))
    assert week == before[0]
    assert lines(await ports.boards.top(scope=MONTH, limit=5)) == before[2]
    assert lines(await ports.boards.top(scope=ALL, limit=5)) == before[1]
    assert WEEK.first_day is not None
    other = WEEK.first_day - timedelta(days=14)
    await ports.boards.rebuild_week(tz=PARIS, week_start=other)
    assert lines(await ports.boards.top(scope=ALL, limit=5)) == before[1]


async def test_me_ranks_among_the_people_boards_list(ports: Any) -> None:
    """``me`` reads the ledger live, but ranks as the boards do: people who hide are not
    counted ahead of you (nor is anyone who left)."""
    a, b, c = [await enrol(ports, n, {"ai"}) for n in (1, 2, 3)]
    item = await content(ports, ("ai",))
    for person, points in ((a, 30), (b, 20), (c, 10)):
        await give(ports, person, item, points, NOW)
    window = {"start": NOW - timedelta(days=1), "end": NOW + timedelta(days=1)}
    assert await ports.ledger.rank_of(ambassador_id=c.id, **window) == 3
    await ports.boards.set_hidden(ambassador_id=a.id, hidden=True)
    assert await ports.ledger.rank_of(ambassador_id=c.id, **window) == 2
    assert await ports.ledger.rank_of(ambassador_id=a.id, **window) == 1  # your own place
