"""Settings form, App Home dashboard, pause and profile lines: Slack and Teams, EN and FR."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.model import Network
from bot.views import (
    GuidelinesView,
    HomeView,
    NetworkChoice,
    Notice,
    PreferencesSummary,
    ProfileView,
    SettingsForm,
    TopicChoice,
)
from messages import slack_ids, teams_ids
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.test_slack_rendering import (
    NOTICES,
    check_message,
    check_view,
    input_blocks,
    suggestion,
)

LOCALES = ("en", "fr")
NBSP = "\u00a0"
APOSTROPHE = "\u2019"


def settings_form(locale: str = "en", **changes: Any) -> SettingsForm:
    form = SettingsForm(
        locale=locale,
        topics=(TopicChoice("ai", "AI", True), TopicChoice("cloud", "Cloud")),
        networks=(
            NetworkChoice(Network.LINKEDIN, True),
            NetworkChoice(Network.X),
            NetworkChoice(Network.MASTODON, True),
        ),
        languages=("en", "fr"),
        language=locale,
        delivery_mode="daily",
        delivery_modes=("immediate", "daily", "weekly"),
        quiet_start="20:00",
        quiet_end="08:00",
        weekly_cap=5,
        max_weekly_cap=50,
        mastodon_instance="mastodon.social",
    )
    return replace(form, **changes)


def profile(locale: str = "en", **changes: Any) -> ProfileView:
    view = ProfileView(locale, "Marie Curie", True, ("AI",), (Network.X,), 12, 340, 25, 3)
    return replace(view, **changes)


def home(locale: str = "en", **changes: Any) -> HomeView:
    view = HomeView(
        locale=locale,
        display_name="Marie Curie",
        is_ambassador=True,
        guidelines_version="v1",
        profile=profile(locale),
        preferences=PreferencesSummary(
            ("AI",), (Network.LINKEDIN,), locale, "immediate", None, None, None, None
        ),
        pending=(suggestion(locale),),
    )
    return replace(view, **changes)


def texts(node: Any) -> str:
    return json.dumps(node, ensure_ascii=False)


# --- Slack: settings modal -----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_settings_modal_is_prefilled_and_valid(slack: SlackRenderer, locale: str) -> None:
    view = slack.settings_modal(settings_form(locale))
    check_view(view)
    assert view["callback_id"] == slack_ids.SETTINGS_VIEW
    inputs = input_blocks(view)
    assert set(inputs) == {
        slack_ids.TOPICS_BLOCK,
        slack_ids.NETWORKS_BLOCK,
        slack_ids.INSTANCE_BLOCK,
        slack_ids.LANGUAGE_BLOCK,
        slack_ids.MODE_BLOCK,
        slack_ids.QUIET_START_BLOCK,
        slack_ids.QUIET_END_BLOCK,
        slack_ids.CAP_BLOCK,
        slack_ids.RECAP_BLOCK,
    }
    assert inputs[slack_ids.LANGUAGE_BLOCK]["element"]["initial_option"]["value"] == locale
    assert inputs[slack_ids.MODE_BLOCK]["element"]["initial_option"]["value"] == "daily"
    assert inputs[slack_ids.QUIET_START_BLOCK]["element"]["initial_time"] == "20:00"
    assert inputs[slack_ids.QUIET_END_BLOCK]["element"]["initial_time"] == "08:00"
    assert inputs[slack_ids.CAP_BLOCK]["element"]["initial_value"] == "5"
    assert inputs[slack_ids.INSTANCE_BLOCK]["element"]["initial_value"] == "mastodon.social"
    chosen = inputs[slack_ids.NETWORKS_BLOCK]["element"]["initial_options"]
    assert [o["value"] for o in chosen] == ["linkedin", "mastodon"]
    for block in (slack_ids.QUIET_START_BLOCK, slack_ids.CAP_BLOCK, slack_ids.INSTANCE_BLOCK):
        assert inputs[block]["optional"] is True
    expected = {"en": "Quiet hours start", "fr": "Début des heures calmes"}[locale]
    assert expected in texts(view)


def test_settings_modal_without_optional_values(slack: SlackRenderer) -> None:
    view = slack.settings_modal(
        settings_form(quiet_start=None, quiet_end=None, weekly_cap=None, mastodon_instance=None)
    )
    check_view(view)
    inputs = input_blocks(view)
    assert "initial_time" not in inputs[slack_ids.QUIET_START_BLOCK]["element"]
    assert "initial_value" not in inputs[slack_ids.CAP_BLOCK]["element"]
    assert "initial_value" not in inputs[slack_ids.INSTANCE_BLOCK]["element"]


DEPARTMENT_CHOICES = {
    "en": (TopicChoice("sales", "Sales"), TopicChoice("tech", "Engineering", True)),
    "fr": (TopicChoice("sales", "Ventes"), TopicChoice("tech", "Technique", True)),
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("with_departments", [True, False])
def test_settings_modal_offers_team_and_hiding(
    slack: SlackRenderer, locale: str, with_departments: bool
) -> None:
    departments = DEPARTMENT_CHOICES[locale] if with_departments else ()
    team = "tech" if with_departments else "Sales EMEA"
    view = slack.settings_modal(
        settings_form(locale, boards=True, departments=departments, team=team, hidden=True)
    )
    check_view(view)
    View(**view).validate_json()
    inputs = input_blocks(view)
    team_block, hide = inputs[slack_ids.TEAM_BLOCK], inputs[slack_ids.HIDE_BLOCK]
    assert team_block["optional"] is True and hide["optional"] is True
    element = team_block["element"]
    assert element["action_id"] == slack_ids.TEAM_ACTION
    if with_departments:
        assert element["type"] == "static_select"
        assert [o["value"] for o in element["options"]] == ["sales", "tech", slack_ids.TEAM_NONE]
        labels = [o["text"]["text"] for o in element["options"]]
        assert (
            labels
            == {
                "en": ["Sales", "Engineering", "No team"],
                "fr": ["Ventes", "Technique", "Aucune équipe"],
            }[locale]
        )
        assert element["initial_option"]["value"] == "tech"
    else:
        assert element["type"] == "plain_text_input"
        assert (element["max_length"], element["initial_value"]) == (100, "Sales EMEA")
    box = hide["element"]
    assert (box["type"], box["action_id"]) == ("checkboxes", slack_ids.HIDE_ACTION)
    assert [o["value"] for o in box["initial_options"]] == [slack_ids.HIDE_VALUE]
    expected = {
        "en": "Hide me from public leaderboards",
        "fr": f"Ne pas m{APOSTROPHE}afficher dans les classements publics",
    }[locale]
    assert expected in texts(view)


def test_settings_modal_team_defaults(slack: SlackRenderer) -> None:
    departments = tuple(replace(c, selected=False) for c in DEPARTMENT_CHOICES["en"])
    view = slack.settings_modal(settings_form(boards=True, departments=departments))
    check_view(view)
    inputs = input_blocks(view)
    assert inputs[slack_ids.TEAM_BLOCK]["element"]["initial_option"]["value"] == "none"
    assert "initial_options" not in inputs[slack_ids.HIDE_BLOCK]["element"]
    free = input_blocks(slack.settings_modal(settings_form(boards=True)))
    assert "initial_value" not in free[slack_ids.TEAM_BLOCK]["element"]
    # Without boards wired, no such fields.
    assert slack_ids.TEAM_BLOCK not in input_blocks(slack.settings_modal(settings_form()))


# --- Slack: App Home ----------------------------------------------------------------------------


def actions_of(view: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("locale", LOCALES)
def test_home_for_a_newcomer_invites_to_join(slack: SlackRenderer, locale: str) -> None:
    view = slack.home(HomeView(locale, "", False, "v1"))
    check_view(view)
    assert view["type"] == "home"
    assert actions_of(view) == [slack_ids.HOME_JOIN_ACTION, slack_ids.HOME_GUIDELINES_ACTION]
    assert {"en": "Join the programme", "fr": "Rejoindre le programme"}[locale] in texts(view)


@pytest.mark.parametrize("locale", LOCALES)
def test_home_dashboard(slack: SlackRenderer, locale: str) -> None:
    view = slack.home(home(locale))
    check_view(view)
    shown = texts(view)
    assert {"en": "Waiting for you", "fr": "En attente de vous"}[locale] in shown
    assert {"en": "340 points", "fr": "340 points"}[locale] in shown
    actions = actions_of(view)
    # The pending suggestion keeps its share buttons and answers (same ids as the DM).
    assert slack_ids.share_action_id("linkedin") in actions
    assert slack_ids.CONFIRM_ACTION in actions
    assert actions[-4:] == [
        slack_ids.HOME_SETTINGS_ACTION,
        slack_ids.HOME_PAUSE_ACTION,
        slack_ids.HOME_GUIDELINES_ACTION,
        slack_ids.HOME_LEAVE_ACTION,
    ]
    leave = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == slack_ids.HOME_LEAVE_ACTION
    )
    assert "confirm" in leave
    # No badges yet (issue 6): no badge section at all.
    assert {"en": "Your badges", "fr": "Vos badges"}[locale] not in shown


def test_home_paused_offers_resume_and_says_until_when(slack: SlackRenderer) -> None:
    view = slack.home(home(paused=True, resumes_on=date(2026, 12, 1), pending=()))
    check_view(view)
    actions = actions_of(view)
    assert slack_ids.HOME_RESUME_ACTION in actions
    assert slack_ids.HOME_PAUSE_ACTION not in actions
    assert "paused until December 1" in texts(view)
    assert "Nothing waiting right now" in texts(view)


def test_home_shows_badges_only_when_there_are_some(slack: SlackRenderer) -> None:
    view = slack.home(home(badges=("first_share",)))  # badge ids, named by the catalog
    check_view(view)
    assert "Your badges" in texts(view)
    assert "🌱 First share" in texts(view)


def test_home_with_many_pending_stays_within_limits(slack: SlackRenderer) -> None:
    many = tuple(suggestion("en", title=f"Post {i} <b> & co " * 20) for i in range(10))
    view = slack.home(home(pending=many, badges=("first_share",) * 60))
    check_view(view)
    assert len(view["blocks"]) <= 100


# --- Slack: notices, profile, guidelines ---------------------------------------------------------


def test_saved_confirmation_lists_every_preference(slack: SlackRenderer) -> None:
    text = slack.notice(Notice("settings_saved", NOTICES["settings_saved"]), "fr").text
    assert f"C{APOSTROPHE}est enregistré{NBSP}!" in text
    assert "Mastodon sur mastodon.social" in text
    assert "Un récapitulatif quotidien" in text
    assert "de 20:00 à 08:00" in text
    assert "5 suggestions par semaine au plus" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_saved_confirmation_tells_team_and_hiding(slack: SlackRenderer, locale: str) -> None:
    saved = NOTICES["settings_saved"]["summary"]
    assert isinstance(saved, PreferencesSummary)
    summary = replace(saved, team="Technique", hidden=True)
    message = slack.notice(Notice("settings_saved", {"summary": summary}), locale)
    check_message(message)
    expected = {
        "en": ["at most\nTeam: Technique\n", "hidden from public boards"],
        "fr": [f"au plus\nÉquipe{NBSP}: Technique\n", f"vous n{APOSTROPHE}apparaissez pas"],
    }[locale]
    assert all(part in message.text for part in expected), message.text
    shown = replace(summary, team=None, hidden=False)
    text = slack.notice(Notice("settings_saved", {"summary": shown}), locale).text
    assert {"en": "Team: none", "fr": f"Équipe{NBSP}: aucune"}[locale] in text
    # No boards wired (hidden None): no such lines.
    plain_summary = NOTICES["settings_saved"]["summary"]
    text = slack.notice(Notice("settings_saved", {"summary": plain_summary}), locale).text
    assert {"en": "Team:", "fr": "Équipe"}[locale] not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_profile_shows_the_pause(slack: SlackRenderer, locale: str) -> None:
    message = slack.profile(profile(locale, paused=True, resumes_on=date(2026, 12, 1)))
    check_message(message)
    expected = {
        "en": "paused until December 1",
        "fr": f"en pause jusqu{APOSTROPHE}au 1er décembre",
    }[locale]
    assert expected in texts(message.blocks)
    assert "paused" not in texts(slack.profile(profile()).blocks)


@pytest.mark.parametrize("locale", LOCALES)
def test_guidelines_for_someone_who_has_not_joined_offer_to_join(
    slack: SlackRenderer, locale: str
) -> None:
    view = GuidelinesView(locale, "Be kind.", "v1", False, False, can_join=True)
    message = slack.guidelines(view)
    check_message(message)
    actions = [
        e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [slack_ids.HOME_JOIN_ACTION]


# --- Teams ----------------------------------------------------------------------------------------


def card_inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}


@pytest.mark.parametrize("locale", LOCALES)
def test_settings_card(teams: TeamsRenderer, locale: str) -> None:
    from tests.messages.test_teams import check_message as check_card

    message = teams.settings_card(settings_form(locale))
    check_card(message)
    assert message.card is not None
    inputs = card_inputs(message.card)
    assert inputs[teams_ids.LANGUAGE]["value"] == locale
    assert inputs[teams_ids.MODE]["value"] == "daily"
    assert inputs[teams_ids.QUIET_START]["value"] == "20:00"
    assert inputs[teams_ids.CAP]["value"] == "5"
    assert inputs[teams_ids.INSTANCE]["value"] == "mastodon.social"
    assert inputs[teams_ids.NETWORKS]["value"] == "linkedin,mastodon"
    submit = message.card["body"][-1]["actions"][0]
    assert submit["data"] == {teams_ids.ACTION_KEY: teams_ids.SETTINGS}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("with_departments", [True, False])
def test_settings_card_offers_team_and_hiding(
    teams: TeamsRenderer, locale: str, with_departments: bool
) -> None:
    from tests.messages.test_teams import check_message as check_card

    departments = DEPARTMENT_CHOICES[locale] if with_departments else ()
    team = "tech" if with_departments else "Sales EMEA"
    message = teams.settings_card(
        settings_form(locale, boards=True, departments=departments, team=team, hidden=True)
    )
    check_card(message)
    assert message.card is not None
    inputs = card_inputs(message.card)
    team_input = inputs[teams_ids.TEAM]
    if with_departments:
        assert (team_input["type"], team_input["isMultiSelect"]) == ("Input.ChoiceSet", False)
        assert [c["value"] for c in team_input["choices"]] == ["sales", "tech", "none"]
        assert team_input["choices"][1]["title"] == {"en": "Engineering", "fr": "Technique"}[locale]
        assert team_input["value"] == "tech"
    else:
        assert team_input["type"] == "Input.Text"
        assert (team_input["maxLength"], team_input["value"]) == (100, "Sales EMEA")
    toggle = inputs[teams_ids.HIDE]
    assert (toggle["type"], toggle["value"], toggle["valueOn"]) == (
        "Input.Toggle",
        teams_ids.HIDE_YES,
        teams_ids.HIDE_YES,
    )
    submit = message.card["body"][-1]["actions"][0]
    assert submit["data"] == {teams_ids.ACTION_KEY: teams_ids.SETTINGS, teams_ids.BOARD_FIELDS: "1"}
    assert {"en": "Public leaderboards", "fr": "Classements publics"}[locale] in texts(message.card)
    # No team yet: "none" is chosen; not hidden: the toggle is off.
    unchosen = tuple(replace(c, selected=False) for c in departments)
    plain = teams.settings_card(settings_form(locale, boards=True, departments=unchosen))
    assert plain.card is not None
    fields = card_inputs(plain.card)
    assert fields[teams_ids.HIDE]["value"] == teams_ids.TOGGLE_OFF
    assert fields[teams_ids.TEAM].get("value") == ("none" if with_departments else None)


@pytest.mark.parametrize("locale", LOCALES)
def test_settings_card_shows_the_error_on_top(teams: TeamsRenderer, locale: str) -> None:
    from tests.messages.test_teams import check_message as check_card

    form = settings_form(
        locale,
        mastodon_instance="https://x",
        error_field="mastodon_instance",
        error=Notice("mastodon_instance_invalid", {"value": "https://x"}),
    )
    message = teams.settings_card(form)
    check_card(message)
    assert message.card is not None
    second = message.card["body"][1]
    assert second["text"].startswith("⚠️")
    expected = {"en": f"doesn{APOSTROPHE}t look like", "fr": "ne ressemble pas"}[locale]
    assert expected in second["text"]


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_profile_and_guidelines(teams: TeamsRenderer, locale: str) -> None:
    from tests.messages.test_teams import check_message as check_card

    paused = teams.profile(profile(locale, paused=True))
    check_card(paused)
    assert "⏸️" in texts(paused.card)
    guidelines = teams.guidelines(
        GuidelinesView(locale, "Be kind.", "v1", False, False, can_join=True)
    )
    check_card(guidelines)
    assert teams_ids.OPEN_JOIN in texts(guidelines.card)
