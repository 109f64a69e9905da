"""Natural batching (``Batcher``) and per-key coalescing (``Coalescer``), on a real loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.batching import Batcher, Coalescer

# --- helpers ------------------------------------------------------------------------------


async def spin(times: int = 20) -> None:
    """Let every ready task run for a while (no wall-clock waiting)."""
    for _ in range(times):
        await asyncio.sleep(0)


def worker_tasks(prefix: str) -> list[asyncio.Task[object]]:
    """The live tasks whose name starts with ``prefix`` (the batcher's or coalescer's)."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(prefix) and not t.done()]


@dataclass
class Doubler:
    """A batch handler: doubles each item, recording every batch it is given.

    ``hold`` (when set) is awaited by the first batch only, so a test can queue more items
    while a batch is running.
    """

    hold: asyncio.Event | None = None
    batches: list[list[int]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, items: Sequence[int]) -> Sequence[int | BaseException]:
        self.batches.append(list(items))
        self.started.set()
        if self.hold is not None and len(self.batches) == 1:
            await self.hold.wait()
        await asyncio.sleep(0)
        return [2 * item for item in items]


# --- Batcher ------------------------------------------------------------------------------


async def test_concurrent_submits_share_batches_and_each_caller_gets_its_own_result() -> None:
    handler = Doubler()
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch")
    batcher.start()
    try:
        results = await asyncio.gather(*(batcher.submit(n) for n in range(100)))
    finally:
        await batcher.stop()
    assert results == [2 * n for n in range(100)]
    assert len(handler.batches) < 10  # far fewer rounds than callers
    assert [n for batch in handler.batches for n in batch] == list(range(100))  # FIFO, once
    assert (batcher.batches, batcher.items) == (len(handler.batches), 100)


async def test_a_lone_item_is_handled_at_once_as_a_batch_of_one() -> None:
    handler = Doubler()
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch")
    batcher.start()
    try:
        assert await batcher.submit(21) == 42
        assert await batcher.submit(5) == 10
    finally:
        await batcher.stop()
    assert handler.batches == [[21], [5]]


async def test_items_queued_during_a_batch_go_together_in_the_next() -> None:
    handler = Doubler(hold=asyncio.Event())
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch")
    batcher.start()
    try:
        first = asyncio.create_task(batcher.submit(0))
        await handler.started.wait()
        later = [asyncio.create_task(batcher.submit(n)) for n in range(1, 11)]
        await spin()
        assert handler.batches == [[0]] and not first.done()  # nothing done before its batch
        assert handler.hold is not None
        handler.hold.set()
        assert await first == 0
        assert await asyncio.gather(*later) == [2 * n for n in range(1, 11)]
    finally:
        await batcher.stop()
    assert handler.batches == [[0], list(range(1, 11))]


async def test_max_batch_is_respected() -> None:
    handler = Doubler(hold=asyncio.Event())
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch", max_batch=7)
    batcher.start()
    try:
        first = asyncio.create_task(batcher.submit(0))
        await handler.started.wait()
        later = asyncio.gather(*(batcher.submit(n) for n in range(1, 31)))
        await spin()
        assert handler.hold is not None
        handler.hold.set()
        assert await first == 0
        assert await later == [2 * n for n in range(1, 31)]
    finally:
        await batcher.stop()
    assert [len(b) for b in handler.batches] == [1, 7, 7, 7, 7, 2]
    assert [n for batch in handler.batches for n in batch] == list(range(31))


async def test_an_exception_in_the_results_fails_that_item_only() -> None:
    async def odd_ones_fail(items: Sequence[int]) -> Sequence[int | BaseException]:
        return [ValueError(f"odd {n}") if n % 2 else n * 10 for n in items]

    batcher: Batcher[int, int] = Batcher(odd_ones_fail, name="t-batch")
    batcher.start()
    try:
        results = await asyncio.gather(
            *(batcher.submit(n) for n in range(6)), return_exceptions=True
        )
    finally:
        await batcher.stop()
    assert [r for r in results if not isinstance(r, BaseException)] == [0, 20, 40]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert [str(e) for e in failed] == ["odd 1", "odd 3", "odd 5"]
    assert all(isinstance(e, ValueError) for e in failed)
    assert batcher.items == 6  # the batch itself went through


