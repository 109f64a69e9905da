"""SQLModel tables. Same schema on SQLite and PostgreSQL; managed by alembic migrations.

Conventions: timestamps are timezone-aware UTC (``UTCDateTime``); interactions, awards,
reactions and visits are append-only; uniqueness constraints carry idempotency.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class AmbassadorRow(SQLModel, table=True):
    __tablename__ = "ambassador"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    locale: str = Field(max_length=10)
    status: str = Field(max_length=20, index=True)
    ref: str = Field(max_length=32, unique=True)
    guidelines_version: str = Field(max_length=64)
    networks: list[str] = _json()
    guidelines_accepted_at: datetime = _ts()
    joined_at: datetime = _ts()
    left_at: datetime | None = _ts(nullable=True)
    # Delivery preferences, applied in the person's own time zone.
    timezone: str | None = Field(default=None, max_length=64)
    quiet_start: str | None = Field(default=None, max_length=5)  # "20:00"
    quiet_end: str | None = Field(default=None, max_length=5)  # "08:00"
    weekly_cap: int | None = None
    delivery_mode: str = Field(
        default="immediate", max_length=20, sa_column_kwargs={"server_default": "immediate"}
    )
    unreachable_at: datetime | None = _ts(nullable=True)  # the platform refused them for good
    unreachable_reason: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=100)  # fills {team} (migration 0008)
    mastodon_instance: str | None = Field(default=None, max_length=253)  # a host name
    paused_at: datetime | None = _ts(nullable=True)  # paused: no suggestions ...
    paused_until: datetime | None = _ts(nullable=True)  # ... until then (None: until resumed)
    hidden_from_boards: bool = Field(  # not on public leaderboards (migration 0012)
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )
    weekly_recap: bool = Field(  # opted in to the personal weekly recap DM (migration 0015)
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )


class IdentityRow(SQLModel, table=True):
    """A platform identity of an ambassador (one person may later link Slack and Teams)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ambassador_id: int = Field(foreign_key="ambassador.id", index=True)
    platform: str = Field(max_length=10)
    workspace_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)


class AmbassadorTopicRow(SQLModel, table=True):
    __tablename__ = "ambassador_topic"
    __table_args__ = (Index("ix_ambassador_topic_topic", "topic", "ambassador_id"),)

    ambassador_id: int = Field(foreign_key="ambassador.id", primary_key=True)
    topic: str = Field(max_length=64, primary_key=True)


class ContentRow(SQLModel, table=True):
    __tablename__ = "content"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)
    image_url: str | None = Field(default=None, max_length=2000)
    audience: str = Field(max_length=20)
    status: str = Field(max_length=20, index=True)
    texts: list[str] = _json()
    hashtags: list[str] = _json()
    created_by_platform: str = Field(max_length=10)
    created_by_workspace: str = Field(max_length=64)
    created_by_user: str = Field(max_length=64)
    created_at: datetime = _ts(index=True)
    published_at: datetime | None = _ts(nullable=True)
    # Bypasses digest mode; still respects quiet hours.
    important: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    publish_at: datetime | None = _ts(nullable=True, index=True)  # scheduled publish
    expires_at: datetime | None = _ts(nullable=True, index=True)
    # Share texts with their network and language: [{"text", "network", "language"}]
    # (migration 0008 copied the older ``texts`` here as texts for any network and language).
    share_texts: list[dict[str, str | None]] = _json()
    # Title and summary in other languages: [{"language", "title", "summary"}] (0008).
    translations: list[dict[str, str | None]] = _json()


class ContentTopicRow(SQLModel, table=True):
    __tablename__ = "content_topic"

    content_id: int = Field(foreign_key="content.id", primary_key=True)
    topic: str = Field(max_length=64, primary_key=True)


