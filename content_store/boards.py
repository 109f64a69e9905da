# mypy: disable-error-code="arg-type, call-overload, union-attr, operator, attr-defined"
# (SQLModel column expressions read as plain values to mypy, as in repositories.py.)
"""``BoardRepository`` on SQL: leaderboards from a rollup of ``points_award``.

The rollup (``points_weekly``, ``points_monthly``, ``points_total``) is written by a
scheduled job, never on the click or share path, so recording an award stays one insert.
The job reads the ledger by id after a watermark; ids are handed out before commit, so it
only reads up to the highest id it saw ``settle`` seconds earlier, by when every transaction
holding a lower id has committed (awards are written by tiny transactions). Applying a
stretch and moving the watermark happen in one transaction, guarded by a compare-and-set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.leaderboard import competition_ranks, next_month, week_starting
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
    PointsMonthlyRow,
    PointsTotalRow,
    PointsWeeklyRow,
    RollupStateRow,
)

STATE = "points"  # the rollup_state row of this rollup

# (ambassador_id, week's Monday, month's 1st) -> [points, shares], local dates
_Buckets = dict[tuple[int, date, date], list[int]]


def _bucket(rows: Iterable[Any], tz: ZoneInfo) -> _Buckets:
    buckets: _Buckets = {}
    days: dict[tuple[int, int, int, int], date] = {}  # local day per UTC hour: cheap
    for r in rows:
        at = r.awarded_at
        hour = (at.year, at.month, at.day, at.hour)
        day = days.get(hour)
        if day is None:
            # Offsets change on the quarter hour at worst: an hour whose two ends fall on the
            # same local day is cached, any other is worked out award by award.
            first = at.replace(minute=0, second=0, microsecond=0)
            day = first.astimezone(tz).date()
            if day == (first + timedelta(hours=1, microseconds=-1)).astimezone(tz).date():
                days[hour] = day
            else:
                day = at.astimezone(tz).date()
        key = (r.ambassador_id, day - timedelta(days=day.weekday()), day.replace(day=1))
        bucket = buckets.setdefault(key, [0, 0])
        bucket[0] += r.points
        bucket[1] += r.first_share
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
    def _table(scope: BoardScope) -> tuple[Any, list[Any]]:
        """The rollup table of a board and the condition picking its period's rows: one
        row per person, so no grouping, and an index on (period, points) for the top."""
        if scope.period is BoardPeriod.ALL or scope.first_day is None:
            return PointsTotalRow.__table__, []
        if scope.period is BoardPeriod.WEEK:
            t = PointsWeeklyRow.__table__
            return t, [t.c.week_start == scope.first_day]
        t = PointsMonthlyRow.__table__
        return t, [t.c.month_start == scope.first_day]

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
        t, period = self._table(scope)
        public = [*period, *self._public(scope), t.c.points > 0]
        joined = t.join(AmbassadorRow, AmbassadorRow.id == t.c.ambassador_id)
        # First the points of the last place (walking the (period, points) index from the
        # top, stopping there), then everyone at or above it, ties broken in full.
        last = (
            select(t.c.points)
            .select_from(joined)
            .where(*public)
            .order_by(t.c.points.desc())
            .offset(limit - 1)
            .limit(1)
        )
        async with self._db.reading() as session:
            floor = (await session.execute(last)).scalar()
            query = (
                select(AmbassadorRow.id, AmbassadorRow.display_name, t.c.points, t.c.shares)
                .select_from(joined)
                .where(*public, t.c.points >= (floor or 1))
                .order_by(
                    t.c.points.desc(),
                    t.c.shares.desc(),
                    AmbassadorRow.display_name,
                    AmbassadorRow.id,
                )
                .limit(limit)
            )
            rows = (await session.execute(query)).all()
        ranks = competition_ranks([int(r.points) for r in rows])
        return [
            LeaderboardEntry(rank, AmbassadorId(r.id), r.display_name, int(r.points), int(r.shares))
            for rank, r in zip(ranks, rows, strict=True)
        ]

    async def standing(self, *, scope: BoardScope, ambassador_id: AmbassadorId) -> Standing:
        t, period = self._table(scope)
        async with self._db.reading() as session:
            mine = (
                await session.execute(
                    select(t.c.points, t.c.shares).where(
                        *period, t.c.ambassador_id == ambassador_id
                    )
                )
            ).first()
            if mine is None or int(mine.points) <= 0:
                return Standing(None, 0, 0)
            ahead = (
                select(func.count())
                .select_from(t.join(AmbassadorRow, AmbassadorRow.id == t.c.ambassador_id))
                .where(
                    *period,
                    *self._public(scope),
                    t.c.points > mine.points,
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

    async def _upsert(
        self, session: AsyncSession, table: Any, keys: list[str], rows: list[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        upsert = self._db.insert(table)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=keys,
                set_={
                    "points": table.c.points + upsert.excluded.points,
                    "shares": table.c.shares + upsert.excluded.shares,
                },
            ),
            rows,
        )

    async def _apply(self, session: AsyncSession, buckets: _Buckets) -> None:
        weeks: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        months: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
        people: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for (amb, week, month), (points, shares) in buckets.items():
            for sums in (weeks[amb, week], months[amb, month], people[amb]):
                sums[0] += points
                sums[1] += shares
        await self._upsert(
            session,
            PointsWeeklyRow.__table__,
            ["ambassador_id", "week_start"],
            [
                {"ambassador_id": a, "week_start": w, "points": p, "shares": n}
                for (a, w), (p, n) in weeks.items()
            ],
        )
        await self._upsert(
            session,
            PointsMonthlyRow.__table__,
            ["ambassador_id", "month_start"],
            [
                {"ambassador_id": a, "month_start": m, "points": p, "shares": n}
                for (a, m), (p, n) in months.items()
            ],
        )
        await self._upsert(
            session,
            PointsTotalRow.__table__,
            ["ambassador_id"],
            [{"ambassador_id": a, "points": p, "shares": n} for a, (p, n) in people.items()],
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

    async def _awards_between(
        self, session: AsyncSession, start: datetime, end: datetime, watermark: int
    ) -> list[Any]:
        a = PointsAwardRow.__table__
        query = select(a.c.ambassador_id, a.c.awarded_at, a.c.points, _first_share(a)).where(
            a.c.awarded_at >= start, a.c.awarded_at < end, a.c.id <= watermark
        )
        return list((await session.execute(query)).all())

    async def rebuild_week(self, *, tz: ZoneInfo, week_start: date) -> int:
        """The week's rows from the ledger; the one or two months it touches too (a month
        is not made of whole weeks); then the all-time totals of everyone concerned, as the
        sum of their months (months partition time)."""
        week = week_starting(week_start, tz)
        weekly, monthly = PointsWeeklyRow.__table__, PointsMonthlyRow.__table__
        total = PointsTotalRow.__table__
        months = sorted(
            {week.first_day.replace(day=1), (week.first_day + timedelta(days=6)).replace(day=1)}
        )
        async with self._db.transaction() as session:
            state = await self._state(session, week.start, lock=True)
            mark = state.watermark
            touched: set[int] = set()
            # The week.
            old = await session.execute(
                weekly.delete()
                .where(weekly.c.week_start == week.first_day)
                .returning(weekly.c.ambassador_id)
            )
            touched |= {r.ambassador_id for r in old}
            rows = await self._awards_between(session, week.start, week.end, mark)
            week_sums: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
            for (amb, monday, _), (points, shares) in _bucket(rows, tz).items():
                week_sums[amb, monday][0] += points
                week_sums[amb, monday][1] += shares
            await self._upsert(
                session,
                weekly,
                ["ambassador_id", "week_start"],
                [
                    {"ambassador_id": a, "week_start": w, "points": p, "shares": n}
                    for (a, w), (p, n) in week_sums.items()
                ],
            )
            # The months it touches.
            for first in months:
                old = await session.execute(
                    monthly.delete()
                    .where(monthly.c.month_start == first)
                    .returning(monthly.c.ambassador_id)
                )
                touched |= {r.ambassador_id for r in old}
                start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
                end = datetime.combine(next_month(first), datetime.min.time(), tzinfo=tz)
                month_rows = await self._awards_between(session, start, end, mark)
                month_sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
                for (amb, _, _), (points, shares) in _bucket(month_rows, tz).items():
                    month_sums[amb][0] += points
                    month_sums[amb][1] += shares
                    touched.add(amb)
                await self._upsert(
                    session,
                    monthly,
                    ["ambassador_id", "month_start"],
                    [
                        {"ambassador_id": a, "month_start": first, "points": p, "shares": n}
                        for a, (p, n) in month_sums.items()
                    ],
                )
            # All-time totals of everyone concerned: the sum of their months.
            people = sorted(touched)
            for i in range(0, len(people), 5_000):
                chunk = people[i : i + 5_000]
                sums = {
                    r.ambassador_id: (int(r.points), int(r.shares))
                    for r in await session.execute(
                        select(
                            monthly.c.ambassador_id,
                            func.sum(monthly.c.points).label("points"),
                            func.sum(monthly.c.shares).label("shares"),
                        )
                        .where(monthly.c.ambassador_id.in_(chunk))
                        .group_by(monthly.c.ambassador_id)
                    )
                }
                await session.execute(total.delete().where(total.c.ambassador_id.in_(chunk)))
                await self._upsert(
                    session,
                    total,
                    ["ambassador_id"],
                    [{"ambassador_id": a, "points": p, "shares": n} for a, (p, n) in sums.items()],
                )
            return len(rows)
