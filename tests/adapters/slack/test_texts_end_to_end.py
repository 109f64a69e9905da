"""Slack end to end for share texts: variants per network and language posted through the
modal reach each person in their language, and "Copy / edit text" redraws the DM."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.adapters.slack.conftest import ALICE, BOB, CAROL, SlackBot, errors_of, plain
from tests.adapters.slack.test_end_to_end import buttons, message_text
from tests.fakes.slack_api import dm_channel_id


def target(index: int, value: str) -> dict[str, Any]:
    block = f"target_{index}"
    return {block: {"target": {"type": "static_select", "selected_option": {"value": value}}}}


def post_values(*texts: tuple[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        **plain("url", "https://acme.example/launch"),
        **plain("title", "Launch day"),
        **plain("summary", "A launch."),
        "topics": {
            "topics": {"type": "multi_static_select", "selected_options": [{"value": "ai"}]}
        },
        "publish": {"publish": {"type": "checkboxes", "selected_options": [{"value": "now"}]}},
    }
    for index, (text, whom) in enumerate(texts, start=1):
        values.update(plain(f"text_{index}", text, "text"))
        values.update(target(index, whom))
    return values


def x_text(message: Any) -> str:
    url: str = buttons(message)["share:x"]["url"]
    return parse_qs(urlsplit(url).query)["text"][0]


async def test_each_person_gets_the_text_of_their_language_and_network(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin", "x"])  # fr-FR
    await slack_bot.join(CAROL, ["ai"], ["linkedin", "x"])  # en-GB
    await slack_bot.command("post", ALICE)
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    blocks = [b["block_id"] for b in opened[0].args["view"]["blocks"] if "block_id" in b]
    assert blocks.index("target_1") == blocks.index("text_1") + 1
    values = post_values(
        ("Big news, {first_name}: we launched!", ":en"),
        ("Grande nouvelle, {first_name} : c\u2019est lancé !", ":fr"),
        ("Launched today", "x:en"),
        ("Lancé aujourd\u2019hui", "x:fr"),
    )
    values.update(plain("title_fr", "Jour de lancement"))
    assert await slack_bot.submit_view(ALICE, "post", values) == (200, "")
    bob = (await slack_bot.dms(BOB, 2))[1]
    carol = (await slack_bot.dms(CAROL, 2))[1]
    assert "Grande nouvelle, Bob : c\u2019est lancé ! #AcmeAmbassadors" in message_text(bob)
    assert "Big news, Carol: we launched! #AcmeAmbassadors" in message_text(carol)
    assert x_text(bob) == "Lancé aujourd\u2019hui #AcmeAmbassadors"
    assert x_text(carol) == "Launched today #AcmeAmbassadors"
    assert bob.blocks[0]["text"]["text"] == "Jour de lancement"  # the French title
    assert carol.blocks[0]["text"]["text"] == "Launch day"


async def test_the_modal_refuses_an_unknown_placeholder_on_its_text(slack_bot: SlackBot) -> None:
    values = post_values(("Fine", ":"), ("Hi {nickname}", "x:"))
    errors = errors_of((await slack_bot.submit_view(ALICE, "post", values))[1])
    assert list(errors) == ["text_2"]
    assert "{nickname}" in errors["text_2"]


async def test_copy_edit_text_opens_a_modal_and_redraws_the_dm(slack_bot: SlackBot) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin", "x"])
    status, _ = await slack_bot.command("post https://acme.example/jobs #ai Nous recrutons", ALICE)
    assert status == 200
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    edit = buttons(suggestion)["edit_text"]
    assert (await slack_bot.click(BOB, "edit_text", edit["value"], message_ts=suggestion.ts))[
        0
    ] == 200
    opened = await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("views.open"))
    view = opened[-1].args["view"]
    assert view["callback_id"] == "edit_text"
    field = next(b for b in view["blocks"] if b.get("block_id") == "edit_text")
    assert field["element"]["initial_value"] == "Nous recrutons #AcmeAmbassadors"
    assert "LinkedIn" in message_text_of(view)  # LinkedIn takes only the link: paste the text

    # Someone else's suggestion: refused, nothing redrawn.
    mine = plain("edit_text", "Mon texte à moi")
    status, body = await slack_bot.submit_view(
        CAROL, "edit_text", mine, private_metadata=edit["value"]
    )
    assert (status, body) == (200, "")
    # Bob's own edit: kept, the hashtag back, the DM redrawn through chat.update.
    status, body = await slack_bot.submit_view(
        BOB, "edit_text", mine, private_metadata=edit["value"]
    )
    assert (status, body) == (200, "")
    await slack_bot.fake.wait_for(lambda: slack_bot.fake.calls_to("chat.update"))
    updated = slack_bot.fake.message(dm_channel_id(BOB), suggestion.ts)
    assert "Mon texte à moi #AcmeAmbassadors" in message_text(updated)
    assert x_text(updated) == "Mon texte à moi #AcmeAmbassadors"
    # The same text again: idempotent, no second redraw.
    await slack_bot.submit_view(BOB, "edit_text", mine, private_metadata=edit["value"])
    await slack_bot.until_scalar(
        "SELECT text FROM delivery WHERE id = " + str(int(edit["value"])),  # noqa: S608
        "Mon texte à moi #AcmeAmbassadors",
    )
    assert len(slack_bot.fake.calls_to("chat.update")) == 1


async def test_an_empty_edit_is_refused_in_the_modal(slack_bot: SlackBot) -> None:
    errors = errors_of(
        (await slack_bot.submit_view(BOB, "edit_text", plain("edit_text", "  "), "7"))[1]
    )
    assert list(errors) == ["edit_text"]


def message_text_of(view: dict[str, Any]) -> str:
    return str(view["blocks"])


async def test_a_blocked_keyword_is_refused_in_the_modal_and_in_one_line(
    slack_bot: SlackBot,
) -> None:
    values = post_values(("Fine", ":"), ("Our Confidential plan", ":"))
    errors = errors_of((await slack_bot.submit_view(ALICE, "post", values))[1])
    assert list(errors) == ["text_2"]
    assert "confidential" in errors["text_2"]
    status, _ = await slack_bot.command("post https://acme.example/x #ai Confidential!", ALICE)
    assert status == 200
    (reply,) = await slack_bot.replies_to(ALICE)
    assert "confidential" in str(reply)
    assert await slack_bot.scalar("SELECT count(*) FROM content") == 0