class DeliveryRow(SQLModel, table=True):
    """One suggestion DM: the outbox row written with the publish, then its fate."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("content_id", "ambassador_id"),
        Index("ix_delivery_status_id", "status", "id"),
        Index("ix_delivery_message", "channel_id", "message_id"),
        # The sender's claim: due rows of one workspace, oldest first.
        Index("ix_delivery_due", "workspace", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    content_id: int = Field(foreign_key="content.id")
    ambassador_id: int = Field(foreign_key="ambassador.id", index=True)
    status: str = Field(max_length=20)
    variant: int = 0
    channel_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=128)
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    # The outbox queue: who sends it (platform:workspace), when, and who holds it now.
    workspace: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = _ts(nullable=True)
    locked_by: str | None = Field(default=None, max_length=128)
    locked_until: datetime | None = _ts(nullable=True)
    reminded_at: datetime | None = _ts(nullable=True)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # edited


class TrackedLinkRow(SQLModel, table=True):
    __tablename__ = "tracked_link"
    __table_args__ = (UniqueConstraint("delivery_id", "network"),)

    token: str = Field(primary_key=True, max_length=64)
    delivery_id: int = Field(foreign_key="delivery.id")
    content_id: int = Field(foreign_key="content.id")
    ambassador_id: int = Field(foreign_key="ambassador.id")
    network: str = Field(max_length=20)


class InteractionRow(SQLModel, table=True):
    """Append-only: share clicks, confirmations, skips."""

    __tablename__ = "interaction"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    ambassador_id: int = Field(foreign_key="ambassador.id")
    content_id: int | None = Field(default=None, foreign_key="content.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    kind: str = Field(max_length=30)
    network: str | None = Field(default=None, max_length=20)
    points: int = 0  # what this interaction earned (0 when the award already existed)
    occurred_at: datetime = _ts()


class PointsAwardRow(SQLModel, table=True):
    """The points ledger: one row per (ambassador, content, network, kind), never updated."""

    __tablename__ = "points_award"
    __table_args__ = (Index("ix_points_award_ambassador_at", "ambassador_id", "awarded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    award_key: str = Field(max_length=200, unique=True)
    ambassador_id: int = Field(foreign_key="ambassador.id")
    content_id: int | None = Field(default=None, foreign_key="content.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    kind: str = Field(max_length=30)
    network: str | None = Field(default=None, max_length=20)
    points: int
    awarded_at: datetime = _ts(index=True)


class ReactionRow(SQLModel, table=True):
    """Append-only reactions added or removed on the bot's messages; one row per event."""

    __tablename__ = "reaction"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=128, unique=True)
    platform: str = Field(max_length=10)
    workspace_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    ambassador_id: int | None = Field(default=None, foreign_key="ambassador.id")
    content_id: int | None = Field(default=None, foreign_key="content.id")
    reaction: str = Field(max_length=100)
    channel_id: str = Field(max_length=64)
    message_id: str = Field(max_length=128)
    added: bool
    occurred_at: datetime = _ts()


class LinkVisitRow(SQLModel, table=True):
    """A visit to a tracked link. Nothing about the visitor is kept."""

    __tablename__ = "link_visit"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, index=True)
    content_id: int = Field(foreign_key="content.id")
    ambassador_id: int = Field(foreign_key="ambassador.id")
    network: str = Field(max_length=20)
    is_bot: bool
    visited_at: datetime = _ts()
    # Issue 6 (migration 0010): a retried batch stores a visit once; the pseudonymous
    # visitor key (salted HMAC of address + browser, salt rotated daily; None for bots).
    visit_id: str | None = Field(default=None, max_length=32)
    visitor_key: str | None = Field(default=None, max_length=32)


class BotMessageRow(SQLModel, table=True):
    __tablename__ = "bot_message"

    channel_id: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=30)
    posted_at: datetime = _ts()


class GuidelinesEventRow(SQLModel, table=True):
    """When a person was asked to accept a guidelines version, and when they accepted it: the
    record of acceptances the programme keeps (once per person, version and kind)."""

    __tablename__ = "guidelines_event"

    id: int | None = Field(default=None, primary_key=True)
    ambassador_id: int = Field(foreign_key="ambassador.id")
    version: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # prompted | accepted
    at: datetime = _ts()

    __table_args__ = (UniqueConstraint("ambassador_id", "version", "kind"),)


