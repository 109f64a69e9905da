"""The personal weekly recap DM: opt-in, its content, once per person and week, the person's
own rules (pause, quiet hours, hiding), pacing and failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import RecapChoice, parse_command
from bot.errors import DeliveryFailed, InvalidInput, NotAnAmbassador, RateLimited
from bot.limiter import TokenBucket
from bot.model import Ambassador, Badge, Network, Platform
from bot.preferences import RawPreferences
from bot.recap import RecapService, RecapSettings
from bot.views import Notice, PreferencesSummary
from tests.bot.builders import NOW, World, person
from tests.bot.fakes import record_visit

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # the week 2026-W47 has ended
W47 = date(2026, 11, 16)


@pytest.fixture
async def people(world: World) -> dict[str, Ambassador]:
    """Ada 18 points in 2026-W47 (a share click and a confirmed share), Bob 13 (two share
    clicks), Cy nothing; Ada and Bob opted in to the recap, Cy too."""
    world.ports.boards.tz = world.programme.timezone
    found = {
        name: await world.join(n, name=f"{name} Doe", networks=("linkedin", "x"))
        for n, name in enumerate(("Ada", "Bob", "Cy"), start=1)
    }
    await world.push()
    await world.services.sender.drain_all()
    for name, networks in (("Ada", (Network.LINKEDIN,)), ("Bob", (Network.X, Network.LINKEDIN))):
        delivery = world.delivery_of(found[name])
        for network in networks:
            await world.services.interactions.share_click(found[name].user, delivery.id, network)
    ada = found["Ada"]
    await world.services.interactions.confirm_share(ada.user, world.delivery_of(ada).id)
    for name in found:
        await world.services.preferences.set_weekly_recap(found[name].user, True)
    return {name: await reload(world, a) for name, a in found.items()}


async def reload(world: World, ambassador: Ambassador) -> Ambassador:
    found = await world.ports.ambassadors.get(ambassador.id)
    assert found is not None
    return found


def recaps(world: World) -> RecapService:
    assert world.services.recaps is not None
    return world.services.recaps


def recap_service(world: World, holder: str, **options: Any) -> RecapService:
    """Another recap service over the world's ports (another replica, other settings)."""
    return RecapService(
        recaps=world.ports.recaps,
        ambassadors=world.ports.ambassadors,
        preferences=world.ports.preferences,
        ledger=world.ports.ledger,
        gateways=world.gateways,
        programme=world.programme,
        clock=world.clock,
        holder=holder,
        **options,
    )


def sent_to(world: World) -> list[str]:
    return [user.user_id for user, _ in world.gateway.recaps]


# --- the command and the preference ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("recap", RecapChoice(None)),
        ("recap on", RecapChoice(True)),
        ("recap OFF", RecapChoice(False)),
        ("recap oui", RecapChoice(True)),
        ("recap non", RecapChoice(False)),
    ],
)
def test_recap_commands(text: str, command: RecapChoice) -> None:
    assert parse_command(text) == command


def test_a_bad_recap_command_is_told_how() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_command("recap weekly")
    assert raised.value.notice_key == "recap_usage"


async def test_the_recap_is_off_until_turned_on(world: World) -> None:
    ada = await world.join(1)
    assert not ada.weekly_recap
    service = world.services.preferences
    assert await service.set_weekly_recap(ada.user, None) == Notice("recap_status", {"on": False})
    assert await service.set_weekly_recap(ada.user, True) == Notice("recap_on", {})
    assert (await reload(world, ada)).weekly_recap
    assert await service.set_weekly_recap(ada.user, None) == Notice("recap_status", {"on": True})
    # Off twice (the recap's button pressed again): the same answer, nothing else.
    assert await service.set_weekly_recap(ada.user, False) == Notice("recap_off", {})
    assert await service.set_weekly_recap(ada.user, False) == Notice("recap_off", {})
    assert not (await reload(world, ada)).weekly_recap
    with pytest.raises(NotAnAmbassador):
        await service.set_weekly_recap(person(99), True)


async def test_the_settings_form_turns_it_on_and_off(world: World) -> None:
    ada = await world.join(1)
    service = world.services.preferences
    assert not (await service.settings_form(ada.user)).weekly_recap
    raw = RawPreferences(topics=["engineering"], networks=["linkedin"], weekly_recap=True)
    notice = await service.save(ada.user, service.validate(raw))
    summary = notice.params["summary"]
    assert isinstance(summary, PreferencesSummary)
    assert summary.weekly_recap is True
    assert (await service.settings_form(ada.user)).weekly_recap
    # A form from before the field existed (None) leaves the choice as it is.
    await service.save(ada.user, service.validate(replace(raw, weekly_recap=None)))
    assert (await reload(world, ada)).weekly_recap
    await service.save(ada.user, service.validate(replace(raw, weekly_recap=False)))
    assert not (await reload(world, ada)).weekly_recap


