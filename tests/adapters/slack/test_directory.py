"""Slack user groups through the real ``AsyncWebClient`` against the fake Web API."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import SlackGroupDirectory
from bot.model import Platform, PlatformUser
from tests.fakes.slack_api import FakeSlackApi


async def test_usergroup_members() -> None:
    async with FakeSlackApi() as fake:
        fake.add_usergroup("S0CURATORS", ["U04ALICE01", "U05BOB0002"])
        fake.add_usergroup("S0OLD", ["U1"], disabled=True)
        client = AsyncWebClient(token="xoxb-test", base_url=fake.base_url, retry_handlers=[])
        directory = SlackGroupDirectory(client)
        assert await directory.members("S0CURATORS") == {"U04ALICE01", "U05BOB0002"}
        for unknown in ("S0NONE", "S0OLD"):
            with pytest.raises(SlackApiError) as failed:
                await directory.members(unknown)
            assert failed.value.response["error"] == "no_such_subteam"
        fake.fail_next("usergroups.users.list", "missing_scope")
        with pytest.raises(SlackApiError):
            await directory.members("S0CURATORS")
        user = PlatformUser(Platform.SLACK, "T1", "U05BOB0002")
        assert await directory.directory_id(user) == "U05BOB0002"
        fake.add_user("U05BOB0002", real_name="Bob Durand", display_name="Bob")
        assert await directory.display_name(user) == "Bob"
        assert await directory.display_name(user) == "Bob"
        assert len(fake.calls_to("users.info")) == 1  # kept
