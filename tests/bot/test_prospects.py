"""Prospects in the domain: curators only, the list of this workspace, and the invitation:
once per cooldown, never to members, people who left, bots or deactivated accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.errors import NotACurator
from bot.model import (
    AuditAction,
    Enrolment,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
    UserProfile,
)
from bot.programme import Programme
from bot.prospects import INVITE_COOLDOWN, ProspectService
from bot.services import Services
from tests.bot.builders import CURATOR, NOW
from tests.bot.fakes import MemoryPorts

EVE = PlatformUser(Platform.SLACK, "T1", "U0EVE")
OTHER_WORKSPACE = PlatformUser(Platform.SLACK, "T2", "U0FAR")
PERSON = UserProfile(display_name="Eve", locale="fr-FR")


@pytest.fixture
def prospects(
    services: Services, ports: MemoryPorts, programme: Programme, clock: FixedClock
) -> ProspectService:
    return ProspectService(
        prospects=ports.prospects,
        roles=services.roles,
        audit=services.audit,
        programme=programme,
        clock=clock,
    )


async def react(ports: MemoryPorts, who: PlatformUser, event: str) -> None:
    await ports.ledger.record_reaction(
        event=ReactionEvent(event, who, "tada", MessageRef("C1", "1"), True, NOW),
        ambassador_id=None,
        content_id=None,
        points=0,
    )


async def test_only_curators(prospects: ProspectService) -> None:
    with pytest.raises(NotACurator):
        await prospects.prospects(EVE, "30d", "en")
    with pytest.raises(NotACurator):
        await prospects.invite(EVE, EVE, PERSON)


async def test_the_list_shows_this_workspace(
    prospects: ProspectService, ports: MemoryPorts
) -> None:
    await react(ports, EVE, "e1")
    await react(ports, OTHER_WORKSPACE, "f1")
    view = await prospects.prospects(CURATOR, "7d", "fr")
    assert [p.user for p in view.prospects] == [EVE]
    assert (view.window, view.cooldown_days) == ("7d", INVITE_COOLDOWN.days)


async def test_invite_once_per_cooldown_and_audited(
    prospects: ProspectService, ports: MemoryPorts, clock: FixedClock
) -> None:
    first = await prospects.invite(CURATOR, EVE, PERSON)
    assert first.notice.key == "prospect_invited"
    assert first.invitation is not None
    assert first.invitation.locale == "fr"  # in the person's language
    again = await prospects.invite(CURATOR, EVE, PERSON)  # a double click
    assert again.notice.key == "prospect_already_invited"
    assert again.invitation is None
    assert [e.action for e in ports.audit.entries] == [AuditAction.PROSPECT_INVITED.value]
    clock.advance(INVITE_COOLDOWN)
    assert (await prospects.invite(CURATOR, EVE, PERSON)).invitation is not None


async def test_never_members_people_who_left_or_bots(
    prospects: ProspectService, ports: MemoryPorts
) -> None:
    joined = await ports.ambassadors.enrol(
        user=EVE,
        profile=PERSON,
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=NOW,
    )
    assert (await prospects.invite(CURATOR, EVE, PERSON)).notice.key == "prospect_is_member"
    await ports.ambassadors.leave(ambassador_id=joined.id, now=NOW + timedelta(hours=1))
    left = await prospects.invite(CURATOR, EVE, PERSON)
    assert (left.notice.key, left.invitation) == ("prospect_is_member", None)
    bot = UserProfile(display_name="Jira", is_bot=True)
    gone = UserProfile(display_name="Ex", deleted=True)
    for profile in (bot, gone):
        outcome = await prospects.invite(CURATOR, OTHER_WORKSPACE, profile)
        assert (outcome.notice.key, outcome.invitation) == ("prospect_not_a_person", None)
    assert ports.prospects.invitations == {}


async def test_an_undelivered_invitation_is_withdrawn(
    prospects: ProspectService, ports: MemoryPorts
) -> None:
    outcome = await prospects.invite(CURATOR, EVE, PERSON)
    failed = await prospects.undelivered(outcome)
    assert (failed.notice.key, failed.invitation) == ("prospect_unreachable", None)
    assert ports.prospects.invitations == {}
    assert (await prospects.invite(CURATOR, EVE, PERSON)).invitation is not None
