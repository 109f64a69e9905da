"""Ports: what the domain needs from the outside world, as Protocols it owns.

The SQL store (``content_store``), the chat adapters (``adapters/slack``, later
``adapters/teams``) and the page fetcher implement these; the domain's tests use in-memory
fakes of them (``tests/bot/fakes.py``), and one contract suite checks that the fakes and the
SQL store behave alike.

Each repository method is one atomic unit of work: the store opens and commits its own
transaction, so the domain never handles sessions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.model import (
    Ambassador,
    AmbassadorId,
    AuditEntry,
    Badge,
    BoardScope,
    ChatAddress,
    Content,
    ContentDraft,
    ContentFigures,
    ContentId,
    Delivery,
    DeliveryId,
    DeliveryStatus,
    EarnedBadge,
    Enrolment,
    ErasureOutcome,
    FeedFetchResult,
    FeedItem,
    FeedState,
    Interaction,
    InteractionEntry,
    InteractionKind,
    LeaderboardEntry,
    LinkGrouping,
    LinkStats,
    LinkVisit,
    MessageRef,
    Network,
    NewSuggestion,
    PageMetadata,
    PersonalDataExport,
    Platform,
    PlatformUser,
    Preferences,
    ProgrammeFigures,
    Prospect,
    PublishedItem,
    PublishResult,
    RawEventKind,
    ReactionEvent,
    RecordOutcome,
    ReviewMessage,
    Role,
    RoleGrant,
    Standing,
    StatsWindow,
    Suggestion,
    SuggestionId,
    SuggestionStatus,
    TrackedLink,
    UserProfile,
    VisitToAward,
    WeekActivity,
)
from bot.views import (
    DigestView,
    GuidelinesView,
    Notice,
    RecapView,
    ReminderView,
    ReviewCardView,
    SuggestionView,
    WeeklyDigestView,
)


class Clock(Protocol):
    """The time source; tests inject a fixed or steppable one."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class AmbassadorRepository(Protocol):
    """Ambassadors and their preferences."""

    async def get_by_user(self, user: PlatformUser) -> Ambassador | None:
        """Return the ambassador behind a platform identity, active or not."""
        ...

    async def get(self, ambassador_id: AmbassadorId) -> Ambassador | None:
        """Return an ambassador by id."""
        ...

    async def get_many(
        self, ambassador_ids: Collection[AmbassadorId]
    ) -> Mapping[AmbassadorId, Ambassador]:
        """Return the ambassadors with these ids (unknown ids are left out), in one read."""
        ...

    async def ids_of(self, users: Collection[PlatformUser]) -> Mapping[PlatformUser, AmbassadorId]:
        """Which ambassador each platform identity belongs to (unknown ones are left out)."""
        ...

    async def enrol(
        self, *, user: PlatformUser, profile: UserProfile, enrolment: Enrolment, now: datetime
    ) -> Ambassador:
        """Create the ambassador, or re-activate and update one who had left."""
        ...

    async def update_preferences(
        self, *, ambassador_id: AmbassadorId, topics: frozenset[str], networks: tuple[Network, ...]
    ) -> Ambassador:
        """Replace an ambassador's interests and networks."""
        ...

    async def leave(self, *, ambassador_id: AmbassadorId, now: datetime) -> None:
        """Mark an ambassador as having left; their history stays."""
        ...

    async def accept_guidelines(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> None:
        """Record that the person accepted this guidelines version (kept with its time)."""
        ...

    async def claim_guidelines_prompt(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> bool:
        """True the first time only: the person is to be asked to accept this version."""
        ...

    async def accepted_guidelines(
        self, ambassador_id: AmbassadorId
    ) -> Sequence[tuple[str, datetime]]:
        """Every (version, when) the person accepted, oldest first."""
        ...

    async def mark_unreachable(
        self, *, ambassador_id: AmbassadorId, reason: str, now: datetime
    ) -> None:
        """The platform refused this person for good (deactivated, blocked the bot)."""
        ...


class ContentRepository(Protocol):
    """Content and its publication."""

    async def create(
        self, *, draft: ContentDraft, page: PageMetadata, created_by: PlatformUser, now: datetime
    ) -> Content:
        """Store a draft, filling missing fields from the page's metadata."""
        ...

    async def get(self, content_id: ContentId) -> Content | None:
        """Return a piece of content by id."""
        ...

    async def list_recent(self, *, limit: int) -> Sequence[Content]:
        """Return the most recently created content, newest first."""
        ...

    async def publish(self, *, content_id: ContentId, now: datetime) -> PublishResult:
        """Mark content published and create one pending delivery per matching ambassador.

        Both happen in one transaction. Publishing twice creates nothing new.
        """
        ...

    async def due_for_publish(self, *, now: datetime) -> Sequence[ContentId]:
        """Scheduled content whose time has come."""
        ...

    async def due_for_expiry(self, *, now: datetime) -> Sequence[ContentId]:
        """Published or scheduled content past its expiry, not yet marked expired."""
        ...

    async def expire(self, *, content_id: ContentId, now: datetime) -> Sequence[Delivery]:
        """Mark content expired and its unsent deliveries expired, in one transaction;
        return the deliveries already sent, whose DMs should say so."""
        ...

    async def content_url_for_token(self, token: str) -> tuple[TrackedLink, Content] | None:
        """Resolve a tracked-link token to its link and content, or None if unknown."""
        ...


class DeliveryRepository(Protocol):
    """Suggestion DMs: their tracked links and where they were sent."""

    async def get(self, delivery_id: DeliveryId) -> Delivery | None:
        """Return a delivery by id."""
        ...

    async def get_many(self, delivery_ids: Collection[DeliveryId]) -> Mapping[DeliveryId, Delivery]:
        """Return the deliveries with these ids (unknown ids are left out), in one read."""
        ...

    async def tracked_links(
        self, *, delivery: Delivery, networks: Sequence[Network]
    ) -> dict[Network, TrackedLink]:
        """Return the delivery's tracked link per network, creating missing ones."""
        ...

    async def find_by_message(self, message: MessageRef) -> Delivery | None:
        """Return the delivery whose DM is this message."""
        ...

    async def all_in_message(self, message: MessageRef) -> Sequence[Delivery]:
        """Every delivery shown in one DM: one for a suggestion, several for a digest."""
        ...

    async def reminder_candidates(self, *, sent_before: datetime, limit: int) -> Sequence[Delivery]:
        """Sent deliveries of published content, never reminded and never acted on."""
        ...

    async def mark_reminded(self, *, delivery_id: DeliveryId, now: datetime) -> bool:
        """Take the delivery's one reminder; False if it was already taken (exactly once)."""
        ...


class DeliveryQueue(Protocol):
    """The outbox as a queue: leases per workspace, claims, and each claim's outcome.

    Updates of a claimed row name the holder, so a sender that lost its lease (a paused or
    partitioned process) cannot overwrite what the new holder did.
    """

    async def workspaces_due(self, *, now: datetime) -> Sequence[str]:
        """Workspaces with deliveries due now (pending, or claimed by a lapsed holder)."""
        ...

    async def acquire_lease(
        self, *, workspace: str, holder: str, now: datetime, ttl: timedelta
    ) -> int | None:
        """Take or renew the workspace's send lease; its epoch, or None if another holds it."""
        ...

    async def release_lease(self, *, workspace: str, holder: str) -> None:
        """Give the lease up (shutdown), so another replica takes over at once."""
        ...

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
        """Claim up to ``limit`` due deliveries, oldest first, counting one attempt each.

        Claims nothing unless ``holder`` still holds the lease at ``epoch``.
        """
        ...

    async def claim_digest(
        self, *, ambassador_id: AmbassadorId, holder: str, now: datetime, lock_for: timedelta
    ) -> Sequence[Delivery]:
        """Claim every suggestion held for a person's digest that is due now (including
        those this holder already claimed), oldest first."""
        ...

    async def mark_sent(
        self, *, delivery_id: DeliveryId, holder: str, message: MessageRef, now: datetime
    ) -> None:
        """The platform took the message."""
        ...

    async def retry_later(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        not_before: datetime,
        error: str | None,
        count_attempt: bool,
    ) -> None:
        """Back to pending until ``not_before``; a deferral or a 429 gives the attempt back."""
        ...

    async def finish(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        status: DeliveryStatus,
        error: str,
        now: datetime,
    ) -> None:
        """A final state other than sent: failed, dead or expired."""
        ...

    async def release_claims(self, *, holder: str, delivery_ids: Sequence[DeliveryId]) -> int:
        """Return claimed but unsent deliveries to the queue (graceful shutdown)."""
        ...

    async def release_held(self, *, ambassador_id: AmbassadorId, mark: str, now: datetime) -> int:
        """Make a person's pending deliveries held with ``mark`` due now (they accepted the
        guidelines they were waiting for); return how many."""
        ...

    async def counts(self) -> Mapping[str, int]:
        """Deliveries per state, for status and metrics."""
        ...

    async def sent_since(self, *, ambassador_id: AmbassadorId | None, since: datetime) -> int:
        """Suggestions sent since a moment, to one person (the weekly cap) or to all."""
        ...


class ActivityLedger(Protocol):
    """Append-only interactions and the points they earned."""

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
        """Record an interaction once per ``dedupe_key`` and award points once per
        (ambassador, content, network, kind). Returns whether anything new was recorded."""
        ...

    async def record_many(
        self, entries: Sequence[InteractionEntry], *, now: datetime
    ) -> Sequence[RecordOutcome]:
        """``record`` for many at once, in one transaction; one outcome per entry, in order.
        Of entries sharing a key, only the first can be recorded or awarded."""
        ...

    async def for_delivery(self, delivery_id: DeliveryId) -> Sequence[Interaction]:
        """Return a delivery's interactions, oldest first."""
        ...

    async def record_reaction(
        self,
        *,
        event: ReactionEvent,
        ambassador_id: AmbassadorId | None,
        content_id: ContentId | None,
        points: int,
    ) -> RecordOutcome:
        """Record a reaction added or removed, once per event id; award points on the first
        reaction of a person to a content, never on churn."""
        ...

    async def leaderboard(
        self, *, start: datetime, end: datetime, limit: int
    ) -> Sequence[LeaderboardEntry]:
        """Rank active ambassadors by points earned in ``[start, end)``."""
        ...

    async def rank_of(
        self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime
    ) -> int | None:
        """Competition rank of one ambassador over a window among the people public boards
        list (active, not hiding), as the boards rank; None without points."""
        ...

    async def points_of(
        self, *, ambassador_id: AmbassadorId, start: datetime | None, end: datetime | None
    ) -> tuple[int, int]:
        """Return (points, confirmed shares) of one ambassador over a window, or all time."""
        ...


class BotMessageLog(Protocol):
    """Messages the bot posted to channels (leaderboards), so reactions on them count."""

    async def remember(self, *, message: MessageRef, kind: str, now: datetime) -> None:
        """Record a message the bot posted."""
        ...

    async def is_bot_message(self, message: MessageRef) -> bool:
        """Whether the bot posted this message."""
        ...


class AddressBook(Protocol):
    """Where to reach people and channels proactively (Teams conversation references)."""

    async def save(self, address: ChatAddress, *, now: datetime) -> None:
        """Store or replace the address for (platform, workspace, key)."""
        ...

    async def get(self, platform: Platform, workspace_id: str, key: str) -> ChatAddress | None:
        """Return a stored address."""
        ...

    async def find(self, platform: Platform, key: str) -> ChatAddress | None:
        """The most recently saved address for ``key`` in any workspace (a channel id is
        unique across tenants, a person's id per bot)."""
        ...

    async def forget(self, platform: Platform, workspace_id: str, key: str) -> None:
        """Drop an address (the app was uninstalled there)."""
        ...


class JobRunLedger(Protocol):
    """Claims of scheduled-job slots, so a slot runs once even across restarts."""

    async def claim(self, *, job: str, slot: str, holder: str, now: datetime) -> bool:
        """Claim a (job, slot); True only for the first claimant."""
        ...

    async def release(self, *, job: str, slot: str) -> None:
        """Give a claim back (the run failed as a whole), so a later run may retry the slot."""
        ...


class SenderObserver(Protocol):
    """What the sender reports for metrics (the composition root adapts Prometheus)."""

    def sent(self, platform: str, seconds: float) -> None:
        """A send succeeded after ``seconds``."""
        ...

    def outcome(self, platform: str, outcome: str) -> None:
        """A send ended otherwise: retried, rate_limited, failed or dead."""
        ...

    def rate(self, platform: str, per_second: float) -> None:
        """The limiter's current rate for a platform."""
        ...


class PageMetadataFetcher(Protocol):
    """Fetches Open Graph metadata of a public web page, safely."""

    async def fetch(self, url: str) -> PageMetadata:
        """Return what the page says about itself; an empty PageMetadata if it cannot be read.

        Never raises for network problems; never fetches private or loopback addresses.
        """
        ...


class ChatGateway(Protocol):
    """Sends and updates messages on one chat platform; renders views in its own idiom."""

    async def send_suggestion(self, user: PlatformUser, view: SuggestionView) -> MessageRef:
        """DM a suggestion to a person. Raises ``DeliveryFailed`` or ``RateLimited``."""
        ...

    async def update_suggestion(self, message: MessageRef, view: SuggestionView) -> None:
        """Update a suggestion DM in place."""
        ...

    async def send_digest(self, user: PlatformUser, view: DigestView) -> MessageRef:
        """DM several suggestions at once. Raises like ``send_suggestion``."""
        ...

    async def update_digest(self, message: MessageRef, view: DigestView) -> None:
        """Update a digest DM in place."""
        ...

    async def send_reminder(self, message: MessageRef, view: ReminderView) -> None:
        """Post the one reminder in the thread of a suggestion DM."""
        ...

    async def send_guidelines(self, user: PlatformUser, view: GuidelinesView) -> MessageRef:
        """DM the guidelines (a new version to accept before more suggestions come)."""
        ...

    async def post_weekly_digest(self, channel_id: str, view: WeeklyDigestView) -> MessageRef:
        """Post the weekly digest (leaderboard, badges, new and most shared content, figures)
        to a channel, with its chart image when it has one (``view.chart``): uploaded as a
        file on Slack, shown from ``view.chart.url`` on Teams. A chart that cannot be shown
        is logged and left out; the digest itself still counts as posted."""
        ...

    async def send_recap(self, user: PlatformUser, view: RecapView) -> MessageRef:
        """DM a person their weekly recap. Raises ``DeliveryFailed`` or ``RateLimited``."""
        ...


class PreferencesRepository(Protocol):
    """An ambassador's settings, pause, and the suggestions still waiting for them."""

    async def save_preferences(
        self, *, ambassador_id: AmbassadorId, preferences: Preferences
    ) -> Ambassador:
        """Replace everything the settings form holds (topics, networks, language, delivery
        mode, quiet hours, weekly cap, Mastodon instance), at once."""
        ...

    async def pause(
        self, *, ambassador_id: AmbassadorId, now: datetime, until: datetime | None
    ) -> Ambassador:
        """Stop suggestions from ``now``, until ``until`` (None: until resumed)."""
        ...

    async def resume(self, *, ambassador_id: AmbassadorId) -> Ambassador:
        """End a pause (nothing happens for someone not paused)."""
        ...

    async def set_weekly_recap(self, *, ambassador_id: AmbassadorId, on: bool) -> Ambassador:
        """Opt in to (or out of) the personal weekly recap DM; setting it twice is a no-op."""
        ...

    async def pending_suggestions(
        self, *, ambassador_id: AmbassadorId, now: datetime, limit: int
    ) -> Sequence[Delivery]:
        """Suggestions sent to the person and not answered (neither "I shared it" nor "Skip";
        a share click alone leaves one waiting) whose content is published and not expired at
        ``now``; newest first."""
        ...


class RoleGrants(Protocol):
    """Roles admins granted by command (config and groups are read elsewhere)."""

    async def grant(
        self,
        *,
        user: PlatformUser,
        role: Role,
        display_name: str,
        granted_by: PlatformUser,
        now: datetime,
    ) -> bool:
        """Grant a role; False (and nothing changed) when the person already holds it."""
        ...

    async def revoke(self, *, user: PlatformUser, role: Role) -> bool:
        """Take a granted role back; False when there was no such grant."""
        ...

    async def has(self, user: PlatformUser, role: Role) -> bool:
        """Whether the person holds this role by grant."""
        ...

    async def list(self, role: Role) -> Sequence[RoleGrant]:
        """Every grant of a role, oldest first."""
        ...


class AuditLog(Protocol):
    """Append-only record of what curators and admins did."""

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
        """Append one entry; return it with its id."""
        ...

    async def recent(self, *, limit: int, before: int | None = None) -> Sequence[AuditEntry]:
        """The latest ``limit`` entries, newest first; only those with an id below
        ``before`` when given (the next page)."""
        ...


class GroupDirectory(Protocol):
    """A platform's groups of people (Slack user groups, Microsoft Entra groups)."""

    async def members(self, group_id: str) -> frozenset[str]:
        """The directory ids of the group's members (nested groups included where the
        platform has them). Raises on any failure: the caller keeps the last known list."""
        ...

    async def directory_id(self, user: PlatformUser) -> str | None:
        """The id the directory lists this person under (Slack: the user id; Teams: the
        Microsoft Entra object id), or None when it is not known."""
        ...

    async def display_name(self, user: PlatformUser) -> str | None:
        """The person's name as the platform shows it, or None when it is not known."""
        ...


class PersonLookup(Protocol):
    """Finds a person the programme knows (they joined, so their email may be known)."""

    async def by_email(
        self, *, platform: Platform, workspace_id: str, email: str
    ) -> PlatformUser | None:
        """The identity, on this platform and workspace, of the person who joined with this
        email (case-insensitive), or None."""


class SuggestionRepository(Protocol):
    """Employee suggestions and feed items awaiting review, and the feeds' poll state.

    A suggestion leaves ``pending`` once, atomically (a conditional update): a double click,
    a retry or two curators racing decide it once, and an expired or rejected suggestion can
    never be approved afterwards.
    """

    async def add(self, new: NewSuggestion, *, now: datetime) -> Suggestion | None:
        """Store a pending suggestion; None when one of the same URL is already pending."""
        ...

    async def get(self, suggestion_id: SuggestionId) -> Suggestion | None:
        """Return a suggestion by id."""
        ...

    async def url_status(self, url: str) -> str | None:
        """``"suggested"`` while a suggestion of this URL is pending, ``"shared"`` when it is
        already content, else None."""
        ...

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
        """Move a pending suggestion to ``status``; None (and no change) unless it was
        pending: the first decision wins."""
        ...

    async def attach_content(
        self, *, suggestion_id: SuggestionId, content_id: ContentId
    ) -> Suggestion:
        """Record the content an approved suggestion became."""
        ...

    async def reopen(self, suggestion_id: SuggestionId) -> bool:
        """Undo an approval whose content could not be made (approved, no content yet):
        back to pending, so a curator can try again. True if it was reopened."""
        ...

    async def add_review_message(
        self, *, suggestion_id: SuggestionId, message: ReviewMessage
    ) -> None:
        """Remember a review card posted for the suggestion (to update it in place)."""
        ...

    async def approved_count(self, user: PlatformUser) -> int:
        """How many of this person's suggestions were approved."""
        ...

    async def pending_before(self, *, before: datetime, limit: int) -> Sequence[Suggestion]:
        """Pending suggestions created before ``before``, oldest first."""
        ...

    async def for_content(self, content_id: ContentId) -> Suggestion | None:
        """The suggestion a piece of content came from, if any (who suggested it)."""
        ...

    async def feed_state(self, feed_url: str) -> FeedState:
        """What the last poll of a feed stored (``polled`` is False before the first)."""
        ...

    async def save_feed_state(self, feed_url: str, state: FeedState, *, now: datetime) -> None:
        """Store a feed's validators after a poll, marking it polled."""
        ...

    async def add_feed_item(
        self, *, feed_url: str, item: FeedItem, new: NewSuggestion | None, now: datetime
    ) -> Suggestion | None:
        """Record a feed item once per (feed, item key) and, the first time only, store
        ``new`` as a pending suggestion (unless its URL is pending or already content).
        Returns the suggestion created, else None. ``new=None`` only marks the item seen."""
        ...


class SuggestionGateway(Protocol):
    """Posts review cards to a platform's review channel and tells suggesters the outcome."""

    async def post_review(self, channel_id: str, view: ReviewCardView) -> MessageRef:
        """Post a review card in the review channel."""
        ...

    async def update_review(self, message: MessageRef, view: ReviewCardView) -> None:
        """Update a review card in place (its outcome, who decided)."""
        ...

    async def notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        """Tell one person something in their direct chat with the bot."""
        ...


class FeedFetcher(Protocol):
    """Fetches and parses RSS / Atom feeds, safely (timeouts, size cap, public hosts only)."""

    async def fetch_feed(self, url: str, state: FeedState) -> FeedFetchResult:
        """Fetch a feed with conditional GET; never raises for network or parse problems."""
        ...


class DeliveryTexts(Protocol):
    """The text a person edited for one suggestion before sharing it."""

    async def save_text(self, *, delivery_id: DeliveryId, text: str) -> bool:
        """Keep ``text`` as the delivery's own text; False when it was already this text (or
        the delivery does not exist), so a repeated submit redraws nothing."""


class PersonalData(Protocol):
    """Everything stored about one person: export it, or erase it (``my-data``,
    ``forget-me``). Each method is one transaction over every table that refers to people."""

    async def export(self, user: PlatformUser) -> PersonalDataExport:
        """Everything stored about the person behind ``user`` (all their identities), read
        in one transaction; empty sections for someone the bot never stored."""
        ...

    async def erase(self, user: PlatformUser, *, now: datetime) -> ErasureOutcome:
        """Erase the person's personal data in one transaction, keeping anonymous aggregates
        (a nameless tombstone holds their points and shares). Idempotent: a second call
        finds nothing and erases nothing."""
        ...


class RawEvents(Protocol):
    """Raw event tables trimmed by the retention job."""

    async def purge(self, *, kind: RawEventKind, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` rows of ``kind`` older than ``before`` (one short
        transaction); return how many."""
        ...


class Recognition(Protocol):
    """Points beyond single interactions (link clicks, streak bonuses) and badges (issue 6).
    Points land in the same append-only ledger as every award; badges once per person."""

    async def pending_visits(self, *, since: datetime, limit: int) -> Sequence[VisitToAward]:
        """Visits since ``since`` by real visitors (not bots) to links of active ambassadors
        that were not turned into points yet, oldest first."""
        ...

    async def award_visit(
        self,
        *,
        visit: VisitToAward,
        points: int,
        day: str,
        day_start: datetime,
        day_end: datetime,
        paid_per_day: int | None,
    ) -> int:
        """Turn one visit into points, once per visit: ``points`` if fewer than
        ``paid_per_day`` visits of this person earned points in ``[day_start, day_end)``
        (their local ``day``), else 0. Race-safe: the day's paid slots are unique keys."""
        ...

    async def award_once(
        self,
        *,
        key: str,
        ambassador_id: AmbassadorId,
        kind: InteractionKind,
        points: int,
        now: datetime,
    ) -> int:
        """Award points once per ``key`` (a streak milestone); return the points awarded."""
        ...

    async def share_times(self, ambassador_id: AmbassadorId) -> Sequence[datetime]:
        """When the person's share awards (share clicks, confirmed shares) were earned."""
        ...

    async def clicks_awarded(self, ambassador_id: AmbassadorId) -> int:
        """How many visits to the person's links were counted (with or without points)."""
        ...

    async def earn(self, *, ambassador_id: AmbassadorId, badge: Badge, now: datetime) -> bool:
        """Record a badge once per person; True only the first time (race-safe)."""
        ...

    async def badges_of(self, ambassador_id: AmbassadorId) -> Sequence[EarnedBadge]:
        """A person's badges, oldest first."""
        ...

    async def badges_between(self, *, start: datetime, end: datetime) -> Sequence[EarnedBadge]:
        """Badges earned in ``[start, end)`` by active ambassadors, with their names."""
        ...


class Notifier(Protocol):
    """Tells one person something in their direct chat with the bot (the Slack and Teams
    gateways already do, for suggestions)."""

    async def notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        """Send a notice to one person."""


class LinkVisitLog(Protocol):
    """Visits to tracked links: written in batches by the redirect, counted for stats."""

    async def resolve(self, token: str) -> tuple[TrackedLink, Content, str | None] | None:
        """The tracked link a token names, its content and the ambassador's opaque ref (None
        once the ambassador row is gone), in one read; None for an unknown token."""
        ...

    async def record_visits(self, visits: Sequence[LinkVisit]) -> int:
        """Store visits in one transaction; a visit already stored (same ``visit_id``) is
        skipped. Return how many were new."""
        ...

    async def link_stats(
        self,
        *,
        by: LinkGrouping,
        start: datetime | None = None,
        end: datetime | None = None,
        content_id: ContentId | None = None,
    ) -> Sequence[LinkStats]:
        """Clicks, unique visitors and bot hits per group over ``[start, end)`` (all time
        when None), optionally of one content; groups with no visit are absent; ordered by
        clicks, most first, then key."""


class StatsReader(Protocol):
    """Curators' figures over the ledger (interactions, deliveries, visits, reactions).

    Reads only. Counting unique visitors is one query away: when ``link_visit`` records a
    visitor key, ``unique_visitors`` counts its distinct values (None until then).
    """

    async def programme(self, window: StatsWindow, *, top: int = 5) -> ProgrammeFigures:
        """The programme's figures in ``window``, with the ``top`` content and topics."""
        ...

    async def content(self, content_id: ContentId, window: StatsWindow) -> ContentFigures | None:
        """One content's figures in ``window``; None if no such content."""
        ...

    async def contents(self, window: StatsWindow, *, limit: int) -> Sequence[ContentFigures]:
        """Published content (newest first, at most ``limit``) with its figures, for exports."""
        ...

    async def weekly_activity(self, weeks: Sequence[StatsWindow]) -> Sequence[tuple[int, int]]:
        """Per window (the weeks of the digest's chart, oldest first): ``(shares, clicks)``.

        Shares: distinct (person, content) pairs with a share click or a confirmation in the
        window. Clicks: tracked-link visits by people (bots left out).
        """
        ...

    async def published(
        self, window: StatsWindow, *, limit: int
    ) -> tuple[Sequence[PublishedItem], int]:
        """Content published in ``window`` and still live (newest first, at most ``limit``),
        with how many there were in all."""
        ...


class ProspectRepository(Protocol):
    """Prospects (people to invite) and the invitations curators sent them."""

    async def ranking(self, *, since: datetime, limit: int) -> Sequence[Prospect]:
        """People with no identity in the programme (never joined, so never left either;
        erased people's rows name nobody), by :attr:`Prospect.score`, then most recent id."""
        ...

    async def record_invitation(
        self, *, user: PlatformUser, by: PlatformUser, now: datetime, cooldown: timedelta
    ) -> bool:
        """Record an invitation unless one was sent within ``cooldown``; True if recorded
        (idempotent: a double click or a retried request records, and so sends, once)."""
        ...

    async def withdraw_invitation(self, *, user: PlatformUser, invited_at: datetime) -> None:
        """Forget the invitation recorded at ``invited_at`` (it could not be delivered), so
        a curator can try again once the person can be reached."""
        ...

    async def is_member(self, user: PlatformUser) -> bool:
        """Whether the person has an identity in the programme (active, paused or left)."""


class BoardRepository(Protocol):
    """Leaderboards read from a rollup of the points ledger, and who hides from them.

    Public boards list active ambassadors who did not hide; erased people (tombstones) are
    never active. The rollup trails the ledger by at most the rollup job's period plus its
    settling delay.
    """

    async def top(self, *, scope: BoardScope, limit: int) -> Sequence[LeaderboardEntry]:
        """The best ``limit`` public people of a board, by points then share awards."""
        ...

    async def standing(self, *, scope: BoardScope, ambassador_id: AmbassadorId) -> Standing:
        """One person's points and the rank they hold, or would hold if hidden, among the
        public people of a board."""
        ...

    async def set_hidden(self, *, ambassador_id: AmbassadorId, hidden: bool) -> None:
        """Hide someone from public boards, or show them again."""
        ...

    async def is_hidden(self, *, ambassador_id: AmbassadorId) -> bool:
        """Whether someone hides from public boards."""
        ...

    async def set_team(self, *, ambassador_id: AmbassadorId, team: str | None) -> None:
        """Set someone's team or department (an id of ``departments``), or clear it."""
        ...

    async def roll_up(self, *, tz: ZoneInfo, now: datetime, settle: timedelta, batch: int) -> int:
        """Add the awards not yet rolled up, at most ``batch`` of them, to the rollup.

        Awards are read by id up to the highest id seen at least ``settle`` ago (so a
        transaction still committing a lower id is not skipped). Applying and advancing
        the watermark are one transaction guarded by compare-and-set: a retry or a second
        process never counts an award twice. Returns the number of awards applied.
        """
        ...

    async def rebuild_week(self, *, tz: ZoneInfo, week_start: date) -> int:
        """Recompute one ISO week of the rollup from the ledger (and the all-time totals
        accordingly). Returns the number of awards read."""
        ...


class ChartRenderer(Protocol):
    """Draws the weekly digest's chart (matplotlib in production: ``messages.charts``)."""

    def weekly_activity_png(self, weeks: Sequence[WeekActivity], locale: str) -> bytes:
        """A PNG of shares and clicks per week, oldest week first, labelled in ``locale``.
        CPU-bound: callers run it in a worker thread."""
        ...


class ChartStore(Protocol):
    """The digests' chart images, kept so a Teams card can show them from a link."""

    async def save_chart(self, *, key: str, png: bytes, now: datetime) -> None:
        """Keep (or replace) the image under ``key`` (e.g. ``2026-W47.en``)."""
        ...

    async def load_chart(self, key: str) -> bytes | None:
        """The image kept under ``key``; None if there is none."""
        ...


class RecapRepository(Protocol):
    """The personal weekly recap: who opted in, and which recaps were claimed or sent.

    A recap is claimed (a unique row per person and week) before it is sent, so double runs
    and replicas send each person one recap a week at most.
    """

    async def candidates(
        self, *, week_start: date, after: AmbassadorId | None, limit: int
    ) -> Sequence[Ambassador]:
        """Active, reachable ambassadors who opted in and have no recap row for the week,
        by id, from after ``after``; at most ``limit``."""
        ...

    async def claim(
        self, *, ambassador_id: AmbassadorId, week_start: date, holder: str, now: datetime
    ) -> bool:
        """Claim a person's recap of a week; True only for the first claimant."""
        ...

    async def release(self, *, ambassador_id: AmbassadorId, week_start: date) -> None:
        """Give an unsent claim back (a transient failure), so a later run retries it."""
        ...

    async def finish(
        self,
        *,
        ambassador_id: AmbassadorId,
        week_start: date,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> None:
        """Record how a claimed recap ended: ``sent``, ``failed`` or ``skipped``."""
        ...

    async def skip(
        self, *, ambassador_id: AmbassadorId, week_start: date, reason: str, now: datetime
    ) -> bool:
        """Record that a person gets no recap this week (paused), unless one is claimed."""
        ...

    async def clicks(self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime) -> int:
        """Visits to the person's tracked links in ``[start, end)``, bots excluded."""
        ...
