# mypy: disable-error-code="arg-type, call-overload, union-attr, operator, attr-defined"
# (SQLModel column expressions read as plain values to mypy, as in repositories.py.)
"""``BoardRepository`` on SQL: leaderboards from a rollup of ``points_award``.

The rollup (``points_weekly``, ``points_monthly``, ``points_total``) is written by a
scheduled job, never on the click or share path, so recording an award stays one insert.
The job reads the ledger by id after a watermark; ids are handed out before commit, so it
only reads up to the highest id it saw ``settle`` seconds earlier, by when every transaction
holding a lower id has committed (awards are written by tiny transactions). Applying a
stretch and moving the watermark happen in one transaction, guarded by a compare-and-set.
On PostgreSQL a stretch is summed and applied by one statement, no row leaving the server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Date,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import INTERVAL
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


def _offsets(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The UTC offsets (seconds) of ``tz`` from ``start`` to ``end``: ``[(since, offset)]``,
    the first since ``start``, each later one from the instant (to the second) it began.
    Looked for hour by hour: no zone changes its offset twice within an hour."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    at = start.replace(minute=0, second=0, microsecond=0)
    offset = _offset(tz, start)
    changes = [(start, offset)]
    while at < end:
        after = at + timedelta(hours=1)
        if _offset(tz, after) != offset:
            low, high = 0, 3600  # the offset of at + high seconds is the new one
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (
                    (middle, high)
                    if _offset(tz, at + timedelta(seconds=middle)) == offset
                    else (low, middle)
                )
            offset = _offset(tz, after)
            changes.append((at + timedelta(seconds=high), offset))
        at = after
    return changes


def _offset(tz: ZoneInfo, at: datetime) -> int:
    delta = at.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


class _LocalDates:
    """SQL for the local week's Monday and month's 1st of ``points_award.awarded_at``, the
    zone's offsets worked out in Python (``zoneinfo``, as everywhere else) for the stretch
    read, then applied in SQL as a ``CASE`` on the instant: no rows leave the database to be
    bucketed, and PostgreSQL's own zone data (SQLite has none) is never asked."""

    def __init__(self, dialect: str, tz: ZoneInfo, start: datetime, end: datetime) -> None:
        self._dialect = dialect
        self._offsets = _offsets(tz, start, end)

    def _shift(self, at: Any) -> Any:
        """The local offset of ``at`` as a literal like ``+3600 seconds`` (SQLite's date
        modifier and PostgreSQL's interval syntax both read it)."""
        literals: list[Any] = [
            literal_column(f"'{offset:+d} seconds'") for _, offset in self._offsets
        ]
        if len(literals) == 1:
            return literals[0]
        return case(
            *(
                (at < since, shift)
                for (since, _), shift in zip(self._offsets[1:], literals, strict=False)
            ),
            else_=literals[-1],
        )

    def week(self, at: Any) -> Any:
        if self._dialect == "postgresql":
            local = func.timezone("UTC", at) + cast(self._shift(at), INTERVAL)
            return cast(func.date_trunc("week", local), Date)
        return type_coerce(func.date(at, self._shift(at), "weekday 0", "-6 days"), Date)

    def month(self, at: Any) -> Any:
        if self._dialect == "postgresql":
            local = func.timezone("UTC", at) + cast(self._shift(at), INTERVAL)
            return cast(func.date_trunc("month", local), Date)
        return type_coerce(func.date(at, self._shift(at), "start of month"), Date)


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


