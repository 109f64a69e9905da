"""Share texts: which variant a person gets, its placeholders, and what it always carries.

A content carries several :class:`~bot.model.ShareText` variants, each optionally for one
network and one language. For a person (locale ``L``) and a share button (network ``N``)
the candidates are, first match wins:

1. texts for ``N`` in ``L``;
2. texts for any network in ``L``;
3. texts for ``N`` in the programme's default language (or with no language);
4. texts for any network in the default language (or with no language).

A text with no language counts as written in the programme's default language. Texts for
another network are never used for ``N``. With no candidate the title stands in.

Among the candidates, those whose placeholders can all be filled for the person come first;
the person's delivery ``variant`` (their ordinal in the publish fan-out, per locale) picks one
in rotation, so colleagues rarely get the same words.

Placeholders (:data:`PLACEHOLDERS`): ``{first_name}``, ``{team}``, ``{title}``,
``{programme}``. They are replaced by plain string substitution, never ``str.format``, so a
curator's other braces stay as written; an unknown ``{name}`` is refused when posting. A
placeholder without a value for the person is dropped, then the spacing around it is tidied
(:func:`tidy`): runs of spaces become one, no space is left before ``, . ; ) …`` or after
``(``, a line no longer starts with ``,`` or ``;``. The words around it stay: write
``Hello {first_name},`` rather than ``My team {team} says``, or give a variant without it.

The programme hashtag and disclosure (:attr:`~bot.programme.Programme.required_tags`) are
appended when missing and survive every cut: X's 280 cuts the body, never them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.content import RawPost, has_hashtag, has_tag
from bot.errors import InvalidInput, NotYourSuggestion
from bot.model import (
    Ambassador,
    Content,
    ContentTranslation,
    Delivery,
    DeliveryId,
    Network,
    PlatformUser,
    ShareText,
)
from bot.ports import AmbassadorRepository, ContentRepository, DeliveryRepository, DeliveryTexts
from bot.programme import SUPPORTED_LOCALES, Programme
from bot.share import X_MAX, X_URL_WEIGHT, takes_text, x_weight

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("first_name", "team", "title", "programme")
# Any ``{word}``: known ones are filled, unknown ones refused when posting.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,39})\}")
# The fill assumed when checking X's 280 at posting time: the longest plausible value
# (weight 1 per character); ``{title}`` and ``{programme}`` use their real values.
WORST_CASE_FILL = {"first_name": 20, "team": 30}


@dataclass(frozen=True)
class PersonalText:
    """The text offered to one person for one network: ``body`` may be cut to fit a network,
    ``tags`` (the programme hashtag and disclosure missing from the body) never are."""

    body: str
    tags: tuple[str, ...] = ()

    @property
    def full(self) -> str:
        """The text as shown and shared."""
        return " ".join(part for part in (self.body, *self.tags) if part)


@dataclass(frozen=True)
class XOverflow:
    """A variant that X will cut: its number in the form and by how much (X weight)."""

    index: int  # 1-based, as the form numbers texts
    over: int
    language: str | None = None
    network: Network | None = None


# --- placeholders --------------------------------------------------------------------------


def placeholders_in(text: str) -> tuple[str, ...]:
    """The ``{placeholders}`` written in ``text``, each once, in order."""
    return tuple(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))


def check_placeholders(text: str, *, field: str) -> None:
    """Refuse a text naming a placeholder we do not know.

    Raises:
        InvalidInput: ``unknown_placeholder`` with the name and the known ones.
    """
    for name in placeholders_in(text):
        if name not in PLACEHOLDERS:
            raise InvalidInput(
                "unknown_placeholder",
                field=field,
                number=field.removeprefix("text_"),
                name=f"{{{name}}}",
                known=[f"{{{p}}}" for p in PLACEHOLDERS],
            )


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """Replace the placeholders of ``text`` with ``values``; one without a value is dropped
    and the spacing tidied. Braces that name no placeholder stay as written."""
    dropped = False

    def replace(found: re.Match[str]) -> str:
        nonlocal dropped
        name = found.group(1)
        if name not in values:
            return found.group(0)
        value = (values[name] or "").strip()
        if not value:
            dropped = True
        return value

    filled = _PLACEHOLDER.sub(replace, text)
    return tidy(filled) if dropped else filled


_SPACES = re.compile(r"[ \t]{2,}")
_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;)…])")
_AFTER_OPEN = re.compile(r"\([ \t]+")
_EMPTY_PARENS = re.compile(r"\(\s*\)")
_LEADING_PUNCT = re.compile(r"^[ \t]*[,;][ \t]*", re.MULTILINE)


def tidy(text: str) -> str:
    """The spacing left by a dropped placeholder, put right (see the module docstring)."""
    text = _EMPTY_PARENS.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BEFORE_PUNCT.sub(r"\1", text)
    text = _AFTER_OPEN.sub("(", text)
    text = _LEADING_PUNCT.sub("", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def first_name(ambassador: Ambassador) -> str:
    """The first word of a person's display name ("" when unknown)."""
    return ambassador.display_name.split(" ")[0] if ambassador.display_name else ""


