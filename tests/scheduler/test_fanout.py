"""The background sender loop: a pass at start-up, a pass per wake-up, survives errors."""

from __future__ import annotations

import asyncio

import pytest

from bot.model import FanOutReport
from scheduler.fanout import FanOutWorker


class CountingSender:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first
        self.called = asyncio.Event()

    async def send_pending(self) -> FanOutReport:
        self.calls += 1
        self.called.set()
        if self.fail_first and self.calls == 1:
            raise ConnectionError("database hiccup")
        return FanOutReport()


async def wait_passes(worker: FanOutWorker, count: int) -> None:
    async with asyncio.timeout(5):
        while worker.passes < count:
            await asyncio.sleep(0.005)


async def test_runs_at_start_and_on_each_wake() -> None:
    sender = CountingSender()
    worker = FanOutWorker(sender, poll_seconds=3600)  # type: ignore[arg-type]
    worker.start()
    await wait_passes(worker, 1)
    worker.wake()
    await wait_passes(worker, 2)
    await worker.stop()
    assert sender.calls == 2


async def test_an_error_does_not_stop_the_sender(caplog: pytest.LogCaptureFixture) -> None:
    sender = CountingSender(fail_first=True)
    worker = FanOutWorker(sender, poll_seconds=3600)  # type: ignore[arg-type]
    worker.start()
    await wait_passes(worker, 1)
    worker.wake()
    await wait_passes(worker, 2)
    await worker.stop()
    assert sender.calls == 2
    assert "fan-out pass failed" in caplog.text
