"""The review card (Slack and Teams), the reject modal and the post form filled in from a
suggestion: every state, both locales, validated like every other message."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.views import PostForm, RejectForm, ReviewCardView
from messages import slack_ids, teams_ids
from messages.render import Templates
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.test_slack_rendering import LIMITS, check_message, check_view
from tests.messages.test_teams import check_message as check_card
from tests.messages.test_teams import submits

LOCALES = ("en", "fr")
URL = "https://example.com/a"
PENDING = ReviewCardView(
    locale="en",
    suggestion_id=7,
    url=URL,
    title="We opened <an office> & more",
    summary="Forty people and a rooftop.",
    why="My team built it!",
    source="employee",
    status="pending",
    suggester_id="U0ANNA",
    suggester_name="Anna <b>",
)
STATES: dict[str, dict[str, Any]] = {
    "pending": {},
    "approved": {
        "status": "approved",
        "reviewer_id": "U0CURATOR",
        "reviewer_name": "Cu",
        "content_id": 12,
    },
    "auto": {
        "status": "approved",
        "auto_approved": True,
        "previous_approvals": 3,
        "content_id": 13,
    },
    "rejected": {"status": "rejected", "reviewer_id": "U0CURATOR", "reason": "Covered already"},
    "expired": {"status": "expired"},
    "feed": {
        "source": "feed",
        "feed_name": "Company blog",
        "suggester_id": None,
        "why": None,
        "topics": ("ai",),
    },
}


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", sorted(STATES))
def test_slack_review_card(templates: Templates, locale: str, state: str) -> None:
    view = replace(PENDING, locale=locale, **STATES[state])
    message = SlackRenderer(templates).review(view)
    check_message(message)
    shown = blocks_text(message.blocks)
    buttons = [
        e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    if view.pending:
        assert buttons == [
            slack_ids.REVIEW_APPROVE_ACTION,
            slack_ids.REVIEW_EDIT_ACTION,
            slack_ids.REVIEW_REJECT_ACTION,
        ]
        assert all(
            e["value"] == "7"
            for b in message.blocks
            if b["type"] == "actions"
            for e in b["elements"]
        )
    else:
        assert buttons == []
    assert "&lt;an office&gt; &amp; more" in shown  # what people wrote is escaped
    if state == "pending":
        assert "<@U0ANNA>" in shown and "My team built it!" in shown
    if state in ("approved", "rejected"):
        assert "<@U0CURATOR>" in shown
    if state == "rejected":
        assert "Covered already" in shown
    if state == "feed":
        assert "Company blog" in shown


def test_slack_review_mentions_only_slack_ids(templates: Templates) -> None:
    teams_person = replace(
        PENDING, suggester_id="29:1abc", same_platform=False, suggester_name="Zoé"
    )
    shown = blocks_text(SlackRenderer(templates).review(teams_person).blocks)
    assert "<@" not in shown and "Zoé" in shown


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_reject_modal(templates: Templates, locale: str) -> None:
    view = SlackRenderer(templates).reject_modal(RejectForm(locale, 7, "Launch", 500))
    check_view(view)
    assert view["callback_id"] == slack_ids.REJECT_VIEW
    assert view["private_metadata"] == "7"
    assert view["blocks"][1]["block_id"] == slack_ids.REASON_BLOCK


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_post_modal_filled_in_from_a_suggestion(templates: Templates, locale: str) -> None:
    form = PostForm(
        locale,
        (),
        3,
        LIMITS,
        suggestion_id=7,
        initial_url=URL,
        initial_title="T",
        initial_summary="S",
    )
    view = SlackRenderer(templates).post_modal(form)
    check_view(view)
    assert view["private_metadata"] == "7"
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[slack_ids.URL_BLOCK]["initial_value"] == URL
    assert elements[slack_ids.TITLE_BLOCK]["initial_value"] == "T"
    assert elements[slack_ids.SUMMARY_BLOCK]["initial_value"] == "S"
    plain = SlackRenderer(templates).post_modal(PostForm(locale, (), 3, LIMITS))
    assert "private_metadata" not in plain


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", sorted(STATES))
def test_teams_review_card(templates: Templates, locale: str, state: str) -> None:
    view = replace(PENDING, locale=locale, **STATES[state])
    message = TeamsRenderer(templates).review(view)
    tree = check_card(message, allowed_links={URL})
    verbs = [s[teams_ids.ACTION_KEY] for s in submits(tree)]
    if view.pending:
        assert verbs == [teams_ids.REVIEW_APPROVE, teams_ids.REVIEW_EDIT, teams_ids.REVIEW_REJECT]
        assert all(s[teams_ids.SUGGESTION_ID] == 7 for s in submits(tree))
        assert [i["id"] for i in tree.inputs] == [teams_ids.REASON]
    else:
        assert verbs == [] and tree.inputs == []


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_post_card_filled_in_from_a_suggestion(templates: Templates, locale: str) -> None:
    form = PostForm(
        locale,
        (),
        3,
        LIMITS,
        suggestion_id=7,
        initial_url=URL,
        initial_title="T",
        initial_summary="S",
    )
    tree = check_card(TeamsRenderer(templates).post_card(form))
    values = {i["id"]: i.get("value") for i in tree.inputs}
    assert (values[teams_ids.URL], values[teams_ids.TITLE], values[teams_ids.SUMMARY]) == (
        URL,
        "T",
        "S",
    )
    (post,) = submits(tree, teams_ids.POST)
    assert post == {teams_ids.ACTION_KEY: teams_ids.POST, teams_ids.SUGGESTION_ID: 7}
