"""Slack rendering: view models in, Block Kit JSON out.

:class:`SlackRenderer` makes no Slack call; the Slack adapter sends what it returns
(``chat.postMessage(text=msg.text, blocks=msg.blocks)``, ``views.open(view=...)``). Layout
lives in ``messages/slack/*.json.j2``, sentences in ``messages/i18n/*.yaml``, ids in
:mod:`messages.slack_ids`.

Limits honoured here (platform-facts §1.4): ≤ 50 blocks per message and ≤ 100 per modal,
header 150, section 3,000, button text 75, option text 75, modal title/submit/close 24.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.share import takes_text
from bot.texts import EditForm
from bot.views import (
    AuditView,
    ContentListView,
    ContentStatsView,
    CuratorsView,
    DigestView,
    EnrolmentForm,
    ForgetMeView,
    GuidelinesView,
    HelpView,
    HomeView,
    InvitationView,
    LeaderboardView,
    Notice,
    PostForm,
    ProfileView,
    ProspectsView,
    RecapView,
    RejectForm,
    ReminderView,
    ReviewCardView,
    SettingsForm,
    StatsView,
    StatusView,
    SuggestionView,
    WeeklyDigestView,
)
from messages import slack_ids
from messages.charts import chart_alt
from messages.render import (
    ELLIPSIS,
    SafeText,
    Templates,
    slack_escape,
    strip_markup,
    truncate_to,
)

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3_000
MAX_LIST_LINES = 100  # leaderboard / content list lines
MAX_LIST_SECTIONS = 40  # ... packed into at most this many sections (≤ 50 blocks in all)
MAX_DIGEST_BOARD_SECTIONS = 30  # the weekly digest's board: room for its other blocks
MAX_TEXT_INPUTS = 10  # suggested-text inputs in the post modal
MAX_STATS_SECTIONS = 3  # stats: sections per list (4 lists + EMV: ≤ 50 blocks in all)
MAX_STATS_DEPARTMENTS = 40  # stats: department lines
MAX_STATUS_SECTIONS = 10  # status: field sections, and job sections, each (≤ 50 blocks in all)
NOTICE_TEXT_LIMIT = 150  # modal field errors stay short
AUDIT_TEXT_BUDGET = 10_000  # audit lines in one message (Slack refuses ~12,000 in all)

# Guidelines sections in the join modal: 40 x 3,000 characters keeps the view far below
# both the 100-block limit and the 250 kB ``views.open`` size limit.
MAX_GUIDELINES_SECTIONS = 40
# ... and in a message, at most this many characters of guidelines in all: besides the 50
# blocks and 3,000 characters per section, ``chat.postMessage`` refuses blocks whose text
# adds up to more than about 12,000 characters (``msg_blocks_too_long``, undocumented).
MAX_GUIDELINES_MESSAGE_TEXT = 8_000

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


@dataclass(frozen=True)
class SlackMessage:
    """A message to post: ``text`` is the notification / screen-reader fallback."""

    text: str
    blocks: list[dict[str, Any]]


class SlackRenderer:
    """Renders every Slack message and modal of the bot."""

    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    # --- messages -------------------------------------------------------------------------

    def suggestion(self, view: SuggestionView) -> SlackMessage:
        """A suggestion DM in its current state (fresh, clicked, confirmed, skipped or
        expired: an expired one keeps its text and points but loses every button)."""
        link_only = _link_only([view])
        return self._message(
            "slack/suggestion.json.j2", view.locale, view=view, link_only=link_only
        )

    def digest(self, view: DigestView) -> SlackMessage:
        """A digest DM: several suggestions, each with the buttons (same action ids and
        values as :meth:`suggestion`) or the state line it would have on its own.

        Raises ``ValueError`` for a digest without items, or one that would need more than
        50 blocks (the caller sends at most 8 items: at most 44 blocks).
        """
        if not view.items:
            raise ValueError("a digest lists at least one suggestion")
        data = self._render(
            "slack/digest.json.j2",
            view.locale,
            {"view": view, "link_only": _link_only(view.items)},
        )
        blocks: list[dict[str, Any]] = data["blocks"]
        if len(blocks) > MAX_MESSAGE_BLOCKS:
            raise ValueError(
                f"a digest of {len(view.items)} suggestions needs {len(blocks)} blocks, "
                f"more than the {MAX_MESSAGE_BLOCKS} a message may have"
            )
        return SlackMessage(text=str(data["text"]), blocks=blocks)

    def reminder(self, view: ReminderView) -> SlackMessage:
        """The one gentle reminder, to post in the thread of the suggestion DM."""
        return self._message("slack/reminder.json.j2", view.locale, view=view)

    def status(self, view: StatusView) -> SlackMessage:
        """The delivery queue at a glance: counts per state, recent sends, rates, next jobs."""
        return self._message(
            "slack/status.json.j2",
            view.locale,
            view=view,
            counts=view.ordered_counts,
            max_sections=MAX_STATUS_SECTIONS,
        )

    def leaderboard(self, view: LeaderboardView) -> SlackMessage:
        """A weekly ranking, with the viewer's own standing when known."""
        return self._message(
            "slack/leaderboard.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            max_sections=MAX_LIST_SECTIONS,
        )

    def notice(self, notice: Notice, locale: str) -> SlackMessage:
        """A short message to one person (confirmation, refusal, error)."""
        key = f"notice.{notice.key}"
        params = dict(notice.params)
        body = self._templates.text(key, locale, **params)
        # The notification text is parsed by Slack too: keep the escapes, drop the markup.
        return self._message("slack/notice.json.j2", locale, body=body, text=strip_markup(body))

    def notice_text(
        self, notice: Notice, locale: str, *, limit: int | None = NOTICE_TEXT_LIMIT
    ) -> str:
        """A notice as plain text (modal field errors, ephemeral fallbacks), cut to ``limit``."""
        text = self._templates.plain(f"notice.{notice.key}", locale, **dict(notice.params))
        return text if limit is None else truncate_to(text, limit)

    def help(self, view: HelpView) -> SlackMessage:
        """The commands a person can use (curator commands only for curators)."""
        return self._message("slack/help.json.j2", view.locale, view=view)

    def recap(self, view: RecapView) -> SlackMessage:
        """The personal weekly recap DM, with its button that turns the recap off."""
        return self._message("slack/recap.json.j2", view.locale, view=view)

    def profile(self, view: ProfileView) -> SlackMessage:
        """A person's points, rank and choices."""
        return self._message("slack/profile.json.j2", view.locale, view=view)

    def content_list(self, view: ContentListView) -> SlackMessage:
        """Recent content with its status, for curators."""
        return self._message(
            "slack/content_list.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            max_sections=MAX_LIST_SECTIONS,
        )

    def curators(self, view: CuratorsView) -> SlackMessage:
        """Admins and curators with where each role comes from (for admins)."""
        return self._message(
            "slack/curators.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            max_sections=MAX_LIST_SECTIONS // 2,
        )

    def audit(self, view: AuditView) -> SlackMessage:
        """The latest audit entries (for admins), within :data:`AUDIT_TEXT_BUDGET`."""
        return self._message(
            "slack/audit.json.j2",
            view.locale,
            view=view,
            budget=AUDIT_TEXT_BUDGET,
            max_sections=MAX_LIST_SECTIONS,
        )

    def guidelines(self, view: GuidelinesView) -> SlackMessage:
        """The programme's guidelines, or the request to accept a new version
        (``view.changed``): the text (cut, with a note, past
        :data:`MAX_GUIDELINES_MESSAGE_TEXT` characters), its version, and the "I accept"
        button (``ACCEPT_GUIDELINES_ACTION``, value: the version) when ``view.can_accept``."""
        every = guidelines_sections(view.markdown, max_sections=MAX_MESSAGE_BLOCKS)
        sections = fit_sections(every, MAX_GUIDELINES_MESSAGE_TEXT)
        return self._message(
            "slack/guidelines.json.j2",
            view.locale,
            view=view,
            sections=sections,
            truncated=sections != every,
        )

    def forget_me(self, view: ForgetMeView) -> SlackMessage:
        """``forget-me``: what is erased and kept, an "Erase my data" button (danger style,
        ``FORGET_ME_CONFIRM_ACTION``) and "Cancel" (``FORGET_ME_CANCEL_ACTION``)."""
        return self._message("slack/forget_me.json.j2", view.locale, view=view)

    def export_file_texts(self, locale: str, programme: str) -> tuple[str, str]:
        """The title and the comment of the uploaded ``my-data`` file (plain text)."""
        return (
            self._templates.plain("my_data.file_title", locale, programme=programme),
            self._templates.plain("my_data.comment", locale, programme=programme),
        )

    # --- modals ---------------------------------------------------------------------------

    def join_modal(self, form: EnrolmentForm) -> dict[str, Any]:
        """The join modal (guidelines + accept + choices), or the preferences modal when
        ``form.guidelines_markdown`` is ``None``."""
        guidelines: list[str] = []
        if form.guidelines_markdown is not None:
            guidelines = guidelines_sections(
                form.guidelines_markdown, max_sections=MAX_GUIDELINES_SECTIONS
            )
        return self._view("slack/join.json.j2", form.locale, form=form, guidelines=guidelines)

    def post_modal(self, form: PostForm) -> dict[str, Any]:
        """The curator's form to send content."""
        texts = max(1, min(form.max_texts, MAX_TEXT_INPUTS))
        return self._view("slack/post.json.j2", form.locale, form=form, texts=texts)

    def settings_modal(self, form: SettingsForm) -> dict[str, Any]:
        """The settings modal: every preference, pre-filled (``SETTINGS_VIEW``)."""
        return self._view("slack/settings.json.j2", form.locale, form=form)

    def home(self, view: HomeView) -> dict[str, Any]:
        """The App Home tab (``views.publish``): the join invitation or the dashboard."""
        return self._view("slack/home.json.j2", view.locale, view=view)

    def review(self, view: ReviewCardView) -> SlackMessage:
        """A suggestion's card in the review channel: Approve / Edit / Reject while pending
        (value: the suggestion id), else its outcome and who decided."""
        who = mention(view.suggester_id) if view.same_platform else None
        return self._message(
            "slack/review.json.j2",
            view.locale,
            view=view,
            who=who or (slack_escape(view.suggester_name) if view.suggester_name else None),
            reviewer=mention(view.reviewer_id)
            or (slack_escape(view.reviewer_name) if view.reviewer_name else None),
        )

    def reject_modal(self, form: RejectForm) -> dict[str, Any]:
        """The modal asking why a suggestion is rejected."""
        return self._view("slack/reject.json.j2", form.locale, form=form)

    def edit_text_modal(self, form: EditForm) -> dict[str, Any]:
        """The "Copy / edit text" modal of a suggestion (``EDIT_TEXT_VIEW``)."""
        return self._view("slack/edit_text.json.j2", form.locale, form=form)

    # --- web ------------------------------------------------------------------------------

    def link_not_found_page(self, locale: str) -> str:
        """The HTML page for an unknown or expired tracked link."""
        return self._templates.render_html("web/link_not_found.html.j2", locale)

    def link_expired_page(self, locale: str) -> str:
        """The HTML page for a tracked link whose content was expired (no longer shared)."""
        return self._templates.render_html("web/link_not_found.html.j2", locale, state="expired")

    def data_link_refused_page(self, locale: str, expired: bool) -> str:
        """The HTML page for a personal data download link that is expired or not valid."""
        return self._templates.render_html(
            "web/data_link_refused.html.j2", locale, state="expired" if expired else "invalid"
        )

    # --- curators' stats ------------------------------------------------------------------

    def stats(self, view: StatsView | ContentStatsView) -> SlackMessage:
        """``stats`` / ``stats <id>``: figures, lists, and the EMV with its formula and inputs."""
        return self._message(
            "slack/stats.json.j2",
            view.locale,
            view=view,
            kind="programme" if isinstance(view, StatsView) else "content",
            max_sections=MAX_STATS_SECTIONS,
            max_departments=MAX_STATS_DEPARTMENTS,
        )

    def prospects(self, view: ProspectsView) -> SlackMessage:
        """``prospects``: engaged non-ambassadors, each with an Invite button."""
        return self._message("slack/prospects.json.j2", view.locale, view=view)

    def invitation(self, view: InvitationView) -> SlackMessage:
        """The invitation DM to a prospect, with Join (opens the join modal)."""
        return self._message("slack/invitation.json.j2", view.locale, view=view)

    def weekly_digest(self, view: WeeklyDigestView) -> SlackMessage:
        """The weekly digest in a channel: leaderboard, badges, content of the week,
        figures (the chart is uploaded apart: :meth:`chart_file_texts`)."""
        return self._message(
            "slack/weekly_digest.json.j2",
            view.locale,
            view=view,
            max_lines=MAX_LIST_LINES,
            max_sections=MAX_DIGEST_BOARD_SECTIONS,
        )

    def chart_file_texts(self, view: WeeklyDigestView) -> tuple[str, str]:
        """The title and the alt text of the digest's uploaded chart (plain text)."""
        weeks = view.chart.weeks if view.chart is not None else ()
        return (
            self._templates.plain("chart.file_title", view.locale, start=view.board.week_start),
            chart_alt(self._templates, weeks, view.locale),
        )

    def stats_file_texts(self, locale: str, window: str, programme: str) -> tuple[str, str]:
        """The title and the comment of the uploaded stats CSV (plain text)."""
        period = self._templates.plain(f"stats.window.{window}", locale)
        return (
            self._templates.plain("stats.file_title", locale, window=period, programme=programme),
            self._templates.plain("stats.file_comment", locale, window=period),
        )

    def stats_link_refused_page(self, locale: str, expired: bool) -> str:
        """The HTML page for a stats export link that is expired or not valid."""
        return self._templates.render_html(
            "web/stats_link_refused.html.j2", locale, state="expired" if expired else "invalid"
        )

    # --- helpers --------------------------------------------------------------------------

    def _render(self, name: str, locale: str, context: dict[str, object]) -> dict[str, Any]:
        data = self._templates.render_json(name, locale, ids=slack_ids, **context)
        if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
            raise TypeError(f"{name} must render an object with a list of blocks")
        return data

    def _message(self, name: str, locale: str, **context: object) -> SlackMessage:
        data = self._render(name, locale, context)
        blocks: list[dict[str, Any]] = data["blocks"]
        return SlackMessage(text=str(data["text"]), blocks=blocks[:MAX_MESSAGE_BLOCKS])

    def _view(self, name: str, locale: str, **context: object) -> dict[str, Any]:
        data = self._render(name, locale, context)
        data["blocks"] = data["blocks"][:MAX_VIEW_BLOCKS]
        return data


