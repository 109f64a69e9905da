"""The Teams side of ``ChatGateway``: Adaptive Cards sent proactively through botbuilder.

Every send uses the ConversationReference stored in the address book (captured on install or
on the person's first message), so it works after a restart and from any replica. Retries
belong to the sender: Bot Framework answers are mapped onto ``RateLimited`` (429, with its
``Retry-After``) and ``DeliveryFailed`` (412, 502, 504, timeouts: transient; 403
``MessageWritesBlocked``: the person blocked or uninstalled the app, permanent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from botbuilder.core import CardFactory, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationReference,
    ErrorResponseException,
    ResourceResponse,
)
from msrest.exceptions import ClientRequestError

from adapters.teams.translate import channel_key
from bot.errors import DeliveryFailed, RateLimited
from bot.model import ChatAddress, MessageRef, Platform, PlatformUser
from bot.ports import AddressBook, Clock
from bot.views import (
    DigestView,
    GuidelinesView,
    Notice,
    RecapView,
    ReminderView,
    ReviewCardView,
    SuggestionView,
    WeeklyDigestView,
)
from messages.teams import TeamsMessage, TeamsRenderer

logger = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({408, 412, 429, 500, 502, 503, 504})
BLOCKED_CODES = frozenset({"MessageWritesBlocked", "ConversationBlockedByUser"})
DEFAULT_RETRY_AFTER = 1.0


def conversation_key(conversation_id: str) -> str:
    """The address-book key of a conversation (to update messages sent in it)."""
    return f"conversation:{conversation_id}"


def reference_payload(reference: ConversationReference) -> str:
    """A ConversationReference as stored (its wire JSON), without the id of the activity it
    was taken from: a proactive message is a new message, not a reply to that one."""
    data = reference.serialize()
    data.pop("activityId", None)
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def reference_of(address: ChatAddress) -> ConversationReference:
    """The stored ConversationReference back."""
    return ConversationReference().deserialize(json.loads(address.payload))


def to_activity(message: TeamsMessage) -> Activity:
    """A message activity: the card as an attachment, its text as the notification summary."""
    if message.card is None:
        return Activity(type=ActivityTypes.message, text=message.text)
    return Activity(
        type=ActivityTypes.message,
        summary=message.text[:200],
        attachments=[CardFactory.adaptive_card(message.card)],
    )


class TeamsGateway:
    """Sends suggestions, digests, reminders and leaderboards to Teams."""

    def __init__(
        self,
        *,
        adapter: CloudAdapterBase,
        app_id: str,
        renderer: TeamsRenderer,
        addresses: AddressBook,
        clock: Clock,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._renderer = renderer
        self._addresses = addresses
        self._clock = clock
        self._clients: dict[str, Any] = {}

    # ---- ChatGateway ------------------------------------------------------------------

    async def send_suggestion(self, user: PlatformUser, view: SuggestionView) -> MessageRef:
        return await self._to_person(user, self._renderer.suggestion(view))

    async def update_suggestion(self, message: MessageRef, view: SuggestionView) -> None:
        await self._update(message, self._renderer.suggestion(view))

    async def send_digest(self, user: PlatformUser, view: DigestView) -> MessageRef:
        return await self._to_person(user, self._digest(view))

    async def update_digest(self, message: MessageRef, view: DigestView) -> None:
        await self._update(message, self._digest(view))

    def _digest(self, view: DigestView) -> TeamsMessage:
        try:
            return self._renderer.digest(view)
        except ValueError as error:
            # Still over Teams' safe card size after the renderer shortened every text:
            # refuse it once (a permanent failure, logged) rather than have Teams answer 413.
            logger.warning("a digest of %d items does not fit in one card", len(view.items))
            raise DeliveryFailed("MessageSizeTooBig", permanent=True) from error

    async def send_reminder(self, message: MessageRef, view: ReminderView) -> None:
        # A personal chat has no threads: the reminder is a new message in the same chat.
        reference = await self._reference(conversation_key(message.channel_id))
        await self._send(reference, to_activity(self._renderer.reminder(view)))

    async def send_guidelines(self, user: PlatformUser, view: GuidelinesView) -> MessageRef:
        return await self._to_person(user, self._renderer.guidelines(view))

    async def send_recap(self, user: PlatformUser, view: RecapView) -> MessageRef:
        """DM a person their weekly recap."""
        return await self._to_person(user, self._renderer.recap(view))

    async def post_weekly_digest(self, channel_id: str, view: WeeklyDigestView) -> MessageRef:
        """Post the digest card; its chart is an Image from the signed ``view.chart.url``
        (Teams cards cannot carry the bytes), left out when there is no link."""
        reference = await self._reference(channel_key(channel_id))
        return await self._send(reference, to_activity(self._renderer.weekly_digest(view)))

    # ---- SuggestionGateway: the review channel ----------------------------------------

    async def post_review(self, channel_id: str, view: ReviewCardView) -> MessageRef:
        """Post a suggestion's review card in the review channel (the app must be added to
        the team, so the channel's address is known)."""
        reference = await self._reference(channel_key(channel_id))
        return await self._send(reference, to_activity(self._renderer.review(view)))

    async def update_review(self, message: MessageRef, view: ReviewCardView) -> None:
        """Redraw a review card: its outcome, who decided, no more buttons."""
        await self._update(message, self._renderer.review(view))

    async def notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        """A notice in the person's personal chat with the bot (a suggestion's outcome)."""
        await self._to_person(user, self._renderer.notice(notice, locale))

    # ---- addresses ---------------------------------------------------------------------

    async def remember(self, user: PlatformUser, reference: ConversationReference) -> bool:
        """Store where to reach a person (and how to update messages in their chat); True
        when the bot did not know this chat yet."""
        payload = reference_payload(reference)
        known = await self._addresses.get(Platform.TEAMS, user.workspace_id, user.user_id)
        if known is not None and known.payload == payload:
            return False  # nothing changed: no writes on every message of the chat
        now = self._clock.now()
        for key in (user.user_id, conversation_key(reference.conversation.id)):
            await self._addresses.save(
                ChatAddress(Platform.TEAMS, user.workspace_id, key, payload), now=now
            )
        return known is None or reference_of(known).conversation.id != reference.conversation.id

    async def forget(self, user: PlatformUser) -> None:
        """The app was removed from the person's chat: no more proactive messages there."""
        await self._addresses.forget(Platform.TEAMS, user.workspace_id, user.user_id)

    async def remember_channel(
        self, tenant_id: str, channel_id: str, reference: ConversationReference
    ) -> None:
        """Store where to post in a team's channel (leaderboards, announcements)."""
        payload = reference_payload(reference)
        now = self._clock.now()
        for key in (channel_key(channel_id), conversation_key(reference.conversation.id)):
            await self._addresses.save(
                ChatAddress(Platform.TEAMS, tenant_id, key, payload), now=now
            )

    async def send_to(self, user: PlatformUser, message: TeamsMessage) -> MessageRef:
        """A message to one person in their personal chat (confirmations, notices)."""
        return await self._to_person(user, message)

    # ---- plumbing ----------------------------------------------------------------------

    async def _to_person(self, user: PlatformUser, message: TeamsMessage) -> MessageRef:
        address = await self._addresses.get(Platform.TEAMS, user.workspace_id, user.user_id)
        if address is None:
            # Teams cannot open a chat by email: the app must be installed for the person.
            raise DeliveryFailed("no_conversation_reference", permanent=True)
        return await self._send(reference_of(address), to_activity(message))

    async def _reference(self, key: str) -> ConversationReference:
        address = await self._addresses.find(Platform.TEAMS, key)
        if address is None:
            raise DeliveryFailed("no_conversation_reference", permanent=True)
        return reference_of(address)

    async def _update(self, message: MessageRef, rendered: TeamsMessage) -> None:
        reference = await self._reference(conversation_key(message.channel_id))
        activity = TurnContext.apply_conversation_reference(to_activity(rendered), reference)
        activity.id = message.message_id
        client = await self._client(reference.service_url)
        await self._call(
            client.conversations.update_activity(
                reference.conversation.id, message.message_id, activity
            )
        )

    async def _send(self, reference: ConversationReference, activity: Activity) -> MessageRef:
        prepared = TurnContext.apply_conversation_reference(activity, reference)
        prepared.reply_to_id = None  # a proactive message is a new one, not a reply
        client = await self._client(reference.service_url)
        response: ResourceResponse | None = await self._call(
            client.conversations.send_to_conversation(reference.conversation.id, prepared)
        )
        if response is None or not response.id:
            raise DeliveryFailed("no_activity_id", permanent=False)
        return MessageRef(str(reference.conversation.id), str(response.id))

    async def _client(self, service_url: str) -> Any:
        """One connector client per service URL, kept for the process.

        ``continue_conversation`` would build a new ConnectorClient (and token client) for
        every message: the benchmark measured 27 ms of CPU per Teams send, mostly msrest's
        retry-policy set-up and a new connection each time. A kept client reuses both.
        msrest would also retry PUT/DELETE on its own (4 calls on a 429): retries belong to
        the sender, so they are off.
        """
        client = self._clients.get(service_url)
        if client is None:
            authentication = self._adapter.bot_framework_authentication
            factory = authentication.create_connector_factory(
                self._adapter.create_claims_identity(self._app_id)
            )
            client = await factory.create(service_url, None)
            client.config.retry_policy.retries = 0
            self._clients[service_url] = client
        return client

    @staticmethod
    async def _call(call: Awaitable[Any]) -> Any:
        try:
            return await call
        except ErrorResponseException as error:
            raise _mapped(error) from error
        except (ClientRequestError, TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryFailed(type(error).__name__, permanent=False) from error


def _mapped(error: ErrorResponseException) -> Exception:
    response = getattr(error, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    if status == 429:
        return RateLimited(_retry_after(getattr(response, "headers", None)))
    raw = _raw_text(response)
    if status == 403 and any(code in raw for code in BLOCKED_CODES):
        # Teams' documented body is {"errorCode": 209, "message": "{ \"subCode\":
        # \"MessageWritesBlocked\" ... }"}: the reason is inside a JSON string, not in the
        # {"error": {...}} shape msrest parses, so look in the raw text.
        return DeliveryFailed("MessageWritesBlocked", permanent=True)
    inner = getattr(getattr(error, "error", None), "error", None)
    code = str(getattr(inner, "code", "") or "") or f"http_{status}"
    return DeliveryFailed(code, permanent=status not in TRANSIENT_STATUS)


def _raw_text(response: Any) -> str:
    text = getattr(response, "text", None)
    try:
        value = text() if callable(text) else text
    except Exception:  # a body that cannot be read says nothing more
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _retry_after(headers: Any) -> float:
    value = None
    if headers is not None:
        for key in ("Retry-After", "retry-after"):
            value = headers.get(key)
            if value is not None:
                break
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
