"""A token bucket for one platform workspace: ``rate`` sends per second on average, ``burst``
at once, and a block that makes the *whole* bucket wait when the platform answers 429.

Time comes from an injected monotonic clock and sleep, so tests drive it without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

_EPSILON = 1e-9
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RateLimit:
    """Sends per second and burst size of one platform (config.yaml ``delivery``)."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")


class TokenBucket:
    """Waits until a send is allowed; shared by every send of one workspace."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._limit = limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(limit.burst)
        self._updated = monotonic()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()  # one waiter at a time keeps the order fair (FIFO)
        self.blocks = 0

    @property
    def limit(self) -> RateLimit:
        """The configured rate and burst."""
        return self._limit

    def _refill(self, now: float) -> None:
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.rate)
        self._updated = now

    def block(self, seconds: float) -> None:
        """The platform said 429 with ``Retry-After: seconds``: nobody sends before then,
        and the burst is spent so sending resumes at the steady rate."""
        now = self._monotonic()
        self._blocked_until = max(self._blocked_until, now + max(seconds, 0.0))
        # No burst after a block: one send at Retry-After, then the steady rate.
        self._tokens = 1.0
        self._updated = self._blocked_until
        self.blocks += 1

    async def acquire(self) -> None:
        """Wait for a token (and for any 429 block to pass), then take it."""
        async with self._lock:
            while True:
                now = self._monotonic()
                if now < self._blocked_until:
                    await self._sleep(self._blocked_until - now)
                    continue
                self._refill(now)
                # A tolerance, or 0.1 s x 10/s = 0.9999... tokens would wait for ever.
                if self._tokens >= 1.0 - _EPSILON:
                    self._tokens = max(self._tokens - 1.0, 0.0)
                    return
                await self._sleep((1.0 - self._tokens) / self._limit.rate)
