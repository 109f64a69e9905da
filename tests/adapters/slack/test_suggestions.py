"""Suggestions on Slack, end to end: a signed ``/advocacy suggest``, the review card in the
review channel, curators' Approve / Edit / Reject (and a non-curator's refused click), the
suggester's DMs, the content published."""

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
from bot.model import PageMetadata
from messages import slack_ids as ids
from tests import factories
from tests.adapters.slack.conftest import (
    ALICE,
    BOB,
    CAROL,
    CONFIG,
    DAVE,
    FAST_SENDER,
    SECRET,
    RecordingFetcher,
    SlackBot,
    errors_of,
)
from tests.fakes.slack_api import FakeSlackApi

REVIEW = "C07REVIEW1"
URL = "https://acme.example/blog/great-read"
REVIEW_CONFIG = CONFIG + f"review: {{channels: {{slack: {REVIEW}}}, auto_approve_after: 2}}\n"


@pytest.fixture
async def bot(
    database_url: str, make_env: Callable[..., Environment], tmp_path: Path
) -> AsyncIterator[SlackBot]:
    (tmp_path / "review.yaml").write_text(REVIEW_CONFIG)
    async with FakeSlackApi() as fake:
        fake.add_user(ALICE, real_name="Alice Martin", locale="en-US")
        fake.add_user(BOB, real_name="Bob Durand", display_name="Bob", locale="fr-FR")
        fake.add_user(CAROL, real_name="Carol King", locale="en-GB")
        fake.add_user(DAVE, real_name="Dave Stone")
        fetcher = RecordingFetcher()
        fetcher.pages[URL] = PageMetadata("A great read", "What we learnt", None)
        runtime = build_runtime(
            make_env(database_url, fake.base_url, ADVOCACY_CONFIG=tmp_path / "review.yaml"),
            fetcher=fetcher,
            sender_settings=FAST_SENDER,
        )
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app)) as client:
            yield SlackBot(client, fake, runtime, fetcher)


async def click(bot: SlackBot, user: str, action_id: str, card: Any) -> None:
    # The card's buttons go once it is decided: a late click carries what the old card had.
    value = (
        buttons(card)[action_id]["value"]
        if buttons(card)
        else card.history[0]["blocks"][-1]["elements"][0]["value"]
    )
    status, _ = await bot.send(
        factories.block_actions(
            user_id=user,
            action_id=action_id,
            value=value,
            secret=SECRET,
            channel_id=REVIEW,
            message_ts=card.ts,
            response_url=bot.fake.response_url(f"{user}-click"),
        )
    )
    assert status == 200


