"""Slack end to end for settings, pause / resume and the App Home dashboard (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy import text as sql

from messages import slack_ids as ids
from tests import factories
from tests.adapters.slack.conftest import (
    BOB,
    CAROL,
    CONFIG,
    DAVE,
    SECRET,
    SlackBot,
    checkbox,
    errors_of,
    plain,
)
from tests.adapters.slack.test_end_to_end import publish_ai_post
from tests.fakes.slack_api import dm_channel_id

DEPARTMENTS = """departments:
  - {id: sales, label: Sales, label_fr: Ventes}
  - {id: tech, label: Engineering, label_fr: Technique}
"""


@pytest.fixture
def make_env(make_env: Any, tmp_path: Path) -> Any:
    """The end-to-end configuration, with departments (the settings form offers them)."""
    (tmp_path / "config.yaml").write_text(CONFIG + DEPARTMENTS)
    return make_env


def settings_values(
    *,
    topics: list[str],
    networks: list[str],
    language: str = "en",
    mode: str = "immediate",
    quiet: tuple[str | None, str | None] = (None, None),
    cap: str | None = None,
    instance: str | None = None,
    team: str | None = None,
    hidden: bool | None = None,
) -> dict[str, Any]:
    """The settings modal's view state, as Slack sends it (without the team select and the
    hide checkboxes unless ``team`` / ``hidden`` are given, like a modal opened before them).
    """
    boards: dict[str, Any] = {}
    if team is not None:
        chosen = {"value": team} if team else None
        boards[ids.TEAM_BLOCK] = {
            ids.TEAM_ACTION: {"type": "static_select", "selected_option": chosen}
        }
    if hidden is not None:
        boards.update(checkbox(ids.HIDE_BLOCK, [ids.HIDE_VALUE] if hidden else []))
    return {
        **boards,
        **checkbox(ids.TOPICS_BLOCK, topics),
        **checkbox(ids.NETWORKS_BLOCK, networks),
        ids.LANGUAGE_BLOCK: {
            ids.LANGUAGE_ACTION: {"type": "static_select", "selected_option": {"value": language}}
        },
        ids.MODE_BLOCK: {
            ids.MODE_ACTION: {"type": "radio_buttons", "selected_option": {"value": mode}}
        },
        ids.QUIET_START_BLOCK: {
            ids.QUIET_START_ACTION: {"type": "timepicker", "selected_time": quiet[0]}
        },
        ids.QUIET_END_BLOCK: {
            ids.QUIET_END_ACTION: {"type": "timepicker", "selected_time": quiet[1]}
        },
        ids.CAP_BLOCK: {ids.CAP_ACTION: {"type": "number_input", "value": cap}},
        **plain(ids.INSTANCE_BLOCK, instance, ids.INSTANCE_ACTION),
    }


async def open_home(bot: SlackBot, user: str, event_id: str) -> dict[str, Any]:
    """``app_home_opened`` on the Home tab; the view the bot published for that person."""
    before = len(bot.fake.calls_to("views.publish"))
    event = factories.app_home_opened_event(user)
    status, _ = await bot.send(factories.event_callback(event, event_id=event_id, secret=SECRET))
    assert status == 200
    calls = await bot.fake.wait_for(
        lambda: (c := bot.fake.calls_to("views.publish")) and len(c) > before and c
    )
    call = calls[-1]
    assert call.args["user_id"] == user
    view: dict[str, Any] = call.args["view"]
    View(**view).validate_json()
    return view


def action_ids(view: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


async def click_home(bot: SlackBot, user: str, action_id: str) -> None:
    status, _ = await bot.send(
        factories.home_block_actions(user_id=user, action_id=action_id, value="1", secret=SECRET)
    )
    assert status == 200


async def test_settings_modal_validates_and_saves_in_the_new_language(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])  # Bob's Slack is in French
    await slack_bot.command("settings", BOB)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    view = opened[-1].args["view"]
    assert view["callback_id"] == ids.SETTINGS_VIEW
    assert "Vos réglages" in json.dumps(view, ensure_ascii=False)
    bad_cap = await slack_bot.submit_view(
        BOB, ids.SETTINGS_VIEW, settings_values(topics=["ai"], networks=["x"], cap="99")
    )
    assert set(errors_of(bad_cap[1])) == {ids.CAP_BLOCK}
    half_quiet = await slack_bot.submit_view(
        BOB,
        ids.SETTINGS_VIEW,
        settings_values(topics=["ai"], networks=["x"], quiet=("21:00", None)),
    )
    assert set(errors_of(half_quiet[1])) == {ids.QUIET_END_BLOCK}
    assert "début et d" in errors_of(half_quiet[1])[ids.QUIET_END_BLOCK]  # in French
    ok = await slack_bot.submit_view(
        BOB,
        ids.SETTINGS_VIEW,
        settings_values(
            topics=["ai", "product"],
            networks=["x", "linkedin"],
            language="en",
            mode="daily",
            quiet=("21:00", "07:00"),
            cap="4",
        ),
    )
    assert ok == (200, "")
    saved = (await slack_bot.dms(BOB, 2))[1]
    assert "Saved!" in json.dumps(saved.blocks)  # confirmed in the new language
    row = "SELECT locale || delivery_mode || quiet_start || quiet_end || weekly_cap FROM ambassador"
    await slack_bot.until_scalar(row, "endaily21:0007:004")
    # The dashboard follows the change.
    await slack_bot.fake.wait_for(
        lambda: "A daily digest" in json.dumps(slack_bot.fake.home_views.get(BOB))
    )


async def test_settings_modal_sets_team_and_hiding(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])  # Bob's Slack is in French
    await slack_bot.command("settings", BOB)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    view = opened[-1].args["view"]
    View(**view).validate_json()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    select = blocks[ids.TEAM_BLOCK]["element"]
    assert [o["text"]["text"] for o in select["options"]] == [
        "Ventes",
        "Technique",
        "Aucune équipe",
    ]
    assert select["initial_option"]["value"] == ids.TEAM_NONE
    assert "initial_options" not in blocks[ids.HIDE_BLOCK]["element"]
    rows = (
        "SELECT coalesce(team, '-') || CASE WHEN hidden_from_boards THEN ' hidden' ELSE '' END"
        " FROM ambassador"
    )

    values = settings_values(topics=["ai"], networks=["linkedin"], language="fr")
    unknown = await slack_bot.submit_view(
        BOB, ids.SETTINGS_VIEW, {**values, **forged_team("marketing")}
    )
    refused = errors_of(unknown[1])
    assert set(refused) == {ids.TEAM_BLOCK}  # next to the field, politely, in French
    assert "Je ne connais pas" in refused[ids.TEAM_BLOCK] and "sales" in refused[ids.TEAM_BLOCK]
    assert await slack_bot.scalar(rows) == "-"

    ok = await slack_bot.submit_view(
        BOB,
        ids.SETTINGS_VIEW,
        settings_values(
            topics=["ai"], networks=["linkedin"], language="fr", team="tech", hidden=True
        ),
    )
    assert ok == (200, "")
    await slack_bot.until_scalar(rows, "tech hidden")
    saved = (await slack_bot.dms(BOB, 2))[1]
    shown = json.dumps(saved.blocks, ensure_ascii=False)
    assert "Technique" in shown and "apparaissez pas" in shown  # one notice, in French

    # The next modal shows them; "no team" and an unticked box undo both.
    await slack_bot.command("settings", BOB)
    again = await slack_bot.fake.wait_for(
        lambda: (c := slack_bot.fake.calls_to("views.open")) and len(c) > 1 and c
    )
    blocks = {b.get("block_id"): b for b in again[-1].args["view"]["blocks"]}
    assert blocks[ids.TEAM_BLOCK]["element"]["initial_option"]["value"] == "tech"
    assert blocks[ids.HIDE_BLOCK]["element"]["initial_options"][0]["value"] == ids.HIDE_VALUE
    ok = await slack_bot.submit_view(
        BOB,
        ids.SETTINGS_VIEW,
        settings_values(
            topics=["ai"], networks=["linkedin"], language="fr", team=ids.TEAM_NONE, hidden=False
        ),
    )
    assert ok == (200, "")
    await slack_bot.until_scalar(rows, "-")


def forged_team(text: str) -> dict[str, Any]:
    """A team select whose chosen value is not a department (a forged or stale payload)."""
    return {
        ids.TEAM_BLOCK: {
            ids.TEAM_ACTION: {"type": "static_select", "selected_option": {"value": text}}
        }
    }


async def test_app_home_for_a_newcomer_and_for_an_ambassador(slack_bot: SlackBot) -> None:
    newcomer = await open_home(slack_bot, DAVE, "EvHome1")
    assert action_ids(newcomer) == [ids.HOME_JOIN_ACTION, ids.HOME_GUIDELINES_ACTION]
    # Join from the Home tab opens the join modal.
    await click_home(slack_bot, DAVE, ids.HOME_JOIN_ACTION)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    assert opened[-1].args["view"]["callback_id"] == ids.JOIN_VIEW

    await slack_bot.join(CAROL, ["ai"], ["linkedin", "x"])
    await publish_ai_post(slack_bot)
    await slack_bot.dms(CAROL, 2)
    await slack_bot.until_scalar("SELECT count(*) FROM delivery WHERE status='sent'", 1)
    home = await open_home(slack_bot, CAROL, "EvHome2")
    shown = json.dumps(home, ensure_ascii=False)
    assert "Waiting for you" in shown
    assert "acme.example/jobs/ai" in shown  # the pending suggestion, with its buttons
    actions = action_ids(home)
    assert "share:linkedin" in actions
    assert ids.CONFIRM_ACTION in actions
    assert {ids.HOME_SETTINGS_ACTION, ids.HOME_PAUSE_ACTION, ids.HOME_LEAVE_ACTION} <= set(actions)
    assert "badges" not in shown.lower()

    # Edit settings from the Home tab opens the settings modal.
    await click_home(slack_bot, CAROL, ids.HOME_SETTINGS_ACTION)
    opened = await slack_bot.fake.wait_for(
        lambda: [
            c
            for c in slack_bot.fake.calls_to("views.open")
            if c.args["view"]["callback_id"] == ids.SETTINGS_VIEW
        ]
    )
    assert opened


async def test_pause_holds_suggestions_and_resume_brings_the_next(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await slack_bot.join(CAROL, ["ai"], ["linkedin"])
    await slack_bot.command("pause 3", BOB)
    (paused,) = await slack_bot.replies_to(BOB)
    assert "en pause jusqu" in json.dumps(paused, ensure_ascii=False)
    await slack_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NOT NULL", 1)
    await slack_bot.command("me", BOB)
    me = (await slack_bot.replies_to(BOB, 2))[1]
    assert "⏸️" in json.dumps(me, ensure_ascii=False)

    await publish_ai_post(slack_bot)
    await slack_bot.dms(CAROL, 2)  # Carol gets it ...
    await slack_bot.until_scalar("SELECT count(*) FROM delivery WHERE status='sent'", 1)
    assert len(slack_bot.fake.messages_in(dm_channel_id(BOB))) == 1  # ... Bob only his welcome

    await slack_bot.command("resume", BOB)
    await slack_bot.replies_to(BOB, 3)
    await slack_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NULL", 2)
    status, _ = await slack_bot.command(
        "post https://acme.example/blog/next #ai Next!", "U04ALICE01"
    )
    assert status == 200
    dms = await slack_bot.dms(BOB, 2)
    assert "acme.example/blog/next" in json.dumps(dms[1].blocks)


async def test_pause_and_resume_from_the_home_tab(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await click_home(slack_bot, BOB, ids.HOME_PAUSE_ACTION)
    await slack_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NOT NULL", 1)
    home = await slack_bot.fake.wait_for(
        lambda: (
            (v := slack_bot.fake.home_views.get(BOB))
            and ids.HOME_RESUME_ACTION in json.dumps(v)
            and v
        )
    )
    assert ids.HOME_PAUSE_ACTION not in action_ids(home)
    await click_home(slack_bot, BOB, ids.HOME_RESUME_ACTION)
    await slack_bot.until_scalar("SELECT count(*) FROM ambassador WHERE paused_at IS NULL", 1)
    await slack_bot.fake.wait_for(
        lambda: ids.HOME_PAUSE_ACTION in json.dumps(slack_bot.fake.home_views.get(BOB))
    )
    await click_home(slack_bot, BOB, ids.HOME_LEAVE_ACTION)
    await slack_bot.until_scalar("SELECT status FROM ambassador", "left")
    await slack_bot.fake.wait_for(
        lambda: ids.HOME_JOIN_ACTION in json.dumps(slack_bot.fake.home_views.get(BOB))
    )


async def test_guidelines_offer_to_join_and_bad_pause_is_explained(slack_bot: SlackBot) -> None:
    await slack_bot.command("guidelines", DAVE)
    (guidelines,) = await slack_bot.replies_to(DAVE)
    assert ids.HOME_JOIN_ACTION in json.dumps(guidelines)
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await slack_bot.command("pause forever", BOB)
    (refused,) = await slack_bot.replies_to(BOB)
    assert "pause 7" in json.dumps(refused)


async def test_accepting_outdated_guidelines_shows_the_latest(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    async with slack_bot.runtime.store.db.engine.begin() as connection:
        await connection.execute(sql("UPDATE ambassador SET guidelines_version = 'v0'"))
    status, _ = await slack_bot.click(BOB, ids.ACCEPT_GUIDELINES_ACTION, "v0", message_ts="1.2")
    assert status == 200
    notice, latest = await slack_bot.replies_to(BOB, 2)
    assert "changé" in json.dumps(notice, ensure_ascii=False)  # Bob reads French
    accept = [
        e
        for b in latest["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ACCEPT_GUIDELINES_ACTION
    ]
    assert [e["value"] for e in accept] == ["v1"]
    assert await slack_bot.scalar("SELECT guidelines_version FROM ambassador") == "v0"
