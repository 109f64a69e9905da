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


# --- forget-me confirmation (ephemeral message) --------------------------------------------
FORGET_ME_CONFIRM_ACTION: Final = "forget_me_confirm"  # danger button: erase now
FORGET_ME_CANCEL_ACTION: Final = "forget_me_cancel"
