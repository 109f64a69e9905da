"""Joining, preferences, leaving, and a person's standing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.ambassadors import AmbassadorService
from bot.errors import InvalidInput, NotAnAmbassador
from bot.model import AmbassadorStatus, Enrolment, Network, UserProfile
from bot.views import EnrolmentForm, NetworkChoice, Notice, ProfileView, TopicChoice
from tests.bot.builders import (
    CONFIRM_POINTS,
    GUIDELINES_VERSION,
    LINKEDIN_POINTS,
    NETWORKS,
    NOW,
    World,
    person,
)

ENROLMENT = Enrolment(frozenset({"engineering"}), (Network.LINKEDIN,), GUIDELINES_VERSION)


def topic_choices(
    locale_labels: tuple[str, str, str], selected: set[str]
) -> tuple[TopicChoice, ...]:
    ids = ("engineering", "careers", "events")
    return tuple(
        TopicChoice(i, label, i in selected) for i, label in zip(ids, locale_labels, strict=True)
    )


def network_choices(selected: set[Network]) -> tuple[NetworkChoice, ...]:
    return tuple(NetworkChoice(n, n in selected) for n in NETWORKS)


EN = ("Engineering", "Careers", "Events")
FR = ("Ingénierie", "Carrières", "Events")


def refusal(service: AmbassadorService, **form: object) -> InvalidInput:
    values: dict[str, Any] = {
        "topics": ["engineering"],
        "networks": ["linkedin"],
        "accepted_version": GUIDELINES_VERSION,
    }
    values.update(form)
    with pytest.raises(InvalidInput) as caught:
        service.validate_enrolment(**values)
    return caught.value


# --- forms --------------------------------------------------------------------------------


async def test_join_form_for_a_newcomer(world: World) -> None:
    form = await world.services.ambassadors.join_form(person(1))
    assert form == EnrolmentForm(
        locale="en",
        guidelines_markdown=world.programme.guidelines.markdown,
        guidelines_version=GUIDELINES_VERSION,
        topics=topic_choices(EN, set()),
        networks=network_choices(set()),
    )


async def test_join_form_labels_follow_the_locale_asked_for(world: World) -> None:
    form = await world.services.ambassadors.join_form(person(1), locale="fr")
    assert (form.locale, form.topics) == ("fr", topic_choices(FR, set()))


async def test_join_form_preselects_a_returning_persons_choices(world: World) -> None:
    await world.join(1, topics=("careers", "events"), networks=("x", "bluesky"), locale="fr")
    await world.services.ambassadors.leave(person(1))
    form = await world.services.ambassadors.join_form(person(1))
    assert form.locale == "fr"
    assert form.topics == topic_choices(FR, {"careers", "events"})
    assert form.networks == network_choices({Network.X, Network.BLUESKY})


async def test_preferences_form_has_no_guidelines(world: World) -> None:
    await world.join(1, topics=("engineering",), networks=("facebook",))
    form = await world.services.ambassadors.preferences_form(person(1))
    assert form.guidelines_markdown is None
    assert form.topics == topic_choices(EN, {"engineering"})
    assert form.networks == network_choices({Network.FACEBOOK})


# --- enrolment ----------------------------------------------------------------------------


def test_validate_enrolment_normalises_the_choices(world: World) -> None:
    enrolment = world.services.ambassadors.validate_enrolment(
        topics=["Careers", "ENGINEERING", "careers"],
        networks=[" Bluesky ", "x", "LINKEDIN", "x"],
        accepted_version=GUIDELINES_VERSION,
    )
    assert enrolment == Enrolment(
        frozenset({"engineering", "careers"}),
        (Network.LINKEDIN, Network.X, Network.BLUESKY),  # the programme's order
        GUIDELINES_VERSION,
    )


@pytest.mark.parametrize(
    ("form", "key", "field", "params"),
    [
        ({"accepted_version": None}, "guidelines_not_accepted", "accept", {}),
        ({"accepted_version": "v0"}, "guidelines_not_accepted", "accept", {}),
        (
            {"topics": []},
            "topics_missing",
            "topics",
            {"known": ("engineering", "careers", "events")},
        ),
        (
            {"topics": ["engineering", "knitting"]},
            "unknown_topic",
            "topics",
            {"topic": "knitting", "known": ("engineering", "careers", "events")},
        ),
        ({"networks": []}, "networks_missing", "networks", {}),
        (
            {"networks": ["myspace"]},
            "unknown_network",
            "networks",
            {"network": "myspace", "known": ["linkedin", "x", "facebook", "bluesky"]},
        ),
        (
            {"networks": ["linkedin", "threads"]},  # a real network the programme does not offer
            "unknown_network",
            "networks",
            {"network": "threads", "known": ["linkedin", "x", "facebook", "bluesky"]},
        ),
    ],
)
def test_validate_enrolment_refusals(
    world: World, form: dict[str, object], key: str, field: str, params: dict[str, object]
) -> None:
    error = refusal(world.services.ambassadors, **form)
    assert (error.notice_key, error.field, dict(error.params)) == (key, field, params)


async def test_enrol_welcomes_with_labels_in_the_persons_locale(world: World) -> None:
    enrolment = world.services.ambassadors.validate_enrolment(
        topics=["events", "engineering"],
        networks=["bluesky", "linkedin"],
        accepted_version=GUIDELINES_VERSION,
    )
    notice = await world.services.ambassadors.enrol(
        person(1), UserProfile("Zoé Martin", locale="fr"), enrolment
    )
    assert notice == Notice(
        "welcome_settings",
        {
            "name": "Zoé Martin",
            "topics": ["Ingénierie", "Events"],
            "networks": ["linkedin", "bluesky"],
            "app_home": True,
        },
    )
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None
    assert (stored.status, stored.guidelines_version, stored.joined_at) == (
        AmbassadorStatus.ACTIVE,
        GUIDELINES_VERSION,
        NOW,
    )


@pytest.mark.parametrize(
    ("platform_locale", "locale", "label"),
    [("fr-FR", "fr", "Ingénierie"), ("fr_CA", "fr", "Ingénierie"), ("de-DE", "en", "Engineering")],
)
async def test_enrol_keeps_a_locale_the_programme_speaks(
    world: World, platform_locale: str, locale: str, label: str
) -> None:
    notice = await world.services.ambassadors.enrol(
        person(1), UserProfile("Zoé", locale=platform_locale), ENROLMENT
    )
    assert notice.params["topics"] == [label]
    assert await world.services.ambassadors.locale_of(person(1)) == locale


@pytest.mark.parametrize(
    "profile", [UserProfile("Bot", is_bot=True), UserProfile("Gone", deleted=True)]
)
async def test_enrol_refuses_bots_and_deleted_accounts(world: World, profile: UserProfile) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world.services.ambassadors.enrol(person(1), profile, ENROLMENT)
    assert caught.value.notice_key == "not_a_person"
    assert await world.ports.ambassadors.get_by_user(person(1)) is None


async def test_joining_again_after_leaving_keeps_the_identity(world: World) -> None:
    first = await world.join(1)
    await world.services.ambassadors.leave(person(1))
    world.clock.advance(timedelta(days=30))
    again = await world.join(1, topics=("careers",))
    assert (again.id, again.ref, again.is_active, again.topics) == (
        first.id,
        first.ref,
        True,
        frozenset({"careers"}),
    )


# --- preferences, leaving -----------------------------------------------------------------


async def test_update_preferences(world: World) -> None:
    await world.join(1, locale="fr")
    notice = await world.services.ambassadors.update_preferences(
        person(1), topics=["careers", "events"], networks=["x", "facebook"]
    )
    assert notice == Notice(
        "preferences_saved", {"topics": ["Carrières", "Events"], "networks": ["x", "facebook"]}
    )
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None
    assert (stored.topics, stored.networks) == (
        frozenset({"careers", "events"}),
        (Network.X, Network.FACEBOOK),
    )


async def test_update_preferences_validates(world: World) -> None:
    await world.join(1)
    with pytest.raises(InvalidInput) as caught:
        await world.services.ambassadors.update_preferences(person(1), topics=[], networks=["x"])
    assert caught.value.notice_key == "topics_missing"


async def test_leave(world: World) -> None:
    await world.join(1, name="Ada Lovelace")
    assert await world.services.ambassadors.leave(person(1)) == Notice(
        "left", {"name": "Ada Lovelace"}
    )
    stored = await world.ports.ambassadors.get_by_user(person(1))
    assert stored is not None
    assert stored.status is AmbassadorStatus.LEFT


MEMBER_ONLY: dict[str, Callable[[AmbassadorService], Awaitable[object]]] = {
    "active": lambda s: s.active(person(1)),
    "preferences_form": lambda s: s.preferences_form(person(1)),
    "update_preferences": lambda s: s.update_preferences(
        person(1), topics=["careers"], networks=["x"]
    ),
    "leave": lambda s: s.leave(person(1)),
    "profile": lambda s: s.profile(person(1)),
}


@pytest.mark.parametrize("action", MEMBER_ONLY.values(), ids=MEMBER_ONLY.keys())
@pytest.mark.parametrize("joined_then_left", [False, True])
async def test_member_only_actions_refuse_non_members(
    world: World,
    action: Callable[[AmbassadorService], Awaitable[object]],
    joined_then_left: bool,
) -> None:
    if joined_then_left:
        await world.join(1)
        await world.services.ambassadors.leave(person(1))
    with pytest.raises(NotAnAmbassador) as caught:
        await action(world.services.ambassadors)
    assert caught.value.notice.key == "not_ambassador"


async def test_locale_of(world: World) -> None:
    await world.join(1, locale="fr")
    assert await world.services.ambassadors.locale_of(person(1)) == "fr"
    assert await world.services.ambassadors.locale_of(person(2)) == "en"


# --- profile ------------------------------------------------------------------------------


async def test_profile_of_a_newcomer(world: World) -> None:
    await world.join(1, topics=("careers", "engineering"), networks=("x",), locale="fr")
    assert await world.services.ambassadors.profile(person(1)) == ProfileView(
        locale="fr",
        display_name="Person1 Doe",
        active=True,
        topics=("Ingénierie", "Carrières"),
        networks=(Network.X,),
        points_week=0,
        points_total=0,
        shares_total=0,
        rank_week=None,
    )


async def test_profile_points_and_rank(world: World) -> None:
    rival = await world.join(2)
    ambassador, delivery = await world.suggest(1, networks=("linkedin", "x"))
    interactions = world.services.interactions
    world.clock.advance(timedelta(days=-7))  # last week
    await interactions.share_click(ambassador.user, delivery.id, Network.LINKEDIN)
    world.clock.set(NOW)
    await interactions.confirm_share(ambassador.user, delivery.id)
    await interactions.share_click(rival.user, world.delivery_of(rival).id, Network.LINKEDIN)

    profile = await world.services.ambassadors.profile(person(1))
    assert (profile.points_week, profile.points_total, profile.shares_total) == (
        CONFIRM_POINTS,
        CONFIRM_POINTS + LINKEDIN_POINTS,
        1,
    )
    assert profile.rank_week == 1
    rival_profile = await world.services.ambassadors.profile(person(2))
    assert (rival_profile.points_week, rival_profile.rank_week) == (LINKEDIN_POINTS, 2)
