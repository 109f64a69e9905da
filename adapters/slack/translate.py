"""Pure translation of Slack payloads into domain values, at the boundary.

Raw payload dicts never travel past ``adapters/``. Every function here is pure and raises
``InvalidInput`` (never ``KeyError``) when a payload is not what Slack sends, so a malformed or
tampered payload becomes a polite message instead of a stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.content import RawPost
from bot.errors import InvalidInput
from bot.model import (
    Audience,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
    UserProfile,
)
from bot.preferences import RawPreferences
from bot.programme import SUPPORTED_LOCALES
from messages import slack_ids as ids

Payload = Mapping[str, Any]


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def to_user_from_command(body: Payload) -> PlatformUser:
    """The person who typed a slash command."""
    return _user(_str(body.get("team_id")), _str(body.get("user_id")))


def to_user_from_interaction(body: Payload) -> PlatformUser:
    """The person who clicked a button or submitted a modal."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    team_id = _str(team.get("id")) if isinstance(team, Mapping) else ""
    if isinstance(user, Mapping):
        return _user(team_id or _str(user.get("team_id")), _str(user.get("id")))
    return _user(team_id, "")


def _user(team_id: str, user_id: str) -> PlatformUser:
    if not team_id or not user_id:
        raise InvalidInput("unknown_user")
    return PlatformUser(Platform.SLACK, team_id, user_id)


