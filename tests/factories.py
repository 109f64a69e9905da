"""Builders of realistic, signed Slack HTTP requests (no network).

Each builder returns a :class:`SignedRequest` whose ``body``/``headers`` can be POSTed as-is to
the app's ``/slack/events`` endpoint, or fed to ``AsyncBoltRequest(body=req.text,
headers=req.headers)``. Payload shapes follow Slack's (platform-facts §1.5); signatures follow
v0 (§1.3): ``v0=HMAC_SHA256(secret, "v0:{timestamp}:{raw_body}")``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import (
    API_APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    dm_channel_id,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "gIkuvaNzQIHg97ATvDxqgjtO"
DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T0A1B2C3D/7712345678/Xyz123AbC"
STALE_SECONDS = 600

_sequence = itertools.count(1)


@dataclass(frozen=True)
class SignedRequest:
    """A signed Slack request: POST ``body`` with ``headers`` (which include Content-Type)."""

    body: bytes
    headers: dict[str, str]
    content_type: str
    secret: str = field(repr=False)
    timestamp: int

    @property
    def text(self) -> str:
        return self.body.decode()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two Slack signature headers for ``body`` at ``timestamp`` (default: now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def _signed(
    body: bytes,
    content_type: str,
    secret: str,
    timestamp: int | None,
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    signature = sign(body, secret, timestamp)
    headers = {"Content-Type": content_type, **signature, **(extra_headers or {})}
    ts = int(signature["X-Slack-Request-Timestamp"])
    return SignedRequest(body, headers, content_type, secret, ts)


def _form_request(fields: dict[str, str], secret: str, timestamp: int | None) -> SignedRequest:
    return _signed(urlencode(fields).encode(), FORM, secret, timestamp)


def _interactive(payload: dict[str, Any], secret: str, timestamp: int | None) -> SignedRequest:
    """Interactivity payloads travel as a form with one ``payload=<json>`` field."""
    return _form_request({"payload": json.dumps(payload)}, secret, timestamp)


def _trigger_id() -> str:
    n = next(_sequence)
    return f"{7712345678901 + n}.1234567890.{n:032x}"


def _event_ts() -> str:
    return f"{int(time.time())}.{next(_sequence):06d}"


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _envelope(team_id: str) -> dict[str, Any]:
    """Fields shared by every interactivity payload."""
    return {
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": _trigger_id(),
        "enterprise": None,
        "is_enterprise_install": False,
    }


def slash_command(
    text: str,
    *,
    user_id: str,
    secret: str,
    team_id: str = TEAM_ID,
    channel_id: str = "C07COMMS01",
    command: str = "/advocacy",
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "comms-team",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return _form_request(fields, secret, timestamp)


def block_actions(
    *,
    user_id: str,
    action_id: str,
    value: str,
    secret: str,
    block_id: str = "b",
    url: str | None = None,
    channel_id: str = "D06BOBDM01",
    message_ts: str = "1726500000.000100",
    team_id: str = TEAM_ID,
    action_ts: str | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0A1B2C3D/7712399999/AbCdEf",
    timestamp: int | None = None,
) -> SignedRequest:
    action: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
        "value": value,
        "action_ts": action_ts or _event_ts(),
    }
    if url is not None:
        action["url"] = url
    payload = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        **_envelope(team_id),
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "channel": {"id": channel_id, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "",
            "ts": message_ts,
            "blocks": [],
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    return _interactive(payload, secret, timestamp)


def view_submission(
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    secret: str,
    private_metadata: str = "",
    team_id: str = TEAM_ID,
    view_id: str = "V07MODAL01",
    timestamp: int | None = None,
) -> SignedRequest:
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "hash": f"{int(time.time())}.{next(_sequence):08x}",
        "state": {"values": values},
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": API_APP_ID,
        "bot_id": BOT_ID,
    }
    payload = {
        "type": "view_submission",
        "user": _user(user_id, team_id),
        **_envelope(team_id),
        "view": view,
        "response_urls": [],
    }
    return _interactive(payload, secret, timestamp)


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str,
    secret: str,
    team_id: str = TEAM_ID,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    timestamp: int | None = None,
) -> SignedRequest:
    event_time = int(time.time()) if timestamp is None else timestamp
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    retry_headers = {}
    if retry_num is not None:
        retry_headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
    return _signed(json.dumps(envelope).encode(), JSON, secret, timestamp, retry_headers)


def reaction_event(
    added: bool,
    *,
    user_id: str,
    reaction: str,
    channel: str,
    ts: str,
    item_user: str | None = BOT_USER_ID,
) -> dict[str, Any]:
    """Inner ``reaction_added``/``reaction_removed`` event (``item_user=None`` omits it)."""
    event: dict[str, Any] = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user_id,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": _event_ts(),
    }
    if item_user is not None:
        event["item_user"] = item_user
    return event


def app_home_opened_event(
    user_id: str,
    *,
    channel: str | None = None,
    tab: str = "home",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inner ``app_home_opened`` event; ``view`` is absent until a Home view is published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel or dm_channel_id(user_id),
        "tab": tab,
        "event_ts": _event_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


def forged(req: SignedRequest) -> SignedRequest:
    """The same request with one hex digit of its signature flipped."""
    signature = req.headers["X-Slack-Signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return dataclasses.replace(req, headers={**req.headers, "X-Slack-Signature": flipped})


def stale(req: SignedRequest) -> SignedRequest:
    """The same body, correctly re-signed, but with a timestamp 10 minutes in the past."""
    ts = int(time.time()) - STALE_SECONDS
    return dataclasses.replace(
        req, headers={**req.headers, **sign(req.body, req.secret, ts)}, timestamp=ts
    )


def home_block_actions(
    *,
    user_id: str,
    action_id: str,
    value: str,
    secret: str,
    team_id: str = TEAM_ID,
    view_id: str = "VHOME00001",
) -> SignedRequest:
    """A button clicked in the App Home tab: the container is the home view, not a message
    (no response_url, no channel)."""
    payload = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        **_envelope(team_id),
        "container": {"type": "view", "view_id": view_id},
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "home",
            "callback_id": "",
            "private_metadata": "",
            "blocks": [],
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(_sequence):08x}",
            "app_id": API_APP_ID,
            "bot_id": BOT_ID,
        },
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "action_ts": _event_ts(),
            }
        ],
    }
    return _interactive(payload, secret, None)