def _link_only(views: Iterable[SuggestionView]) -> list[str]:
    """The networks whose share button takes only the link (the text has to be pasted by
    hand) in any of ``views`` not yet expired, each once, in button order."""
    networks = (b.network for v in views if not v.expired for b in v.buttons)
    return [n.value for n in dict.fromkeys(networks) if not takes_text(n)]


def guidelines_sections(
    markdown: str,
    *,
    max_length: int = MAX_SECTION_TEXT,
    max_sections: int = MAX_GUIDELINES_SECTIONS,
) -> list[str]:
    """Convert the guidelines' Markdown to Slack mrkdwn, in sections of ≤ ``max_length``.

    The conversion is deliberately small: ``# Heading`` → ``*Heading*``, ``**bold**`` →
    ``*bold*``, list markers → ``•``, ``[text](url)`` → ``<url|text>``; everything else is
    shown as written (escaped). Paragraphs are kept together where they fit.
    """
    lines = []
    for raw in slack_escape(markdown.replace("\r\n", "\n")).split("\n"):
        heading = _HEADING.match(raw)
        if heading:
            line = f"*{heading.group(1)}*" if heading.group(1) else ""
        else:
            line = _BULLET.sub(lambda found: f"{found.group(1)}• ", raw)
        line = _BOLD.sub(r"*\2*", line)
        lines.append(_LINK.sub(r"<\2|\1>", line.rstrip()))
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]

    pieces: list[str] = []
    for paragraph in paragraphs:
        pieces.extend(_split(paragraph, max_length))
    sections: list[str] = []
    for piece in pieces:
        if sections and len(sections[-1]) + 2 + len(piece) <= max_length:
            sections[-1] = f"{sections[-1]}\n\n{piece}"
        else:
            sections.append(piece)
    if len(sections) > max_sections:
        sections = sections[:max_sections]
        sections[-1] = truncate_to(sections[-1] + " …", max_length)
    return sections


