"""The template machinery: one Jinja environment, the message catalogs and the filters.

Every sentence a person reads lives in ``messages/i18n/<locale>.yaml`` as a small Jinja
snippet; the platform templates (``messages/slack/*.json.j2``, ``messages/teams/*.json.j2``,
``messages/web/*.html.j2``) only lay the sentences out and call ``t("key", **params)`` for
each of them.

Snippets are written once, in Slack mrkdwn (``*bold*``, ```code```, ``<url|label>``,
``&lt;``). Each render picks a :class:`Markup`:

* ``Markup.SLACK`` (the default): the snippet as it is, every interpolated value escaped for
  Slack (``&``, ``<``, ``>``); values that are already escaped (``slack_escape`` output, the
  output of a nested ``t``) are marked :class:`SafeText` and left alone.
* ``Markup.TEAMS``: the Markdown subset of Adaptive Card TextBlocks. The snippet's own markup
  is converted (``**bold**``; code, which TextBlocks cannot show, as bold; ``[label](url)``
  for http(s) links only; entities decoded), and every interpolated value has the characters
  TextBlock Markdown reads (backslash, ``*``, ``_``, ``[``, ``]``) backslash-escaped, so a title
  can neither make a link nor start emphasis. Mentions need a ``msteams.entities`` entry that
  no card carries, so ``<at>`` in a value stays inert text.
* ``plain`` rendering (field errors, web pages, notification texts) does not escape: the
  HTML environment autoescapes instead.
* Rendering a ``.json.j2`` template returns ``json.loads`` of the output, so a template that
  produces broken JSON fails in the tests rather than at Slack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import quote

import yaml
from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    pass_context,
)
from jinja2.runtime import Context

DEFAULT_LOCALE = "en"
ELLIPSIS = "…"

# Markup characters of a mrkdwn snippet that plain text drops, and the private-use stand-ins
# that protect the same characters when they come from a parameter value.
_PLAIN_GUARDS = {"*": "\ue000", "`": "\ue001", "&": "\ue002"}
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_BOLD = re.compile(r"\*(\S(?:[^*\n]*?\S)?)\*")
_CODE = re.compile(r"`([^`\n]+)`")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")

# Teams: the characters a parameter value may carry that either the snippet's mrkdwn or
# TextBlock Markdown would read, and their private-use stand-ins during the conversion.
_TEAMS_GUARDS = {
    "\\": "\ue010",
    "*": "\ue011",
    "_": "\ue012",
    "[": "\ue013",
    "]": "\ue014",
    "`": "\ue015",
    "<": "\ue016",
    ">": "\ue017",
    "&": "\ue018",
    "|": "\ue019",
}
# ... of which these are escaped with a backslash in the Markdown a TextBlock gets.
_TEAMS_SPECIAL = "\\*_[]"
_TEAMS_ESCAPE = re.compile(r"[\\*_\[\]]")
_TEAMS_LINK = re.compile(r"<([^<>|\n]*)(?:\|([^<>\n]*))?>")
_TEAMS_URL_UNSAFE = re.compile(r"[\s()<>]")
_TEAMS_URL_SLOT = re.compile("\ue0f0(\\d+)\ue0f1")
_BREAKS = re.compile(r"[ \t]*\n\s*")
_LIST_MARKER = re.compile(r"^(?:\d{1,9}(?=[.)])|(?=[-+*]))(.)(?=[ \t]|$)", re.MULTILINE)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_SLACK_GROUP = re.compile(r"^S[A-Z0-9]{2,30}$")


class Markup(StrEnum):
    """The markup a chat template's sentences are rendered in (see the module docstring)."""

    SLACK = "mrkdwn"
    TEAMS = "teams"


class SafeText(str):
    """Text already escaped for Slack mrkdwn (or deliberately formatted); never escaped again."""

    __slots__ = ()


