"""Parsing of the ``/advocacy`` command line (Slack) and of typed commands (Teams).

Syntax (documented in ``/advocacy help`` and the README)::

    help | join | interests | leave | me | leaderboard | guidelines
    my-data | forget-me                   export / erase what is stored about me
    post                                  open the form (curators)
    post [--draft] [--everyone] [--important] [--at 2026-11-25T09:00]
         [--expires 2026-12-01T18:00] <url> [#topic ...] [suggested text]
    status                                the delivery queue (curators)
    list                                  recent content (curators)
    publish <id>                          publish a draft (curators)
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


@dataclass(frozen=True)
class Publish:
    """Publish a draft by id."""

    content_id: int


Command = Simple | PostInline | Publish

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
    "my-data",
    "forget-me",
)
ALL_COMMANDS = (*SIMPLE_COMMANDS, "publish")
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
    if name in SIMPLE_COMMANDS:
        return Simple(name)
    close = difflib.get_close_matches(name, ALL_COMMANDS, n=2, cutoff=0.6)
    raise UnknownCommand(name, command=name[:50], suggestions=close)


def _parse_publish(rest: str) -> Publish:
    arg = rest.strip().lstrip("#")
    if not (arg.isascii() and arg.isdigit()) or len(arg) > 18:
        raise InvalidInput("publish_needs_id", field="id")
    return Publish(int(arg))


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
        elif flag in ("--at", "--expires") and tokens:
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
    )
