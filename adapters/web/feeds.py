"""RSS 2.0 and Atom feeds, fetched as safely as link previews and parsed with feedparser.

:class:`SafeFeedFetcher` reuses :class:`SafePageFetcher`'s guarded fetching (public
addresses only, the checked address pinned, redirects checked hop by hop, a time bound on
the whole fetch and a size cap on the body, compressed or not) and adds conditional GET
(``If-None-Match`` / ``If-Modified-Since``). feedparser only ever sees the bytes we read: it
never fetches anything itself. Nothing the remote side does raises: the result says why a
feed could not be read, and the poll job tries again next time.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Final

import feedparser
import httpx

from adapters.web.opengraph import (
    _REDIRECT_STATUSES,
    SafePageFetcher,
    _BodyDecoder,
    _read_capped,
    _Refused,
)
from bot.model import FeedFetchResult, FeedItem, FeedState

logger = logging.getLogger(__name__)

MAX_ITEMS: Final = 200  # entries read from one feed (newest first in practice)
MAX_TEXT: Final = 2_000  # characters kept of an entry's title or summary
_FEED_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)


class SafeFeedFetcher(SafePageFetcher):
    """Fetches and parses feeds; implements :class:`bot.ports.FeedFetcher`.

    Takes the same arguments as :class:`SafePageFetcher` (``allow_private_addresses`` only
    in tests that serve a feed from this machine).
    """

    async def fetch_feed(self, url: str, state: FeedState) -> FeedFetchResult:
        """Fetch ``url`` with the validators of the last poll and parse what came back."""
        try:
            start = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            return FeedFetchResult(state=state, error="unparseable URL")
        transport = self._transport or self._new_transport()
        try:
            async with asyncio.timeout(self._timeout_seconds):
                return await self._fetch_feed(start, state, transport)
        except _Refused as refusal:
            logger.warning("feed at %s refused: %s", start.host, refusal)
            return FeedFetchResult(state=state, error=f"refused: {refusal}")
        except TimeoutError:
            logger.warning("feed at %s timed out", start.host)
            return FeedFetchResult(state=state, error="timeout")
        except (
            httpx.HTTPError,
            httpx.InvalidURL,
            httpx.StreamError,
            OSError,
            UnicodeError,
            ValueError,
            zlib.error,
        ) as exc:
            logger.warning("feed at %s failed: %s", start.host, type(exc).__name__)
            return FeedFetchResult(state=state, error=type(exc).__name__)
        finally:
            if self._transport is None:
                await transport.aclose()

    async def _fetch_feed(
        self, start: httpx.URL, state: FeedState, transport: httpx.AsyncBaseTransport
    ) -> FeedFetchResult:
        current = start
        for _hop in range(self._max_redirects + 1):
            addresses = await self._checked_addresses(current)
            response = await self._send_conditional(current, addresses, transport, state)
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise _Refused(f"HTTP {response.status_code} without a Location")
                    current = current.join(location.strip())
                    continue
                if response.status_code == 304:
                    return FeedFetchResult(state=state, not_modified=True)
                if not response.is_success:
                    return FeedFetchResult(state=state, error=f"HTTP {response.status_code}")
                body = await self._body(response)
                fresh = FeedState(
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
                # Parsing a feed near the size cap takes a few hundred ms of CPU (measured:
                # 0.4 s for 1 MB): off the event loop that answers Slack and the redirects.
                items, error = await asyncio.to_thread(
                    parse_feed, body, str(current), dict(response.headers)
                )
                return FeedFetchResult(items=tuple(items), state=fresh, error=error)
            finally:
                await response.aclose()
        raise _Refused(f"more than {self._max_redirects} redirects")

    async def _body(self, response: httpx.Response) -> bytes:
        if response.is_stream_consumed:  # transports that return read responses (mocks)
            return response.content[: self._max_bytes]
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        decoder = _BodyDecoder.for_encoding(encoding)
        if decoder is None:
            raise ValueError(f"unsupported content encoding {encoding!r}")
        return await _read_capped(response, decoder, self._max_bytes)

    async def _send_conditional(
        self,
        url: httpx.URL,
        addresses: Sequence[str],
        transport: httpx.AsyncBaseTransport,
        state: FeedState,
    ) -> httpx.Response:
        """The link preview's pinned GET, asking only for what changed since ``state``."""
        headers = {"Accept": _FEED_ACCEPT}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return await self._send(url, addresses, transport, headers)


def parse_feed(
    body: bytes, base_url: str, headers: Mapping[str, str] | None = None
) -> tuple[list[FeedItem], str | None]:
    """Parse RSS 2.0 / Atom bytes into items (at most :data:`MAX_ITEMS`).

    Returns:
        The items with a link, and an error when nothing could be read (malformed XML with
        no entry at all). A feed that is only partly well-formed (cut by the size cap) gives
        the entries before the break.
    """
    response_headers = {"content-location": base_url}
    if headers is not None and headers.get("content-type"):
        response_headers["content-type"] = headers["content-type"]
    parsed: Any = feedparser.parse(body, response_headers=response_headers)
    items: list[FeedItem] = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = _text(entry.get("link"))
        if not link:
            continue
        key = _text(entry.get("id")) or link
        items.append(
            FeedItem(
                key=key[:2000],
                url=link,
                title=_plain(_text(entry.get("title")))[:MAX_TEXT],
                summary=_plain(_text(entry.get("summary")))[:MAX_TEXT],
                published_at=_moment(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
        )
    if not items and parsed.get("bozo"):
        return [], f"malformed feed: {type(parsed.get('bozo_exception')).__name__}"
    if not items and not parsed.get("version"):
        return [], "malformed feed: neither RSS nor Atom"
    return items, None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _moment(value: object) -> datetime | None:
    if isinstance(value, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


class _TextOnly(HTMLParser):
    """The text of an HTML fragment (feed summaries are HTML), whitespace folded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain(html: str) -> str:
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
