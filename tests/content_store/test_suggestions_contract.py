"""``SuggestionRepository``: the in-memory fake, SQLite and PostgreSQL must agree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.model import (
    Audience,
    ContentDraft,
    FeedItem,
    FeedState,
    MessageRef,
    NewSuggestion,
    PageMetadata,
    Platform,
    PlatformUser,
    ReviewMessage,
    SuggestionId,
    SuggestionSource,
    SuggestionStatus,
)
from content_store.engine import create_engine
from content_store.repositories import Database, SqlStore
from content_store.suggestions import SqlSuggestions
from tests.bot.fakes import MemoryPorts

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
ANNA = PlatformUser(Platform.SLACK, "T1", "UANNA")
CURATOR = PlatformUser(Platform.SLACK, "T1", "UCURATOR")
FEED = "https://blog.example.com/feed.xml"


@dataclass
class Ports:
    contents: Any
    suggestions: Any


@pytest.fixture
async def ports(store_url: str | None) -> AsyncIterator[Ports]:
    if store_url is None:
        memory = MemoryPorts()
        yield Ports(memory.contents, memory.suggestions)
        return
    db = Database(create_engine(store_url))
    yield Ports(SqlStore(db).contents, SqlSuggestions(db))
    await db.engine.dispose()


def employee(url: str = "https://example.com/a", who: PlatformUser = ANNA) -> NewSuggestion:
    return NewSuggestion(
        source=SuggestionSource.EMPLOYEE,
        url=url,
        title="A good read",
        summary="Why it matters",
        why="Our team built it",
        suggester=who,
        suggester_locale="fr",
        suggester_name="Anna",
    )


def from_feed(url: str) -> NewSuggestion:
    return NewSuggestion(
        source=SuggestionSource.FEED,
        url=url,
        title="Blog post",
        summary="",
        feed_name="Blog",
        topics=("ai",),
    )


async def test_add_and_get_round_trip(ports: Ports) -> None:
    made = await ports.suggestions.add(employee(), now=NOW)
    assert made is not None
    got = await ports.suggestions.get(made.id)
    assert got == made
    assert got.status is SuggestionStatus.PENDING
    assert got.suggester == ANNA
    assert got.suggester_locale == "fr"
    assert got.why == "Our team built it"
    assert got.created_at == NOW
    assert await ports.suggestions.get(SuggestionId(9999)) is None


async def test_one_pending_suggestion_per_url(ports: Ports) -> None:
    assert await ports.suggestions.url_status("https://example.com/a") is None
    first = await ports.suggestions.add(employee(), now=NOW)
    assert await ports.suggestions.url_status("https://example.com/a") == "suggested"
    assert await ports.suggestions.add(employee(), now=NOW) is None
    await ports.suggestions.decide(
        suggestion_id=first.id,
        status=SuggestionStatus.REJECTED,
        reviewer=CURATOR,
        reviewer_name="Cu",
        reason="Off topic",
        now=NOW,
    )
    assert await ports.suggestions.url_status("https://example.com/a") is None
    again = await ports.suggestions.add(employee(), now=NOW)
    assert again is not None and again.id != first.id


async def test_shared_when_the_url_is_content(ports: Ports) -> None:
    draft = ContentDraft(
        url="https://example.com/c",
        title="C",
        summary=None,
        image_url=None,
        topics=(),
        texts=(),
        hashtags=(),
        audience=Audience.EVERYONE,
        publish_now=True,
    )
    await ports.contents.create(draft=draft, page=PageMetadata(), created_by=CURATOR, now=NOW)
    assert await ports.suggestions.url_status("https://example.com/c") == "shared"


async def test_decide_once_and_only_from_pending(ports: Ports) -> None:
    made = await ports.suggestions.add(employee(), now=NOW)
    later = NOW + timedelta(minutes=5)
    approved = await ports.suggestions.decide(
        suggestion_id=made.id,
        status=SuggestionStatus.APPROVED,
        reviewer=CURATOR,
        reviewer_name="Curator",
        reason=None,
        now=later,
    )
    assert approved.status is SuggestionStatus.APPROVED
    assert approved.reviewer == CURATOR
    assert approved.reviewer_name == "Curator"
    assert approved.decided_at == later
    for status in SuggestionStatus:
        again = await ports.suggestions.decide(
            suggestion_id=made.id,
            status=status,
            reviewer=None,
            reviewer_name=None,
            reason="late",
            now=later,
        )
        assert again is None
    assert (await ports.suggestions.get(made.id)).status is SuggestionStatus.APPROVED


async def test_two_curators_racing_decide_once(ports: Ports) -> None:
    made = await ports.suggestions.add(employee(), now=NOW)

    async def decide(status: SuggestionStatus) -> Any:
        return await ports.suggestions.decide(
            suggestion_id=made.id,
            status=status,
            reviewer=CURATOR,
            reviewer_name=None,
            reason="r" if status is SuggestionStatus.REJECTED else None,
            now=NOW,
        )

    results = await asyncio.gather(
        *(decide(s) for s in [SuggestionStatus.APPROVED, SuggestionStatus.REJECTED] * 4)
    )
    assert sum(r is not None for r in results) == 1


async def test_content_review_messages_and_counts(ports: Ports) -> None:
    made = await ports.suggestions.add(employee(), now=NOW)
    draft = ContentDraft(
        url=made.url,
        title="T",
        summary=None,
        image_url=None,
        topics=(),
        texts=(),
        hashtags=(),
        audience=Audience.EVERYONE,
        publish_now=True,
    )
    content = await ports.contents.create(
        draft=draft, page=PageMetadata(), created_by=CURATOR, now=NOW
    )
    await ports.suggestions.decide(
        suggestion_id=made.id,
        status=SuggestionStatus.APPROVED,
        reviewer=None,
        reviewer_name=None,
        reason=None,
        now=NOW,
        auto_approved=True,
    )
    attached = await ports.suggestions.attach_content(suggestion_id=made.id, content_id=content.id)
    assert attached.content_id == content.id
    assert attached.auto_approved
    assert (await ports.suggestions.for_content(content.id)).suggester == ANNA
    slack = ReviewMessage(Platform.SLACK, MessageRef("CREVIEW", "1.0001"))
    teams = ReviewMessage(Platform.TEAMS, MessageRef("19:abc@thread.tacv2", "1700000"))
    for message in (slack, teams, slack):
        await ports.suggestions.add_review_message(suggestion_id=made.id, message=message)
    assert (await ports.suggestions.get(made.id)).review_messages == (slack, teams)
    assert await ports.suggestions.approved_count(ANNA) == 1
    assert await ports.suggestions.approved_count(CURATOR) == 0


async def test_pending_before_lists_the_old_pending_ones(ports: Ports) -> None:
    old = await ports.suggestions.add(employee("https://example.com/old"), now=NOW)
    await ports.suggestions.add(employee("https://example.com/new"), now=NOW + timedelta(days=10))
    gone = await ports.suggestions.add(employee("https://example.com/gone"), now=NOW)
    await ports.suggestions.decide(
        suggestion_id=gone.id,
        status=SuggestionStatus.EXPIRED,
        reviewer=None,
        reviewer_name=None,
        reason=None,
        now=NOW,
    )
    found = await ports.suggestions.pending_before(before=NOW + timedelta(days=1), limit=10)
    assert [s.id for s in found] == [old.id]


async def test_feed_items_are_suggested_once(ports: Ports) -> None:
    item = FeedItem(key="guid-1", url="https://blog.example.com/1", title="One", summary="")
    made = await ports.suggestions.add_feed_item(
        feed_url=FEED, item=item, new=from_feed(item.url), now=NOW
    )
    assert made is not None and made.source is SuggestionSource.FEED
    assert made.topics == ("ai",) and made.feed_name == "Blog" and made.suggester is None
    again = await ports.suggestions.add_feed_item(
        feed_url=FEED, item=item, new=from_feed(item.url), now=NOW
    )
    assert again is None
    # The same item key in another feed is another item; its URL is pending already, though.
    other = await ports.suggestions.add_feed_item(
        feed_url="https://other.example.com/rss", item=item, new=from_feed(item.url), now=NOW
    )
    assert other is None
    # Marked seen only: never suggested later.
    old = FeedItem(key="guid-0", url="https://blog.example.com/0", title="Zero", summary="")
    assert await ports.suggestions.add_feed_item(feed_url=FEED, item=old, new=None, now=NOW) is None
    assert (
        await ports.suggestions.add_feed_item(
            feed_url=FEED, item=old, new=from_feed(old.url), now=NOW
        )
        is None
    )


async def test_feed_state(ports: Ports) -> None:
    assert await ports.suggestions.feed_state(FEED) == FeedState()
    await ports.suggestions.save_feed_state(
        FEED, FeedState(etag='"abc"', last_modified="Wed, 18 Nov 2026 10:00:00 GMT"), now=NOW
    )
    assert await ports.suggestions.feed_state(FEED) == FeedState(
        etag='"abc"', last_modified="Wed, 18 Nov 2026 10:00:00 GMT", polled=True
    )
    await ports.suggestions.save_feed_state(FEED, FeedState(), now=NOW)
    assert await ports.suggestions.feed_state(FEED) == FeedState(polled=True)


async def test_reopen_only_an_approval_without_content(ports: Ports) -> None:
    made = await ports.suggestions.add(employee(), now=NOW)
    assert not await ports.suggestions.reopen(made.id)  # pending: nothing to undo
    await ports.suggestions.decide(
        suggestion_id=made.id,
        status=SuggestionStatus.APPROVED,
        reviewer=CURATOR,
        reviewer_name="Cu",
        reason=None,
        now=NOW,
    )
    assert await ports.suggestions.reopen(made.id)
    back = await ports.suggestions.get(made.id)
    assert back.status is SuggestionStatus.PENDING
    assert (back.reviewer, back.reviewer_name, back.decided_at) == (None, None, None)
    rejected = await ports.suggestions.add(employee("https://example.com/r"), now=NOW)
    await ports.suggestions.decide(
        suggestion_id=rejected.id,
        status=SuggestionStatus.REJECTED,
        reviewer=CURATOR,
        reviewer_name=None,
        reason="no",
        now=NOW,
    )
    assert not await ports.suggestions.reopen(rejected.id)
    assert (await ports.suggestions.get(rejected.id)).status is SuggestionStatus.REJECTED
