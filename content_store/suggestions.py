"""``SuggestionRepository`` on SQL: suggestions, the feed items seen, the feeds' poll state.

The decisions are conditional UPDATEs (``WHERE status = 'pending'``), so of two curators
clicking at once, or a click racing the expiry job, exactly one changes the row. At most one
suggestion per URL is pending (a partial unique index), and a feed item is recorded once per
(feed, item) (a unique constraint): both hold across replicas and restarts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.model import (
    ContentId,
    FeedItem,
    FeedState,
    MessageRef,
    NewSuggestion,
    Platform,
    PlatformUser,
    ReviewMessage,
    Suggestion,
    SuggestionId,
    SuggestionSource,
    SuggestionStatus,
)
from content_store.repositories import Database
from content_store.tables import ContentRow, FeedItemRow, FeedStateRow, SuggestionRow

PENDING = SuggestionStatus.PENDING.value
# Core columns (typed for mypy, and no ORM bookkeeping in the conditional updates).
SUGGESTIONS: Any = SuggestionRow.__table__  # type: ignore[attr-defined]
FEED_ITEMS: Any = FeedItemRow.__table__  # type: ignore[attr-defined]
SC = SUGGESTIONS.c
FC = FEED_ITEMS.c
CC = ContentRow.__table__.c  # type: ignore[attr-defined]


def url_key(value: str) -> str:
    """The hash a URL (or a feed item's key) is indexed by: fixed length, any length in."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _user(platform: str | None, workspace: str | None, user: str | None) -> PlatformUser | None:
    if not (platform and workspace and user):
        return None
    return PlatformUser(Platform(platform), workspace, user)


def _suggestion(row: SuggestionRow) -> Suggestion:
    assert row.id is not None  # noqa: S101
    return Suggestion(
        id=SuggestionId(row.id),
        source=SuggestionSource(row.source),
        url=row.url,
        title=row.title,
        summary=row.summary,
        why=row.why,
        status=SuggestionStatus(row.status),
        created_at=row.created_at,
        suggester=_user(row.suggester_platform, row.suggester_workspace, row.suggester_user),
        suggester_locale=row.suggester_locale,
        suggester_name=row.suggester_name,
        feed_name=row.feed_name,
        topics=tuple(row.topics),
        image_url=row.image_url,
        reviewer=_user(row.reviewer_platform, row.reviewer_workspace, row.reviewer_user),
        reviewer_name=row.reviewer_name,
        reason=row.reason,
        content_id=ContentId(row.content_id) if row.content_id is not None else None,
        decided_at=row.decided_at,
        auto_approved=row.auto_approved,
        review_messages=tuple(
            ReviewMessage(Platform(p), MessageRef(c, m)) for p, c, m in row.review_messages
        ),
    )


def _values(new: NewSuggestion, now: datetime) -> dict[str, Any]:
    suggester = new.suggester
    return {
        "source": new.source.value,
        "url": new.url,
        "url_key": url_key(new.url),
        "title": new.title[:300],
        "summary": new.summary,
        "why": new.why,
        "image_url": new.image_url,
        "status": PENDING,
        "suggester_platform": suggester.platform.value if suggester else None,
        "suggester_workspace": suggester.workspace_id if suggester else None,
        "suggester_user": suggester.user_id if suggester else None,
        "suggester_locale": new.suggester_locale,
        "suggester_name": new.suggester_name,
        "feed_name": new.feed_name,
        "topics": list(new.topics),
        "auto_approved": False,
        "review_messages": [],
        "created_at": now,
    }


class SqlSuggestions:
    """``SuggestionRepository`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _insert(self, session: AsyncSession, new: NewSuggestion, now: datetime) -> Any:
        # ON CONFLICT DO NOTHING without a target covers the partial unique index on
        # PostgreSQL and SQLite alike: a second pending suggestion of a URL is no error.
        result = await session.execute(
            self._db.insert(SuggestionRow)
            .values(**_values(new, now))
            .on_conflict_do_nothing()
            .returning(SC.id)
        )
        return result.scalar()

    async def _load(self, session: AsyncSession, suggestion_id: int) -> Suggestion | None:
        row = await session.get(SuggestionRow, suggestion_id, populate_existing=True)
        return _suggestion(row) if row is not None else None

    async def add(self, new: NewSuggestion, *, now: datetime) -> Suggestion | None:
        async with self._db.transaction() as session:
            created = await self._insert(session, new, now)
            return await self._load(session, created) if created is not None else None

    async def get(self, suggestion_id: SuggestionId) -> Suggestion | None:
        async with self._db.reading() as session:
            return await self._load(session, suggestion_id)

    @staticmethod
    async def _url_status(session: AsyncSession, url: str) -> str | None:
        pending = await session.execute(
            select(exists().where(SC.url_key == url_key(url), SC.status == PENDING))
        )
        if pending.scalar():
            return "suggested"
        shared = await session.execute(select(exists().where(CC.url == url)))
        return "shared" if shared.scalar() else None

    async def url_status(self, url: str) -> str | None:
        async with self._db.reading() as session:
            return await self._url_status(session, url)

    async def decide(
        self,
        *,
        suggestion_id: SuggestionId,
        status: SuggestionStatus,
        reviewer: PlatformUser | None,
        reviewer_name: str | None,
        reason: str | None,
        now: datetime,
        auto_approved: bool = False,
    ) -> Suggestion | None:
        async with self._db.transaction() as session:
            changed = await session.execute(
                update(SUGGESTIONS)
                .where(SC.id == suggestion_id, SC.status == PENDING)
                .values(
                    status=status.value,
                    reviewer_platform=reviewer.platform.value if reviewer else None,
                    reviewer_workspace=reviewer.workspace_id if reviewer else None,
                    reviewer_user=reviewer.user_id if reviewer else None,
                    reviewer_name=(reviewer_name or "")[:200] or None,
                    reason=reason,
                    auto_approved=auto_approved,
                    decided_at=now,
                )
                .returning(SC.id)
            )
            if changed.scalar() is None:
                return None
            return await self._load(session, suggestion_id)

    async def attach_content(
        self, *, suggestion_id: SuggestionId, content_id: ContentId
    ) -> Suggestion:
        async with self._db.transaction() as session:
            await session.execute(
                update(SUGGESTIONS).where(SC.id == suggestion_id).values(content_id=content_id)
            )
            found = await self._load(session, suggestion_id)
            assert found is not None  # noqa: S101
            return found

    async def reopen(self, suggestion_id: SuggestionId) -> bool:
        async with self._db.transaction() as session:
            changed = await session.execute(
                update(SUGGESTIONS)
                .where(
                    SC.id == suggestion_id,
                    SC.status == SuggestionStatus.APPROVED.value,
                    SC.content_id.is_(None),
                )
                .values(
                    status=PENDING,
                    reviewer_platform=None,
                    reviewer_workspace=None,
                    reviewer_user=None,
                    reviewer_name=None,
                    auto_approved=False,
                    decided_at=None,
                )
                .returning(SC.id)
            )
            return changed.scalar() is not None

    async def add_review_message(
        self, *, suggestion_id: SuggestionId, message: ReviewMessage
    ) -> None:
        async with self._db.transaction() as session:
            query = select(SuggestionRow).where(SC.id == suggestion_id)
            if self._db.dialect == "postgresql":
                query = query.with_for_update()
            row = (await session.execute(query)).scalar_one_or_none()
            if row is None:
                return
            entry = [
                message.platform.value,
                message.message.channel_id,
                message.message.message_id,
            ]
            if entry not in row.review_messages:
                row.review_messages = [*row.review_messages, entry]
                session.add(row)

    async def approved_count(self, user: PlatformUser) -> int:
        async with self._db.reading() as session:
            count = await session.execute(
                select(func.count())
                .select_from(SuggestionRow)
                .where(
                    SC.suggester_platform == user.platform.value,
                    SC.suggester_workspace == user.workspace_id,
                    SC.suggester_user == user.user_id,
                    SC.status == SuggestionStatus.APPROVED.value,
                )
            )
            return int(count.scalar() or 0)

    async def pending_before(self, *, before: datetime, limit: int) -> Sequence[Suggestion]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(SuggestionRow)
                .where(SC.status == PENDING, SC.created_at < before)
                .order_by(SC.created_at, SC.id)
                .limit(limit)
            )
            return [_suggestion(row) for row in rows.scalars().all()]

    async def for_content(self, content_id: ContentId) -> Suggestion | None:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(SuggestionRow).where(SC.content_id == content_id).limit(1)
                )
            ).scalar_one_or_none()
            return _suggestion(row) if row is not None else None

    async def feed_state(self, feed_url: str) -> FeedState:
        async with self._db.reading() as session:
            row = await session.get(FeedStateRow, url_key(feed_url))
            if row is None:
                return FeedState()
            return FeedState(etag=row.etag, last_modified=row.last_modified, polled=True)

    async def save_feed_state(self, feed_url: str, state: FeedState, *, now: datetime) -> None:
        values = {
            "url": feed_url,
            "etag": (state.etag or "")[:512] or None,
            "last_modified": (state.last_modified or "")[:100] or None,
            "polled_at": now,
        }
        async with self._db.transaction() as session:
            await session.execute(
                self._db.insert(FeedStateRow)
                .values(feed_key=url_key(feed_url), **values)
                .on_conflict_do_update(index_elements=["feed_key"], set_=values)
            )

    async def add_feed_item(
        self, *, feed_url: str, item: FeedItem, new: NewSuggestion | None, now: datetime
    ) -> Suggestion | None:
        async with self._db.transaction() as session:
            seen = await session.execute(
                self._db.insert(FeedItemRow)
                .values(
                    feed_key=url_key(feed_url),
                    item_key=url_key(item.key),
                    url=item.url[:2000],
                    seen_at=now,
                )
                .on_conflict_do_nothing(index_elements=["feed_key", "item_key"])
                .returning(FC.id)
            )
            item_id = seen.scalar()
            if item_id is None or new is None:
                return None  # seen before (or only to be marked seen)
            if await self._url_status(session, new.url) is not None:
                return None  # pending already, or already content
            created = await self._insert(session, new, now)
            if created is None:
                return None
            await session.execute(
                update(FEED_ITEMS).where(FC.id == item_id).values(suggestion_id=created)
            )
            return await self._load(session, created)
