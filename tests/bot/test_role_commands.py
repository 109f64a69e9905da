"""The admin commands' grammar: ``curators [add|remove <person>]`` and ``audit [n]``."""

from __future__ import annotations

import pytest

from bot.commands import Audit, Curators, parse_command
from bot.errors import InvalidInput, UnknownCommand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("curators", Curators("list")),
        ("CURATORS list", Curators("list")),
        ("curators add <@U05BOB0002|bob>", Curators("add", "<@U05BOB0002|bob>")),
        ("curators Remove  U05BOB0002 ", Curators("remove", "U05BOB0002")),
        ("curators add", Curators("add", "")),  # Teams: the person is a mention entity
        ("audit", Audit(20, None)),
        ("audit 5", Audit(5, None)),
        ("audit 30 --before 120", Audit(30, 120)),
        ("audit --before #7", Audit(20, 7)),
    ],
)
def test_admin_commands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        ("curators promote bob", "curators_usage"),
        ("audit all", "audit_usage"),
        ("audit 0", "audit_usage"),
        ("audit -3", "audit_usage"),
        ("audit 5 --before", "audit_usage"),
        ("audit 99999999999999", "audit_usage"),
    ],
)
def test_bad_admin_commands_are_refused_politely(text: str, notice: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_command(text)
    assert refused.value.notice_key == notice


def test_a_typo_suggests_the_admin_commands() -> None:
    with pytest.raises(UnknownCommand) as refused:
        parse_command("curator")
    assert "curators" in refused.value.params["suggestions"]  # type: ignore[operator]
