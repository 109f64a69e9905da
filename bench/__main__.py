"""``python -m bench [--only NAME ...] [--quick] [--rate R] [--teams-rate R] [--ambassadors N]
[--lock-for SECONDS] [--json PATH] [--keep]`` (see docs/benchmarks.md).

Runs the benchmarks one after the other, prints each one's targets and figures, then a summary;
exits 1 if a target was missed, 2 if a benchmark could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import Outcome, log, machine, pg_version, print_outcome
from bench.delivery import DeliveryPlan, run_delivery
from bench.expansion import run_expansion
from bench.leaderboards import run_leaderboards
from bench.redirects import RedirectPlan, run_redirects
from bench.scheduler import run_scheduler
from bench.teams import TeamsPlan, run_teams_fanout

NAMES = (
    "fanout",
    "crash",
    "replicas",
    "expansion",
    "scheduler",
    "teams_fanout",
    "redirects",
    "leaderboards",
)
QUICK_LOCK_FOR = 5
TIME_LIMIT = 1800.0  # seconds per benchmark, whatever happens
TIME_LIMITS = {"leaderboards": 7200.0}  # generating 10 million awards twice takes a while
TIME_LIMIT_QUICK = 120.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        help="run only this benchmark (repeat for several); default: all",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run in under a minute"
    )
    parser.add_argument(
        "--lock-for",
        type=int,
        default=None,
        help="crash: set delivery.claim_lock_seconds (how long a killed sender's claims stay "
        f"locked); default: the product's default, or {QUICK_LOCK_FOR} s with --quick",
    )
    parser.add_argument(
        "--ambassadors", type=int, default=None, help="override N of the delivery benchmarks"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=100.0,
        help="the fake Slack's limit R on chat.postMessage in messages/s (burst 2R); the bot "
        "is configured at 0.97 R (default: 100)",
    )
    parser.add_argument(
        "--teams-rate",
        type=float,
        default=30.0,
        help="teams_fanout: the fake Bot Connector's limit R per tenant in requests/s (burst R; "
        "Teams documents 30 RPS per app per tenant); the bot is configured at 0.97 R "
        "(default: 30)",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help="leaderboards: points awards to generate (default 10,000,000; 200,000 with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    return parser


def _jobs(args: argparse.Namespace) -> list[tuple[str, Callable[[], Awaitable[Outcome]]]]:
    quick = bool(args.quick)
    lock_for = args.lock_for if args.lock_for is not None else (QUICK_LOCK_FOR if quick else None)
    n = args.ambassadors

    def plan(
        name: str,
        size: int,
        *,
        replicas: int = 1,
        kill_at: tuple[float, ...] = (),
        lock: int | None = None,
    ) -> DeliveryPlan:
        return DeliveryPlan(
            name=name,
            ambassadors=n or size,
            rate=args.rate,
            burst=max(1, round(2 * args.rate)),
            replicas=replicas,
            kill_at=kill_at,
            lock_for=lock,
            keep=args.keep,
        )

    jobs: dict[str, Callable[[], Awaitable[Outcome]]] = {
        "fanout": lambda: run_delivery(plan("fanout", 300 if quick else 10_000)),
        "crash": lambda: run_delivery(
            plan("crash", 400 if quick else 10_000, kill_at=(0.3, 0.6), lock=lock_for)
        ),
        "replicas": lambda: run_delivery(plan("replicas", 300 if quick else 10_000, replicas=3)),
        "expansion": lambda: run_expansion(5_000 if quick else 100_000, 1 if quick else 3),
        "scheduler": lambda: run_scheduler(200 if quick else 1_000, keep=args.keep),
        "teams_fanout": lambda: run_teams_fanout(
            TeamsPlan(
                ambassadors=n or (300 if quick else 3_000), rate=args.teams_rate, keep=args.keep
            )
        ),
        "redirects": lambda: run_redirects(RedirectPlan.quick() if quick else RedirectPlan.full()),
        "leaderboards": lambda: run_leaderboards(
            args.events or (200_000 if quick else 10_000_000),
            people=2_000 if quick else 20_000,
            queries=50 if quick else 200,
        ),
    }
    chosen = args.only or list(NAMES)
    return [(name, jobs[name]) for name in NAMES if name in chosen]


async def _main(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:  # SIGTERM: unwind like Ctrl-C, so every child is stopped
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    info = machine()
    with contextlib.suppress(Exception):
        info["postgresql"] = await pg_version()
    print(json.dumps({"machine": info, "quick": bool(args.quick)}))
    outcomes: list[Outcome] = []
    status = 0
    started = time.monotonic()
    for name, job in _jobs(args):
        begun = time.monotonic()
        try:
            async with asyncio.timeout(
                TIME_LIMIT_QUICK if args.quick else TIME_LIMITS.get(name, TIME_LIMIT)
            ):
                outcome = await job()
        except Exception:
            traceback.print_exc()
            outcome = Outcome(name)
            outcome.check("ran", "completes", "error (see traceback)", False)
            status = 2
        outcome.figures["bench_seconds"] = round(time.monotonic() - begun, 1)
        outcome.figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        print_outcome(outcome)
        outcomes.append(outcome)
    print("\n== summary")
    for outcome in outcomes:
        for check in outcome.checks:
            verdict = "PASS" if check.ok else "FAIL"
            print(f"  {outcome.name:10} {check.name:28} {check.measured:40} {verdict}")
    log(f"done in {time.monotonic() - started:.0f}s")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "quick": bool(args.quick),
                    "results": {
                        o.name: {
                            "passed": o.passed,
                            "checks": [vars(c) for c in o.checks],
                            "figures": o.figures,
                        }
                        for o in outcomes
                    },
                },
                indent=1,
                default=str,
            )
        )
    if status:
        return status
    return 0 if all(o.passed for o in outcomes) else 1


def main() -> int:
    args = _parser().parse_args()
    try:
        return asyncio.run(_main(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: every process was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
