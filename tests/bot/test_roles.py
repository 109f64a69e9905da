"""Roles: precedence, sources (config, the old ``curators:``, grants, groups), the group cache,
the admin commands and the audit log they and publishing write."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.errors import NotACurator, NotAnAdmin
from bot.model import AuditAction, AuditEntry, Platform, PlatformUser, Role, RoleSource
from bot.roles import AUDIT_MAX, GroupCache, RolesConfig
from bot.services import Services, wire_services
from tests.bot.builders import (
    CURATOR,
    NOW,
    RecordingFetcher,
    RecordingSleep,
    World,
    make_programme,
    person,
)
from tests.bot.fakes import FakeChatGateway, FakeGroupDirectory, MemoryPorts

ADMIN = PlatformUser(Platform.SLACK, "T1", "UADMIN")
GROUP_ADMIN = PlatformUser(Platform.SLACK, "T1", "UGADMIN")
TEAMS_ADMIN = PlatformUser(Platform.TEAMS, "tenant-1", "29:1admin")
TEAMS_ADMIN_OID = "00000000-0000-4000-8000-0000000000ad"
TEAMS_MEMBER = PlatformUser(Platform.TEAMS, "tenant-1", "29:1member")
TEAMS_MEMBER_OID = "00000000-0000-4000-8000-00000000000b"
SLACK_GROUP = "S0CURATORS"
ENTRA_GROUP = "6f1c2a4e-0000-4000-8000-00000000c0de"


def config(**changes: object) -> RolesConfig:
    values: dict[str, object] = {
        "admins": {Platform.SLACK: frozenset({ADMIN.user_id})},
        "curators": {Platform.SLACK: frozenset({CURATOR.user_id})},
    }
    values.update(changes)
    return RolesConfig(**values)  # type: ignore[arg-type]


def wire(
    ports: MemoryPorts,
    clock: FixedClock,
    roles: RolesConfig,
    directories: dict[Platform, FakeGroupDirectory] | None = None,
) -> Services:
    """The domain as the composition root wires it, with these role sources."""
    return wire_services(
        store=ports,
        gateways={Platform.SLACK: FakeChatGateway()},
        programme=make_programme(),
        clock=clock,
        fetcher=RecordingFetcher(),
        public_url="https://go.example.com",
        leaderboard_channels={},
        holder="test",
        sleep=RecordingSleep(),
        roles_config=roles,
        group_directories=directories or {},
    )


@pytest.fixture
def admin_services(ports: MemoryPorts, clock: FixedClock) -> Services:
    return wire(ports, clock, config())


# --- precedence and sources -----------------------------------------------------------------


async def test_each_person_has_their_highest_role(world: World, admin_services: Services) -> None:
    await world.join(1)
    await world.join(2)
    await world.services.ambassadors.leave(person(2))
    roles = admin_services.roles
    assert await roles.role_of(ADMIN) is Role.ADMIN
    assert await roles.role_of(CURATOR) is Role.CURATOR
    assert await roles.role_of(person(1)) is Role.AMBASSADOR
    assert await roles.role_of(person(2)) is Role.EMPLOYEE  # left: no longer an ambassador
    assert await roles.role_of(person(3)) is Role.EMPLOYEE


async def test_an_admin_is_a_curator_and_may_publish(admin_services: Services) -> None:
    assert Role.ADMIN.includes(Role.CURATOR) and not Role.CURATOR.includes(Role.ADMIN)
    assert await admin_services.roles.is_curator(ADMIN)
    assert not await admin_services.roles.is_admin(CURATOR)
    form = await admin_services.publishing.post_form(ADMIN, "en")
    assert form.locale == "en"


async def test_a_role_is_per_platform(admin_services: Services) -> None:
    same_id_on_teams = PlatformUser(Platform.TEAMS, "T1", ADMIN.user_id)
    assert await admin_services.roles.role_of(same_id_on_teams) is Role.EMPLOYEE


async def test_the_old_curators_list_still_counts(world: World) -> None:
    # wire_domain passes no roles config: the programme's curators (config.yaml's
    # deprecated top-level ``curators:``) are the curators.
    assert await world.services.roles.is_curator(CURATOR)
    assert not await world.services.roles.is_admin(CURATOR)
    assert RolesConfig.from_programme(world.programme).listed(Role.CURATOR, Platform.SLACK) == {
        CURATOR.user_id
    }


async def test_teams_config_may_name_the_entra_object_id(
    ports: MemoryPorts, clock: FixedClock
) -> None:
    directory = FakeGroupDirectory(directory_ids={TEAMS_ADMIN: TEAMS_ADMIN_OID})
    services = wire(
        ports,
        clock,
        config(admins={Platform.TEAMS: frozenset({TEAMS_ADMIN_OID})}),
        {Platform.TEAMS: directory},
    )
    assert await services.roles.is_admin(TEAMS_ADMIN)
    assert not await services.roles.is_admin(TEAMS_MEMBER)


# --- groups ---------------------------------------------------------------------------------


def group_world(
    ports: MemoryPorts, clock: FixedClock
) -> tuple[Services, FakeGroupDirectory, FakeGroupDirectory]:
    slack = FakeGroupDirectory(groups={SLACK_GROUP: frozenset({GROUP_ADMIN.user_id, "UCUR2"})})
    teams = FakeGroupDirectory(
        groups={ENTRA_GROUP: frozenset({TEAMS_MEMBER_OID})},
        directory_ids={TEAMS_MEMBER: TEAMS_MEMBER_OID},
    )
    services = wire(
        ports,
        clock,
        config(
            groups={
                Platform.SLACK: {Role.ADMIN: SLACK_GROUP},
                Platform.TEAMS: {Role.CURATOR: ENTRA_GROUP},
            },
            group_workspace={Platform.TEAMS: "tenant-1"},
        ),
        {Platform.SLACK: slack, Platform.TEAMS: teams},
    )
    return services, slack, teams


async def test_group_members_hold_the_group_role(ports: MemoryPorts, clock: FixedClock) -> None:
    services, _, _ = group_world(ports, clock)
    roles = services.roles
    assert await roles.role_of(GROUP_ADMIN) is Role.ADMIN
    assert await roles.role_of(TEAMS_MEMBER) is Role.CURATOR
    assert await roles.sources(TEAMS_MEMBER, Role.CURATOR) == (RoleSource.GROUP,)
    # The same Entra object id in another tenant is somebody else.
    elsewhere = PlatformUser(Platform.TEAMS, "tenant-2", TEAMS_MEMBER.user_id)
    assert await roles.role_of(elsewhere) is Role.EMPLOYEE
    # A Teams person whose Entra object id is not known yet is not a member.
    assert await roles.role_of(PlatformUser(Platform.TEAMS, "tenant-1", "29:1new")) is (
        Role.EMPLOYEE
    )


async def test_a_group_is_read_once_per_ttl(ports: MemoryPorts, clock: FixedClock) -> None:
    services, slack, _ = group_world(ports, clock)
    for _ in range(5):
        assert await services.roles.is_admin(GROUP_ADMIN)
    assert slack.reads == 1
    slack.groups[SLACK_GROUP] = frozenset({"USOMEONE"})
    clock.advance(timedelta(minutes=4, seconds=59))
    assert await services.roles.is_admin(GROUP_ADMIN)  # still the cached list
    clock.advance(timedelta(seconds=2))
    assert not await services.roles.is_admin(GROUP_ADMIN)  # read again: removed
    assert slack.reads == 2


async def test_a_failed_read_keeps_the_last_list_and_warns(
    ports: MemoryPorts, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    services, slack, _ = group_world(ports, clock)
    assert await services.roles.is_admin(GROUP_ADMIN)
    slack.failing = True
    clock.advance(timedelta(minutes=6))
    with caplog.at_level(logging.WARNING, logger="bot.roles"):
        assert await services.roles.is_admin(GROUP_ADMIN)
    assert "keeping the last known list (2 members)" in caplog.text
    reads = slack.reads
    assert await services.roles.is_admin(GROUP_ADMIN)
    assert slack.reads == reads  # not retried at every check...
    clock.advance(timedelta(seconds=31))
    slack.failing = False
    slack.groups[SLACK_GROUP] = frozenset()
    assert not await services.roles.is_admin(GROUP_ADMIN)  # ... but after a short while


async def test_an_error_never_grants(ports: MemoryPorts, clock: FixedClock) -> None:
    services, slack, _ = group_world(ports, clock)
    slack.failing = True
    assert not await services.roles.is_admin(GROUP_ADMIN)
    assert await services.roles.role_of(GROUP_ADMIN) is Role.EMPLOYEE


async def test_a_slow_read_answers_with_what_is_known_and_runs_once(clock: FixedClock) -> None:
    directory = FakeGroupDirectory(groups={"S1": frozenset({"U1"})}, gate=asyncio.Event())
    cache = GroupCache(name="s", directory=directory, group_id="S1", clock=clock, wait=0.01)
    # gather returns a list (typeshed says tuple): compare it as one
    assert list(await asyncio.gather(cache.members(), cache.members())) == [frozenset()] * 2
    assert directory.reads == 1  # one read for both checks
    directory.gate.set()
    for _ in range(20):  # let the read finish in the background
        await asyncio.sleep(0)
    assert await cache.members() == {"U1"}
    assert directory.reads == 1


# --- admin commands -------------------------------------------------------------------------


async def test_an_admin_adds_a_curator_once(ports: MemoryPorts, admin_services: Services) -> None:
    admin = admin_services.admin
    assert not await admin_services.roles.is_curator(person(5))
    notice = await admin.add_curator(ADMIN, person(5), name="Eve")
    assert (notice.key, notice.params["name"], notice.params["also"]) == (
        "curator_added",
        "Eve",
        None,
    )
    assert await admin_services.roles.is_curator(person(5))
    assert await admin_services.roles.sources(person(5), Role.CURATOR) == (RoleSource.GRANT,)
    again = await admin.add_curator(ADMIN, person(5), name="Eve")
    assert again.key == "curator_already"
    [entry] = ports.audit.entries
    assert (entry.actor, entry.action, entry.target, entry.details) == (
        ADMIN,
        AuditAction.CURATOR_GRANTED,
        "slack:T1:U0005",
        {"name": "Eve"},
    )


async def test_adding_a_configured_curator_says_so(admin_services: Services) -> None:
    notice = await admin_services.admin.add_curator(ADMIN, CURATOR)
    assert (notice.key, notice.params["also"]) == ("curator_added", "config")


@pytest.mark.parametrize("who", [CURATOR, person(1)], ids=["curator", "employee"])
async def test_only_admins_manage_curators_and_read_the_audit(
    ports: MemoryPorts, admin_services: Services, who: PlatformUser
) -> None:
    admin = admin_services.admin
    for attempt in (
        admin.add_curator(who, person(5)),
        admin.remove_curator(who, CURATOR),
        admin.curators(who, "en"),
        admin.audit(who, "en"),
    ):
        with pytest.raises(NotAnAdmin) as refused:
            await attempt
        assert refused.value.notice.key == "not_admin"
    assert ports.grants.grants == {} and ports.audit.entries == []


async def test_removing_a_curator(ports: MemoryPorts, admin_services: Services) -> None:
    admin = admin_services.admin
    await admin.add_curator(ADMIN, person(5), name="Eve")
    removed = await admin.remove_curator(ADMIN, person(5))
    assert (removed.key, removed.params["kept"]) == ("curator_removed", [])
    assert not await admin_services.roles.is_curator(person(5))
    with pytest.raises(NotACurator):
        await admin_services.publishing.post_form(person(5), "en")
    assert [e.action for e in ports.audit.entries] == [
        AuditAction.CURATOR_GRANTED,
        AuditAction.CURATOR_REVOKED,
    ]
    nobody = await admin.remove_curator(ADMIN, person(5))
    assert nobody.key == "curator_not_found"
    assert len(ports.audit.entries) == 2


async def test_config_and_group_curators_cannot_be_removed_by_command(
    ports: MemoryPorts, clock: FixedClock
) -> None:
    services, _, _ = group_world(ports, clock)
    admin = services.admin
    config_curator = await admin.remove_curator(ADMIN, CURATOR)
    assert (config_curator.key, config_curator.params["sources"]) == (
        "curator_not_removable",
        ["config"],
    )
    group_admin = await admin.remove_curator(ADMIN, GROUP_ADMIN)
    assert (group_admin.key, group_admin.params["sources"]) == ("curator_not_removable", ["admin"])
    assert await services.roles.is_curator(CURATOR)
    assert ports.audit.entries == []


async def test_a_granted_curator_who_is_also_configured_keeps_the_role(
    admin_services: Services,
) -> None:
    await admin_services.admin.add_curator(ADMIN, CURATOR)
    removed = await admin_services.admin.remove_curator(ADMIN, CURATOR)
    assert (removed.key, removed.params["kept"]) == ("curator_removed", ["config"])
    assert await admin_services.roles.is_curator(CURATOR)


async def test_the_curators_list_names_every_source(ports: MemoryPorts, clock: FixedClock) -> None:
    services, _, _ = group_world(ports, clock)
    await services.admin.add_curator(ADMIN, person(5), name="Eve")
    view = await services.admin.curators(ADMIN, "fr", command="/advocacy")
    assert (view.locale, view.platform, view.command) == ("fr", "slack", "/advocacy")
    assert [(line.role, line.source, line.user_id or line.group_id) for line in view.lines] == [
        ("admin", "config", ADMIN.user_id),
        ("curator", "config", CURATOR.user_id),
        ("admin", "group", SLACK_GROUP),
        ("curator", "grant", "U0005"),
    ]
    group = view.lines[2]
    assert group.members == 2  # read for the list
    grant = view.lines[3]
    assert (grant.name, grant.granted_by, grant.since) == ("Eve", ADMIN.user_id, NOW.date())


# --- the audit log --------------------------------------------------------------------------


async def test_publishing_is_audited(world: World) -> None:
    await world.join(1, name="Ann Curie")
    await world.push(publish_now=False, title="Draft one")
    await world.push(publish_at=NOW + timedelta(days=1), title="Later")
    outcome = await world.push(title="Now")
    draft = (await world.push(publish_now=False, title="Draft two")).content
    await world.services.publishing.publish(CURATOR, draft.id)
    await world.services.publishing.publish(CURATOR, draft.id)  # twice: audited once
    entries = world.ports.audit.entries
    assert [(e.action, e.details.get("title")) for e in entries] == [
        (AuditAction.CONTENT_DRAFT_SAVED, "Draft one"),
        (AuditAction.CONTENT_SCHEDULED, "Later"),
        (AuditAction.CONTENT_PUBLISHED, "Now"),
        (AuditAction.CONTENT_DRAFT_SAVED, "Draft two"),
        (AuditAction.DRAFT_PUBLISHED, "Draft two"),
    ]
    published = entries[2]
    assert published.target == f"content:{outcome.content.id}"
    assert published.details["deliveries"] == 1
    assert {(e.actor, e.actor_name, e.at) for e in entries} == {
        (CURATOR, CURATOR.user_id, NOW)  # the curator never joined: named by id
    }


async def test_a_refused_action_records_nothing(world: World) -> None:
    with pytest.raises(NotACurator):
        await world.services.publishing.publish(person(1), 1)
    assert world.ports.audit.entries == []


async def test_the_actor_is_named_as_they_joined(world: World) -> None:
    await world.services.audit.record(person(1), AuditAction.CONTENT_SCHEDULED, target="x")
    await world.join(1, name="Ann Curie")
    await world.services.audit.record(person(1), AuditAction.CONTENT_SCHEDULED, target="x")
    await world.services.audit.record(person(1), AuditAction.CONTENT_SCHEDULED, actor_name="A")
    assert [e.actor_name for e in world.ports.audit.entries] == ["U0001", "Ann Curie", "A"]


async def test_an_actor_who_never_joined_is_named_by_their_platform(
    ports: MemoryPorts, clock: FixedClock
) -> None:
    directory = FakeGroupDirectory(names={ADMIN: "Ada Admin"})
    services = wire(ports, clock, config(), {Platform.SLACK: directory})
    await services.admin.add_curator(ADMIN, person(5))
    [entry] = ports.audit.entries
    assert (entry.actor_name, entry.details["name"]) == ("Ada Admin", "U0005")


async def test_a_failing_audit_log_does_not_undo_the_action(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_: object) -> AuditEntry:
        raise ConnectionError("database down")

    world.ports.audit.record = broken  # type: ignore[method-assign]
    outcome = await world.push(title="Now")
    assert outcome.published is not None
    assert "could not record the audit entry content.published" in caplog.text


async def test_the_audit_view_pages_newest_first(
    ports: MemoryPorts, admin_services: Services
) -> None:
    for n in range(1, 8):
        await admin_services.admin.add_curator(ADMIN, person(n), name=f"P{n}")
    first = await admin_services.admin.audit(ADMIN, "en", limit=3, command="/advocacy")
    assert [e.id for e in first.entries] == [7, 6, 5]
    assert (first.older_than, first.limit, first.command) == (5, 3, "/advocacy")
    assert first.entries[0].at == "2026-11-18 11:00"  # the programme's zone (Paris)
    second = await admin_services.admin.audit(ADMIN, "en", limit=3, before=5)
    assert [e.id for e in second.entries] == [4, 3, 2]
    last = await admin_services.admin.audit(ADMIN, "en", limit=3, before=2)
    assert ([e.id for e in last.entries], last.older_than) == ([1], None)
    capped = await admin_services.admin.audit(ADMIN, "en", limit=10_000)
    assert capped.limit == AUDIT_MAX


async def test_help_tells_admins_about_their_commands(
    admin_services: Services, world: World
) -> None:
    view = await admin_services.ambassadors.help_view(ADMIN, locale="en", command="/advocacy")
    assert (view.is_admin, view.is_curator) == (True, True)
    other = await admin_services.ambassadors.help_view(CURATOR, locale="en", command="")
    assert (other.is_admin, other.is_curator) == (False, True)