def _period_first(item: tuple[tuple[int, date], list[int]]) -> tuple[date, int]:
    """Sort key of ``((ambassador_id, period), sums)``: the rollup tables' key order."""
    (ambassador_id, period), _ = item
    return period, ambassador_id


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
        """Add ``rows`` (one per key, in key order) to ``table`` in one statement: on
        PostgreSQL one ``INSERT ... SELECT unnest(...)`` of arrays (one round trip, not one
        per row), on SQLite an ``executemany`` (in process: no round trips to save)."""
        if not rows:
            return
        upsert = self._db.insert(table)
        names = [*keys, "points", "shares"]
        if self._db.dialect == "postgresql":
            arrays = [
                func.unnest(
                    bindparam(
                        f"{name}_list", [r[name] for r in rows], type_=ARRAY(table.c[name].type)
                    )
                )
                for name in names
            ]
            upsert = upsert.from_select(names, select(*arrays))
        statement = upsert.on_conflict_do_update(
            index_elements=keys,
            set_={
                "points": table.c.points + upsert.excluded.points,
                "shares": table.c.shares + upsert.excluded.shares,
            },
        )
        if self._db.dialect == "postgresql":
            await session.execute(statement)
        else:
            await session.execute(statement, rows)

    async def _apply(self, session: AsyncSession, buckets: _Buckets) -> None:
        """Add the sums to the three tables from Python: SQLite's way (no data-modifying
        ``WITH``; in process, so the rows crossing over cost no round trips) and
        ``rebuild_week``'s."""
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
            ["week_start", "ambassador_id"],
            [
                {"week_start": w, "ambassador_id": a, "points": p, "shares": n}
                for (a, w), (p, n) in sorted(weeks.items(), key=_period_first)
            ],
        )
        await self._upsert(
            session,
            PointsMonthlyRow.__table__,
            ["month_start", "ambassador_id"],
            [
                {"month_start": m, "ambassador_id": a, "points": p, "shares": n}
                for (a, m), (p, n) in sorted(months.items(), key=_period_first)
            ],
        )
        await self._upsert(
            session,
            PointsTotalRow.__table__,
            ["ambassador_id"],
            [
                {"ambassador_id": a, "points": p, "shares": n}
                for a, (p, n) in sorted(people.items())
            ],
        )

    def _bucket_query(self, tz: ZoneInfo, span: tuple[datetime, datetime], *where: Any) -> Any:
        """The awards matching ``where`` (all within ``span``), summed in SQL per person,
        local week and local month (columns ambassador_id, week_start, month_start, points,
        shares): tens of thousands of rows, not every award."""
        a = PointsAwardRow.__table__
        local = _LocalDates(self._db.dialect, tz, *span)
        awards = (
            select(
                a.c.ambassador_id,
                local.week(a.c.awarded_at).label("week_start"),
                local.month(a.c.awarded_at).label("month_start"),
                a.c.points,
                _first_share(a),
            )
            .where(*where)
            .subquery()
        )
        keys = (awards.c.ambassador_id, awards.c.week_start, awards.c.month_start)
        return select(
            *keys,
            func.sum(awards.c.points).label("points"),
            func.sum(awards.c.first_share).label("shares"),
        ).group_by(*keys)

    async def _buckets(
        self, session: AsyncSession, tz: ZoneInfo, span: tuple[datetime, datetime], *where: Any
    ) -> _Buckets:
        query = self._bucket_query(tz, span, *where)
        return {(r[0], r[1], r[2]): [int(r[3]), int(r[4])] for r in await session.execute(query)}

    async def _apply_in_database(
        self, session: AsyncSession, tz: ZoneInfo, span: tuple[datetime, datetime], *where: Any
    ) -> None:
        """PostgreSQL: the sums and the three upserts in one statement (data-modifying
        ``WITH``), so no row leaves the server: the buckets are computed once, then each
        table is upserted from them, rows in key order."""
        buckets = self._bucket_query(tz, span, *where).cte("buckets")
        tables: list[tuple[Any, list[str]]] = [
            (PointsWeeklyRow.__table__, ["week_start", "ambassador_id"]),
            (PointsMonthlyRow.__table__, ["month_start", "ambassador_id"]),
            (PointsTotalRow.__table__, ["ambassador_id"]),
        ]
        writes = []
        for table, keys in tables:
            columns = [buckets.c[k] for k in keys]
            sums = (
                select(
                    *columns,
                    func.sum(buckets.c.points).label("points"),
                    func.sum(buckets.c.shares).label("shares"),
                )
                .group_by(*columns)
                .order_by(*columns)
            )
            upsert = self._db.insert(table).from_select([*keys, "points", "shares"], sums)
            upsert = upsert.on_conflict_do_update(
                index_elements=keys,
                set_={
                    "points": table.c.points + upsert.excluded.points,
                    "shares": table.c.shares + upsert.excluded.shares,
                },
            )
            writes.append(
                upsert.returning(literal(1).label("written")).cte(f"{table.name}_written")
            )
        await session.execute(
            select(*(select(func.count()).select_from(w).scalar_subquery() for w in writes))
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
            stretch = (a.c.id > low, a.c.id <= target)
            first, last, count = (
                await session.execute(
                    select(func.min(a.c.awarded_at), func.max(a.c.awarded_at), func.count()).where(
                        *stretch
                    )
                )
            ).one()
            if not count:
                return 0
            if self._db.dialect == "postgresql":
                await self._apply_in_database(session, tz, (first, last), *stretch)
            else:
                buckets = await self._buckets(session, tz, (first, last), *stretch)
                await self._apply(session, buckets)
            return int(count)

    async def rebuild_week(self, *, tz: ZoneInfo, week_start: date) -> int:
        """The week's rows from the ledger; the one or two months it touches too (a month
        is not made of whole weeks); then the all-time totals of everyone concerned, as the
        sum of their months (months partition time)."""
        week = week_starting(week_start, tz)
        weekly, monthly = PointsWeeklyRow.__table__, PointsMonthlyRow.__table__
        total = PointsTotalRow.__table__
        ledger = PointsAwardRow.__table__
        months = sorted(
            {week.first_day.replace(day=1), (week.first_day + timedelta(days=6)).replace(day=1)}
        )
        async with self._db.transaction() as session:
            state = await self._state(session, week.start, lock=True)
            mark = state.watermark
            touched: set[int] = set()

            async def sums(start: datetime, end: datetime) -> _Buckets:
                within = (
                    ledger.c.awarded_at >= start,
                    ledger.c.awarded_at < end,
                    ledger.c.id <= mark,
                )
                return await self._buckets(session, tz, (start, end), *within)

            # The week.
            old = await session.execute(
                weekly.delete()
                .where(weekly.c.week_start == week.first_day)
                .returning(weekly.c.ambassador_id)
            )
            touched |= {r.ambassador_id for r in old}
            week_sums: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
            for (amb, monday, _), (points, shares) in (await sums(week.start, week.end)).items():
                week_sums[amb, monday][0] += points
                week_sums[amb, monday][1] += shares
            await self._upsert(
                session,
                weekly,
                ["week_start", "ambassador_id"],
                [
                    {"week_start": w, "ambassador_id": a, "points": p, "shares": n}
                    for (a, w), (p, n) in sorted(week_sums.items(), key=_period_first)
                ],
            )
            awards = int(
                (
                    await session.execute(
                        select(func.count()).where(
                            ledger.c.awarded_at >= week.start,
                            ledger.c.awarded_at < week.end,
                            ledger.c.id <= mark,
                        )
                    )
                ).scalar_one()
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
                month_sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
                for (amb, _, _), (points, shares) in (await sums(start, end)).items():
                    month_sums[amb][0] += points
                    month_sums[amb][1] += shares
                    touched.add(amb)
                await self._upsert(
                    session,
                    monthly,
                    ["month_start", "ambassador_id"],
                    [
                        {"month_start": first, "ambassador_id": a, "points": p, "shares": n}
                        for a, (p, n) in sorted(month_sums.items())
                    ],
                )
            # All-time totals of everyone concerned: the sum of their months.
            people = sorted(touched)
            for i in range(0, len(people), 5_000):
                chunk = people[i : i + 5_000]
                totals = {
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
                    [
                        {"ambassador_id": a, "points": p, "shares": n}
                        for a, (p, n) in sorted(totals.items())
                    ],
                )
            return awards
