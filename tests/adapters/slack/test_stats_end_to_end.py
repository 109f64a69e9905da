"""``/advocacy stats`` and ``/advocacy stats export`` through signed requests, against the fake
Slack Web API (files upload v2) and the real database."""

from __future__ import annotations

import csv
import io
import json

from messages import slack_ids as ids
from tests import factories
from tests.adapters.slack.conftest import ALICE, BOB, CHANNEL, DAVE, SECRET, SlackBot
from tests.adapters.slack.test_privacy_end_to_end import shared
from tests.fakes.slack_api import dm_channel_id


async def test_stats_for_a_curator(slack_bot: SlackBot) -> None:
    await shared(slack_bot)  # Bob got the AI post and clicked LinkedIn
    before = len(await slack_bot.replies_to(ALICE))  # Alice published it
    status, _ = await slack_bot.command("stats 7d", ALICE)
    assert status == 200
    reply = (await slack_bot.replies_to(ALICE, before + 1))[-1]
    shown = json.dumps(reply, ensure_ascii=False)
    assert reply["response_type"] == "ephemeral"
    assert "Programme stats, last 7 days" in shown
    assert "*Share rate*\\n100.0\u00a0% (1 of 1)" in shown
    assert "Earned media value (estimate)" in shown
    assert "LinkedIn: 0 clicks" in shown  # the inputs of the estimate are shown


async def test_stats_refused_to_others(slack_bot: SlackBot) -> None:
    await slack_bot.command("stats", BOB)
    (reply,) = await slack_bot.replies_to(BOB)
    assert "Only curators" in json.dumps(reply)  # polite, no figures
    await slack_bot.command("stats 12y", ALICE)
    (bad,) = await slack_bot.replies_to(ALICE)
    assert "7d|30d|90d|all" in json.dumps(bad)


async def test_stats_export_uploads_the_csv_into_the_dm(slack_bot: SlackBot) -> None:
    await shared(slack_bot)
    before = len(await slack_bot.replies_to(ALICE))
    status, _ = await slack_bot.command("stats export all", ALICE)
    assert status == 200
    fake = slack_bot.fake
    (upload,) = await fake.wait_for(lambda: [f for f in fake.files.values() if f.completed])
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == dm_channel_id(ALICE) == upload.channel_id
    assert upload.filename.startswith("advocacy-stats-all-") and upload.filename.endswith(".csv")
    assert upload.content is not None
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8-sig"))))
    assert [(r["url"], r["deliveries"], r["share_clicks_linkedin"]) for r in rows] == [
        ("https://acme.example/jobs/ai", "1", "1")
    ]
    reply = (await slack_bot.replies_to(ALICE, before + 1))[-1]
    assert "CSV" in json.dumps(reply)
    await slack_bot.until_scalar(
        "SELECT count(*) FROM audit_entry WHERE action = 'stats.exported'", 1
    )


async def test_prospects_and_the_invite_button(slack_bot: SlackBot) -> None:
    await shared(slack_bot)  # Bob is an ambassador, with a share: the board has a line
    leaderboard = slack_bot.runtime.services.leaderboard
    assert await leaderboard.post_weekly(holder="replica-a") == 1
    (board,) = slack_bot.fake.messages_in(CHANNEL)
    for event_id, who in (("Ev0101", DAVE), ("Ev0102", BOB)):  # Bob is no prospect
        cheer = factories.reaction_event(
            True, user_id=who, reaction="tada", channel=CHANNEL, ts=board.ts
        )
        await slack_bot.send(factories.event_callback(cheer, event_id=event_id, secret=SECRET))
    await slack_bot.until_scalar("SELECT count(*) FROM reaction", 2)

    before = len(await slack_bot.replies_to(ALICE))
    await slack_bot.command("prospects", ALICE)
    listing = (await slack_bot.replies_to(ALICE, before + 1))[-1]
    invites = [
        b["accessory"]
        for b in listing["blocks"]
        if b.get("accessory", {}).get("action_id") == ids.PROSPECT_INVITE_ACTION
    ]
    assert [b["value"] for b in invites] == [DAVE]

    for _ in range(2):  # a double click invites once
        status, _ = await slack_bot.click(ALICE, ids.PROSPECT_INVITE_ACTION, DAVE, message_ts="1.1")
        assert status == 200
    (invitation,) = await slack_bot.dms(DAVE, 1)
    assert "Join" in json.dumps(invitation.blocks)
    (join,) = [e for b in invitation.blocks if b["type"] == "actions" for e in b["elements"]]
    assert join["action_id"] == ids.HOME_JOIN_ACTION
    answers = await slack_bot.fake.wait_for(
        lambda: (
            (found := [r.body for r in slack_bot.fake.responses if r.name == f"{ALICE}-click"])
            and len(found) >= 2
            and found
        )
    )
    shown = json.dumps(answers)
    assert "Invitation sent" in shown and "less than 90 days" in shown
    assert len(slack_bot.fake.messages_in(dm_channel_id(DAVE))) == 1
    await slack_bot.until_scalar("SELECT count(*) FROM invitation", 1)
    assert (
        await slack_bot.scalar("SELECT count(*) FROM audit_entry WHERE action='prospect.invited'")
        == 1
    )
