"""Shared fixtures: real databases (SQLite and PostgreSQL), never a mock of them.

SQLite: the schema is migrated once into a template file, which each test copies.
PostgreSQL (127.0.0.1:5432): a database of the session's own, created through the ``test``
database, migrated once, its tables truncated before each test. Set
``ADVOCACY_SKIP_POSTGRES=1`` to skip it on a machine without PostgreSQL; CI never does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import content_store.tables  # noqa: F401  (registers the tables)
from content_store.engine import create_engine
from content_store.migrate import upgrade
from content_store.repositories import Database, SqlStore

POSTGRES_URL = os.environ.get(
    "ADVOCACY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# Every table of the schema (so a new table can never leak rows between tests).
TABLES = tuple(SQLModel.metadata.tables)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _in_thread(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on its own loop, whether or not one is running here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """A database of this test session's own, created from ``test`` and dropped after, so two
    runs on one machine (a developer's and CI's) never truncate each other's tables."""
    if os.environ.get("ADVOCACY_SKIP_POSTGRES") == "1":
        pytest.skip("ADVOCACY_SKIP_POSTGRES=1")
    name = f"advocacy_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _in_thread(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        _in_thread(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
    _in_thread(_truncate(postgres_migrated))
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
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # bolt reads SLACK_BOT_TOKEN from the environment; tests set what they need explicitly.
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
