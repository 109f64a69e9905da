"""Slack's escaped command text (``should_escape: true``) and the person a command names."""

from __future__ import annotations

import pytest

from adapters.slack.translate import to_command_text, to_email, to_mentioned_user
from bot.errors import InvalidInput
from bot.model import Platform, PlatformUser


def test_channel_references_become_topics_again() -> None:
    body = {"text": "post <https://example.com/a> <#C0EVENTS|events> #ai Come!"}
    assert to_command_text(body) == "post <https://example.com/a> #events #ai Come!"
    assert to_command_text({}) == ""


def test_mentions_read_as_typed_except_for_curators() -> None:
    typed = "post <https://example.com/a> Thanks <@U05BOB0002|bob>, <!here> <!subteam^S0C|@comms>"
    assert to_command_text({"text": typed}) == (
        "post <https://example.com/a> Thanks @bob, @here @comms"
    )
    assert to_command_text({"text": "curators add <@U05BOB0002|bob>"}) == (
        "curators add <@U05BOB0002|bob>"
    )


@pytest.mark.parametrize(
    ("text", "user_id", "name"),
    [
        ("<@U05BOB0002|bob>", "U05BOB0002", "bob"),
        ("<@U05BOB0002>", "U05BOB0002", None),
        ("W05BOB0002", "W05BOB0002", None),  # Enterprise Grid ids start with W
    ],
)
def test_the_person_a_command_names(text: str, user_id: str, name: str | None) -> None:
    assert to_mentioned_user(text, "T1") == (PlatformUser(Platform.SLACK, "T1", user_id), name)


@pytest.mark.parametrize(
    "text", ["", "bob", "@bob", "<@U05BOB0002> <@U05EVE0003>", "<!here>", "<#C123|general>"]
)
def test_naming_nobody_is_refused_politely(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_mentioned_user(text, "T1")
    assert refused.value.notice_key == "person_missing"


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("<mailto:Bob@Acme.example|Bob@Acme.example>", "bob@acme.example"),
        ("bob@acme.example", "bob@acme.example"),
        ("<@U05BOB0002|bob>", None),
        ("bob", None),
        ("a@b.c d@e.f", None),
    ],
)
def test_an_email_names_a_person(text: str, email: str | None) -> None:
    assert to_email(text) == email