async def test_a_handler_exception_fails_the_whole_batch_and_later_batches_still_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[list[int]] = []

    async def first_batch_explodes(items: Sequence[int]) -> Sequence[int | BaseException]:
        calls.append(list(items))
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return list(items)

    batcher: Batcher[int, int] = Batcher(first_batch_explodes, name="t-batch")
    batcher.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.batching"):
            failed = await asyncio.gather(
                *(batcher.submit(n) for n in range(5)), return_exceptions=True
            )
        assert len(calls) == 1  # the five went together
        assert all(isinstance(e, ConnectionError) for e in failed)
        assert await asyncio.gather(*(batcher.submit(n) for n in range(3))) == [0, 1, 2]
    finally:
        await batcher.stop()
    assert [r.getMessage() for r in caplog.records] == ["t-batch: a batch of 5 failed"]
    assert caplog.records[0].exc_info is not None
    assert (batcher.batches, batcher.items) == (1, 3)  # only the good batch is counted


@pytest.mark.parametrize("extra", [-1, 1], ids=["too-few", "too-many"])
async def test_a_wrong_number_of_results_fails_the_whole_batch(extra: int) -> None:
    calls: list[list[int]] = []

    async def miscounts_once(items: Sequence[int]) -> Sequence[int | BaseException]:
        calls.append(list(items))
        if len(calls) == 1:
            return list(range(len(items) + extra))
        return list(items)

    batcher: Batcher[int, int] = Batcher(miscounts_once, name="t-batch")
    batcher.start()
    try:
        failed = await asyncio.gather(
            *(batcher.submit(n) for n in range(3)), return_exceptions=True
        )
        assert await batcher.submit(9) == 9
    finally:
        await batcher.stop()
    assert len(calls) == 2
    for error in failed:
        assert isinstance(error, RuntimeError)
        assert str(error) == f"the batch handler gave {3 + extra} results for 3 items"


async def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    handler = Doubler(hold=asyncio.Event())
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch")
    batcher.start()
    try:
        tasks = [asyncio.create_task(batcher.submit(n)) for n in range(3)]
        await handler.started.wait()
        tasks[1].cancel()
        assert handler.hold is not None
        handler.hold.set()
        assert await tasks[0] == 0
        assert await tasks[2] == 4
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]
        assert await batcher.submit(7) == 14
    finally:
        await batcher.stop()


async def test_stop_finishes_what_is_queued() -> None:
    handler = Doubler(hold=asyncio.Event())
    batcher: Batcher[int, int] = Batcher(handler, name="t-batch", max_batch=4)
    batcher.start()
    assert batcher.running
    tasks = [asyncio.create_task(batcher.submit(n)) for n in range(10)]
    await handler.started.wait()
    stopping = asyncio.create_task(batcher.stop())
    await spin()
    assert not stopping.done()  # waits for the held batch and what is queued behind it
    assert handler.hold is not None
    handler.hold.set()
    await stopping
    assert all(t.done() for t in tasks)
    assert [t.result() for t in tasks] == [2 * n for n in range(10)]
    assert [len(b) for b in handler.batches] == [4, 4, 2]
    assert (batcher.running, worker_tasks("t-batch")) == (False, [])
    await batcher.stop()  # stopping twice is harmless


async def test_stop_without_start_is_a_no_op() -> None:
    batcher: Batcher[int, int] = Batcher(Doubler(), name="t-batch")
    assert not batcher.running
    await batcher.stop()
    assert not batcher.running


