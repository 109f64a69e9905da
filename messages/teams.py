"""Teams rendering: view models in, Adaptive Cards out.

:class:`TeamsRenderer` mirrors :class:`messages.slack.SlackRenderer` and makes no Teams call;
the Teams adapter sends what it returns. Layout lives in ``messages/teams/*.json.j2``,
sentences in ``messages/i18n/*.yaml`` (rendered as TextBlock Markdown, see
:mod:`messages.render`), ids and the Submit data in :mod:`messages.teams_ids`.

Rules honoured here (platform-facts §2.5): cards declare version 1.5 but use only elements
every Teams client renders, mobile included (TextBlock, ColumnSet/Column, Image, Container,
ActionSet, Input.Text/ChoiceSet/Toggle/Date/Time; Action.OpenUrl and Action.Submit, without
styles or ``isEnabled``); share buttons go a few per row; every card stays within
:data:`MAX_CARD_BYTES`.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.share import takes_text
from bot.views import (
    AuditView,
    ContentListView,
    ContentStatsView,
    CuratorsView,
    DataLinkView,
    DigestView,
    EnrolmentForm,
    ForgetMeView,
    GuidelinesView,
    HelpView,
    InvitationView,
    LeaderboardView,
    Notice,
    PostForm,
    ProfileView,
    ProspectsView,
    RecapView,
    ReminderView,
    ReviewCardView,
    SettingsForm,
    StatsLinkView,
    StatsView,
    StatusView,
    SuggestionView,
    WeeklyDigestView,
)
from messages import teams_ids
from messages.charts import chart_alt
from messages.render import ELLIPSIS, Markup, Templates, truncate_to

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

# 28 KB is the smallest message limit Teams documents (webhooks, message-extension results);
# bot messages may be larger today, but a card this size goes through everywhere. Measured as
# json.dumps writes it (non-ASCII as \\u escapes), which is at least the size on the wire.
MAX_CARD_BYTES = 28_000
MAX_ACTIONS_PER_ROW = 3  # share buttons side by side: still readable on a phone
MAX_TEXT_INPUTS = 10  # suggested-text inputs in the post card
MAX_LIST_LINES = 100  # leaderboard / content list lines
STATS_LIST_BUDGET = 4_000  # stats: bytes of lines per list (5 lists within the 28 KB card)
STATS_DEPARTMENTS = 40
WEEKLY_DIGEST_BUDGETS = (6_000, 3_000, 1_500)  # bytes per list in the weekly digest card
LIST_BUDGET = 16_000  # bytes of list lines in one card (leaderboard, content list, jobs)
MAX_STATUS_FIELDS = 24  # status cells (two per row)
MAX_GUIDELINES_BYTES = 14_000  # guidelines shown in the join card
# Guidelines shown in the guidelines card, tried in order until the card fits (non-ASCII text
# takes up to six bytes a character in the card's JSON, and emoji twelve).
GUIDELINES_BUDGETS = (MAX_GUIDELINES_BYTES, 8_000, 4_000, 1_500)
NOTICE_TEXT_LIMIT = 150

# Character budgets, tried in order until the card fits (a text budget of 0 leaves the text
# out: the share buttons that take text still carry it).
SUGGESTION_BUDGETS = (
    {"title": 250, "summary": 1000, "text": 2600},
    {"title": 150, "summary": 300, "text": 1000},
    {"title": 100, "summary": 0, "text": 0},
)
# ... and a digest item's title links to its content only when the URL is at most "url" long.
DIGEST_BUDGETS = (
    {"title": 250, "summary": 300, "text": 600, "url": 4000},
    {"title": 150, "summary": 150, "text": 280, "url": 4000},
    {"title": 100, "summary": 0, "text": 0, "url": 4000},
    {"title": 100, "summary": 0, "text": 0, "url": 300},
)

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_UNDERSCORE_BOLD = re.compile(r"__(?=\S)(.+?)(?<=\S)__")

_T = TypeVar("_T")


@dataclass(frozen=True)
class TeamsMessage:
    """A message to send.

    ``text`` is a plain-text summary (no Markdown): send it as the activity's ``summary``, the
    notification and chat-list preview, and leave the activity's ``text`` empty when there is
    a card, or Teams shows both. ``card`` is the Adaptive Card (the ``content`` of an
    ``application/vnd.microsoft.card.adaptive`` attachment), or None for a text-only message
    (send ``text`` with ``textFormat="plain"``; every method here returns a card).
    """

    text: str
    card: dict[str, Any] | None


class TeamsRenderer:
    """Renders every Teams card of the bot."""

    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    # --- messages -------------------------------------------------------------------------

    def suggestion(self, view: SuggestionView) -> TeamsMessage:
        """A suggestion card in its current state (fresh, clicked, confirmed, skipped or
        expired: an expired one keeps its text and points but loses every button).

        Long texts are cut further, then left out, when the card would pass
        :data:`MAX_CARD_BYTES`; ``ValueError`` if it still would.
        """
        return self._fitted(
            "teams/suggestion.json.j2",
            view.locale,
            SUGGESTION_BUDGETS,
            view=view,
            link_only=_link_only([view]),
        )

    def digest(self, view: DigestView) -> TeamsMessage:
        """A digest card: several suggestions, each with the share buttons and the
        confirm / skip Submits (same data as :meth:`suggestion`) or the state line it would
        have on its own.

        Raises ``ValueError`` for a digest without items, or one that does not fit
        :data:`MAX_CARD_BYTES` even with its summaries and texts left out (send fewer items).
        """
        if not view.items:
            raise ValueError("a digest lists at least one suggestion")
        return self._fitted(
            "teams/digest.json.j2",
            view.locale,
            DIGEST_BUDGETS,
            view=view,
            link_only=_link_only(view.items),
        )

    def weekly_digest(self, view: WeeklyDigestView) -> TeamsMessage:
        """The weekly digest card (leaderboard, badges, content of the week, figures, the
        chart from its link); its lists shrink until the card fits :data:`MAX_CARD_BYTES`."""
        return self._fitted(
            "teams/weekly_digest.json.j2",
            view.locale,
            WEEKLY_DIGEST_BUDGETS,
            view=view,
            max_lines=MAX_LIST_LINES,
            chart_alt=chart_alt(
                self._templates, view.chart.weeks if view.chart else (), view.locale
            ),
        )

    def reminder(self, view: ReminderView) -> TeamsMessage:
        """The one gentle reminder (a new message: 1:1 chats have no threads)."""
        return self._message("teams/reminder.json.j2", view.locale, view=view)

    def status(self, view: StatusView) -> TeamsMessage:
        """The delivery queue at a glance: counts per state, recent sends, rates, next jobs."""
        return self._message(
            "teams/status.json.j2",
            view.locale,
            view=view,
            counts=view.ordered_counts,
            max_fields=MAX_STATUS_FIELDS,
            budget=LIST_BUDGET,
        )

    def leaderboard(self, view: LeaderboardView) -> TeamsMessage:
        """A weekly ranking, with the viewer's own standing when known."""
        return self._message(
            "teams/leaderboard.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            budget=LIST_BUDGET,
        )

    def notice(self, notice: Notice, locale: str) -> TeamsMessage:
        """A short message to one person (confirmation, refusal, error)."""
        key = f"notice.{notice.key}"
        params = dict(notice.params)
        body = self._templates.markdown(key, locale, **params)
        text = self._templates.plain(key, locale, **params)
        return self._message("teams/notice.json.j2", locale, body=body, text=text)

    def notice_text(
        self, notice: Notice, locale: str, *, limit: int | None = NOTICE_TEXT_LIMIT
    ) -> str:
        """A notice as plain text, cut to ``limit``."""
        text = self._templates.plain(f"notice.{notice.key}", locale, **dict(notice.params))
        return text if limit is None else truncate_to(text, limit)

    def help(self, view: HelpView) -> TeamsMessage:
        """The commands a person can use (curator commands only for curators), with buttons
        for what they can start: join or preferences, and the post card for curators."""
        return self._message("teams/help.json.j2", view.locale, view=view)

    def recap(self, view: RecapView) -> TeamsMessage:
        """The personal weekly recap DM, with its button that turns the recap off."""
        return self._message("teams/recap.json.j2", view.locale, view=view)

    def profile(self, view: ProfileView) -> TeamsMessage:
        """A person's points, rank and choices."""
        return self._message("teams/profile.json.j2", view.locale, view=view)

    def content_list(self, view: ContentListView) -> TeamsMessage:
        """Recent content with its status, for curators."""
        return self._message(
            "teams/content_list.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            budget=LIST_BUDGET,
        )

    def curators(self, view: CuratorsView) -> TeamsMessage:
        """Admins and curators with where each role comes from (for admins)."""
        return self._message(
            "teams/curators.json.j2", view.locale, view=view, budget=LIST_BUDGET // 2
        )

    def audit(self, view: AuditView) -> TeamsMessage:
        """The latest audit entries (for admins), as many as fit the card."""
        return self._message("teams/audit.json.j2", view.locale, view=view, budget=LIST_BUDGET)

    def guidelines(self, view: GuidelinesView) -> TeamsMessage:
        """The programme's guidelines, or the request to accept a new version
        (``view.changed``): the text (cut, with a note, so that the card stays within
        :data:`MAX_CARD_BYTES`), its version, and an "I accept" Submit (``ACCEPT_GUIDELINES``
        with ``GUIDELINES_VERSION``) when ``view.can_accept``."""
        every = guidelines_paragraphs(view.markdown, max_bytes=sys.maxsize)
        size = 0
        for budget in GUIDELINES_BUDGETS:
            paragraphs = guidelines_paragraphs(view.markdown, max_bytes=budget)
            message = self._render(
                "teams/guidelines.json.j2",
                view.locale,
                {"view": view, "guidelines": paragraphs, "truncated": paragraphs != every},
            )
            size = card_bytes(message.card)
            if size <= MAX_CARD_BYTES:
                return message
        raise ValueError(f"the guidelines card needs {size} bytes, over {MAX_CARD_BYTES}")

    def data_link(self, view: DataLinkView) -> TeamsMessage:
        """``my-data``: a card with the signed download link of the person's JSON export."""
        return self._message("teams/data_link.json.j2", view.locale, view=view)

    def stats(self, view: StatsView | ContentStatsView) -> TeamsMessage:
        """``stats`` / ``stats <id>``: figures, lists, and the EMV with its formula and inputs."""
        return self._message(
            "teams/stats.json.j2",
            view.locale,
            view=view,
            kind="programme" if isinstance(view, StatsView) else "content",
            max_departments=STATS_DEPARTMENTS,
            budget=STATS_LIST_BUDGET,
        )

    def prospects(self, view: ProspectsView) -> TeamsMessage:
        """``prospects``: engaged non-ambassadors, each with an Invite Submit."""
        return self._message("teams/prospects.json.j2", view.locale, view=view)

    def invitation(self, view: InvitationView) -> TeamsMessage:
        """The invitation to a prospect, with Join (opens the join card)."""
        return self._message("teams/invitation.json.j2", view.locale, view=view)

    def stats_link(self, view: StatsLinkView) -> TeamsMessage:
        """``stats export``: a card with the signed download link of the CSV."""
        return self._message("teams/stats_link.json.j2", view.locale, view=view)

    def forget_me(self, view: ForgetMeView) -> TeamsMessage:
        """``forget-me``: what is erased and kept, "Erase my data" (``FORGET_ME_CONFIRM``)
        and "Cancel" (``FORGET_ME_CANCEL``) Submits."""
        return self._message("teams/forget_me.json.j2", view.locale, view=view)

    # --- forms (cards with inputs; Teams has no modal for a bot's DM) ---------------------

    def welcome(self, locale: str) -> TeamsMessage:
        """The card for a new install: a greeting and a button asking for the join card."""
        return self._message("teams/welcome.json.j2", locale)

    def join_card(self, form: EnrolmentForm) -> TeamsMessage:
        """The join card (welcome line, guidelines, accept toggle, topics, networks), or the
        preferences card when ``form.guidelines_markdown`` is ``None`` (as on Slack)."""
        if form.guidelines_markdown is None:
            return self.preferences_card(form)
        guidelines = guidelines_paragraphs(form.guidelines_markdown)
        return self._message(
            "teams/join.json.j2", form.locale, form=form, joining=True, guidelines=guidelines
        )

    def preferences_card(self, form: EnrolmentForm) -> TeamsMessage:
        """The preferences card: topics and networks, nothing to accept."""
        return self._message(
            "teams/join.json.j2", form.locale, form=form, joining=False, guidelines=[]
        )

    def settings_card(self, form: SettingsForm) -> TeamsMessage:
        """The settings card: every preference (``SETTINGS``), with the error to fix on top
        when ``form.error`` is set (Teams cards have no per-field errors)."""
        error_text = ""
        if form.error is not None:
            error_text = self._templates.plain(
                f"notice.{form.error.key}", form.locale, **dict(form.error.params)
            )
        return self._message(
            "teams/settings.json.j2", form.locale, form=form, error_text=error_text
        )

    def review(self, view: ReviewCardView, *, max_reason: int = 500) -> TeamsMessage:
        """A suggestion's card in the review channel: Approve and Edit submits and a Reject
        that shows the reason input while pending, else its outcome and who decided."""
        return self._message(
            "teams/review.json.j2",
            view.locale,
            view=view,
            who=view.suggester_name,
            reviewer=view.reviewer_name,
            max_reason=max_reason,
        )

    def post_card(self, form: PostForm) -> TeamsMessage:
        """The curator's form to send content: as many text inputs as asked (at most
        :data:`MAX_TEXT_INPUTS`), fewer when their "for" choices would pass
        :data:`MAX_CARD_BYTES` (each text repeats the choice of every network and language)."""
        texts = max(1, min(form.max_texts, MAX_TEXT_INPUTS))
        while texts > 1:
            message = self._render(
                "teams/post.json.j2", form.locale, {"form": form, "texts": texts}
            )
            if card_bytes(message.card) <= MAX_CARD_BYTES:
                return message
            texts -= 1
        return self._message("teams/post.json.j2", form.locale, form=form, texts=texts)

    # --- helpers --------------------------------------------------------------------------

    def _render(self, name: str, locale: str, context: dict[str, object]) -> TeamsMessage:
        data = self._templates.render_json(
            name, locale, Markup.TEAMS, ids=teams_ids, chunks=_rows, **context
        )
        if not isinstance(data, dict) or not isinstance(data.get("body"), list):
            raise TypeError(f"{name} must render an object with a list of body elements")
        card = {
            "$schema": SCHEMA,
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": data["body"],
        }
        return TeamsMessage(text=str(data["text"]), card=card)

    def _message(self, name: str, locale: str, **context: object) -> TeamsMessage:
        message = self._render(name, locale, context)
        size = card_bytes(message.card)
        if size > MAX_CARD_BYTES:
            raise ValueError(f"{name} rendered a {size}-byte card, over {MAX_CARD_BYTES}")
        return message

    def _fitted(
        self,
        name: str,
        locale: str,
        budgets: Sequence[object],
        **context: object,
    ) -> TeamsMessage:
        """The first rendering within :data:`MAX_CARD_BYTES`, budget after budget (each
        template reads its own kind of ``budget``: a number, or a dict of them)."""
        size = 0
        for budget in budgets:
            message = self._render(name, locale, {**context, "budget": budget})
            size = card_bytes(message.card)
            if size <= MAX_CARD_BYTES:
                return message
        raise ValueError(
            f"{name} needs {size} bytes even at its smallest, over {MAX_CARD_BYTES}: "
            "too many items or share URLs too long"
        )


