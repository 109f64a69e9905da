"""Identifiers shared by the Slack templates and the Slack listeners.

The templates write these ids into blocks; ``adapters/slack`` matches actions and reads view
state with the same constants, so a rename happens in one place.

Suggestion message (buttons):

* share button: ``action_id = "share:<network>"``, ``value = "<delivery_id>:<network>"``
* "I shared it": ``action_id = CONFIRM_ACTION``, ``value = "<delivery_id>"``
* "Skip": ``action_id = SKIP_ACTION``, ``value = "<delivery_id>"``

Guidelines message (button, only when the person may accept):

* "I accept": ``action_id = ACCEPT_GUIDELINES_ACTION``, ``value = "<guidelines version>"``
  (the version the message showed: compare it with the current one before recording it)

Modals (``callback_id``) and their inputs (``block_id`` / ``action_id``):

* ``JOIN_VIEW`` / ``PREFERENCES_VIEW``: ``accept`` (join only; one option ``ACCEPT_YES``),
  ``topics`` (checkboxes, or a multi-select above ``MAX_CHECKBOXES`` topics), ``networks``.
  The join modal's ``private_metadata`` is the guidelines version.
* ``POST_VIEW``: ``url``, ``title``, ``summary``, ``topics``, ``text_1`` .. ``text_N``
  (action ``text``), ``hashtags``, ``audience`` (``interested`` / ``everyone``),
  ``publish`` (one option ``PUBLISH_NOW``), then three optional inputs:
  ``publish_at`` and ``expires_at`` (``datetimepicker`` elements: their view state is
  ``{"type": "datetimepicker", "selected_date_time": <unix seconds>}``, with
  ``selected_date_time`` missing or ``null`` when left empty) and ``important`` (checkboxes,
  one option ``IMPORTANT_YES``; view state ``selected_options``).
  Under each text ``text_N``, the optional select ``target_N`` (action ``target``) says whom
  the text is for: value ``"<network>:<language>"``, either part empty for any
  (``"x:fr"``, ``":fr"``, ``"x:"``, ``":"``).
* ``EDIT_TEXT_VIEW`` ("Copy / edit text" of a suggestion): ``private_metadata`` is the
  delivery id; one input ``edit_text`` (action ``edit_text``, plain_text_input).

Suggestion message: the "Copy / edit text" button: ``action_id = EDIT_TEXT_ACTION``,
``value = "<delivery_id>"``; it opens ``EDIT_TEXT_VIEW``.
"""

from __future__ import annotations

import re
from typing import Final

# --- suggestion message -----------------------------------------------------------------
SHARE_ACTION_PREFIX: Final = "share:"
SHARE_ACTION_PATTERN: Final = re.compile(r"^share:[a-z]+$")
CONFIRM_ACTION: Final = "confirm_share"
SKIP_ACTION: Final = "skip"

# --- guidelines message -------------------------------------------------------------------
ACCEPT_GUIDELINES_ACTION: Final = "accept_guidelines"  # value: the guidelines version shown

# --- modals: callback ids -----------------------------------------------------------------
JOIN_VIEW: Final = "join"
PREFERENCES_VIEW: Final = "preferences"
POST_VIEW: Final = "post"

# --- join / preferences inputs ------------------------------------------------------------
ACCEPT_BLOCK: Final = "accept"
ACCEPT_ACTION: Final = "accept"
ACCEPT_YES: Final = "yes"
TOPICS_BLOCK: Final = "topics"
TOPICS_ACTION: Final = "topics"
NETWORKS_BLOCK: Final = "networks"
NETWORKS_ACTION: Final = "networks"
MAX_CHECKBOXES: Final = 10  # Slack's limit of options in a checkboxes element

# --- post inputs --------------------------------------------------------------------------
URL_BLOCK: Final = "url"
URL_ACTION: Final = "url"
TITLE_BLOCK: Final = "title"
TITLE_ACTION: Final = "title"
SUMMARY_BLOCK: Final = "summary"
SUMMARY_ACTION: Final = "summary"
TEXT_BLOCK_PREFIX: Final = "text_"  # text_1 .. text_N
TEXT_ACTION: Final = "text"
HASHTAGS_BLOCK: Final = "hashtags"
HASHTAGS_ACTION: Final = "hashtags"
AUDIENCE_BLOCK: Final = "audience"
AUDIENCE_ACTION: Final = "audience"
PUBLISH_BLOCK: Final = "publish"
PUBLISH_ACTION: Final = "publish"
PUBLISH_NOW: Final = "now"
PUBLISH_AT_BLOCK: Final = "publish_at"  # datetimepicker: when to send (empty: now)
PUBLISH_AT_ACTION: Final = "publish_at"
EXPIRES_BLOCK: Final = "expires_at"  # datetimepicker: when the content stops being offered
EXPIRES_ACTION: Final = "expires_at"
IMPORTANT_BLOCK: Final = "important"  # checkboxes: bypass digests and the weekly cap
IMPORTANT_ACTION: Final = "important"
IMPORTANT_YES: Final = "yes"


def share_action_id(network: str) -> str:
    """The ``action_id`` of a network's share button."""
    return f"{SHARE_ACTION_PREFIX}{network}"


def share_value(delivery_id: int, network: str) -> str:
    """The ``value`` of a network's share button."""
    return f"{delivery_id}:{network}"


