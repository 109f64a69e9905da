"""``LinkVisitLog`` contract: the fake, SQLite and PostgreSQL count visits the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.links import LinkRequest, LinkService, LinkState, VisitorKeys
from bot.model import LinkGrouping, LinkStats, LinkVisit, Network
from tests.bot.fakes import link_visit
from tests.content_store.test_contract import NOW, claim_all, content, enrol

PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"


@pytest.fixture
def visits(ports: Any) -> Any:
    return ports.link_visits


async def links_of(ports: Any, n: int) -> tuple[Any, dict[Network, Any]]:
    """Ambassadors 1..n enrolled, one content published and sent: their tracked links."""
    for i in range(1, n + 1):
        await enrol(ports, i, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    found: dict[Network, Any] = {}
    for delivery in await claim_all(ports):
        links = await ports.deliveries.tracked_links(
            delivery=delivery, networks=[Network.LINKEDIN, Network.X]
        )
        found.setdefault(links[Network.LINKEDIN].ambassador_id, links)
    return item, found


def visit(link: Any, n: int, *, key: str | None, bot: bool = False, at: Any = NOW) -> LinkVisit:
    return link_visit(link, at=at, is_bot=bot, visitor_key=key, visit_id=f"v{n:06d}")


async def test_distinct_visitors_clicks_and_bots_per_group(ports: Any, visits: Any) -> None:
    item, by_ambassador = await links_of(ports, 2)
    first, second = (by_ambassador[a] for a in sorted(by_ambassador))
    rows = [
        visit(first[Network.LINKEDIN], 1, key="a"),
        visit(first[Network.LINKEDIN], 2, key="a"),  # the same visitor again
        visit(first[Network.LINKEDIN], 3, key="b"),
        visit(first[Network.X], 4, key="a"),  # same visitor, other link of the content
        visit(first[Network.X], 5, key=None, bot=True),
        visit(second[Network.LINKEDIN], 6, key="c"),
        visit(second[Network.LINKEDIN], 7, key=None, bot=True),
        visit(second[Network.LINKEDIN], 8, key=None, bot=True),
    ]
    assert await visits.record_visits(rows) == 8
    assert await visits.link_stats(by=LinkGrouping.CONTENT) == [
        LinkStats(key=int(item.id), clicks=5, unique_visitors=3, bot_hits=3)
    ]
    assert await visits.link_stats(by=LinkGrouping.NETWORK) == [
        LinkStats(key="linkedin", clicks=4, unique_visitors=3, bot_hits=2),
        LinkStats(key="x", clicks=1, unique_visitors=1, bot_hits=1),
    ]
    a1 = int(first[Network.LINKEDIN].ambassador_id)
    a2 = int(second[Network.LINKEDIN].ambassador_id)
    assert await visits.link_stats(by=LinkGrouping.AMBASSADOR) == [
        LinkStats(key=a1, clicks=4, unique_visitors=2, bot_hits=1),
        LinkStats(key=a2, clicks=1, unique_visitors=1, bot_hits=2),
    ]
    per_link = {s.key: s for s in await visits.link_stats(by=LinkGrouping.LINK)}
    assert per_link[first[Network.LINKEDIN].token] == LinkStats(
        first[Network.LINKEDIN].token, clicks=3, unique_visitors=2, bot_hits=0
    )


async def test_a_visit_written_twice_is_stored_once(ports: Any, visits: Any) -> None:
    _, by_ambassador = await links_of(ports, 1)
    (links,) = by_ambassador.values()
    batch = [visit(links[Network.X], n, key=f"k{n}") for n in range(3)]
    assert await visits.record_visits(batch) == 3
    # A retried batch (its commit's answer was lost), partly overlapping a new one.
    assert await visits.record_visits([*batch, visit(links[Network.X], 9, key="k9")]) == 1
    assert await visits.record_visits([]) == 0
    (stats,) = await visits.link_stats(by=LinkGrouping.NETWORK)
    assert (stats.clicks, stats.unique_visitors) == (4, 4)


async def test_window_and_content_filter(ports: Any, visits: Any) -> None:
    item, by_ambassador = await links_of(ports, 1)
    (links,) = by_ambassador.values()
    link = links[Network.LINKEDIN]
    day = timedelta(days=1)
    await visits.record_visits(
        [
            visit(link, 1, key="a", at=NOW - day),
            visit(link, 2, key="a", at=NOW),
            visit(link, 3, key=None, bot=True, at=NOW + day),
        ]
    )
    assert await visits.link_stats(by=LinkGrouping.CONTENT, start=NOW, end=NOW + day) == [
        LinkStats(key=int(item.id), clicks=1, unique_visitors=1, bot_hits=0)
    ]
    assert await visits.link_stats(by=LinkGrouping.CONTENT, start=NOW + 2 * day) == []
    other = await visits.link_stats(by=LinkGrouping.CONTENT, content_id=item.id + 1000)
    assert other == []


async def test_the_service_records_each_visit_once(ports: Any, visits: Any) -> None:
    """Through LinkService on the real store: people, a preview bot and a HEAD request."""
    _, by_ambassador = await links_of(ports, 1)
    (links,) = by_ambassador.values()
    token = links[Network.LINKEDIN].token
    service = LinkService(
        visits=visits,
        keys=VisitorKeys(b"k" * 32),
        clock=FixedClock(NOW),
    )
    service.start()
    answers = [
        await service.follow(LinkRequest(token, PERSON, "203.0.113.7")),
        await service.follow(LinkRequest(token, PERSON, "203.0.113.7")),
        await service.follow(LinkRequest(token, PERSON, "198.51.100.2")),
        await service.follow(LinkRequest(token, "LinkedInBot/1.0", "108.174.2.1")),
        await service.follow(LinkRequest(token, PERSON, "203.0.113.7", method="HEAD")),
    ]
    await service.stop()
    assert {a.state for a in answers} == {LinkState.REDIRECT}
    assert await service.stats(by=LinkGrouping.LINK) == [
        LinkStats(key=token, clicks=3, unique_visitors=2, bot_hits=2)
    ]


async def test_resolve_a_token(ports: Any, visits: Any) -> None:
    item, by_ambassador = await links_of(ports, 1)
    (links,) = by_ambassador.values()
    link = links[Network.X]
    found = await visits.resolve(link.token)
    assert found is not None
    resolved, content, ref = found
    assert resolved == link
    assert content.url == "https://example.com/post" and content.id == item.id
    ambassador = await ports.ambassadors.get(link.ambassador_id)
    assert ref == ambassador.ref and ref
    assert await visits.resolve("Unknown-token-1") is None
