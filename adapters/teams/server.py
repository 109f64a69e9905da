"""``POST /api/messages``: Teams activities through botbuilder's CloudAdapter.

With ``MICROSOFT_APP_ID`` / ``MICROSOFT_APP_PASSWORD`` set, botbuilder validates the Bot
Framework JWT of every request (issuer, signing keys, audience = the app id, the
``serviceurl`` claim) and a bad or missing token gets 401. With no credentials the adapter
runs anonymously, as the Microsoft 365 Agents Playground expects; the bot then accepts
requests from this machine only (loopback), so a deployment that forgot its credentials
cannot be driven by forged activities from outside.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity

from adapters.teams import signing_keys
from adapters.teams.gateway import to_activity
from adapters.teams.translate import to_locale
from bot.views import Notice
from messages.teams import TeamsRenderer

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
MAX_ACTIVITY_BODY = 256_000  # Teams activities are far smaller (a card Submit, a message)


@dataclass(frozen=True)
class TeamsCredentials:
    """The bot's Entra app registration (all empty: anonymous local mode)."""

    app_id: str = ""
    app_password: str = ""
    tenant_id: str = ""
    app_type: str = "MultiTenant"  # MultiTenant, SingleTenant or UserAssignedMSI
    # Where Bot Framework publishes its token signing keys; None: botbuilder's default
    # (public cloud). Other clouds (and the tests) set their own.
    openid_metadata_url: str | None = None

    @property
    def anonymous(self) -> bool:
        """No app id: tokens are neither checked nor sent (local testing only)."""
        return not self.app_id


class _AuthConfiguration:
    """The attribute names botbuilder's configuration reader expects."""

    def __init__(self, credentials: TeamsCredentials) -> None:
        self.APP_ID = credentials.app_id
        self.APP_PASSWORD = credentials.app_password
        self.APP_TYPE = credentials.app_type
        self.APP_TENANTID = credentials.tenant_id
        if credentials.openid_metadata_url:
            # With its own key location, botbuilder also wants the issuer spelled out.
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = credentials.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = BOT_FRAMEWORK_ISSUER


@dataclass
class TeamsEndpoint:
    """The adapter, its credentials and (once the services exist) the bot it runs."""

    adapter: CloudAdapter
    credentials: TeamsCredentials
    bot: ActivityHandler | None = None


def build_endpoint(
    credentials: TeamsCredentials, renderer: TeamsRenderer, default_locale: str
) -> TeamsEndpoint:
    """The CloudAdapter, with token validation unless anonymous, and our last-resort handler
    instead of botbuilder's (which would show the person "The bot encountered an error")."""
    if not credentials.anonymous:
        signing_keys.install()  # botbuilder's own key refresh would block the event loop
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_AuthConfiguration(credentials)))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        logger.error("Teams turn failed", exc_info=error)
        locale = to_locale(turn_context.activity.locale, default_locale)
        try:
            await turn_context.send_activity(to_activity(renderer.notice(Notice("error"), locale)))
        except Exception:
            logger.exception("could not tell the person about an error")

    adapter.on_turn_error = on_turn_error
    return TeamsEndpoint(adapter, credentials)


async def _authenticate(
    endpoint: TeamsEndpoint, activity: dict[str, Any], authorization: str | None
) -> web.Response | None:
    """Check the Bot Framework token before botbuilder runs the turn: botbuilder itself
    answers some forged tokens (an unknown signing key) with an AttributeError, a 500."""
    try:
        await endpoint.adapter.bot_framework_authentication.authenticate_request(
            Activity().deserialize(activity), authorization or ""
        )
    except requests.RequestException:
        # The signing keys could not be fetched: nothing can be verified, so nothing is
        # accepted; Teams retries a 503.
        logger.warning("could not fetch the Bot Framework signing keys; request refused")
        return _bad_request("auth_unavailable", 503)
    except Exception as refused:  # any failure to authenticate is a refusal, never a 500
        logger.warning(
            "refused a Teams request with a bad or missing token (%s: %s)",
            type(refused).__name__,
            str(refused)[:200],
        )
        return _bad_request("unauthenticated", 401)
    return None


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _bad_request(error: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def teams_messages_handler(
    endpoint: TeamsEndpoint | None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``POST /api/messages``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if endpoint is None or endpoint.bot is None:
            return _bad_request("teams_not_configured", 503)
        if endpoint.credentials.anonymous and not _is_loopback(request.remote):
            logger.warning(
                "refused a Teams request from %s: no MICROSOFT_APP_ID is set, so only "
                "local requests are accepted",
                request.remote,
            )
            return _bad_request("unauthenticated", 401)
        if request.content_length and request.content_length > MAX_ACTIVITY_BODY:
            return _bad_request("too_large", 413)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _bad_request("unsupported_media_type", 415)
        body = await request.read()
        if len(body) > MAX_ACTIVITY_BODY:
            return _bad_request("too_large", 413)
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            logger.warning("refused a Teams request that is not an activity")
            return _bad_request("malformed_activity")
        if not endpoint.credentials.anonymous:
            refusal = await _authenticate(endpoint, parsed, request.headers.get("Authorization"))
            if refusal is not None:
                return refusal
        try:
            response = await endpoint.adapter.process(request, endpoint.bot)
        except (web.HTTPUnauthorized, PermissionError, jwt.PyJWTError) as refused:
            # A missing token, a token that is not a JWT, a bad signature, issuer, audience
            # or service URL: botbuilder raises one of these, never a reply to the caller.
            logger.warning(
                "refused a Teams request with a bad or missing token (%s)", type(refused).__name__
            )
            return _bad_request("unauthenticated", 401)
        return response if response is not None else web.Response(status=201)

    return handle
