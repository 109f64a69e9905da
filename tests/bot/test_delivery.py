"""Fan-out of suggestion DMs: who gets what, what it looks like, and how failures are handled."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from bot.errors import DeliveryFailed, RateLimited
from bot.model import (
    Audience,
    DeliveryStatus,
    MessageRef,
    Network,
    Platform,
)
from bot.sender import DrainReport, SenderSettings
from tests.bot.builders import (
    CONTENT_URL,
    NOW,
    PROGRAMME_HASHTAG,
    World,
    person,
    tracked_tokens,
)

ACCOUNT_INACTIVE = DeliveryFailed("account_inactive", permanent=True)
TIMEOUT = DeliveryFailed("service_unavailable", permanent=False)


async def three_engineers(world: World) -> None:
    """People 1-3 follow engineering; a post on it is published."""
    for n in (1, 2, 3):
        await world.join(n)
    await world.push()


def statuses(world: World) -> list[tuple[DeliveryStatus, str | None]]:
    return [(d.status, d.error) for d in world.deliveries()]


# --- who gets a suggestion ----------------------------------------------------------------


async def test_only_matching_ambassadors_get_exactly_one_suggestion(world: World) -> None:
    await world.join(1, topics=("engineering",))
    await world.join(2, topics=("careers",))
    await world.join(3, topics=("careers", "engineering"))
    await world.push(topics=("engineering",))
    assert (await world.services.sender.drain_all()).sent == 2
    assert (await world.services.sender.drain_all()).sent == 0
    assert [user for user, _ in world.gateway.sent] == [person(1), person(3)]


async def test_content_for_everyone_reaches_every_active_ambassador(world: World) -> None:
    await world.join(1, topics=("engineering",))
    await world.join(2, topics=("careers",))
    await world.join(3, topics=("events",))
    await world.services.ambassadors.leave(person(3))
    await world.push(topics=(), audience=Audience.EVERYONE)
    await world.services.sender.drain_all()
    assert [user for user, _ in world.gateway.sent] == [person(1), person(2)]


async def test_a_sent_suggestion_records_where_it_went(world: World) -> None:
    ambassador, delivery = await world.suggest(1)
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.message == MessageRef(f"D{ambassador.user.user_id}", "1.000100")
    assert delivery.sent_at == NOW
    assert await world.ports.deliveries.find_by_message(delivery.message) == delivery


# --- what the suggestion looks like -------------------------------------------------------


async def test_the_view_shows_the_content_and_the_chosen_text(world: World) -> None:
    await world.join(1, name="Ada Lovelace", locale="fr")
    await world.push(texts=("Hi {first_name}, read {title}",), hashtags="#launch")
    await world.services.sender.drain_all()
    (view,) = world.views_sent_to(1)
    assert (view.first_name, view.locale, view.title, view.summary, view.content_url) == (
        "Ada",
        "fr",
        "Our launch",
        "What we built",
        CONTENT_URL,
    )
    assert view.text == f"Hi Ada, read Our launch #launch {PROGRAMME_HASHTAG}"
    assert view.delivery_id == world.deliveries()[0].id
    assert (view.confirmed, view.skipped, view.points_earned, view.last_award) == (
        False,
        False,
        0,
        0,
    )


async def test_text_variants_rotate_between_ambassadors(world: World) -> None:
    for n in (1, 2, 3):
        await world.join(n)
    await world.push(texts=("First take", "Second take"))
    await world.services.sender.drain_all()
    texts = [
        (d.variant, view.text)
        for d, (_, view) in zip(world.deliveries(), world.gateway.sent, strict=True)
    ]
    # The variant is each person's ordinal in the fan-out: the texts take turns.
    assert sorted(texts) == [
        (0, f"First take {PROGRAMME_HASHTAG}"),
        (1, f"Second take {PROGRAMME_HASHTAG}"),
        (2, f"First take {PROGRAMME_HASHTAG}"),
    ]


async def test_one_button_per_network_in_the_programmes_order(world: World) -> None:
    await world.suggest(1, networks=("bluesky", "linkedin", "facebook", "x"))
    (view,) = world.views_sent_to(1)
    assert [b.network for b in view.buttons] == [
        Network.LINKEDIN,
        Network.X,
        Network.FACEBOOK,
        Network.BLUESKY,
    ]
    assert view.clicked_networks == ()


async def test_each_button_opens_its_network_with_its_own_tracked_link(world: World) -> None:
    _, delivery = await world.suggest(1, networks=("linkedin", "x", "bluesky"))
    (view,) = world.views_sent_to(1)
    hosts = {
        Network.LINKEDIN: "www.linkedin.com",
        Network.X: "twitter.com",
        Network.BLUESKY: "bsky.app",
    }
    tokens = []
    for button in view.buttons:
        assert urlsplit(button.intent_url).netloc == hosts[button.network]
        (token,) = tracked_tokens(button.intent_url)
        link = world.ports.store.links[token]
        assert (link.network, link.delivery_id, link.ambassador_id) == (
            button.network,
            delivery.id,
            delivery.ambassador_id,
        )
        assert CONTENT_URL not in button.intent_url  # never the bare content URL
        tokens.append(token)
    assert len(set(tokens)) == 3


# --- failures -----------------------------------------------------------------------------


async def drain(world: World, settings: SenderSettings | None = None) -> DrainReport:
    sender = world.sender(settings) if settings else world.services.sender
    return await sender.drain_all()


async def test_a_429_blocks_the_whole_workspace_and_requeues_the_person(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, RateLimited(7.5))
    report = await drain(world)
    assert (report.sent, report.rate_limited) == (2, 1)
    # Person 3 waited out the block: nobody sent during the Retry-After.
    assert 7.5 in world.sleep.waits
    assert statuses(world)[1] == (DeliveryStatus.PENDING, "ratelimited")
    assert world.deliveries()[1].attempts == 0  # a 429 does not use up an attempt
    world.clock.advance(timedelta(seconds=8))
    assert (await drain(world)).sent == 1
    assert [user for user, _ in world.gateway.sent] == [person(1), person(3), person(2)]


async def test_a_huge_retry_after_is_capped(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, RateLimited(3_600))
    await drain(world)
    assert max(world.sleep.waits) == 60.0


async def test_a_permanent_refusal_marks_the_person_unreachable(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, ACCOUNT_INACTIVE)
    report = await drain(world)
    assert (report.sent, report.failed) == (2, 1)
    assert statuses(world)[1] == (DeliveryStatus.FAILED, "account_inactive")
    gone = await world.ports.ambassadors.get_by_user(person(2))
    assert gone is not None and gone.unreachable
    second = await world.push()  # the next post skips them entirely
    assert second.published is not None and second.published.deliveries_created == 2


async def test_a_permanent_refusal_that_is_not_about_the_person(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, DeliveryFailed("invalid_blocks", permanent=True))
    await drain(world)
    still = await world.ports.ambassadors.get_by_user(person(2))
    assert still is not None and not still.unreachable


async def test_transient_failures_come_back_after_a_jittered_backoff(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, TIMEOUT, TIMEOUT)
    assert (await drain(world)).retried == 1
    first = world.deliveries()[0]
    assert (first.status, first.error, first.attempts) == (
        DeliveryStatus.PENDING,
        "service_unavailable",
        1,
    )
    world.clock.advance(timedelta(seconds=2))  # backoff 2 s x (0.5 to 1) has passed
    assert (await drain(world)).retried == 1
    world.clock.advance(timedelta(seconds=4))
    assert (await drain(world)).sent == 1
    assert world.deliveries()[0].attempts == 3


def test_backoff_grows_caps_and_jitters(world: World) -> None:
    sender = world.sender(SenderSettings(backoff_base=2, backoff_max=60))
    values = [sender.backoff(n) for n in range(1, 9)]
    assert all(b <= 60 for b in values)
    assert values[0] <= 2 and values[3] >= 8 * 0.5  # 2, 4, 8, 16 ... times 0.5-1
    assert values[-1] >= 30  # capped at 60, at least half of it


async def test_transient_failures_are_dead_lettered_after_the_limit(world: World) -> None:
    await world.join(1)
    await world.push()
    world.gateway.fail(person(1).user_id, *[TIMEOUT] * 10)
    settings = SenderSettings(max_attempts=3, backoff_base=1, backoff_max=1)
    for _ in range(3):
        await drain(world, settings)
        world.clock.advance(timedelta(seconds=2))
    assert statuses(world) == [(DeliveryStatus.DEAD, "service_unavailable")]
    assert world.deliveries()[0].attempts == 3
    assert (await drain(world, settings)).sent == 0  # nothing more is tried


async def test_people_who_left_after_publishing_are_not_messaged(world: World) -> None:
    await three_engineers(world)
    await world.services.ambassadors.leave(person(1))
    await world.services.ambassadors.leave(person(3))
    report = await drain(world)
    assert (report.sent, report.failed) == (1, 2)
    assert statuses(world) == [
        (DeliveryStatus.FAILED, "ambassador_left"),
        (DeliveryStatus.SENT, None),
        (DeliveryStatus.FAILED, "ambassador_left"),
    ]
    assert [user for user, _ in world.gateway.sent] == [person(2)]


async def test_a_person_on_a_platform_without_gateway(world: World) -> None:
    await world.join(1, platform=Platform.TEAMS)
    await world.join(2)
    await world.push()
    report = await drain(world)
    assert (report.sent, report.failed) == (1, 1)
    assert ("failed", "platform_not_configured") in [
        (d.status.value, d.error) for d in world.deliveries()
    ]


async def test_a_vanished_content(world: World) -> None:
    await world.join(1)
    content = (await world.push()).content
    del world.ports.store.contents[content.id]
    report = await drain(world)
    assert report.failed == 1
    assert statuses(world) == [(DeliveryStatus.FAILED, "content_missing")]
    assert world.gateway.sent == []


@pytest.mark.parametrize("in_flight", [1, 2, 5])
async def test_every_outcome_is_counted_whatever_the_concurrency(
    world: World, in_flight: int
) -> None:
    for n in range(1, 6):
        await world.join(n)
    await world.push()
    await world.services.ambassadors.leave(person(5))
    world.gateway.fail(person(1).user_id, ACCOUNT_INACTIVE)
    world.gateway.fail(person(2).user_id, RateLimited(1))
    world.gateway.fail(person(3).user_id, DeliveryFailed("user_disabled", permanent=True))
    report = await drain(world, SenderSettings(in_flight=in_flight))
    assert (report.sent, report.failed, report.rate_limited) == (1, 3, 1)
    assert (await world.ports.queue.counts())["claimed"] == 0


async def test_a_lapsed_claim_still_under_way_here_is_not_sent_twice(world: World) -> None:
    await world.join(1)
    await world.join(2)
    await world.push()
    sender = world.sender(SenderSettings(lock_for=timedelta(seconds=1)))
    queue = world.ports.queue
    epoch = await queue.acquire_lease(
        workspace="slack:T1", holder=sender.holder, now=NOW, ttl=timedelta(seconds=30)
    )
    assert epoch is not None
    (first, _) = await queue.claim(
        workspace="slack:T1",
        holder=sender.holder,
        epoch=epoch,
        now=NOW,
        limit=2,
        lock_for=timedelta(seconds=1),
    )
    sender._claimed.add(first.id)  # still waiting in this process (a long 429 block)
    await queue.release_claims(holder=sender.holder, delivery_ids=[_.id])
    world.clock.advance(timedelta(seconds=5))  # first's lock lapsed: claimable again
    report = await sender.drain_all()
    assert report.sent == 1  # only the other one
    assert [u for u, _ in world.gateway.sent] == [person(2)]


async def test_leases_are_given_back_even_when_nothing_was_sent(world: World) -> None:
    await world.join(1)
    await world.push(expires_at=NOW + timedelta(minutes=1))
    world.clock.advance(timedelta(minutes=2))  # expired: claimed, never sent
    sender = world.sender(SenderSettings())
    assert (await sender.drain_all()).expired == 1
    assert "slack:T1" in world.ports.store.leases
    await sender.release_leases()
    assert world.ports.store.leases == {}
