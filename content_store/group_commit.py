"""Group commit: concurrent small writes (clicks, reactions, link visits) share one
transaction instead of paying one commit (and one fsync) each.

One writer task takes whatever is queued (up to ``max_batch``) and runs it in a single
transaction, each write inside its own SAVEPOINT so one failing write cannot undo the
others. A caller's ``await`` returns only after the commit, so nothing is acknowledged as
recorded before it is. There is no timer: under light load a write commits at once; under a
burst, writes queue while the previous commit runs and go together in the next one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.batching import Batcher

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]
TransactionFactory = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


class GroupCommit:
    """The single writer of batched writes."""

    def __init__(self, transaction: TransactionFactory, *, max_batch: int = 500) -> None:
        self._transaction = transaction
        self._batcher: Batcher[Work, Any] = Batcher(
            self._commit, name="group-commit", max_batch=max_batch
        )

    @property
    def running(self) -> bool:
        """Whether the writer task is up (else writes run one transaction each)."""
        return self._batcher.running

    @property
    def batches(self) -> int:
        """Transactions committed so far."""
        return self._batcher.batches

    @property
    def writes(self) -> int:
        """Writes committed so far."""
        return self._batcher.items

    def start(self) -> None:
        """Start the writer task."""
        self._batcher.start()

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        await self._batcher.stop()

    async def submit(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in the next group transaction; return its result after the commit."""
        result: T = await self._batcher.submit(work)
        return result

    async def _commit(self, batch: Sequence[Work]) -> list[Any]:
        # If the commit itself fails, the batcher fails every write of the batch: nothing
        # of it was recorded.
        outcomes: list[Any] = []
        async with self._transaction() as session:
            for work in batch:
                try:
                    async with session.begin_nested():
                        outcomes.append(await work(session))
                except Exception as refused:  # this write only: its savepoint rolled back
                    outcomes.append(refused)
        return outcomes
