"""The programme's rules, as the domain sees them (built once from config.yaml by the
composition root)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.model import Badge, Network, Platform, PlatformUser

SUPPORTED_LOCALES = ("en", "fr")
BADGE_IDS = tuple(b.value for b in Badge)


@dataclass(frozen=True)
class Topic:
    """An interest an ambassador can pick and a content can carry."""

    id: str
    labels: Mapping[str, str]  # locale -> label

    def label(self, locale: str) -> str:
        """The topic's label in a locale, falling back to English, then to the id."""
        return self.labels.get(locale) or self.labels.get("en") or self.id


@dataclass(frozen=True)
class PointsRules:
    """Points per kind of action. One award per (person, content, network, kind)."""

    share_click_default: int = 5
    share_click: Mapping[Network, int] = field(default_factory=dict)
    confirmed_share: int = 10
    reaction: int = 1
    approved_suggestion: int = 20  # a suggestion of theirs was approved (once per suggestion)
    link_click: int = 0  # per visit of a real visitor to one of your tracked links ...
    link_click_daily_cap: int = 0  # ... at most this many points a local day (0: no cap)
    streak_bonus_weeks: int = 4  # a weekly streak reaching this many weeks ...
    streak_bonus: int = 0  # ... earns this once per streak (0: no bonus)

    @property
    def paid_clicks_per_day(self) -> int | None:
        """How many link clicks earn points in one local day (None: no cap)."""
        if self.link_click_daily_cap <= 0:
            return None
        return self.link_click_daily_cap // self.link_click if self.link_click > 0 else 0

    def for_share_click(self, network: Network) -> int:
        """Points for opening a network's share dialog."""
        return self.share_click.get(network, self.share_click_default)


@dataclass(frozen=True)
class Guidelines:
    """The social-media charter people accept when they join."""

    markdown: str
    version: str


@dataclass(frozen=True)
class ContentLimits:
    """Bounds on what curators submit, chosen so every message fits the platforms' limits
    (Slack header 150, section 3,000, button URL 3,000)."""

    url: int = 2_000
    title: int = 150
    summary: int = 1_000
    text: int = 1_500
    texts: int = 6
    hashtag: int = 50
    hashtags: int = 10

    def as_dict(self) -> dict[str, int]:
        """The limits by name, for templates."""
        return {
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "text": self.text,
            "texts": self.texts,
            "hashtag": self.hashtag,
            "hashtags": self.hashtags,
        }


@dataclass(frozen=True)
class Programme:
    """Everything the domain needs to know about how this company runs its programme."""

    name: str
    hashtag: str | None
    topics: tuple[Topic, ...]
    networks: tuple[Network, ...]
    timezone: ZoneInfo
    default_locale: str
    points: PointsRules
    curators: Mapping[Platform, frozenset[str]]
    guidelines: Guidelines
    leaderboard_size: int = 10
    limits: ContentLimits = field(default_factory=ContentLimits)
    disclosure: str | None = None  # e.g. "#ad": always present in share texts, like the hashtag
    blocked_keywords: tuple[str, ...] = ()  # refused in content (whole words or phrases)
    badges: frozenset[str] = frozenset(BADGE_IDS)  # badges that can be earned (config toggles)
    departments: tuple[Topic, ...] = ()  # teams / departments for boards (id + labels)

    @property
    def required_tags(self) -> tuple[str, ...]:
        """What every share text carries and no cut removes: the hashtag, the disclosure."""
        return tuple(t for t in (self.hashtag, self.disclosure) if t)

    def is_curator(self, user: PlatformUser) -> bool:
        """Whether config.yaml lists this person as a curator (config only: features ask
        ``RoleService.is_curator``, which also knows admins, groups and grants)."""
        return user.user_id in self.curators.get(user.platform, frozenset())

    def topic(self, topic_id: str) -> Topic | None:
        """Find a topic by id, case-insensitively."""
        wanted = topic_id.strip().lower()
        return next((t for t in self.topics if t.id.lower() == wanted), None)

    def department(self, department_id: str) -> Topic | None:
        """Find a team or department by id, case-insensitively."""
        wanted = department_id.strip().lower()
        return next((d for d in self.departments if d.id.lower() == wanted), None)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        """Every topic id, in configured order."""
        return tuple(t.id for t in self.topics)

    def locale_for(self, platform_locale: str | None) -> str:
        """Pick a supported locale from a platform locale such as ``fr-FR``."""
        if platform_locale:
            short = platform_locale.replace("_", "-").split("-")[0].lower()
            if short in SUPPORTED_LOCALES:
                return short
        return self.default_locale
