"""``Recognition`` on SQL: link-click points, streak bonuses and badges (issue 6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from bot.model import (
    AmbassadorId,
    AmbassadorStatus,
    Badge,
    ContentId,
    EarnedBadge,
    InteractionKind,
    Network,
    VisitToAward,
)
from content_store.repositories import SHARE_KINDS, Database
from content_store.tables import (
    AmbassadorRow,
    BadgeRow,
    LinkVisitAwardRow,
    LinkVisitRow,
    PointsAwardRow,
)

LINK_CLICK = InteractionKind.LINK_CLICK.value


def _table(row: type[SQLModel]) -> Table:
    return cast(Table, row.__table__)  # type: ignore[attr-defined]


VISIT = _table(LinkVisitRow)
EARLIER = VISIT.alias("earlier")  # the same visitor's earlier visits of a link
COUNTED = _table(LinkVisitAwardRow)
AWARD = _table(PointsAwardRow)
BADGE = _table(BadgeRow)
PERSON = _table(AmbassadorRow)


class SqlRecognition:
    """Points land in ``points_award`` under unique keys; badges in ``badge``, unique per
    (ambassador, badge). Each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def pending_visits(self, *, since: datetime, limit: int) -> Sequence[VisitToAward]:
        """Visits by real visitors to active people's links, not yet counted, oldest first."""
        query = (
            select(
                VISIT.c.id,
                VISIT.c.ambassador_id,
                VISIT.c.content_id,
                VISIT.c.network,
                VISIT.c.visited_at,
                PERSON.c.timezone,
            )
            .join(PERSON, PERSON.c.id == VISIT.c.ambassador_id)
            .outerjoin(COUNTED, COUNTED.c.visit_id == VISIT.c.id)
            .where(
                VISIT.c.visited_at >= since,
                # A real visitor's first visit of the link counts; their later visits do not
                # (the visitor key is salted per UTC day: once per visitor per day). Older
                # rows without a key each count.
                VISIT.c.is_bot.is_(False),
                or_(
                    VISIT.c.visitor_key.is_(None),
                    ~exists().where(
                        EARLIER.c.token == VISIT.c.token,
                        EARLIER.c.visitor_key == VISIT.c.visitor_key,
                        EARLIER.c.id < VISIT.c.id,
                    ),
                ),
                COUNTED.c.visit_id.is_(None),
                PERSON.c.status == AmbassadorStatus.ACTIVE.value,
            )
            .order_by(VISIT.c.id)
            .limit(limit)
        )
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            VisitToAward(
                visit_id=int(r.id),
                ambassador_id=AmbassadorId(r.ambassador_id),
                content_id=ContentId(r.content_id),
                network=Network(r.network),
                visited_at=r.visited_at,
                timezone=r.timezone,
            )
            for r in rows
            if r.network in Network._value2member_map_
        ]

    async def award_visit(
        self,
        *,
        visit: VisitToAward,
        points: int,
        day: str,
        day_start: datetime,
        day_end: datetime,
        paid_per_day: int | None,
    ) -> int:
        """Count one visit once; points while the day has a free paid slot."""

        async def write(session: AsyncSession) -> int:
            counted = await session.execute(
                self._db.insert(COUNTED)
                .values(
                    visit_id=visit.visit_id,
                    ambassador_id=visit.ambassador_id,
                    points=0,
                    awarded_at=visit.visited_at,
                )
                .on_conflict_do_nothing(index_elements=["visit_id"])
                .returning(COUNTED.c.visit_id)
            )
            if counted.first() is None or points <= 0:
                return 0  # already counted (a retry, another replica), or clicks earn nothing
            if paid_per_day is None:
                keys = [f"link_click:visit:{visit.visit_id}"]
            else:
                # The day's paid clicks are slots 1..N: two runs racing for the last slot
                # cannot both win it, so the cap holds without locks.
                taken = (
                    await session.execute(
                        select(func.count())
                        .select_from(AWARD)
                        .where(
                            AWARD.c.ambassador_id == visit.ambassador_id,
                            AWARD.c.kind == LINK_CLICK,
                            AWARD.c.awarded_at >= day_start,
                            AWARD.c.awarded_at < day_end,
                        )
                    )
                ).scalar_one()
                keys = [
                    f"link_click:{visit.ambassador_id}:{day}:{slot}"
                    for slot in range(int(taken) + 1, paid_per_day + 1)
                ]
            for key in keys:
                if await self._insert_award(
                    session,
                    key=key,
                    ambassador_id=visit.ambassador_id,
                    content_id=visit.content_id,
                    network=visit.network,
                    kind=InteractionKind.LINK_CLICK,
                    points=points,
                    at=visit.visited_at,
                ):
                    await session.execute(
                        update(COUNTED)
                        .where(COUNTED.c.visit_id == visit.visit_id)
                        .values(points=points)
                    )
                    return points
            return 0

        return await self._db.write(write)

    async def _insert_award(
        self,
        session: AsyncSession,
        *,
        key: str,
        ambassador_id: AmbassadorId,
        content_id: ContentId | None,
        network: Network | None,
        kind: InteractionKind,
        points: int,
        at: datetime,
    ) -> bool:
        inserted = await session.execute(
            self._db.insert(AWARD)
            .values(
                award_key=key,
                ambassador_id=ambassador_id,
                content_id=content_id,
                delivery_id=None,
                kind=kind.value,
                network=network.value if network else None,
                points=points,
                awarded_at=at,
            )
            .on_conflict_do_nothing(index_elements=["award_key"])
            .returning(AWARD.c.id)
        )
        return inserted.first() is not None

    async def award_once(
        self,
        *,
        key: str,
        ambassador_id: AmbassadorId,
        kind: InteractionKind,
        points: int,
        now: datetime,
    ) -> int:
        """Points once per ``key``."""
        if points <= 0:
            return 0

        async def write(session: AsyncSession) -> int:
            new = await self._insert_award(
                session,
                key=key,
                ambassador_id=ambassador_id,
                content_id=None,
                network=None,
                kind=kind,
                points=points,
                at=now,
            )
            return points if new else 0

        return await self._db.write(write)

    async def share_times(self, ambassador_id: AmbassadorId) -> Sequence[datetime]:
        """When the person's share awards were earned."""
        query = select(AWARD.c.awarded_at).where(
            AWARD.c.ambassador_id == ambassador_id,
            AWARD.c.kind.in_(SHARE_KINDS),
        )
        async with self._db.reading() as session:
            return list((await session.execute(query)).scalars().all())

    async def clicks_awarded(self, ambassador_id: AmbassadorId) -> int:
        """Visits to the person's links that were counted."""
        query = (
            select(func.count())
            .select_from(COUNTED)
            .where(COUNTED.c.ambassador_id == ambassador_id)
        )
        async with self._db.reading() as session:
            return int((await session.execute(query)).scalar_one())

    async def earn(self, *, ambassador_id: AmbassadorId, badge: Badge, now: datetime) -> bool:
        """A badge once per person."""

        async def write(session: AsyncSession) -> bool:
            inserted = await session.execute(
                self._db.insert(BADGE)
                .values(ambassador_id=ambassador_id, badge=badge.value, earned_at=now)
                .on_conflict_do_nothing(index_elements=["ambassador_id", "badge"])
                .returning(BADGE.c.id)
            )
            return inserted.first() is not None

        return await self._db.write(write)

    async def badges_of(self, ambassador_id: AmbassadorId) -> Sequence[EarnedBadge]:
        """A person's badges, oldest first."""
        query = (
            select(BADGE.c.ambassador_id, BADGE.c.badge, BADGE.c.earned_at)
            .where(BADGE.c.ambassador_id == ambassador_id)
            .order_by(BADGE.c.earned_at, BADGE.c.id)
        )
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            EarnedBadge(AmbassadorId(r.ambassador_id), Badge(r.badge), r.earned_at)
            for r in rows
            if r.badge in Badge._value2member_map_
        ]

    async def badges_between(self, *, start: datetime, end: datetime) -> Sequence[EarnedBadge]:
        """Badges earned in a window by active people, with their names."""
        query = (
            select(BADGE.c.ambassador_id, BADGE.c.badge, BADGE.c.earned_at)
            .add_columns(PERSON.c.display_name)
            .join(PERSON, PERSON.c.id == BADGE.c.ambassador_id)
            .where(
                BADGE.c.earned_at >= start,
                BADGE.c.earned_at < end,
                PERSON.c.status == AmbassadorStatus.ACTIVE.value,
            )
            .order_by(BADGE.c.earned_at, BADGE.c.id)
        )
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            EarnedBadge(AmbassadorId(r.ambassador_id), Badge(r.badge), r.earned_at, r.display_name)
            for r in rows
            if r.badge in Badge._value2member_map_
        ]
