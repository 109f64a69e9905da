"""ISO weeks in the company's time zone, competition ranks, and the weekly leaderboard."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import DeliveryFailed, RateLimited
from bot.leaderboard import competition_ranks, previous_week, week_of
from bot.model import (
    Ambassador,
    LeaderboardEntry,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
)
from bot.programme import Programme
from bot.views import LeaderboardView
from tests.bot.builders import (
    CHANNELS,
    CONFIRM_POINTS,
    DEFAULT_CLICK_POINTS,
    LINKEDIN_POINTS,
    NOW,
    World,
    person,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NEXT_MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # the slot of the weekly post


def local(tz: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def hours(tz: ZoneInfo, monday: str) -> float:
    week = week_of(local(tz, f"{monday}T12:00"), tz)
    return (week.end - week.start) / timedelta(hours=1)


# --- weeks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "moment", "monday", "label"),
    [
        (PARIS, "2026-11-18T10:00", "2026-11-16", "2026-W47"),
        (PARIS, "2026-11-16T00:00", "2026-11-16", "2026-W47"),
        (PARIS, "2026-11-22T23:59:59", "2026-11-16", "2026-W47"),
        (PARIS, "2026-11-23T00:00", "2026-11-23", "2026-W48"),
        (NEW_YORK, "2026-11-22T23:59", "2026-11-16", "2026-W47"),
        (NEW_YORK, "2026-11-23T00:00", "2026-11-23", "2026-W48"),
    ],
)
def test_a_week_runs_from_monday_midnight_local_time(
    tz: ZoneInfo, moment: str, monday: str, label: str
) -> None:
    week = week_of(local(tz, moment), tz)
    assert (week.first_day, week.label) == (date.fromisoformat(monday), label)
    assert week.start == local(tz, f"{monday}T00:00")
    next_monday = date.fromisoformat(monday) + timedelta(days=7)
    assert week.end == local(tz, f"{next_monday}T00:00")
    assert week.start.utcoffset() == week.end.utcoffset() == timedelta(0)  # UTC bounds


def test_the_same_instant_falls_in_different_weeks_by_time_zone() -> None:
    instant = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Paris, Sunday in NY
    assert week_of(instant, PARIS).label == "2026-W48"
    assert week_of(instant, NEW_YORK).label == "2026-W47"
    assert week_of(instant, PARIS).start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert week_of(instant, NEW_YORK).start == datetime(2026, 11, 16, 5, 0, tzinfo=UTC)


def test_sunday_2359_and_monday_0000_are_in_consecutive_weeks() -> None:
    sunday = week_of(local(PARIS, "2026-11-22T23:59"), PARIS)
    monday = week_of(local(PARIS, "2026-11-23T00:00"), PARIS)
    assert (sunday.label, monday.label) == ("2026-W47", "2026-W48")
    assert sunday.end == monday.start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "monday", "length"),
    [
        (PARIS, "2026-03-23", 167),  # clocks go forward on Sunday 29 March
        (PARIS, "2026-10-19", 169),  # clocks go back on Sunday 25 October
        (PARIS, "2026-10-26", 168),
        (NEW_YORK, "2026-03-02", 167),  # forward on Sunday 8 March
        (NEW_YORK, "2026-10-26", 169),  # back on Sunday 1 November
        (NEW_YORK, "2026-11-16", 168),
    ],
)
def test_a_week_with_a_dst_change_is_167_or_169_hours(
    tz: ZoneInfo, monday: str, length: int
) -> None:
    assert hours(tz, monday) == length


@pytest.mark.parametrize(
    ("day", "label", "monday"),
    [
        ("2026-12-31", "2026-W53", "2026-12-28"),
        ("2027-01-03", "2026-W53", "2026-12-28"),
        ("2027-01-04", "2027-W01", "2027-01-04"),
        ("2024-12-31", "2025-W01", "2024-12-30"),
        ("2021-01-01", "2020-W53", "2020-12-28"),
    ],
)
def test_iso_week_labels_across_a_year_end(day: str, label: str, monday: str) -> None:
    week = week_of(local(PARIS, f"{day}T12:00"), PARIS)
    assert (week.label, week.first_day) == (label, date.fromisoformat(monday))


@pytest.mark.parametrize(
    ("day", "label", "length"),
    [
        ("2026-11-18", "2026-W46", 168),
        ("2027-01-06", "2026-W53", 168),
        ("2026-10-28", "2026-W43", 169),
    ],
)
def test_previous_week(day: str, label: str, length: int) -> None:
    week = week_of(local(PARIS, f"{day}T12:00"), PARIS)
    before = previous_week(week, PARIS)
    assert before.label == label
    assert before.end == week.start
    assert (before.end - before.start) / timedelta(hours=1) == length


@pytest.mark.parametrize(
    ("points", "ranks"),
    [
        ([], []),
        ([5], [1]),
        ([10, 8, 8, 5], [1, 2, 2, 4]),
        ([3, 3, 3], [1, 1, 1]),
        ([9, 7, 7, 7, 1, 1], [1, 2, 2, 2, 5, 5]),
    ],
)
def test_competition_ranks(points: list[int], ranks: list[int]) -> None:
    assert competition_ranks(points) == ranks


# --- the service --------------------------------------------------------------------------


async def click(world: World, ambassador: Ambassador, *networks: Network) -> None:
    delivery = world.delivery_of(ambassador)
    for network in networks:
        await world.services.interactions.share_click(ambassador.user, delivery.id, network)


@pytest.fixture
async def team(world: World) -> dict[str, Ambassador]:
    """Four ambassadors with a suggestion each; Ada 18 points, Bob and Cy 13, Dee none."""
    people = {
        name: await world.join(n, name=f"{name} Doe", networks=("linkedin", "x"))
        for n, name in enumerate(("Ada", "Bob", "Cy", "Dee"), start=1)
    }
    await world.push()
    await world.services.sender.drain_all()
    await click(world, people["Ada"], Network.LINKEDIN)
    await world.services.interactions.confirm_share(
        people["Ada"].user, world.delivery_of(people["Ada"]).id
    )
    for name in ("Bob", "Cy"):
        await click(world, people[name], Network.X, Network.LINKEDIN)
    return people


def entry(rank: int, ambassador: Ambassador, points: int) -> LeaderboardEntry:
    return LeaderboardEntry(rank, ambassador.id, ambassador.display_name, points, 1)


async def test_weekly_ranks_this_weeks_points(world: World, team: dict[str, Ambassador]) -> None:
    view = await world.services.leaderboard.weekly(locale="fr")
    assert view == LeaderboardView(
        locale="fr",
        week_label="2026-W47",
        week_start=date(2026, 11, 16),
        entries=(
            entry(1, team["Ada"], LINKEDIN_POINTS + CONFIRM_POINTS),
            entry(2, team["Bob"], LINKEDIN_POINTS + DEFAULT_CLICK_POINTS),
            entry(2, team["Cy"], LINKEDIN_POINTS + DEFAULT_CLICK_POINTS),
        ),
    )


async def test_weekly_shows_the_viewers_own_line(world: World, team: dict[str, Ambassador]) -> None:
    view = await world.services.leaderboard.weekly(locale="en", viewer=team["Cy"].user)
    assert view.viewer == entry(2, team["Cy"], 13)
    assert view.viewer_points == 13


@pytest.mark.parametrize(("viewer", "points"), [(person(4), 0), (person(99), None)])
async def test_weekly_viewer_without_points_or_not_an_ambassador(
    world: World, team: dict[str, Ambassador], viewer: PlatformUser, points: int | None
) -> None:
    view = await world.services.leaderboard.weekly(locale="en", viewer=viewer)
    assert view.viewer is None
    assert view.viewer_points == points


async def test_points_of_another_week_do_not_count(
    world: World, team: dict[str, Ambassador]
) -> None:
    world.clock.set(NOW + timedelta(days=7))
    await click(world, team["Dee"], Network.LINKEDIN)
    board = world.services.leaderboard
    earlier = await board.weekly(locale="en", week=week_of(NOW, PARIS))
    assert [e.display_name for e in earlier.entries] == ["Ada Doe", "Bob Doe", "Cy Doe"]
    this_week = await board.weekly(locale="en", viewer=team["Ada"].user)
    assert this_week.week_label == "2026-W48"
    assert this_week.entries == (entry(1, team["Dee"], LINKEDIN_POINTS),)
    assert this_week.viewer_points == 0


class TestShortBoard:
    @pytest.fixture
    def programme(self, programme: Programme) -> Programme:
        return replace(programme, leaderboard_size=2)

    async def test_only_the_top_entries_are_listed(
        self, world: World, team: dict[str, Ambassador]
    ) -> None:
        view = await world.services.leaderboard.weekly(locale="en", viewer=team["Cy"].user)
        assert [e.ambassador_id for e in view.entries] == [team["Ada"].id, team["Bob"].id]
        assert view.viewer is None
        assert view.viewer_points == 13


# --- the weekly post ----------------------------------------------------------------------


def boards(world: World) -> list[tuple[str, str]]:
    return [(channel, view.week_label) for channel, view in world.gateway.boards]


async def test_post_weekly_posts_last_week_in_every_channel(
    world: World, team: dict[str, Ambassador]
) -> None:
    world.clock.set(NEXT_MONDAY_MORNING)
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 2
    assert boards(world) == [(channel, "2026-W47") for channel in CHANNELS]
    view = world.gateway.boards[0][1]
    assert view.locale == "en"
    assert [e.points for e in view.entries] == [18, 13, 13]


async def test_post_weekly_posts_once_per_week(world: World, team: dict[str, Ambassador]) -> None:
    world.clock.set(NEXT_MONDAY_MORNING)
    board = world.services.leaderboard
    assert await board.post_weekly(holder="replica-1") == 2
    assert await board.post_weekly(holder="replica-2") == 0
    world.clock.advance(timedelta(days=3))
    assert await board.post_weekly(holder="replica-1") == 0
    assert len(world.gateway.boards) == 2
    world.clock.advance(timedelta(days=4))
    assert await board.post_weekly(holder="replica-1") == 2
    assert boards(world)[2:] == [(channel, "2026-W48") for channel in CHANNELS]


async def test_posted_boards_are_remembered_so_reactions_count(world: World) -> None:
    world.clock.set(NEXT_MONDAY_MORNING)
    await world.services.leaderboard.post_weekly(holder="replica-1")
    posted = [MessageRef(channel, f"{i}.000200") for i, channel in enumerate(CHANNELS, start=1)]
    for message in posted:
        assert await world.ports.bot_messages.is_bot_message(message)
    event = ReactionEvent("Ev1", person(1), "tada", posted[0], True, NEXT_MONDAY_MORNING)
    assert (await world.services.interactions.reaction(event)).recorded


@pytest.mark.parametrize(
    "error", [DeliveryFailed("channel_not_found", permanent=True), RateLimited(30)]
)
async def test_post_weekly_continues_when_a_channel_fails(world: World, error: Exception) -> None:
    world.clock.set(NEXT_MONDAY_MORNING)
    world.gateway.fail(CHANNELS[0], error)
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 1
    assert boards(world) == [(CHANNELS[1], "2026-W47")]
    assert world.ports.store.bot_messages == {MessageRef(CHANNELS[1], "1.000200")}


async def test_post_weekly_that_reached_no_channel_can_run_again(world: World) -> None:
    world.clock.set(NEXT_MONDAY_MORNING)
    for channel in CHANNELS:
        world.gateway.fail(channel, DeliveryFailed("not_in_channel", permanent=True))
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 0
    # The claim was given back, so the restart catch-up posts the week after all.
    assert await world.services.leaderboard.post_weekly(holder="replica-2") == len(CHANNELS)
    assert await world.services.leaderboard.post_weekly(holder="replica-3") == 0


async def test_post_weekly_can_report_the_current_week(world: World) -> None:
    await world.board(report_previous_week=False).post_weekly(holder="replica-1")
    assert boards(world) == [(channel, "2026-W47") for channel in CHANNELS]


async def test_post_weekly_skips_platforms_without_a_gateway(world: World) -> None:
    channels = {Platform.TEAMS: ("19:general@thread.tacv2",), Platform.SLACK: ("CONLY",)}
    assert await world.board(channels=channels).post_weekly(holder="replica-1") == 1
    assert [channel for channel, _ in world.gateway.boards] == ["CONLY"]
