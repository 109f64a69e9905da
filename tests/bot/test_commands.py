"""Parsing of ``/advocacy`` command lines."""

from __future__ import annotations

import pytest

from bot.commands import (
    MAX_COMMAND_LENGTH,
    SIMPLE_COMMANDS,
    PostInline,
    Publish,
    Simple,
    parse_command,
)
from bot.errors import InvalidInput, UnknownCommand
from bot.views import Notice

URL = "https://example.com/blog/launch"


def refusal(text: str) -> InvalidInput:
    """The ``InvalidInput`` that parsing ``text`` raises."""
    with pytest.raises(InvalidInput) as caught:
        parse_command(text)
    return caught.value


def post(
    topics: tuple[str, ...] = (),
    text: str | None = None,
    *,
    url: str = URL,
    draft: bool = False,
    everyone: bool = False,
) -> PostInline:
    return PostInline(url=url, topics=topics, text=text, draft=draft, everyone=everyone)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_text_means_help(text: str) -> None:
    assert parse_command(text) == Simple("help")


@pytest.mark.parametrize("name", SIMPLE_COMMANDS)
def test_every_subcommand_without_arguments(name: str) -> None:
    assert parse_command(name) == Simple(name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("JOIN", "join"),
        ("Leave", "leave"),
        ("  LeaderBoard  ", "leaderboard"),
        ("mE", "me"),
        ("POST", "post"),
        ("help me please", "help"),  # words after a simple subcommand are ignored
    ],
)
def test_subcommands_are_case_insensitive(text: str, name: str) -> None:
    assert parse_command(text) == Simple(name)


@pytest.mark.parametrize(
    ("typed", "suggestions"),
    [
        ("jion", ["join"]),
        ("leaderbord", ["leaderboard"]),
        ("publsh", ["publish"]),
        ("Lst", ["list"]),
        ("xyzzy", []),
    ],
)
def test_an_unknown_command_suggests_close_matches(typed: str, suggestions: list[str]) -> None:
    with pytest.raises(UnknownCommand) as caught:
        parse_command(f"{typed} with some words")
    assert caught.value.notice == Notice(
        "unknown_command", {"command": typed.lower(), "suggestions": suggestions}
    )


def test_an_unknown_command_is_quoted_back_at_most_50_characters() -> None:
    with pytest.raises(UnknownCommand) as caught:
        parse_command("z" * 80)
    assert caught.value.params["command"] == "z" * 50


def test_post_one_line_form_with_topics_then_free_text() -> None:
    parsed = parse_command(f"post {URL} #engineering #Careers Read this,   it's #great news!")
    assert parsed == post(("engineering", "Careers"), "Read this, it's #great news!")


def test_post_with_only_a_url() -> None:
    assert parse_command(f"post {URL}") == post()


def test_post_topics_stop_at_a_lone_hash() -> None:
    assert parse_command(f"post {URL} #events # not a topic") == post(("events",), "# not a topic")


@pytest.mark.parametrize(
    ("flags", "draft", "everyone"),
    [
        ("--draft", True, False),
        ("--everyone", False, True),
        ("--all", False, True),
        ("--draft --everyone", True, True),
        ("--EVERYONE --Draft", True, True),
    ],
)
def test_post_flags(flags: str, draft: bool, everyone: bool) -> None:
    parsed = parse_command(f"post {flags} {URL} #events Join us")
    assert parsed == post(("events",), "Join us", draft=draft, everyone=everyone)


def test_post_flags_after_the_url_are_plain_text() -> None:
    assert parse_command(f"post {URL} --draft") == post(text="--draft")


@pytest.mark.parametrize(
    "wrapped",
    [f"<{URL}>", f"<{URL}|example.com/blog/launch>", f"<{URL}?a=1&b=2|{URL}?a=1&b=2>"],
)
def test_post_unwraps_slack_links(wrapped: str) -> None:
    parsed = parse_command(f"post {wrapped} #engineering")
    assert isinstance(parsed, PostInline)
    assert parsed.url.startswith(URL)
    assert not {"<", ">", "|"} & set(parsed.url)
    assert parsed.topics == ("engineering",)


@pytest.mark.parametrize("text", ["post --draft", "post --draft --everyone   "])
def test_post_without_a_url(text: str) -> None:
    error = refusal(text)
    assert (error.notice_key, error.field) == ("url_missing", "url")


def test_post_with_an_unknown_flag() -> None:
    error = refusal(f"post --now {URL}")
    assert (error.notice_key, error.field) == ("unknown_flag", "flag")
    assert error.params == {"flag": "--now"}


def test_an_unknown_flag_is_quoted_back_at_most_30_characters() -> None:
    assert refusal(f"post --{'x' * 60} {URL}").params["flag"] == "--" + "x" * 28


@pytest.mark.parametrize(
    ("text", "content_id"),
    [("publish 12", 12), ("publish #12", 12), ("PUBLISH   7  ", 7), ("publish 0042", 42)],
)
def test_publish_takes_an_id(text: str, content_id: int) -> None:
    assert parse_command(text) == Publish(content_id)


@pytest.mark.parametrize(
    "text",
    [
        "publish",
        "publish abc",
        "publish 12 13",
        "publish -3",
        "publish 1.5",
        "publish #",
        "publish 1e3",
    ],
)
def test_publish_needs_a_numeric_id(text: str) -> None:
    error = refusal(text)
    assert (error.notice_key, error.field) == ("publish_needs_id", "id")


def test_publish_with_a_superscript_digit_is_refused_politely() -> None:
    assert refusal("publish ²").notice_key == "publish_needs_id"


def test_a_command_of_exactly_the_maximum_length_is_parsed() -> None:
    text = "help" + " " * (MAX_COMMAND_LENGTH - len("help"))
    assert parse_command(text) == Simple("help")


@pytest.mark.parametrize("name", ["help", "post", "nonsense"])
def test_an_overlong_command_is_refused_before_anything_else(name: str) -> None:
    error = refusal(f"{name} {URL} " + "x" * MAX_COMMAND_LENGTH)
    assert error.notice == Notice("command_too_long", {"limit": MAX_COMMAND_LENGTH})
