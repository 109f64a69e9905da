"""Curators push content: validate, fill from the page, store, publish."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from bot.content import RawPost
from bot.errors import ContentNotFound, InvalidInput, NotACurator
from bot.model import (
    Audience,
    ContentDraft,
    ContentStatus,
    DeliveryStatus,
    PageMetadata,
    Platform,
    PlatformUser,
)
from bot.publishing import PublishingService
from bot.views import ContentListItem, TopicChoice
from tests.bot.builders import CONTENT_URL, CURATOR, NOW, World, person

PAGE = PageMetadata("Page title", "Page summary", "https://example.com/og.png")
COMPLETE = ContentDraft(
    url=CONTENT_URL,
    title="Mine",
    summary="My summary",
    image_url="https://example.com/mine.png",
    topics=("engineering",),
    texts=(),
    hashtags=(),
    audience=Audience.INTERESTED,
    publish_now=False,
)

CURATOR_ACTIONS: dict[str, Callable[[PublishingService, PlatformUser], Any]] = {
    "post_form": lambda s, u: s.post_form(u, "en"),
    "validate": lambda s, u: s.validate(u, RawPost(url=CONTENT_URL, topics=("engineering",))),
    "submit": lambda s, u: s.submit(u, COMPLETE),
    "publish": lambda s, u: s.publish(u, 1),
    "list_recent": lambda s, u: s.list_recent(u, "en"),
}


async def attempt(
    action: Callable[[PublishingService, PlatformUser], Any], world: World, user: PlatformUser
) -> Any:
    result = action(world.services.publishing, user)
    return await result if inspect.isawaitable(result) else result


@pytest.mark.parametrize("action", CURATOR_ACTIONS.values(), ids=CURATOR_ACTIONS.keys())
@pytest.mark.parametrize(
    "user",
    [person(1), PlatformUser(Platform.TEAMS, "T1", CURATOR.user_id)],
    ids=["ambassador", "same-id-on-teams"],
)
async def test_only_curators_may_act(
    world: World, action: Callable[[PublishingService, PlatformUser], Any], user: PlatformUser
) -> None:
    await world.join(1)
    with pytest.raises(NotACurator) as caught:
        await attempt(action, world, user)
    assert caught.value.notice.key == "not_curator"
    assert world.ports.store.contents == {}
    assert world.fetcher.urls == []


async def test_post_form(world: World) -> None:
    form = await world.services.publishing.post_form(CURATOR, "fr")
    assert form.locale == "fr"
    assert form.topics == (
        TopicChoice("engineering", "Ingénierie"),
        TopicChoice("careers", "Carrières"),
        TopicChoice("events", "Events"),
    )
    assert form.max_texts == world.programme.limits.texts
    assert form.limits == world.programme.limits.as_dict()


async def test_validate_reports_bad_input(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world.services.publishing.validate(CURATOR, RawPost(url="ftp://example.com"))
    assert caught.value.notice_key == "url_not_http"


async def test_a_complete_draft_is_stored_without_fetching_the_page(world: World) -> None:
    world.fetcher.page = PAGE
    outcome = await world.services.publishing.submit(CURATOR, COMPLETE)
    assert world.fetcher.urls == []
    assert (outcome.page_read, outcome.shortened, outcome.published) == (False, (), None)
    content = outcome.content
    assert (content.title, content.summary, content.image_url) == (
        "Mine",
        "My summary",
        "https://example.com/mine.png",
    )
    assert (content.status, content.created_by, content.created_at) == (
        ContentStatus.DRAFT,
        CURATOR,
        NOW,
    )


@pytest.mark.parametrize("missing", ["title", "summary", "image_url"])
async def test_the_page_is_read_when_something_is_missing(world: World, missing: str) -> None:
    world.fetcher.page = PAGE
    cleared: dict[str, Any] = {missing: None}
    draft = replace(COMPLETE, **cleared)
    outcome = await world.services.publishing.submit(CURATOR, draft)
    assert world.fetcher.urls == [CONTENT_URL]
    assert outcome.page_read
    filled = {"title": "Page title", "summary": "Page summary", "image_url": PAGE.image_url}
    assert getattr(outcome.content, missing) == filled[missing]


async def test_an_unreadable_page_falls_back_to_the_url(world: World) -> None:
    outcome = await world.push(title=None, summary=None, publish_now=False)
    assert world.fetcher.urls == [CONTENT_URL]
    assert not outcome.page_read
    assert (outcome.content.title, outcome.content.summary) == ("example.com/blog/launch", "")


async def test_long_page_values_are_shortened_and_reported(world: World) -> None:
    limits = world.programme.limits
    world.fetcher.page = PageMetadata("Title " * 100, "Summary " * 500)
    outcome = await world.push(title=None, summary=None, publish_now=False)
    assert outcome.shortened == ("title", "summary")
    assert outcome.page_read
    assert len(outcome.content.title) <= limits.title
    assert len(outcome.content.summary) <= limits.summary


async def test_a_draft_is_not_published(world: World) -> None:
    await world.join(1)
    outcome = await world.push(publish_now=False)
    assert outcome.published is None
    assert outcome.content.status is ContentStatus.DRAFT
    assert world.deliveries() == []


async def test_publish_now_creates_one_delivery_per_matching_ambassador(world: World) -> None:
    one = await world.join(1, topics=("engineering",))
    await world.join(2, topics=("careers",))
    three = await world.join(3, topics=("careers", "engineering"))
    outcome = await world.push(topics=("engineering",))
    assert outcome.published is not None
    assert outcome.published.deliveries_created == 2
    assert outcome.content.status is ContentStatus.PUBLISHED
    assert outcome.content.published_at == NOW
    assert [(d.ambassador_id, d.status) for d in world.deliveries()] == [
        (one.id, DeliveryStatus.PENDING),
        (three.id, DeliveryStatus.PENDING),
    ]


async def test_publish_a_stored_draft_once(world: World) -> None:
    await world.join(1)
    await world.join(2, topics=("careers",))
    draft = (await world.push(publish_now=False, audience=Audience.EVERYONE, topics=())).content
    first = await world.services.publishing.publish(CURATOR, draft.id)
    assert (first.deliveries_created, first.already_published) == (2, False)
    assert first.content.status is ContentStatus.PUBLISHED
    again = await world.services.publishing.publish(CURATOR, draft.id)
    assert (again.deliveries_created, again.already_published) == (0, True)
    assert len(world.deliveries()) == 2


async def test_publishing_an_unknown_id(world: World) -> None:
    with pytest.raises(ContentNotFound) as caught:
        await world.services.publishing.publish(CURATOR, 404)
    assert caught.value.notice.key == "content_not_found"
    assert caught.value.params == {"content_id": 404}


async def test_list_recent_newest_first(world: World) -> None:
    first = (await world.push(publish_now=False, title="First")).content
    second = (await world.push(title="Second", topics=("careers", "events"))).content
    listing = await world.services.publishing.list_recent(CURATOR, "fr")
    assert listing.locale == "fr"
    assert listing.items == (
        ContentListItem(second.id, "Second", CONTENT_URL, "published", ("careers", "events")),
        ContentListItem(first.id, "First", CONTENT_URL, "draft", ("engineering",)),
    )
