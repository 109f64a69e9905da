"""Domain values of the advocacy programme.

Everything here is a frozen dataclass, a ``StrEnum`` or a ``NewType``: plain values that the
adapters translate platform payloads into, and that the store translates rows into. Nothing
here knows about Slack, Teams, SQL or templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import NewType

AmbassadorId = NewType("AmbassadorId", int)
ContentId = NewType("ContentId", int)
DeliveryId = NewType("DeliveryId", int)


class Platform(StrEnum):
    """A chat platform the bot lives on."""

    SLACK = "slack"
    TEAMS = "teams"


class Network(StrEnum):
    """A social network an ambassador can share to."""

    LINKEDIN = "linkedin"
    X = "x"
    FACEBOOK = "facebook"
    BLUESKY = "bluesky"
    THREADS = "threads"
    XING = "xing"
    WHATSAPP = "whatsapp"
    MASTODON = "mastodon"  # the share page is on the person's own instance (preferences)


class AmbassadorStatus(StrEnum):
    """Where a person stands in the programme."""

    ACTIVE = "active"
    LEFT = "left"


class ContentStatus(StrEnum):
    """Lifecycle of a piece of content."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published by the scheduler at ``publish_at``
    PUBLISHED = "published"
    EXPIRED = "expired"  # past ``expires_at``: no more suggestions, DMs say so


class Audience(StrEnum):
    """Who a piece of content is offered to."""

    INTERESTED = "interested"  # ambassadors whose interests share a topic with the content
    EVERYONE = "everyone"  # every active ambassador


class DeliveryStatus(StrEnum):
    """State of one suggestion DM to one ambassador (the outbox queue's states)."""

    PENDING = "pending"  # due at ``next_attempt_at``
    CLAIMED = "claimed"  # a sender holds it until ``locked_until``
    SENT = "sent"
    FAILED = "failed"  # permanently refused (unreachable person, left the programme...)
    DEAD = "dead"  # transient failures until the attempts ran out
    EXPIRED = "expired"  # the content expired before it could go out
    CANCELLED = "cancelled"  # the person asked to be forgotten before it went out


# The mark (in a pending delivery's ``error``) of a suggestion held for the person's digest:
# when it comes due, the sender sends the person's digest instead of deciding again.
HELD_FOR_DIGEST = "digest"
# Mark of a pending delivery waiting for its person to accept the current guidelines.
HELD_FOR_GUIDELINES = "guidelines"


class InteractionKind(StrEnum):
    """Something an ambassador did with a suggestion or a bot message."""

    SHARE_CLICK = "share_click"
    CONFIRMED_SHARE = "confirmed_share"
    SKIP = "skip"
    REACTION = "reaction"
    LINK_CLICK = "link_click"
    APPROVED_SUGGESTION = "approved_suggestion"  # a suggestion of theirs became content
    STREAK_BONUS = "streak_bonus"  # a weekly streak reached a milestone (points only)


@dataclass(frozen=True)
class PlatformUser:
    """A person's identity on one chat platform (a Slack user in a workspace, say)."""

    platform: Platform
    workspace_id: str
    user_id: str


@dataclass(frozen=True)
class UserProfile:
    """What the platform tells us about a person (Slack ``users.info``)."""

    display_name: str
    locale: str = "en"
    email: str | None = None
    timezone: str | None = None
    is_bot: bool = False
    deleted: bool = False
    team: str | None = None  # Slack and Teams profiles tell no team: None unless known


