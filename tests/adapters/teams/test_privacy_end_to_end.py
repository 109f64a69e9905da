"""``my-data`` and ``forget-me`` typed in Teams: a card with a signed download link served by
our own server, and the erase confirmed with a card's Submit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlmodel import SQLModel

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from bot.signing import LinkSigner
from tests.adapters.teams.conftest import (
    BOB,
    FAST_SENDER,
    TENANT,
    RecordingFetcher,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import FakeBotConnector, ThrottleLimits

LINK_SECRET = "a-test-secret-of-more-than-32-characters"


@pytest.fixture
async def bot(database_url: str, make_env: Callable[..., Environment]) -> AsyncIterator[TeamsBot]:
    async with FakeBotConnector(
        tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)
    ) as connector:
        env = make_env(database_url, ADVOCACY_LINK_SECRET=LINK_SECRET)
        runtime = build_runtime(env, fetcher=RecordingFetcher(), sender_settings=FAST_SENDER)
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield TeamsBot(client, connector, runtime)


async def joined(bot: TeamsBot) -> None:
    await bot.join(BOB, "Bob Durand", locale="fr-FR")
    await bot.until_scalar("SELECT count(*) FROM identity", 1)


async def last_card(bot: TeamsBot, count: int) -> dict[str, object]:
    return card_of((await bot.wait_sent(BOB, count))[count - 1])


async def test_my_data_gives_a_signed_link_to_the_export(bot: TeamsBot) -> None:
    await joined(bot)
    before = len(bot.sent_to(BOB))
    await bot.say(BOB, "my-data")
    card = await last_card(bot, before + 1)
    (link,) = [a["url"] for a in actions_of(card) if a["type"] == "Action.OpenUrl"]
    assert link.startswith("https://go.example.com/my-data/")
    assert "15" in texts_of(card)
    path = urlsplit(link).path

    response = await bot.client.get(path)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="my-data-')
    document = json.loads(await response.read())
    assert document["ambassador"]["display_name"] == "Bob Durand"
    assert document["requested_by"]["user_id"] == BOB
    addresses = document["chat_addresses"]  # filed under Bob's id and the chat's id
    assert BOB in [a["key"] for a in addresses]
    assert all("Teams conversation reference" in a["what"] for a in addresses)
    assert all(a["payload"]["user"]["id"] == BOB for a in addresses)

    token = path.rsplit("/", 1)[1]
    tampered = await bot.client.get(f"/my-data/{token[:-2]}xx")
    assert tampered.status == 403
    assert "<html" in await tampered.text()
    forged = LinkSigner(b"another secret, of another bot!!").sign(
        "my-data", f"teams|{TENANT}|{BOB}", datetime.now(UTC) + timedelta(minutes=5)
    )
    assert (await bot.client.get(f"/my-data/{forged}")).status == 403
    expired = LinkSigner(LINK_SECRET.encode()).sign(
        "my-data", f"teams|{TENANT}|{BOB}", datetime.now(UTC) - timedelta(seconds=1)
    )
    gone = await bot.client.get(f"/my-data/{expired}", headers={"Accept-Language": "fr-FR"})
    assert gone.status == 410
    assert "expiré" in await gone.text()


async def test_forget_me_confirmed_by_the_card_erases(bot: TeamsBot) -> None:
    await joined(bot)
    before = len(bot.sent_to(BOB))
    await bot.say(BOB, "forget-me")
    card = await last_card(bot, before + 1)
    verbs = [a["data"]["advocacy"] for a in actions_of(card) if a["type"] == "Action.Submit"]
    assert verbs == ["forget_me_confirm", "forget_me_cancel"]
    assert await bot.scalar("SELECT count(*) FROM identity") == 1

    await bot.submit(BOB, {"advocacy": "forget_me_cancel"})
    assert "Vos données restent" in texts_of(await last_card(bot, before + 2))
    await bot.submit(BOB, {"advocacy": "forget_me_confirm"})
    assert "effacées" in texts_of(await last_card(bot, before + 3))

    assert await bot.scalar("SELECT count(*) FROM identity") == 0
    values: list[str] = []
    async with bot.runtime.store.db.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values.extend(str(v) for v in row if v is not None)
    for needle in (BOB, "Bob Durand"):
        assert not any(needle in v for v in values), needle
