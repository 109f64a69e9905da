"""The ``Recognition`` port (issue 6) on the fake, SQLite and PostgreSQL: link-click points
once per visit and within the daily cap, one-off awards, badges once per person, and
racing writers that cannot award twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.model import Badge, InteractionKind, Network
from tests.bot.fakes import record_visit
from tests.content_store.test_contract import NOW, claim_all, content, enrol

DAY = "2026-11-18"
DAY_START = datetime(2026, 11, 18, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)


async def link_of(ports: Any, n: int, network: Network = Network.LINKEDIN) -> Any:
    """Person ``n`` joins, gets one content, and one tracked link on ``network``."""
    person = await enrol(ports, n, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    mine = [d for d in await claim_all(ports) if d.ambassador_id == person.id]
    links = await ports.deliveries.tracked_links(delivery=mine[0], networks=[network])
    return person, links[network]


async def award_all(ports: Any, *, points: int = 2, paid: int | None = None) -> list[int]:
    awarded = []
    for visit in await ports.recognition.pending_visits(since=NOW - timedelta(days=3), limit=100):
        awarded.append(
            await ports.recognition.award_visit(
                visit=visit,
                points=points,
                day=DAY,
                day_start=DAY_START,
                day_end=DAY_END,
                paid_per_day=paid,
            )
        )
    return awarded


async def test_real_visits_of_active_people_are_pending_once(ports: Any) -> None:
    person, link = await link_of(ports, 1)
    gone, gone_link = await link_of(ports, 2)
    await record_visit(ports, link=link, is_bot=False, now=NOW)
    await record_visit(ports, link=link, is_bot=True, now=NOW)  # a crawler
    await record_visit(ports, link=link, is_bot=False, now=NOW - timedelta(days=9))
    await record_visit(ports, link=gone_link, is_bot=False, now=NOW)
    await ports.ambassadors.leave(ambassador_id=gone.id, now=NOW)

    (visit,) = await ports.recognition.pending_visits(since=NOW - timedelta(days=3), limit=10)
    assert visit.ambassador_id == person.id
    assert visit.network is Network.LINKEDIN
    assert visit.visited_at == NOW
    assert await award_all(ports) == [2]
    # Counted: neither pending any more nor awarded twice, even when asked again directly.
    assert await ports.recognition.pending_visits(since=NOW - timedelta(days=3), limit=10) == []
    again = await ports.recognition.award_visit(
        visit=visit, points=2, day=DAY, day_start=DAY_START, day_end=DAY_END, paid_per_day=None
    )
    assert again == 0
    assert await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == (2, 0)
    assert await ports.recognition.clicks_awarded(person.id) == 1


async def test_daily_cap_counts_paid_slots_per_day(ports: Any) -> None:
    person, link = await link_of(ports, 1)
    for minute in range(4):
        await record_visit(ports, link=link, is_bot=False, now=NOW + timedelta(minutes=minute))
    assert await award_all(ports, points=5, paid=2) == [5, 5, 0, 0]
    assert await ports.recognition.clicks_awarded(person.id) == 4  # counted, past the cap too
    # The next local day has its own slots.
    await record_visit(ports, link=link, is_bot=False, now=NOW + timedelta(days=1))
    (visit,) = await ports.recognition.pending_visits(since=NOW - timedelta(days=3), limit=10)
    next_day = await ports.recognition.award_visit(
        visit=visit,
        points=5,
        day="2026-11-19",
        day_start=DAY_END,
        day_end=DAY_END + timedelta(days=1),
        paid_per_day=2,
    )
    assert next_day == 5
    assert await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == (15, 0)


async def test_no_cap_and_zero_points(ports: Any) -> None:
    person, link = await link_of(ports, 1)
    for minute in range(3):
        await record_visit(ports, link=link, is_bot=False, now=NOW + timedelta(minutes=minute))
    assert await award_all(ports, points=0) == [0, 0, 0]  # counted, no points configured
    assert await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == (0, 0)
    await record_visit(ports, link=link, is_bot=False, now=NOW)
    assert await award_all(ports, points=3, paid=None) == [3]


async def test_award_once_and_share_times(ports: Any) -> None:
    person, link = await link_of(ports, 1)
    await ports.ledger.record(
        dedupe_key="confirm:1",
        ambassador_id=person.id,
        content_id=link.content_id,
        delivery_id=None,
        kind=InteractionKind.CONFIRMED_SHARE,
        network=None,
        points=10,
        now=NOW,
    )
    assert await ports.recognition.share_times(person.id) == [NOW]
    args = {
        "key": "streak:1:2026-W44:4",
        "ambassador_id": person.id,
        "kind": InteractionKind.STREAK_BONUS,
        "points": 25,
        "now": NOW,
    }
    assert await ports.recognition.award_once(**args) == 25
    assert await ports.recognition.award_once(**args) == 0
    assert await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == (35, 1)
    assert await ports.recognition.share_times(person.id) == [NOW]  # a bonus is no share


async def test_badges_once_per_person(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"}, name="Ada")
    b = await enrol(ports, 2, {"ai"}, name="Bob")
    assert await ports.recognition.earn(ambassador_id=a.id, badge=Badge.FIRST_SHARE, now=NOW)
    assert not await ports.recognition.earn(
        ambassador_id=a.id, badge=Badge.FIRST_SHARE, now=NOW + timedelta(hours=1)
    )
    later = NOW + timedelta(hours=2)
    assert await ports.recognition.earn(ambassador_id=a.id, badge=Badge.TOP_3_WEEK, now=later)
    assert await ports.recognition.earn(ambassador_id=b.id, badge=Badge.FIRST_SHARE, now=later)
    mine = await ports.recognition.badges_of(a.id)
    assert [(e.badge, e.earned_at) for e in mine] == [
        (Badge.FIRST_SHARE, NOW),
        (Badge.TOP_3_WEEK, later),
    ]
    window = await ports.recognition.badges_between(start=NOW + timedelta(hours=1), end=later)
    assert window == []
    window = await ports.recognition.badges_between(start=NOW, end=later + timedelta(seconds=1))
    assert [(e.display_name, e.badge) for e in window] == [
        ("Ada", Badge.FIRST_SHARE),
        ("Ada", Badge.TOP_3_WEEK),
        ("Bob", Badge.FIRST_SHARE),
    ]
    await ports.ambassadors.leave(ambassador_id=b.id, now=NOW)
    window = await ports.recognition.badges_between(start=NOW, end=later + timedelta(seconds=1))
    assert {e.display_name for e in window} == {"Ada"}  # people who left are not announced


async def test_racing_writers_award_once(ports: Any) -> None:
    """Two replicas (or an overlapping run) on the same visits, and a double badge."""
    person, link = await link_of(ports, 1)
    for minute in range(6):
        await record_visit(ports, link=link, is_bot=False, now=NOW + timedelta(minutes=minute))
    visits = await ports.recognition.pending_visits(since=NOW - timedelta(days=1), limit=10)

    async def run() -> list[int]:
        return [
            await ports.recognition.award_visit(
                visit=v,
                points=4,
                day=DAY,
                day_start=DAY_START,
                day_end=DAY_END,
                paid_per_day=3,
            )
            for v in visits
        ]

    first, second = await asyncio.gather(run(), run())
    assert sum(first) + sum(second) == 12  # three paid slots of 4, whoever won them
    assert await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == (12, 0)
    assert await ports.recognition.clicks_awarded(person.id) == 6
    wins = await asyncio.gather(
        *(
            ports.recognition.earn(ambassador_id=person.id, badge=Badge.SHARES_10, now=NOW)
            for _ in range(5)
        )
    )
    assert sum(wins) == 1
