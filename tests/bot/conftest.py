"""Fixtures of the domain tests: the programme, a fixed clock, the in-memory ports, a fake chat
gateway and page fetcher, and the services wired as ``advocacy_bot/main.py`` wires them."""

from __future__ import annotations

import pytest

from bot.ambassadors import AmbassadorService
from bot.clock import FixedClock
from bot.delivery import SenderPolicy
from bot.interactions import InteractionService
from bot.model import Platform
from bot.ports import ChatGateway
from bot.programme import Programme
from bot.publishing import PublishingService
from bot.services import Services
from tests.bot.builders import (
    NOW,
    RecordingFetcher,
    RecordingSleep,
    World,
    build_delivery,
    build_leaderboard,
    make_programme,
)
from tests.bot.fakes import FakeChatGateway, MemoryPorts


@pytest.fixture
def programme() -> Programme:
    return make_programme()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def ports() -> MemoryPorts:
    return MemoryPorts()


@pytest.fixture
def gateway() -> FakeChatGateway:
    return FakeChatGateway()


@pytest.fixture
def fetcher() -> RecordingFetcher:
    return RecordingFetcher()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def services(
    programme: Programme,
    clock: FixedClock,
    ports: MemoryPorts,
    gateway: FakeChatGateway,
    fetcher: RecordingFetcher,
    sleep: RecordingSleep,
) -> Services:
    gateways: dict[Platform, ChatGateway] = {Platform.SLACK: gateway}
    delivery = build_delivery(ports, gateways, programme, clock, sleep, SenderPolicy())
    return Services(
        programme=programme,
        clock=clock,
        ambassadors=AmbassadorService(
            ambassadors=ports.ambassadors, ledger=ports.ledger, programme=programme, clock=clock
        ),
        publishing=PublishingService(
            contents=ports.contents, fetcher=fetcher, programme=programme, clock=clock
        ),
        delivery=delivery,
        interactions=InteractionService(
            deliveries=ports.deliveries,
            ambassadors=ports.ambassadors,
            contents=ports.contents,
            ledger=ports.ledger,
            bot_messages=ports.bot_messages,
            delivery_service=delivery,
            gateways=gateways,
            programme=programme,
            clock=clock,
        ),
        leaderboard=build_leaderboard(ports, gateways, programme, clock),
    )


@pytest.fixture
def world(
    programme: Programme,
    clock: FixedClock,
    ports: MemoryPorts,
    gateway: FakeChatGateway,
    fetcher: RecordingFetcher,
    sleep: RecordingSleep,
    services: Services,
) -> World:
    return World(programme, clock, ports, gateway, fetcher, sleep, services)
