"""View models: what handlers return and templates render.

A view holds data already decided by the domain (which text variant, which buttons, what
state); the platform templates in ``messages/`` only lay it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.model import (
    ContentFigures,
    DeliveryId,
    DeliveryStatus,
    EmvEstimate,
    LeaderboardEntry,
    Network,
    ProgrammeFigures,
    Prospect,
    PublishedItem,
    RankedCount,
    WeekActivity,
)


@dataclass(frozen=True)
class Notice:
    """A short message to one person, rendered from the template ``notices/<key>``."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ShareButton:
    """One network's share button in a suggestion DM."""

    network: Network
    intent_url: str  # the network's share page (Slack buttons: the click reaches the bot)
    clicked: bool = False
    # Our redirect that records the click, then sends to ``intent_url``: for platforms whose
    # link buttons tell the bot nothing (Teams Action.OpenUrl). Empty: use ``intent_url``.
    click_url: str = ""


@dataclass(frozen=True)
class SuggestionView:
    """A suggestion DM, in the state it is in now."""

    delivery_id: DeliveryId
    locale: str
    first_name: str
    title: str
    summary: str
    image_url: str | None
    content_url: str
    text: str
    buttons: tuple[ShareButton, ...]
    confirmed: bool = False
    skipped: bool = False
    points_earned: int = 0
    last_award: int = 0  # points of the action that caused this update, shown as "+N"
    expired: bool = False  # the content expired: no more sharing, buttons removed

    @property
    def clicked_networks(self) -> tuple[Network, ...]:
        """Networks whose share button was used."""
        return tuple(b.network for b in self.buttons if b.clicked)


@dataclass(frozen=True)
class RecapView:
    """The personal weekly recap DM (opt-in): the week that just ended, for one person.

    Everything in it is the person's own, shown to them alone: their rank is the place they
    hold on the week's board, or would hold if they hide from public boards (``hidden``).
    """

    locale: str
    week_label: str  # "2026-W47"
    week_start: date  # its Monday, in the programme's time zone
    points: int
    rank: int | None  # None: no points that week
    hidden: bool  # hides from public boards (the rank is theirs alone)
    shares: int  # share awards that week (share clicks or confirmed shares)
    clicks: int  # visits to their tracked links that week, bots excluded
    badges: tuple[str, ...]  # badge ids (``bot.model.Badge``) earned that week
    streak: int  # consecutive weeks with a share, as of now
    waiting: int  # suggestions still waiting for an answer (at most ``waiting_cap``)
    waiting_more: bool = False  # more than ``waiting`` are waiting

    @property
    def empty(self) -> bool:
        """Nothing happened that week (the recap then says so, kindly)."""
        return not (self.points or self.shares or self.clicks or self.badges)


@dataclass(frozen=True)
class LeaderboardView:
    """A weekly ranking."""

    locale: str
    week_label: str  # ISO week, e.g. "2026-W47"
    week_start: date
    entries: tuple[LeaderboardEntry, ...]
    viewer: LeaderboardEntry | None = None
    viewer_points: int | None = None
    badges: tuple[BadgeLine, ...] = ()  # new badges of the week (the weekly post)
    # Leaderboards (issue 6): which board, and the viewer's private standing.
    period: str = "week"  # week | month | all
    team_label: str | None = None  # a team's or department's board
    viewer_hidden: bool = False  # the viewer hides from public boards ...
    viewer_rank: int | None = None  # ... and would hold this place


@dataclass(frozen=True)
class ChartImage:
    """The weekly digest's chart: a PNG, uploaded as a file on Slack and shown from ``url``
    (a signed link to this bot's ``/charts/<token>.png``) on Teams."""

    png: bytes = field(repr=False)
    filename: str  # "advocacy-2026-W47.png"
    weeks: tuple[WeekActivity, ...]  # what it draws, oldest first (its alt text says it)
    url: str | None = None


