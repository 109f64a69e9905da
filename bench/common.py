"""What the benchmarks share: results, child processes, databases, seeding, the fake Slack."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from bot.model import Audience, ContentDraft, ContentId, PageMetadata, Platform, PlatformUser
from content_store.engine import create_engine
from content_store.repositories import Database, SqlContents

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SCRIPT = Path(sys.executable).with_name("advocacy-bot")
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_DSN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
TEAM_ID = "T0A1B2C3D"
WORKSPACE = f"slack:{TEAM_ID}"
TOPIC = "engineering"
NETWORKS = ("linkedin", "x", "bluesky")
SIGNING_SECRET = "x"  # noqa: S105 - a benchmark's throwaway secret, never a real one
BOT_TOKEN = "xoxb-bench"  # noqa: S105 - what the fake Slack accepts, nothing real


def user_id(n: int) -> str:
    """The Slack user id of the n-th seeded ambassador."""
    return f"U{n:07d}"


# Teams: one tenant (the workspace), the bot's id in the stored references.
TEAMS_TENANT = "8a2f4c6e-0b1d-4e3f-9a5b-7c9d1e3f5a7b"
TEAMS_BOT_ID = "28:bot"


def teams_user_id(n: int) -> str:
    """The Teams user id of the n-th seeded ambassador (the ``29:`` ids Teams gives)."""
    return f"29:1bench-user-{n:07d}"


def teams_conversation_id(n: int) -> str:
    """The id of the n-th seeded ambassador's personal chat with the bot (``a:...``)."""
    return f"a:1bench-chat-{n:07d}"


# ---------------------------------------------------------------------------- results


@dataclass
class Check:
    """One target: what was wanted, what was measured, whether it was met."""

    name: str
    target: str
    measured: str
    ok: bool


@dataclass
class Outcome:
    """A benchmark's figures and targets."""

    name: str
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    def check(self, name: str, target: str, measured: str, ok: bool) -> None:
        self.checks.append(Check(name, target, measured, ok))


def print_outcome(outcome: Outcome) -> None:
    """The targets as a small table, then the figures as JSON."""
    rows = [("check", "target", "measured", "result")]
    rows += [(c.name, c.target, c.measured, "PASS" if c.ok else "FAIL") for c in outcome.checks]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"\n== {outcome.name}: {'PASS' if outcome.passed else 'FAIL'}")
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(json.dumps({outcome.name: outcome.figures}, indent=1, default=str))
    sys.stdout.flush()


