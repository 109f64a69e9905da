"""Shared fixtures: real databases (SQLite and PostgreSQL), never a mock of them.

SQLite: the schema is migrated once into a template file, which each test copies.
PostgreSQL (127.0.0.1:5432, database ``test``): migrated once per session, tables truncated
before each test. Set ``ADVOCACY_SKIP_POSTGRES=1`` to skip it on a machine without one; CI
never does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database, SqlStore

POSTGRES_URL = os.environ.get(
    "ADVOCACY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TABLES = (
    "link_visit",
    "reaction",
    "points_award",
    "interaction",
    "tracked_link",
    "delivery",
    "content_topic",
    "content",
    "ambassador_topic",
    "identity",
    "ambassador",
    "bot_message",
    "job_run",
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if os.environ.get("ADVOCACY_SKIP_POSTGRES") == "1":
        pytest.skip("ADVOCACY_SKIP_POSTGRES=1")
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "advocacy.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def postgres_url(postgres_migrated: str) -> str:
    # A plain fixture (its own short loop in a worker thread), so that parametrised
    # fixtures can resolve it with getfixturevalue whether or not a loop is running.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _truncate(postgres_migrated)).result()
    return postgres_migrated


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database: each test using it runs on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def sql_store(database_url: str) -> AsyncIterator[SqlStore]:
    db = Database(create_engine(database_url))
    yield SqlStore(db)
    await db.engine.dispose()


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # bolt reads SLACK_BOT_TOKEN from the environment; tests set what they need explicitly.
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return
