# mypy: disable-error-code="arg-type, call-overload, union-attr, operator, attr-defined"
# (SQLModel column expressions read as plain values to mypy, as in repositories.py.)
"""``PreferencesRepository`` on SQL: settings, pause, and the suggestions still waiting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model import (
    Ambassador,
    AmbassadorId,
    ContentStatus,
    Delivery,
    DeliveryStatus,
    InteractionKind,
    Preferences,
)
from content_store.repositories import Database, SqlAmbassadors, _delivery
from content_store.tables import AmbassadorRow, ContentRow, DeliveryRow, InteractionRow

# What takes a suggestion off the list of those waiting: the person said they shared it, or
# skipped it. A share click alone leaves it there, with its "I shared it" button.
ANSWERS = (InteractionKind.CONFIRMED_SHARE.value, InteractionKind.SKIP.value)


class SqlPreferences:
    """Each method is one transaction; updates return the ambassador as stored.

    Reads and topic writes go through ``SqlAmbassadors``' own helpers (``_load``,
    ``_set_topics``), inside this module's transactions, so an ambassador is read and written
    one way only.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ambassadors = SqlAmbassadors(db)

    async def _update(self, ambassador_id: AmbassadorId, **values: Any) -> Ambassador:
        async with self._db.transaction() as session:
            await self._set(session, ambassador_id, **values)
            loaded = await self._ambassadors._load(session, AmbassadorRow.id == ambassador_id)
        if loaded is None:
            raise LookupError(f"ambassador {ambassador_id} vanished")
        return loaded

    @staticmethod
    async def _set(session: AsyncSession, ambassador_id: AmbassadorId, **values: Any) -> None:
        await session.execute(
            update(AmbassadorRow).where(AmbassadorRow.id == ambassador_id).values(**values)
        )

    async def save_preferences(
        self, *, ambassador_id: AmbassadorId, preferences: Preferences
    ) -> Ambassador:
        p = preferences
        extra: dict[str, Any] = {}
        if p.weekly_recap is not None:  # a form without the field leaves it as it is
            extra["weekly_recap"] = p.weekly_recap
        async with self._db.transaction() as session:
            await self._set(
                session,
                ambassador_id,
                **extra,
                networks=[n.value for n in p.networks],
                locale=p.locale,
                delivery_mode=p.delivery_mode,
                quiet_start=p.quiet_start.strftime("%H:%M") if p.quiet_start else None,
                quiet_end=p.quiet_end.strftime("%H:%M") if p.quiet_end else None,
                weekly_cap=p.weekly_cap,
                mastodon_instance=p.mastodon_instance,
            )
            await SqlAmbassadors._set_topics(session, ambassador_id, p.topics)
            await session.flush()
            loaded = await self._ambassadors._load(session, AmbassadorRow.id == ambassador_id)
        if loaded is None:
            raise LookupError(f"ambassador {ambassador_id} vanished")
        return loaded

    async def pause(
        self, *, ambassador_id: AmbassadorId, now: datetime, until: datetime | None
    ) -> Ambassador:
        return await self._update(ambassador_id, paused_at=now, paused_until=until)

    async def resume(self, *, ambassador_id: AmbassadorId) -> Ambassador:
        return await self._update(ambassador_id, paused_at=None, paused_until=None)

    async def set_weekly_recap(self, *, ambassador_id: AmbassadorId, on: bool) -> Ambassador:
        return await self._update(ambassador_id, weekly_recap=on)

    async def pending_suggestions(
        self, *, ambassador_id: AmbassadorId, now: datetime, limit: int
    ) -> Sequence[Delivery]:
        answered = exists(
            select(literal(1)).where(
                InteractionRow.delivery_id == DeliveryRow.id,
                InteractionRow.kind.in_(ANSWERS),
            )
        )
        async with self._db.reading() as session:
            rows = await session.execute(
                select(DeliveryRow)
                .join(ContentRow, ContentRow.id == DeliveryRow.content_id)
                .where(
                    DeliveryRow.ambassador_id == ambassador_id,
                    DeliveryRow.status == DeliveryStatus.SENT.value,
                    ContentRow.status == ContentStatus.PUBLISHED.value,
                    or_(ContentRow.expires_at.is_(None), ContentRow.expires_at > now),
                    ~answered,
                )
                .order_by(DeliveryRow.sent_at.desc(), DeliveryRow.id.desc())
                .limit(limit)
            )
            return [_delivery(r) for r in rows.scalars().all()]
