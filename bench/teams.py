"""teams_fanout: one real ``advocacy-bot serve`` sending one content's suggestion cards to N
Teams ambassadors through the fake Bot Framework Connector, which enforces Teams' limits.

The fake (``python -m tests.fakes.bot_connector``, a separate process) puts a token bucket on
each tenant (R requests per second, default 30: Teams' documented "30 RPS per app per tenant",
burst R) and sliding windows on each conversation (7 / 1 s, 8 / 2 s, 60 / 30 s, 1,800 / 1 h);
beyond them it answers HTTP 429 with ``Retry-After``. About 1 % of the conversations are listed
in its ``--block-conversations-file``: writes to them answer the documented 403
``MessageWritesBlocked``, as when a person blocked or uninstalled the app.

Each ambassador is seeded with a Teams identity (``29:`` user id in the benchmark's tenant) and
the two ``chat_address`` rows an install stores (keyed by the user id and by
``conversation:<id>``), whose ConversationReference has the fake's ``serviceUrl``. The server
runs without Slack and with Teams in anonymous mode (no app id: no token is fetched or sent),
``delivery.teams`` at 0.97 R with a small burst. The content is published in the benchmark's
process with ``SqlContents.publish``, as in ``bench/delivery.py``; every figure about what Teams
received comes from the fake's call log (``GET /_fake/calls?route=send_to_conversation``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bench.common import (
    PYTHON,
    SCRIPT,
    TEAMS_TENANT,
    BotConfig,
    Child,
    Outcome,
    Processes,
    TeamsSeed,
    base_env,
    cpu_seconds,
    free_port,
    log,
    machine_busy_seconds,
    pg_database,
    pg_dsn,
    pg_url,
    postgres_cpu_seconds,
    publish_content,
    seed_postgres,
    teams_conversation_id,
)
from bench.delivery import _log_levels, _log_messages, _peak
from bot.model import ContentId, Platform, PlatformUser
from content_store.migrate import upgrade

STARTUP_TIMEOUT = 60.0
SEND_ROUTE = "send_to_conversation"
BLOCKED_REASON = "MessageWritesBlocked"


@dataclass(frozen=True)
class TeamsPlan:
    """The Teams fan-out benchmark."""

    ambassadors: int
    rate: float = 30.0  # the fake's per-tenant limit (R)
    tenant_burst: int | None = None  # the fake's bucket size; None: its default, int(R)
    bot_rate_factor: float = 0.97  # delivery.teams.rate = factor x R
    bot_burst: int = 5
    in_flight: int = 5
    lease_seconds: int = 5
    blocked_every: int = 100  # the people n with n % blocked_every == blocked_every // 2
    keep: bool = False
    name: str = "teams_fanout"

    @property
    def bot_rate(self) -> float:
        return round(self.rate * self.bot_rate_factor, 3)

    def is_blocked(self, n: int) -> bool:
        return self.blocked_every > 0 and n % self.blocked_every == self.blocked_every // 2

    def blocked(self) -> list[int]:
        return [n for n in range(1, self.ambassadors + 1) if self.is_blocked(n)]

    def timeout(self) -> float:
        return 2 * self.ambassadors / self.bot_rate + 120


# ---------------------------------------------------------------------------- the fake


@dataclass
class FakeConnector:
    """The fake Bot Framework Connector running as a child process."""

    child: Child
    service_url: str  # http://127.0.0.1:PORT/
    session: aiohttp.ClientSession

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(self.service_url + "_fake/stats") as response:
            response.raise_for_status()
            data: dict[str, Any] = await response.json()
            return data

    async def calls(self, route: str = SEND_ROUTE) -> list[dict[str, Any]]:
        url = self.service_url + "_fake/calls"
        async with self.session.get(url, params={"route": route}) as response:
            response.raise_for_status()
            data = await response.json()
            calls: list[dict[str, Any]] = data["calls"]
            return calls


@contextlib.asynccontextmanager
async def fake_connector(
    processes: Processes, workdir: Path, plan: TeamsPlan
) -> AsyncIterator[FakeConnector]:
    """Start ``python -m tests.fakes.bot_connector`` with Teams' limits and the block list."""
    blocked = workdir / "blocked-conversations.txt"
    blocked.write_text("".join(f"{teams_conversation_id(n)}\n" for n in plan.blocked()))
    argv = [PYTHON, "-m", "tests.fakes.bot_connector", "--port", "0"]
    argv += ["--tenant-rate", str(plan.rate), "--block-conversations-file", str(blocked)]
    if plan.tenant_burst is not None:
        argv += ["--tenant-burst", str(plan.tenant_burst)]
    child = await processes.start(
        "fake-connector", argv, env=base_env(), log_path=workdir / "fake.log", stdout_pipe=True
    )
    assert child.process.stdout is not None
    line = await asyncio.wait_for(child.process.stdout.readline(), timeout=30)
    service_url = line.decode().strip()
    if not service_url.startswith("http://127.0.0.1:"):
        raise RuntimeError(f"the fake connector did not start: {child.log_tail()}")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield FakeConnector(child, service_url, session)


