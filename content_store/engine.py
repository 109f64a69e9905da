"""Async engines for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "advocacy_read_only"  # execution option of the read-only engine view


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain ``sqlite://`` or ``postgresql://`` URL."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; on SQLite, set WAL, a busy timeout and ``BEGIN IMMEDIATE``.

    SQLite's default deferred BEGIN makes a read-then-write transaction fail at once with
    SQLITE_BUSY when another writer got there first (the busy timeout does not apply); taking
    the write lock at BEGIN makes writers queue politely instead. This is SQLAlchemy's
    documented recipe for pysqlite/aiosqlite transactions.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, **kwargs)
    # One file, one writer at a time: SQLAlchemy's default pool for it is the right one.
    for pool_option in ("pool_size", "max_overflow", "pool_pre_ping"):
        kwargs.pop(pool_option, None)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers (WAL) never wait for a writer: only write transactions take the lock.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
