"""``PersonalData`` and ``RawEvents`` on SQL: a person's export and erasure, table by table,
and the retention of raw events.

Every table of the schema is classified here, once:

* :data:`RULES`: tables that refer to people. Each says which rows are the person's, how they
  appear in the export (``section``), and what ``forget-me`` does to them (``erase``).
  Export runs the rules in one read transaction, erasure in one write transaction, in the
  order of the registry.
* :data:`EXEMPT`: tables that refer to nobody, with the reason.

``tests/content_store/test_privacy.py`` fails when a table is in neither, or when an exempt
table has a column that looks like it names a person (``ambassador_id``, ``user_id``,
``email``, ``*_user``, ``actor*``...): a new table cannot be forgotten silently.

What erasure does (the README's "what forget-me erases / keeps" lists the same): the person's
``ambassador`` row becomes a nameless **tombstone** (name, email, locale, time zone,
preferences and reference cleared or replaced, status ``erased``), their platform identities,
topics, guidelines acceptances and stored chat addresses are deleted, their DMs' message refs
are cleared and unsent suggestions cancelled, and their platform user id is blanked where a
row keeps a count (reactions, content they created). Interactions, points, tracked links and
link visits stay, attached to the tombstone: programme totals, share counts and clicks do not
change, redirects keep working, and nothing maps back to the person.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, delete, false, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from bot.model import (
    DeliveryStatus,
    ErasureOutcome,
    PersonalDataExport,
    Platform,
    PlatformUser,
    RawEventKind,
)
from bot.tracking import new_ref
from content_store.repositories import Database
from content_store.tables import (
    AmbassadorRow,
    AmbassadorTopicRow,
    AuditEntryRow,
    BadgeRow,
    ChatAddressRow,
    ContentRow,
    DeliveryRow,
    GuidelinesEventRow,
    IdentityRow,
    InteractionRow,
    InvitationRow,
    JobRunRow,
    LinkVisitAwardRow,
    LinkVisitRow,
    PointsAwardRow,
    PointsMonthlyRow,
    PointsTotalRow,
    PointsWeeklyRow,
    ReactionRow,
    RoleGrantRow,
    SuggestionRow,
    TrackedLinkRow,
    WeeklyRecapRow,
)

ERASED_STATUS = "erased"  # the tombstone's status: never active, never on a leaderboard
ERASED = ""  # what replaces a platform user id in a row kept for its count

# Columns whose name suggests they identify a person: a table with one must have a rule.
PERSON_COLUMN = re.compile(
    r"(^|_)(ambassador_id|user_id|user|users|email|display_name|name|ref|actor|suggester|"
    r"author|reviewer|member|by|owner|sender|recipient|requester|grantee|person|key|aad)($|_)"
)

# Columns that match PERSON_COLUMN but name no person (checked by hand).
NOT_A_PERSON = frozenset({"feed_key", "item_key", "chart_key"})


def names_a_person(column: str) -> bool:
    """Whether a column's name suggests it identifies a person."""
    return column not in NOT_A_PERSON and PERSON_COLUMN.search(column) is not None


CHAT_ADDRESS_NOTE = (
    "A Teams conversation reference: what the bot needs to message you first (your "
    "suggestions). It holds the chat's id, the service URL, the bot's id and your Teams ids."
)


@dataclass
class Subject:
    """The person an export or erasure is about: every platform identity of theirs."""

    users: tuple[PlatformUser, ...]
    ambassador_id: int | None
    dm_channels: set[str] = field(default_factory=set)


Export = Callable[[AsyncSession, Subject], Awaitable[object]]
Erase = Callable[[AsyncSession, Subject, datetime], Awaitable[int]]


@dataclass(frozen=True)
class TableRule:
    """How one table takes part in ``my-data`` and ``forget-me``."""

    section: str  # the export's section (one per table)
    export: Export
    erase: Erase
    erases: str  # what forget-me does, in one sentence (kept in step with the README)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _table(row_class: type[SQLModel]) -> Table:
    table = row_class.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)  # noqa: S101 - every row class here is a table
    return table


async def _rows(
    session: AsyncSession, table: Table, where: Any, *, extra: Sequence[Any] = (), join: Any = None
) -> list[dict[str, object]]:
    query = select(table, *extra)
    if join is not None:
        query = query.select_from(join)
    order = list(table.primary_key.columns)
    rows = await session.execute(query.where(where).order_by(*order))
    return [{k: _jsonable(v) for k, v in r._mapping.items()} for r in rows]


