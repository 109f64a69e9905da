"""Settings, pause / resume, and the Slack App Home dashboard of an ambassador.

Choices made here, and why:

- **One form for every preference** (topics, networks, language, delivery mode, quiet hours,
  weekly cap, Mastodon instance), checked by a pure :meth:`PreferencesService.validate`, so
  the form shows the error next to the field before anything is stored.
- **A pause is a state of the person, not of their deliveries.** While paused, publications
  skip them and the sender drops whatever comes due for them (``paused``), so nobody comes
  back from holidays to a pile of stale suggestions; resuming brings the next ones. A pause
  of N days ends by itself: :meth:`bot.model.Ambassador.is_paused` compares with the end
  date, so no job has to wake anyone up.
- **Team and hiding from boards** are leaderboard settings (issue 6): the form checks the team
  with the ``team`` command's rule (:func:`bot.leaderboard.parse_team`) and saving goes
  through :class:`~bot.leaderboard.LeaderboardService`, like the ``team`` and ``hide``
  commands; a form without those fields (opened before they existed) leaves them as they are.
- **Mastodon needs the person's instance**, a bare host name (``mastodon.social``): no
  scheme, port, path or IP literal, since it becomes the host of the share page URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.ambassadors import AmbassadorService
from bot.delivery import DeliveryService
from bot.errors import InvalidInput
from bot.leaderboard import MAX_TEAM, LeaderboardService, parse_team
from bot.model import Ambassador, Network, PlatformUser, Preferences
from bot.policy import DeliveryMode
from bot.ports import AmbassadorRepository, Clock, ContentRepository, PreferencesRepository
from bot.programme import SUPPORTED_LOCALES, Programme
from bot.views import (
    HomeView,
    NetworkChoice,
    Notice,
    PreferencesSummary,
    SettingsForm,
    SuggestionView,
    TopicChoice,
)

MAX_WEEKLY_CAP = 50
MAX_PAUSE_DAYS = 365
HOME_PENDING = 5  # suggestions listed on the dashboard
DELIVERY_MODES = tuple(m.value for m in DeliveryMode)
MAX_INSTANCE = 253

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2})(?::00)?|[hH](\d{2})?)$")  # 20:30, 20h30, 20h


@dataclass(frozen=True)
class RawPreferences:
    """The settings form as submitted: strings, unchecked."""

    topics: Sequence[str]
    networks: Sequence[str]
    language: str | None = None
    delivery_mode: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    weekly_cap: str | None = None
    mastodon_instance: str | None = None
    team: str | None = None  # None: no team field; "" or "none": no team
    hidden: bool | None = None  # None: no such checkbox
    weekly_recap: bool | None = None  # None: no such checkbox (a form from before it)


def parse_form_team(programme: Programme, value: str | None) -> str | None:
    """The settings form's team: None when the form had no team field, "" to leave one's
    team (empty, or ``none`` as the ``team`` command takes it), else :func:`parse_team`.

    Raises:
        InvalidInput: departments are configured and ``value`` is none of them.
    """
    if value is None:
        return None
    text = value.strip()
    if text.lower() in ("", "none"):
        return ""
    return parse_team(programme, text) or ""


def parse_instance(value: str | None) -> str:
    """A Mastodon instance as a bare, lower-case DNS host name.

    Raises:
        InvalidInput: empty, with a scheme, port, path or user, an IP literal, or not a
            valid DNS name (``field="mastodon_instance"``).
    """
    text = (value or "").strip().lower().rstrip(".")
    if not text:
        raise InvalidInput("mastodon_instance_missing", field="mastodon_instance")
    refused = InvalidInput("mastodon_instance_invalid", field="mastodon_instance", value=text[:60])
    if any(mark in text for mark in ("://", "/", ":", "@", "?", "#", " ")):
        raise refused
    try:
        host = text.encode("idna").decode("ascii")  # "café.example" -> "xn--caf-dma.example"
    except UnicodeError as error:
        raise refused from error
    labels = host.split(".")
    if (
        len(host) > MAX_INSTANCE
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()  # 192.168.0.1: an IP literal, not an instance name
    ):
        raise refused
    return host


def parse_clock(value: str | None, field: str) -> time | None:
    """A local wall time typed or picked as ``HH:MM`` (or the French ``20h30``, ``20h``);
    None when empty."""
    text = (value or "").strip()
    if not text:
        return None
    found = _CLOCK.match(text)
    minutes = int(found[2] or found[3] or 0) if found else 0
    if found is None or int(found[1]) > 23 or minutes > 59:
        raise InvalidInput("bad_clock_time", field=field, value=text[:10])
    return time(int(found[1]), minutes)


def parse_weekly_cap(value: str | None) -> int | None:
    """A weekly cap: empty or ``none`` for none, else 1..50."""
    text = (value or "").strip().lower()
    if text in ("", "none", "0"):
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEEKLY_CAP:
        raise InvalidInput("bad_weekly_cap", field="weekly_cap", limit=MAX_WEEKLY_CAP)
    return int(text)


def parse_pause_days(value: int | None) -> int | None:
    """A pause length: None (until resumed) or 1..365 days."""
    if value is not None and not 1 <= value <= MAX_PAUSE_DAYS:
        raise InvalidInput("bad_pause_days", field="days", limit=MAX_PAUSE_DAYS)
    return value


class PreferencesService:
    """Use cases of the settings form, pause / resume and the dashboard."""

    def __init__(
        self,
        *,
        ambassadors: AmbassadorRepository,
        preferences: PreferencesRepository,
        contents: ContentRepository,
        enrolment: AmbassadorService,
        delivery: DeliveryService,
        programme: Programme,
        clock: Clock,
        leaderboard: LeaderboardService | None = None,
    ) -> None:
        self._leaderboard = leaderboard  # team and hiding (None: no boards, no such fields)
        self._ambassadors = ambassadors
        self._preferences = preferences
        self._contents = contents
        self._enrolment = enrolment
        self._delivery = delivery
        self._programme = programme
        self._clock = clock

    # ---- settings ------------------------------------------------------------------------

    async def settings_form(self, user: PlatformUser) -> SettingsForm:
        """The settings form of a current ambassador, with their current choices.

        Raises:
            NotAnAmbassador: the person has not joined (or left).
        """
        current = await self._enrolment.active(user)
        return self._form(
            locale=current.locale,
            topics=current.topics,
            networks=current.networks,
            language=current.locale,
            mode=current.delivery_mode,
            quiet_start=_clock_text(current.quiet_start),
            quiet_end=_clock_text(current.quiet_end),
            weekly_cap=current.weekly_cap,
            instance=current.mastodon_instance,
            team=current.team,
            hidden=await self._is_hidden(current),
            weekly_recap=current.weekly_recap,
        )

    async def settings_form_with_error(
        self, user: PlatformUser, raw: RawPreferences, error: InvalidInput
    ) -> SettingsForm:
        """The form again, as submitted, with the error to fix (Teams cards)."""
        current = await self._enrolment.active(user)
        cap = (raw.weekly_cap or "").strip()
        return self._form(
            locale=current.locale,
            topics=frozenset(raw.topics),
            networks=tuple(n for n in self._programme.networks if n.value in raw.networks),
            language=raw.language if raw.language in SUPPORTED_LOCALES else current.locale,
            mode=raw.delivery_mode or current.delivery_mode,
            quiet_start=raw.quiet_start,
            quiet_end=raw.quiet_end,
            weekly_cap=int(cap) if cap.isascii() and cap.isdigit() and len(cap) < 6 else None,
            instance=raw.mastodon_instance,
            team=current.team if raw.team is None else raw.team,
            hidden=await self._is_hidden(current) if raw.hidden is None else raw.hidden,
            weekly_recap=current.weekly_recap if raw.weekly_recap is None else raw.weekly_recap,
            error=error,
        )

    async def _is_hidden(self, ambassador: Ambassador) -> bool:
        board = self._leaderboard
        return await board.is_hidden(ambassador.id) if board is not None else False

    def _form(
        self,
        *,
        locale: str,
        topics: frozenset[str],
        networks: tuple[Network, ...],
        language: str,
        mode: str,
        quiet_start: str | None,
        quiet_end: str | None,
        weekly_cap: int | None,
        instance: str | None,
        team: str | None = None,
        hidden: bool = False,
        weekly_recap: bool = False,
        error: InvalidInput | None = None,
    ) -> SettingsForm:
        programme = self._programme
        department = programme.department(team) if team else None
        return SettingsForm(
            locale=locale,
            topics=tuple(
                TopicChoice(t.id, t.label(locale), t.id in topics) for t in programme.topics
            ),
            networks=tuple(NetworkChoice(n, n in networks) for n in programme.networks),
            languages=SUPPORTED_LOCALES,
            language=language,
            delivery_mode=mode if mode in DELIVERY_MODES else DeliveryMode.IMMEDIATE.value,
            delivery_modes=DELIVERY_MODES,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            weekly_cap=weekly_cap,
            max_weekly_cap=MAX_WEEKLY_CAP,
            mastodon_instance=instance,
            error_field=error.field if error else None,
            error=error.notice if error else None,
            boards=self._leaderboard is not None,
            departments=tuple(
                TopicChoice(d.id, d.label(locale), d is department) for d in programme.departments
            ),
            team=department.id if department else team,
            max_team=MAX_TEAM,
            hidden=hidden,
            weekly_recap=weekly_recap,
        )

    def validate(self, raw: RawPreferences) -> Preferences:
        """Check a settings form; pure, so the form can show errors before it closes.

        Raises:
            InvalidInput: with ``field`` naming the input to fix (``topics``, ``networks``,
                ``language``, ``delivery_mode``, ``quiet_start``, ``quiet_end``,
                ``weekly_cap``, ``mastodon_instance``, ``team``).
        """
        topics, networks = self._enrolment.validate_preferences(
            topics=raw.topics, networks=raw.networks
        )
        language = (raw.language or self._programme.default_locale).strip().lower()
        if language not in SUPPORTED_LOCALES:
            raise InvalidInput(
                "settings_unknown_language", field="language", known=SUPPORTED_LOCALES
            )
        mode = (raw.delivery_mode or DeliveryMode.IMMEDIATE.value).strip().lower()
        if mode not in DELIVERY_MODES:
            raise InvalidInput("unknown_delivery_mode", field="delivery_mode")
        quiet_start = parse_clock(raw.quiet_start, "quiet_start")
        quiet_end = parse_clock(raw.quiet_end, "quiet_end")
        if (quiet_start is None) != (quiet_end is None):
            missing = "quiet_end" if quiet_end is None else "quiet_start"
            raise InvalidInput("quiet_hours_incomplete", field=missing)
        if quiet_start is not None and quiet_start == quiet_end:
            raise InvalidInput("quiet_hours_empty", field="quiet_end")
        instance = None
        if Network.MASTODON in networks:
            instance = parse_instance(raw.mastodon_instance)
        elif (raw.mastodon_instance or "").strip():
            instance = parse_instance(raw.mastodon_instance)  # kept for when they add it back
        return Preferences(
            topics=topics,
            networks=networks,
            locale=language,
            delivery_mode=mode,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
            weekly_cap=parse_weekly_cap(raw.weekly_cap),
            mastodon_instance=instance,
            team=parse_form_team(self._programme, raw.team),
            hidden_from_boards=raw.hidden,
            weekly_recap=raw.weekly_recap,
        )

    async def save(self, user: PlatformUser, preferences: Preferences) -> Notice:
        """Store a validated settings form; the team and hiding go through the leaderboard's
        use cases, as the ``team`` and ``hide`` commands do. The one confirmation is meant
        for the person's new language (``preferences.locale``)."""
        current = await self._enrolment.active(user)
        saved = await self._preferences.save_preferences(
            ambassador_id=current.id, preferences=preferences
        )
        summary = self._summary(saved)
        board = self._leaderboard
        if board is None:
            return Notice("settings_saved", {"summary": summary})
        team = current.team
        if preferences.team is not None:
            team = preferences.team or None
            await board.choose_team(user, team, clear=team is None)
        hidden = await board.is_hidden(current.id)
        wanted = preferences.hidden_from_boards
        if wanted is not None and wanted != hidden:
            await board.hide(user, hidden=wanted)
            hidden = wanted
        department = self._programme.department(team) if team else None
        label = department.label(saved.locale) if department else team
        return Notice("settings_saved", {"summary": replace(summary, team=label, hidden=hidden)})

    # ---- pause / resume ------------------------------------------------------------------

    async def pause(self, user: PlatformUser, days: int | None) -> Notice:
        """Stop suggestions, for ``days`` days or until resumed.

        Raises:
            NotAnAmbassador: the person has not joined.
            InvalidInput: ``days`` outside 1..365.
        """
        days = parse_pause_days(days)
        current = await self._enrolment.active(user)
        now = self._clock.now()
        until = now + timedelta(days=days) if days else None
        await self._preferences.pause(ambassador_id=current.id, now=now, until=until)
        if until is None:
            return Notice("paused", {})
        return Notice("paused_until", {"day": until.astimezone(_zone(current)).date()})

    async def resume(self, user: PlatformUser) -> Notice:
        """End a pause: the next publications reach the person again."""
        current = await self._enrolment.active(user)
        if not current.is_paused(self._clock.now()):
            return Notice("not_paused", {})
        await self._preferences.resume(ambassador_id=current.id)
        return Notice("resumed", {})

    # ---- the personal weekly recap ---------------------------------------------------------

    async def set_weekly_recap(self, user: PlatformUser, on: bool | None) -> Notice:
        """Opt in to the personal weekly recap DM (``on``), out of it, or (None) say which;
        idempotent: turning it off twice (a second click on the recap's button) says so again.

        Raises:
            NotAnAmbassador: the person has not joined (or left).
        """
        current = await self._enrolment.active(user)
        if on is None:
            return Notice("recap_status", {"on": current.weekly_recap})
        if current.weekly_recap != on:
            await self._preferences.set_weekly_recap(ambassador_id=current.id, on=on)
        return Notice("recap_on" if on else "recap_off", {})

    # ---- the dashboard -------------------------------------------------------------------

    async def home(self, user: PlatformUser, *, display_name: str = "") -> HomeView:
        """The App Home dashboard: an invitation for someone who has not joined, else the
        person's points, rank, waiting suggestions and settings."""
        found = await self._ambassadors.get_by_user(user)
        version = self._programme.guidelines.version
        if found is None or not found.is_active:
            locale = found.locale if found else self._programme.default_locale
            return HomeView(
                locale=locale,
                display_name=(found.display_name if found else display_name)[:80],
                is_ambassador=False,
                guidelines_version=version,
            )
        now = self._clock.now()
        profile = await self._enrolment.profile(user)
        return HomeView(
            locale=found.locale,
            display_name=found.display_name[:80],
            is_ambassador=True,
            guidelines_version=version,
            profile=profile,
            preferences=self._summary(found),
            paused=found.is_paused(now),
            resumes_on=profile.resumes_on,
            pending=await self._pending(found),
            badges=profile.badges,
        )

    async def _pending(self, ambassador: Ambassador) -> tuple[SuggestionView, ...]:
        deliveries = await self._preferences.pending_suggestions(
            ambassador_id=ambassador.id, now=self._clock.now(), limit=HOME_PENDING
        )
        views: list[SuggestionView] = []
        for delivery in deliveries:
            content = await self._contents.get(delivery.content_id)
            if content is not None:
                views.append(
                    await self._delivery.view_for(delivery, ambassador=ambassador, content=content)
                )
        return tuple(views)

    def _summary(self, ambassador: Ambassador) -> PreferencesSummary:
        locale = ambassador.locale
        return PreferencesSummary(
            topics=tuple(
                t.label(locale) for t in self._programme.topics if t.id in ambassador.topics
            ),
            networks=ambassador.networks,
            language=locale,
            delivery_mode=ambassador.delivery_mode,
            quiet_start=_clock_text(ambassador.quiet_start),
            quiet_end=_clock_text(ambassador.quiet_end),
            weekly_cap=ambassador.weekly_cap,
            mastodon_instance=ambassador.mastodon_instance,
            weekly_recap=ambassador.weekly_recap,
        )


def _clock_text(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def _zone(ambassador: Ambassador) -> ZoneInfo:
    try:
        return ZoneInfo(ambassador.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
