"""``ChartStore`` on SQL: the weekly digests' chart images (``digest_chart``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select

from content_store.repositories import Database
from content_store.tables import DigestChartRow

CHART: Any = DigestChartRow.__table__  # type: ignore[attr-defined]


class SqlCharts:
    """``ChartStore`` on SQL: one row per (week, language); a redraw replaces it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save_chart(self, *, key: str, png: bytes, now: datetime) -> None:
        async with self._db.transaction() as session:
            await session.execute(delete(CHART).where(CHART.c.chart_key == key))
            await session.execute(insert(CHART).values(chart_key=key, png=png, created_at=now))

    async def load_chart(self, key: str) -> bytes | None:
        async with self._db.reading() as session:
            found = await session.scalar(select(CHART.c.png).where(CHART.c.chart_key == key))
        return None if found is None else bytes(found)
