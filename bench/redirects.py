"""redirects: 200 concurrent clients on ``/r/<token>``, on SQLite and on PostgreSQL.

One ``advocacy-bot serve`` (the real aiohttp app, started as in production, Slack and Teams
off) answers tracked links seeded in its database: ``links`` tokens, two networks for each of
``links / 2`` ambassadors. 200 clients (one aiohttp session, keep-alive) loop for
``seconds``, each request drawn from a mix: people clicking (a browser User-Agent among
``VISITORS`` distinct ones), link-preview bots, HEAD checks and unknown tokens. Measured:
requests per second, latency (p50, p95, p99, max), errors. Then every visit must be in
``link_visit`` exactly once: the people's 302s as clicks, the bots' and HEADs' as bot hits,
nothing for unknown tokens, and the distinct visitors counted per content must equal the
distinct User-Agents the clients used (they all come from 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bench.common import (
    SCRIPT,
    BotConfig,
    Outcome,
    Processes,
    base_env,
    create_and_publish,
    free_port,
    log,
    percentile,
    pg_database,
    pg_dsn,
    pg_url,
    seed_postgres,
    seed_sqlite,
)
from bot.links import is_automated
from bot.model import LinkGrouping
from bot.tracking import new_token
from content_store.engine import create_engine
from content_store.links import SqlLinkVisits
from content_store.migrate import upgrade
from content_store.repositories import Database, SqlContents

CLIENTS = 200
VISITORS = 3_000  # distinct browsers (User-Agents) the people click with
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
BOTS = (
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
)
# The mix, in per cent: people's GETs, bots' GETs, HEAD checks, unknown tokens.
MIX = (("person", 80), ("bot", 10), ("head", 5), ("unknown", 5))
SALT = "bench-visitor-salt-" + "0" * 32  # a throwaway salt, never a real one


@dataclass(frozen=True)
class RedirectPlan:
    """Sizes of one run."""

    links: int
    seconds: float
    clients: int = CLIENTS

    @classmethod
    def full(cls) -> RedirectPlan:
        return cls(links=4_000, seconds=30)

    @classmethod
    def quick(cls) -> RedirectPlan:
        return cls(links=400, seconds=5)


@dataclass
class Tally:
    """What the clients sent and got."""

    latencies: list[float] = field(default_factory=list)
    clicks: int = 0  # 302s to people
    bot_hits: int = 0  # 302s to bots and HEAD requests
    not_found: int = 0
    errors: int = 0
    wrong: int = 0  # an answer that is not what the request should get
    agents: set[str] = field(default_factory=set)  # User-Agents of the people's clicks
    tokens: set[str] = field(default_factory=set)  # known tokens requested (first: a miss)


async def _seed(url: str, links: int, *, sqlite_path: Path | None) -> list[str]:
    """Ambassadors, a content published and sent, two tracked links each: the tokens."""
    ambassadors = links // 2
    await asyncio.to_thread(upgrade, url)
    if sqlite_path is not None:
        await asyncio.to_thread(seed_sqlite, sqlite_path, ambassadors)
    else:
        await seed_postgres(pg_dsn(url.rsplit("/", 1)[1]), ambassadors)
    engine = create_engine(url)
    try:
        contents = SqlContents(Database(engine))
        content_id = await create_and_publish(
            contents,
            url="https://example.com/blog/tracked-links?ref=newsroom",
            title="Tracked links at scale",
        )
        async with engine.begin() as connection:
            # Sent already (the sender has nothing to do during the benchmark).
            await connection.execute(
                text("UPDATE delivery SET status = 'sent' WHERE content_id = :c"),
                {"c": content_id},
            )
            rows = (
                await connection.execute(
                    text("SELECT id, ambassador_id FROM delivery WHERE content_id = :c"),
                    {"c": content_id},
                )
            ).all()
            tokens: list[str] = []
            values = []
            for delivery_id, ambassador_id in rows:
                for network in ("linkedin", "x"):
                    token = new_token()
                    tokens.append(token)
                    values.append(
                        {
                            "t": token,
                            "d": delivery_id,
                            "c": content_id,
                            "a": ambassador_id,
                            "n": network,
                        }
                    )
            await connection.execute(
                text(
                    "INSERT INTO tracked_link (token, delivery_id, content_id, ambassador_id, "
                    "network) VALUES (:t, :d, :c, :a, :n)"
                ),
                values,
            )
    finally:
        await engine.dispose()
    return tokens


def _draw(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for kind, share in MIX:
        if roll < share:
            return kind
        roll -= share
    return MIX[0][0]


async def _client(
    session: aiohttp.ClientSession,
    base: str,
    tokens: list[str],
    deadline: float,
    tally: Tally,
    seed: int,
) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < deadline:
        kind = _draw(rng)
        method = "HEAD" if kind == "head" else "GET"
        token = new_token() if kind == "unknown" else rng.choice(tokens)
        if kind != "unknown":
            tally.tokens.add(token)
        if kind == "bot":
            agent = rng.choice(BOTS)
        else:
            agent = f"{rng.choice(BROWSERS)} visitor/{rng.randrange(VISITORS)}"
        started = time.perf_counter()
        try:
            async with session.request(
                method, f"{base}/r/{token}", headers={"User-Agent": agent}, allow_redirects=False
            ) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError):
            tally.errors += 1
            continue
        tally.latencies.append((time.perf_counter() - started) * 1000)
        if kind == "unknown":
            tally.not_found += status == 404
            tally.wrong += status != 404
        elif status != 302:
            tally.wrong += 1
        elif is_automated(agent, method=method):
            tally.bot_hits += 1
        else:
            tally.clicks += 1
            tally.agents.add(agent)


async def _healthy(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(base + "/healthz") as answer:
                if answer.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError("advocacy-bot serve did not become healthy")


async def _server_side(session: aiohttp.ClientSession, base: str) -> dict[str, float]:
    """Share of redirect answers the server timed under each bucket bound (ms -> %)."""
    async with session.get(base + "/metrics") as answer:
        exposition = await answer.text()
    buckets: dict[str, float] = {}
    for line in exposition.splitlines():
        if line.startswith("advocacy_ack_seconds_bucket{") and 'route="redirect"' in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[bound] = float(line.rsplit(" ", 1)[1])
    total = buckets.get("+Inf", 0.0)
    if not total:
        return {}
    return {
        f"{float(bound) * 1000:g}": round(100 * count / total, 2)
        for bound, count in buckets.items()
        if bound != "+Inf" and float(bound) <= 0.5
    }


async def _recorded(url: str) -> tuple[int, int, int, int]:
    """(rows, clicks, bot hits, distinct visitors of the content) in ``link_visit``."""
    engine = create_engine(url)
    try:
        db = Database(engine)
        async with db.reading() as session:
            rows = int(
                (await session.execute(text("SELECT count(*) FROM link_visit"))).scalar_one()
            )
        stats = await SqlLinkVisits(db).link_stats(by=LinkGrouping.CONTENT)
    finally:
        await engine.dispose()
    if not stats:
        return rows, 0, 0, 0
    (content,) = stats
    return rows, content.clicks, content.bot_hits, content.unique_visitors


async def _settled(url: str, expected: int) -> tuple[int, float]:
    """Rows in ``link_visit`` once they reach ``expected`` or stop growing, and how long
    after the load ended that took (the writes trail the answers)."""
    started = time.monotonic()
    last, stable_since = -1, started
    while time.monotonic() - started < 30:
        rows = (await _recorded(url))[0]
        if rows != last:
            last, stable_since = rows, time.monotonic()
        elif rows >= expected or time.monotonic() - stable_since > 3:
            break
        await asyncio.sleep(0.05)
    return last, round(time.monotonic() - started, 2)


async def _run_one(name: str, url: str, plan: RedirectPlan, workdir: Path) -> dict[str, Any]:
    sqlite_path = workdir / "bench.db" if name == "sqlite" else None
    tokens = await _seed(url, plan.links, sqlite_path=sqlite_path)
    config = BotConfig(rate=10, burst=10, in_flight=5, lease_seconds=10).write(workdir)
    port = free_port()
    env = base_env()
    env.update(
        DATABASE_URL=url,
        ADVOCACY_CONFIG=str(config),
        ADVOCACY_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ADVOCACY_VISITOR_SALT=SALT,
        PORT=str(port),
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
        TEAMS_ENABLED="false",
    )
    tally = Tally()
    async with Processes() as processes:
        server = await processes.start(
            "serve", [str(SCRIPT), "serve"], env=env, log_path=workdir / f"serve-{name}.log"
        )
        base = f"http://127.0.0.1:{port}"
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=plan.clients)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            await _healthy(session, base)
            log(f"redirects/{name}: {plan.clients} clients for {plan.seconds:.0f}s")
            started = time.perf_counter()
            deadline = started + plan.seconds
            await asyncio.gather(
                *(
                    _client(session, base, tokens, deadline, tally, seed=n)
                    for n in range(plan.clients)
                )
            )
            elapsed = time.perf_counter() - started
            handler = await _server_side(session, base)
        expected = tally.clicks + tally.bot_hits
        settled_rows, settle_seconds = await _settled(url, expected)
        code = await processes.stop(server)  # graceful: every queued visit is written
    rows, clicks, bots, uniques = await _recorded(url)
    latencies = tally.latencies
    return {
        "requests": len(latencies) + tally.errors,
        "requests_per_second": round(len(latencies) / elapsed),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        # Requests the token cache cannot answer: a link's first visit, and unknown tokens.
        "cache_miss_share_pct": round(
            100 * (len(tally.tokens) + tally.not_found) / max(1, len(latencies)), 1
        ),
        "errors": tally.errors,
        "wrong_answers": tally.wrong,
        "clicks_answered": tally.clicks,
        "bot_hits_answered": tally.bot_hits,
        "unknown_answered_404": tally.not_found,
        "rows": rows,
        "clicks_recorded": clicks,
        "bot_hits_recorded": bots,
        "distinct_visitors_sent": len(tally.agents),
        "distinct_visitors_counted": uniques,
        "rows_when_load_ended_plus_settle": settled_rows,
        "writes_caught_up_seconds_after_load": settle_seconds,
        "server_exit_code": code,
        # The server's own histogram (advocacy_ack_seconds{route="redirect"}): time in the
        # handler and middleware, without the queueing in sockets and the client.
        "server_side_share_under_ms": handler,
    }


def _checks(outcome: Outcome, name: str, r: dict[str, Any]) -> None:
    outcome.check(
        f"{name}: clicks recorded once",
        str(r["clicks_answered"]),
        str(r["clicks_recorded"]),
        r["clicks_answered"] == r["clicks_recorded"],
    )
    outcome.check(
        f"{name}: bot hits recorded once",
        str(r["bot_hits_answered"]),
        str(r["bot_hits_recorded"]),
        r["bot_hits_answered"] == r["bot_hits_recorded"],
    )
    outcome.check(
        f"{name}: no other row",
        str(r["clicks_answered"] + r["bot_hits_answered"]),
        str(r["rows"]),
        r["rows"] == r["clicks_answered"] + r["bot_hits_answered"],
    )
    outcome.check(
        f"{name}: unique visitors",
        str(r["distinct_visitors_sent"]),
        str(r["distinct_visitors_counted"]),
        r["distinct_visitors_sent"] == r["distinct_visitors_counted"],
    )
    outcome.check(
        f"{name}: errors, wrong answers",
        "0, 0",
        f"{r['errors']}, {r['wrong_answers']}",
        r["errors"] == 0 and r["wrong_answers"] == 0,
    )


async def run_redirects(plan: RedirectPlan) -> Outcome:
    """The redirect benchmark, on SQLite then PostgreSQL."""
    outcome = Outcome("redirects")
    with tempfile.TemporaryDirectory(prefix="bench-redirects-") as tmp:
        workdir = Path(tmp)
        lite = await _run_one(
            "sqlite", f"sqlite+aiosqlite:///{workdir / 'bench.db'}", plan, workdir
        )
        outcome.figures["sqlite"] = lite
        _checks(outcome, "sqlite", lite)
        async with pg_database("redirects") as database:
            pg = await _run_one("postgresql", pg_url(database), plan, workdir)
        outcome.figures["postgresql"] = pg
        _checks(outcome, "postgresql", pg)
    outcome.figures["clients"] = plan.clients
    outcome.figures["seconds"] = plan.seconds
    outcome.figures["links"] = plan.links
    return outcome


def main() -> int:
    """``python -m bench.redirects [--quick]``: the redirect benchmark on its own."""
    import argparse

    from bench.common import print_outcome

    parser = argparse.ArgumentParser(prog="python -m bench.redirects")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    plan = RedirectPlan.quick() if args.quick else RedirectPlan.full()
    outcome = asyncio.run(run_redirects(plan))
    print_outcome(outcome)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
