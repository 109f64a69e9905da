"""Roles on Teams, end to end: activities to ``/api/messages``, replies through the fake Bot
Framework Connector, group members read from the fake Microsoft Graph. An admin who is in the
Entra admins group adds a curator by @mention, who can then post; the audit log shows it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    CONFIG,
    FAST_SENDER,
    TENANT,
    RecordingFetcher,
    TeamsBot,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import FakeBotConnector, ThrottleLimits
from tests.fakes.graph_api import CLIENT_ID, CLIENT_SECRET, FakeGraph

ADMINS_GROUP = "6f1c2a4e-0000-4000-8000-0000000000ad"
ALICE_OID = f"aad-{ALICE[-6:]}"  # what the conftest's activities carry as aadObjectId
ROLES = f"""
roles:
  teams_aad_groups: {{admins: {ADMINS_GROUP}, tenant: {TENANT}}}
"""


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(tenant=TENANT) as fake:
        fake.add_group(ADMINS_GROUP, [], groups=["nested-group"])
        fake.add_group("nested-group", [ALICE_OID])  # nested groups count
        yield fake


@pytest.fixture
async def roles_bot(
    database_url: str,
    make_env: Callable[..., Environment],
    tmp_path: Path,
    graph: FakeGraph,
) -> AsyncIterator[TeamsBot]:
    config = CONFIG.replace(f'curators: {{teams: ["{ALICE}"]}}\n', "") + ROLES
    (tmp_path / "config.yaml").write_text(config)
    env = make_env(
        database_url,
        MICROSOFT_GRAPH_URL=graph.base_url,
        MICROSOFT_LOGIN_URL=graph.base_url,
        MICROSOFT_GRAPH_CLIENT_ID=CLIENT_ID,
        MICROSOFT_GRAPH_CLIENT_SECRET=CLIENT_SECRET,
    )
    async with FakeBotConnector(tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)) as bc:
        runtime = build_runtime(env, fetcher=RecordingFetcher(), sender_settings=FAST_SENDER)
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield TeamsBot(client, bc, runtime)


def words(activity: Any) -> str:
    return (activity.text or "") + " " + texts_of(activity.activity)


def mention(user: str, name: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": user, "name": name}}


async def test_an_entra_admin_adds_a_curator_by_mention(
    roles_bot: TeamsBot, graph: FakeGraph
) -> None:
    bot = roles_bot
    await bot.say(BOB, "post https://acme.example/a #ai Hello")
    (refused,) = await bot.wait_sent(BOB)
    assert "Only curators" in words(refused)

    await bot.say(CAROL, "curators add <at>Bob Durand</at>", entities=[mention(BOB, "Bob Durand")])
    (not_admin,) = await bot.wait_sent(CAROL)
    assert "Only admins" in words(not_admin)

    await bot.post(
        bot.activity(
            ALICE,
            "Alice Martin",
            text="curators add <at>Bob Durand</at>",
            entities=[mention(BOB, "Bob Durand")],
        )
    )
    (added,) = await bot.wait_sent(ALICE)
    assert "Bob Durand is now a curator." in words(added)
    assert await bot.scalar("SELECT user_id FROM role_grant") == BOB

    await bot.say(BOB, "post https://acme.example/a #ai Hello")
    await bot.until_scalar("SELECT count(*) FROM content", 1)

    await bot.say(ALICE, "audit")
    _, audit = await bot.wait_sent(ALICE, 2)
    text = texts_of(card_of(audit))
    assert "Alice Martin" in text and "made Bob Durand a curator" in text
    assert "published" in text and text.index("published") < text.index("made")
    assert graph.calls["token"] == 1  # one token, the group list cached for both checks

    await bot.say(ALICE, "curators")
    *_, listing = await bot.wait_sent(ALICE, 3)
    listed = texts_of(card_of(listing))
    assert ADMINS_GROUP in listed and "(1 person)" in listed and "Bob Durand" in listed


async def test_graph_down_grants_nothing(roles_bot: TeamsBot, graph: FakeGraph) -> None:
    graph.client_secret = "rotated"  # the bot's secret no longer works
    await roles_bot.say(ALICE, "audit")
    (refused,) = await roles_bot.wait_sent(ALICE)
    assert "Only admins" in words(refused)
    assert "Traceback" not in words(refused)


async def test_an_admin_adds_a_curator_by_email_from_the_personal_chat(roles_bot: TeamsBot) -> None:
    bot = roles_bot
    bot.connector.add_conversation(
        bot.conversation(CAROL),
        [{"id": CAROL, "name": "Carol King", "email": "carol.king@acme.example"}],
        tenant_id=TENANT,
    )
    await bot.join(CAROL, "Carol King")
    await bot.until_scalar("SELECT count(*) FROM ambassador WHERE email IS NOT NULL", 1)
    await bot.say(ALICE, "curators add Carol.King@acme.example")
    (added,) = await bot.wait_sent(ALICE)
    assert "Carol King is now a curator." in words(added)
    await bot.say(ALICE, "curators add dave@acme.example")
    _, unknown = await bot.wait_sent(ALICE, 2)
    assert "dave@acme.example" in words(unknown) and "join first" in words(unknown)
    assert await bot.scalar("SELECT user_id FROM role_grant") == CAROL
