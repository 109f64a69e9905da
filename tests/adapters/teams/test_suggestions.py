"""Suggestions on Teams, end to end: a typed ``suggest``, the review card posted to the review
channel through the connector, curators' submits (and a non-curator's refused one), the card
updated in place, the suggester told in their chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from bot.model import PageMetadata
from messages import teams_ids as ids
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    CONFIG,
    FAST_SENDER,
    TENANT,
    RecordingFetcher,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import FakeBotConnector, RecordedActivity, ThrottleLimits

REVIEW = "19:review@thread.tacv2"
URL = "https://acme.example/blog/great-read"
REVIEW_CONFIG = CONFIG + f'review: {{channels: {{teams: "{REVIEW}"}}}}\n'


@pytest.fixture
async def bot(
    database_url: str, make_env: Callable[..., Environment], tmp_path: Path
) -> AsyncIterator[TeamsBot]:
    (tmp_path / "review.yaml").write_text(REVIEW_CONFIG)
    async with FakeBotConnector(
        tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)
    ) as connector:
        fetcher = RecordingFetcher()
        fetcher.pages[URL] = PageMetadata("A great read", "What we learnt", None)
        runtime = build_runtime(
            make_env(database_url, ADVOCACY_CONFIG=tmp_path / "review.yaml"),
            fetcher=fetcher,
            sender_settings=FAST_SENDER,
        )
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            teams = TeamsBot(client, connector, runtime)
            added = teams.activity(
                ALICE,
                type="conversationUpdate",
                membersAdded=[{"id": "28:advocacy-bot"}],
                conversation={"conversationType": "channel", "tenantId": TENANT, "id": REVIEW},
                channelData={"tenant": {"id": TENANT}, "channel": {"id": REVIEW}},
            )
            assert (await teams.post(added))[0] == 201
            yield teams


async def review_card(bot: TeamsBot, count: int = 1) -> RecordedActivity:
    cards = await bot.connector.wait_for(
        lambda: (found := bot.connector.activities(REVIEW)) and len(found) >= count and found
    )
    return cards[count - 1]


async def submit_on_card(
    bot: TeamsBot, user: str, name: str, card: RecordedActivity, value: dict[str, Any]
) -> None:
    """A submit from the card in the channel, as Teams sends it (a reply in its thread)."""
    activity = bot.activity(
        user,
        name=name,
        value=value,
        replyToId=card.activity_id,
        conversation={
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{REVIEW};messageid={card.activity_id}",
            "isGroup": True,
        },
        channelData={"tenant": {"id": TENANT}, "channel": {"id": REVIEW}},
    )
    assert (await bot.post(activity))[0] in (200, 201)


def data_of(card: RecordedActivity, verb: str) -> dict[str, Any]:
    return next(
        a["data"]
        for a in actions_of(card_of(card))
        if a.get("data", {}).get(ids.ACTION_KEY) == verb
    )


async def test_typed_suggest_then_a_curator_approves(bot: TeamsBot) -> None:
    await bot.join(BOB, "Bob Durand", locale="fr-FR")
    before = len(bot.sent_to(BOB))
    assert (await bot.say(BOB, f"suggest {URL} Our team built this", locale="fr-FR"))[0] in (
        200,
        201,
    )
    sent = await bot.wait_sent(BOB, before + 1)
    assert "Merci" in texts_of(card_of(sent[-1]))
    card = await review_card(bot)
    shown = texts_of(card_of(card))
    assert "A great read" in shown and "Our team built this" in shown and "Someone" in shown
    approve = data_of(card, ids.REVIEW_APPROVE)

    # Someone who is not a curator: refused in the card's thread, nothing decided.
    await submit_on_card(bot, CAROL, "Carol", card, approve)
    refusal = await bot.connector.wait_for(
        lambda: bot.connector.activities(f"{REVIEW};messageid={card.activity_id}")
    )
    assert "curators" in texts_of(card_of(refusal[0]))
    assert await bot.scalar("SELECT status FROM suggestion") == "pending"

    await submit_on_card(bot, ALICE, "Alice Martin", card, approve)
    await bot.until_scalar("SELECT count(*) FROM content WHERE status = 'published'", 1)
    await bot.connector.wait_for(lambda: card.history)
    updated = texts_of(card.activity)
    assert "Alice Martin" in updated and ids.REVIEW_APPROVE not in str(card.activity)
    # Bob hears it in his chat, with his points.
    told = await bot.connector.wait_for(
        lambda: [a for a in bot.sent_to(BOB) if "approuvée" in texts_of(a.activity)]
    )
    assert "+20" in texts_of(told[0].activity)
    # The same submit again (a replay, or a second curator) decides nothing more.
    await submit_on_card(bot, ALICE, "Alice Martin", card, approve)
    assert await bot.scalar("SELECT count(*) FROM content") == 1


async def test_a_curator_rejects_with_a_reason(bot: TeamsBot) -> None:
    await bot.install(CAROL)
    assert (await bot.say(CAROL, f"suggest {URL}"))[0] in (200, 201)
    card = await review_card(bot)
    reject = data_of(card, ids.REVIEW_REJECT)
    await submit_on_card(bot, ALICE, "Alice Martin", card, {**reject, ids.REASON: ""})
    asked = await bot.connector.wait_for(
        lambda: bot.connector.activities(f"{REVIEW};messageid={card.activity_id}")
    )
    assert "reason" in texts_of(card_of(asked[0]))
    assert await bot.scalar("SELECT status FROM suggestion") == "pending"
    await submit_on_card(
        bot, ALICE, "Alice Martin", card, {**reject, ids.REASON: "Covered last week"}
    )
    await bot.until_scalar("SELECT status FROM suggestion", "rejected")
    told = await bot.connector.wait_for(
        lambda: [a for a in bot.sent_to(CAROL) if "Covered last week" in texts_of(a.activity)]
    )
    assert told
    await bot.connector.wait_for(lambda: card.history)
    assert "Covered last week" in texts_of(card.activity)
    # A late Approve never publishes it.
    await submit_on_card(
        bot, ALICE, "Alice Martin", card, data_of(card_with(card), ids.REVIEW_APPROVE)
    )
    assert await bot.scalar("SELECT count(*) FROM content") == 0


async def test_edit_sends_the_post_card_filled_in(bot: TeamsBot) -> None:
    await bot.install(CAROL)
    await bot.say(CAROL, f"suggest {URL}")
    card = await review_card(bot)
    await submit_on_card(bot, ALICE, "Alice Martin", card, data_of(card, ids.REVIEW_EDIT))
    thread = f"{REVIEW};messageid={card.activity_id}"
    (form,) = await bot.connector.wait_for(lambda: bot.connector.activities(thread))
    post = next(a for a in actions_of(card_of(form)) if a["data"][ids.ACTION_KEY] == ids.POST)
    assert post["data"][ids.SUGGESTION_ID] > 0
    assert URL in texts_of(card_of(form))
    value = {
        **post["data"],
        ids.URL: URL,
        ids.TITLE: "Edited",
        ids.TOPICS: "ai",
        ids.PUBLISH: "now",
    }
    await submit_on_card(bot, ALICE, "Alice Martin", card, value)
    await bot.until_scalar("SELECT title FROM content WHERE status = 'published'", "Edited")
    assert await bot.scalar("SELECT status FROM suggestion") == "approved"


def card_with(card: RecordedActivity) -> RecordedActivity:
    """The card as first posted (its buttons), to replay a click after it was decided."""
    return RecordedActivity(
        card.conversation_id, card.activity_id, card.history[0], card.route, None, 0.0
    )
