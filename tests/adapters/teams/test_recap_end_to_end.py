"""Teams end to end for the personal weekly recap: typed ``recap on``, the settings card's
toggle, the recap card through the connector, and its "Stop these recaps" Submit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from messages import teams_ids as ids
from tests.adapters.teams.conftest import BOB, CAROL, TeamsBot, actions_of, card_of, texts_of
from tests.adapters.teams.test_prefs_end_to_end import settings

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
OPTED_IN = "SELECT count(*) FROM ambassador WHERE weekly_recap"


async def test_recap_on_by_typing_then_the_card_and_its_off_button(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    await teams_bot.join(CAROL, "Carol Smith")
    before = len(await teams_bot.wait_sent(BOB, 2))
    assert (await teams_bot.say(BOB, "recap on"))[0] == 201
    on = (await teams_bot.wait_sent(BOB, before + 1))[-1]
    assert "recap of your week" in (on.text or "") + texts_of(on.activity)
    await teams_bot.until_scalar(OPTED_IN, 1)

    job = teams_bot.runtime.services.recaps
    assert job is not None
    assert (await job.send_due(MONDAY_9)).sent == 1
    assert (await job.send_due(MONDAY_9)).sent == 0  # once per week
    recap = (await teams_bot.wait_sent(BOB, before + 2))[-1]
    card = card_of(recap)
    assert "Your week of November 16" in texts_of(recap.activity)
    (stop,) = [a for a in actions_of(card) if a.get("data", {}).get(ids.ACTION_KEY)]
    assert stop["data"] == {ids.ACTION_KEY: ids.RECAP_OFF}
    assert await teams_bot.scalar("SELECT status FROM weekly_recap_sent") == "sent"
    carol = teams_bot.sent_to(CAROL)
    assert not any("Your week of" in texts_of(a.activity) for a in carol)

    for count in (3, 4):  # pressed twice: the same answer, nothing else
        status, _ = await teams_bot.submit(BOB, stop["data"], reply_to=recap.activity_id)
        assert status in (200, 201)
        answer = (await teams_bot.wait_sent(BOB, before + count))[-1]
        assert "no more weekly recaps" in (answer.text or "") + texts_of(answer.activity)
    await teams_bot.until_scalar(OPTED_IN, 0)


async def test_the_settings_card_toggle(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    before = len(await teams_bot.wait_sent(BOB, 2))
    await teams_bot.say(BOB, "settings")
    card = card_of((await teams_bot.wait_sent(BOB, before + 1))[-1])
    toggle: dict[str, Any] = next(e for e in card["body"] if e.get("id") == ids.RECAP)
    assert (toggle["type"], toggle["value"]) == ("Input.Toggle", ids.TOGGLE_OFF)
    status, _ = await teams_bot.submit(BOB, settings(**{ids.RECAP: ids.RECAP_YES}))
    assert status in (200, 201)
    await teams_bot.until_scalar(OPTED_IN, 1)
    # A card from before the toggle existed leaves the choice alone.
    status, _ = await teams_bot.submit(BOB, settings(**{ids.MODE: "daily"}))
    assert status in (200, 201)
    await teams_bot.until_scalar("SELECT delivery_mode FROM ambassador", "daily")
    assert await teams_bot.scalar(OPTED_IN) == 1
    status, _ = await teams_bot.submit(BOB, settings(**{ids.RECAP: ids.TOGGLE_OFF}))
    assert status in (200, 201)
    await teams_bot.until_scalar(OPTED_IN, 0)
    saved = (await teams_bot.wait_sent(BOB, before + 4))[-1]  # the card, then three "Saved!"
    assert "**Weekly recap:** off" in texts_of(saved.activity)
