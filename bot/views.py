"""View models: what handlers return and templates render.

A view holds data already decided by the domain (which text variant, which buttons, what
state); the platform templates in ``messages/`` only lay it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.model import DeliveryId, DeliveryStatus, LeaderboardEntry, Network


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
class LeaderboardView:
    """A weekly ranking."""

    locale: str
    week_label: str  # ISO week, e.g. "2026-W47"
    week_start: date
    entries: tuple[LeaderboardEntry, ...]
    viewer: LeaderboardEntry | None = None
    viewer_points: int | None = None


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


@dataclass(frozen=True)
class HelpView:
    """``/advocacy help``."""

    locale: str
    command: str
    is_curator: bool
    is_ambassador: bool
    topics: tuple[str, ...]


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
