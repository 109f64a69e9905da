"""Slack end to end for the personal weekly recap: ``recap on``, the settings box, the DM
through the Web API, and its "Stop these recaps" button (signed requests, the fake Slack)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from messages import slack_ids as ids
from tests.adapters.slack.conftest import BOB, CAROL, SlackBot, checkbox
from tests.adapters.slack.test_prefs_end_to_end import settings_values
from tests.fakes.slack_api import dm_channel_id

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
OPTED_IN = "SELECT count(*) FROM ambassador WHERE weekly_recap"


async def test_recap_on_sends_the_dm_once_and_its_button_turns_it_off(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])  # Bob reads French
    await slack_bot.join(CAROL, ["ai"], ["linkedin"])  # Carol never opts in
    await slack_bot.command("recap on", BOB)
    (on,) = await slack_bot.replies_to(BOB)
    assert "récapitulatif de votre semaine" in json.dumps(on, ensure_ascii=False)
    await slack_bot.until_scalar(OPTED_IN, 1)

    job = slack_bot.runtime.services.recaps  # as the composition root wired it
    assert job is not None
    assert (await job.send_due(MONDAY_9)).sent == 1
    assert (await job.send_due(MONDAY_9)).sent == 0  # once per week
    dms = await slack_bot.dms(BOB, 2)
    recap = dms[-1]
    text = json.dumps(recap.blocks, ensure_ascii=False)
    assert "Votre semaine du 16 novembre" in text
    assert "Une semaine calme" in text  # nothing happened, and that is fine
    buttons = [e for b in recap.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.RECAP_OFF_ACTION]
    assert len(slack_bot.fake.messages_in(dm_channel_id(CAROL))) == 1  # only her welcome
    assert await slack_bot.scalar("SELECT status FROM weekly_recap_sent") == "sent"

    # The button, twice (a double click): off, and the same polite answer.
    for _ in range(2):
        status, _ = await slack_bot.click(
            BOB, ids.RECAP_OFF_ACTION, buttons[0]["value"], message_ts=recap.ts
        )
        assert status == 200
    answers = await slack_bot.replies_to(BOB, 3)
    assert all("plus de récapitulatif" in json.dumps(a, ensure_ascii=False) for a in answers[1:])
    await slack_bot.until_scalar(OPTED_IN, 0)
    # Each click also refreshed the Home tab (after joining and `recap on`: four in all, Carol's
    # join a fifth): wait for both, so nothing is left running when the test ends.
    await slack_bot.fake.wait_for(lambda: len(slack_bot.fake.calls_to("views.publish")) >= 5)
    home = json.dumps(slack_bot.fake.home_views.get(BOB), ensure_ascii=False)
    assert "hebdomadaire\u00a0:* désactivé" in home  # Bob reads French


async def test_the_settings_box_and_me_show_the_recap(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    values = settings_values(topics=["ai"], networks=["linkedin"], language="en")
    ok = await slack_bot.submit_view(
        BOB, ids.SETTINGS_VIEW, {**values, **checkbox(ids.RECAP_BLOCK, [ids.RECAP_VALUE])}
    )
    assert ok == (200, "")
    await slack_bot.until_scalar(OPTED_IN, 1)
    saved = (await slack_bot.dms(BOB, 2))[1]
    assert "*Weekly recap:* on" in json.dumps(saved.blocks)
    # A modal without the box (opened before it existed) leaves the choice as it is.
    assert await slack_bot.submit_view(BOB, ids.SETTINGS_VIEW, values) == (200, "")
    await slack_bot.dms(BOB, 3)
    assert await slack_bot.scalar(OPTED_IN) == 1
    await slack_bot.command("me", BOB)
    (me,) = await slack_bot.replies_to(BOB)
    assert "Weekly recap: on" in json.dumps(me)
    await slack_bot.command("recap maybe", BOB)
    refused = (await slack_bot.replies_to(BOB, 2))[1]
    assert "recap on" in json.dumps(refused)
    # Both saves refreshed the Home tab (join, then two saves): nothing is left running.
    await slack_bot.fake.wait_for(lambda: len(slack_bot.fake.calls_to("views.publish")) >= 3)
