"""Role grants and the audit log: the fake, SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.model import AuditAction, Enrolment, Platform, PlatformUser, Role, UserProfile

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
ADMIN = PlatformUser(Platform.SLACK, "T1", "UADMIN")
BOB = PlatformUser(Platform.SLACK, "T1", "UBOB")
BOB_ON_TEAMS = PlatformUser(Platform.TEAMS, "tenant-1", "UBOB")


async def test_granting_is_idempotent_and_revoking_says_whether_it_did(ports: Any) -> None:
    grants = ports.grants
    assert not await grants.has(BOB, Role.CURATOR)
    first = await grants.grant(
        user=BOB, role=Role.CURATOR, display_name="Bob", granted_by=ADMIN, now=NOW
    )
    again = await grants.grant(
        user=BOB,
        role=Role.CURATOR,
        display_name="Robert",
        granted_by=ADMIN,
        now=NOW + timedelta(hours=1),
    )
    assert (first, again) == (True, False)
    assert await grants.has(BOB, Role.CURATOR)
    assert not await grants.has(BOB_ON_TEAMS, Role.CURATOR)  # another identity
    assert not await grants.has(BOB, Role.ADMIN)
    [listed] = await grants.list(Role.CURATOR)
    assert (listed.user, listed.display_name, listed.granted_by, listed.granted_at) == (
        BOB,
        "Bob",
        ADMIN,
        NOW,
    )
    assert await grants.revoke(user=BOB, role=Role.CURATOR)
    assert not await grants.revoke(user=BOB, role=Role.CURATOR)
    assert not await grants.has(BOB, Role.CURATOR)
    assert await grants.list(Role.CURATOR) == []


async def test_grants_are_listed_oldest_first(ports: Any) -> None:
    for n, who in enumerate((BOB_ON_TEAMS, BOB)):
        await ports.grants.grant(
            user=who,
            role=Role.CURATOR,
            display_name=f"n{n}",
            granted_by=ADMIN,
            now=NOW + timedelta(minutes=n),
        )
    assert [g.user for g in await ports.grants.list(Role.CURATOR)] == [BOB_ON_TEAMS, BOB]


async def test_audit_entries_come_back_newest_first_in_pages(ports: Any) -> None:
    log = ports.audit
    recorded = [
        await log.record(
            actor=ADMIN,
            actor_name="Ada Admin",
            action=AuditAction.CONTENT_PUBLISHED.value,
            target=f"content:{n}",
            details={"title": f"Post {n}", "deliveries": n, "important": n % 2 == 0, "x": None},
            at=NOW + timedelta(minutes=n),
        )
        for n in range(5)
    ]
    assert len({e.id for e in recorded}) == 5
    latest = await log.recent(limit=3)
    assert [e.target for e in latest] == ["content:4", "content:3", "content:2"]
    assert latest[0] == recorded[4]
    assert latest[0].details == {"title": "Post 4", "deliveries": 4, "important": True, "x": None}
    assert (latest[0].actor, latest[0].actor_name, latest[0].at) == (
        ADMIN,
        "Ada Admin",
        NOW + timedelta(minutes=4),
    )
    older = await log.recent(limit=3, before=latest[-1].id)
    assert [e.target for e in older] == ["content:1", "content:0"]
    assert await log.recent(limit=3, before=older[-1].id) == []


async def test_an_audit_entry_may_have_no_target(ports: Any) -> None:
    entry = await ports.audit.record(
        actor=ADMIN, actor_name="Ada", action="stats.exported", target=None, details={}, at=NOW
    )
    assert (await ports.audit.recent(limit=1))[0] == entry
    assert entry.target is None and entry.details == {}


async def test_a_person_is_found_by_the_email_they_joined_with(ports: Any) -> None:
    bob = PlatformUser(Platform.SLACK, "T1", "UBOB")
    profile = UserProfile(display_name="Bob", email="Bob.Durand@acme.example")
    await ports.ambassadors.enrol(
        user=bob, profile=profile, enrolment=Enrolment(frozenset({"ai"}), (), "v1"), now=NOW
    )
    # The same person on Teams (same email): one ambassador, two identities.
    await ports.ambassadors.enrol(
        user=BOB_ON_TEAMS,
        profile=profile,
        enrolment=Enrolment(frozenset({"ai"}), (), "v1"),
        now=NOW,
    )
    people = ports.people
    found = await people.by_email(
        platform=Platform.TEAMS, workspace_id="tenant-1", email="bob.durand@ACME.example"
    )
    assert found == BOB_ON_TEAMS
    assert (
        await people.by_email(
            platform=Platform.SLACK, workspace_id="T1", email="bob.durand@acme.example"
        )
        == bob
    )
    for platform, workspace, email in (
        (Platform.TEAMS, "tenant-2", "bob.durand@acme.example"),  # not in that tenant
        (Platform.SLACK, "T1", "eve@acme.example"),
        (Platform.SLACK, "T1", ""),
    ):
        assert await people.by_email(platform=platform, workspace_id=workspace, email=email) is None
