"""Teams end to end: activities POSTed to /api/messages, replies and proactive sends checked
at the fake Bot Framework Connector, state checked in the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from advocacy_bot.main import build_runtime, create_web_app
from bot.model import (
    AmbassadorId,
    Enrolment,
    InteractionKind,
    Network,
    Platform,
    PlatformUser,
    UserProfile,
)
from tests.adapters.rollup import rolled_up
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    OPEN_URL,
    TENANT,
    RecordingFetcher,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import FakeBotConnector, RecordedActivity, ThrottleLimits

SUBMIT = "Action.Submit"


async def test_install_stores_the_reference_and_welcomes(teams_bot: TeamsBot) -> None:
    status, _ = await teams_bot.install(BOB, locale="fr-FR")
    assert status == 201
    (welcome,) = await teams_bot.wait_sent(BOB)
    card = card_of(welcome)
    assert any(a.get("data", {}).get("advocacy") == "open_join" for a in actions_of(card))
    payload = await teams_bot.scalar(
        "SELECT payload FROM chat_address WHERE platform = 'teams' AND key = :key", key=BOB
    )
    reference = json.loads(payload)
    assert reference["serviceUrl"] == teams_bot.connector.service_url
    assert reference["conversation"]["id"] == teams_bot.conversation(BOB)


async def test_help_and_unknown_commands_answer_politely(teams_bot: TeamsBot) -> None:
    assert (await teams_bot.say(CAROL, "help"))[0] == 201
    (help_card,) = await teams_bot.wait_sent(CAROL)
    assert "join" in texts_of(card_of(help_card)).lower()
    await teams_bot.say(CAROL, "<at>Advocacy</at> frobnicate")
    _, refusal = await teams_bot.wait_sent(CAROL, 2)
    words = (refusal.text or "") + texts_of(refusal.activity)
    assert "frobnicate" in words
    assert "Traceback" not in words


async def test_join_by_card_then_get_a_suggestion_and_confirm_it(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand", locale="fr-FR")
    await teams_bot.until_scalar(
        "SELECT count(*) FROM identity WHERE platform = 'teams' AND user_id = :u".replace(
            ":u", f"'{BOB}'"
        ),
        1,
    )
    assert await teams_bot.scalar("SELECT locale FROM ambassador") == "fr"
    # Alice, a curator, posts in one line: the sender DMs Bob a suggestion card proactively.
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")

    (suggestion,) = await teams_bot.connector.wait_for(lambda: teams_bot.suggestions(BOB))
    assert suggestion.reply_to_id is None  # a new message in Bob's chat, sent proactively
    card = card_of(suggestion)
    urls = [a["url"] for a in actions_of(card) if a["type"] == OPEN_URL]
    assert len(urls) == 2  # LinkedIn and X, through the bot's share redirect
    assert all(u.startswith("https://go.example.com/s/") for u in urls)
    # Teams tells the bot nothing of an OpenUrl click: the redirect counts it, then opens
    # LinkedIn's share page (built from stored rows). A link-preview crawler counts nothing.
    path = urls[0].removeprefix("https://go.example.com")
    preview = await teams_bot.client.get(
        path, allow_redirects=False, headers={"User-Agent": "Mozilla/5.0 SkypeUriPreview"}
    )
    assert preview.status == 302
    assert await teams_bot.scalar("SELECT count(*) FROM interaction") == 0
    browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"}
    opened = await teams_bot.client.get(path, allow_redirects=False, headers=browser)
    assert opened.status == 302
    assert opened.headers["Location"].startswith("https://www.linkedin.com/")
    assert "go.example.com/r/" in opened.headers["Location"]  # the tracked link is shared
    again = await teams_bot.client.get(path, allow_redirects=False, headers=browser)  # twice
    assert again.status == 302
    await teams_bot.until_scalar("SELECT count(*) FROM interaction WHERE kind = 'share_click'", 1)
    assert (await teams_bot.client.get("/s/not-a-token", allow_redirects=False)).status == 404
    await teams_bot.until_scalar("SELECT status FROM delivery", "sent")
    assert await teams_bot.scalar("SELECT message_id FROM delivery") == suggestion.activity_id
    confirm = next(
        a
        for a in actions_of(card)
        if a["type"] == SUBMIT and a["data"]["advocacy"] == "confirm_share"
    )
    status, _ = await teams_bot.submit(BOB, confirm["data"], reply_to=suggestion.activity_id)
    assert status == 201
    await teams_bot.until_scalar(
        "SELECT count(*) FROM interaction WHERE kind = 'confirmed_share'", 1
    )
    # The card is redrawn in place (PUT), not sent again.
    redrawn = await teams_bot.connector.wait_for(
        lambda: (
            a
            if (
                a := teams_bot.connector.activity(
                    suggestion.conversation_id, suggestion.activity_id
                )
            )
            is not None
            and a.history
            else None
        )
    )
    assert texts_of(redrawn.activity) != texts_of(redrawn.history[0])
    # A double submit counts once.
    await teams_bot.submit(BOB, confirm["data"], reply_to=suggestion.activity_id)
    assert await teams_bot.scalar("SELECT count(*) FROM interaction") == 2
    assert await teams_bot.scalar("SELECT sum(points) FROM points_award") == 15


async def test_a_blocked_person_is_marked_unreachable_without_retries(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.join(CAROL, "Carol King")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador", 1)
    teams_bot.connector.block_conversation(teams_bot.conversation(CAROL))
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")
    await teams_bot.until_scalar("SELECT status FROM delivery", "failed")
    assert await teams_bot.scalar("SELECT unreachable_reason FROM ambassador") == (
        "MessageWritesBlocked"
    )
    blocked_calls = [c for c in teams_bot.connector.calls if c.status == 403 and c.conversation_id]
    assert len(blocked_calls) == 1  # no retry storm


async def test_the_channel_reference_is_stored_when_added_to_a_team(teams_bot: TeamsBot) -> None:
    activity = teams_bot.activity(
        ALICE,
        type="conversationUpdate",
        membersAdded=[{"id": "28:advocacy-bot"}],
        conversation={
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{CHANNEL};messageid=1",
            "isGroup": True,
        },
        channelData={"tenant": {"id": TENANT}, "channel": {"id": CHANNEL}, "team": {"id": CHANNEL}},
    )
    assert (await teams_bot.post(activity))[0] == 201
    await teams_bot.until_scalar(
        "SELECT count(*) FROM chat_address WHERE key = :k".replace(":k", f"'channel:{CHANNEL}'"),
        1,
    )


async def test_bad_requests_get_clear_answers(teams_bot: TeamsBot) -> None:
    response = await teams_bot.client.post(
        "/api/messages", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    response = await teams_bot.client.post("/api/messages", data="hello")
    assert response.status == 415
    response = await teams_bot.client.post(
        "/api/messages", json={"no": "type"}, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await teams_bot.post(teams_bot.activity(BOB, text="x" * 5_000)))[0] == 201
    (too_long,) = await teams_bot.wait_sent(BOB)
    assert "Traceback" not in json.dumps(too_long.activity)


async def test_the_weekly_leaderboard_is_posted_to_the_team_channel(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    added = teams_bot.activity(
        ALICE,
        type="conversationUpdate",
        membersAdded=[{"id": "28:advocacy-bot"}],
        conversation={"conversationType": "channel", "tenantId": TENANT, "id": CHANNEL},
        channelData={"tenant": {"id": TENANT}, "channel": {"id": CHANNEL}},
    )
    assert (await teams_bot.post(added))[0] == 201
    posted = await teams_bot.runtime.services.leaderboard.post_weekly(holder="test")
    assert posted == 1
    (board,) = teams_bot.connector.activities(CHANNEL)
    assert board.reply_to_id is None
    assert card_of(board)["type"] == "AdaptiveCard"
    # Reactions on it count: the bot remembers the messages it posted in channels.
    assert await teams_bot.scalar("SELECT count(*) FROM bot_message") == 1


async def test_the_weekly_digest_shows_its_chart_from_a_signed_link(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")

    (suggestion,) = await teams_bot.connector.wait_for(lambda: teams_bot.suggestions(BOB))
    share = next(a["url"] for a in actions_of(card_of(suggestion)) if a["type"] == OPEN_URL)
    browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"}
    path = share.removeprefix("https://go.example.com")
    assert (await teams_bot.client.get(path, allow_redirects=False, headers=browser)).status == 302
    await teams_bot.until_scalar("SELECT count(*) FROM interaction WHERE kind = 'share_click'", 1)
    added = teams_bot.activity(
        ALICE,
        type="conversationUpdate",
        membersAdded=[{"id": "28:advocacy-bot"}],
        conversation={"conversationType": "channel", "tenantId": TENANT, "id": CHANNEL},
        channelData={"tenant": {"id": TENANT}, "channel": {"id": CHANNEL}},
    )
    assert (await teams_bot.post(added))[0] == 201
    leaderboard = teams_bot.runtime.services.leaderboard
    assert await rolled_up(leaderboard) == 1  # the rollup job's work
    assert await leaderboard.post_weekly(holder="test") == 1
    (digest,) = teams_bot.connector.activities(CHANNEL)
    card = card_of(digest)
    words = json.dumps(card)
    assert "Bob Durand" in words, words
    assert "New this week" in words and "blog/launch" in words, words
    (image,) = [e for e in card["body"] if e["type"] == "Image"]
    assert image["url"].startswith("https://go.example.com/charts/")
    assert image["altText"].startswith("Bar chart of the last 8 weeks")
    # Teams clients fetch the image from the bot: a real PNG behind the signed link only.
    chart = await teams_bot.client.get(image["url"].removeprefix("https://go.example.com"))
    assert chart.status == 200 and chart.content_type == "image/png"
    assert (await chart.read()).startswith(b"\x89PNG\r\n\x1a\n")
    assert "public" in chart.headers["Cache-Control"]
    forged = image["url"].removeprefix("https://go.example.com").replace(".png", "x.png")
    refused = await teams_bot.client.get(forged)
    assert refused.status == 403 and "image" not in refused.content_type
    assert (await teams_bot.client.get("/charts/nothing.png")).status == 403
    assert await teams_bot.scalar("SELECT count(*) FROM digest_chart") == 1


async def test_one_welcome_per_install_and_forgotten_on_uninstall(teams_bot: TeamsBot) -> None:
    # Teams announces a personal install twice: conversationUpdate, then installationUpdate.
    added = teams_bot.activity(
        CAROL, type="conversationUpdate", membersAdded=[{"id": "28:advocacy-bot"}]
    )
    assert (await teams_bot.post(added))[0] == 201
    assert (await teams_bot.install(CAROL))[0] == 201
    assert len(await teams_bot.wait_sent(CAROL)) == 1
    removed = teams_bot.activity(CAROL, type="installationUpdate", action="remove")
    assert (await teams_bot.post(removed))[0] == 201
    assert (
        await teams_bot.scalar(
            "SELECT count(*) FROM chat_address WHERE key = :k".replace(":k", f"'{CAROL}'")
        )
        == 0
    )
    assert (await teams_bot.install(CAROL))[0] == 201  # installed again: welcomed again
    assert len(await teams_bot.wait_sent(CAROL, 2)) == 2


async def test_a_tenant_outside_the_allowed_list_is_refused_politely(
    database_url: str, make_env: Any, tmp_path: Any
) -> None:
    config = (tmp_path / "config.yaml").read_text() + "teams: {allowed_tenants: [only-this-one]}\n"
    (tmp_path / "config.yaml").write_text(config)
    async with FakeBotConnector(tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)) as fake:
        runtime = build_runtime(make_env(database_url), fetcher=RecordingFetcher())
        async with TestClient(TestServer(create_web_app(runtime), host="127.0.0.1")) as client:
            bot = TeamsBot(client, fake, runtime)
            assert (await bot.install(BOB))[0] == 201
            assert (await bot.say(BOB, "join"))[0] == 201
            (refusal,) = await bot.wait_sent(BOB)
            assert "not enabled for your organisation" in json.dumps(refusal.activity)
            assert await bot.scalar("SELECT count(*) FROM chat_address") == 0


async def test_the_teams_roster_email_links_to_the_same_ambassador(teams_bot: TeamsBot) -> None:
    # Bob joined on Slack earlier with his work email.
    store = teams_bot.runtime.store
    slack_bob = await store.ambassadors.enrol(
        user=PlatformUser(Platform.SLACK, "T0001", "U0BOB"),
        profile=UserProfile(display_name="Bob Durand", email="bob.durand@acme.example"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=datetime.now(UTC),
    )
    # In Teams, the roster gives the same address: one person, one ambassador.
    teams_bot.connector.add_conversation(
        teams_bot.conversation(BOB),
        [{"id": BOB, "name": "Bob Durand", "email": "Bob.Durand@acme.example"}],
        tenant_id=TENANT,
    )
    await teams_bot.join(BOB, "Bob Durand")
    await teams_bot.until_scalar("SELECT count(*) FROM identity", 2)
    assert await teams_bot.scalar("SELECT count(*) FROM ambassador") == 1
    teams_user = PlatformUser(Platform.TEAMS, TENANT, BOB)
    teams_bob = await store.ambassadors.get_by_user(teams_user)
    assert teams_bob is not None
    assert teams_bob.id == slack_bob.id


async def test_teams_people_accept_new_guidelines_on_a_card(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    async with teams_bot.runtime.store.db.engine.begin() as connection:
        await connection.execute(text("UPDATE ambassador SET guidelines_version = 'v0'"))
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")

    def request() -> list[RecordedActivity]:
        return [
            a
            for a in teams_bot.sent_to(BOB)
            if any(
                x.get("data", {}).get("advocacy") == "accept_guidelines"
                for x in actions_of(a.activity)
            )
        ]

    (prompt,) = await teams_bot.connector.wait_for(request)
    accept = next(x for x in actions_of(card_of(prompt)) if x.get("data", {}).get("advocacy"))
    assert accept["data"]["guidelines_version"] == "v1"
    assert (await teams_bot.submit(BOB, accept["data"], reply_to=prompt.activity_id))[0] == 201
    await teams_bot.until_scalar("SELECT status FROM delivery", "sent")
    assert await teams_bot.scalar("SELECT guidelines_version FROM ambassador") == "v1"
    # "guidelines" shows them again, accepted now: no button.
    await teams_bot.say(BOB, "guidelines")
    last = teams_bot.sent_to(BOB)[-1]
    assert not any(x.get("data", {}).get("advocacy") for x in actions_of(card_of(last)))


async def test_typed_board_commands_and_hiding(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador", 1)
    bob = AmbassadorId(await teams_bot.scalar("SELECT id FROM ambassador"))
    runtime = teams_bot.runtime
    await runtime.store.ledger.record(  # Bob's points, however earned
        dedupe_key="e2e-award",
        ambassador_id=bob,
        content_id=None,
        delivery_id=None,
        kind=InteractionKind.CONFIRMED_SHARE,
        network=None,
        points=12,
        now=runtime.services.clock.now(),
    )
    assert await rolled_up(runtime.services.leaderboard) == 1  # the rollup job's work

    async def answer(words: str) -> str:
        before = len(teams_bot.sent_to(BOB))
        assert (await teams_bot.say(BOB, words))[0] == 201
        reply = (await teams_bot.wait_sent(BOB, before + 1))[-1]
        return (reply.text or "") + texts_of(reply.activity)

    month = await answer("leaderboard month")
    assert "Leaderboard ·" in month and "Bob Durand" in month and "12 points" in month
    assert "no longer appear" in await answer("hide")
    board = await answer("leaderboard all")
    assert "Bob Durand" not in board and "be #1 with 12 points" in board
    assert "No points yet" in await answer("leaderboard all team nobody")  # no such team
    assert "Welcome back" in await answer("unhide")
    assert "Bob Durand" in await answer("leaderboard")
