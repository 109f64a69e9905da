"""``advocacy-bot serve --socket-mode``: the real bolt Socket Mode handler, wired by the
composition root, against the fake's Socket Mode endpoint (no network, no public URL).

The handler calls ``apps.connections.open`` with the app-level token, opens the WebSocket the
fake hands out, and acks each envelope the test sends; the assertions read what the fake Web
API received and what the database holds, exactly as the HTTP end-to-end tests do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from advocacy_bot.main import build_runtime, create_web_app, start_socket_mode
from advocacy_bot.settings import ConfigError, Environment
from bot.model import ReactionEvent, RecordOutcome
from tests import factories
from tests.adapters.slack.conftest import (
    ALICE,
    BOB,
    FAST_SENDER,
    SECRET,
    RecordingFetcher,
    SlackBot,
    errors_of,
    join_values,
)
from tests.fakes.slack_api import FakeSlackApi, dm_channel_id

APP_TOKEN = "xapp-1-A05ADVOC01-1-test"


def socket_payload(request: factories.SignedRequest) -> dict[str, Any]:
    """What Slack sends over the socket for a request it would otherwise POST over HTTP.

    The same payload, unsigned: an event callback's JSON body, a slash command's form fields
    as a dict, an interactivity form's ``payload`` field decoded.
    """
    if request.content_type == factories.JSON:
        body: dict[str, Any] = json.loads(request.body)
        return body
    fields = dict(parse_qsl(request.text))
    if fields.keys() == {"payload"}:
        interactive: dict[str, Any] = json.loads(fields["payload"])
        return interactive
    return fields


@dataclass
class SocketBot:
    """The running bot connected over Socket Mode, with helpers to send envelopes."""

    bot: SlackBot
    handler: AsyncSocketModeHandler

    @property
    def fake(self) -> FakeSlackApi:
        return self.bot.fake

    async def deliver(
        self, type: str, request: factories.SignedRequest, *, accepts_response_payload: bool
    ) -> dict[str, Any] | None:
        """Send one envelope and wait for its ack; return the ack's payload (None: plain ack)."""
        envelope_id = await self.fake.send_envelope(
            type, socket_payload(request), accepts_response_payload=accepts_response_payload
        )
        ack = await self.fake.wait_for_ack(envelope_id)
        assert set(ack) <= {"envelope_id", "payload"}
        payload: dict[str, Any] | None = ack.get("payload")
        return payload

    async def submit_join(self, user: str, *, accept: bool) -> dict[str, Any] | None:
        submission = factories.view_submission(
            user_id=user,
            callback_id="join",
            values=join_values(["ai"], ["linkedin"], accept=accept),
            private_metadata="v1",
            secret=SECRET,
        )
        return await self.deliver("interactive", submission, accepts_response_payload=True)


@pytest.fixture
async def socket_bot(
    database_url: str, make_env: Callable[..., Environment]
) -> AsyncIterator[SocketBot]:
    async with FakeSlackApi() as fake:
        fake.add_user(ALICE, real_name="Alice Martin", locale="en-US")
        fake.add_user(BOB, real_name="Bob Durand", display_name="Bob", locale="fr-FR")
        fetcher = RecordingFetcher()
        env = make_env(
            database_url, fake.base_url, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=None
        )
        runtime = build_runtime(env, fetcher=fetcher, sender_settings=FAST_SENDER)
        # As ``serve --socket-mode`` does: the web app (and its background work), then the socket.
        async with TestClient(TestServer(create_web_app(runtime))) as client:
            handler = await start_socket_mode(runtime)
            try:
                yield SocketBot(SlackBot(client, fake, runtime, fetcher), handler)
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]


async def test_connects_with_the_app_level_token(socket_bot: SocketBot) -> None:
    # One pre-flight check of the token, then the client's own call before connecting.
    calls = socket_bot.fake.calls_to("apps.connections.open")
    assert len(calls) == 2
    assert all(c.headers["authorization"] == f"Bearer {APP_TOKEN}" and c.ok for c in calls)
    assert socket_bot.fake.socket_connections == 1
    # Without a signing secret the HTTP endpoint stays closed: Slack only talks over the socket.
    response = await socket_bot.bot.client.post("/slack/events", data=b"{}")
    assert response.status == 503


