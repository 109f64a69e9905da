"""``LinkVisitLog`` on SQL: visits to tracked links written in batches, and their counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, false, func, select, true
from sqlmodel import col

from bot.model import Content, ContentId, LinkGrouping, LinkStats, LinkVisit, TrackedLink
from content_store.repositories import Database
from content_store.repositories import _content as content_of
from content_store.repositories import _link as link_of
from content_store.tables import AmbassadorRow, ContentRow, LinkVisitRow, TrackedLinkRow

VISIT = LinkVisitRow.__table__  # type: ignore[attr-defined]
_GROUP_COLUMNS = {
    LinkGrouping.CONTENT: VISIT.c.content_id,
    LinkGrouping.AMBASSADOR: VISIT.c.ambassador_id,
    LinkGrouping.NETWORK: VISIT.c.network,
    LinkGrouping.LINK: VISIT.c.token,
}


class SqlLinkVisits:
    """``LinkVisitLog`` on SQL (``link_visit``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def resolve(self, token: str) -> tuple[TrackedLink, Content, str | None] | None:
        async with self._db.reading() as session:
            found = (
                await session.execute(
                    select(TrackedLinkRow, ContentRow, col(AmbassadorRow.ref))
                    .join(ContentRow, col(ContentRow.id) == col(TrackedLinkRow.content_id))
                    .outerjoin(
                        AmbassadorRow, col(AmbassadorRow.id) == col(TrackedLinkRow.ambassador_id)
                    )
                    .where(col(TrackedLinkRow.token) == token)
                )
            ).first()
        if found is None:
            return None
        link, content, ref = found
        return link_of(link), content_of(content, []), ref

    async def record_visits(self, visits: Sequence[LinkVisit]) -> int:
        if not visits:
            return 0
        rows = [
            {
                "visit_id": v.visit_id,
                "token": v.token,
                "content_id": v.content_id,
                "ambassador_id": v.ambassador_id,
                "network": v.network.value,
                "is_bot": v.is_bot,
                "visitor_key": v.visitor_key,
                "visited_at": v.visited_at,
            }
            for v in visits
        ]
        statement = (
            self._db.insert(VISIT)
            .on_conflict_do_nothing(index_elements=["visit_id"])
            .returning(VISIT.c.id)
        )
        async with self._db.transaction() as session:
            inserted = await session.execute(statement, rows)
            return len(inserted.all())

    async def link_stats(
        self,
        *,
        by: LinkGrouping,
        start: datetime | None = None,
        end: datetime | None = None,
        content_id: ContentId | None = None,
    ) -> Sequence[LinkStats]:
        column = _GROUP_COLUMNS[by]
        person = VISIT.c.is_bot == false()
        clicks = func.sum(case((person, 1), else_=0)).label("clicks")
        uniques = func.count(func.distinct(case((person, VISIT.c.visitor_key)))).label("uniques")
        bots = func.sum(case((VISIT.c.is_bot == true(), 1), else_=0)).label("bots")
        query: Any = select(column.label("key"), clicks, uniques, bots).group_by(column)
        if start is not None:
            query = query.where(VISIT.c.visited_at >= start)
        if end is not None:
            query = query.where(VISIT.c.visited_at < end)
        if content_id is not None:
            query = query.where(VISIT.c.content_id == content_id)
        query = query.order_by(clicks.desc(), column)
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            LinkStats(
                key=row.key,
                clicks=int(row.clicks or 0),
                unique_visitors=int(row.uniques or 0),
                bot_hits=int(row.bots or 0),
            )
            for row in rows
        ]