def card_bytes(card: dict[str, Any] | None) -> int:
    """The size of ``card`` as JSON (``json.dumps`` defaults: non-ASCII as ``\\u`` escapes)."""
    return len(json.dumps(card).encode()) if card is not None else 0


def _rows(items: Sequence[_T], size: int = MAX_ACTIONS_PER_ROW) -> list[list[_T]]:
    """``items`` in as few rows of at most ``size`` as possible, the rows as even as
    possible (7 → 3, 2, 2), longest first."""
    if not items:
        return []
    count = math.ceil(len(items) / size)
    base, extra = divmod(len(items), count)
    rows: list[list[_T]] = []
    start = 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        rows.append(list(items[start:end]))
        start = end
    return rows


def _link_only(views: Iterable[SuggestionView]) -> list[str]:
    """The networks whose share button takes only the link (the text has to be pasted by
    hand) in any of ``views`` not yet expired, each once, in button order."""
    networks = (b.network for v in views if not v.expired for b in v.buttons)
    return [n.value for n in dict.fromkeys(networks) if not takes_text(n)]


def guidelines_paragraphs(markdown: str, *, max_bytes: int = MAX_GUIDELINES_BYTES) -> list[str]:
    """The guidelines' Markdown as TextBlock paragraphs, within ``max_bytes`` in all.

    The guidelines are the programme's own text, so their Markdown is kept (``**bold**``,
    ``_italic_``, ``[text](url)``) and only what TextBlocks lack is rewritten: ``# Heading``
    → ``**Heading**``, ``__bold__`` → ``**bold**``, list markers → ``•`` (lists render
    differently from one client to the next). Past ``max_bytes`` the text ends with "…".
    """
    lines = []
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(raw)
        if heading:
            line = f"**{heading.group(1)}**" if heading.group(1) else ""
        else:
            line = _BULLET.sub("• ", raw).strip()
        lines.append(_UNDERSCORE_BOLD.sub(r"**\1**", line))
    blocks = [p.strip("\n") for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]

    kept: list[str] = []
    used = 0
    for block in blocks:
        size = len(block.encode())
        if used + size > max_bytes:
            room = max_bytes - used
            if room > 100:
                cut = block.encode()[: room - 10].decode(errors="ignore")
                kept.append(_cut_at_space(cut) + " " + ELLIPSIS)
            elif kept:
                kept[-1] = f"{kept[-1]} {ELLIPSIS}"
            break
        kept.append(block)
        used += size
    return kept


def _cut_at_space(text: str) -> str:
    """``text`` without its last, possibly cut, word (never a half link or bold marker)."""
    head = text.rsplit(" ", 1)[0] if " " in text else text
    return _close_markup(head.rstrip())


def _close_markup(text: str) -> str:
    """Drop an unclosed ``[`` link or ``**`` left at the end of a cut paragraph."""
    if text.count("**") % 2:
        text = text[: text.rfind("**")].rstrip()
    opening = text.rfind("[")
    if opening > text.rfind(")"):
        text = text[:opening].rstrip()
    return text
