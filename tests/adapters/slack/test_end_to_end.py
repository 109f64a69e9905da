"""Slack end to end: signed HTTP requests in, Web API calls and database rows out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import text as sql

from bot.model import PageMetadata
from tests import factories
from tests.adapters.rollup import rolled_up
from tests.adapters.slack.conftest import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    DAVE,
    PUBLIC_URL,
    SECRET,
    SlackBot,
    errors_of,
    join_values,
    plain,
)
from tests.fakes.slack_api import dm_channel_id


def buttons(message: Any) -> dict[str, dict[str, Any]]:
    """The message's buttons by action id."""
    return {
        element["action_id"]: element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def message_text(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


async def publish_ai_post(bot: SlackBot, text: str = "Our AI team is hiring {first_name}!") -> None:
    status, _ = await bot.command(f"post https://acme.example/jobs/ai #ai {text}", ALICE)
    assert status == 200
    await bot.replies_to(ALICE, 2)  # "reading the page…" then "saved and sent"


async def test_help_shows_curator_commands_only_to_curators(slack_bot: SlackBot) -> None:
    assert (await slack_bot.command("help", DAVE))[0] == 200
    assert (await slack_bot.command("", ALICE))[0] == 200
    (dave,) = await slack_bot.replies_to(DAVE)
    (alice,) = await slack_bot.replies_to(ALICE)
    assert "publish" not in json.dumps(dave) and "join" in json.dumps(dave)
    assert "publish" in json.dumps(alice)
    assert dave["response_type"] == "ephemeral"


async def test_unknown_subcommand_suggests_the_right_one(slack_bot: SlackBot) -> None:
    await slack_bot.command("jion", DAVE)
    (reply,) = await slack_bot.replies_to(DAVE)
    assert "jion" in json.dumps(reply) and "join" in json.dumps(reply)


async def test_join_opens_the_guidelines_and_refuses_without_acceptance(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.command("join", BOB)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    view = opened[0].args["view"]
    assert view["callback_id"] == "join" and view["private_metadata"] == "v1"
    assert "kind" in json.dumps(view)  # the guidelines text is shown
    status, body = await slack_bot.submit_view(
        BOB, "join", join_values(["ai"], ["linkedin"], accept=False), private_metadata="v1"
    )
    assert status == 200 and "accept" in errors_of(body)
    status, body = await slack_bot.submit_view(
        BOB, "join", join_values([], ["linkedin"], accept=True), private_metadata="v1"
    )
    assert "topics" in errors_of(body)
    stale_version = await slack_bot.submit_view(
        BOB, "join", join_values(["ai"], ["x"], accept=True), private_metadata="v0"
    )
    assert "accept" in errors_of(stale_version[1])
    assert await slack_bot.scalar("SELECT count(*) FROM ambassador") == 0


async def test_join_then_me_in_the_persons_language(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai", "recruiting"], ["linkedin", "x"])
    (welcome,) = await slack_bot.dms(BOB)
    assert "Bob" in message_text(welcome)
    assert await slack_bot.scalar("SELECT locale FROM ambassador") == "fr"
    assert await slack_bot.scalar("SELECT guidelines_version FROM ambassador") == "v1"
    await slack_bot.command("me", BOB)
    (me,) = await slack_bot.replies_to(BOB)
    assert "IA" in json.dumps(me, ensure_ascii=False)  # French topic label
    await slack_bot.command("leave", BOB)
    await slack_bot.replies_to(BOB, 2)
    assert await slack_bot.scalar("SELECT status FROM ambassador") == "left"


async def test_publish_sends_one_dm_to_each_matching_ambassador_only(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin", "x", "facebook"])
    await slack_bot.join(CAROL, ["recruiting"], ["linkedin"])
    slack_bot.fetcher.pages["https://acme.example/jobs/ai"] = PageMetadata(
        title="Join our AI team", summary="We build useful things.", image_url=None
    )
    await publish_ai_post(slack_bot)
    dms = await slack_bot.dms(BOB, 2)
    assert len(dms) == 2  # welcome + exactly one suggestion
    suggestion = dms[1]
    assert "Join our AI team" in message_text(suggestion)
    assert "Our AI team is hiring Bob!" in message_text(suggestion)
    assert "#AcmeAmbassadors" in message_text(suggestion)
    found = buttons(suggestion)
    assert {"share:linkedin", "share:x", "share:facebook", "confirm_share", "skip"} <= set(found)
    for network in ("linkedin", "x", "facebook"):
        assert f"{PUBLIC_URL}/r/" in unquote(found[f"share:{network}"]["url"])
    assert len(slack_bot.fake.messages_in(dm_channel_id(CAROL))) == 1  # only her welcome
    assert slack_bot.fake.messages_in(dm_channel_id(DAVE)) == []
    # The DM reaches Slack a moment before its row is marked sent.
    await slack_bot.until_scalar("SELECT count(*) FROM delivery WHERE status='sent'", 1)
    replies = await slack_bot.replies_to(ALICE, 2)
    assert "1" in json.dumps(replies[1])  # "sent to 1 ambassador"


async def test_only_curators_publish(slack_bot: SlackBot) -> None:
    await slack_bot.command("post https://acme.example/x #ai Hello", DAVE)
    (reply,) = await slack_bot.replies_to(DAVE)
    assert reply["response_type"] == "ephemeral"
    assert await slack_bot.scalar("SELECT count(*) FROM content") == 0
    await slack_bot.command("post", DAVE)
    await slack_bot.replies_to(DAVE, 2)
    assert slack_bot.fake.calls_to("views.open") == []


async def test_bad_post_input_is_explained(slack_bot: SlackBot) -> None:
    for text in (
        "post ftp://acme.example/x #ai",
        "post #ai",
        "post https://acme.example #nope",
        "post --loud https://acme.example #ai",
        "publish abc",
        "publish 999",
    ):
        await slack_bot.command(text, ALICE)
    replies = await slack_bot.replies_to(ALICE, 6)
    assert all(r["response_type"] == "ephemeral" for r in replies)
    # Replies arrive in any order: each refusal names what was wrong.
    assert any("nope" in json.dumps(r) for r in replies)
    assert any("ftp://" in json.dumps(r) for r in replies)
    assert any("999" in json.dumps(r) for r in replies)
    assert "Traceback" not in json.dumps(replies)
    assert await slack_bot.scalar("SELECT count(*) FROM content") == 0


async def test_post_modal_validates_fields_and_publishes(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["product"], ["bluesky"])
    await slack_bot.command("post", ALICE)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    assert opened[0].args["view"]["callback_id"] == "post"
    values = {
        **plain("url", "https://acme.example/launch"),
        **plain("title", "x" * 151),
        **plain("summary", "A launch."),
        **plain("text_1", "Look!", "text"),
        "topics": {
            "topics": {"type": "multi_static_select", "selected_options": [{"value": "product"}]}
        },
        "publish": {"publish": {"type": "checkboxes", "selected_options": [{"value": "now"}]}},
    }
    assert "title" in errors_of((await slack_bot.submit_view(ALICE, "post", values))[1])
    values.update(plain("title", "Launch day"))
    assert await slack_bot.submit_view(ALICE, "post", values) == (200, "")
    dms = await slack_bot.dms(BOB, 2)
    assert "Launch day" in message_text(dms[1])
    confirmation = await slack_bot.dms(ALICE)
    assert "Launch day" in message_text(confirmation[0])


async def test_share_click_counts_once_and_updates_the_dm(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin", "x"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    share = buttons(suggestion)["share:linkedin"]
    for _ in range(2):  # a double click
        status, _ = await slack_bot.click(
            BOB, "share:linkedin", share["value"], message_ts=suggestion.ts, url=share["url"]
        )
        assert status == 200
    await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("chat.update"))
    await slack_bot.fake.wait_for(
        lambda: (
            (m := slack_bot.fake.message(dm_channel_id(BOB), suggestion.ts)) is not None
            and m.history
        )
    )
    assert await slack_bot.scalar("SELECT sum(points) FROM points_award") == 8
    assert await slack_bot.scalar("SELECT count(*) FROM interaction") == 1
    updated = slack_bot.fake.message(dm_channel_id(BOB), suggestion.ts)
    assert "✓" in json.dumps(buttons(updated)["share:linkedin"], ensure_ascii=False)
    assert len(slack_bot.fake.calls_to("chat.update")) == 1

    confirm = buttons(updated)["confirm_share"]["value"]
    await slack_bot.click(BOB, "confirm_share", confirm, message_ts=suggestion.ts)
    await slack_bot.fake.wait_for(lambda: len(slack_bot.fake.calls_to("chat.update")) == 2)
    assert await slack_bot.scalar("SELECT sum(points) FROM points_award") == 18


async def test_someone_elses_buttons_are_refused(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await slack_bot.join(CAROL, ["recruiting"], ["linkedin"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    share = buttons(suggestion)["share:linkedin"]
    await slack_bot.click(CAROL, "share:linkedin", share["value"], message_ts=suggestion.ts)
    await slack_bot.click(CAROL, "skip", "not-a-number", message_ts=suggestion.ts)
    replies = await slack_bot.replies_to(CAROL, 2)
    assert all(r["replace_original"] is False for r in replies)
    assert await slack_bot.scalar("SELECT count(*) FROM interaction") == 0


async def test_tracked_link_redirects_with_utm_and_never_elsewhere(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["x"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    intent = buttons(suggestion)["share:x"]["url"]
    link = parse_qs(urlsplit(intent).query)["url"][0]
    assert link.startswith(f"{PUBLIC_URL}/r/")
    path = urlsplit(link).path
    response = await slack_bot.client.get(
        path, allow_redirects=False, headers={"User-Agent": "Mozilla/5.0 Firefox/130"}
    )
    assert response.status == 302
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "acme.example", "/jobs/ai")
    query = parse_qs(target.query)
    assert query["utm_source"] == ["x"] and query["utm_medium"] == ["employee_advocacy"]
    assert query["utm_content"][0] and BOB not in query["utm_content"][0]
    await slack_bot.client.get(
        path, allow_redirects=False, headers={"User-Agent": "Twitterbot/1.0"}
    )
    # Visits are written in batches after the answer (bot/links.py): wait for the write.
    await slack_bot.until_scalar("SELECT count(*) FROM link_visit WHERE NOT is_bot", 1)
    await slack_bot.until_scalar("SELECT count(*) FROM link_visit WHERE is_bot", 1)
    for bad in (
        "/r/unknown-token-123",
        "/r/%2F%2Fevil.example",
        f"{path}x",
        f"{path}?next=https://evil.example",
        "/r/..%2F..%2Fetc",
    ):
        answer = await slack_bot.client.get(bad, allow_redirects=False)
        assert answer.status == 404 or "evil" not in answer.headers.get("Location", ""), bad
        if answer.status == 302:  # the real token with a query string: still our content
            assert answer.headers["Location"].startswith("https://acme.example/jobs/ai")
        else:
            assert "text/html" in answer.headers["Content-Type"]


async def test_reactions_are_recorded_once_despite_retries(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    added = factories.reaction_event(
        True, user_id=BOB, reaction="rocket", channel=dm_channel_id(BOB), ts=suggestion.ts
    )
    for retry in (None, 1, 2):
        status, _ = await slack_bot.send(
            factories.event_callback(added, event_id="Ev0001", secret=SECRET, retry_num=retry)
        )
        assert status == 200
    removed = factories.reaction_event(
        False, user_id=BOB, reaction="rocket", channel=dm_channel_id(BOB), ts=suggestion.ts
    )
    await slack_bot.send(factories.event_callback(removed, event_id="Ev0002", secret=SECRET))
    elsewhere = factories.reaction_event(
        True, user_id=BOB, reaction="eyes", channel="C0RANDOM01", ts="1.2"
    )
    await slack_bot.send(factories.event_callback(elsewhere, event_id="Ev0003", secret=SECRET))

    await slack_bot.until_scalar("SELECT count(*) FROM reaction", 2)
    assert await slack_bot.scalar("SELECT count(*) FROM points_award WHERE kind='reaction'") == 1


async def test_leaderboard_command_and_weekly_post_once(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    share = buttons(suggestion)["share:linkedin"]
    await slack_bot.click(BOB, "share:linkedin", share["value"], message_ts=suggestion.ts)
    await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("chat.update"))
    leaderboard = slack_bot.runtime.services.leaderboard
    assert await rolled_up(leaderboard) == 1  # the rollup job's work
    await slack_bot.command("leaderboard", BOB)
    (board,) = await slack_bot.replies_to(BOB)
    assert "Bob" in json.dumps(board) and "8" in json.dumps(board)
    assert await leaderboard.post_weekly(holder="replica-a") == 1
    assert await leaderboard.post_weekly(holder="replica-b") == 0
    posted = slack_bot.fake.messages_in(CHANNEL)
    assert len(posted) == 1 and "Bob" in message_text(posted[0])
    # The weekly digest: the board, the content of the week, the figures, and its chart
    # uploaded into the same channel (files upload v2), once.
    words = json.dumps(posted[0].args["blocks"], ensure_ascii=False)
    assert "New this week" in words and "Most shared this week" in words
    assert "see the chart below" in words
    cells = [f["text"] for b in posted[0].args["blocks"] if "fields" in b for f in b["fields"]]
    assert "*Shares*\n1" in cells
    (chart,) = [f for f in slack_bot.fake.files.values() if f.completed]
    assert chart.channel_id == CHANNEL and chart.filename.endswith(".png")
    assert chart.content is not None and chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.title is not None and chart.title.startswith("Shares and link clicks per week")
    (announce,) = slack_bot.fake.calls_to("files.getUploadURLExternal")
    assert str(announce.args["alt_txt"]).startswith("Bar chart of the last 8 weeks")
    # Reactions on the leaderboard post count as reactions on a bot message.
    cheer = factories.reaction_event(
        True, user_id=DAVE, reaction="tada", channel=CHANNEL, ts=posted[0].ts
    )
    await slack_bot.send(factories.event_callback(cheer, event_id="Ev0100", secret=SECRET))
    await slack_bot.until_scalar("SELECT count(*) FROM reaction", 1)


async def test_fan_out_goes_on_past_slack_errors(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await slack_bot.join(CAROL, ["ai"], ["linkedin"])
    slack_bot.fake.fail_for_user(CAROL, "account_inactive")
    slack_bot.fake.rate_limit_next("chat.postMessage", retry_after=1)
    await publish_ai_post(slack_bot)
    await slack_bot.dms(BOB, 2)
    # Both rows reach a final state: one sent after the 429's Retry-After, one refused.
    await slack_bot.until_scalar(
        "SELECT count(*) FROM delivery WHERE status IN ('sent', 'failed')", 2
    )
    assert (
        await slack_bot.scalar("SELECT error FROM delivery WHERE status='failed'")
        == "account_inactive"
    )
    assert await slack_bot.scalar("SELECT count(*) FROM delivery WHERE status='sent'") == 1
    assert len(slack_bot.fake.rejected_calls) == 1


async def test_forged_stale_and_malformed_requests_are_rejected(slack_bot: SlackBot) -> None:
    request = factories.slash_command(
        "leave", user_id=BOB, secret=SECRET, response_url=slack_bot.fake.response_url(BOB)
    )
    assert (await slack_bot.send(factories.forged(request)))[0] == 401
    assert (await slack_bot.send(factories.stale(request)))[0] == 401
    unsigned = await slack_bot.client.post("/slack/events", data=request.body)
    assert unsigned.status == 401
    body = b"payload=%7Bnot-json"
    status, _ = await slack_bot.send(
        factories.SignedRequest(
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                **factories.sign(body, SECRET),
            },
            content_type="application/x-www-form-urlencoded",
            secret=SECRET,
            timestamp=0,
        )
    )
    assert status == 400
    assert slack_bot.fake.responses == []


async def test_health(slack_bot: SlackBot) -> None:
    response = await slack_bot.client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_interests_modal_is_prefilled_and_saves(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await slack_bot.command("interests", BOB)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    view = opened[0].args["view"]
    assert view["callback_id"] == "preferences"
    assert '"value": "ai"' in json.dumps(view)  # the current choice is pre-selected
    bad = await slack_bot.submit_view(BOB, "preferences", join_values([], ["x"], accept=False))
    assert "topics" in errors_of(bad[1])
    ok = await slack_bot.submit_view(
        BOB, "preferences", join_values(["recruiting", "product"], ["x"], accept=False)
    )
    assert ok == (200, "")
    await slack_bot.dms(BOB, 2)  # "preferences saved"
    await slack_bot.until_scalar(
        "SELECT count(*) FROM ambassador_topic WHERE topic IN ('recruiting', 'product')", 2
    )
    assert await slack_bot.scalar("SELECT count(*) FROM ambassador_topic") == 2


async def test_draft_then_list_then_publish(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["recruiting"], ["linkedin"])
    await slack_bot.command("post --draft https://acme.example/jobs/7 #recruiting Join us", ALICE)
    saved = await slack_bot.replies_to(ALICE, 2)
    assert "publish" in json.dumps(saved[-1])  # how to publish the draft
    assert await slack_bot.scalar("SELECT status FROM content") == "draft"
    assert await slack_bot.scalar("SELECT count(*) FROM delivery") == 0
    await slack_bot.command("list", ALICE)
    listed = await slack_bot.replies_to(ALICE, 3)
    assert "acme.example/jobs/7" in json.dumps(listed[-1])
    content_id = await slack_bot.scalar("SELECT id FROM content")
    await slack_bot.command(f"publish {content_id}", ALICE)
    await slack_bot.dms(BOB, 2)
    await slack_bot.command(f"publish {content_id}", ALICE)  # twice: nothing new goes out
    await slack_bot.replies_to(ALICE, 5)
    assert await slack_bot.scalar("SELECT count(*) FROM delivery") == 1
    assert len(slack_bot.fake.messages_in(dm_channel_id(BOB))) == 2


async def test_a_daily_digest_goes_out_as_one_dm_and_updates_in_place(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin", "x"])
    async with slack_bot.runtime.store.db.engine.begin() as connection:  # no UI for it yet
        await connection.execute(sql("UPDATE ambassador SET delivery_mode = 'daily'"))
    await publish_ai_post(slack_bot)
    await slack_bot.command("post https://acme.example/news #ai Big news", ALICE)
    await slack_bot.replies_to(ALICE, 4)
    await slack_bot.until_scalar("SELECT count(*) FROM delivery WHERE error = 'digest'", 2)
    assert len(slack_bot.fake.messages_in(dm_channel_id(BOB))) == 1  # only the welcome
    async with slack_bot.runtime.store.db.engine.begin() as connection:  # the slot has come
        await connection.execute(
            sql("UPDATE delivery SET next_attempt_at = :past"), {"past": datetime(2020, 1, 1)}
        )
    slack_bot.runtime.fanout.wake()
    digest = (await slack_bot.dms(BOB, 2))[1]
    share_rows = [b for b in digest.blocks if b["type"] == "actions"]
    assert len(share_rows) == 2  # one row of buttons per suggestion
    await slack_bot.until_scalar("SELECT count(DISTINCT message_id) FROM delivery", 1)
    share = next(
        e
        for block in digest.blocks
        if block["type"] == "actions"
        for e in block["elements"]
        if e["action_id"] == "share:linkedin"
    )
    await slack_bot.click(BOB, "share:linkedin", share["value"], message_ts=digest.ts)
    await slack_bot.fake.wait_for(
        lambda: (
            (m := slack_bot.fake.message(dm_channel_id(BOB), digest.ts)) is not None and m.history
        )
    )
    updated = slack_bot.fake.message(dm_channel_id(BOB), digest.ts)
    assert updated is not None
    assert updated.blocks is not None
    assert "✓" in json.dumps(updated.blocks, ensure_ascii=False)
    assert len([b for b in updated.blocks if b["type"] == "actions"]) >= 2  # still a digest


async def test_new_guidelines_are_accepted_before_suggestions_resume(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    # The programme published new guidelines after Bob joined (he accepted an older version).
    async with slack_bot.runtime.store.db.engine.begin() as connection:
        await connection.execute(sql("UPDATE ambassador SET guidelines_version = 'v0'"))
    await publish_ai_post(slack_bot)
    request = (await slack_bot.dms(BOB, 2))[1]  # the welcome, then the request to accept
    accept = buttons(request)["accept_guidelines"]
    assert accept["value"] == "v1"
    assert "kind" in message_text(request)  # the guidelines themselves are shown
    await slack_bot.until_scalar(
        "SELECT count(*) FROM delivery WHERE status = 'pending' AND error = 'guidelines'", 1
    )
    status, _ = await slack_bot.click(BOB, "accept_guidelines", "v1", message_ts=request.ts)
    assert status == 200
    (confirmation,) = await slack_bot.replies_to(BOB)
    assert "v1" in json.dumps(confirmation)
    suggestion = (await slack_bot.dms(BOB, 3))[2]  # released at once
    assert "share:linkedin" in buttons(suggestion)
    assert (
        await slack_bot.scalar(
            "SELECT count(*) FROM guidelines_event WHERE kind = 'accepted' AND version = 'v1'"
        )
        == 1
    )
    # /advocacy guidelines shows them, already accepted (no button).
    await slack_bot.command("guidelines", BOB)
    replies = await slack_bot.replies_to(BOB, 2)
    assert "accept_guidelines" not in json.dumps(replies[-1])


async def test_monthly_board_and_hiding(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    share = buttons(suggestion)["share:linkedin"]
    await slack_bot.click(BOB, "share:linkedin", share["value"], message_ts=suggestion.ts)
    await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("chat.update"))
    await rolled_up(slack_bot.runtime.services.leaderboard)
    await slack_bot.command("leaderboard month", BOB)
    (board,) = await slack_bot.replies_to(BOB)
    assert "novembre" in board["text"] or "2026" in board["text"]  # Bob reads French
    assert "*Bob" in json.dumps(board)
    await slack_bot.command("hide", BOB)
    _, hidden = await slack_bot.replies_to(BOB, 2)  # commands run after the ack: one at a time
    await slack_bot.command("leaderboard all", BOB)
    *_, board = await slack_bot.replies_to(BOB, 3)
    assert "apparaissez plus" in json.dumps(hidden, ensure_ascii=False)
    words = json.dumps(board, ensure_ascii=False)
    assert "*Bob" not in words and "vous seriez 1er" in words
    await slack_bot.command("leaderboard week team nobody", BOB)
    *_, empty = await slack_bot.replies_to(BOB, 4)
    assert "Aucun point" in json.dumps(empty, ensure_ascii=False)
    await slack_bot.command("leaderboard yesterday", BOB)
    *_, refused = await slack_bot.replies_to(BOB, 5)
    words = json.dumps(refused, ensure_ascii=False)
    assert "Quel classement" in words and "Traceback" not in words
