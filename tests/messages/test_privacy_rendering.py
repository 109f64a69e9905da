"""The privacy messages: the forget-me confirmation (Slack Block Kit, validated with
slack_sdk's models), the file's title and comment, and the refused-link web page, in English
and French. (The Teams cards are in ``test_teams.py``'s table of every card.)"""

from __future__ import annotations

import pytest

from bot.views import ForgetMeView
from messages import slack_ids as ids
from messages.render import Templates
from messages.slack import SlackRenderer
from tests.messages.test_slack_rendering import LOCALES, check_message

EXPECTED = {
    "en": ("Erase my data", "Cancel", "Kept, with no name"),
    "fr": ("Effacer mes données", "Annuler", "Gardé, sans nom"),
}


@pytest.fixture(scope="module")
def renderer() -> SlackRenderer:
    return SlackRenderer(Templates())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("is_ambassador", [True, False])
def test_forget_me_confirmation(renderer: SlackRenderer, locale: str, is_ambassador: bool) -> None:
    message = renderer.forget_me(ForgetMeView(locale, is_ambassador=is_ambassador))
    check_message(message)
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    confirm, cancel = actions["elements"]
    assert confirm["style"] == "danger"
    assert confirm["action_id"] == ids.FORGET_ME_CONFIRM_ACTION
    assert cancel["action_id"] == ids.FORGET_ME_CANCEL_ACTION
    assert "style" not in cancel
    yes, no, kept = EXPECTED[locale]
    assert (confirm["text"]["text"], cancel["text"]["text"]) == (yes, no)
    assert any(kept in str(b) for b in message.blocks)


@pytest.mark.parametrize("locale", LOCALES)
def test_file_texts(renderer: SlackRenderer, locale: str) -> None:
    title, comment = renderer.export_file_texts(locale, "Acme <Ambassadors>")
    assert "Acme <Ambassadors>" in title  # plain text: shown as written
    assert "JSON" in comment
    assert "*" not in comment


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("expired", [True, False])
def test_refused_link_page(renderer: SlackRenderer, locale: str, expired: bool) -> None:
    page = renderer.data_link_refused_page(locale, expired)
    assert page.startswith("<!doctype html>")
    assert f'lang="{locale}"' in page
    words = {("en", True): "expired", ("en", False): "valid", ("fr", True): "expiré"}
    assert words.get((locale, expired), "pas valide") in page
