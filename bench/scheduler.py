"""scheduler: three replicas fire a 1-minute job on an accelerated clock; each slot runs once.

Three OS processes (``python -m bench.scheduler --replica NAME ...``) share one PostgreSQL
database. Each runs an APScheduler 3 ``AsyncIOScheduler`` on its own asyncio loop, with the
job added by the product's ``scheduler.setup.add_periodic_job``: every firing calls the
product's ``run_claimed``, which claims the (job, slot) in the product's SQL ``JobRunLedger``
(``SqlStore(...).jobs``) and runs the body only if the claim was won.

The clock is accelerated: ``now() = VIRTUAL_START + (time.time() - real_start) * SPEED``, so a
1-minute slot lasts ``SLOT_SECONDS`` (0.1 s) of real time and 1,000 slots take about 100 s.
The scheduler's trigger runs in real time, every ``SLOT_SECONDS``, and the product aligns it
on multiples of that interval since the epoch (plus ``SLOT_OFFSET`` of a slot).
``real_start`` is such a multiple, so the accelerated clock's slot boundaries fall on the
real instants the trigger is aligned on: every replica fires 10 ms into each slot.

The job body records (slot, replica, pid, real time) in a table of its own; each replica also
writes one JSON line per claim attempt (slot, won, real time of the firing) to a file. In the
middle of the run the benchmark reads the holder of the latest claimed slot from ``job_run``,
kills that process with SIGKILL, and at three quarters starts it again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg  # type: ignore[import-untyped]
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text

from bench.common import (
    PYTHON,
    Child,
    Outcome,
    Processes,
    base_env,
    log,
    percentile,
    pg_database,
    pg_dsn,
    pg_url,
)
from bot.ports import JobRunLedger
from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database, SqlStore
from scheduler.setup import SLOT_OFFSET, PeriodicJob, add_periodic_job, holder_name

JOB = "bench_tick"
EVERY = timedelta(minutes=1)
SLOT_SECONDS = 0.1  # real seconds per 1-minute slot
SPEED = EVERY.total_seconds() / SLOT_SECONDS
VIRTUAL_START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # slot 0
REPLICAS = ("replica-1", "replica-2", "replica-3")
LEAD_SECONDS = 10.0  # from starting the replicas to slot 0 (imports, engine, scheduler)
TAIL_SECONDS = 1.0  # after the last slot before the replicas are stopped
RUN_TABLE = """
CREATE TABLE bench_slot_run (
    id bigserial PRIMARY KEY,
    slot text NOT NULL,
    replica text NOT NULL,
    pid integer NOT NULL,
    ran_at double precision NOT NULL
)
"""


# ---------------------------------------------------------------------------- a replica


class AcceleratedClock:
    """A ``Clock`` that runs ``speed`` times faster than the wall clock from ``real_start``."""

    def __init__(self, *, real_start: float, virtual_start: datetime, speed: float) -> None:
        self._real_start = real_start
        self._virtual_start = virtual_start
        self._speed = speed

    def now(self) -> datetime:
        return self._virtual_start + timedelta(
            seconds=(time.time() - self._real_start) * self._speed
        )


class RecordingLedger:
    """The product's ledger, plus a JSON line per claim attempt; ``won`` is the slot of the
    latest claim this replica won (the body reads it)."""

    def __init__(self, inner: JobRunLedger, out: IO[str], *, real_start: float) -> None:
        self._inner = inner
        self._out = out
        self._real_start = real_start
        self.won: str | None = None

    async def claim(self, *, job: str, slot: str, holder: str, now: datetime) -> bool:
        won = await self._inner.claim(job=job, slot=slot, holder=holder, now=now)
        self.won = slot if won else None
        fired = self._real_start + (now - VIRTUAL_START).total_seconds() / SPEED
        self.write({"slot": slot, "won": won, "fired": fired, "answered": time.time()})
        return won

    async def release(self, *, job: str, slot: str) -> None:
        await self._inner.release(job=job, slot=slot)

    def write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record) + "\n")
        self._out.flush()  # in the kernel at once: a SIGKILL loses nothing written

    def outcome(self, _job: str, outcome: str) -> None:
        self.write({"outcome": outcome, "at": time.time()})

    def submitted(self, event: JobSubmissionEvent) -> None:
        """APScheduler handed a firing to its executor: when, against when it was due."""
        due = max(moment.timestamp() for moment in event.scheduled_run_times)
        self.write(
            {"due": due, "submitted": time.time(), "coalesced": len(event.scheduled_run_times)}
        )

    def watch_gc(self, *, longer_than: float = 0.01) -> None:
        """A line per garbage collection that stopped the loop longer than ``longer_than`` s."""
        started = [0.0]

        def callback(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                started[0] = time.perf_counter()
                return
            took = time.perf_counter() - started[0]
            if took > longer_than:
                self.write(
                    {"gc_ms": round(took * 1000, 1), "gen": info["generation"], "end": time.time()}
                )

        gc.callbacks.append(callback)


async def _replica(args: argparse.Namespace, out: IO[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    store = SqlStore(Database(create_engine(args.url)))
    await store.db.ping()
    clock = AcceleratedClock(real_start=args.real_start, virtual_start=VIRTUAL_START, speed=SPEED)
    ledger = RecordingLedger(store.jobs, out, real_start=args.real_start)

    async def body() -> None:
        ran_at = time.time()
        async with store.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO bench_slot_run (slot, replica, pid, ran_at) "
                    "VALUES (:slot, :replica, :pid, :ran_at)"
                ),
                {
                    "slot": ledger.won,
                    "replica": args.replica,
                    "pid": os.getpid(),
                    "ran_at": ran_at,
                },
            )

    ledger.watch_gc()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(ledger.submitted, EVENT_JOB_SUBMITTED)
    add_periodic_job(
        scheduler,
        PeriodicJob(JOB, EVERY, body),
        jobs=ledger,
        clock=clock,
        holder=holder_name(),
        observe=ledger.outcome,
        interval=timedelta(seconds=SLOT_SECONDS),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    scheduler.start()
    ledger.write({"next_run_time": scheduler.get_job(JOB).next_run_time.timestamp()})
    print(f"ready {time.time()!r}", flush=True)
    await stop.wait()
    scheduler.shutdown(wait=False)
    await store.db.engine.dispose()


def replica_cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler")
    parser.add_argument("--replica", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--real-start", type=float, required=True)
    parser.add_argument("--record", required=True)
    args = parser.parse_args(argv)
    with Path(args.record).open("a") as out:
        asyncio.run(_replica(args, out))
    return 0


# ---------------------------------------------------------------------------- the benchmark


def _index(slot: str) -> int:
    """A slot label as an index from VIRTUAL_START."""
    moment = datetime.strptime(slot, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return round((moment - VIRTUAL_START) / EVERY)


@dataclass
class Replica:
    name: str
    child: Child
    record: Path
    ready_at: float | None = None


@dataclass
class Kill:
    victim: str
    after_slot: int  # the latest claimed slot, whose holder was killed
    at_real: float
    latest_after_kill: int | None = None


class Run:
    def __init__(self, processes: Processes, workdir: Path, url: str, real_start: float) -> None:
        self.processes = processes
        self.workdir = workdir
        self.url = url
        self.real_start = real_start
        self.replicas: list[Replica] = []

    def at(self, index: float) -> float:
        """The real time of slot ``index``'s start."""
        return self.real_start + index * SLOT_SECONDS

    async def start(self, name: str) -> Replica:
        record = self.workdir / f"{name}.jsonl"
        argv = [PYTHON, "-m", "bench.scheduler", "--replica", name, "--url", self.url]
        argv += ["--real-start", repr(self.real_start), "--record", str(record)]
        child = await self.processes.start(
            name, argv, env=base_env(), log_path=self.workdir / f"{name}.log", stdout_pipe=True
        )
        replica = Replica(name, child, record)
        self.replicas.append(replica)
        return replica

    async def ready(self, replica: Replica) -> None:
        stdout = replica.child.process.stdout
        assert stdout is not None
        line = (await asyncio.wait_for(stdout.readline(), timeout=60)).decode().strip()
        if not line.startswith("ready "):
            raise RuntimeError(f"{replica.name} did not start: {replica.child.log_tail()}")
        replica.ready_at = float(line.split()[1])

    def by_pid(self, pid: int) -> Replica | None:
        return next((r for r in self.replicas if r.child.pid == pid), None)