async def test_me_and_the_dashboard_show_the_choice(world: World) -> None:
    ada = await world.join(1)
    await world.services.preferences.set_weekly_recap(ada.user, True)
    assert (await world.services.ambassadors.profile(ada.user)).weekly_recap
    home = await world.services.preferences.home(ada.user)
    assert home.preferences is not None and home.preferences.weekly_recap


# --- content ---------------------------------------------------------------------------------


async def test_the_recap_tells_the_week_that_just_ended(
    world: World, people: dict[str, Ambassador]
) -> None:
    ada = people["Ada"]
    link = next(iter(world.ports.store.links.values()))
    link = replace(link, ambassador_id=ada.id)
    for at, is_bot in ((NOW, False), (NOW + timedelta(hours=1), False), (NOW, True)):
        await record_visit(world.ports, link=link, is_bot=is_bot, now=at)
    await record_visit(world.ports, link=link, is_bot=False, now=MONDAY_9)  # the next week
    await world.ports.recognition.earn(ambassador_id=ada.id, badge=Badge.FIRST_SHARE, now=NOW)
    await world.ports.recognition.earn(
        ambassador_id=ada.id, badge=Badge.SHARES_10, now=NOW - timedelta(days=14)
    )
    world.clock.set(MONDAY_9)
    assert (await recaps(world).send_due()).sent == 3
    views = {user.user_id: view for user, view in world.gateway.recaps}
    mine = views[ada.user.user_id]
    assert (mine.week_label, mine.week_start, mine.locale) == ("2026-W47", W47, "en")
    assert (mine.points, mine.rank, mine.hidden) == (18, 1, False)
    assert (mine.shares, mine.clicks, mine.badges) == (1, 2, ("first_share",))
    assert mine.streak == 1  # shared last week; this week is still in progress
    assert (mine.waiting, mine.waiting_more) == (0, False)  # she said she shared it
    assert not mine.empty
    bob = views[people["Bob"].user.user_id]
    assert (bob.points, bob.rank, bob.shares, bob.clicks, bob.waiting) == (13, 2, 1, 0, 1)
    cy = views[people["Cy"].user.user_id]
    assert cy.empty and (cy.points, cy.rank, cy.streak, cy.waiting) == (0, None, 0, 1)


async def test_a_hidden_person_reads_their_rank_privately(
    world: World, people: dict[str, Ambassador]
) -> None:
    await world.services.leaderboard.hide(people["Ada"].user, hidden=True)
    world.clock.set(MONDAY_9)
    await recaps(world).send_due()
    views = {user.user_id: view for user, view in world.gateway.recaps}
    ada = views[people["Ada"].user.user_id]
    assert (ada.points, ada.rank, ada.hidden) == (18, 1, True)  # the place she would hold
    assert views[people["Bob"].user.user_id].rank == 1  # the public board without her


# --- when, and once --------------------------------------------------------------------------


async def test_only_those_who_opted_in_get_it(world: World, people: dict[str, Ambassador]) -> None:
    await world.services.preferences.set_weekly_recap(people["Bob"].user, False)
    world.clock.set(MONDAY_9)
    await recaps(world).send_due()
    assert sorted(sent_to(world)) == sorted([people["Ada"].user.user_id, people["Cy"].user.user_id])


async def test_nothing_before_monday_nine(world: World, people: dict[str, Ambassador]) -> None:
    service = recaps(world)
    world.clock.set(MONDAY_9 - timedelta(minutes=1))
    assert service.due_week(world.clock.now()) is None
    assert (await service.send_due()).sent == 0
    assert world.gateway.recaps == []
    # The week's recaps may go out until the next week ends, then that week's come due.
    due = service.due_week(MONDAY_9 + timedelta(days=6, hours=14))
    assert due is not None and due.label == "2026-W47"
    due = service.due_week(MONDAY_9 + timedelta(days=7))
    assert due is not None and due.label == "2026-W48"
    # Someone who opts in during a week gets the previous week's recap at the next run.
    due = service.due_week(NOW)
    assert due is not None and due.label == "2026-W46"


async def test_once_per_week_under_double_runs_and_two_replicas(
    world: World, people: dict[str, Ambassador]
) -> None:
    world.clock.set(MONDAY_9)
    other = recap_service(world, "replica-2", boards=world.ports.boards)
    assert (await recaps(world).send_due()).sent == 3
    assert (await other.send_due()).sent == 0
    world.clock.set(MONDAY_9 + timedelta(hours=5))
    assert (await recaps(world).send_due()).sent == 0
    assert len(world.gateway.recaps) == 3
    assert {s for s, _, _ in world.ports.store.recaps.values()} == {"sent"}


