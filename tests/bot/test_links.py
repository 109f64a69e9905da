"""Tracked links in the domain: the bot classifier, visitor keys and their daily salt, the
token cache, visits queued without waiting, and the client address behind proxies."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from adapters.web.server import client_address, page_locale
from bot.batching import Batcher
from bot.clock import FixedClock
from bot.links import LinkRequest, LinkService, LinkState, VisitorKeys, is_automated
from bot.model import LinkGrouping, LinkVisit, Network
from tests.bot.fakes import MemoryLinkVisits, MemoryPorts
from tests.content_store.test_contract import NOW, links_of_content

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
SECRET = b"x" * 32

BOTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slackbot 1.0 (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0 A",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36",
    "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "",
    None,
]
PEOPLE = [
    CHROME,
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    CHROME + " Edg/126.0.2592.87",
]


@pytest.mark.parametrize("agent", BOTS)
def test_previews_crawlers_and_scripts_are_bots(agent: str | None) -> None:
    assert is_automated(agent)


@pytest.mark.parametrize("agent", PEOPLE)
def test_browsers_and_in_app_browsers_are_people(agent: str) -> None:
    assert not is_automated(agent)
    assert is_automated(agent, method="HEAD")  # a browser never clicks with HEAD


# --- visitor keys ---------------------------------------------------------------------------


def test_a_visitor_key_is_stable_within_a_day_and_never_the_address() -> None:
    keys = VisitorKeys(SECRET)
    key = keys.key(client="203.0.113.7", user_agent=CHROME, now=NOW)
    assert key is not None and len(key) == 32 and int(key, 16) >= 0
    assert "203.0.113.7" not in key
    later = NOW.replace(hour=23, minute=59)
    assert keys.key(client="203.0.113.7", user_agent=CHROME, now=later) == key
    # Replicas sharing the secret agree.
    assert VisitorKeys(SECRET).key(client="203.0.113.7", user_agent=CHROME, now=NOW) == key


def test_the_salt_rotates_every_day_so_days_cannot_be_joined() -> None:
    keys = VisitorKeys(SECRET)
    today = keys.key(client="203.0.113.7", user_agent=CHROME, now=NOW)
    tomorrow = keys.key(client="203.0.113.7", user_agent=CHROME, now=NOW + timedelta(days=1))
    assert today != tomorrow
    assert keys.salt_of(NOW.date()) != keys.salt_of((NOW + timedelta(days=1)).date())
    # Back to today: the salt is derived, not remembered, so it is the same again.
    assert keys.key(client="203.0.113.7", user_agent=CHROME, now=NOW) == today


def test_address_browser_and_secret_all_change_the_key() -> None:
    keys = VisitorKeys(SECRET)
    base = keys.key(client="203.0.113.7", user_agent=CHROME, now=NOW)
    assert keys.key(client="203.0.113.8", user_agent=CHROME, now=NOW) != base
    assert keys.key(client="203.0.113.7", user_agent=CHROME + " x", now=NOW) != base
    assert VisitorKeys(b"y" * 32).key(client="203.0.113.7", user_agent=CHROME, now=NOW) != base
    assert keys.key(client=None, user_agent=CHROME, now=NOW) is None


def test_without_a_secret_each_process_has_its_own_salt() -> None:
    one, two = VisitorKeys(None), VisitorKeys(None)
    assert one.ephemeral and not VisitorKeys(SECRET).ephemeral
    assert one.key(client="a", user_agent="b", now=NOW) != two.key(
        client="a", user_agent="b", now=NOW
    )


# --- client address -------------------------------------------------------------------------

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a proxy: the header is a lie
        ("10.1.2.3", None, "10.1.2.3"),
        ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
        ("10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9", "198.51.100.1"),  # spoofed left hop
        ("10.1.2.3", "10.2.2.2, 10.3.3.3", "10.1.2.3"),  # only proxies: the peer
        ("10.1.2.3", "garbage", "10.1.2.3"),
        ("fd00::1", "2001:db8::5", "2001:db8::5"),
        (None, "198.51.100.1", None),
    ],
)
def test_client_address_believes_only_trusted_proxies(
    peer: str | None, forwarded: str | None, expected: str | None
) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("10.1.2.3", "198.51.100.1", []) == "10.1.2.3"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr-FR,fr;q=0.9", "fr"),
        ("en-US,fr;q=0.9", "en"),
        ("de-DE, fr;q=0.8, en;q=0.5", "fr"),
        ("en;q=0.2, fr;q=0.7", "fr"),
        ("fr;q=0", "en"),
        ("", "en"),
        (None, "en"),
        ("fr;q=abc", "en"),
    ],
)
def test_page_locale(header: str | None, locale: str) -> None:
    assert page_locale(header) == locale


# --- the service ----------------------------------------------------------------------------


class GatedVisits(MemoryLinkVisits):
    """Counts token lookups; writes wait for ``gate``; the first ``failures`` writes store,
    then raise (a commit whose answer was lost)."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.lookups = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.failures = failures
        self.calls = 0

    async def resolve(self, token: str) -> Any:
        self.lookups += 1
        return await super().resolve(token)

    async def record_visits(self, visits: Sequence[LinkVisit]) -> int:
        self.calls += 1
        await self.gate.wait()
        stored = await super().record_visits(visits)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the answer was lost")
        return stored


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def service_over(
    visits: GatedVisits, *, monotonic: Any = None
) -> tuple[LinkService, GatedVisits, Any, dict[Network, Any]]:
    ports = MemoryPorts(store=visits.s)
    item, links = await links_of_content(ports)
    service = LinkService(
        visits=visits,
        keys=VisitorKeys(SECRET),
        clock=FixedClock(NOW),
        cache_seconds=60,
        **({"monotonic": monotonic} if monotonic else {}),
    )
    return service, visits, (ports, item), links


