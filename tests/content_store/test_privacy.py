"""Privacy on the real databases: every table is classified, erasure leaves no trace of the
person in any row, and the retention job trims raw events in bounded batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel, col

from bot.clock import FixedClock
from bot.model import (
    ChatAddress,
    Enrolment,
    Network,
    NewSuggestion,
    Platform,
    RawEventKind,
    Role,
    SuggestionSource,
    SuggestionStatus,
    TrackedLink,
    UserProfile,
)
from bot.privacy import RetentionWork
from content_store.engine import create_engine
from content_store.privacy import (
    AMBASSADOR,
    EXEMPT,
    RULES,
    TOMBSTONE_KEEPS,
    SqlPersonalData,
    SqlRawEvents,
    names_a_person,
    tombstone_values,
)
from content_store.repositories import Database, SqlStore
from content_store.suggestions import SqlSuggestions
from content_store.tables import (
    AmbassadorRow,
    InteractionRow,
    JobRunRow,
    LinkVisitRow,
    PointsAwardRow,
    WeeklyRecapRow,
)
from tests.bot.fakes import record_visit
from tests.content_store.test_contract import NOW, user
from tests.content_store.test_privacy_contract import shared_once


def test_every_table_is_classified() -> None:
    """A new table must say what my-data exports and forget-me erases, or why it is exempt:
    add it to ``RULES`` (``by_ambassador(...)`` for a table with ``ambassador_id``) or
    ``EXEMPT`` in ``content_store/privacy.py``."""
    tables = set(SQLModel.metadata.tables)
    assert not set(RULES) & set(EXEMPT)
    assert tables - set(RULES) - set(EXEMPT) == set(), "unclassified tables"
    assert set(RULES) | set(EXEMPT) <= tables, "rules for tables that do not exist"


def test_exempt_tables_name_nobody() -> None:
    for name in EXEMPT:
        columns = [c.name for c in SQLModel.metadata.tables[name].columns]
        suspicious = [c for c in columns if names_a_person(c)]
        assert suspicious == [], f"{name} has {suspicious}: give it a rule in RULES"


def test_tables_with_people_have_rules() -> None:
    for name, table in SQLModel.metadata.tables.items():
        if any(names_a_person(c.name) for c in table.columns):
            assert name in RULES, f"{name} refers to people: add it to RULES"


def test_the_tombstone_sets_every_required_column() -> None:
    """A new NOT NULL column of ``ambassador`` needs its tombstone value (nullable ones are
    set to NULL by erasure)."""
    values = tombstone_values(NOW)
    for column in AMBASSADOR.columns:
        if not column.nullable and not column.primary_key:
            assert column.name in values or column.name in TOMBSTONE_KEEPS, column.name


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    db = Database(create_engine(database_url))
    yield SqlStore(db)
    await db.engine.dispose()


async def _every_value(store: SqlStore) -> list[str]:
    values: list[str] = []
    async with store.db.reading() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values.extend(str(v) for v in row if v is not None)
    return values


async def _count(store: SqlStore, table: type[SQLModel], **where: object) -> int:
    async with store.db.reading() as session:
        query = select(func.count()).select_from(table)
        for key, value in where.items():
            query = query.where(getattr(table, key) == value)
        return int((await session.execute(query)).scalar_one())


async def test_erase_really_erases(store: SqlStore) -> None:
    _, item, delivery = await shared_once(store, 1)
    await shared_once(store, 2)
    person = await store.ambassadors.enrol(
        user=user(1),
        profile=UserProfile(display_name="Grace Hopper", locale="fr", email="grace@example.com"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=NOW,
    )
    await store.addresses.save(
        ChatAddress(Platform.SLACK, "T1", user(1).user_id, '{"user": "U0001"}'), now=NOW
    )
    (link,) = (
        await store.deliveries.tracked_links(delivery=delivery, networks=[Network.LINKEDIN])
    ).values()
    # What other features keep about her: an edited share text, a suggestion she made (and
    # one she reviewed), a curator role granted to her, audit entries by her and about her.
    await store.delivery_texts.save_text(delivery_id=delivery.id, text="Grace Hopper says hi")
    suggestions = SqlSuggestions(store.db)
    made = await suggestions.add(
        NewSuggestion(
            source=SuggestionSource.EMPLOYEE,
            url="https://example.com/grace",
            title="A read",
            summary="",
            why="Grace Hopper loved it",
            suggester=user(1),
            suggester_name="Grace Hopper",
        ),
        now=NOW,
    )
    other = await suggestions.add(
        NewSuggestion(
            source=SuggestionSource.EMPLOYEE,
            url="https://example.com/other",
            title="Another read",
            summary="",
            suggester=user(2),
        ),
        now=NOW,
    )
    assert made is not None and other is not None
    await suggestions.decide(
        suggestion_id=other.id,
        status=SuggestionStatus.REJECTED,
        reviewer=user(1),
        reviewer_name="Grace Hopper",
        reason="Not yet",
        now=NOW,
    )
    await store.grants.grant(
        user=user(1), role=Role.CURATOR, display_name="Grace Hopper", granted_by=user(2), now=NOW
    )
    await store.grants.grant(
        user=user(2), role=Role.CURATOR, display_name="Ada", granted_by=user(1), now=NOW
    )
    await store.audit.record(
        actor=user(1),
        actor_name="Grace Hopper",
        action="content.published",
        target="content:1",
        details={"title": "Launch"},
        at=NOW,
    )
    u1 = user(1)
    await store.audit.record(
        actor=user(2),
        actor_name="Ada",
        action="role.curator_granted",
        target=f"{u1.platform.value}:{u1.workspace_id}:{u1.user_id}",
        details={"name": "Grace Hopper"},
        at=NOW,
    )
    shares = await _count(store, InteractionRow, content_id=item.id)
    visits = await _count(store, LinkVisitRow, content_id=item.id)
    async with store.db.reading() as session:
        points = (await session.execute(select(func.sum(PointsAwardRow.points)))).scalar_one()
    needles = [user(1).user_id, "grace@example.com", "Grace Hopper", person.ref, "D0001"]
    values = await _every_value(store)
    assert all(any(n in v for v in values) for n in needles)

    await SqlPersonalData(store.db).erase(user(1), now=NOW)

    values = await _every_value(store)
    assert [n for n in needles if any(n in v for v in values)] == []
    assert await _count(store, InteractionRow, content_id=item.id) == shares
    assert await _count(store, LinkVisitRow, content_id=item.id) == visits
    async with store.db.reading() as session:
        assert (await session.execute(select(func.sum(PointsAwardRow.points)))).scalar_one() == (
            points
        )
    # Their tracked link still redirects for whoever clicks it.
    found = await store.contents.content_url_for_token(link.token)
    assert found is not None
    assert found[1].url == item.url
    # The records other people rely on stay, without her.
    kept = await suggestions.get(made.id)
    assert kept is not None and kept.url == "https://example.com/grace"
    assert len(await store.audit.recent(limit=10)) == 2
    assert [g.user for g in await store.grants.list(Role.CURATOR)] == [user(2)]
    # The other person is untouched.
    assert (await store.ambassadors.get_by_user(user(2))) is not None


async def test_retention_deletes_old_raw_events_in_batches(store: SqlStore) -> None:
    _, _item, delivery = await shared_once(store, 1)
    (link,) = (
        await store.deliveries.tracked_links(delivery=delivery, networks=[Network.LINKEDIN])
    ).values()
    clock = FixedClock(NOW)
    for day in range(5):
        visit = TrackedLink(
            link.token, link.delivery_id, link.content_id, link.ambassador_id, link.network
        )
        await record_visit(store, link=visit, is_bot=False, now=NOW + timedelta(days=day))
        await store.jobs.claim(job="j", slot=f"s{day}", holder="h", now=NOW + timedelta(days=day))
    work = RetentionWork(
        events=SqlRawEvents(store.db),
        retention_days={RawEventKind.LINK_VISITS: 2, RawEventKind.JOB_RUNS: 3},
        clock=clock,
        batch=2,
    )
    assert await work.purge() == {RawEventKind.JOB_RUNS: 0, RawEventKind.LINK_VISITS: 0}
    # Day 5: visits before day 3 go (four, two batches and a half), claims before day 2.
    clock.advance(timedelta(days=5))
    deleted = await work.purge()
    assert deleted == {RawEventKind.LINK_VISITS: 4, RawEventKind.JOB_RUNS: 2}
    assert await _count(store, LinkVisitRow) == 2
    assert await _count(store, JobRunRow) == 3
    clock.advance(timedelta(days=1))
    assert (await work.purge())[RawEventKind.LINK_VISITS] == 1


async def test_retention_of_reactions(store: SqlStore) -> None:
    await shared_once(store, 1)
    events = SqlRawEvents(store.db)
    assert await events.purge(kind=RawEventKind.REACTION_EVENTS, before=NOW, limit=10) == 0
    later = NOW + timedelta(seconds=1)
    assert await events.purge(kind=RawEventKind.REACTION_EVENTS, before=later, limit=10) == 1


async def test_my_data_holds_the_weekly_recaps_and_forget_me_deletes_them(
    store: SqlStore,
) -> None:
    person = await store.ambassadors.enrol(
        user=user(1),
        profile=UserProfile(display_name="Grace Hopper", locale="fr"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=NOW,
    )
    await store.preferences.set_weekly_recap(ambassador_id=person.id, on=True)
    week = date(2026, 11, 16)
    assert await store.recaps.claim(ambassador_id=person.id, week_start=week, holder="h", now=NOW)
    await store.recaps.finish(ambassador_id=person.id, week_start=week, status="sent", now=NOW)
    data = SqlPersonalData(store.db)
    export = await data.export(user(1))
    ambassador = export.sections["ambassador"]
    assert isinstance(ambassador, dict) and ambassador["weekly_recap"] is True
    recaps = export.sections["weekly_recaps"]
    assert isinstance(recaps, list)
    (row,) = recaps
    assert (row["week_start"], row["status"]) == (week, "sent")
    await data.erase(user(1), now=NOW)
    async with store.db.reading() as session:
        left = (await session.execute(select(func.count()).select_from(WeeklyRecapRow))).scalar()
        recap = select(col(AmbassadorRow.weekly_recap)).where(col(AmbassadorRow.id) == person.id)
        on = (await session.execute(recap)).scalar_one()
    assert (left, on) == (0, False)  # the tombstone is off too
