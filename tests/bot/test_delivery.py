"""Fan-out of suggestion DMs: who gets what, what it looks like, and how failures are handled."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bot.delivery import SenderPolicy
from bot.errors import DeliveryFailed, RateLimited
from bot.model import (
    Audience,
    DeliveryStatus,
    FanOutReport,
    MessageRef,
    Network,
    Platform,
)
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
    assert await world.services.delivery.send_pending() == FanOutReport(sent=2)
    assert await world.services.delivery.send_pending() == FanOutReport()
    assert [user for user, _ in world.gateway.sent] == [person(1), person(3)]


async def test_content_for_everyone_reaches_every_active_ambassador(world: World) -> None:
    await world.join(1, topics=("engineering",))
    await world.join(2, topics=("careers",))
    await world.join(3, topics=("events",))
    await world.services.ambassadors.leave(person(3))
    await world.push(topics=(), audience=Audience.EVERYONE)
    await world.services.delivery.send_pending()
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
    await world.services.delivery.send_pending()
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
    await world.services.delivery.send_pending()
    texts = {
        d.variant: view.text
        for d, (_, view) in zip(world.deliveries(), world.gateway.sent, strict=True)
    }
    assert texts == {
        0: f"First take {PROGRAMME_HASHTAG}",
        1: f"Second take {PROGRAMME_HASHTAG}",
    }


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


async def test_rate_limited_waits_then_retries_the_same_person(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, RateLimited(7.5), RateLimited(2))
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(sent=3)
    assert world.sleep.waits == [7.5, 2]
    assert [user for user, _ in world.gateway.sent] == [person(1), person(2), person(3)]
    assert statuses(world) == [(DeliveryStatus.SENT, None)] * 3


async def test_a_huge_retry_after_is_capped(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, RateLimited(3_600))
    await world.services.delivery.send_pending()
    assert world.sleep.waits == [120.0]


async def test_endless_rate_limiting_pauses_the_pass_and_loses_nobody(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, *[RateLimited(1)] * 100)
    sender = world.sender(SenderPolicy(rate_limit_waits=3))
    report = await sender.send_pending()
    assert report == FanOutReport(sent=1)
    assert world.sleep.waits == [1, 1, 1]
    # Person 2 and everyone after them stay pending for the next pass: nothing is dropped.
    assert [d.status for d in world.deliveries()] == [
        DeliveryStatus.SENT,
        DeliveryStatus.PENDING,
        DeliveryStatus.PENDING,
    ]


async def test_a_permanent_failure_is_recorded_and_the_others_still_get_theirs(
    world: World,
) -> None:
    await three_engineers(world)
    world.gateway.fail(person(2).user_id, ACCOUNT_INACTIVE)
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(sent=2, failed=1, errors={"account_inactive": 1})
    assert statuses(world) == [
        (DeliveryStatus.SENT, None),
        (DeliveryStatus.FAILED, "account_inactive"),
        (DeliveryStatus.SENT, None),
    ]
    assert world.sleep.waits == []
    assert world.views_sent_to(2) == []


async def test_transient_failures_are_retried_with_backoff(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, TIMEOUT, TIMEOUT, TIMEOUT)
    assert await world.services.delivery.send_pending() == FanOutReport(sent=3)
    assert world.sleep.waits == [1.0, 2.0, 4.0]
    assert len(world.views_sent_to(1)) == 1


async def test_the_retry_policy_is_configurable(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, TIMEOUT, TIMEOUT)
    world.gateway.fail(person(2).user_id, RateLimited(90))
    policy = SenderPolicy(transient_retries=1, backoff_seconds=0.5, max_retry_after=30)
    report = await world.sender(policy).send_pending()
    assert report == FanOutReport(sent=2, failed=1, errors={"service_unavailable": 1})
    assert world.sleep.waits == [0.5, 30.0]


async def test_transient_failures_give_up_after_the_limit(world: World) -> None:
    await three_engineers(world)
    world.gateway.fail(person(1).user_id, TIMEOUT, TIMEOUT, TIMEOUT, TIMEOUT, TIMEOUT)
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(sent=2, failed=1, errors={"service_unavailable": 1})
    assert world.sleep.waits == [1.0, 2.0, 4.0]
    assert statuses(world)[0] == (DeliveryStatus.FAILED, "service_unavailable")
    assert world.gateway.failures[person(1).user_id] == [TIMEOUT]  # four attempts, no more


async def test_people_who_left_after_publishing_are_not_messaged(world: World) -> None:
    await three_engineers(world)
    await world.services.ambassadors.leave(person(1))
    await world.services.ambassadors.leave(person(3))
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(sent=1, failed=2, errors={"ambassador_left": 2})
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
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(sent=1, failed=1, errors={"platform_not_configured": 1})


async def test_a_vanished_content(world: World) -> None:
    await world.join(1)
    content = (await world.push()).content
    del world.ports.store.contents[content.id]
    report = await world.services.delivery.send_pending()
    assert report == FanOutReport(failed=1, errors={"content_missing": 1})
    assert world.gateway.sent == []


@pytest.mark.parametrize("batch", [1, 2, 100])
async def test_the_report_counts_every_outcome_whatever_the_batch(world: World, batch: int) -> None:
    for n in range(1, 6):
        await world.join(n)
    await world.push()
    await world.services.ambassadors.leave(person(5))
    world.gateway.fail(person(1).user_id, ACCOUNT_INACTIVE)
    world.gateway.fail(person(2).user_id, RateLimited(1))
    world.gateway.fail(person(3).user_id, DeliveryFailed("user_disabled", permanent=True))
    report = await world.sender(SenderPolicy(batch=batch)).send_pending()
    assert report == FanOutReport(
        sent=2,
        failed=3,
        errors={"account_inactive": 1, "user_disabled": 1, "ambassador_left": 1},
    )
    assert await world.ports.deliveries.pending(limit=10) == []
