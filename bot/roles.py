"""Roles (admin > curator > ambassador > employee), where they come from, the admin commands
that manage curators, and the audit log of what curators and admins do.

A person is an **admin** or a **curator** when any of three sources says so:

- config.yaml (``roles.admins`` / ``roles.curators``, per platform; the old top-level
  ``curators:`` still counts as curators),
- a group: a Slack user group or a Microsoft Entra (Azure AD) group, read through the
  ``GroupDirectory`` port, cached for ``ttl`` and never granting anything on error,
- a grant an admin made by command (``RoleGrants``, stored in the database).

An admin is also a curator. An **ambassador** is anyone who joined and has not left; anyone
else is an **employee**. Other features check rights with :meth:`RoleService.is_curator` /
:meth:`RoleService.require_curator` and record what was done with :meth:`AuditTrail.record`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput, NotACurator, NotAnAdmin
from bot.model import AuditAction, Platform, PlatformUser, Role, RoleSource
from bot.ports import (
    AmbassadorRepository,
    AuditLog,
    Clock,
    GroupDirectory,
    PersonLookup,
    RoleGrants,
)
from bot.programme import Programme
from bot.views import AuditLine, AuditView, CuratorsView, Notice, RoleHolderLine

logger = logging.getLogger(__name__)

GROUP_TTL = timedelta(minutes=5)
GROUP_RETRY = timedelta(seconds=30)  # after a failed read, keep the last list this long
GROUP_WAIT_SECONDS = 2.0  # a check waits this long for a read, then uses what it has
AUDIT_DEFAULT = 20
AUDIT_MAX = 50
MANAGED_ROLES = (Role.ADMIN, Role.CURATOR)

Details = Mapping[str, str | int | bool | None]


@dataclass(frozen=True)
class RolesConfig:
    """The role sources config.yaml names. Config lists hold platform user ids; on Teams
    they may also hold Microsoft Entra object ids."""

    admins: Mapping[Platform, frozenset[str]] = field(default_factory=dict)
    curators: Mapping[Platform, frozenset[str]] = field(default_factory=dict)
    groups: Mapping[Platform, Mapping[Role, str]] = field(default_factory=dict)
    # The workspace (Teams: tenant) a platform's groups belong to; people of other
    # workspaces are never members. Missing: any workspace (Slack: one workspace per token).
    group_workspace: Mapping[Platform, str] = field(default_factory=dict)
    group_ttl: timedelta = GROUP_TTL

    @classmethod
    def from_programme(cls, programme: Programme) -> RolesConfig:
        """Only the configured curators (what the programme knew before roles)."""
        return cls(curators=dict(programme.curators))

    def listed(self, role: Role, platform: Platform) -> frozenset[str]:
        """The ids config.yaml lists for a role on a platform."""
        lists = self.admins if role is Role.ADMIN else self.curators
        return lists.get(platform, frozenset())


class GroupCache:
    """One group's members, read at most once per ``ttl``.

    A read runs once however many checks wait for it; a check waits at most ``wait``
    seconds, then answers with the last known list (the read goes on and fills the cache).
    A failed read keeps the last known list (logged as a warning) and is tried again after
    ``retry``; with no list known yet, the group has no members: an error never grants.
    """

    def __init__(
        self,
        *,
        name: str,
        directory: GroupDirectory,
        group_id: str,
        clock: Clock,
        ttl: timedelta = GROUP_TTL,
        retry: timedelta = GROUP_RETRY,
        wait: float = GROUP_WAIT_SECONDS,
    ) -> None:
        self.name = name
        self.group_id = group_id
        self._directory = directory
        self._clock = clock
        self._ttl = ttl
        self._retry = retry
        self._wait = wait
        self._known: frozenset[str] | None = None
        self._fresh_until: datetime | None = None
        self._reading: asyncio.Task[None] | None = None

    @property
    def known(self) -> frozenset[str] | None:
        """The last list read, or None if none could be read yet."""
        return self._known

    async def members(self) -> frozenset[str]:
        """The group's members: cached, refreshed when stale, the last known on failure."""
        if self._fresh_until is not None and self._clock.now() < self._fresh_until:
            return self._known or frozenset()
        if self._reading is None:
            self._reading = asyncio.create_task(self._read(), name=f"group-{self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(self._reading), self._wait)
        except TimeoutError:
            logger.warning("reading group %s is slow; using the last known list", self.name)
        return self._known or frozenset()

    async def _read(self) -> None:
        try:
            members = await self._directory.members(self.group_id)
        except Exception as error:  # any failure: keep what we knew, never grant more
            logger.warning(
                "could not read group %s (%s); keeping the last known list (%s members)",
                self.name,
                type(error).__name__,
                len(self._known) if self._known is not None else "none",
            )
            self._fresh_until = self._clock.now() + self._retry
        else:
            self._known = members
            self._fresh_until = self._clock.now() + self._ttl
        finally:
            self._reading = None


class RoleService:
    """Who is what. The one place every feature asks for curator or admin rights."""

    def __init__(
        self,
        *,
        config: RolesConfig,
        grants: RoleGrants,
        ambassadors: AmbassadorRepository,
        directories: Mapping[Platform, GroupDirectory],
        clock: Clock,
        group_wait: float = GROUP_WAIT_SECONDS,
    ) -> None:
        self._config = config
        self._grants = grants
        self._ambassadors = ambassadors
        self._directories = directories
        self._caches: dict[tuple[Platform, Role], GroupCache] = {}
        for platform, groups in config.groups.items():
            directory = directories.get(platform)
            if directory is None:
                continue
            for role, group_id in groups.items():
                self._caches[(platform, role)] = GroupCache(
                    name=f"{platform.value}:{role.value}:{group_id}",
                    directory=directory,
                    group_id=group_id,
                    clock=clock,
                    ttl=config.group_ttl,
                    wait=group_wait,
                )

    async def role_of(self, user: PlatformUser) -> Role:
        """The highest role the person holds."""
        if await self.is_admin(user):
            return Role.ADMIN
        if await self.is_curator(user):
            return Role.CURATOR
        found = await self._ambassadors.get_by_user(user)
        return Role.AMBASSADOR if found is not None and found.is_active else Role.EMPLOYEE

    async def is_admin(self, user: PlatformUser) -> bool:
        """Whether the person may manage curators and read the audit log."""
        return bool(await self.sources(user, Role.ADMIN, first_only=True))

    async def is_curator(self, user: PlatformUser) -> bool:
        """Whether the person may publish, review and read everyone's figures (admins may)."""
        if await self.sources(user, Role.CURATOR, first_only=True):
            return True
        return await self.is_admin(user)

    async def require_curator(self, user: PlatformUser) -> None:
        """Refuse politely (``NotACurator``) unless the person is a curator or an admin."""
        if not await self.is_curator(user):
            raise NotACurator(user.user_id)

    async def require_admin(self, user: PlatformUser) -> None:
        """Refuse politely (``NotAnAdmin``) unless the person is an admin."""
        if not await self.is_admin(user):
            raise NotAnAdmin(user.user_id)

    async def sources(
        self, user: PlatformUser, role: Role, *, first_only: bool = False
    ) -> tuple[RoleSource, ...]:
        """Why the person holds exactly this role (admin is not counted as curator here):
        config first (no I/O), then a grant, then a group."""
        found: list[RoleSource] = []
        listed = self._config.listed(role, user.platform)
        directory_id: str | None = None
        if listed or (user.platform, role) in self._caches:
            directory_id = await self._directory_id(user)
        if user.user_id in listed or (directory_id is not None and directory_id in listed):
            found.append(RoleSource.CONFIG)
            if first_only:
                return tuple(found)
        if role is Role.CURATOR and await self._grants.has(user, role):
            found.append(RoleSource.GRANT)
            if first_only:
                return tuple(found)
        if directory_id is not None and await self._in_group(user, role, directory_id):
            found.append(RoleSource.GROUP)
        return tuple(found)

    async def _in_group(self, user: PlatformUser, role: Role, directory_id: str) -> bool:
        cache = self._caches.get((user.platform, role))
        if cache is None:
            return False
        workspace = self._config.group_workspace.get(user.platform)
        if workspace and workspace != user.workspace_id:
            return False
        return directory_id in await cache.members()

    async def _directory_id(self, user: PlatformUser) -> str | None:
        if user.platform is Platform.SLACK:
            return user.user_id
        directory = self._directories.get(user.platform)
        if directory is None:
            return None
        try:
            return await directory.directory_id(user)
        except Exception:
            logger.warning("could not find the directory id of a %s user", user.platform.value)
            return None

    async def display_name(self, user: PlatformUser) -> str | None:
        """The person's name from their platform's directory, when it can tell."""
        directory = self._directories.get(user.platform)
        if directory is None:
            return None
        try:
            return await directory.display_name(user)
        except Exception:
            logger.info("could not read the name of a %s user", user.platform.value)
            return None

    def group_lines(self, platform: Platform) -> list[RoleHolderLine]:
        """The configured groups of a platform, with their size as last read."""
        lines = []
        for role in MANAGED_ROLES:
            cache = self._caches.get((platform, role))
            if cache is not None:
                known = cache.known
                lines.append(
                    RoleHolderLine(
                        role=role.value,
                        source=RoleSource.GROUP.value,
                        group_id=cache.group_id,
                        members=len(known) if known is not None else None,
                    )
                )
        return lines

    async def refresh_groups(self, platform: Platform) -> None:
        """Read the platform's groups now if stale (before listing them)."""
        for role in MANAGED_ROLES:
            cache = self._caches.get((platform, role))
            if cache is not None:
                await cache.members()

    @property
    def config(self) -> RolesConfig:
        """The configured sources."""
        return self._config


class AuditTrail:
    """Records what curators and admins do. Use cases call :meth:`record` after the action
    succeeded; a failure to record is logged and does not undo or hide the action."""

    def __init__(
        self,
        *,
        log: AuditLog,
        ambassadors: AmbassadorRepository,
        clock: Clock,
        roles: RoleService | None = None,
    ) -> None:
        self._log = log
        self._ambassadors = ambassadors
        self._clock = clock
        self._roles = roles

    async def record(
        self,
        actor: PlatformUser,
        action: AuditAction,
        *,
        target: str | None = None,
        actor_name: str | None = None,
        details: Details | None = None,
    ) -> None:
        """Append one entry: who (platform identity and name), what, on what, when.

        Args:
            actor: the curator or admin who acted.
            action: what they did (add new kinds to ``AuditAction``).
            target: what it was done to, e.g. ``content:42`` or ``slack:T1:U123``.
            actor_name: their display name when the caller knows it; else the name they
                joined with, else the platform's, else their id.
            details: a few plain values worth keeping (a title, a count).
        """
        try:
            if actor_name is None:
                actor_name = await name_of(actor, self._ambassadors, self._roles)
            await self._log.record(
                actor=actor,
                actor_name=actor_name[:200],
                action=action.value,
                target=target[:255] if target else None,
                details=dict(details or {}),
                at=self._clock.now(),
            )
        except Exception:
            logger.exception("could not record the audit entry %s", action.value)


async def name_of(
    user: PlatformUser, ambassadors: AmbassadorRepository, roles: RoleService | None
) -> str:
    """A person's name: the one they joined with, else the platform's, else their id."""
    found = await ambassadors.get_by_user(user)
    if found is not None:
        return found.display_name
    named = await roles.display_name(user) if roles is not None else None
    return (named or user.user_id)[:200]


def user_target(user: PlatformUser) -> str:
    """The audit target naming a person: ``<platform>:<workspace>:<user id>``."""
    return f"{user.platform.value}:{user.workspace_id}:{user.user_id}"


class AdminService:
    """The admins' commands: list curators, add and remove them, read the audit log."""

    def __init__(
        self,
        *,
        roles: RoleService,
        grants: RoleGrants,
        audit_log: AuditLog,
        audit: AuditTrail,
        ambassadors: AmbassadorRepository,
        timezone: ZoneInfo,
        clock: Clock,
        people: PersonLookup,
    ) -> None:
        self._people = people
        self._roles = roles
        self._grants = grants
        self._log = audit_log
        self._audit = audit
        self._ambassadors = ambassadors
        self._zone = timezone
        self._clock = clock

    async def curators(
        self, actor: PlatformUser, locale: str, *, command: str = ""
    ) -> CuratorsView:
        """``curators``: admins and curators of the actor's platform with their source."""
        await self._roles.require_admin(actor)
        platform = actor.platform
        config = self._roles.config
        await self._roles.refresh_groups(platform)
        lines: list[RoleHolderLine] = []
        for role in MANAGED_ROLES:
            for user_id in sorted(config.listed(role, platform)):
                lines.append(
                    RoleHolderLine(role=role.value, source=RoleSource.CONFIG.value, user_id=user_id)
                )
        lines.extend(self._roles.group_lines(platform))
        for grant in await self._grants.list(Role.CURATOR):
            if grant.user.platform is platform:
                lines.append(
                    RoleHolderLine(
                        role=grant.role.value,
                        source=RoleSource.GRANT.value,
                        user_id=grant.user.user_id,
                        name=grant.display_name,
                        # Slack shows a mention by id; elsewhere the name is what people read.
                        granted_by=grant.granted_by.user_id
                        if platform is Platform.SLACK
                        else await self._name(grant.granted_by, None),
                        since=grant.granted_at.astimezone(self._zone).date(),
                    )
                )
        return CuratorsView(
            locale=locale, platform=platform.value, lines=tuple(lines), command=command
        )

    async def add_curator(
        self, actor: PlatformUser, target: PlatformUser, *, name: str | None = None
    ) -> Notice:
        """Grant the curator role (idempotent: granting twice changes nothing)."""
        await self._roles.require_admin(actor)
        display = await self._name(target, name)
        params = {"user_id": target.user_id, "name": display, "platform": target.platform.value}
        existing = await self._roles.sources(target, Role.CURATOR)
        if RoleSource.GRANT in existing:
            return Notice("curator_already", {**params, "source": RoleSource.GRANT.value})
        admin = await self._roles.is_admin(target)
        added = await self._grants.grant(
            user=target,
            role=Role.CURATOR,
            display_name=display,
            granted_by=actor,
            now=self._clock.now(),
        )
        if added:
            await self._audit.record(
                actor,
                AuditAction.CURATOR_GRANTED,
                target=user_target(target),
                details={"name": display},
            )
        # Already a curator some other way: the grant keeps them one if that source goes.
        also = existing[0].value if existing else ("admin" if admin else None)
        return Notice("curator_added", {**params, "also": also})

    async def remove_curator(self, actor: PlatformUser, target: PlatformUser) -> Notice:
        """Take a granted curator role back; config and groups cannot be changed by command,
        and the notice says so."""
        await self._roles.require_admin(actor)
        display = await self._name(target, None)
        params = {"user_id": target.user_id, "name": display, "platform": target.platform.value}
        removed = await self._grants.revoke(user=target, role=Role.CURATOR)
        if removed:
            await self._audit.record(
                actor,
                AuditAction.CURATOR_REVOKED,
                target=user_target(target),
                details={"name": display},
            )
        kept = [s.value for s in await self._roles.sources(target, Role.CURATOR)]
        if await self._roles.is_admin(target):
            kept.append("admin")  # an admin is a curator whatever the grants say
        if removed:
            return Notice("curator_removed", {**params, "kept": kept})
        if kept:
            return Notice("curator_not_removable", {**params, "sources": kept})
        return Notice("curator_not_found", params)

    async def audit(
        self,
        actor: PlatformUser,
        locale: str,
        *,
        limit: int = AUDIT_DEFAULT,
        before: int | None = None,
        command: str = "",
    ) -> AuditView:
        """``audit [n]``: the latest entries (at most :data:`AUDIT_MAX`), newest first."""
        await self._roles.require_admin(actor)
        limit = max(1, min(limit, AUDIT_MAX))
        entries = await self._log.recent(limit=limit + 1, before=before)
        shown = entries[:limit]
        return AuditView(
            locale=locale,
            entries=tuple(
                AuditLine(
                    id=e.id,
                    at=f"{e.at.astimezone(self._zone):%Y-%m-%d %H:%M}",
                    actor_name=e.actor_name,
                    action=e.action,
                    target=e.target,
                    details=dict(e.details),
                )
                for e in shown
            ),
            limit=limit,
            older_than=shown[-1].id if len(entries) > limit else None,
            command=command,
        )

    async def person_by_email(self, actor: PlatformUser, email: str) -> PlatformUser:
        """The person, on the admin's platform and workspace, who joined with this email.

        Raises:
            NotAnAdmin: the actor is not an admin (nobody else may look people up).
            InvalidInput: nobody known there with that email (``person_unknown``).
        """
        await self.require_admin(actor)
        found = await self._people.by_email(
            platform=actor.platform, workspace_id=actor.workspace_id, email=email.strip()[:320]
        )
        if found is None:
            raise InvalidInput("person_unknown", field="person", email=email[:320])
        return found

    async def require_admin(self, actor: PlatformUser) -> None:
        """Refuse politely unless the person is an admin."""
        await self._roles.require_admin(actor)

    async def _name(self, user: PlatformUser, given: str | None) -> str:
        if given:
            return given[:200]
        return await name_of(user, self._ambassadors, self._roles)
