"""Share texts in the store: the fake, SQLite and PostgreSQL agree (texts with network and
language, even variants per language, the team, edited texts), and migration 0008 carries the
older texts over."""

from __future__ import annotations

import concurrent.futures
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from bot.model import (
    Audience,
    ContentDraft,
    ContentId,
    ContentTranslation,
    Enrolment,
    Network,
    PageMetadata,
    ShareText,
    UserProfile,
)
from content_store.engine import create_engine
from content_store.migrate import alembic_config, upgrade
from content_store.repositories import Database, SqlStore
from tests.content_store.test_contract import CURATOR, NOW, claim_all, user

SHARE_TEXTS = (
    ShareText("Any network, any language"),
    ShareText("Pour X, en français", Network.X, "fr"),
    ShareText("English anywhere", None, "en"),
)


async def join(ports: Any, n: int, *, locale: str = "en", team: str | None = None) -> Any:
    return await ports.ambassadors.enrol(
        user=user(n),
        profile=UserProfile(display_name=f"Person {n}", locale=locale, team=team),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN, Network.X), "v1"),
        now=NOW,
    )


async def create(ports: Any, share_texts: tuple[ShareText, ...] = SHARE_TEXTS) -> Any:
    draft = ContentDraft(
        url="https://example.com/post",
        title="Hello",
        summary="Summary",
        image_url=None,
        topics=("ai",),
        texts=tuple(t.text for t in share_texts),
        hashtags=(),
        audience=Audience.EVERYONE,
        publish_now=True,
        share_texts=share_texts,
    )
    return await ports.contents.create(
        draft=draft, page=PageMetadata(), created_by=CURATOR, now=NOW
    )


async def test_share_texts_keep_their_network_and_language(ports: Any) -> None:
    created = await create(ports)
    assert created.share_texts == SHARE_TEXTS
    read = await ports.contents.get(created.id)
    assert read.share_texts == SHARE_TEXTS
    assert read.variants == SHARE_TEXTS
    (recent,) = await ports.contents.list_recent(limit=5)
    assert recent.share_texts == SHARE_TEXTS


async def test_translations_are_kept(ports: Any) -> None:
    draft = ContentDraft(
        url="https://example.com/post",
        title="Hello",
        summary="Summary",
        image_url=None,
        topics=("ai",),
        texts=(),
        hashtags=(),
        audience=Audience.EVERYONE,
        publish_now=True,
        translations=(ContentTranslation("fr", "Bonjour", None),),
    )
    created = await ports.contents.create(
        draft=draft, page=PageMetadata(), created_by=CURATOR, now=NOW
    )
    read = await ports.contents.get(created.id)
    assert read.translations == (ContentTranslation("fr", "Bonjour", None),)
    assert (read.title_in("fr"), read.summary_in("fr")) == ("Bonjour", "Summary")
    assert (read.title_in("en"), read.summary_in("de")) == ("Hello", "Summary")


async def test_variants_are_ordinals_per_language(ports: Any) -> None:
    for n in range(1, 301):
        await join(ports, n, locale="fr" if n > 240 else "en")
    item = await create(ports)
    result = await ports.contents.publish(content_id=item.id, now=NOW)
    assert result.deliveries_created == 300
    pending = await claim_all(ports)
    people = await ports.ambassadors.get_many({d.ambassador_id for d in pending})
    by_locale: dict[str, list[int]] = {}
    for delivery in sorted(pending, key=lambda d: d.ambassador_id):
        by_locale.setdefault(people[delivery.ambassador_id].locale, []).append(delivery.variant)
    assert by_locale == {"en": list(range(240)), "fr": list(range(60))}
    # So 3 variants split 240 people 80/80/80, and 60 people 20/20/20.
    assert Counter(v % 3 for v in by_locale["en"]) == {0: 80, 1: 80, 2: 80}
    assert Counter(v % 3 for v in by_locale["fr"]) == {0: 20, 1: 20, 2: 20}


async def test_the_team_is_kept_and_not_erased_by_a_profile_without_it(ports: Any) -> None:
    first = await join(ports, 1, team="Data Platform")
    assert first.team == "Data Platform"
    again = await join(ports, 1, team=None)  # Slack and Teams profiles tell no team
    assert again.team == "Data Platform"
    assert (await ports.ambassadors.get(first.id)).team == "Data Platform"
    assert (await join(ports, 2)).team is None


async def test_an_edited_text_is_saved_once(ports: Any) -> None:
    await join(ports, 1)
    item = await create(ports)
    await ports.contents.publish(content_id=item.id, now=NOW)
    (delivery,) = await claim_all(ports)
    assert delivery.text is None
    assert await ports.delivery_texts.save_text(delivery_id=delivery.id, text="Mine #Tag")
    assert (await ports.deliveries.get(delivery.id)).text == "Mine #Tag"
    assert not await ports.delivery_texts.save_text(delivery_id=delivery.id, text="Mine #Tag")
    assert await ports.delivery_texts.save_text(delivery_id=delivery.id, text="Better #Tag")
    many = await ports.deliveries.get_many({delivery.id})
    assert many[delivery.id].text == "Better #Tag"
    assert not await ports.delivery_texts.save_text(delivery_id=delivery.id + 999, text="x")


async def test_a_network_unknown_to_this_version_reads_as_any(ports: Any) -> None:
    if not isinstance(ports, SqlStore):
        pytest.skip("only a row written by a newer version can name an unknown network")
    item = await create(ports)
    async with ports.db.transaction() as session:
        await session.execute(
            text("UPDATE content SET share_texts = :value WHERE id = :id"),
            {"value": '[{"text": "Post", "network": "myspace", "language": null}]', "id": item.id},
        )
    read = await ports.contents.get(ContentId(item.id))
    assert read is not None
    assert read.share_texts == (ShareText("Post"),)


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
async def test_migration_0008_carries_the_older_texts_over(
    url_fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if url_fixture == "sqlite_url":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = str(request.getfixturevalue(url_fixture))
        await _downgrade_to_0004(url)
    upgrade(url, "0004")
    now = NOW.replace(tzinfo=None) if url.startswith("sqlite") else NOW
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO content (url, title, summary, audience, status, texts, hashtags,"
                    " created_by_platform, created_by_workspace, created_by_user, created_at,"
                    " important) VALUES ('https://example.com', 'Old', '', 'everyone',"
                    " 'published', :texts, '[]', 'slack', 'T1', 'U1', :now, false)"
                ),
                {"texts": '["First take", "Second take"]', "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO content (url, title, summary, audience, status, texts, hashtags,"
                    " created_by_platform, created_by_workspace, created_by_user, created_at,"
                    " important) VALUES ('https://example.com/2', 'No texts', '', 'everyone',"
                    " 'published', '[]', '[]', 'slack', 'T1', 'U1', :now, false)"
                ),
                {"now": now},
            )
    finally:
        await engine.dispose()
    upgrade(url)
    db = Database(create_engine(url))
    try:
        old, empty = sorted(await SqlStore(db).contents.list_recent(limit=10), key=lambda c: c.id)
    finally:
        await db.engine.dispose()
    assert old.share_texts == (ShareText("First take"), ShareText("Second take"))
    assert old.variants == old.share_texts
    assert empty.share_texts == ()


async def _downgrade_to_0004(url: str) -> None:
    """The session's PostgreSQL database, taken back to 0004 (and up again by the test)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM content"))
    finally:
        await engine.dispose()
    # alembic runs its own event loop: not inside this one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.downgrade, alembic_config(url), "0004").result()
