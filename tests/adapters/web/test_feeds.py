"""Feeds: RSS 2.0 and Atom parsing, and the poll job against a feed served on 127.0.0.1.

Like the link-preview tests, every test that really connects opts in with
``allow_private_addresses=True``; one test checks that without it loopback is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.web.feeds import SafeFeedFetcher, parse_feed
from bot.clock import FixedClock
from bot.model import (
    FeedState,
    PageMetadata,
    Platform,
    Suggestion,
    SuggestionId,
    SuggestionSource,
    SuggestionStatus,
)
from bot.publishing import PublishingService
from bot.roles import AuditTrail, RolesConfig, RoleService
from bot.suggestions import FeedSettings, FeedSource, ReviewSettings, SuggestionService
from content_store.engine import create_engine
from content_store.repositories import Database, SqlStore
from content_store.suggestions import SqlSuggestions
from tests.bot.builders import RecordingFetcher, make_programme
from tests.bot.fakes import FakeSuggestionGateway

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def rss(count: int, *, start: int = 1, days_apart: float = 0.5, pad: int = 0) -> bytes:
    items = []
    for n in range(start, start + count):
        when = NOW - timedelta(days=(n - start) * days_apart)
        items.append(
            f"""<item><title>Post {n} &amp; more</title>
<link>https://blog.example.com/posts/{n}</link>
<guid isPermaLink="false">post-{n}</guid>
<pubDate>{when.strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
<description>&lt;p&gt;Summary &lt;b&gt;{n}&lt;/b&gt;&lt;/p&gt;{"x" * pad}</description></item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Acme blog</title><link>https://blog.example.com/</link>"
        f"<description>News</description>{''.join(items)}</channel></rss>"
    ).encode()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Acme newsroom</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-18T09:00:00Z</updated>
  <entry>
    <title>We opened an office</title>
    <link href="https://news.example.com/paris"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2026-11-18T09:00:00Z</updated>
    <summary type="html">&lt;p&gt;Forty people&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Relative link</title>
    <link href="/relative"/>
    <id>tag:news.example.com,2026:2</id>
    <updated>2026-11-17T09:00:00Z</updated>
  </entry>
</feed>"""


def test_rss2_items() -> None:
    items, error = parse_feed(rss(2), "https://blog.example.com/feed.xml")
    assert error is None
    first = items[0]
    assert (first.key, first.url) == ("post-1", "https://blog.example.com/posts/1")
    assert first.title == "Post 1 & more"
    assert first.summary == "Summary 1"  # HTML reduced to its text
    assert first.published_at == NOW
    assert [i.key for i in items] == ["post-1", "post-2"]


def test_atom_items() -> None:
    items, error = parse_feed(ATOM, "https://news.example.com/atom.xml")
    assert error is None
    assert items[0].key == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert items[0].url == "https://news.example.com/paris"
    assert items[0].summary == "Forty people"
    assert items[0].published_at == datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    assert items[1].url == "https://news.example.com/relative"  # resolved against the feed


@pytest.mark.parametrize(
    "body", [b"", b"not xml at all", b"<rss><channel><item><title>oops", b"\x00\xff\xfe garbage"]
)
def test_malformed_feeds_say_so_without_raising(body: bytes) -> None:
    items, error = parse_feed(body, "https://blog.example.com/feed.xml")
    assert items == []
    assert error is not None and error.startswith("malformed feed")


def test_no_external_entities() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&x;</title><link>https://e.com/1</link></item></channel></rss>"""
    items, _ = parse_feed(evil, "https://e.com/feed")
    assert all("root:" not in i.title for i in items)


# --- against a local server -------------------------------------------------------------------


@dataclass
class FeedServer:
    server: TestServer
    bodies: dict[str, bytes] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    holder: list[FeedServer] = []

    async def serve(request: web.Request) -> web.StreamResponse:
        state = holder[0]
        state.requests.append(dict(request.headers))
        body = state.bodies.get(request.path)
        if body is None:
            return web.Response(status=404)
        etag = state.etags.get(request.path)
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        headers = {"ETag": etag} if etag else {}
        return web.Response(body=body, content_type="application/rss+xml", headers=headers)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(FeedServer(server))
    yield holder[0]
    await server.close()


