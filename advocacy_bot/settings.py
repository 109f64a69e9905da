"""Settings: secrets from the environment, behaviour from config.yaml. Loaded once, in
``main``, validated with errors a person can act on, then passed down."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.digest import DigestSettings
from bot.limiter import RateLimit
from bot.model import Badge, EmvRates, Network, Platform, Role
from bot.programme import (
    SUPPORTED_LOCALES,
    ContentLimits,
    Guidelines,
    PointsRules,
    Programme,
    Topic,
)
from bot.recap import RecapSettings
from bot.roles import RolesConfig
from bot.sender import SenderSettings
from bot.suggestions import FeedSettings, FeedSource, ReviewSettings

logger = logging.getLogger(__name__)

TopicId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


class Environment(BaseSettings):
    """Secrets and deployment settings, only ever from the environment."""

    # hide_input_in_errors: a rejected secret must never be echoed into logs or the terminal.
    model_config = SettingsConfigDict(
        extra="ignore", case_sensitive=True, hide_input_in_errors=True
    )

    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"
    DATABASE_URL: str = "sqlite+aiosqlite:///./advocacy.db"
    ADVOCACY_CONFIG: Path = Path("config.yaml")
    ADVOCACY_PUBLIC_URL: str = "http://localhost:3000"
    PORT: int = Field(default=3000, ge=1, le=65535)
    HOST: str = "0.0.0.0"  # noqa: S104 - a server in a container listens on every interface
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: Literal["json", "console"] = "json"
    # Teams (Bot Framework). None set: anonymous local mode (Agents Playground), local only.
    MICROSOFT_APP_ID: str | None = None
    MICROSOFT_APP_PASSWORD: SecretStr | None = None
    MICROSOFT_APP_TENANT_ID: str | None = None
    MICROSOFT_APP_TYPE: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "MultiTenant"
    MICROSOFT_OPENID_METADATA_URL: str | None = None  # another cloud's token signing keys
    TEAMS_ENABLED: bool = True  # serve /api/messages (set false on a Slack-only deployment)
    # Microsoft Graph (Teams roles from Entra groups): another cloud's, or a local fake's.
    MICROSOFT_GRAPH_URL: str = "https://graph.microsoft.com"
    MICROSOFT_LOGIN_URL: str = "https://login.microsoftonline.com"
    # The app registration that reads the groups; default: the bot's (MICROSOFT_APP_*).
    MICROSOFT_GRAPH_CLIENT_ID: str | None = None
    MICROSOFT_GRAPH_CLIENT_SECRET: SecretStr | None = None
    # Signs download links (my-data); unset: a random secret per process (see README).
    ADVOCACY_LINK_SECRET: SecretStr | None = None
    # Salts visitor keys of tracked links (unique visitors); unset: random per process.
    ADVOCACY_VISITOR_SALT: SecretStr | None = None

    @field_validator("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    @classmethod
    def _token_kind(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix = "xoxb-" if info.field_name == "SLACK_BOT_TOKEN" else "xapp-"
        if value is not None and not value.get_secret_value().startswith(prefix):
            # Say which kind is expected, never echo the value.
            raise ValueError(f"must be a token starting with {prefix}")
        return value

    @field_validator("ADVOCACY_LINK_SECRET", "ADVOCACY_VISITOR_SALT")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("SLACK_API_URL")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("ADVOCACY_PUBLIC_URL")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _teams_credentials(self) -> Environment:
        if self.MICROSOFT_APP_PASSWORD is not None and not self.MICROSOFT_APP_ID:
            raise ValueError("MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is not")
        if self.MICROSOFT_APP_TYPE == "SingleTenant" and not self.MICROSOFT_APP_TENANT_ID:
            raise ValueError("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID")
        return self

    def slack_http_ready(self) -> bool:
        """Whether Slack can be served over HTTP (Events API, commands, interactivity)."""
        return bool(self.SLACK_BOT_TOKEN and self.SLACK_SIGNING_SECRET)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgrammeSection(_Strict):
    name: str = "Ambassadors"
    hashtag: str | None = None
    timezone: str = "UTC"
    default_language: Literal["en", "fr"] = "en"
    disclosure: str | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
            ) from error
        return value

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value if value.startswith("#") else f"#{value}"


class ContentSection(_Strict):
    """What curators may post: how many share texts, and the words refused in content."""

    max_texts: int = Field(default=6, ge=1, le=10)  # text blocks in the post forms
    blocked_keywords: list[str] = []  # whole words or phrases, any case

    @field_validator("blocked_keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(k.split()) for k in value]
        if any(not k for k in cleaned):
            raise ValueError("blocked_keywords: an empty keyword would block everything")
        return cleaned


class GuidelinesSection(_Strict):
    file: Path = Path("guidelines.md")
    version: str | None = None  # default: derived from the file's content


class TopicSection(_Strict):
    id: TopicId
    label: str
    label_fr: str | None = None


class StreakBonusSection(_Strict):
    """``points.streak_bonus``: points once per streak when it reaches ``weeks`` weeks."""

    weeks: int = Field(default=4, ge=2, le=52)
    points: int = Field(default=25, ge=0, le=10_000)


class PointsSection(_Strict):
    share_click: int | dict[str, int] = 5
    confirmed_share: int = Field(default=10, ge=0)
    reaction: int = Field(default=1, ge=0)
    approved_suggestion: int = Field(default=20, ge=0)
    link_click: int = Field(default=0, ge=0, le=1_000)  # per real visit to your tracked links
    link_click_daily_cap: int = Field(default=0, ge=0)  # points a local day from clicks; 0: none
    streak_bonus: StreakBonusSection | None = None  # {weeks: 4, points: 25}
    badges: dict[Badge, bool] = Field(default_factory=dict)  # e.g. {top_3_week: false}

    @model_validator(mode="after")
    def _cap_fits(self) -> PointsSection:
        if self.link_click_daily_cap and self.link_click_daily_cap < self.link_click:
            raise ValueError(
                "link_click_daily_cap is in points a day: it must be 0 (no cap) or at least "
                f"link_click ({self.link_click})"
            )
        return self

    @field_validator("share_click")
    @classmethod
    def _networks(cls, value: int | dict[str, int]) -> int | dict[str, int]:
        if isinstance(value, dict):
            unknown = set(value) - {"default", *Network}
            if unknown:
                raise ValueError(
                    f"unknown networks {sorted(unknown)}; known: {[n.value for n in Network]}"
                )
            if any(v < 0 for v in value.values()):
                raise ValueError("points cannot be negative")
        elif value < 0:
            raise ValueError("points cannot be negative")
        return value


class LeaderboardSection(_Strict):
    day: Weekday = "mon"
    hour: int = Field(default=9, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    timezone: str | None = None  # default: the programme's
    size: int = Field(default=10, ge=1, le=40)
    week: Literal["previous", "current"] = "previous"
    channels: dict[Platform, list[str]] = Field(default_factory=dict)


class RecapSection(_Strict):
    """The personal weekly recap DM (opt-in, ``recap on``): when and how fast it goes out."""

    # Local time (programme time zone) on the Monday after the week, from which recaps go out.
    send_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    batch: int = Field(default=100, ge=1, le=5_000)  # recaps sent at most per run (a minute)


class CuratorsSection(_Strict):
    slack: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)


SlackGroupId = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9]{2,30}$")]
EntraId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
]


class SlackUsergroupsSection(_Strict):
    """Slack user groups (ids ``S...``) whose members hold a role."""

    admins: SlackGroupId | None = None
    curators: SlackGroupId | None = None


class TeamsGroupsSection(_Strict):
    """Microsoft Entra (Azure AD) groups, by object id, whose members (nested groups
    included) hold a role; read with Microsoft Graph."""

    admins: EntraId | None = None
    curators: EntraId | None = None
    tenant: str | None = None  # the groups' tenant; default MICROSOFT_APP_TENANT_ID


class RolesSection(_Strict):
    """Who is an admin or a curator, besides those admins add by command."""

    admins: CuratorsSection = CuratorsSection()
    curators: CuratorsSection = CuratorsSection()
    slack_usergroups: SlackUsergroupsSection = SlackUsergroupsSection()
    teams_aad_groups: TeamsGroupsSection = TeamsGroupsSection()
    group_cache_seconds: int = Field(default=300, ge=30, le=86_400)


class TeamsSection(_Strict):
    """Microsoft Teams."""

    # Tenants (directory ids) whose people may use the bot; empty: any tenant that can reach
    # it (the Bot Framework token already proves the request comes from Teams).
    allowed_tenants: list[str] = Field(default_factory=list)


class ReviewSection(_Strict):
    """Suggestions: where curators review them, trust, expiry."""

    channels: dict[Platform, str] = Field(default_factory=dict)  # review channel per platform
    auto_approve_after: int = Field(default=3, ge=0, le=1000)  # approvals to be trusted; 0: never
    expire_after_days: int = Field(default=14, ge=1, le=365)


class FeedEntry(_Strict):
    """An RSS / Atom feed whose new items become suggestions to review."""

    url: str = Field(max_length=2000)
    name: str = Field(min_length=1, max_length=100)
    topics: list[TopicId] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class RetentionDaysSection(_Strict):
    """Days raw events are kept before the daily retention job deletes them (null: for ever)."""

    link_visits: int | None = Field(default=395, ge=1)
    reaction_events: int | None = Field(default=395, ge=1)
    job_runs: int | None = Field(default=30, ge=1)


class PrivacySection(_Strict):
    """my-data, forget-me and the retention of raw events."""

    retention_days: RetentionDaysSection = RetentionDaysSection()


class WebSection(_Strict):
    """The public HTTP server: tracked links (``/r/<token>``)."""

    # Reverse proxies / load balancers whose X-Forwarded-For is believed (addresses or
    # networks, e.g. 10.0.0.0/8). Empty: the visitor is the connecting address.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    # How long a token lookup is cached; a content expired by a curator may still redirect
    # for this long.
    link_cache_seconds: int = Field(default=60, ge=0, le=3600)


class RateSection(_Strict):
    rate: float = Field(gt=0, le=1000)  # sends per second, workspace-wide
    burst: int = Field(ge=1, le=10_000)


class DeliverySection(_Strict):
    """The sender: pace per platform, concurrency and retries."""

    slack: RateSection = RateSection(rate=4, burst=8)
    teams: RateSection = RateSection(rate=25, burst=50)
    in_flight: int = Field(default=5, ge=1, le=100)
    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_base_seconds: float = Field(default=2.0, gt=0, le=600)
    backoff_max_seconds: float = Field(default=600.0, gt=0, le=86_400)
    lease_seconds: int = Field(default=30, ge=2, le=600)
    claim_lock_seconds: int = Field(default=90, ge=5, le=3600)


class DatabaseSection(_Strict):
    """The connection pool (PostgreSQL; SQLite uses one file and ignores these)."""

    pool_size: int = Field(default=20, ge=1, le=200)  # kept open: the sender's prepared rows
    max_overflow: int = Field(default=10, ge=0, le=200)  # opened on peaks, closed after
    pre_ping: bool = False  # a round trip per checkout; a dead connection fails once anyway


class FetchSection(_Strict):
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    max_bytes: int = Field(default=1_000_000, ge=10_000, le=10_000_000)


_Rate = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=12, decimal_places=4)]


class DigestSection(_Strict):
    """The weekly digest (posted in ``leaderboard.channels``): which sections it carries."""

    new_content: int = Field(default=8, ge=0, le=20)  # newest content of the week (0: none)
    top_content: int = Field(default=5, ge=0, le=10)  # most shared of the week (0: none)
    figures: bool = True  # the programme's figures of the week, against the week before
    chart_weeks: int = Field(default=8, ge=0, le=26)  # weeks in the chart (0: no chart)


class EmvSection(_Strict):
    """Earned media value: CPC, CPM and impressions per share, per network plus ``default``."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    cpc: dict[str, _Rate] = Field(
        default_factory=lambda: {
            "linkedin": Decimal("5.0"),
            "x": Decimal("1.5"),
            "default": Decimal("1.0"),
        }
    )
    cpm: dict[str, _Rate] = Field(
        default_factory=lambda: {"linkedin": Decimal("30.0"), "default": Decimal(0)}
    )
    impressions_per_share: dict[str, Annotated[int, Field(ge=0, le=10_000_000)]] = Field(
        default_factory=lambda: {"linkedin": 800, "default": 300}
    )

    @model_validator(mode="after")
    def _known_networks(self) -> EmvSection:
        known = {n.value for n in Network} | {"default"}
        for table in (self.cpc, self.cpm, self.impressions_per_share):
            unknown = sorted(set(table) - known)
            if unknown:
                raise ValueError(f"emv: unknown network(s) {', '.join(unknown)}")
        return self


