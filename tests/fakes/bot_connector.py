"""A local fake of the Bot Framework Connector (the Teams side) that speaks its real HTTP protocol.

The bot's outgoing Teams traffic goes to the ``serviceUrl`` of an activity or of a stored
conversation reference. Point that ``serviceUrl`` here and the real ``ConnectorClient`` (or
botbuilder's ``CloudAdapter``) talks to it unchanged::

    async with FakeBotConnector() as fake:
        client = ConnectorClient(MicrosoftAppCredentials(None, None), base_url=fake.service_url)
        created = await client.conversations.create_conversation(ConversationParameters(...))
        await client.conversations.send_to_conversation(created.id, Activity(type="message"))
        assert fake.last_activity(created.id).text == ...

Routes (``ConversationsOperations`` in botframework-connector; any path prefix before ``/v3/`` is
accepted, so ``http://127.0.0.1:PORT/teams/`` and ``.../amer/`` both work; ids are URL-decoded):

* ``POST /v3/conversations``: CreateConversation -> ``{"id", "serviceUrl"[, "activityId"]}``.
  A 1:1 chat's id is ``a:1...``, stable per (tenant, member) as in Teams; with
  ``channelData.channel.id`` it starts a channel thread ``19:...;messageid=<activityId>``.
* ``POST /v3/conversations/{conversationId}/activities``: SendToConversation -> ``{"id"}``.
* ``POST /v3/conversations/{conversationId}/activities/{activityId}``: ReplyToActivity.
* ``PUT`` / ``DELETE`` on the same path: UpdateActivity / DeleteActivity (404 if unknown).
* ``GET /v3/conversations/{conversationId}/members``, ``.../members/{memberId}`` and
  ``.../pagedmembers``: the conversation's members (a small canned list by default).

Errors use the Bot Framework ``ErrorResponse`` envelope ``{"error": {"code", "message"}}`` with
the codes and messages of the msteams-docs status-code table, except a blocked bot, which answers
the body Microsoft documents verbatim (``{"errorCode": 209, "message": "{...MessageWritesBlocked
...}"}``, see :data:`MESSAGE_WRITES_BLOCKED_BODY`).

Teams throttling is enforced (:class:`ThrottleLimits`): sliding windows per bot per thread
(7 / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / 3,600 s for sends and creates) and a token bucket per
tenant (30 RPS by default). Beyond a limit the answer is HTTP 429 with ``Retry-After`` (seconds).

Standalone, for benchmarks: ``python -m tests.fakes.bot_connector --port 0 --tenant-rate 30``
prints its service URL on the first line of stdout and serves ``GET /_fake/stats`` and
``GET /_fake/calls?route=send_to_conversation`` (see :meth:`FakeBotConnector.call_log`);
``--block-conversations-file PATH`` blocks the conversations listed there (one id per line) with
the documented ``MessageWritesBlocked`` 403, as :meth:`FakeBotConnector.block_conversation` does.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import hashlib
import itertools
import json
import math
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import unquote

from aiohttp import web

TENANT_ID = "5f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
BOT_ID = "28:advocacy-bot-app-id"
BOT_NAME = "Advocacy"
# Teams message ids are epoch milliseconds; the fake counts up from this one.
ACTIVITY_ID_BASE = 1726500000000
# msteams-docs format-your-bot-messages.md: 100 KB, measured UTF-16 encoded (platform-facts 2.5).
MAX_MESSAGE_BYTES = 100 * 1024

CREATE_CONVERSATION = "create_conversation"
SEND_TO_CONVERSATION = "send_to_conversation"
REPLY_TO_ACTIVITY = "reply_to_activity"
UPDATE_ACTIVITY = "update_activity"
DELETE_ACTIVITY = "delete_activity"
GET_MEMBERS = "get_conversation_members"
GET_MEMBER = "get_conversation_member"
GET_PAGED_MEMBERS = "get_conversation_paged_members"

# Routes that write to a conversation: counted by the per-thread "send" windows, refused for a
# blocked bot, size-checked when they carry an activity.
WRITE_ROUTES = frozenset(
    {SEND_TO_CONVERSATION, REPLY_TO_ACTIVITY, UPDATE_ACTIVITY, DELETE_ACTIVITY}
)
READ_ROUTES = frozenset({GET_MEMBERS, GET_MEMBER, GET_PAGED_MEMBERS})
_ACTIVITY_ROUTES = frozenset({SEND_TO_CONVERSATION, REPLY_TO_ACTIVITY, UPDATE_ACTIVITY})

# The msteams-docs "Status codes from bot conversational APIs" table (build-conversational-
# capability.md): code -> message, verbatim where the table gives one.
ERROR_MESSAGES: dict[str, str] = {
    "BadArgument": "Invalid request payload.",  # table: code "Bad Argument", message per scenario
    "BotDisabledByAdmin": "The tenant admin disabled this bot",
    "BotNotInConversationRoster": "The bot isn't part of the conversation roster.",
    "ConversationBlockedByUser": "User blocked the conversation with the bot.",
    "ForbiddenOperationException": "Bot isn't installed in user's personal scope",
    "ActivityNotFoundInConversation": "Conversation not found.",  # sic, as documented
    "ConversationNotFound": "Conversation not found.",
    "MemberNotFoundInConversation": "Member not found in conversation.",  # assumed
    "PreconditionFailed": "Precondition failed, please try again.",
    "MessageSizeTooBig": "Message size too large.",
    "Throttled": "Too many requests.",
    "ServiceError": "Internal service error.",  # table: message "various"
    "ServiceUnavailable": "Service is unavailable.",  # table: no code for 503
    "GatewayTimeout": "Gateway Timeout.",  # table: no code for 504
}
# The code each status gets when a test injects it without naming one.
DEFAULT_CODES: dict[int, str] = {
    400: "BadArgument",
    403: "ForbiddenOperationException",
    404: "ConversationNotFound",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "ServiceError",
    502: "ServiceError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

MESSAGE_WRITES_BLOCKED = "MessageWritesBlocked"
# send-proactive-messages.md ("Understand who blocked, muted, or uninstalled a bot") shows this
# exact 403 body (Content-Length: 196). It is NOT the ErrorResponse envelope: the SDK's
# ErrorResponseException.error.error is None, so a client has to read the raw body.
MESSAGE_WRITES_BLOCKED_BODY = (
    '{"errorCode":209,"message":"{\\r\\n  \\"subCode\\": \\"MessageWritesBlocked\\",\\r\\n  '
    '\\"details\\": \\"Thread is blocked from message writes.\\",\\r\\n  \\"errorCode\\": null,'
    '\\r\\n  \\"errorSubCode\\": null\\r\\n}"}'
)
BLOCK_CODES = frozenset(
    {
        MESSAGE_WRITES_BLOCKED,
        "ConversationBlockedByUser",
        "BotDisabledByAdmin",
        "BotNotInConversationRoster",
        "ForbiddenOperationException",
    }
)

# msteams-docs bots/how-to/rate-limit.md, per bot per thread: (operations, seconds).
SEND_LIMITS: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
CREATE_LIMITS = SEND_LIMITS
READ_LIMITS: tuple[tuple[int, float], ...] = ((14, 1.0), (16, 2.0), (120, 30.0), (3600, 3600.0))

T = TypeVar("T")


@dataclass(frozen=True)
class ThrottleLimits:
    """What the fake enforces; ``enabled=False`` turns every limit off (functional tests)."""

    enabled: bool = True
    tenant_rate: float = 30.0
    tenant_burst: int | None = None  # None: max(1, int(tenant_rate))
    send: tuple[tuple[int, float], ...] = SEND_LIMITS
    create: tuple[tuple[int, float], ...] = CREATE_LIMITS
    read: tuple[tuple[int, float], ...] = READ_LIMITS


@dataclass
class RecordedCall:
    """One Connector call the fake answered (``headers`` keys are lower-case)."""

    method: str
    route: str
    conversation_id: str | None
    activity_id: str | None
    base_path: str
    tenant_id: str | None
    headers: dict[str, str]
    body: Any
    size: int
    timestamp: float
    status: int = 200
    error_code: str | None = None
    response: Any = None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class RecordedActivity:
    """An activity the bot posted; updates replace :attr:`activity` (old versions in history)."""

    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    route: str
    reply_to_id: str | None
    timestamp: float
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def versions(self) -> list[dict[str, Any]]:
        """Every version, oldest first; the last one is the current :attr:`activity`."""
        return [*self.history, self.activity]

    @property
    def text(self) -> str | None:
        value = self.activity.get("text")
        return str(value) if value is not None else None

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.activity.get("attachments") or [])


@dataclass
class Conversation:
    """A conversation the fake knows: created through the API, added by a test, or first seen."""

    id: str
    tenant_id: str | None
    members: list[dict[str, Any]]
    is_group: bool = False
    origin: str = "seen"  # "created", "added" or "seen"
    parameters: dict[str, Any] = field(default_factory=dict)


class ConnectorError(Exception):
    """Raised by a route handler; becomes an HTTP error answer."""

    def __init__(self, status: int, code: str, message: str | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message if message is not None else ERROR_MESSAGES.get(code, code)


@dataclass
class _Injection:
    status: int
    code: str
    message: str | None
    body: Any
    retry_after: int | None
    remaining: int
    conversation_id: str | None
    user_id: str | None
    routes: frozenset[str] | None

    def matches(self, route: str, conversation_id: str | None, users: Iterable[str]) -> bool:
        if self.routes is not None and route not in self.routes:
            return False
        if self.conversation_id is not None and conversation_id != self.conversation_id:
            return False
        return self.user_id is None or self.user_id in users


@dataclass
class _Answer:
    status: int
    body: Any  # JSON-ready value, or a str sent as-is, or None for no body
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _SlidingWindows:
    """Accepted-call timestamps per key, checked against several (limit, period) windows."""

    def __init__(self, limits: Sequence[tuple[int, float]]) -> None:
        self.limits = tuple(limits)
        self.longest = max((period for _, period in self.limits), default=0.0)
        self.events: dict[str, deque[float]] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds until one more call on ``key`` fits every window (0: it fits now)."""
        events = self.events.get(key)
        if not events:
            return 0.0
        while events and events[0] <= now - self.longest:
            events.popleft()
        wait = 0.0
        for limit, period in self.limits:
            start = bisect.bisect_right(events, now - period)
            count = len(events) - start
            if count >= limit:
                # The window frees up when its (count - limit + 1)-th oldest call leaves it.
                wait = max(wait, events[start + count - limit] + period - now)
        return wait

    def record(self, key: str, now: float) -> None:
        self.events.setdefault(key, deque()).append(now)


