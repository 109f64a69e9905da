"""``/advocacy stats`` and ``/advocacy stats export`` through signed requests, against the fake
Slack Web API (files upload v2) and the real database."""

from __future__ import annotations

import csv
import io
import json

from tests.adapters.slack.conftest import ALICE, BOB, SlackBot
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
