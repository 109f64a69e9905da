"""Bot Framework's token signing keys, fetched without blocking the event loop.

botbuilder 4.17 keeps the keys in ``JwtTokenExtractor.metadataCache`` and refreshes them
(once a day, and at most once an hour for an unknown key id) with ``requests.get`` and no
timeout, *inside* the coroutine that checks a token. On our one-process server that stalls
every Slack request, redirect and send for as long as Microsoft's endpoint takes to answer,
and forever if it hangs.

:func:`install` swaps the cache's factory for :class:`NonBlockingOpenIdMetadata`: the same
behaviour (same cache ages, same key lookup), but the refresh runs in a worker thread with a
timeout, and concurrent refreshes of one URL share a single fetch. A failed refresh raises
``requests.RequestException`` as before, so the endpoint still answers 503 and Teams retries.

This reaches into a private botbuilder class; it is pinned (botbuilder-core==4.17.0), and
``tests/adapters/teams/test_auth.py`` proves the loop keeps running during a slow fetch, so
a botbuilder change that breaks the patch fails the tests rather than production.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import requests
from botframework.connector.auth import jwt_token_extractor
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

FETCH_TIMEOUT_SECONDS = 10.0


class NonBlockingOpenIdMetadata(jwt_token_extractor._OpenIdMetadata):  # type: ignore[misc]
    """botbuilder's key cache, refreshed in a worker thread with a timeout."""

    def __init__(self, url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> None:
        super().__init__(url)
        self.timeout = timeout
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._refreshes = 0

    async def _refresh(self) -> None:
        seen = self._refreshes
        # One lock per event loop: the cache outlives loops (tests run one per test).
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if self._refreshes != seen:  # another request refreshed while this one waited
                return
            keys = await asyncio.to_thread(self._fetch)
            # botbuilder compares with naive local time; keep its convention.
            self.last_updated = jwt_token_extractor.datetime.now()
            self.keys = keys
            self._refreshes += 1

    def _fetch(self) -> list[dict[str, Any]]:
        response = requests.get(self.url, timeout=self.timeout)
        response.raise_for_status()
        keys_url = response.json()["jwks_uri"]
        response_keys = requests.get(keys_url, timeout=self.timeout)
        response_keys.raise_for_status()
        keys: list[dict[str, Any]] = response_keys.json()["keys"]
        return keys


def _metadata_for(metadata_url: str) -> NonBlockingOpenIdMetadata:
    cache = JwtTokenExtractor.metadataCache
    found = cache.get(metadata_url)
    if not isinstance(found, NonBlockingOpenIdMetadata):
        found = NonBlockingOpenIdMetadata(metadata_url)
        cache[metadata_url] = found
    return found


def install() -> None:
    """Make every token check in this process use :class:`NonBlockingOpenIdMetadata`."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_metadata_for)
