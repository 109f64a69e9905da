"""The link-click job (issue 6): every minute, one replica per slot; the composition root
schedules it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from bot.recognition import RecognitionService
from content_store.repositories import SqlStore
from scheduler.setup import recognition_jobs, run_claimed
from tests.bot.builders import make_programme

START = datetime(2026, 11, 23, 9, 0, 6, tzinfo=UTC)


async def test_the_link_click_job_runs_once_a_minute(sql_store: SqlStore) -> None:
    clock = FixedClock(START)
    service = RecognitionService(
        store=sql_store.recognition,
        ledger=sql_store.ledger,
        ambassadors=sql_store.ambassadors,
        notifiers={},
        programme=make_programme(),
        clock=clock,
    )
    (job,) = recognition_jobs(service)
    assert (job.name, job.every) == ("award_link_clicks", timedelta(minutes=1))
    assert recognition_jobs(None) == ()
    outcomes: list[str] = []

    async def replica(holder: str) -> bool:
        return await run_claimed(
            job,
            jobs=sql_store.jobs,
            clock=clock,
            holder=holder,
            observe=lambda _job, outcome: outcomes.append(outcome),
        )

    assert [await replica("a"), await replica("b")] == [True, False]
    clock.advance(timedelta(minutes=1))
    assert await replica("b")
    assert outcomes == ["ran", "skipped_claimed", "ran"]