async def test_the_answer_does_not_wait_for_the_write() -> None:
    visits = GatedVisits()
    service, _, _, links = await service_over(visits)
    service.start()
    visits.gate.clear()  # the database is slow
    token = links[Network.LINKEDIN].token
    answer = await asyncio.wait_for(service.follow(LinkRequest(token, CHROME, "1.2.3.4")), 1)
    assert answer.state is LinkState.REDIRECT and answer.target is not None
    assert visits.visits == {}  # not written yet...
    visits.gate.set()
    await service.stop()  # ...and written before the service stops
    assert len(visits.visits) == 1


async def test_without_the_worker_the_visit_is_written_before_the_answer() -> None:
    visits = GatedVisits()
    service, _, _, links = await service_over(visits)
    await service.follow(LinkRequest(links[Network.X].token, CHROME, "1.2.3.4"))
    assert len(visits.visits) == 1


async def test_a_failed_write_is_tried_again_and_stored_once() -> None:
    visits = GatedVisits(failures=1)
    service, _, _, links = await service_over(visits)
    service.start()
    for n in range(3):
        await service.follow(LinkRequest(links[Network.X].token, CHROME, f"1.2.3.{n}"))
    await service.stop()
    (stats,) = await service.stats(by=LinkGrouping.NETWORK)
    assert stats.clicks == 3 and stats.unique_visitors == 3
    assert visits.calls >= 2


async def test_tokens_are_cached_for_the_ttl_and_expiry_shows_after_it() -> None:
    monotonic = Clock()
    visits = GatedVisits()
    service, contents, (ports, item), links = await service_over(visits, monotonic=monotonic)
    token = links[Network.LINKEDIN].token
    for _ in range(5):
        assert (await service.follow(LinkRequest(token, CHROME, "1.2.3.4"))).target
    for _ in range(3):
        assert (await service.follow(LinkRequest("Unknown-token-1", CHROME, None))).target is None
    assert contents.lookups == 2  # one per token: misses are cached too
    await ports.contents.expire(content_id=item.id, now=NOW)
    assert (await service.follow(LinkRequest(token, CHROME, "1.2.3.4"))).state is (
        LinkState.REDIRECT  # still cached: links may redirect up to the TTL after expiry
    )
    monotonic.t = 61
    answer = await service.follow(LinkRequest(token, CHROME, "1.2.3.4"))
    assert answer.state is LinkState.EXPIRED and answer.target is None
    assert len(visits.visits) == 6  # the expired visit is not recorded


async def test_malformed_tokens_are_never_looked_up() -> None:
    service, contents, _, _ = await service_over(GatedVisits())
    for token in ["", "short", "a" * 65, "../../etc/passwd", "abc%2F%2Fevil", "tok en 123"]:
        assert (await service.follow(LinkRequest(token, CHROME, None))).state is LinkState.UNKNOWN
    assert contents.lookups == 0


async def test_the_cache_is_bounded() -> None:
    service, contents, _, _ = await service_over(GatedVisits())
    service._cache._size = 2  # a tiny cache for the test
    for n in range(5):
        await service.follow(LinkRequest(f"Unknown-token-{n}", CHROME, None))
    assert len(service._cache._items) == 2
    assert contents.lookups == 5


async def test_an_offered_item_that_fails_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail(items: Sequence[int]) -> Sequence[int]:
        raise RuntimeError("boom")

    batcher: Batcher[int, int] = Batcher(fail, name="offer-test")
    assert not batcher.offer(1)  # no worker: the caller must submit
    batcher.start()
    assert batcher.offer(2)
    await batcher.stop()
    assert "offer-test: a batch of 1 failed" in caplog.text


async def test_concurrent_first_visits_share_one_lookup() -> None:
    service, contents, _, links = await service_over(GatedVisits())
    token = links[Network.LINKEDIN].token
    answers = await asyncio.gather(
        *(service.follow(LinkRequest(token, CHROME, f"1.2.3.{n}")) for n in range(20))
    )
    assert {a.state for a in answers} == {LinkState.REDIRECT}
    assert contents.lookups == 1
