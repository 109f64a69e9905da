"""One suite, three implementations: the in-memory fake, SQLite and PostgreSQL must agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.model import (
    HELD_FOR_GUIDELINES,
    AmbassadorStatus,
    Audience,
    ChatAddress,
    ContentDraft,
    DeliveryStatus,
    Enrolment,
    InteractionEntry,
    InteractionKind,
    MessageRef,
    Network,
    PageMetadata,
    Platform,
    PlatformUser,
    ReactionEvent,
    UserProfile,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
CURATOR = PlatformUser(Platform.SLACK, "T1", "UCURATOR")


HOLDER = "contract-test"


async def claim_all(ports: Any) -> list[Any]:
    """Every due delivery, claimed (the way a sender sees them)."""
    claimed: list[Any] = []
    for workspace in await ports.queue.workspaces_due(now=NOW):
        epoch = await ports.queue.acquire_lease(
            workspace=workspace, holder=HOLDER, now=NOW, ttl=timedelta(seconds=30)
        )
        claimed += await ports.queue.claim(
            workspace=workspace,
            holder=HOLDER,
            epoch=epoch,
            now=NOW,
            limit=1_000,
            lock_for=timedelta(minutes=1),
        )
    return claimed


def user(n: int) -> PlatformUser:
    return PlatformUser(Platform.SLACK, "T1", f"U{n:04d}")


async def enrol(
    ports: Any,
    n: int,
    topics: set[str],
    networks: tuple[Network, ...] = (Network.LINKEDIN, Network.X),
    name: str | None = None,
) -> Any:
    return await ports.ambassadors.enrol(
        user=user(n),
        profile=UserProfile(display_name=name or f"Person {n}", locale="fr"),
        enrolment=Enrolment(frozenset(topics), networks, "v1"),
        now=NOW,
    )


async def content(
    ports: Any,
    topics: tuple[str, ...],
    audience: Audience = Audience.INTERESTED,
    texts: tuple[str, ...] = ("a", "b"),
) -> Any:
    draft = ContentDraft(
        url="https://example.com/post",
        title="Hello",
        summary=None,
        image_url=None,
        topics=topics,
        texts=texts,
        hashtags=("#x",),
        audience=audience,
        publish_now=True,
    )
    return await ports.contents.create(
        draft=draft, page=PageMetadata(summary="From page"), created_by=CURATOR, now=NOW
    )


async def test_enrol_leave_and_come_back(ports: Any) -> None:
    first = await enrol(ports, 1, {"ai"})
    assert first.is_active
    assert first.topics == {"ai"}
    assert first.locale == "fr"
    assert (await ports.ambassadors.get_by_user(user(1))) == first
    await ports.ambassadors.leave(ambassador_id=first.id, now=NOW)
    left = await ports.ambassadors.get(first.id)
    assert left.status is AmbassadorStatus.LEFT
    again = await enrol(ports, 1, {"jobs", "ai"})
    assert again.id == first.id
    assert again.ref == first.ref
    assert again.is_active
    assert again.topics == {"ai", "jobs"}
    updated = await ports.ambassadors.update_preferences(
        ambassador_id=first.id, topics=frozenset({"events"}), networks=(Network.BLUESKY,)
    )
    assert updated.topics == {"events"}
    assert updated.networks == (Network.BLUESKY,)
    assert await ports.ambassadors.get_by_user(user(99)) is None


async def test_publish_matches_interests_once(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    b = await enrol(ports, 2, {"jobs"})
    c = await enrol(ports, 3, {"ai", "jobs"})
    gone = await enrol(ports, 4, {"ai"})
    await ports.ambassadors.leave(ambassador_id=gone.id, now=NOW)
    item = await content(ports, ("ai",))
    assert item.summary == "From page"
    assert item.title == "Hello"
    result = await ports.contents.publish(content_id=item.id, now=NOW)
    assert result.deliveries_created == 2
    assert not result.already_published
    pending = await claim_all(ports)
    assert {d.ambassador_id for d in pending} == {a.id, c.id}
    # The variant: each person's ordinal among the people of their language, by id.
    assert [d.variant for d in sorted(pending, key=lambda d: d.ambassador_id)] == [0, 1]
    again = await ports.contents.publish(content_id=item.id, now=NOW)
    assert again.already_published
    assert again.deliveries_created == 0
    assert (await ports.queue.counts())["claimed"] == 2
    assert b.id not in {d.ambassador_id for d in pending}


async def test_publish_to_everyone(ports: Any) -> None:
    for n in range(1, 4):
        await enrol(ports, n, {f"t{n}"})
    item = await content(ports, (), audience=Audience.EVERYONE)
    assert (await ports.contents.publish(content_id=item.id, now=NOW)).deliveries_created == 3


async def test_tracked_links_sent_and_failed(ports: Any) -> None:
    await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    links = await ports.deliveries.tracked_links(
        delivery=delivery, networks=[Network.LINKEDIN, Network.X]
    )
    again = await ports.deliveries.tracked_links(
        delivery=delivery, networks=[Network.LINKEDIN, Network.X]
    )
    assert links == again
    assert len({link.token for link in links.values()}) == 2
    found = await ports.contents.content_url_for_token(links[Network.X].token)
    assert found is not None
    assert found[1].url == "https://example.com/post"
    assert found[0].network is Network.X
    assert await ports.contents.content_url_for_token("nope-nope-nope") is None
    ref = MessageRef("D1", "1.1")
    await ports.queue.mark_sent(delivery_id=delivery.id, holder=HOLDER, message=ref, now=NOW)
    sent = await ports.deliveries.find_by_message(ref)
    assert sent.status is DeliveryStatus.SENT
    assert sent.message == ref
    assert await claim_all(ports) == []


async def test_tracked_links_keep_tokens_when_networks_grow(ports: Any) -> None:
    await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    first = await ports.deliveries.tracked_links(delivery=delivery, networks=[Network.LINKEDIN])
    # A retried first send that asks for one more network keeps the token already made.
    grown = await ports.deliveries.tracked_links(
        delivery=delivery, networks=[Network.LINKEDIN, Network.BLUESKY]
    )
    assert grown[Network.LINKEDIN] == first[Network.LINKEDIN]
    assert set(grown) == {Network.LINKEDIN, Network.BLUESKY}
    await ports.queue.mark_sent(
        delivery_id=delivery.id, holder=HOLDER, message=MessageRef("D1", "1.1"), now=NOW
    )
    sent = await ports.deliveries.get(delivery.id)
    # An update in place after the send reads them back, and adds a network chosen since.
    later = await ports.deliveries.tracked_links(
        delivery=sent, networks=[Network.LINKEDIN, Network.BLUESKY, Network.X]
    )
    assert later[Network.BLUESKY] == grown[Network.BLUESKY]
    assert set(later) == {Network.LINKEDIN, Network.BLUESKY, Network.X}
    assert all(link.delivery_id == delivery.id for link in later.values())


async def test_get_many_returns_known_ambassadors(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai", "jobs"})
    b = await enrol(ports, 2, {"events"}, networks=(Network.BLUESKY,))
    found = await ports.ambassadors.get_many([a.id, b.id, a.id, 999_999])
    assert found == {
        a.id: await ports.ambassadors.get(a.id),
        b.id: await ports.ambassadors.get(b.id),
    }
    assert found[a.id].topics == {"ai", "jobs"}
    assert found[b.id].networks == (Network.BLUESKY,)
    assert await ports.ambassadors.get_many([]) == {}


async def test_ids_of_and_deliveries_get_many(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    b = await enrol(ports, 2, {"ai"})
    stranger = PlatformUser(Platform.SLACK, "T1", "UNOBODY")
    other_workspace = PlatformUser(Platform.SLACK, "T2", user(1).user_id)
    assert await ports.ambassadors.ids_of([user(1), user(2), stranger, other_workspace]) == {
        user(1): a.id,
        user(2): b.id,
    }
    assert await ports.ambassadors.ids_of([]) == {}
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    claimed = await claim_all(ports)
    found = await ports.deliveries.get_many([d.id for d in claimed] + [987_654])
    assert set(found) == {d.id for d in claimed}
    assert {d.ambassador_id for d in found.values()} == {a.id, b.id}
    assert await ports.deliveries.get_many([]) == {}


async def test_record_many_counts_each_key_once_and_awards_once(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    b = await enrol(ports, 2, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    by_person = {d.ambassador_id: d for d in await claim_all(ports)}

    def click(who: Any, network: Network, points: int = 5) -> InteractionEntry:
        delivery = by_person[who.id]
        return InteractionEntry(
            dedupe_key=f"share_click:{delivery.id}:{network.value}",
            ambassador_id=who.id,
            content_id=item.id,
            delivery_id=delivery.id,
            kind=InteractionKind.SHARE_CLICK,
            network=network,
            points=points,
        )

    first = await ports.ledger.record_many(
        [
            click(a, Network.LINKEDIN),
            click(a, Network.LINKEDIN),  # a double click in the same batch
            click(b, Network.X, points=0),
            click(a, Network.X),
        ],
        now=NOW,
    )
    assert [(o.recorded, o.points_awarded) for o in first] == [
        (True, 5),
        (False, 0),
        (True, 0),
        (True, 5),
    ]
    again = await ports.ledger.record_many([click(a, Network.X), click(b, Network.X)], now=NOW)
    assert [(o.recorded, o.points_awarded) for o in again] == [(False, 0), (False, 0)]
    assert await ports.ledger.record_many([], now=NOW) == []
    assert await ports.ledger.points_of(ambassador_id=a.id, start=None, end=None) == (10, 1)
    recorded = await ports.ledger.for_delivery(by_person[a.id].id)
    assert sorted((i.network.value, i.points) for i in recorded) == [("linkedin", 5), ("x", 5)]


async def test_interactions_count_once_and_award_once(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    args = {
        "ambassador_id": a.id,
        "content_id": item.id,
        "delivery_id": delivery.id,
        "kind": InteractionKind.SHARE_CLICK,
        "network": Network.LINKEDIN,
        "now": NOW,
    }
    first = await ports.ledger.record(dedupe_key="k1", points=5, **args)
    double = await ports.ledger.record(dedupe_key="k1", points=5, **args)
    other_key = await ports.ledger.record(dedupe_key="k2", points=5, **args)
    assert (first.recorded, first.points_awarded) == (True, 5)
    assert (double.recorded, double.points_awarded) == (False, 0)
    assert (other_key.recorded, other_key.points_awarded) == (True, 0)  # award already given
    interactions = await ports.ledger.for_delivery(delivery.id)
    assert [(i.kind, i.network, i.points) for i in interactions] == [
        (InteractionKind.SHARE_CLICK, Network.LINKEDIN, 5),
        (InteractionKind.SHARE_CLICK, Network.LINKEDIN, 0),
    ]
    assert await ports.ledger.points_of(ambassador_id=a.id, start=None, end=None) == (5, 1)


async def test_reactions_dedupe_by_event_and_never_farm_points(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    msg = MessageRef("D1", "1.1")

    def event(event_id: str, added: bool) -> ReactionEvent:
        return ReactionEvent(event_id, user(1), "rocket", msg, added, NOW)

    outcomes = [
        await ports.ledger.record_reaction(
            event=event(e, add), ambassador_id=a.id, content_id=item.id, points=1
        )
        for e, add in [("Ev1", True), ("Ev1", True), ("Ev2", False), ("Ev3", True)]
    ]
    assert [o.recorded for o in outcomes] == [True, False, True, True]
    assert [o.points_awarded for o in outcomes] == [1, 0, 0, 0]
    channel = await ports.ledger.record_reaction(
        event=event("Ev4", True), ambassador_id=None, content_id=None, points=0
    )
    assert channel.recorded
    assert channel.points_awarded == 0


async def test_leaderboard_window_ties_and_left_people(ports: Any) -> None:
    people = [
        await enrol(ports, n, {"ai"}, name=name)
        for n, name in [(1, "Ana"), (2, "Bob"), (3, "Cy"), (4, "Dee")]
    ]
    items = [await content(ports, ("ai",)) for _ in range(3)]
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)

    async def give(
        person: Any,
        item: Any,
        points: int,
        at: datetime,
        kind: InteractionKind = InteractionKind.CONFIRMED_SHARE,
    ) -> None:
        await ports.ledger.record(
            dedupe_key=f"{person.id}-{item.id}-{kind}-{at}",
            ambassador_id=person.id,
            content_id=item.id,
            delivery_id=None,
            kind=kind,
            network=None,
            points=points,
            now=at,
        )

    ana, bob, cy, dee = people
    await give(ana, items[0], 10, NOW)
    await give(ana, items[1], 10, NOW)
    await give(bob, items[0], 10, NOW)
    await give(bob, items[1], 5, NOW, InteractionKind.REACTION)
    await give(bob, items[2], 5, NOW, InteractionKind.SKIP)
    await give(cy, items[0], 10, NOW)
    await give(cy, items[1], 50, end)  # outside the window (end is exclusive)
    await give(dee, items[0], 99, NOW)
    await ports.ambassadors.leave(ambassador_id=dee.id, now=NOW)
    board = await ports.ledger.leaderboard(start=start, end=end, limit=10)
    assert [(e.rank, e.display_name, e.points, e.shares) for e in board] == [
        (1, "Ana", 20, 2),
        (1, "Bob", 20, 1),
        (3, "Cy", 10, 1),
    ]
    assert len(await ports.ledger.leaderboard(start=start, end=end, limit=2)) == 2
    assert await ports.ledger.rank_of(ambassador_id=cy.id, start=start, end=end) == 3
    assert await ports.ledger.rank_of(ambassador_id=bob.id, start=start, end=end) == 1
    assert await ports.ledger.points_of(ambassador_id=cy.id, start=start, end=end) == (10, 1)
    assert await ports.ledger.points_of(ambassador_id=cy.id, start=None, end=None) == (60, 2)
    late = await enrol(ports, 5, {"ai"})
    assert await ports.ledger.rank_of(ambassador_id=late.id, start=start, end=end) is None


async def test_job_claims_and_bot_messages(ports: Any) -> None:
    assert await ports.jobs.claim(job="weekly", slot="2026-W47", holder="a", now=NOW)
    assert not await ports.jobs.claim(job="weekly", slot="2026-W47", holder="b", now=NOW)
    assert await ports.jobs.claim(job="weekly", slot="2026-W48", holder="b", now=NOW)
    await ports.jobs.release(job="weekly", slot="2026-W48")
    assert await ports.jobs.claim(job="weekly", slot="2026-W48", holder="c", now=NOW)
    msg = MessageRef("C1", "9.9")
    assert not await ports.bot_messages.is_bot_message(msg)
    await ports.bot_messages.remember(message=msg, kind="leaderboard", now=NOW)
    await ports.bot_messages.remember(message=msg, kind="leaderboard", now=NOW)
    assert await ports.bot_messages.is_bot_message(msg)


async def test_addresses_are_replaced_found_and_forgotten(ports: Any) -> None:
    first = ChatAddress(Platform.TEAMS, "tenant-1", "29:abc", '{"v": 1}')
    await ports.addresses.save(first, now=NOW)
    assert await ports.addresses.get(Platform.TEAMS, "tenant-1", "29:abc") == first
    newer = ChatAddress(Platform.TEAMS, "tenant-1", "29:abc", '{"v": 2}')
    await ports.addresses.save(newer, now=NOW + timedelta(minutes=1))
    assert await ports.addresses.get(Platform.TEAMS, "tenant-1", "29:abc") == newer
    elsewhere = ChatAddress(Platform.TEAMS, "tenant-2", "29:abc", '{"v": 3}')
    await ports.addresses.save(elsewhere, now=NOW + timedelta(minutes=2))
    assert await ports.addresses.find(Platform.TEAMS, "29:abc") == elsewhere
    assert await ports.addresses.find(Platform.SLACK, "29:abc") is None
    assert await ports.addresses.get(Platform.TEAMS, "tenant-1", "nobody") is None
    await ports.addresses.forget(Platform.TEAMS, "tenant-2", "29:abc")
    assert await ports.addresses.find(Platform.TEAMS, "29:abc") == newer
    big = ChatAddress(Platform.TEAMS, "tenant-1", "channel:19:x@thread.tacv2", "x" * 5_000)
    await ports.addresses.save(big, now=NOW)
    assert (await ports.addresses.find(Platform.TEAMS, big.key)) == big


async def test_the_same_email_on_another_platform_is_the_same_ambassador(ports: Any) -> None:
    slack = await ports.ambassadors.enrol(
        user=user(1),
        profile=UserProfile(display_name="Bob Durand", locale="fr", email="Bob@Acme.example"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=NOW,
    )
    teams_user = PlatformUser(Platform.TEAMS, "tenant-1", "29:1bob")
    teams = await ports.ambassadors.enrol(
        user=teams_user,
        profile=UserProfile(display_name="Bob Durand", locale="fr", email="bob@acme.example"),
        enrolment=Enrolment(frozenset({"ai", "jobs"}), (Network.LINKEDIN, Network.X), "v1"),
        now=NOW,
    )
    assert teams.id == slack.id
    assert teams.ref == slack.ref
    assert (await ports.ambassadors.get_by_user(teams_user)).id == slack.id
    assert (await ports.ambassadors.get_by_user(user(1))).id == slack.id
    assert await ports.ambassadors.ids_of([user(1), teams_user]) == {
        user(1): slack.id,
        teams_user: slack.id,
    }
    # Without an email (or with another one), a new identity is a new ambassador.
    stranger = PlatformUser(Platform.TEAMS, "tenant-1", "29:1someone")
    other = await ports.ambassadors.enrol(
        user=stranger,
        profile=UserProfile(display_name="Someone", locale="en"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.X,), "v1"),
        now=NOW,
    )
    assert other.id != slack.id
    # Joining again from Teams, which tells no email, keeps the one Slack gave.
    again = await ports.ambassadors.enrol(
        user=teams_user,
        profile=UserProfile(display_name="Bob D.", locale="fr"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.X,), "v1"),
        now=NOW,
    )
    assert again.id == slack.id
    found = await ports.ambassadors.get_by_user(
        PlatformUser(Platform.TEAMS, "tenant-1", "29:1bob-again")
    )
    assert found is None


async def test_guidelines_acceptances_are_recorded_and_prompts_claimed_once(ports: Any) -> None:
    a = await enrol(ports, 1, {"ai"})
    assert await ports.ambassadors.accepted_guidelines(a.id) == [("v1", NOW)]
    later = NOW + timedelta(days=3)
    assert await ports.ambassadors.claim_guidelines_prompt(
        ambassador_id=a.id, version="v2", now=later
    )
    assert not await ports.ambassadors.claim_guidelines_prompt(
        ambassador_id=a.id, version="v2", now=later
    )
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    await ports.queue.retry_later(
        delivery_id=delivery.id,
        holder=HOLDER,
        not_before=NOW + timedelta(days=1),
        error=HELD_FOR_GUIDELINES,
        count_attempt=False,
    )
    assert await claim_all(ports) == []  # held until they accept
    await ports.ambassadors.accept_guidelines(ambassador_id=a.id, version="v2", now=later)
    assert (await ports.ambassadors.get(a.id)).guidelines_version == "v2"
    assert await ports.ambassadors.accepted_guidelines(a.id) == [("v1", NOW), ("v2", later)]
    assert (
        await ports.queue.release_held(ambassador_id=a.id, mark=HELD_FOR_GUIDELINES, now=NOW) == 1
    )
    (again,) = await claim_all(ports)
    assert again.id == delivery.id
    assert (
        await ports.queue.release_held(ambassador_id=a.id, mark=HELD_FOR_GUIDELINES, now=NOW) == 0
    )


async def links_of_content(ports: Any) -> tuple[Any, dict[Network, Any]]:
    """One ambassador, one content published and sent: its tracked links per network (for
    the tracked link tests, ``test_links_contract.py`` and the web tests)."""
    await enrol(ports, 1, {"ai"})
    item = await content(ports, ("ai",))
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    links = await ports.deliveries.tracked_links(
        delivery=delivery, networks=[Network.LINKEDIN, Network.X]
    )
    return item, dict(links)