async def test_a_submit_that_races_stop_is_handled_or_refused() -> None:
    batcher: Batcher[int, int] = Batcher(Doubler(), name="t-batch")
    batcher.start()
    await spin()
    in_flight = asyncio.create_task(batcher.submit(1))  # runs once stop() yields
    try:
        await batcher.stop()
        await spin()
        assert in_flight.done()
    finally:
        in_flight.cancel()


# --- Coalescer ----------------------------------------------------------------------------


def concat(waiting: list[int], new: list[int]) -> list[int]:
    return waiting + new


@dataclass
class Work:
    """Per-key work that records its runs and concurrency; runs of keys in ``hold`` wait for
    ``release`` (the first run of each such key only)."""

    hold: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    fail: set[str] = field(default_factory=set)
    steps: int = 3  # loop iterations each run takes
    runs: list[tuple[str, list[int]]] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    most_per_key: dict[str, int] = field(default_factory=dict)
    in_parallel: int = 0
    most_in_parallel: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, key: str, value: list[int]) -> None:
        first = all(k != key for k, _ in self.runs)
        self.runs.append((key, value))
        self.active[key] = self.active.get(key, 0) + 1
        self.most_per_key[key] = max(self.most_per_key.get(key, 0), self.active[key])
        self.in_parallel += 1
        self.most_in_parallel = max(self.most_in_parallel, self.in_parallel)
        self.started.set()
        try:
            if first and key in self.hold:
                await self.release.wait()
            for _ in range(self.steps):
                await asyncio.sleep(0)
            if key in self.fail:
                raise ValueError(f"cannot do {key}")
        finally:
            self.active[key] -= 1
            self.in_parallel -= 1

    def values_of(self, key: str) -> list[list[int]]:
        return [v for k, v in self.runs if k == key]


async def test_requests_for_a_waiting_key_merge_into_one_run() -> None:
    work = Work()
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    coalescer.start()
    try:
        for n in range(1, 5):  # no await in between: the key is still waiting each time
            await coalescer.submit("dm", [n])
        assert coalescer.backlog == 1
    finally:
        await coalescer.stop()
    assert work.values_of("dm") == [[1, 2, 3, 4]]
    assert (coalescer.runs, coalescer.merged) == (1, 3)


async def test_requests_during_a_run_merge_into_one_more_run() -> None:
    work = Work(hold={"dm"})
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=3, name="t-co")
    coalescer.start()
    try:
        await coalescer.submit("dm", [1])
        await work.started.wait()  # the first run is under way, held
        for n in (2, 3, 4):
            await coalescer.submit("dm", [n])
            await spin()
        assert work.values_of("dm") == [[1]]  # not started again while it runs
        assert coalescer.backlog == 1
        work.release.set()
    finally:
        await coalescer.stop()
    assert work.values_of("dm") == [[1], [2, 3, 4]]
    assert (coalescer.runs, coalescer.merged) == (2, 2)
    assert work.most_per_key == {"dm": 1}


async def test_one_request_during_a_run_causes_exactly_one_more_run() -> None:
    work = Work(hold={"dm"})
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    coalescer.start()
    try:
        await coalescer.submit("dm", [1])
        await work.started.wait()
        await coalescer.submit("dm", [2])
        work.release.set()
        await spin(50)
        assert work.values_of("dm") == [[1], [2]]
        assert coalescer.backlog == 0
        await coalescer.submit("dm", [3])  # idle again: runs again
        await spin(50)
    finally:
        await coalescer.stop()
    assert work.values_of("dm") == [[1], [2], [3]]
    assert coalescer.merged == 0


async def test_the_same_key_never_runs_twice_at_once() -> None:
    work = Work(steps=10)  # a run outlasts the next few requests for its key
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=4, name="t-co")
    coalescer.start()
    try:
        for n in range(60):
            await coalescer.submit(f"dm{n % 3}", [n])
            await asyncio.sleep(0)  # interleave requests with runs
    finally:
        await coalescer.stop()
    assert work.most_per_key == {"dm0": 1, "dm1": 1, "dm2": 1}
    for key in ("dm0", "dm1", "dm2"):  # every request ran once, in order
        assert [n for value in work.values_of(key) for n in value] == [
            n for n in range(60) if f"dm{n % 3}" == key
        ]
    assert coalescer.runs < 60  # requests for busy keys merged