class JobRunRow(SQLModel, table=True):
    __tablename__ = "job_run"

    job: str = Field(primary_key=True, max_length=64)
    slot: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    claimed_at: datetime = _ts()


class ChatAddressRow(SQLModel, table=True):
    """Where the bot can reach a person or a channel proactively (Teams conversation
    references), kept in the database so proactive sends survive a restart."""

    __tablename__ = "chat_address"

    platform: str = Field(primary_key=True, max_length=16)
    workspace_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    payload: str = Field(sa_type=Text)
    updated_at: datetime = _ts()

    __table_args__ = (Index("ix_chat_address_key", "platform", "key", "updated_at"),)


class SendLeaseRow(SQLModel, table=True):
    """One sender per workspace at a time; ``epoch`` grows at each change of holder and
    fences a holder that lost its lease (its claims and updates no longer match)."""

    __tablename__ = "send_lease"

    workspace: str = Field(primary_key=True, max_length=80)
    holder: str = Field(max_length=128)
    lease_until: datetime = _ts()
    epoch: int = 1


class RoleGrantRow(SQLModel, table=True):
    """A role an admin granted by command (config and groups are not stored)."""

    __tablename__ = "role_grant"

    platform: str = Field(primary_key=True, max_length=16)
    workspace_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=255)
    role: str = Field(primary_key=True, max_length=16)
    display_name: str = Field(max_length=200)
    granted_by_platform: str = Field(max_length=16)
    granted_by_workspace: str = Field(max_length=64)
    granted_by_user: str = Field(max_length=255)
    granted_at: datetime = _ts()


class AuditEntryRow(SQLModel, table=True):
    """What a curator or admin did (append-only). Holds the actor's identity and name:
    erasure pseudonymises them."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts()
    actor_platform: str = Field(max_length=16)
    actor_workspace: str = Field(max_length=64)
    actor_user: str = Field(max_length=255, index=True)
    actor_name: str = Field(max_length=200)
    action: str = Field(max_length=64)
    target: str | None = Field(default=None, max_length=255)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SuggestionRow(SQLModel, table=True):
    """A link an employee or a feed proposed, awaiting (or past) a curator's review.

    At most one pending suggestion per URL (a partial unique index on the URL's hash), and
    a status that leaves ``pending`` through one conditional UPDATE only.
    """

    __tablename__ = "suggestion"
    __table_args__ = (
        Index("ix_suggestion_status_created", "status", "created_at"),
        Index(
            "ix_suggestion_suggester",
            "suggester_platform",
            "suggester_workspace",
            "suggester_user",
            "status",
        ),
        Index(
            "ux_suggestion_pending_url",
            "url_key",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    url: str = Field(max_length=2000)
    url_key: str = Field(max_length=64)  # sha256 of the URL
    title: str = Field(max_length=300)
    summary: str = Field(default="", sa_type=Text)
    why: str | None = Field(default=None, sa_type=Text)
    image_url: str | None = Field(default=None, max_length=2000)
    status: str = Field(max_length=16)
    suggester_platform: str | None = Field(default=None, max_length=16)
    suggester_workspace: str | None = Field(default=None, max_length=64)
    suggester_user: str | None = Field(default=None, max_length=255)
    suggester_locale: str = Field(default="en", max_length=10)
    suggester_name: str | None = Field(default=None, max_length=200)
    feed_name: str | None = Field(default=None, max_length=200)
    topics: list[str] = _json()
    reviewer_platform: str | None = Field(default=None, max_length=16)
    reviewer_workspace: str | None = Field(default=None, max_length=64)
    reviewer_user: str | None = Field(default=None, max_length=255)
    reviewer_name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, sa_type=Text)
    content_id: int | None = Field(default=None, foreign_key="content.id", index=True)
    auto_approved: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    review_messages: list[list[str]] = _json()  # [platform, channel, message id] per card
    created_at: datetime = _ts()
    decided_at: datetime | None = _ts(nullable=True)


class FeedItemRow(SQLModel, table=True):
    """Every item of a feed seen once: the unique (feed, item) keeps an item from ever being
    suggested twice, across replicas and restarts."""

    __tablename__ = "feed_item"
    __table_args__ = (UniqueConstraint("feed_key", "item_key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_key: str = Field(max_length=64)  # sha256 of the feed URL
    item_key: str = Field(max_length=64)  # sha256 of the item's guid / id, else its link
    url: str = Field(max_length=2000)
    suggestion_id: int | None = Field(default=None, foreign_key="suggestion.id")
    seen_at: datetime = _ts()


class FeedStateRow(SQLModel, table=True):
    """A feed's validators for conditional GET, and whether it was polled before."""

    __tablename__ = "feed_state"

    feed_key: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2000)
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=100)
    polled_at: datetime = _ts()