def text_block_id(index: int) -> str:
    """The ``block_id`` of the ``index``-th (1-based) suggested text input."""
    return f"{TEXT_BLOCK_PREFIX}{index}"


# --- share texts (variants per network and language; the edit form) ------------------------
TARGET_BLOCK_PREFIX: Final = "target_"  # target_1 .. target_N, under text_1 .. text_N
TARGET_ACTION: Final = "target"
TARGET_SEPARATOR: Final = ":"
EDIT_TEXT_ACTION: Final = "edit_text"  # button on a suggestion; value: the delivery id
EDIT_TEXT_VIEW: Final = "edit_text"  # modal; private_metadata: the delivery id
EDIT_TEXT_BLOCK: Final = "edit_text"
EDIT_TEXT_INPUT: Final = "edit_text"


def target_block_id(index: int) -> str:
    """The ``block_id`` of the select saying whom the ``index``-th text is for."""
    return f"{TARGET_BLOCK_PREFIX}{index}"


def target_value(network: str | None, language: str | None) -> str:
    """The option value for a text's network and language (None: any)."""
    return f"{network or ''}{TARGET_SEPARATOR}{language or ''}"


def split_target(value: object) -> tuple[str | None, str | None]:
    """A target option's network and language (None: any); anything else is "any"."""
    if not isinstance(value, str) or TARGET_SEPARATOR not in value:
        return None, None
    network, _, language = value.partition(TARGET_SEPARATOR)
    return network.strip() or None, language.strip() or None


def translation_block_id(kind: str, language: str) -> str:
    """The id of the post form's ``title`` or ``summary`` input in another ``language``
    (``title_fr``); the same string is its action id."""
    return f"{kind}_{language}"


# --- settings modal (``SETTINGS_VIEW``): every preference ------------------------------------
# ``topics`` and ``networks`` as in the join modal, then ``language`` (static select of
# locales), ``delivery_mode`` (radio buttons: immediate / daily / weekly), ``quiet_start``
# and ``quiet_end`` (optional timepickers, view state ``selected_time`` "HH:MM"),
# ``weekly_cap`` (optional number input, view state ``value``) and ``mastodon_instance``
# (optional plain text input).
SETTINGS_VIEW: Final = "settings"
LANGUAGE_BLOCK: Final = "language"
LANGUAGE_ACTION: Final = "language"
MODE_BLOCK: Final = "delivery_mode"
MODE_ACTION: Final = "delivery_mode"
QUIET_START_BLOCK: Final = "quiet_start"
QUIET_START_ACTION: Final = "quiet_start"
QUIET_END_BLOCK: Final = "quiet_end"
QUIET_END_ACTION: Final = "quiet_end"
CAP_BLOCK: Final = "weekly_cap"
CAP_ACTION: Final = "weekly_cap"
INSTANCE_BLOCK: Final = "mastodon_instance"
INSTANCE_ACTION: Final = "mastodon_instance"
# Leaderboards (issue 6), when boards are wired: ``team`` (an optional static select of the
# departments plus ``TEAM_NONE``, or an optional plain text input when no departments are
# configured) and ``hide_from_boards`` (optional checkboxes, one option ``HIDE_VALUE``).
TEAM_BLOCK: Final = "team"
TEAM_ACTION: Final = "team"
TEAM_NONE: Final = "none"  # the select's "no team" option
HIDE_BLOCK: Final = "hide_from_boards"
HIDE_ACTION: Final = "hide_from_boards"
HIDE_VALUE: Final = "hidden"
# The personal weekly recap: ``weekly_recap`` (optional checkboxes, one option RECAP_VALUE).
RECAP_BLOCK: Final = "weekly_recap"
RECAP_ACTION: Final = "weekly_recap"
RECAP_VALUE: Final = "on"

# --- App Home (and the guidelines message's Join button) -------------------------------------
HOME_JOIN_ACTION: Final = "home_join"  # opens the join modal
HOME_SETTINGS_ACTION: Final = "home_settings"  # opens the settings modal
HOME_PAUSE_ACTION: Final = "home_pause"  # pauses until resumed
HOME_RESUME_ACTION: Final = "home_resume"
HOME_LEAVE_ACTION: Final = "home_leave"  # with a confirmation dialog
HOME_GUIDELINES_ACTION: Final = "home_guidelines"  # DMs the guidelines
# --- review card (curators' review channel; value: the suggestion id) -----------------------
REVIEW_APPROVE_ACTION: Final = "review_approve"
REVIEW_EDIT_ACTION: Final = "review_edit"  # opens POST_VIEW filled in; private_metadata: id
REVIEW_REJECT_ACTION: Final = "review_reject"  # opens REJECT_VIEW
REJECT_VIEW: Final = "reject_suggestion"  # private_metadata: the suggestion id
REASON_BLOCK: Final = "reason"
REASON_ACTION: Final = "reason"
# --- forget-me confirmation (ephemeral message) --------------------------------------------
FORGET_ME_CONFIRM_ACTION: Final = "forget_me_confirm"  # danger button: erase now
FORGET_ME_CANCEL_ACTION: Final = "forget_me_cancel"
# --- the personal weekly recap DM: its "Stop these recaps" button -----------------------------
RECAP_OFF_ACTION: Final = "recap_off"
# --- prospects (curators) --------------------------------------------------------------------
PROSPECT_INVITE_ACTION: Final = "prospect_invite"  # value: the prospect's Slack user id
