"""Share texts on screen: the post forms' "for" selects, the "Copy / edit text" modal and
card, and the notices, in English and French, within Slack's and Teams' limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot.model import DeliveryId, Network
from bot.programme import SUPPORTED_LOCALES
from bot.texts import EditForm
from bot.views import Notice, PostForm
from messages import slack_ids, teams_ids
from messages.slack import MAX_TEXT_INPUTS, SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.test_slack_rendering import (
    LIMITS,
    check_message,
    check_view,
    input_blocks,
    suggestion,
    topic_choices,
)
from tests.messages.test_teams import LINKS_OK, tsuggestion
from tests.messages.test_teams import check_message as check_card

LOCALES = ("en", "fr")
EVERY_NETWORK = tuple(Network)


def form(locale: str, max_texts: int = 6) -> PostForm:
    return PostForm(
        locale,
        topic_choices(12, selected=0),
        max_texts,
        LIMITS,
        networks=EVERY_NETWORK,
        languages=SUPPORTED_LOCALES,
        translate_to=("fr",),
    )


def edit_form(locale: str, **changes: Any) -> EditForm:
    values: dict[str, Any] = {
        "delivery_id": DeliveryId(42),
        "locale": locale,
        "text": "Fier de l\u2019équipe & de <notre> lancement #AcmeAmbassadors",
        "link": "https://example.com/blog/launch?a=1&b=2",
        "link_only": (Network.LINKEDIN, Network.FACEBOOK),
        "limit": 1500,
    }
    values.update(changes)
    return EditForm(**values)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("max_texts", [1, 6, MAX_TEXT_INPUTS])
def test_slack_post_modal_says_whom_each_text_is_for(
    slack: SlackRenderer, locale: str, max_texts: int
) -> None:
    view = slack.post_modal(form(locale, max_texts))
    check_view(view)  # slack_sdk's View model, ≤ 100 blocks, unique block ids
    assert len(view["blocks"]) <= 100
    inputs = input_blocks(view)
    order = list(inputs)
    for index in range(1, max_texts + 1):
        text_block, target_block = f"text_{index}", slack_ids.target_block_id(index)
        assert order.index(target_block) == order.index(text_block) + 1
        select = inputs[target_block]
        assert select["optional"] is True
        element = select["element"]
        assert (element["type"], element["action_id"]) == ("static_select", "target")
        values = [o["value"] for o in element["options"]]
        assert element["initial_option"]["value"] == ":"  # any network, any language
        assert len(values) == (1 + len(EVERY_NETWORK)) * (1 + len(SUPPORTED_LOCALES)) <= 100
        assert {slack_ids.split_target(v) for v in values} == {
            (n, lang)
            for n in (None, *(n.value for n in EVERY_NETWORK))
            for lang in (None, *SUPPORTED_LOCALES)
        }
        assert all(len(o["text"]["text"]) <= 75 for o in element["options"])
    assert "{first_name}" in inputs["text_1"]["hint"]["text"]


def test_slack_post_modal_worst_case_stays_within_100_blocks(slack: SlackRenderer) -> None:
    view = slack.post_modal(form("fr", 50))  # more than the form ever shows
    check_view(view)
    assert sum(b["block_id"].startswith("text_") for b in view["blocks"]) == MAX_TEXT_INPUTS


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_edit_modal(slack: SlackRenderer, locale: str) -> None:
    view = slack.edit_text_modal(edit_form(locale))
    check_view(view)
    assert (view["callback_id"], view["private_metadata"]) == (slack_ids.EDIT_TEXT_VIEW, "42")
    field = input_blocks(view)[slack_ids.EDIT_TEXT_BLOCK]
    element = field["element"]
    assert element["action_id"] == slack_ids.EDIT_TEXT_INPUT
    # A plain-text input shows the text as written: nothing escaped.
    assert element["initial_value"] == edit_form(locale).text
    assert element["multiline"] is True and element["max_length"] == 1500
    link_only = view["blocks"][0]["elements"][0]["text"]
    assert "LinkedIn" in link_only and "Facebook" in link_only
    assert (
        "https://example.com/blog/launch?a=1&amp;b=2" in view["blocks"][-1]["elements"][0]["text"]
    )


def test_slack_edit_modal_without_link_only_networks(slack: SlackRenderer) -> None:
    view = slack.edit_text_modal(edit_form("en", link_only=(), text="x" * 2_000, limit=3_000))
    check_view(view)
    assert view["blocks"][0]["type"] == "input"
    assert len(input_blocks(view)[slack_ids.EDIT_TEXT_BLOCK]["element"]["initial_value"]) <= 3_000


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_suggestion_offers_copy_edit(slack: SlackRenderer, locale: str) -> None:
    message = slack.suggestion(suggestion(locale))
    check_message(message)
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    (edit,) = [b for b in buttons if b["action_id"] == slack_ids.EDIT_TEXT_ACTION]
    assert edit["value"] == "42"
    assert edit["text"]["text"] == (
        "Copy / edit text" if locale == "en" else "Copier / modifier le texte"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_post_card_says_whom_each_text_is_for(teams: TeamsRenderer, locale: str) -> None:
    message = teams.post_card(form(locale, MAX_TEXT_INPUTS))
    tree = check_card(message)
    targets = [i for i in tree.inputs if i["id"].startswith(teams_ids.TARGET_PREFIX)]
    # Every network and language choice under each text: as many texts as fit in 28 KB.
    assert 8 <= len(targets) <= MAX_TEXT_INPUTS
    assert [t["id"] for t in targets] == [
        teams_ids.target_input_id(i) for i in range(1, len(targets) + 1)
    ]
    texts = [i for i in tree.inputs if i["id"].startswith(teams_ids.TEXT_PREFIX)]
    assert len(texts) == len(targets)
    for target in targets:
        assert (target["style"], target["isMultiSelect"], target["value"]) == (
            "compact",
            False,
            ":",
        )
        values = [c["value"] for c in target["choices"]]
        assert (None, "fr") in {teams_ids.split_target(v) for v in values}
        assert ("x", "en") in {teams_ids.split_target(v) for v in values}


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_suggestion_offers_copy_edit(teams: TeamsRenderer, locale: str) -> None:
    view = tsuggestion(locale)
    tree = check_card(teams.suggestion(view), allowed_links=LINKS_OK)
    (show,) = [a for a in tree.actions if a["type"] == "Action.ShowCard"]
    (field,) = [i for i in tree.inputs if i["id"] == teams_ids.edit_text_input_id(42)]
    assert field["value"] == view.text
    assert show["card"]["actions"][0]["data"] == {
        teams_ids.ACTION_KEY: teams_ids.EDIT_TEXT,
        teams_ids.DELIVERY_ID: 42,
    }


def test_teams_suggestion_without_text_has_nothing_to_edit(teams: TeamsRenderer) -> None:
    tree = check_card(teams.suggestion(tsuggestion("en", text="")), allowed_links=LINKS_OK)
    assert not [a for a in tree.actions if a["type"] == "Action.ShowCard"]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "On X, text 2 is 12 characters too long; text 3 is 40 characters too long"),
        ("fr", "Sur X, le texte 2 dépasse de 12 caractères\u00a0; le texte 3 dépasse de 40"),
    ],
)
def test_the_saved_notice_names_the_variants_x_will_cut(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str, expected: str
) -> None:
    notice = Notice(
        "content_saved_x",
        {
            "title": "Our launch",
            "content_id": 12,
            "status": "published",
            "deliveries": 3,
            "shortened": [],
            "page_read": True,
            "when": None,
            "x_over": [{"number": 2, "over": 12}, {"number": 3, "over": 40}],
        },
    )
    text = slack.notice_text(notice, locale, limit=None)
    assert expected in text
    assert "Our launch" in text  # the usual "is live" sentence comes first
    check_message(slack.notice(notice, locale))
    check_card(teams.notice(notice, locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_blocked_keyword_notice_names_the_field(slack: SlackRenderer, locale: str) -> None:
    title = Notice("blocked_keyword", {"keyword": "confidential", "where": "title", "number": ""})
    text = Notice("blocked_keyword", {"keyword": "confidential", "where": "text", "number": "2"})
    assert ("the title" if locale == "en" else "le champ titre") in slack.notice_text(
        title, locale, limit=None
    )
    assert ("text 2" if locale == "en" else "le texte 2") in slack.notice_text(
        text, locale, limit=None
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_post_forms_take_a_title_and_summary_in_french(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    inputs = input_blocks(slack.post_modal(form(locale)))
    order = list(inputs)
    assert order[order.index("summary") + 1 : order.index("summary") + 3] == [
        "title_fr",
        "summary_fr",
    ]
    assert inputs["title_fr"]["optional"] is True
    assert inputs["title_fr"]["element"]["action_id"] == "title_fr"
    assert inputs["summary_fr"]["element"]["multiline"] is True
    label = inputs["title_fr"]["label"]["text"]
    assert label == ("Title in French" if locale == "en" else "Titre en français")
    tree = check_card(teams.post_card(form(locale)))
    ids_ = [i["id"] for i in tree.inputs]
    assert ids_[ids_.index("summary") + 1 : ids_.index("summary") + 3] == ["title_fr", "summary_fr"]
