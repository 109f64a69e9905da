"""Slack listeners: ack at once, translate the payload, call one use case, render one view.

Every listener goes through ``_guarded`` so a refusal (``AdvocacyError``) becomes a polite
message rendered from ``messages/`` and anything unexpected is logged with its traceback
while the person reads a short apology; nobody ever sees a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.gateway import SlackGateway
from adapters.slack.translate import (
    is_home_action,
    to_command_text,
    to_delivery_id,
    to_edited_text,
    to_email,
    to_enrolment_choices,
    to_home_opened,
    to_mentioned_user,
    to_private_suggestion_id,
    to_prospect,
    to_raw_post,
    to_raw_preferences,
    to_reaction_event,
    to_reject_reason,
    to_share_click,
    to_suggestion_id,
    to_user_from_command,
    to_user_from_interaction,
)
from bot.commands import (
    Audit,
    Board,
    Curators,
    Pause,
    PostInline,
    Prospects,
    Publish,
    RecapChoice,
    Stats,
    Suggest,
    TeamChoice,
    parse_command,
)
from bot.errors import AdvocacyError, GatewayError, InvalidInput
from bot.model import PlatformUser, UserProfile
from bot.privacy import PrivacyService, PrivacyUnavailable
from bot.prospects import ProspectService
from bot.publishing import published_notice, raw_post_of, saved_notice
from bot.services import Services
from bot.stats import StatsService, StatsUnavailable
from bot.status import StatusService
from bot.suggestions import SuggestionService
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
SETTINGS_FIELDS = {
    "topics": ids.TOPICS_BLOCK,
    "networks": ids.NETWORKS_BLOCK,
    "language": ids.LANGUAGE_BLOCK,
    "delivery_mode": ids.MODE_BLOCK,
    "quiet_start": ids.QUIET_START_BLOCK,
    "quiet_end": ids.QUIET_END_BLOCK,
    "weekly_cap": ids.CAP_BLOCK,
    "mastodon_instance": ids.INSTANCE_BLOCK,
    "team": ids.TEAM_BLOCK,
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
    suggestions: SuggestionService | None = None
    stats: StatsService | None = None  # curators' stats and exports
    prospects: ProspectService | None = None  # prospects and invitations


class SlackListeners:
    """The listener functions, bound to their dependencies."""

    def __init__(self, deps: SlackDeps) -> None:
        self.d = deps
        self.s = deps.services
        self.r = deps.renderer
        # One App Home refresh at a time per person: two refreshes close together (joining,
        # then pausing at once) could otherwise publish out of order and leave the older
        # state on screen. Each builds its view once the one before has been published.
        self._home_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

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
                to_command_text(body),
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
        elif isinstance(command, Curators | Audit):
            await self._admin(user, locale, command, reply)
        elif isinstance(command, Suggest):
            outcome = await self._suggestions.suggest(
                user, command.url, command.why, locale=locale, name=None
            )
            self.d.wake_sender()  # an auto-approved suggestion went out as content
            await reply(r.notice(outcome.notice, locale))
        elif isinstance(command, Stats):
            await self._stats(user, locale, command, reply)
        elif isinstance(command, Prospects):
            view = await self._prospects().prospects(user, command.window, locale)
            await reply(r.prospects(view))
        elif isinstance(command, Pause):
            await reply(r.notice(await s.preferences.pause(user, command.days), locale))
            await self._refresh_home(user)
        elif isinstance(command, RecapChoice):
            await reply(r.notice(await s.preferences.set_weekly_recap(user, command.on), locale))
            if command.on is not None:
                await self._refresh_home(user)
        elif isinstance(command, Board):
            board = await s.leaderboard.board(
                locale=locale, viewer=user, period=command.period, team=command.team
            )
            await reply(r.leaderboard(board))
        elif isinstance(command, TeamChoice):
            notice = await s.leaderboard.choose_team(user, command.team, clear=command.clear)
            await reply(r.notice(notice, locale))
        elif command.name in ("hide", "unhide"):
            notice = await s.leaderboard.hide(user, hidden=command.name == "hide")
            await reply(r.notice(notice, locale))
        elif command.name == "settings":
            settings = await s.preferences.settings_form(user)
            await client.views_open(trigger_id=trigger_id, view=r.settings_modal(settings))
        elif command.name == "resume":
            await reply(r.notice(await s.preferences.resume(user), locale))
            await self._refresh_home(user)
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
            await self._refresh_home(user)
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
            post_form = await s.publishing.post_form(user, locale)
            await client.views_open(trigger_id=trigger_id, view=r.post_modal(post_form))
        elif command.name == "my-data":
            await self._my_data(user, locale, reply)
        elif command.name == "forget-me":
            await reply(r.forget_me(await self._privacy().forget_me_view(user, locale)))

    async def _admin(
        self, user: PlatformUser, locale: str, command: Curators | Audit, reply: Reply
    ) -> None:
        admin, r = self.s.admin, self.r
        if isinstance(command, Audit):
            view = await admin.audit(
                user, locale, limit=command.limit, before=command.before, command=self.d.command
            )
            await reply(r.audit(view))
        elif command.action == "list":
            await reply(r.curators(await admin.curators(user, locale, command=self.d.command)))
        else:
            await self.s.roles.require_admin(user)  # refuse before reading the person
            email = to_email(command.person)
            if email is not None:
                target, name = await admin.person_by_email(user, email), None
            else:
                target, name = to_mentioned_user(command.person, user.workspace_id)
            if command.action == "add":
                notice = await admin.add_curator(user, target, name=name)
            else:
                notice = await admin.remove_curator(user, target)
            await reply(r.notice(notice, locale))

    async def _post_inline(
        self, user: PlatformUser, locale: str, command: PostInline, reply: Reply
    ) -> None:
        raw = raw_post_of(command, self.s.programme.timezone)
        draft = await self.s.publishing.validate(user, raw)
        await reply(self.r.notice(Notice("post_received", {"url": draft.url}), locale))
        await self._submit(user, locale, draft, reply)

    async def _submit(self, user: PlatformUser, locale: str, draft: Any, reply: Reply) -> None:
        outcome = await self.s.publishing.submit(user, draft)
        if outcome.published is not None:
            self.d.wake_sender()
        await reply(self.r.notice(saved_notice(outcome, self.s.programme.timezone), locale))

    # ---- curators' stats -----------------------------------------------------------------

    async def _stats(self, user: PlatformUser, locale: str, command: Stats, reply: Reply) -> None:
        if self.d.stats is None:
            raise StatsUnavailable()
        stats, r = self.d.stats, self.r
        if command.export:
            export = await stats.export(user, command.window)
            title, comment = r.stats_file_texts(locale, command.window, self.s.programme.name)
            await self.d.gateway.send_file(
                user.user_id,
                filename=export.filename,
                content=export.content,
                title=title,
                comment=comment,
            )
            await reply(r.notice(Notice("stats_export_sent", {"window": command.window}), locale))
        elif command.content_id is not None:
            await reply(
                r.stats(await stats.content(user, command.content_id, command.window, locale))
            )
        else:
            view = await stats.programme(user, command.window, locale, command=self.d.command)
            await reply(r.stats(view))

    def _prospects(self) -> ProspectService:
        if self.d.prospects is None:
            raise StatsUnavailable()
        return self.d.prospects

    async def on_prospect_invite(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        """Invite (prospects list): DM the person an invitation with Join, at most once per
        cooldown; the curator reads what happened."""

        async def invite(curator: PlatformUser) -> None:
            locale = await self._locale(curator)
            person = to_prospect(body, action)
            try:
                profile: UserProfile | None = await self.d.gateway.profile(person.user_id)
            except GatewayError:
                profile = None  # unknown to users.info: the DM below will say
            outcome = await self._prospects().invite(curator, person, profile)
            if outcome.invitation is not None:
                try:
                    await self.d.gateway.send_text(
                        person.user_id, self.r.invitation(outcome.invitation)
                    )
                except GatewayError:
                    logger.warning("could not deliver an invitation")
                    outcome = await self._prospects().undelivered(outcome)
            await self._responder(respond)(self.r.notice(outcome.notice, locale))

        await self._button(ack, body, respond, invite)

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
                await self._refresh_home(user)  # the dashboard forgets them too
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
            draft = await self.s.publishing.validate(user, to_raw_post(body))
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
            suggestion_id = to_private_suggestion_id(body)  # the form opened by Edit
            if suggestion_id is None:
                await self._submit(user, locale, draft, reply)
                return
            outcome = await self._suggestions.approve_edited(user, suggestion_id, draft)
            if outcome.published is not None:
                self.d.wake_sender()
            await reply(self.r.notice(saved_notice(outcome, self.s.programme.timezone), locale))

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
            await self._refresh_home(user)

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

    async def on_settings_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        raw = to_raw_preferences(body)
        locale = await self._locale(user)
        try:
            preferences = self.s.preferences.validate(raw)
        except InvalidInput as error:
            block = SETTINGS_FIELDS.get(error.field or "topics", ids.TOPICS_BLOCK)
            await ack(
                response_action="errors",
                errors={block: self.r.notice_text(error.notice, locale)},
            )
            return
        await ack()
        reply = self._dm(user)

        async def work() -> None:
            notice = await self.s.preferences.save(user, preferences)
            await reply(self.r.notice(notice, preferences.locale))  # in their new language
            await self._refresh_home(user)

        await self._guarded(reply, locale, work)

    # ---- App Home ----------------------------------------------------------------------

    async def on_app_home_opened(self, body: Mapping[str, Any]) -> None:
        user = to_home_opened(body)
        if user is None:
            return  # the Messages tab, or a payload without a person
        await self._refresh_home(user)

    async def _refresh_home(self, user: PlatformUser) -> None:
        """Publish the person's App Home dashboard as it is now (best effort: a failure is
        logged, the command that triggered it has done its job)."""
        key = f"{user.workspace_id}:{user.user_id}"
        lock = self._home_locks.get(key)
        if lock is None:
            lock = self._home_locks[key] = asyncio.Lock()
        try:
            async with lock:
                view = await self.s.preferences.home(user)
                await self.d.gateway.publish_home(user.user_id, self.r.home(view))
        except Exception:
            logger.exception("could not publish the App Home view")

    async def on_home_open_form(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], client: Any
    ) -> None:
        """The Join button (App Home, guidelines message) or Edit settings (App Home)."""
        await ack()
        user = to_user_from_interaction(body)
        locale = await self._locale(user)
        trigger_id = str(body.get("trigger_id") or "")

        async def work() -> None:
            if action.get("action_id") == ids.HOME_SETTINGS_ACTION:
                form = await self.s.preferences.settings_form(user)
                await client.views_open(trigger_id=trigger_id, view=self.r.settings_modal(form))
            else:
                join = await self.s.ambassadors.join_form(user, locale=locale)
                await client.views_open(trigger_id=trigger_id, view=self.r.join_modal(join))

        await self._guarded(self._dm(user), locale, work)

    async def on_home_button(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any]
    ) -> None:
        """Pause, Resume, Leave and Guidelines in the App Home: done, told by DM, and the
        dashboard refreshed."""
        await ack()
        user = to_user_from_interaction(body)
        locale = await self._locale(user)
        reply = self._dm(user)
        action_id = action.get("action_id")

        async def work() -> None:
            if action_id == ids.HOME_GUIDELINES_ACTION:
                await reply(self.r.guidelines(await self.s.ambassadors.guidelines(user)))
                return
            if action_id == ids.HOME_PAUSE_ACTION:
                notice = await self.s.preferences.pause(user, None)
            elif action_id == ids.HOME_RESUME_ACTION:
                notice = await self.s.preferences.resume(user)
            else:
                notice = await self.s.ambassadors.leave(user)
            await reply(self.r.notice(notice, locale))
            await self._refresh_home(user)

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
            if notice.key == "guidelines_outdated":  # show the latest, with its Accept button
                latest = await self.s.ambassadors.guidelines(user)
                await self._responder(respond)(self.r.guidelines(latest))

        await self._button(ack, body, respond, accept)

    async def on_recap_off(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        """ "Stop these recaps" under a weekly recap: off (a second click says so again)."""

        async def stop(user: PlatformUser) -> None:
            notice = await self.s.preferences.set_weekly_recap(user, False)
            await self._responder(respond)(self.r.notice(notice, await self._locale(user)))
            await self._refresh_home(user)

        await self._button(ack, body, respond, stop)

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
            if is_home_action(body):
                await self._refresh_home(user)  # a suggestion answered from the dashboard
        except AdvocacyError as refusal:
            logger.info("refused: %s %s", type(refusal).__name__, refusal)
            await self._safe_reply(reply, self.r.notice(refusal.notice, await self._locale(user)))
        except Exception:
            logger.exception("a suggestion button failed")
            await self._safe_reply(reply, self.r.notice(Notice("error"), await self._locale(user)))

    # ---- review channel (suggestions) ---------------------------------------------------

    @property
    def _suggestions(self) -> SuggestionService:
        if self.d.suggestions is None:
            raise RuntimeError("suggestions are not wired")
        return self.d.suggestions

    async def on_review_approve(
        self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], respond: Any
    ) -> None:
        async def approve(user: PlatformUser) -> None:
            await self._suggestions.approve(user, to_suggestion_id(action.get("value")))
            self.d.wake_sender()

        await self._button(ack, body, respond, approve)

    async def on_review_edit(
        self,
        ack: Any,
        body: Mapping[str, Any],
        action: Mapping[str, Any],
        respond: Any,
        client: Any,
    ) -> None:
        async def edit(user: PlatformUser) -> None:
            locale = await self._locale(user)
            form = await self._suggestions.edit_form(
                user, to_suggestion_id(action.get("value")), locale
            )
            trigger = str(body.get("trigger_id") or "")
            await client.views_open(trigger_id=trigger, view=self.r.post_modal(form))

        await self._button(ack, body, respond, edit)

    async def on_review_reject(
        self,
        ack: Any,
        body: Mapping[str, Any],
        action: Mapping[str, Any],
        respond: Any,
        client: Any,
    ) -> None:
        async def reject(user: PlatformUser) -> None:
            locale = await self._locale(user)
            form = await self._suggestions.reject_form(
                user, to_suggestion_id(action.get("value")), locale
            )
            trigger = str(body.get("trigger_id") or "")
            await client.views_open(trigger_id=trigger, view=self.r.reject_modal(form))

        await self._button(ack, body, respond, reject)

    async def on_reject_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        locale = await self._locale(user)
        try:
            reason = self._suggestions.validate_reason(to_reject_reason(body))
        except InvalidInput as error:
            await ack(
                response_action="errors",
                errors={ids.REASON_BLOCK: self.r.notice_text(error.notice, locale)},
            )
            return
        await ack()
        reply = self._dm(user)

        async def work() -> None:
            suggestion_id = to_private_suggestion_id(body)
            if suggestion_id is None:
                raise InvalidInput("suggest_not_found")
            await self._suggestions.reject(user, suggestion_id, reason)

        await self._guarded(reply, locale, work)

    # ---- copy / edit text ------------------------------------------------------------

    async def on_edit_text_clicked(
        self,
        ack: Any,
        body: Mapping[str, Any],
        action: Mapping[str, Any],
        respond: Any,
        client: Any,
    ) -> None:
        async def open_form(user: PlatformUser) -> None:
            form = await self.s.texts.form(user, to_delivery_id(action.get("value")))
            await client.views_open(
                trigger_id=str(body.get("trigger_id") or ""), view=self.r.edit_text_modal(form)
            )

        await self._button(ack, body, respond, open_form)

    async def on_edit_text_submitted(self, ack: Any, body: Mapping[str, Any]) -> None:
        user = to_user_from_interaction(body)
        locale = await self._locale(user)
        try:
            delivery_id, text = to_edited_text(body)
            self.s.texts.check(text)
        except AdvocacyError as refusal:
            await ack(
                response_action="errors",
                errors={ids.EDIT_TEXT_BLOCK: self.r.notice_text(refusal.notice, locale)},
            )
            return
        await ack()

        async def work() -> None:
            # The DM is redrawn with the new text (chat.update): that is the confirmation.
            await self.s.texts.edit(user, delivery_id, text)

        await self._guarded(self._dm(user), locale, work)

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
    if field and field.startswith(("title_", "summary_")):  # title_fr: its own block
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
    app.view(ids.SETTINGS_VIEW)(listeners.on_settings_submitted)
    app.event("app_home_opened")(listeners.on_app_home_opened)
    app.action(ids.HOME_JOIN_ACTION)(listeners.on_home_open_form)
    app.action(ids.HOME_SETTINGS_ACTION)(listeners.on_home_open_form)
    for home_action in (
        ids.HOME_PAUSE_ACTION,
        ids.HOME_RESUME_ACTION,
        ids.HOME_LEAVE_ACTION,
        ids.HOME_GUIDELINES_ACTION,
    ):
        app.action(home_action)(listeners.on_home_button)
    if deps.suggestions is not None:
        app.action(ids.REVIEW_APPROVE_ACTION)(listeners.on_review_approve)
        app.action(ids.REVIEW_EDIT_ACTION)(listeners.on_review_edit)
        app.action(ids.REVIEW_REJECT_ACTION)(listeners.on_review_reject)
        app.view(ids.REJECT_VIEW)(listeners.on_reject_submitted)
    app.action(ids.FORGET_ME_CONFIRM_ACTION)(listeners.on_forget_me)
    app.action(ids.FORGET_ME_CANCEL_ACTION)(listeners.on_forget_me)
    app.event("reaction_added")(listeners.on_reaction)
    app.event("reaction_removed")(listeners.on_reaction)
    app.view(ids.EDIT_TEXT_VIEW)(listeners.on_edit_text_submitted)
    app.action(ids.EDIT_TEXT_ACTION)(listeners.on_edit_text_clicked)
    app.action(ids.PROSPECT_INVITE_ACTION)(listeners.on_prospect_invite)
    app.action(ids.RECAP_OFF_ACTION)(listeners.on_recap_off)

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
