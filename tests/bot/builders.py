"""Builders and small doubles shared by the domain tests (fixtures live in ``conftest.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.content import RawPost
from bot.digest import DigestComposer
from bot.jobs import ScheduledWork
from bot.leaderboard import LeaderboardService
from bot.model import (
    Ambassador,
    Audience,
    Content,
    ContentId,
    ContentStatus,
    Delivery,
    Network,
    PageMetadata,
    Platform,
    PlatformUser,
    UserProfile,
)
from bot.ports import ChatGateway
from bot.programme import Guidelines, PointsRules, Programme, Topic
from bot.publishing import SubmitOutcome
from bot.sender import Sender, SenderSettings
from bot.services import Services, wire_services
from bot.views import SuggestionView
from tests.bot.fakes import FakeChatGateway, MemoryPorts

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday, ISO week 2026-W47
PUBLIC_URL = "https://go.example.com"
CONTENT_URL = "https://example.com/blog/launch"
GUIDELINES_VERSION = "v1"
PROGRAMME_HASHTAG = "#AcmeAmbassadors"
CHANNELS = ("CANNOUNCE", "CGENERAL")
CURATOR = PlatformUser(Platform.SLACK, "T1", "UCURATOR")

TOPICS = (
    Topic("engineering", {"en": "Engineering", "fr": "Ingénierie"}),
    Topic("careers", {"en": "Careers", "fr": "Carrières"}),
    Topic("events", {"en": "Events"}),  # no French label: falls back to English
)
NETWORKS = (Network.LINKEDIN, Network.X, Network.FACEBOOK, Network.BLUESKY)
POINTS = PointsRules(
    share_click_default=5,
    share_click={Network.LINKEDIN: 8},
    confirmed_share=10,
    reaction=1,
)
LINKEDIN_POINTS = 8
DEFAULT_CLICK_POINTS = 5
CONFIRM_POINTS = 10


def make_programme(**overrides: object) -> Programme:
    """The test programme: three topics (one without a French label), four networks, one
    curator, a per-network points override and guidelines ``v1``."""
    values: dict[str, Any] = {  # each field has its own type: Programme checks them
        "name": "Acme Ambassadors",
        "hashtag": PROGRAMME_HASHTAG,
        "topics": TOPICS,
        "networks": NETWORKS,
        "timezone": ZoneInfo("Europe/Paris"),
        "default_locale": "en",
        "points": POINTS,
        "curators": {Platform.SLACK: frozenset({CURATOR.user_id})},
        "guidelines": Guidelines("# Be kind\nThink before you post.", GUIDELINES_VERSION),
        "leaderboard_size": 10,
    }
    values.update(overrides)
    return Programme(**values)


def person(n: int, platform: Platform = Platform.SLACK) -> PlatformUser:
    """The n-th test person's identity."""
    return PlatformUser(platform, "T1", f"U{n:04d}")


def make_content(
    *,
    content_id: int = 7,
    url: str = CONTENT_URL,
    title: str = "Our launch",
    texts: tuple[str, ...] = (),
    hashtags: tuple[str, ...] = (),
) -> Content:
    """A stored, published piece of content, built directly."""
    return Content(
        id=ContentId(content_id),
        url=url,
        title=title,
        summary="",
        image_url=None,
        topics=("engineering",),
        texts=texts,
        hashtags=hashtags,
        audience=Audience.INTERESTED,
        status=ContentStatus.PUBLISHED,
        created_by=CURATOR,
        created_at=NOW,
    )


def tracked_tokens(url: str) -> list[str]:
    """Tokens of the tracked links (``<PUBLIC_URL>/r/<token>``) inside an intent URL."""
    return re.findall(rf"{re.escape(PUBLIC_URL)}/r/([A-Za-z0-9_-]+)", unquote(url))


@dataclass
class RecordingFetcher:
    """A ``PageMetadataFetcher`` that answers with ``page`` and records what it was asked."""

    page: PageMetadata = field(default_factory=PageMetadata)
    urls: list[str] = field(default_factory=list)

    async def fetch(self, url: str) -> PageMetadata:
        self.urls.append(url)
        return self.page


@dataclass
class RecordingSleep:
    """Stands in for ``asyncio.sleep`` and the monotonic clock: records each wait and moves
    its own time forward instead of waiting."""

    waits: list[float] = field(default_factory=list)
    now: float = 1_000.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def wire_domain(
    ports: MemoryPorts,
    gateways: dict[Platform, ChatGateway],
    programme: Programme,
    clock: FixedClock,
    sleep: RecordingSleep,
    *,
    fetcher: RecordingFetcher | None = None,
    settings: SenderSettings | None = None,
    channels: dict[Platform, tuple[str, ...]] | None = None,
    report_previous_week: bool = True,
    busy: Callable[[], bool] = lambda: False,
    digest: DigestComposer | None = None,
) -> Services:
    """The domain as the composition root wires it (``wire_services``), over the fakes."""
    return wire_services(
        store=ports,
        gateways=gateways,
        programme=programme,
        clock=clock,
        fetcher=fetcher or RecordingFetcher(),
        public_url=PUBLIC_URL,
        leaderboard_channels=channels if channels is not None else {Platform.SLACK: CHANNELS},
        report_previous_week=report_previous_week,
        holder="test-replica",
        digest=digest,
        sender_settings=settings,
        sleep=sleep,
        monotonic=sleep.monotonic,
        busy=busy,
    )


