"""expansion: the publish transaction for N matching ambassadors, on PostgreSQL and SQLite.

Ambassadors are seeded with COPY (PostgreSQL) or one executemany transaction (SQLite), then
``SqlContents.publish`` is timed from the call to the commit: select the content FOR UPDATE,
mark it published, and INSERT … SELECT one pending delivery per matching ambassador.
Each repetition publishes a new content, so the delivery table grows by N rows each time, as
it does in production.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    TEAM_ID,
    TOPIC,
    Outcome,
    log,
    pg_database,
    pg_dsn,
    pg_url,
    seed_postgres,
    seed_sqlite,
)
from bot.model import Audience, ContentDraft, PageMetadata, Platform, PlatformUser
from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database, SqlContents

PG_TARGET_SECONDS = 5.0
SQLITE_TARGET_SECONDS = 15.0


def _draft(name: str) -> ContentDraft:
    return ContentDraft(
        url=f"https://example.com/blog/expansion-{name}",
        title=f"Expansion {name}",
        summary="One pending delivery per matching ambassador.",
        image_url=None,
        topics=(TOPIC,),
        texts=("Worth a read: {title}",),
        hashtags=(),
        audience=Audience.INTERESTED,
        publish_now=False,
    )


async def _publish_times(url: str, count: int, repeats: int) -> list[float]:
    engine = create_engine(url)
    try:
        contents = SqlContents(Database(engine))
        times: list[float] = []
        for index in range(repeats):
            content = await contents.create(
                draft=_draft(str(index)),
                page=PageMetadata(),
                created_by=PlatformUser(Platform.SLACK, TEAM_ID, "U9999999"),
                now=datetime.now(UTC),
            )
            started = time.perf_counter()
            result = await contents.publish(content_id=content.id, now=datetime.now(UTC))
            elapsed = time.perf_counter() - started
            if result.deliveries_created != count:
                raise AssertionError(
                    f"publish created {result.deliveries_created} deliveries, expected {count}"
                )
            times.append(elapsed)
        return times
    finally:
        await engine.dispose()


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "publish_seconds": [round(t, 3) for t in times],
        "median_seconds": round(statistics.median(times), 3),
        "max_seconds": round(max(times), 3),
    }


async def _explain_publish(url: str) -> list[str]:
    """One more (untimed) publish with PostgreSQL's auto_explain on the benchmark's own
    connection: the plan of the product's INSERT … SELECT with actual times, trigger times
    included (sent back as a NOTICE, so nothing is read from the server's log)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    notices: list[str] = []
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            driver.add_log_listener(lambda _conn, message: notices.append(message.message))
            await driver.execute("LOAD 'auto_explain'")
            for setting in (
                "auto_explain.log_min_duration = 0",
                "auto_explain.log_analyze = on",
                "auto_explain.log_triggers = on",
                "auto_explain.log_level = notice",
            ):
                await driver.execute(f"SET {setting}")
        contents = SqlContents(Database(engine))
        content = await contents.create(
            draft=_draft("explain"),
            page=PageMetadata(),
            created_by=PlatformUser(Platform.SLACK, TEAM_ID, "U9999999"),
            now=datetime.now(UTC),
        )
        await contents.publish(content_id=content.id, now=datetime.now(UTC))
    except Exception as error:  # a diagnostic only: never fail the benchmark for it
        return [f"plan unavailable: {error!r}"]
    finally:
        await engine.dispose()
    for notice in notices:
        if "INSERT INTO delivery" in notice:
            lines = [line.rstrip() for line in notice.splitlines() if line.strip()]
            start = next((i for i, line in enumerate(lines) if "Insert on" in line), 0)
            return lines[start:]
    return ["plan unavailable: no auto_explain notice"]


async def run_expansion(count: int, repeats: int) -> Outcome:
    outcome = Outcome("expansion")
    outcome.figures["ambassadors"] = count
    outcome.figures["repeats"] = repeats
    log(f"expansion: {count} matching ambassadors, {repeats} publish(es) per database")

    async with pg_database("expansion") as database:
        await asyncio.to_thread(upgrade, pg_url(database))
        seeded = await seed_postgres(pg_dsn(database), count)
        times = await _publish_times(pg_url(database), count, repeats)
        pg = {**_summary(times), **{k: round(v, 2) for k, v in seeded.items()}}
        pg["seed_rows_per_second"] = round(count * 2.5 / seeded["seed_seconds"])
        pg["plan_of_one_more_publish"] = await _explain_publish(pg_url(database))
        outcome.figures["postgresql"] = pg
    outcome.check(
        "PostgreSQL publish (max)",
        f"< {PG_TARGET_SECONDS:g} s",
        f"{pg['max_seconds']} s",
        pg["max_seconds"] < PG_TARGET_SECONDS,
    )

    with tempfile.TemporaryDirectory(prefix="bench-expansion-") as directory:
        path = Path(directory) / "bench.db"
        url = f"sqlite:///{path}"
        await asyncio.to_thread(upgrade, url)
        seeded = await asyncio.to_thread(seed_sqlite, path, count)
        times = await _publish_times(url, count, repeats)
        lite = {**_summary(times), **{k: round(v, 2) for k, v in seeded.items()}}
        lite["seed_rows_per_second"] = round(count * 2.5 / seeded["seed_seconds"])
        lite["file_mb"] = round(path.stat().st_size / 1e6, 1)
        outcome.figures["sqlite"] = lite
    outcome.check(
        "SQLite publish (max)",
        f"< {SQLITE_TARGET_SECONDS:g} s",
        f"{lite['max_seconds']} s",
        lite["max_seconds"] < SQLITE_TARGET_SECONDS,
    )
    return outcome