class InvitationRow(SQLModel, table=True):
    """The last invitation to join a curator sent a prospect (one row per person; a new one
    only after the cooldown, through one conditional write)."""

    __tablename__ = "invitation"

    platform: str = Field(primary_key=True, max_length=16)
    workspace_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=255)
    invited_at: datetime = _ts()
    invited_by_platform: str | None = Field(default=None, max_length=16)
    invited_by_workspace: str | None = Field(default=None, max_length=64)
    invited_by_user: str | None = Field(default=None, max_length=255)
    times: int = 1


class DigestChartRow(SQLModel, table=True):
    """A weekly digest's chart image (PNG), for the Teams card's signed link. Programme
    totals only: it names nobody."""

    __tablename__ = "digest_chart"

    chart_key: str = Field(primary_key=True, max_length=40)  # "2026-W47.en"
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts()


# Retention (content_store/privacy.py) deletes raw events by age, a batch at a time: these
# indexes find the oldest rows without scanning the tables (migration 0009).
Index("ix_link_visit_visited_at", LinkVisitRow.__table__.c.visited_at)  # type: ignore[attr-defined]
Index("ix_reaction_occurred_at", ReactionRow.__table__.c.occurred_at)  # type: ignore[attr-defined]
Index("ix_job_run_claimed_at", JobRunRow.__table__.c.claimed_at)  # type: ignore[attr-defined]


class BadgeRow(SQLModel, table=True):
    """Badges earned (issue 6): once per (ambassador, badge); the constraint makes awarding
    race-safe and the announcement happen once."""

    __tablename__ = "badge"
    __table_args__ = (UniqueConstraint("ambassador_id", "badge"),)

    id: int | None = Field(default=None, primary_key=True)
    ambassador_id: int = Field(foreign_key="ambassador.id")
    badge: str = Field(max_length=40)
    earned_at: datetime = _ts(index=True)


class LinkVisitAwardRow(SQLModel, table=True):
    """Which link visits were turned into points (``points`` 0 past the daily cap): one row
    per visit, so a visit counts once. No foreign key to ``link_visit``: retention trims
    visits while the points stay in the ledger."""

    __tablename__ = "link_visit_award"

    visit_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ambassador_id: int = Field(foreign_key="ambassador.id", index=True)
    points: int
    awarded_at: datetime = _ts()


# Distinct visitors per link and per content (bot/links.py, migration 0010).
_VISIT = LinkVisitRow.__table__  # type: ignore[attr-defined]
Index("ix_link_visit_token_visitor", _VISIT.c.token, _VISIT.c.visitor_key)
Index("ix_link_visit_content_visitor", _VISIT.c.content_id, _VISIT.c.visitor_key)
Index("ux_link_visit_visit_id", _VISIT.c.visit_id, unique=True)
# Curators' stats (content_store/stats.py) bound every figure by a window on these (0013).
Index("ix_interaction_occurred_at", InteractionRow.__table__.c.occurred_at)  # type: ignore[attr-defined]
Index("ix_interaction_content", InteractionRow.__table__.c.content_id)  # type: ignore[attr-defined]
Index("ix_delivery_sent_at", DeliveryRow.__table__.c.sent_at)  # type: ignore[attr-defined]
Index(
    "ix_link_visit_content",
    LinkVisitRow.__table__.c.content_id,  # type: ignore[attr-defined]
    LinkVisitRow.__table__.c.visited_at,  # type: ignore[attr-defined]
)
Index("ix_reaction_content", ReactionRow.__table__.c.content_id)  # type: ignore[attr-defined]


