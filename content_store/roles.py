"""``RoleGrants`` and ``AuditLog`` on SQL (tables ``role_grant`` and ``audit_entry``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlmodel import col

from bot.model import AuditEntry, Platform, PlatformUser, Role, RoleGrant
from content_store.tables import AmbassadorRow, AuditEntryRow, IdentityRow, RoleGrantRow

if TYPE_CHECKING:
    from content_store.repositories import Database


def _key(user: PlatformUser) -> dict[str, str]:
    return {
        "platform": user.platform.value,
        "workspace_id": user.workspace_id[:64],
        "user_id": user.user_id[:255],
    }


class SqlRoleGrants:
    """``RoleGrants`` on SQL: the (person, role) primary key makes granting idempotent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def grant(
        self,
        *,
        user: PlatformUser,
        role: Role,
        display_name: str,
        granted_by: PlatformUser,
        now: datetime,
    ) -> bool:
        async with self._db.transaction() as session:
            added = await session.execute(
                self._db.insert(RoleGrantRow)
                .values(
                    **_key(user),
                    role=role.value,
                    display_name=display_name[:200],
                    granted_by_platform=granted_by.platform.value,
                    granted_by_workspace=granted_by.workspace_id[:64],
                    granted_by_user=granted_by.user_id[:255],
                    granted_at=now,
                )
                .on_conflict_do_nothing(
                    index_elements=["platform", "workspace_id", "user_id", "role"]
                )
                .returning(RoleGrantRow.role)
            )
            return added.first() is not None

    async def revoke(self, *, user: PlatformUser, role: Role) -> bool:
        key = _key(user)
        async with self._db.transaction() as session:
            removed = await session.execute(
                delete(RoleGrantRow)
                .where(
                    col(RoleGrantRow.platform) == key["platform"],
                    col(RoleGrantRow.workspace_id) == key["workspace_id"],
                    col(RoleGrantRow.user_id) == key["user_id"],
                    col(RoleGrantRow.role) == role.value,
                )
                .returning(col(RoleGrantRow.role))
            )
            return removed.first() is not None

    async def has(self, user: PlatformUser, role: Role) -> bool:
        key = _key(user)
        async with self._db.reading() as session:
            row = await session.get(
                RoleGrantRow, (key["platform"], key["workspace_id"], key["user_id"], role.value)
            )
            return row is not None

    async def list(self, role: Role) -> Sequence[RoleGrant]:
        async with self._db.reading() as session:
            rows = (
                await session.execute(
                    select(RoleGrantRow)
                    .where(col(RoleGrantRow.role) == role.value)
                    .order_by(col(RoleGrantRow.granted_at), col(RoleGrantRow.user_id))
                )
            ).scalars()
            return [
                RoleGrant(
                    user=PlatformUser(Platform(r.platform), r.workspace_id, r.user_id),
                    role=Role(r.role),
                    display_name=r.display_name,
                    granted_by=PlatformUser(
                        Platform(r.granted_by_platform), r.granted_by_workspace, r.granted_by_user
                    ),
                    granted_at=r.granted_at,
                )
                for r in rows
            ]


def _entry(row: AuditEntryRow) -> AuditEntry:
    assert row.id is not None  # noqa: S101 - rows read back always have ids
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=PlatformUser(Platform(row.actor_platform), row.actor_workspace, row.actor_user),
        actor_name=row.actor_name,
        action=row.action,
        target=row.target,
        details=dict(row.details),
    )


class SqlAuditLog:
    """``AuditLog`` on SQL: append-only rows, read newest first by id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        *,
        actor: PlatformUser,
        actor_name: str,
        action: str,
        target: str | None,
        details: Mapping[str, str | int | bool | None],
        at: datetime,
    ) -> AuditEntry:
        row = AuditEntryRow(
            at=at,
            actor_platform=actor.platform.value,
            actor_workspace=actor.workspace_id[:64],
            actor_user=actor.user_id[:255],
            actor_name=actor_name[:200],
            action=action[:64],
            target=target[:255] if target else None,
            details=dict(details),
        )
        async with self._db.transaction() as session:
            session.add(row)
            await session.flush()
            return _entry(row)

    async def recent(self, *, limit: int, before: int | None = None) -> Sequence[AuditEntry]:
        query = select(AuditEntryRow).order_by(col(AuditEntryRow.id).desc()).limit(limit)
        if before is not None:
            query = query.where(col(AuditEntryRow.id) < before)
        async with self._db.reading() as session:
            return [_entry(r) for r in (await session.execute(query)).scalars()]


class SqlPersonLookup:
    """``PersonLookup`` on SQL: the ambassador's email, then their identity there."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_email(
        self, *, platform: Platform, workspace_id: str, email: str
    ) -> PlatformUser | None:
        if not email:
            return None
        query = (
            select(col(IdentityRow.user_id))
            .join(AmbassadorRow, col(AmbassadorRow.id) == col(IdentityRow.ambassador_id))
            .where(
                func.lower(col(AmbassadorRow.email)) == email.lower(),
                col(IdentityRow.platform) == platform.value,
                col(IdentityRow.workspace_id) == workspace_id,
            )
            .order_by(col(IdentityRow.id))
            .limit(1)
        )
        async with self._db.reading() as session:
            user_id = (await session.execute(query)).scalar_one_or_none()
        return PlatformUser(platform, workspace_id, user_id) if user_id else None
