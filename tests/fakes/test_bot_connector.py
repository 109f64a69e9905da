"""Self-tests: the fake must answer like the Bot Framework Connector (Teams) does."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from tests.fakes.bot_connector import (
    CREATE_CONVERSATION,
    MESSAGE_WRITES_BLOCKED_BODY,
    SEND_TO_CONVERSATION,
    TENANT_ID,
    FakeBotConnector,
    ThrottleLimits,
    one_on_one_conversation_id,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOB = "29:1bob-aad-user-id"
CHANNEL_THREAD = "19:abc123@thread.skype;messageid=1726400000000"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector(base_path="teams") as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


class Answer:
    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


async def call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    # encoded=True: send the path exactly as msrest builds it (quote(id, safe="")).
    async with session.request(method, URL(url, encoded=True), json=body, headers=headers) as r:
        return Answer(r.status, dict(r.headers), await r.text())


def conv_url(fake: FakeBotConnector, conversation_id: str, *tail: str) -> str:
    parts = [quote(conversation_id, safe=""), *(quote(t, safe="") for t in tail)]
    return fake.service_url + "v3/conversations/" + "/".join(parts)


def create_body(user_id: str = BOB, tenant_id: str = TENANT_ID) -> dict[str, Any]:
    return {
        "bot": {"id": "28:advocacy-bot-app-id", "name": "Advocacy"},
        "members": [{"id": user_id}],
        "isGroup": False,
        "channelData": {"tenant": {"id": tenant_id}},
    }


def message(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "text": text, **extra}


# --------------------------------------------------------------------- routes and shapes


async def test_service_url_keeps_the_base_path(fake: FakeBotConnector) -> None:
    assert fake.service_url == f"http://127.0.0.1:{fake.port}/teams/"


async def test_create_conversation_is_stable_per_tenant_and_member(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations"
    first = await call(session, "POST", url, create_body())
    assert first.status == 201
    assert first.json == {"id": fake.conversation_id_for(BOB), "serviceUrl": fake.service_url}
    assert first.json["id"].startswith("a:1")
    again = await call(session, "POST", url, create_body())
    assert again.json["id"] == first.json["id"]
    other_tenant = await call(
        session, "POST", url, {**create_body(), "channelData": {}, "tenantId": "other-tenant"}
    )
    assert other_tenant.json["id"] == one_on_one_conversation_id(BOB, "other-tenant")
    assert other_tenant.json["id"] != first.json["id"]
    conversation = fake.conversations[first.json["id"]]
    assert conversation.origin == "created"
    assert [m["id"] for m in conversation.members] == [BOB]


async def test_create_conversation_needs_a_tenant_and_one_member(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations"
    no_tenant = await call(session, "POST", url, {"members": [{"id": BOB}]})
    assert no_tenant.status == 400
    assert no_tenant.json["error"]["code"] == "BadArgument"
    two = await call(
        session, "POST", url, {**create_body(), "members": [{"id": BOB}, {"id": "29:2"}]}
    )
    assert two.status == 400


async def test_create_conversation_in_a_channel_starts_a_thread(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    body = {
        "isGroup": True,
        "channelData": {"tenant": {"id": TENANT_ID}, "channel": {"id": "19:general@thread.tacv2"}},
        "activity": message("digest"),
    }
    created = await call(session, "POST", fake.service_url + "v3/conversations", body)
    assert created.status == 201
    activity_id = created.json["activityId"]
    assert created.json["id"] == f"19:general@thread.tacv2;messageid={activity_id}"
    recorded = fake.last_activity(created.json["id"])
    assert recorded is not None and recorded.text == "digest"


async def test_send_reply_update_delete_with_url_encoded_ids(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    sent = await call(session, "POST", conv_url(fake, CHANNEL_THREAD, "activities"), message("v1"))
    assert sent.status == 201
    activity_id = sent.json["id"]
    assert sent.json == {"id": activity_id}
    assert activity_id.isdigit()  # Teams message ids are epoch milliseconds

    reply = await call(
        session, "POST", conv_url(fake, CHANNEL_THREAD, "activities", activity_id), message("re")
    )
    assert reply.status == 201
    assert int(reply.json["id"]) > int(activity_id)

    update = {**message("v2"), "id": activity_id}
    updated = await call(
        session, "PUT", conv_url(fake, CHANNEL_THREAD, "activities", activity_id), update
    )
    assert updated.status == 200
    assert updated.json == {"id": activity_id}
    await call(
        session,
        "PUT",
        conv_url(fake, CHANNEL_THREAD, "activities", activity_id),
        {**message("v3"), "id": activity_id},
    )

    recorded = fake.activity(CHANNEL_THREAD, activity_id)
    assert recorded is not None
    assert [version["text"] for version in recorded.versions] == ["v1", "v2", "v3"]
    assert fake.latest(CHANNEL_THREAD, activity_id) == {**message("v3"), "id": activity_id}
    [_, replied] = fake.activities(CHANNEL_THREAD)
    assert replied.reply_to_id == activity_id
    assert replied.route == "reply_to_activity"

    deleted = await call(
        session, "DELETE", conv_url(fake, CHANNEL_THREAD, "activities", reply.json["id"])
    )
    assert deleted.status == 200
    assert [a.text for a in fake.activities(CHANNEL_THREAD)] == ["v3"]
    assert len(fake.activities(CHANNEL_THREAD, include_deleted=True)) == 2
    again = await call(
        session, "PUT", conv_url(fake, CHANNEL_THREAD, "activities", reply.json["id"]), message()
    )
    assert again.status == 404


async def test_ids_sent_without_percent_encoding_are_the_same_conversation(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    plain = fake.service_url + f"v3/conversations/{CHANNEL_THREAD}/activities"
    async with session.post(plain, json=message("plain")) as answer:
        assert answer.status == 201
    await call(session, "POST", conv_url(fake, CHANNEL_THREAD, "activities"), message("encoded"))
    assert [a.text for a in fake.activities(CHANNEL_THREAD)] == ["plain", "encoded"]


async def test_any_base_path_is_accepted(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    for base in (fake.url + "/", fake.url + "/amer/", fake.url + "/emea/x/"):
        answer = await call(session, "POST", base + "v3/conversations/a%3A1x/activities", message())
        assert answer.status == 201
    assert [c["base"] for c in fake.call_log()] == ["/", "/amer/", "/emea/x/"]


async def test_update_of_an_unknown_activity_is_404(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    answer = await call(session, "PUT", conv_url(fake, "a:1x", "activities", "123"), message())
    assert answer.status == 404
    assert answer.json == {
        "error": {"code": "ActivityNotFoundInConversation", "message": "Conversation not found."}
    }


async def test_strict_mode_refuses_unknown_conversations(session: aiohttp.ClientSession) -> None:
    async with FakeBotConnector(strict_conversations=True) as fake:
        answer = await call(session, "POST", conv_url(fake, "a:1nope", "activities"), message())
        assert answer.status == 404
        assert answer.json["error"]["code"] == "ConversationNotFound"
        fake.add_conversation("a:1known", [BOB])
        ok = await call(session, "POST", conv_url(fake, "a:1known", "activities"), message())
        assert ok.status == 201


async def test_members_routes(fake: FakeBotConnector, session: aiohttp.ClientSession) -> None:
    canned = await call(session, "GET", conv_url(fake, CHANNEL_THREAD, "members"))
    assert canned.status == 200
    assert len(canned.json) == 2
    assert {"id", "name", "aadObjectId", "email", "tenantId"} <= canned.json[0].keys()

    first = await call(
        session, "GET", conv_url(fake, CHANNEL_THREAD, "pagedmembers") + "?pageSize=1"
    )
    assert len(first.json["members"]) == 1
    token = first.json["continuationToken"]
    rest = await call(
        session,
        "GET",
        conv_url(fake, CHANNEL_THREAD, "pagedmembers") + f"?pageSize=1&continuationToken={token}",
    )
    assert rest.json["members"] == canned.json[1:]
    assert "continuationToken" not in rest.json

    member_id = canned.json[0]["id"]
    one = await call(session, "GET", conv_url(fake, CHANNEL_THREAD, "members", member_id))
    assert one.json == canned.json[0]
    missing = await call(session, "GET", conv_url(fake, CHANNEL_THREAD, "members", "29:nobody"))
    assert missing.status == 404


async def test_unknown_routes_and_methods(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    assert (await call(session, "GET", fake.url + "/v3/bots")).status == 404
    assert (await call(session, "GET", conv_url(fake, "a:1x", "activities"))).status == 405


# --------------------------------------------------------------------- failure injection


async def test_blocked_user_gets_the_documented_403_body(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    fake.block_user(BOB)
    conversation_id = fake.conversation_id_for(BOB)
    created = await call(session, "POST", fake.service_url + "v3/conversations", create_body())
    assert created.status == 403
    fake.add_conversation(conversation_id, [BOB])
    sent = await call(session, "POST", conv_url(fake, conversation_id, "activities"), message())
    assert sent.status == 403
    # Byte for byte the example in msteams-docs send-proactive-messages.md (Content-Length 196).
    assert sent.text == MESSAGE_WRITES_BLOCKED_BODY
    assert len(sent.text.encode()) == 196
    assert json.loads(sent.json["message"])["subCode"] == "MessageWritesBlocked"
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert fake.call_log(SEND_TO_CONVERSATION)[-1]["error"] == "MessageWritesBlocked"

    other = await call(session, "POST", conv_url(fake, "a:1someone-else", "activities"), message())
    assert other.status == 201
    fake.unblock(BOB)
    again = await call(session, "POST", conv_url(fake, conversation_id, "activities"), message())
    assert again.status == 201


async def test_blocked_conversation_with_an_envelope_code(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    fake.block_conversation(CHANNEL_THREAD, "ConversationBlockedByUser")
    answer = await call(session, "POST", conv_url(fake, CHANNEL_THREAD, "activities"), message())
    assert answer.status == 403
    assert answer.json == {
        "error": {
            "code": "ConversationBlockedByUser",
            "message": "User blocked the conversation with the bot.",
        }
    }
    reads = await call(session, "GET", conv_url(fake, CHANNEL_THREAD, "members"))
    assert reads.status == 200
    with pytest.raises(ValueError, match="unknown block code"):
        fake.block_user(BOB, "Nope")


@pytest.mark.parametrize(
    ("status", "code"),
    [(412, "PreconditionFailed"), (502, "ServiceError"), (504, "GatewayTimeout")],
)
async def test_injected_transient_failures(
    fake: FakeBotConnector, session: aiohttp.ClientSession, status: int, code: str
) -> None:
    fake.fail_next(status, times=2, conversation_id=CHANNEL_THREAD)
    url = conv_url(fake, CHANNEL_THREAD, "activities")
    elsewhere = await call(session, "POST", conv_url(fake, "a:1other", "activities"), message())
    assert elsewhere.status == 201
    for _ in range(2):
        answer = await call(session, "POST", url, message())
        assert answer.status == status
        assert answer.json["error"]["code"] == code
        assert "Retry-After" not in answer.headers
    assert (await call(session, "POST", url, message())).status == 201
    assert [c["status"] for c in fake.call_log(conversation_id=CHANNEL_THREAD)] == [
        status,
        status,
        201,
    ]


async def test_injected_429_has_retry_after(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    fake.fail_next(429, retry_after=7, routes=[CREATE_CONVERSATION])
    send = await call(session, "POST", conv_url(fake, "a:1x", "activities"), message())
    assert send.status == 201  # other routes are not affected
    answer = await call(session, "POST", fake.service_url + "v3/conversations", create_body())
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.json == {"error": {"code": "Throttled", "message": "Too many requests."}}


async def test_injection_by_user_and_custom_body(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    fake.fail_next(403, user_id=BOB, body={"error": {"code": "BotDisabledByAdmin", "message": "x"}})
    other = await call(
        session, "POST", fake.service_url + "v3/conversations", create_body("29:1carol")
    )
    assert other.status == 201
    answer = await call(session, "POST", fake.service_url + "v3/conversations", create_body())
    assert answer.status == 403
    assert answer.json == {"error": {"code": "BotDisabledByAdmin", "message": "x"}}


async def test_message_over_the_size_limit_is_413(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    url = conv_url(fake, "a:1x", "activities")
    # 100 KB counted UTF-16: 45,000 ASCII characters pass, 60,000 do not.
    assert (await call(session, "POST", url, message("a" * 45_000))).status == 201
    too_big = await call(session, "POST", url, message("a" * 60_000))
    assert too_big.status == 413
    assert too_big.json == {
        "error": {"code": "MessageSizeTooBig", "message": "Message size too large."}
    }
    assert len(fake.activities("a:1x")) == 1


async def test_size_limit_is_configurable(session: aiohttp.ClientSession) -> None:
    async with FakeBotConnector(max_message_bytes=1000, size_encoding="utf-8") as fake:
        url = conv_url(fake, "a:1x", "activities")
        assert (await call(session, "POST", url, message("a" * 900))).status == 201
        assert (await call(session, "POST", url, message("a" * 1000))).status == 413


# --------------------------------------------------------------------- throttling


async def test_eighth_rapid_send_to_one_conversation_is_throttled(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    url = conv_url(fake, "a:1busy", "activities")
    statuses = [(await call(session, "POST", url, message(str(n)))).status for n in range(7)]
    assert statuses == [201] * 7
    eighth = await call(session, "POST", url, message("8"))
    assert eighth.status == 429
    assert eighth.headers["Retry-After"] == "1"
    assert eighth.json == {"error": {"code": "Throttled", "message": "Too many requests."}}
    assert len(fake.activities("a:1busy")) == 7
    other = await call(session, "POST", conv_url(fake, "a:1quiet", "activities"), message())
    assert other.status == 201
    assert fake.stats()["throttled"] == {SEND_TO_CONVERSATION: 1}


async def test_longer_thread_windows_with_a_test_clock(session: aiohttp.ClientSession) -> None:
    now = [1000.0]
    limits = ThrottleLimits(tenant_rate=1000)
    async with FakeBotConnector(throttle=limits, clock=lambda: now[0]) as fake:
        url = conv_url(fake, "a:1busy", "activities")

        async def send() -> Answer:
            return await call(session, "POST", url, message())

        for _ in range(7):
            assert (await send()).status == 201
        now[0] += 1.0  # the 1 s window is free again, but 8 / 2 s is one away
        assert (await send()).status == 201
        blocked = await send()
        assert blocked.status == 429
        assert blocked.headers["Retry-After"] == "1"  # the first send leaves 2 s after it
        now[0] += 1.0
        sent = 8
        while sent < 60:  # 60 / 30 s: pace at 4 per 1.1 s, under the short windows
            for _ in range(min(4, 60 - sent)):
                assert (await send()).status == 201
                sent += 1
            now[0] += 1.1
        refused = await send()
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) > 2  # waiting on the 30 s window
        now[0] = 1000.0 + 30.0
        assert (await send()).status == 201


async def test_tenant_rps_limit_across_conversations(session: aiohttp.ClientSession) -> None:
    async with FakeBotConnector(throttle=ThrottleLimits(tenant_rate=5, tenant_burst=5)) as fake:
        statuses = [
            (
                await call(session, "POST", conv_url(fake, f"a:1u{n}", "activities"), message())
            ).status
            for n in range(6)
        ]
        assert statuses == [201] * 5 + [429]
        throttled = fake.calls[-1]
        assert throttled.error_code == "Throttled"
        other_tenant = await call(
            session,
            "POST",
            conv_url(fake, "a:1elsewhere", "activities"),
            message(conversation={"id": "a:1elsewhere", "tenantId": "tenant-2"}),
        )
        assert other_tenant.status == 201


async def test_throttling_can_be_turned_off(session: aiohttp.ClientSession) -> None:
    async with FakeBotConnector(throttle=ThrottleLimits(enabled=False)) as fake:
        url = conv_url(fake, "a:1busy", "activities")
        for n in range(40):
            assert (await call(session, "POST", url, message(str(n)))).status == 201


# --------------------------------------------------------------------- inspection and CLI


async def test_stats_and_call_log_over_http(
    fake: FakeBotConnector, session: aiohttp.ClientSession
) -> None:
    await call(session, "POST", fake.service_url + "v3/conversations", create_body())
    headers = {"Authorization": "Bearer eyJ.test"}
    await call(session, "POST", conv_url(fake, "a:1x", "activities"), message(), headers)
    fake.fail_next(502)
    await call(session, "POST", conv_url(fake, "a:1x", "activities"), message())

    stats = (await call(session, "GET", fake.url + "/_fake/stats")).json
    assert stats["accepted"] == {CREATE_CONVERSATION: 1, SEND_TO_CONVERSATION: 1}
    assert stats["failed"] == {SEND_TO_CONVERSATION: 1}
    assert stats["activities"] == 1
    served = await call(session, "GET", fake.url + f"/_fake/calls?route={SEND_TO_CONVERSATION}")
    assert served.json["count"] == 2
    first, second = served.json["calls"]
    assert first["conversation"] == "a:1x" and first["auth"] is True and first["status"] == 201
    assert second["auth"] is False and second["error"] == "ServiceError"
    assert fake.calls_to(SEND_TO_CONVERSATION)[0].authorization == "Bearer eyJ.test"


async def test_wait_for_and_reset(fake: FakeBotConnector, session: aiohttp.ClientSession) -> None:
    await call(session, "POST", conv_url(fake, "a:1x", "activities"), message())
    found = await fake.wait_for(lambda: fake.last_activity("a:1x"))
    assert found is not None and found.text == "hi"
    fake.reset()
    assert fake.calls == [] and fake.activities("a:1x") == []
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: fake.calls, timeout=0.05)


async def test_cli_prints_its_service_url_and_serves_stats(
    session: aiohttp.ClientSession,
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.bot_connector",
        "--port",
        "0",
        "--base-path",
        "/teams/",
        "--tenant-rate",
        "2",
        "--tenant-burst",
        "2",
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        service_url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert service_url.startswith("http://127.0.0.1:") and service_url.endswith("/teams/")
        url = service_url + "v3/conversations/a%3A1x/activities"
        statuses = [(await call(session, "POST", url, message())).status for _ in range(3)]
        assert statuses == [201, 201, 429]
        root = service_url.removesuffix("teams/")
        stats = (await call(session, "GET", root + "_fake/stats")).json
        assert stats["accepted"] == {SEND_TO_CONVERSATION: 2}
        assert stats["throttled"] == {SEND_TO_CONVERSATION: 1}
    finally:
        proc.terminate()
        await proc.wait()


async def test_cli_blocks_the_conversations_of_a_file(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    blocked = "a:1blocked-chat"
    listed = tmp_path / "blocked.txt"
    listed.write_text(f"# blocked by the person\n{blocked}\n\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.bot_connector",
        "--port",
        "0",
        "--block-conversations-file",
        str(listed),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        service_url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        refused = await call(
            session,
            "POST",
            service_url + "v3/conversations/" + quote(blocked, safe="") + "/activities",
            message(),
        )
        assert (refused.status, refused.text) == (403, MESSAGE_WRITES_BLOCKED_BODY)
        other = service_url + "v3/conversations/a%3A1open-chat/activities"
        assert (await call(session, "POST", other, message())).status == 201
        calls = (await call(session, "GET", service_url + "_fake/calls")).json["calls"]
        assert [(c["conversation"], c["status"], c["error"]) for c in calls] == [
            (blocked, 403, "MessageWritesBlocked"),
            ("a:1open-chat", 201, None),
        ]
    finally:
        proc.terminate()
        await proc.wait()


# --------------------------------------------------------------------- the real SDK client


async def test_real_connector_client_speaks_to_the_fake(fake: FakeBotConnector) -> None:
    pytest.importorskip("botframework.connector")
    from botbuilder.schema import (  # type: ignore[import-not-found, unused-ignore]
        Activity,
        ChannelAccount,
        ConversationParameters,
        ErrorResponseException,
    )
    from botframework.connector.aio import (  # type: ignore[import-not-found, unused-ignore]
        ConnectorClient,
    )
    from botframework.connector.auth import (  # type: ignore[import-not-found, unused-ignore]
        MicrosoftAppCredentials,
    )

    credentials = MicrosoftAppCredentials(None, None)
    async with ConnectorClient(credentials, base_url=fake.service_url) as client:
        created = await client.conversations.create_conversation(
            ConversationParameters(
                is_group=False,
                bot=ChannelAccount(id="28:advocacy-bot-app-id"),
                members=[ChannelAccount(id=BOB)],
                tenant_id=TENANT_ID,
                channel_data={"tenant": {"id": TENANT_ID}},
            )
        )
        assert created.id == fake.conversation_id_for(BOB)
        assert created.service_url == fake.service_url
        sent = await client.conversations.send_to_conversation(
            created.id, Activity(type="message", text="hello")
        )
        updated = await client.conversations.update_activity(
            created.id, sent.id, Activity(type="message", text="edited", id=sent.id)
        )
        assert updated.id == sent.id
        members = await client.conversations.get_conversation_members(created.id)
        assert [member.id for member in members] == [BOB]

        fake.block_user(BOB)
        with pytest.raises(ErrorResponseException) as blocked:
            await client.conversations.send_to_conversation(created.id, Activity(type="message"))
        assert blocked.value.response.status_code == 403
        assert "MessageWritesBlocked" in blocked.value.response.text
        fake.unblock(BOB)
        fake.fail_next(429, retry_after=2)
        with pytest.raises(ErrorResponseException) as throttled:
            await client.conversations.send_to_conversation(created.id, Activity(type="message"))
        assert throttled.value.response.status_code == 429
        assert throttled.value.response.headers["Retry-After"] == "2"
        assert throttled.value.error.error.code == "Throttled"

    recorded = fake.activity(created.id, sent.id)
    assert recorded is not None
    assert [version["text"] for version in recorded.versions] == ["hello", "edited"]
    assert fake.call_log()[0]["auth"] is False  # anonymous credentials send no token