def team_label(ambassador: Ambassador, programme: Programme) -> str:
    """The person's team as people read it: a configured department's label in their
    language (``ambassador.team`` then holds its id), else the team as stored."""
    team = (ambassador.team or "").strip()
    department = programme.department(team) if team else None
    return department.label(ambassador.locale) if department else team


def values_for(ambassador: Ambassador, content: Content, programme: Programme) -> dict[str, str]:
    """What each placeholder becomes for this person ("" when unknown)."""
    return {
        "first_name": first_name(ambassador),
        "team": team_label(ambassador, programme),
        "title": content.title_in(ambassador.locale),
        "programme": programme.name,
    }


# --- the variant a person gets -----------------------------------------------------------


def candidates(
    texts: Sequence[ShareText], *, network: Network | None, locale: str, default_locale: str
) -> tuple[ShareText, ...]:
    """The texts a person in ``locale`` may get for ``network`` (None: the text shown in the
    DM, any network), by the order of the module docstring; empty when none fits."""

    def default_language(text: ShareText) -> bool:
        return text.language is None or text.language == default_locale

    def their_language(text: ShareText) -> bool:
        return text.language == locale or (text.language is None and locale == default_locale)

    tiers: list[Callable[[ShareText], bool]] = [
        lambda t: network is not None and t.network == network and their_language(t),
        lambda t: t.network is None and their_language(t),
        lambda t: network is not None and t.network == network and default_language(t),
        lambda t: t.network is None and default_language(t),
    ]
    for tier in tiers:
        found = tuple(t for t in texts if tier(t))
        if found:
            return found
    return ()


def choose(
    texts: Sequence[ShareText],
    *,
    network: Network | None,
    locale: str,
    default_locale: str,
    variant: int,
    values: Mapping[str, str],
) -> ShareText | None:
    """The variant of one person for one network: the candidates whose placeholders all have
    a value come first; ``variant`` rotates among them."""
    found = candidates(texts, network=network, locale=locale, default_locale=default_locale)
    if not found:
        return None
    complete = tuple(t for t in found if all(values.get(p) for p in placeholders_in(t.text)))
    pool = complete or found
    return pool[variant % len(pool)]


def compose(
    base: str, *, hashtags: Iterable[str], programme: Programme, values: Mapping[str, str]
) -> PersonalText:
    """A chosen text with its placeholders filled, the content's hashtags (cuttable) and the
    programme's required tags (never cut) each present once."""
    body = fill(base, values)
    missing: list[str] = []
    for tag in hashtags:
        if not has_hashtag(body, tag) and all(t.lower() != tag.lower() for t in missing):
            missing.append(tag)
    body = " ".join(part for part in (body, *missing) if part)
    return with_required_tags(body, programme)


def with_required_tags(body: str, programme: Programme) -> PersonalText:
    """``body`` and the programme hashtag and disclosure it lacks."""
    tags = tuple(t for t in programme.required_tags if not has_tag(body, t))
    return PersonalText(body.strip(), tags)


def personal_text(
    content: Content,
    ambassador: Ambassador,
    programme: Programme,
    *,
    variant: int,
    network: Network | None = None,
    edited: str | None = None,
) -> PersonalText:
    """What one person is offered for ``network`` (None: the text shown in the DM): their
    edited text when they edited it, else their variant, filled and tagged."""
    if edited:
        return with_required_tags(edited, programme)
    values = values_for(ambassador, content, programme)
    texts = content.variants
    chosen = choose(
        texts,
        network=network,
        locale=ambassador.locale,
        default_locale=programme.default_locale,
        variant=variant,
        values=values,
    )
    if chosen is None and network is None:
        # No general text: the DM shows the text of the person's first network that has one.
        for their_network in ambassador.networks:
            chosen = choose(
                texts,
                network=their_network,
                locale=ambassador.locale,
                default_locale=programme.default_locale,
                variant=variant,
                values=values,
            )
            if chosen is not None:
                break
    base = chosen.text if chosen is not None else content.title
    return compose(base, hashtags=content.hashtags, programme=programme, values=values)


