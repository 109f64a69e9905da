"""Share-intent URLs of the social networks, built around a tracked link.

Facts (see shared/reference/platform-facts.md §3): LinkedIn, Facebook and XING take only the
link; X takes text and url (the url counts 23 characters within 280); Bluesky takes text only
(300 graphemes); Threads takes text and url; WhatsApp takes text. Slack caps a button URL at
3,000 characters, so the text is shortened until the intent fits.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.content import ELLIPSIS, shorten
from bot.model import Network

MAX_BUTTON_URL = 3_000
X_MAX = 280
X_URL_WEIGHT = 23
BLUESKY_MAX = 300
THREADS_MAX = 500
WHATSAPP_MAX = 1_000
MASTODON_MAX = 500  # any URL counts 23 characters

_LINK_ONLY = {
    Network.LINKEDIN: "https://www.linkedin.com/sharing/share-offsite/?url={link}",
    Network.FACEBOOK: "https://www.facebook.com/sharer/sharer.php?u={link}",
    Network.XING: "https://www.xing.com/spi/shares/new?url={link}",
}


# twitter-text v3: these code points weigh 1, every other weighs 2 (CJK, emoji, "…").
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def x_weight(text: str) -> int:
    """The length X counts for ``text`` (URLs aside), per twitter-text v3's weights."""
    return sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _X_LIGHT) else 2 for ch in text)


def fit_x(text: str, budget: int) -> str:
    """The longest word-boundary cut of ``text`` whose X weight fits ``budget``."""
    if x_weight(text) <= budget:
        return text
    low, high, best = 1, len(text), ELLIPSIS
    while low <= high:
        middle = (low + high) // 2
        candidate, _ = shorten(text, middle)
        if x_weight(candidate) <= budget:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def takes_text(network: Network) -> bool:
    """Whether the network's share intent can carry a prefilled text."""
    return network not in _LINK_ONLY


def share_intent_url(network: Network, link: str, text: str, *, instance: str | None = None) -> str:
    """The URL that opens ``network``'s share dialog for ``link`` with ``text`` prefilled
    where the network allows it; never longer than a Slack button URL.

    Mastodon's share page lives on the person's own ``instance`` (a host name validated by
    ``bot.preferences.parse_instance``); it is required for Mastodon.
    """
    if network is Network.MASTODON and not instance:
        raise ValueError("a Mastodon share needs the person's instance")
    q = quote(link, safe="")
    if network in _LINK_ONLY:
        return _LINK_ONLY[network].format(link=q)
    budget = {
        Network.X: X_MAX - X_URL_WEIGHT - 1,
        Network.BLUESKY: BLUESKY_MAX - len(link) - 1,
        Network.THREADS: THREADS_MAX - X_URL_WEIGHT - 1,
        Network.WHATSAPP: WHATSAPP_MAX - len(link) - 1,
        Network.MASTODON: MASTODON_MAX - X_URL_WEIGHT - 1,
    }[network]
    if network is Network.X:
        body = fit_x(text, budget)
    else:
        body, _ = shorten(text, max(budget, 1))
    while True:
        url = _with_text(network, q, body, link, instance)
        if len(url) <= MAX_BUTTON_URL or len(body) <= 1:
            return url
        body, _ = shorten(body, len(body) * 3 // 4)


def _with_text(
    network: Network, quoted_link: str, body: str, link: str, instance: str | None = None
) -> str:
    if network is Network.X:
        return f"https://twitter.com/intent/tweet?text={quote(body, safe='')}&url={quoted_link}"
    if network is Network.THREADS:
        return f"https://www.threads.net/intent/post?text={quote(body, safe='')}&url={quoted_link}"
    combined = quote(f"{body} {link}", safe="")
    if network is Network.BLUESKY:
        return f"https://bsky.app/intent/compose?text={combined}"
    if network is Network.MASTODON:
        return f"https://{instance}/share?text={combined}"
    return f"https://wa.me/?text={combined}"
