"""Employee suggestions and feed items: suggest, review, auto-approve, expire, poll feeds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from bot.content import RawPost
from bot.errors import InvalidInput
from bot.model import (
    Audience,
    AuditAction,
    Content,
    ContentId,
    ContentStatus,
    FeedFetchResult,
    FeedItem,
    FeedState,
    InteractionKind,
    PageMetadata,
    Platform,
    PlatformUser,
    PublishResult,
    Suggestion,
    SuggestionId,
    SuggestionStatus,
)
from bot.suggestions import (
    FeedSettings,
    FeedSource,
    NotACuratorForReview,
    ReviewSettings,
    SuggestionDecided,
    SuggestionNotFound,
    SuggestionService,
    SuggestOutcome,
)
from tests.bot.builders import CURATOR, NOW, World, make_programme, person, wire_domain
from tests.bot.fakes import FakeSuggestionGateway, MemorySuggestions

URL = "https://example.com/blog/great-read"
FEED_URL = "https://blog.example.com/feed.xml"
REVIEW_CHANNEL = "CREVIEW"
TEAMS_CHANNEL = "19:review@thread.tacv2"
SUGGESTER = person(1)


@dataclass
class StubFeeds:
    """A feed fetcher answering from a dict, recording the states it was given."""

    answers: dict[str, FeedFetchResult] = field(default_factory=dict)
    states: list[FeedState] = field(default_factory=list)

    async def fetch_feed(self, url: str, state: FeedState) -> FeedFetchResult:
        self.states.append(state)
        return self.answers.get(url, FeedFetchResult(error="unreachable"))


@dataclass
class Review:
    world: World
    service: SuggestionService
    store: MemorySuggestions
    slack: FakeSuggestionGateway
    teams: FakeSuggestionGateway
    feeds: StubFeeds

    async def suggest(
        self, who: PlatformUser = SUGGESTER, url: str = URL, why: str | None = "Good"
    ) -> SuggestOutcome:
        return await self.service.suggest(who, url, why, locale="fr", name="Anna")

    async def made(
        self, who: PlatformUser = SUGGESTER, url: str = URL, why: str | None = "Good"
    ) -> Suggestion:
        """``suggest``, for a suggestion that must be stored: the stored suggestion."""
        outcome = await self.suggest(who, url, why)
        assert outcome.suggestion is not None
        return outcome.suggestion

    async def stored(self, suggestion_id: SuggestionId) -> Suggestion:
        """A suggestion that must exist."""
        found = await self.store.get(suggestion_id)
        assert found is not None
        return found

    async def content(self, content_id: ContentId | None) -> Content:
        """Content that must exist (``content_id`` of an approved suggestion)."""
        assert content_id is not None
        found = await self.world.ports.contents.get(content_id)
        assert found is not None
        return found


def build(world: World, *, auto_after: int = 3, feeds: tuple[FeedSource, ...] = ()) -> Review:
    store = world.ports.suggestions
    slack, teams = FakeSuggestionGateway(), FakeSuggestionGateway(Platform.TEAMS)
    stub = StubFeeds()
    service = SuggestionService(
        suggestions=store,
        contents=world.ports.contents,
        ambassadors=world.ports.ambassadors,
        ledger=world.ports.ledger,
        publishing=world.services.publishing,
        fetcher=world.fetcher,
        gateways={Platform.SLACK: slack, Platform.TEAMS: teams},
        programme=world.programme,
        clock=world.clock,
        settings=ReviewSettings(
            channels={Platform.SLACK: REVIEW_CHANNEL, Platform.TEAMS: TEAMS_CHANNEL},
            auto_approve_after=auto_after,
            expire_after=timedelta(days=14),
        ),
        feeds=FeedSettings(feeds=feeds, first_poll_days=7, first_poll_max=2, max_new_per_poll=3),
        feed_fetcher=stub,
        is_curator=world.services.roles.is_curator,
        audit=world.services.audit,
    )
    return Review(world, service, store, slack, teams, stub)


@pytest.fixture
def review(world: World) -> Review:
    world.fetcher.page = PageMetadata("A great read", "What it says", None)
    return build(world)


async def test_suggest_lands_in_every_review_channel(review: Review) -> None:
    outcome = await review.suggest()
    assert outcome.notice.key == "suggest_thanks"
    assert review.world.fetcher.urls == [URL]
    ((channel, card),) = review.slack.posted
    assert channel == REVIEW_CHANNEL
    assert (card.title, card.summary, card.why, card.url) == (
        "A great read",
        "What it says",
        "Good",
        URL,
    )
    assert card.suggester_id == SUGGESTER.user_id and card.same_platform
    assert card.pending and card.locale == "en"
    ((teams_channel, teams_card),) = review.teams.posted
    assert teams_channel == TEAMS_CHANNEL and not teams_card.same_platform
    assert outcome.suggestion is not None
    stored = await review.stored(outcome.suggestion.id)
    assert len(stored.review_messages) == 2
    assert stored.status is SuggestionStatus.PENDING


async def test_bad_input_is_refused_politely(review: Review) -> None:
    with pytest.raises(InvalidInput) as not_http:
        await review.suggest(url="ftp://example.com/x")
    assert not_http.value.notice.key == "url_not_http"
    with pytest.raises(InvalidInput) as long_why:
        await review.suggest(why="x" * 501)
    assert long_why.value.notice.key == "suggest_why_too_long"
    assert review.slack.posted == []


async def test_a_duplicate_is_answered_without_a_second_card(review: Review) -> None:
    await review.suggest()
    again = await review.suggest(who=person(2))
    assert again.notice.key == "suggest_already_suggested"
    assert len(review.slack.posted) == 1
    await review.world.push(url="https://example.com/shared")
    shared = await review.suggest(url="https://example.com/shared")
    assert shared.notice.key == "suggest_already_shared"
    assert len(review.slack.posted) == 1


async def test_approve_publishes_credits_and_tells_the_suggester(review: Review) -> None:
    ambassador = await review.world.join(1, topics=("engineering",))
    await review.world.join(2, topics=("careers",))
    made = await review.made()
    approved = await review.service.approve(CURATOR, made.id, name="Cu Rator")
    assert approved.status is SuggestionStatus.APPROVED
    content = await review.content(approved.content_id)
    assert content.status is ContentStatus.PUBLISHED
    assert content.audience is Audience.EVERYONE  # no topics: everyone
    assert content.url == URL and content.title == "A great read"
    credited = await review.store.for_content(content.id)
    assert credited is not None
    assert credited.suggester == SUGGESTER
    # Every ambassador is offered it.
    assert len(review.world.ports.store.deliveries) == 2
    awards = [
        a
        for a in review.world.ports.store.awards.values()
        if a.kind is InteractionKind.APPROVED_SUGGESTION
    ]
    assert [(a.ambassador_id, a.points) for a in awards] == [(ambassador.id, 20)]
    ((user, notice, locale),) = review.slack.notices
    assert (user, notice.key, locale) == (SUGGESTER, "suggest_approved_you", "fr")
    assert notice.params["points"] == 20 and notice.params["ambassador"]
    # Both cards show who approved it.
    cards = [view for _, view in review.slack.updated + review.teams.updated]
    assert len(cards) == 2
    assert all(c.status == "approved" and c.reviewer_name == "Cu Rator" for c in cards)


async def test_a_non_ambassador_is_credited_without_points(review: Review) -> None:
    made = await review.made()
    await review.service.approve(CURATOR, made.id)
    ((_, notice, _),) = review.slack.notices
    assert notice.params["points"] == 0 and not notice.params["ambassador"]
    assert review.world.ports.store.awards == {}


async def test_only_curators_review(review: Review) -> None:
    made = await review.made()
    for act in (
        review.service.approve(person(2), made.id),
        review.service.reject(person(2), made.id, "no"),
        review.service.edit_form(person(2), made.id, "en"),
        review.service.reject_form(person(2), made.id, "en"),
    ):
        with pytest.raises(NotACuratorForReview) as refused:
            await act
        assert refused.value.notice.key == "suggest_not_curator"
    assert (await review.stored(made.id)).status is SuggestionStatus.PENDING
    with pytest.raises(SuggestionNotFound):
        await review.service.approve(CURATOR, 999)


async def test_reject_tells_the_suggester_the_reason(review: Review) -> None:
    made = await review.made()
    form = await review.service.reject_form(CURATOR, made.id, "en")
    assert form.suggestion_id == made.id and form.max_reason == 500
    with pytest.raises(InvalidInput) as missing:
        await review.service.reject(CURATOR, made.id, "  ", name=None)
    assert missing.value.notice.key == "suggest_reason_missing"
    rejected = await review.service.reject(CURATOR, made.id, "Not public yet", name="Cu")
    assert rejected.status is SuggestionStatus.REJECTED
    ((user, notice, locale),) = review.slack.notices
    assert (user, notice.key, locale) == (SUGGESTER, "suggest_rejected_you", "fr")
    assert notice.params["reason"] == "Not public yet"
    assert review.world.ports.store.contents == {}


async def test_double_clicks_and_racing_curators_act_once(review: Review) -> None:
    made = await review.made()
    results = await asyncio.gather(
        review.service.approve(CURATOR, made.id),
        review.service.approve(CURATOR, made.id),
        review.service.reject(CURATOR, made.id, "late", name=None),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, SuggestionDecided) for r in results if isinstance(r, Exception))
    assert len(review.world.ports.store.contents) == 1
    assert len(review.slack.notices) == 1


@pytest.mark.parametrize("first", ["reject", "expire"])
async def test_a_rejected_or_expired_suggestion_never_goes_out(review: Review, first: str) -> None:
    await review.world.join(1)
    made = await review.made()
    if first == "reject":
        await review.service.reject(CURATOR, made.id, "No", name=None)
    else:
        review.world.clock.advance(timedelta(days=15))
        assert await review.service.expire_stale() == 1
        (_, card) = review.slack.updated[-1]
        assert card.status == "expired" and not card.pending
    # A late click on Approve, or the Edit form submitted afterwards.
    with pytest.raises(SuggestionDecided) as late:
        await review.service.approve(CURATOR, made.id)
    assert late.value.notice.key == "suggest_already_decided"
    with pytest.raises(SuggestionDecided):
        await review.service.edit_form(CURATOR, made.id, "en")
    draft = await review.world.services.publishing.validate(
        CURATOR,
        RawPost(url=URL, topics=("engineering",)),
    )
    with pytest.raises(SuggestionDecided):
        await review.service.approve_edited(CURATOR, made.id, draft, name=None)
    assert review.world.ports.store.contents == {}
    assert review.world.ports.store.deliveries == {}


async def test_expiry_spares_recent_and_decided_suggestions(review: Review) -> None:
    old = await review.made(url="https://example.com/old")
    review.world.clock.advance(timedelta(days=10))
    recent = await review.made(url="https://example.com/recent")
    review.world.clock.advance(timedelta(days=5))
    assert await review.service.expire_stale() == 1
    assert (await review.stored(old.id)).status is SuggestionStatus.EXPIRED
    assert (await review.stored(recent.id)).status is SuggestionStatus.PENDING
    assert await review.service.expire_stale() == 0


async def test_edit_prefills_the_post_form_and_approves_on_submit(review: Review) -> None:
    await review.world.join(1, topics=("careers",))
    made = await review.made()
    form = await review.service.edit_form(CURATOR, made.id, "en")
    assert (form.suggestion_id, form.initial_url, form.initial_title) == (
        made.id,
        URL,
        "A great read",
    )
    draft = await review.world.services.publishing.validate(
        CURATOR, RawPost(url=URL, title="Edited", topics=("careers",), texts=("Read this",))
    )
    outcome = await review.service.approve_edited(CURATOR, made.id, draft, name="Cu")
    assert outcome.content.title == "Edited" and outcome.content.topics == ("careers",)
    assert outcome.published is not None and outcome.published.deliveries_created == 1
    stored = await review.stored(made.id)
    assert stored.status is SuggestionStatus.APPROVED and stored.content_id == outcome.content.id
    assert [n.key for _, n, _ in review.slack.notices] == ["suggest_approved_you"]


async def test_trusted_contributors_are_auto_approved(world: World) -> None:
    world.fetcher.page = PageMetadata("Page", "Summary", None)
    review = build(world, auto_after=2)
    await world.join(1)
    for n in range(2):
        made = await review.made(url=f"https://example.com/{n}")
        await review.service.approve(CURATOR, made.id)
    assert len(review.slack.posted) == 2
    third = await review.suggest(url="https://example.com/third")
    assert third.notice.key == "suggest_auto_approved"
    assert third.suggestion is not None
    assert third.suggestion.status is SuggestionStatus.APPROVED and third.suggestion.auto_approved
    content = await review.content(third.suggestion.content_id)
    assert content.status is ContentStatus.PUBLISHED
    (_, card) = review.slack.posted[-1]
    assert card.auto_approved and card.status == "approved" and card.previous_approvals == 2
    # Someone else is still reviewed.
    other = await review.suggest(who=person(2), url="https://example.com/other")
    assert other.notice.key == "suggest_thanks"


async def test_auto_approval_off_with_zero(world: World) -> None:
    review = build(world, auto_after=0)
    for n in range(3):
        made = await review.made(url=f"https://example.com/{n}")
        await review.service.approve(CURATOR, made.id)
    assert (await review.suggest(url="https://example.com/x")).notice.key == "suggest_thanks"


def item(n: int, *, age_days: float = 0) -> FeedItem:
    return FeedItem(
        key=f"guid-{n}",
        url=f"https://blog.example.com/{n}",
        title=f"Post {n}",
        summary=f"Summary {n}",
        published_at=NOW - timedelta(days=age_days),
    )


async def test_feeds_first_poll_is_capped_then_only_new_items(world: World) -> None:
    feed = FeedSource(url=FEED_URL, name="Blog", topics=("engineering",))
    review = build(world, feeds=(feed,))
    review.feeds.answers[FEED_URL] = FeedFetchResult(
        items=(item(5), item(4, age_days=1), item(3, age_days=2), item(2, age_days=30)),
        state=FeedState(etag='"v1"'),
    )
    assert await review.service.poll_feeds() == 2  # first poll: at most 2, of the last 7 days
    cards = [v for _, v in review.slack.posted]
    assert [c.title for c in cards] == ["Post 5", "Post 4"]
    assert all(c.source == "feed" and c.feed_name == "Blog" for c in cards)
    assert review.feeds.states == [FeedState()]
    # Nothing twice; the old items were only marked seen.
    assert await review.service.poll_feeds() == 0
    assert review.feeds.states[-1] == FeedState(etag='"v1"', polled=True)
    review.feeds.answers[FEED_URL] = FeedFetchResult(
        items=(item(6), item(5), item(4), item(3), item(2)), state=FeedState(etag='"v2"')
    )
    assert await review.service.poll_feeds() == 1
    assert review.slack.posted[-1][1].title == "Post 6"
    # Approving a feed item publishes it to its feed's topics.
    pending = review.slack.posted[-1][1]
    approved = await review.service.approve(CURATOR, pending.suggestion_id)
    content = await review.content(approved.content_id)
    assert content.topics == ("engineering",) and content.audience is Audience.INTERESTED
    assert review.slack.notices == []  # nobody to tell


async def test_a_dead_feed_is_logged_and_retried(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    review = build(world, feeds=(FeedSource(url=FEED_URL, name="Blog"),))
    assert await review.service.poll_feeds() == 0
    assert "could not be read" in caplog.text
    assert (await review.store.feed_state(FEED_URL)).polled is False  # still a first poll
    review.feeds.answers[FEED_URL] = FeedFetchResult(items=(item(1),))
    assert await review.service.poll_feeds() == 1


async def test_a_burst_of_new_items_is_capped_per_poll(world: World) -> None:
    review = build(world, feeds=(FeedSource(url=FEED_URL, name="Blog"),))
    review.feeds.answers[FEED_URL] = FeedFetchResult(items=(item(1),))
    assert await review.service.poll_feeds() == 1
    review.feeds.answers[FEED_URL] = FeedFetchResult(items=tuple(item(n) for n in range(9, 1, -1)))
    assert await review.service.poll_feeds() == 3  # max_new_per_poll
    assert await review.service.poll_feeds() == 0  # the rest of the burst was marked seen


async def test_a_failed_approval_can_be_tried_again(review: Review) -> None:
    made = await review.made()
    contents = review.world.ports.contents
    real_publish = contents.publish

    async def broken(**_: object) -> PublishResult:
        raise ConnectionError("database went away")

    contents.publish = broken  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await review.service.approve(CURATOR, made.id)
    assert (await review.stored(made.id)).status is SuggestionStatus.PENDING
    contents.publish = real_publish  # type: ignore[method-assign]
    approved = await review.service.approve(CURATOR, made.id)
    assert approved.status is SuggestionStatus.APPROVED and approved.content_id is not None


async def test_approvals_and_rejections_are_audited(review: Review) -> None:
    first = await review.made()
    second = await review.made(url="https://example.com/other")
    await review.service.approve(CURATOR, first.id, name="Cu Rator")
    await review.service.reject(CURATOR, second.id, "Not public yet", name="Cu Rator")
    entries = [e for e in review.world.ports.audit.entries if e.action.startswith("suggestion")]
    assert [(e.action, e.target, e.actor_name) for e in entries] == [
        (AuditAction.SUGGESTION_APPROVED, f"suggestion:{first.id}", "Cu Rator"),
        (AuditAction.SUGGESTION_REJECTED, f"suggestion:{second.id}", "Cu Rator"),
    ]
    assert entries[0].details["content_id"] is not None
    assert entries[1].details["reason"] == "Not public yet"


async def test_a_blocked_keyword_stops_approval_and_auto_approval(world: World) -> None:
    programme = make_programme(blocked_keywords=("confidential",))
    services = wire_domain(
        world.ports, world.gateways, programme, world.clock, world.sleep, fetcher=world.fetcher
    )
    strict = replace(world, programme=programme, services=services)
    world.fetcher.page = PageMetadata("Fine page", "Summary", None)
    review = build(strict, auto_after=1)
    first = await review.made(url="https://example.com/1")
    await review.service.approve(CURATOR, first.id)
    # A trusted contributor's page with a blocked keyword goes to review, not out.
    world.fetcher.page = PageMetadata("Our CONFIDENTIAL plan", "Summary", None)
    second = await review.suggest(url="https://example.com/2")
    assert second.notice.key == "suggest_thanks"
    assert second.suggestion is not None
    assert second.suggestion.status is SuggestionStatus.PENDING
    # A curator's Approve is refused naming the keyword; the suggestion waits (Edit can fix it).
    with pytest.raises(InvalidInput) as refused:
        await review.service.approve(CURATOR, second.suggestion.id)
    assert refused.value.notice.key == "blocked_keyword"
    assert refused.value.notice.params["keyword"] == "confidential"
    assert (await review.stored(second.suggestion.id)).status is SuggestionStatus.PENDING
