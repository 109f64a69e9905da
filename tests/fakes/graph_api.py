"""A local fake of Microsoft Graph and of the Microsoft identity platform's token endpoint,
speaking their real HTTP protocol, for the Teams roles read from Microsoft Entra groups.

Routes (one server plays both hosts; point ``login_url`` and ``graph_url`` at ``base_url``):

* ``POST /{tenant}/oauth2/v2.0/token`` (form: ``grant_type=client_credentials``,
  ``client_id``, ``client_secret``, ``scope=<graph>/.default``) -> ``{"token_type": "Bearer",
  "expires_in": 3599, "ext_expires_in": 3599, "access_token": ...}``. A wrong secret is
  ``401 {"error": "invalid_client", ...}``, an unknown tenant ``400 invalid_request``, a
  scope other than ``.default`` ``400 invalid_scope``.
* ``GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user`` (``$select``, ``$top``
  up to 999, default 100; ``$count=true`` needs ``ConsistencyLevel: eventual``): the users of
  the group and of its nested groups, ``{"@odata.context", "value": [{"id"}...],
  "@odata.nextLink"}`` while more remain (``$skiptoken``). A missing, unknown or revoked
  bearer token is ``401 InvalidAuthenticationToken``; an unknown group ``404
  Request_ResourceNotFound``; throttling ``429 TooManyRequests`` with ``Retry-After``.

Errors use Graph's envelope ``{"error": {"code", "message", "innerError"}}``.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import web

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "00000000-0000-4000-8000-00000000b07a"
CLIENT_SECRET = "not-a-real-secret"
MAX_TOP = 999
DEFAULT_TOP = 100


@dataclass
class Group:
    """A group: its direct user members and nested groups."""

    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


class FakeGraph:
    """An aiohttp server on 127.0.0.1 answering the token endpoint and Graph's group routes."""

    def __init__(self, *, tenant: str = TENANT, client_id: str = CLIENT_ID) -> None:
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = CLIENT_SECRET
        self.groups: dict[str, Group] = {}
        self.tokens: set[str] = set()
        self.page_size: int | None = None  # fewer than $top per page, as Graph may do
        self.calls: Counter[str] = Counter()
        self.requests: list[web.Request] = []
        self._throttles: list[int] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- set-up --------------------------------------------------------------------------

    def add_group(self, group_id: str, users: list[str], groups: list[str] | None = None) -> None:
        """A group with these user object ids and nested group ids."""
        self.groups[group_id] = Group(list(users), list(groups or []))

    def throttle_next(self, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` Graph calls answer 429 with ``Retry-After``."""
        self._throttles.extend([retry_after] * times)

    def revoke_tokens(self) -> None:
        """Every token given so far stops working (401), as after a key rollover."""
        self.tokens.clear()

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get(
            "/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user", self._members
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

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

    # ---- routes --------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        self.calls["token"] += 1
        form = await request.post()
        if request.match_info["tenant"] != self.tenant:
            return _oauth_error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "AADSTS70003")
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        scope = str(form.get("scope") or "")
        if not scope.endswith("/.default"):
            return _oauth_error(400, "invalid_scope", "AADSTS1002012: use /.default")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    async def _members(self, request: web.Request) -> web.Response:
        self.calls["members"] += 1
        self.requests.append(request)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if self._throttles:
            retry_after = self._throttles.pop(0)
            response = _graph_error(429, "TooManyRequests", "Too many requests.")
            response.headers["Retry-After"] = str(retry_after)
            return response
        query = request.query
        if query.get("$count") == "true" and request.headers.get("ConsistencyLevel") != (
            "eventual"
        ):
            return _graph_error(400, "Request_BadRequest", "$count needs ConsistencyLevel.")
        group_id = request.match_info["group"]
        if group_id not in self.groups:
            return _graph_error(404, "Request_ResourceNotFound", f"'{group_id}' does not exist.")
        top = min(int(query.get("$top", DEFAULT_TOP)), MAX_TOP)
        size = min(top, self.page_size or top)
        skip = int(query.get("$skiptoken", "0"))
        users = self._transitive_users(group_id)
        page = users[skip : skip + size]
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id)",
            "value": [{"id": user_id} for user_id in page],
        }
        if query.get("$count") == "true":
            body["@odata.count"] = len(users)
        if skip + size < len(users):
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(skip + size)
            body["@odata.nextLink"] = f"{self.base_url}{request.path}?{urlencode(rest)}"
        return web.json_response(body)

    def _transitive_users(self, group_id: str) -> list[str]:
        seen_groups: set[str] = set()
        users: dict[str, None] = {}
        pending = [group_id]
        while pending:
            current = pending.pop(0)
            if current in seen_groups or current not in self.groups:
                continue
            seen_groups.add(current)
            users.update(dict.fromkeys(self.groups[current].users))
            pending.extend(self.groups[current].groups)
        return list(users)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": description, "error_codes": [0]}, status=status
    )


def _graph_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {"request-id": secrets.token_hex(8)},
            }
        },
        status=status,
    )
