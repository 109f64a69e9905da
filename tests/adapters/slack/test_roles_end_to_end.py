"""Roles on Slack, end to end: signed ``/advocacy`` commands against the real application and
the fake Web API. An admin from config.yaml adds a curator by mention, who can then post; a
non-admin cannot; a user group's members are curators; the audit log shows it all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from tests.adapters.slack.conftest import (
    ALICE,
    BOB,
    CAROL,
    CONFIG,
    DAVE,
    FAST_SENDER,
    RecordingFetcher,
    SlackBot,
)
from tests.fakes.slack_api import FakeSlackApi

COMMS_GROUP = "S0COMMS001"
ROLES = f"""
roles:
  admins: {{slack: [{ALICE}]}}
  slack_usergroups: {{curators: {COMMS_GROUP}}}
"""


@pytest.fixture
async def roles_bot(
    database_url: str, make_env: Callable[..., Environment], tmp_path: Path
) -> AsyncIterator[SlackBot]:
    config = CONFIG.replace("curators: {slack: [U04ALICE01]}\n", "") + ROLES
    (tmp_path / "config.yaml").write_text(config)
    async with FakeSlackApi() as fake:
        fake.add_user(ALICE, real_name="Alice Martin", locale="en-US")
        fake.add_user(BOB, real_name="Bob Durand", display_name="Bob", locale="fr-FR")
        fake.add_user(CAROL, real_name="Carol King", locale="en-GB")
        fake.add_user(DAVE, real_name="Dave Stone")
        fake.add_usergroup(COMMS_GROUP, [CAROL])
        fetcher = RecordingFetcher()
        runtime = build_runtime(
            make_env(database_url, fake.base_url), fetcher=fetcher, sender_settings=FAST_SENDER
        )
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app)) as client:
            yield SlackBot(client, fake, runtime, fetcher)


def text_of(reply: dict[str, Any]) -> str:
    return json.dumps(reply.get("blocks") or reply.get("text"), ensure_ascii=False)


async def test_an_admin_adds_a_curator_who_can_then_post(roles_bot: SlackBot) -> None:
    bot = roles_bot
    await bot.command("post https://acme.example/a #ai Hello", BOB)
    (refused,) = await bot.replies_to(BOB)
    assert "Only curators" in text_of(refused)

    await bot.command(f"curators add <@{BOB}|bob>", DAVE)  # not an admin
    (not_admin,) = await bot.replies_to(DAVE)
    assert "Only admins" in text_of(not_admin)
    assert await bot.scalar("SELECT count(*) FROM role_grant") == 0

    await bot.command(f"curators add <@{BOB}|bob>", ALICE)
    (added,) = await bot.replies_to(ALICE)
    assert f"<@{BOB}> is now a curator." in text_of(added)
    await bot.command(f"curators add <@{BOB}>", ALICE)  # again: nothing changes
    assert "already a curator" in text_of((await bot.replies_to(ALICE, 2))[1])
    assert await bot.scalar("SELECT count(*) FROM role_grant") == 1

    await bot.command("post https://acme.example/a #ai Hello", BOB)
    await bot.until_scalar("SELECT count(*) FROM content", 1)
    # The audit entry is written right after the content (under load, a moment later).
    await bot.until_scalar("SELECT count(*) FROM audit_entry", 2)
    await bot.command("post https://acme.example/b #ai Hi", DAVE)
    await bot.replies_to(DAVE, 2)
    assert await bot.scalar("SELECT count(*) FROM content") == 1

    await bot.command("audit", ALICE)
    audit = text_of((await bot.replies_to(ALICE, 3))[2])
    assert f"*Alice Martin* made <@{BOB}> a curator" in audit  # her Slack name
    assert "published" in audit and "content:1" in audit
    assert audit.index("published") < audit.index("made")  # newest first
    await bot.command("audit", DAVE)
    assert "Only admins" in text_of((await bot.replies_to(DAVE, 3))[2])


async def test_group_curators_are_listed_and_cannot_be_removed_by_command(
    roles_bot: SlackBot,
) -> None:
    bot = roles_bot
    await bot.command("post https://acme.example/c #ai From the comms team", CAROL)
    await bot.until_scalar("SELECT count(*) FROM content", 1)
    assert bot.fake.calls_to("usergroups.users.list")[0].args["usergroup"] == COMMS_GROUP

    await bot.command(f"curators remove <@{CAROL}|carol>", ALICE)
    (kept,) = await bot.replies_to(ALICE)
    assert "a command can\u2019t change" in text_of(kept)
    await bot.command("curators", ALICE)
    listing = text_of((await bot.replies_to(ALICE, 2))[1])
    assert f"<@{ALICE}>" in listing and f"<!subteam^{COMMS_GROUP}>" in listing
    assert "(1 person)" in listing
    await bot.command("curators add nobody", ALICE)
    assert "Tell me who" in text_of((await bot.replies_to(ALICE, 3))[2])


async def test_help_shows_admin_commands_to_admins(roles_bot: SlackBot) -> None:
    await roles_bot.command("help", ALICE)
    await roles_bot.command("help", CAROL)
    (admin,) = await roles_bot.replies_to(ALICE)
    (curator,) = await roles_bot.replies_to(CAROL)
    assert "For admins" in text_of(admin) and "For curators" in text_of(admin)
    assert "For admins" not in text_of(curator) and "For curators" in text_of(curator)
