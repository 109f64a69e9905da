"""The migrations build exactly the schema the tables declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import content_store.tables  # noqa: F401 - registers the tables in SQLModel.metadata
from content_store.engine import create_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, SQLModel.metadata))


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
async def test_migrated_schema_matches_the_tables(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine = create_engine(str(request.getfixturevalue(url_fixture)))
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
