"""Leaderboards: weekly / monthly / all-time, per team, hiding; rollup buckets by time zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Board, Simple, TeamChoice, parse_command
from bot.errors import InvalidInput, NotAnAmbassador
from bot.leaderboard import month_start, next_month, parse_week_label, week_of, week_part_of
from bot.model import Ambassador, Network
from bot.programme import Programme, Topic
from bot.texts import team_label
from bot.views import Notice
from tests.bot.builders import CHANNELS, NOW, World, person

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
NEXT_MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)


def local(tz: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


# --- buckets: weeks cut where a month begins ------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "moment", "period", "monday"),
    [
        # Paris: Sunday 23:59 and Monday 00:00 are in consecutive weeks.
        (PARIS, "2026-11-22T23:59", "2026-11-16", "2026-11-16"),
        (PARIS, "2026-11-23T00:00", "2026-11-23", "2026-11-23"),
        # October 2026 ends on a Saturday: the week of Mon 26 Oct is cut in two on Nov 1st.
        (PARIS, "2026-10-31T23:59", "2026-10-26", "2026-10-26"),
        (PARIS, "2026-11-01T00:00", "2026-11-01", "2026-10-26"),
        # Paris DST ends Sun 25 Oct 2026 (03:00 -> 02:00): still the same week.
        (PARIS, "2026-10-25T02:30", "2026-10-19", "2026-10-19"),
        # New York: DST ends Sun 1 Nov 2026, the month begins that day too.
        (NEW_YORK, "2026-11-01T01:30", "2026-11-01", "2026-10-26"),
        (NEW_YORK, "2026-10-31T23:59", "2026-10-26", "2026-10-26"),
        # Auckland: DST ends Sun 5 Apr 2026 (03:00 -> 02:00); April begins on a Wednesday.
        (AUCKLAND, "2026-04-05T02:30", "2026-04-01", "2026-03-30"),
        (AUCKLAND, "2026-03-31T23:59", "2026-03-30", "2026-03-30"),
        # ISO week 53 of 2026 (Mon 28 Dec to Sun 3 Jan 2027), cut on New Year's Day.
        (AUCKLAND, "2026-12-31T23:59", "2026-12-28", "2026-12-28"),
        (AUCKLAND, "2027-01-01T00:00", "2027-01-01", "2026-12-28"),
        (AUCKLAND, "2027-01-04T00:00", "2027-01-04", "2027-01-04"),
    ],
)
def test_week_parts_by_time_zone(tz: ZoneInfo, moment: str, period: str, monday: str) -> None:
    at = local(tz, moment)
    assert week_part_of(at, tz) == (date.fromisoformat(period), date.fromisoformat(monday))
    # Same instant seen from UTC: the week is the local one, not UTC's.
    assert week_part_of(at.astimezone(ZoneInfo("UTC")), tz)[1] == week_of(at, tz).first_day


def test_the_same_instant_is_in_another_month_by_zone() -> None:
    instant = local(AUCKLAND, "2026-12-01T08:00")  # still November 30 in Paris and New York
    assert month_start(instant, AUCKLAND) == date(2026, 12, 1)
    assert month_start(instant, PARIS) == date(2026, 11, 1)
    assert month_start(instant, NEW_YORK) == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("first", "following"),
    [("2026-01-01", "2026-02-01"), ("2026-12-01", "2027-01-01"), ("2028-02-01", "2028-03-01")],
)
def test_next_month(first: str, following: str) -> None:
    assert next_month(date.fromisoformat(first)) == date.fromisoformat(following)


@pytest.mark.parametrize(
    ("label", "monday"),
    [("2026-W47", "2026-11-16"), ("2026-w53", "2026-12-28"), ("2027-W01", "2027-01-04")],
)
def test_week_labels(label: str, monday: str) -> None:
    assert parse_week_label(label) == date.fromisoformat(monday)


@pytest.mark.parametrize("label", ["2026-47", "2025-W53", "W47", "2026-W00", ""])
def test_bad_week_labels(label: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_week_label(label)
    assert raised.value.notice_key == "bad_week"


# --- the command ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("leaderboard", Simple("leaderboard")),
        ("leaderboard month", Board("month")),
        ("leaderboard ALL", Board("all")),
        ("leaderboard week team sales", Board("week", "sales")),
        ("leaderboard team Customer Success", Board("week", "Customer Success")),
        ("leaderboard all team tech", Board("all", "tech")),
        ("hide", Simple("hide")),
        ("unhide", Simple("unhide")),
    ],
)
def test_board_commands(text: str, command: object) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    "text", ["leaderboard yesterday", "leaderboard month team", "leaderboard x y"]
)
def test_bad_board_commands(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_command(text)
    assert raised.value.notice_key == "bad_board"


# --- the service ---------------------------------------------------------------------------


@pytest.fixture
def programme(programme: Programme) -> Programme:
    return replace(
        programme,
        departments=(
            Topic("sales", {"en": "Sales", "fr": "Ventes"}),
            Topic("tech", {"en": "Engineering", "fr": "Technique"}),
        ),
    )


@pytest.fixture
async def people(world: World) -> dict[str, Ambassador]:
    """Ada 18 points this week, Bob 13, Cy 5 last month; Ada and Cy in sales, Bob in tech."""
    world.ports.boards.tz = world.programme.timezone
    found = {
        name: await world.join(n, name=f"{name} Doe", networks=("linkedin", "x"))
        for n, name in enumerate(("Ada", "Bob", "Cy"), start=1)
    }
    world.clock.set(NOW - timedelta(days=30))
    await world.push()
    await world.services.sender.drain_all()
    cy = found["Cy"]
    await world.services.interactions.share_click(cy.user, world.delivery_of(cy).id, Network.X)
    world.clock.set(NOW)
    await world.push(url="https://example.com/second")
    await world.services.sender.drain_all()
    for name, networks in (("Ada", (Network.LINKEDIN,)), ("Bob", (Network.X, Network.LINKEDIN))):
        mine = [
            d for d in world.ports.store.deliveries.values() if d.ambassador_id == found[name].id
        ]
        for network in networks:
            await world.services.interactions.share_click(found[name].user, mine[-1].id, network)
    ada = found["Ada"]
    mine = [d for d in world.ports.store.deliveries.values() if d.ambassador_id == ada.id]
    await world.services.interactions.confirm_share(ada.user, mine[-1].id)
    for name, team in (("Ada", "sales"), ("Bob", "tech"), ("Cy", "sales")):
        await world.ports.boards.set_team(ambassador_id=found[name].id, team=team)
    return found


def names(view: object) -> list[str]:
    return [e.display_name for e in view.entries]  # type: ignore[attr-defined]


async def test_week_month_and_all_time(world: World, people: dict[str, Ambassador]) -> None:
    board = world.services.leaderboard
    week = await board.board(locale="en", period="week")
    assert (week.period, week.week_label, names(week)) == (
        "week",
        "2026-W47",
        ["Ada Doe", "Bob Doe"],
    )
    month = await board.board(locale="en", period="month")
    assert (month.period, month.week_start) == ("month", date(2026, 11, 1))
    assert names(month) == ["Ada Doe", "Bob Doe"]
    everything = await board.board(locale="en", period="all")
    assert names(everything) == ["Ada Doe", "Bob Doe", "Cy Doe"]


async def test_team_boards_use_the_department_label(
    world: World, people: dict[str, Ambassador]
) -> None:
    board = world.services.leaderboard
    sales = await board.board(locale="fr", period="all", team="SALES")
    assert (sales.team_label, names(sales)) == ("Ventes", ["Ada Doe", "Cy Doe"])
    with pytest.raises(InvalidInput) as raised:
        await board.board(locale="en", team="marketing")
    assert raised.value.notice_key == "unknown_team"
    assert raised.value.params["teams"] == ["sales", "tech"]


async def test_hidden_people_see_their_rank_privately(
    world: World, people: dict[str, Ambassador]
) -> None:
    board = world.services.leaderboard
    assert await board.hide(people["Ada"].user, hidden=True) == Notice("boards_hidden")
    view = await board.board(locale="en", viewer=people["Ada"].user)
    assert names(view) == ["Bob Doe"]
    assert (view.viewer, view.viewer_hidden, view.viewer_rank, view.viewer_points) == (
        None,
        True,
        1,
        18,
    )
    bob = await board.board(locale="en", viewer=people["Bob"].user)
    assert bob.viewer is not None and bob.viewer.rank == 1
    assert await board.hide(people["Ada"].user, hidden=False) == Notice("boards_shown")
    assert names(await board.board(locale="en")) == ["Ada Doe", "Bob Doe"]
    with pytest.raises(NotAnAmbassador):
        await board.hide(person(99), hidden=True)


async def test_the_posted_weekly_board_leaves_hidden_people_out(
    world: World, people: dict[str, Ambassador]
) -> None:
    await world.services.leaderboard.hide(people["Ada"].user, hidden=True)
    world.clock.set(NEXT_MONDAY_MORNING)
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == len(CHANNELS)
    for _, view in world.gateway.boards:
        assert names(view) == ["Bob Doe"]
        assert view.viewer is None and not view.viewer_hidden


async def test_roll_up_and_rebuild_go_to_the_port(
    world: World, people: dict[str, Ambassador]
) -> None:
    board = world.services.leaderboard
    count = len(world.ports.store.awards)
    assert await board.roll_up(settle=timedelta(seconds=30), batch=2) == count
    assert await board.rebuild_week("2026-W47") == count - 1  # Cy's award was last month
    with pytest.raises(InvalidInput):
        await board.rebuild_week("last week")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("team", TeamChoice(None)),
        ("team sales", TeamChoice("sales")),
        ("team none", TeamChoice(None, clear=True)),
    ],
)
def test_team_commands(text: str, command: object) -> None:
    assert parse_command(text) == command


async def test_choosing_a_team(world: World, people: dict[str, Ambassador]) -> None:
    board = world.services.leaderboard
    cy = people["Cy"]
    assert await board.choose_team(cy.user, "TECH", clear=False) == Notice(
        "team_set", {"team": "tech"}
    )
    assert names(await board.board(locale="en", period="all", team="tech")) == [
        "Bob Doe",
        "Cy Doe",
    ]
    current = await board.choose_team(cy.user, None, clear=False)
    assert current == Notice("team_current", {"team": "tech", "teams": ["sales", "tech"]})
    assert await board.choose_team(cy.user, None, clear=True) == Notice("team_cleared")
    with pytest.raises(InvalidInput):
        await board.choose_team(cy.user, "marketing", clear=False)
    with pytest.raises(NotAnAmbassador):
        await board.choose_team(person(99), "tech", clear=False)


async def test_the_team_placeholder_shows_the_department_label(
    programme: Programme, people: dict[str, Ambassador]
) -> None:
    ambassador = replace(people["Ada"], team="sales", locale="fr")
    assert team_label(ambassador, programme) == "Ventes"
    assert team_label(replace(ambassador, team="Growth"), programme) == "Growth"
    assert team_label(replace(ambassador, team=None), programme) == ""
