"""Settings, Mastodon, pause / resume and the App Home dashboard (issue 5, item 2)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from bot.errors import InvalidInput, NotAnAmbassador
from bot.model import DeliveryStatus, Network, Platform, Preferences
from bot.preferences import RawPreferences, parse_clock, parse_instance, parse_weekly_cap
from bot.programme import Programme, Topic
from bot.views import Notice, PreferencesSummary
from tests.bot.builders import NETWORKS, NOW, World, make_programme, person

MASTODON_NETWORKS = (*NETWORKS, Network.MASTODON)
DEPARTMENTS = (
    Topic("sales", {"en": "Sales", "fr": "Ventes"}),
    Topic("tech", {"en": "Engineering", "fr": "Technique"}),
)


@pytest.fixture
def departments() -> tuple[Topic, ...]:
    """No departments configured, unless a test parametrizes ``departments``."""
    return ()


@pytest.fixture
def programme(departments: tuple[Topic, ...]) -> Programme:
    """The test programme, offering Mastodon too."""
    return make_programme(networks=MASTODON_NETWORKS, departments=departments)


def raw(**changes: Any) -> RawPreferences:
    values: dict[str, Any] = {
        "topics": ["engineering"],
        "networks": ["linkedin"],
        "language": "en",
        "delivery_mode": "immediate",
    }
    values.update(changes)
    return RawPreferences(**values)


def refusal(world: World, **changes: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        world.services.preferences.validate(raw(**changes))
    return caught.value


# --- validation (pure) -------------------------------------------------------------------------


def summary_of(notice: Notice) -> PreferencesSummary:
    """The summary a ``settings_saved`` notice carries."""
    summary = notice.params["summary"]
    assert isinstance(summary, PreferencesSummary)
    return summary


def test_validate_reads_every_field(world: World) -> None:
    chosen = world.services.preferences.validate(
        raw(
            topics=["careers", "engineering"],
            networks=["mastodon", "linkedin"],
            language="FR",
            delivery_mode="weekly",
            quiet_start="20:00",
            quiet_end="7h30",
            weekly_cap="5",
            mastodon_instance=" Mastodon.Social ",
        )
    )
    assert chosen == Preferences(
        topics=frozenset({"careers", "engineering"}),
        networks=(Network.LINKEDIN, Network.MASTODON),  # the programme's order
        locale="fr",
        delivery_mode="weekly",
        quiet_start=time(20, 0),
        quiet_end=time(7, 30),
        weekly_cap=5,
        mastodon_instance="mastodon.social",
    )


def test_validate_defaults(world: World) -> None:
    chosen = world.services.preferences.validate(
        RawPreferences(topics=["engineering"], networks=["x"])
    )
    assert (chosen.locale, chosen.delivery_mode, chosen.quiet_start, chosen.weekly_cap) == (
        "en",
        "immediate",
        None,
        None,
    )
    assert chosen.mastodon_instance is None


@pytest.mark.parametrize(
    ("changes", "key", "field"),
    [
        ({"topics": []}, "topics_missing", "topics"),
        ({"networks": ["myspace"]}, "unknown_network", "networks"),
        ({"language": "de"}, "settings_unknown_language", "language"),
        ({"delivery_mode": "hourly"}, "unknown_delivery_mode", "delivery_mode"),
        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "bad_clock_time", "quiet_start"),
        ({"quiet_start": "20:00", "quiet_end": "8 pm"}, "bad_clock_time", "quiet_end"),
        ({"quiet_start": "20:00"}, "quiet_hours_incomplete", "quiet_end"),
        ({"quiet_end": "08:00"}, "quiet_hours_incomplete", "quiet_start"),
        ({"quiet_start": "20:00", "quiet_end": "20:00"}, "quiet_hours_empty", "quiet_end"),
        ({"weekly_cap": "51"}, "bad_weekly_cap", "weekly_cap"),
        ({"weekly_cap": "-1"}, "bad_weekly_cap", "weekly_cap"),
        ({"weekly_cap": "2.5"}, "bad_weekly_cap", "weekly_cap"),
        ({"networks": ["mastodon"]}, "mastodon_instance_missing", "mastodon_instance"),
        (
            {"networks": ["mastodon"], "mastodon_instance": "https://mastodon.social"},
            "mastodon_instance_invalid",
            "mastodon_instance",
        ),
    ],
)
def test_validate_refusals_name_the_field(
    world: World, changes: dict[str, Any], key: str, field: str
) -> None:
    error = refusal(world, **changes)
    assert (error.notice_key, error.field) == (key, field)


@pytest.mark.parametrize(
    "value",
    [
        "mastodon.social",
        "eldritch.cafe",
        "social.example.co.uk",
        "MASTODON.SOCIAL.",
        "xn--caf-dma.example",
        "café.example",
    ],
)
def test_instances_that_are_host_names(value: str) -> None:
    host = parse_instance(value)
    assert host == host.lower()
    assert "://" not in host
    assert "/" not in host


@pytest.mark.parametrize(
    "value",
    [
        "",
        "localhost",
        "https://mastodon.social",
        "mastodon.social/@me",
        "mastodon.social:443",
        "me@mastodon.social",
        "@me@mastodon.social",
        "192.168.0.1",
        "10.0.0.1",
        "[::1]",
        "::1",
        "-bad.example",
        "bad-.example",
        "a..b",
        "with space.example",
        "x" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "com",
        "mastodon.social?x=1",
        "mastodon.social#frag",
    ],
)
def test_instances_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_instance(value)
    assert caught.value.field == "mastodon_instance"


def test_clock_and_cap_parsers() -> None:
    assert parse_clock("7:05", "quiet_start") == time(7, 5)
    assert parse_clock("20h", "quiet_start") == time(20, 0)
    assert parse_clock("20:30:00", "quiet_start") == time(20, 30)
    assert parse_clock(" ", "quiet_start") is None
    assert parse_weekly_cap("") is None
    assert parse_weekly_cap("none") is None
    assert parse_weekly_cap("50") == 50
    with pytest.raises(InvalidInput):
        parse_clock("12:60", "quiet_end")


# --- settings form and saving ------------------------------------------------------------------


async def test_settings_form_is_prefilled(world: World) -> None:
    await world.join(1, networks=("linkedin", "x"), locale="fr")
    form = await world.services.preferences.settings_form(person(1))
    assert form.locale == "fr"
    assert form.language == "fr"
    assert form.delivery_mode == "immediate"
    assert [c.network for c in form.networks if c.selected] == [Network.LINKEDIN, Network.X]
    assert Network.MASTODON in [c.network for c in form.networks]
    assert (form.quiet_start, form.weekly_cap, form.mastodon_instance) == (None, None, None)


async def test_settings_form_needs_an_ambassador(world: World) -> None:
    with pytest.raises(NotAnAmbassador):
        await world.services.preferences.settings_form(person(9))


async def test_save_stores_everything_and_confirms_in_the_new_language(world: World) -> None:
    await world.join(1)
    service = world.services.preferences
    chosen = service.validate(
        raw(
            networks=["linkedin", "mastodon"],
            language="fr",
            delivery_mode="daily",
            quiet_start="21:00",
            quiet_end="08:00",
            weekly_cap="3",
            mastodon_instance="mastodon.social",
        )
    )
    notice = await service.save(person(1), chosen)
    assert notice.key == "settings_saved"
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None
    assert (stored.locale, stored.delivery_mode, stored.weekly_cap) == ("fr", "daily", 3)
    assert (stored.quiet_start, stored.quiet_end) == (time(21, 0), time(8, 0))
    assert stored.mastodon_instance == "mastodon.social"
    assert stored.networks == (Network.LINKEDIN, Network.MASTODON)
    # The next message speaks French.
    assert await world.services.ambassadors.locale_of(person(1)) == "fr"
    form = await service.settings_form(person(1))
    assert (form.quiet_start, form.quiet_end, form.weekly_cap) == ("21:00", "08:00", 3)


async def test_form_with_error_keeps_what_was_typed(world: World) -> None:
    await world.join(1)
    typed = raw(networks=["mastodon"], mastodon_instance="https://x", weekly_cap="7")
    error = refusal(world, networks=["mastodon"], mastodon_instance="https://x")
    form = await world.services.preferences.settings_form_with_error(person(1), typed, error)
    assert form.error_field == "mastodon_instance"
    assert form.error is not None
    assert form.error.key == "mastodon_instance_invalid"
    assert form.mastodon_instance == "https://x"
    assert form.weekly_cap == 7
    assert [c.network for c in form.networks if c.selected] == [Network.MASTODON]


async def test_mastodon_button_opens_the_persons_instance(world: World) -> None:
    await world.join(1)
    service = world.services.preferences
    await service.save(
        person(1),
        service.validate(raw(networks=["linkedin", "mastodon"], mastodon_instance="eldritch.cafe")),
    )
    await world.push()
    await world.services.sender.drain_all()
    (view,) = world.views_sent_to(1)
    mastodon = next(b for b in view.buttons if b.network is Network.MASTODON)
    assert mastodon.intent_url.startswith("https://eldritch.cafe/share?text=")
    assert "go.example.com%2Fr%2F" in mastodon.intent_url  # the tracked link, in the text


async def test_welcome_points_to_settings_and_app_home_on_slack_only(world: World) -> None:
    service = world.services.ambassadors
    enrolment = service.validate_enrolment(
        topics=["engineering"], networks=["linkedin"], accepted_version="v1"
    )
    from bot.model import UserProfile

    slack = await service.enrol(person(1), UserProfile("Ann"), enrolment)
    teams = await service.enrol(person(2, Platform.TEAMS), UserProfile("Bob"), enrolment)
    assert slack.key == teams.key == "welcome_settings"
    assert (slack.params["app_home"], teams.params["app_home"]) == (True, False)


# --- pause / resume ----------------------------------------------------------------------------


async def test_a_paused_person_gets_nothing_published_meanwhile(world: World) -> None:
    await world.join(1)
    await world.join(2)
    notice = await world.services.preferences.pause(person(1), None)
    assert notice == Notice("paused", {})
    await world.push()
    await world.services.sender.drain_all()
    assert world.views_sent_to(1) == []
    assert len(world.views_sent_to(2)) == 1
    profile = await world.services.ambassadors.profile(person(1))
    assert (profile.paused, profile.resumes_on) == (True, None)
    # Resuming does not bring what was published meanwhile; the next publication comes.
    assert await world.services.preferences.resume(person(1)) == Notice("resumed", {})
    await world.services.sender.drain_all()
    assert world.views_sent_to(1) == []
    await world.push(url="https://example.com/blog/next")
    await world.services.sender.drain_all()
    assert len(world.views_sent_to(1)) == 1


async def test_deliveries_due_during_a_pause_are_dropped(world: World) -> None:
    ambassador = await world.join(1)
    await world.push()  # pending, not yet sent
    await world.services.preferences.pause(person(1), 3)
    await world.services.sender.drain_all()
    delivery = world.delivery_of(ambassador)
    assert (delivery.status, delivery.error) == (DeliveryStatus.FAILED, "paused")
    assert world.views_sent_to(1) == []


async def test_a_dated_pause_ends_by_itself(world: World) -> None:
    await world.join(1)
    notice = await world.services.preferences.pause(person(1), 7)
    assert notice == Notice("paused_until", {"day": date(2026, 11, 25)})
    profile = await world.services.ambassadors.profile(person(1))
    assert (profile.paused, profile.resumes_on) == (True, date(2026, 11, 25))
    world.clock.advance(timedelta(days=7))
    await world.push()
    await world.services.sender.drain_all()
    assert len(world.views_sent_to(1)) == 1
    assert not (await world.services.ambassadors.profile(person(1))).paused
    assert await world.services.preferences.resume(person(1)) == Notice("not_paused", {})


async def test_pause_refusals(world: World) -> None:
    with pytest.raises(NotAnAmbassador):
        await world.services.preferences.pause(person(1), None)
    await world.join(1)
    for days in (0, 366):
        with pytest.raises(InvalidInput) as caught:
            await world.services.preferences.pause(person(1), days)
        assert caught.value.notice_key == "bad_pause_days"


async def test_no_reminder_while_paused(world: World) -> None:
    await world.suggest(1)
    await world.services.preferences.pause(person(1), None)
    world.clock.advance(timedelta(days=2))
    assert await world.work().send_reminders() == 0
    assert world.gateway.reminders == []


async def test_joining_again_ends_a_pause(world: World) -> None:
    await world.join(1)
    await world.services.preferences.pause(person(1), None)
    await world.services.ambassadors.leave(person(1))
    again = await world.join(1)
    assert not again.is_paused(NOW)


# --- App Home -------------------------------------------------------------------------------------


async def test_home_for_someone_who_has_not_joined(world: World) -> None:
    view = await world.services.preferences.home(person(1))
    assert (view.is_ambassador, view.profile, view.pending, view.badges) == (False, None, (), ())


async def test_home_lists_suggestions_not_acted_on(world: World) -> None:
    ambassador, delivery = await world.suggest(1)
    view = await world.services.preferences.home(person(1))
    assert view.is_ambassador
    assert view.profile is not None
    assert [p.delivery_id for p in view.pending] == [delivery.id]
    assert view.pending[0].buttons  # the share buttons, as in the DM
    assert view.preferences is not None
    assert view.preferences.topics == ("Engineering",)
    assert view.badges == ()  # badges come with issue 6
    await world.services.interactions.skip(person(1), delivery.id)
    assert (await world.services.preferences.home(person(1))).pending == ()
    del ambassador


async def test_home_shows_the_pause(world: World) -> None:
    await world.join(1)
    await world.services.preferences.pause(person(1), 2)
    view = await world.services.preferences.home(person(1))
    assert (view.paused, view.resumes_on) == (True, date(2026, 11, 20))


# --- team and hiding from boards (issue 6, in the settings form) -------------------------------


@pytest.mark.parametrize("departments", [DEPARTMENTS])
def test_validate_team_with_departments(world: World) -> None:
    validate = world.services.preferences.validate
    assert validate(raw()).team is None  # no team field: left as it is
    assert validate(raw(team=" SALES ")).team == "sales"  # the department's id
    assert validate(raw(team="none")).team == ""  # clears, as ``team none`` does
    assert validate(raw(team="")).team == ""
    assert validate(raw(hidden=True)).hidden_from_boards is True
    error = refusal(world, team="marketing")  # refused politely, next to the field
    assert (error.notice_key, error.field) == ("unknown_team", "team")
    assert error.params["teams"] == ["sales", "tech"]


def test_validate_free_text_team_without_departments(world: World) -> None:
    validate = world.services.preferences.validate
    assert validate(raw(team="  Sales EMEA ")).team == "Sales EMEA"
    assert validate(raw(team="x" * 150)).team == "x" * 100  # as the ``team`` command keeps it
    assert validate(raw(team="None")).team == ""


@pytest.mark.parametrize("departments", [DEPARTMENTS])
async def test_save_sets_team_and_hiding_through_the_boards(world: World) -> None:
    joined = await world.join(1)
    service = world.services.preferences
    form = await service.settings_form(person(1))
    assert form.boards
    assert [(c.id, c.label, c.selected) for c in form.departments] == [
        ("sales", "Sales", False),
        ("tech", "Engineering", False),
    ]
    assert (form.team, form.hidden) == (None, False)

    notice = await service.save(
        person(1), service.validate(raw(language="fr", team="Tech", hidden=True))
    )
    assert notice.key == "settings_saved"
    summary = summary_of(notice)
    assert (summary.team, summary.hidden) == ("Technique", True)  # in the new language
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None and stored.team == "tech"
    assert await world.ports.boards.is_hidden(ambassador_id=joined.id)
    form = await service.settings_form(person(1))
    assert [c.id for c in form.departments if c.selected] == ["tech"]
    assert (form.locale, form.departments[1].label, form.hidden) == ("fr", "Technique", True)

    # A form without those fields (opened before they existed) leaves them alone...
    notice = await service.save(person(1), service.validate(raw()))
    assert (summary_of(notice).team, summary_of(notice).hidden) == ("Engineering", True)
    # ... and "none" with the box unticked leaves the team and shows the person again.
    notice = await service.save(person(1), service.validate(raw(team="none", hidden=False)))
    assert (summary_of(notice).team, summary_of(notice).hidden) == (None, False)
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None and stored.team is None
    assert not await world.ports.boards.is_hidden(ambassador_id=joined.id)


@pytest.mark.parametrize("departments", [DEPARTMENTS])
async def test_form_with_error_keeps_the_team_and_box_as_submitted(world: World) -> None:
    await world.join(1)
    typed = raw(team="SALES", hidden=True, weekly_cap="99")
    error = refusal(world, weekly_cap="99")
    form = await world.services.preferences.settings_form_with_error(person(1), typed, error)
    assert [c.id for c in form.departments if c.selected] == ["sales"]
    assert (form.team, form.hidden) == ("sales", True)
