"""The migrations build exactly the schema the tables declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

import content_store.tables  # noqa: F401 - registers the tables in SQLModel.metadata
from content_store.engine import create_engine
from content_store.migrate import alembic_config


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


def _keys_and_rows(connection: Connection) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    found = {}
    for table, period in (("points_weekly", "week_start"), ("points_monthly", "month_start")):
        keys = inspect(connection).get_pk_constraint(table)["constrained_columns"]
        rows = connection.execute(
            text(f"SELECT ambassador_id, {period}, points, shares FROM {table} ORDER BY 1, 2")  # noqa: S608
        )
        found[table] = (keys, [tuple(r) for r in rows])
    return found


def _alembic(action: str, url: str, revision: str) -> None:
    # alembic runs its own event loop: not inside the test's.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(getattr(command, action), alembic_config(url), revision).result()


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
async def test_migration_0017_keys_the_rollup_by_period_and_keeps_its_rows(
    url_fixture: str, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue(url_fixture))
    _alembic("downgrade", url, "0016")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO ambassador (id, display_name, locale, status, ref,"
                    " guidelines_version, networks, guidelines_accepted_at, joined_at,"
                    " delivery_mode) VALUES"
                    " (1, 'A', 'en', 'active', 'r1', 'v1', '[]', :at, :at, 'immediate'),"
                    " (2, 'B', 'en', 'active', 'r2', 'v1', '[]', :at, :at, 'immediate')"
                ),
                {"at": datetime(2026, 1, 5, tzinfo=UTC)},
            )
            for table in ("points_weekly", "points_monthly"):
                period = "week_start" if table == "points_weekly" else "month_start"
                await connection.execute(
                    text(
                        f"INSERT INTO {table} (ambassador_id, {period}, points, shares) VALUES"  # noqa: S608
                        " (2, '2026-01-05', 7, 1), (1, '2026-01-05', 3, 0), (1, '2026-02-02', 5, 2)"
                    )
                )
            before = await connection.run_sync(_keys_and_rows)
        _alembic("upgrade", url, "head")
        async with engine.connect() as connection:
            after = await connection.run_sync(_keys_and_rows)
            assert await connection.run_sync(_differences) == []
        _alembic("downgrade", url, "0016")
        async with engine.connect() as connection:
            back = await connection.run_sync(_keys_and_rows)
    finally:
        _alembic("upgrade", url, "head")
        await engine.dispose()
    assert before["points_weekly"][0] == ["ambassador_id", "week_start"]
    assert after["points_weekly"][0] == ["week_start", "ambassador_id"]
    assert after["points_monthly"][0] == ["month_start", "ambassador_id"]
    assert back == before
    for table in ("points_weekly", "points_monthly"):
        assert len(after[table][1]) == 3
        assert [r[2:] for r in after[table][1]] == [r[2:] for r in before[table][1]]
