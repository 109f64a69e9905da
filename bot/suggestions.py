"""Employee suggestions and feed items, reviewed by curators in a review channel.

Anyone suggests a link (``/advocacy suggest <url> [why]``); a card lands in the review
channel of each platform with Approve / Edit / Reject. Approve publishes it at once (the
feed's topics, else to everyone: Edit is the way to choose topics and texts); Edit opens the
post form filled in; Reject asks for a reason the suggester then reads. A suggestion leaves
``pending`` once (a conditional update in the store), so double clicks and two curators
racing decide it once, and an expired or rejected suggestion is never published.

Every curator check goes through :meth:`SuggestionService.require_curator`, which asks the
injected ``is_curator`` function (the role service's: config, groups and grants).
Approvals and rejections are recorded in the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.content import shorten, validate_url
from bot.errors import AdvocacyError, GatewayError, InvalidInput, NotACurator
from bot.model import (
    Audience,
    AuditAction,
    ContentDraft,
    FeedItem,
    InteractionKind,
    NewSuggestion,
    PageMetadata,
    Platform,
    PlatformUser,
    ReviewMessage,
    Suggestion,
    SuggestionId,
    SuggestionSource,
    SuggestionStatus,
)
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    Clock,
    ContentRepository,
    FeedFetcher,
    PageMetadataFetcher,
    SuggestionGateway,
    SuggestionRepository,
)
from bot.programme import Programme
from bot.publishing import PublishingService, SubmitOutcome
from bot.roles import AuditTrail
from bot.texts import check_blocked
from bot.views import Notice, PostForm, RejectForm, ReviewCardView, TopicChoice

logger = logging.getLogger(__name__)

IsCurator = Callable[[PlatformUser], Awaitable[bool]]


class SuggestionNotFound(AdvocacyError):
    """No suggestion with that id."""

    notice_key = "suggest_not_found"


class SuggestionDecided(AdvocacyError):
    """The suggestion was approved, rejected or expired already."""

    notice_key = "suggest_already_decided"


class NotACuratorForReview(NotACurator):
    """Only curators review suggestions."""

    notice_key = "suggest_not_curator"


@dataclass(frozen=True)
class ReviewSettings:
    """config.yaml ``review:`` and the bounds of what people type."""

    channels: Mapping[Platform, str]  # platform -> review channel id
    auto_approve_after: int = 3  # approvals after which a person is trusted; 0: never
    expire_after: timedelta = timedelta(days=14)
    max_why: int = 500
    max_reason: int = 500


@dataclass(frozen=True)
class FeedSource:
    """One RSS / Atom feed of config.yaml ``feeds:``."""

    url: str
    name: str
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedSettings:
    """config.yaml ``feeds:`` and how much a poll may bring in."""

    feeds: tuple[FeedSource, ...] = ()
    first_poll_days: int = 7  # on a feed's first poll, only items of the last N days ...
    first_poll_max: int = 3  # ... and at most M of them, so adding a feed does not flood
    max_new_per_poll: int = 10  # later polls: at most this many new items per feed (the rest
    # of a burst is marked seen, not suggested)


@dataclass(frozen=True)
class SuggestOutcome:
    """What ``suggest`` did: the person's notice, and the suggestion when one was stored."""

    notice: Notice
    suggestion: Suggestion | None = None


