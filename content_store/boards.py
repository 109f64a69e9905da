# mypy: disable-error-code="arg-type, call-overload, union-attr, operator, attr-defined"
# (SQLModel column expressions read as plain values to mypy, as in repositories.py.)
"""``BoardRepository`` on SQL: leaderboards from a rollup of ``points_award``.

The rollup (``points_weekly``, ``points_total``) is written by a scheduled job, never on
the click or share path, so recording an award stays one small insert. The job reads the
ledger by id after a watermark; ids are handed out before commit, so it only reads up to the
highest id it saw ``settle`` seconds earlier, by when every transaction holding a lower id
has committed (awards are written by tiny transactions). Applying a stretch and moving the
watermark happen in one transaction, guarded by a compare-and-set on the watermark.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.leaderboard import competition_ranks, next_month, week_part_of, week_starting
from bot.model import (
    AmbassadorId,
    AmbassadorStatus,
    BoardPeriod,
    BoardScope,
    LeaderboardEntry,
    Standing,
)
from content_store.repositories import SHARE_KINDS, Database
from content_store.tables import (
    AmbassadorRow,
    PointsAwardRow,
    PointsTotalRow,
    PointsWeeklyRow,
    RollupStateRow,
)

STATE = "points"  # the rollup_state row of this rollup

# (ambassador_id, period_start) -> [week_start, points, shares]
_Buckets = dict[tuple[int, date], list[Any]]


def _bucket(rows: Iterable[Any], tz: ZoneInfo) -> _Buckets:
    buckets: _Buckets = {}
    parts: dict[tuple[int, int, int, int], tuple[date, date]] = {}  # per UTC hour
    for r in rows:
        at = r.awarded_at
        hour = (at.year, at.month, at.day, at.hour)
        part = parts.get(hour)
        if part is None:
            # Offsets change on the quarter hour at worst: an hour whose two ends fall in the
            # same bucket is cached, any other is worked out award by award.
            first = at.replace(minute=0, second=0, microsecond=0)
            part = week_part_of(first, tz)
            if part == week_part_of(first + timedelta(hours=1, microseconds=-1), tz):
                parts[hour] = part
            else:
                part = week_part_of(at, tz)
        bucket = buckets.setdefault((r.ambassador_id, part[0]), [part[1], 0, 0])
        bucket[1] += r.points
        bucket[2] += r.first_share
    return buckets


def _first_share(a: Any) -> Any:
    """1 for an award that is the person's first share of a content (any network), else 0:
    a content counts once in "shares", in the week of its first share, as on the live
    board (``SqlLedger``'s distinct contents) whenever all its shares fall in one period."""
    b = PointsAwardRow.__table__.alias("earlier")
    earlier = exists(
        select(literal(1)).where(
            b.c.ambassador_id == a.c.ambassador_id,
            b.c.content_id == a.c.content_id,
            b.c.kind.in_(SHARE_KINDS),
            b.c.id < a.c.id,
        )
    )
    return case((and_(a.c.kind.in_(SHARE_KINDS), ~earlier), 1), else_=0).label("first_share")


class SqlBoards:
    """Each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading the boards ------------------------------------------------------------

    @staticmethod
    def _totals(scope: BoardScope) -> Any:
        if scope.period is BoardPeriod.ALL or scope.first_day is None:
            t = PointsTotalRow.__table__
            return select(t.c.ambassador_id, t.c.points, t.c.shares).subquery()
        w = PointsWeeklyRow.__table__
        query = select(
            w.c.ambassador_id,
            func.sum(w.c.points).label("points"),
            func.sum(w.c.shares).label("shares"),
        ).group_by(w.c.ambassador_id)
        if scope.period is BoardPeriod.WEEK:
            query = query.where(w.c.week_start == scope.first_day)
        else:
            query = query.where(
                w.c.period_start >= scope.first_day,
                w.c.period_start < next_month(scope.first_day),
            )
        return query.subquery()

    @staticmethod
    def _public(scope: BoardScope) -> list[Any]:
        conditions = [
            AmbassadorRow.status == AmbassadorStatus.ACTIVE.value,
            AmbassadorRow.hidden_from_boards.is_(False),
        ]
        if scope.team is not None:
            conditions.append(AmbassadorRow.team == scope.team)
        return conditions

    async def top(self, *, scope: BoardScope, limit: int) -> Sequence[LeaderboardEntry]:
        totals = self._totals(scope)
        query = (
            select(AmbassadorRow.id, AmbassadorRow.display_name, totals.c.points, totals.c.shares)
            .join(totals, totals.c.ambassador_id == AmbassadorRow.id)
            .where(*self._public(scope), totals.c.points > 0)
            .order_by(
                totals.c.points.desc(),
                totals.c.shares.desc(),
                AmbassadorRow.display_name,
                AmbassadorRow.id,
            )
            .limit(limit)
        )
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        ranks = competition_ranks([int(r.points) for r in rows])
        return [
            LeaderboardEntry(rank, AmbassadorId(r.id), r.display_name, int(r.points), int(r.shares))
            for rank, r in zip(ranks, rows, strict=True)
        ]

    async def standing(self, *, scope: BoardScope, ambassador_id: AmbassadorId) -> Standing:
        totals = self._totals(scope)
        async with self._db.reading() as session:
            mine = (
                await session.execute(
                    select(totals.c.points, totals.c.shares).where(
                        totals.c.ambassador_id == ambassador_id
                    )
                )
            ).first()
            if mine is None or int(mine.points) <= 0:
                return Standing(None, 0, 0)
            ahead = (
                select(func.count())
                .select_from(totals)
                .join(AmbassadorRow, AmbassadorRow.id == totals.c.ambassador_id)
                .where(
                    *self._public(scope),
                    totals.c.points > mine.points,
                    AmbassadorRow.id != ambassador_id,
                )
            )
            count = int((await session.execute(ahead)).scalar_one())
        return Standing(count + 1, int(mine.points), int(mine.shares))

    # --- preferences -------------------------------------------------------------------

    async def set_hidden(self, *, ambassador_id: AmbassadorId, hidden: bool) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow)
                .where(AmbassadorRow.id == ambassador_id)
                .values(hidden_from_boards=hidden)
            )

    async def is_hidden(self, *, ambassador_id: AmbassadorId) -> bool:
        async with self._db.reading() as session:
            hidden = (
                await session.execute(
                    select(AmbassadorRow.hidden_from_boards).where(
                        AmbassadorRow.id == ambassador_id
                    )
                )
            ).scalar_one_or_none()
        return bool(hidden)

    async def set_team(self, *, ambassador_id: AmbassadorId, team: str | None) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow).where(AmbassadorRow.id == ambassador_id).values(team=team)
            )

    # --- the rollup --------------------------------------------------------------------

    async def _apply(self, session: AsyncSession, buckets: _Buckets, *, sign: int = 1) -> None:
        if not buckets:
            return
        weekly = PointsWeeklyRow.__table__
        upsert = self._db.insert(weekly)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["ambassador_id", "period_start"],
                set_={
                    "points": weekly.c.points + upsert.excluded.points,
                    "shares": weekly.c.shares + upsert.excluded.shares,
                },
            ),
            [
                {
                    "ambassador_id": amb,
                    "period_start": period,
                    "week_start": week,
                    "points": points,
                    "shares": shares,
                }
                for (amb, period), (week, points, shares) in buckets.items()
            ],
        )
        per_person: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (amb, _), (_, points, shares) in buckets.items():
            per_person[amb][0] += points
            per_person[amb][1] += shares
        await self._add_totals(session, per_person, sign=sign)

    async def _add_totals(
        self, session: AsyncSession, per_person: dict[int, list[int]], *, sign: int = 1
    ) -> None:
        if not per_person:
            return
        total = PointsTotalRow.__table__
        upsert = self._db.insert(total)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["ambassador_id"],
                set_={
                    "points": total.c.points + upsert.excluded.points,
                    "shares": total.c.shares + upsert.excluded.shares,
                },
            ),
            [
                {"ambassador_id": amb, "points": sign * p, "shares": sign * s}
                for amb, (p, s) in per_person.items()
            ],
        )

    @staticmethod
    async def _max_award_id(session: AsyncSession) -> int:
        return int((await session.execute(select(func.max(PointsAwardRow.id)))).scalar() or 0)

    async def _state(self, session: AsyncSession, now: datetime, *, lock: bool) -> Any:
        state = RollupStateRow.__table__
        query = select(state).where(state.c.rollup == STATE)
        if lock and self._db.dialect == "postgresql":
            query = query.with_for_update()
        row = (await session.execute(query)).first()
        if row is None:
            await session.execute(
                self._db.insert(state)
                .values(
                    rollup=STATE,
                    watermark=0,
                    pending_high=await self._max_award_id(session),
                    pending_at=now,
                )
                .on_conflict_do_nothing(index_elements=["rollup"])
            )
            row = (await session.execute(query)).first()
        return row

    async def roll_up(self, *, tz: ZoneInfo, now: datetime, settle: timedelta, batch: int) -> int:
        async with self._db.transaction() as session:
            state = await self._state(session, now, lock=False)
            if state.pending_at > now - settle:
                return 0
            low = state.watermark
            target = min(state.pending_high, low + batch)
            if target == state.pending_high:
                pending_high, pending_at = await self._max_award_id(session), now
            else:
                pending_high, pending_at = state.pending_high, state.pending_at
            t = RollupStateRow.__table__
            moved = await session.execute(
                update(t)
                .where(
                    t.c.rollup == STATE,
                    t.c.watermark == low,
                    t.c.pending_high == state.pending_high,
                )
                .values(watermark=target, pending_high=pending_high, pending_at=pending_at)
            )
            if moved.rowcount != 1 or target <= low:
                return 0  # another process applied this stretch, or there is nothing new
            a = PointsAwardRow.__table__
            rows = (
                await session.execute(
                    select(a.c.ambassador_id, a.c.awarded_at, a.c.points, _first_share(a)).where(
                        a.c.id > low, a.c.id <= target
                    )
                )
            ).all()
            await self._apply(session, _bucket(rows, tz))
            return len(rows)

    async def rebuild_week(self, *, tz: ZoneInfo, week_start: date) -> int:
        week = week_starting(week_start, tz)
        weekly = PointsWeeklyRow.__table__
        a = PointsAwardRow.__table__
        async with self._db.transaction() as session:
            state = await self._state(session, week.start, lock=True)
            old: dict[int, list[int]] = {
                r.ambassador_id: [int(r.points), int(r.shares)]
                for r in await session.execute(
                    select(
                        weekly.c.ambassador_id,
                        func.sum(weekly.c.points).label("points"),
                        func.sum(weekly.c.shares).label("shares"),
                    )
                    .where(weekly.c.week_start == week.first_day)
                    .group_by(weekly.c.ambassador_id)
                )
            }
            await session.execute(weekly.delete().where(weekly.c.week_start == week.first_day))
            await self._add_totals(session, old, sign=-1)
            rows = (
                await session.execute(
                    select(a.c.ambassador_id, a.c.awarded_at, a.c.points, _first_share(a)).where(
                        a.c.awarded_at >= week.start,
                        a.c.awarded_at < week.end,
                        a.c.id <= state.watermark,
                    )
                )
            ).all()
            await self._apply(session, _bucket(rows, tz))
            return len(rows)
