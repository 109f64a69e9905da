"""Guidelines first: a new version must be accepted before more suggestions come."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.errors import NotAnAmbassador
from bot.model import HELD_FOR_GUIDELINES, DeliveryStatus
from tests.bot.builders import GUIDELINES_VERSION, World, person


async def accepted_an_older_version(world: World, n: int = 1) -> None:
    ambassador = await world.join(n)
    store = world.ports.store
    store.ambassadors_by_id[ambassador.id] = replace(ambassador, guidelines_version="v0")


async def test_new_guidelines_hold_suggestions_and_ask_once(world: World) -> None:
    await accepted_an_older_version(world)
    await world.push(title="First")
    report = await world.services.sender.drain_all()
    assert (report.sent, report.deferred) == (0, 1)
    assert world.gateway.sent == []
    ((user, view),) = world.gateway.guidelines
    assert user == person(1)
    assert (view.version, view.changed, view.can_accept, view.accepted) == (
        GUIDELINES_VERSION,
        True,
        True,
        False,
    )
    (held,) = world.deliveries()
    assert (held.status, held.error) == (DeliveryStatus.PENDING, HELD_FOR_GUIDELINES)
    # A day later the row is looked at again: still held, and no second request.
    world.clock.advance(timedelta(days=1, minutes=1))
    await world.push(title="Second", url="https://example.com/second")
    report = await world.services.sender.drain_all()
    assert (report.sent, report.deferred) == (0, 2)
    assert len(world.gateway.guidelines) == 1
    # Accepting releases everything that waited, at once.
    notice = await world.services.ambassadors.accept_guidelines(person(1), GUIDELINES_VERSION)
    assert notice.key == "guidelines_accepted"
    assert (await world.services.sender.drain_all()).sent == 2
    ambassador = await world.ports.ambassadors.get_by_user(person(1))
    assert ambassador is not None
    versions = [v for v, _ in await world.ports.ambassadors.accepted_guidelines(ambassador.id)]
    assert versions == [GUIDELINES_VERSION]  # joined with v1 in this world, then v1 again


async def test_accepting_an_old_version_or_without_joining(world: World) -> None:
    await accepted_an_older_version(world)
    outdated = await world.services.ambassadors.accept_guidelines(person(1), "v0")
    assert outdated.key == "guidelines_outdated"
    with pytest.raises(NotAnAmbassador):
        await world.services.ambassadors.accept_guidelines(person(2), GUIDELINES_VERSION)


async def test_the_guidelines_view_for_each_kind_of_person(world: World) -> None:
    stranger = await world.services.ambassadors.guidelines(person(9))
    assert (stranger.can_accept, stranger.accepted) == (False, False)
    assert "Be kind" in stranger.markdown
    await world.join(1)
    member = await world.services.ambassadors.guidelines(person(1))
    assert (member.can_accept, member.accepted) == (False, True)
    await accepted_an_older_version(world, 2)
    behind = await world.services.ambassadors.guidelines(person(2))
    assert (behind.can_accept, behind.accepted, behind.changed) == (True, False, False)