def fit_sections(sections: list[str], budget: int) -> list[str]:
    """The leading mrkdwn ``sections`` within ``budget`` characters in all; the first one that
    does not fit is cut (at a line end or a space, never inside a link) and ends with "…",
    unless too little room is left for it to be worth showing."""
    kept: list[str] = []
    used = 0
    for section in sections:
        if used + len(section) <= budget:
            kept.append(section)
            used += len(section)
            continue
        room = budget - used - len(ELLIPSIS) - 1
        head = _cut_mrkdwn(section, room) if room >= 200 else ""
        if head:
            kept.append(f"{head} {ELLIPSIS}")
        break
    return kept


def _cut_mrkdwn(text: str, limit: int) -> str:
    """The head of ``text`` (≤ ``limit`` characters), cut at a line end or a space when one
    is near, without a half escape, link or bold at its end."""
    head = text[:limit]
    cut = max(head.rfind("\n"), head.rfind(" "))
    if cut > limit // 2:
        head = head[:cut]
    head = re.sub(r"&[a-z]{0,4}$", "", head)
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    last_line = head[head.rfind("\n") + 1 :]
    if last_line.count("*") % 2:
        head = head[: head.rfind("*")]
    return head.rstrip()


def _split(text: str, max_length: int) -> list[str]:
    """Cut a paragraph into pieces of ≤ ``max_length``: at line ends, else hard."""
    if len(text) <= max_length:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > max_length:
            if current:
                pieces.append(current)
                current = ""
            cut = line.rfind(" ", 0, max_length)
            cut = cut if cut > max_length // 2 else max_length
            entity = line.rfind("&", max(0, cut - 5), cut)
            if entity > 0 and ";" not in line[entity:cut]:
                cut = entity  # never split an escape such as &amp;
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        if current and len(current) + 1 + len(line) > max_length:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return pieces


_SLACK_ID = re.compile(r"^[A-Z0-9]{2,30}$")


def mention(user_id: str | None) -> SafeText | None:
    """A Slack user mention (``<@U123>``), or None for anything that is not a Slack user id."""
    if user_id and _SLACK_ID.match(user_id):
        return SafeText(f"<@{user_id}>")
    return None
