"""Joining, preferences, leaving, and a person's standing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidInput, NotAnAmbassador
from bot.leaderboard import week_of
from bot.model import (
    HELD_FOR_GUIDELINES,
    Ambassador,
    Enrolment,
    Network,
    Platform,
    PlatformUser,
    UserProfile,
)
from bot.ports import ActivityLedger, AmbassadorRepository, Clock, DeliveryQueue
from bot.programme import Programme
from bot.roles import RoleService
from bot.views import (
    EnrolmentForm,
    GuidelinesView,
    HelpView,
    NetworkChoice,
    Notice,
    ProfileView,
    TopicChoice,
)

if TYPE_CHECKING:
    from bot.recognition import RecognitionService


class AmbassadorService:
    """Use cases of people joining and running their own participation."""

    def __init__(
        self,
        *,
        ambassadors: AmbassadorRepository,
        ledger: ActivityLedger,
        programme: Programme,
        clock: Clock,
        queue: DeliveryQueue | None = None,
        roles: RoleService,
        recognition: RecognitionService | None = None,
    ) -> None:
        self._recognition = recognition
        self._ambassadors = ambassadors
        self._roles = roles
        self._queue = queue
        self._ledger = ledger
        self._programme = programme
        self._clock = clock

    async def locale_of(self, user: PlatformUser, *, fallback: str | None = None) -> str:
        """The language to speak to a person in: theirs if they joined, else ``fallback``
        (the client's language, when the platform tells it), else the programme's."""
        found = await self._ambassadors.get_by_user(user)
        return found.locale if found else fallback or self._programme.default_locale

    async def active(self, user: PlatformUser) -> Ambassador:
        """The person's ambassador record, or ``NotAnAmbassador``."""
        found = await self._ambassadors.get_by_user(user)
        if found is None or not found.is_active:
            raise NotAnAmbassador(user.user_id)
        return found

    async def join_form(self, user: PlatformUser, *, locale: str | None = None) -> EnrolmentForm:
        """The guidelines and the choices offered to someone joining (pre-filled if they
        were an ambassador before)."""
        previous = await self._ambassadors.get_by_user(user)
        return self._form(previous, locale or await self.locale_of(user), with_guidelines=True)

    async def preferences_form(self, user: PlatformUser) -> EnrolmentForm:
        """The interests and networks form, for a current ambassador."""
        current = await self.active(user)
        return self._form(current, current.locale, with_guidelines=False)

    def _form(
        self, current: Ambassador | None, locale: str, *, with_guidelines: bool
    ) -> EnrolmentForm:
        programme = self._programme
        topics = current.topics if current else frozenset()
        networks = current.networks if current else ()
        return EnrolmentForm(
            locale=locale,
            guidelines_markdown=programme.guidelines.markdown if with_guidelines else None,
            guidelines_version=programme.guidelines.version,
            topics=tuple(
                TopicChoice(t.id, t.label(locale), t.id in topics) for t in programme.topics
            ),
            networks=tuple(NetworkChoice(n, n in networks) for n in programme.networks),
        )

    def validate_enrolment(
        self, *, topics: Sequence[str], networks: Sequence[str], accepted_version: str | None
    ) -> Enrolment:
        """Check a join form; pure, so the form can show errors before it closes.

        Raises:
            InvalidInput: guidelines not accepted, no topic, no network, unknown values.
        """
        if accepted_version != self._programme.guidelines.version:
            raise InvalidInput("guidelines_not_accepted", field="accept")
        return Enrolment(
            topics=self._topics(topics),
            networks=self._networks(networks),
            guidelines_version=self._programme.guidelines.version,
        )

    async def enrol(self, user: PlatformUser, profile: UserProfile, enrolment: Enrolment) -> Notice:
        """Make a person an ambassador (or welcome them back) with what they chose."""
        if profile.is_bot or profile.deleted:
            raise InvalidInput("not_a_person")
        # Keep only a locale we speak ("fr-FR" -> "fr", "de-DE" -> the programme's default).
        profile = replace(profile, locale=self._programme.locale_for(profile.locale))
        ambassador = await self._ambassadors.enrol(
            user=user, profile=profile, enrolment=enrolment, now=self._clock.now()
        )
        return Notice(
            "welcome_settings",
            {
                "name": ambassador.display_name,
                "topics": self._labels(ambassador.topics, ambassador.locale),
                "networks": [n.value for n in ambassador.networks],
                "app_home": user.platform is Platform.SLACK,  # Slack has the App Home tab
            },
        )

    def validate_preferences(
        self, *, topics: Sequence[str], networks: Sequence[str]
    ) -> tuple[frozenset[str], tuple[Network, ...]]:
        """Check a preferences form; pure, so the form can show errors before it closes."""
        return self._topics(topics), self._networks(networks)

    async def update_preferences(
        self, user: PlatformUser, *, topics: Sequence[str], networks: Sequence[str]
    ) -> Notice:
        """Replace a current ambassador's interests and networks."""
        current = await self.active(user)
        chosen_topics, chosen_networks = self.validate_preferences(topics=topics, networks=networks)
        updated = await self._ambassadors.update_preferences(
            ambassador_id=current.id, topics=chosen_topics, networks=chosen_networks
        )
        return Notice(
            "preferences_saved",
            {
                "topics": self._labels(updated.topics, updated.locale),
                "networks": [n.value for n in updated.networks],
            },
        )

    async def help_view(self, user: PlatformUser, *, locale: str, command: str) -> HelpView:
        """``help``: what this person may do (ambassador, curator), with the topics."""
        found = await self._ambassadors.get_by_user(user)
        return HelpView(
            locale=locale,
            command=command,
            is_curator=await self._roles.is_curator(user),
            is_admin=await self._roles.is_admin(user),
            is_ambassador=found is not None and found.is_active,
            topics=self._programme.topic_ids,
        )

    async def guidelines(self, user: PlatformUser, *, locale: str | None = None) -> GuidelinesView:
        """The current guidelines, with an Accept button for an ambassador who has not
        accepted this version yet."""
        found = await self._ambassadors.get_by_user(user)
        return guidelines_view(self._programme, found, locale=locale, changed=False)

    async def accept_guidelines(self, user: PlatformUser, version: str) -> Notice:
        """An ambassador accepts the current guidelines; what waited for it goes out.

        Raises:
            NotAnAmbassador: when the person has not joined (joining accepts them).
        """
        current = await self.active(user)
        if version != self._programme.guidelines.version:
            return Notice("guidelines_outdated", {"version": self._programme.guidelines.version})
        now = self._clock.now()
        await self._ambassadors.accept_guidelines(
            ambassador_id=current.id, version=version, now=now
        )
        if self._queue is not None:
            await self._queue.release_held(
                ambassador_id=current.id, mark=HELD_FOR_GUIDELINES, now=now
            )
        return Notice("guidelines_accepted", {"version": version})

    async def leave(self, user: PlatformUser) -> Notice:
        """Stop being an ambassador; history and points stay, and joining again is one
        command away."""
        current = await self.active(user)
        await self._ambassadors.leave(ambassador_id=current.id, now=self._clock.now())
        return Notice("left", {"name": current.display_name})

    async def profile(self, user: PlatformUser) -> ProfileView:
        """Points, rank and choices of a current ambassador."""
        current = await self.active(user)
        week = week_of(self._clock.now(), self._programme.timezone)
        points_week, _ = await self._ledger.points_of(
            ambassador_id=current.id, start=week.start, end=week.end
        )
        points_total, shares_total = await self._ledger.points_of(
            ambassador_id=current.id, start=None, end=None
        )
        rank = await self._ledger.rank_of(ambassador_id=current.id, start=week.start, end=week.end)
        standing = (
            await self._recognition.standing(current.id) if self._recognition is not None else None
        )
        now = self._clock.now()
        paused = current.is_paused(now)
        resumes_on = None
        if paused and current.paused_until is not None:
            resumes_on = current.paused_until.astimezone(_zone_of(current)).date()
        return ProfileView(
            locale=current.locale,
            display_name=current.display_name,
            active=current.is_active,
            topics=tuple(self._labels(current.topics, current.locale)),
            networks=current.networks,
            points_week=points_week,
            points_total=points_total,
            shares_total=shares_total,
            rank_week=rank,
            paused=paused,
            resumes_on=resumes_on,
            badges=tuple(b.value for b in standing.badges) if standing else (),
            streak=standing.streak.current if standing else 0,
            best_streak=standing.streak.best if standing else 0,
            weekly_recap=current.weekly_recap,
        )

    def _topics(self, wanted: Sequence[str]) -> frozenset[str]:
        chosen: set[str] = set()
        for topic_id in wanted:
            topic = self._programme.topic(topic_id)
            if topic is None:
                raise InvalidInput(
                    "unknown_topic",
                    field="topics",
                    topic=topic_id[:50],
                    known=self._programme.topic_ids,
                )
            chosen.add(topic.id)
        if not chosen:
            raise InvalidInput("topics_missing", field="topics", known=self._programme.topic_ids)
        return frozenset(chosen)

    def _networks(self, wanted: Sequence[str]) -> tuple[Network, ...]:
        offered = self._programme.networks
        chosen: list[Network] = []
        for value in wanted:
            network = next((n for n in offered if n.value == value.strip().lower()), None)
            if network is None:
                raise InvalidInput(
                    "unknown_network",
                    field="networks",
                    network=value[:30],
                    known=[n.value for n in offered],
                )
            if network not in chosen:
                chosen.append(network)
        if not chosen:
            raise InvalidInput("networks_missing", field="networks")
        # Keep the programme's order so buttons always appear in the same place.
        return tuple(n for n in offered if n in chosen)

    def _labels(self, topic_ids: frozenset[str], locale: str) -> list[str]:
        return [t.label(locale) for t in self._programme.topics if t.id in topic_ids]


def guidelines_view(
    programme: Programme, ambassador: Ambassador | None, *, locale: str | None, changed: bool
) -> GuidelinesView:
    """The guidelines as a person should see them now."""
    current = programme.guidelines.version
    accepted = ambassador is not None and ambassador.guidelines_version == current
    return GuidelinesView(
        locale=locale or (ambassador.locale if ambassador else programme.default_locale),
        markdown=programme.guidelines.markdown,
        version=current,
        accepted=accepted,
        can_accept=ambassador is not None and ambassador.is_active and not accepted,
        changed=changed,
        can_join=ambassador is None or not ambassador.is_active,
    )


def _zone_of(ambassador: Ambassador) -> ZoneInfo:
    try:
        return ZoneInfo(ambassador.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
