"""Pure translation of Adaptive Card ``Action.Submit`` values into domain values.

``messages/teams_ids.py`` documents what each card sends; these functions read it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content import RawPost
from bot.errors import InvalidInput
from bot.model import Audience, Platform, PlatformUser
from bot.preferences import RawPreferences
from bot.programme import SUPPORTED_LOCALES
from messages import teams_ids as ids

Value = Mapping[str, Any]

MAX_FIELD = 4_000  # longer than any field the cards offer (they cap lengths themselves)


def _str(value: Value, key: str) -> str | None:
    found = value.get(key)
    if not isinstance(found, str):
        return None
    text = found.strip()
    if len(text) > MAX_FIELD:
        raise InvalidInput("text_too_long", field=key, length=len(text), limit=MAX_FIELD)
    return text or None


def to_verb(value: Value) -> str | None:
    """The Submit's verb (``confirm_share``, ``join``...), or None if it is not ours."""
    verb = value.get(ids.ACTION_KEY)
    return verb if isinstance(verb, str) and verb else None


def to_delivery_id(value: Value) -> int:
    """The suggestion a confirm / skip is about.

    Raises:
        InvalidInput: when it is missing or not a positive integer.
    """
    raw = value.get(ids.DELIVERY_ID)
    if isinstance(raw, bool):
        raise InvalidInput("not_your_suggestion")
    try:
        delivery_id = int(raw) if isinstance(raw, int | str) else 0
    except ValueError:
        delivery_id = 0
    if delivery_id <= 0 or delivery_id >= 2**63:
        raise InvalidInput("not_your_suggestion")
    return delivery_id


def to_enrolment_choices(value: Value) -> tuple[list[str], list[str], str | None]:
    """Topics, networks and the accepted guidelines version (None unless ticked)."""
    accepted = value.get(ids.ACCEPT) == ids.ACCEPT_YES
    version = _str(value, ids.GUIDELINES_VERSION)
    return (
        ids.split_choices(value.get(ids.TOPICS)),
        ids.split_choices(value.get(ids.NETWORKS)),
        version if accepted and version else None,
    )


def _zone(name: object, default: ZoneInfo) -> ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return default
    return default


def _moment(value: Value, date_key: str, time_key: str, zone: ZoneInfo) -> datetime | None:
    day, clock = _str(value, date_key), _str(value, time_key)
    if day is None:
        return None  # a time without a date means nothing
    try:
        return datetime.fromisoformat(f"{day}T{clock or '09:00'}").replace(tzinfo=zone)
    except ValueError as error:
        raise InvalidInput("bad_datetime", field=date_key, value=f"{day} {clock or ''}") from error


def to_raw_post(value: Value, default_zone: ZoneInfo, client_zone: object = None) -> RawPost:
    """The post card's fields; dates are read in the person's own time zone when Teams says
    it (``localTimezone``), else in the programme's."""
    zone = _zone(client_zone, default_zone)
    texts = sorted(
        (key for key in value if isinstance(key, str) and key.startswith(ids.TEXT_PREFIX)),
        key=lambda key: key.removeprefix(ids.TEXT_PREFIX).zfill(3),
    )
    targets = [
        ids.split_target(value.get(ids.target_input_id(int(number))))
        for number in (key.removeprefix(ids.TEXT_PREFIX) for key in texts)
        if number.isdigit()
    ]
    return RawPost(
        url=_str(value, ids.URL),
        title=_str(value, ids.TITLE),
        summary=_str(value, ids.SUMMARY),
        topics=ids.split_choices(value.get(ids.TOPICS)),
        texts=[_str(value, key) or "" for key in texts],
        hashtags=_str(value, ids.HASHTAGS),
        audience=Audience.EVERYONE
        if value.get(ids.AUDIENCE) == Audience.EVERYONE.value
        else Audience.INTERESTED,
        publish_now=value.get(ids.PUBLISH, ids.PUBLISH_NOW) == ids.PUBLISH_NOW,
        publish_at=_moment(value, ids.PUBLISH_AT_DATE, ids.PUBLISH_AT_TIME, zone),
        expires_at=_moment(value, ids.EXPIRES_DATE, ids.EXPIRES_TIME, zone),
        important=value.get(ids.IMPORTANT) == ids.IMPORTANT_YES,
        text_networks=[network for network, _ in targets],
        text_languages=[language for _, language in targets],
        translations=[
            (
                language,
                _str(value, ids.translation_input_id("title", language)),
                _str(value, ids.translation_input_id("summary", language)),
            )
            for language in SUPPORTED_LOCALES
        ],
    )


def to_edited_text(value: Value) -> tuple[int, str | None]:
    """The suggestion a "Use this text" is about, and the text the person kept.

    Raises:
        InvalidInput: no suggestion named, or a text over :data:`MAX_FIELD`.
    """
    delivery_id = to_delivery_id(value)
    return delivery_id, _str(value, ids.edit_text_input_id(delivery_id))


def to_raw_preferences(value: Value) -> RawPreferences:
    """The settings card's fields, unchecked (``PreferencesService.validate`` checks)."""
    return RawPreferences(
        topics=ids.split_choices(value.get(ids.TOPICS)),
        networks=ids.split_choices(value.get(ids.NETWORKS)),
        language=_str(value, ids.LANGUAGE),
        delivery_mode=_str(value, ids.MODE),
        quiet_start=_str(value, ids.QUIET_START),
        quiet_end=_str(value, ids.QUIET_END),
        weekly_cap=_str(value, ids.CAP),
        mastodon_instance=_str(value, ids.INSTANCE),
        # Cards sent before the team and hide fields existed carry no BOARD_FIELDS.
        team=(_str(value, ids.TEAM) or "") if value.get(ids.BOARD_FIELDS) else None,
        hidden=value.get(ids.HIDE) == ids.HIDE_YES if value.get(ids.BOARD_FIELDS) else None,
        # A toggle always submits its value; a card from before the field has no such key.
        weekly_recap=value.get(ids.RECAP) == ids.RECAP_YES if ids.RECAP in value else None,
    )


def to_suggestion_id(value: Value) -> int:
    """The suggestion a review card's submit (or the post card opened by Edit) is about.

    Raises:
        InvalidInput: when it is missing or not a positive integer.
    """
    raw = value.get(ids.SUGGESTION_ID)
    if isinstance(raw, bool):
        raise InvalidInput("suggest_not_found")
    try:
        suggestion_id = int(raw) if isinstance(raw, int | str) else 0
    except ValueError:
        suggestion_id = 0
    if suggestion_id <= 0 or suggestion_id >= 2**63:
        raise InvalidInput("suggest_not_found")
    return suggestion_id


def to_reason(value: Value) -> str | None:
    """The rejection reason typed on the review card."""
    return _str(value, ids.REASON)


def to_prospect(value: Value, curator: PlatformUser) -> PlatformUser:
    """The person an Invite Submit names, in the curator's tenant.

    Raises:
        InvalidInput: no user id in the Submit.
    """
    person = _str(value, ids.PROSPECT)
    if not person or len(person) > 255:
        raise InvalidInput("error", field="prospect")
    return PlatformUser(Platform.TEAMS, curator.workspace_id, person)
