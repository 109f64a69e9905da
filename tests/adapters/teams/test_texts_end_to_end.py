"""Teams end to end for share texts: the post card's texts per language and network reach
each person in their language, and "Copy / edit text" (a ShowCard) redraws the card."""

from __future__ import annotations

from typing import Any

from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import RecordedActivity

SUBMIT = "Action.Submit"
SHOW_CARD = "Action.ShowCard"


def suggestions(bot: TeamsBot, user: str) -> list[RecordedActivity]:
    return [
        a
        for a in bot.sent_to(user)
        if a.attachments and any(x["type"] == SHOW_CARD for x in actions_of(card_of(a)))
    ]


def post_value(*texts: tuple[str, str]) -> dict[str, Any]:
    value: dict[str, Any] = {
        "advocacy": "post",
        "url": "https://example.com/blog/launch",
        "title": "Launch day",
        "summary": "A launch.",
        "topics": "ai",
        "publish": "now",
        "audience": "interested",
    }
    for index, (text, whom) in enumerate(texts, start=1):
        value[f"text_{index}"] = text
        value[f"target_{index}"] = whom
    return value


async def test_the_post_card_sends_each_person_their_language(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand", locale="fr-FR")
    await teams_bot.join(CAROL, "Carol King", locale="en-US")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador", 2)
    await teams_bot.say(ALICE, "post")
    card = card_of((await teams_bot.wait_sent(ALICE))[-1])
    inputs = texts_of(card)
    assert "target_1" in inputs and "target_6" in inputs
    value = post_value(
        ("Big news, {first_name}!", ":en"),
        ("Grande nouvelle, {first_name}\u00a0!", ":fr"),
        ("Launched on X", "x:"),
    )
    value["title_fr"] = "Jour de lancement"
    status, _ = await teams_bot.submit(ALICE, value)
    assert status in (200, 201)
    (bob,) = await teams_bot.connector.wait_for(lambda: suggestions(teams_bot, BOB))
    (carol,) = await teams_bot.connector.wait_for(lambda: suggestions(teams_bot, CAROL))
    assert "Grande nouvelle, Bob\u00a0! #AcmeAmbassadors" in texts_of(card_of(bob))
    assert "Big news, Carol! #AcmeAmbassadors" in texts_of(card_of(carol))
    assert "Jour de lancement" in texts_of(card_of(bob))
    assert "Jour de lancement" not in texts_of(card_of(carol))


async def test_an_unknown_placeholder_is_refused_on_the_card(teams_bot: TeamsBot) -> None:
    await teams_bot.install(ALICE)
    status, _ = await teams_bot.submit(ALICE, post_value(("Hi {nickname}", ":")))
    assert status in (200, 201)
    reply = await teams_bot.connector.wait_for(
        lambda: (
            [a for a in teams_bot.sent_to(ALICE) if "{nickname}" in (a.text or "")]
            or [a for a in teams_bot.sent_to(ALICE) if "{nickname}" in texts_of(a.attachments)]
        )
    )
    assert reply
    assert await teams_bot.scalar("SELECT count(*) FROM content") == 0


async def test_use_this_text_redraws_the_card(teams_bot: TeamsBot) -> None:
    await teams_bot.join(BOB, "Bob Durand", locale="fr-FR")
    await teams_bot.until_scalar("SELECT count(*) FROM ambassador", 1)
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Nous recrutons")
    (suggestion,) = await teams_bot.connector.wait_for(lambda: suggestions(teams_bot, BOB))
    await teams_bot.until_scalar("SELECT status FROM delivery", "sent")
    card = card_of(suggestion)
    (show,) = [a for a in actions_of(card) if a["type"] == SHOW_CARD]
    (field,) = [e for e in show["card"]["body"] if e["type"] == "Input.Text"]
    assert field["value"] == "Nous recrutons #AcmeAmbassadors"
    (use,) = show["card"]["actions"]
    # Teams merges the card's inputs into the Submit's data.
    value = {**use["data"], field["id"]: "Mon texte à moi"}
    status, _ = await teams_bot.submit(BOB, value, reply_to=suggestion.activity_id)
    assert status in (200, 201)
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
    assert "Mon texte à moi #AcmeAmbassadors" in texts_of(redrawn.activity)
    assert await teams_bot.scalar("SELECT text FROM delivery") == "Mon texte à moi #AcmeAmbassadors"
    # Someone else's suggestion: refused politely, nothing stored.
    await teams_bot.install(CAROL)
    await teams_bot.submit(CAROL, {**use["data"], field["id"]: "Hijack"})
    assert await teams_bot.scalar("SELECT text FROM delivery") == "Mon texte à moi #AcmeAmbassadors"


async def test_a_blocked_keyword_is_refused_on_the_card(teams_bot: TeamsBot) -> None:
    await teams_bot.install(ALICE)
    status, _ = await teams_bot.submit(ALICE, post_value(("A CONFIDENTIAL plan", ":")))
    assert status in (200, 201)
    await teams_bot.connector.wait_for(
        lambda: (
            [a for a in teams_bot.sent_to(ALICE) if "confidential" in texts_of(a.attachments)]
            or [a for a in teams_bot.sent_to(ALICE) if "confidential" in (a.text or "")]
        )
    )
    assert await teams_bot.scalar("SELECT count(*) FROM content") == 0
