"""Parsing of the ``/advocacy`` command line (Slack) and of typed commands (Teams).

Syntax (documented in ``/advocacy help`` and the README)::

    help | join | interests | leave | me | leaderboard | guidelines
    my-data | forget-me                   export / erase what is stored about me
    post                                  open the form (curators)
    post [--draft] [--everyone] [--important] [--at 2026-11-25T09:00]
         [--expires 2026-12-01T18:00] [--lang fr] [--network x]
         <url> [#topic ...] [suggested text]
    status                                the delivery queue (curators)
    list                                  recent content (curators)
    publish <id>                          publish a draft (curators)
    settings                              every preference in one form
    pause [days] | resume                 stop suggestions (for N days), start them again
    curators [add|remove <person>]        list, add or remove curators (admins)
    audit [n] [--before <id>]             the latest audit entries (admins)
    suggest <url> [why]                   suggest a link for the comms team to review
    stats [7d|30d|90d|all]                programme figures and EMV (curators)
    stats <content id> [window]           one content's figures (curators)
    stats export [window]                 the per-content CSV (curators)
    prospects [window]                    who to invite: engaged non-ambassadors (curators)
    leaderboard [week|month|all] [team <id>]   a board: period, one team or department
    hide | unhide                         leave public boards (you still see your rank) / rejoin
    team [<id> | none]                    your team or department, for the team boards
    recap [on | off]                      the personal weekly recap DM: turn it on or off
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.errors import InvalidInput, UnknownCommand


@dataclass(frozen=True)
class Simple:
    """A subcommand without arguments."""

    name: str


@dataclass(frozen=True)
class PostInline:
    """The one-line post form."""

    url: str
    topics: tuple[str, ...]
    text: str | None
    draft: bool
    everyone: bool
    important: bool = False
    at: str | None = None  # local date and time, as typed (parsed with the programme's zone)
    expires: str | None = None
    lang: str | None = None  # the suggested text's language (None: any)
    network: str | None = None  # the suggested text's network (None: any)


@dataclass(frozen=True)
class Publish:
    """Publish a draft by id."""

    content_id: int


@dataclass(frozen=True)
class Pause:
    """Pause suggestions, for ``days`` days or (None) until resumed."""

    days: int | None


@dataclass(frozen=True)
class Curators:
    """``curators`` (list), ``curators add <person>``, ``curators remove <person>``.

    ``person`` is the text as typed (a Slack mention ``<@U123|name>``, an id, an email);
    the platform adapter turns it, or a Teams mention, into a person.
    """

    action: str  # list | add | remove
    person: str = ""


@dataclass(frozen=True)
class Audit:
    """``audit [n] [--before <id>]``: the latest entries of the audit log."""

    limit: int = 20
    before: int | None = None


@dataclass(frozen=True)
class Suggest:
    """Anyone suggests a link, with why it is worth sharing."""

    url: str
    why: str | None


@dataclass(frozen=True)
class Stats:
    """``stats [window]``, ``stats <content id> [window]``, ``stats export [window]``."""

    window: str = "30d"  # 7d | 30d | 90d | all
    content_id: int | None = None
    export: bool = False


@dataclass(frozen=True)
class Prospects:
    """``prospects [window]``: the most engaged non-ambassadors, to invite."""

    window: str = "30d"


@dataclass(frozen=True)
class Board:
    """``leaderboard [week|month|all] [team <id>]``."""

    period: str = "week"
    team: str | None = None


@dataclass(frozen=True)
class TeamChoice:
    """``team`` (list the teams), ``team <id>`` (join one), ``team none`` (leave it)."""

    team: str | None
    clear: bool = False


@dataclass(frozen=True)
class RecapChoice:
    """``recap on`` / ``recap off``: the personal weekly recap DM; ``recap``: which it is."""

    on: bool | None


RECAP_ON = ("on", "yes", "oui")
RECAP_OFF = ("off", "no", "non")


Command = (
    Simple
    | PostInline
    | Publish
    | Pause
    | Curators
    | Audit
    | Suggest
    | Stats
    | Prospects
    | Board
    | TeamChoice
    | RecapChoice
)

SIMPLE_COMMANDS = (
    "help",
    "join",
    "interests",
    "leave",
    "me",
    "leaderboard",
    "guidelines",
    "list",
    "post",
    "status",
    "settings",
    "resume",
    "my-data",
    "forget-me",
    "hide",
    "unhide",
)
ALL_COMMANDS = (
    *SIMPLE_COMMANDS,
    "publish",
    "pause",
    "curators",
    "audit",
    "suggest",
    "stats",
    "prospects",
    "team",
    "recap",
)
STATS_WINDOWS = ("7d", "30d", "90d", "all")
MAX_COMMAND_LENGTH = 4_000


def parse_command(text: str) -> Command:
    """Parse the text after ``/advocacy``.

    Args:
        text: what the person typed after the command name.

    Returns:
        The command; an empty text means ``help``.

    Raises:
        UnknownCommand: the first word is not a subcommand (with close matches suggested).
        InvalidInput: the subcommand's arguments are malformed.
    """
    if len(text) > MAX_COMMAND_LENGTH:
        raise InvalidInput("command_too_long", limit=MAX_COMMAND_LENGTH)
    words = text.strip().split(maxsplit=1)
    if not words:
        return Simple("help")
    name, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if name == "post" and rest.strip():
        return _parse_post(rest)
    if name == "publish":
        return _parse_publish(rest)
    if name == "pause":
        return _parse_pause(rest)
    if name == "curators":
        return _parse_curators(rest)
    if name == "audit":
        return _parse_audit(rest)
    if name == "suggest":
        return _parse_suggest(rest)
    if name == "stats":
        return _parse_stats(rest)
    if name == "prospects":
        words = rest.lower().split()
        if len(words) > 1 or (words and words[0] not in STATS_WINDOWS):
            raise InvalidInput("stats_usage", field="window")
        return Prospects(words[0] if words else "30d")
    if name == "leaderboard" and rest.strip():
        return _parse_board(rest)
    if name == "team":
        chosen = rest.strip()[:100]
        if chosen.lower() == "none":
            return TeamChoice(None, clear=True)
        return TeamChoice(chosen or None)
    if name == "recap":
        return _parse_recap(rest)
    if name in SIMPLE_COMMANDS:
        return Simple(name)
    close = difflib.get_close_matches(name, ALL_COMMANDS, n=2, cutoff=0.6)
    raise UnknownCommand(name, command=name[:50], suggestions=close)


def _parse_publish(rest: str) -> Publish:
    arg = rest.strip().lstrip("#")
    if not (arg.isascii() and arg.isdigit()) or len(arg) > 18:
        raise InvalidInput("publish_needs_id", field="id")
    return Publish(int(arg))


def _parse_pause(rest: str) -> Pause:
    arg = rest.strip().lower()
    for unit in ("days", "day", "d", "jours", "jour", "j"):  # "7", "7d", "7 days", "7 jours"
        if arg.endswith(unit):
            arg = arg.removesuffix(unit).strip()
            break
    if not rest.strip():
        return Pause(None)
    if not (arg.isascii() and arg.isdigit()) or len(arg) > 4:
        raise InvalidInput("bad_pause_days", field="days", limit=365)
    return Pause(int(arg))


def _parse_recap(rest: str) -> RecapChoice:
    arg = rest.strip().lower()
    if not arg:
        return RecapChoice(None)
    if arg in RECAP_ON:
        return RecapChoice(True)
    if arg in RECAP_OFF:
        return RecapChoice(False)
    raise InvalidInput("recap_usage", field="recap")


def _parse_curators(rest: str) -> Curators:
    words = rest.strip().split(maxsplit=1)
    if not words or words[0].lower() == "list":
        return Curators("list")
    action = words[0].lower()
    if action not in ("add", "remove"):
        raise InvalidInput("curators_usage", field="action")
    return Curators(action, words[1].strip()[:300] if len(words) > 1 else "")


def _parse_audit(rest: str) -> Audit:
    tokens = rest.split()
    limit, before = 20, None
    while tokens:
        word = tokens.pop(0).lower()
        value = _positive(tokens.pop(0).lstrip("#") if word == "--before" and tokens else word)
        if value is None:
            raise InvalidInput("audit_usage", field="limit")
        if word == "--before":
            before = value
        else:
            limit = value
    return Audit(limit, before)


def _positive(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) < 1:
        return None
    return int(text)


def _parse_post(rest: str) -> PostInline:
    tokens = rest.split()
    draft = everyone = important = False
    values: dict[str, str] = {}
    while tokens and tokens[0].startswith("--"):
        flag = tokens.pop(0).lower()
        if flag == "--draft":
            draft = True
        elif flag in ("--everyone", "--all"):
            everyone = True
        elif flag == "--important":
            important = True
        elif flag in ("--at", "--expires", "--lang", "--network") and tokens:
            values[flag] = tokens.pop(0)
        else:
            raise InvalidInput("unknown_flag", field="flag", flag=flag[:30])
    if not tokens:
        raise InvalidInput("url_missing", field="url")
    url = tokens.pop(0).strip("<>")  # Slack wraps links as <https://...>
    if "|" in url:  # <https://example.com|example.com>
        url = url.split("|", 1)[0]
    topics: list[str] = []
    while tokens and tokens[0].startswith("#") and len(tokens[0]) > 1:
        topics.append(tokens.pop(0)[1:])
    text = " ".join(tokens).strip() or None
    return PostInline(
        url=url,
        topics=tuple(topics),
        text=text,
        draft=draft,
        everyone=everyone,
        important=important,
        at=values.get("--at"),
        expires=values.get("--expires"),
        lang=values.get("--lang"),
        network=values.get("--network"),
    )


def _parse_suggest(rest: str) -> Suggest:
    words = rest.strip().split(maxsplit=1)
    if not words:
        raise InvalidInput("suggest_url_missing", field="url")
    url = words[0].strip("<>")  # Slack wraps links as <https://...|label>
    if "|" in url:
        url = url.split("|", 1)[0]
    why = words[1].strip() if len(words) > 1 else ""
    return Suggest(url=url, why=why or None)


def _parse_stats(rest: str) -> Stats:
    words = rest.lower().split()
    export = bool(words) and words[0] in ("export", "csv")
    if export:
        words.pop(0)
    content_id = None
    if words and not export and words[0].lstrip("#").isascii() and words[0].lstrip("#").isdigit():
        content_id = _positive(words.pop(0).lstrip("#"))
        if content_id is None:
            raise InvalidInput("stats_usage", field="window")
    window = words.pop(0) if words else "30d"
    if words or window not in STATS_WINDOWS:
        raise InvalidInput("stats_usage", field="window")
    return Stats(window, content_id, export)


BOARD_PERIODS = ("week", "month", "all")


def _parse_board(rest: str) -> Board:
    words = rest.split()
    period = "week"
    if words and words[0].lower() in BOARD_PERIODS:
        period = words.pop(0).lower()
    team: str | None = None
    if words and words[0].lower() == "team":
        team = " ".join(words[1:]).strip()
        if not team:
            raise InvalidInput("bad_board", field="team")
        words = []
    if words:
        raise InvalidInput("bad_board", word=words[0][:30])
    return Board(period, team[:100] if team else None)
