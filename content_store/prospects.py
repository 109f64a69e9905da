"""Prospects on SQL: who reacts and suggests most without being in the programme, and the
invitations curators sent them.

The ranking is one query: reactions added (``reaction``, by ``occurred_at``) and suggestions
made (``suggestion``, by suggester) in the window, grouped per platform identity, without
anyone who has an ``identity`` (active, paused or left: people who left chose to, and are
never invited again); erased people's rows carry no user id any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, exists, func, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.model import Platform, PlatformUser, Prospect
from content_store.tables import IdentityRow, InvitationRow, ReactionRow, SuggestionRow

if TYPE_CHECKING:
    from content_store.repositories import Database

R: Any = ReactionRow.__table__  # type: ignore[attr-defined]
S: Any = SuggestionRow.__table__  # type: ignore[attr-defined]
ID: Any = IdentityRow.__table__  # type: ignore[attr-defined]
INV: Any = InvitationRow.__table__  # type: ignore[attr-defined]


class SqlProspects:
    """``ProspectRepository`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ranking(self, *, since: datetime, limit: int) -> Sequence[Prospect]:
        reactions = select(
            R.c.platform.label("platform"),
            R.c.workspace_id.label("workspace"),
            R.c.user_id.label("user"),
            literal(1).label("reactions"),
            literal(0).label("suggestions"),
            literal(None).label("name"),
        ).where(R.c.added.is_(True), R.c.occurred_at >= since, R.c.user_id != "")
        suggestions = select(
            S.c.suggester_platform,
            S.c.suggester_workspace,
            S.c.suggester_user,
            literal(0),
            literal(1),
            S.c.suggester_name,
        ).where(S.c.created_at >= since, S.c.suggester_user.is_not(None))
        events = union_all(reactions, suggestions).subquery()
        n_reactions = func.sum(events.c.reactions)
        n_suggestions = func.sum(events.c.suggestions)
        member = exists().where(
            ID.c.platform == events.c.platform,
            ID.c.workspace_id == events.c.workspace,
            ID.c.user_id == events.c.user,
        )
        query = (
            select(
                events.c.platform,
                events.c.workspace,
                events.c.user,
                n_reactions,
                n_suggestions,
                func.max(events.c.name),
                func.max(INV.c.invited_at),
            )
            .select_from(
                events.outerjoin(
                    INV,
                    and_(
                        INV.c.platform == events.c.platform,
                        INV.c.workspace_id == events.c.workspace,
                        INV.c.user_id == events.c.user,
                    ),
                )
            )
            .where(~member)
            .group_by(events.c.platform, events.c.workspace, events.c.user)
            .order_by((n_reactions + 3 * n_suggestions).desc(), events.c.user)
            .limit(limit)
        )
        async with self._db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            Prospect(
                user=PlatformUser(Platform(platform), workspace, user),
                reactions=int(r or 0),
                suggestions=int(s or 0),
                name=name,
                invited_at=invited,
            )
            for platform, workspace, user, r, s, name, invited in rows
            if platform in Platform._value2member_map_
        ]

    async def record_invitation(
        self, *, user: PlatformUser, by: PlatformUser, now: datetime, cooldown: timedelta
    ) -> bool:
        key = {"platform": user.platform.value, "workspace_id": user.workspace_id}
        key["user_id"] = user.user_id
        inviter = {
            "invited_by_platform": by.platform.value,
            "invited_by_workspace": by.workspace_id,
            "invited_by_user": by.user_id,
        }
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        async with self._db.transaction() as session:
            added = await session.execute(
                insert(INV)
                .values(**key, **inviter, invited_at=now, times=1)
                .on_conflict_do_nothing()
            )
            if int(added.rowcount or 0) == 1:  # type: ignore[attr-defined]
                return True
            # Invited before: again only after the cooldown (one conditional UPDATE, so two
            # clicks at once record one invitation).
            again = await session.execute(
                update(INV)
                .where(
                    *(INV.c[k] == v for k, v in key.items()),
                    INV.c.invited_at <= now - cooldown,
                )
                .values(**inviter, invited_at=now, times=INV.c.times + 1)
            )
            return int(again.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def withdraw_invitation(self, *, user: PlatformUser, invited_at: datetime) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(INV).where(
                    INV.c.platform == user.platform.value,
                    INV.c.workspace_id == user.workspace_id,
                    INV.c.user_id == user.user_id,
                    INV.c.invited_at == invited_at,
                )
            )

    async def is_member(self, user: PlatformUser) -> bool:
        async with self._db.reading() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(ID)
                .where(
                    ID.c.platform == user.platform.value,
                    ID.c.workspace_id == user.workspace_id,
                    ID.c.user_id == user.user_id,
                )
            )
        return bool(found)
