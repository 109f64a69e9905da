"""fanout, crash, replicas: real ``advocacy-bot serve`` processes sending one content's DMs
to N ambassadors through the fake Slack, whose ``chat.postMessage`` has a workspace-wide
token bucket (R per second, burst B, HTTP 429 + ``Retry-After: 1`` beyond it).

The content is published in the benchmark's process with ``SqlContents.publish`` (the same
transaction a curator's ``/advocacy publish`` runs); the servers' senders find the new rows at
their next poll. Every figure about what Slack received comes from the fake's call log
(``GET /_fake/calls``); the database's delivery statuses are checked against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bench.common import (
    BOT_TOKEN,
    SCRIPT,
    SIGNING_SECRET,
    TEAM_ID,
    WORKSPACE,
    BotConfig,
    Child,
    FakeSlack,
    Outcome,
    Processes,
    base_env,
    cpu_seconds,
    fake_slack,
    free_port,
    log,
    machine_busy_seconds,
    pg_database,
    pg_dsn,
    pg_url,
    postgres_cpu_seconds,
    publish_content,
    seed_postgres,
    user_id,
)
from bot.model import ContentId, Platform, PlatformUser
from bot.sender import SenderSettings
from content_store.migrate import upgrade

# delivery.claim_lock_seconds when config.yaml does not set it
PRODUCT_LOCK_FOR_SECONDS = SenderSettings().lock_for.total_seconds()
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class DeliveryPlan:
    """One delivery benchmark."""

    name: str
    ambassadors: int
    replicas: int = 1
    kill_at: tuple[float, ...] = ()  # fractions of N accepted at which the sender is killed
    rate: float = 100.0  # the fake's limit on chat.postMessage (R)
    burst: int = 200  # the fake's burst
    bot_rate_factor: float = 0.97  # delivery.slack.rate = factor x R
    bot_burst: int = 5
    in_flight: int = 5
    lease_seconds: int = 5
    lock_for: int | None = None  # delivery.claim_lock_seconds; None: the product's default
    keep: bool = False

    @property
    def bot_rate(self) -> float:
        return round(self.rate * self.bot_rate_factor, 3)

    def timeout(self) -> float:
        sending = self.ambassadors / self.bot_rate
        lock = self.lock_for if self.lock_for is not None else PRODUCT_LOCK_FOR_SECONDS
        crashes = len(self.kill_at) * (self.lease_seconds + 30) + (lock if self.kill_at else 0)
        return 2 * sending + crashes + 120


@dataclass
class Server:
    child: Child
    port: int
    ready_at: float = 0.0

    @property
    def holder_pid(self) -> int:
        return self.child.pid


@dataclass
class Crash:
    """One SIGKILL of the sending replica."""

    fraction: float
    accepted_at_kill: int
    killed_at: float  # wall clock, as the fake's call times
    holder: str
    claimed_rows: int
    sent_not_recorded: list[str]
    stranded_users: list[str]
    restart_ready_seconds: float
    figures: dict[str, Any] = field(default_factory=dict)


class Run:
    """The state of one delivery benchmark while it runs."""

    def __init__(
        self,
        plan: DeliveryPlan,
        processes: Processes,
        fake: FakeSlack,
        workdir: Path,
        database: str,
        session: aiohttp.ClientSession,
    ) -> None:
        self.plan = plan
        self.processes = processes
        self.fake = fake
        self.workdir = workdir
        self.database = database
        self.session = session
        self.config = BotConfig(
            rate=plan.bot_rate,
            burst=plan.bot_burst,
            in_flight=plan.in_flight,
            lease_seconds=plan.lease_seconds,
            claim_lock_seconds=plan.lock_for,
        ).write(workdir)
        self.servers: list[Server] = []
        self.started_servers = 0
        self.crashes: list[Crash] = []
        self.holders: list[tuple[float, str, int]] = []  # (time, holder, epoch) when it changed
        self.exit_codes: list[int | None] = []
        self.cpu_at_kill: dict[str, float | None] = {}

    # ------------------------------------------------------------------ servers

    async def start_server(self) -> Server:
        port = free_port()
        env = base_env()
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.fake.base_url,
            DATABASE_URL=pg_url(self.database),
            ADVOCACY_CONFIG=str(self.config),
            ADVOCACY_PUBLIC_URL=f"http://127.0.0.1:{port}",
            PORT=str(port),
            HOST="127.0.0.1",
            LOG_LEVEL="WARNING",
        )
        argv = [str(SCRIPT), "serve"]
        self.started_servers += 1
        name = f"serve-{self.started_servers}"
        child = await self.processes.start(
            name, argv, env=env, log_path=self.workdir / f"{name}.log"
        )
        server = Server(child, port)
        await self._wait_ready(server)
        return server

    async def _wait_ready(self, server: Server) -> None:
        url = f"http://127.0.0.1:{server.port}/healthz"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if not server.child.alive:
                break
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(url) as response:
                    if response.status == 200:
                        server.ready_at = time.monotonic()
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(
            f"{server.child.name} did not become healthy:\n{server.child.log_tail()}"
        )

    # ------------------------------------------------------------------ the run

    async def publish(self) -> tuple[ContentId, float, float, int]:
        """Create the content and publish it: (id, wall time before, after, rows created)."""
        return await publish_content(
            self.database,
            created_by=PlatformUser(Platform.SLACK, TEAM_ID, "U9999999"),
            summary="How we send ten thousand DMs without spamming anyone.",
        )

    async def lease(self, db: asyncpg.Connection) -> tuple[str, int] | None:
        row = await db.fetchrow(
            "SELECT holder, epoch FROM send_lease WHERE workspace = $1", WORKSPACE
        )
        return (str(row["holder"]), int(row["epoch"])) if row else None

    async def crash(self, db: asyncpg.Connection, fraction: float, accepted: int) -> None:
        """SIGKILL the replica holding the send lease, then start a new one in its place."""
        lease = await self.lease(db)
        holder = lease[0] if lease else ""
        pid = int(holder.rsplit(":", 1)[1]) if holder else -1
        victim = next((s for s in self.servers if s.holder_pid == pid), self.servers[0])
        self.cpu_at_kill[victim.child.name] = cpu_seconds(victim.child.pid)
        killed_at = time.time()
        await self.processes.kill(victim.child)
        await asyncio.sleep(0.5)  # requests already on the wire land at the fake
        claimed = await db.fetch(
            "SELECT i.user_id FROM delivery d JOIN identity i ON i.ambassador_id = d.ambassador_id"
            " WHERE d.status = 'claimed' AND d.locked_by = $1",
            holder,
        )
        users = [str(r["user_id"]) for r in claimed]
        received = {c["channel"] for c in await self.fake.calls() if c["ok"]}
        sent_not_recorded = [u for u in users if u in received]
        stranded = [u for u in users if u not in received]
        self.servers.remove(victim)
        started = time.monotonic()
        self.servers.append(await self.start_server())
        self.crashes.append(
            Crash(
                fraction=fraction,
                accepted_at_kill=accepted,
                killed_at=killed_at,
                holder=holder,
                claimed_rows=len(users),
                sent_not_recorded=sent_not_recorded,
                stranded_users=stranded,
                restart_ready_seconds=time.monotonic() - started,
            )
        )
        log(
            f"{self.plan.name}: killed {holder or victim.child.name} at {accepted} accepted "
            f"({len(users)} claimed rows, {len(sent_not_recorded)} already sent)"
        )

    async def monitor(self, db: asyncpg.Connection, content_id: int) -> dict[str, int]:
        """Until no delivery of the content is pending or claimed; kills as planned."""
        plan = self.plan
        kills = list(plan.kill_at)
        deadline = time.monotonic() + plan.timeout()
        next_progress = time.monotonic() + 15
        next_counts = 0.0
        counts: dict[str, int] = {}
        last_lease: tuple[str, int] | None = None
        while True:
            accepted = await self.fake.accepted()
            if kills and accepted >= kills[0] * plan.ambassadors:
                await self.crash(db, kills.pop(0), accepted)
            lease = await self.lease(db)
            if lease is not None and lease != last_lease:
                self.holders.append((time.time(), *lease))
                last_lease = lease
            now = time.monotonic()
            if now >= next_counts:
                rows = await db.fetch(
                    "SELECT status, count(*) AS n FROM delivery WHERE content_id = $1 "
                    "GROUP BY status",
                    content_id,
                )
                counts = {str(r["status"]): int(r["n"]) for r in rows}
                next_counts = now + 1.0
                if not kills and counts.get("pending", 0) + counts.get("claimed", 0) == 0:
                    return counts
            if now >= next_progress:
                stats = await self.fake.stats()
                rejected = stats["rejected"].get("chat.postMessage", 0)
                log(f"{plan.name}: {accepted}/{plan.ambassadors} accepted, {rejected} x 429")
                next_progress = now + 15
            if now > deadline:
                raise TimeoutError(
                    f"{plan.name}: not finished after {plan.timeout():.0f}s: {counts}"
                )
            await asyncio.sleep(0.2)

    def cpu_snapshot(self) -> dict[str, float | None]:
        """CPU seconds used so far by each server (killed ones: at their kill), the fake
        and PostgreSQL."""
        snapshot: dict[str, float | None] = dict(self.cpu_at_kill)
        snapshot.update({s.child.name: cpu_seconds(s.child.pid) for s in self.servers})
        snapshot["fake-slack"] = cpu_seconds(self.fake.child.pid)
        snapshot["postgres (all)"] = postgres_cpu_seconds()
        snapshot["bench (this process)"] = cpu_seconds(os.getpid())
        snapshot["machine (all cores)"] = machine_busy_seconds()
        return snapshot

    async def stop_servers(self) -> None:
        codes = await asyncio.gather(*(self.processes.stop(s.child) for s in self.servers))
        self.exit_codes = list(codes)


def _peak(times: list[float], width: float) -> int:
    """The most calls in any window of ``width`` seconds."""
    best = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] > width:
            start += 1
        best = max(best, end - start + 1)
    return best


def _log_levels(paths: list[Path]) -> dict[str, int]:
    levels: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                levels["non-json"] += 1
                continue
            if isinstance(record, dict):
                levels[str(record.get("level", "?"))] += 1
    return dict(levels)


def _log_messages(paths: list[Path], limit: int = 8) -> list[str]:
    seen: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                seen[line[:120]] += 1
                continue
            if isinstance(record, dict):
                seen[str(record.get("event", ""))[:120]] += 1
    return [f"{n} x {message}" for message, n in seen.most_common(limit)]


async def run_delivery(plan: DeliveryPlan) -> Outcome:
    outcome = Outcome(plan.name)
    directory = tempfile.mkdtemp(prefix=f"bench-{plan.name}-")
    workdir = Path(directory)
    log(
        f"{plan.name}: {plan.ambassadors} ambassadors, {plan.replicas} server(s), fake limit "
        f"R={plan.rate:g}/s burst {plan.burst}, bot rate {plan.bot_rate:g}/s burst "
        f"{plan.bot_burst}, in_flight {plan.in_flight}, lease {plan.lease_seconds}s, lock_for "
        f"{plan.lock_for if plan.lock_for is not None else 'default'} "
        f"({plan.lock_for or PRODUCT_LOCK_FOR_SECONDS:g}s)"
    )
    async with (
        Processes() as processes,
        fake_slack(processes, workdir, rate=plan.rate, burst=plan.burst) as fake,
        pg_database(plan.name) as database,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
    ):
        await asyncio.to_thread(upgrade, pg_url(database))
        seeded = await seed_postgres(pg_dsn(database), plan.ambassadors)
        run = Run(plan, processes, fake, workdir, database, session)
        run.servers = list(
            await asyncio.gather(*(run.start_server() for _ in range(plan.replicas)))
        )
        db = await asyncpg.connect(pg_dsn(database))
        try:
            content_id, published_from, published_at, created = await run.publish()
            cpu_before = await asyncio.to_thread(run.cpu_snapshot)
            counts = await run.monitor(db, content_id)
            finished = time.time()
            cpu_after = await asyncio.to_thread(run.cpu_snapshot)
            rows = await db.fetch(
                "SELECT i.user_id, d.status, d.message_id, d.attempts FROM delivery d "
                "JOIN identity i ON i.ambassador_id = d.ambassador_id WHERE d.content_id = $1",
                content_id,
            )
            lease = await run.lease(db)
        finally:
            await db.close()
        await run.stop_servers()
        calls = await fake.calls()
        logs = [workdir / f"serve-{i}.log" for i in range(1, run.started_servers + 1)]
        _figures(outcome, plan, run, calls, rows, seeded, created, counts, lease, logs)
        outcome.figures["publish_seconds"] = round(published_at - published_from, 3)
        outcome.figures["wall_seconds_publish_to_done"] = round(finished - published_at, 1)
        used = {  # a server started during the run counts from 0
            name: after - (cpu_before.get(name) or 0.0)
            for name, after in cpu_after.items()
            if after is not None and (name.startswith("serve-") or cpu_before.get(name))
        }
        outcome.figures["cpu_percent_of_one_core"] = {
            name: round(100 * seconds / (finished - published_at)) for name, seconds in used.items()
        }
        servers = sum(v for k, v in used.items() if k.startswith("serve-"))
        ours = sum(v for k, v in used.items() if not k.startswith("machine"))
        if "machine (all cores)" in used:  # anything else running on the machine meanwhile
            outcome.figures["cpu_percent_of_one_core"]["other processes"] = round(
                100 * (used["machine (all cores)"] - ours) / (finished - published_at)
            )
        if not plan.kill_at and outcome.figures["accepted"]:
            # The sender's cost: what bounds one workspace's rate (one lease, one process).
            outcome.figures["server_cpu_ms_per_message"] = round(
                1000 * servers / outcome.figures["accepted"], 1
            )
        _rates(outcome, plan, calls, published_at)
        _targets(outcome, plan, run)
    if plan.keep:
        outcome.figures["workdir"] = str(workdir)
    else:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    return outcome


def _figures(
    outcome: Outcome,
    plan: DeliveryPlan,
    run: Run,
    calls: list[dict[str, Any]],
    rows: list[asyncpg.Record],
    seeded: dict[str, float],
    created: int,
    counts: dict[str, int],
    lease: tuple[str, int] | None,
    logs: list[Path],
) -> None:
    accepted = [c for c in calls if c["ok"]]
    limited = [c for c in calls if c["status"] == 429]
    errors = [c for c in calls if not c["ok"] and c["status"] != 429]
    per_user = Counter(str(c["channel"]) for c in accepted)
    expected = {user_id(n) for n in range(1, plan.ambassadors + 1)}
    ts_of: dict[str, set[str]] = {}
    for call in accepted:
        ts_of.setdefault(str(call["channel"]), set()).add(str(call["ts"]))
    db_sent = {str(r["user_id"]): str(r["message_id"]) for r in rows if r["status"] == "sent"}
    disagreements = sum(1 for u, ts in db_sent.items() if ts not in ts_of.get(u, set()))
    disagreements += len(set(per_user) ^ set(db_sent))
    f = outcome.figures
    f["config"] = {
        "fake_rate_R": plan.rate,
        "fake_burst": plan.burst,
        "bot_rate": plan.bot_rate,
        "bot_burst": plan.bot_burst,
        "in_flight": plan.in_flight,
        "lease_seconds": plan.lease_seconds,
        "claim_lock_seconds": plan.lock_for or f"default {PRODUCT_LOCK_FOR_SECONDS:g}",
        "replicas": plan.replicas,
    }
    f["ambassadors"] = plan.ambassadors
    f["deliveries_created"] = created
    f["seed_seconds"] = round(seeded["seed_seconds"], 2)
    f["post_message_calls"] = len(calls)
    f["accepted"] = len(accepted)
    f["rate_limited_429"] = len(limited)
    f["other_errors"] = len(errors)
    f["pct_429"] = round(100 * len(limited) / max(len(calls), 1), 3)
    f["lost"] = len(expected - set(per_user))
    f["duplicates_people"] = sum(1 for n in per_user.values() if n > 1)
    f["duplicate_messages"] = sum(n - 1 for n in per_user.values() if n > 1)
    f["unexpected_recipients"] = len(set(per_user) - expected)
    f["db_statuses"] = counts
    f["db_attempts_max"] = max((int(r["attempts"]) for r in rows), default=0)
    f["db_disagreements"] = disagreements
    f["final_lease"] = {"holder": lease[0], "epoch": lease[1]} if lease else None
    f["lease_holders_seen"] = len({h for _, h, _ in run.holders})
    f["lease_changes"] = [
        {"at": round(t - run.holders[0][0], 1), "holder": h, "epoch": e} for t, h, e in run.holders
    ]
    f["server_exit_codes_on_sigterm"] = run.exit_codes
    f["server_log_levels"] = _log_levels(logs)
    f["server_log_top"] = _log_messages(logs)
    if run.crashes:
        f["crashes"] = [_crash_figures(c, accepted) for c in run.crashes]


def _crash_figures(crash: Crash, accepted: list[dict[str, Any]]) -> dict[str, Any]:
    after = [c["time"] for c in accepted if c["time"] > crash.killed_at + 0.5]
    stranded = set(crash.stranded_users)
    stranded_times = [c["time"] for c in accepted if c["channel"] in stranded]
    return {
        "at_fraction": crash.fraction,
        "accepted_at_kill": crash.accepted_at_kill,
        "killed_holder": crash.holder,
        "claimed_rows_of_dead_holder": crash.claimed_rows,
        "sent_but_not_marked": len(crash.sent_not_recorded),
        "claimed_not_sent": len(crash.stranded_users),
        "restart_ready_seconds": round(crash.restart_ready_seconds, 1),
        "first_send_after_kill_seconds": round(min(after) - crash.killed_at, 1) if after else None,
        "stranded_rows_sent_after_seconds": (
            round(max(stranded_times) - crash.killed_at, 1) if stranded_times else None
        ),
    }


def _rates(
    outcome: Outcome, plan: DeliveryPlan, calls: list[dict[str, Any]], published_at: float
) -> None:
    times = sorted(float(c["time"]) for c in calls if c["ok"])
    f = outcome.figures
    if len(times) < 2:
        f["rate_window"] = f["rate_overall"] = 0.0
        return
    span = times[-1] - times[0]
    f["first_to_last_seconds"] = round(span, 2)
    f["rate_window"] = round((len(times) - 1) / span, 2) if span > 0 else 0.0
    f["rate_overall"] = round(len(times) / (times[-1] - published_at), 2)
    f["publish_to_first_send_seconds"] = round(times[0] - published_at, 2)
    f["peak_in_1s"] = _peak(times, 1.0)
    f["peak_in_10s"] = _peak(times, 10.0)
    buckets = Counter(int((t - times[0]) // 10) for t in times)
    f["per_10s"] = [buckets.get(i, 0) for i in range(max(buckets) + 1)]
    f["pct_of_R_window"] = round(100 * f["rate_window"] / plan.rate, 1)


def _targets(outcome: Outcome, plan: DeliveryPlan, run: Run) -> None:
    f = outcome.figures
    rate, pct = f.get("rate_window", 0.0), f["pct_429"]
    outcome.check("lost", "0", str(f["lost"]), f["lost"] == 0)
    outcome.check(
        "DB agrees", "0 disagreements", str(f["db_disagreements"]), f["db_disagreements"] == 0
    )
    outcome.check("429 share", "< 1%", f"{pct}% ({f['rate_limited_429']})", pct < 1.0)
    if plan.kill_at:
        done = len(run.crashes)
        outcome.check("kills", str(len(plan.kill_at)), str(done), done == len(plan.kill_at))
        per_crash = [len(c.sent_not_recorded) for c in run.crashes]
        bound = plan.in_flight * len(plan.kill_at)
        dups = f["duplicate_messages"]
        outcome.check(
            "duplicates",
            f"<= in_flight ({plan.in_flight}) per crash = {bound}",
            f"{dups} (per crash predicted {per_crash})",
            dups <= bound and all(n <= plan.in_flight for n in per_crash),
        )
        return
    outcome.check("duplicates", "0", str(f["duplicate_messages"]), f["duplicate_messages"] == 0)
    outcome.check(
        "send rate (first..last)",
        f">= 95% of R = {0.95 * plan.rate:g}/s",
        f"{rate}/s ({f.get('pct_of_R_window', 0)}% of R)",
        rate >= 0.95 * plan.rate,
    )
    if plan.replicas > 1:
        outcome.check(
            "total rate within limit", f"<= R = {plan.rate:g}/s", f"{rate}/s", rate <= plan.rate
        )
