"""A local fake of the Slack Web API that speaks Slack's real HTTP protocol.

Point the real ``slack_sdk`` client at it and nothing else changes::

    async with FakeSlackApi() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        await client.chat_postMessage(channel="U05BOB0002", text="hi")
        assert fake.last_message("U05BOB0002").text == "hi"

Like Slack, an API error is HTTP 200 with ``{"ok": false, "error": ...}``; only rate limiting
answers HTTP 429 (with a ``Retry-After`` header).

It also speaks Socket Mode: ``apps.connections.open`` (app-level ``xapp-`` token) hands out a
``ws://`` URL on this server; the WebSocket says ``hello``, then carries the envelopes a test
sends with :meth:`FakeSlackApi.send_envelope` and records the client's acks::

    envelope_id = await fake.send_envelope("slash_commands", {...}, accepts_response_payload=True)
    assert (await fake.wait_for_ack(envelope_id)) == {"envelope_id": envelope_id}

The fake is also runnable standalone for benchmarks:
``python -m tests.fakes.slack_api --port 0 --rate 10 --burst 20`` prints its base URL on the
first line of stdout and serves ``GET /_fake/stats`` (call counts per method) and
``GET /_fake/calls?method=chat.postMessage`` (one compact record per call, 429s included, in
arrival order: ``method``, ``channel`` as sent, resolved ``dm``, ``status``, ``ok``, ``error``,
``ts`` of the posted message and the arrival ``time``; see :meth:`FakeSlackApi.call_log`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

TEAM_ID = "T0A1B2C3D"
TEAM_DOMAIN = "acme"
TEAM_NAME = "Acme"
API_APP_ID = "A05ADVOC01"
BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"
TOKEN_PREFIX = "xoxb-"
APP_TOKEN_PREFIX = "xapp-"

# Methods that take an app-level token instead of a bot token.
_APP_LEVEL_METHODS = frozenset({"apps.connections.open"})

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Arguments that Slack accepts as JSON-encoded strings in form bodies.
_JSON_STRING_FIELDS = frozenset({"blocks", "view", "attachments", "metadata", "files"})
# (block element type or None for any, field) -> max length, as Slack validates them.
_FIELD_LIMITS: dict[tuple[str | None, str], int] = {
    ("section", "text"): 3000,
    ("header", "text"): 150,
    ("button", "text"): 75,
    ("button", "url"): 3000,
    ("button", "value"): 2000,
    (None, "action_id"): 255,
    (None, "block_id"): 255,
}

T = TypeVar("T")


@dataclass
class RecordedCall:
    """One Web API call the fake answered (``headers`` keys are lower-case)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    timestamp: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class RecordedResponse:
    """One POST to a ``response_url`` handed out by :meth:`FakeSlackApi.response_url`."""

    name: str
    body: Any
    headers: dict[str, str]
    timestamp: float


@dataclass
class PostedMessage:
    """A message the bot posted; ``chat.update`` edits it in place (old versions in history)."""

    channel: str
    ts: str
    text: str | None
    blocks: list[Any] | None
    args: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def thread_ts(self) -> str | None:
        value = self.args.get("thread_ts")
        return str(value) if value is not None else None


@dataclass
class UploadedFile:
    """A file of the upload v2 flow: announced (``files.getUploadURLExternal``), its bytes
    POSTed to the upload URL, then completed and shared (``files.completeUploadExternal``)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    completed: bool = False


class SlackError(Exception):
    """Raised by a method handler; becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


@dataclass
class _Injection:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass
class _TokenBucket:
    rate: float
    burst: int
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class _RateLimit:
    rate: float
    burst: int
    retry_after: int
    per_channel: bool
    buckets: dict[str, _TokenBucket] = field(default_factory=dict)

    def allow(self, channel: str) -> bool:
        key = channel if self.per_channel else "*"
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _TokenBucket(self.rate, self.burst)
        return bucket.take()


def dm_channel_id(user_id: str) -> str:
    """The stable DM channel id the fake assigns to a user id (``U05BOB0002`` -> ``D05BOB0002``)."""
    return "D" + user_id[1:]


