"""Tracked links (``/r/<token>``): the redirect, unique visitors, bots apart, and counts.

The redirect does no slow work in the request. It looks the token up (a small LRU cache with
a TTL in front of the database: links never change, only their content's status does), hands
the visit to a :class:`~bot.batching.Batcher` without waiting for the write, and answers. A
crash may lose the visits of the last few milliseconds (those queued, not yet committed), as
for share clicks; a graceful stop writes every queued visit first.

Privacy: no address is stored. A visitor is a *visitor key*, HMAC-SHA256 of the client address
and User-Agent under a salt of the day, truncated to 128 bits. The day's salt is
HMAC-SHA256(secret, "visitor-salt/<UTC date>"); the secret is ``ADVOCACY_VISITOR_SALT`` (shared
by replicas, so a visitor has one key a day whichever replica answers) or, unset, random per
process (a warning at start-up: restarts and replicas then count someone twice). Keys of two
days cannot be joined without the secret, so "unique" means unique per UTC day: over a longer
window the count is the sum of daily uniques. Whoever holds both the secret and the database
could test a guessed address and browser against a key: keep the secret out of the database
and rotate it if it leaks (past keys then stop matching new ones, nothing else breaks).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.batching import Batcher
from bot.model import ContentStatus, LinkGrouping, LinkStats, LinkVisit, TrackedLink
from bot.ports import Clock, LinkVisitLog
from bot.tracking import destination, is_probably_bot, is_well_formed_token

logger = logging.getLogger(__name__)

VISITOR_KEY_HEX = 32  # 128 bits: no collision among the visitors of a day
RETRY_WAIT = 0.2  # seconds before writing a failed batch again (visit ids make it safe)


def is_automated(user_agent: str | None, *, method: str = "GET") -> bool:
    """Whether a request is a crawler, a link preview or a script rather than a person.

    Previews and crawlers name themselves in the User-Agent (``tracking.is_probably_bot``
    keeps the list); an empty User-Agent is a script; a ``HEAD`` request only checks the link
    (browsers never send one for a click).
    """
    return method.upper() == "HEAD" or is_probably_bot(user_agent)


class VisitorKeys:
    """Visitor keys: a salted, truncated HMAC of address and browser, salt rotated daily."""

    def __init__(self, secret: bytes | None) -> None:
        self.ephemeral = secret is None
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._salts: dict[date, bytes] = {}

    def salt_of(self, day: date) -> bytes:
        """The salt of one UTC day (derived, so every replica sharing the secret agrees)."""
        salt = self._salts.get(day)
        if salt is None:
            message = f"visitor-salt/{day.isoformat()}".encode()
            salt = hmac.new(self._secret, message, hashlib.sha256).digest()
            self._salts = {day: salt}  # only today's is ever needed again
        return salt

    def key(self, *, client: str | None, user_agent: str | None, now: datetime) -> str | None:
        """The visitor key of a request at ``now`` (UTC day); None without a client address."""
        if not client:
            return None
        message = f"{client}\n{user_agent or ''}".encode()
        digest = hmac.new(self.salt_of(now.date()), message, hashlib.sha256).hexdigest()
        return digest[:VISITOR_KEY_HEX]


class LinkState(StrEnum):
    """What a tracked link answers."""

    REDIRECT = "redirect"
    EXPIRED = "expired"  # the content was expired by a curator: a friendly page, no redirect
    UNKNOWN = "unknown"  # no such token (or a malformed one): the friendly 404 page


@dataclass(frozen=True)
class LinkRequest:
    """A request for ``/r/<token>``, as the web adapter read it."""

    token: str
    user_agent: str | None
    client: str | None  # the visitor's address (see adapters/web/server.py), never stored
    method: str = "GET"


@dataclass(frozen=True)
class LinkAnswer:
    """Where to send the visitor: ``target`` is set only for ``REDIRECT``, and is always a
    stored content URL with UTM tags."""

    state: LinkState
    target: str | None = None


@dataclass(frozen=True)
class _Resolved:
    link: TrackedLink
    target: str
    expired: bool


class _TtlCache:
    """A small LRU of token lookups, each kept ``ttl`` seconds (misses too: a flood of
    unknown tokens then costs one query per token and TTL)."""

    def __init__(self, *, size: int, ttl: float, monotonic: Callable[[], float]) -> None:
        self._size = size
        self._ttl = ttl
        self._monotonic = monotonic
        self._items: OrderedDict[str, tuple[float, _Resolved | None]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, token: str) -> tuple[bool, _Resolved | None]:
        found = self._items.get(token)
        if found is None or found[0] < self._monotonic():
            self.misses += 1
            return False, None
        self._items.move_to_end(token)
        self.hits += 1
        return True, found[1]

    def put(self, token: str, value: _Resolved | None) -> None:
        self._items[token] = (self._monotonic() + self._ttl, value)
        self._items.move_to_end(token)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class LinkService:
    """Answers tracked links and records their visits; counts them for stats."""

    def __init__(
        self,
        *,
        visits: LinkVisitLog,
        keys: VisitorKeys,
        clock: Clock,
        cache_seconds: float = 60.0,
        cache_size: int = 10_000,
        max_batch: int = 500,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._visits = visits
        self._keys = keys
        self._clock = clock
        self._cache = _TtlCache(size=cache_size, ttl=cache_seconds, monotonic=monotonic)
        self._lookups: dict[str, asyncio.Future[_Resolved | None]] = {}
        self._batch: Batcher[LinkVisit, None] = Batcher(
            self._write, name="visit-batch", max_batch=max_batch
        )

    def start(self) -> None:
        """Write visits in the background, in batches (the server does this; without it each
        visit is written before the answer, which tests rely on)."""
        self._batch.start()

    async def stop(self) -> None:
        """Write every queued visit, then stop."""
        await self._batch.stop()

    @property
    def cache_hits(self) -> tuple[int, int]:
        """(hits, misses) of the token cache, for the benchmark."""
        return self._cache.hits, self._cache.misses

    async def follow(self, request: LinkRequest) -> LinkAnswer:
        """A visit to a tracked link: record it (unless the link is unknown or expired) and
        say where to go.

        The target is built from the stored content URL: the request only selects a row by
        its token, nothing else in it (query string, headers) reaches the answer.
        """
        resolved = await self._resolve(request.token)
        if resolved is None:
            return LinkAnswer(LinkState.UNKNOWN)
        if resolved.expired:
            return LinkAnswer(LinkState.EXPIRED)
        now = self._clock.now()
        bot = is_automated(request.user_agent, method=request.method)
        link = resolved.link
        visit = LinkVisit(
            visit_id=secrets.token_hex(12),
            token=link.token,
            content_id=link.content_id,
            ambassador_id=link.ambassador_id,
            network=link.network,
            is_bot=bot,
            # Bots are counted, not told apart: no key for them.
            visitor_key=None
            if bot
            else self._keys.key(client=request.client, user_agent=request.user_agent, now=now),
            visited_at=now,
        )
        if not self._batch.offer(visit):
            await self._batch.submit(visit)  # no worker: written before the answer
        return LinkAnswer(LinkState.REDIRECT, resolved.target)

    async def stats(
        self,
        *,
        by: LinkGrouping,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Sequence[LinkStats]:
        """Clicks, unique visitors and bot hits per content, ambassador, network or link over
        ``[start, end)`` (the port's ``link_stats``; for curator stats and points)."""
        return await self._visits.link_stats(by=by, start=start, end=end)

    async def _resolve(self, token: str) -> _Resolved | None:
        if not is_well_formed_token(token):
            return None
        cached, value = self._cache.get(token)
        if cached:
            return value
        # One lookup per token at a time: a burst on a fresh link (the minutes after a push)
        # waits for the first request's query instead of sending its own.
        pending = self._lookups.get(token)
        if pending is not None:
            return await asyncio.shield(pending)
        task = asyncio.ensure_future(self._lookup(token))
        self._lookups[token] = task
        try:
            value = await asyncio.shield(task)
            self._cache.put(token, value)
        finally:
            self._lookups.pop(token, None)
        return value

    async def _lookup(self, token: str) -> _Resolved | None:
        found = await self._visits.resolve(token)
        if found is None:
            return None
        link, content, ref = found
        target = destination(content, network=link.network, ambassador_ref=ref or "x")
        return _Resolved(link, target, expired=content.status is ContentStatus.EXPIRED)

    async def _write(self, visits: Sequence[LinkVisit]) -> Sequence[None]:
        try:
            await self._visits.record_visits(visits)
        except Exception:
            # Once more: a commit whose answer was lost is not written twice (visit ids).
            logger.warning("writing %d link visits failed; trying once more", len(visits))
            await asyncio.sleep(RETRY_WAIT)
            await self._visits.record_visits(visits)
        return [None] * len(visits)
