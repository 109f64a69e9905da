"""Teams end to end for the settings card and pause / resume (issue 5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from messages import teams_ids as ids
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


def settings(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        ids.ACTION_KEY: ids.SETTINGS,
        ids.TOPICS: "ai",
        ids.NETWORKS: "linkedin,bluesky",
        ids.LANGUAGE: "en",
        ids.MODE: "immediate",
        ids.QUIET_START: "",
        ids.QUIET_END: "",
        ids.CAP: "",
        ids.INSTANCE: "",
    }
    value.update(changes)
    return value


async def test_settings_card_refuses_then_saves(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand", locale="fr-FR")
    before = len(await teams_bot.wait_sent(BOB, 2))  # welcome, joined
    await teams_bot.say(BOB, "settings")
    card = card_of((await teams_bot.wait_sent(BOB, before + 1))[-1])
    fields = inputs(card)
    assert fields[ids.LANGUAGE]["value"] == "fr"
    assert fields[ids.MODE]["value"] == "immediate"
    assert "Vos réglages" in texts_of(card)

    # A refused value: the card comes back as submitted, with the error on top.
    status, _ = await teams_bot.submit(BOB, settings(**{ids.QUIET_START: "22:00", ids.CAP: "8"}))
    assert status in (200, 201)
    again = card_of((await teams_bot.wait_sent(BOB, before + 2))[-1])
    assert again["body"][1]["text"].startswith("⚠️")
    assert inputs(again)[ids.QUIET_START]["value"] == "22:00"
    assert inputs(again)[ids.CAP]["value"] == "8"
    assert await teams_bot.scalar("SELECT weekly_cap FROM ambassador") is None

    status, _ = await teams_bot.submit(
        BOB,
        settings(
            **{
                ids.MODE: "weekly",
                ids.QUIET_START: "22:00",
                ids.QUIET_END: "07:00",
                ids.CAP: "8",
            }
        ),
    )
    assert status in (200, 201)
    saved = (await teams_bot.wait_sent(BOB, before + 3))[-1]
    assert "Saved!" in (saved.text or "") + texts_of(saved.activity)  # in English now
    await teams_bot.until_scalar(
        "SELECT locale || delivery_mode || quiet_start || quiet_end || weekly_cap FROM ambassador",
        "enweekly22:0007:008",
    )


async def test_settings_card_sets_team_and_hiding(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    before = len(await teams_bot.wait_sent(BOB, 2))
    await teams_bot.say(BOB, "settings")
    card = card_of((await teams_bot.wait_sent(BOB, before + 1))[-1])
    fields = inputs(card)
    # No departments configured: the team is typed, as with the ``team`` command.
    assert (fields[ids.TEAM]["type"], fields[ids.TEAM]["maxLength"]) == ("Input.Text", 100)
    assert fields[ids.HIDE]["value"] == ids.TOGGLE_OFF
    submit = actions_of(card)[-1]
    assert submit["data"] == {ids.ACTION_KEY: ids.SETTINGS, ids.BOARD_FIELDS: "1"}
    rows = (
        "SELECT coalesce(team, '-') || CASE WHEN hidden_from_boards THEN ' hidden' ELSE '' END"
        " FROM ambassador"
    )

    board = {ids.BOARD_FIELDS: "1", ids.TEAM: " Sales EMEA ", ids.HIDE: ids.HIDE_YES}
    status, _ = await teams_bot.submit(BOB, settings(**board))
    assert status in (200, 201)
    await teams_bot.until_scalar(rows, "Sales EMEA hidden")
    saved = (await teams_bot.wait_sent(BOB, before + 2))[-1]
    shown = (saved.text or "") + texts_of(saved.activity)
    assert "Sales EMEA" in shown and "hidden from public boards" in shown  # one notice

    # The team emptied (Teams then leaves the key out) and the toggle off: both undone.
    status, _ = await teams_bot.submit(
        BOB, settings(**{ids.BOARD_FIELDS: "1", ids.HIDE: ids.TOGGLE_OFF})
    )
    assert status in (200, 201)
    await teams_bot.until_scalar(rows, "-")
    # A card sent before these fields existed (no BOARD_FIELDS) leaves them alone.
    await teams_bot.say(BOB, "hide")
    await teams_bot.until_scalar(rows, "- hidden")
    status, _ = await teams_bot.submit(BOB, settings(**{ids.MODE: "daily"}))
    assert status in (200, 201)
    await teams_bot.until_scalar("SELECT delivery_mode FROM ambassador", "daily")
    assert await teams_bot.scalar(rows) == "- hidden"


async def test_pause_and_resume_by_typing(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    await teams_bot.join(CAROL, "Carol Smith")
    await teams_bot.say(BOB, "pause")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NOT NULL", 1)
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")

    await teams_bot.connector.wait_for(lambda: teams_bot.suggestions(CAROL))
    await teams_bot.until_scalar("SELECT count(*) FROM delivery", 1)  # none was made for Bob
    assert teams_bot.suggestions(BOB) == []
    await teams_bot.say(BOB, "me")
    await teams_bot.connector.wait_for(lambda: "⏸️" in texts_of(teams_bot.sent_to(BOB)[-1].activity))

    await teams_bot.say(BOB, "resume")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NULL", 2)
    await teams_bot.say(ALICE, "post https://example.com/blog/next #ai Next one")
    (next_one,) = await teams_bot.connector.wait_for(lambda: teams_bot.suggestions(BOB))
    assert "blog/next" in texts_of(next_one.activity) + str(next_one.activity)


async def test_accepting_outdated_guidelines_shows_the_latest(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand")
    before = len(await teams_bot.wait_sent(BOB, 2))
    async with teams_bot.runtime.store.db.engine.begin() as connection:
        await connection.execute(text("UPDATE ambassador SET guidelines_version = 'v0'"))
    old = {ids.ACTION_KEY: ids.ACCEPT_GUIDELINES, ids.GUIDELINES_VERSION: "v0"}
    assert (await teams_bot.submit(BOB, old))[0] in (200, 201)
    latest = (await teams_bot.wait_sent(BOB, before + 2))[-1]
    data = [a.get("data", {}) for a in actions_of(card_of(latest))]
    assert {ids.ACTION_KEY: ids.ACCEPT_GUIDELINES, ids.GUIDELINES_VERSION: "v1"} in data


async def test_guidelines_before_joining_offer_to_join(teams_bot: TeamsBot) -> None:
    await teams_bot.say(CAROL, "guidelines")
    (card,) = await teams_bot.wait_sent(CAROL)
    data = [a.get("data", {}) for a in actions_of(card_of(card))]
    assert {ids.ACTION_KEY: ids.OPEN_JOIN} in data
