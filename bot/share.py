"""Share-intent URLs of the social networks, built around a tracked link.

Facts (see shared/reference/platform-facts.md §3): LinkedIn, Facebook and XING take only the
link; X takes text and url (the url counts 23 characters within 280); Bluesky takes text only
(300 graphemes); Threads takes text and url; WhatsApp takes text; Mastodon takes text on the
person's own server (any URL counts 23 of 500). Slack caps a button URL at
3,000 characters, so the text is shortened until the intent fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from bot.content import ELLIPSIS, has_tag, shorten
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


# twitter-text counts every URL as 23 whatever its length (t.co wrapping).
_URL_IN_TEXT = re.compile(r"https?://[^\s]+", re.IGNORECASE)


def x_weight(text: str) -> int:
    """The length X counts for ``text``, per twitter-text v3's weights: a URL written in the
    text counts :data:`X_URL_WEIGHT`, like the shared link."""
    weight, start = 0, 0
    for found in _URL_IN_TEXT.finditer(text):
        weight += _chars_weight(text[start : found.start()]) + X_URL_WEIGHT
        start = found.end()
    return weight + _chars_weight(text[start:])


def _chars_weight(text: str) -> int:
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


def text_budget(network: Network, link: str) -> int | None:
    """How long the prefilled text may be on ``network`` (its own measure: X weight, else
    characters), the link aside; None for networks whose intent takes no text."""
    budgets = {
        Network.X: X_MAX - X_URL_WEIGHT - 1,
        Network.BLUESKY: BLUESKY_MAX - len(link) - 1,
        Network.THREADS: THREADS_MAX - X_URL_WEIGHT - 1,
        Network.WHATSAPP: WHATSAPP_MAX - len(link) - 1,
        Network.MASTODON: MASTODON_MAX - X_URL_WEIGHT - 1,
    }
    return budgets.get(network)


def share_intent_url(
    network: Network,
    link: str,
    text: str,
    keep: Sequence[str] = (),
    *,
    instance: str | None = None,
) -> str:
    """The URL that opens ``network``'s share dialog for ``link`` with ``text`` prefilled
    where the network allows it; never longer than a Slack button URL.

    ``keep`` are tags no cut may remove (the programme hashtag, the disclosure): when the
    text must be cut, the body is cut and these stay at its end. Mastodon's share page lives
    on the person's own ``instance`` (a host name validated by
    ``bot.preferences.parse_instance``); it is required for Mastodon.
    """
    if network is Network.MASTODON and not instance:
        raise ValueError("a Mastodon share needs the person's instance")
    q = quote(link, safe="")
    if network in _LINK_ONLY:
        return _LINK_ONLY[network].format(link=q)
    budget = text_budget(network, link)
    if budget is None:  # a network this module does not know yet: the text and the link
        budget = WHATSAPP_MAX - len(link) - 1

    def cut_chars(body: str, limit: int) -> str:
        return shorten(body, max(limit, 1))[0]

    if network is Network.X:
        body = cut_keeping(text, keep, budget, x_weight, fit_x)
    else:
        body = cut_keeping(text, keep, budget, len, cut_chars)
    while True:
        url = _with_text(network, q, body, link, instance)
        if len(url) <= MAX_BUTTON_URL or len(body) <= 1:
            return url
        body = cut_keeping(body, keep, len(body) * 3 // 4, len, cut_chars)


def cut_keeping(
    text: str,
    keep: Sequence[str],
    budget: int,
    weigh: Callable[[str], int],
    cut: Callable[[str, int], str],
) -> str:
    """``text`` within ``budget`` (as ``weigh`` measures it): the body is cut with ``cut``
    and every tag of ``keep`` is present at the end, never cut."""
    if weigh(text) <= budget:
        return text
    body = text
    wanted = {tag.lower() for tag in keep}
    while True:  # the tags already at the end come back after the cut body
        head, _, last = body.rstrip().rpartition(" ")
        if not head or last.lower() not in wanted:
            break
        body = head
    tail = " ".join(keep)
    room = budget - (weigh(f" {tail}") if tail else 0)
    body = cut(body, room) if room > 0 else ""
    missing = [tag for tag in keep if not has_tag(body, tag)]
    return " ".join(part for part in (body, *missing) if part)


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
    if network is Network.WHATSAPP:
        return f"https://wa.me/?text={combined}"
    if network is Network.MASTODON:
        return f"https://{instance}/share?text={combined}"
    # A network added later (Mastodon...) without its own intent here: WhatsApp's share page
    # would be wrong; the link alone, through our tracked redirect, is what we can offer.
    return link