def buttons(message: Any) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in message.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def shown(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


async def review_card(bot: SlackBot, count: int = 1) -> Any:
    cards = await bot.fake.wait_for(
        lambda: (m := bot.fake.messages_in(REVIEW)) and len(m) >= count and m
    )
    return cards[count - 1]


async def test_suggest_approve_publishes_and_credits_the_suggester(bot: SlackBot) -> None:
    await bot.join(BOB, ["ai"], ["linkedin"])
    await bot.join(CAROL, ["recruiting"], ["x"])
    assert (await bot.command(f"suggest <{URL}> Our team built this!", BOB))[0] == 200
    (thanks,) = await bot.replies_to(BOB)
    assert thanks["response_type"] == "ephemeral"
    assert "Merci" in json.dumps(thanks, ensure_ascii=False)  # Bob reads French
    card = await review_card(bot)
    assert set(buttons(card)) == {
        ids.REVIEW_APPROVE_ACTION,
        ids.REVIEW_EDIT_ACTION,
        ids.REVIEW_REJECT_ACTION,
    }
    text = shown(card)
    assert "A great read" in text and "Our team built this!" in text and f"<@{BOB}>" in text

    # A non-curator's click is refused politely, and changes nothing.
    await click(bot, DAVE, ids.REVIEW_APPROVE_ACTION, card)
    (refusal,) = await bot.replies_to(f"{DAVE}-click")
    assert "curators" in json.dumps(refusal) and refusal["response_type"] == "ephemeral"
    assert await bot.scalar("SELECT status FROM suggestion") == "pending"

    await click(bot, ALICE, ids.REVIEW_APPROVE_ACTION, card)
    await bot.until_scalar("SELECT count(*) FROM content WHERE status = 'published'", 1)
    assert await bot.scalar("SELECT url FROM content") == URL
    await bot.fake.wait_for(
        lambda: (m := bot.fake.message(REVIEW, card.ts)) is not None and m.history
    )
    updated = bot.fake.message(REVIEW, card.ts)
    assert updated is not None
    assert buttons(updated) == {} and f"<@{ALICE}>" in shown(updated)
    # Bob is told (in French) and earns the points, once; everyone gets the content.
    dms = await bot.dms(BOB, 3)  # welcome, the approval, the suggestion itself (any order)
    assert any("approuvée" in shown(m) and "+20" in shown(m) for m in dms)
    assert (
        await bot.scalar("SELECT sum(points) FROM points_award WHERE kind = 'approved_suggestion'")
        == 20
    )
    await bot.dms(CAROL, 2)  # audience: everyone

    # A double click (or Slack's retry) acts once.
    await click(bot, ALICE, ids.REVIEW_APPROVE_ACTION, card)
    (late,) = await bot.replies_to(f"{ALICE}-click")
    assert "already" in json.dumps(late)
    assert await bot.scalar("SELECT count(*) FROM content") == 1


async def test_reject_asks_a_reason_and_tells_the_suggester(bot: SlackBot) -> None:
    assert (await bot.command(f"suggest {URL}", CAROL))[0] == 200
    card = await review_card(bot)
    await click(bot, ALICE, ids.REVIEW_REJECT_ACTION, card)
    opened = await bot.fake.wait_for(lambda: bot.fake.calls_to("views.open"))
    modal = opened[0].args["view"]
    assert modal["callback_id"] == ids.REJECT_VIEW
    suggestion_id = modal["private_metadata"]
    status, body = await bot.submit_view(
        ALICE, ids.REJECT_VIEW, reason(""), private_metadata=suggestion_id
    )
    assert status == 200 and ids.REASON_BLOCK in errors_of(body)
    status, body = await bot.submit_view(
        ALICE, ids.REJECT_VIEW, reason("We covered it last week"), private_metadata=suggestion_id
    )
    assert (status, body) == (200, "")
    (told,) = await bot.dms(CAROL)
    assert "We covered it last week" in shown(told)
    await bot.until_scalar("SELECT status FROM suggestion", "rejected")
    await bot.fake.wait_for(
        lambda: (m := bot.fake.message(REVIEW, card.ts)) is not None and m.history
    )
    assert "We covered it last week" in shown(bot.fake.message(REVIEW, card.ts))

    # A late click on Approve never publishes it.
    await click(bot, ALICE, ids.REVIEW_APPROVE_ACTION, card)
    (late,) = await bot.replies_to(f"{ALICE}-click")
    assert "rejected" in json.dumps(late)
    assert await bot.scalar("SELECT count(*) FROM content") == 0


async def test_edit_opens_the_post_form_filled_in(bot: SlackBot) -> None:
    assert (await bot.command(f"suggest {URL} good one", DAVE))[0] == 200
    card = await review_card(bot)
    await click(bot, ALICE, ids.REVIEW_EDIT_ACTION, card)
    opened = await bot.fake.wait_for(lambda: bot.fake.calls_to("views.open"))
    modal = opened[0].args["view"]
    assert modal["callback_id"] == ids.POST_VIEW
    url_input = next(b for b in modal["blocks"] if b["block_id"] == ids.URL_BLOCK)
    assert url_input["element"]["initial_value"] == URL
    values = {
        ids.URL_BLOCK: {ids.URL_ACTION: {"type": "url_text_input", "value": URL}},
        ids.TITLE_BLOCK: {ids.TITLE_ACTION: {"type": "plain_text_input", "value": "Edited"}},
        ids.TOPICS_BLOCK: {
            ids.TOPICS_ACTION: {
                "type": "multi_static_select",
                "selected_options": [{"value": "ai"}],
            }
        },
        ids.PUBLISH_BLOCK: {
            ids.PUBLISH_ACTION: {"type": "checkboxes", "selected_options": [{"value": "now"}]}
        },
    }
    status, body = await bot.submit_view(
        ALICE, ids.POST_VIEW, values, private_metadata=modal["private_metadata"]
    )
    assert (status, body) == (200, "")
    await bot.until_scalar("SELECT title FROM content WHERE status = 'published'", "Edited")
    assert await bot.scalar("SELECT status FROM suggestion") == "approved"
    # The content is linked to the suggestion right after it is published.
    await bot.until_scalar("SELECT count(*) FROM suggestion WHERE content_id IS NOT NULL", 1)
    # Dave is not an ambassador: told, with a hint to join, and no points.
    (told,) = await bot.dms(DAVE)
    assert "Join the ambassador programme" in shown(told)


async def test_duplicates_and_bad_links_are_answered_politely(bot: SlackBot) -> None:
    await bot.command(f"suggest {URL}", CAROL)
    await review_card(bot)
    await bot.command(f"suggest {URL} me too", DAVE)
    await bot.command("suggest ftp://acme.example/file", DAVE)
    await bot.command("suggest", DAVE)
    replies = await bot.replies_to(DAVE, 3)
    texts = [json.dumps(r) for r in replies]
    assert any("already suggested" in t for t in texts)
    assert any("http" in t for t in texts)
    assert any("Add the link" in t for t in texts)
    assert len(bot.fake.messages_in(REVIEW)) == 1


def reason(value: str) -> dict[str, Any]:
    return {ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "plain_text_input", "value": value}}}


async def test_the_composition_root_schedules_the_expiry(bot: SlackBot) -> None:
    job_ids = {job.id for job in bot.runtime.scheduler.get_jobs()}
    assert "expire_suggestions" in job_ids
    assert "poll_feeds" not in job_ids  # no feed configured
    assert bot.runtime.suggestions is not None
