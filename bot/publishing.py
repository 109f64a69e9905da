"""Curators push content: validate, fill from the page, store, publish."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.commands import PostInline
from bot.content import (
    RawPost,
    check_schedule,
    fill_from_page,
    parse_local_datetime,
    validate_post,
)
from bot.errors import ContentNotFound
from bot.model import (
    Audience,
    AuditAction,
    Content,
    ContentDraft,
    ContentId,
    ContentStatus,
    PageMetadata,
    PlatformUser,
    PublishResult,
    ShareText,
)
from bot.ports import Clock, ContentRepository, PageMetadataFetcher
from bot.programme import SUPPORTED_LOCALES, Programme
from bot.roles import AuditTrail, RoleService
from bot.texts import XOverflow, check_blocked, numbered_texts, translations_of, x_overflows
from bot.views import ContentListItem, ContentListView, Notice, PostForm, TopicChoice


@dataclass(frozen=True)
class SubmitOutcome:
    """What a curator's submission became."""

    content: Content
    published: PublishResult | None
    shortened: tuple[str, ...]  # fields cut to fit ("title", "summary")
    page_read: bool  # whether the page's metadata could be fetched
    x_overflows: tuple[XOverflow, ...] = ()  # variants X will cut (posted all the same)


class PublishingService:
    """Use cases of curators pushing content."""

    def __init__(
        self,
        *,
        contents: ContentRepository,
        fetcher: PageMetadataFetcher,
        programme: Programme,
        clock: Clock,
        roles: RoleService,
        audit: AuditTrail,
    ) -> None:
        self._contents = contents
        self._fetcher = fetcher
        self._programme = programme
        self._clock = clock
        self._roles = roles
        self._audit = audit

    async def require_curator(self, user: PlatformUser) -> None:
        """Refuse politely unless the person is a curator (or an admin)."""
        await self._roles.require_curator(user)

    async def post_form(self, user: PlatformUser, locale: str) -> PostForm:
        """The form to push content."""
        await self.require_curator(user)
        limits = self._programme.limits
        return PostForm(
            locale=locale,
            topics=tuple(TopicChoice(t.id, t.label(locale)) for t in self._programme.topics),
            max_texts=limits.texts,
            limits=limits.as_dict(),
            networks=self._programme.networks,
            languages=SUPPORTED_LOCALES,
            translate_to=tuple(
                lang for lang in SUPPORTED_LOCALES if lang != self._programme.default_locale
            ),
        )

    async def validate(self, user: PlatformUser, raw: RawPost) -> ContentDraft:
        """Check a submission; fast (the rights check is cached), so forms can show errors
        inline."""
        await self.require_curator(user)
        draft = validate_post(raw, self._programme)
        numbered = numbered_texts(raw, self._programme)
        translations = translations_of(raw, self._programme)
        draft = replace(
            draft,
            share_texts=tuple(text for _, text in numbered),
            translations=translations,
        )
        check_blocked(
            [
                ("title", draft.title),
                ("summary", draft.summary),
                *((f"title_{t.language}", t.title) for t in translations),
                *((f"summary_{t.language}", t.summary) for t in translations),
                *((f"text_{i}", t.text) for i, t in numbered),
                ("hashtags", " ".join(draft.hashtags)),
            ],
            self._programme,
        )
        check_schedule(draft, self._clock.now())
        return draft

    async def submit(self, user: PlatformUser, draft: ContentDraft) -> SubmitOutcome:
        """Fill missing fields from the page, store the content and publish it if asked."""
        await self.require_curator(user)
        page = PageMetadata()
        if not (draft.title and draft.summary and draft.image_url):
            page = await self._fetcher.fetch(draft.url)
        page_read = page != PageMetadata()
        filled = fill_from_page(draft, page, self._programme)
        # The page's own title and summary obey the same rules as the curator's.
        check_blocked([("title", filled.title), ("summary", filled.summary)], self._programme)
        overflows = x_overflows(
            _numbered(draft), title=filled.title, hashtags=draft.hashtags, programme=self._programme
        )
        content = await self._contents.create(
            draft=draft,
            page=PageMetadata(filled.title, filled.summary, filled.image_url),
            created_by=user,
            now=self._clock.now(),
        )
        published = None
        if draft.publish_at is not None and draft.publish_at > self._clock.now():
            await self._record(user, AuditAction.CONTENT_SCHEDULED, content)
            return SubmitOutcome(content, None, filled.shortened, page_read, overflows)
        if draft.publish_now or draft.publish_at is not None:
            published = await self._contents.publish(content_id=content.id, now=self._clock.now())
            content = published.content
            await self._record(
                user, AuditAction.CONTENT_PUBLISHED, content, published.deliveries_created
            )
        else:
            await self._record(user, AuditAction.CONTENT_DRAFT_SAVED, content)
        return SubmitOutcome(content, published, filled.shortened, page_read, overflows)

    async def _record(
        self, user: PlatformUser, action: AuditAction, content: Content, deliveries: int = 0
    ) -> None:
        details: dict[str, str | int | bool | None] = {"title": content.title[:150]}
        if action in (AuditAction.CONTENT_PUBLISHED, AuditAction.DRAFT_PUBLISHED):
            details["deliveries"] = deliveries
        await self._audit.record(user, action, target=f"content:{content.id}", details=details)

    async def publish(self, user: PlatformUser, content_id: int) -> PublishResult:
        """Publish a stored draft (publishing twice sends nothing twice)."""
        await self.require_curator(user)
        if await self._contents.get(ContentId(content_id)) is None:
            raise ContentNotFound(str(content_id), content_id=content_id)
        result = await self._contents.publish(
            content_id=ContentId(content_id), now=self._clock.now()
        )
        if not result.already_published:
            await self._record(
                user, AuditAction.DRAFT_PUBLISHED, result.content, result.deliveries_created
            )
        return result

    async def list_recent(
        self, user: PlatformUser, locale: str, *, limit: int = 10
    ) -> ContentListView:
        """Recent content with its status."""
        await self.require_curator(user)
        items = await self._contents.list_recent(limit=limit)
        return ContentListView(
            locale=locale,
            items=tuple(
                ContentListItem(c.id, c.title, c.url, c.status.value, c.topics) for c in items
            ),
        )