class _TokenBucket:
    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


def error_body(code: str, message: str | None = None) -> dict[str, Any]:
    """The Bot Framework ``ErrorResponse`` envelope."""
    return {"error": {"code": code, "message": message or ERROR_MESSAGES.get(code, code)}}


def one_on_one_conversation_id(user_id: str, tenant_id: str = TENANT_ID) -> str:
    """The stable ``a:1...`` id the fake gives the 1:1 chat between the bot and ``user_id``."""
    digest = hashlib.sha256(f"{tenant_id}|{user_id}".encode()).digest()
    return "a:1" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def _tenant_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("conversation")):
        if isinstance(holder, dict) and holder.get("tenantId"):
            return str(holder["tenantId"])
    channel_data = body.get("channelData")
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and tenant.get("id"):
            return str(tenant["id"])
    return None


def _channel_of(body: Any) -> str | None:
    channel_data = body.get("channelData") if isinstance(body, dict) else None
    channel = channel_data.get("channel") if isinstance(channel_data, dict) else None
    if isinstance(channel, dict) and channel.get("id"):
        return str(channel["id"])
    return None


def _member_ids(members: Iterable[dict[str, Any]]) -> list[str]:
    return [str(member["id"]) for member in members if member.get("id")]


@dataclass
class _Route:
    name: str
    base_path: str
    conversation_id: str | None = None
    activity_id: str | None = None
    member_id: str | None = None
    query: dict[str, str] = field(default_factory=dict)


