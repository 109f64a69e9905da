"""Identifiers shared by the Teams card templates and the Teams adapter.

The templates write these ids into Adaptive Cards; ``adapters/teams`` reads the submitted
values with the same constants, so a rename happens in one place.

Every ``Action.Submit`` carries ``data = {ACTION_KEY: <verb>, ...}``. Teams delivers it as a
``message`` activity whose ``value`` is that data merged with the value of every input of the
card (keyed by the input's ``id``; data keys and input ids never collide). ``Action.OpenUrl``
sends nothing to the bot.

What each Submit sends (``value`` of the activity):

* ``CONFIRM`` ("I shared it") and ``SKIP`` (suggestion card, and each digest item):
  ``{"advocacy": "confirm_share" | "skip", "delivery_id": <int>}``.
* ``OPEN_JOIN`` (welcome card, help card of a newcomer): ``{"advocacy": "open_join"}``; the
  bot answers with the join card.
* ``OPEN_PREFERENCES`` (help card of an ambassador): ``{"advocacy": "open_preferences"}``;
  the bot answers with the preferences card.
* ``OPEN_POST`` (help card of a curator): ``{"advocacy": "open_post"}``; the bot answers with
  the post card.
* ``JOIN`` (join card): ``{"advocacy": "join", "guidelines_version": <str>, "accept": "yes" |
  "no", "topics": "ai,cloud", "networks": "linkedin,x"}``.
* ``ACCEPT_GUIDELINES`` (guidelines card, when the person may accept):
  ``{"advocacy": "accept_guidelines", "guidelines_version": <str>}``, the version the card
  showed (compare it with the current one before recording it).
* ``PREFERENCES`` (preferences card): ``{"advocacy": "preferences", "topics": ...,
  "networks": ...}``.
* ``POST`` (post card): ``{"advocacy": "post", "url", "title", "summary", "topics",
  "text_1" .. "text_N", "hashtags": <str>, "audience": "interested" | "everyone",
  "publish": "now" | "no", "publish_at_date": "YYYY-MM-DD", "publish_at_time": "HH:MM",
  "expires_at_date", "expires_at_time", "important": "yes" | "no"}``.

* ``POST`` also sends ``target_1`` .. ``target_N`` (a compact ``Input.ChoiceSet`` under each
  text): whom the text is for, ``"<network>:<language>"`` with either part empty for any
  (:func:`split_target`).
* ``EDIT_TEXT`` ("Use this text" in the suggestion card's "Copy / edit text" ShowCard):
  ``{"advocacy": "edit_text", "delivery_id": <int>, "edit_text_<delivery_id>": <str>}``
  (the input's id names the suggestion, so the items of a digest never mix).

How values arrive:

* A multi-select ``Input.ChoiceSet`` (``topics``, ``networks``) sends one string, the chosen
  values joined with ``CHOICE_SEPARATOR`` (``"ai,cloud"``); nothing chosen arrives as ``""``
  or without the key. Values therefore never contain a comma. :func:`split_choices` reads it.
* An ``Input.Toggle`` sends its ``valueOn`` or ``valueOff`` string (``ACCEPT_YES`` /
  ``PUBLISH_NOW`` / ``IMPORTANT_YES``, else ``TOGGLE_OFF``).
* ``Input.Text`` and an ``expanded`` single ``Input.ChoiceSet`` send a string; an empty
  optional input arrives as ``""`` or without the key.
* ``Input.Date`` / ``Input.Time`` send ``YYYY-MM-DD`` / ``HH:MM`` with no time zone: the
  person's own clock. Read the zone from the activity (``local_timezone``, an IANA name that
  Teams sets on messages) to turn them into an instant. A time without a date means nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# --- the key every Action.Submit carries, and its verbs -------------------------------------
ACTION_KEY: Final = "advocacy"
CONFIRM: Final = "confirm_share"
SKIP: Final = "skip"
JOIN: Final = "join"
OPEN_JOIN: Final = "open_join"
PREFERENCES: Final = "preferences"
OPEN_PREFERENCES: Final = "open_preferences"
POST: Final = "post"
OPEN_POST: Final = "open_post"
ACCEPT_GUIDELINES: Final = "accept_guidelines"
FORGET_ME_CONFIRM: Final = "forget_me_confirm"  # forget-me card: {"advocacy": <verb>} only
FORGET_ME_CANCEL: Final = "forget_me_cancel"

# --- other data keys ------------------------------------------------------------------------
DELIVERY_ID: Final = "delivery_id"  # int: the suggestion a CONFIRM / SKIP is about
GUIDELINES_VERSION: Final = "guidelines_version"  # str: the version the card showed

# --- join / preferences inputs --------------------------------------------------------------
ACCEPT: Final = "accept"  # Input.Toggle: ACCEPT_YES or TOGGLE_OFF (join card only)
ACCEPT_YES: Final = "yes"
TOGGLE_OFF: Final = "no"  # every toggle's valueOff
TOPICS: Final = "topics"  # multi-select Input.ChoiceSet (join, preferences and post cards)
NETWORKS: Final = "networks"  # multi-select Input.ChoiceSet
CHOICE_SEPARATOR: Final = ","
MAX_EXPANDED_CHOICES: Final = 10  # above this, a compact (drop-down) list instead of boxes

# --- post inputs ----------------------------------------------------------------------------
URL: Final = "url"
TITLE: Final = "title"
SUMMARY: Final = "summary"
TEXT_PREFIX: Final = "text_"  # text_1 .. text_N
HASHTAGS: Final = "hashtags"
AUDIENCE: Final = "audience"  # "interested" (the default) or "everyone"
PUBLISH: Final = "publish"  # Input.Toggle, on by default: PUBLISH_NOW, else TOGGLE_OFF (draft)
PUBLISH_NOW: Final = "now"
PUBLISH_AT_DATE: Final = "publish_at_date"  # Input.Date: when to send (empty: now)
PUBLISH_AT_TIME: Final = "publish_at_time"  # Input.Time
EXPIRES_DATE: Final = "expires_at_date"  # Input.Date: when the content stops being offered
EXPIRES_TIME: Final = "expires_at_time"  # Input.Time
IMPORTANT: Final = "important"  # Input.Toggle: IMPORTANT_YES or TOGGLE_OFF
IMPORTANT_YES: Final = "yes"
TARGET_PREFIX: Final = "target_"  # target_1 .. target_N: whom text_N is for

# --- copy / edit text ------------------------------------------------------------------------
EDIT_TEXT: Final = "edit_text"  # verb of "Use this text"
EDIT_TEXT_PREFIX: Final = "edit_text_"  # + delivery id: the Input.Text of the ShowCard
TARGET_SEPARATOR: Final = ":"


def submit_data(verb: str, fields: Mapping[str, object] | None = None) -> dict[str, object]:
    """The ``data`` of an ``Action.Submit``: the verb under ``ACTION_KEY``, then ``fields``."""
    return {ACTION_KEY: verb, **(fields or {})}


def text_input_id(index: int) -> str:
    """The ``id`` of the ``index``-th (1-based) suggested-text input of the post card."""
    return f"{TEXT_PREFIX}{index}"


def split_choices(value: object) -> list[str]:
    """The values of a multi-select ``Input.ChoiceSet`` as submitted (``"ai,cloud"``), in
    order, without blanks; anything but a string (a missing input) is no choice."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(CHOICE_SEPARATOR) if part.strip()]