def log(message: str) -> None:
    """A progress line (sparingly)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------- processes


try:
    _LIBC: Any = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not Linux/glibc: children are still stopped by Processes
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGKILL if the benchmark dies without cleaning up."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Child:
    """A process the benchmark started."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path | None
    started: float

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Processes:
    """Starts children and guarantees they are gone when the block ends (even on failure):
    SIGTERM, a grace period, then SIGKILL, each by its own pid."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self._files: list[IO[bytes]] = []

    async def __aenter__(self) -> Processes:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.shield(self.stop_all())

    async def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        log_path: Path | None,
        stdout_pipe: bool = False,
    ) -> Child:
        stderr: IO[bytes] | int = subprocess.DEVNULL
        if log_path is not None:
            handle = log_path.open("ab")
            self._files.append(handle)
            stderr = handle
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else stderr,
            stderr=stderr,
            preexec_fn=_die_with_parent,
        )
        child = Child(name, process, log_path, time.monotonic())
        self.children.append(child)
        return child

    async def stop(self, child: Child, *, grace: float = 25.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit code (None if killed)."""
        if not child.alive:
            return child.process.returncode
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(child.process.wait(), timeout=grace)
        except TimeoutError:
            await self.kill(child)
            return None

    @staticmethod
    async def kill(child: Child) -> None:
        """SIGKILL (a crash), and reap it."""
        if child.alive:
            with contextlib.suppress(ProcessLookupError):
                child.process.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.process.wait(), timeout=10)

    async def stop_all(self) -> None:
        await asyncio.gather(
            *(self.stop(c, grace=10.0) for c in self.children if c.alive), return_exceptions=True
        )
        for handle in self._files:
            handle.close()
        self._files.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env() -> dict[str, str]:
    """The environment of children, without anything that could point them elsewhere."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


# ---------------------------------------------------------------------------- the fake Slack


@dataclass
class FakeSlack:
    """The fake Slack Web API running as a child process."""

    child: Child
    base_url: str  # http://127.0.0.1:PORT/api/
    session: aiohttp.ClientSession

    @property
    def root(self) -> str:
        return self.base_url.removesuffix("api/")

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(self.root + "_fake/stats") as response:
            response.raise_for_status()
            data: dict[str, Any] = await response.json()
            return data

    async def accepted(self, method: str = "chat.postMessage") -> int:
        return int((await self.stats())["accepted"].get(method, 0))

    async def calls(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        url = self.root + "_fake/calls"
        async with self.session.get(url, params={"method": method}) as response:
            response.raise_for_status()
            data = await response.json()
            calls: list[dict[str, Any]] = data["calls"]
            return calls


@contextlib.asynccontextmanager
async def fake_slack(
    processes: Processes, workdir: Path, *, rate: float, burst: int
) -> AsyncIterator[FakeSlack]:
    """Start ``python -m tests.fakes.slack_api`` with a workspace-wide limit on postMessage."""
    argv = [PYTHON, "-m", "tests.fakes.slack_api", "--port", "0"]
    argv += ["--rate", str(rate), "--burst", str(burst), "--retry-after", "1"]
    child = await processes.start(
        "fake-slack", argv, env=base_env(), log_path=workdir / "fake.log", stdout_pipe=True
    )
    assert child.process.stdout is not None
    line = await asyncio.wait_for(child.process.stdout.readline(), timeout=30)
    base_url = line.decode().strip()
    if not base_url.startswith("http://127.0.0.1:"):
        raise RuntimeError(f"the fake Slack did not start: {child.log_tail()}")
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield FakeSlack(child, base_url, session)


# ---------------------------------------------------------------------------- PostgreSQL


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{database}"


def pg_dsn(database: str) -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}"


@contextlib.asynccontextmanager
async def pg_database(prefix: str) -> AsyncIterator[str]:
    """A fresh database for one benchmark, dropped at the end (connections forced out)."""
    name = f"bench_{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def pg_version() -> str:
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


# ---------------------------------------------------------------------------- seeding

AMBASSADOR_COLUMNS = (
    "id",
    "display_name",
    "locale",
    "status",
    "ref",
    "guidelines_version",
    "networks",
    "guidelines_accepted_at",
    "joined_at",
    "delivery_mode",
)


def _topics_of(n: int) -> tuple[str, ...]:
    # Everyone matches TOPIC; every other person also follows a second topic.
    return (TOPIC, "product") if n % 2 == 0 else (TOPIC,)


def _ambassadors(count: int, now: Any) -> Iterator[tuple[Any, ...]]:
    networks = json.dumps(list(NETWORKS))
    for n in range(1, count + 1):
        yield (n, f"Ambassador {n}", "en", "active", f"b{n:012d}", "v1", networks, now, now)


def _with_mode(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield (*row, "immediate")


def _identities(count: int, teams: TeamsSeed | None = None) -> Iterator[tuple[Any, ...]]:
    for n in range(1, count + 1):
        if teams is None:
            yield (n, n, "slack", TEAM_ID, user_id(n))
        else:
            yield (n, n, "teams", teams.tenant, teams_user_id(n))


@dataclass(frozen=True)
class TeamsSeed:
    """Seed Teams people: identities in ``tenant``, and for each the ``chat_address`` rows a
    Teams install stores (keyed by the user id and by ``conversation:<id>``), whose
    ConversationReference points at ``service_url``."""

    service_url: str
    tenant: str = TEAMS_TENANT

    def payload(self, n: int) -> str:
        """The stored reference of the n-th person, as ``TeamsGateway.remember`` writes it."""
        # Imported here: only the Teams benchmark pays for botbuilder's import.
        from botbuilder.schema import (
            ChannelAccount,
            ConversationAccount,
            ConversationReference,
        )

        from adapters.teams.gateway import reference_payload

        reference = ConversationReference(
            bot=ChannelAccount(id=TEAMS_BOT_ID),
            channel_id="msteams",
            conversation=ConversationAccount(
                conversation_type="personal", id=teams_conversation_id(n), tenant_id=self.tenant
            ),
            service_url=self.service_url,
            user=ChannelAccount(id=teams_user_id(n)),
        )
        return reference_payload(reference)

    def addresses(self, count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
        from adapters.teams.gateway import conversation_key

        for n in range(1, count + 1):
            payload = self.payload(n)
            yield ("teams", self.tenant, teams_user_id(n), payload, now)
            yield ("teams", self.tenant, conversation_key(teams_conversation_id(n)), payload, now)


def _topic_rows(count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(1, count + 1):
        for topic in _topics_of(n):
            yield (n, topic)


async def seed_postgres(
    dsn: str, count: int, *, analyze: bool = True, teams: TeamsSeed | None = None
) -> dict[str, float]:
    """``count`` active ambassadors in workspace TEAM_ID, all following TOPIC, with COPY;
    with ``teams``, Teams people of its tenant instead, with their conversation references."""
    connection = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "ambassador",
            records=_with_mode(_ambassadors(count, now)),
            columns=list(AMBASSADOR_COLUMNS),
        )
        await connection.copy_records_to_table(
            "identity",
            records=_identities(count, teams),
            columns=["id", "ambassador_id", "platform", "workspace_id", "user_id"],
        )
        await connection.copy_records_to_table(
            "ambassador_topic", records=_topic_rows(count), columns=["ambassador_id", "topic"]
        )
        if teams is not None:
            await connection.copy_records_to_table(
                "chat_address",
                records=teams.addresses(count, now),
                columns=["platform", "workspace_id", "key", "payload", "updated_at"],
            )
        for table in ("ambassador", "identity"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)", count
            )
        timings["seed_seconds"] = time.perf_counter() - started
        if analyze:
            started = time.perf_counter()
            await connection.execute("ANALYZE")
            timings["analyze_seconds"] = time.perf_counter() - started
    finally:
        await connection.close()
    return timings


def _sqlite_ts(value: datetime) -> str:
    # What SQLAlchemy's DateTime stores on SQLite (UTCDateTime strips the zone first).
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def seed_sqlite(path: Path, count: int) -> dict[str, float]:
    """The same people in a SQLite file, with executemany in one transaction (blocking)."""
    now = _sqlite_ts(datetime.now(UTC))
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        with connection:
            placeholders = ", ".join("?" * len(AMBASSADOR_COLUMNS))
            connection.executemany(
                f"INSERT INTO ambassador ({', '.join(AMBASSADOR_COLUMNS)}) "  # noqa: S608
                f"VALUES ({placeholders})",
                _with_mode(_ambassadors(count, now)),
            )
            connection.executemany(
                "INSERT INTO identity (id, ambassador_id, platform, workspace_id, user_id) "
                "VALUES (?, ?, ?, ?, ?)",
                _identities(count),
            )
            connection.executemany(
                "INSERT INTO ambassador_topic (ambassador_id, topic) VALUES (?, ?)",
                _topic_rows(count),
            )
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        connection.execute("ANALYZE")
        connection.commit()
        analyzed = time.perf_counter() - started
    finally:
        connection.close()
    return {"seed_seconds": seeded, "analyze_seconds": analyzed}


# ---------------------------------------------------------------------------- bot config

CONFIG_TEMPLATE = """\
programme: {{name: Bench Ambassadors, hashtag: "#BenchAmbassadors", timezone: UTC}}
guidelines: {{file: guidelines.md, version: "v1"}}
topics:
  - {{id: {topic}, label: Engineering}}
  - {{id: product, label: Product}}
