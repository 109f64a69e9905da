"""Points beyond the DM's buttons (issue 6): link clicks with a daily cap in the person's own
day, weekly streaks across year ends and DST, the streak bonus, and badges announced once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.model import (
    Ambassador,
    AmbassadorId,
    Badge,
    ContentId,
    InteractionKind,
    LeaderboardEntry,
    Network,
    Platform,
)
from bot.programme import Programme
from bot.recognition import RecognitionService, local_day, streak_of
from tests.bot.builders import NOW, World, person
from tests.bot.fakes import FakeSuggestionGateway, MemoryPorts, record_visit

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def recognition(
    world: World, notifier: FakeSuggestionGateway | None = None, **points: int
) -> RecognitionService:
    rules: dict[str, Any] = dict(points)  # the int rules only: ``share_click`` is a mapping
    programme = replace(world.programme, points=replace(world.programme.points, **rules))
    return RecognitionService(
        store=world.ports.recognition,
        ledger=world.ports.ledger,
        ambassadors=world.ports.ambassadors,
        notifiers={Platform.SLACK: notifier or FakeSuggestionGateway()},
        programme=programme,
        clock=world.clock,
    )


def in_zone(ports: MemoryPorts, ambassador: Ambassador, zone: str | None) -> None:
    ports.store.ambassadors_by_id[ambassador.id] = replace(ambassador, timezone=zone)


async def visit(world: World, ambassador: Ambassador, when: datetime, *, bot: bool = False) -> None:
    delivery = world.delivery_of(ambassador)
    links = await world.ports.deliveries.tracked_links(
        delivery=delivery, networks=[Network.LINKEDIN]
    )
    await record_visit(world.ports, link=links[Network.LINKEDIN], is_bot=bot, now=when)


async def share(world: World, ambassador_id: AmbassadorId, when: datetime, n: int) -> None:
    """A confirmed share of content ``n`` at ``when`` (straight into the ledger)."""
    await world.ports.ledger.record(
        dedupe_key=f"test-share:{ambassador_id}:{n}",
        ambassador_id=ambassador_id,
        content_id=ContentId(n),
        delivery_id=None,
        kind=InteractionKind.CONFIRMED_SHARE,
        network=None,
        points=10,
        now=when,
    )


async def points(world: World, ambassador: Ambassador) -> int:
    total, _ = await world.ports.ledger.points_of(ambassador_id=ambassador.id, start=None, end=None)
    return total


# --- days and streaks ---------------------------------------------------------------------


def test_a_local_day_depends_on_the_zone_and_lasts_23_or_25_hours_on_dst_days() -> None:
    instant = datetime(2026, 11, 19, 2, 30, tzinfo=UTC)  # Thursday in Paris, Wednesday in NY
    assert local_day(instant, PARIS)[0] == date(2026, 11, 19)
    assert local_day(instant, NEW_YORK)[0] == date(2026, 11, 18)
    _, start, end = local_day(at(PARIS, "2026-03-29T12:00"), PARIS)
    assert end - start == timedelta(hours=23)  # clocks go forward
    _, start, end = local_day(at(PARIS, "2026-10-25T12:00"), PARIS)
    assert end - start == timedelta(hours=25)
    assert start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("shares", "now", "current", "best", "started"),
    [
        # W52 → W53 → 2027-W01: 2026 has 53 ISO weeks.
        (["2026-12-23", "2026-12-30", "2027-01-06"], "2027-01-07", 3, 3, "2026-W52"),
        # 2025 has 52: Monday 29 December 2025 is already 2026-W01.
        (["2025-12-24", "2025-12-29", "2026-01-05"], "2026-01-05", 3, 3, "2025-W52"),
        # Alive while last week counted (this week is not over yet).
        (["2026-11-04", "2026-11-11"], "2026-11-18", 2, 2, "2026-W45"),
        # Broken: nothing last week.
        (["2026-11-04"], "2026-11-18", 0, 1, None),
        # Best kept from an older run; two shares in one week count once.
        (
            ["2026-10-01", "2026-10-06", "2026-10-07", "2026-10-13", "2026-11-16"],
            "2026-11-18",
            1,
            3,
            "2026-W47",
        ),
        ([], "2026-11-18", 0, 0, None),
    ],
)
def test_streaks(shares: list[str], now: str, current: int, best: int, started: str | None) -> None:
    moments = [at(PARIS, f"{d}T12:00") for d in shares]
    streak = streak_of(moments, PARIS, at(PARIS, f"{now}T12:00"))
    assert (streak.current, streak.best, streak.started) == (current, best, started)


def test_a_share_late_on_sunday_counts_in_its_local_week_across_dst() -> None:
    # Sunday 25 October 2026, 23:30 in Paris (clocks went back that night): still W43 there,
    # though it is Sunday 22:30 UTC; the next share is on Monday 2 November (W45): a gap.
    late = at(PARIS, "2026-10-25T23:30")
    assert streak_of([late], PARIS, at(PARIS, "2026-10-26T08:00")).started == "2026-W43"
    streak = streak_of([late, at(PARIS, "2026-10-26T00:30")], PARIS, at(PARIS, "2026-10-27T08:00"))
    assert (streak.current, streak.started) == (2, "2026-W43")


# --- link clicks --------------------------------------------------------------------------


async def test_each_real_visit_earns_points_once(world: World) -> None:
    ambassador, _ = await world.suggest(1)
    service = recognition(world, link_click=2)
    await visit(world, ambassador, NOW)
    await visit(world, ambassador, NOW)  # a second visitor: another click
    await visit(world, ambassador, NOW, bot=True)  # a link preview crawler
    before = await points(world, ambassador)
    assert await service.award_link_clicks() == 4
    assert await service.award_link_clicks() == 0  # the next run (or a retry) finds nothing
    assert await points(world, ambassador) == before + 4


async def test_no_link_points_for_people_who_left(world: World) -> None:
    ambassador, _ = await world.suggest(1)
    await visit(world, ambassador, NOW)
    await world.services.ambassadors.leave(person(1))
    assert await recognition(world, link_click=2).award_link_clicks() == 0


async def test_link_clicks_off_by_default(world: World) -> None:
    ambassador, _ = await world.suggest(1)
    await visit(world, ambassador, NOW)
    assert await recognition(world).award_link_clicks() == 0


@pytest.mark.parametrize(
    "zone",
    [
        # 23:00-23:50 Paris time on 18 November and 00:10 on the 19th: a new Paris day.
        "Europe/Paris",
        # The same instants are 17:00-18:10 in New York: one day, one cap.
        "America/New_York",
    ],
)
async def test_daily_cap_in_the_persons_own_day(world: World, zone: str) -> None:
    ambassador, _ = await world.suggest(1)
    in_zone(world.ports, ambassador, zone)
    base = at(PARIS, "2026-11-18T23:00")
    for minutes in (0, 10, 20, 30, 40, 50):
        await visit(world, ambassador, base + timedelta(minutes=minutes))
    await visit(world, ambassador, at(PARIS, "2026-11-19T00:10"))
    before = await points(world, ambassador)
    earned = await recognition(world, link_click=5, link_click_daily_cap=15).award_link_clicks()
    # Three paid clicks a day (15 / 5); in Paris the 00:10 click opens a new day.
    expected = 15 + (5 if zone == "Europe/Paris" else 0)
    assert earned == expected
    assert await points(world, ambassador) == before + expected


async def test_unknown_zone_falls_back_to_the_programme_zone(world: World) -> None:
    ambassador, _ = await world.suggest(1)
    in_zone(world.ports, ambassador, "Mars/Olympus")
    await visit(world, ambassador, at(PARIS, "2026-11-18T23:50"))
    await visit(world, ambassador, at(PARIS, "2026-11-19T00:10"))
    service = recognition(world, link_click=5, link_click_daily_cap=5)
    assert await service.award_link_clicks() == 10  # two Paris days, one paid click each


async def test_a_hundred_counted_clicks_earn_a_badge(world: World) -> None:
    ambassador, _ = await world.suggest(1)
    for minutes in range(100):
        await visit(world, ambassador, NOW - timedelta(minutes=minutes))
    notifier = FakeSuggestionGateway()
    await recognition(world, notifier, link_click=1, link_click_daily_cap=10).award_link_clicks()
    badges = [b.badge for b in await world.ports.recognition.badges_of(ambassador.id)]
    assert badges == [Badge.CLICKS_100]
    assert [n.params["badge"] for _, n, _ in notifier.notices] == ["clicks_100"]


# --- badges and the streak bonus ----------------------------------------------------------


async def test_share_badges_are_earned_and_announced_once(world: World) -> None:
    ambassador = await world.join(1)
    notifier = FakeSuggestionGateway()
    service = recognition(world, notifier)
    await share(world, ambassador.id, NOW, 1)
    assert await service.check_shares(ambassador.id) == (Badge.FIRST_SHARE,)
    assert await service.check_shares(ambassador.id) == ()  # a retry announces nothing
    for n in range(2, 11):
        await share(world, ambassador.id, NOW, n)
    assert await service.check_shares(ambassador.id) == (Badge.SHARES_10,)
    sent = [(user, notice.key, notice.params["badge"]) for user, notice, _ in notifier.notices]
    assert sent == [
        (person(1), "points_badge_earned", "first_share"),
        (person(1), "points_badge_earned", "shares_10"),
    ]


async def test_four_weeks_in_a_row_earn_the_bonus_once_and_the_badge(world: World) -> None:
    ambassador = await world.join(1)
    notifier = FakeSuggestionGateway()
    service = recognition(world, notifier, streak_bonus=25, streak_bonus_weeks=4)
    for week in range(3, -1, -1):  # W44, W45, W46 and this week (W47)
        await share(world, ambassador.id, NOW - timedelta(weeks=week), 10 + week)
    before = await points(world, ambassador)
    new = await service.check_shares(ambassador.id)
    assert Badge.STREAK_4 in new
    assert await points(world, ambassador) == before + 25
    await share(world, ambassador.id, NOW, 99)
    await service.check_shares(ambassador.id)
    assert await points(world, ambassador) == before + 25 + 10  # no second bonus
    keys = [n.key for _, n, _ in notifier.notices]
    assert keys.count("points_streak_bonus") == 1
    standing = await service.standing(ambassador.id)
    assert (standing.streak.current, standing.streak.best) == (4, 4)


async def test_a_disabled_badge_is_never_earned(world: World) -> None:
    ambassador = await world.join(1)
    programme: Programme = replace(world.programme, badges=frozenset({"shares_10"}))
    service = RecognitionService(
        store=world.ports.recognition,
        ledger=world.ports.ledger,
        ambassadors=world.ports.ambassadors,
        notifiers={},
        programme=programme,
        clock=world.clock,
    )
    await share(world, ambassador.id, NOW, 1)
    assert await service.check_shares(ambassador.id) == ()


async def test_top_3_of_the_week_ties_included(world: World) -> None:
    people = [await world.join(n) for n in range(1, 6)]
    service = recognition(world)
    entries = [
        LeaderboardEntry(1, people[0].id, "A", 30, 3),
        LeaderboardEntry(2, people[1].id, "B", 20, 2),
        LeaderboardEntry(3, people[2].id, "C", 10, 1),
        LeaderboardEntry(3, people[3].id, "D", 10, 1),
        LeaderboardEntry(5, people[4].id, "E", 5, 1),
    ]
    earned = await service.week_closed(entries)
    assert [e.display_name for e in earned] == ["A", "B", "C", "D"]
    assert await service.week_closed(entries) == ()  # once per person


async def test_first_approved_suggestion(world: World) -> None:
    await world.join(1)
    service = recognition(world)
    assert await service.after_suggestion_approved(person(1)) == (Badge.FIRST_SUGGESTION,)
    assert await service.after_suggestion_approved(person(1)) == ()
    assert await service.after_suggestion_approved(person(2)) == ()  # not an ambassador


# --- wired: the DM's buttons, me, the weekly post -----------------------------------------


async def test_a_confirmed_share_earns_the_first_badge_and_me_shows_it(world: World) -> None:
    ambassador, delivery = await world.suggest(1)
    await world.services.interactions.confirm_share(person(1), delivery.id)
    await world.services.interactions.confirm_share(person(1), delivery.id)  # double click
    assert world.services.recognition is not None
    await world.services.recognition.settle()
    badges = await world.ports.recognition.badges_of(ambassador.id)
    assert [b.badge for b in badges] == [Badge.FIRST_SHARE]
    profile = await world.services.ambassadors.profile(person(1))
    assert profile.badges == ("first_share",)
    assert (profile.streak, profile.best_streak) == (1, 1)
    home = await world.services.preferences.home(person(1))
    assert home.badges == ("first_share",)


async def test_the_weekly_post_names_the_podium_and_new_badges(world: World) -> None:
    _, d1 = await world.suggest(1)
    second = await world.join(2)
    await world.services.interactions.confirm_share(person(1), d1.id)
    assert world.services.recognition is not None
    await world.services.recognition.settle()
    await share(world, second.id, NOW, 7)
    world.clock.set(at(PARIS, "2026-11-23T09:00"))
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 2
    view = world.gateway.boards[0][1]
    lines = [(b.display_name, b.badge) for b in view.badges]
    assert ("Person1 Doe", "first_share") in lines
    assert ("Person1 Doe", "top_3_week") in lines
    assert ("Person2 Doe", "top_3_week") in lines


async def test_an_approved_suggestion_earns_the_badge_through_the_review(world: World) -> None:
    from tests.bot.builders import CURATOR
    from tests.bot.test_suggestions import SUGGESTER, build

    review = build(world)
    service = recognition(world, review.slack)
    review.service._on_approved = service.after_suggestion_approved  # as main.py wires it
    suggester = await world.join(1)
    assert person(1) == SUGGESTER
    made = await review.made()
    await review.service.approve(CURATOR, made.id, name="Cu Rator")
    badges = await world.ports.recognition.badges_of(suggester.id)
    assert [b.badge for b in badges] == [Badge.FIRST_SUGGESTION]
    keys = [n.key for _, n, _ in review.slack.notices]
    assert keys == ["suggest_approved_you", "points_badge_earned"]


async def test_the_weekly_post_goes_out_when_badges_fail(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, delivery = await world.suggest(1)
    await world.services.interactions.confirm_share(person(1), delivery.id)
    assert world.services.recognition is not None
    await world.services.recognition.settle()

    async def broken(**_: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(world.ports.recognition, "badges_between", broken)
    world.clock.set(at(PARIS, "2026-11-23T09:00"))
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 2
    assert world.gateway.boards[0][1].badges == ()


async def test_the_weekly_post_does_not_name_people_who_hide(world: World) -> None:
    _, d1 = await world.suggest(1)
    second = await world.join(2)
    await world.services.interactions.confirm_share(person(1), d1.id)
    assert world.services.recognition is not None
    await world.services.recognition.settle()
    await share(world, second.id, NOW, 7)
    await world.services.leaderboard.hide(person(1), hidden=True)
    world.clock.set(at(PARIS, "2026-11-23T09:00"))
    assert await world.services.leaderboard.post_weekly(holder="replica-1") == 2
    view = world.gateway.boards[0][1]
    assert [e.display_name for e in view.entries] == ["Person2 Doe"]
    assert [(b.display_name, b.badge) for b in view.badges] == [("Person2 Doe", "top_3_week")]
