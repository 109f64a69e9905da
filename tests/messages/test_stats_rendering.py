"""Curators' stats messages: Block Kit validated by slack_sdk, Teams cards within limits."""

from __future__ import annotations

import json

import pytest

from messages import slack_ids
from messages.slack import SlackMessage, SlackRenderer
from messages.teams import MAX_CARD_BYTES, TeamsRenderer, card_bytes
from tests.messages.stats_samples import (
    content_stats_view,
    invitation_view,
    prospects_view,
    stats_link_view,
    stats_view,
)
from tests.messages.test_slack_rendering import check_message as check_slack
from tests.messages.test_teams import check_message as check_teams

LOCALES = ("en", "fr")


def _text(message: SlackMessage) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_programme_stats_show_the_emv_inputs_and_formula(slack: SlackRenderer, locale: str) -> None:
    message = slack.stats(stats_view(locale))
    check_slack(message)
    shown = _text(message)
    # 310 clicks x 5.0 = 1550.00; 50 shares x 800 = 40000 impressions / 1000 x 30.0 = 1200.00;
    # X: 45 x 1.5 = 67.50; Bluesky: 3 shares x 300 x 0 = 0.00 -> 2817.50 EUR.
    if locale == "en":
        assert "2817.50 EUR" in shown
        assert "310 clicks \u00d7 5.0 = 1550.00" in shown
        times, over = "\u00d7", "\u00f7"
        share_part = f"50 shares {times} 800 = 40000 impressions {over} 1,000 {times} 30.0"
        assert f"{share_part} = 1200.00" in shown
        assert "30.5\u00a0% (61 of 200)" in shown
        assert "estimate" in shown and "EMV = \u03a3 clicks \u00d7 CPC" in shown
        assert "(none): 2" in shown
        assert "n/a (not recorded yet)" in shown
    else:
        assert "2817,50 EUR" in shown
        assert "30,5\u00a0% (61 sur 200)" in shown
        assert "VME = \u03a3 clics \u00d7 CPC" in shown
        assert "(aucun)" in shown
    # Titles are escaped for Slack mrkdwn: no HTML, no stray control characters.
    assert "&lt;b&gt;Launch 1&lt;/b&gt; &amp; more" in shown


@pytest.mark.parametrize("locale", LOCALES)
def test_many_departments_stay_within_slack_limits(slack: SlackRenderer, locale: str) -> None:
    message = slack.stats(stats_view(locale, departments=200, top=5))
    check_slack(message)
    assert len(message.blocks) <= 50


@pytest.mark.parametrize("locale", LOCALES)
def test_content_stats_with_nothing_sent(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    message = slack.stats(content_stats_view(locale))
    check_slack(message)
    shown = _text(message)
    assert "Our Paris office opens" in shown
    assert ("(nothing sent)" if locale == "en" else "(rien d\u2019envoyé)") in shown
    assert ("No clicks or shares" if locale == "en" else "Aucun clic ni partage") in shown
    card = teams.stats(content_stats_view(locale))
    check_teams(card, allowed_links={"https://example.com/a"})


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_stats_card_within_28_kb(teams: TeamsRenderer, locale: str) -> None:
    message = teams.stats(stats_view(locale, command="", departments=200))
    check_teams(message)
    assert card_bytes(message.card) <= MAX_CARD_BYTES
    link = teams.stats_link(stats_link_view(locale))
    assert link.card is not None
    assert link.card["body"][-1]["actions"][0]["url"].endswith(".csv")


@pytest.mark.parametrize("locale", LOCALES)
def test_refusal_pages(slack: SlackRenderer, locale: str) -> None:
    expired = slack.stats_link_refused_page(locale, True)
    invalid = slack.stats_link_refused_page(locale, False)
    assert ("expired" if locale == "en" else "expiré") in expired
    assert ("isn\u2019t valid" if locale == "en" else "n\u2019est pas valide") in invalid


def test_file_texts(slack: SlackRenderer) -> None:
    title, comment = slack.stats_file_texts("fr", "90d", "Ambassadeurs")
    assert title == "Statistiques, 90 derniers jours (Ambassadeurs)"
    assert "apostrophe" in comment


@pytest.mark.parametrize("locale", LOCALES)
def test_prospects_list_has_one_invite_button_each(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    message = slack.prospects(prospects_view(locale, count=20))
    check_slack(message)
    buttons = [b["accessory"] for b in message.blocks if "accessory" in b]
    assert [b["action_id"] for b in buttons] == [slack_ids.PROSPECT_INVITE_ACTION] * 20
    assert buttons[0]["value"] == "U0PROS000"
    assert "<@U0PROS000>" in _text(message)
    assert "2026-10-01" in _text(message)  # when the second one was invited
    card = teams.prospects(prospects_view(locale, count=20))
    check_teams(card)
    assert "&lt;b&gt;Eve&lt;/b&gt; 0" in json.dumps(card.card) or "Eve" in json.dumps(card.card)
    empty = slack.prospects(prospects_view(locale, count=0))
    check_slack(empty)


@pytest.mark.parametrize("locale", LOCALES)
def test_invitation_has_join(slack: SlackRenderer, locale: str) -> None:
    message = slack.invitation(invitation_view(locale))
    check_slack(message)
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == slack_ids.HOME_JOIN_ACTION