networks: [{networks}]
curators: {{slack: [U9999999]}}
leaderboard: {{day: mon, hour: 9, week: previous, channels: {{slack: []}}}}
delivery:
  slack: {{rate: {rate}, burst: {burst}}}
{teams}  in_flight: {in_flight}
  max_attempts: 8
  lease_seconds: {lease_seconds}
{claim_lock}"""


@dataclass(frozen=True)
class BotConfig:
    """The ``delivery`` section the benchmark gives the bot."""

    rate: float
    burst: int
    in_flight: int
    lease_seconds: int
    claim_lock_seconds: int | None = None  # None: the product's default
    teams_rate: float | None = None  # delivery.teams (per tenant); None: the product's default
    teams_burst: int | None = None

    def write(self, directory: Path) -> Path:
        path = directory / "config.yaml"
        path.write_text(
            CONFIG_TEMPLATE.format(
                topic=TOPIC,
                networks=", ".join(NETWORKS),
                rate=self.rate,
                burst=self.burst,
                in_flight=self.in_flight,
                lease_seconds=self.lease_seconds,
                teams=(
                    f"  teams: {{rate: {self.teams_rate}, burst: {self.teams_burst}}}\n"
                    if self.teams_rate is not None and self.teams_burst is not None
                    else ""
                ),
                claim_lock=(
                    f"  claim_lock_seconds: {self.claim_lock_seconds}\n"
                    if self.claim_lock_seconds is not None
                    else ""
                ),
            )
        )
        (directory / "guidelines.md").write_text("# Guidelines\n\nBe kind; share honestly.\n")
        return path


# ---------------------------------------------------------------------------- the machine


def revision() -> str:
    """The product's commit, and whether its code differs from it (benchmarks excluded)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, read-only
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":!bench", ":!docs"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} + local changes" if changed else head


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "revision": revision(),
        "cpus": str(os.cpu_count()),
        "cpu_model": model,
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float | None:
    """User + system CPU time a process used so far (Linux /proc), None if it is gone;
    with ``reaped_children``, plus that of its children that exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, /proc/stat), to see other load."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / _TICKS


def postgres_cpu_seconds() -> float:
    """CPU time of every ``postgres`` process, including backends that exited (the server is
    shared: other users' queries count too)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        total += cpu_seconds(int(entry.name), reaped_children=True) or 0.0
    return total


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def publish_content(
    database: str, *, created_by: PlatformUser, summary: str
) -> tuple[ContentId, float, float, int]:
    """Create the benchmark's content and publish it with ``SqlContents.publish`` (the same
    transaction as ``/advocacy publish``): (id, wall time before, after, rows created)."""
    engine = create_engine(pg_url(database))
    try:
        contents = SqlContents(Database(engine))
        content = await contents.create(
            draft=ContentDraft(
                url="https://example.com/blog/delivery-at-scale",
                title="Delivery at scale",
                summary=summary,
                image_url=None,
                topics=(TOPIC,),
                texts=(
                    "{first_name} here: great read on {title}",
                    "Worth sharing: {title}",
                    "Our engineers explain {title}",
                ),
                hashtags=("#engineering",),
                audience=Audience.INTERESTED,
                publish_now=False,
            ),
            page=PageMetadata(),
            created_by=created_by,
            now=datetime.now(UTC),
        )
        before = time.time()
        result = await contents.publish(content_id=content.id, now=datetime.now(UTC))
        return content.id, before, time.time(), result.deliveries_created
    finally:
        await engine.dispose()


async def create_and_publish(contents: SqlContents, *, url: str, title: str) -> ContentId:
    """A plain content (no texts, no hashtags) for every seeded ambassador, published."""
    content = await contents.create(
        draft=ContentDraft(
            url=url,
            title=title,
            summary=None,
            image_url=None,
            topics=(TOPIC,),
            texts=(),
            hashtags=(),
            audience=Audience.INTERESTED,
            publish_now=False,
        ),
        page=PageMetadata(),
        created_by=PlatformUser(Platform.SLACK, TEAM_ID, "U9999999"),
        now=datetime.now(UTC),
    )
    await contents.publish(content_id=content.id, now=datetime.now(UTC))
    return content.id
