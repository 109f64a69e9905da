"""The Teams bot: typed commands in the personal chat, Adaptive Card submits, installs and
reactions, each translated once and handed to the same use cases as Slack.

Teams waits about 15 s for an answer and shows an error after that; every handler here only
reads and writes the database and replies, and every refusal or failure becomes a polite
card from ``messages/`` (never a stack trace).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount

from adapters.teams.gateway import TeamsGateway, to_activity
from adapters.teams.submit import (
    to_delivery_id,
    to_edited_text,
    to_enrolment_choices,
    to_prospect,
    to_raw_post,
    to_raw_preferences,
    to_reason,
    to_suggestion_id,
    to_verb,
)
from adapters.teams.translate import (
    tenant_of,
    to_channel_id,
    to_command_text,
    to_email,
    to_locale,
    to_named_user,
    to_profile,
    to_reaction_events,
    to_scope,
    to_user,
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
from messages import teams_ids as ids
from messages.teams import TeamsMessage, TeamsRenderer

logger = logging.getLogger(__name__)

Reply = Callable[[TeamsMessage], Awaitable[None]]


@dataclass(frozen=True)
class TeamsDeps:
    """What the Teams bot needs, wired by the composition root."""

    services: Services
    renderer: TeamsRenderer
    gateway: TeamsGateway
    wake_sender: Callable[[], None]
    status: StatusService
    allowed_tenants: frozenset[str] = frozenset()  # empty: every tenant
    suggestions: SuggestionService | None = None
    stats: StatsService | None = None  # curators' stats and exports
    prospects: ProspectService | None = None  # prospects and invitations


class AdvocacyTeamsBot(ActivityHandler):  # type: ignore[misc]
    """botbuilder's ActivityHandler, routing each activity to one use case."""

    def __init__(self, deps: TeamsDeps) -> None:
        self.d = deps
        self.s = deps.services
        self.r = deps.renderer

    # ---- activities ----------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        allowed = self.d.allowed_tenants
        activity = turn_context.activity.serialize()
        if allowed and tenant_of(activity) not in allowed:
            logger.warning("refused an activity from a tenant that is not allowed")
            if turn_context.activity.type == "message":
                locale = to_locale(activity.get("locale"), self.s.programme.default_locale)
                await _safe(
                    _replier(turn_context), self.r.notice(Notice("tenant_not_allowed"), locale)
                )
            return
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = _with_entities(turn_context.activity.serialize(), turn_context)
        reply = _replier(turn_context)
        try:
            user = to_user(activity)
        except InvalidInput as error:
            await _safe(reply, self.r.notice(error.notice, self.s.programme.default_locale))
            return
        locale = await self._locale(user, activity)
        if to_scope(activity) == "personal":
            await self._remember(user, turn_context)
        value = activity.get("value")
        if isinstance(value, Mapping) and to_verb(value):
            await self._guarded(
                reply,
                locale,
                lambda: self._submit(user, locale, value, activity, reply, turn_context),
            )
            return
        name = to_profile(activity).display_name
        await self._guarded(
            reply,
            locale,
            lambda: self._command(
                user, locale, to_command_text(activity), reply, activity, name=name
            ),
        )

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._installed(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await self._installed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity.serialize()
        logger.info("the Teams app was removed from a %s", to_scope(activity))
        if to_scope(activity) == "personal":
            try:
                await self.d.gateway.forget(to_user(activity))
            except InvalidInput:
                return

    async def on_reactions_added(self, message_reactions: Any, turn_context: TurnContext) -> None:
        await self._reactions(turn_context)

    async def on_reactions_removed(self, message_reactions: Any, turn_context: TurnContext) -> None:
        await self._reactions(turn_context)

    # ---- what they do --------------------------------------------------------------------

    async def _installed(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity.serialize()
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        channel = to_channel_id(activity)
        tenant = tenant_of(activity)
        if channel is not None and tenant:
            await self.d.gateway.remember_channel(tenant, channel, reference)
            logger.info("added to a Teams channel; its address is stored")
            return
        try:
            user = to_user(activity)
        except InvalidInput:
            logger.info("an install without a user or tenant: nothing to store")
            return
        # Teams announces a personal install twice (conversationUpdate and
        # installationUpdate): welcome once per chat.
        if not await self.d.gateway.remember(user, reference):
            return
        locale = to_locale(activity.get("locale"), self.s.programme.default_locale)
        await _safe(_replier(turn_context), self.r.welcome(locale))

    async def _remember(self, user: PlatformUser, turn_context: TurnContext) -> None:
        try:
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            await self.d.gateway.remember(user, reference)
        except Exception:  # the reply matters more than refreshing the address
            logger.exception("could not store the conversation reference")

    async def _reactions(self, turn_context: TurnContext) -> None:
        try:
            events = to_reaction_events(turn_context.activity.serialize())
        except InvalidInput:
            logger.info("ignored a reaction without a user")
            return
        for event in events:
            try:
                await self.s.interactions.reaction(event)
            except Exception:
                logger.exception("could not record a Teams reaction")

    async def _command(
        self,
        user: PlatformUser,
        locale: str,
        text: str,
        reply: Reply,
        activity: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        command = parse_command(text)
        s, r = self.s, self.r
        if isinstance(command, PostInline):
            await self._post_inline(user, locale, command, reply)
        elif isinstance(command, Suggest):
            outcome = await self._suggestions.suggest(
                user, command.url, command.why, locale=locale, name=name
            )
            self.d.wake_sender()  # an auto-approved suggestion went out as content
            await reply(r.notice(outcome.notice, locale))
        elif isinstance(command, Publish):
            result = await s.publishing.publish(user, command.content_id)
            self.d.wake_sender()
            await reply(r.notice(published_notice(result), locale))
        elif isinstance(command, Curators | Audit):
            await self._admin(user, locale, command, reply, activity or {})
        elif isinstance(command, Stats):
            await self._stats(user, locale, command, reply)
        elif isinstance(command, Prospects):
            view = await self._prospects().prospects(user, command.window, locale)
            await reply(r.prospects(view))
        elif isinstance(command, Pause):
            await reply(r.notice(await s.preferences.pause(user, command.days), locale))
        elif isinstance(command, RecapChoice):
            await reply(r.notice(await s.preferences.set_weekly_recap(user, command.on), locale))
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
            await reply(r.settings_card(await s.preferences.settings_form(user)))
        elif command.name == "resume":
            await reply(r.notice(await s.preferences.resume(user), locale))
        elif command.name == "help":
            await reply(r.help(await s.ambassadors.help_view(user, locale=locale, command="")))
        elif command.name == "join":
            await reply(r.join_card(await s.ambassadors.join_form(user, locale=locale)))
        elif command.name == "interests":
            await reply(r.preferences_card(await s.ambassadors.preferences_form(user)))
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
            await reply(r.post_card(await s.publishing.post_form(user, locale)))
        elif command.name == "my-data":
            await reply(r.data_link(self._privacy().download_link(user, locale)))
        elif command.name == "forget-me":
            await reply(r.forget_me(await self._privacy().forget_me_view(user, locale)))

    async def _stats(self, user: PlatformUser, locale: str, command: Stats, reply: Reply) -> None:
        if self.d.stats is None:
            raise StatsUnavailable()
        stats, r = self.d.stats, self.r
        if command.export:  # Teams: a signed link to our server, valid 15 minutes
            await reply(r.stats_link(await stats.export_link(user, command.window, locale)))
        elif command.content_id is not None:
            await reply(
                r.stats(await stats.content(user, command.content_id, command.window, locale))
            )
        else:
            await reply(r.stats(await stats.programme(user, command.window, locale)))

    async def _admin(
        self,
        user: PlatformUser,
        locale: str,
        command: Curators | Audit,
        reply: Reply,
        activity: Mapping[str, Any],
    ) -> None:
        admin, r = self.s.admin, self.r
        if isinstance(command, Audit):
            view = await admin.audit(user, locale, limit=command.limit, before=command.before)
            await reply(r.audit(view))
        elif command.action == "list":
            await reply(r.curators(await admin.curators(user, locale)))
        else:
            await self.s.roles.require_admin(user)  # refuse before reading the person
            email = to_email(command.person)
            if email is not None:
                target, name = await admin.person_by_email(user, email), None
            else:
                target, name = to_named_user(command.person, activity)
            if command.action == "add":
                notice = await admin.add_curator(user, target, name=name)
            else:
                notice = await admin.remove_curator(user, target)
            await reply(r.notice(notice, locale))

    async def _submit(
        self,
        user: PlatformUser,
        locale: str,
        value: Mapping[str, Any],
        activity: Mapping[str, Any],
        reply: Reply,
        turn_context: TurnContext,
    ) -> None:
        verb = to_verb(value)
        s, r = self.s, self.r
        if verb == ids.CONFIRM:
            await s.interactions.confirm_share(user, to_delivery_id(value))
        elif verb == ids.SKIP:
            await s.interactions.skip(user, to_delivery_id(value))
        elif verb == ids.ACCEPT_GUIDELINES:
            shown = str(value.get(ids.GUIDELINES_VERSION) or "")[:64]
            notice = await s.ambassadors.accept_guidelines(user, shown)
            self.d.wake_sender()  # what waited for the acceptance goes out now
            await reply(r.notice(notice, locale))
            if notice.key == "guidelines_outdated":  # show the latest, with its Accept button
                await reply(r.guidelines(await s.ambassadors.guidelines(user)))
        elif verb == ids.OPEN_JOIN:
            await reply(r.join_card(await s.ambassadors.join_form(user, locale=locale)))
        elif verb == ids.OPEN_PREFERENCES:
            await reply(r.preferences_card(await s.ambassadors.preferences_form(user)))
        elif verb == ids.OPEN_POST:
            await reply(r.post_card(await s.publishing.post_form(user, locale)))
        elif verb == ids.JOIN:
            topics, networks, version = to_enrolment_choices(value)
            enrolment = s.ambassadors.validate_enrolment(
                topics=topics, networks=networks, accepted_version=version
            )
            profile = await self._profile(turn_context, activity)
            notice = await s.ambassadors.enrol(user, profile, enrolment)
            await reply(r.notice(notice, await s.ambassadors.locale_of(user)))
        elif verb == ids.PREFERENCES:
            topics, networks, _ = to_enrolment_choices(value)
            s.ambassadors.validate_preferences(topics=topics, networks=networks)
            notice = await s.ambassadors.update_preferences(user, topics=topics, networks=networks)
            await reply(r.notice(notice, locale))
        elif verb == ids.OPEN_SETTINGS:
            await reply(r.settings_card(await s.preferences.settings_form(user)))
        elif verb == ids.SETTINGS:
            wanted = to_raw_preferences(value)
            try:
                preferences = s.preferences.validate(wanted)
            except InvalidInput as error:  # the card again, as submitted, with the error
                await reply(
                    r.settings_card(
                        await s.preferences.settings_form_with_error(user, wanted, error)
                    )
                )
                return
            notice = await s.preferences.save(user, preferences)
            await reply(r.notice(notice, preferences.locale))  # in their new language
        elif verb == ids.POST and value.get(ids.SUGGESTION_ID) is not None:
            # The post card opened by a review card's Edit: approves that suggestion.
            raw = to_raw_post(value, s.programme.timezone, activity.get("localTimezone"))
            draft = await s.publishing.validate(user, raw)
            outcome = await self._suggestions.approve_edited(
                user, to_suggestion_id(value), draft, name=to_profile(activity).display_name
            )
            if outcome.published is not None:
                self.d.wake_sender()
            await reply(r.notice(saved_notice(outcome, s.programme.timezone), locale))
        elif verb == ids.POST:
            raw = to_raw_post(value, s.programme.timezone, activity.get("localTimezone"))
            draft = await s.publishing.validate(user, raw)
            await reply(r.notice(Notice("post_received", {"url": draft.url}), locale))
            await self._submit_draft(user, locale, draft, reply)
        elif verb in (ids.REVIEW_APPROVE, ids.REVIEW_EDIT, ids.REVIEW_REJECT):
            await self._review(user, locale, verb, value, activity, reply)
        elif verb == ids.EDIT_TEXT:
            # The card is redrawn with the kept text (update_activity): the confirmation.
            delivery_id, text = to_edited_text(value)
            await s.texts.edit(user, delivery_id, text)
        elif verb == ids.FORGET_ME_CONFIRM:
            await reply(r.notice(await self._privacy().forget_me(user), locale))
        elif verb == ids.PROSPECT_INVITE:
            await self._invite(user, locale, value, reply)
        elif verb == ids.RECAP_OFF:  # the weekly recap's button (a second click: the same)
            await reply(r.notice(await s.preferences.set_weekly_recap(user, False), locale))
        elif verb == ids.FORGET_ME_CANCEL:
            await reply(r.notice(Notice("forget_me_cancelled"), locale))
        else:
            logger.info("ignored a card submit with an unknown verb")

    def _prospects(self) -> ProspectService:
        if self.d.prospects is None:
            raise StatsUnavailable()
        return self.d.prospects

    async def _invite(
        self, curator: PlatformUser, locale: str, value: Mapping[str, Any], reply: Reply
    ) -> None:
        """Invite (prospects card): the invitation card to the person, once per cooldown."""
        person = to_prospect(value, curator)
        outcome = await self._prospects().invite(curator, person, None)
        if outcome.invitation is not None:
            try:
                await self.d.gateway.send_to(person, self.r.invitation(outcome.invitation))
            except GatewayError:
                logger.warning("could not deliver an invitation")
                outcome = await self._prospects().undelivered(outcome)
        await reply(self.r.notice(outcome.notice, locale))

    def _privacy(self) -> PrivacyService:
        if self.s.privacy is None:
            raise PrivacyUnavailable()
        return self.s.privacy

    @property
    def _suggestions(self) -> SuggestionService:
        if self.d.suggestions is None:
            raise RuntimeError("suggestions are not wired")
        return self.d.suggestions

    async def _review(
        self,
        user: PlatformUser,
        locale: str,
        verb: str,
        value: Mapping[str, Any],
        activity: Mapping[str, Any],
        reply: Reply,
    ) -> None:
        """A curator's Approve / Edit / Reject on a review card (the card is redrawn by the
        use case; refusals are answered in the card's thread)."""
        suggestion_id = to_suggestion_id(value)
        name = to_profile(activity).display_name
        if verb == ids.REVIEW_APPROVE:
            await self._suggestions.approve(user, suggestion_id, name=name)
            self.d.wake_sender()
        elif verb == ids.REVIEW_EDIT:
            form = await self._suggestions.edit_form(user, suggestion_id, locale)
            await reply(self.r.post_card(form))
        else:
            await self._suggestions.reject(user, suggestion_id, to_reason(value), name=name)

    async def _post_inline(
        self, user: PlatformUser, locale: str, command: PostInline, reply: Reply
    ) -> None:
        raw = raw_post_of(command, self.s.programme.timezone)
        draft = await self.s.publishing.validate(user, raw)
        await reply(self.r.notice(Notice("post_received", {"url": draft.url}), locale))
        await self._submit_draft(user, locale, draft, reply)

    async def _submit_draft(
        self, user: PlatformUser, locale: str, draft: Any, reply: Reply
    ) -> None:
        outcome = await self.s.publishing.submit(user, draft)
        if outcome.published is not None:
            self.d.wake_sender()
        await reply(self.r.notice(saved_notice(outcome, self.s.programme.timezone), locale))

    @staticmethod
    async def _profile(turn_context: TurnContext, activity: Mapping[str, Any]) -> UserProfile:
        """The sender's name and language, and their email from the team roster when Teams
        gives it (it links their Slack and Teams identities into one ambassador)."""
        profile = to_profile(activity)
        try:
            member = await TeamsInfo.get_member(
                turn_context, turn_context.activity.from_property.id
            )
        except Exception:  # no roster access here: join without the email
            logger.info("could not read the Teams member's email; joining without it")
            return profile
        email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        return replace(
            profile, email=email[:320] if isinstance(email, str) and "@" in email else None
        )

    async def _locale(self, user: PlatformUser, activity: Mapping[str, Any]) -> str:
        client = to_locale(activity.get("locale"), self.s.programme.default_locale)
        try:
            return await self.s.ambassadors.locale_of(user, fallback=client)
        except Exception:  # the database is down: apologise in the client's language
            logger.warning("could not read the locale of a Teams user")
            return client

    async def _guarded(
        self, reply: Reply, locale: str, work: Callable[[], Awaitable[None]]
    ) -> None:
        try:
            await work()
        except AdvocacyError as refusal:
            logger.info("refused: %s %s", type(refusal).__name__, refusal)
            await _safe(reply, self.r.notice(refusal.notice, locale))
        except Exception:
            logger.exception("Teams handler failed")
            await _safe(reply, self.r.notice(Notice("error"), locale))


def _with_entities(activity: dict[str, Any], turn_context: TurnContext) -> dict[str, Any]:
    """The activity's JSON with its entities whole: botbuilder's ``Entity`` keeps a mention's
    ``mentioned`` and ``text`` only as additional properties, which ``serialize()`` drops."""
    entities = turn_context.activity.entities or []
    activity["entities"] = [
        {**(getattr(e, "additional_properties", None) or {}), "type": e.type} for e in entities
    ]
    return activity


def _replier(turn_context: TurnContext) -> Reply:
    async def reply(message: TeamsMessage) -> None:
        await turn_context.send_activity(to_activity(message))

    return reply


async def _safe(reply: Reply, message: TeamsMessage) -> None:
    try:
        await reply(message)
    except Exception:
        logger.exception("could not tell the person about an error")
