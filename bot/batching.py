"""Natural batching: concurrent callers share one round of work instead of one each.

One worker task takes whatever is queued (up to ``max_batch``) and hands it to the handler in
one call. There is no timer: under light load an item is handled at once (a batch of one);
under a burst, items queue while the previous batch runs and go together in the next. A
caller's ``await`` returns its own item's result only once its batch is done, so nothing is
reported as done before it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Returns one result per item, in order; an exception in the list fails that item only.
Handler = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    """Hands queued items to ``handler`` in batches, from a single worker task."""

    def __init__(self, handler: Handler[T, R], *, name: str, max_batch: int = 500) -> None:
        self._handler = handler
        self._name = name
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.items = 0

    @property
    def running(self) -> bool:
        """Whether the worker takes new items (else ``submit`` handles them at once, alone)."""
        return self._task is not None and not self._task.done() and not self._closing

    def start(self) -> None:
        """Start the worker task (on the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        self._closing = True  # from now on, submit() handles items itself
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._closing = False

    async def submit(self, item: T) -> R:
        """Queue ``item``; return its result once its batch is done (or raise its error).
        Without the worker (not started, or stopping) the item is handled at once, alone."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        if self.running:
            self._queue.put_nowait((item, future))
        else:
            await self._handle([(item, future)])
        return await future

    def offer(self, item: T) -> bool:
        """Queue ``item`` without waiting for its batch (fire and forget: a failure is logged
        by the worker, not raised); False when the worker is not running (then nothing was
        queued: call ``submit``)."""
        if not self.running:
            return False
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume)
        self._queue.put_nowait((item, future))
        return True

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._handle(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _handle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = _one_each(await self._handler([item for item, _ in batch]), len(batch))
        except Exception as failure:
            logger.exception("%s: a batch of %d failed", self._name, len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            return
        self.batches += 1
        self.items += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up waiting
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


def _consume(future: asyncio.Future[Any]) -> None:
    # Nobody awaits an offered item: read its outcome so asyncio does not report it unread.
    if not future.cancelled():
        future.exception()


def _one_each(results: Sequence[R | BaseException], expected: int) -> Sequence[R | BaseException]:
    if len(results) != expected:
        raise RuntimeError(f"the batch handler gave {len(results)} results for {expected} items")
    return results


K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """Runs work per key on a few workers, one run per key at a time; a request for a key that
    is already waiting merges into it (``merge``), so a burst on one key costs one run.

    Used to redraw a DM after clicks: three quick clicks on one message give one or two
    ``chat.update`` calls, not three, and never two at once on the same message.
    """

    def __init__(
        self,
        run: Callable[[K, V], Awaitable[None]],
        merge: Callable[[V, V], V],
        *,
        workers: int,
        name: str,
        hold: Callable[[], bool] = lambda: False,
        hold_for: float = 0.05,
    ) -> None:
        self._run_one = run
        self._hold = hold  # while true, each run waits hold_for first (requests merge meanwhile)
        self._hold_for = hold_for
        self._merge = merge
        self._workers = workers
        self._name = name
        self._pending: dict[K, V] = {}
        self._busy: set[K] = set()
        self._queue: asyncio.Queue[K] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self.runs = 0
        self.merged = 0

    @property
    def running(self) -> bool:
        """Whether the workers take new work (else ``submit`` runs it inline)."""
        return bool(self._tasks) and not self._closing

    @property
    def backlog(self) -> int:
        """Keys waiting for a worker."""
        return len(self._pending)

    def start(self) -> None:
        """Start the workers (on the running loop)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(), name=f"{self._name}-{n}")
                for n in range(self._workers)
            ]

    async def stop(self) -> None:
        """Finish what is waiting, then stop the workers."""
        if not self._tasks:
            return
        self._closing = True  # from now on, submit() runs work inline
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._closing = False

    async def submit(self, key: K, value: V) -> None:
        """Queue the work for ``key`` (merged with any waiting); without workers, run it now."""
        if not self.running:
            await self._run_logged(key, value)
            return
        if key in self._pending:
            self._pending[key] = self._merge(self._pending[key], value)
            self.merged += 1
            return
        self._pending[key] = value
        if key not in self._busy:  # a busy key is queued again when its run ends
            self._queue.put_nowait(key)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            if self._hold():
                # Give way for a moment; requests for this key merge meanwhile. Once per run,
                # so under steady load the work slows down but never stops.
                await asyncio.sleep(self._hold_for)
            value = self._pending.pop(key)
            self._busy.add(key)
            try:
                await self._run_logged(key, value)
            finally:
                self._busy.discard(key)
                if key in self._pending:
                    self._queue.put_nowait(key)
                self._queue.task_done()

    async def _run_logged(self, key: K, value: V) -> None:
        try:
            await self._run_one(key, value)
        except Exception:
            logger.exception("%s: work for %r failed", self._name, key)
        self.runs += 1
