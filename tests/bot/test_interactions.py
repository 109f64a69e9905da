"""Share clicks, confirmations, skips, reactions and tracked-link visits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.errors import NotYourSuggestion
from bot.interactions import InteractionService
from bot.model import (
    Ambassador,
    Delivery,
    MessageRef,
    Network,
    PlatformUser,
    ReactionEvent,
    RecordOutcome,
)
from bot.tracking import UTM_MEDIUM
from bot.views import SuggestionView
from tests.bot.builders import (
    CONFIRM_POINTS,
    CONTENT_URL,
    DEFAULT_CLICK_POINTS,
    LINKEDIN_POINTS,
    NOW,
    World,
    person,
)

CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
LINKEDIN_BOT = (
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
)
BOARD = MessageRef("CANNOUNCE", "1700000000.000200")

Action = Callable[[InteractionService, PlatformUser, int], Awaitable[RecordOutcome]]
ACTIONS: dict[str, Action] = {
    "share_click": lambda s, u, d: s.share_click(u, d, Network.LINKEDIN),
    "confirm_share": lambda s, u, d: s.confirm_share(u, d),
    "skip": lambda s, u, d: s.skip(u, d),
}


@pytest.fixture
async def suggested(world: World) -> tuple[Ambassador, Delivery]:
    """Person 1 (LinkedIn and X) has received one suggestion."""
    return await world.suggest(1, networks=("linkedin", "x"))


def last_update(world: World, delivery: Delivery) -> SuggestionView:
    message, view = world.gateway.updated[-1]
    assert message == delivery.message
    return view


def reaction(
    event_id: str, message: MessageRef, *, who: int = 1, added: bool = True
) -> ReactionEvent:
    return ReactionEvent(event_id, person(who), "thumbsup", message, added, NOW)


async def points_of(world: World, ambassador: Ambassador) -> int:
    points, _ = await world.ports.ledger.points_of(
        ambassador_id=ambassador.id, start=None, end=None
    )
    return points


# --- share clicks, confirmations, skips ---------------------------------------------------


async def test_a_share_click_is_recorded_and_the_dm_updated_in_place(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    outcome = await world.services.interactions.share_click(
        ambassador.user, delivery.id, Network.LINKEDIN
    )
    assert outcome == RecordOutcome(recorded=True, points_awarded=LINKEDIN_POINTS)
    view = last_update(world, delivery)
    assert view.clicked_networks == (Network.LINKEDIN,)
    assert [b.network for b in view.buttons] == [Network.LINKEDIN, Network.X]
    assert (view.points_earned, view.last_award) == (LINKEDIN_POINTS, LINKEDIN_POINTS)
    original = world.views_sent_to(1)[0].buttons  # same tracked links as the first DM
    assert view.buttons == tuple(
        replace(b, clicked=b.network is Network.LINKEDIN) for b in original
    )


async def test_each_network_is_recorded_once(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    interactions = world.services.interactions
    await interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
    x = await interactions.share_click(ambassador.user, delivery.id, Network.X)
    assert x == RecordOutcome(recorded=True, points_awarded=DEFAULT_CLICK_POINTS)
    view = last_update(world, delivery)
    assert view.clicked_networks == (Network.LINKEDIN, Network.X)
    assert (view.points_earned, view.last_award) == (
        LINKEDIN_POINTS + DEFAULT_CLICK_POINTS,
        DEFAULT_CLICK_POINTS,
    )


async def test_a_double_click_counts_once(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    interactions = world.services.interactions
    await interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
    world.clock.advance(timedelta(seconds=1))
    again = await interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
    assert again == RecordOutcome(recorded=False, points_awarded=0)
    assert len(world.gateway.updated) == 1
    assert await points_of(world, ambassador) == LINKEDIN_POINTS


async def test_confirming_a_share(world: World, suggested: tuple[Ambassador, Delivery]) -> None:
    ambassador, delivery = suggested
    interactions = world.services.interactions
    outcome = await interactions.confirm_share(ambassador.user, delivery.id)
    assert outcome == RecordOutcome(recorded=True, points_awarded=CONFIRM_POINTS)
    view = last_update(world, delivery)
    assert (view.confirmed, view.skipped, view.points_earned) == (True, False, CONFIRM_POINTS)
    assert (await interactions.confirm_share(ambassador.user, delivery.id)).recorded is False
    assert len(world.gateway.updated) == 1
    assert await world.ports.ledger.points_of(
        ambassador_id=ambassador.id, start=None, end=None
    ) == (CONFIRM_POINTS, 1)


async def test_skipping(world: World, suggested: tuple[Ambassador, Delivery]) -> None:
    ambassador, delivery = suggested
    outcome = await world.services.interactions.skip(ambassador.user, delivery.id)
    assert outcome == RecordOutcome(recorded=True, points_awarded=0)
    view = last_update(world, delivery)
    assert (view.skipped, view.confirmed, view.points_earned, view.last_award) == (
        True,
        False,
        0,
        0,
    )
    assert await points_of(world, ambassador) == 0


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
@pytest.mark.parametrize("who", [2, 99], ids=["another-ambassador", "not-an-ambassador"])
async def test_someone_elses_suggestion(
    world: World, suggested: tuple[Ambassador, Delivery], action: Action, who: int
) -> None:
    await world.join(2, topics=("careers",))
    _, delivery = suggested
    with pytest.raises(NotYourSuggestion) as caught:
        await action(world.services.interactions, person(who), delivery.id)
    assert caught.value.notice.key == "not_your_suggestion"
    assert world.ports.store.interactions == {}
    assert world.gateway.updated == []


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
async def test_an_unknown_suggestion(
    world: World, suggested: tuple[Ambassador, Delivery], action: Action
) -> None:
    ambassador, _ = suggested
    with pytest.raises(NotYourSuggestion):
        await action(world.services.interactions, ambassador.user, 987_654)


async def test_a_click_on_an_unsent_suggestion_is_recorded_without_update(world: World) -> None:
    ambassador = await world.join(1)
    await world.push()
    delivery = world.delivery_of(ambassador)
    outcome = await world.services.interactions.share_click(ambassador.user, delivery.id, Network.X)
    assert outcome.recorded
    assert world.gateway.updated == []


# --- reactions ----------------------------------------------------------------------------


async def test_a_reaction_on_a_suggestion_dm_counts_once_per_event(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    assert delivery.message is not None
    interactions = world.services.interactions
    first = await interactions.reaction(reaction("Ev1", delivery.message))
    assert first == RecordOutcome(recorded=True, points_awarded=world.programme.points.reaction)
    assert await interactions.reaction(reaction("Ev1", delivery.message)) == RecordOutcome(
        recorded=False, points_awarded=0
    )
    removed = await interactions.reaction(reaction("Ev2", delivery.message, added=False))
    added_again = await interactions.reaction(reaction("Ev3", delivery.message))
    assert (removed, added_again) == (RecordOutcome(True, 0), RecordOutcome(True, 0))
    assert await points_of(world, ambassador) == world.programme.points.reaction


async def test_a_reaction_on_a_remembered_bot_message_counts(world: World) -> None:
    await world.join(1)
    await world.ports.bot_messages.remember(message=BOARD, kind="leaderboard", now=NOW)
    interactions = world.services.interactions
    assert (await interactions.reaction(reaction("Ev1", BOARD))).recorded
    assert (await interactions.reaction(reaction("Ev2", BOARD, who=42))).recorded
    assert not (await interactions.reaction(reaction("Ev2", BOARD, who=42))).recorded
    assert set(world.ports.store.reactions) == {"Ev1", "Ev2"}


async def test_a_reaction_on_any_other_message_is_ignored(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    elsewhere = MessageRef("CRANDOM", "1700000000.000300")
    outcome = await world.services.interactions.reaction(reaction("Ev1", elsewhere))
    assert outcome == RecordOutcome(recorded=False, points_awarded=0)
    assert world.ports.store.reactions == {}


# --- tracked-link visits ------------------------------------------------------------------


def token_for(world: World, delivery: Delivery, network: Network) -> str:
    (token,) = (
        t
        for t, link in world.ports.store.links.items()
        if link.delivery_id == delivery.id and link.network is network
    )
    return token


@pytest.mark.parametrize("network", [Network.LINKEDIN, Network.X])
async def test_a_visit_redirects_to_the_content_with_utm_tags(
    world: World, suggested: tuple[Ambassador, Delivery], network: Network
) -> None:
    ambassador, delivery = suggested
    token = token_for(world, delivery, network)
    target = await world.services.interactions.visit(token, user_agent=CHROME)
    assert target is not None
    assert target.startswith(f"{CONTENT_URL}?")
    assert dict(parse_qsl(urlsplit(target).query)) == {
        "utm_source": network.value,
        "utm_medium": UTM_MEDIUM,
        "utm_campaign": f"our-launch-{delivery.content_id}",
        "utm_content": ambassador.ref,
    }
    assert [(link.token, is_bot) for link, is_bot in world.ports.store.visits] == [(token, False)]


async def test_a_crawler_visit_is_recorded_as_a_bot(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    _, delivery = suggested
    token = token_for(world, delivery, Network.LINKEDIN)
    interactions = world.services.interactions
    for agent in (LINKEDIN_BOT, None, CHROME):
        assert await interactions.visit(token, user_agent=agent) is not None
    assert [is_bot for _, is_bot in world.ports.store.visits] == [True, True, False]


@pytest.mark.parametrize(
    "token",
    ["UnknownToken_123", "../../etc/passwd", "", "x" * 500, "abc/def/ghi", "tok'en\"12"],
)
async def test_an_unknown_or_malformed_token_leads_nowhere(
    world: World, suggested: tuple[Ambassador, Delivery], token: str
) -> None:
    assert await world.services.interactions.visit(token, user_agent=CHROME) is None
    assert world.ports.store.visits == []