class SuggestionService:
    """Use cases of suggestions: suggest, approve, edit, reject, expire, poll feeds."""

    def __init__(
        self,
        *,
        suggestions: SuggestionRepository,
        contents: ContentRepository,
        ambassadors: AmbassadorRepository,
        ledger: ActivityLedger,
        publishing: PublishingService,
        fetcher: PageMetadataFetcher,
        gateways: Mapping[Platform, SuggestionGateway],
        programme: Programme,
        clock: Clock,
        settings: ReviewSettings,
        feeds: FeedSettings | None = None,
        feed_fetcher: FeedFetcher | None = None,
        is_curator: IsCurator,
        audit: AuditTrail,
        on_approved: Callable[[PlatformUser], Awaitable[object]] | None = None,
    ) -> None:
        self._on_approved = on_approved  # the first-suggestion badge (issue 6)
        self._suggestions = suggestions
        self._contents = contents
        self._ambassadors = ambassadors
        self._ledger = ledger
        self._publishing = publishing
        self._fetcher = fetcher
        self._gateways = gateways
        self._programme = programme
        self._clock = clock
        self.settings = settings
        self._feeds = feeds or FeedSettings()
        self._feed_fetcher = feed_fetcher
        self._is_curator = is_curator
        self._audit = audit
        self._points = programme.points.approved_suggestion

    # ---- the one curator check --------------------------------------------------------

    async def require_curator(self, user: PlatformUser) -> None:
        """Refuse politely unless the person may review suggestions."""
        if not await self._is_curator(user):
            raise NotACuratorForReview(user.user_id)

    # ---- suggest ------------------------------------------------------------------------

    async def suggest(
        self, user: PlatformUser, url: str, why: str | None, *, locale: str, name: str | None
    ) -> SuggestOutcome:
        """Anyone suggests a link: checked, read from the page, stored, sent for review (or
        published at once when the person is a trusted contributor)."""
        url = validate_url(url, limit=self._programme.limits.url)
        why = (why or "").strip() or None
        if why is not None and len(why) > self.settings.max_why:
            raise InvalidInput(
                "suggest_why_too_long", field="why", limit=self.settings.max_why, length=len(why)
            )
        known = await self._suggestions.url_status(url)
        if known is not None:
            return SuggestOutcome(Notice(f"suggest_already_{known}", {"url": url}))
        page = await self._fetcher.fetch(url)
        new = NewSuggestion(
            source=SuggestionSource.EMPLOYEE,
            url=url,
            title=self._title(page.title, url),
            summary=shorten(page.summary or "", self._programme.limits.summary)[0],
            why=why,
            suggester=user,
            suggester_locale=locale,
            suggester_name=(name or "")[:200] or None,
            image_url=page.image_url
            if page.image_url and len(page.image_url) <= self._programme.limits.url
            else None,
        )
        suggestion = await self._suggestions.add(new, now=self._clock.now())
        if suggestion is None:  # someone suggested it a moment ago
            return SuggestOutcome(Notice("suggest_already_suggested", {"url": url}))
        threshold = self.settings.auto_approve_after
        if (
            threshold > 0
            and not self._blocked(suggestion)  # a blocked keyword: a curator decides
            and await self._suggestions.approved_count(user) >= threshold
        ):
            approved = await self._approve(suggestion, reviewer=None, name=None, auto=True)
            if approved is not None:
                return SuggestOutcome(
                    Notice("suggest_auto_approved", {"title": approved.title, "url": url}),
                    approved,
                )
        await self._post_cards(suggestion)
        return SuggestOutcome(Notice("suggest_thanks", {"url": url}), suggestion)

    def _title(self, title: str | None, url: str) -> str:
        return shorten(title or url, self._programme.limits.title)[0]

    # ---- review ---------------------------------------------------------------------------

    async def approve(
        self, curator: PlatformUser, suggestion_id: int, *, name: str | None = None
    ) -> Suggestion:
        """Approve: the suggestion becomes content and is published at once, with the feed's
        topics (else to everyone); the suggester is credited, awarded points and told.

        Raises:
            NotACuratorForReview: the person is not a curator.
            SuggestionNotFound: unknown id.
            SuggestionDecided: approved, rejected or expired already (the cards are redrawn).
        """
        await self.require_curator(curator)
        suggestion = await self._get(suggestion_id)
        approved = await self._approve(suggestion, reviewer=curator, name=name, auto=False)
        if approved is None:
            await self._already_decided(suggestion.id)
        assert approved is not None  # noqa: S101 - _already_decided raises
        await self._audited(curator, AuditAction.SUGGESTION_APPROVED, approved, name=name)
        return approved

    async def edit_form(self, curator: PlatformUser, suggestion_id: int, locale: str) -> PostForm:
        """Edit: the post form, filled in with the suggestion (its id travels with it)."""
        await self.require_curator(curator)
        suggestion = await self._pending(suggestion_id)
        form = await self._publishing.post_form(curator, locale)
        topics = tuple(TopicChoice(c.id, c.label, c.id in suggestion.topics) for c in form.topics)
        return replace(
            form,
            topics=topics,
            suggestion_id=int(suggestion.id),
            initial_url=suggestion.url,
            initial_title=suggestion.title,
            initial_summary=suggestion.summary,
        )

    async def approve_edited(
        self,
        curator: PlatformUser,
        suggestion_id: int,
        draft: ContentDraft,
        *,
        name: str | None = None,
    ) -> SubmitOutcome:
        """The filled-in post form was submitted: the suggestion is approved (once) and the
        curator's version becomes content, published as the form says."""
        await self.require_curator(curator)
        suggestion = await self._get(suggestion_id)
        decided = await self._suggestions.decide(
            suggestion_id=suggestion.id,
            status=SuggestionStatus.APPROVED,
            reviewer=curator,
            reviewer_name=name,
            reason=None,
            now=self._clock.now(),
        )
        if decided is None:
            await self._already_decided(suggestion.id)
        assert decided is not None  # noqa: S101
        try:
            outcome = await self._publishing.submit(curator, draft)
        except Exception:
            await self._reopen(decided.id)
            raise
        decided = await self._suggestions.attach_content(
            suggestion_id=decided.id, content_id=outcome.content.id
        )
        await self._credit(decided)
        await self._update_cards(decided)
        await self._audited(
            curator, AuditAction.SUGGESTION_APPROVED, decided, name=name, edited=True
        )
        return outcome

    async def reject_form(
        self, curator: PlatformUser, suggestion_id: int, locale: str
    ) -> RejectForm:
        """Reject: first the form asking for the reason."""
        await self.require_curator(curator)
        suggestion = await self._pending(suggestion_id)
        return RejectForm(
            locale=locale,
            suggestion_id=int(suggestion.id),
            title=suggestion.title,
            max_reason=self.settings.max_reason,
        )

    def validate_reason(self, reason: str | None) -> str:
        """The rejection reason: required, within bounds (fast, for forms' inline errors)."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("suggest_reason_missing", field="reason")
        if len(reason) > self.settings.max_reason:
            raise InvalidInput(
                "suggest_reason_too_long",
                field="reason",
                limit=self.settings.max_reason,
                length=len(reason),
            )
        return reason

    async def reject(
        self,
        curator: PlatformUser,
        suggestion_id: int,
        reason: str | None,
        *,
        name: str | None = None,
    ) -> Suggestion:
        """Reject with a reason: the suggester is told politely, in their language."""
        await self.require_curator(curator)
        reason = self.validate_reason(reason)
        suggestion = await self._get(suggestion_id)
        decided = await self._suggestions.decide(
            suggestion_id=suggestion.id,
            status=SuggestionStatus.REJECTED,
            reviewer=curator,
            reviewer_name=name,
            reason=reason,
            now=self._clock.now(),
        )
        if decided is None:
            await self._already_decided(suggestion.id)
        assert decided is not None  # noqa: S101
        if decided.suggester is not None:
            await self._notify(
                decided.suggester,
                Notice(
                    "suggest_rejected_you",
                    {"title": decided.title, "url": decided.url, "reason": reason},
                ),
                decided.suggester_locale,
            )
        await self._update_cards(decided)
        await self._audited(
            curator, AuditAction.SUGGESTION_REJECTED, decided, name=name, reason=reason
        )
        return decided

    async def _audited(
        self,
        curator: PlatformUser,
        action: AuditAction,
        suggestion: Suggestion,
        *,
        name: str | None,
        **details: str | int | bool | None,
    ) -> None:
        await self._audit.record(
            curator,
            action,
            target=f"suggestion:{suggestion.id}",
            actor_name=name,
            details={
                "title": suggestion.title,
                "content_id": suggestion.content_id,
                **details,
            },
        )

    # ---- scheduled work ---------------------------------------------------------------------

    async def expire_stale(self, *, batch: int = 200) -> int:
        """Mark pending suggestions older than ``expire_after`` expired and redraw their
        cards (their buttons go). Returns how many expired."""
        now = self._clock.now()
        expired = 0
        for suggestion in await self._suggestions.pending_before(
            before=now - self.settings.expire_after, limit=batch
        ):
            decided = await self._suggestions.decide(
                suggestion_id=suggestion.id,
                status=SuggestionStatus.EXPIRED,
                reviewer=None,
                reviewer_name=None,
                reason=None,
                now=now,
            )
            if decided is not None:
                expired += 1
                await self._update_cards(decided)
        if expired:
            logger.info("%d suggestion(s) expired unreviewed", expired)
        return expired

    async def poll_feeds(self) -> int:
        """Fetch every configured feed; each new item becomes a pending suggestion in the
        review channel (once per feed and item, across replicas and restarts). A feed that
        cannot be read is logged and tried again next time. Returns the suggestions made."""
        if self._feed_fetcher is None:
            return 0
        made = 0
        for feed in self._feeds.feeds:
            try:
                made += await self._poll(feed)
            except Exception:  # one broken feed never stops the others
                logger.exception("polling the feed %s failed", feed.name)
        return made

    async def _poll(self, feed: FeedSource) -> int:
        assert self._feed_fetcher is not None  # noqa: S101
        state = await self._suggestions.feed_state(feed.url)
        result = await self._feed_fetcher.fetch_feed(feed.url, state)
        if result.error is not None:
            logger.warning(
                "feed %s could not be read (%s); retrying next poll", feed.name, result.error
            )
            return 0
        now = self._clock.now()
        first = not state.polled
        fresh, seen = self._choose(result.items, first=first)
        made = 0
        for item in seen:
            await self._suggestions.add_feed_item(feed_url=feed.url, item=item, new=None, now=now)
        for item in fresh:
            if made >= self._feeds.max_new_per_poll:
                # A burst of new items: the rest are marked seen rather than flood the channel.
                await self._suggestions.add_feed_item(
                    feed_url=feed.url, item=item, new=None, now=now
                )
                continue
            try:
                url = validate_url(item.url, limit=self._programme.limits.url)
            except InvalidInput:
                await self._suggestions.add_feed_item(
                    feed_url=feed.url, item=item, new=None, now=now
                )
                continue
            new = NewSuggestion(
                source=SuggestionSource.FEED,
                url=url,
                title=self._title(item.title, url),
                summary=shorten(item.summary, self._programme.limits.summary)[0],
                feed_name=feed.name,
                topics=feed.topics,
                suggester_locale=self._programme.default_locale,
            )
            created = await self._suggestions.add_feed_item(
                feed_url=feed.url, item=item, new=new, now=now
            )
            if created is not None:
                made += 1
                await self._post_cards(created)
        await self._suggestions.save_feed_state(feed.url, result.state, now=now)
        if made:
            logger.info("feed %s: %d new item(s) sent for review", feed.name, made)
        return made

    def _choose(
        self, items: Sequence[FeedItem], *, first: bool
    ) -> tuple[list[FeedItem], list[FeedItem]]:
        """Which items to suggest now, and which only to mark seen (a first poll's old ones)."""
        if not first:
            return list(items), []
        since = self._clock.now() - timedelta(days=self._feeds.first_poll_days)
        recent = [i for i in items if i.published_at is None or i.published_at >= since]
        fresh = recent[: self._feeds.first_poll_max]
        return fresh, [i for i in items if i not in fresh]

    # ---- helpers ----------------------------------------------------------------------------

    async def _get(self, suggestion_id: int) -> Suggestion:
        if suggestion_id <= 0 or suggestion_id >= 2**63:
            raise SuggestionNotFound(str(suggestion_id))
        suggestion = await self._suggestions.get(SuggestionId(suggestion_id))
        if suggestion is None:
            raise SuggestionNotFound(str(suggestion_id))
        return suggestion

    async def _pending(self, suggestion_id: int) -> Suggestion:
        suggestion = await self._get(suggestion_id)
        if suggestion.status is not SuggestionStatus.PENDING:
            await self._already_decided(suggestion.id)
        return suggestion

    async def _already_decided(self, suggestion_id: SuggestionId) -> None:
        current = await self._suggestions.get(suggestion_id)
        if current is not None:
            await self._update_cards(current)  # a stale card shows what really happened
        raise SuggestionDecided(
            str(suggestion_id),
            status=current.status.value if current else "",
            title=current.title if current else "",
        )

    def _blocked(self, suggestion: Suggestion) -> bool:
        try:
            self._check_blocked(suggestion)
        except InvalidInput:
            return True
        return False

    def _check_blocked(self, suggestion: Suggestion) -> None:
        """The page's title and summary obey the blocked keywords like a curator's post (Edit
        goes through the post form, which checks everything it holds)."""
        check_blocked(
            [("title", suggestion.title), ("summary", suggestion.summary)], self._programme
        )

    async def _approve(
        self, suggestion: Suggestion, *, reviewer: PlatformUser | None, name: str | None, auto: bool
    ) -> Suggestion | None:
        self._check_blocked(suggestion)  # refused before anything is decided
        now = self._clock.now()
        decided = await self._suggestions.decide(
            suggestion_id=suggestion.id,
            status=SuggestionStatus.APPROVED,
            reviewer=reviewer,
            reviewer_name=name,
            reason=None,
            now=now,
            auto_approved=auto,
        )
        if decided is None:
            return None
        draft = ContentDraft(
            url=decided.url,
            title=decided.title,
            summary=decided.summary or None,
            image_url=decided.image_url,
            topics=decided.topics,
            texts=(),
            hashtags=(),
            audience=Audience.INTERESTED if decided.topics else Audience.EVERYONE,
            publish_now=True,
        )
        creator = reviewer or decided.suggester
        assert creator is not None  # noqa: S101 - feeds are never auto-approved
        try:
            content = await self._contents.create(
                draft=draft,
                page=PageMetadata(decided.title, decided.summary or None, decided.image_url),
                created_by=creator,
                now=now,
            )
            await self._contents.publish(content_id=content.id, now=now)
        except Exception:
            await self._reopen(decided.id)
            raise
        decided = await self._suggestions.attach_content(
            suggestion_id=decided.id, content_id=content.id
        )
        await self._credit(decided)
        if auto:
            await self._post_cards(decided)  # the channel is told it went out
        else:
            await self._update_cards(decided)
        return decided

    async def _reopen(self, suggestion_id: SuggestionId) -> None:
        """The content could not be made: the approval is undone so it can be tried again
        (a second failure here is logged; the suggestion then stays approved, unlinked)."""
        try:
            await self._suggestions.reopen(suggestion_id)
        except Exception:
            logger.exception(
                "could not reopen suggestion %d after a failed approval", suggestion_id
            )

    async def _credit(self, suggestion: Suggestion) -> None:
        """Points (once per suggestion) for an ambassador suggester, and the good news."""
        user = suggestion.suggester
        if user is None:
            return
        ambassador = await self._ambassadors.get_by_user(user)
        points = 0
        if ambassador is not None and ambassador.is_active and self._points > 0:
            outcome = await self._ledger.record(
                dedupe_key=f"suggestion:{suggestion.id}",
                ambassador_id=ambassador.id,
                content_id=suggestion.content_id,
                delivery_id=None,
                kind=InteractionKind.APPROVED_SUGGESTION,
                network=None,
                points=self._points,
                now=self._clock.now(),
            )
            points = outcome.points_awarded
        await self._notify(
            user,
            Notice(
                "suggest_approved_you",
                {
                    "title": suggestion.title,
                    "url": suggestion.url,
                    "points": points,
                    "ambassador": ambassador is not None and ambassador.is_active,
                    "auto": suggestion.auto_approved,
                },
            ),
            suggestion.suggester_locale,
        )
        if self._on_approved is not None and ambassador is not None and ambassador.is_active:
            try:
                await self._on_approved(user)
            except Exception:
                # A badge must never undo an approval: logged, and the approval stands.
                logger.exception("could not check the badges of suggestion %d", suggestion.id)

    async def _notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        gateway = self._gateways.get(user.platform)
        if gateway is None:
            return
        try:
            await gateway.notify(user, notice, locale)
        except GatewayError:
            logger.warning("could not tell a suggester about %s", notice.key)

    async def card_view(self, suggestion: Suggestion, platform: Platform) -> ReviewCardView:
        """The review card of a suggestion as curators of ``platform`` see it."""
        previous = 0
        if suggestion.auto_approved and suggestion.suggester is not None:
            previous = max(0, await self._suggestions.approved_count(suggestion.suggester) - 1)
        return ReviewCardView(
            locale=self._programme.default_locale,
            suggestion_id=int(suggestion.id),
            url=suggestion.url,
            title=suggestion.title,
            summary=suggestion.summary,
            why=suggestion.why,
            source=suggestion.source.value,
            status=suggestion.status.value,
            suggester_id=suggestion.suggester.user_id if suggestion.suggester else None,
            suggester_name=suggestion.suggester_name,
            feed_name=suggestion.feed_name,
            reviewer_id=suggestion.reviewer.user_id if suggestion.reviewer else None,
            reviewer_name=suggestion.reviewer_name,
            reason=suggestion.reason,
            content_id=int(suggestion.content_id) if suggestion.content_id else None,
            auto_approved=suggestion.auto_approved,
            previous_approvals=previous,
            same_platform=suggestion.suggester is not None
            and suggestion.suggester.platform is platform,
            topics=suggestion.topics,
        )

    async def _post_cards(self, suggestion: Suggestion) -> None:
        for platform, channel in self.settings.channels.items():
            gateway = self._gateways.get(platform)
            if gateway is None or not channel:
                continue
            try:
                message = await gateway.post_review(
                    channel, await self.card_view(suggestion, platform)
                )
            except GatewayError:
                logger.warning(
                    "could not post suggestion %d to the %s review channel",
                    suggestion.id,
                    platform.value,
                )
                continue
            await self._suggestions.add_review_message(
                suggestion_id=suggestion.id, message=ReviewMessage(platform, message)
            )

    async def _update_cards(self, suggestion: Suggestion) -> None:
        current = await self._suggestions.get(suggestion.id) or suggestion
        for posted in current.review_messages:
            gateway = self._gateways.get(posted.platform)
            if gateway is None:
                continue
            try:
                await gateway.update_review(
                    posted.message, await self.card_view(current, posted.platform)
                )
            except GatewayError:
                logger.warning("could not update the review card of suggestion %d", current.id)