@dataclass(frozen=True)
class DigestFigures:
    """The programme's figures of the digest's week, with the change since the week before."""

    active_ambassadors: int  # with at least one interaction in the week
    ambassadors: int  # in the programme now
    deliveries: int
    shared: int
    share_rate: Decimal | None  # percent, one decimal; None when nothing was sent
    shares: int  # as the chart counts them (person and content pairs)
    clicks: int  # people's tracked-link clicks
    reactions: int
    shares_before: int | None = None  # the week before (None: not measured)
    clicks_before: int | None = None

    @property
    def shares_change(self) -> int | None:
        """Shares against the week before, in whole percent (None: nothing to compare)."""
        return percent_change(self.shares, self.shares_before)

    @property
    def clicks_change(self) -> int | None:
        """Clicks against the week before, in whole percent (None: nothing to compare)."""
        return percent_change(self.clicks, self.clicks_before)


def percent_change(now: int, before: int | None) -> int | None:
    """``now`` against ``before`` in whole percent, rounded half away from zero; None when
    there is nothing to compare with (not measured, or zero the week before)."""
    if before is None or before <= 0:
        return None
    change = Decimal(100) * (now - before) / before
    return int(change.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class WeeklyDigestView:
    """The weekly post in the configured channels: the week's leaderboard and new badges,
    then (when configured) new content, the most shared content, the programme's figures
    and a chart of the last weeks. Sections with nothing to say are left out."""

    board: LeaderboardView
    new_content: tuple[PublishedItem, ...] = ()
    new_content_total: int = 0  # published in the week (more than listed when cut)
    top_content: tuple[RankedCount, ...] = ()  # label: title, count: shared, extra: clicks
    figures: DigestFigures | None = None
    chart: ChartImage | None = None

    @property
    def locale(self) -> str:
        """The digest's language (the programme's default)."""
        return self.board.locale

    @property
    def week_label(self) -> str:
        """The ISO week the digest reports on."""
        return self.board.week_label


@dataclass(frozen=True)
class BadgeLine:
    """A badge someone earned, as the weekly post names it."""

    display_name: str
    badge: str  # ``bot.model.Badge`` value


@dataclass(frozen=True)
class TopicChoice:
    """A topic offered in forms, with the person's current choice."""

    id: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class NetworkChoice:
    """A network offered in forms, with the person's current choice."""

    network: Network
    selected: bool = False


@dataclass(frozen=True)
class EnrolmentForm:
    """The join form (guidelines + interests + networks) or the preferences form."""

    locale: str
    guidelines_markdown: str | None  # None when only preferences are edited
    guidelines_version: str
    topics: tuple[TopicChoice, ...]
    networks: tuple[NetworkChoice, ...]


@dataclass(frozen=True)
class PostForm:
    """The curator's form to push content."""

    locale: str
    topics: tuple[TopicChoice, ...]
    max_texts: int
    limits: Mapping[str, int]
    networks: tuple[Network, ...] = ()  # a text may be for one of these ...
    languages: tuple[str, ...] = ()  # ... and in one of these (each text: any by default)
    translate_to: tuple[str, ...] = ()  # title and summary may be given in these too
    # Filled in from a suggestion (its Edit button); submitting approves that suggestion.
    suggestion_id: int | None = None
    initial_url: str | None = None
    initial_title: str | None = None
    initial_summary: str | None = None


@dataclass(frozen=True)
class ProfileView:
    """``/advocacy me``: a person's standing in the programme."""

    locale: str
    display_name: str
    active: bool
    topics: tuple[str, ...]
    networks: tuple[Network, ...]
    points_week: int
    points_total: int
    shares_total: int
    rank_week: int | None
    paused: bool = False  # suggestions paused (``pause``)
    resumes_on: date | None = None  # local day suggestions come back; None: until resumed
    badges: tuple[str, ...] = ()  # badge ids (``bot.model.Badge``), oldest first
    streak: int = 0  # consecutive weeks with a share, this one or the last included
    best_streak: int = 0
    weekly_recap: bool = False  # opted in to the personal weekly recap DM


@dataclass(frozen=True)
class HelpView:
    """``/advocacy help``."""

    locale: str
    command: str
    is_curator: bool
    is_ambassador: bool
    topics: tuple[str, ...]
    is_admin: bool = False


@dataclass(frozen=True)
class GuidelinesView:
    """The programme's guidelines (``/advocacy guidelines``), or the request to accept a new
    version before more suggestions come."""

    locale: str
    markdown: str
    version: str
    accepted: bool  # the person accepted this version already
    can_accept: bool  # an ambassador who has not: show the Accept button
    changed: bool = False  # sent because the guidelines changed since they accepted
    can_join: bool = False  # not an ambassador (yet): show how to join


@dataclass(frozen=True)
class ContentListView:
    """Recent content for curators."""

    locale: str
    items: tuple[ContentListItem, ...]


@dataclass(frozen=True)
class ContentListItem:
    """One line of the content list."""

    id: int
    title: str
    url: str
    status: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class ReminderView:
    """The one gentle reminder, posted in the thread of the suggestion DM."""

    locale: str
    first_name: str
    title: str
    expires_on: date | None = None  # the last day to share, when the content expires


@dataclass(frozen=True)
class ScheduledJob:
    """A scheduled job and when it runs next."""

    name: str
    next_run: datetime | None


@dataclass(frozen=True)
class StatusView:
    """``/advocacy status`` and ``advocacy-bot status``: the delivery queue at a glance."""

    locale: str
    counts: Mapping[str, int]  # deliveries per state: pending, claimed, sent, failed, dead...
    rates: Mapping[str, float]  # configured sends per second per platform
    sent_last_hour: int
    jobs: tuple[ScheduledJob, ...]

    @property
    def ordered_counts(self) -> list[tuple[str, int]]:
        """The counts in the life order of a delivery (pending, claimed, sent...), unknown
        states last."""
        order = [state.value for state in DeliveryStatus]
        return sorted(
            self.counts.items(),
            key=lambda item: order.index(item[0]) if item[0] in order else len(order),
        )


@dataclass(frozen=True)
class DigestView:
    """One DM listing several pending suggestions (people who chose a daily or weekly
    digest). Each item keeps its own buttons and state, like a suggestion DM."""

    locale: str
    first_name: str
    items: tuple[SuggestionView, ...]
    remaining: int = 0  # suggestions left for the next digest (this one was full)


@dataclass(frozen=True)
class SettingsForm:
    """The settings form (``settings``): every preference, pre-filled with the person's
    current choices, or with what they just submitted plus the error to fix (Teams shows
    errors by sending the form again; Slack shows them next to the field)."""

    locale: str
    topics: tuple[TopicChoice, ...]
    networks: tuple[NetworkChoice, ...]
    languages: tuple[str, ...]  # locales offered, e.g. ("en", "fr")
    language: str
    delivery_mode: str  # immediate / daily / weekly
    delivery_modes: tuple[str, ...]
    quiet_start: str | None  # "HH:MM", local time
    quiet_end: str | None
    weekly_cap: int | None
    max_weekly_cap: int
    mastodon_instance: str | None
    error_field: str | None = None
    error: Notice | None = None
    # Leaderboards (issue 6): team and hiding, shown when boards are wired (``boards``).
    boards: bool = False
    departments: tuple[TopicChoice, ...] = ()  # configured ones; none: the team is free text
    team: str | None = None  # a department id, or the text typed (no departments)
    max_team: int = 100
    hidden: bool = False  # hides from public boards
    weekly_recap: bool = False  # the personal weekly recap DM


@dataclass(frozen=True)
class PreferencesSummary:
    """A person's preferences as the dashboard lists them."""

    topics: tuple[str, ...]  # labels
    networks: tuple[Network, ...]
    language: str
    delivery_mode: str
    quiet_start: str | None
    quiet_end: str | None
    weekly_cap: int | None
    mastodon_instance: str | None
    team: str | None = None  # the team's label (settings confirmation)
    hidden: bool | None = None  # hides from public boards; None: not said (no boards)
    weekly_recap: bool = False  # the personal weekly recap DM


@dataclass(frozen=True)
class HomeView:
    """The Slack App Home dashboard: an invitation to join, or the ambassador's standing,
    waiting suggestions and settings."""

    locale: str
    display_name: str
    is_ambassador: bool
    guidelines_version: str
    profile: ProfileView | None = None
    preferences: PreferencesSummary | None = None
    paused: bool = False
    resumes_on: date | None = None  # local day suggestions come back; None: until resumed
    pending: tuple[SuggestionView, ...] = ()
    # Badges come with issue 6: the dashboard shows this section only when it is non-empty.
    badges: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleHolderLine:
    """One line of the curators list: a person (config or grant) or a group, and why."""

    role: str  # admin | curator
    source: str  # config | group | grant
    user_id: str | None = None  # a person's platform id (Slack renders it as a mention)
    name: str | None = None  # the name known for them (grants, ambassadors)
    group_id: str | None = None  # a Slack user group or a Microsoft Entra group
    members: int | None = None  # the group's size, as last read (None: never read)
    granted_by: str | None = None
    since: date | None = None


@dataclass(frozen=True)
class CuratorsView:
    """``curators``: who may curate and administer on this platform, with each source."""

    locale: str
    platform: str
    lines: tuple[RoleHolderLine, ...]
    command: str = ""


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as shown to admins."""

    id: int
    at: str  # local date and time, already formatted in the programme's zone
    actor_name: str
    action: str
    target: str | None
    details: Mapping[str, object]


@dataclass(frozen=True)
class AuditView:
    """``audit [n]``: the latest entries, newest first, and the next page's cursor."""

    locale: str
    entries: tuple[AuditLine, ...]
    limit: int
    older_than: int | None = None  # id to pass as ``--before`` for the next page
    command: str = ""


@dataclass(frozen=True)
class ReviewCardView:
    """A suggestion's card in the curators' review channel, in the state it is in now."""

    locale: str
    suggestion_id: int
    url: str
    title: str
    summary: str
    why: str | None
    source: str  # "employee" | "feed"
    status: str  # "pending" | "approved" | "rejected" | "expired"
    suggester_id: str | None = None  # the platform user id (Slack renders a mention)
    suggester_name: str | None = None
    feed_name: str | None = None
    reviewer_id: str | None = None
    reviewer_name: str | None = None
    reason: str | None = None
    content_id: int | None = None
    auto_approved: bool = False
    previous_approvals: int = 0  # shown on an auto-approved card
    same_platform: bool = True  # the suggester is on this card's platform (mention them)
    topics: tuple[str, ...] = ()  # a feed's topics: Approve publishes to them

    @property
    def pending(self) -> bool:
        """Whether the buttons are still offered."""
        return self.status == "pending"


@dataclass(frozen=True)
class RejectForm:
    """The form a curator fills in to reject a suggestion (the reason the suggester reads)."""

    locale: str
    suggestion_id: int
    title: str
    max_reason: int


@dataclass(frozen=True)
class DataLinkView:
    """``my-data`` on Teams: a signed link to download the JSON export, valid a short while."""

    locale: str
    url: str
    valid_minutes: int


@dataclass(frozen=True)
class ForgetMeView:
    """``forget-me``: what erasing means, with the confirm and cancel buttons."""

    locale: str
    is_ambassador: bool


@dataclass(frozen=True)
class StatsView:
    """``stats [window]`` (curators): the programme's figures, with the EMV estimate."""

    locale: str
    window: str  # 7d | 30d | 90d | all
    figures: ProgrammeFigures
    emv: EmvEstimate
    share_rate: Decimal | None  # percent, one decimal; None when nothing was sent
    command: str  # "/advocacy" on Slack, "" on Teams (typed commands)


@dataclass(frozen=True)
class ContentStatsView:
    """``stats <content id> [window]`` (curators): one content's figures."""

    locale: str
    window: str
    figures: ContentFigures
    emv: EmvEstimate
    share_rate: Decimal | None


@dataclass(frozen=True)
class StatsLinkView:
    """``stats export`` on Teams: a signed link to the CSV, valid a short while."""

    locale: str
    url: str
    valid_minutes: int
    window: str


@dataclass(frozen=True)
class ProspectsView:
    """``prospects`` (curators): the most engaged non-ambassadors, each with Invite."""

    locale: str
    window: str
    prospects: tuple[Prospect, ...]
    cooldown_days: int
    now: datetime  # to say "invited 3 days ago"


@dataclass(frozen=True)
class InvitationView:
    """The DM a prospect gets: a friendly invitation with a Join button."""

    locale: str
    programme: str