@dataclass(frozen=True)
class Ambassador:
    """A volunteer who opted in, accepted the guidelines and receives suggestions."""

    id: AmbassadorId
    user: PlatformUser
    display_name: str
    locale: str
    status: AmbassadorStatus
    topics: frozenset[str]
    networks: tuple[Network, ...]
    guidelines_version: str
    ref: str  # opaque reference used as utm_content, never the platform id
    joined_at: datetime
    timezone: str | None = None  # IANA zone from the platform profile
    quiet_start: time | None = None
    quiet_end: time | None = None
    weekly_cap: int | None = None
    delivery_mode: str = "immediate"
    unreachable: bool = False
    team: str | None = None  # fills {team} in share texts; None when nobody told us
    mastodon_instance: str | None = None  # host name, e.g. "mastodon.social"
    paused_at: datetime | None = None  # paused: no suggestions until resumed ...
    paused_until: datetime | None = None  # ... or until this moment (None: until resumed)
    weekly_recap: bool = False  # opted in to the personal weekly recap DM (off by default)

    @property
    def is_active(self) -> bool:
        """Whether the person currently takes part."""
        return self.status is AmbassadorStatus.ACTIVE

    def is_paused(self, now: datetime) -> bool:
        """Whether the person paused suggestions and the pause still runs at ``now`` (a pause
        with an end date ends by itself: no job needed)."""
        if self.paused_at is None:
            return False
        return self.paused_until is None or now < self.paused_until


@dataclass(frozen=True)
class Enrolment:
    """What a person chose when joining or changing their preferences."""

    topics: frozenset[str]
    networks: tuple[Network, ...]
    guidelines_version: str


@dataclass(frozen=True)
class PageMetadata:
    """Open Graph facts about a page, all optional."""

    title: str | None = None
    summary: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class ContentDraft:
    """A curator's submission, validated, before it is stored."""

    url: str
    title: str | None
    summary: str | None
    image_url: str | None
    topics: tuple[str, ...]
    texts: tuple[str, ...]
    hashtags: tuple[str, ...]
    audience: Audience
    publish_now: bool
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    important: bool = False
    share_texts: tuple[ShareText, ...] = ()  # every text with its network and language
    translations: tuple[ContentTranslation, ...] = ()  # title / summary in other languages


@dataclass(frozen=True)
class Content:
    """A stored piece of content that can be suggested to ambassadors."""

    id: ContentId
    url: str
    title: str
    summary: str
    image_url: str | None
    topics: tuple[str, ...]
    texts: tuple[str, ...]
    hashtags: tuple[str, ...]
    audience: Audience
    status: ContentStatus
    created_by: PlatformUser
    created_at: datetime
    published_at: datetime | None = None
    important: bool = False
    expires_at: datetime | None = None
    publish_at: datetime | None = None
    share_texts: tuple[ShareText, ...] = ()  # empty on old rows: ``texts`` are general
    translations: tuple[ContentTranslation, ...] = ()

    def title_in(self, language: str) -> str:
        """The title for people of ``language``: its translation, else the title."""
        found = next((t for t in self.translations if t.language == language), None)
        return found.title if found and found.title else self.title

    def summary_in(self, language: str) -> str:
        """The summary for people of ``language``: its translation, else the summary."""
        found = next((t for t in self.translations if t.language == language), None)
        return found.summary if found and found.summary else self.summary

    @property
    def variants(self) -> tuple[ShareText, ...]:
        """The suggested texts with their network and language (``texts`` as general
        variants when the content predates them)."""
        return self.share_texts or tuple(ShareText(t) for t in self.texts)


@dataclass(frozen=True)
class MessageRef:
    """Where a message the bot sent lives, so it can be updated or reacted to."""

    channel_id: str
    message_id: str  # Slack ts, Teams activity id


@dataclass(frozen=True)
class Delivery:
    """One suggestion of one piece of content to one ambassador."""

    id: DeliveryId
    content_id: ContentId
    ambassador_id: AmbassadorId
    status: DeliveryStatus
    variant: int
    message: MessageRef | None = None
    error: str | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    workspace: str = ""  # "<platform>:<workspace id>": one sender per workspace
    text: str | None = None  # the text the person edited before sharing, if they did


def workspace_key(user: PlatformUser) -> str:
    """The queue's workspace of a person: platform and workspace (Slack team, Teams tenant)."""
    return f"{user.platform.value}:{user.workspace_id}"


@dataclass(frozen=True)
class TrackedLink:
    """An opaque token that redirects to a content URL on behalf of an ambassador."""

    token: str
    delivery_id: DeliveryId
    content_id: ContentId
    ambassador_id: AmbassadorId
    network: Network


@dataclass(frozen=True)
class Interaction:
    """A recorded interaction, with the points it earned (0 when none or already awarded)."""

    kind: InteractionKind
    network: Network | None
    points: int
    occurred_at: datetime


