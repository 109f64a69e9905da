# mypy: disable-error-code="arg-type, call-overload, union-attr, operator, attr-defined"
# (SQLModel column expressions read as plain values to mypy, as in repositories.py.)
"""``RecapRepository`` on SQL: who gets a personal weekly recap, and the claim of each one.

The claim is a row unique per (ambassador, week), inserted with ``ON CONFLICT DO NOTHING …
RETURNING``: the first claimant gets it, every other run or replica gets nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, literal, select, update

from bot.model import Ambassador, AmbassadorId, AmbassadorStatus
from content_store.repositories import Database, SqlAmbassadors
from content_store.tables import AmbassadorRow, LinkVisitRow, WeeklyRecapRow

CLAIMED = "claimed"
RECAP: Any = WeeklyRecapRow.__table__


class SqlRecaps:
    """Each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ambassadors = SqlAmbassadors(db)

    async def candidates(
        self, *, week_start: date, after: AmbassadorId | None, limit: int
    ) -> Sequence[Ambassador]:
        done = exists(
            select(literal(1)).where(
                WeeklyRecapRow.ambassador_id == AmbassadorRow.id,
                WeeklyRecapRow.week_start == week_start,
            )
        )
        query = select(AmbassadorRow.id).where(
            AmbassadorRow.weekly_recap.is_(True),
            AmbassadorRow.status == AmbassadorStatus.ACTIVE.value,
            AmbassadorRow.unreachable_at.is_(None),
            ~done,
        )
        if after is not None:
            query = query.where(AmbassadorRow.id > after)
        async with self._db.reading() as session:
            ids = (await session.execute(query.order_by(AmbassadorRow.id).limit(limit))).scalars()
            wanted = [AmbassadorId(i) for i in ids]
        found = await self._ambassadors.get_many(wanted)
        return [found[i] for i in wanted if i in found]

    async def claim(
        self, *, ambassador_id: AmbassadorId, week_start: date, holder: str, now: datetime
    ) -> bool:
        return await self._insert(ambassador_id, week_start, CLAIMED, holder[:128], now, None)

    async def skip(
        self, *, ambassador_id: AmbassadorId, week_start: date, reason: str, now: datetime
    ) -> bool:
        return await self._insert(ambassador_id, week_start, "skipped", "", now, reason[:64])

    async def _insert(
        self,
        ambassador_id: AmbassadorId,
        week_start: date,
        status: str,
        holder: str,
        now: datetime,
        error: str | None,
    ) -> bool:
        statement = (
            self._db.insert(RECAP)
            .values(
                ambassador_id=ambassador_id,
                week_start=week_start,
                status=status,
                holder=holder,
                claimed_at=now,
                error=error,
            )
            .on_conflict_do_nothing(index_elements=["ambassador_id", "week_start"])
            .returning(RECAP.c.id)
        )
        async with self._db.transaction() as session:
            return (await session.execute(statement)).first() is not None

    async def release(self, *, ambassador_id: AmbassadorId, week_start: date) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(WeeklyRecapRow).where(
                    WeeklyRecapRow.ambassador_id == ambassador_id,
                    WeeklyRecapRow.week_start == week_start,
                    WeeklyRecapRow.status == CLAIMED,
                )
            )

    async def finish(
        self,
        *,
        ambassador_id: AmbassadorId,
        week_start: date,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(WeeklyRecapRow)
                .where(
                    WeeklyRecapRow.ambassador_id == ambassador_id,
                    WeeklyRecapRow.week_start == week_start,
                    WeeklyRecapRow.status == CLAIMED,
                )
                .values(status=status, sent_at=now if status == "sent" else None, error=error)
            )

    async def clicks(self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime) -> int:
        async with self._db.reading() as session:
            count = await session.scalar(
                select(func.count()).where(
                    and_(
                        LinkVisitRow.ambassador_id == ambassador_id,
                        LinkVisitRow.visited_at >= start,
                        LinkVisitRow.visited_at < end,
                        LinkVisitRow.is_bot.is_(False),
                    )
                )
            )
        return int(count or 0)
