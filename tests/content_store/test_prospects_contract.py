"""ProspectRepository: the fake, SQLite and PostgreSQL agree on ranking and invitations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.model import MessageRef, NewSuggestion, PlatformUser, ReactionEvent, SuggestionSource
from content_store.suggestions import SqlSuggestions
from tests.bot.fakes import MemoryPorts
from tests.content_store.test_contract import NOW, enrol, user

COOLDOWN = timedelta(days=90)


async def react(ports: Any, n: int, event: str, *, added: bool = True, days_ago: int = 1) -> None:
    await ports.ledger.record_reaction(
        event=ReactionEvent(
            event, user(n), "tada", MessageRef("C1", "1.1"), added, NOW - timedelta(days=days_ago)
        ),
        ambassador_id=None,
        content_id=None,
        points=0,
    )


async def suggest(ports: Any, n: int, k: int, name: str | None = None) -> None:
    store = ports.suggestions if isinstance(ports, MemoryPorts) else SqlSuggestions(ports.db)
    await store.add(
        NewSuggestion(
            SuggestionSource.EMPLOYEE,
            f"https://example.com/{n}/{k}",
            "A link",
            "",
            suggester=user(n),
            suggester_name=name,
        ),
        now=NOW - timedelta(days=1),
    )


async def test_ranking_leaves_out_members_and_old_events(ports: Any) -> None:
    await enrol(ports, 1, {"ai"})  # an ambassador: never a prospect
    gone = await enrol(ports, 2, {"ai"})
    await ports.ambassadors.leave(ambassador_id=gone.id, now=NOW)  # left: never again
    for i in range(3):
        await react(ports, 1, f"a{i}")
        await react(ports, 2, f"b{i}")
    for i in range(4):
        await react(ports, 10, f"c{i}")  # 4 reactions: score 4
    await react(ports, 10, "c-removed", added=False)  # a removal does not count
    await react(ports, 10, "c-old", days_ago=60)  # before the window
    await suggest(ports, 11, 1, name="Zoé")
    await suggest(ports, 11, 2, name="Zoé")  # 2 suggestions: score 6
    await react(ports, 12, "d1")  # score 1
    found = await ports.prospects.ranking(since=NOW - timedelta(days=30), limit=10)
    assert [(p.user, p.reactions, p.suggestions, p.name) for p in found] == [
        (user(11), 0, 2, "Zoé"),
        (user(10), 4, 0, None),
        (user(12), 1, 0, None),
    ]
    assert [p.score for p in found] == [6, 4, 1]
    assert [p.user for p in await ports.prospects.ranking(since=NOW, limit=10)] == []
    top = await ports.prospects.ranking(since=NOW - timedelta(days=30), limit=1)
    assert [p.user for p in top] == [user(11)]
    assert await ports.prospects.is_member(user(1))
    assert await ports.prospects.is_member(user(2))
    assert not await ports.prospects.is_member(user(10))


async def test_invitations_once_per_cooldown(ports: Any) -> None:
    curator = PlatformUser(user(99).platform, "T1", "UCURATOR")
    await react(ports, 10, "e1")
    record = ports.prospects.record_invitation
    assert await record(user=user(10), by=curator, now=NOW, cooldown=COOLDOWN)
    assert not await record(user=user(10), by=curator, now=NOW, cooldown=COOLDOWN)
    later = NOW + timedelta(days=89)
    assert not await record(user=user(10), by=curator, now=later, cooldown=COOLDOWN)
    (shown,) = await ports.prospects.ranking(since=NOW - timedelta(days=30), limit=5)
    assert shown.invited_at == NOW
    after = NOW + COOLDOWN
    assert await record(user=user(10), by=curator, now=after, cooldown=COOLDOWN)
    assert not await record(user=user(10), by=curator, now=after, cooldown=COOLDOWN)
    assert await record(user=user(11), by=curator, now=NOW, cooldown=COOLDOWN)


async def test_a_withdrawn_invitation_can_be_sent_again(ports: Any) -> None:
    curator = PlatformUser(user(99).platform, "T1", "UCURATOR")
    record = ports.prospects.record_invitation
    assert await record(user=user(10), by=curator, now=NOW, cooldown=COOLDOWN)
    other = NOW - timedelta(days=1)
    await ports.prospects.withdraw_invitation(user=user(10), invited_at=other)  # not that one
    assert not await record(user=user(10), by=curator, now=NOW, cooldown=COOLDOWN)
    await ports.prospects.withdraw_invitation(user=user(10), invited_at=NOW)
    assert await record(user=user(10), by=curator, now=NOW, cooldown=COOLDOWN)