async def test_conditional_get_and_loopback_refusal(feeds: FeedServer) -> None:
    feeds.bodies["/feed.xml"] = rss(3)
    feeds.etags["/feed.xml"] = '"v1"'
    fetcher = SafeFeedFetcher(allow_private_addresses=True)
    first = await fetcher.fetch_feed(feeds.url("/feed.xml"), FeedState())
    assert first.error is None and len(first.items) == 3
    assert first.state.etag == '"v1"'
    again = await fetcher.fetch_feed(feeds.url("/feed.xml"), first.state)
    assert again.not_modified and again.items == () and again.error is None
    assert feeds.requests[-1]["If-None-Match"] == '"v1"'
    missing = await fetcher.fetch_feed(feeds.url("/gone.xml"), FeedState())
    assert missing.error == "HTTP 404"
    refused = await SafeFeedFetcher().fetch_feed(feeds.url("/feed.xml"), FeedState())
    assert refused.error is not None and refused.error.startswith("refused")
    assert len(feeds.requests) == 3  # the refused fetch never connected


async def test_a_huge_feed_is_capped(feeds: FeedServer) -> None:
    feeds.bodies["/huge.xml"] = rss(2_000, pad=2_000)  # about 4 MB
    fetcher = SafeFeedFetcher(allow_private_addresses=True, max_bytes=60_000)
    result = await fetcher.fetch_feed(feeds.url("/huge.xml"), FeedState())
    assert result.error is None
    assert 0 < len(result.items) < 40


async def test_a_dead_feed_url_is_an_error_not_an_exception() -> None:
    fetcher = SafeFeedFetcher(allow_private_addresses=True, timeout_seconds=2)
    result = await fetcher.fetch_feed("http://127.0.0.1:9/feed.xml", FeedState())
    assert result.error is not None and result.items == ()


async def test_the_poll_job_suggests_each_new_item_once(
    feeds: FeedServer, database_url: str
) -> None:
    feeds.bodies["/feed.xml"] = rss(5)
    feeds.etags["/feed.xml"] = '"v1"'
    db = Database(create_engine(database_url))
    store = SqlStore(db)
    clock = FixedClock(NOW)
    gateway = FakeSuggestionGateway()
    programme = make_programme()
    feed = FeedSource(url=feeds.url("/feed.xml"), name="Acme blog", topics=("engineering",))
    dead = FeedSource(url=feeds.url("/dead.xml"), name="Dead")

    roles = RoleService(
        config=RolesConfig.from_programme(programme),
        grants=store.grants,
        ambassadors=store.ambassadors,
        directories={},
        clock=clock,
    )
    audit = AuditTrail(log=store.audit, ambassadors=store.ambassadors, clock=clock, roles=roles)

    def service() -> SuggestionService:  # a replica, or the process after a restart
        fetcher = RecordingFetcher(PageMetadata())
        return SuggestionService(
            suggestions=SqlSuggestions(db),
            contents=store.contents,
            ambassadors=store.ambassadors,
            ledger=store.ledger,
            publishing=PublishingService(
                contents=store.contents,
                fetcher=fetcher,
                programme=programme,
                clock=clock,
                roles=roles,
                audit=audit,
            ),
            fetcher=fetcher,
            gateways={Platform.SLACK: gateway},
            programme=programme,
            clock=clock,
            settings=ReviewSettings(channels={Platform.SLACK: "CREVIEW"}),
            feeds=FeedSettings(feeds=(dead, feed), first_poll_days=7, first_poll_max=3),
            feed_fetcher=SafeFeedFetcher(allow_private_addresses=True),
            is_curator=roles.is_curator,
            audit=audit,
        )

    try:
        assert await service().poll_feeds() == 3  # first poll: at most 3
        assert [v.title for _, v in gateway.posted] == [
            "Post 1 & more",
            "Post 2 & more",
            "Post 3 & more",
        ]
        assert all(v.source == "feed" and v.status == "pending" for _, v in gateway.posted)
        assert await service().poll_feeds() == 0  # 304: nothing new
        feeds.bodies["/feed.xml"] = rss(7, start=-1)  # two new posts on top
        feeds.etags["/feed.xml"] = '"v2"'
        assert await service().poll_feeds() == 2
        assert await service().poll_feeds() == 0
        suggestions = SqlSuggestions(db)
        made: list[Suggestion] = []
        for _, v in gateway.posted:
            suggestion = await suggestions.get(SuggestionId(v.suggestion_id))
            assert suggestion is not None
            made.append(suggestion)
        assert {s.source for s in made} == {SuggestionSource.FEED}
        assert {s.status for s in made} == {SuggestionStatus.PENDING}
        assert len({s.url for s in made}) == 5
    finally:
        await db.engine.dispose()
