"""Microsoft Graph, just enough to read who is in a Microsoft Entra (Azure AD) group.

The bot's own app registration (``MICROSOFT_APP_ID`` / ``MICROSOFT_APP_PASSWORD``) gets an
app-only token with the client-credentials flow
(``POST {login}/{tenant}/oauth2/v2.0/token``, scope ``{graph}/.default``) and lists
``GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user?$select=id`` page by page
(``@odata.nextLink``). The app needs the **GroupMember.Read.All** application permission,
with admin consent. Plain httpx: no botbuilder here.

:class:`TeamsGroupDirectory` is the ``GroupDirectory`` port for Teams: a Teams user's
directory id is their Entra object id (``aadObjectId``), read from the conversation
reference the bot stored when the person installed the app or wrote to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx

from bot.model import Platform, PlatformUser
from bot.ports import AddressBook

logger = logging.getLogger(__name__)

MAX_PAGES = 200  # 999 per page: ~200,000 people, far beyond any group of curators
MAX_RETRY_AFTER = 10.0  # a longer Retry-After fails this read; the last known list stays
MAX_ATTEMPTS = 3
TOKEN_MARGIN = 120.0  # renew a token this many seconds before it expires


class GraphError(Exception):
    """Microsoft Graph or its token endpoint refused or failed (never holds a secret)."""


class GraphClient:
    """App-only Microsoft Graph calls for one tenant."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        login_url: str = "https://login.microsoftonline.com",
        graph_url: str = "https://graph.microsoft.com",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tenant = tenant_id
        self._client_id = client_id
        self._secret = client_secret
        self._http = http
        self._login = login_url.rstrip("/")
        self._graph = graph_url.rstrip("/")
        self._sleep = sleep
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    async def group_member_ids(self, group_id: str) -> frozenset[str]:
        """The object ids of every user in the group, nested groups included.

        Raises:
            GraphError: any refusal or failure (unknown group, missing permission, throttled
                for longer than :data:`MAX_RETRY_AFTER`, a page link off Graph).
        """
        url: str | None = (
            f"{self._graph}/v1.0/groups/{quote(group_id, safe='')}"
            "/transitiveMembers/microsoft.graph.user?$select=id&$top=999&$count=true"
        )
        members: set[str] = set()
        for _ in range(MAX_PAGES):
            if url is None:
                return frozenset(members)
            page = await self._get(url)
            for item in page.get("value") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    members.add(item["id"])
            link = page.get("@odata.nextLink")
            if link is not None and not (
                isinstance(link, str) and link.startswith(f"{self._graph}/")
            ):
                raise GraphError("a next page link that is not on Microsoft Graph")
            url = link
        raise GraphError(f"more than {MAX_PAGES} pages of members")

    async def _get(self, url: str) -> dict[str, Any]:
        renewed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            token = await self._access_token(renew=False)
            try:
                response = await self._http.get(
                    url,
                    headers={"Authorization": f"Bearer {token}", "ConsistencyLevel": "eventual"},
                )
            except httpx.HTTPError as error:
                raise GraphError(f"Graph unreachable: {type(error).__name__}") from error
            if response.status_code == 200:
                return _json(response)
            if response.status_code == 401 and not renewed:
                renewed = True  # an expired or revoked token: get a new one, once
                await self._access_token(renew=True)
                continue
            if response.status_code in (429, 503, 504) and attempt < MAX_ATTEMPTS:
                wait = _retry_after(response)
                if wait <= MAX_RETRY_AFTER:
                    logger.info("Graph asked to wait %.1f s (%s)", wait, response.status_code)
                    await self._sleep(wait)
                    continue
            raise GraphError(f"Graph answered {response.status_code} {_error_code(response)}")
        raise GraphError("Graph kept refusing")

    async def _access_token(self, *, renew: bool) -> str:
        async with self._token_lock:
            if not renew and self._token and self._monotonic() < self._token_until:
                return self._token
            try:
                response = await self._http.post(
                    f"{self._login}/{quote(self._tenant, safe='')}/oauth2/v2.0/token",
                    data={
                        "client_id": self._client_id,
                        "client_secret": self._secret,
                        "scope": f"{self._graph}/.default",
                        "grant_type": "client_credentials",
                    },
                )
            except httpx.HTTPError as error:
                raise GraphError(f"token endpoint unreachable: {type(error).__name__}") from error
            if response.status_code != 200:
                raise GraphError(
                    f"token endpoint answered {response.status_code} {_error_code(response)}"
                )
            body = _json(response)
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise GraphError("token endpoint answered without an access token")
            expires = body.get("expires_in")
            lifetime = float(expires) if isinstance(expires, int | float | str) else 3600.0
            self._token = token
            self._token_until = self._monotonic() + max(0.0, lifetime - TOKEN_MARGIN)
            return token


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise GraphError("an answer that is not JSON") from error
    if not isinstance(body, dict):
        raise GraphError("an answer that is not a JSON object")
    return body


def _error_code(response: httpx.Response) -> str:
    """The error code of a Graph or token error (``Request_ResourceNotFound``,
    ``invalid_client``...), never its description (it may echo a request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or "")[:80]
    return str(error or "")[:80]


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class TeamsGroupDirectory:
    """``GroupDirectory`` for Teams: Entra groups through Graph, and each person's Entra
    object id from their stored conversation reference."""

    def __init__(self, graph: GraphClient | None, addresses: AddressBook) -> None:
        self._graph = graph
        self._addresses = addresses

    async def members(self, group_id: str) -> frozenset[str]:
        """The Entra object ids of the group's users (nested groups included).

        Raises:
            GraphError: Graph failed, or no Graph credentials are configured.
        """
        if self._graph is None:
            raise GraphError("no Microsoft Graph credentials to read groups with")
        return await self._graph.group_member_ids(group_id)

    async def directory_id(self, user: PlatformUser) -> str | None:
        """The person's ``aadObjectId``, as Teams gave it in their conversation reference
        (stored when they installed the app or wrote to the bot); None before that."""
        return await self._reference_field(user, "aadObjectId")

    async def display_name(self, user: PlatformUser) -> str | None:
        """The person's name as Teams gave it in their conversation reference."""
        name = await self._reference_field(user, "name")
        return name[:200] if name else None

    async def _reference_field(self, user: PlatformUser, key: str) -> str | None:
        address = await self._addresses.get(Platform.TEAMS, user.workspace_id, user.user_id)
        if address is None:
            return None
        try:
            reference = json.loads(address.payload)
        except ValueError:
            return None
        person = reference.get("user") if isinstance(reference, dict) else None
        found = person.get(key) if isinstance(person, dict) else None
        return found if isinstance(found, str) and found else None
