"""Fixtures of the domain tests: the programme, a fixed clock, the in-memory ports, a fake chat
gateway and page fetcher, and the services wired as ``advocacy_bot/main.py`` wires them."""

from __future__ import annotations

import pytest

from bot.clock import FixedClock
from bot.model import Platform
from bot.programme import Programme
from bot.services import Services
from tests.bot.builders import (
    NOW,
    RecordingFetcher,
    RecordingSleep,
    World,
    make_programme,
    wire_domain,
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
    return wire_domain(ports, {Platform.SLACK: gateway}, programme, clock, sleep, fetcher=fetcher)


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
