"""The PostgreSQL pool without pre-ping: a server that dropped its connections (a restart, a
failover) costs one failed operation, not a broken process."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from content_store.engine import create_engine
from content_store.repositories import Database


@pytest.mark.postgres
async def test_after_the_server_drops_every_connection_the_pool_recovers(
    postgres_url: str,
) -> None:
    db = Database(create_engine(postgres_url, pool_size=3, max_overflow=0, pool_pre_ping=False))
    admin = create_engine(postgres_url)
    try:
        for _ in range(3):
            await db.ping()  # the pool now holds connections
        async with admin.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": make_url(postgres_url).database},
            )
        invalidated: list[bool] = []
        for _ in range(5):
            try:
                await db.ping()
            except DBAPIError as error:
                invalidated.append(error.connection_invalidated)
        # The first use finds the dead connection and empties the pool: one failure at most.
        assert invalidated in ([], [True])
        await db.ping()
    finally:
        await db.engine.dispose()
        await admin.dispose()
