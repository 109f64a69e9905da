"""The store under test: the in-memory fake, SQLite and PostgreSQL, behind the same ports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from content_store.engine import create_engine
from content_store.repositories import Database, SqlStore
from tests.bot.fakes import MemoryPorts


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def ports(store_url: str | None) -> AsyncIterator[Any]:
    if store_url is None:
        yield MemoryPorts()
        return
    db = Database(create_engine(store_url))
    yield SqlStore(db)
    await db.engine.dispose()