class Config(_Strict):
    """config.yaml."""

    programme: ProgrammeSection = ProgrammeSection()
    guidelines: GuidelinesSection = GuidelinesSection()
    topics: list[TopicSection]
    networks: list[Network] = [Network.LINKEDIN, Network.X, Network.FACEBOOK, Network.BLUESKY]
    curators: CuratorsSection = CuratorsSection()  # deprecated: roles.curators
    points: PointsSection = PointsSection()
    leaderboard: LeaderboardSection = LeaderboardSection()
    departments: list[TopicSection] = Field(default_factory=list)  # teams for boards
    fetch: FetchSection = FetchSection()
    delivery: DeliverySection = DeliverySection()
    database: DatabaseSection = DatabaseSection()
    teams: TeamsSection = TeamsSection()
    roles: RolesSection = RolesSection()
    review: ReviewSection = ReviewSection()
    feeds: list[FeedEntry] = Field(default_factory=list)
    feeds_poll_minutes: int = Field(default=30, ge=5, le=1440)
    feeds_first_poll_days: int = Field(default=7, ge=0, le=365)
    feeds_first_poll_max: int = Field(default=3, ge=0, le=50)

    @model_validator(mode="after")
    def _feeds_known(self) -> Config:
        known = {t.id for t in self.topics}
        for feed in self.feeds:
            unknown = sorted(set(feed.topics) - known)
            if unknown:
                raise ValueError(f"feeds: {feed.name!r} names unknown topics {unknown}")
        urls = [f.url for f in self.feeds]
        if len(urls) != len(set(urls)):
            raise ValueError("feeds: a feed URL is listed twice")
        return self

    content: ContentSection = ContentSection()
    privacy: PrivacySection = PrivacySection()
    web: WebSection = WebSection()
    emv: EmvSection = EmvSection()  # curators' stats: the earned-media-value estimate
    digest: DigestSection = DigestSection()  # the weekly digest's sections
    recap: RecapSection = RecapSection()  # the personal weekly recap DM

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if not self.topics:
            raise ValueError("topics: list at least one topic")
        ids = [t.id for t in self.topics]
        if len(ids) != len(set(ids)):
            raise ValueError(f"topics: duplicate ids in {ids}")
        departments = [d.id.lower() for d in self.departments]
        if len(departments) != len(set(departments)):
            raise ValueError(f"departments: duplicate ids in {departments}")
        if not self.networks:
            raise ValueError("networks: list at least one network")
        return self


def load_config(path: Path) -> Config:
    """Read and validate config.yaml.

    Raises:
        ConfigError: with one line per problem, naming the field.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(
            f"{path}: not found (set ADVOCACY_CONFIG to the path of "
            "your config.yaml; the repository ships one to start from)"
        ) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return Config.model_validate(raw)
    except ValidationError as error:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        ]
        raise ConfigError(f"{path}: invalid configuration\n" + "\n".join(lines)) from error


def load_guidelines(config: Config, config_path: Path) -> Guidelines:
    """Read the guidelines file (relative paths are relative to config.yaml)."""
    path = config.guidelines.file
    if not path.is_absolute():
        path = config_path.parent / path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError(f"guidelines.file: {path} not found") from error
    if not text.strip():
        raise ConfigError(f"guidelines.file: {path} is empty")
    version = config.guidelines.version or hashlib.sha256(text.encode()).hexdigest()[:12]
    return Guidelines(markdown=text, version=version)


def build_sender_settings(config: Config) -> SenderSettings:
    """The sender's pace and retries from config.yaml."""
    section = config.delivery
    return SenderSettings(
        limits={
            Platform.SLACK: RateLimit(section.slack.rate, section.slack.burst),
            Platform.TEAMS: RateLimit(section.teams.rate, section.teams.burst),
        },
        in_flight=section.in_flight,
        max_attempts=section.max_attempts,
        backoff_base=section.backoff_base_seconds,
        backoff_max=section.backoff_max_seconds,
        lease_ttl=timedelta(seconds=section.lease_seconds),
        lock_for=timedelta(seconds=section.claim_lock_seconds),
    )