async def test_a_claim_taken_elsewhere_is_not_sent_again(
    world: World, people: dict[str, Ambassador]
) -> None:
    world.clock.set(MONDAY_9)
    ada = people["Ada"]
    # Another replica claimed Ada's recap between reading the list and claiming.
    assert await world.ports.recaps.claim(
        ambassador_id=ada.id, week_start=W47, holder="replica-2", now=MONDAY_9
    )
    assert not await world.ports.recaps.claim(
        ambassador_id=ada.id, week_start=W47, holder="replica-1", now=MONDAY_9
    )
    await recaps(world).send_due()
    assert ada.user.user_id not in sent_to(world)


async def test_a_paused_person_gets_no_recap(world: World, people: dict[str, Ambassador]) -> None:
    await world.services.preferences.pause(people["Bob"].user, None)
    world.clock.set(MONDAY_9)
    report = await recaps(world).send_due()
    assert (report.sent, report.skipped) == (2, 1)
    assert people["Bob"].user.user_id not in sent_to(world)
    await world.services.preferences.resume(people["Bob"].user)
    world.clock.set(MONDAY_9 + timedelta(hours=1))
    assert (await recaps(world).send_due()).sent == 0  # skipped for this week, for good


async def test_quiet_hours_defer_it(world: World, people: dict[str, Ambassador]) -> None:
    ada = people["Ada"]
    await world.ports.preferences.save_preferences(
        ambassador_id=ada.id,
        preferences=replace(
            world.services.preferences.validate(
                RawPreferences(topics=["engineering"], networks=["linkedin"])
            ),
            quiet_start=time(8, 0),
            quiet_end=time(12, 0),
        ),
    )
    world.ports.store.ambassadors_by_id[ada.id] = replace(
        world.ports.store.ambassadors_by_id[ada.id], timezone="Europe/Paris"
    )
    world.clock.set(MONDAY_9)
    report = await recaps(world).send_due()
    assert (report.sent, report.deferred) == (2, 1)
    assert ada.user.user_id not in sent_to(world)
    world.clock.set(MONDAY_9.replace(hour=12))
    assert (await recaps(world).send_due()).sent == 1
    assert sent_to(world).count(ada.user.user_id) == 1


# --- failures and pacing ---------------------------------------------------------------------


async def test_a_rate_limit_gives_the_claim_back(
    world: World, people: dict[str, Ambassador]
) -> None:
    ada = people["Ada"]
    world.gateway.fail(ada.user.user_id, RateLimited(30))
    world.clock.set(MONDAY_9)
    report = await recaps(world).send_due()
    assert report.retried == 1
    assert (ada.id, W47) not in world.ports.store.recaps
    # The workspace waits (the bucket was blocked), and the rest of it waits for a later run.
    assert report.sent == 0
    world.clock.set(MONDAY_9 + timedelta(minutes=1))
    assert (await recaps(world).send_due()).sent == 3
    assert sent_to(world).count(ada.user.user_id) == 1


async def test_failures_transient_and_permanent(
    world: World, people: dict[str, Ambassador]
) -> None:
    ada, bob = people["Ada"], people["Bob"]
    world.gateway.fail(ada.user.user_id, DeliveryFailed("timeout", permanent=False))
    world.gateway.fail(bob.user.user_id, DeliveryFailed("cannot_dm_bot", permanent=True))
    world.clock.set(MONDAY_9)
    report = await recaps(world).send_due()
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    assert world.ports.store.recaps[(bob.id, W47)][0] == "failed"
    assert (await reload(world, bob)).unreachable or bob.id in world.ports.store.unreachable
    world.clock.set(MONDAY_9 + timedelta(minutes=1))
    assert (await recaps(world).send_due()).sent == 1  # Ada's, again; Bob's never
    assert sorted(sent_to(world)) == sorted([people["Cy"].user.user_id, ada.user.user_id])


async def test_a_run_sends_one_batch(world: World, people: dict[str, Ambassador]) -> None:
    service = recap_service(world, "small", settings=RecapSettings(batch=2))
    world.clock.set(MONDAY_9)
    assert (await service.send_due()).sent == 2
    assert (await service.send_due()).sent == 1
    assert (await service.send_due()).sent == 0
    assert len(set(sent_to(world))) == 3


async def test_sends_are_paced_by_the_workspace_bucket(
    world: World, people: dict[str, Ambassador]
) -> None:
    asked: list[str] = []

    def bucket(workspace: str) -> TokenBucket:
        asked.append(workspace)
        return world.services.sender.bucket(workspace)

    service = recap_service(world, "paced", bucket=bucket)
    world.clock.set(MONDAY_9)
    assert (await service.send_due()).sent == 3
    workspace = f"{Platform.SLACK.value}:{people['Ada'].user.workspace_id}"
    assert asked == [workspace] * 3  # one token of the sender's bucket per recap