def build_delivery(
    ports: MemoryPorts,
    gateways: dict[Platform, ChatGateway],
    programme: Programme,
    clock: FixedClock,
    sleep: RecordingSleep,
    settings: SenderSettings | None = None,
) -> Sender:
    """The sender as the composition root builds it, over the fakes."""
    return wire_domain(ports, gateways, programme, clock, sleep, settings=settings).sender


def build_leaderboard(
    ports: MemoryPorts,
    gateways: dict[Platform, ChatGateway],
    programme: Programme,
    clock: FixedClock,
    *,
    channels: dict[Platform, tuple[str, ...]] | None = None,
    report_previous_week: bool = True,
    digest: DigestComposer | None = None,
) -> LeaderboardService:
    """The leaderboard service as the composition root builds it, over the fakes."""
    return wire_domain(
        ports,
        gateways,
        programme,
        clock,
        RecordingSleep(),
        channels=channels,
        report_previous_week=report_previous_week,
        digest=digest,
    ).leaderboard


@dataclass
class World:
    """The domain wired over fakes, with shortcuts for the usual set-up steps."""

    programme: Programme
    clock: FixedClock
    ports: MemoryPorts
    gateway: FakeChatGateway
    fetcher: RecordingFetcher
    sleep: RecordingSleep
    services: Services
    woken: list[bool] = field(default_factory=list)  # wake-ups of the sender by jobs

    async def join(
        self,
        n: int,
        *,
        topics: Sequence[str] = ("engineering",),
        networks: Sequence[str] = ("linkedin", "x"),
        name: str | None = None,
        locale: str = "en",
        platform: Platform = Platform.SLACK,
    ) -> Ambassador:
        """Person ``n`` joins through the service, accepting the current guidelines."""
        service = self.services.ambassadors
        enrolment = service.validate_enrolment(
            topics=topics, networks=networks, accepted_version=GUIDELINES_VERSION
        )
        profile = UserProfile(display_name=name or f"Person{n} Doe", locale=locale)
        await service.enrol(person(n, platform), profile, enrolment)
        found = await self.ports.ambassadors.get_by_user(person(n, platform))
        assert found is not None
        return found

    async def push(
        self,
        *,
        topics: Sequence[str] = ("engineering",),
        texts: Sequence[str] = (),
        hashtags: str | None = None,
        audience: Audience = Audience.INTERESTED,
        publish_now: bool = True,
        title: str | None = "Our launch",
        summary: str | None = "What we built",
        url: str = CONTENT_URL,
        publish_at: datetime | None = None,
        expires_at: datetime | None = None,
        important: bool = False,
    ) -> SubmitOutcome:
        """The curator validates and submits a post."""
        raw = RawPost(
            url=url,
            title=title,
            summary=summary,
            topics=topics,
            texts=texts,
            hashtags=hashtags,
            audience=audience,
            publish_now=publish_now,
            publish_at=publish_at,
            expires_at=expires_at,
            important=important,
        )
        draft = await self.services.publishing.validate(CURATOR, raw)
        return await self.services.publishing.submit(CURATOR, draft)

    @property
    def gateways(self) -> dict[Platform, ChatGateway]:
        return {Platform.SLACK: self.gateway}

    def sender(self, settings: SenderSettings) -> Sender:
        """Another sender over the same ports, with its own settings."""
        return build_delivery(
            self.ports, self.gateways, self.programme, self.clock, self.sleep, settings
        )

    def work(self, remind_after: timedelta = timedelta(hours=24)) -> ScheduledWork:
        """The scheduled jobs over the same ports."""
        woken: list[bool] = self.woken
        return ScheduledWork(
            contents=self.ports.contents,
            deliveries=self.ports.deliveries,
            ambassadors=self.ports.ambassadors,
            delivery=self.services.delivery,
            gateways=self.gateways,
            clock=self.clock,
            wake_sender=lambda: woken.append(True),
            remind_after=remind_after,
        )

    def board(self, **settings: Any) -> LeaderboardService:
        """Another leaderboard service over the same ports, with other settings."""
        return build_leaderboard(self.ports, self.gateways, self.programme, self.clock, **settings)

    def deliveries(self) -> list[Delivery]:
        """Every delivery, in creation order."""
        return [d for _, d in sorted(self.ports.store.deliveries.items())]

    def delivery_of(self, ambassador: Ambassador) -> Delivery:
        """The one delivery of an ambassador."""
        (found,) = (d for d in self.deliveries() if d.ambassador_id == ambassador.id)
        return found

    def views_sent_to(self, n: int) -> list[SuggestionView]:
        """Suggestion views DMed to person ``n``."""
        return [view for user, view in self.gateway.sent if user == person(n)]

    async def suggest(self, n: int = 1, **join: Any) -> tuple[Ambassador, Delivery]:
        """Person ``n`` joins, the curator pushes an engineering post, and it is delivered."""
        ambassador = await self.join(n, **join)
        await self.push()
        await self.services.sender.drain_all()
        return ambassador, self.delivery_of(ambassador)
