"""The Slack side of ``ChatGateway``: renders views and calls the Web API.

Retries belong to the caller (the fan-out), so this client is built with no hidden retry
handlers; Slack's answers are mapped onto the domain's ``RateLimited`` / ``DeliveryFailed``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import to_profile
from bot.errors import DeliveryFailed, RateLimited
from bot.model import MessageRef, PlatformUser, UserProfile
from bot.views import (
    DigestView,
    GuidelinesView,
    Notice,
    RecapView,
    ReminderView,
    ReviewCardView,
    SuggestionView,
    WeeklyDigestView,
)
from messages.slack import SlackMessage, SlackRenderer

logger = logging.getLogger(__name__)

# Errors after which trying again cannot help (the person or channel is unreachable).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "team_access_not_granted",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "ekm_access_denied",
    }
)
DEFAULT_RETRY_AFTER = 1.0
MAX_CHART_WAIT = 30.0  # seconds: a chart upload waits this long at most for a rate limit


class SlackGateway:
    """Sends suggestions and leaderboards through the Slack Web API."""

    def __init__(
        self,
        client: AsyncWebClient,
        renderer: SlackRenderer,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._renderer = renderer
        self._sleep = sleep

    async def send_suggestion(self, user: PlatformUser, view: SuggestionView) -> MessageRef:
        # Posting to the user id lands in the app's DM with them (the Messages tab).
        try:
            return await self._post(user.user_id, self._renderer.suggestion(view))
        except DeliveryFailed as failure:
            # Slack refuses the whole message when it cannot fetch an image accessory
            # (a page's og:image may be private or gone): send it once more without it.
            if failure.code != "invalid_blocks" or view.image_url is None:
                raise
            logger.warning("suggestion refused with its image; sending it without")
            return await self._post(
                user.user_id, self._renderer.suggestion(replace(view, image_url=None))
            )

    async def update_suggestion(self, message: MessageRef, view: SuggestionView) -> None:
        await self._update(message, self._renderer.suggestion(view))

    async def send_digest(self, user: PlatformUser, view: DigestView) -> MessageRef:
        return await self._post(user.user_id, self._renderer.digest(view))

    async def update_digest(self, message: MessageRef, view: DigestView) -> None:
        await self._update(message, self._renderer.digest(view))

    async def _update(self, message: MessageRef, rendered: SlackMessage) -> None:
        # chat.update needs the DM's channel id (D...), which the send returned.
        await self._call(
            self._client.chat_update,
            channel=message.channel_id,
            ts=message.message_id,
            text=rendered.text,
            blocks=rendered.blocks,
        )

    async def send_reminder(self, message: MessageRef, view: ReminderView) -> None:
        # In the thread of the suggestion: the buttons are right above it.
        rendered = self._renderer.reminder(view)
        await self._call(
            self._client.chat_postMessage,
            channel=message.channel_id,
            thread_ts=message.message_id,
            text=rendered.text,
            blocks=rendered.blocks,
        )

    async def send_guidelines(self, user: PlatformUser, view: GuidelinesView) -> MessageRef:
        return await self._post(user.user_id, self._renderer.guidelines(view))

    async def send_recap(self, user: PlatformUser, view: RecapView) -> MessageRef:
        """DM a person their weekly recap."""
        return await self._post(user.user_id, self._renderer.recap(view))

    async def post_weekly_digest(self, channel_id: str, view: WeeklyDigestView) -> MessageRef:
        """Post the digest, then upload its chart into the same channel (files upload v2:
        the image appears right under the digest). A chart Slack refuses is logged and left
        out: the digest is posted and counts as such."""
        message = await self._post(channel_id, self._renderer.weekly_digest(view))
        if view.chart is not None:
            await self._upload_chart(message.channel_id, view)
        return message

    async def _upload_chart(self, channel_id: str, view: WeeklyDigestView) -> None:
        assert view.chart is not None  # noqa: S101 - checked by the caller
        title, alt = self._renderer.chart_file_texts(view)
        for attempt in (1, 2):
            try:
                await self._call(
                    self._client.files_upload_v2,
                    channel=channel_id,
                    content=view.chart.png,
                    filename=view.chart.filename,
                    title=title,
                    alt_txt=alt,
                )
            except RateLimited as limited:
                if attempt == 2 or limited.retry_after > MAX_CHART_WAIT:
                    logger.warning(
                        "weekly digest: chart not uploaded to %s: rate limited", channel_id
                    )
                    return
                await self._sleep(limited.retry_after)
            except (DeliveryFailed, SlackRequestError) as error:
                logger.warning("weekly digest: chart not uploaded to %s: %s", channel_id, error)
                return
            else:
                return

    # ---- SuggestionGateway: the review channel ----------------------------------------

    async def post_review(self, channel_id: str, view: ReviewCardView) -> MessageRef:
        """Post a suggestion's review card in the review channel (the bot must be in it)."""
        return await self._post(channel_id, self._renderer.review(view))

    async def update_review(self, message: MessageRef, view: ReviewCardView) -> None:
        """Redraw a review card: its outcome, who decided, no more buttons."""
        await self._update(message, self._renderer.review(view))

    async def notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        """DM a person a notice (a suggestion's outcome)."""
        await self._post(user.user_id, self._renderer.notice(notice, locale))

    async def send_text(self, user_id: str, message: SlackMessage) -> MessageRef:
        """DM a rendered message (confirmations after a modal closes)."""
        return await self._post(user_id, message)

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """Publish a person's App Home tab (``views.publish``)."""
        await self._call(self._client.views_publish, user_id=user_id, view=view)

    async def send_file(
        self, user_id: str, *, filename: str, content: bytes, title: str, comment: str
    ) -> str:
        """Upload a file into the app's DM with a person (files upload v2:
        ``files.getUploadURLExternal``, the bytes to the returned URL, then
        ``files.completeUploadExternal`` shared in the DM); return the DM's channel id."""
        opened = await self._call(self._client.conversations_open, users=user_id)
        channel = opened.get("channel") or {}
        channel_id = str(channel.get("id") or "") if isinstance(channel, dict) else ""
        if not channel_id:
            raise DeliveryFailed("channel_not_found", permanent=True)
        try:
            await self._call(
                self._client.files_upload_v2,
                channel=channel_id,
                content=content,
                filename=filename,
                title=title,
                initial_comment=comment,
            )
        except SlackRequestError as error:  # the upload URL refused the bytes
            raise DeliveryFailed("upload_failed", permanent=False) from error
        return channel_id

    async def profile(self, user_id: str) -> UserProfile:
        """A person's Slack profile, with their locale."""
        answer = await self._call(self._client.users_info, user=user_id, include_locale=True)
        user = answer.get("user")
        if not isinstance(user, dict):
            raise DeliveryFailed("user_not_found", permanent=True)
        return to_profile(user)

    async def _post(self, channel: str, message: SlackMessage) -> MessageRef:
        answer = await self._call(
            self._client.chat_postMessage,
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return MessageRef(str(answer.get("channel") or channel), str(answer.get("ts")))

    @staticmethod
    async def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except SlackApiError as error:
            response = error.response
            if response.status_code == 429:
                raise RateLimited(_retry_after(response.headers)) from error
            code = str(response.get("error") or f"http_{response.status_code}")
            permanent = code in PERMANENT_ERRORS or (400 <= response.status_code < 500)
            if response.status_code >= 500:
                permanent = False
            raise DeliveryFailed(code, permanent=permanent) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(type(error).__name__, permanent=False) from error


def _retry_after(headers: Any) -> float:
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if headers else None
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER
