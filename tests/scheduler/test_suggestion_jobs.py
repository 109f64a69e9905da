"""The suggestion jobs: expiry hourly, feeds every ``feeds_poll_minutes``, each slot once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from bot.clock import FixedClock
from bot.suggestions import SuggestionService
from scheduler.setup import run_claimed, suggestion_jobs
from tests.bot.builders import NOW
from tests.bot.fakes import MemoryPorts


class Counting:
    def __init__(self) -> None:
        self.runs: list[str] = []

    async def expire_stale(self) -> int:
        self.runs.append("expire")
        return 0

    async def poll_feeds(self) -> int:
        self.runs.append("poll")
        return 0


def jobs(service: Any, *, poll: bool) -> dict[str, Any]:
    made = suggestion_jobs(
        cast(SuggestionService, service), poll_every=timedelta(minutes=30), poll_feeds=poll
    )
    return {job.name: job for job in made}


def test_which_jobs_and_how_often() -> None:
    both = jobs(Counting(), poll=True)
    assert both["expire_suggestions"].every == timedelta(hours=1)
    assert both["poll_feeds"].every == timedelta(minutes=30)
    assert set(jobs(Counting(), poll=False)) == {"expire_suggestions"}


async def test_one_replica_polls_each_slot() -> None:
    service = Counting()
    poll = jobs(service, poll=True)["poll_feeds"]
    ledger = MemoryPorts().jobs
    clock = FixedClock(NOW)
    outcomes: list[str] = []
    for replica in ("a", "b"):
        await run_claimed(
            poll,
            jobs=ledger,
            clock=clock,
            holder=replica,
            observe=lambda _job, outcome: outcomes.append(outcome),
        )
    assert service.runs == ["poll"]
    assert outcomes == ["ran", "skipped_claimed"]
    clock.advance(timedelta(minutes=30))
    await run_claimed(poll, jobs=ledger, clock=clock, holder="b", observe=lambda *_: None)
    assert service.runs == ["poll", "poll"]