def _parse_route(method: str, raw_path: str) -> _Route | ConnectorError:
    """Match ``[prefix]/v3/conversations[/...]``, decoding each path segment separately."""
    segments = raw_path.split("/")
    start = next(
        (i for i in range(len(segments) - 1) if segments[i : i + 2] == ["v3", "conversations"]),
        None,
    )
    if start is None:
        return ConnectorError(404, "NotFound", f"No route for {raw_path}")
    base = "/".join(segments[:start]) + "/"
    rest = [unquote(segment) for segment in segments[start + 2 :]]
    allowed: dict[tuple[int, str], dict[str, str]] = {
        (0, ""): {"POST": CREATE_CONVERSATION},
        (2, "activities"): {"POST": SEND_TO_CONVERSATION},
        (3, "activities"): {
            "POST": REPLY_TO_ACTIVITY,
            "PUT": UPDATE_ACTIVITY,
            "DELETE": DELETE_ACTIVITY,
        },
        (2, "members"): {"GET": GET_MEMBERS},
        (3, "members"): {"GET": GET_MEMBER},
        (2, "pagedmembers"): {"GET": GET_PAGED_MEMBERS},
    }
    if rest and rest[-1] == "" and len(rest) > 1:
        rest = rest[:-1]  # tolerate one trailing slash
    kind = rest[1] if len(rest) >= 2 else ""
    methods = allowed.get((len(rest), kind))
    if methods is None or (rest and not rest[0]):
        return ConnectorError(404, "NotFound", f"No route for {raw_path}")
    name = methods.get(method)
    if name is None:
        return ConnectorError(405, "MethodNotAllowed", f"{method} is not allowed on {raw_path}")
    route = _Route(name, base, conversation_id=rest[0] if rest else None)
    if len(rest) == 3:
        if kind == "members":
            route.member_id = rest[2]
        else:
            route.activity_id = rest[2]
    return route


