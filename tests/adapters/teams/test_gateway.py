"""TeamsGateway against the fake Bot Framework Connector: what each answer becomes for the
sender (rate limited, transient, permanent, unreachable)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.teams.gateway import TeamsGateway
from adapters.teams.server import TeamsCredentials, build_endpoint
from bot.clock import FixedClock
from bot.errors import DeliveryFailed, RateLimited
from bot.model import ChatAddress, DeliveryId, MessageRef, Network, Platform, PlatformUser
from bot.views import DigestView, ShareButton, SuggestionView
from messages.render import Templates
from messages.teams import TeamsRenderer
from tests.bot.builders import NOW
from tests.bot.fakes import MemoryPorts
from tests.fakes.bot_connector import FakeBotConnector, ThrottleLimits

TENANT = "tenant-1"
BOB = PlatformUser(Platform.TEAMS, TENANT, "29:1bob")


def view(n: int = 1, text: str = "Our launch is out") -> SuggestionView:
    return SuggestionView(
        delivery_id=DeliveryId(n),
        locale="en",
        first_name="Bob",
        title="Launch",
        summary="What we built",
        image_url=None,
        content_url="https://example.com/launch",
        text=text,
        buttons=(
            ShareButton(Network.LINKEDIN, "https://www.linkedin.com/x", click_url="https://go/s/t"),
        ),
    )


@pytest.fixture
async def setup() -> AsyncIterator[tuple[TeamsGateway, FakeBotConnector]]:
    async with FakeBotConnector(tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)) as fake:
        ports = MemoryPorts()
        renderer = TeamsRenderer(Templates())
        endpoint = build_endpoint(TeamsCredentials(), renderer, default_locale="en")
        gateway = TeamsGateway(
            adapter=endpoint.adapter,
            app_id="",
            renderer=renderer,
            addresses=ports.addresses,
            clock=FixedClock(NOW),
        )
        conversation = fake.conversation_id_for(BOB.user_id, TENANT)
        reference: dict[str, Any] = {
            "bot": {"id": "28:bot"},
            "channelId": "msteams",
            "conversation": {"conversationType": "personal", "id": conversation},
            "serviceUrl": fake.service_url,
            "user": {"id": BOB.user_id},
        }
        for key in (BOB.user_id, f"conversation:{conversation}"):
            await ports.addresses.save(
                ChatAddress(Platform.TEAMS, TENANT, key, json.dumps(reference)), now=NOW
            )
        yield gateway, fake


async def test_a_send_returns_where_it_went_and_an_update_replaces_it(
    setup: tuple[TeamsGateway, FakeBotConnector],
) -> None:
    gateway, fake = setup
    sent = await gateway.send_suggestion(BOB, view())
    assert sent.channel_id == fake.conversation_id_for(BOB.user_id, TENANT)
    await gateway.update_suggestion(sent, view(text="Edited"))
    recorded = fake.activity(sent.channel_id, sent.message_id)
    assert recorded is not None
    assert len(recorded.versions) == 2
    assert "Edited" in json.dumps(recorded.activity)


async def test_429_is_rate_limited_with_its_retry_after(
    setup: tuple[TeamsGateway, FakeBotConnector],
) -> None:
    gateway, fake = setup
    fake.fail_next(429, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        await gateway.send_suggestion(BOB, view())
    assert limited.value.retry_after == 7


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_answers_are_retryable(
    setup: tuple[TeamsGateway, FakeBotConnector], status: int
) -> None:
    gateway, fake = setup
    fake.fail_next(status)
    with pytest.raises(DeliveryFailed) as failed:
        await gateway.send_suggestion(BOB, view())
    assert failed.value.permanent is False
    assert (await gateway.send_suggestion(BOB, view())).message_id  # the next one goes


async def test_a_blocked_person_is_a_permanent_message_writes_blocked(
    setup: tuple[TeamsGateway, FakeBotConnector],
) -> None:
    gateway, fake = setup
    fake.block_conversation(fake.conversation_id_for(BOB.user_id, TENANT))
    with pytest.raises(DeliveryFailed) as failed:
        await gateway.send_suggestion(BOB, view())
    assert (failed.value.code, failed.value.permanent) == ("MessageWritesBlocked", True)


async def test_nobody_to_reach_and_oversize_digests_are_permanent(
    setup: tuple[TeamsGateway, FakeBotConnector],
) -> None:
    gateway, _ = setup
    stranger = PlatformUser(Platform.TEAMS, TENANT, "29:1nobody")
    with pytest.raises(DeliveryFailed) as unknown:
        await gateway.send_suggestion(stranger, view())
    assert (unknown.value.code, unknown.value.permanent) == ("no_conversation_reference", True)
    huge = DigestView(
        locale="en", first_name="Bob", items=tuple(view(n, "x" * 3_000) for n in range(1, 60))
    )
    with pytest.raises(DeliveryFailed) as too_big:
        await gateway.send_digest(BOB, huge)
    assert (too_big.value.code, too_big.value.permanent) == ("MessageSizeTooBig", True)
    with pytest.raises(DeliveryFailed):
        await gateway.update_digest(MessageRef("a:1", "1"), huge)


async def test_updates_are_not_retried_behind_the_senders_back(
    setup: tuple[TeamsGateway, FakeBotConnector],
) -> None:
    gateway, fake = setup
    sent = await gateway.send_suggestion(BOB, view())
    fake.fail_next(429, retry_after=2, routes=["update_activity"])
    with pytest.raises(RateLimited):
        await gateway.update_suggestion(sent, view(text="Edited"))
    fake.fail_next(503, routes=["update_activity"])
    with pytest.raises(DeliveryFailed) as failed:
        await gateway.update_suggestion(sent, view(text="Edited"))
    assert failed.value.permanent is False
    assert len(fake.calls_to("update_activity")) == 2  # one call each, no hidden retries
    # And the client is kept: every send and update reuses it.
    await gateway.send_suggestion(BOB, view())
    assert len(gateway._clients) == 1
