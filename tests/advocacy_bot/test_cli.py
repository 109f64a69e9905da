"""The console script, run as a real process: check-config, migrate, serve."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests import factories
from tests.adapters.slack.conftest import ALICE, CONFIG, SECRET
from tests.fakes.slack_api import FakeSlackApi

SCRIPT = Path(sys.executable).with_name("advocacy-bot")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def project(tmp_path: Path, config: str = CONFIG) -> dict[str, str]:
    (tmp_path / "config.yaml").write_text(config)
    (tmp_path / "guidelines.md").write_text("# Guidelines\nBe kind.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ADVOCACY_"))}
    env.update(
        ADVOCACY_CONFIG=str(tmp_path / "config.yaml"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_check_config_explains_mistakes(tmp_path: Path) -> None:
    ok = run(project(tmp_path), "check-config")
    assert (ok.returncode, ok.stdout) == (0, "configuration OK\n")
    broken = run(project(tmp_path, "topics: []\n"), "check-config")
    assert broken.returncode == 2
    assert "at least one topic" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    env = project(tmp_path)
    assert run(env, "migrate").returncode == 0
    assert run(env, "migrate").returncode == 0  # idempotent
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "bot.db").execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"ambassador", "content", "delivery", "points_award", "alembic_version"} <= tables


@pytest.fixture
async def page_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A page on loopback: the bot must never fetch it (no private addresses)."""
    hits: list[str] = []

    async def page(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(
            text="<meta property='og:title' content='Leaked'>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/news", hits
    await runner.cleanup()


async def wait_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):
        while True:
            assert process.returncode is None, "advocacy-bot serve exited early"
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)


async def post(base: str, request: factories.SignedRequest) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/slack/events", data=request.body, headers=request.headers
        ) as response,
    ):
        return response.status


@pytest.mark.slow
async def test_serve_end_to_end_then_stop_on_sigterm(
    tmp_path: Path, page_server: tuple[str, list[str]]
) -> None:
    page_url, page_hits = page_server
    async with FakeSlackApi() as fake:
        fake.add_user(ALICE, real_name="Alice Martin")
        port = free_port()
        env = project(tmp_path)
        env.update(
            SLACK_BOT_TOKEN="xoxb-process",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            PORT=str(port),
            HOST="127.0.0.1",
            ADVOCACY_PUBLIC_URL="https://go.example.com",
        )
        process = await asyncio.create_subprocess_exec(
            str(SCRIPT), "serve", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_healthy(base, process)
            help_request = factories.slash_command(
                "help", user_id=ALICE, secret=SECRET, response_url=fake.response_url("help")
            )
            assert await post(base, help_request) == 200
            assert await post(base, factories.forged(help_request)) == 401
            await fake.wait_for(lambda: fake.responses_to("help"))
            publish = factories.slash_command(
                f"post {page_url} #ai Read this",
                user_id=ALICE,
                secret=SECRET,
                response_url=fake.response_url("post"),
            )
            assert await post(base, publish) == 200
            replies: list[Any] = await fake.wait_for(
                lambda: len(fake.responses_to("post")) >= 2 and fake.responses_to("post")
            )
            assert "127.0.0.1" in str(replies[-1].body)  # saved, titled from its address
            assert page_hits == []  # a loopback page is never fetched
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                _, raw_stderr = await process.communicate()
        stderr = raw_stderr.decode()
        assert process.returncode == 0, stderr
        assert "xoxb-process" not in stderr and SECRET not in stderr


def test_a_malformed_secret_is_refused_without_being_printed(tmp_path: Path) -> None:
    env = project(tmp_path)
    env["SLACK_BOT_TOKEN"] = "xapp-top-secret-value"
    result = run(env, "check-config")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "xoxb-" in result.stderr
    assert "top-secret-value" not in result.stderr + result.stdout


def test_status_reports_the_queue_as_json(tmp_path: Path) -> None:
    env = project(tmp_path)
    assert run(env, "migrate").returncode == 0
    result = run(env, "status")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["deliveries"]["pending"] == 0
    assert report["rates_per_second"]["slack"] > 0
    assert {"weekly_leaderboard", "publish_scheduled", "expire_content", "send_reminders"} <= set(
        report["next_jobs"]
    )
    assert all(report["next_jobs"].values())


def test_rebuild_rollup_rebuilds_one_week(tmp_path: Path) -> None:
    env = project(tmp_path)
    assert run(env, "migrate").returncode == 0
    result = run(env, "rebuild-rollup", "--week", "2026-W47")
    assert result.returncode == 0, result.stderr
    assert "week 2026-W47 rebuilt from 0 points awards" in result.stdout
    refused = run(env, "rebuild-rollup", "--week", "last week")
    assert refused.returncode == 2
    assert "2026-W47" in refused.stderr and "Traceback" not in refused.stderr