@dataclass(frozen=True)
class ChatAddress:
    """Where the bot can reach a person or a channel later, without them writing first.

    On Teams it is the serialised ConversationReference (service URL, conversation id, bot
    and user ids) captured when the app is installed or the person writes; the domain only
    stores it. ``key`` is the person's platform user id, or ``channel:<id>`` for a channel.
    """

    platform: Platform
    workspace_id: str  # Teams: the tenant id
    key: str
    payload: str  # the adapter's own serialisation (JSON)


@dataclass(frozen=True)
class InteractionEntry:
    """An interaction to record: once per ``dedupe_key``; points once per award key."""

    dedupe_key: str
    ambassador_id: AmbassadorId
    content_id: ContentId | None
    delivery_id: DeliveryId | None
    kind: InteractionKind
    network: Network | None
    points: int


@dataclass(frozen=True)
class RecordOutcome:
    """What recording an interaction did."""

    recorded: bool  # False when it was a duplicate (a retry or a double click)
    points_awarded: int


@dataclass(frozen=True)
class LeaderboardEntry:
    """One line of a leaderboard."""

    rank: int
    ambassador_id: AmbassadorId
    display_name: str
    points: int
    shares: int


@dataclass(frozen=True)
class ReactionEvent:
    """An emoji reaction added to or removed from a message."""

    event_id: str
    user: PlatformUser
    reaction: str
    message: MessageRef
    added: bool
    occurred_at: datetime


@dataclass(frozen=True)
class PublishResult:
    """What publishing a piece of content did."""

    content: Content
    deliveries_created: int
    already_published: bool = False


@dataclass(frozen=True)
class ShareText:
    """A suggested text of a content, for one network and one language (None: any)."""

    text: str
    network: Network | None = None
    language: str | None = None


@dataclass(frozen=True)
class ContentTranslation:
    """A content's title and summary in one more language (None: the main one is used)."""

    language: str
    title: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class Preferences:
    """Everything an ambassador chooses in the settings form, validated."""

    topics: frozenset[str]
    networks: tuple[Network, ...]
    locale: str
    delivery_mode: str  # "immediate", "daily" or "weekly" (``bot.policy.DeliveryMode``)
    quiet_start: time | None
    quiet_end: time | None
    weekly_cap: int | None
    mastodon_instance: str | None  # required when ``networks`` has Mastodon
    # Leaderboards, applied through ``LeaderboardService`` (not stored with the rest); None:
    # the form had no such field, leave it as it is.
    team: str | None = None  # a department id or free text; "" leaves the team
    hidden_from_boards: bool | None = None
    weekly_recap: bool | None = None  # the personal weekly recap; None: no such field


class Role(StrEnum):
    """What a person may do, from most to least powerful; each role implies the ones below
    it (an admin is also a curator)."""

    ADMIN = "admin"
    CURATOR = "curator"
    AMBASSADOR = "ambassador"
    EMPLOYEE = "employee"

    def includes(self, other: Role) -> bool:
        """Whether this role has every right of ``other`` (admin includes curator)."""
        order = list(Role)
        return order.index(self) <= order.index(other)


class RoleSource(StrEnum):
    """Where a curator or admin role comes from."""

    CONFIG = "config"  # config.yaml (roles.admins / roles.curators, or the old curators:)
    GROUP = "group"  # a Slack user group or a Teams (Microsoft Entra) group
    GRANT = "grant"  # granted by an admin's command, stored in the database


class AuditAction(StrEnum):
    """What a curator or admin did, as the audit log records it. Other features add their
    own members here (``suggestion.approved``, ``stats.exported``...)."""

    CONTENT_DRAFT_SAVED = "content.draft_saved"
    CONTENT_SCHEDULED = "content.scheduled"
    CONTENT_PUBLISHED = "content.published"  # posted and published at once
    DRAFT_PUBLISHED = "content.draft_published"  # ``publish <id>`` of a stored draft
    CURATOR_GRANTED = "role.curator_granted"
    CURATOR_REVOKED = "role.curator_revoked"
    SUGGESTION_APPROVED = "suggestion.approved"
    SUGGESTION_REJECTED = "suggestion.rejected"
    STATS_EXPORTED = "stats.exported"  # a curator downloaded the per-content CSV
    PROSPECT_INVITED = "prospect.invited"  # a curator invited a non-ambassador to join


