"""Curators' figures on SQL: ``StatsReader`` over the ledger tables, in one read transaction.

Every figure is an aggregate query (COUNT ... GROUP BY) bounded by the window on an indexed
timestamp: ``delivery.sent_at``, ``interaction.occurred_at``, ``link_visit.visited_at``,
``reaction.occurred_at`` (migration 0013 adds the ones that were missing). Per-content
figures go through ``delivery (content_id, ...)``'s unique index, ``ix_link_visit_content``
and ``ix_reaction_content``.

Unique visitors: ``COUNT(DISTINCT visitor_key)`` of people's visits in the window (the key
is salted per UTC day, so a window longer than a day counts visitor-days).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model import (
    AmbassadorStatus,
    ContentFigures,
    ContentId,
    ContentStatus,
    DepartmentStats,
    InteractionKind,
    Network,
    ProgrammeFigures,
    PublishedItem,
    RankedCount,
    StatsWindow,
)
from bot.stats import department_order
from content_store.tables import (
    AmbassadorRow,
    ContentRow,
    ContentTopicRow,
    DeliveryRow,
    InteractionRow,
    LinkVisitRow,
    ReactionRow,
)

if TYPE_CHECKING:
    from content_store.repositories import Database

SHARE_KINDS = (InteractionKind.SHARE_CLICK.value, InteractionKind.CONFIRMED_SHARE.value)

D: Any = DeliveryRow.__table__  # type: ignore[attr-defined]
IX: Any = InteractionRow.__table__  # type: ignore[attr-defined]
V: Any = LinkVisitRow.__table__  # type: ignore[attr-defined]
R: Any = ReactionRow.__table__  # type: ignore[attr-defined]
A: Any = AmbassadorRow.__table__  # type: ignore[attr-defined]
C: Any = ContentRow.__table__  # type: ignore[attr-defined]
T: Any = ContentTopicRow.__table__  # type: ignore[attr-defined]


def _within(column: Any, window: StatsWindow) -> Any:
    if window.start is None:
        return column < window.end
    return and_(column >= window.start, column < window.end)


def _networks(rows: Sequence[Any]) -> dict[Network, int]:
    found: dict[Network, int] = {}
    for network, n in rows:
        if network in Network._value2member_map_ and n:
            found[Network(network)] = found.get(Network(network), 0) + int(n)
    return found


def _count_shared() -> Any:
    """How many of the grouped deliveries were shared (a CASE, valid on every database)."""
    return func.coalesce(func.sum(case((_shared(), 1), else_=0)), 0)


def _shared() -> Any:
    """The delivery has a share click or a confirmation (at any time)."""
    return exists().where(IX.c.delivery_id == D.c.id, IX.c.kind.in_(SHARE_KINDS))


class SqlStats:
    """``StatsReader`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def programme(self, window: StatsWindow, *, top: int = 5) -> ProgrammeFigures:
        async with self._db.reading() as session:
            sent = _within(D.c.sent_at, window)
            deliveries, shared = (
                await session.execute(
                    select(func.count(), _count_shared()).select_from(D).where(sent)
                )
            ).one()
            active = await session.scalar(
                select(func.count(func.distinct(IX.c.ambassador_id))).where(
                    _within(IX.c.occurred_at, window)
                )
            )
            ambassadors = await session.scalar(
                select(func.count()).select_from(A).where(A.c.status == AmbassadorStatus.ACTIVE)
            )
            share_clicks, confirmed = await self._interactions(session, window, None)
            clicks, bot_hits = await self._visits(session, window, None)
            reactions = await self._reactions(session, window, None)
            top_content = await self._top_content(session, window, top)
            top_topics = await self._top_topics(session, window, top)
            departments = await self._departments(session, window)
            return ProgrammeFigures(
                active_ambassadors=int(active or 0),
                ambassadors=int(ambassadors or 0),
                deliveries=int(deliveries),
                shared=int(shared),
                share_clicks=share_clicks,
                confirmed=confirmed,
                clicks=clicks,
                bot_hits=bot_hits,
                reactions=reactions,
                top_content=top_content,
                top_topics=top_topics,
                departments=departments,
                unique_visitors=await self._unique_visitors(session, window, None),
            )

    async def content(self, content_id: ContentId, window: StatsWindow) -> ContentFigures | None:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(C.c.id, C.c.title, C.c.url, C.c.published_at).where(C.c.id == content_id)
                )
            ).one_or_none()
            if row is None:
                return None
            return await self._figures(session, row, window)

    async def contents(self, window: StatsWindow, *, limit: int) -> Sequence[ContentFigures]:
        # One grouped query per figure for all the rows (not one set per content).
        async with self._db.reading() as session:
            rows = (
                await session.execute(
                    select(C.c.id, C.c.title, C.c.url, C.c.published_at)
                    .where(C.c.published_at.is_not(None))
                    .order_by(C.c.published_at.desc(), C.c.id.desc())
                    .limit(limit)
                )
            ).all()
            ids = [r.id for r in rows]
            if not ids:
                return []
            sent = {
                cid: (int(d), int(sh))
                for cid, d, sh in (
                    await session.execute(
                        select(D.c.content_id, func.count(), _count_shared())
                        .where(D.c.content_id.in_(ids), _within(D.c.sent_at, window))
                        .group_by(D.c.content_id)
                    )
                ).all()
            }
            acts: dict[int, list[Any]] = {}
            for cid, kind, network, n in (
                await session.execute(
                    select(IX.c.content_id, IX.c.kind, IX.c.network, func.count())
                    .where(
                        IX.c.content_id.in_(ids),
                        IX.c.kind.in_(SHARE_KINDS),
                        _within(IX.c.occurred_at, window),
                    )
                    .group_by(IX.c.content_id, IX.c.kind, IX.c.network)
                )
            ).all():
                acts.setdefault(cid, []).append((kind, network, n))
            visits: dict[int, list[Any]] = {}
            for cid, bot, network, n in (
                await session.execute(
                    select(V.c.content_id, V.c.is_bot, V.c.network, func.count())
                    .where(V.c.content_id.in_(ids), _within(V.c.visited_at, window))
                    .group_by(V.c.content_id, V.c.is_bot, V.c.network)
                )
            ).all():
                visits.setdefault(cid, []).append((bot, network, n))
            reactions: dict[int, int] = dict(
                (
                    await session.execute(
                        select(R.c.content_id, func.count())
                        .where(
                            R.c.content_id.in_(ids),
                            R.c.added.is_(True),
                            _within(R.c.occurred_at, window),
                        )
                        .group_by(R.c.content_id)
                    )
                ).all()
            )
        found = []
        for row in rows:
            mine = acts.get(row.id, [])
            seen = visits.get(row.id, [])
            found.append(
                ContentFigures(
                    content_id=ContentId(row.id),
                    title=row.title,
                    url=row.url,
                    published_at=row.published_at,
                    deliveries=sent.get(row.id, (0, 0))[0],
                    shared=sent.get(row.id, (0, 0))[1],
                    share_clicks=_networks(
                        [(n, c) for k, n, c in mine if k == InteractionKind.SHARE_CLICK]
                    ),
                    confirmed=sum(
                        int(c) for k, _, c in mine if k == InteractionKind.CONFIRMED_SHARE
                    ),
                    clicks=_networks([(n, c) for bot, n, c in seen if not bot]),
                    bot_hits=sum(int(c) for bot, _, c in seen if bot),
                    reactions=int(reactions.get(row.id, 0)),
                )
            )
        return found

    async def weekly_activity(self, weeks: Sequence[StatsWindow]) -> Sequence[tuple[int, int]]:
        # Two queries for all the weeks: each row is put in its week by a CASE over the
        # (indexed) timestamp, then counted per week.
        if not weeks:
            return []
        start = min(w.start for w in weeks if w.start is not None)
        end = max(w.end for w in weeks)

        def bucket(column: Any) -> Any:
            return case(
                *[
                    (and_(column >= w.start, column < w.end), index)
                    for index, w in enumerate(weeks)
                ],
                else_=None,
            ).label("week")

        pairs = (
            select(IX.c.ambassador_id, IX.c.content_id, bucket(IX.c.occurred_at))
            .where(
                IX.c.kind.in_(SHARE_KINDS),
                IX.c.occurred_at >= start,
                IX.c.occurred_at < end,
            )
            .distinct()
            .subquery()
        )
        visits = (
            select(bucket(V.c.visited_at))
            .where(V.c.is_bot.is_(False), V.c.visited_at >= start, V.c.visited_at < end)
            .subquery()
        )
        async with self._db.reading() as session:
            shares: dict[int, int] = dict(
                (
                    await session.execute(
                        select(pairs.c.week, func.count())
                        .where(pairs.c.week.is_not(None))
                        .group_by(pairs.c.week)
                    )
                ).all()
            )
            clicks: dict[int, int] = dict(
                (
                    await session.execute(
                        select(visits.c.week, func.count())
                        .where(visits.c.week.is_not(None))
                        .group_by(visits.c.week)
                    )
                ).all()
            )
        return [
            (int(shares.get(index, 0)), int(clicks.get(index, 0))) for index in range(len(weeks))
        ]

    async def published(
        self, window: StatsWindow, *, limit: int
    ) -> tuple[Sequence[PublishedItem], int]:
        live = [C.c.status == ContentStatus.PUBLISHED.value, _within(C.c.published_at, window)]
        async with self._db.reading() as session:
            total = await session.scalar(select(func.count()).select_from(C).where(*live))
            rows = (
                await session.execute(
                    select(C.c.id, C.c.title, C.c.url, C.c.published_at)
                    .where(*live)
                    .order_by(C.c.published_at.desc(), C.c.id.desc())
                    .limit(limit)
                )
            ).all()
        items = [PublishedItem(ContentId(i), title, url, at) for i, title, url, at in rows]
        return items, int(total or 0)

    async def _figures(
        self, session: AsyncSession, row: Any, window: StatsWindow
    ) -> ContentFigures:
        content_id = ContentId(row.id)
        deliveries, shared = (
            await session.execute(
                select(func.count(), _count_shared())
                .select_from(D)
                .where(D.c.content_id == content_id, _within(D.c.sent_at, window))
            )
        ).one()
        share_clicks, confirmed = await self._interactions(session, window, content_id)
        clicks, bot_hits = await self._visits(session, window, content_id)
        return ContentFigures(
            content_id=content_id,
            title=row.title,
            url=row.url,
            published_at=row.published_at,
            deliveries=int(deliveries),
            shared=int(shared),
            share_clicks=share_clicks,
            confirmed=confirmed,
            clicks=clicks,
            bot_hits=bot_hits,
            reactions=await self._reactions(session, window, content_id),
            unique_visitors=await self._unique_visitors(session, window, content_id),
        )

    @staticmethod
    async def _interactions(
        session: AsyncSession, window: StatsWindow, content_id: ContentId | None
    ) -> tuple[dict[Network, int], int]:
        where = [_within(IX.c.occurred_at, window), IX.c.kind.in_(SHARE_KINDS)]
        if content_id is not None:
            where.append(IX.c.content_id == content_id)
        rows = (
            await session.execute(
                select(IX.c.kind, IX.c.network, func.count())
                .where(*where)
                .group_by(IX.c.kind, IX.c.network)
            )
        ).all()
        clicks = _networks([(n, c) for k, n, c in rows if k == InteractionKind.SHARE_CLICK])
        confirmed = sum(int(c) for k, _, c in rows if k == InteractionKind.CONFIRMED_SHARE)
        return clicks, confirmed

    @staticmethod
    async def _visits(
        session: AsyncSession, window: StatsWindow, content_id: ContentId | None
    ) -> tuple[dict[Network, int], int]:
        where = [_within(V.c.visited_at, window)]
        if content_id is not None:
            where.append(V.c.content_id == content_id)
        rows = (
            await session.execute(
                select(V.c.is_bot, V.c.network, func.count())
                .where(*where)
                .group_by(V.c.is_bot, V.c.network)
            )
        ).all()
        return _networks([(n, c) for bot, n, c in rows if not bot]), sum(
            int(c) for bot, _, c in rows if bot
        )

    @staticmethod
    async def _unique_visitors(
        session: AsyncSession, window: StatsWindow, content_id: ContentId | None
    ) -> int:
        """Distinct visitor keys of people's visits (``bot/links.py``: the key is salted per
        UTC day, so over a window it counts visitor-days); visits recorded before keys
        existed have none and do not count."""
        where = [
            _within(V.c.visited_at, window),
            V.c.is_bot.is_(False),
            V.c.visitor_key.is_not(None),
        ]
        if content_id is not None:
            where.append(V.c.content_id == content_id)
        query = select(func.count(func.distinct(V.c.visitor_key))).where(*where)
        return int(await session.scalar(query) or 0)

    @staticmethod
    async def _reactions(
        session: AsyncSession, window: StatsWindow, content_id: ContentId | None
    ) -> int:
        where = [_within(R.c.occurred_at, window), R.c.added.is_(True)]
        where.append(
            R.c.content_id.is_not(None) if content_id is None else R.c.content_id == content_id
        )
        return int(await session.scalar(select(func.count()).select_from(R).where(*where)) or 0)

    @staticmethod
    async def _top_content(
        session: AsyncSession, window: StatsWindow, top: int
    ) -> list[RankedCount]:
        shared = (
            select(D.c.content_id.label("cid"), func.count().label("n"))
            .where(_within(D.c.sent_at, window), _shared())
            .group_by(D.c.content_id)
            .subquery()
        )
        clicks = (
            select(V.c.content_id.label("cid"), func.count().label("n"))
            .where(_within(V.c.visited_at, window), V.c.is_bot.is_(False))
            .group_by(V.c.content_id)
            .subquery()
        )
        shared_n = func.coalesce(shared.c.n, 0)
        clicks_n = func.coalesce(clicks.c.n, 0)
        rows = (
            await session.execute(
                select(C.c.id, C.c.title, shared_n, clicks_n)
                .select_from(C)
                .outerjoin(shared, shared.c.cid == C.c.id)
                .outerjoin(clicks, clicks.c.cid == C.c.id)
                .where(or_(shared.c.n.is_not(None), clicks.c.n.is_not(None)))
                .order_by(shared_n.desc(), clicks_n.desc(), C.c.id.desc())
                .limit(top)
            )
        ).all()
        return [RankedCount(str(i), title, int(s), int(c)) for i, title, s, c in rows]

    @staticmethod
    async def _top_topics(
        session: AsyncSession, window: StatsWindow, top: int
    ) -> list[RankedCount]:
        n = func.count()
        rows = (
            await session.execute(
                select(T.c.topic, n)
                .select_from(D.join(T, T.c.content_id == D.c.content_id))
                .where(_within(D.c.sent_at, window), _shared())
                .group_by(T.c.topic)
                .order_by(n.desc(), T.c.topic)
                .limit(top)
            )
        ).all()
        return [RankedCount(topic, topic, int(count)) for topic, count in rows]

    @staticmethod
    async def _departments(session: AsyncSession, window: StatsWindow) -> list[DepartmentStats]:
        team = A.c.team  # GROUP BY puts every NULL (no team) in one group
        members: dict[str | None, int] = dict(
            (
                await session.execute(
                    select(team, func.count())
                    .where(A.c.status == AmbassadorStatus.ACTIVE)
                    .group_by(team)
                )
            ).all()
        )
        sent: Mapping[str | None, tuple[int, int]] = {
            key: (int(d), int(s))
            for key, d, s in (
                await session.execute(
                    select(team, func.count(), _count_shared())
                    .select_from(D.join(A, A.c.id == D.c.ambassador_id))
                    .where(_within(D.c.sent_at, window))
                    .group_by(team)
                )
            ).all()
        }
        clicks: dict[str | None, int] = dict(
            (
                await session.execute(
                    select(team, func.count())
                    .select_from(V.join(A, A.c.id == V.c.ambassador_id))
                    .where(_within(V.c.visited_at, window), V.c.is_bot.is_(False))
                    .group_by(team)
                )
            ).all()
        )
        keys = dict.fromkeys((*members, *sent, *clicks))
        return sorted(
            (
                DepartmentStats(
                    team=key,
                    ambassadors=int(members.get(key, 0)),
                    deliveries=sent.get(key, (0, 0))[0],
                    shared=sent.get(key, (0, 0))[1],
                    clicks=int(clicks.get(key, 0)),
                )
                for key in keys
            ),
            key=department_order,
        )
