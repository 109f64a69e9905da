"""Share texts: choice per person and network, rotation, placeholders, required tags, blocked
keywords, X's 280 and editing before sharing."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.commands import PostInline, parse_command
from bot.content import RawPost
from bot.errors import InvalidInput, NotYourSuggestion
from bot.model import Audience, Network, PageMetadata, ShareText
from bot.programme import Programme
from bot.publishing import SubmitOutcome, raw_post_of, saved_notice
from bot.share import X_MAX, X_URL_WEIGHT, share_intent_url, x_weight
from bot.texts import (
    PLACEHOLDERS,
    candidates,
    check_placeholders,
    choose,
    compose,
    fill,
    tidy,
    x_overflows,
)
from tests.bot.builders import (
    CONTENT_URL,
    CURATOR,
    PROGRAMME_HASHTAG,
    World,
    make_programme,
    person,
    wire_domain,
)

EN, FR = "en", "fr"
LINK = "https://advocacy.example/r/Ab3_x-Yz09Kq7LmN"


def texts(*specs: tuple[str, Network | None, str | None]) -> tuple[ShareText, ...]:
    return tuple(ShareText(text, network, language) for text, network, language in specs)


async def post(
    world: World,
    *specs: tuple[str, str | None, str | None],
    hashtags: str | None = None,
    title: str | None = "Our launch",
    summary: str | None = "What we built",
) -> SubmitOutcome:
    """The curator posts texts, each with its network and language (None: any)."""
    raw = RawPost(
        url=CONTENT_URL,
        title=title,
        summary=summary,
        topics=("engineering",),
        texts=[s[0] for s in specs],
        text_networks=[s[1] for s in specs],
        text_languages=[s[2] for s in specs],
        hashtags=hashtags,
        audience=Audience.INTERESTED,
    )
    draft = await world.services.publishing.validate(CURATOR, raw)
    return await world.services.publishing.submit(CURATOR, draft)


def intent_text(url: str) -> str:
    return parse_qs(urlsplit(url).query)["text"][0]


# --- which text a person gets --------------------------------------------------------------------

MIXED = texts(
    ("x fr", Network.X, FR),
    ("any fr", None, FR),
    ("x en", Network.X, EN),
    ("x any", Network.X, None),
    ("any en", None, EN),
    ("any any", None, None),
    ("linkedin fr", Network.LINKEDIN, FR),
)


@pytest.mark.parametrize(
    ("network", "locale", "expected"),
    [
        (Network.X, FR, ["x fr"]),  # 1. this network, their language
        (Network.BLUESKY, FR, ["any fr"]),  # 2. any network, their language
        (None, FR, ["any fr"]),  # the text shown in the DM: any network
        (Network.X, EN, ["x en", "x any"]),  # en is the default: no language counts as en
        (Network.BLUESKY, EN, ["any en", "any any"]),  # no language = the default one
        (Network.LINKEDIN, FR, ["linkedin fr"]),
    ],
)
def test_candidates_follow_the_documented_order(
    network: Network | None, locale: str, expected: list[str]
) -> None:
    found = candidates(MIXED, network=network, locale=locale, default_locale=EN)
    assert [t.text for t in found] == expected


def test_a_person_without_their_language_gets_the_default_one_for_their_network() -> None:
    only_defaults = texts(
        ("x en", Network.X, EN), ("any", None, None), ("li fr", Network.LINKEDIN, FR)
    )
    found = candidates(only_defaults, network=Network.X, locale="de", default_locale=EN)
    assert [t.text for t in found] == ["x en"]  # 3. (N, default) before 4. (any, default)
    found = candidates(only_defaults, network=Network.FACEBOOK, locale="de", default_locale=EN)
    assert [t.text for t in found] == ["any"]


def test_texts_for_another_network_are_never_used() -> None:
    only_x = texts(("x only", Network.X, None))
    assert candidates(only_x, network=Network.LINKEDIN, locale=EN, default_locale=EN) == ()


def test_the_variant_rotates_among_the_candidates() -> None:
    three = texts(("a", None, None), ("b", None, None), ("c", None, None))
    picked = [
        choose(three, network=None, locale=EN, default_locale=EN, variant=v, values={})
        for v in range(6)
    ]
    assert [t.text for t in picked if t] == ["a", "b", "c", "a", "b", "c"]


def test_a_variant_whose_placeholders_can_be_filled_comes_first() -> None:
    both = texts(("Team {team} rocks", None, None), ("We shipped it", None, None))
    for variant in range(4):
        chosen = choose(
            both, network=None, locale=EN, default_locale=EN, variant=variant, values={"team": ""}
        )
        assert chosen is not None and chosen.text == "We shipped it"
    chosen = choose(
        both, network=None, locale=EN, default_locale=EN, variant=0, values={"team": "Data"}
    )
    assert chosen is not None and chosen.text == "Team {team} rocks"


async def test_300_people_and_3_variants_get_100_each(world: World) -> None:
    for n in range(1, 301):
        await world.join(n)
    await post(world, ("One", None, None), ("Two", None, None), ("Three", None, None))
    await world.services.sender.drain_all()
    counts = Counter(view.text for _, view in world.gateway.sent)
    assert counts == {
        f"One {PROGRAMME_HASHTAG}": 100,
        f"Two {PROGRAMME_HASHTAG}": 100,
        f"Three {PROGRAMME_HASHTAG}": 100,
    }


async def test_rotation_is_even_within_each_language(world: World) -> None:
    for n in range(1, 61):
        await world.join(n, locale=FR if n % 3 == 0 else EN)  # 20 fr, 40 en
    await post(
        world,
        ("Hello A", None, EN),
        ("Hello B", None, EN),
        ("Bonjour A", None, FR),
        ("Bonjour B", None, FR),
    )
    await world.services.sender.drain_all()
    counts = Counter(
        view.text.removesuffix(f" {PROGRAMME_HASHTAG}") for _, view in world.gateway.sent
    )
    assert counts == {"Hello A": 20, "Hello B": 20, "Bonjour A": 10, "Bonjour B": 10}


async def test_each_person_gets_their_language_and_each_button_its_network(world: World) -> None:
    await world.join(1, locale=EN, networks=("linkedin", "x", "bluesky"))
    await world.join(2, locale=FR, networks=("linkedin", "x", "bluesky"))
    await post(
        world,
        ("Read our launch story", None, EN),
        ("Lisez notre lancement", None, FR),
        ("Short for X", "x", EN),
        ("Court pour X", "x", FR),
    )
    await world.services.sender.drain_all()
    (english,) = world.views_sent_to(1)
    (french,) = world.views_sent_to(2)
    assert english.text == f"Read our launch story {PROGRAMME_HASHTAG}"
    assert french.text == f"Lisez notre lancement {PROGRAMME_HASHTAG}"
    by_network = {b.network: b.intent_url for b in french.buttons}
    assert intent_text(by_network[Network.X]) == f"Court pour X {PROGRAMME_HASHTAG}"
    assert intent_text(by_network[Network.BLUESKY]).startswith("Lisez notre lancement")


async def test_old_content_texts_are_general_variants(world: World) -> None:
    await world.join(1, locale=FR)
    await world.push(texts=("Plain old text",))
    await world.services.sender.drain_all()
    (view,) = world.views_sent_to(1)
    assert view.text == f"Plain old text {PROGRAMME_HASHTAG}"


# --- placeholders --------------------------------------------------------------------------------


def test_placeholders_are_filled_by_substitution_never_format() -> None:
    values = {"first_name": "Marie", "team": "Data", "title": "Launch", "programme": "Acme"}
    text = "Hi {first_name} of {team}: {title} by {programme} {0} {__class__} {{x}} {first_name.x}"
    assert fill(text, values) == (
        "Hi Marie of Data: Launch by Acme {0} {__class__} {{x}} {first_name.x}"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {first_name}, look at this", "Hello, look at this"),
        ("Proud of {team} today!", "Proud of today!"),
        ("Shipped ({team}) this week.", "Shipped this week."),
        ("{team}, we did it", "we did it"),
        ("Line one {team}\nLine two", "Line one\nLine two"),
        ("Great work {team} .", "Great work."),
    ],
)
def test_a_placeholder_without_a_value_is_dropped_cleanly(text: str, expected: str) -> None:
    assert fill(text, {"first_name": None, "team": None}) == expected


def test_tidy_leaves_french_spacing_alone() -> None:
    assert tidy("Bravo  ! Et voilà  :") == "Bravo ! Et voilà :"


def test_an_unknown_placeholder_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidInput) as error:
        check_placeholders("Hi {firstname}!", field="text_2")
    assert (error.value.notice_key, error.value.field) == ("unknown_placeholder", "text_2")
    assert error.value.params["name"] == "{firstname}"
    assert error.value.params["known"] == [f"{{{p}}}" for p in PLACEHOLDERS]


async def test_posting_an_unknown_placeholder_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as error:
        await post(world, ("Fine", None, None), ("Hi {nickname}", None, None))
    assert error.value.field == "text_2"


async def test_placeholders_are_filled_for_each_person(world: World) -> None:
    await world.join(1, name="Marie Curie")
    await post(world, ("{first_name} shares {title} from {programme}", None, None))
    await world.services.sender.drain_all()
    (view,) = world.views_sent_to(1)
    assert view.text == f"Marie shares Our launch from Acme Ambassadors {PROGRAMME_HASHTAG}"


# --- hashtag and disclosure ----------------------------------------------------------------------


def disclosed(**overrides: object) -> Programme:
    return make_programme(disclosure="#ad", **overrides)


def test_the_hashtag_and_disclosure_are_added_once() -> None:
    programme = disclosed()
    composed = compose("We shipped #AD", hashtags=("#launch",), programme=programme, values={})
    assert composed.body == "We shipped #AD #launch"
    assert composed.tags == (PROGRAMME_HASHTAG,)
    assert composed.full == f"We shipped #AD #launch {PROGRAMME_HASHTAG}"


def test_a_plain_word_disclosure_is_found_as_a_word() -> None:
    programme = make_programme(disclosure="Ad")
    assert compose("Adding value", hashtags=(), programme=programme, values={}).tags == (
        PROGRAMME_HASHTAG,
        "Ad",
    )
    assert compose("Ad: we shipped", hashtags=(), programme=programme, values={}).tags == (
        PROGRAMME_HASHTAG,
    )


@pytest.mark.parametrize("body", ["word " * 200, "🚀" * 300, "日本語のテキスト " * 60])
def test_x_cuts_the_body_never_the_tags(body: str) -> None:
    programme = disclosed()
    composed = compose(body, hashtags=(), programme=programme, values={})
    url = share_intent_url(Network.X, LINK, composed.full, keep=programme.required_tags)
    shared = intent_text(url)
    assert shared.endswith(f"{PROGRAMME_HASHTAG} #ad")
    assert x_weight(shared) + 1 + X_URL_WEIGHT <= X_MAX


def test_a_tag_written_in_the_body_survives_the_cut() -> None:
    programme = disclosed()
    text = f"{PROGRAMME_HASHTAG} #ad " + "long words " * 60
    url = share_intent_url(Network.X, LINK, text, keep=programme.required_tags)
    shared = intent_text(url)
    assert shared.count(PROGRAMME_HASHTAG) == 1 and shared.count("#ad") == 1


def test_bluesky_also_keeps_the_tags() -> None:
    programme = disclosed()
    url = share_intent_url(Network.BLUESKY, LINK, "word " * 200, keep=programme.required_tags)
    assert f"{PROGRAMME_HASHTAG} #ad {LINK}" in intent_text(url)


def test_x_weight_counts_urls_as_23() -> None:
    assert x_weight("see https://example.com/a/very/long/path/that/goes/on?and=on") == 4 + 23
    assert x_weight("日本") == 4
    assert x_weight("🚀 ok") == 2 + 3


# --- blocked keywords ----------------------------------------------------------------------------


@pytest.fixture
def strict_world(world: World) -> World:
    programme = make_programme(blocked_keywords=("confidential", "guaranteed returns"))
    services = wire_domain(
        world.ports, world.gateways, programme, world.clock, world.sleep, fetcher=world.fetcher
    )
    return replace(world, programme=programme, services=services)


@pytest.mark.parametrize(
    ("field", "title", "summary", "second"),
    [
        ("title", "A CONFIDENTIAL plan", None, "Fine"),
        ("summary", None, "With guaranteed   returns!", "Fine"),
        ("text_2", None, None, "Guaranteed returns for all"),
    ],
)
async def test_a_blocked_keyword_is_refused_naming_it_and_the_field(
    strict_world: World, field: str, title: str | None, summary: str | None, second: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        await post(
            strict_world,
            ("Fine", None, None),
            (second, None, None),
            title=title or "Our launch",
            summary=summary or "What we built",
        )
    assert error.value.notice_key == "blocked_keyword"
    assert error.value.field == field
    assert str(error.value.params["keyword"]).lower() in ("confidential", "guaranteed returns")


async def test_blocked_keywords_are_whole_words(strict_world: World) -> None:
    outcome = await post(strict_world, ("Our confidentiality policy, guaranteed", None, None))
    assert outcome.content.id


async def test_a_blocked_keyword_in_the_pages_own_title_is_refused(strict_world: World) -> None:
    strict_world.fetcher.page = PageMetadata(title="Confidential roadmap", summary="x")
    with pytest.raises(InvalidInput) as error:
        await post(strict_world, ("Fine", None, None), title=None, summary=None)
    assert (error.value.notice_key, error.value.field) == ("blocked_keyword", "title")


# --- languages and networks of texts -------------------------------------------------------------


async def test_an_unknown_language_or_network_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as error:
        await post(world, ("Hallo", None, "de"))
    assert (error.value.notice_key, error.value.field) == ("unknown_language", "text_1")
    with pytest.raises(InvalidInput) as error:
        await post(world, ("Hi", "myspace", None))
    assert (error.value.notice_key, error.value.field) == ("unknown_text_network", "text_1")


def test_the_one_line_form_takes_a_language_and_a_network(programme: Programme) -> None:
    command = parse_command("post --lang fr --network x https://example.com #engineering Bonjour")
    assert isinstance(command, PostInline)
    raw = raw_post_of(command, programme.timezone)
    assert (list(raw.texts), list(raw.text_languages), list(raw.text_networks)) == (
        ["Bonjour"],
        ["fr"],
        ["x"],
    )


# --- X's 280 at posting time ---------------------------------------------------------------------


def test_x_overflows_name_the_variant_and_by_how_much(programme: Programme) -> None:
    fits = ShareText("Short and sweet")
    long_latin = ShareText("a" * 250)
    cjk = ShareText("日" * 120)  # 240 by X's weights
    linkedin = ShareText("b" * 900, Network.LINKEDIN)  # not for X: never reported
    found = x_overflows(
        [(1, fits), (2, long_latin), (3, cjk), (4, linkedin)],
        title="Launch",
        hashtags=(),
        programme=programme,
    )
    tail = 1 + len(PROGRAMME_HASHTAG) + 1 + X_URL_WEIGHT  # " #Tag", " " + link
    assert [(o.index, o.over) for o in found] == [
        (2, 250 + tail - X_MAX),
        (3, 240 + tail - X_MAX),
    ]


def test_x_overflows_assume_a_long_first_name(programme: Programme) -> None:
    text = ShareText("Hi {first_name} " + "a" * 220)
    (found,) = x_overflows([(1, text)], title="T", hashtags=(), programme=programme)
    assert found.over == 3 + 20 + 1 + 220 + 1 + len(PROGRAMME_HASHTAG) + 1 + 23 - X_MAX


async def test_the_saved_notice_says_which_variant_x_will_cut(world: World) -> None:
    outcome = await post(world, ("Fine", None, None), ("é" * 270, None, None))
    notice = saved_notice(outcome, world.programme.timezone)
    assert notice.key == "content_saved_x"
    assert notice.params["x_over"] == [{"number": 2, "over": outcome.x_overflows[0].over}]
    fine = await post(world, ("Fine", None, None))
    assert saved_notice(fine, world.programme.timezone).key == "content_saved"


# --- copy / edit text ----------------------------------------------------------------------------


async def test_an_edited_text_is_kept_and_the_dm_redrawn(world: World) -> None:
    ambassador, delivery = await world.suggest(1, networks=("linkedin", "x"))
    form = await world.services.texts.form(person(1), delivery.id)
    assert form.text == f"Our launch {PROGRAMME_HASHTAG}"
    assert form.link_only == (Network.LINKEDIN,)
    await world.services.texts.edit(person(1), delivery.id, "My own words")
    ((_, view),) = world.gateway.updated
    assert view.text == f"My own words {PROGRAMME_HASHTAG}"  # the hashtag came back
    x = next(b for b in view.buttons if b.network is Network.X)
    assert intent_text(x.intent_url) == f"My own words {PROGRAMME_HASHTAG}"
    # The same text again changes nothing and redraws nothing.
    await world.services.texts.edit(person(1), delivery.id, f"My own words {PROGRAMME_HASHTAG}")
    assert len(world.gateway.updated) == 1
    form = await world.services.texts.form(person(1), delivery.id)
    assert form.text == f"My own words {PROGRAMME_HASHTAG}"
    assert ambassador.id == delivery.ambassador_id


@pytest.mark.parametrize(
    ("text", "key"), [("   ", "edited_text_empty"), ("x" * 1_501, "text_too_long")]
)
async def test_a_bad_edit_is_refused(world: World, text: str, key: str) -> None:
    _, delivery = await world.suggest(1)
    with pytest.raises(InvalidInput) as error:
        await world.services.texts.edit(person(1), delivery.id, text)
    assert error.value.notice_key == key
    assert world.gateway.updated == []


async def test_an_edit_with_a_blocked_keyword_is_refused(strict_world: World) -> None:
    _, delivery = await strict_world.suggest(1)
    with pytest.raises(InvalidInput) as error:
        await strict_world.services.texts.edit(person(1), delivery.id, "It is CONFIDENTIAL")
    assert error.value.notice_key == "blocked_keyword"


async def test_nobody_edits_someone_elses_suggestion(world: World) -> None:
    _, delivery = await world.suggest(1)
    await world.join(2)
    with pytest.raises(NotYourSuggestion):
        await world.services.texts.edit(person(2), delivery.id, "Mine now")
    with pytest.raises(NotYourSuggestion):
        await world.services.texts.form(person(2), delivery.id)


# --- title and summary per language -------------------------------------------------------------


async def test_people_get_the_title_and_summary_of_their_language(world: World) -> None:
    await world.join(1, locale=EN, name="Carol King")
    await world.join(2, locale=FR, name="Bob Durand")
    raw = RawPost(
        url=CONTENT_URL,
        title="Our launch",
        summary="What we built",
        topics=("engineering",),
        texts=["{first_name}: read {title}"],
        translations=[("fr", "Notre lancement", "Ce que nous avons construit"), ("en", "", "")],
    )
    draft = await world.services.publishing.validate(CURATOR, raw)
    await world.services.publishing.submit(CURATOR, draft)
    await world.services.sender.drain_all()
    (english,) = world.views_sent_to(1)
    (french,) = world.views_sent_to(2)
    assert (english.title, english.summary) == ("Our launch", "What we built")
    assert (french.title, french.summary) == ("Notre lancement", "Ce que nous avons construit")
    assert french.text == f"Bob: read Notre lancement {PROGRAMME_HASHTAG}"


async def test_a_translation_is_checked_like_the_main_title(strict_world: World) -> None:
    raw = RawPost(
        url=CONTENT_URL,
        title="Fine",
        topics=("engineering",),
        translations=[("fr", "Plan confidential", None)],
    )
    with pytest.raises(InvalidInput) as error:
        await strict_world.services.publishing.validate(CURATOR, raw)
    assert (error.value.notice_key, error.value.field) == ("blocked_keyword", "title_fr")
    too_long = replace(raw, translations=[("fr", None, "x" * 1_001)])
    with pytest.raises(InvalidInput) as error:
        await strict_world.services.publishing.validate(CURATOR, too_long)
    assert (error.value.notice_key, error.value.field) == ("summary_too_long", "summary_fr")