def _of_users(platform: Any, workspace: Any, user: Any, s: Subject) -> Any:
    if not s.users:
        return false()
    return tuple_(platform, workspace, user).in_(
        [(u.platform.value, u.workspace_id, u.user_id) for u in s.users]
    )


def _owned(table: Table, s: Subject) -> Any:
    if s.ambassador_id is None:
        return false()
    return (
        table.c.id == s.ambassador_id
        if table is AMBASSADOR
        else (table.c.ambassador_id == s.ambassador_id)
    )


async def _keep(_session: AsyncSession, _s: Subject, _now: datetime) -> int:
    return 0


def by_ambassador(row_class: type[SQLModel], section: str, *, delete_rows: bool) -> TableRule:
    """The rule of a table whose rows belong to one ambassador (``ambassador_id``): exported
    whole; on erasure deleted, or kept attached to the nameless tombstone."""
    table = _table(row_class)

    async def export(session: AsyncSession, s: Subject) -> object:
        return await _rows(session, table, _owned(table, s))

    async def erase(session: AsyncSession, s: Subject, _now: datetime) -> int:
        if s.ambassador_id is None:
            return 0
        result = await session.execute(delete(table).where(_owned(table, s)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    return TableRule(
        section,
        export,
        erase if delete_rows else _keep,
        "deleted" if delete_rows else "kept, attached to the nameless tombstone",
    )


# ---- the ambassador row: a tombstone ---------------------------------------------------

AMBASSADOR = _table(AmbassadorRow)
# Columns of the tombstone that keep their value (anonymous on their own).
TOMBSTONE_KEEPS = frozenset({"id", "joined_at"})


def tombstone_values(now: datetime) -> dict[str, object]:
    """The values an erased ambassador row takes; every other column becomes NULL (the
    contract test checks that each NOT NULL column is listed here or kept)."""
    return {
        "display_name": "",
        "email": None,
        "locale": "",
        "status": ERASED_STATUS,
        "ref": f"x{new_ref()}",  # unique, random: the old utm_content no longer maps back
        "guidelines_version": "",
        "guidelines_accepted_at": AMBASSADOR.c.joined_at,
        "networks": [],
        "left_at": func.coalesce(AMBASSADOR.c.left_at, now),
        "delivery_mode": "immediate",
        "hidden_from_boards": True,  # erased people are off every board anyway
        "weekly_recap": False,  # nobody to send it to
    }


async def _export_ambassador(session: AsyncSession, s: Subject) -> object:
    rows = await _rows(session, AMBASSADOR, _owned(AMBASSADOR, s))
    return rows[0] if rows else None


async def _erase_ambassador(session: AsyncSession, s: Subject, now: datetime) -> int:
    if s.ambassador_id is None:
        return 0
    values = tombstone_values(now)
    for column in AMBASSADOR.columns:
        if column.name not in values and column.name not in TOMBSTONE_KEEPS:
            values[column.name] = None
    result = await session.execute(
        update(AMBASSADOR).where(AMBASSADOR.c.id == s.ambassador_id).values(**values)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- tables with special rules -----------------------------------------------------------

IDENTITY = _table(IdentityRow)
DELIVERY = _table(DeliveryRow)
CONTENT = _table(ContentRow)
REACTION = _table(ReactionRow)
LINK = _table(TrackedLinkRow)
VISIT = _table(LinkVisitRow)
ADDRESS = _table(ChatAddressRow)


async def _export_deliveries(session: AsyncSession, s: Subject) -> object:
    return await _rows(
        session,
        DELIVERY,
        _owned(DELIVERY, s),
        extra=(CONTENT.c.title.label("content_title"), CONTENT.c.url.label("content_url")),
        join=DELIVERY.join(CONTENT, CONTENT.c.id == DELIVERY.c.content_id),
    )


async def _erase_deliveries(session: AsyncSession, s: Subject, _now: datetime) -> int:
    if s.ambassador_id is None:
        return 0
    cancelled = await session.execute(
        update(DELIVERY)
        .where(
            _owned(DELIVERY, s),
            DELIVERY.c.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.CLAIMED.value]),
        )
        .values(status=DeliveryStatus.CANCELLED.value, error="erased")
    )
    # Where the DMs were (channel and ts): a sender holding one loses its claim too.
    cleared = await session.execute(
        update(DELIVERY)
        .where(_owned(DELIVERY, s))
        .values(channel_id=None, message_id=None, locked_by=None, locked_until=None, text=None)
    )
    return int(cancelled.rowcount or 0) + int(cleared.rowcount or 0)  # type: ignore[attr-defined]


async def _export_visits(session: AsyncSession, s: Subject) -> object:
    people = func.sum(case((VISIT.c.is_bot == false(), 1), else_=0))
    rows = await session.execute(
        select(
            VISIT.c.token,
            VISIT.c.network,
            VISIT.c.content_id,
            func.count().label("visits"),
            people.label("visits_by_people"),
            func.min(VISIT.c.visited_at).label("first_visit"),
            func.max(VISIT.c.visited_at).label("last_visit"),
        )
        .where(_owned(VISIT, s))
        .group_by(VISIT.c.token, VISIT.c.network, VISIT.c.content_id)
        .order_by(VISIT.c.token)
    )
    return [{k: _jsonable(v) for k, v in r._mapping.items()} for r in rows]


def _reactions_of(s: Subject) -> Any:
    return or_(
        _owned(REACTION, s),
        _of_users(REACTION.c.platform, REACTION.c.workspace_id, REACTION.c.user_id, s),
    )


async def _export_reactions(session: AsyncSession, s: Subject) -> object:
    return await _rows(session, REACTION, _reactions_of(s))


async def _erase_reactions(session: AsyncSession, s: Subject, _now: datetime) -> int:
    # Reactions on the person's own DMs: the DM's channel and ts go too (the deliveries'
    # rule clears them there; this rule runs first, so they are still readable).
    if s.ambassador_id is not None:
        s.dm_channels = {
            str(c)
            for c in (
                await session.execute(
                    select(DELIVERY.c.channel_id).where(
                        _owned(DELIVERY, s), DELIVERY.c.channel_id.is_not(None)
                    )
                )
            ).scalars()
        }
    changed = 0
    if s.dm_channels:
        result = await session.execute(
            update(REACTION)
            .where(_reactions_of(s), REACTION.c.channel_id.in_(sorted(s.dm_channels)))
            .values(channel_id=ERASED, message_id=ERASED)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = await session.execute(update(REACTION).where(_reactions_of(s)).values(user_id=ERASED))
    return changed + int(result.rowcount or 0)  # type: ignore[attr-defined]


def _addresses_of(s: Subject) -> Any:
    """The person's own address (keyed by their user id), and every other address whose
    reference names them (Teams also files it under its conversation id)."""
    if not s.users:
        return false()
    return or_(
        *(
            and_(
                ADDRESS.c.platform == u.platform.value,
                or_(
                    ADDRESS.c.key == u.user_id,
                    ADDRESS.c.payload.contains(json.dumps(u.user_id), autoescape=True),
                ),
            )
            for u in s.users
        )
    )


async def _export_addresses(session: AsyncSession, s: Subject) -> object:
    rows = await _rows(session, ADDRESS, _addresses_of(s))
    for row in rows:
        with contextlib.suppress(ValueError):
            row["payload"] = json.loads(str(row["payload"]))
        row["what"] = CHAT_ADDRESS_NOTE
    return rows


async def _erase_addresses(session: AsyncSession, s: Subject, _now: datetime) -> int:
    result = await session.execute(delete(ADDRESS).where(_addresses_of(s)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _content_by(s: Subject) -> Any:
    return _of_users(
        CONTENT.c.created_by_platform, CONTENT.c.created_by_workspace, CONTENT.c.created_by_user, s
    )


async def _export_content(session: AsyncSession, s: Subject) -> object:
    rows = await session.execute(
        select(CONTENT.c.id, CONTENT.c.title, CONTENT.c.url, CONTENT.c.status, CONTENT.c.created_at)
        .where(_content_by(s))
        .order_by(CONTENT.c.id)
    )
    return [{k: _jsonable(v) for k, v in r._mapping.items()} for r in rows]


async def _erase_content(session: AsyncSession, s: Subject, _now: datetime) -> int:
    result = await session.execute(
        update(CONTENT).where(_content_by(s)).values(created_by_user=ERASED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _export_topics(session: AsyncSession, s: Subject) -> object:
    topics = _table(AmbassadorTopicRow)
    rows = await session.execute(
        select(topics.c.topic).where(_owned(topics, s)).order_by(topics.c.topic)
    )
    return list(rows.scalars())


async def _export_identities(session: AsyncSession, s: Subject) -> object:
    where = _owned(IDENTITY, s)
    return await _rows(session, IDENTITY, where)


# ---- suggestions, role grants and the audit log (other people's records name the person) ---

SUGGESTION = _table(SuggestionRow)
GRANT = _table(RoleGrantRow)
AUDIT = _table(AuditEntryRow)


def _suggested_by(s: Subject) -> Any:
    return _of_users(
        SUGGESTION.c.suggester_platform,
        SUGGESTION.c.suggester_workspace,
        SUGGESTION.c.suggester_user,
        s,
    )


def _reviewed_by(s: Subject) -> Any:
    return _of_users(
        SUGGESTION.c.reviewer_platform,
        SUGGESTION.c.reviewer_workspace,
        SUGGESTION.c.reviewer_user,
        s,
    )


async def _export_suggestions(session: AsyncSession, s: Subject) -> object:
    columns = (
        SUGGESTION.c.id,
        SUGGESTION.c.url,
        SUGGESTION.c.title,
        SUGGESTION.c.status,
        SUGGESTION.c.created_at,
        SUGGESTION.c.decided_at,
    )
    made = await session.execute(
        select(*columns, SUGGESTION.c.why, SUGGESTION.c.suggester_name, SUGGESTION.c.reason)
        .where(_suggested_by(s))
        .order_by(SUGGESTION.c.id)
    )
    reviewed = await session.execute(
        select(*columns, SUGGESTION.c.reviewer_name, SUGGESTION.c.reason)
        .where(_reviewed_by(s))
        .order_by(SUGGESTION.c.id)
    )
    return [
        *({"as": "suggester", **{k: _jsonable(v) for k, v in r._mapping.items()}} for r in made),
        *({"as": "reviewer", **{k: _jsonable(v) for k, v in r._mapping.items()}} for r in reviewed),
    ]


async def _erase_suggestions(session: AsyncSession, s: Subject, _now: datetime) -> int:
    made = await session.execute(
        update(SUGGESTION)
        .where(_suggested_by(s))
        .values(suggester_user=ERASED, suggester_name=None, why=None)
    )
    reviewed = await session.execute(
        update(SUGGESTION).where(_reviewed_by(s)).values(reviewer_user=ERASED, reviewer_name=None)
    )
    return int(made.rowcount or 0) + int(reviewed.rowcount or 0)  # type: ignore[attr-defined]


def _granted_to(s: Subject) -> Any:
    return _of_users(GRANT.c.platform, GRANT.c.workspace_id, GRANT.c.user_id, s)


def _granted_by(s: Subject) -> Any:
    return _of_users(
        GRANT.c.granted_by_platform, GRANT.c.granted_by_workspace, GRANT.c.granted_by_user, s
    )


async def _export_grants(session: AsyncSession, s: Subject) -> object:
    held = await _rows(session, GRANT, _granted_to(s))
    granted = await _rows(session, GRANT, _granted_by(s))
    return [*({"as": "holder", **g} for g in held), *({"as": "granter", **g} for g in granted)]


async def _erase_grants(session: AsyncSession, s: Subject, _now: datetime) -> int:
    held = await session.execute(delete(GRANT).where(_granted_to(s)))
    granted = await session.execute(
        update(GRANT).where(_granted_by(s)).values(granted_by_user=ERASED)
    )
    return int(held.rowcount or 0) + int(granted.rowcount or 0)  # type: ignore[attr-defined]


def _audit_targets(s: Subject) -> list[str]:
    """How the audit log names a person it acted on (``slack:T1:U123``)."""
    return [f"{u.platform.value}:{u.workspace_id}:{u.user_id}" for u in s.users]


def _audit_of(s: Subject) -> Any:
    return or_(
        _of_users(AUDIT.c.actor_platform, AUDIT.c.actor_workspace, AUDIT.c.actor_user, s),
        AUDIT.c.target.in_(_audit_targets(s)) if s.users else false(),
    )


async def _export_audit(session: AsyncSession, s: Subject) -> object:
    return await _rows(session, AUDIT, _audit_of(s))


async def _erase_audit(session: AsyncSession, s: Subject, _now: datetime) -> int:
    """What the person did stays (an audit log must), without who they were; entries about
    them lose their name and target."""
    acted = await session.execute(
        update(AUDIT)
        .where(_of_users(AUDIT.c.actor_platform, AUDIT.c.actor_workspace, AUDIT.c.actor_user, s))
        .values(actor_user=ERASED, actor_name=ERASED)
    )
    changed = int(acted.rowcount or 0)  # type: ignore[attr-defined]
    targets = _audit_targets(s)
    if not targets:
        return changed
    about = await session.execute(
        select(AUDIT.c.id, AUDIT.c.details).where(AUDIT.c.target.in_(targets))
    )
    for entry_id, details in list(about):
        kept = {k: v for k, v in dict(details or {}).items() if k != "name"}
        await session.execute(
            update(AUDIT).where(AUDIT.c.id == entry_id).values(target=ERASED, details=kept)
        )
        changed += 1
    return changed


# ---- invitations (prospects): the invitee's row, and the inviting curator's id -------------

INVITATION = _table(InvitationRow)


def _invited(s: Subject) -> Any:
    return _of_users(INVITATION.c.platform, INVITATION.c.workspace_id, INVITATION.c.user_id, s)


def _invited_by(s: Subject) -> Any:
    return _of_users(
        INVITATION.c.invited_by_platform,
        INVITATION.c.invited_by_workspace,
        INVITATION.c.invited_by_user,
        s,
    )


async def _export_invitations(session: AsyncSession, s: Subject) -> object:
    return await _rows(session, INVITATION, _invited(s))


async def _erase_invitations(session: AsyncSession, s: Subject, _now: datetime) -> int:
    gone = await session.execute(delete(INVITATION).where(_invited(s)))
    blanked = await session.execute(
        update(INVITATION)
        .where(_invited_by(s))
        .values(invited_by_platform=None, invited_by_workspace=None, invited_by_user=None)
    )
    return int(gone.rowcount or 0) + int(blanked.rowcount or 0)  # type: ignore[attr-defined]


# The registry, in erasure order: reactions read the DMs before deliveries clear them, and
# the ambassador row becomes a tombstone last.
RULES: dict[str, TableRule] = {
    "reaction": TableRule(
        "reactions",
        _export_reactions,
        _erase_reactions,
        "kept for the counts; your user id is blanked (and the DM, for reactions on your DMs)",
    ),
    "delivery": TableRule(
        "deliveries",
        _export_deliveries,
        _erase_deliveries,
        "kept for the counts; where the DM was (channel, ts) is cleared, unsent ones cancelled",
    ),
    "tracked_link": by_ambassador(TrackedLinkRow, "tracked_links", delete_rows=False),
    "link_visit": TableRule(
        "link_visits",
        _export_visits,
        _keep,
        # The ambassador id is the link's owner (the tombstone after erasure). The visitor
        # is only a visitor_key: a pseudonymous salted HMAC of address and browser, salt
        # rotated daily (bot/links.py), no raw address. It is personal data of the visitor
        # in GDPR terms (pseudonymous, not anonymous) but names no employee, so forget-me
        # has nothing to erase; retention (privacy.retention_days.link_visits) deletes it
        # with the row.
        "kept: visits name no employee; a visitor is a daily-salted hash, removed by retention",
    ),
    "interaction": by_ambassador(InteractionRow, "interactions", delete_rows=False),
    "points_award": by_ambassador(PointsAwardRow, "points", delete_rows=False),
    # Leaderboard rollups: sums of points_award, kept like it on the nameless tombstone
    # (never active, so never on a board).
    "points_weekly": by_ambassador(PointsWeeklyRow, "points_weekly", delete_rows=False),
    "points_monthly": by_ambassador(PointsMonthlyRow, "points_monthly", delete_rows=False),
    "points_total": by_ambassador(PointsTotalRow, "points_total", delete_rows=False),
    "guidelines_event": by_ambassador(GuidelinesEventRow, "guidelines", delete_rows=True),
    # Issue 6: badges name what one person did (deleted); counted visits hold only points,
    # like the ledger (kept with the tombstone, so the programme's totals stay right).
    "badge": by_ambassador(BadgeRow, "badges", delete_rows=True),
    "link_visit_award": by_ambassador(LinkVisitAwardRow, "link_click_points", delete_rows=False),
    # The personal weekly recaps sent (or skipped) to the person, one row a week: deleted.
    "weekly_recap_sent": by_ambassador(WeeklyRecapRow, "weekly_recaps", delete_rows=True),
    "ambassador_topic": TableRule(
        "topics",
        _export_topics,
        by_ambassador(AmbassadorTopicRow, "topics", delete_rows=True).erase,
        "deleted",
    ),
    "chat_address": TableRule("chat_addresses", _export_addresses, _erase_addresses, "deleted"),
    "content": TableRule(
        "content_created",
        _export_content,
        _erase_content,
        "content you posted as a curator stays; your user id on it is blanked",
    ),
    "suggestion": TableRule(
        "suggestions",
        _export_suggestions,
        _erase_suggestions,
        "suggestions stay (their links and outcome); who suggested or reviewed them, the "
        "suggester's name and their why are cleared",
    ),
    "role_grant": TableRule(
        "role_grants",
        _export_grants,
        _erase_grants,
        "a role granted to you is deleted; on grants you made, your user id is blanked",
    ),
    "audit_entry": TableRule(
        "audit_log",
        _export_audit,
        _erase_audit,
        "entries of what you did stay with your id and name blanked; entries about you lose "
        "their target and your name",
    ),
    "invitation": TableRule(
        "invitations",
        _export_invitations,
        _erase_invitations,
        "an invitation to join sent to you is deleted; on invitations you sent, your user id "
        "is blanked",
    ),
    "identity": TableRule(
        "identities",
        _export_identities,
        by_ambassador(IdentityRow, "identities", delete_rows=True).erase,
        "deleted: nothing links the tombstone to a Slack or Teams account any more",
    ),
    "ambassador": TableRule(
        "ambassador",
        _export_ambassador,
        _erase_ambassador,
        "becomes a nameless tombstone (status erased) that holds the kept rows",
    ),
}

# Tables that refer to nobody.
EXEMPT: dict[str, str] = {
    "content_topic": "topics of a piece of content",
    "bot_message": "channel posts of the bot (leaderboards), no person",
    "job_run": "scheduler claims: job, slot and the claiming process",
    "send_lease": "which process sends for a workspace",
    "feed_item": "items read from the configured feeds (no person)",
    "feed_state": "what the last poll of each feed returned (no person)",
    "rollup_state": "how far the leaderboard rollup has read the points ledger (no person)",
    "digest_chart": "weekly digest chart images: programme totals per week (no person)",
}


async def _subject(session: AsyncSession, user: PlatformUser, *, lock: bool = False) -> Subject:
    query = select(IDENTITY.c.ambassador_id).where(
        IDENTITY.c.platform == user.platform.value,
        IDENTITY.c.workspace_id == user.workspace_id,
        IDENTITY.c.user_id == user.user_id,
    )
    if lock:
        # Two confirm clicks at once (PostgreSQL): the second waits for the first, then
        # finds the identity gone and erases nothing. (SQLite's write lock does the same.)
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        return Subject((user,), None)
    identities = await session.execute(
        select(IDENTITY.c.platform, IDENTITY.c.workspace_id, IDENTITY.c.user_id)
        .where(IDENTITY.c.ambassador_id == found)
        .order_by(IDENTITY.c.id)
    )
    users = {PlatformUser(Platform(p), w, u): None for p, w, u in identities}  # ordered, unique
    users.setdefault(user, None)
    return Subject(tuple(users), int(found))


class SqlPersonalData:
    """``PersonalData`` on SQL, driven by :data:`RULES`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user: PlatformUser) -> PersonalDataExport:
        async with self._db.reading() as session:
            subject = await _subject(session, user)
            sections = {
                rule.section: await rule.export(session, subject) for rule in RULES.values()
            }
        return PersonalDataExport(
            sections=sections, is_ambassador=subject.ambassador_id is not None
        )

    async def erase(self, user: PlatformUser, *, now: datetime) -> ErasureOutcome:
        async with self._db.transaction() as session:
            subject = await _subject(session, user, lock=True)
            rows = {table: await rule.erase(session, subject, now) for table, rule in RULES.items()}
        return ErasureOutcome(rows)


# ---- retention of raw events -------------------------------------------------------------

RAW_EVENTS: Mapping[RawEventKind, tuple[Table, str]] = {
    RawEventKind.LINK_VISITS: (VISIT, "visited_at"),
    RawEventKind.REACTION_EVENTS: (REACTION, "occurred_at"),
    RawEventKind.JOB_RUNS: (_table(JobRunRow), "claimed_at"),
}


class SqlRawEvents:
    """``RawEvents`` on SQL: deletes in bounded batches by primary key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def purge(self, *, kind: RawEventKind, before: datetime, limit: int) -> int:
        table, moment = RAW_EVENTS[kind]
        key = list(table.primary_key.columns)
        oldest = select(*key).where(table.c[moment] < before).limit(limit)
        target = key[0].in_(oldest) if len(key) == 1 else tuple_(*key).in_(oldest)
        async with self._db.transaction() as session:
            result = await session.execute(delete(table).where(target))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
