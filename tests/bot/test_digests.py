"""Daily and weekly digests: suggestions held for one DM at the person's digest time."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.errors import DeliveryFailed, RateLimited
from bot.model import DeliveryStatus, Network
from bot.policy import next_digest_slot
from bot.sender import DIGEST_ITEMS, preferences_of
from tests.bot.builders import World, person


async def digest_reader(world: World, n: int = 1, mode: str = "daily") -> None:
    ambassador = await world.join(n)
    world.ports.store.ambassadors_by_id[ambassador.id] = replace(
        ambassador, delivery_mode=mode, timezone="Europe/Paris"
    )


async def at_next_slot(world: World, n: int = 1) -> None:
    ambassador = await world.ports.ambassadors.get_by_user(person(n))
    assert ambassador is not None
    world.clock.set(next_digest_slot(world.clock.now(), preferences_of(ambassador)))


async def test_suggestions_wait_for_the_digest_and_go_out_in_one_dm(world: World) -> None:
    await digest_reader(world)
    await world.push(title="First")
    await world.push(title="Second")
    report = await world.services.sender.drain_all()
    assert (report.sent, report.deferred) == (0, 2)
    assert world.gateway.sent == [] and world.gateway.digests == []
    await at_next_slot(world)
    assert (await world.services.sender.drain_all()).sent == 2
    ((user, view),) = world.gateway.digests
    assert user == person(1)
    assert [item.title for item in view.items] == ["First", "Second"]
    first, second = world.deliveries()
    assert first.status is second.status is DeliveryStatus.SENT
    assert first.message == second.message  # one DM holds both
    assert world.gateway.sent == []


async def test_important_content_skips_the_digest(world: World) -> None:
    await digest_reader(world)
    await world.push(important=True)
    assert (await world.services.sender.drain_all()).sent == 1
    assert len(world.gateway.sent) == 1


async def test_a_click_in_a_digest_redraws_the_whole_digest(world: World) -> None:
    await digest_reader(world)
    await world.push(title="First")
    await world.push(title="Second")
    await world.services.sender.drain_all()
    await at_next_slot(world)
    await world.services.sender.drain_all()
    second = world.deliveries()[1]
    await world.services.interactions.share_click(person(1), second.id, Network.LINKEDIN)
    ((message, view),) = world.gateway.digest_updates
    assert message == second.message
    assert [bool(item.clicked_networks) for item in view.items] == [False, True]
    assert view.items[1].last_award > 0
    assert world.gateway.updated == []


async def test_a_full_digest_leaves_the_rest_for_the_next_one(world: World) -> None:
    await digest_reader(world, mode="weekly")
    for n in range(DIGEST_ITEMS + 2):
        await world.push(title=f"Post {n}")
    await world.services.sender.drain_all()
    await at_next_slot(world)
    await world.services.sender.drain_all()
    ((_, view),) = world.gateway.digests
    assert (len(view.items), view.remaining) == (DIGEST_ITEMS, 2)
    states = [d.status for d in world.deliveries()]
    assert states.count(DeliveryStatus.SENT) == DIGEST_ITEMS
    assert states.count(DeliveryStatus.PENDING) == 2
    world.clock.advance(timedelta(days=7))
    await world.services.sender.drain_all()
    assert len(world.gateway.digests) == 2
    assert len(world.gateway.digests[1][1].items) == 2


async def test_a_rate_limited_digest_stays_a_digest(world: World) -> None:
    await digest_reader(world)
    await world.push(title="First")
    await world.push(title="Second")
    await world.services.sender.drain_all()
    await at_next_slot(world)
    world.gateway.fail(person(1).user_id, RateLimited(5))
    assert (await world.services.sender.drain_all()).rate_limited == 1
    assert [d.error for d in world.deliveries()] == ["digest", "digest"]
    world.clock.advance(timedelta(seconds=6))
    assert (await world.services.sender.drain_all()).sent == 2
    assert len(world.gateway.digests) == 1


async def test_a_digest_too_big_for_the_platform_is_split_not_dropped(world: World) -> None:
    await digest_reader(world)
    for n in range(4):
        await world.push(title=f"Item {n}", url=f"https://example.com/{n}")
    await world.services.sender.drain_all()
    await at_next_slot(world)
    # Teams refuses the card (over 28 KB), then the half fits.
    world.gateway.fail(person(1).user_id, DeliveryFailed("MessageSizeTooBig", permanent=True))
    report = await world.services.sender.drain_all()
    assert report.sent == 4  # the second half goes at once, as a digest of its own
    assert [len(view.items) for _, view in world.gateway.digests] == [2, 2]
    assert {d.status for d in world.deliveries()} == {DeliveryStatus.SENT}
    assert report.failed == 0
