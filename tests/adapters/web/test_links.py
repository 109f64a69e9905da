"""``/r/<token>`` through the real aiohttp app on SQLite and PostgreSQL: the 302 with UTM tags,
bots recorded apart, the friendly pages, and a fuzzer that looks for an open redirect."""

from __future__ import annotations

import random
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from bot.model import LinkGrouping, LinkStats, Network
from content_store.engine import create_engine
from content_store.links import SqlLinkVisits
from content_store.repositories import Database, SqlStore
from tests.adapters.slack.conftest import CONFIG
from tests.content_store.test_contract import NOW, links_of_content

PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
STORED = "https://example.com/post"


@dataclass
class Site:
    client: TestClient[Any, Any]
    store: SqlStore
    token: str
    other_token: str  # the X link of the same delivery
    content_id: int


@pytest.fixture
async def site(tmp_path: Path, database_url: str) -> AsyncIterator[Site]:
    (tmp_path / "config.yaml").write_text(CONFIG + "web: {trusted_proxies: [10.0.0.0/8]}\n")
    (tmp_path / "guidelines.md").write_text("# Guidelines\n\nBe kind.\n")
    env = Environment(
        ADVOCACY_CONFIG=tmp_path / "config.yaml",
        DATABASE_URL=database_url,
        ADVOCACY_VISITOR_SALT="s" * 32,
    )
    db = Database(create_engine(database_url))
    store = SqlStore(db)
    item, links = await links_of_content(store)
    runtime = build_runtime(env)
    client = TestClient(TestServer(create_web_app(runtime), host="127.0.0.1"))
    await client.start_server()
    try:
        yield Site(
            client, store, links[Network.LINKEDIN].token, links[Network.X].token, int(item.id)
        )
    finally:
        await client.close()
        await db.engine.dispose()


async def stats(site: Site) -> list[LinkStats]:
    """After the server stopped: every queued visit is written by then."""
    await site.client.close()
    return list(await SqlLinkVisits(site.store.db).link_stats(by=LinkGrouping.LINK))


async def test_a_click_is_a_302_to_the_content_with_utm_tags(site: Site) -> None:
    answer = await site.client.get(
        f"/r/{site.token}", headers={"User-Agent": PERSON}, allow_redirects=False
    )
    assert answer.status == 302
    assert answer.headers["Cache-Control"] == "no-store"
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == STORED
    tags = parse_qs(location.query)
    assert tags["utm_source"] == ["linkedin"]
    assert tags["utm_medium"] == ["employee_advocacy"]
    assert tags["utm_campaign"] == [f"hello-{site.content_id}"]
    (ref,) = tags["utm_content"]
    assert ref and "person" not in ref.lower()  # opaque, not a name
    assert await stats(site) == [LinkStats(site.token, clicks=1, unique_visitors=1, bot_hits=0)]


async def test_previews_scripts_and_head_are_counted_apart(site: Site) -> None:
    agents = [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "curl/8.5.0",
        "",
    ]
    for agent in agents:
        answer = await site.client.get(
            f"/r/{site.token}", headers={"User-Agent": agent}, allow_redirects=False
        )
        assert answer.status == 302  # a preview needs the target too
    head = await site.client.head(
        f"/r/{site.token}", headers={"User-Agent": PERSON}, allow_redirects=False
    )
    assert head.status == 302 and head.headers["Location"].startswith(STORED)
    assert await stats(site) == [LinkStats(site.token, clicks=0, unique_visitors=0, bot_hits=6)]


