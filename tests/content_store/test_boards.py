"""The rollup's local dates: the zone's offsets over a stretch, found hour by hour, must be
those ``zoneinfo`` gives for every instant (the SQL applies them as a ``CASE``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from content_store.boards import _offsets


def offset_at(changes: list[tuple[datetime, int]], at: datetime) -> int:
    return [offset for since, offset in changes if since <= at][-1]


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("Europe/Paris", datetime(2026, 3, 28, 22, 17, 3, tzinfo=UTC)),  # DST begins
        ("Europe/Paris", datetime(2026, 10, 24, 0, 0, tzinfo=UTC)),  # DST ends
        ("Pacific/Auckland", datetime(2026, 4, 4, 7, 30, tzinfo=UTC)),  # +13 -> +12
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 9, 0, tzinfo=UTC)),  # a 30-minute step
        ("Asia/Kathmandu", datetime(2026, 4, 4, 0, 0, tzinfo=UTC)),  # +05:45, no DST
        ("UTC", datetime(2026, 4, 4, 0, 0, tzinfo=UTC)),
    ],
)
def test_offsets_match_zoneinfo_at_every_minute(zone: str, start: datetime) -> None:
    tz = ZoneInfo(zone)
    end = start + timedelta(days=2)
    changes = _offsets(tz, start, end)
    assert changes[0][0] == start
    at = start
    while at <= end:
        expected = at.astimezone(tz).utcoffset()
        assert expected is not None
        assert offset_at(changes, at) == int(expected.total_seconds()), at
        at += timedelta(minutes=1)


def test_offsets_find_the_change_to_the_second() -> None:
    paris = ZoneInfo("Europe/Paris")
    changes = _offsets(paris, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
    assert changes[1:] == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 3600),
    ]
