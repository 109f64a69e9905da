"""The domain's use cases, and the one function that wires them over a set of ports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ambassadors import AmbassadorService, guidelines_view
from bot.delivery import DeliveryService
from bot.digest import DigestComposer
from bot.interactions import InteractionService
from bot.leaderboard import LeaderboardService
from bot.limiter import Monotonic, Sleep
from bot.links import LinkService, VisitorKeys
from bot.model import Platform
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    AuditLog,
    BoardRepository,
    BotMessageLog,
    ChatGateway,
    Clock,
    ContentRepository,
    DeliveryQueue,
    DeliveryRepository,
    DeliveryTexts,
    GroupDirectory,
    JobRunLedger,
    LinkVisitLog,
    Notifier,
    PageMetadataFetcher,
    PersonalData,
    PersonLookup,
    PreferencesRepository,
    RecapRepository,
    Recognition,
    RoleGrants,
    SenderObserver,
)
from bot.preferences import PreferencesService
from bot.privacy import PrivacyService
from bot.programme import Programme
from bot.publishing import PublishingService
from bot.recap import RecapService, RecapSettings
from bot.recognition import RecognitionService
from bot.roles import AdminService, AuditTrail, RolesConfig, RoleService
from bot.sender import Sender, SenderSettings
from bot.signing import LinkSigner, random_secret
from bot.texts import TextEditService


class StorePorts(Protocol):
    """Every repository port, as one store (SQL in production, in memory in tests) offers."""

    @property
    def ambassadors(self) -> AmbassadorRepository: ...
    @property
    def contents(self) -> ContentRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def ledger(self) -> ActivityLedger: ...
    @property
    def bot_messages(self) -> BotMessageLog: ...
    @property
    def jobs(self) -> JobRunLedger: ...
    @property
    def queue(self) -> DeliveryQueue: ...
    @property
    def preferences(self) -> PreferencesRepository: ...
    @property
    def grants(self) -> RoleGrants: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def people(self) -> PersonLookup: ...

    @property
    def delivery_texts(self) -> DeliveryTexts: ...
    @property
    def recognition(self) -> Recognition: ...

    @property
    def boards(self) -> BoardRepository: ...
    @property
    def recaps(self) -> RecapRepository: ...


@dataclass(frozen=True)
class Services:
    """Everything a platform adapter may call."""

    programme: Programme
    clock: Clock
    ambassadors: AmbassadorService
    publishing: PublishingService
    delivery: DeliveryService
    sender: Sender
    interactions: InteractionService
    leaderboard: LeaderboardService
    preferences: PreferencesService
    roles: RoleService  # is_curator / require_curator: every feature's rights check
    audit: AuditTrail  # record(actor, AuditAction...): every curator and admin action
    admin: AdminService
    texts: TextEditService
    privacy: PrivacyService | None = None  # my-data / forget-me (wired with a PersonalData)
    recognition: RecognitionService | None = None  # link-click points, streaks, badges
    links: LinkService | None = None  # /r/<token> and link stats (wired with a LinkVisitLog)
    recaps: RecapService | None = None  # the personal weekly recap DM (opt-in)


def wire_services(
    *,
    store: StorePorts,
    gateways: Mapping[Platform, ChatGateway],
    programme: Programme,
    clock: Clock,
    fetcher: PageMetadataFetcher,
    public_url: str,
    leaderboard_channels: Mapping[Platform, Sequence[str]],
    holder: str,
    report_previous_week: bool = True,
    sender_settings: SenderSettings | None = None,
    sleep: Sleep = asyncio.sleep,
    monotonic: Monotonic = time.monotonic,
    observer: SenderObserver | None = None,
    busy: Callable[[], bool] = lambda: False,
    roles_config: RolesConfig | None = None,
    group_directories: Mapping[Platform, GroupDirectory] | None = None,
    personal_data: PersonalData | None = None,
    link_signer: LinkSigner | None = None,
    notifiers: Mapping[Platform, Notifier] | None = None,
    link_visits: LinkVisitLog | None = None,
    visitor_keys: VisitorKeys | None = None,
    link_cache_seconds: float = 60.0,
    digest: DigestComposer | None = None,
    recap_settings: RecapSettings | None = None,
) -> Services:
    """Build every use case over the given ports (the composition root and the tests)."""
    recognition = RecognitionService(
        store=store.recognition,
        ledger=store.ledger,
        ambassadors=store.ambassadors,
        notifiers=notifiers or {},
        programme=programme,
        clock=clock,
    )
    roles = RoleService(
        config=roles_config or RolesConfig.from_programme(programme),
        grants=store.grants,
        ambassadors=store.ambassadors,
        directories=group_directories or {},
        clock=clock,
    )
    audit = AuditTrail(log=store.audit, ambassadors=store.ambassadors, clock=clock, roles=roles)
    delivery = DeliveryService(
        deliveries=store.deliveries,
        ledger=store.ledger,
        programme=programme,
        public_url=public_url,
    )
    sender = Sender(
        queue=store.queue,
        ambassadors=store.ambassadors,
        contents=store.contents,
        delivery=delivery,
        gateways=gateways,
        settings=sender_settings or SenderSettings(),
        clock=clock,
        holder=holder,
        sleep=sleep,
        monotonic=monotonic,
        observer=observer,
        busy=busy,
        guidelines=lambda ambassador: guidelines_view(
            programme, ambassador, locale=None, changed=True
        ),
        guidelines_version=programme.guidelines.version,
    )
    ambassadors = AmbassadorService(
        ambassadors=store.ambassadors,
        ledger=store.ledger,
        programme=programme,
        clock=clock,
        queue=store.queue,
        roles=roles,
        recognition=recognition,
    )
    interactions = InteractionService(
        deliveries=store.deliveries,
        ambassadors=store.ambassadors,
        contents=store.contents,
        ledger=store.ledger,
        bot_messages=store.bot_messages,
        delivery_service=delivery,
        gateways=gateways,
        programme=programme,
        clock=clock,
        busy=busy,
        on_share=recognition.after_share,
    )
    leaderboard = LeaderboardService(
        ledger=store.ledger,
        ambassadors=store.ambassadors,
        bot_messages=store.bot_messages,
        jobs=store.jobs,
        gateways=gateways,
        channels=leaderboard_channels,
        programme=programme,
        clock=clock,
        report_previous_week=report_previous_week,
        recognition=recognition,
        boards=store.boards,
        digest=digest,
    )
    recaps = RecapService(
        recaps=store.recaps,
        ambassadors=store.ambassadors,
        preferences=store.preferences,
        ledger=store.ledger,
        gateways=gateways,
        programme=programme,
        clock=clock,
        holder=holder,
        boards=store.boards,
        recognition=store.recognition,
        bucket=sender.bucket,
        settings=recap_settings,
    )
    return Services(
        programme=programme,
        clock=clock,
        ambassadors=ambassadors,
        publishing=PublishingService(
            contents=store.contents,
            fetcher=fetcher,
            programme=programme,
            clock=clock,
            roles=roles,
            audit=audit,
        ),
        delivery=delivery,
        sender=sender,
        interactions=interactions,
        leaderboard=leaderboard,
        preferences=PreferencesService(
            ambassadors=store.ambassadors,
            preferences=store.preferences,
            contents=store.contents,
            enrolment=ambassadors,
            delivery=delivery,
            programme=programme,
            clock=clock,
            leaderboard=leaderboard,
        ),
        roles=roles,
        audit=audit,
        admin=AdminService(
            roles=roles,
            grants=store.grants,
            audit_log=store.audit,
            audit=audit,
            people=store.people,
            ambassadors=store.ambassadors,
            timezone=programme.timezone,
            clock=clock,
        ),
        texts=TextEditService(
            deliveries=store.deliveries,
            delivery_texts=store.delivery_texts,
            ambassadors=store.ambassadors,
            contents=store.contents,
            programme=programme,
            redraw=interactions.redraw,
        ),
        privacy=None
        if personal_data is None
        else PrivacyService(
            data=personal_data,
            ambassadors=store.ambassadors,
            programme=programme,
            clock=clock,
            signer=link_signer or LinkSigner(random_secret()),
            public_url=public_url,
        ),
        recognition=recognition,
        links=None
        if link_visits is None
        else LinkService(
            visits=link_visits,
            keys=visitor_keys or VisitorKeys(None),
            clock=clock,
            cache_seconds=link_cache_seconds,
        ),
        recaps=recaps,
    )