@dataclass(frozen=True)
class RoleGrant:
    """A role an admin granted by command (stored; removable by command)."""

    user: PlatformUser
    role: Role
    display_name: str
    granted_by: PlatformUser
    granted_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log. Holds the actor's platform identity and display name:
    personal data, which erasure must pseudonymise."""

    id: int
    at: datetime
    actor: PlatformUser
    actor_name: str
    action: str  # an ``AuditAction`` value (or a newer one this version does not know)
    target: str | None
    details: Mapping[str, str | int | bool | None]


# --- employee suggestions and feeds (review channel) ------------------------------------------

SuggestionId = NewType("SuggestionId", int)


class SuggestionStatus(StrEnum):
    """Where a suggestion stands. Only ``pending`` moves on, and only once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class SuggestionSource(StrEnum):
    """Who brought a suggestion in."""

    EMPLOYEE = "employee"  # ``/advocacy suggest <url> [why]``
    FEED = "feed"  # a new item of an RSS / Atom feed listed in config.yaml


@dataclass(frozen=True)
class ReviewMessage:
    """A review card the bot posted, and on which platform (to update it in place)."""

    platform: Platform
    message: MessageRef


@dataclass(frozen=True)
class Suggestion:
    """A link someone (or a feed) proposes; curators approve, edit or reject it."""

    id: SuggestionId
    source: SuggestionSource
    url: str
    title: str
    summary: str
    why: str | None
    status: SuggestionStatus
    created_at: datetime
    suggester: PlatformUser | None = None  # None for a feed item
    suggester_locale: str = "en"
    suggester_name: str | None = None
    feed_name: str | None = None
    topics: tuple[str, ...] = ()  # a feed's topics; an employee suggestion has none
    image_url: str | None = None
    reviewer: PlatformUser | None = None
    reviewer_name: str | None = None
    reason: str | None = None  # the curator's reason for a rejection
    content_id: ContentId | None = None
    decided_at: datetime | None = None
    auto_approved: bool = False
    review_messages: tuple[ReviewMessage, ...] = ()  # its review cards (one per channel)


