"""Schema migrations (alembic), run at start-up and by ``advocacy-bot migrate``."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from alembic import command
from alembic.config import Config

from content_store.engine import normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    """An alembic configuration for this database, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # alembic's config is ConfigParser-based: escape % in passwords.
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (blocking).

    alembic's env runs its own event loop, which cannot nest in a running one: when called
    from a thread that has a loop running, the upgrade runs in a worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(database_url), revision)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, alembic_config(database_url), revision).result()
