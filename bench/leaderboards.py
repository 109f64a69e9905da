"""leaderboards: top-50 boards over millions of points awards, on PostgreSQL and SQLite.

For each database: a migrated schema, ~20,000 ambassadors in 12 teams (2 % hidden, 1 %
erased), ``events`` points awards over two years with skewed activity (a few people earn
most points: the ambassador is ``N * u**3`` for a uniform ``u``), loaded with COPY on
PostgreSQL and ``executemany`` in big transactions on SQLite. Then the rollup is built with
the product's own ``SqlBoards.roll_up`` and we measure, through ``SqlBoards`` (the code the
commands run, driver and all): top 50 of random weeks, months, all time, and a team's week
and all time (p50 / p95 over ``queries`` each); the incremental rollup of 100,000 new
awards, three times; rebuilding the busiest week from scratch.
"""

from __future__ import annotations

import contextlib
import functools
import random
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]

from bench.common import Outcome, log, percentile, pg_database, pg_dsn, pg_url
from bot.leaderboard import week_of
from bot.model import BoardPeriod, BoardScope
from content_store.boards import SqlBoards
from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database

TZ = ZoneInfo("Europe/Paris")
START = datetime(2024, 11, 25, tzinfo=UTC)  # a Monday: two years of awards until the end
DAYS = 728
END = START + timedelta(days=DAYS)
TEAMS = [f"team-{i:02d}" for i in range(12)]
KINDS = ("share_click", "confirmed_share", "reaction", "link_click")
GOAL_TOP_MS = 50.0
GOAL_INCREMENT_S = 2.0
GOAL_REBUILD_S = 60.0
INCREMENT = 100_000
INCREMENT_RUNS = 3  # each measured: one run can be noisy on a shared machine
CONTENTS = 3_000
BATCH = 200_000  # rows per COPY / executemany transaction


def _people(n: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        roll = rng.random()
        status = "erased" if roll < 0.01 else "active"
        yield (
            i,
            f"Person {i:05d}",
            "en",
            status,
            f"r{i:08d}",
            "v1",
            "[]",
            START,
            START,
            "immediate",
            rng.choice(TEAMS),
            0.01 <= roll < 0.03,  # hidden
        )


def _awards(
    first_id: int, count: int, ambassadors: int, rng: random.Random, start: datetime, days: int
) -> Iterator[tuple[Any, ...]]:
    span = days * 86_400
    for i in range(first_id, first_id + count):
        who = 1 + int(ambassadors * rng.random() ** 3)
        kind = KINDS[int(rng.random() * 4)]
        at = start + timedelta(seconds=int(rng.random() * span))
        yield (
            i,
            f"b{i}",
            who,
            1 + int(rng.random() * CONTENTS),
            kind,
            None,
            (10, 5, 2, 1)[KINDS.index(kind)],
            at,
        )


AWARD_COLUMNS = (
    "id",
    "award_key",
    "ambassador_id",
    "content_id",
    "kind",
    "network",
    "points",
    "awarded_at",
)
PEOPLE_COLUMNS = (
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
    "team",
    "hidden_from_boards",
)
CONTENT_COLUMNS = (
    "id",
    "url",
    "title",
    "summary",
    "audience",
    "status",
    "texts",
    "hashtags",
    "created_by_platform",
    "created_by_workspace",
    "created_by_user",
    "created_at",
    "important",
    "share_texts",
    "translations",
)


def _contents() -> Iterator[tuple[Any, ...]]:
    for i in range(1, CONTENTS + 1):
        yield (
            i,
            f"https://example.com/{i}",
            "t",
            "",
            "interested",
            "published",
            "[]",
            "[]",
            "slack",
            "T1",
            "U1",
            START,
            False,
            "[]",
            "[]",
        )


class Loader:
    """Bulk loading on one database."""

    async def rows(
        self, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
    ) -> None:
        raise NotImplementedError

    async def analyze(self) -> None:
        raise NotImplementedError


class PgLoader(Loader):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def rows(
        self, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
    ) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            while chunk := [r for _, r in zip(range(BATCH), rows, strict=False)]:
                await connection.copy_records_to_table(table, records=chunk, columns=columns)
            if "id" in columns:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
        finally:
            await connection.close()

    async def analyze(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()


class SqliteLoader(Loader):
    def __init__(self, path: Path) -> None:
        self.path = path

    async def rows(
        self, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
    ) -> None:
        connection = sqlite3.connect(self.path)
        try:
            marks = ",".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})"  # noqa: S608
            while chunk := [
                tuple(
                    v.replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v
                    for v in r
                )
                for _, r in zip(range(BATCH), rows, strict=False)
            ]:
                with connection:
                    connection.executemany(sql, chunk)
        finally:
            connection.close()

    async def analyze(self) -> None:
        connection = sqlite3.connect(self.path)
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return time.perf_counter() - began