# --- posting-time checks ---------------------------------------------------------------------


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = keyword.split()
    return re.compile(
        r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE
    )


def blocked_keyword(text: str, keywords: Iterable[str]) -> str | None:
    """The first blocked keyword or phrase that stands in ``text`` as whole words, any case."""
    for keyword in keywords:
        if keyword.strip() and _keyword_pattern(keyword).search(text):
            return keyword.strip()
    return None


def check_blocked(fields: Iterable[tuple[str, str | None]], programme: Programme) -> None:
    """Refuse content whose fields contain a blocked keyword.

    Args:
        fields: (field name, value) pairs: ``title``, ``summary``, ``text_2``...

    Raises:
        InvalidInput: ``blocked_keyword`` naming the keyword and the field.
    """
    if not programme.blocked_keywords:
        return
    for field, value in fields:
        found = blocked_keyword(value or "", programme.blocked_keywords)
        if found is not None:
            kind = "text" if field.startswith("text_") else field
            number = field.removeprefix("text_") if kind == "text" else ""
            raise InvalidInput(
                "blocked_keyword", field=field, keyword=found, where=kind, number=number
            )


def check_language(value: str | None, *, field: str) -> str | None:
    """A text's language: a supported locale, or None for any.

    Raises:
        InvalidInput: ``unknown_language`` naming it and the supported ones.
    """
    if value is None or not value.strip():
        return None
    language = value.strip().lower()
    if language not in SUPPORTED_LOCALES:
        raise InvalidInput(
            "unknown_language", field=field, language=language[:20], known=SUPPORTED_LOCALES
        )
    return language


def check_network(value: str | None, programme: Programme, *, field: str) -> Network | None:
    """A text's network: one the programme offers, or None for any.

    Raises:
        InvalidInput: ``unknown_text_network`` naming it and the programme's networks.
    """
    if value is None or not value.strip():
        return None
    wanted = value.strip().lower()
    for network in programme.networks:
        if network.value == wanted:
            return network
    raise InvalidInput(
        "unknown_text_network",
        field=field,
        network=wanted[:20],
        known=[n.value for n in programme.networks],
    )


def numbered_texts(raw: RawPost, programme: Programme) -> tuple[tuple[int, ShareText], ...]:
    """The form's texts with their network and language, numbered as the form shows them
    (text 2 stays text 2 when text 1 is empty), placeholders checked.

    Raises:
        InvalidInput: an unknown placeholder, network or language, naming the text.
    """
    found = []
    for index, text in enumerate(raw.texts, start=1):
        if not text or not text.strip():
            continue
        field = f"text_{index}"
        check_placeholders(text, field=field)
        networks, languages = list(raw.text_networks), list(raw.text_languages)
        network = networks[index - 1] if index <= len(networks) else None
        language = languages[index - 1] if index <= len(languages) else None
        found.append(
            (
                index,
                ShareText(
                    text.strip(),
                    check_network(network, programme, field=field),
                    check_language(language, field=field),
                ),
            )
        )
    return tuple(found)


def translations_of(raw: RawPost, programme: Programme) -> tuple[ContentTranslation, ...]:
    """The form's titles and summaries in other languages, checked; empty ones left out.

    Raises:
        InvalidInput: an unknown language, or a title or summary over its limit (the field is
            ``title_<language>`` / ``summary_<language>``).
    """
    limits = programme.limits
    found: list[ContentTranslation] = []
    for language, title, summary in raw.translations:
        checked = check_language(language, field=f"title_{language}")
        if checked is None:
            continue
        cleaned: list[str | None] = []
        for kind, value, limit in (
            ("title", title, limits.title),
            ("summary", summary, limits.summary),
        ):
            value = (value or "").strip() or None
            if value is not None and len(value) > limit:
                raise InvalidInput(
                    f"{kind}_too_long", field=f"{kind}_{checked}", limit=limit, length=len(value)
                )
            cleaned.append(value)
        if any(cleaned) and checked not in (t.language for t in found):
            found.append(ContentTranslation(checked, cleaned[0], cleaned[1]))
    return tuple(found)


