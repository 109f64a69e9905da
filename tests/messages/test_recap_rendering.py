"""The personal weekly recap DM, its setting and its command help: Slack and Teams, EN and FR."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.views import RecapView
from messages import slack_ids, teams_ids
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.test_prefs_rendering import profile, settings_form
from tests.messages.test_slack_rendering import check_message, check_view, input_blocks
from tests.messages.test_teams import check_message as check_card

LOCALES = ("en", "fr")
NBSP = "\u00a0"


def recap(locale: str = "en", **changes: Any) -> RecapView:
    view = RecapView(
        locale=locale,
        week_label="2026-W47",
        week_start=date(2026, 11, 16),
        points=42,
        rank=3,
        hidden=False,
        shares=2,
        clicks=17,
        badges=("first_share", "streak_4"),
        streak=4,
        waiting=1,
    )
    return replace(view, **changes)


EXPECTED = {
    "en": [
        "Your week of November 16",
        "42 points · #3 on the week\u2019s board",
        "2 shares",
        "17 clicks",
        "4 weeks in a row",
        "🌱 First share",
        "1 suggestion still waiting",
    ],
    "fr": [
        "Votre semaine du 16 novembre",
        "42 points · 3e du classement de la semaine",
        "2 partages",
        "17 clics",
        "4 semaines d\u2019affilée",
        "1 suggestion vous attend encore",
    ],
}


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_recap(slack: SlackRenderer, locale: str) -> None:
    message = slack.recap(recap(locale))
    check_message(message)
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert all(part in text for part in EXPECTED[locale]), text
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (slack_ids.RECAP_OFF_ACTION, "2026-W47")
    ]
    assert "calme" not in text and "quiet week" not in text
    assert "🙈" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_recap(teams: TeamsRenderer, locale: str) -> None:
    message = teams.recap(recap(locale))
    tree = check_card(message)
    text = " ".join(tree.texts)
    assert all(part.replace("*", "") in text for part in EXPECTED[locale] if "🌱" not in part)
    assert [a["data"] for a in tree.actions] == [{teams_ids.ACTION_KEY: teams_ids.RECAP_OFF}]


@pytest.mark.parametrize("locale", LOCALES)
def test_an_empty_week_is_told_kindly(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    view = recap(locale, points=0, rank=None, shares=0, clicks=0, badges=(), streak=0, waiting=0)
    assert view.empty
    kind = {
        "en": "A quiet week, and that\u2019s fine",
        "fr": "Une semaine calme, et c\u2019est très bien",
    }
    nothing = {"en": "Nothing waiting", "fr": "Rien ne vous attend"}
    message = slack.recap(view)
    check_message(message)
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert kind[locale] in text and nothing[locale] in text
    assert "Points" not in text  # no column of zeros
    card = check_card(teams.recap(view))
    assert any(kind[locale] in t for t in card.texts)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_hidden_person_is_told_the_rank_is_theirs_alone(
    slack: SlackRenderer, locale: str
) -> None:
    text = json.dumps(slack.recap(recap(locale, hidden=True)).blocks, ensure_ascii=False)
    assert "🙈" in text
    more = json.dumps(slack.recap(recap(locale, waiting=20, waiting_more=True)).blocks)
    assert "20+" in more


@pytest.mark.parametrize("locale", LOCALES)
def test_the_settings_box(slack: SlackRenderer, teams: TeamsRenderer, locale: str) -> None:
    view = slack.settings_modal(settings_form(locale, weekly_recap=True))
    check_view(view)
    box = input_blocks(view)[slack_ids.RECAP_BLOCK]
    assert box["optional"] is True
    assert [o["value"] for o in box["element"]["initial_options"]] == [slack_ids.RECAP_VALUE]
    off = input_blocks(slack.settings_modal(settings_form(locale)))[slack_ids.RECAP_BLOCK]
    assert "initial_options" not in off["element"]
    card = teams.settings_card(settings_form(locale, weekly_recap=True))
    tree = check_card(card)
    (toggle,) = [i for i in tree.inputs if i["id"] == teams_ids.RECAP]
    assert (toggle["value"], toggle["valueOn"]) == (teams_ids.RECAP_YES, teams_ids.RECAP_YES)


@pytest.mark.parametrize("locale", LOCALES)
def test_me_says_whether_the_recap_is_on(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    words = {"en": "Weekly recap: on", "fr": f"Récapitulatif hebdomadaire{NBSP}: activé"}
    text = json.dumps(slack.profile(profile(locale, weekly_recap=True)).blocks, ensure_ascii=False)
    assert words[locale] in text
    card = check_card(teams.profile(profile(locale, weekly_recap=True)))
    assert any(words[locale] in t for t in card.texts)