def target_input_id(index: int) -> str:
    """The ``id`` of the choice saying whom the ``index``-th text of the post card is for."""
    return f"{TARGET_PREFIX}{index}"


def target_value(network: str | None, language: str | None) -> str:
    """The choice value for a text's network and language (None: any)."""
    return f"{network or ''}{TARGET_SEPARATOR}{language or ''}"


def split_target(value: object) -> tuple[str | None, str | None]:
    """A target choice's network and language (None: any); anything else is "any"."""
    if not isinstance(value, str) or TARGET_SEPARATOR not in value:
        return None, None
    network, _, language = value.partition(TARGET_SEPARATOR)
    return network.strip() or None, language.strip() or None


def edit_text_input_id(delivery_id: int) -> str:
    """The ``id`` of a suggestion's editable text (unique per suggestion in a digest)."""
    return f"{EDIT_TEXT_PREFIX}{delivery_id}"


def translation_input_id(kind: str, language: str) -> str:
    """The id of the post form's ``title`` or ``summary`` input in another ``language``
    (``title_fr``); the same string is its action id."""
    return f"{kind}_{language}"


# --- settings card (``settings``; issue 5) ---------------------------------------------------
# ``OPEN_SETTINGS`` (help, profile...): ``{"advocacy": "open_settings"}``; the bot answers with
# the settings card. ``SETTINGS`` (settings card): ``{"advocacy": "settings", "topics",
# "networks", "language": "en" | "fr", "delivery_mode": "immediate" | "daily" | "weekly",
# "quiet_start": "HH:MM" | "", "quiet_end": "HH:MM" | "", "weekly_cap": "5" | "",
# "mastodon_instance": "mastodon.social" | ""}``. A refused value gets the card back, as
# submitted, with the error on top.
SETTINGS: Final = "settings"
OPEN_SETTINGS: Final = "open_settings"
LANGUAGE: Final = "language"  # single expanded Input.ChoiceSet
MODE: Final = "delivery_mode"  # single expanded Input.ChoiceSet
QUIET_START: Final = "quiet_start"  # Input.Time
QUIET_END: Final = "quiet_end"  # Input.Time
CAP: Final = "weekly_cap"  # Input.Text (a number, or empty)
INSTANCE: Final = "mastodon_instance"  # Input.Text
# Leaderboards (issue 6), when boards are wired: ``team`` (a compact single Input.ChoiceSet of
# the departments plus ``TEAM_NONE``, or an Input.Text when none are configured) and
# ``hidden_from_boards`` (Input.Toggle: HIDE_YES or TOGGLE_OFF). The submit's data carries
# ``BOARD_FIELDS: "1"``, so an emptied team input (sent without its key) still clears the team.
TEAM: Final = "team"
TEAM_NONE: Final = "none"
HIDE: Final = "hidden_from_boards"
HIDE_YES: Final = "yes"
BOARD_FIELDS: Final = "board_fields"
# The personal weekly recap: ``weekly_recap`` (Input.Toggle: RECAP_YES or TOGGLE_OFF); a card
# from before the field existed has no such key, and leaves the choice as it is.
RECAP: Final = "weekly_recap"
RECAP_YES: Final = "yes"
# The recap DM's "Stop these recaps" button: ``{"advocacy": "recap_off"}``.
RECAP_OFF: Final = "recap_off"
# --- review card (curators' review channel) ---------------------------------------------------
# ``{"advocacy": "review_approve" | "review_edit" | "review_reject", "suggestion_id": <int>}``;
# the Reject submit sits in an ``Action.ShowCard`` with the ``reason`` Input.Text. The post
# card opened by Edit submits ``POST`` with ``suggestion_id`` too: that approves it.
REVIEW_APPROVE: Final = "review_approve"
REVIEW_EDIT: Final = "review_edit"
REVIEW_REJECT: Final = "review_reject"
SUGGESTION_ID: Final = "suggestion_id"
REASON: Final = "reason"
PROSPECT_INVITE: Final = "prospect_invite"  # prospects card: {"advocacy": ..., "prospect": id}
PROSPECT: Final = "prospect"
