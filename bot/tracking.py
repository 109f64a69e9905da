"""Tracked links: opaque tokens, and the UTM-tagged destination they redirect to."""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.model import Content, Network

TOKEN_BYTES = 12
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
UTM_MEDIUM = "employee_advocacy"


def new_token() -> str:
    """A fresh unguessable token (96 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_ref() -> str:
    """A fresh opaque ambassador reference for ``utm_content``."""
    return secrets.token_hex(6)


def is_well_formed_token(token: str) -> bool:
    """Cheap check before any database lookup."""
    return TOKEN_PATTERN.fullmatch(token) is not None


def tracked_url(public_url: str, token: str) -> str:
    """The public tracked link for a token."""
    return f"{public_url.rstrip('/')}/r/{token}"


def share_click_url(public_url: str, token: str) -> str:
    """The redirect that counts a share click, then opens the network's share page."""
    return f"{public_url.rstrip('/')}/s/{token}"


def slugify(text: str, *, limit: int = 40) -> str:
    """ASCII lowercase words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def campaign(content: Content) -> str:
    """The ``utm_campaign`` of a content: its slug and id, stable and readable."""
    slug = slugify(content.title)
    return f"{slug}-{content.id}" if slug else f"content-{content.id}"


def destination(content: Content, *, network: Network, ambassador_ref: str) -> str:
    """The content URL with UTM tags added (tags the curator already set are kept)."""
    parts = urlsplit(content.url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    utm = {
        "utm_source": network.value,
        "utm_medium": UTM_MEDIUM,
        "utm_campaign": campaign(content),
        "utm_content": ambassador_ref,
    }
    query.extend((k, v) for k, v in utm.items() if k not in present)
    return urlunsplit(parts._replace(query=urlencode(query)))


# Crawlers and link-preview fetchers name themselves (LinkedInBot, Twitterbot, Slackbot,
# facebookexternalhit, WhatsApp/2.x, SkypeUriPreview...). In-app browsers do not match:
# "[LinkedInApp]" is a person reading in the LinkedIn app.
_BOT_AGENTS = re.compile(
    r"bot\b|bot/|crawler|spider|slurp|facebookexternalhit|facebookcatalog|embedly|"
    r"preview|iframely|curl/|wget/|python-|httpclient|headless|whatsapp/|okhttp|"
    r"go-http-client|axios/|java/|libwww|"
    # Link previews that do not say "bot" (Mastodon servers, Bluesky's card fetcher, Teams
    # and Skype, iMessage) and more HTTP libraries (added with issue 6, bot/links.py).
    r"mastodon/|http\.rb/|cardyb|skypeuripreview|microsoftpreview|google-inspectiontool|"
    r"node-fetch|undici|httpx/|aiohttp/|scrapy|ahrefs|semrush|petalbot|yandex|baiduspider|"
    r"pinterest|vkshare|w3c_validator|lighthouse|pagespeed|facebookplatform",
    re.IGNORECASE,
)


def is_probably_bot(user_agent: str | None) -> bool:
    """Link-preview crawlers and scripts, whose visits are not human clicks."""
    return not user_agent or bool(_BOT_AGENTS.search(user_agent))
