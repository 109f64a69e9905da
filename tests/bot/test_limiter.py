"""The token bucket, on a simulated clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.limiter import RateLimit, TokenBucket


class SimulatedTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rate: float, burst: int) -> tuple[TokenBucket, SimulatedTime]:
    time = SimulatedTime()
    return TokenBucket(RateLimit(rate, burst), monotonic=time.monotonic, sleep=time.sleep), time


async def send_times(limiter: TokenBucket, time: SimulatedTime, count: int) -> list[float]:
    start, stamps = time.now, []
    for _ in range(count):
        await limiter.acquire()
        stamps.append(round(time.now - start, 6))
    return stamps


async def test_burst_then_steady_rate() -> None:
    limiter, time = bucket(rate=10, burst=3)
    stamps = await send_times(limiter, time, 6)
    assert stamps == [0, 0, 0, 0.1, 0.2, 0.3]


async def test_long_run_respects_the_rate() -> None:
    limiter, time = bucket(rate=10, burst=20)
    stamps = await send_times(limiter, time, 1_020)
    # 20 at once, then 1,000 more at 10/s: 100 s.
    assert stamps[-1] == pytest.approx(100.0)


async def test_a_429_blocks_the_whole_bucket_and_spends_the_burst() -> None:
    limiter, time = bucket(rate=10, burst=5)
    await limiter.acquire()
    limiter.block(2.0)
    stamps = await send_times(limiter, time, 3)
    assert stamps[0] == pytest.approx(2.0)  # nobody sends before Retry-After
    assert stamps[1] - stamps[0] == pytest.approx(0.1)  # then the steady rate, not a burst
    assert limiter.blocks == 1


async def test_a_shorter_block_never_shortens_a_longer_one() -> None:
    limiter, time = bucket(rate=100, burst=1)
    limiter.block(5)
    limiter.block(1)
    await limiter.acquire()
    assert time.now - 1_000.0 == pytest.approx(5.0)


async def test_idle_time_refills_up_to_the_burst_only() -> None:
    limiter, time = bucket(rate=1, burst=2)
    await send_times(limiter, time, 2)
    time.now += 3_600
    assert await send_times(limiter, time, 3) == [0, 0, 1.0]


async def test_concurrent_waiters_share_the_rate() -> None:
    limiter, time = bucket(rate=5, burst=1)
    await asyncio.gather(*(limiter.acquire() for _ in range(6)))
    assert time.now - 1_000.0 == pytest.approx(1.0)  # 1 at once + 5 at 5/s


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimit(0, 1)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(1, 0)
