"""Share clicks, confirmations, skips, reactions and tracked-link visits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from bot.errors import GatewayError, NotYourSuggestion
from bot.interactions import InteractionService
from bot.model import (
    Ambassador,
    Delivery,
    InteractionEntry,
    MessageRef,
    Network,
    PlatformUser,
    ReactionEvent,
    RecordOutcome,
)
from bot.policy import next_digest_slot
from bot.sender import preferences_of
from bot.views import SuggestionView
from tests.bot.builders import (
    CONFIRM_POINTS,
    DEFAULT_CLICK_POINTS,
    LINKEDIN_POINTS,
    NOW,
    World,
    person,
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


# --- started: clicks recorded in batches, DMs redrawn in the background ----------------------


@dataclass
class UpdateProbe:
    """Wraps the gateway's ``update_suggestion``: counts redraws in progress per message and
    can hold the first one until ``release`` is set."""

    original: Callable[[MessageRef, SuggestionView], Awaitable[None]]
    hold_first: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0
    active: dict[MessageRef, int] = field(default_factory=dict)
    most_at_once: int = 0

    async def __call__(self, message: MessageRef, view: SuggestionView) -> None:
        self.calls += 1
        first = self.calls == 1
        self.active[message] = self.active.get(message, 0) + 1
        self.most_at_once = max(self.most_at_once, self.active[message])
        self.started.set()
        try:
            if first and self.hold_first:
                await self.release.wait()
            await self.original(message, view)
        finally:
            self.active[message] -= 1


def count_record_many(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on the ledger's one-transaction write: the number of entries of each call."""
    calls: list[int] = []
    original = world.ports.ledger.record_many

    async def counting(
        entries: Sequence[InteractionEntry], *, now: datetime
    ) -> Sequence[RecordOutcome]:
        calls.append(len(entries))
        return await original(entries, now=now)

    monkeypatch.setattr(world.ports.ledger, "record_many", counting)
    return calls


def background_tasks() -> set[str]:
    """Names of the interaction service's live background tasks."""
    names = {t.get_name() for t in asyncio.all_tasks() if not t.done()}
    return {n for n in names if n == "click-batch" or n.startswith("dm-redraw")}


def updates_of(world: World, message: MessageRef | None) -> list[SuggestionView]:
    return [view for m, view in world.gateway.updated if m == message]


async def everyone_suggested(world: World, people: Sequence[int]) -> dict[int, Delivery]:
    """These people join (LinkedIn and X), one post is pushed and delivered to all."""
    ambassadors = [await world.join(n, networks=("linkedin", "x")) for n in people]
    await world.push()
    await world.services.sender.drain_all()
    found = {n: world.delivery_of(a) for n, a in zip(people, ambassadors, strict=True)}
    assert all(d.message is not None for d in found.values())
    return found


async def test_started_concurrent_clicks_share_a_batch_and_count_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = (1, 2, 3, 4)
    deliveries = await everyone_suggested(world, people)
    transactions = count_record_many(world, monkeypatch)
    interactions = world.services.interactions
    clicks: list[tuple[str, Awaitable[RecordOutcome]]] = []
    for n in people:  # each with a double click on LinkedIn and a double confirmation
        user, delivery_id = person(n), deliveries[n].id
        clicks += [
            (f"{n}:linkedin", interactions.share_click(user, delivery_id, Network.LINKEDIN)),
            (f"{n}:x", interactions.share_click(user, delivery_id, Network.X)),
            (f"{n}:linkedin", interactions.share_click(user, delivery_id, Network.LINKEDIN)),
            (f"{n}:confirm", interactions.confirm_share(user, delivery_id)),
            (f"{n}:confirm", interactions.confirm_share(user, delivery_id)),
        ]
    clicks.insert(7, ("stranger", interactions.share_click(person(2), deliveries[1].id, Network.X)))
    clicks.insert(3, ("outsider", interactions.skip(person(99), deliveries[3].id)))
    clicks.append(("unknown", interactions.confirm_share(person(4), 987_654)))
    interactions.start()
    try:
        results = await asyncio.gather(*(c for _, c in clicks), return_exceptions=True)
    finally:
        await interactions.stop()

    assert transactions == [len(clicks) - 3]  # one transaction, strangers left out
    points = {"linkedin": LINKEDIN_POINTS, "x": DEFAULT_CLICK_POINTS, "confirm": CONFIRM_POINTS}
    seen: set[str] = set()
    for (what, _), result in zip(clicks, results, strict=True):
        if what in ("stranger", "outsider", "unknown"):
            assert isinstance(result, NotYourSuggestion), what
        elif what in seen:  # the second of a double click
            assert result == RecordOutcome(recorded=False, points_awarded=0), what
        else:
            seen.add(what)
            assert result == RecordOutcome(True, points[what.split(":")[1]]), what
    total = LINKEDIN_POINTS + DEFAULT_CLICK_POINTS + CONFIRM_POINTS
    for n in people:
        delivery = deliveries[n]
        recorded = await world.ports.ledger.for_delivery(delivery.id)
        assert sorted((i.kind.value, i.network.value if i.network else "") for i in recorded) == [
            ("confirmed_share", ""),
            ("share_click", "linkedin"),
            ("share_click", "x"),
        ]
        ambassador = await world.ports.ambassadors.get_by_user(person(n))
        assert ambassador is not None
        assert await points_of(world, ambassador) == total
        # Five clicks on one message that came together: one redraw, showing all of them.
        (view,) = updates_of(world, delivery.message)
        assert view.clicked_networks == (Network.LINKEDIN, Network.X)
        assert (view.confirmed, view.points_earned, view.last_award) == (True, total, total)
    assert len(world.gateway.updated) == len(people)


