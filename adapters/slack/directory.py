"""Slack user groups as a ``GroupDirectory``: ``usergroups.users.list`` (scope
``usergroups:read``). A Slack user's directory id is their user id; their name comes from
``users.info`` (scope ``users:read``), kept for the process's life."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import to_profile
from bot.model import PlatformUser

MAX_NAMES = 10_000  # names kept in memory (admins and curators: a handful in practice)


class SlackGroupDirectory:
    """Reads the members of a Slack user group (``S...``)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._names: dict[str, str] = {}

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

    async def display_name(self, user: PlatformUser) -> str | None:
        """The person's Slack display name (or real name), from ``users.info``."""
        known = self._names.get(user.user_id)
        if known is not None:
            return known
        response = await self._client.users_info(user=user.user_id)
        found = response.get("user")
        if not isinstance(found, dict):
            return None
        name = to_profile(found).display_name[:200]
        if len(self._names) < MAX_NAMES:
            self._names[user.user_id] = name
        return name