def build_recap_settings(config: Config) -> RecapSettings:
    """When and how fast the personal weekly recaps go out, from config.yaml."""
    hour, minute = config.recap.send_at.split(":")
    return RecapSettings(send_at=time(int(hour), int(minute)), batch=config.recap.batch)


def build_review_settings(config: Config) -> ReviewSettings:
    """Where suggestions are reviewed, and when people are trusted, from config.yaml."""
    section = config.review
    return ReviewSettings(
        channels={p: c for p, c in section.channels.items() if c},
        auto_approve_after=section.auto_approve_after,
        expire_after=timedelta(days=section.expire_after_days),
    )


def build_feed_settings(config: Config) -> FeedSettings:
    """The feeds to poll, from config.yaml."""
    return FeedSettings(
        feeds=tuple(FeedSource(f.url, f.name, tuple(f.topics)) for f in config.feeds),
        first_poll_days=config.feeds_first_poll_days,
        first_poll_max=config.feeds_first_poll_max,
    )


def build_programme(config: Config, guidelines: Guidelines) -> Programme:
    """The domain's view of the configuration."""
    share = config.points.share_click
    if isinstance(share, int):
        rules = PointsRules(
            share_click_default=share,
            confirmed_share=config.points.confirmed_share,
            reaction=config.points.reaction,
            approved_suggestion=config.points.approved_suggestion,
        )
    else:
        rules = PointsRules(
            share_click_default=share.get("default", 5),
            share_click={Network(k): v for k, v in share.items() if k != "default"},
            confirmed_share=config.points.confirmed_share,
            reaction=config.points.reaction,
            approved_suggestion=config.points.approved_suggestion,
        )
    bonus = config.points.streak_bonus
    rules = replace(
        rules,
        link_click=config.points.link_click,
        link_click_daily_cap=config.points.link_click_daily_cap,
        streak_bonus_weeks=bonus.weeks if bonus else 4,
        streak_bonus=bonus.points if bonus else 0,
    )
    language = config.programme.default_language
    assert language in SUPPORTED_LOCALES  # noqa: S101 - guaranteed by the Literal
    return Programme(
        name=config.programme.name,
        hashtag=config.programme.hashtag,
        topics=tuple(
            Topic(t.id, {"en": t.label, "fr": t.label_fr or t.label}) for t in config.topics
        ),
        networks=tuple(dict.fromkeys(config.networks)),
        timezone=ZoneInfo(config.programme.timezone),
        default_locale=language,
        points=rules,
        curators=configured_curators(config),
        guidelines=guidelines,
        leaderboard_size=config.leaderboard.size,
        limits=ContentLimits(texts=config.content.max_texts),
        disclosure=config.programme.disclosure,
        blocked_keywords=tuple(config.content.blocked_keywords),
        badges=frozenset(b.value for b in Badge if config.points.badges.get(b, True)),
        departments=tuple(
            Topic(d.id, {"en": d.label, "fr": d.label_fr or d.label}) for d in config.departments
        ),
    )


