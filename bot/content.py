"""Validation of what curators submit, and the texts ambassadors are offered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.model import Audience, ContentDraft, PageMetadata
from bot.programme import Programme

_HASHTAG = re.compile(r"^#?[\w\-]+$", re.UNICODE)
ELLIPSIS = "…"


@dataclass(frozen=True)
class RawPost:
    """The fields of a post form as typed, before validation."""

    url: str | None
    title: str | None = None
    summary: str | None = None
    topics: Sequence[str] = ()
    texts: Sequence[str] = ()
    hashtags: str | None = None
    audience: Audience = Audience.INTERESTED
    publish_now: bool = True
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    important: bool = False
    # Per text (same order as ``texts``): its network and language, None or "" for any.
    text_networks: Sequence[str | None] = ()
    text_languages: Sequence[str | None] = ()
    # Title and summary in other languages: (language, title, summary), either may be empty.
    translations: Sequence[tuple[str, str | None, str | None]] = ()


def validate_url(url: str | None, *, limit: int) -> str:
    """Accept only absolute http(s) URLs with a host, within ``limit`` characters."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("url_missing", field="url")
    if len(url) > limit:
        raise InvalidInput("url_too_long", field="url", limit=limit)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 host such as https://[oops
        raise InvalidInput("url_not_http", field="url", url=url[:100]) from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise InvalidInput("url_not_http", field="url", url=url[:100])
    if any(ch.isspace() for ch in url):
        raise InvalidInput("url_not_http", field="url", url=url[:100])
    return url


def validate_post(raw: RawPost, programme: Programme) -> ContentDraft:
    """Check a curator's post against the programme's topics and limits.

    Raises:
        InvalidInput: naming the field and the limit, so the form can point at it.
    """
    limits = programme.limits
    url = validate_url(raw.url, limit=limits.url)
    title = _optional_text(raw.title, "title", limits.title)
    summary = _optional_text(raw.summary, "summary", limits.summary)
    topics: list[str] = []
    for wanted in raw.topics:
        topic = programme.topic(wanted)
        if topic is None:
            raise InvalidInput(
                "unknown_topic", field="topics", topic=wanted[:50], known=programme.topic_ids
            )
        if topic.id not in topics:
            topics.append(topic.id)
    if raw.audience is Audience.INTERESTED and not topics:
        raise InvalidInput("topics_missing", field="topics", known=programme.topic_ids)
    # Number texts as the form does (text 2 stays text 2 when text 1 is left empty).
    numbered = [(i, t.strip()) for i, t in enumerate(raw.texts, start=1) if t and t.strip()]
    if len(numbered) > limits.texts:
        raise InvalidInput("too_many_texts", field="texts", limit=limits.texts)
    for index, text in numbered:
        if len(text) > limits.text:
            raise InvalidInput(
                "text_too_long", field=f"text_{index}", limit=limits.text, length=len(text)
            )
    texts = [text for _, text in numbered]
    return ContentDraft(
        url=url,
        title=title,
        summary=summary,
        image_url=None,
        topics=tuple(topics),
        texts=tuple(texts),
        hashtags=parse_hashtags(raw.hashtags or "", programme),
        audience=raw.audience,
        publish_now=raw.publish_now,
        publish_at=raw.publish_at,
        expires_at=raw.expires_at,
        important=raw.important,
    )


def check_schedule(draft: ContentDraft, now: datetime) -> None:
    """A scheduled time lies ahead, and expiry comes after the content goes out."""
    grace = timedelta(minutes=1)  # the form took a moment to fill in
    if draft.publish_at is not None and draft.publish_at < now - grace:
        raise InvalidInput("publish_at_past", field="publish_at")
    goes_out = draft.publish_at or now
    if draft.expires_at is not None and draft.expires_at <= goes_out:
        raise InvalidInput("expires_before_publish", field="expires_at")


def parse_local_datetime(value: str, zone: ZoneInfo) -> datetime:
    """``2026-11-25T09:00`` (or with a space) in the programme's zone, as UTC.

    Raises:
        InvalidInput: the text is not a date and time.
    """
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidInput("bad_datetime", field="publish_at", value=value[:40]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_hashtags(raw: str, programme: Programme) -> tuple[str, ...]:
    """Split ``#a, b #c`` into ``("#a", "#b", "#c")``, checking each one."""
    limits = programme.limits
    tags: list[str] = []
    for word in re.split(r"[\s,]+", raw.strip()):
        if not word:
            continue
        if not _HASHTAG.match(word) or len(word) > limits.hashtag:
            raise InvalidInput("bad_hashtag", field="hashtags", hashtag=word[:60])
        tag = word if word.startswith("#") else f"#{word}"
        if tag.lower() not in (t.lower() for t in tags):
            tags.append(tag)
    if len(tags) > limits.hashtags:
        raise InvalidInput("too_many_hashtags", field="hashtags", limit=limits.hashtags)
    return tuple(tags)


def _optional_text(value: str | None, field: str, limit: int) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > limit:
        raise InvalidInput(f"{field}_too_long", field=field, limit=limit, length=len(value))
    return value


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """Cut ``text`` to ``limit`` characters on a word boundary; say whether it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + ELLIPSIS, True


@dataclass(frozen=True)
class FilledContent:
    """Title and summary after Open Graph filling, with what had to be cut."""

    title: str
    summary: str
    image_url: str | None
    shortened: tuple[str, ...]


def fill_from_page(draft: ContentDraft, page: PageMetadata, programme: Programme) -> FilledContent:
    """Fill the missing title, summary and image from the page, within the limits."""
    limits = programme.limits
    shortened: list[str] = []
    title_source = draft.title or page.title or _title_from_url(draft.url)
    title, cut = shorten(title_source, limits.title)
    if cut:
        shortened.append("title")
    summary, cut = shorten(draft.summary or page.summary or "", limits.summary)
    if cut:
        shortened.append("summary")
    image = draft.image_url or page.image_url
    if image and len(image) > limits.url:
        image = None
    return FilledContent(title=title, summary=summary, image_url=image, shortened=tuple(shortened))


def _title_from_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path if parts.path not in ('', '/') else ''}"


def suggested_text(
    texts: Sequence[str],
    *,
    variant: int,
    title: str,
    first_name: str,
    hashtags: Iterable[str],
    programme_hashtag: str | None,
) -> str:
    """The text offered to one ambassador: the variant chosen for them, placeholders filled,
    and the content's and programme's hashtags present exactly once."""
    base = texts[variant % len(texts)] if texts else title
    # str.replace, not str.format: a curator's braces must never reach format().
    text = base.replace("{first_name}", first_name).replace("{title}", title)
    wanted = [*hashtags, *([programme_hashtag] if programme_hashtag else [])]
    missing: list[str] = []
    for tag in wanted:
        already = has_hashtag(text, tag) or any(t.lower() == tag.lower() for t in missing)
        if not already:
            missing.append(tag)
    return f"{text} {' '.join(missing)}".strip() if missing else text


def has_hashtag(text: str, tag: str) -> bool:
    """Whether ``tag`` stands in ``text`` as a whole hashtag (``#AI`` is not in ``#AIethics``)."""
    pattern = rf"(?<![\w#]){re.escape(tag)}(?![\w-])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def has_tag(text: str, tag: str) -> bool:
    """Whether a required tag (a hashtag, or a disclosure such as ``Ad`` or ``#ad``) stands in
    ``text`` as a whole word or phrase, whatever its case."""
    if tag.startswith("#"):
        return has_hashtag(text, tag)
    pattern = rf"(?<!\w){re.escape(tag)}(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None
