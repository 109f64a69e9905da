"""Self-tests: the fake must behave like Slack for the real slack_sdk client and verifier."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests import factories
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlackApi, dm_channel_id

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOB = "U05BOB0002"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlackApi) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test-token", base_url=fake.base_url, retry_handlers=[])


def _error_of(exc_info: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc_info.value.response["error"]


async def test_base_url_and_auth_test(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/api/"
    resp = await client.auth_test()
    assert resp["user_id"] == BOT_USER_ID
    assert resp["team_id"] == TEAM_ID
    assert resp["bot_id"]
    call = fake.calls_to("auth.test")[0]
    assert call.headers["authorization"] == "Bearer xoxb-test-token"


async def test_post_message_to_user_opens_dm_with_increasing_ts(
    fake: FakeSlackApi, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await client.chat_postMessage(channel=BOB, text="hi", blocks=blocks)
    second = await client.chat_postMessage(channel=BOB, text="again")
    assert first["channel"] == second["channel"] == dm_channel_id(BOB)
    assert first["channel"].startswith("D")
    assert first["ts"] == "1726500000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == blocks
    last = fake.last_message(BOB)
    assert last is not None
    assert last.text == "again"
    assert [m.ts for m in fake.messages_by_channel()[dm_channel_id(BOB)]] == [
        first["ts"],
        second["ts"],
    ]


async def test_form_encoded_args_are_decoded(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call(
        "chat.postMessage", data={"channel": "C07GENERAL", "blocks": json.dumps(blocks)}
    )
    assert fake.calls_to("chat.postMessage")[0].args == {
        "channel": "C07GENERAL",
        "blocks": blocks,
    }


async def test_chat_update(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=BOB, text="v1")
    updated = await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"]
    message = fake.message(posted["channel"], posted["ts"])
    assert message is not None
    assert message.text == "v2"
    assert message.history[0]["text"] == "v1"

    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    assert _error_of(exc_info) == "message_not_found"
    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_update(channel="C0UNKNOWN1", ts=posted["ts"], text="x")
    assert _error_of(exc_info) == "channel_not_found"


async def test_too_many_blocks_is_invalid(client: AsyncWebClient) -> None:
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_postMessage(channel=BOB, text="x", blocks=blocks)
    assert _error_of(exc_info) == "invalid_blocks"


async def test_users_info_locale_only_on_request(
    fake: FakeSlackApi, client: AsyncWebClient
) -> None:
    fake.add_user(BOB, real_name="Bob Martin", display_name="bob", locale="fr-FR")
    plain = await client.users_info(user=BOB)
    assert plain["user"]["real_name"] == "Bob Martin"
    assert plain["user"]["tz"] == "Europe/Paris"
    assert "locale" not in plain["user"]
    with_locale = await client.users_info(user=BOB, include_locale=True)
    assert with_locale["user"]["locale"] == "fr-FR"
    with pytest.raises(SlackApiError) as exc_info:
        await client.users_info(user="U0NOBODY01")
    assert _error_of(exc_info) == "user_not_found"


async def test_views_and_conversations_open(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = await client.views_open(trigger_id="123.456.abc", view=view)
    view_id = opened["view"]["id"]
    assert view_id.startswith("V")
    updated = await client.views_update(view_id=view_id, view=view, hash=opened["view"]["hash"])
    assert updated["view"]["id"] == view_id
    with pytest.raises(SlackApiError) as exc_info:
        await client.views_open(trigger_id="", view=view)
    assert _error_of(exc_info) == "invalid_arguments"
    home = await client.views_publish(user_id=BOB, view={"type": "home", "blocks": []})
    assert fake.home_views[BOB]["id"] == home["view"]["id"]
    conv = await client.conversations_open(users=[BOB])
    assert conv["channel"]["id"] == dm_channel_id(BOB)


async def test_fail_for_user(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    fake.fail_for_user(BOB, "account_inactive")
    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_postMessage(channel=BOB, text="hi")
    assert _error_of(exc_info) == "account_inactive"
    assert exc_info.value.response.status_code == 200
    await client.chat_postMessage(channel="U05CAROL03", text="hi")
    assert fake.posted_messages[0].channel == dm_channel_id("U05CAROL03")


async def test_fail_next(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", "internal_error", status=500)
    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_postMessage(channel=BOB, text="hi")
    assert exc_info.value.response.status_code == 500
    await client.chat_postMessage(channel=BOB, text="hi")


async def test_rate_limit_token_bucket(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    fake.rate_limit("chat.postMessage", rate_per_second=5, burst=2, retry_after=3)
    await client.chat_postMessage(channel=BOB, text="1")
    await client.chat_postMessage(channel="U05CAROL03", text="2")
    with pytest.raises(SlackApiError) as exc_info:
        await client.chat_postMessage(channel=BOB, text="3")
    response = exc_info.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    assert len(fake.calls_to("chat.postMessage")) == 2
    assert len(fake.rejected_calls) == 1
    await client.auth_test()  # other methods are not limited


async def test_rate_limit_next(fake: FakeSlackApi, client: AsyncWebClient) -> None:
    fake.rate_limit_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as exc_info:
        await client.users_info(user=BOB)
    assert exc_info.value.response.headers["Retry-After"] == "7"
    fake.add_user(BOB)
    await client.users_info(user=BOB)


async def test_response_url_is_recorded(fake: FakeSlackApi) -> None:
    url = fake.response_url("cmd-1")
    assert url.endswith("/response/cmd-1")
    # AsyncWebhookClient is what Bolt's respond() uses to POST to a response_url.
    sent = await AsyncWebhookClient(url).send_dict({"text": "done", "response_type": "ephemeral"})
    assert sent.status_code == 200
    recorded = await fake.wait_for(lambda: fake.responses_to("cmd-1"))
    assert recorded[0].body == {"text": "done", "response_type": "ephemeral"}


async def test_bad_or_missing_token(fake: FakeSlackApi) -> None:
    bad = AsyncWebClient(token="xoxp-user", base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as exc_info:
        await bad.auth_test()
    assert _error_of(exc_info) == "invalid_auth"
    none = AsyncWebClient(base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as exc_info:
        await none.auth_test()
    assert _error_of(exc_info) == "not_authed"


async def test_apps_connections_open_takes_only_app_level_tokens(
    fake: FakeSlackApi, client: AsyncWebClient
) -> None:
    opened = await client.apps_connections_open(app_token="xapp-1-A05ADVOC01-1-abc")
    assert opened["url"].startswith(f"ws://127.0.0.1:{fake.port}/socket/")
    call = fake.calls_to("apps.connections.open")[0]
    assert call.headers["authorization"] == "Bearer xapp-1-A05ADVOC01-1-abc"
    for token, error in (("xoxb-test-token", "not_allowed_token_type"), ("nope", "invalid_auth")):
        with pytest.raises(SlackApiError) as exc_info:
            await client.apps_connections_open(app_token=token)
        assert _error_of(exc_info) == error
    app_level = AsyncWebClient(token="xapp-1-test", base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as exc_info:
        await app_level.auth_test()
    assert _error_of(exc_info) == "invalid_auth"


async def test_socket_mode_round_trip_with_the_sdk_client(
    fake: FakeSlackApi, client: AsyncWebClient
) -> None:
    received: list[dict[str, Any]] = []

    async def on_request(socket: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await socket.send_socket_mode_response(
            SocketModeResponse(request.envelope_id, payload={"seen": request.payload["n"]})
        )

    async def on_message(_: Any, message: dict[str, Any], raw: str | None) -> None:
        received.append(message)

    socket = SocketModeClient(app_token="xapp-1-test", web_client=client)
    socket.socket_mode_request_listeners.append(on_request)
    socket.message_listeners.append(on_message)
    try:
        await socket.connect()  # type: ignore[no-untyped-call]
        hello = await fake.wait_for(lambda: received)
        assert hello[0]["type"] == "hello"
        envelope_id = await fake.send_envelope("events_api", {"n": 1}, timeout=1.0)
        assert await fake.wait_for_ack(envelope_id) == {
            "envelope_id": envelope_id,
            "payload": {"seen": 1},
        }
        assert received[-1]["type"] == "events_api" and received[-1]["retry_attempt"] == 0
        assert fake.socket_connections == 1
    finally:
        await socket.close()  # type: ignore[no-untyped-call]
    with pytest.raises(TimeoutError):
        await fake.send_envelope("events_api", {"n": 2}, timeout=0.05)


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as exc_info:
        await client.api_call("nope.nothing")
    assert _error_of(exc_info) == "unknown_method"


async def test_wait_for_times_out(fake: FakeSlackApi) -> None:
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: fake.posted_messages, timeout=0.05)


# --------------------------------------------------------------------- factories


def _verify(req: factories.SignedRequest) -> bool:
    return SignatureVerifier(SECRET).is_valid(
        req.body,
        req.headers["X-Slack-Request-Timestamp"],
        req.headers["X-Slack-Signature"],
    )


def test_factory_signatures_verify_and_forgeries_fail() -> None:
    req = factories.slash_command("new https://acme.com/x", user_id="U04ALICE01", secret=SECRET)
    assert _verify(req)
    assert not _verify(factories.forged(req))
    stale = factories.stale(req)
    assert stale.timestamp < time.time() - 500
    assert not _verify(stale)
    fields = parse_qs(req.text)
    assert fields["command"] == ["/advocacy"]
    assert fields["text"] == ["new https://acme.com/x"]


def test_interactive_and_event_factories() -> None:
    action = factories.block_actions(
        user_id=BOB, action_id="share_linkedin", value="post=42", secret=SECRET
    )
    payload = json.loads(parse_qs(action.text)["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "share_linkedin"
    assert payload["container"]["type"] == "message"
    assert _verify(action)

    values = {"url_b": {"url_a": {"type": "url_text_input", "value": "https://acme.com"}}}
    submission = factories.view_submission(
        user_id=BOB, callback_id="advocacy_new_post", values=values, secret=SECRET
    )
    view = json.loads(parse_qs(submission.text)["payload"][0])["view"]
    assert view["state"]["values"] == values
    assert _verify(submission)

    event = factories.reaction_event(
        True, user_id=BOB, reaction="rocket", channel="C07GENERAL", ts="1.2"
    )
    retried = factories.event_callback(event, event_id="Ev1", secret=SECRET, retry_num=1)
    assert retried.headers["X-Slack-Retry-Num"] == "1"
    assert retried.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert json.loads(retried.body)["event"]["type"] == "reaction_added"
    assert _verify(retried)
    home = factories.event_callback(
        factories.app_home_opened_event(BOB), event_id="Ev2", secret=SECRET
    )
    assert "X-Slack-Retry-Num" not in home.headers
    assert json.loads(home.body)["event"]["channel"] == dm_channel_id(BOB)


async def test_cli_prints_base_url_and_serves() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.slack_api",
        "--port",
        "0",
        "--rate",
        "10",
        "--burst",
        "20",
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        client = AsyncWebClient(token="xoxb-cli", base_url=base_url, retry_handlers=[])
        posted = await client.chat_postMessage(channel=BOB, text="hi")
        assert posted["channel"] == dm_channel_id(BOB)
    finally:
        proc.terminate()
        await proc.wait()


async def test_call_log_lists_accepted_and_rejected_calls_in_order(
    fake: FakeSlackApi, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="U05BOB0002", text="one")
    fake.rate_limit_next("chat.postMessage", retry_after=1)
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="U06CAROL03", text="two")
    await client.chat_postMessage(channel="U06CAROL03", text="three")
    log = fake.call_log("chat.postMessage")
    assert [(c["dm"], c["status"]) for c in log] == [
        (dm_channel_id("U05BOB0002"), 200),
        (dm_channel_id("U06CAROL03"), 429),
        (dm_channel_id("U06CAROL03"), 200),
    ]
    assert "text" not in log[0]  # no message bodies: cheap to serve for 10,000 calls
    async with (
        fake_session() as session,
        session.get(fake.url + "/_fake/calls", params={"method": "chat.postMessage"}) as answer,
    ):
        served = await answer.json()
    assert served["count"] == 3


def fake_session() -> Any:

    return aiohttp.ClientSession()
