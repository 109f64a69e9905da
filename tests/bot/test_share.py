"""Share-intent URLs (platform-facts §3)."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from bot.content import ELLIPSIS
from bot.model import Network
from bot.share import share_intent_url, takes_text
from tests.bot.builders import PUBLIC_URL

LINK = f"{PUBLIC_URL}/r/Ab3_x-Yz09Kq7LmN"
TEXT = "Proud of what the team shipped this week #launch"
X_LIMIT, X_URL_WEIGHT, BLUESKY_LIMIT, THREADS_LIMIT, SLACK_BUTTON_URL = 280, 23, 300, 500, 3_000

LINK_ONLY = {
    Network.LINKEDIN: ("https://www.linkedin.com/sharing/share-offsite/", "url"),
    Network.FACEBOOK: ("https://www.facebook.com/sharer/sharer.php", "u"),
    Network.XING: ("https://www.xing.com/spi/shares/new", "url"),
}
TEXT_AND_URL = {
    Network.X: "https://twitter.com/intent/tweet",
    Network.THREADS: "https://www.threads.net/intent/post",
}
INSTANCE = "mastodon.social"  # Mastodon's share page is on the person's own instance
TEXT_WITH_LINK = {
    Network.BLUESKY: "https://bsky.app/intent/compose",
    Network.WHATSAPP: "https://wa.me/",
    Network.MASTODON: f"https://{INSTANCE}/share",
}
HEAVY_TEXTS = [
    "🚀" * 1_500,
    "é" * 1_500,
    "Déjà-vu à l'été ✨ " * 79,
    "👩🏽‍💻 日本語 " * 250,
]


def intent(network: Network, text: str = TEXT, link: str = LINK) -> tuple[str, dict[str, str]]:
    """The intent URL without its query, and its decoded parameters (each given once)."""
    url = share_intent_url(network, link, text, instance=INSTANCE)
    parts = urlsplit(url)
    params = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in params.values()), url
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in params.items()}


def shared_text(network: Network, text: str, link: str = LINK) -> str:
    """The prefilled text a network receives, without the link."""
    _, params = intent(network, text, link)
    if network in TEXT_AND_URL:
        assert params["url"] == link
        return params["text"]
    combined = params["text"]
    assert combined.endswith(f" {link}")
    return combined.removesuffix(f" {link}")


def x_weight(text: str) -> int:
    """X's weighted length (twitter-text config v3): these ranges weigh 1, the rest 2."""
    light = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
    return sum(1 if any(a <= ord(ch) <= b for a, b in light) else 2 for ch in text)


@pytest.mark.parametrize("network", list(Network))
def test_which_networks_take_a_text(network: Network) -> None:
    assert takes_text(network) is (network not in LINK_ONLY)


@pytest.mark.parametrize(("network", "shape"), LINK_ONLY.items())
def test_link_only_intents_carry_just_the_link(network: Network, shape: tuple[str, str]) -> None:
    base, param = shape
    assert intent(network) == (base, {param: LINK})
    assert "Proud" not in share_intent_url(network, LINK, TEXT)


@pytest.mark.parametrize(("network", "base"), TEXT_AND_URL.items())
def test_x_and_threads_take_text_and_url(network: Network, base: str) -> None:
    assert intent(network) == (base, {"text": TEXT, "url": LINK})


@pytest.mark.parametrize(("network", "base"), TEXT_WITH_LINK.items())
def test_bluesky_and_whatsapp_take_the_link_inside_the_text(network: Network, base: str) -> None:
    assert intent(network) == (base, {"text": f"{TEXT} {LINK}"})


@pytest.mark.parametrize("network", list(Network))
def test_the_link_is_percent_encoded(network: Network) -> None:
    link = f"{PUBLIC_URL}/r/tok?a=1&b=two words#frag"
    url = share_intent_url(network, link, TEXT, instance=INSTANCE)
    assert quote(link, safe="") in url or quote(f"{TEXT} {link}", safe="") in url
    assert "?a=1" not in url
    assert "#frag" not in url
    _, params = intent(network, TEXT, link)
    assert link in params.values() or params["text"].endswith(link)


def test_x_text_fits_280_with_the_url_counted_23() -> None:
    budget = X_LIMIT - X_URL_WEIGHT - 1  # a space between the text and the link
    exact = ("word " * 60)[:budget]
    assert shared_text(Network.X, exact) == exact.strip()
    text = shared_text(Network.X, "word " * 100)
    assert text.endswith(ELLIPSIS)
    assert len(text) + 1 + X_URL_WEIGHT <= X_LIMIT


def test_x_does_not_count_a_long_link_in_full() -> None:
    long_link = f"{PUBLIC_URL}/r/{'t' * 64}"
    assert len(shared_text(Network.X, "word " * 100, long_link)) == len(
        shared_text(Network.X, "word " * 100)
    )


@pytest.mark.parametrize("link", [LINK, f"{PUBLIC_URL}/r/{'t' * 64}"])
def test_bluesky_text_and_link_fit_300(link: str) -> None:
    _, params = intent(Network.BLUESKY, "mot " * 200, link)
    assert len(params["text"]) <= BLUESKY_LIMIT
    assert ELLIPSIS in params["text"]
    assert params["text"].endswith(f" {link}")


def test_threads_text_fits_500() -> None:
    text = shared_text(Network.THREADS, "mot " * 300)
    assert len(text) + 1 + X_URL_WEIGHT <= THREADS_LIMIT
    assert text.endswith(ELLIPSIS)


@pytest.mark.parametrize("network", [*TEXT_AND_URL, *TEXT_WITH_LINK])
def test_non_ascii_text_survives_the_round_trip(network: Network) -> None:
    text = "Café, déjà-vu: 日本語 🚀 «ça marche» & 100% #été"
    assert shared_text(network, text) == text


@pytest.mark.parametrize("text", HEAVY_TEXTS)
@pytest.mark.parametrize("network", list(Network))
def test_every_intent_fits_a_slack_button(network: Network, text: str) -> None:
    url = share_intent_url(network, LINK, text, instance=INSTANCE)
    assert len(url) <= SLACK_BUTTON_URL
    if takes_text(network):
        offered = shared_text(network, text)
        assert len(offered) > 10  # shortened, not emptied
        assert text.startswith(offered.removesuffix(ELLIPSIS).strip()[:10])


@pytest.mark.parametrize("text", ["日本語のテキスト" * 60, "a" * 400])
def test_x_weighted_length_fits_280(text: str) -> None:
    assert x_weight(shared_text(Network.X, text)) + 1 + X_URL_WEIGHT <= X_LIMIT


def test_mastodon_opens_the_persons_own_instance_and_fits_500() -> None:
    base, params = intent(Network.MASTODON, "mot " * 300)
    assert base == "https://mastodon.social/share"
    text = params["text"].removesuffix(f" {LINK}")
    # Mastodon counts any URL as 23 characters within its 500.
    assert len(text) + 1 + X_URL_WEIGHT <= 500
    assert text.endswith(ELLIPSIS)
    other = share_intent_url(Network.MASTODON, LINK, TEXT, instance="eldritch.cafe")
    assert other.startswith("https://eldritch.cafe/share?text=")


def test_mastodon_without_an_instance_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="instance"):
        share_intent_url(Network.MASTODON, LINK, TEXT)
