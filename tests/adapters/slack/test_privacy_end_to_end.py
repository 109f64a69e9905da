"""``/advocacy my-data`` and ``/advocacy forget-me`` through signed requests, against the fake
Slack Web API (files upload v2) and the real database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from tests.adapters.slack.conftest import BOB, DAVE, SlackBot
from tests.adapters.slack.test_end_to_end import buttons, publish_ai_post
from tests.fakes.slack_api import dm_channel_id


async def shared(bot: SlackBot) -> Any:
    """Bob joined, got the AI post and clicked LinkedIn once."""
    bot.fake.users[BOB]["profile"]["email"] = "bob.durand@acme.example"
    await bot.join(BOB, ["ai"], ["linkedin"])
    await publish_ai_post(bot)
    suggestion = (await bot.dms(BOB, 2))[1]
    share = buttons(suggestion)["share:linkedin"]
    await bot.click(BOB, "share:linkedin", share["value"], message_ts=suggestion.ts)
    await bot.until_scalar("SELECT count(*) FROM interaction", 1)
    return suggestion


async def test_my_data_uploads_the_export_into_the_dm(slack_bot: SlackBot) -> None:
    await shared(slack_bot)
    status, _ = await slack_bot.command("my-data", BOB)
    assert status == 200
    fake = slack_bot.fake
    (upload,) = await fake.wait_for(lambda: [f for f in fake.files.values() if f.completed])
    assert len(fake.calls_to("files.getUploadURLExternal")) == 1
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == dm_channel_id(BOB) == upload.channel_id
    assert upload.filename.startswith("my-data-") and upload.filename.endswith(".json")
    assert upload.content is not None
    document = json.loads(upload.content)
    assert (document["schema"], document["version"]) == ("advocacy-bot/personal-data", 1)
    assert document["statement"] == "ambassador"
    assert document["ambassador"]["display_name"] == "Bob"
    assert document["ambassador"]["email"] == "bob.durand@acme.example"
    assert [d["content_url"] for d in document["deliveries"]] == ["https://acme.example/jobs/ai"]
    assert [i["network"] for i in document["interactions"]] == ["linkedin"]
    assert document["identities"][0]["user_id"] == BOB
    (reply,) = await slack_bot.replies_to(BOB)
    assert "JSON" in json.dumps(reply, ensure_ascii=False)  # Bob reads French
    assert reply["response_type"] == "ephemeral"


async def test_my_data_of_someone_who_never_joined(slack_bot: SlackBot) -> None:
    await slack_bot.command("my-data", DAVE)
    fake = slack_bot.fake
    (upload,) = await fake.wait_for(lambda: [f for f in fake.files.values() if f.completed])
    assert upload.content is not None
    document = json.loads(upload.content)
    assert document["statement"] == "nothing_stored"
    assert document["ambassador"] is None


async def every_value(bot: SlackBot) -> list[str]:
    values: list[str] = []
    async with bot.runtime.store.db.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values.extend(str(v) for v in row if v is not None)
    return values


async def test_forget_me_asks_then_erases_once(slack_bot: SlackBot) -> None:
    suggestion = await shared(slack_bot)
    ref = await slack_bot.scalar("SELECT ref FROM ambassador")
    await slack_bot.command("forget-me", BOB)
    (confirmation,) = await slack_bot.replies_to(BOB)
    actions = {
        e["action_id"]: e
        for b in confirmation["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert actions["forget_me_confirm"]["style"] == "danger"
    assert await slack_bot.scalar("SELECT count(*) FROM identity") == 1  # nothing yet

    for _ in range(2):  # a double click
        status, _ = await slack_bot.click(
            BOB, "forget_me_confirm", "confirm", message_ts=suggestion.ts
        )
        assert status == 200
    answers = await slack_bot.replies_to(BOB, 3)
    assert all(a["replace_original"] is True for a in answers[1:])
    texts = sorted(json.dumps(a, ensure_ascii=False) for a in answers[1:])
    assert any("effacées" in t for t in texts)  # the first click, in Bob's French
    # The second finds nothing left (in French, or English once Bob's language is erased).
    assert any("Plus rien" in t or "Nothing about you" in t for t in texts)

    values = await every_value(slack_bot)
    for needle in (BOB, "bob.durand@acme.example", "Bob Durand", ref, dm_channel_id(BOB)):
        assert not any(needle in v for v in values), needle
    assert await slack_bot.scalar("SELECT count(*) FROM identity") == 0
    assert await slack_bot.scalar("SELECT count(*) FROM interaction") == 1
    assert await slack_bot.scalar("SELECT sum(points) FROM points_award") == 8
    # His App Home dashboard is republished as a stranger's: an invitation to join.
    published = await slack_bot.fake.wait_for(
        lambda: [c for c in slack_bot.fake.calls_to("views.publish") if c.args["user_id"] == BOB]
    )
    home = published[-1].args["view"]
    assert "home_join" in [
        e["action_id"] for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]

    # Bob can come back, as somebody new.
    await slack_bot.join(BOB, ["ai"], ["x"])
    await slack_bot.until_scalar("SELECT count(*) FROM ambassador", 2)
    await slack_bot.until_scalar("SELECT count(*) FROM identity", 1)


async def test_forget_me_cancel_keeps_everything(slack_bot: SlackBot) -> None:
    suggestion = await shared(slack_bot)
    await slack_bot.command("forget-me", BOB)
    await slack_bot.replies_to(BOB)  # the confirmation
    await slack_bot.click(BOB, "forget_me_cancel", "cancel", message_ts=suggestion.ts)
    (answer,) = await slack_bot.fake.wait_for(lambda: slack_bot.fake.responses_to(f"{BOB}-click"))
    assert answer.body["replace_original"] is True
    assert await slack_bot.scalar("SELECT count(*) FROM identity") == 1
