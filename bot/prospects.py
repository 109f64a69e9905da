"""Prospects: employees who react to the bot's messages or suggest content the most without
being ambassadors, and the curator's one-button invitation to join.

Participation is voluntary: nobody is invited twice within :data:`INVITE_COOLDOWN`, and people
who joined and then left (their own choice) are never invited again. Erased people's records
no longer name them, so they drop out of the list. Bots and deactivated accounts are refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.model import AuditAction, PlatformUser, UserProfile
from bot.ports import Clock, ProspectRepository
from bot.programme import Programme
from bot.roles import AuditTrail, RoleService, user_target
from bot.stats import window_of
from bot.views import InvitationView, Notice, ProspectsView

logger = logging.getLogger(__name__)

INVITE_COOLDOWN = timedelta(days=90)
PROSPECTS_SHOWN = 20


@dataclass(frozen=True)
class InviteOutcome:
    """What an Invite click did: the curator's notice, and the DM to send (None: none)."""

    notice: Notice
    invitation: InvitationView | None = None
    person: PlatformUser | None = None  # whom it is for
    invited_at: datetime | None = None  # the recorded invitation (to withdraw if undelivered)


class ProspectService:
    """``prospects`` and the Invite button (curators only)."""

    def __init__(
        self,
        *,
        prospects: ProspectRepository,
        roles: RoleService,
        audit: AuditTrail,
        programme: Programme,
        clock: Clock,
        cooldown: timedelta = INVITE_COOLDOWN,
    ) -> None:
        self._prospects = prospects
        self._roles = roles
        self._audit = audit
        self._programme = programme
        self._clock = clock
        self._cooldown = cooldown

    async def prospects(self, user: PlatformUser, window: str, locale: str) -> ProspectsView:
        """The most engaged non-ambassadors of the window (reactions, suggestions)."""
        await self._roles.require_curator(user)
        span = window_of(window, self._clock.now())
        since = span.start or span.end - timedelta(days=36_500)
        found = await self._prospects.ranking(since=since, limit=PROSPECTS_SHOWN)
        # Another workspace's people cannot be reached from here: show this one's.
        lines = tuple(
            p
            for p in found
            if p.user.platform is user.platform and p.user.workspace_id == user.workspace_id
        )
        return ProspectsView(
            locale=locale,
            window=span.label,
            prospects=lines,
            cooldown_days=self._cooldown.days,
            now=self._clock.now(),
        )

    async def invite(
        self, curator: PlatformUser, person: PlatformUser, profile: UserProfile | None
    ) -> InviteOutcome:
        """Record an invitation and hand back the DM to send, unless the person is a bot, is
        in the programme (or left it), or was invited within the cooldown.

        Args:
            curator: who clicked Invite (checked to be a curator).
            person: the prospect.
            profile: what the platform says about them (None when it cannot say).
        """
        await self._roles.require_curator(curator)
        if profile is not None and (profile.is_bot or profile.deleted):
            return InviteOutcome(Notice("prospect_not_a_person"))
        if await self._prospects.is_member(person):
            return InviteOutcome(Notice("prospect_is_member"))
        now = self._clock.now()
        recorded = await self._prospects.record_invitation(
            user=person, by=curator, now=now, cooldown=self._cooldown
        )
        if not recorded:
            return InviteOutcome(Notice("prospect_already_invited", {"days": self._cooldown.days}))
        await self._audit.record(curator, AuditAction.PROSPECT_INVITED, target=user_target(person))
        logger.info("a curator invited a prospect to join")
        locale = self._programme.locale_for(profile.locale if profile else None)
        return InviteOutcome(
            Notice("prospect_invited"),
            InvitationView(locale=locale, programme=self._programme.name),
            person,
            now,
        )

    async def undelivered(self, outcome: InviteOutcome) -> InviteOutcome:
        """The invitation could not be delivered (the app is not installed for the person,
        the account is gone): withdraw it so it can be sent later, and say so."""
        if outcome.person is not None and outcome.invited_at is not None:
            await self._prospects.withdraw_invitation(
                user=outcome.person, invited_at=outcome.invited_at
            )
        return InviteOutcome(Notice("prospect_unreachable"))