def x_overflows(
    texts: Sequence[tuple[int, ShareText]],
    *,
    title: str,
    hashtags: Sequence[str],
    programme: Programme,
) -> tuple[XOverflow, ...]:
    """The variants X would cut: each X-eligible text (for X or any network), filled with the
    longest plausible values (:data:`WORST_CASE_FILL`, the real title and programme name),
    with the hashtags and disclosure, plus the link (23), over 280.

    Args:
        texts: (number in the form, text) pairs.
    """
    values = {
        "first_name": "x" * WORST_CASE_FILL["first_name"],
        "team": "x" * WORST_CASE_FILL["team"],
        "title": title,
        "programme": programme.name,
    }
    found = []
    for index, text in texts:
        if text.network not in (None, Network.X):
            continue
        composed = compose(text.text, hashtags=hashtags, programme=programme, values=values)
        weight = x_weight(composed.full) + 1 + X_URL_WEIGHT
        if weight > X_MAX:
            found.append(XOverflow(index, weight - X_MAX, text.language, text.network))
    return tuple(found)


# --- edit before sharing ----------------------------------------------------------------------


@dataclass(frozen=True)
class EditForm:
    """The "Copy / edit text" form of one suggestion."""

    delivery_id: DeliveryId
    locale: str
    text: str
    link: str  # the content's URL, to paste with the text on link-only networks
    link_only: tuple[Network, ...]  # the person's networks whose share page takes no text
    limit: int


class TextEditService:
    """Use cases of a person editing their suggested text before sharing."""

    def __init__(
        self,
        *,
        deliveries: DeliveryRepository,
        delivery_texts: DeliveryTexts,
        ambassadors: AmbassadorRepository,
        contents: ContentRepository,
        programme: Programme,
        redraw: Callable[[DeliveryId], Awaitable[None]],
    ) -> None:
        self._deliveries = deliveries
        self._texts = delivery_texts
        self._ambassadors = ambassadors
        self._contents = contents
        self._programme = programme
        self._redraw = redraw

    async def _mine(
        self, user: PlatformUser, delivery_id: int
    ) -> tuple[Delivery, Ambassador, Content]:
        delivery = await self._deliveries.get(DeliveryId(delivery_id))
        ambassador = await self._ambassadors.get_by_user(user)
        if delivery is None or ambassador is None or delivery.ambassador_id != ambassador.id:
            raise NotYourSuggestion(str(delivery_id))
        content = await self._contents.get(delivery.content_id)
        if content is None:
            raise NotYourSuggestion(str(delivery_id))
        return delivery, ambassador, content

    async def form(self, user: PlatformUser, delivery_id: int) -> EditForm:
        """The person's current text (their edit, else their variant), ready to copy or edit.

        Raises:
            NotYourSuggestion: the suggestion is someone else's (or unknown).
        """
        delivery, ambassador, content = await self._mine(user, delivery_id)
        text = personal_text(
            content, ambassador, self._programme, variant=delivery.variant, edited=delivery.text
        )
        return EditForm(
            delivery_id=delivery.id,
            locale=ambassador.locale,
            text=text.full,
            link=content.url,
            link_only=tuple(n for n in ambassador.networks if not takes_text(n)),
            limit=self._programme.limits.text,
        )

    def check(self, text: str | None) -> str:
        """An edited text as it will be kept (hashtag and disclosure back if removed); fast,
        no I/O, so the form can show the error inline.

        Raises:
            InvalidInput: empty, too long, or a blocked keyword.
        """
        cleaned = (text or "").strip()
        limit = self._programme.limits.text
        if not cleaned:
            raise InvalidInput("edited_text_empty", field="text")
        if len(cleaned) > limit:
            raise InvalidInput("text_too_long", field="text", limit=limit, length=len(cleaned))
        check_blocked([("text", cleaned)], self._programme)
        return with_required_tags(cleaned, self._programme).full

    async def edit(self, user: PlatformUser, delivery_id: int, text: str | None) -> None:
        """Keep the person's own text for this suggestion and redraw the DM with it.

        The text is checked like a curator's (length, blocked keywords); the programme
        hashtag and disclosure come back if removed. Saving the same text twice is harmless.

        Raises:
            InvalidInput: empty, too long, or a blocked keyword.
            NotYourSuggestion: the suggestion is someone else's.
        """
        stored = self.check(text)
        await self._mine(user, delivery_id)
        changed = await self._texts.save_text(delivery_id=DeliveryId(delivery_id), text=stored)
        if changed:
            await self._redraw(DeliveryId(delivery_id))
        else:
            logger.info("delivery %d: the same edited text again, nothing to redraw", delivery_id)
