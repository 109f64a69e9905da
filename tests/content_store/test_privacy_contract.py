"""``PersonalData`` and ``RawEvents``: the in-memory fake, SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.model import (
    ChatAddress,
    DeliveryStatus,
    InteractionKind,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
    UserProfile,
)
from content_store.privacy import SqlPersonalData
from tests.bot.fakes import MemoryPersonalData, MemoryPorts, record_visit
from tests.content_store.test_contract import CURATOR, NOW, claim_all, content, enrol, user


def personal_data(ports: Any) -> Any:
    if isinstance(ports, MemoryPorts):
        return MemoryPersonalData(ports.store)
    return SqlPersonalData(ports.db)


async def shared_once(ports: Any, n: int = 1) -> tuple[Any, Any, Any]:
    """An ambassador who got one suggestion, clicked LinkedIn, confirmed and reacted."""
    person = await enrol(ports, n, {"ai"}, name=f"Ada Lovelace {n}")
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = [d for d in await claim_all(ports) if d.ambassador_id == person.id]
    message = MessageRef(f"D{n:04d}", "1700000000.000100")
    await ports.queue.mark_sent(
        delivery_id=delivery.id, holder="contract-test", message=message, now=NOW
    )
    delivery = await ports.deliveries.get(delivery.id)
    links = await ports.deliveries.tracked_links(delivery=delivery, networks=[Network.LINKEDIN])
    await ports.ledger.record(
        dedupe_key=f"share:{delivery.id}",
        ambassador_id=person.id,
        content_id=item.id,
        delivery_id=delivery.id,
        kind=InteractionKind.SHARE_CLICK,
        network=Network.LINKEDIN,
        points=8,
        now=NOW,
    )
    await record_visit(ports, link=links[Network.LINKEDIN], is_bot=False, now=NOW)
    await ports.ledger.record_reaction(
        event=ReactionEvent(f"Ev{n}", user(n), "tada", message, True, NOW),
        ambassador_id=person.id,
        content_id=item.id,
        points=1,
    )
    return person, item, delivery


async def test_export_gathers_the_person(ports: Any) -> None:
    person, item, _delivery = await shared_once(ports)
    exported = await personal_data(ports).export(user(1))
    sections = exported.sections
    assert exported.is_ambassador
    assert sections["ambassador"]["display_name"] == "Ada Lovelace 1"
    assert sections["ambassador"]["ref"] == person.ref
    assert sections["topics"] == ["ai"]
    assert [d["content_title"] for d in sections["deliveries"]] == [item.title]
    assert [t["network"] for t in sections["tracked_links"]] == ["linkedin"]
    assert [v["visits"] for v in sections["link_visits"]] == [1]
    assert sum(p["points"] for p in sections["points"]) == 9
    assert [r["reaction"] for r in sections["reactions"]] == ["tada"]
    assert [g["version"] for g in sections["guidelines"]] == ["v1"]
    assert sections["identities"][0]["user_id"] == user(1).user_id


async def test_export_of_someone_who_never_joined(ports: Any) -> None:
    stranger = PlatformUser(Platform.TEAMS, "tenant", "29:stranger")
    assert (await personal_data(ports).export(stranger)).empty
    await ports.addresses.save(ChatAddress(Platform.TEAMS, "tenant", "29:stranger", "{}"), now=NOW)
    exported = await personal_data(ports).export(stranger)
    assert not exported.is_ambassador
    assert [a["key"] for a in exported.sections["chat_addresses"]] == ["29:stranger"]
    assert exported.sections["ambassador"] is None
    await content(ports, ("ai",))
    curator = await personal_data(ports).export(CURATOR)
    assert [c["title"] for c in curator.sections["content_created"]] == ["Hello"]


async def test_erase_keeps_the_counts_and_forgets_the_person(ports: Any) -> None:
    person, _item, _ = await shared_once(ports, 1)
    await shared_once(ports, 2)
    week = (NOW - timedelta(days=7), NOW + timedelta(days=1))
    before = await ports.ledger.leaderboard(start=week[0], end=week[1], limit=10)
    points_before = await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None)
    data = personal_data(ports)

    outcome = await data.erase(user(1), now=NOW)

    assert outcome.erased
    assert await ports.ambassadors.get_by_user(user(1)) is None
    after = await ports.ledger.leaderboard(start=week[0], end=week[1], limit=10)
    assert [e.display_name for e in after] == [
        e.display_name for e in before if e.ambassador_id != person.id
    ]
    # The points stay in the programme's totals, held by the nameless tombstone.
    assert (
        await ports.ledger.points_of(ambassador_id=person.id, start=None, end=None) == points_before
    )
    assert (await data.export(user(1))).empty
    # A second click finds nothing left.
    assert not (await data.erase(user(1), now=NOW)).erased
    # ... and the person can join again, as someone new.
    again = await enrol(ports, 1, {"ai"})
    assert again.id != person.id
    assert again.ref != person.ref


async def test_erase_cancels_what_was_not_sent(ports: Any) -> None:
    person = await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    await personal_data(ports).erase(user(1), now=NOW)
    assert await claim_all(ports) == []
    (delivery,) = [
        d
        for d in (await ports.deliveries.get_many(range(1, 10))).values()
        if d.ambassador_id == person.id
    ]
    assert delivery.status is DeliveryStatus.CANCELLED


async def test_erase_a_stranger_removes_their_address(ports: Any) -> None:
    stranger = PlatformUser(Platform.TEAMS, "tenant", "29:stranger")
    await ports.addresses.save(ChatAddress(Platform.TEAMS, "tenant", "29:stranger", "{}"), now=NOW)
    assert (await personal_data(ports).erase(stranger, now=NOW)).erased
    assert await ports.addresses.find(Platform.TEAMS, "29:stranger") is None
    assert not (await personal_data(ports).erase(stranger, now=NOW)).erased


async def test_profile_untouched_for_others(ports: Any) -> None:
    await shared_once(ports, 1)
    other, _, _ = await shared_once(ports, 2)
    await personal_data(ports).erase(user(1), now=NOW)
    assert await ports.ambassadors.get_by_user(user(2)) == other
    assert isinstance(UserProfile, type)  # the profile type stays importable for the SQL-only tests
