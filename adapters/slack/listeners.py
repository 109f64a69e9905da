"""Slack listeners: ack at once, translate the payload, call one use case, render one view.

Every listener goes through ``_guarded`` so a refusal (``AdvocacyError``) becomes a polite
message rendered from ``messages/`` and anything unexpected is logged with its traceback
while the person reads a short apology; nobody ever sees a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.gateway import SlackGateway
from adapters.slack.translate import (
    to_delivery_id,
    to_enrolment_choices,
    to_raw_post,
    to_reaction_event,
    to_share_click,
    to_user_from_command,
    to_user_from_interaction,
)
from bot.commands import PostInline, Publish, parse_command
from bot.errors import AdvocacyError, GatewayError, InvalidInput
from bot.model import PlatformUser
from bot.privacy import PrivacyService, PrivacyUnavailable
from bot.publishing import published_notice, raw_post_of, saved_notice
from bot.services import Services
from bot.status import StatusService
from bot.views import Notice
from messages import slack_ids as ids
from messages.slack import SlackMessage, SlackRenderer

logger = logging.getLogger(__name__)

Reply = Callable[[SlackMessage], Awaitable[None]]

# Domain field names -> the modal block that shows the error.
POST_FIELDS = {
    "url": ids.URL_BLOCK,
    "title": ids.TITLE_BLOCK,
    "summary": ids.SUMMARY_BLOCK,
    "topics": ids.TOPICS_BLOCK,
    "hashtags": ids.HASHTAGS_BLOCK,
    "texts": ids.text_block_id(1),
    "publish_at": ids.PUBLISH_AT_BLOCK,
    "expires_at": ids.EXPIRES_BLOCK,
}
JOIN_FIELDS = {
    "accept": ids.ACCEPT_BLOCK,
    "topics": ids.TOPICS_BLOCK,
    "networks": ids.NETWORKS_BLOCK,
}


@dataclass(frozen=True)
class SlackDeps:
    """What the Slack listeners need, wired by the composition root."""

    services: Services
    renderer: SlackRenderer
    gateway: SlackGateway
    wake_sender: Callable[[], None]
    status: StatusService
    command: str = "/advocacy"


class SlackListeners:
    """The listener functions, bound to their dependencies."""

    def __init__(self, deps: SlackDeps) -> None:
        self.d = deps
        self.s = deps.services
        self.r = deps.renderer

    async def _guarded(
        self, reply: Reply, locale: str, work: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            await work()
        except AdvocacyError as refusal:
            logger.info("refused: %s %s", type(refusal).__name__, refusal)
            await self._safe_reply(reply, self.r.notice(refusal.notice, locale))
        except Exception:
            logger.exception("Slack listener failed")
            await self._safe_reply(reply, self.r.notice(Notice("error"), locale))

    @staticmethod
    async def _safe_reply(reply: Reply, message: SlackMessage) -> None:
        try:
            await reply(message)
        except Exception:
            logger.exception("could not tell the person about an error")

    def _responder(self, respond: Any) -> Reply:
        async def reply(message: SlackMessage) -> None:
            await respond(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral",
                replace_original=False,
            )

        return reply

    def _dm(self, user: PlatformUser) -> Reply:
        async def reply(message: SlackMessage) -> None:
            await self.d.gateway.send_text(user.user_id, message)

        return reply

    async def _locale(self, user: PlatformUser | None) -> str:
        if user is None:
            return self.s.programme.default_locale
        try:
            return await self.s.ambassadors.locale_of(user)
        except Exception:  # the database is down: apologise in the default language
            logger.warning("could not read the locale of %s", user.user_id)
            return self.s.programme.default_locale

    # ---- /advocacy ---------------------------------------------------------------------

    async def on_command(
        self, ack: Any, body: Mapping[str, Any], respond: Any, client: Any
    ) -> None:
        await ack()
        reply = self._responder(respond)
        try:
            user = to_user_from_command(body)
        except InvalidInput as error:
            await self._safe_reply(
                reply, self.r.notice(error.notice, self.s.programme.default_locale)
            )
            return
        locale = await self._locale(user)

        async def work() -> None:
            await self._dispatch(
                user,
                locale,
                str(body.get("text") or ""),
                str(body.get("trigger_id") or ""),
                reply,
                client,
            )

        await self._guarded(reply, locale, work)

    async def _dispatch(
        self, user: PlatformUser, locale: str, text: str, trigger_id: str, reply: Reply, client: Any
    ) -> None:
        command = parse_command(text)
        s, r = self.s, self.r
        if isinstance(command, PostInline):
            await self._post_inline(user, locale, command, reply)
        elif isinstance(command, Publish):
            result = await s.publishing.publish(user, command.content_id)
            self.d.wake_sender()
            await reply(r.notice(published_notice(result), locale))
        elif command.name == "help":
            await reply(
                r.help(await s.ambassadors.help_view(user, locale=locale, command=self.d.command))
            )
        elif command.name == "join":
            form = await s.ambassadors.join_form(user, locale=locale)
            await client.views_open(trigger_id=trigger_id, view=r.join_modal(form))
        elif command.name == "interests":
            form = await s.ambassadors.preferences_form(user)
            await client.views_open(trigger_id=trigger_id, view=r.join_modal(form))
        elif command.name == "leave":
            await reply(r.notice(await s.ambassadors.leave(user), locale))
        elif command.name == "guidelines":
            await reply(r.guidelines(await s.ambassadors.guidelines(user, locale=locale)))
        elif command.name == "me":
            await reply(r.profile(await s.ambassadors.profile(user)))
        elif command.name == "leaderboard":
            await reply(r.leaderboard(await s.leaderboard.weekly(locale=locale, viewer=user)))
        elif command.name == "list":
            await reply(r.content_list(await s.publishing.list_recent(user, locale)))
        elif command.name == "status":
            await reply(r.status(await self.d.status.for_curator(user, locale)))
        elif command.name == "post":
            post_form = s.publishing.post_form(user, locale)
            await client.views_open(trigger_id=trigger_id, view=r.post_modal(post_form))
        elif command.name == "my-data":
            await self._my_data(user, locale, reply)
        elif command.name == "forget-me":
            await reply(r.forget_me(await self._privacy().forget_me_view(user, locale)))

    async def _post_inline(
        self, user: PlatformUser, locale: str, command: PostInline, reply: Reply
    ) -> None:
        raw = raw_post_of(command, self.s.programme.timezone)
        draft = self.s.publishing.validate(user, raw)
        await reply(self.r.notice(Notice("post_received", {"url": draft.url}), locale))
        await self._submit(user, locale, draft, reply)

    async def _submit(self, user: PlatformUser, locale: str, draft: Any, reply: Reply) -> None:
        outcome = await self.s.publishing.submit(user, draft)
        if outcome.published is not None:
            self.d.wake_sender()
        await reply(self.r.notice(saved_notice(outcome, self.s.programme.timezone), locale))

    # ---- privacy -----------------------------------------------------------------------

    def _privacy(self) -> PrivacyService:
        if self.s.privacy is None:
            raise PrivacyUnavailable()
        return self.s.privacy

    async def _my_data(self, user: PlatformUser, locale: str, reply: Reply) -> None:
        export = await self._privacy().export(user)
        title, comment = self.r.export_file_texts(locale, self.s.programme.name)
        await self.d.gateway.send_file(
            user.user_id,
            filename=export.filename,
            content=export.to_json(),
            title=title,
            comment=comment,
        )
        await reply(self.r.notice(Notice("my_data_sent"), locale))

    async def on_forget_me(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        async def answer(user: PlatformUser) -> None:
            locale = await self._locale(user)  # read before it is erased
            if action.get("action_id") == ids.FORGET_ME_CONFIRM_ACTION:
                notice = await self._privacy().forget_me(user)
            else:
                notice = Notice("forget_me_cancelled")
            message = self.r.notice(notice, locale)
            # The answer replaces the confirmation, so its buttons cannot be pressed again.
            await respond(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral",
                replace_original=True,
            )

        await self._button(ack, body, respond, answer)

    # ---- modals ----------------------------------------------------------------------

    async def on_post_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        locale = await self._locale(user)
        try:
            draft = self.s.publishing.validate(user, to_raw_post(body))
        except InvalidInput as error:
            await ack(
                response_action="errors",
                errors={_post_block(error.field): self.r.notice_text(error.notice, locale)},
            )
            return
        except AdvocacyError as refusal:
            await ack(
                response_action="errors",
                errors={ids.URL_BLOCK: self.r.notice_text(refusal.notice, locale)},
            )
            return
        await ack()
        reply = self._dm(user)

        async def work() -> None:
            await self._submit(user, locale, draft, reply)

        await self._guarded(reply, locale, work)

    async def on_join_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        topics, networks, version = to_enrolment_choices(body)
        locale = await self._locale(user)
        try:
            enrolment = self.s.ambassadors.validate_enrolment(
                topics=topics, networks=networks, accepted_version=version
            )
        except InvalidInput as error:
            await ack(
                response_action="errors",
                errors={
                    JOIN_FIELDS.get(error.field or "accept", ids.ACCEPT_BLOCK): self.r.notice_text(
                        error.notice, locale
                    )
                },
            )
            return
        await ack()
        reply = self._dm(user)

        async def work() -> None:
            try:
                profile = await self.d.gateway.profile(user.user_id)
            except GatewayError as error:
                raise InvalidInput("unknown_user") from error
            notice = await self.s.ambassadors.enrol(user, profile, enrolment)
            await reply(self.r.notice(notice, await self._locale(user)))

        await self._guarded(reply, locale, work)

    async def on_preferences_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        topics, networks, _ = to_enrolment_choices(body)
        locale = await self._locale(user)
        try:
            self.s.ambassadors.validate_preferences(topics=topics, networks=networks)
        except InvalidInput as error:
            await ack(
                response_action="errors",
                errors={
                    JOIN_FIELDS.get(error.field or "topics", ids.TOPICS_BLOCK): self.r.notice_text(
                        error.notice, locale
                    )
                },
            )
            return
        await ack()
        reply = self._dm(user)

        async def work() -> None:
            notice = await self.s.ambassadors.update_preferences(
                user, topics=topics, networks=networks
            )
            await reply(self.r.notice(notice, locale))

        await self._guarded(reply, locale, work)

    # ---- suggestion buttons ----------------------------------------------------------

    async def on_share_clicked(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        await self._button(ack, body, respond, lambda user: self._share(user, action))

    async def _share(self, user: PlatformUser, action: Mapping[str, Any]) -> None:
        delivery_id, network = to_share_click(action)
        await self.s.interactions.share_click(user, delivery_id, network)

    async def on_confirm_clicked(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        async def confirm(user: PlatformUser) -> None:
            await self.s.interactions.confirm_share(user, to_delivery_id(action.get("value")))

        await self._button(ack, body, respond, confirm)

    async def on_accept_guidelines(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        async def accept(user: PlatformUser) -> None:
            version = str(action.get("value") or "")[:64]
            notice = await self.s.ambassadors.accept_guidelines(user, version)
            self.d.wake_sender()  # what waited for the acceptance goes out now
            await self._responder(respond)(self.r.notice(notice, await self._locale(user)))

        await self._button(ack, body, respond, accept)

    async def on_skip_clicked(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        async def skip(user: PlatformUser) -> None:
            await self.s.interactions.skip(user, to_delivery_id(action.get("value")))

        await self._button(ack, body, respond, skip)

    async def _button(
        self,
        ack: Any,
        body: Mapping[str, Any],
        respond: Any,
        act: Callable[[PlatformUser], Awaitable[None]],
    ) -> None:
        reply = self._responder(respond)
        try:
            user = to_user_from_interaction(body)
        except InvalidInput as error:
            await ack()
            await self._safe_reply(
                reply, self.r.notice(error.notice, self.s.programme.default_locale)
            )
            return
        # Ack first, then record: under a burst the recording waits for a shared commit
        # (measured: acking after it doubled the ack latency at 50 clicks/s during a fan-out).
        await ack()
        try:
            await act(user)
        except AdvocacyError as refusal:
            logger.info("refused: %s %s", type(refusal).__name__, refusal)
            await self._safe_reply(reply, self.r.notice(refusal.notice, await self._locale(user)))
        except Exception:
            logger.exception("a suggestion button failed")
            await self._safe_reply(reply, self.r.notice(Notice("error"), await self._locale(user)))

    # ---- events ----------------------------------------------------------------------

    async def on_reaction(self, body: Mapping[str, Any]) -> None:
        event = to_reaction_event(body)
        if event is None:
            logger.info("ignored a reaction event that is not on a message")
            return
        outcome = await self.s.interactions.reaction(event)
        logger.debug("reaction %s recorded=%s", event.event_id, outcome.recorded)


def _post_block(field: str | None) -> str:
    """The post modal block that shows a field's error (``text_2`` is its own block)."""
    if field and field.startswith(ids.TEXT_BLOCK_PREFIX):
        return field
    return POST_FIELDS.get(field or "url", ids.URL_BLOCK)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Attach every listener to the bolt app."""
    listeners = SlackListeners(deps)
    app.command(deps.command)(listeners.on_command)
    app.view(ids.POST_VIEW)(listeners.on_post_submitted)
    app.view(ids.JOIN_VIEW)(listeners.on_join_submitted)
    app.view(ids.PREFERENCES_VIEW)(listeners.on_preferences_submitted)
    app.action(re.compile(f"^{re.escape(ids.SHARE_ACTION_PREFIX)}"))(listeners.on_share_clicked)
    app.action(ids.CONFIRM_ACTION)(listeners.on_confirm_clicked)
    app.action(ids.SKIP_ACTION)(listeners.on_skip_clicked)
    app.action(ids.ACCEPT_GUIDELINES_ACTION)(listeners.on_accept_guidelines)
    app.action(ids.FORGET_ME_CONFIRM_ACTION)(listeners.on_forget_me)
    app.action(ids.FORGET_ME_CANCEL_ACTION)(listeners.on_forget_me)
    app.event("reaction_added")(listeners.on_reaction)
    app.event("reaction_removed")(listeners.on_reaction)

    @app.error
    async def on_error(error: Exception, body: Mapping[str, Any]) -> None:
        # Last resort: listeners handle their own errors; this logs what escaped them
        # (a malformed payload, say) without echoing the payload, which holds user data.
        logger.error(
            "unhandled error in Slack app: %s (payload type %s)",
            type(error).__name__,
            body.get("type"),
            exc_info=error,
        )
