"""The SQL implementation of the domain's ports (``bot/ports.py``).

Each public method is one transaction. Idempotency lives in unique constraints with
``INSERT … ON CONFLICT DO NOTHING … RETURNING``, which both SQLite (3.35+) and PostgreSQL
support, so a retried event or a double click is a no-op rather than an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.leaderboard import competition_ranks
from bot.model import (
    HELD_FOR_DIGEST,
    Ambassador,
    AmbassadorId,
    AmbassadorStatus,
    Audience,
    ChatAddress,
    Content,
    ContentDraft,
    ContentId,
    ContentStatus,
    Delivery,
    DeliveryId,
    DeliveryStatus,
    Enrolment,
    Interaction,
    InteractionEntry,
    InteractionKind,
    LeaderboardEntry,
    MessageRef,
    Network,
    PageMetadata,
    Platform,
    PlatformUser,
    PublishResult,
    ReactionEvent,
    RecordOutcome,
    TrackedLink,
    UserProfile,
)
from bot.tracking import new_ref, new_token
from content_store.engine import READ_ONLY
from content_store.group_commit import GroupCommit
from content_store.roles import SqlAuditLog, SqlPersonLookup, SqlRoleGrants
from content_store.tables import (
    AmbassadorRow,
    AmbassadorTopicRow,
    BotMessageRow,
    ChatAddressRow,
    ContentRow,
    ContentTopicRow,
    DeliveryRow,
    GuidelinesEventRow,
    IdentityRow,
    InteractionRow,
    JobRunRow,
    PointsAwardRow,
    ReactionRow,
    SendLeaseRow,
    TrackedLinkRow,
    UTCDateTime,
)
from content_store.texts import (
    SqlDeliveryTexts,
    share_texts_of,
    share_texts_to_json,
    translations_of,
    translations_to_json,
)

T = TypeVar("T")
SHARE_KINDS = (InteractionKind.SHARE_CLICK.value, InteractionKind.CONFIRMED_SHARE.value)


class Database:
    """The engine and a session factory; the repositories share one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self.dialect = engine.dialect.name
        self.group = GroupCommit(self.transaction)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one committed-or-rolled-back write transaction."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction; on SQLite it never waits for a writer's lock, so the
        reads done before acknowledging Slack stay fast while a fan-out writes."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """A small write that may share its commit with others (``GroupCommit``) when the
        group writer runs, else in a transaction of its own."""
        if self.group.running:
            return await self.group.submit(work)
        async with self.transaction() as session:
            result: T = await work(session)
        return result

    def insert(self, table: Any) -> Any:
        """A dialect INSERT that knows ``on_conflict_do_nothing``."""
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(table)

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(select(literal(1)))


def _user_of(identity: IdentityRow) -> PlatformUser:
    return PlatformUser(Platform(identity.platform), identity.workspace_id, identity.user_id)


def _ambassador(row: AmbassadorRow, identity: IdentityRow, topics: Sequence[str]) -> Ambassador:
    assert row.id is not None  # noqa: S101 - rows read back always have ids
    return Ambassador(
        id=AmbassadorId(row.id),
        user=_user_of(identity),
        display_name=row.display_name,
        locale=row.locale,
        status=AmbassadorStatus(row.status),
        topics=frozenset(topics),
        networks=tuple(Network(n) for n in row.networks if n in Network._value2member_map_),
        guidelines_version=row.guidelines_version,
        ref=row.ref,
        joined_at=row.joined_at,
        timezone=row.timezone,
        quiet_start=_clock_time(row.quiet_start),
        quiet_end=_clock_time(row.quiet_end),
        weekly_cap=row.weekly_cap,
        delivery_mode=row.delivery_mode,
        unreachable=row.unreachable_at is not None,
        team=row.team,
        mastodon_instance=row.mastodon_instance,
        paused_at=row.paused_at,
        paused_until=row.paused_until,
        weekly_recap=bool(row.weekly_recap),
    )


def _clock_time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def _content(row: ContentRow, topics: Sequence[str]) -> Content:
    assert row.id is not None  # noqa: S101
    return Content(
        id=ContentId(row.id),
        url=row.url,
        title=row.title,
        summary=row.summary,
        image_url=row.image_url,
        topics=tuple(topics),
        texts=tuple(row.texts),
        hashtags=tuple(row.hashtags),
        audience=Audience(row.audience),
        status=ContentStatus(row.status),
        created_by=PlatformUser(
            Platform(row.created_by_platform), row.created_by_workspace, row.created_by_user
        ),
        created_at=row.created_at,
        published_at=row.published_at,
        important=row.important,
        expires_at=row.expires_at,
        publish_at=row.publish_at,
        share_texts=share_texts_of(row.share_texts),
        translations=translations_of(row.translations),
    )


def _delivery(row: DeliveryRow) -> Delivery:
    assert row.id is not None  # noqa: S101
    message = (
        MessageRef(row.channel_id, row.message_id) if row.channel_id and row.message_id else None
    )
    return Delivery(
        id=DeliveryId(row.id),
        content_id=ContentId(row.content_id),
        ambassador_id=AmbassadorId(row.ambassador_id),
        status=DeliveryStatus(row.status),
        variant=row.variant,
        message=message,
        error=row.error,
        sent_at=row.sent_at,
        attempts=row.attempts,
        workspace=row.workspace,
        text=row.text,
    )


class SqlAmbassadors:
    """``AmbassadorRepository`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _load(self, session: AsyncSession, where: Any) -> Ambassador | None:
        found = (
            await session.execute(
                select(AmbassadorRow, IdentityRow)
                .join(IdentityRow, IdentityRow.ambassador_id == AmbassadorRow.id)
                .where(where)
                .order_by(IdentityRow.id)
                .limit(1)
            )
        ).first()
        if found is None:
            return None
        row, identity = found
        topics = (
            (
                await session.execute(
                    select(AmbassadorTopicRow.topic).where(
                        AmbassadorTopicRow.ambassador_id == row.id
                    )
                )
            )
            .scalars()
            .all()
        )
        return _ambassador(row, identity, sorted(topics))

    async def get_by_user(self, user: PlatformUser) -> Ambassador | None:
        async with self._db.reading() as session:
            return await self._load(
                session,
                and_(
                    IdentityRow.platform == user.platform.value,
                    IdentityRow.workspace_id == user.workspace_id,
                    IdentityRow.user_id == user.user_id,
                ),
            )

    async def get(self, ambassador_id: AmbassadorId) -> Ambassador | None:
        async with self._db.reading() as session:
            return await self._load(session, AmbassadorRow.id == ambassador_id)

    async def get_many(
        self, ambassador_ids: Collection[AmbassadorId]
    ) -> Mapping[AmbassadorId, Ambassador]:
        ids = sorted(set(ambassador_ids))
        if not ids:
            return {}
        async with self._db.reading() as session:
            pairs = (
                await session.execute(
                    select(AmbassadorRow, IdentityRow)
                    .join(IdentityRow, IdentityRow.ambassador_id == AmbassadorRow.id)
                    .where(AmbassadorRow.id.in_(ids))
                    .order_by(IdentityRow.id)
                )
            ).all()
            topics: dict[int, list[str]] = {}
            for ambassador_id, topic in await session.execute(
                select(AmbassadorTopicRow.ambassador_id, AmbassadorTopicRow.topic).where(
                    AmbassadorTopicRow.ambassador_id.in_(ids)
                )
            ):
                topics.setdefault(ambassador_id, []).append(topic)
        found: dict[AmbassadorId, Ambassador] = {}
        for row, identity in pairs:  # the first identity of each, as get() picks it
            key = AmbassadorId(row.id)
            if key not in found:
                found[key] = _ambassador(row, identity, sorted(topics.get(row.id, ())))
        return found

    async def ids_of(self, users: Collection[PlatformUser]) -> Mapping[PlatformUser, AmbassadorId]:
        wanted = {(u.platform.value, u.workspace_id, u.user_id): u for u in users}
        if not wanted:
            return {}
        identities = IdentityRow.__table__
        key = tuple_(identities.c.platform, identities.c.workspace_id, identities.c.user_id)
        async with self._db.reading() as session:
            rows = await session.execute(
                select(
                    identities.c.platform,
                    identities.c.workspace_id,
                    identities.c.user_id,
                    identities.c.ambassador_id,
                ).where(key.in_(list(wanted)))
            )
            return {
                wanted[(r.platform, r.workspace_id, r.user_id)]: AmbassadorId(r.ambassador_id)
                for r in rows
            }

    async def accept_guidelines(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow)
                .where(AmbassadorRow.id == ambassador_id)
                .values(guidelines_version=version, guidelines_accepted_at=now)
            )
            await self._guidelines_event(session, ambassador_id, version, "accepted", now)

    async def claim_guidelines_prompt(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> bool:
        async with self._db.transaction() as session:
            return await self._guidelines_event(session, ambassador_id, version, "prompted", now)

    async def accepted_guidelines(
        self, ambassador_id: AmbassadorId
    ) -> Sequence[tuple[str, datetime]]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(GuidelinesEventRow.version, GuidelinesEventRow.at)
                .where(
                    GuidelinesEventRow.ambassador_id == ambassador_id,
                    GuidelinesEventRow.kind == "accepted",
                )
                .order_by(GuidelinesEventRow.at, GuidelinesEventRow.id)
            )
            return [(str(version), at) for version, at in rows]

    async def _guidelines_event(
        self, session: AsyncSession, ambassador_id: int, version: str, kind: str, now: datetime
    ) -> bool:
        inserted = await session.execute(
            self._db.insert(GuidelinesEventRow)
            .values(ambassador_id=ambassador_id, version=version[:64], kind=kind, at=now)
            .on_conflict_do_nothing(index_elements=["ambassador_id", "version", "kind"])
            .returning(GuidelinesEventRow.id)
        )
        return inserted.first() is not None

    async def enrol(
        self, *, user: PlatformUser, profile: UserProfile, enrolment: Enrolment, now: datetime
    ) -> Ambassador:
        async with self._db.transaction() as session:
            identity = (
                await session.execute(
                    select(IdentityRow).where(
                        IdentityRow.platform == user.platform.value,
                        IdentityRow.workspace_id == user.workspace_id,
                        IdentityRow.user_id == user.user_id,
                    )
                )
            ).scalar_one_or_none()
            row = await session.get(AmbassadorRow, identity.ambassador_id) if identity else None
            if row is None and profile.email:
                # One person, one ambassador: a new identity (Teams after Slack, say) with the
                # email of someone who already joined becomes theirs, with their points.
                row = (
                    await session.execute(
                        select(AmbassadorRow)
                        .where(func.lower(AmbassadorRow.email) == profile.email.lower())
                        .order_by(AmbassadorRow.id)
                        .limit(1)
                    )
                ).scalar_one_or_none()
            if row is None:
                row = AmbassadorRow(
                    ref=new_ref(),
                    joined_at=now,
                    display_name="",
                    locale="en",
                    status="",
                    guidelines_version="",
                )
            row.display_name = profile.display_name[:200]
            row.email = profile.email or row.email  # a platform that tells no email keeps it
            row.locale = profile.locale
            row.timezone = profile.timezone
            row.team = profile.team[:100] if profile.team else row.team
            row.unreachable_at = None  # joining again proves they can be reached
            row.status = AmbassadorStatus.ACTIVE.value
            row.guidelines_version = enrolment.guidelines_version
            row.guidelines_accepted_at = now
            row.networks = [n.value for n in enrolment.networks]
            row.left_at = None
            row.paused_at = row.paused_until = None  # joining again ends a pause
            session.add(row)
            await session.flush()
            assert row.id is not None  # noqa: S101
            if identity is None:
                session.add(
                    IdentityRow(
                        ambassador_id=row.id,
                        platform=user.platform.value,
                        workspace_id=user.workspace_id,
                        user_id=user.user_id,
                    )
                )
            await self._set_topics(session, row.id, enrolment.topics)
            await self._guidelines_event(
                session, row.id, enrolment.guidelines_version, "accepted", now
            )
            await session.flush()
            loaded = await self._load(session, AmbassadorRow.id == row.id)
        assert loaded is not None  # noqa: S101
        return loaded

    @staticmethod
    async def _set_topics(
        session: AsyncSession, ambassador_id: int, topics: frozenset[str]
    ) -> None:
        await session.execute(
            delete(AmbassadorTopicRow).where(AmbassadorTopicRow.ambassador_id == ambassador_id)
        )
        session.add_all(AmbassadorTopicRow(ambassador_id=ambassador_id, topic=t) for t in topics)

    async def update_preferences(
        self, *, ambassador_id: AmbassadorId, topics: frozenset[str], networks: tuple[Network, ...]
    ) -> Ambassador:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow)
                .where(AmbassadorRow.id == ambassador_id)
                .values(networks=[n.value for n in networks])
            )
            await self._set_topics(session, ambassador_id, topics)
            await session.flush()
            loaded = await self._load(session, AmbassadorRow.id == ambassador_id)
        if loaded is None:
            raise LookupError(f"ambassador {ambassador_id} vanished")
        return loaded

    async def leave(self, *, ambassador_id: AmbassadorId, now: datetime) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow)
                .where(AmbassadorRow.id == ambassador_id)
                .values(status=AmbassadorStatus.LEFT.value, left_at=now)
            )

    async def mark_unreachable(
        self, *, ambassador_id: AmbassadorId, reason: str, now: datetime
    ) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                update(AmbassadorRow)
                .where(AmbassadorRow.id == ambassador_id, AmbassadorRow.unreachable_at.is_(None))
                .values(unreachable_at=now, unreachable_reason=reason[:64])
            )


class SqlContents:
    """``ContentRepository`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def _topics(session: AsyncSession, content_id: int) -> list[str]:
        rows = await session.execute(
            select(ContentTopicRow.topic).where(ContentTopicRow.content_id == content_id)
        )
        return sorted(rows.scalars().all())

    async def create(
        self, *, draft: ContentDraft, page: PageMetadata, created_by: PlatformUser, now: datetime
    ) -> Content:
        async with self._db.transaction() as session:
            row = ContentRow(
                url=draft.url,
                title=page.title or draft.title or draft.url,
                summary=page.summary or draft.summary or "",
                image_url=page.image_url or draft.image_url,
                audience=draft.audience.value,
                status=(
                    ContentStatus.SCHEDULED
                    if draft.publish_at and draft.publish_at > now
                    else ContentStatus.DRAFT
                ).value,
                publish_at=draft.publish_at,
                expires_at=draft.expires_at,
                important=draft.important,
                texts=list(draft.texts),
                share_texts=share_texts_to_json(draft.share_texts),
                translations=translations_to_json(draft.translations),
                hashtags=list(draft.hashtags),
                created_by_platform=created_by.platform.value,
                created_by_workspace=created_by.workspace_id,
                created_by_user=created_by.user_id,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None  # noqa: S101
            session.add_all(ContentTopicRow(content_id=row.id, topic=t) for t in draft.topics)
            return _content(row, sorted(draft.topics))

    async def get(self, content_id: ContentId) -> Content | None:
        async with self._db.reading() as session:
            row = await session.get(ContentRow, content_id)
            return _content(row, await self._topics(session, content_id)) if row else None

    async def list_recent(self, *, limit: int) -> Sequence[Content]:
        async with self._db.reading() as session:
            rows = (
                (
                    await session.execute(
                        select(ContentRow).order_by(ContentRow.id.desc()).limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            return [_content(r, await self._topics(session, r.id or 0)) for r in rows]

    async def publish(self, *, content_id: ContentId, now: datetime) -> PublishResult:
        async with self._db.transaction() as session:
            query = select(ContentRow).where(ContentRow.id == content_id)
            if self._db.dialect == "postgresql":
                query = query.with_for_update()
            row = (await session.execute(query)).scalar_one()
            topics = await self._topics(session, content_id)
            if row.status in (ContentStatus.PUBLISHED.value, ContentStatus.EXPIRED.value):
                return PublishResult(_content(row, topics), 0, already_published=True)
            row.status = ContentStatus.PUBLISHED.value
            row.published_at = now
            session.add(row)
            created = await self._expand(session, row, now)
            return PublishResult(_content(row, topics), created)

    async def _expand(self, session: AsyncSession, content: ContentRow, now: datetime) -> int:
        """Write one pending delivery per matching ambassador: INSERT … SELECT, in the
        publish transaction (the outbox), so nothing goes out unless the publish commits."""
        match: Any = and_(
            AmbassadorRow.status == AmbassadorStatus.ACTIVE.value,
            AmbassadorRow.unreachable_at.is_(None),
            # Paused people get nothing published meanwhile (a dated pause ends by itself).
            or_(AmbassadorRow.paused_at.is_(None), AmbassadorRow.paused_until <= now),
        )
        if content.audience == Audience.INTERESTED.value:
            match = and_(
                match,
                exists(
                    select(literal(1))
                    .select_from(AmbassadorTopicRow)
                    .join(ContentTopicRow, ContentTopicRow.topic == AmbassadorTopicRow.topic)
                    .where(
                        AmbassadorTopicRow.ambassador_id == AmbassadorRow.id,
                        ContentTopicRow.content_id == content.id,
                    )
                ),
            )
        # The variant is the person's ordinal among the people of their language: rotating
        # through it (``variant % candidates``) splits N people evenly over the variants.
        ordinal = func.row_number().over(
            partition_by=AmbassadorRow.locale, order_by=AmbassadorRow.id
        ) - literal(1)
        # The person's identity says which workspace's sender sends it. A plain join (no
        # per-row subquery) keeps 100,000 rows fast; should a person ever have several
        # identities, ON CONFLICT keeps one delivery.
        rows = (
            select(
                literal(content.id, Integer),
                AmbassadorRow.id,
                literal(DeliveryStatus.PENDING.value),
                ordinal,
                literal(now, UTCDateTime()),
                literal(now, UTCDateTime()),
                IdentityRow.platform + literal(":") + IdentityRow.workspace_id,
            )
            .join(IdentityRow, IdentityRow.ambassador_id == AmbassadorRow.id)
            .where(match)
        )
        columns = [
            "content_id",
            "ambassador_id",
            "status",
            "variant",
            "created_at",
            "next_attempt_at",
            "workspace",
        ]
        statement = (
            self._db.insert(DeliveryRow)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["content_id", "ambassador_id"])
        )
        result = await session.execute(statement)
        return int(result.rowcount or 0)

    async def due_for_publish(self, *, now: datetime) -> Sequence[ContentId]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(ContentRow.id)
                .where(
                    ContentRow.status == ContentStatus.SCHEDULED.value, ContentRow.publish_at <= now
                )
                .order_by(ContentRow.publish_at)
            )
            return [ContentId(i) for i in rows.scalars().all()]

    async def due_for_expiry(self, *, now: datetime) -> Sequence[ContentId]:
        live = (ContentStatus.PUBLISHED.value, ContentStatus.SCHEDULED.value)
        async with self._db.reading() as session:
            rows = await session.execute(
                select(ContentRow.id)
                .where(ContentRow.status.in_(live), ContentRow.expires_at <= now)
                .order_by(ContentRow.expires_at)
            )
            return [ContentId(i) for i in rows.scalars().all()]

    async def expire(self, *, content_id: ContentId, now: datetime) -> Sequence[Delivery]:
        async with self._db.transaction() as session:
            await session.execute(
                update(ContentRow)
                .where(ContentRow.id == content_id)
                .values(status=ContentStatus.EXPIRED.value)
            )
            # Unsent ones never go out (a claimed row's sender also checks expiry).
            await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.content_id == content_id,
                    DeliveryRow.status == DeliveryStatus.PENDING.value,
                )
                .values(status=DeliveryStatus.EXPIRED.value, error="expired")
            )
            sent = await session.execute(
                select(DeliveryRow)
                .where(
                    DeliveryRow.content_id == content_id,
                    DeliveryRow.status == DeliveryStatus.SENT.value,
                )
                .order_by(DeliveryRow.id)
            )
            return [_delivery(r) for r in sent.scalars().all()]

    async def content_url_for_token(self, token: str) -> tuple[TrackedLink, Content] | None:
        async with self._db.reading() as session:
            found = (
                await session.execute(
                    select(TrackedLinkRow, ContentRow)
                    .join(ContentRow, ContentRow.id == TrackedLinkRow.content_id)
                    .where(TrackedLinkRow.token == token)
                )
            ).first()
            if found is None:
                return None
            link, content = found
            return _link(link), _content(content, [])


def _link(row: TrackedLinkRow) -> TrackedLink:
    return TrackedLink(
        token=row.token,
        delivery_id=DeliveryId(row.delivery_id),
        content_id=ContentId(row.content_id),
        ambassador_id=AmbassadorId(row.ambassador_id),
        network=Network(row.network),
    )


class SqlDeliveries:
    """``DeliveryRepository`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, delivery_id: DeliveryId) -> Delivery | None:
        async with self._db.reading() as session:
            row = await session.get(DeliveryRow, delivery_id)
            return _delivery(row) if row else None

    async def get_many(self, delivery_ids: Collection[DeliveryId]) -> Mapping[DeliveryId, Delivery]:
        ids = sorted(set(delivery_ids))
        if not ids:
            return {}
        async with self._db.reading() as session:
            rows = await session.execute(select(DeliveryRow).where(DeliveryRow.id.in_(ids)))
            return {DeliveryId(r.id): _delivery(r) for r in rows.scalars()}

    async def tracked_links(
        self, *, delivery: Delivery, networks: Sequence[Network]
    ) -> dict[Network, TrackedLink]:
        table = TrackedLinkRow.__table__
        columns = (table.c.token, table.c.network, table.c.content_id, table.c.ambassador_id)

        def links(rows: Any) -> dict[Network, TrackedLink]:
            return {
                Network(r.network): TrackedLink(
                    token=r.token,
                    delivery_id=delivery.id,
                    content_id=ContentId(r.content_id),
                    ambassador_id=AmbassadorId(r.ambassador_id),
                    network=Network(r.network),
                )
                for r in rows
            }

        async def read(session: AsyncSession) -> dict[Network, TrackedLink]:
            return links(
                await session.execute(select(*columns).where(table.c.delivery_id == delivery.id))
            )

        async def write(session: AsyncSession) -> dict[Network, TrackedLink]:
            # A first send has no links yet: insert them and read them back in one statement.
            # Later views (updates, a retried send) find them: read first, insert what's new.
            existing = {} if delivery.message is None else await read(session)
            missing = [n for n in networks if n not in existing]
            if not missing:
                return existing
            # Parameters apart from the statement: its compiled form is cached.
            inserted = links(
                await session.execute(
                    self._db.insert(table)
                    .on_conflict_do_nothing(index_elements=["delivery_id", "network"])
                    .returning(*columns),
                    [
                        {
                            "token": new_token(),
                            "delivery_id": delivery.id,
                            "content_id": delivery.content_id,
                            "ambassador_id": delivery.ambassador_id,
                            "network": n.value,
                        }
                        for n in missing
                    ],
                )
            )
            existing.update(inserted)
            if any(n not in existing for n in networks):
                existing = await read(session)  # made by an earlier attempt of this send
            return existing

        # Shares its commit with the other sends under way (group commit).
        return await self._db.write(write)

    async def all_in_message(self, message: MessageRef) -> Sequence[Delivery]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(DeliveryRow)
                .where(
                    DeliveryRow.channel_id == message.channel_id,
                    DeliveryRow.message_id == message.message_id,
                )
                .order_by(DeliveryRow.id)
            )
            return [_delivery(r) for r in rows.scalars().all()]

    async def reminder_candidates(self, *, sent_before: datetime, limit: int) -> Sequence[Delivery]:
        acted = exists(select(literal(1)).where(InteractionRow.delivery_id == DeliveryRow.id))
        async with self._db.reading() as session:
            rows = await session.execute(
                select(DeliveryRow)
                .join(ContentRow, ContentRow.id == DeliveryRow.content_id)
                .where(
                    DeliveryRow.status == DeliveryStatus.SENT.value,
                    DeliveryRow.reminded_at.is_(None),
                    DeliveryRow.sent_at <= sent_before,
                    ContentRow.status == ContentStatus.PUBLISHED.value,
                    ~acted,
                )
                .order_by(DeliveryRow.sent_at)
                .limit(limit)
            )
            return [_delivery(r) for r in rows.scalars().all()]

    async def mark_reminded(self, *, delivery_id: DeliveryId, now: datetime) -> bool:
        async with self._db.transaction() as session:
            taken = await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.reminded_at.is_(None))
                .values(reminded_at=now)
                .returning(DeliveryRow.id)
            )
            return taken.first() is not None

    async def find_by_message(self, message: MessageRef) -> Delivery | None:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(DeliveryRow)
                    .where(
                        DeliveryRow.channel_id == message.channel_id,
                        DeliveryRow.message_id == message.message_id,
                    )
                    .limit(1)
                )
            ).scalar_one_or_none()
            return _delivery(row) if row else None


class SqlQueue:
    """``DeliveryQueue`` on SQL. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``; on SQLite
    the write lock taken at BEGIN (and the lease) make one claimant at a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _due(now: datetime) -> Any:
        return or_(
            and_(
                DeliveryRow.status == DeliveryStatus.PENDING.value,
                DeliveryRow.next_attempt_at <= now,
            ),
            and_(
                DeliveryRow.status == DeliveryStatus.CLAIMED.value, DeliveryRow.locked_until < now
            ),
        )

    async def workspaces_due(self, *, now: datetime) -> Sequence[str]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(DeliveryRow.workspace).where(self._due(now)).distinct()
            )
            return sorted(rows.scalars().all())

    async def acquire_lease(
        self, *, workspace: str, holder: str, now: datetime, ttl: timedelta
    ) -> int | None:
        lease = SendLeaseRow.__table__
        insert = self._db.insert(SendLeaseRow).values(
            workspace=workspace, holder=holder, lease_until=now + ttl, epoch=1
        )
        statement = insert.on_conflict_do_update(
            index_elements=["workspace"],
            set_={
                "holder": holder,
                "lease_until": now + ttl,
                # A new holder bumps the epoch: the fencing token of every claim it makes.
                "epoch": case((lease.c.holder == holder, lease.c.epoch), else_=lease.c.epoch + 1),
            },
            where=or_(lease.c.holder == holder, lease.c.lease_until < now),
        ).returning(lease.c.epoch)
        async with self._db.transaction() as session:
            return (await session.execute(statement)).scalar_one_or_none()

    async def release_lease(self, *, workspace: str, holder: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(SendLeaseRow).where(
                    SendLeaseRow.workspace == workspace, SendLeaseRow.holder == holder
                )
            )

    async def claim(
        self,
        *,
        workspace: str,
        holder: str,
        epoch: int,
        now: datetime,
        limit: int,
        lock_for: timedelta,
    ) -> Sequence[Delivery]:
        due = (
            select(DeliveryRow.id)
            .where(DeliveryRow.workspace == workspace, self._due(now))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(limit)
        )
        if self._db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        still_holder = exists(
            select(literal(1)).where(
                SendLeaseRow.workspace == workspace,
                SendLeaseRow.holder == holder,
                SendLeaseRow.epoch == epoch,
                SendLeaseRow.lease_until > now,
            )
        )
        statement = (
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(due.scalar_subquery()), still_holder)
            .values(
                status=DeliveryStatus.CLAIMED.value,
                locked_by=holder,
                locked_until=now + lock_for,
                attempts=DeliveryRow.attempts + 1,
            )
            .returning(*DeliveryRow.__table__.c)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(statement)).mappings().all()
        claimed = [_delivery(DeliveryRow.model_validate(dict(r))) for r in rows]
        return sorted(claimed, key=lambda d: d.id)

    async def claim_digest(
        self, *, ambassador_id: AmbassadorId, holder: str, now: datetime, lock_for: timedelta
    ) -> Sequence[Delivery]:
        mine_or_free = or_(
            DeliveryRow.status == DeliveryStatus.PENDING.value,
            and_(
                DeliveryRow.status == DeliveryStatus.CLAIMED.value, DeliveryRow.locked_by == holder
            ),
        )
        statement = (
            update(DeliveryRow)
            .where(
                DeliveryRow.ambassador_id == ambassador_id,
                DeliveryRow.error == HELD_FOR_DIGEST,
                DeliveryRow.next_attempt_at <= now,
                mine_or_free,
            )
            .values(
                status=DeliveryStatus.CLAIMED.value, locked_by=holder, locked_until=now + lock_for
            )
            .returning(*DeliveryRow.__table__.c)
        )
        async with self._db.transaction() as session:
            rows = (await session.execute(statement)).mappings().all()
        claimed = [_delivery(DeliveryRow.model_validate(dict(r))) for r in rows]
        return sorted(claimed, key=lambda d: d.id)

    async def _update_claimed(self, delivery_id: DeliveryId, holder: str, **values: Any) -> None:
        table = DeliveryRow.__table__  # a Core UPDATE: no ORM session bookkeeping per send

        async def write(session: AsyncSession) -> None:
            await session.execute(
                update(table)
                .where(
                    table.c.id == delivery_id,
                    table.c.locked_by == holder,
                    table.c.status == DeliveryStatus.CLAIMED.value,
                )
                .values(locked_by=None, locked_until=None, **values)
            )

        # Outcomes of concurrent sends share commits (group commit); each returns only once
        # its own outcome is committed.
        await self._db.write(write)

    async def mark_sent(
        self, *, delivery_id: DeliveryId, holder: str, message: MessageRef, now: datetime
    ) -> None:
        await self._update_claimed(
            delivery_id,
            holder,
            status=DeliveryStatus.SENT.value,
            sent_at=now,
            error=None,
            channel_id=message.channel_id,
            message_id=message.message_id,
        )

    async def retry_later(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        not_before: datetime,
        error: str | None,
        count_attempt: bool,
    ) -> None:
        attempts = DeliveryRow.attempts if count_attempt else DeliveryRow.attempts - 1
        await self._update_claimed(
            delivery_id,
            holder,
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=not_before,
            attempts=attempts,
            error=error[:200] if error else None,
        )

    async def finish(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        status: DeliveryStatus,
        error: str,
        now: datetime,
    ) -> None:
        await self._update_claimed(delivery_id, holder, status=status.value, error=error[:200])

    async def release_held(self, *, ambassador_id: AmbassadorId, mark: str, now: datetime) -> int:
        async with self._db.transaction() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.ambassador_id == ambassador_id,
                    DeliveryRow.status == DeliveryStatus.PENDING.value,
                    DeliveryRow.error == mark,
                )
                .values(next_attempt_at=now, error=None)
            )
        return int(result.rowcount or 0)

    async def release_claims(self, *, holder: str, delivery_ids: Sequence[DeliveryId]) -> int:
        if not delivery_ids:
            return 0
        async with self._db.transaction() as session:
            result = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id.in_(list(delivery_ids)),
                    DeliveryRow.locked_by == holder,
                    DeliveryRow.status == DeliveryStatus.CLAIMED.value,
                )
                .values(
                    status=DeliveryStatus.PENDING.value,
                    locked_by=None,
                    locked_until=None,
                    attempts=DeliveryRow.attempts - 1,
                )
            )
            return int(result.rowcount or 0)

    async def counts(self) -> Mapping[str, int]:
        async with self._db.reading() as session:
            rows = await session.execute(
                select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
            )
            found = {status: int(count) for status, count in rows.all()}
        return {state.value: found.get(state.value, 0) for state in DeliveryStatus}

    async def sent_since(self, *, ambassador_id: AmbassadorId | None, since: datetime) -> int:
        query = select(func.count()).where(
            DeliveryRow.status == DeliveryStatus.SENT.value, DeliveryRow.sent_at >= since
        )
        if ambassador_id is not None:
            query = query.where(DeliveryRow.ambassador_id == ambassador_id)
        async with self._db.reading() as session:
            return int((await session.execute(query)).scalar_one())


