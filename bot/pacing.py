"""How busy this process is, so background work can give way to people.

One asyncio loop serves the clicks and commands people wait for *and* the fan-out. When the
loop is saturated every request waits behind the others (queueing: the wait grows like
load / (1 - load)), so the sender asks ``LoopLag.busy()`` and prepares fewer DMs at a time
while it is true: the fan-out slows for a moment and acknowledgements stay fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from bot.limiter import Monotonic

SAMPLE_EVERY = 0.025  # seconds between two probes
DECAY = 0.8  # per probe: a burst of lag fades in about ten probes
BUSY_AFTER = 0.010  # seconds of timer lateness that count as busy


class LoopLag:
    """Measures how late the event loop runs a timer (its lag), smoothed."""

    def __init__(
        self,
        *,
        every: float = SAMPLE_EVERY,
        busy_after: float = BUSY_AFTER,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._every = every
        self._busy_after = busy_after
        self._monotonic = monotonic
        self._task: asyncio.Task[None] | None = None
        self.lag = 0.0  # seconds; rises at once with a late probe, decays slowly

    def busy(self) -> bool:
        """Whether the loop is late enough that background work should hold back."""
        return self.lag > self._busy_after

    def observe(self, late: float) -> None:
        """Fold in one probe's lateness (seconds)."""
        self.lag = max(late, self.lag * DECAY)

    def start(self) -> None:
        """Probe in the background (on the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._probe(), name="loop-lag")

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _probe(self) -> None:
        while True:
            before = self._monotonic()
            await asyncio.sleep(self._every)
            self.observe(max(self._monotonic() - before - self._every, 0.0))
