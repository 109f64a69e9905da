"""Validation of curators' posts, Open Graph filling, and the texts ambassadors are offered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.content import (
    ELLIPSIS,
    RawPost,
    fill_from_page,
    parse_hashtags,
    shorten,
    suggested_text,
    validate_post,
    validate_url,
)
from bot.errors import InvalidInput
from bot.model import Audience, ContentDraft, PageMetadata
from bot.programme import Programme
from tests.bot.builders import CONTENT_URL, PROGRAMME_HASHTAG

URL_LIMIT = 2_000


def raw(**fields: object) -> RawPost:
    """A valid post, with ``fields`` changed."""
    values: dict[str, Any] = {"url": CONTENT_URL, "topics": ("engineering",)}
    values.update(fields)
    return RawPost(**values)


def refusal(programme: Programme, **fields: object) -> InvalidInput:
    """The error of validating a post with ``fields`` changed."""
    with pytest.raises(InvalidInput) as caught:
        validate_post(raw(**fields), programme)
    return caught.value


def url_error(url: str | None) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_url(url, limit=URL_LIMIT)
    return caught.value


def draft(**fields: object) -> ContentDraft:
    values: dict[str, Any] = {
        "url": CONTENT_URL,
        "title": None,
        "summary": None,
        "image_url": None,
        "topics": ("engineering",),
        "texts": (),
        "hashtags": (),
        "audience": Audience.INTERESTED,
        "publish_now": True,
    }
    values.update(fields)
    return ContentDraft(**values)


def offer(texts: tuple[str, ...] = (), *, variant: int = 0, **overrides: object) -> str:
    """``suggested_text`` with sensible defaults."""
    values: dict[str, Any] = {
        "variant": variant,
        "title": "Our launch",
        "first_name": "Ada",
        "hashtags": (),
        "programme_hashtag": None,
    }
    values.update(overrides)
    return suggested_text(texts, **values)


def whole_hashtags(text: str) -> list[str]:
    """The hashtags of a text, lowercased, as a reader (or a network) sees them."""
    return [tag.lower() for tag in re.findall(r"#\w+", text)]


# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://example.com", "https://example.com"),
        ("http://example.com/a?b=1#c", "http://example.com/a?b=1#c"),
        ("HTTPS://EXAMPLE.COM/Path", "HTTPS://EXAMPLE.COM/Path"),
        ("  https://example.com/padded \n", "https://example.com/padded"),
        ("https://exämple.fr/été", "https://exämple.fr/été"),
    ],
)
def test_http_and_https_urls_are_accepted(url: str, accepted: str) -> None:
    assert validate_url(url, limit=URL_LIMIT) == accepted


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "JavaScript://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "mailto:someone@example.com",
        "example.com/no-scheme",
        "https://",
        "http:///only/a/path",
        "https://exa mple.com",
        "https://example.com/a b",
        "https://example.com/\ttab",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    error = url_error(url)
    assert (error.notice_key, error.field) == ("url_not_http", "url")
    assert error.params["url"] == url.strip()[:100]


@pytest.mark.parametrize("url", [None, "", "   "])
def test_a_missing_url_is_refused(url: str | None) -> None:
    assert url_error(url).notice_key == "url_missing"


def test_the_url_length_limit_is_inclusive() -> None:
    prefix = "https://example.com/"
    at_limit = prefix + "a" * (URL_LIMIT - len(prefix))
    assert validate_url(at_limit, limit=URL_LIMIT) == at_limit
    error = url_error(at_limit + "a")
    assert (error.notice_key, error.field) == ("url_too_long", "url")
    assert error.params == {"limit": URL_LIMIT}


def test_a_malformed_host_is_refused_politely() -> None:
    assert url_error("https://[oops/path").notice_key == "url_not_http"


# --- posts --------------------------------------------------------------------------------


def test_a_valid_post_becomes_a_draft(programme: Programme) -> None:
    validated = validate_post(
        raw(
            title="  Launch  ",
            summary="All about it",
            topics=("ENGINEERING", "careers", "Engineering"),
            texts=("  First  ", "", "   ", "Second"),
            hashtags="#launch, acme",
            publish_now=False,
        ),
        programme,
    )
    assert validated == draft(
        title="Launch",
        summary="All about it",
        topics=("engineering", "careers"),
        texts=("First", "Second"),
        hashtags=("#launch", "#acme"),
        publish_now=False,
    )


@pytest.mark.parametrize("field", ["title", "summary"])
def test_title_and_summary_limits_are_inclusive(programme: Programme, field: str) -> None:
    limit = programme.limits.as_dict()[field]
    assert getattr(validate_post(raw(**{field: "x" * limit}), programme), field) == "x" * limit
    error = refusal(programme, **{field: "x" * (limit + 1)})
    assert (error.notice_key, error.field) == (f"{field}_too_long", field)
    assert error.params == {"limit": limit, "length": limit + 1}


@pytest.mark.parametrize("field", ["title", "summary"])
def test_blank_title_and_summary_are_left_for_the_page(programme: Programme, field: str) -> None:
    assert getattr(validate_post(raw(**{field: "  \n "}), programme), field) is None


def test_the_text_limit_is_inclusive(programme: Programme) -> None:
    limit = programme.limits.text
    texts = ("ok", "y" * limit)
    assert validate_post(raw(texts=texts), programme).texts == texts
    error = refusal(programme, texts=("ok", "y" * (limit + 1)))
    assert (error.notice_key, error.field) == ("text_too_long", "text_2")
    assert error.params == {"limit": limit, "length": limit + 1}


def test_an_overlong_text_is_reported_on_its_own_field(programme: Programme) -> None:
    error = refusal(programme, texts=("", "y" * (programme.limits.text + 1)))
    assert error.field == "text_2"


def test_too_many_texts(programme: Programme) -> None:
    limit = programme.limits.texts
    assert len(validate_post(raw(texts=["t"] * limit + ["", " "]), programme).texts) == limit
    error = refusal(programme, texts=["t"] * (limit + 1))
    assert (error.notice_key, error.field) == ("too_many_texts", "texts")
    assert error.params == {"limit": limit}


def test_an_unknown_topic_is_named_with_the_known_ones(programme: Programme) -> None:
    error = refusal(programme, topics=("Engineering", "gardening"))
    assert (error.notice_key, error.field) == ("unknown_topic", "topics")
    assert error.params == {"topic": "gardening", "known": ("engineering", "careers", "events")}


def test_topics_are_required_for_interested_people(programme: Programme) -> None:
    error = refusal(programme, topics=())
    assert (error.notice_key, error.field) == ("topics_missing", "topics")


def test_topics_are_optional_for_everyone(programme: Programme) -> None:
    validated = validate_post(raw(topics=(), audience=Audience.EVERYONE), programme)
    assert (validated.topics, validated.audience) == ((), Audience.EVERYONE)


# --- hashtags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("#a, b #A", ("#a", "#b")),
        ("", ()),
        (" ,, ", ()),
        ("#Café\n#été-2026,team_x", ("#Café", "#été-2026", "#team_x")),
        ("#Launch #LAUNCH launch", ("#Launch",)),
    ],
)
def test_hashtags_are_split_prefixed_and_deduplicated(
    programme: Programme, typed: str, tags: tuple[str, ...]
) -> None:
    assert parse_hashtags(typed, programme) == tags


@pytest.mark.parametrize("bad", ["#", "##a", "a#b", "#a.b", "#wow!", "#" + "a" * 50])
def test_bad_hashtags_are_refused(programme: Programme, bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_hashtags(f"#fine {bad}", programme)
    assert (caught.value.notice_key, caught.value.field) == ("bad_hashtag", "hashtags")
    assert caught.value.params == {"hashtag": bad}


def test_a_hashtag_of_exactly_the_limit_is_accepted(programme: Programme) -> None:
    tag = "#" + "a" * (programme.limits.hashtag - 1)
    assert parse_hashtags(tag, programme) == (tag,)


def test_too_many_hashtags(programme: Programme) -> None:
    limit = programme.limits.hashtags
    tags = [f"#t{i}" for i in range(limit)]
    assert len(parse_hashtags(" ".join([*tags, tags[0].upper()]), programme)) == limit
    with pytest.raises(InvalidInput) as caught:
        parse_hashtags(" ".join([*tags, "#one_more"]), programme)
    assert caught.value.notice_key == "too_many_hashtags"
    assert caught.value.params == {"limit": limit}


def test_a_post_with_a_bad_hashtag_is_refused(programme: Programme) -> None:
    assert refusal(programme, hashtags="#ok #not.ok").notice_key == "bad_hashtag"


# --- shortening and Open Graph filling ----------------------------------------------------

SENTENCE = "The quick brown fox jumps over the lazy dog, twice, and then rests a while"


def test_shorten_keeps_short_text_and_collapses_whitespace() -> None:
    assert shorten("  a \n b\t c ", 5) == ("a b c", False)
    assert shorten(SENTENCE, len(SENTENCE)) == (SENTENCE, False)


@pytest.mark.parametrize("limit", [12, 20, 31, 44, len(SENTENCE) - 1])
def test_shorten_cuts_on_a_word_boundary(limit: int) -> None:
    short, cut = shorten(SENTENCE, limit)
    assert cut
    assert len(short) <= limit
    assert short.endswith(ELLIPSIS)
    kept = short.removesuffix(ELLIPSIS)
    assert SENTENCE.startswith(kept)
    assert SENTENCE[len(kept)] in " ,"  # the cut fell between words
    assert not kept.endswith((",", " "))


def test_shorten_cuts_a_long_word_anywhere() -> None:
    assert shorten("a" * 50, 10) == ("a" * 9 + ELLIPSIS, True)
    assert shorten("abc", 1) == (ELLIPSIS, True)


def test_fill_prefers_the_curators_values(programme: Programme) -> None:
    page = PageMetadata("Page title", "Page summary", "https://example.com/page.png")
    mine = draft(title="Mine", summary="My summary", image_url="https://example.com/mine.png")
    filled = fill_from_page(mine, page, programme)
    assert (filled.title, filled.summary, filled.image_url) == (
        "Mine",
        "My summary",
        "https://example.com/mine.png",
    )
    assert filled.shortened == ()


def test_fill_takes_missing_values_from_the_page(programme: Programme) -> None:
    page = PageMetadata("Page title", "Page summary", "https://example.com/page.png")
    filled = fill_from_page(draft(title="Mine"), page, programme)
    assert (filled.title, filled.summary, filled.image_url) == (
        "Mine",
        "Page summary",
        "https://example.com/page.png",
    )


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://example.com/blog/launch", "example.com/blog/launch"),
        ("https://Example.com/", "example.com"),
        ("https://example.com", "example.com"),
    ],
)
def test_fill_falls_back_to_a_title_from_the_url(
    programme: Programme, url: str, title: str
) -> None:
    filled = fill_from_page(draft(url=url), PageMetadata(), programme)
    assert (filled.title, filled.summary, filled.image_url) == (title, "", None)


def test_fill_shortens_long_page_values_and_says_so(programme: Programme) -> None:
    limits = programme.limits
    page = PageMetadata("word " * limits.title, "more " * limits.summary)
    filled = fill_from_page(draft(), page, programme)
    assert filled.shortened == ("title", "summary")
    assert len(filled.title) <= limits.title
    assert len(filled.summary) <= limits.summary
    assert filled.title.endswith(ELLIPSIS)


def test_fill_drops_an_image_url_over_the_url_limit(programme: Programme) -> None:
    image = "https://example.com/" + "i" * programme.limits.url
    assert fill_from_page(draft(), PageMetadata(image_url=image), programme).image_url is None


# --- suggested texts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "expected"), [(0, "A"), (1, "B"), (2, "C"), (3, "A"), (7, "B")]
)
def test_text_variants_rotate(variant: int, expected: str) -> None:
    assert offer(("A", "B", "C"), variant=variant) == expected


def test_without_texts_the_title_is_offered() -> None:
    assert offer(variant=3) == "Our launch"


def test_placeholders_are_filled() -> None:
    assert offer(("Hi {first_name}: {title}! ({first_name})",)) == "Hi Ada: Our launch! (Ada)"


@pytest.mark.parametrize(
    "text", ["Keep {0} and {__class__} and {first_name!r}", "{title.__init__} {{x}} {", "}{"]
)
def test_curator_braces_are_left_untouched(text: str) -> None:
    assert offer((text,)) == text


def test_hashtags_and_the_programme_hashtag_are_appended_once() -> None:
    text = offer(("Look",), hashtags=("#launch", "#acme"), programme_hashtag=PROGRAMME_HASHTAG)
    assert text == f"Look #launch #acme {PROGRAMME_HASHTAG}"


def test_hashtags_already_in_the_text_are_not_repeated_whatever_their_case() -> None:
    text = offer(
        ("Our #LAUNCH with #acmeambassadors",),
        hashtags=("#launch", "#team"),
        programme_hashtag=PROGRAMME_HASHTAG,
    )
    assert text == "Our #LAUNCH with #acmeambassadors #team"
    assert sorted(whole_hashtags(text)) == ["#acmeambassadors", "#launch", "#team"]


def test_no_hashtags_leaves_the_text_alone() -> None:
    assert offer(("Plain text ",)) == "Plain text "


def test_a_hashtag_is_not_mistaken_for_a_longer_one() -> None:
    text = offer(("All about #AIethics",), hashtags=("#AI",))
    assert "#ai" in whole_hashtags(text)


def test_a_content_hashtag_equal_to_the_programme_one_appears_once() -> None:
    text = offer(
        ("Look",), hashtags=(PROGRAMME_HASHTAG.lower(),), programme_hashtag=PROGRAMME_HASHTAG
    )
    assert whole_hashtags(text).count(PROGRAMME_HASHTAG.lower()) == 1


def test_variants_of_stored_content_keep_hashtags(programme: Programme) -> None:
    validated = validate_post(raw(texts=("One", "Two #Acme"), hashtags="acme"), programme)
    for variant, base in enumerate(validated.texts):
        text = offer(
            validated.texts,
            variant=variant,
            hashtags=validated.hashtags,
            programme_hashtag=programme.hashtag,
        )
        assert text.startswith(base)
        assert whole_hashtags(text).count("#acme") == 1
        assert whole_hashtags(text).count(PROGRAMME_HASHTAG.lower()) == 1


def test_without_a_programme_hashtag_only_the_contents_are_added() -> None:
    assert offer(("Look",), hashtags=("#a", "#b"), programme_hashtag=None) == "Look #a #b"