async def test_different_keys_run_in_parallel_up_to_the_number_of_workers() -> None:
    keys = [f"dm{n}" for n in range(5)]
    work = Work(hold=set(keys))
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=3, name="t-co")
    coalescer.start()
    try:
        for n, key in enumerate(keys):
            await coalescer.submit(key, [n])
        await spin()
        assert work.in_parallel == 3  # three held runs at once; the other two wait
        assert [k for k, _ in work.runs] == keys[:3]
        assert coalescer.backlog == 2
        work.release.set()
    finally:
        await coalescer.stop()
    assert sorted(k for k, _ in work.runs) == keys
    assert work.most_in_parallel == 3


async def test_without_start_a_request_runs_inline() -> None:
    work = Work()
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    assert not coalescer.running
    await coalescer.submit("dm", [1])
    assert work.runs == [("dm", [1])]  # done by the time submit returns
    await coalescer.submit("dm", [2])
    assert work.runs == [("dm", [1]), ("dm", [2])]  # nothing to merge with
    assert (coalescer.runs, coalescer.merged, coalescer.backlog) == (2, 0, 0)
    assert worker_tasks("t-co") == []
    await coalescer.stop()  # a no-op


async def test_inline_failures_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    work = Work(fail={"dm"})
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    with caplog.at_level(logging.ERROR, logger="bot.batching"):
        await coalescer.submit("dm", [1])
    assert [r.getMessage() for r in caplog.records] == ["t-co: work for 'dm' failed"]
    assert coalescer.runs == 1


async def test_a_failing_run_is_logged_and_the_worker_keeps_going(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = Work(fail={"bad"})
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=1, name="t-co")
    coalescer.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.batching"):
            await coalescer.submit("bad", [1])
            await coalescer.submit("good", [2])
            await spin(50)
            await coalescer.submit("bad", [3])
            await coalescer.submit("good", [4])
    finally:
        await coalescer.stop()
    assert work.runs == [("bad", [1]), ("good", [2]), ("bad", [3]), ("good", [4])]
    assert [r.getMessage() for r in caplog.records] == ["t-co: work for 'bad' failed"] * 2
    assert all(r.exc_info is not None for r in caplog.records)
    assert coalescer.runs == 4


async def test_stop_finishes_what_is_waiting() -> None:
    work = Work(hold={"a"})
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    coalescer.start()
    assert coalescer.running
    await coalescer.submit("a", [1])
    await work.started.wait()
    await coalescer.submit("a", [2])  # queued behind the running "a"
    for n, key in enumerate(("b", "c", "d", "b"), start=10):
        await coalescer.submit(key, [n])
    stopping = asyncio.create_task(coalescer.stop())
    await spin()
    assert not stopping.done()  # "a" is still held
    work.release.set()
    await stopping
    assert sorted(work.runs) == [
        ("a", [1]),
        ("a", [2]),
        ("b", [10, 13]),
        ("c", [11]),
        ("d", [12]),
    ]
    assert (coalescer.backlog, coalescer.running) == (0, False)
    assert worker_tasks("t-co") == []
    await coalescer.submit("e", [20])  # stopped: back to running inline
    assert work.runs[-1] == ("e", [20])


async def test_a_request_that_races_stop_still_runs() -> None:
    work = Work()
    coalescer: Coalescer[str, list[int]] = Coalescer(work, concat, workers=2, name="t-co")
    coalescer.start()
    await spin()
    in_flight = asyncio.create_task(coalescer.submit("late", [1]))  # runs once stop() yields
    await coalescer.stop()
    await spin()
    assert in_flight.done()
    assert work.values_of("late") == [[1]]