async def test_slash_command_is_acked_and_answered_at_its_response_url(
    socket_bot: SocketBot,
) -> None:
    command = factories.slash_command(
        "help", user_id=ALICE, secret=SECRET, response_url=socket_bot.fake.response_url("U04-help")
    )
    ack = await socket_bot.deliver("slash_commands", command, accepts_response_payload=True)
    assert ack is None
    (reply,) = await socket_bot.fake.wait_for(lambda: socket_bot.fake.responses_to("U04-help"))
    assert reply.body["response_type"] == "ephemeral"
    assert "publish" in json.dumps(reply.body)  # Alice is a curator


async def test_join_modal_enrols_over_the_socket(socket_bot: SocketBot) -> None:
    refused = await socket_bot.submit_join(BOB, accept=False)
    assert refused is not None and "accept" in errors_of(json.dumps(refused))
    assert await socket_bot.bot.scalar("SELECT count(*) FROM ambassador") == 0

    assert await socket_bot.submit_join(BOB, accept=True) is None
    (welcome,) = await socket_bot.bot.dms(BOB)
    assert "Bob" in json.dumps(welcome.blocks, ensure_ascii=False)
    assert await socket_bot.bot.scalar("SELECT status FROM ambassador") == "active"
    assert await socket_bot.bot.scalar("SELECT user_id FROM identity") == BOB


async def test_reaction_on_a_foreign_message_is_acked_and_ignored(
    socket_bot: SocketBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    interactions = socket_bot.bot.runtime.services.interactions
    record = interactions.reaction
    outcomes: list[RecordOutcome] = []

    async def spy(event: ReactionEvent) -> RecordOutcome:
        outcome = await record(event)
        outcomes.append(outcome)
        return outcome

    monkeypatch.setattr(interactions, "reaction", spy)
    event = factories.reaction_event(
        True, user_id=BOB, reaction="eyes", channel=dm_channel_id(BOB), ts="1726400000.000100"
    )
    callback = factories.event_callback(event, event_id="Ev0SOCKET1", secret=SECRET)
    assert await socket_bot.deliver("events_api", callback, accepts_response_payload=False) is None
    (outcome,) = await socket_bot.fake.wait_for(lambda: outcomes)  # the listener has finished
    assert not outcome.recorded
    assert await socket_bot.bot.scalar("SELECT count(*) FROM reaction") == 0


async def test_socket_mode_needs_an_app_token(
    database_url: str, make_env: Callable[..., Environment]
) -> None:
    runtime = build_runtime(make_env(database_url, "http://127.0.0.1:9/api/"))
    try:
        with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
            await start_socket_mode(runtime)
    finally:
        await runtime.store.db.engine.dispose()


async def test_a_refused_app_token_stops_start_up_at_once(
    database_url: str, make_env: Callable[..., Environment]
) -> None:
    async with FakeSlackApi() as fake:
        fake.fail_next("apps.connections.open", "invalid_auth")
        runtime = build_runtime(
            make_env(database_url, fake.base_url, SLACK_APP_TOKEN="xapp-1-revoked")
        )
        try:
            with pytest.raises(ConfigError, match="invalid_auth"):
                await asyncio.wait_for(start_socket_mode(runtime), timeout=5)
        finally:
            await runtime.store.db.engine.dispose()
    assert fake.socket_connections == 0


def test_tokens_of_the_wrong_kind_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="xapp-") as error:
        Environment(SLACK_APP_TOKEN="xoxb-not-an-app-token")
    assert "not-an-app-token" not in str(error.value)
    with pytest.raises(ValueError, match="xoxb-"):
        Environment(SLACK_BOT_TOKEN="xapp-1-wrong")
