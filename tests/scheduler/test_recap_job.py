"""The weekly recap job: every minute, one replica per slot, over the SQL store; two
replicas' runs overlapping still send each recap once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.model import Enrolment, Network, Platform, PlatformUser, UserProfile
from bot.recap import RecapService
from content_store.repositories import SqlStore
from scheduler.setup import recap_jobs, run_claimed
from tests.bot.builders import make_programme
from tests.bot.fakes import FakeChatGateway

MONDAY_9 = datetime(2026, 11, 23, 9, 0, 6, tzinfo=ZoneInfo("Europe/Paris"))


def service(
    store: SqlStore, gateway: FakeChatGateway, clock: FixedClock, holder: str
) -> RecapService:
    return RecapService(
        recaps=store.recaps,
        ambassadors=store.ambassadors,
        preferences=store.preferences,
        ledger=store.ledger,
        gateways={Platform.SLACK: gateway},
        programme=make_programme(),
        clock=clock,
        holder=holder,
        boards=store.boards,
        recognition=store.recognition,
    )


async def test_the_recap_job_runs_once_a_minute_and_sends_once(sql_store: SqlStore) -> None:
    for n in range(1, 6):
        person = await sql_store.ambassadors.enrol(
            user=PlatformUser(Platform.SLACK, "T1", f"U{n:04d}"),
            profile=UserProfile(display_name=f"Person {n}", locale="en"),
            enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
            now=MONDAY_9 - timedelta(days=10),
        )
        await sql_store.preferences.set_weekly_recap(ambassador_id=person.id, on=True)
    clock = FixedClock(MONDAY_9)
    gateway = FakeChatGateway()
    a, b = service(sql_store, gateway, clock, "a"), service(sql_store, gateway, clock, "b")
    (job,) = recap_jobs(a)
    assert (job.name, job.every) == ("send_weekly_recaps", timedelta(minutes=1))
    assert recap_jobs(None) == ()
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
    assert len(gateway.recaps) == 5
    # Two replicas' runs overlapping (a slow run and the next minute's): still once each.
    clock.advance(timedelta(days=7))
    reports = await asyncio.gather(a.send_due(), b.send_due())
    assert sum(r.sent for r in reports) == 5
    assert len(gateway.recaps) == 10
    assert len({(u, v.week_label) for u, v in gateway.recaps}) == 10