def slack_escape(value: object) -> SafeText:
    """Escape the three characters Slack parses (``&``, ``<``, ``>``); idempotent on
    :class:`SafeText`."""
    if isinstance(value, SafeText):
        return value
    text = str(value)
    return SafeText(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def slack_user(value: object) -> SafeText:
    """A Slack user id as a mention (``<@U123>``, shown as the person's name); anything that
    is not a user id is shown escaped, as written."""
    text = str(value)
    return SafeText(f"<@{text}>") if _SLACK_USER.match(text) else slack_escape(text)


def slack_group(value: object) -> SafeText:
    """A Slack user group id as a mention (``<!subteam^S123>``, shown as its handle)."""
    text = str(value)
    return SafeText(f"<!subteam^{text}>") if _SLACK_GROUP.match(text) else slack_escape(text)


def truncate_to(value: object, limit: int) -> str:
    """Cut ``value`` to at most ``limit`` characters, ending with "…" when cut.

    Never cuts an escape entity (``&amp;``) in half, and keeps :class:`SafeText` safe.
    """
    text = str(value)
    if len(text) <= limit:
        return value if isinstance(value, str) else text
    if limit <= 1:
        cut = ELLIPSIS[:limit]
    else:
        head = text[: limit - 1]
        head = _ENTITY_TAIL.sub("", head)
        cut = head.rstrip() + ELLIPSIS
    return SafeText(cut) if isinstance(value, SafeText) else cut


def pack_lines(lines: Iterable[object], limit: int = 3_000) -> list[str]:
    """Join lines into as few ``\\n``-separated texts of ≤ ``limit`` characters as possible
    (a line longer than ``limit`` is cut), so lists fill Slack sections without overflowing."""
    packed: list[str] = []
    for item in lines:
        line = truncate_to(item, limit)
        if packed and len(packed[-1]) + 1 + len(line) <= limit:
            packed[-1] = f"{packed[-1]}\n{line}"
        else:
            packed.append(line)
    return packed


def tojson(value: object) -> str:
    """JSON for a value inside a ``.json.j2`` template (unicode kept readable)."""
    return json.dumps(value, ensure_ascii=False)


def utc_minute(value: datetime) -> str:
    """A moment as ``YYYY-MM-DD HH:MM UTC`` (a naive datetime is taken to be UTC already)."""
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def strip_markup(mrkdwn: str) -> str:
    """Drop the bold and code markers of mrkdwn, keeping its escapes (for notifications)."""
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", mrkdwn))


def to_plain(mrkdwn: str) -> str:
    """Plain text from a snippet rendered in plain mode (for plain-text fields)."""
    text = strip_markup(mrkdwn)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    for char, guard in _PLAIN_GUARDS.items():
        text = text.replace(guard, char)
    return text


def _guard(text: str) -> str:
    for char, guard in _PLAIN_GUARDS.items():
        text = text.replace(char, guard)
    return text


def teams_escape(value: object) -> str:
    """Backslash-escape what TextBlock Markdown reads (``\\ * _ [ ]``) in a value shown as
    written: no link, no emphasis. Cut the value *before* escaping it."""
    return _TEAMS_ESCAPE.sub(r"\\\g<0>", str(value))


def teams_breaks(markdown: str) -> str:
    """The text of a TextBlock: line breaks it shows (Markdown needs a blank line, ``\\n\\n``,
    for each) and no line read as a list item (``4. Name`` on a leaderboard, ``- point`` in a
    post): the catalogs write lists with "•", so a list marker is always meant literally."""
    text = _BREAKS.sub("\n\n", markdown.strip())
    return _LIST_MARKER.sub(lambda m: f"{m.group()[:-1]}\\{m.group(1)}", text)


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (separated by blank lines), trimmed, none empty."""
    return [p.strip() for p in _PARAGRAPHS.split(text.strip()) if p.strip()]


def fit_lines(lines: Iterable[object], budget: int) -> list[str]:
    """The leading ``lines`` whose UTF-8 size (one byte per separator) fits ``budget``."""
    kept: list[str] = []
    used = 0
    for item in lines:
        line = str(item)
        used += len(line.encode()) + 1
        if used > budget:
            break
        kept.append(line)
    return kept


def _teams_guard(text: str) -> str:
    for char, guard in _TEAMS_GUARDS.items():
        text = text.replace(char, guard)
    return text


def _teams_unguard(text: str, *, escape: bool) -> str:
    for char, guard in _TEAMS_GUARDS.items():
        text = text.replace(guard, f"\\{char}" if escape and char in _TEAMS_SPECIAL else char)
    return text


def to_teams(mrkdwn: str) -> str:
    """TextBlock Markdown from a snippet rendered in Teams mode (values still guarded).

    ``*bold*`` → ``**bold**``; ```code``` → ``**code**`` (TextBlocks have no code style);
    ``<url|label>`` → ``[label](url)`` for http(s) URLs, else (an empty URL too) the label
    alone; ``&lt;``, ``&gt;``, ``&amp;`` → ``<``, ``>``, ``&``; then the guarded value
    characters come back, backslash-escaped where Markdown would read them (but as written
    inside a link's URL, where only spaces, parentheses and angle brackets are encoded).
    """
    text = _BOLD.sub(r"**\1**", mrkdwn)
    text = _CODE.sub(lambda m: f"**{m.group(1).strip()}**" if m.group(1).strip() else "", text)
    urls: list[str] = []

    def link(found: re.Match[str]) -> str:
        url = _teams_unguard(found.group(1), escape=False).strip()
        label = found.group(2) if found.group(2) else found.group(1)
        if not url.startswith(("https://", "http://")):
            return label
        urls.append(_TEAMS_URL_UNSAFE.sub(lambda c: quote(c.group()), url))
        return f"[{label}](\ue0f0{len(urls) - 1}\ue0f1)"

    text = _TEAMS_LINK.sub(link, text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = _teams_unguard(text, escape=True)
    return _TEAMS_URL_SLOT.sub(lambda m: urls[int(m.group(1))], text)


def _prepare(mode: object, value: object) -> SafeText:
    """A value made ready for a snippet: escaped for mrkdwn, guarded for plain text and
    for Teams (whose conversion escapes it at the end)."""
    if isinstance(value, SafeText):
        return value
    text = str(value)
    if mode == "mrkdwn":
        return slack_escape(text)
    if mode == "plain":
        return SafeText(_guard(text))
    if mode == "teams":
        return SafeText(_teams_guard(text))
    return SafeText(text)


@pass_context
def _finalize(context: Context, value: object) -> object:
    """Escape every string interpolated into a catalog snippet (see the module docstring)."""
    mode = context.get("_snippet")
    if mode is None or not isinstance(value, str):
        return value
    return _prepare(mode, value)


@pass_context
def _code(context: Context, value: object) -> SafeText:
    """``value`` as inline code (the backticks vanish in plain text)."""
    return SafeText(f"`{_prepare(context.get('_snippet'), value)}`")


class Catalog:
    """The sentences of every locale, loaded once from ``messages/i18n/*.yaml``."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LOCALE not in entries:
            raise ValueError(f"the {DEFAULT_LOCALE!r} catalog is missing")
        self._entries = {locale: dict(keys) for locale, keys in entries.items()}

    @classmethod
    def load(cls, folder: Traversable | None = None) -> Catalog:
        """Read every ``<locale>.yaml`` shipped in the package, and the ``<locale>/*.yaml``
        of each feature area (one file per area keeps features apart); a key defined twice
        in one locale is an error."""
        folder = folder or resources.files("messages") / "i18n"
        entries: dict[str, dict[str, str]] = {}
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.name.endswith(".yaml"):
                cls._merge(entries, item.name.removesuffix(".yaml"), item)
            elif item.is_dir():
                for part in sorted(item.iterdir(), key=lambda i: i.name):
                    if part.name.endswith(".yaml"):
                        cls._merge(entries, item.name, part)
        return cls(entries)

    @staticmethod
    def _merge(entries: dict[str, dict[str, str]], locale: str, item: Traversable) -> None:
        data = yaml.safe_load(item.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f"{item.name}: a catalog is a flat mapping of key: text")
        known = entries.setdefault(locale, {})
        twice = sorted(set(known) & set(data))
        if twice:
            raise ValueError(f"{locale}/{item.name}: keys defined twice: {', '.join(twice)}")
        known.update(data)

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale with a catalog, the default first."""
        others = sorted(k for k in self._entries if k != DEFAULT_LOCALE)
        return (DEFAULT_LOCALE, *others)

    def keys(self, locale: str) -> frozenset[str]:
        """Every key of one locale's catalog."""
        return frozenset(self._entries[locale])

    def has(self, locale: str, key: str) -> bool:
        """Whether ``locale``'s catalog has ``key``."""
        return key in self._entries.get(locale, {})

    def source(self, locale: str, key: str) -> str:
        """The snippet of ``key`` in ``locale``; ``KeyError`` when there is none."""
        try:
            return self._entries[locale][key]
        except KeyError:
            raise KeyError(f"no message {key!r} in the {locale!r} catalog") from None


class Templates:
    """Renders catalog sentences and platform templates.

    Build one per process (the composition root does) and share it: the environments, the
    catalogs and the compiled snippets are all made once and cached here.
    """

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or Catalog.load()
        self._snippets: dict[tuple[str, str], Template] = {}
        # Chat output is JSON and mrkdwn, not HTML: HTML autoescaping would be wrong there.
        # Slack escaping is explicit (``slack_escape``) or automatic in snippets (finalize).
        self.env = Environment(
            loader=PackageLoader("messages", "."),
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_finalize,
        )
        self._install(self.env)
        # Web pages are HTML: a separate environment whose autoescape covers everything.
        self.html_env = Environment(
            loader=PackageLoader("messages", "."),
            undefined=StrictUndefined,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._install(self.html_env)

    @property
    def locales(self) -> tuple[str, ...]:
        """Supported locales, the default first."""
        return self.catalog.locales

    def locale(self, requested: str | None) -> str:
        """A supported locale for ``requested`` (``fr-FR`` → ``fr``; unknown → ``en``)."""
        if requested:
            short = requested.replace("_", "-").split("-")[0].lower()
            if short in self.catalog.locales:
                return short
        return DEFAULT_LOCALE

    def text(self, key: str, locale: str, /, **params: object) -> SafeText:
        """One catalog sentence as Slack mrkdwn, parameters escaped."""
        return self._render_snippet(self.locale(locale), key, params, mode="mrkdwn")

    def markdown(self, key: str, locale: str, /, **params: object) -> str:
        """One catalog sentence as Teams TextBlock Markdown, parameters escaped."""
        return to_teams(self._render_snippet(self.locale(locale), key, params, mode="teams"))

    def plain(self, key: str, locale: str, /, **params: object) -> str:
        """One catalog sentence as plain text (no escaping, no bold or code markers)."""
        return to_plain(self._render_snippet(self.locale(locale), key, params, mode="plain"))

    def render_json(
        self, name: str, locale: str, markup: Markup = Markup.SLACK, /, **context: object
    ) -> Any:
        """Render ``name`` (a ``.json.j2`` template) and parse the result; ``t(...)`` in it
        renders in ``markup``."""
        template = self.env.get_template(name)
        output = template.render(context, locale=self.locale(locale), _markup=markup.value)
        try:
            return json.loads(output)
        except json.JSONDecodeError as error:
            raise ValueError(f"{name} rendered invalid JSON: {error}") from error

    def render_html(self, name: str, locale: str, /, **context: object) -> str:
        """Render a web page (autoescaped HTML)."""
        template = self.html_env.get_template(name)
        return template.render(context, locale=self.locale(locale))

    def _install(self, env: Environment) -> None:
        env.filters["slack_escape"] = slack_escape
        env.filters["slack_user"] = slack_user
        env.filters["slack_group"] = slack_group
        env.filters["tojson"] = tojson
        env.filters["truncate_to"] = truncate_to
        env.filters["pack_lines"] = pack_lines
        env.filters["utc_minute"] = utc_minute
        env.filters["join_list"] = self._join_list
        env.filters["network_name"] = self._network_name
        env.filters["code"] = _code
        env.filters["teams_escape"] = teams_escape
        env.filters["teams_breaks"] = teams_breaks
        env.filters["paragraphs"] = paragraphs
        env.filters["fit_lines"] = fit_lines
        env.globals["t"] = self._t
        env.globals["tplain"] = self._tplain
        env.globals["has_t"] = self._has_t

    def _snippet(self, locale: str, key: str) -> Template:
        compiled = self._snippets.get((locale, key))
        if compiled is None:
            compiled = self.env.from_string(self.catalog.source(locale, key))
            self._snippets[(locale, key)] = compiled
        return compiled

    def _render_snippet(
        self, locale: str, key: str, params: Mapping[str, object], *, mode: str
    ) -> SafeText:
        snippet = self._snippet(locale, key)
        rendered = snippet.render(dict(params), locale=locale, _snippet=mode)
        return SafeText(rendered.strip())

    @pass_context
    def _t(self, context: Context, key: str, /, **params: object) -> str:
        # Inside the HTML environment and plain snippets the sentence stays unescaped text;
        # HTML autoescaping (or the plain-text caller) takes care of it. A nested ``t`` keeps
        # the mode of the snippet around it; a template's ``t`` uses the template's markup.
        locale = str(context.get("locale") or DEFAULT_LOCALE)
        nested = context.get("_snippet")
        if context.environment is self.html_env:
            mode = "plain"
        else:
            mode = str(nested or context.get("_markup") or "mrkdwn")
        text = self._render_snippet(locale, key, params, mode=mode)
        # Plain output is a plain ``str`` so that HTML autoescaping still applies to it.
        if mode == "plain":
            return to_plain(text)
        if mode == "teams" and nested is None:
            # Converted once, at the top: a plain ``str``, so that passing it on to another
            # ``t`` escapes it rather than converting it twice.
            return to_teams(text)
        return text

    @pass_context
    def _tplain(self, context: Context, key: str, /, **params: object) -> str:
        """A sentence as plain text, for fields that show no markup (titles of buttons and
        choices, notification texts)."""
        return self.plain(key, str(context.get("locale") or DEFAULT_LOCALE), **params)

    @pass_context
    def _has_t(self, context: Context, key: str) -> bool:
        locale = str(context.get("locale") or DEFAULT_LOCALE)
        return self.catalog.has(locale, key)

    @pass_context
    def _join_list(self, context: Context, items: Iterable[object], word: str = "and") -> str:
        """``a, b and c`` in the current locale; ``word`` is ``and`` or ``or``."""
        mode = context.get("_snippet")
        words = [_prepare(mode, item) for item in items]
        if len(words) <= 1:
            return SafeText("".join(words))
        locale = str(context.get("locale") or DEFAULT_LOCALE)
        last = self._render_snippet(locale, f"list.{word}", {}, mode="plain")
        return SafeText(f"{', '.join(words[:-1])} {last} {words[-1]}")

    @pass_context
    def _network_name(self, context: Context, value: object) -> str:
        """A network's display name (``linkedin`` → ``LinkedIn``) from the catalog."""
        network = str(value)
        locale = str(context.get("locale") or DEFAULT_LOCALE)
        if not self.catalog.has(locale, f"network.{network}"):
            return network
        return self._render_snippet(locale, f"network.{network}", {}, mode="plain")
