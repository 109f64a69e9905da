"""The real web application, wired by the composition root, driven as Teams drives it.

Activities (the JSON Teams POSTs) go to ``/api/messages``; the bot's replies, proactive sends
and card updates go to ``serviceUrl``, which points at the fake Bot Framework Connector. The
assertions read what the connector received and what the database holds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from advocacy_bot.main import Runtime, build_runtime, create_web_app
from advocacy_bot.settings import Environment
from bot.limiter import RateLimit
from bot.model import PageMetadata, Platform
from bot.sender import SenderSettings
from tests.fakes.bot_connector import FakeBotConnector, RecordedActivity, ThrottleLimits

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:advocacy-bot"
ALICE = "29:1alice-curator"  # curator
BOB = "29:1bob-ambassador"  # ambassador-to-be, French
CAROL = "29:1carol-ambassador"
CHANNEL = "19:ambassadors@thread.tacv2"
OPEN_URL = "Action.OpenUrl"  # a share button
PUBLIC_URL = "https://go.example.com"
FAST_SENDER = SenderSettings(
    limits={Platform.TEAMS: RateLimit(1_000, 1_000), Platform.SLACK: RateLimit(1_000, 1_000)},
    idle_poll=0.05,
    backoff_base=0.01,
)

CONFIG = f"""
programme: {{name: Acme Ambassadors, hashtag: "#AcmeAmbassadors", timezone: Europe/Paris}}
guidelines: {{file: guidelines.md, version: "v1"}}
topics:
  - {{id: ai, label: AI, label_fr: IA}}
  - {{id: recruiting, label: Recruiting, label_fr: Recrutement}}
networks: [linkedin, x, bluesky]
curators: {{teams: ["{ALICE}"]}}
points: {{share_click: 5, confirmed_share: 10, reaction: 1}}
leaderboard: {{day: mon, hour: 9, week: current, channels: {{teams: ["{CHANNEL}"]}}}}
content: {{blocked_keywords: [confidential]}}
"""


class RecordingFetcher:
    """Stands in for the page fetcher so tests control what pages say."""

    def __init__(self) -> None:
        self.pages: dict[str, PageMetadata] = {}

    async def fetch(self, url: str) -> PageMetadata:
        return self.pages.get(url, PageMetadata())


@dataclass
class TeamsBot:
    """The running bot, its fake connector and helpers to talk to it as Teams does."""

    client: TestClient[Any, Any]
    connector: FakeBotConnector
    runtime: Runtime
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000))

    def conversation(self, user: str) -> str:
        return self.connector.conversation_id_for(user, TENANT)

    def activity(self, user: str, name: str = "Someone", **fields: Any) -> dict[str, Any]:
        """A personal-chat activity from ``user``, the way Teams sends one."""
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"1732{next(self.ids)}",
            "timestamp": "2026-11-23T09:00:00.000Z",
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": {"id": user, "name": name, "aadObjectId": f"aad-{user[-6:]}"},
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT,
                "id": self.conversation(user),
            },
            "recipient": {"id": BOT_ID, "name": "Advocacy"},
            "locale": "en-US",
            "localTimezone": "Europe/Paris",
            "channelData": {"tenant": {"id": TENANT}},
        }
        activity.update(fields)
        return activity

    async def post(self, activity: dict[str, Any], **headers: str) -> tuple[int, str]:
        response = await self.client.post(
            "/api/messages",
            json=activity,
            headers={"Content-Type": "application/json", **headers},
        )
        return response.status, await response.text()

    async def say(self, user: str, words: str, **fields: Any) -> tuple[int, str]:
        return await self.post(self.activity(user, text=words, **fields))

    async def submit(
        self, user: str, value: dict[str, Any], reply_to: str | None = None, **fields: Any
    ) -> tuple[int, str]:
        extra: dict[str, Any] = {"value": value, **fields}
        if reply_to is not None:
            extra["replyToId"] = reply_to
        return await self.post(self.activity(user, **extra))

    async def install(self, user: str, locale: str = "en-US") -> tuple[int, str]:
        return await self.post(
            self.activity(user, type="installationUpdate", action="add", locale=locale)
        )

    def sent_to(self, user: str) -> list[RecordedActivity]:
        return self.connector.activities(self.conversation(user))

    def suggestions(self, user: str) -> list[RecordedActivity]:
        """The suggestion cards in the person's chat: the cards with share buttons."""
        return [
            a
            for a in self.sent_to(user)
            if a.attachments and any(x.get("type") == OPEN_URL for x in actions_of(card_of(a)))
        ]

    async def wait_sent(self, user: str, count: int = 1) -> list[RecordedActivity]:
        """The activities in the person's chat, once ``count`` arrived."""
        return await self.connector.wait_for(
            lambda: (found := self.sent_to(user)) and len(found) >= count and found
        )

    async def join(self, user: str, name: str, topics: str = "ai", locale: str = "en-US") -> None:
        await self.install(user, locale=locale)
        sender: dict[str, Any] = {"from": {"id": user, "name": name}}  # "from" is a keyword
        status, _ = await self.submit(
            user,
            {
                "advocacy": "join",
                "guidelines_version": "v1",
                "accept": "yes",
                "topics": topics,
                "networks": "linkedin,x",
            },
            locale=locale,
            **sender,
        )
        assert status in (200, 201)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.store.db.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def until_scalar(self, sql: str, expected: Any, within: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while (value := await self.scalar(sql)) != expected:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{sql!r} gave {value!r}, expected {expected!r}")
            await asyncio.sleep(0.01)


def card_of(activity: RecordedActivity) -> dict[str, Any]:
    """The Adaptive Card an activity carries."""
    (attachment,) = activity.attachments
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = attachment["content"]
    assert card["version"] == "1.5"
    return card


def texts_of(card: Any) -> str:
    """Every string in a card, joined (to look for words and values)."""
    if isinstance(card, dict):
        return " ".join(texts_of(v) for v in card.values())
    if isinstance(card, list):
        return " ".join(texts_of(v) for v in card)
    return card if isinstance(card, str) else ""


def actions_of(card: Any) -> list[dict[str, Any]]:
    """Every action of a card, in order."""
    found: list[dict[str, Any]] = []
    if isinstance(card, dict):
        if isinstance(card.get("type"), str) and card["type"].startswith("Action."):
            found.append(card)
        for value in card.values():
            found += actions_of(value)
    elif isinstance(card, list):
        for value in card:
            found += actions_of(value)
    return found


@pytest.fixture
def make_env(tmp_path: Path) -> Callable[..., Environment]:
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "guidelines.md").write_text("# Guidelines\n\nBe **kind**.\n")

    def make(database_url: str, **overrides: Any) -> Environment:
        values: dict[str, Any] = {
            "DATABASE_URL": database_url,
            "ADVOCACY_CONFIG": tmp_path / "config.yaml",
            "ADVOCACY_PUBLIC_URL": PUBLIC_URL,
        }
        values.update(overrides)
        return Environment(**values)

    return make


@pytest.fixture
async def teams_bot(
    database_url: str, make_env: Callable[..., Environment]
) -> AsyncIterator[TeamsBot]:
    async with FakeBotConnector(
        tenant_id=TENANT, throttle=ThrottleLimits(enabled=False)
    ) as connector:
        runtime = build_runtime(
            make_env(database_url), fetcher=RecordingFetcher(), sender_settings=FAST_SENDER
        )
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield TeamsBot(client, connector, runtime)
