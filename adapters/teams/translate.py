"""Pure translation of Teams activities (as Bot Framework JSON) into domain values.

Nothing here imports botbuilder: the handler serialises the incoming ``Activity`` once
(``activity.serialize()``, camelCase JSON as on the wire) and these functions read plain
mappings, so they are tested with the JSON Teams really sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.errors import InvalidInput
from bot.model import MessageRef, Platform, PlatformUser, ReactionEvent, UserProfile

Payload = Mapping[str, Any]

MAX_COMMAND_LENGTH = 4_000  # Teams allows ~28 KB; no command of ours needs more
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_PREFIX = re.compile(r"^/?advocacy\b\s*", re.IGNORECASE)
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"'}


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: object) -> Payload:
    return value if isinstance(value, Mapping) else {}


def tenant_of(activity: Payload) -> str:
    """The tenant an activity comes from (``channelData.tenant.id``, else the conversation's)."""
    tenant = _str(_mapping(_mapping(activity.get("channelData")).get("tenant")).get("id"))
    conversation = _mapping(activity.get("conversation"))
    # Teams writes "tenantId"; botbuilder's schema serialises the same field as "tenantID".
    return tenant or _str(conversation.get("tenantId")) or _str(conversation.get("tenantID"))


def to_user(activity: Payload) -> PlatformUser:
    """Who sent the activity: tenant and Teams user id (``29:...``, stable per bot).

    Raises:
        InvalidInput: when the activity names no sender or no tenant.
    """
    user_id = _str(_mapping(activity.get("from")).get("id"))
    tenant = tenant_of(activity)
    if not user_id or not tenant or len(user_id) > 255 or len(tenant) > 64:
        raise InvalidInput("unknown_user")
    return PlatformUser(Platform.TEAMS, tenant, user_id)


def to_locale(value: object, default: str = "en") -> str:
    """``fr-FR`` → ``fr``; anything unusable → ``default``."""
    text = _str(value).replace("_", "-")
    language = text.split("-", 1)[0].lower()
    return language if re.fullmatch(r"[a-z]{2,3}", language) else default


def to_profile(activity: Payload) -> UserProfile:
    """What an activity says about its sender (Teams gives the name and the client locale)."""
    sender = _mapping(activity.get("from"))
    return UserProfile(
        display_name=_str(sender.get("name"))[:200] or _str(sender.get("id")),
        locale=to_locale(activity.get("locale")),
    )


def to_command_text(activity: Payload) -> str:
    """The typed command: mentions of the bot, HTML and a leading ``advocacy`` removed.

    Raises:
        InvalidInput: when the text is longer than any command.
    """
    text = _str(activity.get("text"))
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput("command_too_long", field="text", limit=MAX_COMMAND_LENGTH)
    text = _TAG.sub(" ", _MENTION.sub(" ", text))
    for entity, character in _ENTITIES.items():
        text = text.replace(entity, character)
    return _PREFIX.sub("", " ".join(text.split()))


def to_scope(activity: Payload) -> str:
    """``personal``, ``groupChat`` or ``channel``: where the activity happened."""
    conversation = _mapping(activity.get("conversation"))
    kind = _str(conversation.get("conversationType"))
    if kind:
        return kind
    return "channel" if _mapping(activity.get("channelData")).get("channel") else "personal"


def to_channel_id(activity: Payload) -> str | None:
    """The Teams channel (``19:...@thread.tacv2``) of a channel activity, else None."""
    channel = _str(_mapping(_mapping(activity.get("channelData")).get("channel")).get("id"))
    return channel or None


def channel_key(channel_id: str) -> str:
    """The address-book key of a channel."""
    return f"channel:{channel_id}"


def to_message_ref(activity: Payload) -> MessageRef | None:
    """The bot message an activity answers (a card's Submit, a reaction): its conversation
    and activity id, as stored when it was sent."""
    conversation = _str(_mapping(activity.get("conversation")).get("id"))
    reply_to = _str(activity.get("replyToId"))
    if not conversation or not reply_to:
        return None
    return MessageRef(conversation.split(";", 1)[0], reply_to)


def _moment(value: object) -> datetime:
    text = _str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        moment = None
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_reaction_events(activity: Payload) -> list[ReactionEvent]:
    """The reactions a ``messageReaction`` activity adds and removes on a message."""
    message = to_message_ref(activity)
    activity_id = _str(activity.get("id"))
    if message is None or not activity_id:
        return []
    user = to_user(activity)
    occurred = _moment(activity.get("timestamp"))
    events: list[ReactionEvent] = []
    for field, added in (("reactionsAdded", True), ("reactionsRemoved", False)):
        reactions = activity.get(field)
        if not isinstance(reactions, list):
            continue
        for n, reaction in enumerate(reactions):
            kind = _str(_mapping(reaction).get("type"))[:100]
            if kind:
                events.append(
                    ReactionEvent(
                        event_id=f"teams:{activity_id}:{'+' if added else '-'}{n}:{kind}"[:255],
                        user=user,
                        reaction=kind,
                        message=message,
                        added=added,
                        occurred_at=occurred,
                    )
                )
    return events


_TEAMS_ID = re.compile(r"^(?:29|8):[A-Za-z0-9_.:@-]{1,250}$")


def to_mentioned_users(activity: Payload) -> list[tuple[PlatformUser, str | None]]:
    """The people @mentioned in a message (``mention`` entities), the bot itself left out:
    their Teams user id (``29:...``) in the sender's tenant, and the name Teams showed."""
    tenant = tenant_of(activity)
    bot = _str(_mapping(activity.get("recipient")).get("id"))
    entities = activity.get("entities")
    found: list[tuple[PlatformUser, str | None]] = []
    for entity in entities if isinstance(entities, list) else []:
        entity = _mapping(entity)
        mentioned = _mapping(entity.get("mentioned"))
        user_id = _str(mentioned.get("id"))
        if _str(entity.get("type")) != "mention" or not user_id or user_id == bot:
            continue
        if tenant and _TEAMS_ID.match(user_id):
            name = _str(mentioned.get("name"))[:200] or None
            found.append((PlatformUser(Platform.TEAMS, tenant, user_id), name))
    return found


def to_named_user(text: str, activity: Payload) -> tuple[PlatformUser, str | None]:
    """The person an admin command names: the first @mention, else a typed Teams user id
    (``29:...``) in the sender's tenant.

    Raises:
        InvalidInput: when the command names nobody (``person_missing``).
    """
    mentioned = to_mentioned_users(activity)
    if mentioned:
        return mentioned[0]
    words = text.split()
    tenant = tenant_of(activity)
    if len(words) == 1 and _TEAMS_ID.match(words[0]) and tenant:
        return PlatformUser(Platform.TEAMS, tenant, words[0]), None
    raise InvalidInput("person_missing", field="person")


_EMAIL = re.compile(r"^[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+$")


def to_email(text: str) -> str | None:
    """The email an admin command names (``bob@example.com``), or None."""
    words = text.split()
    return words[0].lower() if len(words) == 1 and _EMAIL.match(words[0]) else None