async def test_unique_visitors_by_address_and_browser(site: Site) -> None:
    async def click(token: str, forwarded: str | None = None, agent: str = PERSON) -> None:
        headers = {"User-Agent": agent}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        answer = await site.client.get(f"/r/{token}", headers=headers, allow_redirects=False)
        assert answer.status == 302

    # The test client connects from 127.0.0.1, not a trusted proxy: X-Forwarded-For is
    # ignored, so these three are one visitor (a client cannot mint new visitors).
    await click(site.token)
    await click(site.token, forwarded="198.51.100.1")
    await click(site.token, forwarded="198.51.100.2")
    await click(site.token, agent=PERSON + " Edg/126.0")  # another browser: another visitor
    await click(site.other_token)
    found = {s.key: s for s in await stats(site)}
    assert found[site.token] == LinkStats(site.token, clicks=4, unique_visitors=2, bot_hits=0)
    assert found[site.other_token].unique_visitors == 1
    async with site.store.db.reading() as session:
        rows = (await session.execute(text("SELECT visitor_key FROM link_visit"))).all()
    assert all(len(r.visitor_key) == 32 and "127.0.0.1" not in r.visitor_key for r in rows)


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("fr-CA,fr;q=0.9,en;q=0.5", "Ce lien a expiré"), ("en-GB,en;q=0.9", "This link has expired")],
)
async def test_unknown_token_gets_the_friendly_page(site: Site, language: str, phrase: str) -> None:
    answer = await site.client.get(
        "/r/NoSuchToken123", headers={"Accept-Language": language}, allow_redirects=False
    )
    assert answer.status == 404
    assert "Location" not in answer.headers
    assert phrase in await answer.text()
    assert await stats(site) == []


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("fr", "Ce contenu n\u2019est plus partagé"), ("de, en;q=0.8", "no longer shared")],
)
async def test_expired_content_gets_its_page_and_counts_nothing(
    site: Site, language: str, phrase: str
) -> None:
    await site.store.contents.expire(content_id=site.content_id, now=NOW)  # type: ignore[arg-type]
    answer = await site.client.get(
        f"/r/{site.token}", headers={"Accept-Language": language}, allow_redirects=False
    )
    assert answer.status == 410
    assert "Location" not in answer.headers
    assert phrase in await answer.text()
    assert await stats(site) == []


# --- no open redirect --------------------------------------------------------------------

HOSTILE = [
    "https:%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "..%2F..%2Fevil",
    "%0d%0aLocation:%20https://evil.example",
    "%0aSet-Cookie:%20a=b",
    "%00",
    "%E2%80%AE",
    "evil.example",
    "javascript:alert(1)",
]
QUERIES = [
    "?url=https://evil.example",
    "?next=//evil.example",
    "?redirect=https%3A%2F%2Fevil.example",
    "?return_to=%0d%0aX:1",
    "?utm_source=evil&utm_content=x",
    "",
]


def fuzz_paths(seed: int, count: int) -> list[str]:
    """Tokens from the token alphabet and beyond, with hostile pieces spliced in."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_./%:@?#&=+~!$'()*,;\\"
    paths: list[str] = []
    for _ in range(count):
        token = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        if rng.random() < 0.4:
            token = rng.choice(HOSTILE) + quote(token, safe="")
        paths.append(quote(token, safe="%") + rng.choice(QUERIES))
    return paths


async def test_fuzzed_tokens_never_redirect_anywhere(site: Site) -> None:
    for path in fuzz_paths(seed=6, count=300):
        answer = await site.client.get("/r/" + path, allow_redirects=False)
        assert answer.status in (404, 405), path  # 405: never here; 404 page otherwise
        assert "Location" not in answer.headers, path
        assert "evil" not in "".join(f"{k}{v}" for k, v in answer.headers.items()), path
    assert await stats(site) == []


async def test_the_query_string_never_changes_the_location(site: Site) -> None:
    locations = set()
    for query in [*QUERIES, *(q.replace("?", "?a=1&") for q in QUERIES if q)]:
        answer = await site.client.get(
            f"/r/{site.token}{query}", headers={"User-Agent": PERSON}, allow_redirects=False
        )
        assert answer.status == 302, query
        locations.add(answer.headers["Location"])
    assert len(locations) == 1
    (location,) = locations
    assert location.startswith(STORED + "?") and "evil" not in location
    (counted,) = await stats(site)
    assert counted.clicks == 2 * len(QUERIES) - 1


@pytest.mark.parametrize(
    "stored",
    [
        "https://example.com/a\r\nSet-Cookie: owned=1",
        "javascript:alert(1)",
        "//evil.example/path",
        "https://example.com/a b",
    ],
)
async def test_a_stored_url_that_is_not_plain_http_is_never_sent(site: Site, stored: str) -> None:
    """Defence in depth: publishing accepts only http(s) URLs, but a row changed behind the
    bot's back must not become a header injection or a script URL."""
    async with site.store.db.transaction() as session:
        await session.execute(
            text("UPDATE content SET url = :u WHERE id = :c"), {"u": stored, "c": site.content_id}
        )
    answer = await site.client.get(f"/r/{site.token}", allow_redirects=False)
    assert answer.status == 404
    assert "Location" not in answer.headers and "Set-Cookie" not in answer.headers