# ---------------------------------------------------------------------------- the server


async def start_server(
    processes: Processes, workdir: Path, database: str, config: Path
) -> tuple[Child, int]:
    """``advocacy-bot serve`` with Teams in anonymous mode and no Slack token."""
    port = free_port()
    env = base_env()
    env.update(
        TEAMS_ENABLED="true",
        DATABASE_URL=pg_url(database),
        ADVOCACY_CONFIG=str(config),
        ADVOCACY_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PORT=str(port),
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    child = await processes.start(
        "serve-1", [str(SCRIPT), "serve"], env=env, log_path=workdir / "serve-1.log"
    )
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline and child.alive:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return child, port
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy:\n{child.log_tail()}")


async def publish(database: str) -> tuple[ContentId, float, float, int]:
    """Create the content and publish it: (id, wall time before, after, rows created)."""
    return await publish_content(
        database,
        created_by=PlatformUser(Platform.TEAMS, TEAMS_TENANT, "29:1bench-curator"),
        summary="How we send thousands of cards without spamming anyone.",
    )


async def monitor(
    plan: TeamsPlan, fake: FakeConnector, db: asyncpg.Connection, content_id: int
) -> dict[str, int]:
    """Until no delivery of the content is pending or claimed."""
    deadline = time.monotonic() + plan.timeout()
    next_progress = time.monotonic() + 15
    while True:
        rows = await db.fetch(
            "SELECT status, count(*) AS n FROM delivery WHERE content_id = $1 GROUP BY status",
            content_id,
        )
        counts = {str(r["status"]): int(r["n"]) for r in rows}
        if counts.get("pending", 0) + counts.get("claimed", 0) == 0:
            return counts
        now = time.monotonic()
        if now >= next_progress:
            stats = await fake.stats()
            log(
                f"{plan.name}: {stats['accepted'].get(SEND_ROUTE, 0)}/{plan.ambassadors} "
                f"accepted, {stats['throttled'].get(SEND_ROUTE, 0)} x 429, "
                f"{stats['failed'].get(SEND_ROUTE, 0)} refused"
            )
            next_progress = now + 15
        if now > deadline:
            raise TimeoutError(f"{plan.name}: not finished after {plan.timeout():.0f}s: {counts}")
        await asyncio.sleep(1.0)


def _cpu(server: Child, fake: FakeConnector) -> dict[str, float | None]:
    return {
        "serve-1": cpu_seconds(server.pid),
        "fake-connector": cpu_seconds(fake.child.pid),
        "postgres (all)": postgres_cpu_seconds(),
        "bench (this process)": cpu_seconds(os.getpid()),
        "machine (all cores)": machine_busy_seconds(),
    }


# ---------------------------------------------------------------------------- the run


async def run_teams_fanout(plan: TeamsPlan) -> Outcome:
    outcome = Outcome(plan.name)
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{plan.name}-"))
    log(
        f"{plan.name}: {plan.ambassadors} Teams ambassadors ({len(plan.blocked())} blocked), "
        f"fake per-tenant R={plan.rate:g}/s burst {plan.tenant_burst or int(plan.rate)}, bot "
        f"rate {plan.bot_rate:g}/s burst {plan.bot_burst}, in_flight {plan.in_flight}"
    )
    async with (
        Processes() as processes,
        fake_connector(processes, workdir, plan) as fake,
        pg_database("teams") as database,
    ):
        await asyncio.to_thread(upgrade, pg_url(database))
        seeded = await seed_postgres(
            pg_dsn(database), plan.ambassadors, teams=TeamsSeed(fake.service_url)
        )
        config = BotConfig(
            rate=1.0,  # Slack is off in this run
            burst=1,
            in_flight=plan.in_flight,
            lease_seconds=plan.lease_seconds,
            teams_rate=plan.bot_rate,
            teams_burst=plan.bot_burst,
        ).write(workdir)
        server, _ = await start_server(processes, workdir, database, config)
        db = await asyncpg.connect(pg_dsn(database))
        try:
            content_id, published_from, published_at, created = await publish(database)
            cpu_before = await asyncio.to_thread(_cpu, server, fake)
            counts = await monitor(plan, fake, db, content_id)
            finished = time.time()
            cpu_after = await asyncio.to_thread(_cpu, server, fake)
            rows = await db.fetch(
                "SELECT i.user_id, d.status, d.channel_id, d.message_id, d.attempts, d.error, "
                "a.unreachable_reason FROM delivery d "
                "JOIN identity i ON i.ambassador_id = d.ambassador_id "
                "JOIN ambassador a ON a.id = d.ambassador_id WHERE d.content_id = $1",
                content_id,
            )
            unreachable = int(
                await db.fetchval(
                    "SELECT count(*) FROM ambassador WHERE unreachable_at IS NOT NULL"
                )
            )
        finally:
            await db.close()
        exit_code = await processes.stop(server)
        calls = await fake.calls()
        f = outcome.figures
        _figures(outcome, plan, calls, rows, counts)
        f["ambassadors_marked_unreachable"] = unreachable
        f["deliveries_created"] = created
        f["seed_seconds"] = round(seeded["seed_seconds"], 2)
        f["publish_seconds"] = round(published_at - published_from, 3)
        f["wall_seconds_publish_to_done"] = round(finished - published_at, 1)
        f["server_exit_code_on_sigterm"] = exit_code
        logs = [workdir / "serve-1.log"]
        f["server_log_levels"] = _log_levels(logs)
        f["server_log_top"] = _log_messages(logs)
        elapsed = finished - published_at
        used = {
            name: after - (cpu_before.get(name) or 0.0)
            for name, after in cpu_after.items()
            if after is not None and cpu_before.get(name) is not None
        }
        f["cpu_percent_of_one_core"] = {
            name: round(100 * seconds / elapsed) for name, seconds in used.items()
        }
        ours = sum(v for k, v in used.items() if not k.startswith("machine"))
        if "machine (all cores)" in used:
            f["cpu_percent_of_one_core"]["other processes"] = round(
                100 * (used["machine (all cores)"] - ours) / elapsed
            )
        if "serve-1" in used and f["calls_answered_201_or_403"]:
            # Per send call that went through (accepted or refused as blocked), as fan-out's
            # server_cpu_ms_per_message is per accepted message (it has no refusals).
            f["server_cpu_ms_per_message"] = round(
                1000 * used["serve-1"] / f["calls_answered_201_or_403"], 1
            )
        _rates(outcome, plan, calls, published_at)
        _targets(outcome, plan)
    if plan.keep:
        outcome.figures["workdir"] = str(workdir)
    else:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    return outcome


def _figures(
    outcome: Outcome,
    plan: TeamsPlan,
    calls: list[dict[str, Any]],
    rows: list[asyncpg.Record],
    counts: dict[str, int],
) -> None:
    blocked = {teams_conversation_id(n) for n in plan.blocked()}
    reachable = {
        teams_conversation_id(n) for n in range(1, plan.ambassadors + 1) if not plan.is_blocked(n)
    }
    accepted = [c for c in calls if 200 <= int(c["status"]) < 300]
    limited = [c for c in calls if c["status"] == 429]
    refused = [c for c in calls if c["status"] == 403]
    others = [
        c for c in calls if not 200 <= int(c["status"]) < 300 and c["status"] not in (403, 429)
    ]
    per_conversation = Counter(str(c["conversation"]) for c in accepted)
    activities: dict[str, set[str]] = {}
    for call in accepted:
        activities.setdefault(str(call["conversation"]), set()).add(str(call["activity"]))
    calls_to_blocked = Counter(
        str(c["conversation"]) for c in calls if c["conversation"] in blocked
    )
    refusals = Counter(str(c["conversation"]) for c in refused)

    # The database against the fake: every reachable person's row is sent, in their chat,
    # with an activity id the fake returned there; every blocked person's row failed.
    conversation_of = {
        user: teams_conversation_id(int(user.rsplit("-", 1)[1]))
        for user in (str(r["user_id"]) for r in rows)
    }
    disagreements: list[str] = []
    blocked_unreachable = 0
    for row in rows:
        conversation = conversation_of[str(row["user_id"])]
        if conversation in blocked:
            if row["status"] == "failed" and row["error"] == BLOCKED_REASON:
                blocked_unreachable += row["unreachable_reason"] == BLOCKED_REASON
            else:
                disagreements.append(f"{conversation}: {row['status']} {row['error']}")
            continue
        if row["status"] != "sent":
            disagreements.append(f"{conversation}: {row['status']} {row['error']}")
        elif row["channel_id"] != conversation or str(row["message_id"]) not in activities.get(
            conversation, set()
        ):
            disagreements.append(f"{conversation}: {row['channel_id']} {row['message_id']}")
        elif row["unreachable_reason"] is not None:
            disagreements.append(f"{conversation}: unreachable {row['unreachable_reason']}")
    if len(rows) != plan.ambassadors:
        disagreements.append(f"{len(rows)} delivery rows for {plan.ambassadors} people")

    f = outcome.figures
    f["config"] = {
        "fake_tenant_rate_R": plan.rate,
        "fake_tenant_burst": plan.tenant_burst or int(plan.rate),
        "fake_per_conversation": "7/1s, 8/2s, 60/30s, 1800/3600s",
        "bot_rate": plan.bot_rate,
        "bot_burst": plan.bot_burst,
        "in_flight": plan.in_flight,
        "lease_seconds": plan.lease_seconds,
        "blocked_conversations": len(blocked),
    }
    f["ambassadors"] = plan.ambassadors
    f["send_calls"] = len(calls)
    f["accepted"] = len(accepted)
    f["rate_limited_429"] = len(limited)
    f["refused_403"] = len(refused)
    f["other_errors"] = len(others)
    f["other_errors_by_status"] = dict(Counter(str(c["status"]) for c in others))
    f["calls_answered_201_or_403"] = len(accepted) + len(refused)
    f["pct_429"] = round(100 * len(limited) / max(len(calls), 1), 3)
    f["lost"] = len(reachable - set(per_conversation))
    f["duplicates_people"] = sum(1 for n in per_conversation.values() if n > 1)
    f["duplicate_messages"] = sum(n - 1 for n in per_conversation.values() if n > 1)
    f["unexpected_recipients"] = len(set(per_conversation) - reachable)
    f["blocked_with_one_403_and_no_other_call"] = sum(
        1 for c in blocked if refusals[c] == 1 and calls_to_blocked[c] == 1
    )
    f["blocked_403_per_person_max"] = max((refusals[c] for c in blocked), default=0)
    f["blocked_calls_total"] = sum(calls_to_blocked.values())
    f["blocked_marked_unreachable"] = blocked_unreachable
    f["db_statuses"] = counts
    f["db_attempts_max"] = max((int(r["attempts"]) for r in rows), default=0)
    f["db_disagreements"] = len(disagreements)
    f["db_disagreements_first"] = disagreements[:5]
    f["tenants_seen_by_fake"] = dict(Counter(str(c["tenant"]) for c in calls))
    f["calls_with_authorization_header"] = sum(1 for c in calls if c["auth"])


def _rates(
    outcome: Outcome, plan: TeamsPlan, calls: list[dict[str, Any]], published_at: float
) -> None:
    times = sorted(float(c["time"]) for c in calls if 200 <= int(c["status"]) < 300)
    through = sorted(float(c["time"]) for c in calls if c["status"] != 429)
    f = outcome.figures
    if len(times) < 2:
        f["rate_window"] = f["rate_overall"] = 0.0
        return
    span = times[-1] - times[0]
    f["first_to_last_seconds"] = round(span, 2)
    f["rate_window"] = round((len(times) - 1) / span, 2) if span > 0 else 0.0
    f["rate_overall"] = round(len(times) / (times[-1] - published_at), 2)
    if len(through) > 1 and through[-1] > through[0]:
        # What the tenant's limit counted: accepted sends and the blocked people's 403s.
        f["rate_window_201_or_403"] = round((len(through) - 1) / (through[-1] - through[0]), 2)
    f["publish_to_first_send_seconds"] = round(times[0] - published_at, 2)
    f["peak_in_1s"] = _peak(times, 1.0)
    f["peak_in_10s"] = _peak(times, 10.0)
    buckets = Counter(int((t - times[0]) // 10) for t in times)
    f["per_10s"] = [buckets.get(i, 0) for i in range(max(buckets) + 1)]
    f["pct_of_R_window"] = round(100 * f["rate_window"] / plan.rate, 1)


def _targets(outcome: Outcome, plan: TeamsPlan) -> None:
    f = outcome.figures
    rate, pct = f.get("rate_window", 0.0), f["pct_429"]
    blocked = f["config"]["blocked_conversations"]
    outcome.check(
        "send rate (first..last)",
        f">= 95% of R = {0.95 * plan.rate:g}/s",
        f"{rate}/s ({f.get('pct_of_R_window', 0)}% of R)",
        rate >= 0.95 * plan.rate,
    )
    outcome.check("429 share", "< 1%", f"{pct}% ({f['rate_limited_429']})", pct < 1.0)
    outcome.check("lost", "0", str(f["lost"]), f["lost"] == 0)
    outcome.check(
        "duplicates",
        "0",
        str(f["duplicate_messages"] + f["unexpected_recipients"]),
        f["duplicate_messages"] == 0 and f["unexpected_recipients"] == 0,
    )
    outcome.check(
        "DB agrees", "0 disagreements", str(f["db_disagreements"]), f["db_disagreements"] == 0
    )
    one = f["blocked_with_one_403_and_no_other_call"]
    outcome.check(
        "blocked: one attempt each",
        f"{blocked} of {blocked}: one 403",
        f"{one} (403s: {f['refused_403']}, calls: {f['blocked_calls_total']})",
        one == blocked and f["refused_403"] == blocked,
    )
    marked = f["blocked_marked_unreachable"]
    outcome.check(
        "blocked: unreachable",
        f"{blocked} marked {BLOCKED_REASON}",
        f"{marked} (of {f['ambassadors_marked_unreachable']} unreachable)",
        marked == blocked and f["ambassadors_marked_unreachable"] == blocked,
    )