@dataclass(frozen=True)
class NewSuggestion:
    """A suggestion to store, before it has an id."""

    source: SuggestionSource
    url: str
    title: str
    summary: str
    why: str | None = None
    suggester: PlatformUser | None = None
    suggester_locale: str = "en"
    suggester_name: str | None = None
    feed_name: str | None = None
    topics: tuple[str, ...] = ()
    image_url: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as parsed."""

    key: str  # the entry's guid (RSS) / id (Atom), else its link: unique per feed
    url: str
    title: str
    summary: str
    published_at: datetime | None = None


@dataclass(frozen=True)
class FeedState:
    """What the last poll of a feed left for the next one (conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None
    polled: bool = False  # polled at least once: not the first poll any more


@dataclass(frozen=True)
class FeedFetchResult:
    """What fetching a feed gave: its entries, the validators for next time, or the error."""

    items: tuple[FeedItem, ...] = ()
    state: FeedState = FeedState()
    error: str | None = None  # why it could not be read (None: read, or not modified)
    not_modified: bool = False


@dataclass(frozen=True)
class PersonalDataExport:
    """Everything stored about one person, as JSON-ready sections (``/advocacy my-data``).

    ``sections`` maps a section name (``ambassador``, ``deliveries``...) to plain JSON values;
    the README documents each section of the export's schema.
    """

    sections: Mapping[str, object]
    is_ambassador: bool

    @property
    def empty(self) -> bool:
        """Whether nothing at all is stored about the person."""
        return not any(self.sections.values())


@dataclass(frozen=True)
class ErasureOutcome:
    """What ``forget-me`` did: rows erased or anonymised per table (for the log)."""

    rows: Mapping[str, int]

    @property
    def erased(self) -> bool:
        """Whether anything was stored (False on a second click: nothing was left)."""
        return any(self.rows.values())


class RawEventKind(StrEnum):
    """Tables of raw events that the retention job trims (``privacy.retention_days``)."""

    LINK_VISITS = "link_visits"
    REACTION_EVENTS = "reaction_events"
    JOB_RUNS = "job_runs"


class Badge(StrEnum):
    """Something an ambassador earns once (issue 6): rules in ``bot/recognition.py``."""

    FIRST_SHARE = "first_share"
    SHARES_10 = "shares_10"
    SHARES_50 = "shares_50"
    STREAK_4 = "streak_4"
    TOP_3_WEEK = "top_3_week"
    FIRST_SUGGESTION = "first_suggestion"
    CLICKS_100 = "clicks_100"


@dataclass(frozen=True)
class EarnedBadge:
    """A badge one person earned, and when."""

    ambassador_id: AmbassadorId
    badge: Badge
    earned_at: datetime
    display_name: str = ""


@dataclass(frozen=True)
class VisitToAward:
    """A visit by a real visitor to a person's tracked link, not yet turned into points."""

    visit_id: int
    ambassador_id: AmbassadorId
    content_id: ContentId
    network: Network
    visited_at: datetime
    timezone: str | None  # the link owner's IANA zone, when the platform told us


@dataclass(frozen=True)
class LinkVisit:
    """One visit to a tracked link, as recorded (``link_visit``).

    ``visit_id`` is drawn when the request arrives, so writing the same visit twice (a
    retried batch) stores it once. ``visitor_key`` is a salted, truncated HMAC of the
    visitor's address and browser, rotated every UTC day (``bot/links.py``); bots get none.
    """

    visit_id: str
    token: str
    content_id: ContentId
    ambassador_id: AmbassadorId
    network: Network
    is_bot: bool
    visitor_key: str | None
    visited_at: datetime


class LinkGrouping(StrEnum):
    """How ``LinkVisitLog.link_stats`` groups visits."""

    CONTENT = "content"
    AMBASSADOR = "ambassador"
    NETWORK = "network"
    LINK = "link"  # one tracked link: a (delivery, network)


@dataclass(frozen=True)
class LinkStats:
    """Visits of one group over a window.

    ``clicks`` are visits by people (bots excluded); ``unique_visitors`` counts distinct
    visitor keys among them: keys rotate daily, so it is the sum of daily uniques over a
    window longer than a day; ``bot_hits`` are crawler and preview fetches, counted apart.
    ``key`` is the content or ambassador id (int), the network or the token (str).
    """

    key: int | str
    clicks: int
    unique_visitors: int
    bot_hits: int


# ---- curators' stats (bot/stats.py, content_store/stats.py) ----------------------------


@dataclass(frozen=True)
class StatsWindow:
    """``[start, end)``; ``start`` None means since the beginning (``all``)."""

    start: datetime | None
    end: datetime
    label: str  # 7d | 30d | 90d | all


@dataclass(frozen=True)
class RankedCount:
    """A name (content title, topic, network) with its count, for top lists."""

    key: str
    label: str
    count: int
    extra: int = 0  # a second figure (clicks of a content)


@dataclass(frozen=True)
class WeekActivity:
    """One week of the weekly digest's chart: shares and people's link clicks."""

    label: str  # ISO week, "2026-W47"
    first_day: date  # its Monday, in the company's time zone
    shares: int  # (person, content) pairs with a share click or confirmation in the week
    clicks: int  # tracked-link visits by people (bots left out)


@dataclass(frozen=True)
class PublishedItem:
    """A content published in a period, as the weekly digest lists it."""

    id: ContentId
    title: str
    url: str
    published_at: datetime


@dataclass(frozen=True)
class DepartmentStats:
    """One ``ambassador.team`` value (None: people without one)."""

    team: str | None
    ambassadors: int  # active ambassadors of the team
    deliveries: int
    shared: int  # deliveries shared (share button or confirmation)
    clicks: int  # non-bot visits of their tracked links


@dataclass(frozen=True)
class ContentFigures:
    """One content's figures in a window (the CSV rows and ``stats <id>``)."""

    content_id: ContentId
    title: str
    url: str
    published_at: datetime | None
    deliveries: int  # deliveries sent in the window
    shared: int  # of those, shared (share button click or confirmation)
    share_clicks: Mapping[Network, int]  # share button clicks, one per delivery and network
    confirmed: int  # "I shared it" confirmations
    clicks: Mapping[Network, int]  # non-bot visits of tracked links, per network
    bot_hits: int
    reactions: int  # reactions added on the bot's messages about it
    unique_visitors: int | None = None  # visitor-days (keys are salted per day); None: not measured


@dataclass(frozen=True)
class ProgrammeFigures:
    """The whole programme's figures in a window."""

    active_ambassadors: int  # ambassadors with at least one interaction in the window
    ambassadors: int  # active (joined, not left) now
    deliveries: int  # suggestion DMs sent in the window
    shared: int  # of those, shared (share button click or confirmation)
    share_clicks: Mapping[Network, int]
    confirmed: int
    clicks: Mapping[Network, int]  # non-bot visits of tracked links, per network
    bot_hits: int
    reactions: int
    top_content: Sequence[RankedCount]  # by deliveries shared, then clicks
    top_topics: Sequence[RankedCount]  # by deliveries shared
    departments: Sequence[DepartmentStats]
    unique_visitors: int | None = None  # visitor-days (keys are salted per day); None: not measured


@dataclass(frozen=True)
class EmvRates:
    """The earned-media-value inputs from config.yaml (``emv``): per network, with a
    ``default`` for networks not listed. Amounts are in ``currency``."""

    currency: str
    cpc: Mapping[str, Decimal]  # cost per click
    cpm: Mapping[str, Decimal]  # cost per thousand impressions (0: impressions not valued)
    impressions_per_share: Mapping[str, int]

    def of(self, table: Mapping[str, Decimal], network: Network) -> Decimal:
        """The network's rate in a table, else its ``default``, else 0."""
        return table.get(network.value, table.get("default", Decimal(0)))

    def impressions_of(self, network: Network) -> int:
        """Impressions one share is assumed to make on ``network``."""
        table = self.impressions_per_share
        return table.get(network.value, table.get("default", 0))


@dataclass(frozen=True)
class EmvLine:
    """One network's part of the estimate, with its inputs (so a curator can check it)."""

    network: Network
    clicks: int
    cpc: Decimal
    click_value: Decimal  # clicks x cpc, rounded to cents
    shares: int
    impressions: int  # shares x impressions per share
    cpm: Decimal
    share_value: Decimal  # impressions / 1000 x cpm, rounded to cents

    @property
    def value(self) -> Decimal:
        """This network's part of the total."""
        return self.click_value + self.share_value


@dataclass(frozen=True)
class EmvEstimate:
    """EMV = sum clicks_n x CPC_n + sum shares_n x impressions_per_share_n / 1000 x CPM_n."""

    currency: str
    lines: tuple[EmvLine, ...]
    total: Decimal  # the sum of the lines' rounded values


@dataclass(frozen=True)
class Prospect:
    """Someone who is not an ambassador (and never left) but takes part: reactions on the
    bot's messages and suggestions made in a window. Link clicks are not attributable (a visit
    records nothing about the visitor), so they do not count."""

    user: PlatformUser
    reactions: int
    suggestions: int
    name: str | None = None  # the name they suggested with, if they did
    invited_at: datetime | None = None  # the last invitation, if any

    @property
    def score(self) -> int:
        """The ranking: a suggestion weighs as much as three reactions."""
        return self.reactions + 3 * self.suggestions


class BoardPeriod(StrEnum):
    """The span a leaderboard covers, in the programme's time zone."""

    WEEK = "week"  # an ISO week, Monday 00:00 to Monday 00:00
    MONTH = "month"  # a calendar month
    ALL = "all"  # all time


@dataclass(frozen=True)
class BoardScope:
    """Which leaderboard: a period (``first_day``: the week's Monday or the month's 1st,
    local; None for all time) and, optionally, one team or department."""

    period: BoardPeriod
    first_day: date | None = None
    team: str | None = None


@dataclass(frozen=True)
class Standing:
    """Where one person stands on a board, shown to them alone: ``rank`` is the place they
    hold, or would hold if they are hidden, among the people shown publicly (None: no
    points)."""

    rank: int | None
    points: int
    shares: int