class PointsWeeklyRow(SQLModel, table=True):
    """The leaderboards' rollup of ``points_award`` (migration 0012): points and shares per
    ambassador and ISO week (its Monday, in the programme's time zone)."""

    __tablename__ = "points_weekly"
    # The period first (migration 0017): a rollup run's rows for one week sit together.
    __table_args__ = (
        PrimaryKeyConstraint("week_start", "ambassador_id", name="points_weekly_pkey"),
        Index("ix_points_weekly_board", "week_start", "points"),
    )

    ambassador_id: int = Field(foreign_key="ambassador.id", primary_key=True)
    week_start: date = Field(primary_key=True)
    points: int
    shares: int


class PointsMonthlyRow(SQLModel, table=True):
    """The same per calendar month (its 1st, local): a month is not made of whole weeks."""

    __tablename__ = "points_monthly"
    __table_args__ = (
        PrimaryKeyConstraint("month_start", "ambassador_id", name="points_monthly_pkey"),
        Index("ix_points_monthly_board", "month_start", "points"),
    )

    ambassador_id: int = Field(foreign_key="ambassador.id", primary_key=True)
    month_start: date = Field(primary_key=True)
    points: int
    shares: int


class PointsTotalRow(SQLModel, table=True):
    """All-time totals per ambassador, kept with ``points_weekly`` (migration 0012)."""

    __tablename__ = "points_total"

    ambassador_id: int = Field(foreign_key="ambassador.id", primary_key=True)
    points: int = Field(index=True)
    shares: int


class RollupStateRow(SQLModel, table=True):
    """How far the rollup has read ``points_award`` (by id), and the next stretch seen."""

    __tablename__ = "rollup_state"

    rollup: str = Field(primary_key=True, max_length=30)  # which rollup: "points"
    watermark: int  # every award with id <= watermark is in the rollup
    pending_high: int  # the highest id seen at ``pending_at``: next to apply, once settled
    pending_at: datetime = _ts()


# The rollup asks whether an award is a person's first share of a content: an earlier share
# by the same person of the same content, read from this index alone (migration 0016; kind
# after id: SQLite 3.40 answered the probe wrongly with kind before id).
Index(
    "ix_points_award_first_share",
    PointsAwardRow.__table__.c.ambassador_id,  # type: ignore[attr-defined]
    PointsAwardRow.__table__.c.content_id,  # type: ignore[attr-defined]
    PointsAwardRow.__table__.c.id,  # type: ignore[attr-defined]
    PointsAwardRow.__table__.c.kind,  # type: ignore[attr-defined]
)


class WeeklyRecapRow(SQLModel, table=True):
    """A personal weekly recap claimed for one person and one ISO week (migration 0015):
    the row is written before the DM is sent, so two runs or two replicas send it once.
    ``status``: ``claimed`` (being sent), ``sent``, ``failed`` (refused for good) or
    ``skipped`` (paused when its turn came)."""

    __tablename__ = "weekly_recap_sent"
    __table_args__ = (UniqueConstraint("ambassador_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    ambassador_id: int = Field(foreign_key="ambassador.id")
    week_start: date  # the recap's week: its Monday, in the programme's time zone
    status: str = Field(max_length=20)
    holder: str = Field(max_length=128)
    claimed_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    error: str | None = Field(default=None, max_length=64)


# The recap counts visits to one person's links in a week (migration 0015).
Index(
    "ix_link_visit_ambassador",
    LinkVisitRow.__table__.c.ambassador_id,  # type: ignore[attr-defined]
    LinkVisitRow.__table__.c.visited_at,  # type: ignore[attr-defined]
)
