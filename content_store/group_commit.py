"""Group commit: concurrent small writes (clicks, reactions, link visits) share one
transaction instead of paying one commit (and one fsync) each.

One writer task takes whatever is queued (up to ``max_batch``) and runs it in a single
transaction, each write inside its own SAVEPOINT so one failing write cannot undo the
others. A caller's ``await`` returns only after the commit, so nothing is acknowledged as
recorded before it is. There is no timer: under light load a write commits at once; under a
burst, writes queue while the previous commit runs and go together in the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]
TransactionFactory = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


class GroupCommit:
    """The single writer of batched writes."""

    def __init__(self, transaction: TransactionFactory, *, max_batch: int = 500) -> None:
        self._transaction = transaction
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0

    @property
    def running(self) -> bool:
        """Whether the writer task is up (else writes run one transaction each)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the writer task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in the next group transaction; return its result after the commit."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((work, future))
        result: T = await future
        return result

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            async with self._transaction() as session:
                for work, future in batch:
                    try:
                        async with session.begin_nested():
                            outcomes.append((future, await work(session), None))
                    except Exception as refused:  # this write only: its savepoint rolled back
                        outcomes.append((future, None, refused))
        except Exception as failure:
            # The commit itself failed: nothing of this batch was recorded.
            logger.exception("a batch of %d writes failed to commit", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            return
        self.batches += 1
        self.writes += len(batch)
        for future, result, error in outcomes:
            if future.done():  # the caller gave up waiting
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
