"""The per-person delivery policy: quiet hours, weekly cap, digest mode, expiry, one reminder.

Every expected instant below is worked out by hand from the zone's offsets, written as UTC so a
reader can check it: Paris is UTC+1 (CET) / +2 (CEST), New York -5 (EST) / -4 (EDT), Auckland
+12 (NZST) / +13 (NZDT), Kolkata +5:30 all year, Lord Howe +10:30 / +11 (a 30-minute DST).

DST nights used (2026): Paris springs forward on 29 March (02:00 → 03:00) and falls back on
25 October (03:00 → 02:00); New York on 8 March (02:00 → 03:00) and 1 November (02:00 → 01:00);
Auckland, in the southern hemisphere, falls back on 5 April (03:00 → 02:00) and springs forward
on 27 September (02:00 → 03:00); Lord Howe springs forward on 4 October (02:00 → 02:30);
Santiago (UTC-4 / -3) changes at midnight: on 6 September 00:00 → 01:00, and on 5 April the
hour before midnight (23:00-24:00 on the 4th) happens twice. Two odd ones pin the edges of the
day arithmetic: St John's (NDT -2:30 / NST -3:30) went back from 00:01 to 23:01 on
7 November 2010, so its local date went backwards; Nuuk (-2 / -1) jumps from 23:00 on
28 March 2026 straight to 00:00 on the 29th.
2026-06-10 is a Wednesday, 2026-06-14 a Sunday, 2026-06-15 a Monday.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.policy import (
    Decision,
    DeliveryMode,
    DeliveryPreferences,
    Reason,
    Verdict,
    decide,
    digest_items,
    in_quiet_hours,
    local_to_utc,
    next_digest_slot,
    quiet_hours_end,
    reminder_due,
    week_bounds,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")
SANTIAGO = ZoneInfo("America/Santiago")
ST_JOHNS = ZoneInfo("America/St_Johns")
NUUK = ZoneInfo("America/Nuuk")
TOKYO = ZoneInfo("Asia/Tokyo")


def local(tz: ZoneInfo, text: str, *, fold: int = 0) -> datetime:
    """The UTC instant of a wall-clock reading that exists in ``tz``."""
    return datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def prefs(
    tz: ZoneInfo = PARIS, quiet: str | None = "20:00-08:00", **kwargs: Any
) -> DeliveryPreferences:
    """Preferences with quiet hours written as ``"HH:MM-HH:MM"`` (None: no quiet hours)."""
    if quiet is None:
        return DeliveryPreferences(timezone=tz, **kwargs)
    start, end = (time.fromisoformat(part) for part in quiet.split("-"))
    return DeliveryPreferences(timezone=tz, quiet_start=start, quiet_end=end, **kwargs)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is UTC, f"{value!r} is not in UTC"


# --- preferences -----------------------------------------------------------------------------


def test_defaults_are_immediate_without_quiet_hours_or_cap() -> None:
    p = DeliveryPreferences(timezone=PARIS)
    assert p.mode is DeliveryMode.IMMEDIATE
    assert (p.quiet_start, p.quiet_end, p.weekly_cap) == (None, None, None)
    assert (p.digest_hour, p.digest_weekday) == (9, 0)
    assert not p.has_quiet_hours


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"digest_hour": 24}, "digest_hour", id="hour-24"),
        pytest.param({"digest_hour": -1}, "digest_hour", id="hour-negative"),
        pytest.param({"digest_weekday": 7}, "digest_weekday", id="weekday-7"),
        pytest.param({"digest_weekday": -1}, "digest_weekday", id="weekday-negative"),
        pytest.param({"weekly_cap": -1}, "weekly_cap", id="cap-negative"),
        pytest.param({"quiet_start": time(20)}, "together", id="start-without-end"),
        pytest.param({"quiet_end": time(8)}, "together", id="end-without-start"),
        pytest.param(
            {"quiet_start": time(20, tzinfo=UTC), "quiet_end": time(8)},
            "quiet_start",
            id="start-with-tzinfo",
        ),
        pytest.param(
            {"quiet_start": time(20), "quiet_end": time(8, tzinfo=UTC)},
            "quiet_end",
            id="end-with-tzinfo",
        ),
        pytest.param({"mode": "hourly"}, "hourly", id="unknown-mode"),
    ],
)
def test_nonsense_preferences_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DeliveryPreferences(timezone=PARIS, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"timezone": "Europe/Paris"}, id="zone-as-string"),
        pytest.param({"timezone": PARIS, "weekly_cap": True}, id="cap-bool"),
        pytest.param({"timezone": PARIS, "digest_hour": 9.0}, id="hour-float"),
        pytest.param({"timezone": PARIS, "digest_weekday": "0"}, id="weekday-string"),
    ],
)
def test_values_of_the_wrong_type_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        DeliveryPreferences(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekly_cap": 0},
        {"digest_hour": 0},
        {"digest_hour": 23},
        {"digest_weekday": 6},
        {"quiet_start": time(0), "quiet_end": time(23, 59, 59)},
    ],
)
def test_edge_values_are_accepted(kwargs: dict[str, Any]) -> None:
    DeliveryPreferences(timezone=PARIS, **kwargs)


def test_mode_given_as_a_settings_string_becomes_the_enum() -> None:
    assert prefs(mode="daily").mode is DeliveryMode.DAILY


def test_equal_quiet_bounds_mean_no_quiet_hours() -> None:
    p = prefs(quiet="08:00-08:00")
    assert not p.has_quiet_hours
    assert not any(in_quiet_hours(local(PARIS, f"2026-06-10T{h:02d}:00"), p) for h in range(24))


def test_preferences_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        prefs().weekly_cap = 3  # type: ignore[misc]


# --- local wall times to instants ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected"),
    [
        pytest.param(PARIS, date(2026, 6, 10), time(9), utc("2026-06-10T07:00"), id="paris-summer"),
        pytest.param(PARIS, date(2026, 1, 10), time(9), utc("2026-01-10T08:00"), id="paris-winter"),
        pytest.param(KOLKATA, date(2026, 6, 10), time(9), utc("2026-06-10T03:30"), id="kolkata"),
        # Spring-forward gaps: the first instant after the gap, i.e. the jump itself.
        pytest.param(
            PARIS, date(2026, 3, 29), time(2, 30), utc("2026-03-29T01:00"), id="paris-gap"
        ),
        pytest.param(
            PARIS, date(2026, 3, 29), time(2), utc("2026-03-29T01:00"), id="paris-gap-start"
        ),
        pytest.param(
            PARIS,
            date(2026, 3, 29),
            time(2, 30, 0, 500_000),
            utc("2026-03-29T01:00"),
            id="paris-gap-µs",
        ),
        pytest.param(
            PARIS, date(2026, 3, 29), time(3), utc("2026-03-29T01:00"), id="paris-after-gap"
        ),
        pytest.param(NEW_YORK, date(2026, 3, 8), time(2, 30), utc("2026-03-08T07:00"), id="ny-gap"),
        pytest.param(
            AUCKLAND, date(2026, 9, 27), time(2, 30), utc("2026-09-26T14:00"), id="akl-gap"
        ),
        pytest.param(
            LORD_HOWE, date(2026, 10, 4), time(2, 15), utc("2026-10-03T15:30"), id="lhi-gap"
        ),
        # Samoa skipped 30 December 2011 entirely: noon that day is the next local midnight.
        pytest.param(
            APIA, date(2011, 12, 30), time(12), utc("2011-12-30T10:00"), id="apia-lost-day"
        ),
        # Midnight itself skipped: the day starts at 01:00.
        pytest.param(SANTIAGO, date(2026, 9, 6), time(0), utc("2026-09-06T04:00"), id="scl-gap"),
        # Fall-back folds: the first occurrence.
        pytest.param(
            PARIS, date(2026, 10, 25), time(2, 30), utc("2026-10-25T00:30"), id="paris-fold"
        ),
        pytest.param(
            NEW_YORK, date(2026, 11, 1), time(1, 30), utc("2026-11-01T05:30"), id="ny-fold"
        ),
        pytest.param(
            NEW_YORK,
            date(2026, 11, 1),
            time(1, 30, fold=1),
            utc("2026-11-01T05:30"),
            id="ny-fold-ignored",
        ),
        pytest.param(
            AUCKLAND, date(2026, 4, 5), time(2, 30), utc("2026-04-04T13:30"), id="akl-fold"
        ),
        pytest.param(
            SANTIAGO, date(2026, 4, 4), time(23, 30), utc("2026-04-05T02:30"), id="scl-fold"
        ),
    ],
)
def test_local_to_utc(tz: ZoneInfo, day: date, wall: time, expected: datetime) -> None:
    result = local_to_utc(day, wall, tz)
    assert result == expected
    assert_utc(result)


# --- quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "wall", "quiet_now"),
    [
        # Crossing midnight: start inclusive, end exclusive.
        ("20:00-08:00", "19:59:59", False),
        ("20:00-08:00", "20:00", True),
        ("20:00-08:00", "23:59:59", True),
        ("20:00-08:00", "00:00", True),
        ("20:00-08:00", "07:59:59.999999", True),
        ("20:00-08:00", "08:00", False),
        ("20:00-08:00", "12:00", False),
        # Within one day.
        ("12:00-14:00", "11:59:59", False),
        ("12:00-14:00", "12:00", True),
        ("12:00-14:00", "13:59:59", True),
        ("12:00-14:00", "14:00", False),
        ("12:00-14:00", "20:00", False),
        ("12:00-14:00", "00:00", False),
        # From midnight.
        ("00:00-06:00", "23:59:59", False),
        ("00:00-06:00", "00:00", True),
        ("00:00-06:00", "06:00", False),
        # No quiet hours.
        (None, "03:00", False),
        (None, "20:00", False),
    ],
)
def test_in_quiet_hours(quiet: str | None, wall: str, quiet_now: bool) -> None:
    moment = local(PARIS, f"2026-06-10T{wall}")
    assert in_quiet_hours(moment, prefs(quiet=quiet)) is quiet_now


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2026-06-10T12:00", utc("2026-06-10T10:00")),  # outside: the moment itself
        ("2026-06-10T08:00", utc("2026-06-10T06:00")),  # the end is outside
        ("2026-06-10T20:00", utc("2026-06-11T06:00")),  # evening: tomorrow 08:00
        ("2026-06-10T23:30", utc("2026-06-11T06:00")),
        ("2026-06-11T03:00", utc("2026-06-11T06:00")),  # small hours: this morning 08:00
        ("2026-06-11T07:59:59", utc("2026-06-11T06:00")),
    ],
)
def test_quiet_hours_end(wall: str, expected: datetime) -> None:
    result = quiet_hours_end(local(PARIS, wall), prefs())
    assert result == expected
    assert_utc(result)


def test_the_zone_of_the_moment_does_not_matter_only_the_instant() -> None:
    p = prefs()
    moment = local(PARIS, "2026-06-10T23:30")
    in_tokyo = moment.astimezone(TOKYO)
    assert in_quiet_hours(in_tokyo, p)
    assert quiet_hours_end(in_tokyo, p) == quiet_hours_end(moment, p) == utc("2026-06-11T06:00")


def test_the_same_instant_is_quiet_for_one_person_and_not_for_another() -> None:
    moment = utc("2026-06-10T20:00")  # 22:00 in Paris, 16:00 in New York, 01:30 in Kolkata
    assert in_quiet_hours(moment, prefs(PARIS))
    assert not in_quiet_hours(moment, prefs(NEW_YORK))
    assert in_quiet_hours(moment, prefs(KOLKATA))
    assert quiet_hours_end(moment, prefs(KOLKATA)) == utc("2026-06-11T02:30")  # 08:00 IST


@pytest.mark.parametrize(
    ("tz", "quiet", "moment", "expected"),
    [
        # Quiet end inside the spring-forward gap: when the clocks jump.
        pytest.param(
            PARIS,
            "22:00-02:30",
            local(PARIS, "2026-03-28T23:00"),
            utc("2026-03-29T01:00"),
            id="paris-spring",
        ),
        pytest.param(
            PARIS,
            "22:00-02:30",
            utc("2026-03-29T00:59:59"),
            utc("2026-03-29T01:00"),
            id="paris-spring-last-second",
        ),
        pytest.param(
            NEW_YORK,
            "22:00-02:30",
            local(NEW_YORK, "2026-03-07T23:00"),
            utc("2026-03-08T07:00"),
            id="new-york-spring",
        ),
        pytest.param(
            AUCKLAND,
            "22:00-02:30",
            local(AUCKLAND, "2026-09-26T23:00"),
            utc("2026-09-26T14:00"),
            id="auckland-spring",
        ),
        pytest.param(
            LORD_HOWE,
            "22:00-02:15",
            local(LORD_HOWE, "2026-10-03T23:00"),
            utc("2026-10-03T15:30"),
            id="lord-howe-half-hour-spring",
        ),
        # Quiet end inside the fall-back fold: its first occurrence.
        pytest.param(
            PARIS,
            "22:00-02:30",
            local(PARIS, "2026-10-24T23:00"),
            utc("2026-10-25T00:30"),
            id="paris-fall",
        ),
        pytest.param(
            NEW_YORK,
            "22:00-01:30",
            local(NEW_YORK, "2026-10-31T23:00"),
            utc("2026-11-01T05:30"),
            id="new-york-fall",
        ),
        pytest.param(
            AUCKLAND,
            "22:00-02:30",
            local(AUCKLAND, "2026-04-04T23:00"),
            utc("2026-04-04T13:30"),
            id="auckland-fall",
        ),
        pytest.param(
            SANTIAGO,
            "22:00-00:00",
            local(SANTIAGO, "2026-09-05T23:00"),
            utc("2026-09-06T04:00"),
            id="santiago-midnight-gap",
        ),
        pytest.param(
            SANTIAGO,
            "20:00-23:30",
            local(SANTIAGO, "2026-04-04T21:00"),
            utc("2026-04-05T02:30"),
            id="santiago-fold-before-midnight",
        ),
        # Half-hour offset, no DST.
        pytest.param(
            KOLKATA,
            "22:00-07:00",
            local(KOLKATA, "2026-06-10T22:00"),
            utc("2026-06-11T01:30"),
            id="kolkata",
        ),
        # A week after the change the window is back to the new offset.
        pytest.param(
            AUCKLAND,
            "22:00-07:00",
            local(AUCKLAND, "2026-10-04T23:00"),
            utc("2026-10-04T18:00"),
            id="auckland-summer",
        ),
    ],
)
def test_quiet_hours_end_across_dst(
    tz: ZoneInfo, quiet: str, moment: datetime, expected: datetime
) -> None:
    p = prefs(tz, quiet)
    assert in_quiet_hours(moment, p)
    assert quiet_hours_end(moment, p) == expected
    assert not in_quiet_hours(expected, p)
    assert in_quiet_hours(expected - timedelta(microseconds=1), p)


@pytest.mark.parametrize(
    ("tz", "quiet", "moment", "quiet_now"),
    [
        # The window ends at the first 02:30 (CEST); the repeated hour does not re-enter it.
        (PARIS, "22:00-02:30", utc("2026-10-25T00:15"), True),  # 02:15 CEST, first pass
        (PARIS, "22:00-02:30", utc("2026-10-25T01:15"), False),  # 02:15 CET, second pass
        (NEW_YORK, "22:00-01:30", utc("2026-11-01T05:10"), True),  # 01:10 EDT
        (NEW_YORK, "22:00-01:30", utc("2026-11-01T06:10"), False),  # 01:10 EST
        (AUCKLAND, "22:00-02:30", utc("2026-04-04T13:15"), True),  # 02:15 NZDT
        (AUCKLAND, "22:00-02:30", utc("2026-04-04T14:15"), False),  # 02:15 NZST
        # A window starting in the fold starts at the first occurrence and runs on through
        # the repeated hour, although the wall clock reads 01:00 < 01:30 then.
        (NEW_YORK, "01:30-07:00", utc("2026-11-01T05:29"), False),  # 01:29 EDT
        (NEW_YORK, "01:30-07:00", utc("2026-11-01T05:30"), True),  # 01:30 EDT
        (NEW_YORK, "01:30-07:00", utc("2026-11-01T06:00"), True),  # 01:00 EST
        # A window starting in the gap starts when the clocks jump.
        (PARIS, "02:30-07:00", utc("2026-03-29T00:59:59"), False),  # 01:59:59 CET
        (PARIS, "02:30-07:00", utc("2026-03-29T01:00"), True),  # 03:00 CEST
        # A window wholly inside the gap does not exist that night, but does the next.
        (PARIS, "02:00-02:45", utc("2026-03-29T00:30"), False),
        (PARIS, "02:00-02:45", utc("2026-03-29T01:00"), False),
        (PARIS, "02:00-02:45", utc("2026-03-29T01:30"), False),
        (PARIS, "02:00-02:45", local(PARIS, "2026-03-30T02:10"), True),
    ],
)
def test_quiet_hours_on_dst_nights_are_instants_not_wall_readings(
    tz: ZoneInfo, quiet: str, moment: datetime, quiet_now: bool
) -> None:
    assert in_quiet_hours(moment, prefs(tz, quiet)) is quiet_now


def test_a_window_can_contain_an_instant_whose_local_date_is_the_day_before() -> None:
    # St John's, 7 November 2010: Sunday's 00:00-06:00 window opens at 00:00 NDT (02:30 UTC);
    # at 00:01 the clocks go back to Saturday 23:01. At 02:45 UTC the wall reads Saturday
    # 23:15, yet Sunday's window is open; an hour earlier the same reading was not quiet.
    p = prefs(ST_JOHNS, "00:00-06:00")
    assert not in_quiet_hours(utc("2010-11-07T01:45"), p)  # Saturday 23:15 NDT
    assert in_quiet_hours(utc("2010-11-07T02:45"), p)  # Saturday 23:15 NST
    assert quiet_hours_end(utc("2010-11-07T02:45"), p) == utc("2010-11-07T09:30")  # 06:00 NST


def test_a_window_starting_in_the_fold_ends_at_its_own_end() -> None:
    p = prefs(NEW_YORK, "01:30-07:00")
    assert quiet_hours_end(utc("2026-11-01T06:00"), p) == utc("2026-11-01T12:00")  # 07:00 EST


def test_a_window_whose_end_meets_the_next_start_is_left_entirely() -> None:
    # 03:00-02:30 is quiet 23.5 hours a day. On 29 March 02:30 does not exist, so Saturday's
    # window ends at 03:00 CEST, exactly when Sunday's begins: the person is quiet until
    # Monday 02:30.
    p = prefs(PARIS, "03:00-02:30")
    assert in_quiet_hours(utc("2026-03-29T01:00"), p)
    assert quiet_hours_end(local(PARIS, "2026-03-28T12:00"), p) == utc("2026-03-30T00:30")


# Property checks, written out instead of with hypothesis (not a dependency): every moment in a
# 30-hour sweep around each DST change, every 15 minutes plus one odd second, against windows
# that cross midnight, sit in the gap or fold, or start where they end after a jump.
SWEEPS = [
    pytest.param(PARIS, utc("2026-03-29T01:00"), id="paris-spring"),
    pytest.param(PARIS, utc("2026-10-25T01:00"), id="paris-fall"),
    pytest.param(NEW_YORK, utc("2026-03-08T07:00"), id="new-york-spring"),
    pytest.param(NEW_YORK, utc("2026-11-01T06:00"), id="new-york-fall"),
    pytest.param(AUCKLAND, utc("2026-04-04T14:00"), id="auckland-fall"),
    pytest.param(AUCKLAND, utc("2026-09-26T14:00"), id="auckland-spring"),
    pytest.param(LORD_HOWE, utc("2026-10-03T15:30"), id="lord-howe-spring"),
    pytest.param(SANTIAGO, utc("2026-04-05T03:00"), id="santiago-fall"),
    pytest.param(SANTIAGO, utc("2026-09-06T04:00"), id="santiago-spring"),
    pytest.param(ST_JOHNS, utc("2010-11-07T02:31"), id="st-johns-back-across-midnight"),
    pytest.param(NUUK, utc("2026-03-29T01:00"), id="nuuk-jump-over-midnight"),
    pytest.param(KOLKATA, utc("2026-06-10T00:00"), id="kolkata"),
]
SWEEP_WINDOWS = [
    "20:00-08:00",
    "22:00-02:30",
    "01:30-07:00",
    "02:00-02:45",
    "03:00-02:30",
    "12:00-14:00",
    "00:00-06:00",
    "23:30-00:30",
]


def sweep(around: datetime) -> list[datetime]:
    start = around - timedelta(hours=15)
    return [start + timedelta(minutes=15 * i, seconds=i % 2) for i in range(30 * 4)]


@pytest.mark.parametrize(("tz", "around"), SWEEPS)
def test_quiet_hours_end_is_the_first_instant_outside_quiet_hours(
    tz: ZoneInfo, around: datetime
) -> None:
    for quiet in SWEEP_WINDOWS:
        p = prefs(tz, quiet)
        for moment in sweep(around):
            end = quiet_hours_end(moment, p)
            assert end >= moment, (quiet, moment)
            assert not in_quiet_hours(end, p), (quiet, moment)
            assert in_quiet_hours(moment, p) is (end != moment), (quiet, moment)
            if end != moment:
                # Quiet up to the end, not beyond it and not with a hole before it.
                assert in_quiet_hours(end - timedelta(microseconds=1), p), (quiet, moment)
                assert in_quiet_hours(moment + (end - moment) / 2, p), (quiet, moment)


@pytest.mark.parametrize(("tz", "around"), SWEEPS)
def test_a_digest_slot_is_the_next_one_and_a_slot_of_itself(tz: ZoneInfo, around: datetime) -> None:
    for hour in (0, 1, 2, 3, 9):
        p = prefs(tz, None, mode=DeliveryMode.DAILY, digest_hour=hour)
        for moment in sweep(around):
            slot = next_digest_slot(moment, p)
            assert moment <= slot <= moment + timedelta(hours=25), (hour, moment)
            assert next_digest_slot(slot, p) == slot, (hour, moment)
            assert_utc(slot)


# --- digest slots ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "moment", "expected"),
    [
        # Daily at 09:00 Paris (07:00 UTC in summer).
        pytest.param(
            prefs(quiet=None, mode="daily"),
            local(PARIS, "2026-06-10T08:00"),
            utc("2026-06-10T07:00"),
            id="daily-later-today",
        ),
        pytest.param(
            prefs(quiet=None, mode="daily"),
            local(PARIS, "2026-06-10T09:00"),
            utc("2026-06-10T07:00"),
            id="daily-exactly-now",
        ),
        pytest.param(
            prefs(quiet=None, mode="daily"),
            local(PARIS, "2026-06-10T09:00:01"),
            utc("2026-06-11T07:00"),
            id="daily-just-missed",
        ),
        pytest.param(
            prefs(quiet=None, mode="daily"),
            local(PARIS, "2026-06-10T23:00"),
            utc("2026-06-11T07:00"),
            id="daily-tomorrow",
        ),
        pytest.param(
            prefs(quiet=None),
            local(PARIS, "2026-06-10T23:00"),
            utc("2026-06-11T07:00"),
            id="immediate-like-daily",
        ),
        # Weekly, Monday 09:00 by default.
        pytest.param(
            prefs(quiet=None, mode="weekly"),
            local(PARIS, "2026-06-10T12:00"),
            utc("2026-06-15T07:00"),
            id="weekly-next-monday",
        ),
        pytest.param(
            prefs(quiet=None, mode="weekly"),
            local(PARIS, "2026-06-15T08:59"),
            utc("2026-06-15T07:00"),
            id="weekly-this-monday",
        ),
        pytest.param(
            prefs(quiet=None, mode="weekly"),
            local(PARIS, "2026-06-15T09:00:01"),
            utc("2026-06-22T07:00"),
            id="weekly-missed-monday",
        ),
        pytest.param(
            prefs(quiet=None, mode="weekly", digest_weekday=6, digest_hour=18),
            local(PARIS, "2026-06-10T12:00"),
            utc("2026-06-14T16:00"),
            id="weekly-sunday-evening",
        ),
        # The week of the DST change: Monday 09:00 is now CEST.
        pytest.param(
            prefs(quiet=None, mode="weekly"),
            local(PARIS, "2026-03-27T12:00"),
            utc("2026-03-30T07:00"),
            id="weekly-across-spring",
        ),
        # A digest hour skipped by the clocks goes out at the jump.
        pytest.param(
            prefs(PARIS, None, mode="daily", digest_hour=2),
            local(PARIS, "2026-03-29T00:30"),
            utc("2026-03-29T01:00"),
            id="paris-gap",
        ),
        pytest.param(
            prefs(NEW_YORK, None, mode="daily", digest_hour=2),
            local(NEW_YORK, "2026-03-08T00:30"),
            utc("2026-03-08T07:00"),
            id="new-york-gap",
        ),
        pytest.param(
            prefs(AUCKLAND, None, mode="daily", digest_hour=2),
            local(AUCKLAND, "2026-09-27T00:30"),
            utc("2026-09-26T14:00"),
            id="auckland-gap",
        ),
        pytest.param(
            prefs(SANTIAGO, None, mode="daily", digest_hour=0),
            local(SANTIAGO, "2026-09-05T12:00"),
            utc("2026-09-06T04:00"),
            id="santiago-midnight-gap",
        ),
        # Saturday 23:00 in Nuuk is skipped: that digest goes at Sunday 00:00 (01:00 UTC), and
        # at that very instant it is still the slot to use although the date is Sunday's.
        pytest.param(
            prefs(NUUK, None, mode="daily", digest_hour=23),
            local(NUUK, "2026-03-28T18:00"),
            utc("2026-03-29T01:00"),
            id="nuuk-gap-over-midnight",
        ),
        pytest.param(
            prefs(NUUK, None, mode="daily", digest_hour=23),
            utc("2026-03-29T01:00"),
            utc("2026-03-29T01:00"),
            id="nuuk-gap-over-midnight-at-the-jump",
        ),
        # A repeated digest hour: the first occurrence, and only once.
        pytest.param(
            prefs(NEW_YORK, None, mode="daily", digest_hour=1),
            local(NEW_YORK, "2026-11-01T00:30"),
            utc("2026-11-01T05:00"),
            id="new-york-fold-first",
        ),
        pytest.param(
            prefs(NEW_YORK, None, mode="daily", digest_hour=1),
            utc("2026-11-01T05:30"),
            utc("2026-11-02T06:00"),
            id="new-york-fold-not-twice",
        ),
        pytest.param(
            prefs(NEW_YORK, None, mode="daily", digest_hour=1),
            utc("2026-11-01T06:30"),
            utc("2026-11-02T06:00"),
            id="new-york-fold-second-pass",
        ),
        # Half-hour zone and a far-east one whose Monday starts while New York's Sunday runs.
        pytest.param(
            prefs(KOLKATA, None, mode="daily"),
            local(KOLKATA, "2026-06-10T10:00"),
            utc("2026-06-11T03:30"),
            id="kolkata",
        ),
        pytest.param(
            prefs(AUCKLAND, None, mode="weekly"),
            utc("2026-06-14T13:00"),
            utc("2026-06-14T21:00"),
            id="auckland-monday",
        ),
        # A slot inside quiet hours moves to their end.
        pytest.param(
            prefs(quiet="22:00-08:00", mode="daily", digest_hour=7),
            local(PARIS, "2026-06-10T12:00"),
            utc("2026-06-11T06:00"),
            id="pushed-out-of-quiet-hours",
        ),
        pytest.param(
            prefs(quiet="22:00-08:00", mode="weekly", digest_hour=23),
            local(PARIS, "2026-06-10T12:00"),
            utc("2026-06-16T06:00"),
            id="weekly-pushed-to-tuesday-morning",
        ),
    ],
)
def test_next_digest_slot(p: DeliveryPreferences, moment: datetime, expected: datetime) -> None:
    result = next_digest_slot(moment, p)
    assert result == expected
    assert_utc(result)


# --- ISO weeks in the person's zone ----------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "moment", "start", "end"),
    [
        pytest.param(
            PARIS,
            local(PARIS, "2026-06-14T23:59:59"),
            utc("2026-06-07T22:00"),
            utc("2026-06-14T22:00"),
            id="paris-sunday-night",
        ),
        pytest.param(
            PARIS,
            local(PARIS, "2026-06-15T00:00"),
            utc("2026-06-14T22:00"),
            utc("2026-06-21T22:00"),
            id="paris-monday-midnight",
        ),
        pytest.param(
            KOLKATA,
            local(KOLKATA, "2026-06-15T00:00"),
            utc("2026-06-14T18:30"),
            utc("2026-06-21T18:30"),
            id="kolkata",
        ),
        # Same UTC instant: Monday 01:00 in Auckland, Sunday 09:00 in New York.
        pytest.param(
            AUCKLAND,
            utc("2026-06-14T13:00"),
            utc("2026-06-14T12:00"),
            utc("2026-06-21T12:00"),
            id="auckland-already-monday",
        ),
        pytest.param(
            NEW_YORK,
            utc("2026-06-14T13:00"),
            utc("2026-06-08T04:00"),
            utc("2026-06-15T04:00"),
            id="new-york-still-sunday",
        ),
    ],
)
def test_week_bounds(tz: ZoneInfo, moment: datetime, start: datetime, end: datetime) -> None:
    bounds = week_bounds(moment, tz)
    assert bounds == (start, end)
    assert_utc(bounds[0])
    assert_utc(bounds[1])


@pytest.mark.parametrize(
    ("tz", "moment", "hours"),
    [
        (PARIS, local(PARIS, "2026-03-29T12:00"), 167),
        (PARIS, local(PARIS, "2026-10-25T12:00"), 169),
        (AUCKLAND, local(AUCKLAND, "2026-04-05T12:00"), 169),
        (AUCKLAND, local(AUCKLAND, "2026-09-27T12:00"), 167),
        (KOLKATA, local(KOLKATA, "2026-03-29T12:00"), 168),
    ],
)
def test_a_week_with_a_dst_change_is_167_or_169_hours(
    tz: ZoneInfo, moment: datetime, hours: int
) -> None:
    start, end = week_bounds(moment, tz)
    assert end - start == timedelta(hours=hours)


# --- decide ----------------------------------------------------------------------------------

NOW = local(PARIS, "2026-06-10T10:00")  # Wednesday, 08:00 UTC
LATE = local(PARIS, "2026-06-10T23:00")  # inside the default 20:00-08:00 quiet hours
TOMORROW_08 = utc("2026-06-11T06:00")  # 08:00 Paris, the end of those quiet hours


def defer(at: datetime, reason: Reason) -> Decision:
    return Decision(Verdict.DEFER, at, reason)


def expire(reason: Reason) -> Decision:
    return Decision(Verdict.EXPIRE, None, reason)


SEND_OK = Decision(Verdict.SEND, None, Reason.OK)
SEND_IMPORTANT = Decision(Verdict.SEND, None, Reason.IMPORTANT)


@pytest.mark.parametrize(
    ("p", "kwargs", "expected"),
    [
        pytest.param(prefs(), {}, SEND_OK, id="immediate"),
        pytest.param(
            prefs(weekly_cap=0, mode="daily"),
            {"now": LATE, "important": True, "expires_at": NOW, "opted_out": True},
            Decision(Verdict.SKIP, None, Reason.OPTED_OUT),
            id="opt-out-before-everything",
        ),
        # Expiry.
        pytest.param(prefs(), {"expires_at": NOW}, expire(Reason.EXPIRED), id="expires-now"),
        pytest.param(
            prefs(),
            {"expires_at": NOW - timedelta(minutes=1)},
            expire(Reason.EXPIRED),
            id="expired",
        ),
        pytest.param(
            prefs(), {"expires_at": NOW + timedelta(microseconds=1)}, SEND_OK, id="not-yet-expired"
        ),
        pytest.param(
            prefs(),
            {"now": LATE, "important": True, "expires_at": LATE},
            expire(Reason.EXPIRED),
            id="expired-before-quiet-hours",
        ),
        # Quiet hours, important or not.
        pytest.param(prefs(), {"now": LATE}, defer(TOMORROW_08, Reason.QUIET_HOURS), id="quiet"),
        pytest.param(
            prefs(),
            {"now": LATE, "important": True},
            defer(TOMORROW_08, Reason.QUIET_HOURS),
            id="quiet-important",
        ),
        pytest.param(
            prefs(),
            {"now": local(PARIS, "2026-06-10T20:00")},
            defer(TOMORROW_08, Reason.QUIET_HOURS),
            id="quiet-start-inclusive",
        ),
        pytest.param(
            prefs(), {"now": local(PARIS, "2026-06-10T08:00")}, SEND_OK, id="quiet-end-exclusive"
        ),
        pytest.param(
            prefs(),
            {"now": LATE, "expires_at": local(PARIS, "2026-06-11T07:00")},
            expire(Reason.QUIET_HOURS),
            id="expires-during-quiet-hours",
        ),
        pytest.param(
            prefs(),
            {"now": LATE, "expires_at": TOMORROW_08},
            expire(Reason.QUIET_HOURS),
            id="expires-at-quiet-end",
        ),
        pytest.param(
            prefs(),
            {"now": LATE, "expires_at": TOMORROW_08 + timedelta(minutes=1)},
            defer(TOMORROW_08, Reason.QUIET_HOURS),
            id="expires-after-quiet-end",
        ),
        # Weekly cap: next local Monday 00:00, moved out of quiet hours.
        pytest.param(
            prefs(weekly_cap=3),
            {"sent_this_week": 3},
            defer(utc("2026-06-15T06:00"), Reason.WEEKLY_CAP),
            id="cap-reached",
        ),
        pytest.param(
            prefs(quiet=None, weekly_cap=3),
            {"sent_this_week": 3},
            defer(utc("2026-06-14T22:00"), Reason.WEEKLY_CAP),
            id="cap-reached-no-quiet-hours",
        ),
        pytest.param(
            prefs(weekly_cap=3),
            {"sent_this_week": 4},
            defer(utc("2026-06-15T06:00"), Reason.WEEKLY_CAP),
            id="cap-exceeded",
        ),
        pytest.param(prefs(weekly_cap=3), {"sent_this_week": 2}, SEND_OK, id="under-cap"),
        pytest.param(
            prefs(weekly_cap=0),
            {},
            defer(utc("2026-06-15T06:00"), Reason.WEEKLY_CAP),
            id="cap-zero",
        ),
        pytest.param(prefs(), {"sent_this_week": 1000}, SEND_OK, id="no-cap"),
        pytest.param(
            prefs(weekly_cap=3),
            {"sent_this_week": 3, "important": True},
            SEND_IMPORTANT,
            id="important-bypasses-cap",
        ),
        pytest.param(
            prefs(weekly_cap=3),
            {"sent_this_week": 3, "expires_at": local(PARIS, "2026-06-12T00:00")},
            expire(Reason.WEEKLY_CAP),
            id="cap-hold-outlasts-content",
        ),
        pytest.param(
            prefs(weekly_cap=3),
            {"now": LATE, "sent_this_week": 3},
            defer(TOMORROW_08, Reason.QUIET_HOURS),
            id="quiet-hours-before-cap",
        ),
        pytest.param(
            prefs(weekly_cap=3),
            {"sent_this_week": 2, "important": True},
            SEND_OK,
            id="important-bypassing-nothing",
        ),
        # Digest mode: the next 09:00 (07:00 UTC) Paris, or next Monday's.
        pytest.param(
            prefs(mode="daily"),
            {},
            Decision(Verdict.DIGEST, utc("2026-06-11T07:00"), Reason.DIGEST),
            id="daily-digest",
        ),
        pytest.param(
            prefs(mode="weekly"),
            {},
            Decision(Verdict.DIGEST, utc("2026-06-15T07:00"), Reason.DIGEST),
            id="weekly-digest",
        ),
        pytest.param(
            prefs(mode="daily"),
            {"now": local(PARIS, "2026-06-10T08:30")},
            Decision(Verdict.DIGEST, utc("2026-06-10T07:00"), Reason.DIGEST),
            id="digest-today",
        ),
        pytest.param(
            prefs(mode="daily"), {"important": True}, SEND_IMPORTANT, id="important-daily"
        ),
        pytest.param(
            prefs(mode="weekly"), {"important": True}, SEND_IMPORTANT, id="important-weekly"
        ),
        pytest.param(
            prefs(mode="daily"),
            {"expires_at": local(PARIS, "2026-06-10T18:00")},
            expire(Reason.DIGEST),
            id="expires-before-digest",
        ),
        pytest.param(
            prefs(mode="daily"),
            {"expires_at": utc("2026-06-11T07:00")},
            expire(Reason.DIGEST),
            id="expires-at-digest",
        ),
        pytest.param(
            prefs(mode="daily"),
            {"expires_at": utc("2026-06-11T07:01")},
            Decision(Verdict.DIGEST, utc("2026-06-11T07:00"), Reason.DIGEST),
            id="expires-after-digest",
        ),
        pytest.param(
            prefs(mode="daily"),
            {"now": LATE},
            defer(TOMORROW_08, Reason.QUIET_HOURS),
            id="quiet-hours-before-digest",
        ),
        pytest.param(
            prefs(mode="weekly", weekly_cap=1),
            {"sent_this_week": 1},
            defer(utc("2026-06-15T06:00"), Reason.WEEKLY_CAP),
            id="cap-before-digest",
        ),
    ],
)
def test_decide(p: DeliveryPreferences, kwargs: dict[str, Any], expected: Decision) -> None:
    arguments: dict[str, Any] = {
        "now": NOW,
        "important": False,
        "expires_at": None,
        "sent_this_week": 0,
        **kwargs,
    }
    decision = decide(prefs=p, **arguments)
    assert decision == expected
    if decision.not_before is not None:
        assert_utc(decision.not_before)


def test_the_cap_resets_at_local_monday_midnight() -> None:
    p = prefs(quiet=None, weekly_cap=2)
    sunday_night = local(PARIS, "2026-06-14T23:59")
    monday = local(PARIS, "2026-06-15T00:00")
    held = decide(now=sunday_night, prefs=p, important=False, expires_at=None, sent_this_week=2)
    assert held == defer(monday, Reason.WEEKLY_CAP)
    # At the new week the caller counts from zero again, and it goes.
    assert week_bounds(monday, PARIS)[0] == monday
    sent = decide(now=monday, prefs=p, important=False, expires_at=None, sent_this_week=0)
    assert sent == SEND_OK


def test_the_cap_resets_at_each_persons_own_monday() -> None:
    moment = utc("2026-06-14T13:00")  # Monday 01:00 in Auckland, Sunday 09:00 in New York
    for tz, next_week in ((NEW_YORK, utc("2026-06-15T04:00")), (AUCKLAND, utc("2026-06-21T12:00"))):
        p = prefs(tz, None, weekly_cap=5)
        decision = decide(now=moment, prefs=p, important=False, expires_at=None, sent_this_week=5)
        assert decision == defer(next_week, Reason.WEEKLY_CAP), tz


def test_a_cap_deferral_across_spring_forward_lands_on_local_midnight() -> None:
    p = prefs(quiet=None, weekly_cap=1)
    saturday = local(PARIS, "2026-03-28T12:00")
    decision = decide(now=saturday, prefs=p, important=False, expires_at=None, sent_this_week=1)
    assert decision == defer(utc("2026-03-29T22:00"), Reason.WEEKLY_CAP)  # Monday 00:00 CEST


def test_a_deferral_is_decided_again_at_its_not_before() -> None:
    # Sunday 23:00, quiet and capped: held until Monday 08:00, when the week is new.
    p = prefs(weekly_cap=2)
    first = decide(
        now=local(PARIS, "2026-06-14T23:00"),
        prefs=p,
        important=False,
        expires_at=None,
        sent_this_week=2,
    )
    assert first == defer(utc("2026-06-15T06:00"), Reason.QUIET_HOURS)
    assert first.not_before is not None
    again = decide(
        now=first.not_before, prefs=p, important=False, expires_at=None, sent_this_week=0
    )
    assert again == SEND_OK


@pytest.mark.parametrize(
    "kwargs",
    [
        {"now": datetime(2026, 6, 10, 10)},
        {"expires_at": datetime(2026, 6, 11, 10)},
        {"sent_this_week": -1},
    ],
)
def test_decide_refuses_nonsense(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "now": NOW,
        "important": False,
        "expires_at": None,
        "sent_this_week": 0,
        **kwargs,
    }
    with pytest.raises(ValueError):
        decide(prefs=prefs(), **arguments)


@pytest.mark.parametrize(
    ("verdict", "not_before"),
    [
        (Verdict.DEFER, None),
        (Verdict.DIGEST, None),
        (Verdict.SEND, NOW),
        (Verdict.EXPIRE, NOW),
        (Verdict.SKIP, NOW),
        (Verdict.DEFER, datetime(2026, 6, 10, 10)),
    ],
)
def test_a_decision_holds_a_not_before_exactly_when_it_holds_the_suggestion(
    verdict: Verdict, not_before: datetime | None
) -> None:
    with pytest.raises(ValueError):
        Decision(verdict, not_before, "x")


# --- the one reminder ------------------------------------------------------------------------

SENT = local(PARIS, "2026-06-10T10:00")  # 08:00 UTC


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, utc("2026-06-11T08:00"), id="a-day-later"),
        pytest.param({"reminded": True}, None, id="already-reminded"),
        pytest.param({"interacted": True}, None, id="already-acted-on"),
        pytest.param({"opted_out": True}, None, id="opted-out"),
        pytest.param({"expires_at": SENT}, None, id="expired"),
        pytest.param({"expires_at": utc("2026-06-11T07:00")}, None, id="expires-before"),
        pytest.param({"expires_at": utc("2026-06-11T08:00")}, None, id="expires-at"),
        pytest.param(
            {"expires_at": utc("2026-06-11T08:01")}, utc("2026-06-11T08:00"), id="expires-after"
        ),
        # Due at 22:00 Paris: moved to 08:00.
        pytest.param({"after": timedelta(hours=12)}, TOMORROW_08, id="out-of-quiet-hours"),
        pytest.param(
            {"after": timedelta(hours=12), "expires_at": local(PARIS, "2026-06-11T07:00")},
            None,
            id="quiet-hours-outlast-content",
        ),
        # A scheduler running late: due now, never in the past, and never in quiet hours.
        pytest.param(
            {"now": local(PARIS, "2026-06-12T15:00")}, utc("2026-06-12T13:00"), id="overdue"
        ),
        pytest.param(
            {"now": local(PARIS, "2026-06-12T23:00")},
            utc("2026-06-13T06:00"),
            id="overdue-at-night",
        ),
    ],
)
def test_reminder_due(kwargs: dict[str, Any], expected: datetime | None) -> None:
    arguments: dict[str, Any] = {
        "now": SENT,
        "sent_at": SENT,
        "interacted": False,
        "reminded": False,
        "expires_at": None,
        "after": timedelta(hours=24),
        **kwargs,
    }
    due = reminder_due(prefs=prefs(), **arguments)
    assert due == expected
    if due is not None:
        assert_utc(due)


def test_a_reminder_delay_is_elapsed_time_across_dst() -> None:
    sent = local(PARIS, "2026-03-28T10:00")  # CET, 09:00 UTC
    due = reminder_due(
        now=sent,
        sent_at=sent,
        interacted=False,
        reminded=False,
        expires_at=None,
        after=timedelta(hours=24),
        prefs=prefs(quiet=None),
    )
    assert due == utc("2026-03-29T09:00")  # 11:00 CEST: 24 hours, not "10:00 tomorrow"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"after": timedelta(0)},
        {"after": timedelta(hours=-1)},
        {"sent_at": datetime(2026, 6, 10, 10)},
        {"now": datetime(2026, 6, 10, 10)},
        {"expires_at": datetime(2026, 6, 11, 10)},
    ],
)
def test_reminder_due_refuses_nonsense(kwargs: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "now": SENT,
        "sent_at": SENT,
        "interacted": False,
        "reminded": False,
        "expires_at": None,
        "after": timedelta(hours=24),
        **kwargs,
    }
    with pytest.raises(ValueError):
        reminder_due(prefs=prefs(), **arguments)


# --- digest contents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "limit", "items", "left"),
    [
        ([], 5, [], 0),
        (["a", "b", "c"], 5, ["a", "b", "c"], 0),
        (["a", "b", "c", "d", "e"], 5, ["a", "b", "c", "d", "e"], 0),
        (["a", "b", "c", "d", "e", "f", "g"], 5, ["a", "b", "c", "d", "e"], 2),
        (("z", "y", "x"), 1, ["z"], 2),
    ],
)
def test_digest_items_keep_order_and_count_the_rest(
    pending: list[str] | tuple[str, ...], limit: int, items: list[str], left: int
) -> None:
    assert digest_items(pending, limit) == (items, left)


def test_digest_items_refuse_an_empty_digest() -> None:
    with pytest.raises(ValueError, match="limit"):
        digest_items(["a"], 0)


# --- naive datetimes are refused everywhere ---------------------------------------------------

NAIVE = datetime(2026, 6, 10, 10)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: in_quiet_hours(NAIVE, prefs()), id="in_quiet_hours"),
        pytest.param(lambda: quiet_hours_end(NAIVE, prefs()), id="quiet_hours_end"),
        pytest.param(lambda: next_digest_slot(NAIVE, prefs()), id="next_digest_slot"),
        pytest.param(lambda: week_bounds(NAIVE, PARIS), id="week_bounds"),
    ],
)
def test_naive_datetimes_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="aware"):
        call()