def _canned_members(tenant_id: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "29:1canned-ada-lovelace",
            "name": "Ada Lovelace",
            "aadObjectId": "a1a1a1a1-0000-4000-8000-000000000001",
            "givenName": "Ada",
            "surname": "Lovelace",
            "email": "ada@acme.example",
            "userPrincipalName": "ada@acme.example",
            "tenantId": tenant_id,
            "userRole": "user",
        },
        {
            "id": "29:1canned-grace-hopper",
            "name": "Grace Hopper",
            "aadObjectId": "a1a1a1a1-0000-4000-8000-000000000002",
            "givenName": "Grace",
            "surname": "Hopper",
            "email": "grace@acme.example",
            "userPrincipalName": "grace@acme.example",
            "tenantId": tenant_id,
            "userRole": "user",
        },
    ]


class FakeBotConnector:
    """An aiohttp server on 127.0.0.1 answering the Bot Connector ``/v3/conversations`` API."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_path: str = "/",
        tenant_id: str = TENANT_ID,
        throttle: ThrottleLimits | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        size_encoding: str = "utf-16-le",
        strict_conversations: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``strict_conversations``: sends to a conversation the fake has not seen created (or
        added with :meth:`add_conversation`) answer 404 ``ConversationNotFound``; by default
        such a conversation is registered on first use. ``size_encoding``: how a body's size is
        measured against ``max_message_bytes`` (Teams counts UTF-16)."""
        self.host = host
        self.port = port
        self.base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self.tenant_id = tenant_id
        self.max_message_bytes = max_message_bytes
        self.size_encoding = size_encoding
        self.strict_conversations = strict_conversations
        self._clock = clock
        self.calls: list[RecordedCall] = []
        self.conversations: dict[str, Conversation] = {}
        self._activities: dict[str, list[RecordedActivity]] = {}
        self._by_id: dict[tuple[str, str], RecordedActivity] = {}
        self._blocked: dict[str, str] = {}  # user or conversation id -> code
        self._injections: list[_Injection] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.set_throttle(throttle or ThrottleLimits())

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/_fake/stats", self._handle_stats)
        app.router.add_get("/_fake/calls", self._handle_calls)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        if self._runner is None:
            raise RuntimeError("FakeBotConnector is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def service_url(self) -> str:
        """The ``serviceUrl`` to give activities and references, e.g. ``http://127.0.0.1:PORT/``
        (or ``.../teams/`` with ``base_path="teams"``); any other prefix works as well."""
        return self.url + self.base_path

    # ------------------------------------------------------------------ configuration

    def set_throttle(self, limits: ThrottleLimits) -> None:
        """Replace the limits (and forget the calls counted so far)."""
        if limits.enabled and limits.tenant_rate <= 0:
            raise ValueError("tenant_rate must be positive (or throttling disabled)")
        self.throttle = limits
        burst = limits.tenant_burst
        self._tenant_burst = burst if burst is not None else max(1, int(limits.tenant_rate))
        self._tenant_buckets: dict[str, _TokenBucket] = {}
        self._windows = {
            "send": _SlidingWindows(limits.send),
            "create": _SlidingWindows(limits.create),
            "read": _SlidingWindows(limits.read),
        }

    def add_conversation(
        self,
        conversation_id: str,
        members: Iterable[dict[str, Any] | str] = (),
        *,
        tenant_id: str | None = None,
        is_group: bool = False,
    ) -> Conversation:
        """Register a conversation (as if the bot had been installed there)."""
        tenant = tenant_id or self.tenant_id
        listed = [m if isinstance(m, dict) else {"id": m} for m in members]
        conversation = Conversation(
            conversation_id, tenant, listed or _canned_members(tenant), is_group, "added"
        )
        self.conversations[conversation_id] = conversation
        return conversation

    def conversation_id_for(self, user_id: str, tenant_id: str | None = None) -> str:
        """The id CreateConversation returns for a 1:1 chat with ``user_id``."""
        return one_on_one_conversation_id(user_id, tenant_id or self.tenant_id)

    def block_user(self, user_id: str, code: str = MESSAGE_WRITES_BLOCKED) -> None:
        """Writes to this user's conversations (and creating one) answer 403 ``code``.

        ``MessageWritesBlocked`` (the default) answers the body Microsoft documents for a bot the
        user blocked or uninstalled; the other codes of :data:`BLOCK_CODES` answer the
        ``{"error": {"code", "message"}}`` envelope.
        """
        if code not in BLOCK_CODES:
            raise ValueError(f"unknown block code {code!r}; use one of {sorted(BLOCK_CODES)}")
        self._blocked[user_id] = code

    def block_conversation(self, conversation_id: str, code: str = MESSAGE_WRITES_BLOCKED) -> None:
        """Writes to this conversation answer 403 ``code`` (see :meth:`block_user`)."""
        self.block_user(conversation_id, code)

    def unblock(self, user_or_conversation_id: str) -> None:
        self._blocked.pop(user_or_conversation_id, None)

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        conversation_id: str | None = None,
        user_id: str | None = None,
        routes: Iterable[str] | None = None,
        code: str | None = None,
        message: str | None = None,
        body: Any = None,
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` matching calls answer HTTP ``status`` (412, 502, 504, 429, ...).

        A call matches when it targets ``conversation_id`` (for CreateConversation: the id it
        would create) and involves ``user_id`` (a member of the conversation or of the create
        request) on one of ``routes``; ``None`` matches anything. The body is the
        ``ErrorResponse`` envelope with ``code`` (default per status, see
        :data:`DEFAULT_CODES`) unless ``body`` is given. A 429 always carries ``Retry-After``
        (``retry_after`` or 1); other statuses only when ``retry_after`` is given.
        """
        self._injections.append(
            _Injection(
                status=status,
                code=code or DEFAULT_CODES.get(status, "ServiceError"),
                message=message,
                body=body,
                retry_after=retry_after,
                remaining=times,
                conversation_id=conversation_id,
                user_id=user_id,
                routes=frozenset(routes) if routes is not None else None,
            )
        )

    def clear_faults(self) -> None:
        """Remove every block and injected failure."""
        self._blocked.clear()
        self._injections.clear()

    def reset(self) -> None:
        """Forget recorded traffic, conversations and rate-limit state (faults are kept)."""
        self.calls.clear()
        self.conversations.clear()
        self._activities.clear()
        self._by_id.clear()
        self.set_throttle(self.throttle)

    # ------------------------------------------------------------------ inspection

    def activities(
        self, conversation_id: str, *, include_deleted: bool = False
    ) -> list[RecordedActivity]:
        """Activities the bot posted to a conversation, in posting order."""
        return [
            activity
            for activity in self._activities.get(conversation_id, [])
            if include_deleted or not activity.deleted
        ]

    def all_activities(self) -> list[RecordedActivity]:
        """Every posted activity (deleted ones included), in posting order."""
        every = [a for activities in self._activities.values() for a in activities]
        return sorted(every, key=lambda activity: int(activity.activity_id))

    def activity(self, conversation_id: str, activity_id: str) -> RecordedActivity | None:
        return self._by_id.get((conversation_id, activity_id))

    def latest(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """The current version of an activity (after its updates), or None."""
        found = self.activity(conversation_id, activity_id)
        return found.activity if found is not None else None

    def last_activity(self, conversation_id: str) -> RecordedActivity | None:
        activities = self.activities(conversation_id)
        return activities[-1] if activities else None

    def calls_to(self, route: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.route == route]

    # The Slack fake's API is wait_for(predicate, timeout=...); keep the same shape.
    async def wait_for(
        self,
        predicate: Callable[[], T | Literal[False] | None],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Poll ``predicate`` every 10 ms until it is truthy and return its value (so never
        ``None`` or ``False``: a predicate written ``a and b`` is typed as its truthy part)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                seen = [(call.route, call.status) for call in self.calls]
                raise TimeoutError(f"condition not met within {timeout}s; calls so far: {seen}")
            await asyncio.sleep(0.01)

    def stats(self) -> dict[str, Any]:
        """Call counts per route: ``accepted`` (2xx), ``throttled`` (429), ``failed`` (other)."""
        accepted: Counter[str] = Counter()
        throttled: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for call in self.calls:
            bucket = accepted if call.ok else throttled if call.status == 429 else failed
            bucket[call.route] += 1
        every = self.all_activities()
        return {
            "accepted": dict(accepted),
            "throttled": dict(throttled),
            "failed": dict(failed),
            "conversations": len(self.conversations),
            "activities": len(every),
            "updates": sum(len(activity.history) for activity in every),
            "deleted": sum(activity.deleted for activity in every),
        }

    def call_log(
        self, route: str | None = None, conversation_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every call (any status) to ``route``, in arrival order, as small JSON-ready records:
        ``method``, ``route``, ``conversation``, ``activity``, ``tenant``, ``base``, ``status``,
        ``error`` (the error code), ``auth`` (an Authorization header was sent), ``size`` and the
        arrival ``time``. ``GET /_fake/calls?route=...&conversation=...`` serves the same."""
        return [
            {
                "method": call.method,
                "route": call.route,
                "conversation": call.conversation_id,
                "activity": call.activity_id,
                "tenant": call.tenant_id,
                "base": call.base_path,
                "status": call.status,
                "error": call.error_code,
                "auth": call.authorization is not None,
                "size": call.size,
                "time": call.timestamp,
            }
            for call in self.calls
            if (route is None or call.route == route)
            and (conversation_id is None or call.conversation_id == conversation_id)
        ]

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        received = time.time()
        raw = await request.read()
        headers = {key.lower(): value for key, value in request.headers.items()}
        parsed = _parse_route(request.method, request.rel_url.raw_path)
        if isinstance(parsed, _Route):
            parsed.query = dict(request.query)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        call = RecordedCall(
            method=request.method,
            route=parsed.name if isinstance(parsed, _Route) else "unknown",
            conversation_id=parsed.conversation_id if isinstance(parsed, _Route) else None,
            activity_id=parsed.activity_id if isinstance(parsed, _Route) else None,
            base_path=parsed.base_path if isinstance(parsed, _Route) else "",
            tenant_id=None,
            headers=headers,
            body=body,
            size=self._size_of(raw),
            timestamp=received,
        )
        if isinstance(parsed, ConnectorError):
            answer = _Answer(parsed.status, error_body(parsed.code, parsed.message), parsed.code)
        else:
            answer = self._dispatch(parsed, call, raw)
        call.status = answer.status
        call.error_code = answer.code
        call.response = answer.body
        self.calls.append(call)
        return _to_response(answer)

    def _dispatch(self, route: _Route, call: RecordedCall, raw: bytes) -> _Answer:
        if raw and not isinstance(call.body, dict):
            return _error(ConnectorError(400, "BadArgument", "The body is not a JSON object."))
        body: dict[str, Any] = call.body if isinstance(call.body, dict) else {}
        if route.name == CREATE_CONVERSATION:
            tenant = _tenant_of(body)
            members = [m for m in body.get("members") or [] if isinstance(m, dict)]
            target = self._create_target(body, members, tenant)
        else:
            target = route.conversation_id or ""
            known = self.conversations.get(target)
            tenant = known.tenant_id if known is not None else _tenant_of(body)
            members = known.members if known is not None else []
        call.tenant_id = tenant or self.tenant_id
        users = _member_ids(members)
        if route.name == CREATE_CONVERSATION:
            call.conversation_id = target or None

        injected = self._take_injection(route.name, target, users)
        if injected is not None:
            return injected
        throttled = self._throttle(route.name, target, call.tenant_id)
        if throttled is not None:
            return throttled
        if call.size > self.max_message_bytes and (
            route.name in _ACTIVITY_ROUTES or body.get("activity")
        ):
            return _error(ConnectorError(413, "MessageSizeTooBig"))
        if route.name not in READ_ROUTES:
            blocked = self._blocked_answer(target, users)
            if blocked is not None:
                return blocked
        try:
            return self._route(route, body, target, tenant, members, call)
        except ConnectorError as exc:
            return _error(exc)

    def _route(
        self,
        route: _Route,
        body: dict[str, Any],
        target: str,
        tenant: str | None,
        members: list[dict[str, Any]],
        call: RecordedCall,
    ) -> _Answer:
        name = route.name
        if name == CREATE_CONVERSATION:
            return self._create_conversation(body, target, tenant, members, call)
        conversation = self._conversation(target, tenant)
        if name in (SEND_TO_CONVERSATION, REPLY_TO_ACTIVITY):
            activity_id = self._post(conversation.id, body, name, route.activity_id)
            call.activity_id = activity_id
            return _Answer(201, {"id": activity_id})
        if name == UPDATE_ACTIVITY:
            existing = self._existing(conversation.id, route.activity_id)
            existing.history.append(existing.activity)
            existing.activity = {**body, "id": existing.activity_id}
            return _Answer(200, {"id": existing.activity_id})
        if name == DELETE_ACTIVITY:
            self._existing(conversation.id, route.activity_id).deleted = True
            return _Answer(200, None)
        if name == GET_MEMBERS:
            return _Answer(200, conversation.members)
        if name == GET_MEMBER:
            member = next((m for m in conversation.members if m.get("id") == route.member_id), None)
            if member is None:
                raise ConnectorError(404, "MemberNotFoundInConversation")
            return _Answer(200, member)
        return self._paged_members(conversation, route.query)

    def _paged_members(self, conversation: Conversation, query: dict[str, str]) -> _Answer:
        try:
            size = int(query.get("pageSize") or 0) or max(1, len(conversation.members))
            offset = int(query.get("continuationToken") or 0)
        except ValueError as exc:
            raise ConnectorError(400, "BadArgument", "Invalid pageSize or token.") from exc
        page = conversation.members[offset : offset + size]
        result: dict[str, Any] = {"members": page}
        if offset + size < len(conversation.members):
            result["continuationToken"] = str(offset + size)
        return _Answer(200, result)

    # ------------------------------------------------------------------ route helpers

    def _create_target(
        self, body: dict[str, Any], members: list[dict[str, Any]], tenant: str | None
    ) -> str:
        """The id CreateConversation would answer ("" if it cannot tell before validating)."""
        channel = _channel_of(body)
        if channel is not None:
            return channel  # a new thread in the channel: throttled per channel
        ids = _member_ids(members)
        if len(ids) == 1 and not body.get("isGroup"):
            return one_on_one_conversation_id(ids[0], tenant or self.tenant_id)
        return ""

    def _create_conversation(
        self,
        body: dict[str, Any],
        target: str,
        tenant: str | None,
        members: list[dict[str, Any]],
        call: RecordedCall,
    ) -> _Answer:
        if tenant is None:
            raise ConnectorError(400, "BadArgument", "A tenant id is required (tenantId).")
        channel = _channel_of(body)
        activity = body.get("activity") if isinstance(body.get("activity"), dict) else None
        answer: dict[str, Any] = {"serviceUrl": self.url + call.base_path}
        if channel is not None:
            activity_id = self._next_activity_id()
            conversation_id = f"{channel};messageid={activity_id}"
            conversation = Conversation(
                conversation_id, tenant, members or _canned_members(tenant), True, "created", body
            )
            self.conversations[conversation_id] = conversation
            self._record(conversation_id, activity_id, activity or {}, CREATE_CONVERSATION, None)
            answer.update(id=conversation_id, activityId=activity_id)
        elif not target:
            raise ConnectorError(
                400, "BadArgument", "Create a 1:1 conversation with exactly one member."
            )
        else:
            if target not in self.conversations:  # one added by a test keeps its members
                self.conversations[target] = Conversation(
                    target, tenant, [{**m} for m in members], False, "created", body
                )
            answer["id"] = target
            if activity is not None:
                activity_id = self._next_activity_id()
                self._record(target, activity_id, activity, CREATE_CONVERSATION, None)
                answer["activityId"] = activity_id
        call.conversation_id = answer["id"]
        call.activity_id = answer.get("activityId")
        return _Answer(201, answer)

    def _conversation(self, conversation_id: str, tenant: str | None) -> Conversation:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            if self.strict_conversations:
                raise ConnectorError(404, "ConversationNotFound")
            tenant = tenant or self.tenant_id
            conversation = Conversation(conversation_id, tenant, _canned_members(tenant))
            self.conversations[conversation_id] = conversation
        return conversation

    def _existing(self, conversation_id: str, activity_id: str | None) -> RecordedActivity:
        found = self._by_id.get((conversation_id, activity_id or ""))
        if found is None or found.deleted:
            raise ConnectorError(404, "ActivityNotFoundInConversation")
        return found

    def _post(
        self, conversation_id: str, body: dict[str, Any], route: str, reply_to: str | None
    ) -> str:
        activity_id = self._next_activity_id()
        self._record(conversation_id, activity_id, body, route, reply_to)
        return activity_id

    def _record(
        self,
        conversation_id: str,
        activity_id: str,
        body: dict[str, Any],
        route: str,
        reply_to: str | None,
    ) -> None:
        recorded = RecordedActivity(
            conversation_id,
            activity_id,
            {**body, "id": activity_id},
            route,
            reply_to,
            time.time(),
        )
        self._activities.setdefault(conversation_id, []).append(recorded)
        self._by_id[(conversation_id, activity_id)] = recorded

    def _next_activity_id(self) -> str:
        return str(ACTIVITY_ID_BASE + next(self._ids))

    def _size_of(self, raw: bytes) -> int:
        if self.size_encoding in ("utf-8", "utf8"):
            return len(raw)
        return len(raw.decode("utf-8", "replace").encode(self.size_encoding))

    # ------------------------------------------------------------------ faults and limits

    def _take_injection(self, route: str, target: str, users: list[str]) -> _Answer | None:
        for injection in self._injections:
            if injection.remaining > 0 and injection.matches(route, target or None, users):
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                headers: dict[str, str] = {}
                if injection.status == 429 or injection.retry_after is not None:
                    headers["Retry-After"] = str(injection.retry_after or 1)
                body = injection.body
                if body is None:
                    body = error_body(injection.code, injection.message)
                return _Answer(injection.status, body, injection.code, headers)
        return None

    def _throttle(self, route: str, target: str, tenant: str) -> _Answer | None:
        limits = self.throttle
        if not limits.enabled:
            return None
        now = self._clock()
        if route in WRITE_ROUTES:
            windows = self._windows["send"]
        else:
            windows = self._windows["read" if route in READ_ROUTES else "create"]
        bucket = self._tenant_buckets.get(tenant)
        if bucket is None:
            bucket = _TokenBucket(limits.tenant_rate, self._tenant_burst, now)
            self._tenant_buckets[tenant] = bucket
        wait = max(windows.wait(target, now) if target else 0.0, bucket.wait(now))
        if wait > 0:
            headers = {"Retry-After": str(_retry_after_seconds(wait))}
            return _Answer(429, error_body("Throttled"), "Throttled", headers)
        bucket.take()
        if target:
            windows.record(target, now)
        return None

    def _blocked_answer(self, target: str, users: list[str]) -> _Answer | None:
        code = next(
            (self._blocked[key] for key in (target, *users) if key and key in self._blocked), None
        )
        if code is None:
            return None
        if code == MESSAGE_WRITES_BLOCKED:
            return _Answer(403, MESSAGE_WRITES_BLOCKED_BODY, code)
        return _Answer(403, error_body(code), code)

    # ------------------------------------------------------------------ inspection routes

    async def _handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _handle_calls(self, request: web.Request) -> web.Response:
        log = self.call_log(
            request.query.get("route") or None, request.query.get("conversation") or None
        )
        return web.json_response({"count": len(log), "calls": log})


def _error(exc: ConnectorError) -> _Answer:
    return _Answer(exc.status, error_body(exc.code, exc.message), exc.code)


def _to_response(answer: _Answer) -> web.Response:
    if answer.body is None:
        return web.Response(status=answer.status, headers=answer.headers)
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return web.Response(
        status=answer.status,
        text=text,
        content_type="application/json",
        charset="utf-8",
        headers=answer.headers,
    )


# ---------------------------------------------------------------------- standalone CLI


async def _serve(args: argparse.Namespace) -> None:
    limits = ThrottleLimits(
        enabled=not args.no_throttle, tenant_rate=args.tenant_rate, tenant_burst=args.tenant_burst
    )
    fake = FakeBotConnector(
        host=args.host,
        port=args.port,
        base_path=args.base_path,
        throttle=limits,
        max_message_bytes=args.max_message_bytes,
    )
    if args.block_conversations_file is not None:
        for conversation_id in read_id_file(args.block_conversations_file):
            fake.block_conversation(conversation_id)
    async with fake:
        sys.stdout.write(fake.service_url + "\n")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        sys.stderr.write(json.dumps(fake.stats()) + "\n")


def read_id_file(path: str) -> list[str]:
    """The ids listed in a file, one per line (blank lines and ``#`` comments skipped)."""
    lines = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Bot Framework Connector standalone.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--base-path", default="/", help="path prefix of the printed serviceUrl")
    parser.add_argument("--tenant-rate", type=float, default=30.0, help="global RPS per tenant")
    parser.add_argument("--tenant-burst", type=int, default=None, help="default: the rate")
    parser.add_argument("--no-throttle", action="store_true", help="turn every limit off")
    parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES)
    parser.add_argument(
        "--block-conversations-file",
        default=None,
        help="a file of conversation ids, one per line: writes to them answer the documented "
        "403 MessageWritesBlocked (as if the person had blocked the bot)",
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
