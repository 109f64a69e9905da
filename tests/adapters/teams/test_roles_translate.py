"""The person a Teams admin command names: a mention entity (the bot's own left out), or a
typed Teams user id."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams.translate import (
    to_command_text,
    to_email,
    to_mentioned_users,
    to_named_user,
)
from bot.errors import InvalidInput
from bot.model import Platform, PlatformUser

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def activity(text: str, *mentions: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "message",
        "text": text,
        "from": {"id": "29:1admin", "aadObjectId": "00000000-0000-4000-8000-0000000000ad"},
        "recipient": {"id": "28:bot", "name": "Advocacy"},
        "conversation": {"id": "19:abc@thread.tacv2", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "entities": [
            {"type": "clientInfo", "locale": "en-US"},
            *(
                {
                    "type": "mention",
                    "text": f"<at>{name}</at>",
                    "mentioned": {"id": uid, "name": name},
                }
                for uid, name in mentions
            ),
        ],
    }


def test_a_mention_names_the_person_and_the_bots_own_is_ignored() -> None:
    message = activity(
        "<at>Advocacy</at> curators add <at>Bob Durand</at>",
        ("28:bot", "Advocacy"),
        ("29:1bob", "Bob Durand"),
    )
    assert to_command_text(message) == "curators add"
    bob = PlatformUser(Platform.TEAMS, TENANT, "29:1bob")
    assert to_mentioned_users(message) == [(bob, "Bob Durand")]
    assert to_named_user("", message) == (bob, "Bob Durand")


def test_a_typed_teams_id_names_the_person() -> None:
    message = activity("curators remove 29:1bob")
    assert to_named_user("29:1bob", message) == (
        PlatformUser(Platform.TEAMS, TENANT, "29:1bob"),
        None,
    )


@pytest.mark.parametrize("person", ["", "bob@example.com", "29:", "U05BOB0002"])
def test_naming_nobody_is_refused_politely(person: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_named_user(person, activity(f"curators add {person}"))
    assert refused.value.notice_key == "person_missing"


def test_an_email_names_a_person() -> None:
    assert to_email("Bob.Durand@acme.example") == "bob.durand@acme.example"
    assert to_email("29:1bob") is None and to_email("") is None
