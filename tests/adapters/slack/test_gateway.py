"""SlackGateway against the fake Web API: Slack's answers become domain errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gateway import SlackGateway
from bot.errors import DeliveryFailed, RateLimited
from bot.model import DeliveryId, Network, Platform, PlatformUser
from bot.views import ShareButton, SuggestionView
from messages.render import Templates
from messages.slack import SlackRenderer
from tests.fakes.slack_api import FakeSlackApi, dm_channel_id

BOB = PlatformUser(Platform.SLACK, "T0A1B2C3D", "U05BOB0002")
VIEW = SuggestionView(
    delivery_id=DeliveryId(7),
    locale="en",
    first_name="Bob",
    title="Launch",
    summary="Big day.",
    image_url="https://cdn.example/launch.png",
    content_url="https://acme.example/launch",
    text="Look! #Acme",
    buttons=(
        ShareButton(Network.LINKEDIN, "https://www.linkedin.com/sharing/share-offsite/?url=x"),
    ),
)


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[SlackGateway, FakeSlackApi]]:
    async with FakeSlackApi() as fake:
        fake.add_user(BOB.user_id, real_name="Bob Durand", locale="fr-FR")
        client = AsyncWebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        yield SlackGateway(client, SlackRenderer(Templates())), fake


async def test_send_and_update_in_place(gateway: tuple[SlackGateway, FakeSlackApi]) -> None:
    slack, fake = gateway
    ref = await slack.send_suggestion(BOB, VIEW)
    assert ref.channel_id == dm_channel_id(BOB.user_id)
    await slack.update_suggestion(ref, VIEW)
    updated = fake.message(ref.channel_id, ref.message_id)
    assert updated is not None
    assert updated.history
    sent = fake.calls_to("chat.postMessage")[0].args
    assert sent["text"] and sent["unfurl_links"] is False


async def test_errors_become_domain_errors(gateway: tuple[SlackGateway, FakeSlackApi]) -> None:
    slack, fake = gateway
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(RateLimited) as limited:
        await slack.send_suggestion(BOB, VIEW)
    assert limited.value.retry_after == 7
    for code, permanent in [
        ("account_inactive", True),
        ("channel_not_found", True),
        ("not_in_channel", True),
        ("internal_error", False),
    ]:
        fake.fail_next("chat.postMessage", code)
        with pytest.raises(DeliveryFailed) as failed:
            await slack.send_suggestion(BOB, VIEW)
        assert (failed.value.code, failed.value.permanent) == (code, permanent)
    fake.fail_next("chat.postMessage", "service_unavailable", status=503)
    with pytest.raises(DeliveryFailed) as unavailable:
        await slack.send_suggestion(BOB, VIEW)
    assert not unavailable.value.permanent


async def test_a_refused_image_is_dropped_once(gateway: tuple[SlackGateway, FakeSlackApi]) -> None:
    slack, fake = gateway
    fake.fail_next("chat.postMessage", "invalid_blocks")
    ref = await slack.send_suggestion(BOB, VIEW)
    retried = fake.message(ref.channel_id, ref.message_id)
    assert retried is not None
    assert "launch.png" not in str(retried.blocks)
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_profile_reads_locale_and_unknown_users_fail(
    gateway: tuple[SlackGateway, FakeSlackApi],
) -> None:
    slack, _ = gateway
    profile = await slack.profile(BOB.user_id)
    assert profile.locale == "fr-FR"
    assert "Bob" in profile.display_name
    with pytest.raises(DeliveryFailed) as unknown:
        await slack.profile("U999")
    assert unknown.value.code == "user_not_found"
