"""Dialogs with botbuilder's own TestAdapter: the Teams bot over the in-memory domain, each
activity in and each reply out as botbuilder hands them (no HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from adapters.teams.gateway import TeamsGateway
from adapters.teams.handler import AdvocacyTeamsBot, TeamsDeps
from bot.clock import FixedClock
from bot.model import Platform
from bot.status import StatusService
from messages.render import Templates
from messages.teams import TeamsRenderer
from tests.bot.builders import NOW, RecordingSleep, make_programme, wire_domain
from tests.bot.fakes import MemoryPorts

TENANT = "tenant-1"
BOB = "29:1bob"
CURATOR = "29:1alice"
NOT_YOURS = "nothing was recorded"


def _bot_and_adapter(user: str) -> tuple[AdvocacyTeamsBot, TestAdapter, MemoryPorts]:
    ports = MemoryPorts()
    programme = make_programme(curators={Platform.TEAMS: frozenset({CURATOR})})
    clock = FixedClock(NOW)
    renderer = TeamsRenderer(Templates())
    template = Activity(
        channel_id="msteams",
        service_url="https://smba.example/",
        conversation=ConversationAccount(
            id=f"a:{user}", tenant_id=TENANT, conversation_type="personal"
        ),
        from_property=ChannelAccount(id=user, name="Bob Durand"),
        recipient=ChannelAccount(id="28:bot", name="Advocacy"),
    )
    holder: dict[str, Any] = {}

    async def logic(turn_context: Any) -> None:
        await holder["bot"].on_turn(turn_context)

    adapter = TestAdapter(logic, template)
    gateway = TeamsGateway(
        adapter=adapter, app_id="", renderer=renderer, addresses=ports.addresses, clock=clock
    )
    services = wire_domain(ports, {Platform.TEAMS: gateway}, programme, clock, RecordingSleep())
    status = StatusService(
        queue=ports.queue,
        settings=services.sender.settings,
        programme=programme,
        clock=clock,
        next_jobs=list,
        roles=services.roles,
    )
    bot = AdvocacyTeamsBot(
        TeamsDeps(
            services=services,
            renderer=renderer,
            gateway=gateway,
            wake_sender=lambda: None,
            status=status,
        )
    )
    holder["bot"] = bot
    return bot, adapter, ports


def _card_text(activity: Activity) -> str:
    return json.dumps([a.content for a in activity.attachments or []], ensure_ascii=False)


def has(*words: str) -> Callable[[Activity, str], None]:
    """A TestFlow check: the reply is a card containing every word."""

    def check(activity: Activity, _description: str) -> None:
        text = _card_text(activity)
        assert activity.attachments, activity
        assert activity.attachments[0].content_type == "application/vnd.microsoft.card.adaptive"
        for word in words:
            assert word in text, (word, text[:400])
        assert "Traceback" not in text

    return check


def submit(value: dict[str, Any]) -> Activity:
    return Activity(type="message", value=value, text=None)


async def test_help_shows_the_commands() -> None:
    _, adapter, _ = _bot_and_adapter(BOB)
    await adapter.test("help", has("join", "leaderboard"))


async def test_an_unknown_command_gets_a_suggestion_not_an_error() -> None:
    _, adapter, _ = _bot_and_adapter(BOB)
    await adapter.test("<at>Advocacy</at> leaderbord", has("leaderboard"))


async def test_join_card_then_submit_enrols_and_welcomes() -> None:
    _, adapter, ports = _bot_and_adapter(BOB)
    await adapter.test("join", has("v1"))  # the join card, with the guidelines version
    await adapter.test(
        submit(
            {
                "advocacy": "join",
                "guidelines_version": "v1",
                "accept": "yes",
                "topics": "engineering",
                "networks": "linkedin,x",
            }
        ),
        has("Welcome aboard"),
    )
    (ambassador,) = ports.store.ambassadors_by_id.values()
    assert ambassador.topics == {"engineering"}
    # The conversation reference was stored on the way: proactive sends can find Bob.
    assert await ports.addresses.get(Platform.TEAMS, TENANT, BOB) is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"advocacy": "join", "accept": "no", "topics": "engineering", "networks": "x"},
            "guidelines",
        ),
        (
            {"advocacy": "join", "guidelines_version": "v1", "accept": "yes", "networks": "x"},
            "topic",
        ),
        ({"advocacy": "confirm_share", "delivery_id": "12345"}, NOT_YOURS),
        ({"advocacy": "confirm_share", "delivery_id": {"$ne": 1}}, NOT_YOURS),
        ({"advocacy": "skip"}, NOT_YOURS),
    ],
)
async def test_tampered_or_incomplete_submits_get_polite_answers(
    value: dict[str, Any], expected: str
) -> None:
    _, adapter, ports = _bot_and_adapter(BOB)
    await adapter.test(submit(value), has(expected))
    assert not ports.store.ambassadors_by_id


async def test_only_curators_post() -> None:
    _, adapter, _ = _bot_and_adapter(BOB)
    await adapter.test("post https://example.com/x #engineering Hello", has("curator"))
