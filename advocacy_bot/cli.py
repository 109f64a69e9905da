"""``advocacy-bot``: serve, migrate, check-config, status, teams-package."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from advocacy_bot.main import build_runtime, create_web_app, start_socket_mode
from advocacy_bot.observability import configure_logging
from advocacy_bot.settings import (
    Config,
    ConfigError,
    Environment,
    load_config,
    load_guidelines,
)
from advocacy_bot.teams_package import ICONS_DIR, PackageError, build_package, is_guid
from bot.errors import InvalidInput
from content_store.migrate import upgrade

logger = logging.getLogger("advocacy_bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advocacy-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (HTTP server, sender, scheduler)")
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="receive Slack events over Socket Mode (needs SLACK_APP_TOKEN)",
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade the database schema at start-up"
    )
    commands.add_parser("migrate", help="create or upgrade the database schema, then exit")
    commands.add_parser("check-config", help="validate config.yaml and the environment")
    commands.add_parser("status", help="the delivery queue, rates and next jobs, as JSON")
    package = commands.add_parser(
        "teams-package",
        help="write the Teams app package (manifest.json and icons, zipped) to upload to Teams",
    )
    package.add_argument("--out", type=Path, default=Path("dist/advocacy-teams.zip"))
    package.add_argument(
        "--version", default="1.0.0", help="the app's version (raise it for each update)"
    )
    package.add_argument("--short-name", help="the app's name (<= 30), default programme.name")
    package.add_argument("--privacy-url", help="default: ADVOCACY_PUBLIC_URL")
    package.add_argument("--terms-url", help="default: ADVOCACY_PUBLIC_URL")
    package.add_argument(
        "--icons", type=Path, default=ICONS_DIR, help="a folder with color.png and outline.png"
    )
    rebuild = commands.add_parser(
        "rebuild-rollup", help="rebuild one ISO week of the leaderboards' rollup from the ledger"
    )
    rebuild.add_argument("--week", required=True, help="an ISO week, e.g. 2026-W47")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        env = Environment()
    except ValidationError as error:
        sys.stderr.write(f"advocacy-bot: invalid environment:\n{error}\n")
        return 2
    configure_logging(env.LOG_LEVEL, json=env.LOG_FORMAT == "json")
    try:
        config = load_config(env.ADVOCACY_CONFIG)
        load_guidelines(config, env.ADVOCACY_CONFIG)
    except ConfigError as error:
        sys.stderr.write(f"advocacy-bot: {error}\n")
        return 2
    if args.command == "check-config":
        sys.stdout.write("configuration OK\n")
        return 0
    if args.command == "teams-package":
        return _teams_package(env, config, args)
    if args.command == "migrate" or (args.command == "serve" and not args.no_migrate):
        upgrade(env.DATABASE_URL)
        logger.info("database schema is up to date")
    if args.command == "migrate":
        return 0
    if args.command == "status":
        return asyncio.run(_status(env))
    if args.command == "rebuild-rollup":
        return asyncio.run(_rebuild_rollup(env, args.week))
    return asyncio.run(_serve(env, socket_mode=args.socket_mode))


def _teams_package(env: Environment, config: Config, args: argparse.Namespace) -> int:
    app_id = (env.MICROSOFT_APP_ID or "").strip()
    if not is_guid(app_id):
        what = (
            "is not set" if not app_id else "is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        )
        sys.stderr.write(
            f"advocacy-bot: MICROSOFT_APP_ID {what}: set it to your Azure Bot's Microsoft App ID\n"
        )
        return 2
    if not env.ADVOCACY_PUBLIC_URL.startswith("https://"):
        sys.stderr.write(
            "advocacy-bot: ADVOCACY_PUBLIC_URL must be the bot's public https:// address "
            f"(got {env.ADVOCACY_PUBLIC_URL})\n"
        )
        return 2
    try:
        out = build_package(
            app_id=app_id,
            bot_id=app_id,
            public_url=env.ADVOCACY_PUBLIC_URL,
            programme_name=config.programme.name,
            version=args.version,
            out=args.out,
            short_name=args.short_name,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
            icons_dir=args.icons,
        )
    except PackageError as error:
        lines = "".join(f"  {problem}\n" for problem in error.problems)
        sys.stderr.write(f"advocacy-bot: cannot build the Teams package:\n{lines}")
        return 2
    except OSError as error:
        sys.stderr.write(f"advocacy-bot: cannot write {args.out}: {error}\n")
        return 2
    sys.stdout.write(f"{out}\n")
    return 0


async def _status(env: Environment) -> int:
    runtime = build_runtime(env)
    try:
        view = await runtime.status.snapshot(runtime.config.programme.default_language)
    finally:
        await runtime.store.db.engine.dispose()
    report = {
        "deliveries": dict(view.counts),
        "sent_last_hour": view.sent_last_hour,
        "rates_per_second": dict(view.rates),
        "next_jobs": {
            job.name: job.next_run.isoformat() if job.next_run else None for job in view.jobs
        },
    }
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


async def _rebuild_rollup(env: Environment, week: str) -> int:
    runtime = build_runtime(env)
    try:
        count = await runtime.services.leaderboard.rebuild_week(week)
    except InvalidInput:
        sys.stderr.write(f"advocacy-bot: {week!r} is not an ISO week such as 2026-W47\n")
        return 2
    finally:
        await runtime.store.db.engine.dispose()
    sys.stdout.write(f"week {week} rebuilt from {count} points awards\n")
    return 0


async def _serve(env: Environment, *, socket_mode: bool) -> int:
    runtime = build_runtime(env)
    app = create_web_app(runtime)
    runner = web.AppRunner(app, handle_signals=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await runner.setup()
    site = web.TCPSite(runner, env.HOST, env.PORT)
    await site.start()
    logger.info(
        "listening on %s:%d (Slack %s)",
        env.HOST,
        env.PORT,
        "socket mode" if socket_mode else "HTTP at /slack/events",
    )
    socket_handler = None
    try:
        if socket_mode:
            connecting = asyncio.create_task(start_socket_mode(runtime))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not connecting.done():  # stopped while still connecting
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connecting
                return 0
            try:
                socket_handler = connecting.result()
            except ConfigError as error:
                sys.stderr.write(f"advocacy-bot: {error}\n")
                return 2
        await stop.wait()  # until SIGINT or SIGTERM
        logger.info("stopping: finishing the send in progress, then closing")
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
    return 0
