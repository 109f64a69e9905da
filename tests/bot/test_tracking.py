"""Tracked-link tokens, UTM destinations and bot detection."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.model import Network
from bot.tracking import (
    UTM_MEDIUM,
    campaign,
    destination,
    is_probably_bot,
    is_well_formed_token,
    new_ref,
    new_token,
    tracked_url,
)
from tests.bot.builders import PUBLIC_URL, make_content

REF = "a1b2c3d4e5f6"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
LINKEDIN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.2144"
)


def query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def utm_of(url: str, network: Network = Network.LINKEDIN, **content: Any) -> str:
    return destination(make_content(url=url, **content), network=network, ambassador_ref=REF)


def test_tokens_are_well_formed_and_unique() -> None:
    tokens = {new_token() for _ in range(2_000)}
    assert len(tokens) == 2_000
    assert all(is_well_formed_token(t) and len(t) == 16 for t in tokens)


def test_refs_are_opaque_hex_and_unique() -> None:
    refs = {new_ref() for _ in range(500)}
    assert len(refs) == 500
    assert all(len(r) == 12 and int(r, 16) >= 0 for r in refs)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "../../etc/passwd",
        "..%2F..%2Fadmin",
        "abc/def/ghi",
        "abcdefgh'OR'1'='1",
        'abcdefgh"quoted"',
        "abcdefgh ijkl",
        "x" * 65,
        "x" * 10_000,
        "jeton-accentué",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    assert not is_well_formed_token(token)


@pytest.mark.parametrize("token", ["a" * 8, "A-b_C-d_", "x" * 64])
def test_tokens_of_the_allowed_shape_pass(token: str) -> None:
    assert is_well_formed_token(token)


def test_a_token_with_a_trailing_newline_is_refused() -> None:
    assert not is_well_formed_token("abcdefgh\n")


@pytest.mark.parametrize("base", [PUBLIC_URL, f"{PUBLIC_URL}/"])
def test_tracked_url(base: str) -> None:
    assert tracked_url(base, "Tok_en-123") == f"{PUBLIC_URL}/r/Tok_en-123"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Our launch", "our-launch-7"),
        ("Café à Paris : l'été 2026 !", "cafe-a-paris-l-ete-2026-7"),
        ("日本語 🚀", "content-7"),
        ("  --  ", "content-7"),
        ("A very long title that goes on and on beyond forty characters", None),
    ],
)
def test_campaign_is_an_ascii_slug_and_the_id(title: str, expected: str | None) -> None:
    value = campaign(make_content(title=title))
    if expected is not None:
        assert value == expected
    slug = value.removesuffix("-7")
    assert len(slug) <= 40
    assert not slug.endswith("-")
    assert value.isascii()


def test_destination_adds_the_four_utm_tags() -> None:
    url = utm_of("https://example.com/blog/launch", Network.X, title="Our launch")
    assert url.startswith("https://example.com/blog/launch?")
    assert dict(query(url)) == {
        "utm_source": "x",
        "utm_medium": UTM_MEDIUM,
        "utm_campaign": "our-launch-7",
        "utm_content": REF,
    }
    assert UTM_MEDIUM == "employee_advocacy"


def test_destination_keeps_existing_parameters_and_the_fragment() -> None:
    url = utm_of("https://example.com/jobs?team=R%26D&page=2&empty=#apply")
    parts = urlsplit(url)
    assert parts.fragment == "apply"
    assert query(url)[:3] == [("team", "R&D"), ("page", "2"), ("empty", "")]
    assert dict(query(url))["utm_source"] == "linkedin"


def test_destination_never_overrides_a_utm_the_curator_set() -> None:
    url = utm_of("https://example.com/a?utm_campaign=spring&utm_source=newsletter")
    pairs = query(url)
    assert [v for k, v in pairs if k == "utm_campaign"] == ["spring"]
    assert [v for k, v in pairs if k == "utm_source"] == ["newsletter"]
    assert dict(pairs)["utm_content"] == REF


@pytest.mark.parametrize("network", list(Network))
def test_destination_names_the_network_and_keeps_the_page(network: Network) -> None:
    url = utm_of("https://example.com/path", network)
    assert url.startswith("https://example.com/path?")
    tags = dict(query(url))
    assert (tags["utm_source"], tags["utm_campaign"]) == (network.value, "our-launch-7")


@pytest.mark.parametrize(
    "agent",
    [
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "curl/8.5.0",
        "Wget/1.21",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "",
        None,
    ],
)
def test_crawlers_and_scripts_are_bots(agent: str | None) -> None:
    assert is_probably_bot(agent)


@pytest.mark.parametrize("agent", [CHROME, FIREFOX, SAFARI_IPHONE])
def test_browsers_are_people(agent: str) -> None:
    assert not is_probably_bot(agent)


def test_a_person_in_the_linkedin_app_is_not_a_bot() -> None:
    assert not is_probably_bot(LINKEDIN_APP)
