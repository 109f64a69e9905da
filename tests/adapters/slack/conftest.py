"""The real web application, wired by the composition root, against the fake Slack Web API.

Requests are signed like Slack signs them and POSTed over HTTP to ``/slack/events``; the
assertions read what the fake Web API received and what the database holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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
from tests import factories
from tests.fakes.slack_api import FakeSlackApi, dm_channel_id

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC_URL = "https://go.example.com"
ALICE = "U04ALICE01"  # curator
BOB = "U05BOB0002"  # ambassador-to-be, French
CAROL = "U06CAROL03"  # ambassador-to-be
DAVE = "U07DAVE004"  # never joins
CHANNEL = "C07AMBASS1"
# The real sender, fast: no pacing to speak of, quick polls and backoff.
FAST_SENDER = SenderSettings(
    limits={Platform.SLACK: RateLimit(1_000, 1_000)}, idle_poll=0.05, backoff_base=0.01
)

CONFIG = """
programme: {name: Acme Ambassadors, hashtag: "#AcmeAmbassadors", timezone: Europe/Paris}
guidelines: {file: guidelines.md, version: "v1"}
topics:
  - {id: ai, label: AI, label_fr: IA}
  - {id: recruiting, label: Recruiting, label_fr: Recrutement}
  - {id: product, label: Product}
networks: [linkedin, x, facebook, bluesky]
curators: {slack: [U04ALICE01]}
points: {share_click: {default: 5, linkedin: 8}, confirmed_share: 10, reaction: 1}
leaderboard: {day: mon, hour: 9, week: current, channels: {slack: [C07AMBASS1]}}
content: {blocked_keywords: [confidential]}
"""


class RecordingFetcher:
    """Stands in for the page fetcher so tests control what pages say."""

    def __init__(self) -> None:
        self.pages: dict[str, PageMetadata] = {}
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> PageMetadata:
        self.fetched.append(url)
        return self.pages.get(url, PageMetadata())


@dataclass
class SlackBot:
    """The running bot, its fake Slack and helpers to talk to it as Slack does."""

    client: TestClient[Any, Any]
    fake: FakeSlackApi
    runtime: Runtime
    fetcher: RecordingFetcher

    async def send(self, request: factories.SignedRequest) -> tuple[int, str]:
        response = await self.client.post(
            "/slack/events", data=request.body, headers=request.headers
        )
        return response.status, await response.text()

    async def command(self, text: str, user: str, **kwargs: Any) -> tuple[int, str]:
        kwargs.setdefault("response_url", self.fake.response_url(f"{user}-{text[:20]}"))
        return await self.send(factories.slash_command(text, user_id=user, secret=SECRET, **kwargs))

    async def replies_to(self, user: str, count: int = 1) -> list[dict[str, Any]]:
        """The response_url messages for a person's commands and clicks, once ``count`` came."""

        def ready() -> list[dict[str, Any]] | None:
            got = [r.body for r in self.fake.responses if r.name.startswith(user)]
            return got if len(got) >= count else None

        return await self.fake.wait_for(ready)

    async def dms(self, user: str, count: int = 1) -> list[Any]:
        """Messages posted in the DM with ``user``, once ``count`` arrived."""
        return await self.fake.wait_for(
            lambda: (m := self.fake.messages_in(dm_channel_id(user))) and len(m) >= count and m
        )

    async def submit_view(
        self, user: str, callback_id: str, values: dict[str, Any], private_metadata: str = ""
    ) -> tuple[int, str]:
        return await self.send(
            factories.view_submission(
                user_id=user,
                callback_id=callback_id,
                values=values,
                private_metadata=private_metadata,
                secret=SECRET,
            )
        )

    async def click(
        self, user: str, action_id: str, value: str, *, message_ts: str, **kwargs: Any
    ) -> tuple[int, str]:
        return await self.send(
            factories.block_actions(
                user_id=user,
                action_id=action_id,
                value=value,
                secret=SECRET,
                channel_id=dm_channel_id(user),
                message_ts=message_ts,
                response_url=self.fake.response_url(f"{user}-click"),
                **kwargs,
            )
        )

    async def join(self, user: str, topics: list[str], networks: list[str]) -> None:
        status, body = await self.submit_view(
            user, "join", join_values(topics, networks, accept=True), private_metadata="v1"
        )
        assert (status, body) == (200, "")
        await self.dms(user)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.store.db.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def until_scalar(self, sql: str, expected: Any, within: float = 5.0) -> None:
        """Wait until a query answers ``expected`` (work after the ack runs in background)."""
        deadline = asyncio.get_running_loop().time() + within
        while (value := await self.scalar(sql)) != expected:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{sql!r} gave {value!r}, expected {expected!r}")
            await asyncio.sleep(0.01)


def checkbox(block: str, values: list[str]) -> dict[str, Any]:
    return {
        block: {block: {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}}
    }


def join_values(topics: list[str], networks: list[str], *, accept: bool) -> dict[str, Any]:
    return {
        **checkbox("accept", ["yes"] if accept else []),
        **checkbox("topics", topics),
        **checkbox("networks", networks),
    }


def plain(block: str, value: str | None, action: str | None = None) -> dict[str, Any]:
    return {block: {action or block: {"type": "plain_text_input", "value": value}}}


def errors_of(body: str) -> dict[str, str]:
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    return dict(answer["errors"])


@pytest.fixture
def make_env(tmp_path: Path) -> Callable[..., Environment]:
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "guidelines.md").write_text("# Guidelines\n\nBe **kind**.\n")

    def make(database_url: str, api_url: str, **overrides: Any) -> Environment:
        values: dict[str, Any] = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "ADVOCACY_CONFIG": tmp_path / "config.yaml",
            "ADVOCACY_PUBLIC_URL": PUBLIC_URL,
        }
        values.update(overrides)
        return Environment(**values)

    return make


@pytest.fixture
async def slack_bot(
    database_url: str, make_env: Callable[..., Environment]
) -> AsyncIterator[SlackBot]:
    async with FakeSlackApi() as fake:
        fake.add_user(ALICE, real_name="Alice Martin", locale="en-US")
        fake.add_user(BOB, real_name="Bob Durand", display_name="Bob", locale="fr-FR")
        fake.add_user(CAROL, real_name="Carol King", locale="en-GB")
        fake.add_user(DAVE, real_name="Dave Stone")
        fetcher = RecordingFetcher()
        runtime = build_runtime(
            make_env(database_url, fake.base_url),
            fetcher=fetcher,
            sender_settings=FAST_SENDER,
        )
        app: web.Application = create_web_app(runtime)
        async with TestClient(TestServer(app)) as client:
            yield SlackBot(client, fake, runtime, fetcher)
