"""LoopLag and the sender giving way while the process is saturated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import FixedClock
from bot.model import Delivery, Platform
from bot.pacing import BUSY_AFTER, LoopLag
from bot.programme import Programme
from bot.sender import PREPARE_FACTOR, SenderSettings
from tests.bot.builders import RecordingFetcher, RecordingSleep, World, wire_domain
from tests.bot.fakes import FakeChatGateway, MemoryPorts


def test_a_late_probe_counts_at_once_and_fades() -> None:
    lag = LoopLag()
    assert not lag.busy()
    lag.observe(0.2)
    assert lag.lag == 0.2
    assert lag.busy()
    for _ in range(30):
        lag.observe(0.0)
    assert lag.lag < BUSY_AFTER
    assert not lag.busy()
    lag.observe(0.001)
    assert not lag.busy()  # a millisecond late is an idle loop


async def test_a_blocked_loop_reads_as_busy_then_calm_again() -> None:
    lag = LoopLag(every=0.005, busy_after=0.01)
    lag.start()
    try:
        await asyncio.sleep(0.02)
        assert not lag.busy()
        time.sleep(0.08)  # noqa: ASYNC251 - blocking the loop on purpose: a saturated process
        await asyncio.sleep(0.01)
        assert lag.busy()
        assert lag.lag >= 0.05
        await asyncio.sleep(0.5)
        assert not lag.busy()
    finally:
        await lag.stop()
    await lag.stop()  # twice is fine


async def test_the_sender_prepares_only_what_it_can_send_while_busy(
    programme: Programme, clock: FixedClock, ports: MemoryPorts
) -> None:
    gateway = FakeChatGateway()
    busy = False
    settings = SenderSettings(in_flight=3)
    services = wire_domain(
        ports,
        {Platform.SLACK: gateway},
        programme,
        clock,
        RecordingSleep(),
        settings=settings,
        busy=lambda: busy,
    )
    world = World(programme, clock, ports, gateway, RecordingFetcher(), RecordingSleep(), services)
    limits: list[int] = []
    claim = ports.queue.claim

    async def recording_claim(
        *, workspace: str, holder: str, epoch: int, now: datetime, limit: int, lock_for: timedelta
    ) -> Sequence[Delivery]:
        limits.append(limit)
        return await claim(
            workspace=workspace,
            holder=holder,
            epoch=epoch,
            now=now,
            limit=limit,
            lock_for=lock_for,
        )

    ports.queue.claim = recording_claim  # type: ignore[method-assign]
    for n in range(1, 41):
        await world.join(n, topics=("engineering",))
    await world.push(topics=("engineering",))
    busy = True
    report = await services.sender.drain_all()
    assert report.sent == 40  # slower, never stopped: everyone still gets theirs
    assert limits[0] == settings.in_flight
    assert max(limits) <= settings.in_flight
    busy = False
    limits.clear()
    await world.push(topics=("engineering",), url="https://example.com/second")
    await services.sender.drain_all()
    assert limits[0] == settings.in_flight * PREPARE_FACTOR