class SqlLedger:
    """``ActivityLedger`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def award_key(
        ambassador_id: int, content_id: int | None, network: Network | None, kind: InteractionKind
    ) -> str:
        """The identity of an award: one per (ambassador, content, network, kind)."""
        return f"{ambassador_id}:{content_id or ''}:{network.value if network else ''}:{kind}"

    async def _award(
        self,
        session: AsyncSession,
        *,
        ambassador_id: int,
        content_id: int | None,
        delivery_id: int | None,
        kind: InteractionKind,
        network: Network | None,
        points: int,
        now: datetime,
    ) -> int:
        if points <= 0:
            return 0
        inserted = await session.execute(
            self._db.insert(PointsAwardRow)
            .values(
                award_key=self.award_key(ambassador_id, content_id, network, kind),
                ambassador_id=ambassador_id,
                content_id=content_id,
                delivery_id=delivery_id,
                kind=kind.value,
                network=network.value if network else None,
                points=points,
                awarded_at=now,
            )
            .on_conflict_do_nothing(index_elements=["award_key"])
            .returning(PointsAwardRow.id)
        )
        return points if inserted.first() is not None else 0

    async def record(
        self,
        *,
        dedupe_key: str,
        ambassador_id: AmbassadorId,
        content_id: ContentId | None,
        delivery_id: DeliveryId | None,
        kind: InteractionKind,
        network: Network | None,
        points: int,
        now: datetime,
    ) -> RecordOutcome:
        entry = InteractionEntry(
            dedupe_key, ambassador_id, content_id, delivery_id, kind, network, points
        )
        (outcome,) = await self.record_many([entry], now=now)
        return outcome

    async def record_many(
        self, entries: Sequence[InteractionEntry], *, now: datetime
    ) -> Sequence[RecordOutcome]:
        interactions = InteractionRow.__table__
        awards = PointsAwardRow.__table__
        first_at: dict[str, int] = {}  # where each key first appears: only it can count
        for i, e in enumerate(entries):
            first_at.setdefault(e.dedupe_key, i)
        firsts = [entries[i] for i in first_at.values()]

        async def write(session: AsyncSession) -> list[RecordOutcome]:
            if not firsts:
                return []
            # Parameter lists apart from the statements: compiled once, run as multi-row
            # INSERTs; RETURNING says which keys are new.
            inserted = {
                r.dedupe_key: r.id
                for r in await session.execute(
                    self._db.insert(interactions)
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(interactions.c.id, interactions.c.dedupe_key),
                    [
                        {
                            "dedupe_key": e.dedupe_key,
                            "ambassador_id": e.ambassador_id,
                            "content_id": e.content_id,
                            "delivery_id": e.delivery_id,
                            "kind": e.kind.value,
                            "network": e.network.value if e.network else None,
                            "points": 0,
                            "occurred_at": now,
                        }
                        for e in firsts
                    ],
                )
            }
            candidates: dict[str, InteractionEntry] = {}
            for e in firsts:
                if e.dedupe_key in inserted and e.points > 0:
                    key = self.award_key(e.ambassador_id, e.content_id, e.network, e.kind)
                    candidates.setdefault(key, e)
            awarded: dict[str, int] = {}
            if candidates:
                for r in await session.execute(
                    self._db.insert(awards)
                    .on_conflict_do_nothing(index_elements=["award_key"])
                    .returning(awards.c.award_key),
                    [
                        {
                            "award_key": key,
                            "ambassador_id": e.ambassador_id,
                            "content_id": e.content_id,
                            "delivery_id": e.delivery_id,
                            "kind": e.kind.value,
                            "network": e.network.value if e.network else None,
                            "points": e.points,
                            "awarded_at": now,
                        }
                        for key, e in candidates.items()
                    ],
                ):
                    entry = candidates[r.award_key]
                    awarded[entry.dedupe_key] = entry.points
            if awarded:
                await session.execute(
                    update(interactions)
                    .where(interactions.c.id == bindparam("row_id"))
                    .values(points=bindparam("awarded")),
                    [
                        {"row_id": inserted[key], "awarded": points}
                        for key, points in awarded.items()
                    ],
                )
            return [
                RecordOutcome(recorded=True, points_awarded=awarded.get(e.dedupe_key, 0))
                if e.dedupe_key in inserted and first_at[e.dedupe_key] == i
                else RecordOutcome(recorded=False, points_awarded=0)
                for i, e in enumerate(entries)
            ]

        return await self._db.write(write)

    async def for_delivery(self, delivery_id: DeliveryId) -> Sequence[Interaction]:
        async with self._db.reading() as session:
            rows = (
                (
                    await session.execute(
                        select(InteractionRow)
                        .where(InteractionRow.delivery_id == delivery_id)
                        .order_by(InteractionRow.id)
                    )
                )
                .scalars()
                .all()
            )
            return [
                Interaction(
                    InteractionKind(r.kind),
                    Network(r.network) if r.network else None,
                    r.points,
                    r.occurred_at,
                )
                for r in rows
            ]

    async def record_reaction(
        self,
        *,
        event: ReactionEvent,
        ambassador_id: AmbassadorId | None,
        content_id: ContentId | None,
        points: int,
    ) -> RecordOutcome:
        async def write(session: AsyncSession) -> RecordOutcome:
            inserted = await session.execute(
                self._db.insert(ReactionRow)
                .values(
                    event_id=event.event_id,
                    platform=event.user.platform.value,
                    workspace_id=event.user.workspace_id,
                    user_id=event.user.user_id,
                    ambassador_id=ambassador_id,
                    content_id=content_id,
                    reaction=event.reaction[:100],
                    channel_id=event.message.channel_id,
                    message_id=event.message.message_id,
                    added=event.added,
                    occurred_at=event.occurred_at,
                )
                .on_conflict_do_nothing(index_elements=["event_id"])
                .returning(ReactionRow.id)
            )
            if inserted.first() is None:
                return RecordOutcome(recorded=False, points_awarded=0)
            awarded = 0
            if event.added and ambassador_id is not None and content_id is not None:
                awarded = await self._award(
                    session,
                    ambassador_id=ambassador_id,
                    content_id=content_id,
                    delivery_id=None,
                    kind=InteractionKind.REACTION,
                    network=None,
                    points=points,
                    now=event.occurred_at,
                )
            return RecordOutcome(recorded=True, points_awarded=awarded)

        return await self._db.write(write)

    def _totals(self, start: datetime | None, end: datetime | None) -> Any:
        shares = func.count(
            func.distinct(case((PointsAwardRow.kind.in_(SHARE_KINDS), PointsAwardRow.content_id)))
        )
        query = select(
            PointsAwardRow.ambassador_id,
            func.sum(PointsAwardRow.points).label("points"),
            shares.label("shares"),
        ).group_by(PointsAwardRow.ambassador_id)
        if start is not None:
            query = query.where(PointsAwardRow.awarded_at >= start)
        if end is not None:
            query = query.where(PointsAwardRow.awarded_at < end)
        return query

    async def leaderboard(
        self, *, start: datetime, end: datetime, limit: int
    ) -> Sequence[LeaderboardEntry]:
        totals = self._totals(start, end).subquery()
        query = (
            select(AmbassadorRow.id, AmbassadorRow.display_name, totals.c.points, totals.c.shares)
            .join(totals, totals.c.ambassador_id == AmbassadorRow.id)
            .where(AmbassadorRow.status == AmbassadorStatus.ACTIVE.value)
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

    async def rank_of(
        self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime
    ) -> int | None:
        mine, _ = await self.points_of(ambassador_id=ambassador_id, start=start, end=end)
        if mine <= 0:
            return None
        totals = self._totals(start, end).subquery()
        ahead = (
            select(func.count())
            .select_from(totals)
            .join(AmbassadorRow, AmbassadorRow.id == totals.c.ambassador_id)
            .where(
                # Ranked among the people public boards list, as the boards rank them.
                AmbassadorRow.status == AmbassadorStatus.ACTIVE.value,
                AmbassadorRow.hidden_from_boards.is_(False),
                AmbassadorRow.id != ambassador_id,
                totals.c.points > mine,
            )
        )
        async with self._db.reading() as session:
            return int((await session.execute(ahead)).scalar_one()) + 1

    async def points_of(
        self, *, ambassador_id: AmbassadorId, start: datetime | None, end: datetime | None
    ) -> tuple[int, int]:
        query = self._totals(start, end).where(PointsAwardRow.ambassador_id == ambassador_id)
        async with self._db.reading() as session:
            row = (await session.execute(query)).first()
        return (int(row.points), int(row.shares)) if row else (0, 0)


class SqlBotMessages:
    """``BotMessageLog`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, *, message: MessageRef, kind: str, now: datetime) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                self._db.insert(BotMessageRow)
                .values(
                    channel_id=message.channel_id,
                    message_id=message.message_id,
                    kind=kind,
                    posted_at=now,
                )
                .on_conflict_do_nothing(index_elements=["channel_id", "message_id"])
            )

    async def is_bot_message(self, message: MessageRef) -> bool:
        async with self._db.reading() as session:
            row = await session.get(BotMessageRow, (message.channel_id, message.message_id))
            return row is not None


class SqlAddressBook:
    """``AddressBook`` on SQL."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, address: ChatAddress, *, now: datetime) -> None:
        values = {
            "platform": address.platform.value,
            "workspace_id": address.workspace_id[:64],
            "key": address.key[:255],
            "payload": address.payload,
            "updated_at": now,
        }
        async with self._db.transaction() as session:
            await session.execute(
                self._db.insert(ChatAddressRow)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["platform", "workspace_id", "key"],
                    set_={"payload": address.payload, "updated_at": now},
                )
            )

    async def get(self, platform: Platform, workspace_id: str, key: str) -> ChatAddress | None:
        async with self._db.reading() as session:
            row = await session.get(ChatAddressRow, (platform.value, workspace_id, key))
            return _address(row) if row else None

    async def find(self, platform: Platform, key: str) -> ChatAddress | None:
        async with self._db.reading() as session:
            row = (
                await session.execute(
                    select(ChatAddressRow)
                    .where(ChatAddressRow.platform == platform.value, ChatAddressRow.key == key)
                    .order_by(ChatAddressRow.updated_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return _address(row) if row else None

    async def forget(self, platform: Platform, workspace_id: str, key: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(ChatAddressRow).where(
                    ChatAddressRow.platform == platform.value,
                    ChatAddressRow.workspace_id == workspace_id,
                    ChatAddressRow.key == key,
                )
            )


def _address(row: ChatAddressRow) -> ChatAddress:
    return ChatAddress(Platform(row.platform), row.workspace_id, row.key, row.payload)


class SqlJobRuns:
    """``JobRunLedger`` on SQL: the unique (job, slot) row is the claim."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, *, job: str, slot: str, holder: str, now: datetime) -> bool:
        async with self._db.transaction() as session:
            won = await session.execute(
                self._db.insert(JobRunRow)
                .values(job=job, slot=slot, holder=holder[:128], claimed_at=now)
                .on_conflict_do_nothing(index_elements=["job", "slot"])
                .returning(JobRunRow.job)
            )
            return won.first() is not None

    async def release(self, *, job: str, slot: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(JobRunRow).where(JobRunRow.job == job, JobRunRow.slot == slot)
            )


class SqlStore:
    """Every SQL repository over one database, as the composition root wires them."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ambassadors = SqlAmbassadors(db)
        self.contents = SqlContents(db)
        self.deliveries = SqlDeliveries(db)
        self.queue = SqlQueue(db)
        self.ledger = SqlLedger(db)
        self.bot_messages = SqlBotMessages(db)
        self.jobs = SqlJobRuns(db)
        self.addresses = SqlAddressBook(db)
        self.delivery_texts = SqlDeliveryTexts(db)
        # Imported here: the preferences module builds on this one.
        from content_store.preferences import SqlPreferences

        self.preferences = SqlPreferences(db)
        self.grants = SqlRoleGrants(db)
        self.audit = SqlAuditLog(db)
        self.people = SqlPersonLookup(db)
        from content_store.recognition import SqlRecognition

        self.recognition = SqlRecognition(db)
        from content_store.stats import SqlStats  # curators' figures (its own module)

        self.stats = SqlStats(db)
        from content_store.prospects import SqlProspects  # prospects and invitations

        self.prospects = SqlProspects(db)
        from content_store.boards import SqlBoards  # builds on this module

        self.boards = SqlBoards(db)
        from content_store.recaps import SqlRecaps  # the personal weekly recap (issue 6)

        self.recaps = SqlRecaps(db)
        from content_store.links import SqlLinkVisits  # visits to tracked links (issue 6)

        self.link_visits = SqlLinkVisits(db)
