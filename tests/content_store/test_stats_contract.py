"""StatsReader: the fake, SQLite and PostgreSQL agree on one seeded dataset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.leaderboard import previous_week, week_of
from bot.model import (
    Enrolment,
    InteractionKind,
    LinkVisit,
    MessageRef,
    Network,
    ReactionEvent,
    StatsWindow,
    UserProfile,
)
from bot.stats import window_of
from content_store.charts import SqlCharts
from content_store.engine import create_engine
from content_store.links import SqlLinkVisits
from content_store.repositories import Database, SqlStore
from tests.bot.fakes import record_visit
from tests.content_store.test_contract import HOLDER, NOW, claim_all, content, user

WINDOW = window_of("30d", NOW + timedelta(hours=1))


async def _enrol(ports: Any, n: int, team: str | None) -> Any:
    return await ports.ambassadors.enrol(
        user=user(n),
        profile=UserProfile(display_name=f"Person {n}", locale="en", team=team),
        enrolment=Enrolment(frozenset({"ai", "jobs"}), (Network.LINKEDIN, Network.X), "v1"),
        now=NOW,
    )


async def seed(ports: Any) -> dict[str, Any]:
    """Three ambassadors (two in Sales, one without a team), two content, one old send."""
    a = await _enrol(ports, 1, "Sales")
    b = await _enrol(ports, 2, "Sales")
    c = await _enrol(ports, 3, None)
    ai = await content(ports, ("ai",))
    await ports.contents.publish(content_id=ai.id, now=NOW)
    sent = {d.ambassador_id: d for d in await claim_all(ports)}
    for d in sent.values():
        at = NOW - timedelta(days=40) if d.ambassador_id == c.id else NOW
        await ports.queue.mark_sent(
            delivery_id=d.id, holder=HOLDER, message=MessageRef("D", str(d.id)), now=at
        )
    jobs = await content(ports, ("jobs",))
    await ports.contents.publish(content_id=jobs.id, now=NOW)
    record = ports.ledger.record

    async def act(d: Any, kind: InteractionKind, network: Network | None) -> None:
        await record(
            dedupe_key=f"{kind.value}:{d.id}:{network.value if network else ''}",
            ambassador_id=d.ambassador_id,
            content_id=d.content_id,
            delivery_id=d.id,
            kind=kind,
            network=network,
            points=1,
            now=NOW,
        )

    da, db = sent[a.id], sent[b.id]
    await act(da, InteractionKind.SHARE_CLICK, Network.LINKEDIN)
    await act(da, InteractionKind.SHARE_CLICK, Network.X)
    await act(da, InteractionKind.SHARE_CLICK, Network.X)  # a double click counts once
    await act(db, InteractionKind.CONFIRMED_SHARE, None)
    await act(sent[c.id], InteractionKind.SKIP, None)
    links = await ports.deliveries.tracked_links(delivery=da, networks=[Network.LINKEDIN])
    for is_bot in (False, False, False, True):
        await record_visit(ports, link=links[Network.LINKEDIN], is_bot=is_bot, now=NOW)
    await record_visit(
        ports, link=links[Network.LINKEDIN], is_bot=False, now=NOW - timedelta(days=60)
    )
    for event_id, added, cid in (("E1", True, ai.id), ("E2", False, ai.id), ("E3", True, None)):
        await ports.ledger.record_reaction(
            event=ReactionEvent(event_id, user(1), "tada", MessageRef("D", "1"), added, NOW),
            ambassador_id=a.id,
            content_id=cid,
            points=0,
        )
    return {"a": a, "b": b, "c": c, "ai": ai, "jobs": jobs, "da": da}


async def test_programme_figures(ports: Any) -> None:
    s = await seed(ports)
    f = await ports.stats.programme(WINDOW)
    assert f.ambassadors == 3
    assert f.active_ambassadors == 3  # a clicked, b confirmed, c skipped
    assert f.deliveries == 2  # c's was sent 40 days ago; "jobs" was never sent
    assert f.shared == 2
    assert dict(f.share_clicks) == {Network.LINKEDIN: 1, Network.X: 1}
    assert f.confirmed == 1
    assert dict(f.clicks) == {Network.LINKEDIN: 3}
    assert f.bot_hits == 1
    assert f.reactions == 1  # added, about a content
    assert f.unique_visitors == 0  # these visits were recorded without visitor keys
    assert [(t.label, t.count, t.extra) for t in f.top_content] == [("Hello", 2, 3)]
    assert f.top_content[0].key == str(s["ai"].id)
    assert [(t.key, t.count) for t in f.top_topics] == [("ai", 2)]
    assert [(d.team, d.ambassadors, d.deliveries, d.shared, d.clicks) for d in f.departments] == [
        ("Sales", 2, 2, 2, 3),
        (None, 1, 0, 0, 0),
    ]


async def test_all_time_and_a_short_window(ports: Any) -> None:
    await seed(ports)
    everything = await ports.stats.programme(window_of("all", NOW + timedelta(hours=1)))
    assert everything.deliveries == 3
    assert dict(everything.clicks) == {Network.LINKEDIN: 4}
    later = await ports.stats.programme(window_of("7d", NOW + timedelta(days=10)))
    assert later.deliveries == 0
    assert later.shared == 0
    assert later.active_ambassadors == 0
    assert later.top_content == []


async def test_content_figures_and_export_rows(ports: Any) -> None:
    s = await seed(ports)
    f = await ports.stats.content(s["ai"].id, WINDOW)
    assert (f.title, f.url, f.deliveries, f.shared, f.confirmed) == (
        "Hello",
        "https://example.com/post",
        2,
        2,
        1,
    )
    assert dict(f.share_clicks) == {Network.LINKEDIN: 1, Network.X: 1}
    assert dict(f.clicks) == {Network.LINKEDIN: 3}
    assert (f.bot_hits, f.reactions) == (1, 1)
    jobs = await ports.stats.content(s["jobs"].id, WINDOW)
    assert (jobs.deliveries, jobs.shared, dict(jobs.clicks), jobs.reactions) == (0, 0, {}, 0)
    assert await ports.stats.content(999_999, WINDOW) is None
    rows = await ports.stats.contents(WINDOW, limit=10)
    assert [r.content_id for r in rows] == [s["jobs"].id, s["ai"].id]
    assert [r.content_id for r in await ports.stats.contents(WINDOW, limit=1)] == [s["jobs"].id]


async def test_unique_visitors_count_distinct_visitor_keys(ports: Any) -> None:
    if not isinstance(ports, SqlStore):
        pytest.skip("SQL only: the in-memory ledger keeps no visitor keys")
    s = await seed(ports)
    item = s["ai"]
    da = s["da"]
    link = (await ports.deliveries.tracked_links(delivery=da, networks=[Network.LINKEDIN]))[
        Network.LINKEDIN
    ]

    def visit(n: int, key: str | None, *, bot: bool = False) -> LinkVisit:
        return LinkVisit(
            visit_id=f"v{n}",
            token=link.token,
            content_id=item.id,
            ambassador_id=s["a"].id,
            network=Network.LINKEDIN,
            is_bot=bot,
            visitor_key=key,
            visited_at=NOW,
        )

    visits = [visit(1, "k1"), visit(2, "k1"), visit(3, "k2"), visit(4, None, bot=True)]
    await SqlLinkVisits(ports.db).record_visits(visits)
    f = await ports.stats.programme(WINDOW)
    assert f.unique_visitors == 2  # k1 twice, k2; the bot has no key
    figures = await ports.stats.content(item.id, WINDOW)
    assert figures is not None and figures.unique_visitors == 2


# --- the weekly digest: activity per week, content of the week, chart images ---------------


PARIS = ZoneInfo("Europe/Paris")


def digest_weeks(count: int) -> list[StatsWindow]:
    week = week_of(NOW, PARIS)
    weeks = [week]
    while len(weeks) < count:
        weeks.append(previous_week(weeks[-1], PARIS))
    return [StatsWindow(w.start, w.end, w.label) for w in reversed(weeks)]


async def test_weekly_activity_counts_shares_and_clicks_per_week(ports: Any) -> None:
    s = await seed(ports)
    windows = digest_weeks(10)
    this_week = windows[-1]
    assert this_week.start is not None
    # Around the week's start (Monday 00:00 in Paris): one second before is the week before;
    # the start itself is this week.
    for key, at in (
        ("edge-before", this_week.start - timedelta(seconds=1)),
        ("edge-start", this_week.start),
    ):
        await ports.ledger.record(
            dedupe_key=key,
            ambassador_id=s["c"].id,
            content_id=s["jobs"].id if key == "edge-before" else s["ai"].id,
            delivery_id=None,
            kind=InteractionKind.SHARE_CLICK,
            network=Network.LINKEDIN,
            points=1,
            now=at,
        )
    found = list(await ports.stats.weekly_activity(windows))
    assert len(found) == 10
    # This week: a's two networks on one content make one share; b's confirmation one; c's
    # share at the week's first instant one (c's skip is no share). Three people's clicks.
    assert found[-1] == (3, 3)
    assert found[-2] == (1, 0)  # c, one second before Monday
    old = NOW - timedelta(days=60)
    (index,) = [i for i, w in enumerate(windows) if w.start is not None and w.start <= old < w.end]
    assert found[index] == (0, 1)
    assert sum(shares for shares, _ in found) == 4
    assert sum(clicks for _, clicks in found) == 4  # the bot's visit is left out
    assert await ports.stats.weekly_activity([]) == []


async def test_published_lists_the_live_content_of_the_window(ports: Any) -> None:
    s = await seed(ports)
    week = digest_weeks(1)[0]
    items, total = await ports.stats.published(week, limit=1)
    assert total == 2
    assert [i.id for i in items] == [s["jobs"].id]  # same time: the newest id first
    assert items[0].title == "Hello" and items[0].url.startswith("https://")
    items, total = await ports.stats.published(week, limit=10)
    assert {i.id for i in items} == {s["ai"].id, s["jobs"].id}
    await ports.contents.expire(content_id=s["ai"].id, now=NOW)
    _, total = await ports.stats.published(week, limit=10)
    assert total == 1  # expired content is not offered to share any more
    earlier = digest_weeks(2)[0]
    assert await ports.stats.published(earlier, limit=10) == ([], 0)


async def test_chart_images_are_kept_and_replaced(store_url: str | None) -> None:
    if store_url is None:
        pytest.skip("SQL only")
    db = Database(create_engine(store_url))
    try:
        charts = SqlCharts(db)
        assert await charts.load_chart("2026-W47.en") is None
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
        await charts.save_chart(key="2026-W47.en", png=png, now=NOW)
        assert await charts.load_chart("2026-W47.en") == png
        await charts.save_chart(key="2026-W47.en", png=b"redrawn", now=NOW)
        assert await charts.load_chart("2026-W47.en") == b"redrawn"
        assert await charts.load_chart("2026-W47.fr") is None
    finally:
        await db.engine.dispose()