async def _latest(db: asyncpg.Connection) -> tuple[int, str] | None:
    row = await db.fetchrow(
        "SELECT slot, holder FROM job_run WHERE job = $1 ORDER BY slot DESC LIMIT 1", JOB
    )
    return None if row is None else (_index(row["slot"]), str(row["holder"]))


async def _sleep_until(moment: float) -> None:
    """Short sleeps: Linux lets a long poll timeout end late (timer slack: 0.1 % of it, 0.5 %
    for a niced process, up to 100 ms), which would move the kill by a slot."""
    while (left := moment - time.time()) > 0:  # noqa: ASYNC110 - waiting for a time, not an event
        await asyncio.sleep(min(left, 0.05))


async def _kill_latest(run: Run, db: asyncpg.Connection) -> Kill:
    latest = await _latest(db)
    if latest is None:
        raise RuntimeError("no slot was claimed before the kill")
    slot, holder = latest
    victim = run.by_pid(int(holder.rsplit(":", 1)[1]))
    if victim is None:
        raise RuntimeError(f"the latest slot's holder {holder} is not one of the replicas")
    killed_at = time.time()
    await run.processes.kill(victim.child)
    after = await _latest(db)
    kill = Kill(victim.name, slot, killed_at, after[0] if after else None)
    log(
        f"scheduler: killed {victim.name} (pid {victim.child.pid}), holder of slot {slot}, "
        f"{(killed_at - run.at(slot)) * 1000:.0f} ms after that slot's start"
    )
    return kill


