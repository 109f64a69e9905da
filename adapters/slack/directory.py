"""Slack user groups as a ``GroupDirectory``: ``usergroups.users.list`` (scope
``usergroups:read``). A Slack user's directory id is their user id."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.model import PlatformUser


class SlackGroupDirectory:
    """Reads the members of a Slack user group (``S...``)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def members(self, group_id: str) -> frozenset[str]:
        """The group's user ids. Raises ``SlackApiError`` (``no_such_subteam``,
        ``missing_scope``, ``ratelimited``...) or a network error; the caller keeps the
        last known list."""
        response = await self._client.usergroups_users_list(usergroup=group_id)
        users = response.get("users")
        if not isinstance(users, list):
            raise TypeError("usergroups.users.list answered without a list of users")
        return frozenset(u for u in users if isinstance(u, str))

    async def directory_id(self, user: PlatformUser) -> str | None:
        """Slack user groups list user ids."""
        return user.user_id