async def test_started_a_click_during_a_redraw_gets_one_more_redraw_after_it(
    world: World, suggested: tuple[Ambassador, Delivery], monkeypatch: pytest.MonkeyPatch
) -> None:
    ambassador, delivery = suggested
    probe = UpdateProbe(world.gateway.update_suggestion, hold_first=True)
    monkeypatch.setattr(world.gateway, "update_suggestion", probe)
    interactions = world.services.interactions
    interactions.start()
    try:
        first = await interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
        assert first == RecordOutcome(True, LINKEDIN_POINTS)  # acked before the redraw
        await probe.started.wait()  # the first redraw is under way, held
        x = await interactions.share_click(ambassador.user, delivery.id, Network.X)
        confirmed = await interactions.confirm_share(ambassador.user, delivery.id)
        assert (x.recorded, confirmed.recorded) == (True, True)
        for _ in range(20):
            await asyncio.sleep(0)
        assert probe.calls == 1  # not redrawn again while the first redraw runs
        probe.release.set()
    finally:
        await interactions.stop()
    assert probe.most_at_once == 1
    before, after = updates_of(world, delivery.message)
    assert (before.clicked_networks, before.last_award) == ((Network.LINKEDIN,), LINKEDIN_POINTS)
    assert after.clicked_networks == (Network.LINKEDIN, Network.X)
    assert after.confirmed
    assert after.last_award == DEFAULT_CLICK_POINTS + CONFIRM_POINTS  # the two merged
    assert after.points_earned == LINKEDIN_POINTS + DEFAULT_CLICK_POINTS + CONFIRM_POINTS


async def test_started_a_failed_redraw_is_logged_and_the_click_still_counts(
    world: World,
    suggested: tuple[Ambassador, Delivery],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ambassador, delivery = suggested
    original = world.gateway.update_suggestion
    failures = [GatewayError("message_not_found")]

    async def flaky(message: MessageRef, view: SuggestionView) -> None:
        if failures:
            raise failures.pop()
        await original(message, view)

    monkeypatch.setattr(world.gateway, "update_suggestion", flaky)
    interactions = world.services.interactions
    interactions.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.batching"):
            outcome = await interactions.share_click(ambassador.user, delivery.id, Network.X)
            assert outcome == RecordOutcome(True, DEFAULT_CLICK_POINTS)
            for _ in range(20):
                await asyncio.sleep(0)
        assert [r.getMessage().split(":")[0] for r in caplog.records] == ["dm-redraw"]
        assert world.gateway.updated == []
        await interactions.confirm_share(ambassador.user, delivery.id)  # redraws fine again
    finally:
        await interactions.stop()
    (view,) = updates_of(world, delivery.message)
    assert (view.clicked_networks, view.confirmed) == ((Network.X,), True)
    assert await points_of(world, ambassador) == DEFAULT_CLICK_POINTS + CONFIRM_POINTS


async def test_started_clicks_on_two_digest_items_redraw_the_digest_once(world: World) -> None:
    ambassador = await world.join(1)
    world.ports.store.ambassadors_by_id[ambassador.id] = replace(
        ambassador, delivery_mode="daily", timezone="Europe/Paris"
    )
    await world.push(title="First")
    await world.push(title="Second")
    await world.services.sender.drain_all()
    world.clock.set(next_digest_slot(world.clock.now(), preferences_of(ambassador)))
    await world.services.sender.drain_all()
    first, second = world.deliveries()
    assert first.message is not None and first.message == second.message
    interactions = world.services.interactions
    interactions.start()
    try:
        outcomes = await asyncio.gather(
            interactions.share_click(person(1), first.id, Network.LINKEDIN),
            interactions.share_click(person(1), second.id, Network.X),
        )
    finally:
        await interactions.stop()
    assert [o.recorded for o in outcomes] == [True, True]
    ((message, view),) = world.gateway.digest_updates
    assert message == first.message
    assert [item.clicked_networks for item in view.items] == [(Network.LINKEDIN,), (Network.X,)]
    # The newest click's item shows its "+N"; the other item's award is not carried over.
    assert [item.last_award for item in view.items] == [0, DEFAULT_CLICK_POINTS]
    assert world.gateway.updated == []


async def test_started_stop_leaves_no_pending_work(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    interactions = world.services.interactions
    interactions.start()
    assert background_tasks() >= {"click-batch", "dm-redraw-0"}
    clicks = asyncio.gather(
        interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN),
        interactions.share_click(ambassador.user, delivery.id, Network.X),
        interactions.confirm_share(ambassador.user, delivery.id),
    )
    await asyncio.sleep(0)  # the clicks are queued, not yet recorded
    assert world.ports.store.interactions == {}
    await interactions.stop()
    assert clicks.done()  # every queued click was recorded and answered
    assert [o.recorded for o in clicks.result()] == [True, True, True]
    assert len(updates_of(world, delivery.message)) == 1  # and its DM redrawn
    assert background_tasks() == set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(world.gateway.updated) == 1  # nothing was left to happen later
    # Stopped, the service still works, inline as before it was started.
    skipped = await interactions.skip(ambassador.user, delivery.id)
    assert skipped == RecordOutcome(True, 0)
    assert len(world.gateway.updated) == 2 and world.gateway.updated[-1][1].skipped


async def test_started_a_click_in_flight_when_stop_is_called_is_still_recorded(
    world: World, suggested: tuple[Ambassador, Delivery]
) -> None:
    ambassador, delivery = suggested
    interactions = world.services.interactions
    interactions.start()
    await asyncio.sleep(0)
    click = asyncio.create_task(
        interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
    )  # starts once stop() yields
    try:
        await interactions.stop()
        for _ in range(20):
            await asyncio.sleep(0)
        assert click.done()
        assert click.result().recorded
    finally:
        click.cancel()