def to_profile(user: Payload) -> UserProfile:
    """A ``users.info`` user object."""
    profile = user.get("profile") or {}
    name = (
        _str(profile.get("display_name"))
        or _str(profile.get("real_name"))
        or _str(user.get("real_name"))
        or _str(user.get("name"))
        or _str(user.get("id"))
    )
    return UserProfile(
        display_name=name,
        locale=_str(user.get("locale")) or "en-US",
        email=_str(profile.get("email")) or None,
        timezone=_str(user.get("tz")) or None,
        is_bot=bool(user.get("is_bot")) and user.get("id") != "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )


def to_delivery_id(value: object) -> int:
    """The delivery id carried by a suggestion button's value (``"42"`` or ``"42:linkedin"``)."""
    head = _str(value).split(":", 1)[0]
    if not head.isdigit() or len(head) > 18:
        raise InvalidInput("not_your_suggestion")
    return int(head)


def to_share_click(action: Payload) -> tuple[int, Network]:
    """A share button's delivery id and network."""
    delivery, _, network = _str(action.get("value")).partition(":")
    try:
        return to_delivery_id(delivery), Network(network)
    except ValueError as error:
        raise InvalidInput("not_your_suggestion") from error


def _state(body: Payload) -> Mapping[str, Any]:
    view = body.get("view") or {}
    state = view.get("state") or {} if isinstance(view, Mapping) else {}
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def _element(values: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    element = block.get(action_id) if isinstance(block, Mapping) else None
    return element if isinstance(element, Mapping) else {}


def _text(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    value = _element(values, block_id, action_id).get("value")
    return value if isinstance(value, str) else None


def _selected(values: Mapping[str, Any], block_id: str, action_id: str) -> list[str]:
    element = _element(values, block_id, action_id)
    options = element.get("selected_options") or []
    if element.get("selected_option"):
        options = [element["selected_option"]]
    return [
        _str(option.get("value"))
        for option in options
        if isinstance(option, Mapping) and option.get("value")
    ]


def _moment(values: Mapping[str, Any], block_id: str, action_id: str) -> datetime | None:
    """A datetimepicker's choice (unix seconds), as an aware UTC datetime."""
    seconds = _element(values, block_id, action_id).get("selected_date_time")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        return datetime.fromtimestamp(seconds, UTC)
    return None


def to_raw_post(body: Payload) -> RawPost:
    """The post modal's fields."""
    values = _state(body)
    text_blocks = [k for k in values if k.startswith(ids.TEXT_BLOCK_PREFIX)]
    texts = [
        _text(values, block_id, ids.TEXT_ACTION) or ""
        for block_id in sorted(
            text_blocks, key=lambda k: k.removeprefix(ids.TEXT_BLOCK_PREFIX).zfill(3)
        )
    ]
    targets = [
        ids.split_target(
            next(iter(_selected(values, ids.target_block_id(int(number)), ids.TARGET_ACTION)), None)
        )
        for number in (
            k.removeprefix(ids.TEXT_BLOCK_PREFIX)
            for k in sorted(
                text_blocks, key=lambda k: k.removeprefix(ids.TEXT_BLOCK_PREFIX).zfill(3)
            )
        )
        if number.isdigit()
    ]
    audience = _selected(values, ids.AUDIENCE_BLOCK, ids.AUDIENCE_ACTION)
    return RawPost(
        url=_text(values, ids.URL_BLOCK, ids.URL_ACTION),
        title=_text(values, ids.TITLE_BLOCK, ids.TITLE_ACTION),
        summary=_text(values, ids.SUMMARY_BLOCK, ids.SUMMARY_ACTION),
        topics=_selected(values, ids.TOPICS_BLOCK, ids.TOPICS_ACTION),
        texts=texts,
        hashtags=_text(values, ids.HASHTAGS_BLOCK, ids.HASHTAGS_ACTION),
        audience=Audience.EVERYONE
        if audience == [Audience.EVERYONE.value]
        else Audience.INTERESTED,
        publish_now=ids.PUBLISH_NOW in _selected(values, ids.PUBLISH_BLOCK, ids.PUBLISH_ACTION),
        publish_at=_moment(values, ids.PUBLISH_AT_BLOCK, ids.PUBLISH_AT_ACTION),
        expires_at=_moment(values, ids.EXPIRES_BLOCK, ids.EXPIRES_ACTION),
        important=ids.IMPORTANT_YES in _selected(values, ids.IMPORTANT_BLOCK, ids.IMPORTANT_ACTION),
        text_networks=[network for network, _ in targets],
        text_languages=[language for _, language in targets],
        translations=[
            (
                language,
                _text(values, *[ids.translation_block_id("title", language)] * 2),
                _text(values, *[ids.translation_block_id("summary", language)] * 2),
            )
            for language in SUPPORTED_LOCALES
            if ids.translation_block_id("title", language) in values
            or ids.translation_block_id("summary", language) in values
        ],
    )


def to_edited_text(body: Payload) -> tuple[int, str | None]:
    """The "Copy / edit text" modal: the suggestion (its ``private_metadata``) and the text.

    Raises:
        InvalidInput: the modal names no suggestion.
    """
    view = body.get("view") or {}
    metadata = view.get("private_metadata") if isinstance(view, Mapping) else None
    return to_delivery_id(metadata), _text(_state(body), ids.EDIT_TEXT_BLOCK, ids.EDIT_TEXT_INPUT)


def to_enrolment_choices(body: Payload) -> tuple[list[str], list[str], str | None]:
    """The join/preferences modal's topics, networks and accepted guidelines version."""
    values = _state(body)
    view = body.get("view") or {}
    version = _str(view.get("private_metadata")) if isinstance(view, Mapping) else ""
    accepted = ids.ACCEPT_YES in _selected(values, ids.ACCEPT_BLOCK, ids.ACCEPT_ACTION)
    return (
        _selected(values, ids.TOPICS_BLOCK, ids.TOPICS_ACTION),
        _selected(values, ids.NETWORKS_BLOCK, ids.NETWORKS_ACTION),
        version if accepted and version else None,
    )


def to_reaction_event(body: Payload) -> ReactionEvent | None:
    """A ``reaction_added`` / ``reaction_removed`` event on a message, else None."""
    event = body.get("event") or {}
    item = event.get("item") or {} if isinstance(event, Mapping) else {}
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    event_id = _str(body.get("event_id"))
    channel, ts = _str(item.get("channel")), _str(item.get("ts"))
    team_id = _str(body.get("team_id"))
    if not (event_id and channel and ts and team_id and event.get("user")):
        return None
    try:
        occurred = datetime.fromtimestamp(float(_str(event.get("event_ts")) or "0"), tz=UTC)
    except ValueError:
        occurred = datetime.now(UTC)
    return ReactionEvent(
        event_id=event_id,
        user=PlatformUser(Platform.SLACK, team_id, _str(event.get("user"))),
        reaction=_str(event.get("reaction"))[:100],
        message=MessageRef(channel, ts),
        added=event.get("type") == "reaction_added",
        occurred_at=occurred,
    )


def _first(values: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    chosen = _selected(values, block_id, action_id)
    return chosen[0] if chosen else None


def to_raw_preferences(body: Payload) -> RawPreferences:
    """The settings modal's fields, unchecked (``PreferencesService.validate`` checks)."""
    values = _state(body)
    quiet_start = _element(values, ids.QUIET_START_BLOCK, ids.QUIET_START_ACTION)
    quiet_end = _element(values, ids.QUIET_END_BLOCK, ids.QUIET_END_ACTION)
    return RawPreferences(
        topics=_selected(values, ids.TOPICS_BLOCK, ids.TOPICS_ACTION),
        networks=_selected(values, ids.NETWORKS_BLOCK, ids.NETWORKS_ACTION),
        language=_first(values, ids.LANGUAGE_BLOCK, ids.LANGUAGE_ACTION),
        delivery_mode=_first(values, ids.MODE_BLOCK, ids.MODE_ACTION),
        quiet_start=_str(quiet_start.get("selected_time")) or None,
        quiet_end=_str(quiet_end.get("selected_time")) or None,
        weekly_cap=_text(values, ids.CAP_BLOCK, ids.CAP_ACTION),
        mastodon_instance=_text(values, ids.INSTANCE_BLOCK, ids.INSTANCE_ACTION),
        team=_settings_team(values),
        hidden=ids.HIDE_VALUE in _selected(values, ids.HIDE_BLOCK, ids.HIDE_ACTION)
        if ids.HIDE_BLOCK in values
        else None,
        weekly_recap=ids.RECAP_VALUE in _selected(values, ids.RECAP_BLOCK, ids.RECAP_ACTION)
        if ids.RECAP_BLOCK in values
        else None,
    )


def _settings_team(values: Mapping[str, Any]) -> str | None:
    """The modal's team: None when it had no team field (a modal opened before there was
    one) or nothing was picked in the select; "" when the text input was emptied."""
    if ids.TEAM_BLOCK not in values:
        return None
    element = _element(values, ids.TEAM_BLOCK, ids.TEAM_ACTION)
    if "selected_option" in element:
        return _first(values, ids.TEAM_BLOCK, ids.TEAM_ACTION)
    return _str(element.get("value"))


def to_home_opened(body: Payload) -> PlatformUser | None:
    """The person who opened the App Home's *Home* tab (None for the Messages tab)."""
    event = body.get("event") or {}
    if not isinstance(event, Mapping) or event.get("tab") != "home":
        return None
    team_id = _str(body.get("team_id"))
    user_id = _str(event.get("user"))
    return PlatformUser(Platform.SLACK, team_id, user_id) if team_id and user_id else None


def is_home_action(body: Payload) -> bool:
    """Whether a button was clicked in the App Home tab (its view needs refreshing)."""
    view = body.get("view")
    return isinstance(view, Mapping) and view.get("type") == "home"


_CHANNEL_REF = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|([^>]*))?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


_ANY_MENTION = re.compile(r"<[@!]([^>|]*)(?:\|([^>]*))?>")


def to_command_text(body: Payload) -> str:
    """The text after ``/advocacy``. With ``should_escape: true`` (the manifest) Slack sends
    mentions as ``<@U123|name>`` and channels as ``<#C123|name>``: a ``#topic`` that happens
    to be a channel's name is turned back into ``#topic``, and outside ``curators`` (which
    needs the member id) a mention is turned back into the ``@name`` that was typed, so a
    suggested text reads as written."""
    text = _CHANNEL_REF.sub(lambda found: f"#{found.group(1)}", _str(body.get("text")))
    if text.lstrip().lower().startswith("curators"):
        return text
    return _ANY_MENTION.sub(_typed_mention, text)


def _typed_mention(found: re.Match[str]) -> str:
    label = (found.group(2) or found.group(1).split("^")[-1]).lstrip("@")
    return f"@{label}"


def to_mentioned_user(text: str, team_id: str) -> tuple[PlatformUser, str | None]:
    """The person a command names: ``<@U123|name>``, ``<@U123>`` or a bare ``U123``.

    Raises:
        InvalidInput: when the text names nobody (``person_missing``).
    """
    words = text.split()
    word = words[0] if len(words) == 1 else ""
    found = _USER_MENTION.match(word)
    if found:
        return _user(team_id, found.group(1)), (found.group(2) or None)
    if _USER_ID.match(word):
        return _user(team_id, word), None
    raise InvalidInput("person_missing", field="person")


_EMAIL = re.compile(r"^<?(?:mailto:)?([^\s<>|@]+@[^\s<>|@]+\.[^\s<>|@]+)(?:\|[^>]*)?>?$")


def to_email(text: str) -> str | None:
    """The email a command names, as typed (``bob@example.com``) or as Slack links it
    (``<mailto:bob@example.com|bob@example.com>``); None when it names no email."""
    words = text.split()
    found = _EMAIL.match(words[0]) if len(words) == 1 else None
    return found.group(1).lower() if found else None


def to_suggestion_id(value: object) -> int:
    """The suggestion a review button or form is about (its ``value`` / private metadata)."""
    text = _str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput("suggest_not_found")
    return int(text)


def to_private_suggestion_id(body: Payload) -> int | None:
    """The suggestion a submitted modal belongs to (the post modal opened by Edit), if any."""
    view = body.get("view") or {}
    metadata = _str(view.get("private_metadata")) if isinstance(view, Mapping) else ""
    return to_suggestion_id(metadata) if metadata else None


def to_reject_reason(body: Payload) -> str | None:
    """The reason typed in the reject modal."""
    return _text(_state(body), ids.REASON_BLOCK, ids.REASON_ACTION)


def to_prospect(body: Mapping[str, Any], action: Mapping[str, Any]) -> PlatformUser:
    """The person an Invite button names (its value: a user id of the clicker's workspace).

    Raises:
        InvalidInput: the value is not a Slack user id.
    """
    value = str(action.get("value") or "")
    if not re.fullmatch(r"[UW][A-Z0-9]{2,30}", value):
        raise InvalidInput("error", field="prospect")
    return PlatformUser(Platform.SLACK, to_user_from_interaction(body).workspace_id, value)