async def _measure(
    outcome: Outcome,
    label: str,
    db_name: str,
    url: str,
    loader: Loader,
    events: int,
    people: int,
    queries: int,
) -> None:
    rng = random.Random(7)
    upgrade(url)
    began = time.perf_counter()
    await loader.rows("ambassador", PEOPLE_COLUMNS, _people(people, rng))
    await loader.rows("content", CONTENT_COLUMNS, _contents())
    await loader.rows("points_award", AWARD_COLUMNS, _awards(1, events, people, rng, START, DAYS))
    await loader.analyze()
    load_s = time.perf_counter() - began
    log(f"{label}: {events:,} awards loaded in {load_s:.0f}s")
    db = Database(create_engine(url))
    boards = SqlBoards(db)
    try:
        began = time.perf_counter()
        while await boards.roll_up(
            tz=TZ, now=END + timedelta(days=1), settle=timedelta(0), batch=1_000_000
        ):
            pass
        build_s = time.perf_counter() - began
        await loader.analyze()
        log(f"{label}: rollup built in {build_s:.0f}s")
        weeks = [week_of(START + timedelta(days=7 * i + 3), TZ).first_day for i in range(DAYS // 7)]
        months = sorted({w.replace(day=1) for w in weeks})
        scopes: dict[str, Callable[[], BoardScope]] = {
            "week": lambda: BoardScope(BoardPeriod.WEEK, rng.choice(weeks)),
            "month": lambda: BoardScope(BoardPeriod.MONTH, rng.choice(months)),
            "all_time": lambda: BoardScope(BoardPeriod.ALL),
            "team_week": lambda: BoardScope(BoardPeriod.WEEK, rng.choice(weeks), rng.choice(TEAMS)),
            "team_month": lambda: BoardScope(
                BoardPeriod.MONTH, rng.choice(months), rng.choice(TEAMS)
            ),
            "team_all_time": lambda: BoardScope(BoardPeriod.ALL, None, rng.choice(TEAMS)),
        }
        figures: dict[str, Any] = {
            "awards": events,
            "ambassadors": people,
            "load_s": round(load_s, 1),
            "rollup_build_s": round(build_s, 1),
        }
        for name, scope in scopes.items():
            for _ in range(5):  # warm the caches as a running bot's would be
                await boards.top(scope=scope(), limit=50)
            times = []
            for _ in range(queries):
                chosen = scope()
                times.append(
                    await _timed(functools.partial(boards.top, scope=chosen, limit=50)) * 1000
                )
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            figures[f"top50_{name}_ms"] = {"p50": round(p50, 1), "p95": round(p95, 1)}
            outcome.check(
                f"{label} top50 {name} p95",
                f"< {GOAL_TOP_MS:.0f} ms",
                f"{p95:.1f} ms",
                p95 < GOAL_TOP_MS,
            )
        # The incremental rollup, three times: 100,000 new awards of the last week, then of
        # the week before, then of the one before that (each run touches as many rows as
        # the first; the busiest week stays the last one, rebuilt below).
        later = END + timedelta(days=2)
        runs: list[float] = []
        applied: list[int] = []
        for back in range(INCREMENT_RUNS):
            first_id = events + 1 + back * INCREMENT
            await loader.rows(
                "points_award",
                AWARD_COLUMNS,
                _awards(first_id, INCREMENT, people, rng, END - timedelta(days=7 * (back + 1)), 7),
            )
            await boards.roll_up(tz=TZ, now=later, settle=timedelta(0), batch=1_000_000)  # notes

            async def increment() -> None:
                applied.append(
                    await boards.roll_up(tz=TZ, now=later, settle=timedelta(0), batch=1_000_000)
                )

            runs.append(await _timed(increment))
        figures["increment_awards"] = applied
        figures["increment_s"] = [round(r, 2) for r in runs]
        outcome.check(
            f"{label} roll up 100k new",
            f"< {GOAL_INCREMENT_S:.0f} s, each of {INCREMENT_RUNS} runs",
            " / ".join(f"{r:.2f}" for r in runs) + f" s ({applied[0]:,} awards each)",
            max(runs) < GOAL_INCREMENT_S and applied == [INCREMENT] * INCREMENT_RUNS,
        )
        busiest = weeks[-1]
        rebuilt = 0

        async def rebuild() -> None:
            nonlocal rebuilt
            rebuilt = await boards.rebuild_week(tz=TZ, week_start=busiest)

        rebuild_s = await _timed(rebuild)
        figures["rebuild_week_awards"] = rebuilt
        figures["rebuild_week_s"] = round(rebuild_s, 2)
        outcome.check(
            f"{label} rebuild a week",
            f"< {GOAL_REBUILD_S:.0f} s",
            f"{rebuild_s:.2f} s ({rebuilt:,} awards)",
            rebuild_s < GOAL_REBUILD_S,
        )
        outcome.figures[label] = figures
    finally:
        await db.engine.dispose()
        del db_name


@contextlib.asynccontextmanager
async def _sqlite() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-boards-") as folder:
        yield Path(folder) / "boards.db"


async def run_leaderboards(events: int, *, people: int = 20_000, queries: int = 200) -> Outcome:
    """The leaderboard benchmark on PostgreSQL, then SQLite."""
    outcome = Outcome("leaderboards")
    async with pg_database("boards") as name:
        await _measure(
            outcome,
            "postgresql",
            name,
            pg_url(name),
            PgLoader(pg_dsn(name)),
            events,
            people,
            queries,
        )
    async with _sqlite() as path:
        url = f"sqlite+aiosqlite:///{path}"
        await _measure(
            outcome, "sqlite", str(path), url, SqliteLoader(path), events, people, queries
        )
    return outcome


__all__ = ["date", "run_leaderboards"]
