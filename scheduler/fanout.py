"""Runs the sender in the background of each replica, with a graceful stop.

Stopping (SIGTERM) claims nothing more, lets the sends under way finish for up to
``drain_timeout`` seconds, then gives back every row claimed but not sent and every send
lease, so another replica (or this one after a restart) takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.sender import Sender

logger = logging.getLogger(__name__)


class SenderRunner:
    """The sender's task; ``wake()`` after a publish makes it look at the queue at once."""

    def __init__(self, sender: Sender, *, drain_timeout: float = 20.0) -> None:
        self._sender = sender
        self._drain_timeout = drain_timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Start sending; the first look at the queue resumes whatever a crash left."""
        if self._task is None:
            self._wake.set()
            self._task = asyncio.create_task(self._sender.run(self._wake), name="sender")

    async def stop(self) -> None:
        """Finish the sends under way, give back the rest, release the leases."""
        if self._task is None:
            return
        self._sender.stop()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=self._drain_timeout)
        except TimeoutError:
            logger.warning(
                "sends still under way after %.0fs: cancelling them", self._drain_timeout
            )
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        try:
            released = await self._sender.release()
            await self._sender.release_leases()
        except Exception:
            logger.exception("could not give claims back; their locks will lapse instead")
            return
        if released:
            logger.info("gave %d claimed deliveries back to the queue", released)