def configured_curators(config: Config) -> dict[Platform, frozenset[str]]:
    """``roles.curators`` and the deprecated top-level ``curators:`` together."""
    old, new = config.curators, config.roles.curators
    return {
        Platform.SLACK: frozenset(old.slack) | frozenset(new.slack),
        Platform.TEAMS: frozenset(old.teams) | frozenset(new.teams),
    }


def build_roles_config(config: Config, env: Environment) -> RolesConfig:
    """The role sources of config.yaml, for ``RoleService``.

    Raises:
        ConfigError: Entra groups without the app credentials or tenant to read them.
    """
    roles = config.roles
    if config.curators.slack or config.curators.teams:
        logger.warning(
            "config.yaml: the top-level 'curators:' is deprecated; "
            "move its lists under 'roles: {curators: ...}' (both are read for now)"
        )
    slack_groups = {
        role: group
        for role, group in (
            (Role.ADMIN, roles.slack_usergroups.admins),
            (Role.CURATOR, roles.slack_usergroups.curators),
        )
        if group
    }
    teams_groups = {
        role: group
        for role, group in (
            (Role.ADMIN, roles.teams_aad_groups.admins),
            (Role.CURATOR, roles.teams_aad_groups.curators),
        )
        if group
    }
    workspace: dict[Platform, str] = {}
    if teams_groups:
        tenant = roles.teams_aad_groups.tenant or env.MICROSOFT_APP_TENANT_ID
        if not tenant:
            raise ConfigError(
                "roles.teams_aad_groups: set its tenant (or MICROSOFT_APP_TENANT_ID): "
                "Microsoft Graph reads the groups of one directory"
            )
        if graph_credentials(env) is None:
            raise ConfigError(
                "roles.teams_aad_groups needs MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (or "
                "MICROSOFT_GRAPH_CLIENT_ID and MICROSOFT_GRAPH_CLIENT_SECRET): the app reads "
                "the groups with the GroupMember.Read.All application permission"
            )
        workspace[Platform.TEAMS] = tenant
    return RolesConfig(
        admins={
            Platform.SLACK: frozenset(roles.admins.slack),
            Platform.TEAMS: frozenset(roles.admins.teams),
        },
        curators=configured_curators(config),
        groups={Platform.SLACK: slack_groups, Platform.TEAMS: teams_groups},
        group_workspace=workspace,
        group_ttl=timedelta(seconds=roles.group_cache_seconds),
    )


