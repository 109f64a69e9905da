"""The sender's runner: a pass at start-up and on each wake-up, a graceful stop."""

from __future__ import annotations

import asyncio

import pytest

from bot.model import DeliveryStatus
from bot.sender import SenderSettings
from scheduler.fanout import SenderRunner
from tests.bot.builders import World, person


async def until(check: object, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.005)


async def test_resumes_at_start_and_sends_after_a_wake(world: World) -> None:
    await world.join(1)
    await world.push()  # left by a previous run: sent as soon as the runner starts
    runner = SenderRunner(world.sender(SenderSettings(idle_poll=3600)))
    runner.start()
    await until(lambda: len(world.gateway.sent) == 1)
    await world.join(2)
    await world.push()
    runner.wake()
    await until(lambda: len(world.gateway.sent) == 3)
    await runner.stop()


class SlowGateway:
    """Holds every send until released, like a slow platform."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.release = asyncio.Event()
        self.started = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def send_suggestion(self, user: object, view: object) -> object:
        self.started += 1
        await self.release.wait()
        return await self.inner.send_suggestion(user, view)  # type: ignore[attr-defined]


async def test_graceful_stop_finishes_sends_under_way_and_returns_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 5):
        await world.join(n)
    await world.push()
    slow = SlowGateway(world.gateway)
    sender = world.sender(SenderSettings(in_flight=2, idle_poll=3600))
    monkeypatch.setitem(sender._gateways, next(iter(sender._gateways)), slow)
    runner = SenderRunner(sender, drain_timeout=5)
    runner.start()
    await until(lambda: slow.started == 2)  # two sends under way, two more claimed or due
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.01)
    slow.release.set()  # the platform answers: the two under way complete
    await stopping
    states = [d.status for d in world.deliveries()]
    assert states.count(DeliveryStatus.SENT) == 2
    assert states.count(DeliveryStatus.PENDING) == 2  # nothing left claimed by the dead process
    assert world.ports.store.leases == {}  # another replica can take over at once
    assert [u for u, _ in world.gateway.sent] == [person(1), person(2)]
