"""The background sender: drains pending suggestions whenever content is published, and
once at start-up so a restart resumes a fan-out that a crash interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.delivery import DeliveryService

logger = logging.getLogger(__name__)


class FanOutWorker:
    """One task that sends pending deliveries; ``wake()`` is cheap and safe to call often."""

    def __init__(self, delivery: DeliveryService, *, poll_seconds: float = 60.0) -> None:
        self._delivery = delivery
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def wake(self) -> None:
        """Ask for a pass soon (after a publish)."""
        self._wake.set()

    def start(self) -> None:
        """Start the loop, with an immediate first pass."""
        if self._task is None:
            self._wake.set()
            self._task = asyncio.create_task(self._run(), name="fan-out")

    async def stop(self) -> None:
        """Stop after the send in progress (a pending row stays pending for next time)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            self._wake.clear()
            try:
                await self._delivery.send_pending()
            except Exception:
                # A database hiccup must not kill the sender: log and try again later.
                logger.exception("fan-out pass failed; will retry")
            self.passes += 1
