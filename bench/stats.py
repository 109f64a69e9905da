"""``python -m bench.stats [--ambassadors N] [--keep]``: how long the curators' stats take on
PostgreSQL with a year of a large programme's ledger, and the plans of the heaviest queries.

Seeds (with ``generate_series``, in seconds): N ambassadors in 20 teams, 365 pieces of
content (one a day, 2 topics each), 20 deliveries per person spread over the year (all sent),
a share click on a third of them and a confirmation on a tenth, 3 tracked-link visits per
shared delivery (one in ten a bot), and a reaction per 5 deliveries. Then times
``SqlStats.programme`` for 7d / 30d / 90d / all, ``content`` and ``contents`` (the export),
the weekly digest's reads (``weekly_activity`` over 8 and 26 weeks, ``published``) and the
drawing of its chart, and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the window-bound queries.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from bench.common import PG_ADMIN_DSN, machine, pg_version
from bot.leaderboard import previous_week, week_of
from bot.model import ContentId, StatsWindow, WeekActivity
from bot.stats import window_of
from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database
from content_store.stats import SqlStats
from messages.charts import MatplotlibCharts
from messages.render import Templates

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

SEED = [
    """INSERT INTO ambassador (display_name, locale, status, ref, guidelines_version, networks,
         guidelines_accepted_at, joined_at, delivery_mode, team)
       SELECT 'P' || g, 'en', CASE WHEN g % 10 = 0 THEN 'left' ELSE 'active' END, 'r' || g, 'v1',
         '["linkedin","x"]', CAST(:start AS timestamptz), CAST(:start AS timestamptz), 'immediate',
         CASE WHEN g % 21 = 0 THEN NULL ELSE 'Team ' || (g % 20) END
       FROM generate_series(1, :n) g""",
    """INSERT INTO content (url, title, summary, audience, status, texts, hashtags,
         created_by_platform, created_by_workspace, created_by_user, created_at, published_at,
         important, share_texts, translations)
       SELECT 'https://example.com/' || g, 'Post ' || g, '', 'everyone', 'published', '[]', '[]',
         'slack', 'T1', 'U1', CAST(:start AS timestamptz) + g * interval '1 day',
         CAST(:start AS timestamptz) + g * interval '1 day',
         false, '[]', '[]'
       FROM generate_series(1, 365) g""",
    """INSERT INTO content_topic (content_id, topic)
       SELECT id, t FROM content, unnest(ARRAY['ai', 'topic' || (id % 12)]) t""",
    """INSERT INTO delivery (content_id, ambassador_id, status, variant, created_at, sent_at,
         workspace, attempts)
       SELECT c, a, 'sent', 0, CAST(:start AS timestamptz) + c * interval '1 day',
         CAST(:start AS timestamptz) + c * interval '1 day' + (a % 600) * interval '1 minute',
         'slack:T1', 1
       FROM generate_series(1, :n) a, generate_series(1, 365) c
       WHERE (a + c) % 18 = 0""",
    """INSERT INTO interaction (dedupe_key, ambassador_id, content_id, delivery_id, kind, network,
         points, occurred_at)
       SELECT 'share_click:' || id, ambassador_id, content_id, id, 'share_click',
         CASE WHEN id % 2 = 0 THEN 'linkedin' ELSE 'x' END, 5, sent_at + interval '1 hour'
       FROM delivery WHERE id % 3 = 0""",
    """INSERT INTO interaction (dedupe_key, ambassador_id, content_id, delivery_id, kind, network,
         points, occurred_at)
       SELECT 'confirmed_share:' || id, ambassador_id, content_id, id, 'confirmed_share', NULL,
         10, sent_at + interval '2 hours'
       FROM delivery WHERE id % 10 = 0""",
    """INSERT INTO tracked_link (token, delivery_id, content_id, ambassador_id, network)
       SELECT 't' || id, id, content_id, ambassador_id, 'linkedin'
       FROM delivery WHERE id % 3 = 0""",
    """INSERT INTO link_visit (token, content_id, ambassador_id, network, is_bot, visited_at)
       SELECT token, content_id, ambassador_id, network, (k = 1 AND delivery_id % 10 = 0),
         (SELECT sent_at FROM delivery d WHERE d.id = delivery_id) + k * interval '3 hours'
       FROM tracked_link, generate_series(1, 3) k""",
    """INSERT INTO reaction (event_id, platform, workspace_id, user_id, ambassador_id, content_id,
         reaction, channel_id, message_id, added, occurred_at)
       SELECT 'e' || id, 'slack', 'T1', 'U' || ambassador_id, ambassador_id, content_id, 'tada',
         'D1', id::text, true, sent_at + interval '30 minutes'
       FROM delivery WHERE id % 5 = 0""",
]

EXPLAINED = {
    "deliveries and shared (30d)": """
      SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM interaction i
        WHERE i.delivery_id = delivery.id AND i.kind IN ('share_click', 'confirmed_share'))
        THEN 1 ELSE 0 END), 0)
      FROM delivery WHERE sent_at >= :start AND sent_at < :end""",
    "share clicks per network (30d)": """
      SELECT kind, network, count(*) FROM interaction
      WHERE occurred_at >= :start AND occurred_at < :end
        AND kind IN ('share_click', 'confirmed_share') GROUP BY kind, network""",
    "visits of one content": """
      SELECT is_bot, network, count(*) FROM link_visit
      WHERE visited_at >= :start AND visited_at < :end AND content_id = 350
      GROUP BY is_bot, network""",
}


async def _database(name: str) -> str:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG_ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + (
        f"/{name}"
    )


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _timed(label: str, work: object) -> float:
    started = time.perf_counter()
    await work  # type: ignore[misc]
    elapsed = (time.perf_counter() - started) * 1000
    print(f"  {label:<32} {elapsed:8.1f} ms")
    return elapsed


async def run(n: int, keep: bool) -> None:
    """Seed, time, explain (see the module docstring)."""
    name = f"advocacy_bench_stats_{uuid.uuid4().hex[:8]}"
    url = await _database(name)
    try:
        await asyncio.to_thread(upgrade, url)
        db = Database(create_engine(url))
        start = NOW - timedelta(days=366)
        started = time.perf_counter()
        async with db.transaction() as session:
            for statement in SEED:
                await session.execute(text(statement), {"start": start, "n": n})
        async with db.engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
        async with db.reading() as session:
            counts = {
                t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()  # noqa: S608
                for t in ("ambassador", "delivery", "interaction", "link_visit", "reaction")
            }
        print(f"{machine()}; PostgreSQL {await pg_version()}")
        print(f"seeded in {time.perf_counter() - started:.1f} s: {counts}")
        stats = SqlStats(db)
        for label in ("7d", "30d", "90d", "all"):
            await _timed(f"programme {label}", stats.programme(window_of(label, NOW)))
        await _timed("programme 30d (warm)", stats.programme(window_of("30d", NOW)))
        await _timed("content 30d", stats.content(ContentId(340), window_of("30d", NOW)))
        await _timed("export all (365 rows)", stats.contents(window_of("all", NOW), limit=5000))
        # The weekly digest: its per-week series, the content of the week, and the chart.
        paris = ZoneInfo("Europe/Paris")
        weeks = [week_of(NOW, paris)]
        while len(weeks) < 26:
            weeks.append(previous_week(weeks[-1], paris))
        windows = [StatsWindow(w.start, w.end, w.label) for w in reversed(weeks)]
        await _timed("digest: activity, 8 weeks", stats.weekly_activity(windows[-8:]))
        await _timed("digest: activity, 26 weeks", stats.weekly_activity(windows))
        await _timed("digest: published in a week", stats.published(windows[-1], limit=8))
        series = await stats.weekly_activity(windows[-8:])
        activity = [
            WeekActivity(w.label, w.first_day, shares, clicks)
            for w, (shares, clicks) in zip(weeks[7::-1], series, strict=True)
        ]
        charts = MatplotlibCharts(Templates())
        for label in ("digest: chart (first, cold)", "digest: chart (warm)"):
            started = time.perf_counter()
            png = await asyncio.to_thread(charts.weekly_activity_png, activity, "en")
            elapsed = (time.perf_counter() - started) * 1000
            print(f"  {label:<32} {elapsed:8.1f} ms ({len(png):,} bytes)")
        window = window_of("30d", NOW)
        async with db.reading() as session:  # the parts of programme 30d
            await _timed("  top content", SqlStats._top_content(session, window, 5))
            await _timed("  top topics", SqlStats._top_topics(session, window, 5))
            await _timed("  departments", SqlStats._departments(session, window))
            await _timed("  visits", SqlStats._visits(session, window, None))
            await _timed("  interactions", SqlStats._interactions(session, window, None))
        async with db.reading() as session:
            for title, sql in EXPLAINED.items():
                plan = await session.execute(
                    text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"),
                    {"start": window.start, "end": window.end},
                )
                print(f"\n-- {title}")
                print("\n".join(row[0] for row in plan))
        await db.engine.dispose()
    finally:
        if not keep:
            await _drop(name)


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--ambassadors", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    asyncio.run(run(args.ambassadors, args.keep))


if __name__ == "__main__":
    main()