def _is_user_id(value: str) -> bool:
    return len(value) > 1 and value[0] in "UW" and value[1:].isalnum() and value.isupper()


def _resolve_channel(channel: str) -> str:
    return dm_channel_id(channel) if _is_user_id(channel) else channel


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in _JSON_STRING_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


def _block_errors(blocks: Any, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    if not isinstance(blocks, list):
        return [f"[ERROR] expected array [json-pointer:{pointer}]"]
    if len(blocks) > max_blocks:
        return [f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]"]
    return list(_walk_limits(blocks, pointer))


def _walk_limits(node: Any, pointer: str) -> Iterator[str]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_limits(item, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    for (block_type, name), limit in _FIELD_LIMITS.items():
        value = node.get(name)
        if block_type not in (None, kind) or value is None:
            continue
        text = value.get("text", "") if isinstance(value, dict) else value
        if isinstance(text, str) and len(text) > limit:
            where = f"[json-pointer:{pointer}/{name}]"
            yield f"[ERROR] must be less than {limit + 1} characters {where}"
    for key, child in node.items():
        yield from _walk_limits(child, f"{pointer}/{key}")


def _require(args: Mapping[str, Any], name: str, error: str = "invalid_arguments") -> Any:
    value = args.get(name)
    if value in (None, ""):
        raise SlackError(error, [f"[ERROR] missing required field: {name}"])
    return value


class FakeSlackApi:
    """An aiohttp server on 127.0.0.1 answering Slack Web API methods under ``/api/``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        auto_users: bool = False,
        validate_blocks: bool = True,
        ts_base: int = 1726500000,
    ) -> None:
        self.host = host
        self.port = port
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.auto_users = auto_users
        self.validate_blocks = validate_blocks
        self.ts_base = ts_base
        self.calls: list[RecordedCall] = []
        self.rejected_calls: list[RecordedCall] = []
        self.responses: list[RecordedResponse] = []
        self.posted_messages: list[PostedMessage] = []
        self.ephemeral_messages: list[PostedMessage] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, tuple[list[str], bool]] = {}  # id -> (users, disabled)
        self.files: dict[str, UploadedFile] = {}
        self._messages: dict[tuple[str, str], PostedMessage] = {}
        self._open_dms: set[str] = set()
        self._user_failures: dict[str, tuple[str, frozenset[str]]] = {}
        self._injections: dict[str, deque[_Injection]] = defaultdict(deque)
        self._rate_limits: dict[str, _RateLimit] = {}
        self.socket_acks: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_tickets: set[str] = set()
        self._socket_ids = itertools.count(1)  # apart from _ids: message ts stay the same
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name}", self._handle_response_url)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/socket/{ticket}", self._handle_socket)
        app.router.add_get("/_fake/stats", self._handle_stats)
        app.router.add_get("/_fake/calls", self._handle_calls)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for socket in self._sockets:
            if not socket.closed:
                await socket.close(code=WSCloseCode.GOING_AWAY, message=b"fake stopping")
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
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as ``AsyncWebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        """A ``response_url`` on this server; POSTs to it land in :attr:`responses`."""
        return f"{self.url}/response/{quote(name, safe='')}"

    # ------------------------------------------------------------------ configuration

    def add_user(
        self,
        user_id: str,
        real_name: str | None = None,
        display_name: str = "",
        locale: str = "en-US",
        tz: str = "Europe/Paris",
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Register a user returned by ``users.info``; returns the stored user object."""
        real_name = real_name or f"User {user_id}"
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "image_72": f"https://avatars.example.invalid/{user_id}_72.png",
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": (display_name or real_name).lower().replace(" ", "."),
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": datetime.now(ZoneInfo(tz)).tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": self.ts_base,
            "locale": locale,
        }
        self.users[user_id] = user
        return user

    def add_usergroup(self, group_id: str, users: list[str], *, disabled: bool = False) -> None:
        """Register a user group (``S...``) for ``usergroups.users.list``."""
        self.usergroups[group_id] = (list(users), disabled)

    def fail_for_user(
        self,
        user_or_channel_id: str,
        error: str,
        methods: tuple[str, ...] = ("chat.postMessage",),
    ) -> None:
        """Make posts to this user's DM (or channel) answer ``{"ok": false, "error": error}``."""
        self._user_failures[_resolve_channel(user_or_channel_id)] = (error, frozenset(methods))

    def fail_next(
        self,
        method: str,
        error: str,
        status: int = 200,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next ``times`` calls to ``method`` fail with ``error`` (HTTP ``status``)."""
        self._injections[method].append(_Injection(error, status, retry_after, times))

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` get HTTP 429 ``ratelimited``."""
        self.fail_next(method, "ratelimited", status=429, times=times, retry_after=retry_after)

    def rate_limit(
        self,
        method: str,
        rate_per_second: float,
        burst: int,
        retry_after: int = 1,
        *,
        per_channel: bool = False,
    ) -> None:
        """Token bucket on ``method`` (workspace-wide, or per channel); excess calls get 429."""
        self._rate_limits[method] = _RateLimit(rate_per_second, burst, retry_after, per_channel)

    def clear_faults(self) -> None:
        """Remove every failure injection and rate limit."""
        self._user_failures.clear()
        self._injections.clear()
        self._rate_limits.clear()

    def reset(self) -> None:
        """Forget all recorded traffic and state (users and faults are kept)."""
        self.calls.clear()
        self.rejected_calls.clear()
        self.responses.clear()
        self.posted_messages.clear()
        self.ephemeral_messages.clear()
        self._messages.clear()
        self.views.clear()
        self.home_views.clear()
        self._open_dms.clear()
        self.files.clear()
        self.socket_acks.clear()

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def responses_to(self, name: str) -> list[RecordedResponse]:
        return [response for response in self.responses if response.name == name]

    def messages_by_channel(self) -> dict[str, list[PostedMessage]]:
        """Posted messages grouped by (resolved ``D…``/``C…``) channel, in posting order."""
        grouped: dict[str, list[PostedMessage]] = defaultdict(list)
        for message in self.posted_messages:
            grouped[message.channel].append(message)
        return dict(grouped)

    def messages_in(self, channel: str) -> list[PostedMessage]:
        """Messages in a channel; a user id ``U…`` means that user's DM with the bot."""
        resolved = _resolve_channel(channel)
        return [message for message in self.posted_messages if message.channel == resolved]

    def last_message(self, channel: str) -> PostedMessage | None:
        messages = self.messages_in(channel)
        return messages[-1] if messages else None

    def message(self, channel: str, ts: str) -> PostedMessage | None:
        return self._messages.get((_resolve_channel(channel), ts))

    # The brief's API is wait_for(predicate, timeout=...); asyncio.timeout would read worse here.
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
                seen = [call.method for call in self.calls]
                raise TimeoutError(f"condition not met within {timeout}s; calls so far: {seen}")
            await asyncio.sleep(0.01)

    def stats(self) -> dict[str, Any]:
        return {
            "accepted": dict(Counter(call.method for call in self.calls)),
            "rejected": dict(Counter(call.method for call in self.rejected_calls)),
            "messages": len(self.posted_messages),
            "responses": len(self.responses),
        }

    def call_log(self, method: str | None = None) -> list[dict[str, Any]]:
        """Every call (accepted and rate-limited) to ``method`` (or to any method), in arrival
        order, as small JSON-ready records: enough to count messages per person without the
        message bodies (``GET /_fake/calls?method=...`` serves the same)."""
        calls = [
            call
            for call in itertools.chain(self.calls, self.rejected_calls)
            if method is None or call.method == method
        ]
        calls.sort(key=lambda call: call.timestamp)
        records: list[dict[str, Any]] = []
        for call in calls:
            channel = str(call.args.get("channel", ""))
            records.append(
                {
                    "method": call.method,
                    "channel": channel,
                    "dm": _resolve_channel(channel),
                    "status": call.status,
                    "ok": call.ok,
                    "error": call.response.get("error"),
                    "ts": call.response.get("ts"),
                    "time": call.timestamp,
                }
            )
        return records

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode WebSocket connections clients have opened so far."""
        return len(self._sockets)

    async def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        accepts_response_payload: bool = False,
        timeout: float = 5.0,  # noqa: ASYNC109 - same style as wait_for
    ) -> str:
        """Send one envelope to the most recent open connection; return its ``envelope_id``.

        ``type`` is ``events_api``, ``slash_commands`` or ``interactive``; ``payload`` is what
        Slack would POST over HTTP (the slash command's fields, the interactivity payload, the
        ``event_callback`` body). Waits up to ``timeout`` seconds for a client to connect.
        """
        socket = await self._wait_until(self._live_socket, timeout)
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        await socket.send_json(envelope)
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The client's acknowledgement of an envelope (``{"envelope_id": ..., "payload"?}``)."""

        def ack() -> dict[str, Any] | None:
            return next((m for m in self.socket_acks if m.get("envelope_id") == envelope_id), None)

        return await self._wait_until(ack, timeout)

    async def _wait_until(self, find: Callable[[], T | None], timeout: float) -> T:  # noqa: ASYNC109
        found = await self.wait_for(find, timeout)
        assert found is not None  # wait_for returns only a truthy value
        return found

    def _live_socket(self) -> web.WebSocketResponse | None:
        return next((ws for ws in reversed(self._sockets) if not ws.closed), None)

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["ticket"] not in self._socket_tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=404)
        socket = web.WebSocketResponse()  # autoping: answers the SDK's pings with pongs
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": sum(not ws.closed for ws in self._sockets),
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": API_APP_ID},
            }
        )
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                received = json.loads(message.data)
            except ValueError:
                received = {"raw": message.data}
            self.socket_acks.append(received if isinstance(received, dict) else {"raw": received})
        return socket

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        received = time.time()
        method = request.match_info["method"]
        args = await _read_args(request)
        headers = {key.lower(): value for key, value in request.headers.items()}
        token = _bearer(headers.get("authorization")) or args.pop("token", None)
        status, body, extra_headers = self._dispatch(method, args, token)
        call = RecordedCall(method, args, headers, received, status, body)
        (self.rejected_calls if status == 429 else self.calls).append(call)
        return web.json_response(body, status=status, headers=extra_headers)

    def _dispatch(
        self, method: str, args: dict[str, Any], token: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = self._handlers.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        auth_error = _token_error(method, token)
        if auth_error is not None:
            return 200, {"ok": False, "error": auth_error}, {}
        injected = self._take_injection(method)
        if injected is not None:
            return _injected_response(injected)
        limit = self._rate_limits.get(method)
        if limit is not None and not limit.allow(_resolve_channel(str(args.get("channel", "")))):
            return _injected_response(_Injection("ratelimited", 429, limit.retry_after, 1))
        try:
            return 200, {"ok": True, **handler(args)}, {}
        except SlackError as exc:
            body: dict[str, Any] = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            return 200, body, {}

    def _take_injection(self, method: str) -> _Injection | None:
        queue = self._injections.get(method)
        if not queue:
            return None
        injection = queue[0]
        injection.remaining -= 1
        if injection.remaining <= 0:
            queue.popleft()
        return injection

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        headers = {key.lower(): value for key, value in request.headers.items()}
        name = request.match_info["name"]
        self.responses.append(RecordedResponse(name, body, headers, time.time()))
        return web.json_response({"ok": True})

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL ``files.getUploadURLExternal`` handed out: the file's bytes, raw or
        as the ``file`` field of a multipart form; Slack answers ``200 OK - <size>``."""
        upload = self.files.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="Not Found")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            field = form.get("file")
            content = field.file.read() if isinstance(field, web.FileField) else b""
        else:
            content = await request.read()
        upload.content = content
        return web.Response(text=f"OK - {len(content)}")

    async def _handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _handle_calls(self, request: web.Request) -> web.Response:
        log = self.call_log(request.query.get("method") or None)
        return web.json_response({"count": len(log), "calls": log})

    # ------------------------------------------------------------------ helpers for handlers

    def _next_ts(self) -> str:
        micros = next(self._ids) * 100
        return f"{self.ts_base + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _check_user_failure(self, method: str, channel: str) -> None:
        failure = self._user_failures.get(channel)
        if failure is not None and method in failure[1]:
            raise SlackError(failure[0])

    def _check_blocks(self, blocks: Any, max_blocks: int, error: str) -> None:
        if self.validate_blocks and blocks is not None:
            problems = _block_errors(blocks, max_blocks)
            if problems:
                raise SlackError(error, problems)

    def _message_echo(self, args: Mapping[str, Any], ts: str) -> dict[str, Any]:
        echo: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": API_APP_ID,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                echo[key] = args[key]
        return echo

    def _validated_message(self, args: dict[str, Any]) -> str:
        channel = _resolve_channel(str(_require(args, "channel", "channel_not_found")))
        if not any(args.get(key) for key in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        self._check_blocks(args.get("blocks"), MAX_MESSAGE_BLOCKS, "invalid_blocks")
        return channel

    def _new_view(self, args: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
        view = _require(args, "view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", ["[ERROR] view must be an object"])
        self._check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS, "invalid_arguments")
        view_id = extra.pop("id", None) or f"VFAKE{next(self._ids):05d}"
        stored = {
            "type": "modal",
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "blocks": [],
            "state": {"values": {}},
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": view_id,
            **view,
            **extra,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": API_APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
            "hash": f"{self._next_ts()}.{next(self._ids):08x}",
        }
        self.views[view_id] = stored
        return stored

    # ------------------------------------------------------------------ method handlers

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = str(next(self._socket_ids))
        self._socket_tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/socket/{ticket}"}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "advocacy_bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._validated_message(args)
        self._check_user_failure("chat.postMessage", channel)
        ts = self._next_ts()
        message = PostedMessage(channel, ts, args.get("text"), args.get("blocks"), dict(args))
        self.posted_messages.append(message)
        self._messages[(channel, ts)] = message
        if channel.startswith("D"):
            self._open_dms.add(channel)
        return {"channel": channel, "ts": ts, "message": self._message_echo(args, ts)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(_require(args, "channel", "channel_not_found"))
        ts = str(_require(args, "ts", "message_not_found"))
        if not any(message.channel == channel for message in self.posted_messages):
            raise SlackError("channel_not_found")
        message = self._messages.get((channel, ts))
        if message is None:
            raise SlackError("message_not_found")
        self._check_blocks(args.get("blocks"), MAX_MESSAGE_BLOCKS, "invalid_blocks")
        message.history.append(dict(message.args))
        message.args = {**message.args, **args}
        message.text = message.args.get("text")
        message.blocks = message.args.get("blocks")
        return {
            "channel": channel,
            "ts": ts,
            "text": message.text or "",
            "message": self._message_echo(message.args, ts),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._validated_message(args)
        user = str(_require(args, "user", "user_not_found"))
        self._check_user_failure("chat.postEphemeral", _resolve_channel(user))
        ts = self._next_ts()
        self.ephemeral_messages.append(
            PostedMessage(channel, ts, args.get("text"), args.get("blocks"), dict(args))
        )
        return {"message_ts": ts}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = [user for user in str(args.get("users") or "").split(",") if user]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            return {"channel": {"id": "G" + "".join(user[1:4] for user in users)[:10]}}
        channel_id = dm_channel_id(users[0])
        self._check_user_failure("conversations.open", channel_id)
        already_open = channel_id in self._open_dms
        self._open_dms.add(channel_id)
        channel: dict[str, Any] = {"id": channel_id}
        if _truthy(args.get("return_im")):
            channel.update(is_im=True, user=users[0], created=self.ts_base, is_open=True)
        if already_open:
            return {"no_op": True, "already_open": True, "channel": channel}
        return {"channel": channel}

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(_require(args, "filename"))
        length = str(_require(args, "length"))
        if not length.isdigit() or int(length) <= 0:
            raise SlackError("invalid_arguments", ["[ERROR] length must be a positive integer"])
        file_id = f"F{next(self._ids):010d}"
        self.files[file_id] = UploadedFile(file_id, filename, int(length))
        return {"upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _require(args, "files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", ["[ERROR] files must be a JSON array"])
        channel = args.get("channel_id")
        done: list[dict[str, Any]] = []
        for item in files:
            upload = self.files.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload.content is None or upload.completed:
                raise SlackError("file_not_found")
            upload.completed = True
            upload.title = str(item.get("title") or upload.filename)
            upload.channel_id = _resolve_channel(str(channel)) if channel else None
            upload.initial_comment = args.get("initial_comment")
            done.append(
                {
                    "id": upload.id,
                    "name": upload.filename,
                    "title": upload.title,
                    "size": len(upload.content),
                    "ims": [upload.channel_id] if upload.channel_id else [],
                }
            )
        return {"files": done}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(_require(args, "user", "user_not_found"))
        user = self.users.get(user_id)
        if user is None and self.auto_users and _is_user_id(user_id):
            user = self.add_user(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if _truthy(args.get("include_locale")):
            return {"user": dict(user)}
        return {"user": {key: value for key, value in user.items() if key != "locale"}}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        # https://api.slack.com/methods/usergroups.users.list: {"ok": true, "users": [...]};
        # an unknown (or, without include_disabled, disabled) group is "no_such_subteam".
        group_id = str(_require(args, "usergroup"))
        found = self.usergroups.get(group_id)
        if found is None or (found[1] and not _truthy(args.get("include_disabled"))):
            raise SlackError("no_such_subteam")
        return {"users": list(found[0])}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            _require(args, "trigger_id")
        return {"view": self._new_view(args)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        _require(args, "trigger_id")
        return {"view": self._new_view(args)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and external_id:
            matches = [key for key, v in self.views.items() if v.get("external_id") == external_id]
            view_id = matches[-1] if matches else None
        elif not view_id:
            _require(args, "view_id")
        current = self.views.get(str(view_id))
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        keep = {k: current[k] for k in ("previous_view_id", "root_view_id")}
        return {"view": self._new_view(args, id=current["id"], **keep)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(_require(args, "user_id"))
        view = _require(args, "view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments", ["[ERROR] view.type must be home"])
        current = self.home_views.get(user_id)
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        extra = {"id": current["id"]} if current is not None else {}
        published = self._new_view(args, **extra)
        self.home_views[user_id] = published
        return {"view": published}


def _token_error(method: str, token: Any) -> str | None:
    """Slack's answer to a call without a usable token, or None.

    App-level methods take only ``xapp-`` tokens (a bot or user token is
    ``not_allowed_token_type``); every other method takes only bot tokens.
    """
    if not token:
        return "not_authed"
    token = str(token)
    if method in _APP_LEVEL_METHODS:
        if token.startswith(APP_TOKEN_PREFIX):
            return None
        return "not_allowed_token_type" if token.startswith("xox") else "invalid_auth"
    return None if token.startswith(TOKEN_PREFIX) else "invalid_auth"


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    return None


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        else:
            form = await request.post()
            args.update({key: value for key, value in form.items() if isinstance(value, str)})
    return _decode_json_fields(args)


def _injected_response(injection: _Injection) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    if injection.status == 429 or injection.retry_after is not None:
        headers["Retry-After"] = str(injection.retry_after if injection.retry_after else 1)
    return injection.status, {"ok": False, "error": injection.error}, headers


# ---------------------------------------------------------------------- standalone CLI


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeSlackApi(host=args.host, port=args.port, auto_users=True)
    if args.rate is not None:
        burst = args.burst if args.burst is not None else max(1, int(args.rate))
        fake.rate_limit(args.method, args.rate, burst, args.retry_after)
    async with fake:
        sys.stdout.write(fake.base_url + "\n")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        sys.stderr.write(json.dumps(fake.stats()) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Slack Web API standalone.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=None, help="token-bucket rate (calls/s)")
    parser.add_argument("--burst", type=int, default=None, help="token-bucket size")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--method", default="chat.postMessage", help="method to rate-limit")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