def graph_credentials(env: Environment) -> tuple[str, str] | None:
    """The app id and secret Microsoft Graph is read with: ``MICROSOFT_GRAPH_CLIENT_*`` when
    set, else the bot's own ``MICROSOFT_APP_*``; None when neither pair is complete."""
    if env.MICROSOFT_GRAPH_CLIENT_ID and env.MICROSOFT_GRAPH_CLIENT_SECRET:
        return env.MICROSOFT_GRAPH_CLIENT_ID, env.MICROSOFT_GRAPH_CLIENT_SECRET.get_secret_value()
    if env.MICROSOFT_APP_ID and env.MICROSOFT_APP_PASSWORD:
        return env.MICROSOFT_APP_ID, env.MICROSOFT_APP_PASSWORD.get_secret_value()
    return None


def build_digest_settings(config: Config) -> DigestSettings:
    """The weekly digest's sections from ``digest:``."""
    d = config.digest
    return DigestSettings(
        new_content=d.new_content,
        top_content=d.top_content,
        figures=d.figures,
        chart_weeks=d.chart_weeks,
    )


def build_emv_rates(config: Config) -> EmvRates:
    """The domain's EMV inputs from ``emv:``."""
    emv = config.emv
    return EmvRates(
        currency=emv.currency,
        cpc=dict(emv.cpc),
        cpm=dict(emv.cpm),
        impressions_per_share=dict(emv.impressions_per_share),
    )
