"""Per-person delivery policy: whether, and when, a suggestion DM may reach an ambassador.

Notification fatigue is what kills ambassador programmes, so every suggestion goes through the
person's own rules before it is sent: opt-out, content expiry, quiet hours, a weekly cap, and the
delivery mode (immediate, daily digest, weekly digest). This module is the pure core of those
rules: frozen values and functions of them, no I/O, no clock (the caller passes ``now``), no
platform SDK and no SQL. Every instant goes in and comes out as an aware datetime; results are
in UTC. Every local rule ("quiet from 20:00 to 08:00", "the digest at 09:00 on Monday", "the
ISO week") is evaluated in the person's own time zone.

Choices made here, and why:

- **Quiet windows are half-open**, ``[quiet_start, quiet_end)``: a window 20:00-08:00 includes
  20:00:00 and excludes 08:00:00, so the end is the first instant a DM may go out. A window
  whose start is later than its end crosses midnight; ``None``/``None`` or equal times mean no
  quiet hours at all (an equal pair would otherwise be ambiguous between "never" and "always",
  and "always" is what opting out is for).
- **Wall times become instants once per local day** (:func:`local_to_utc`), and windows are then
  compared as instants, never as wall-clock readings:

  * a wall time that does not exist (the spring-forward gap, 02:30 in Paris on the last Sunday
    of March) resolves to the first instant after the gap (03:00 CEST). Quiet hours ending
    in the gap end when the clocks jump; a digest due in the gap goes out at the jump;
  * a wall time that happens twice (the fall-back fold, 01:30 in New York on the first Sunday of
    November) resolves to its first occurrence (``fold=0``). A quiet window ending at 01:30
    ends at the first 01:30 and the repeated hour does *not* re-enter it, so nobody is kept
    quiet an extra hour; a daily digest at 01:00 goes out once, at the first 01:00.
- **The important flag** bypasses digest mode (product rule) and, by our choice, the weekly cap
  too (a launch everyone must see should not wait for next week). It never bypasses quiet hours
  or an opt-out.
- **A hold that would outlast the content expires it now**: if the deferral or the digest slot
  falls at or after ``expires_at``, :func:`decide` answers ``EXPIRE`` straight away, with the
  reason of the hold (``"quiet_hours"``, ``"weekly_cap"`` or ``"digest"``), rather than parking
  a suggestion that can never be sent in time. Content already expired gives reason
  ``"expired"``.
- **The weekly cap counts suggestion DMs** in the ISO week (Monday 00:00 to Monday 00:00, local)
  containing ``now``; the caller counts, and should count a digest as one DM and important
  DMs too (they reach the person even though the cap does not hold them back). Reminders are
  not suggestions and are not capped.
- **One reminder at most** (:func:`reminder_due`), only while the content is active, never
  inside quiet hours; ``after`` is elapsed time, not "the same wall time tomorrow".

How a caller is expected to use :func:`decide`: ``SEND`` → send now; ``DEFER`` → ask again at
``not_before``; ``DIGEST`` → keep it for the digest that goes out at ``not_before`` (the digest
job then takes the held items whose ``not_before`` has passed, drops the ones expired or opted
out meanwhile, and splits them with :func:`digest_items`); ``EXPIRE`` → never send, and update a
DM already sent to say the content expired; ``SKIP`` → the person opted out, send nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.leaderboard import week_of

T = TypeVar("T")

_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


class DeliveryMode(StrEnum):
    """How a person wants suggestions to arrive."""

    IMMEDIATE = "immediate"  # one DM per suggestion, as soon as the rules allow
    DAILY = "daily"  # one DM a day listing the pending suggestions
    WEEKLY = "weekly"  # one DM a week listing the pending suggestions


class Verdict(StrEnum):
    """What to do with one suggestion for one person, now."""

    SEND = "send"  # send the DM now
    DEFER = "defer"  # not now: ask again at ``Decision.not_before``
    DIGEST = "digest"  # hold it for the digest DM at ``Decision.not_before``
    EXPIRE = "expire"  # the content is (or would be, by the time it may go) expired
    SKIP = "skip"  # the person opted out: send nothing


class Reason(StrEnum):
    """The machine-readable reasons :func:`decide` gives (``Decision.reason``)."""

    OK = "ok"
    IMPORTANT = "important"  # sent now although the cap or digest mode would have held it
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"
    QUIET_HOURS = "quiet_hours"
    WEEKLY_CAP = "weekly_cap"
    DIGEST = "digest"


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    # ``object`` on purpose: the check is for values that escaped the type checker (settings
    # read from YAML or a form), and ``bool`` is an ``int`` that is never meant as one here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bounds}, not {value}")


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not the naive {value.isoformat()}")


@dataclass(frozen=True)
class DeliveryPreferences:
    """One person's delivery rules, all in their own time zone.

    Attributes:
        timezone: The person's time zone (from their chat profile).
        quiet_start: Local wall time quiet hours begin (inclusive), or None.
        quiet_end: Local wall time quiet hours end (exclusive), or None. Earlier than
            ``quiet_start`` means the window crosses midnight; equal means no quiet hours.
        weekly_cap: The most suggestion DMs per ISO week (local), or None for no cap.
        mode: Immediate DMs, or a daily or weekly digest.
        digest_hour: Local hour (0-23) the digest goes out.
        digest_weekday: Day of the weekly digest, 0 = Monday ... 6 = Sunday.

    Raises:
        TypeError: ``timezone`` is not a ``ZoneInfo``, or a number is not an ``int`` (a
            ``bool`` is refused too).
        ValueError: A field is out of range or inconsistent (only one quiet bound, a quiet bound
            with its own tzinfo, a negative cap, an hour outside 0-23, an unknown mode...).
    """

    timezone: ZoneInfo
    quiet_start: time | None = None
    quiet_end: time | None = None
    weekly_cap: int | None = None
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    digest_hour: int = 9
    digest_weekday: int = 0

    def __post_init__(self) -> None:
        zone: object = self.timezone
        if not isinstance(zone, ZoneInfo):
            raise TypeError(f"timezone must be a zoneinfo.ZoneInfo, not {zone!r}")
        # Settings arrive as plain strings ("daily"); store the enum so ``is`` comparisons hold.
        object.__setattr__(self, "mode", DeliveryMode(self.mode))
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end go together: give both or neither")
        for name, bound in (("quiet_start", self.quiet_start), ("quiet_end", self.quiet_end)):
            if bound is not None and bound.tzinfo is not None:
                # The zone is ``timezone``; a second one on the bound would contradict it.
                raise ValueError(f"{name} must be a local wall time without tzinfo")
        if self.weekly_cap is not None:
            _check_int("weekly_cap", self.weekly_cap, 0)
        _check_int("digest_hour", self.digest_hour, 0, 23)
        _check_int("digest_weekday", self.digest_weekday, 0, 6)

    @property
    def has_quiet_hours(self) -> bool:
        """Whether a non-empty quiet window is set."""
        return (
            self.quiet_start is not None
            and self.quiet_end is not None
            and self.quiet_start != self.quiet_end
        )


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` says about one suggestion.

    Attributes:
        verdict: What to do.
        not_before: For ``DEFER`` and ``DIGEST``, the UTC instant to look again (the digest
            slot for ``DIGEST``); None otherwise.
        reason: Why, as a short machine-readable string (a :class:`Reason` value). For an
            ``EXPIRE`` caused by a hold, the reason of the hold.
    """

    verdict: Verdict
    not_before: datetime | None
    reason: str

    def __post_init__(self) -> None:
        holds = self.verdict in (Verdict.DEFER, Verdict.DIGEST)
        if holds and self.not_before is None:
            raise ValueError(f"a {self.verdict} decision needs not_before")
        if not holds and self.not_before is not None:
            raise ValueError(f"a {self.verdict} decision has no not_before")
        if self.not_before is not None:
            _require_aware("not_before", self.not_before)


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` shows ``wall`` on ``day``.

    A wall time skipped by a DST jump resolves to the first instant after the gap (02:30 on
    Paris's spring-forward night is 03:00 CEST); a wall time that happens twice resolves to its
    first occurrence (``fold=0``).

    Args:
        day: The local date.
        wall: The local wall time; its tzinfo and fold are ignored.
        tz: The zone.

    Returns:
        An aware datetime in UTC.
    """
    if wall.tzinfo is not None or wall.fold:
        wall = wall.replace(tzinfo=None, fold=0)  # the rules above choose the occurrence
    return _local_to_utc(day, wall, tz)


# Pure and called many times over for the same few (day, wall time, zone) triples: every person
# sharing a zone and quiet hours needs the same window edges, and each quiet-hours check looks
# at several days. A bounded cache keeps a scheduler pass over many people cheap.
@lru_cache(maxsize=4096)
def _local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _end_of_gap(naive, tz)


def _end_of_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    # ``naive`` lies in a gap. Read with the offset after the jump (fold=1) it names an instant
    # before the jump; with the offset before (fold=0), one after. The jump itself is the first
    # instant whose wall reading reaches ``naive``; zoneinfo does not expose transitions, so
    # search for it. Transitions fall on whole seconds, hence whole-second steps from a floored
    # lower bound; the search also copes with odd gaps (30 min on Lord Howe, a whole day in
    # Samoa in 2011).
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC).replace(microsecond=0)
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    low, high = 0, int((after - before).total_seconds()) + 1  # wall(low) < naive <= wall(high)
    while high - low > 1:
        middle = (low + high) // 2
        if (before + middle * _ONE_SECOND).astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return before + high * _ONE_SECOND


def _quiet_window_containing(moment: datetime, prefs: DeliveryPreferences) -> datetime | None:
    """The end (UTC) of the quiet window containing ``moment``, or None when it is in none."""
    start_wall, end_wall = prefs.quiet_start, prefs.quiet_end
    if start_wall is None or end_wall is None or start_wall == end_wall:
        return None
    crosses_midnight = start_wall > end_wall
    today = moment.astimezone(prefs.timezone).date()
    # One window per local day: yesterday's covers a window crossing midnight; tomorrow's is
    # for zones whose clocks went back across midnight (St John's until 2010: 00:01 back to
    # 23:01), where an instant read as Saturday 23:15 already lies in Sunday's window.
    for offset in (-1, 0, 1):
        day = today + offset * _ONE_DAY
        start = local_to_utc(day, start_wall, prefs.timezone)
        end_day = day + _ONE_DAY if crosses_midnight else day
        end = local_to_utc(end_day, end_wall, prefs.timezone)
        if start <= moment < end:
            return end
    return None


def in_quiet_hours(moment: datetime, prefs: DeliveryPreferences) -> bool:
    """Whether ``moment`` falls inside the person's quiet hours.

    The window is half-open: its start is inside, its end is not.

    Args:
        moment: An aware instant.
        prefs: The person's preferences.

    Returns:
        True when no suggestion DM may go out at ``moment``.

    Raises:
        ValueError: ``moment`` is naive.
    """
    _require_aware("moment", moment)
    return _quiet_window_containing(moment, prefs) is not None


def quiet_hours_end(moment: datetime, prefs: DeliveryPreferences) -> datetime:
    """The first instant at or after ``moment`` outside the quiet hours.

    Args:
        moment: An aware instant.
        prefs: The person's preferences.

    Returns:
        ``moment`` itself (in UTC) when it is outside quiet hours, else the end of the window.

    Raises:
        ValueError: ``moment`` is naive.
    """
    _require_aware("moment", moment)
    current = moment.astimezone(UTC)
    # A loop, not a single step: on a DST night a window's end can coincide with the start of
    # the next one (quiet 03:00-02:30 when 02:30 does not exist), and the instant must leave
    # both.
    while (end := _quiet_window_containing(current, prefs)) is not None:
        current = end
    return current


def next_digest_slot(moment: datetime, prefs: DeliveryPreferences) -> datetime:
    """The next digest time at or after ``moment``, in UTC.

    Daily (and immediate, for a digest the curators trigger): the next ``digest_hour:00``
    local. Weekly: the next ``digest_weekday`` at ``digest_hour:00`` local. An hour skipped by
    DST gives the end of the gap (02:00 on spring-forward day goes out at 03:00); a repeated
    hour gives its first occurrence, once. A slot inside quiet hours moves to their end.

    Args:
        moment: An aware instant; a slot exactly at ``moment`` counts.
        prefs: The person's preferences.

    Returns:
        An aware datetime in UTC.

    Raises:
        ValueError: ``moment`` is naive.
    """
    _require_aware("moment", moment)
    wall = time(prefs.digest_hour)
    today = moment.astimezone(prefs.timezone).date()
    # From yesterday, whose slot may resolve into today when the clocks jump over midnight
    # (Nuuk, 2026-03-29: Saturday 23:00 does not exist, so that digest is at Sunday 00:00), to
    # eight days on, which always holds the requested weekday.
    for offset in range(-1, 9):
        day = today + offset * _ONE_DAY
        if prefs.mode is DeliveryMode.WEEKLY and day.weekday() != prefs.digest_weekday:
            continue
        slot = local_to_utc(day, wall, prefs.timezone)
        if slot >= moment:
            return quiet_hours_end(slot, prefs)
    raise AssertionError("no digest slot within nine days")  # unreachable: a week has 7 days


def week_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The ISO week containing ``moment`` in ``tz``, as a half-open UTC window.

    Args:
        moment: An aware instant.
        tz: The person's time zone.

    Returns:
        ``(start, end)``: local Monday 00:00 (inclusive) to the next Monday 00:00 (exclusive),
        in UTC. A week with a DST change lasts 167 or 169 hours.

    Raises:
        ValueError: ``moment`` is naive.
    """
    _require_aware("moment", moment)
    week = week_of(moment, tz)
    return week.start.astimezone(UTC), week.end.astimezone(UTC)


def _hold(
    verdict: Verdict, until: datetime, reason: Reason, expires_at: datetime | None
) -> Decision:
    # At ``expires_at`` the content is already expired, hence ``>=``.
    if expires_at is not None and until >= expires_at:
        return Decision(Verdict.EXPIRE, None, reason)
    return Decision(verdict, until, reason)


def decide(
    *,
    now: datetime,
    prefs: DeliveryPreferences,
    important: bool,
    expires_at: datetime | None,
    sent_this_week: int,
    opted_out: bool = False,
) -> Decision:
    """Whether a suggestion may be DMed to a person now, and if not, until when to wait.

    Rules, first match wins:

    1. opted out → ``SKIP`` (``"opted_out"``);
    2. ``expires_at <= now`` → ``EXPIRE`` (``"expired"``);
    3. in quiet hours → ``DEFER`` to their end (``"quiet_hours"``), important or not;
    4. weekly cap reached, not important → ``DEFER`` to the start of the next local ISO week,
       moved out of quiet hours (``"weekly_cap"``);
    5. daily or weekly digest, not important → ``DIGEST`` at :func:`next_digest_slot`
       (``"digest"``);
    6. otherwise ``SEND`` (``"important"`` when rule 4 or 5 was bypassed, else ``"ok"``).

    A hold (3-5) ending at or after ``expires_at`` gives ``EXPIRE`` now, with the hold's reason.

    Args:
        now: The current instant, aware.
        prefs: The person's preferences.
        important: The content's "important" flag.
        expires_at: When the content expires, aware, or None if it does not.
        sent_this_week: Suggestion DMs already sent to the person in the local ISO week
            containing ``now`` (a digest counts as one).
        opted_out: The person paused, left or opted out of suggestions.

    Returns:
        The decision; any ``not_before`` is in UTC.

    Raises:
        ValueError: A datetime is naive or ``sent_this_week`` is negative.
        TypeError: ``sent_this_week`` is not an ``int``.
    """
    _require_aware("now", now)
    if expires_at is not None:
        _require_aware("expires_at", expires_at)
    _check_int("sent_this_week", sent_this_week, 0)
    now = now.astimezone(UTC)
    if opted_out:
        return Decision(Verdict.SKIP, None, Reason.OPTED_OUT)
    if expires_at is not None and expires_at <= now:
        return Decision(Verdict.EXPIRE, None, Reason.EXPIRED)
    if in_quiet_hours(now, prefs):
        return _hold(Verdict.DEFER, quiet_hours_end(now, prefs), Reason.QUIET_HOURS, expires_at)
    capped = prefs.weekly_cap is not None and sent_this_week >= prefs.weekly_cap
    if capped and not important:
        _, next_week = week_bounds(now, prefs.timezone)
        # Monday 00:00 is often inside quiet hours: point at the instant it can really go.
        until = quiet_hours_end(next_week, prefs)
        return _hold(Verdict.DEFER, until, Reason.WEEKLY_CAP, expires_at)
    digest = prefs.mode is not DeliveryMode.IMMEDIATE
    if digest and not important:
        return _hold(Verdict.DIGEST, next_digest_slot(now, prefs), Reason.DIGEST, expires_at)
    bypassed = important and (capped or digest)
    return Decision(Verdict.SEND, None, Reason.IMPORTANT if bypassed else Reason.OK)


def reminder_due(
    *,
    now: datetime,
    sent_at: datetime,
    interacted: bool,
    reminded: bool,
    expires_at: datetime | None,
    after: timedelta,
    prefs: DeliveryPreferences,
    opted_out: bool = False,
) -> datetime | None:
    """When the single gentle reminder about a sent suggestion is due, if ever.

    Args:
        now: The current instant, aware.
        sent_at: When the suggestion DM went out, aware.
        interacted: The person already acted on it (shared, confirmed, skipped, snoozed).
        reminded: The one reminder was already sent.
        expires_at: When the content expires, aware, or None.
        after: Elapsed time between the DM and the reminder (not "the same wall time").
        prefs: The person's preferences.
        opted_out: The person paused, left or opted out since.

    Returns:
        None when no reminder must be sent (already reminded, acted on, opted out, content
        expired or expiring at or before the reminder time); else the UTC instant it is due:
        ``sent_at + after``, never earlier than ``now`` (so a scheduler running late does not
        fire into quiet hours), moved out of quiet hours. Due at or before ``now`` means send it.

    Raises:
        ValueError: A datetime is naive or ``after`` is not positive.
    """
    _require_aware("now", now)
    _require_aware("sent_at", sent_at)
    if expires_at is not None:
        _require_aware("expires_at", expires_at)
    if after <= timedelta(0):
        raise ValueError(f"after must be positive, not {after}")
    if reminded or interacted or opted_out:
        return None
    if expires_at is not None and expires_at <= now:
        return None
    due = quiet_hours_end(max(sent_at + after, now), prefs)
    # Reminding about content that is gone by then would only be noise.
    if expires_at is not None and due >= expires_at:
        return None
    return due


def digest_items(pending: Sequence[T], limit: int) -> tuple[list[T], int]:
    """The pending suggestions that fit in one digest DM, in order, and how many are left.

    Args:
        pending: The held suggestions, in the order they should be listed.
        limit: The most items one message can carry (Slack allows 50 blocks per message; the
            caller knows how many blocks an item takes).

    Returns:
        ``(items, left)``: the first ``limit`` items, and how many wait for the next digest.

    Raises:
        ValueError: ``limit`` is below 1.
        TypeError: ``limit`` is not an ``int``.
    """
    _check_int("limit", limit, 1)
    items = list(pending[:limit])
    return items, len(pending) - len(items)