def _read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut by the SIGKILL
            records.append(json.loads(line))
    return records


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _delays(values: list[float]) -> dict[str, float]:
    return {
        "p50": _ms(percentile(values, 0.5)),
        "p99": _ms(percentile(values, 0.99)),
        "max": _ms(max(values)) if values else math.nan,
    }


async def run_scheduler(slots: int, *, keep: bool = False) -> Outcome:
    outcome = Outcome("scheduler")
    kill_index = slots // 2
    restart_index = slots * 3 // 4
    log(
        f"scheduler: {len(REPLICAS)} replicas, {slots} slots of {EVERY} lasting "
        f"{SLOT_SECONDS * 1000:g} ms each; SIGKILL at slot {kill_index}, restart at "
        f"{restart_index}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    async with pg_database("scheduler") as database:
        await asyncio.to_thread(upgrade, pg_url(database))
        db = await asyncpg.connect(pg_dsn(database))
        try:
            await db.execute(RUN_TABLE)
            # slot 0 starts on a multiple of SLOT_SECONDS since the epoch
            real_start = math.ceil((time.time() + LEAD_SECONDS) / SLOT_SECONDS) * SLOT_SECONDS
            async with Processes() as processes:
                run = Run(processes, workdir, pg_url(database), real_start)
                for name in REPLICAS:
                    await run.start(name)
                await asyncio.gather(*(run.ready(r) for r in run.replicas))
                await _sleep_until(run.at(kill_index + 0.5))
                kill = await _kill_latest(run, db)
                await _sleep_until(run.at(restart_index))
                restarted = await run.start(f"{kill.victim}-restarted")
                restarted_at = time.time()
                await run.ready(restarted)
                await _sleep_until(run.at(slots) + TAIL_SECONDS)
                await processes.stop_all()
            claims = await db.fetch(
                "SELECT slot, holder, claimed_at FROM job_run WHERE job = $1", JOB
            )
            runs = await db.fetch("SELECT slot, replica, pid, ran_at FROM bench_slot_run")
        finally:
            await db.close()
    _analyse(
        outcome,
        run,
        slots=slots,
        kill=kill,
        restarted=restarted,
        restarted_at=restarted_at,
        claims=[dict(r) for r in claims],
        runs=[dict(r) for r in runs],
    )
    if keep:
        outcome.figures["workdir"] = str(workdir)
    else:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    return outcome


def _pair(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each claim attempt with the firing it came from (APScheduler's submission line comes
    just before the claim's line)."""
    pairs = []
    due: dict[str, Any] | None = None
    for record in records:
        if "due" in record:
            due = record
        elif "slot" in record and due is not None:
            pairs.append((due, record))
            due = None
    return pairs


def _due_slot(run: Run, due: dict[str, Any]) -> int:
    return math.floor((float(due["due"]) - run.real_start) / SLOT_SECONDS)


def _explain(
    why: dict[int, dict[str, Any]], name: str, records: list[dict[str, Any]], run: Run
) -> None:
    """For each skipped slot: what this replica's firing due in it did, and its GC pauses
    around it."""
    for due, claim in _pair(records):
        index = _due_slot(run, due)
        if index in why:
            why[index][name] = {
                "due_ms_into_slot": _ms(due["due"] - run.at(index)),
                "submitted_late_ms": _ms(due["submitted"] - due["due"]),
                "claimed_slot": _index(claim["slot"]),
                "won": claim["won"],
            }
    for record in records:
        if "gc_ms" in record:
            began = record["end"] - record["gc_ms"] / 1000
            index = math.floor((began - run.real_start) / SLOT_SECONDS)
            for slot in (index - 1, index, index + 1):
                if slot in why:
                    why[slot].setdefault(f"{name} gc_ms", []).append(record["gc_ms"])


def _analyse(
    outcome: Outcome,
    run: Run,
    *,
    slots: int,
    kill: Kill,
    restarted: Replica,
    restarted_at: float,
    claims: list[dict[str, Any]],
    runs: list[dict[str, Any]],
) -> None:
    pid_name = {r.child.pid: r.name for r in run.replicas}
    in_range = range(slots)
    ran: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in runs:
        ran[_index(row["slot"])].append(row)
    claimed: dict[int, str] = {}
    claimed_at: dict[int, datetime] = {}
    for row in claims:
        claimed[_index(row["slot"])] = pid_name.get(int(row["holder"].rsplit(":", 1)[1]), "?")
        claimed_at[_index(row["slot"])] = row["claimed_at"]
    ran_once = [i for i in in_range if len(ran[i]) == 1]
    twice = [i for i in in_range if len(ran[i]) > 1]
    skipped = [i for i in in_range if not ran[i]]
    per_replica = Counter(ran[i][0]["replica"] for i in in_range if ran[i])
    disagree = [i for i in in_range if ran[i] and claimed.get(i) != ran[i][0]["replica"]]
    claimed_not_run = [i for i in in_range if i in claimed and not ran[i]]

    firing: list[float] = []  # slot start -> the claim's clock reading (run_claimed's now())
    body: list[float] = []  # slot start -> the body's start
    for i in in_range:
        for row in ran[i]:
            body.append(row["ran_at"] - run.at(i))
        if i in claimed_at:
            since = (claimed_at[i] - VIRTUAL_START).total_seconds() / SPEED
            firing.append(since - i * SLOT_SECONDS)

    attempts: dict[str, dict[str, Any]] = {}
    why: dict[int, dict[str, Any]] = {i: {} for i in skipped[:10]}
    for replica in run.replicas:
        records = _read_records(replica.record)
        _explain(why, replica.name, records, run)
        tries = [r for r in records if "slot" in r]
        counts = Counter(r["slot"] for r in tries)
        phases = [((r["fired"] - run.real_start) / SLOT_SECONDS) % 1 for r in tries]
        scheduled = next((r["next_run_time"] for r in records if "next_run_time" in r), None)
        outcomes = Counter(r["outcome"] for r in records if "outcome" in r)
        lags = [r["submitted"] - r["due"] for r in records if "due" in r]
        pauses = [r for r in records if "gc_ms" in r]
        log_text = replica.child.log_path.read_text() if replica.child.log_path else ""
        attempts[replica.name] = {
            "firings": len(tries),
            "won": sum(1 for r in tries if r["won"]),
            "outcomes": dict(outcomes),
            "same_slot_fired_twice": sum(1 for c in counts.values() if c > 1),
            "firings_that_claimed_a_later_slot": sum(
                1 for due, claim in _pair(records) if _index(claim["slot"]) > _due_slot(run, due)
            ),
            "wakeup_lag_ms": _delays(lags),
            "coalesced_firings": sum(r["coalesced"] - 1 for r in records if "due" in r),
            "gc_pauses_over_10ms": len(pauses),
            "gc_longest_ms": max((r["gc_ms"] for r in pauses), default=0.0),
            "trigger_phase_in_slot": (
                None
                if scheduled is None
                else round(((scheduled - run.real_start) / SLOT_SECONDS) % 1, 3)
            ),
            "claim_phase_in_slot_p50": round(percentile(phases, 0.5), 3),
            "apscheduler_missed": log_text.count("was missed by"),
            "apscheduler_max_instances": log_text.count("maximum number of running instances"),
            "ready_at_slot": (
                round((replica.ready_at - run.real_start) / SLOT_SECONDS, 1)
                if replica.ready_at
                else None
            ),
        }

    next_slot = kill.after_slot + 1
    next_runs = ran[next_slot]
    first_by_restarted = min(
        (i for i in in_range if ran[i] and ran[i][0]["replica"] == restarted.name), default=None
    )
    outcome.figures.update(
        {
            "replicas": len(REPLICAS),
            "slot": f"{EVERY} of clock time = {SLOT_SECONDS * 1000:g} ms of real time "
            f"(speed x{SPEED:g})",
            "trigger_offset_ms": round(SLOT_OFFSET * SLOT_SECONDS * 1000, 1),
            "slots_expected": slots,
            "slots_ran": len([i for i in in_range if ran[i]]),
            "slots_ran_once": len(ran_once),
            "slots_run_more_than_once": len(twice),
            "slots_skipped": len(skipped),
            "skipped_slots_first_20": skipped[:20],
            "twice_slots_first_20": twice[:20],
            "skipped_slots_explained": why,
            "slots_run_per_replica": dict(sorted(per_replica.items())),
            "claims_not_run": claimed_not_run[:20],
            "runs_not_matching_their_claim": disagree[:20],
            "kill": {
                "victim": kill.victim,
                "after_slot": kill.after_slot,
                "ms_after_that_slot_start": _ms(kill.at_real - run.at(kill.after_slot)),
                "latest_claim_right_after_kill": kill.latest_after_kill,
                "next_slot": next_slot,
                "next_slot_ran_by": [r["replica"] for r in next_runs],
                "next_slot_delay_ms": (
                    _ms(next_runs[0]["ran_at"] - run.at(next_slot)) if next_runs else None
                ),
            },
            "restart": {
                "replica": restarted.name,
                "started_at_slot": round((restarted_at - run.real_start) / SLOT_SECONDS, 1),
                "ready_at_slot": (
                    round((restarted.ready_at - run.real_start) / SLOT_SECONDS, 1)
                    if restarted.ready_at
                    else None
                ),
                "first_slot_it_ran": first_by_restarted,
                "slots_it_ran": per_replica.get(restarted.name, 0),
                "its_firings": attempts[restarted.name]["firings"],
            },
            "delay_slot_start_to_claim_ms": _delays(firing),
            "delay_slot_start_to_body_ms": _delays(body),
            "per_replica": attempts,
        }
    )
    joined = attempts[restarted.name]
    outcome.check("each slot runs", f"{slots} of {slots}", f"{slots - len(skipped)}", not skipped)
    outcome.check("no slot runs twice", "0", str(len(twice)), not twice)
    outcome.check(
        "kill spares the next slot",
        f"slot {next_slot} runs once, elsewhere",
        f"{len(next_runs)} run(s) by {', '.join(r['replica'] for r in next_runs) or 'nobody'}",
        len(next_runs) == 1 and next_runs[0]["replica"] != kill.victim,
    )
    outcome.check(
        "restarted replica joins",
        "fires, no slot run twice",
        f"{joined['firings']} firings, {joined['won']} won, {len(twice)} twice",
        joined["firings"] > 0 and not twice,
    )
    outcome.check(
        "runs agree with claims",
        "0 disagreements",
        f"{len(disagree) + len(claimed_not_run)}",
        not disagree and not claimed_not_run,
    )


if __name__ == "__main__":
    sys.exit(replica_cli())