def saved_notice(outcome: SubmitOutcome, zone: ZoneInfo) -> Notice:
    """What a curator reads after submitting a post: saved, scheduled or published."""
    publish_at = outcome.content.publish_at
    when = (
        f"{publish_at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
        if publish_at and outcome.content.status is ContentStatus.SCHEDULED
        else None
    )
    params: dict[str, object] = {
        "title": outcome.content.title,
        "content_id": outcome.content.id,
        "status": outcome.content.status.value,
        "deliveries": outcome.published.deliveries_created if outcome.published else 0,
        "shortened": list(outcome.shortened),
        "page_read": outcome.page_read,
        "when": when,
    }
    if outcome.x_overflows:
        # The same notice, and which variants X will cut and by how much.
        params["x_over"] = [{"number": o.index, "over": o.over} for o in outcome.x_overflows]
        return Notice("content_saved_x", params)
    return Notice("content_saved", params)


def raw_post_of(command: PostInline, zone: ZoneInfo) -> RawPost:
    """The one-line post (``post <url> #topic text``) as the post form's fields; dates are
    read in the programme's time zone."""
    return RawPost(
        url=command.url,
        topics=command.topics,
        texts=[command.text] if command.text else [],
        text_languages=[command.lang] if command.text else [],
        text_networks=[command.network] if command.text else [],
        audience=Audience.EVERYONE if command.everyone else Audience.INTERESTED,
        publish_now=not command.draft,
        important=command.important,
        publish_at=parse_local_datetime(command.at, zone) if command.at else None,
        expires_at=parse_local_datetime(command.expires, zone) if command.expires else None,
    )


def published_notice(result: PublishResult) -> Notice:
    """What a curator reads after ``publish <id>``."""
    return Notice(
        "published",
        {
            "title": result.content.title,
            "content_id": result.content.id,
            "deliveries": result.deliveries_created,
            "already": result.already_published,
        },
    )


def _numbered(draft: ContentDraft) -> tuple[tuple[int, ShareText], ...]:
    """The draft's texts numbered 1..N (the form's numbers, empty ones aside)."""
    texts = draft.share_texts or tuple(ShareText(t) for t in draft.texts)
    return tuple(enumerate(texts, start=1))
