"""The recap port: the in-memory fake, SQLite and PostgreSQL agree on who gets a weekly recap
and on the claim that sends each one once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from bot.model import ContentId, DeliveryId, Network, Preferences, TrackedLink
from tests.bot.fakes import record_visit
from tests.content_store.test_contract import NOW, content, enrol

WEEK = date(2026, 11, 16)
NEXT_WEEK = WEEK + timedelta(days=7)


async def opted_in(ports: Any, n: int) -> Any:
    person = await enrol(ports, n, {"ai"})
    return await ports.preferences.set_weekly_recap(ambassador_id=person.id, on=True)


async def test_the_opt_in_is_stored_and_off_by_default(ports: Any) -> None:
    person = await enrol(ports, 1, {"ai"})
    assert person.weekly_recap is False
    on = await ports.preferences.set_weekly_recap(ambassador_id=person.id, on=True)
    assert on.weekly_recap is True
    assert (await ports.ambassadors.get(person.id)).weekly_recap is True
    # The settings form: None leaves it, a bool sets it.
    form = Preferences(frozenset({"ai"}), (Network.X,), "fr", "immediate", None, None, None, None)
    assert (
        await ports.preferences.save_preferences(ambassador_id=person.id, preferences=form)
    ).weekly_recap is True
    off = Preferences(
        frozenset({"ai"}),
        (Network.X,),
        "fr",
        "immediate",
        None,
        None,
        None,
        None,
        None,
        None,
        False,
    )
    saved = await ports.preferences.save_preferences(ambassador_id=person.id, preferences=off)
    assert saved.weekly_recap is False


async def test_candidates_are_the_active_reachable_people_who_opted_in(ports: Any) -> None:
    one, two, three = [await opted_in(ports, n) for n in (1, 2, 3)]
    await enrol(ports, 4, {"ai"})  # never opted in
    gone = await opted_in(ports, 5)
    await ports.ambassadors.leave(ambassador_id=gone.id, now=NOW)
    blocked = await opted_in(ports, 6)
    await ports.ambassadors.mark_unreachable(ambassador_id=blocked.id, reason="x", now=NOW)
    recaps = ports.recaps

    def ids(found: Any) -> list[int]:
        return [a.id for a in found]

    assert ids(await recaps.candidates(week_start=WEEK, after=None, limit=10)) == [
        one.id,
        two.id,
        three.id,
    ]
    assert ids(await recaps.candidates(week_start=WEEK, after=one.id, limit=1)) == [two.id]
    assert (await recaps.candidates(week_start=WEEK, after=None, limit=1))[0].user == one.user
    await recaps.claim(ambassador_id=two.id, week_start=WEEK, holder="a", now=NOW)
    await recaps.skip(ambassador_id=three.id, week_start=WEEK, reason="paused", now=NOW)
    assert ids(await recaps.candidates(week_start=WEEK, after=None, limit=10)) == [one.id]
    # Another week: everyone again.
    assert len(await recaps.candidates(week_start=NEXT_WEEK, after=None, limit=10)) == 3


async def test_a_recap_is_claimed_once(ports: Any) -> None:
    person = await opted_in(ports, 1)
    recaps = ports.recaps
    claims = await asyncio.gather(
        *(
            recaps.claim(ambassador_id=person.id, week_start=WEEK, holder=f"r{i}", now=NOW)
            for i in range(8)
        )
    )
    assert sorted(claims) == [False] * 7 + [True]
    assert not await recaps.skip(ambassador_id=person.id, week_start=WEEK, reason="p", now=NOW)
    assert await recaps.claim(ambassador_id=person.id, week_start=NEXT_WEEK, holder="a", now=NOW)


async def test_release_gives_back_only_an_unsent_claim(ports: Any) -> None:
    person = await opted_in(ports, 1)
    recaps = ports.recaps
    assert await recaps.claim(ambassador_id=person.id, week_start=WEEK, holder="a", now=NOW)
    await recaps.release(ambassador_id=person.id, week_start=WEEK)
    assert len(await recaps.candidates(week_start=WEEK, after=None, limit=10)) == 1
    assert await recaps.claim(ambassador_id=person.id, week_start=WEEK, holder="b", now=NOW)
    await recaps.finish(ambassador_id=person.id, week_start=WEEK, status="sent", now=NOW)
    await recaps.release(ambassador_id=person.id, week_start=WEEK)  # too late: it was sent
    assert await recaps.candidates(week_start=WEEK, after=None, limit=10) == []
    assert not await recaps.claim(ambassador_id=person.id, week_start=WEEK, holder="c", now=NOW)


async def test_clicks_count_real_visits_of_the_week(ports: Any) -> None:
    person = await opted_in(ports, 1)
    other = await opted_in(ports, 2)
    item = await content(ports, ("ai",))
    start = NOW - timedelta(days=2)
    end = start + timedelta(days=7)

    def link(who: Any) -> TrackedLink:
        return TrackedLink(f"tok{who.id}", DeliveryId(1), ContentId(item.id), who.id, Network.X)

    for at, is_bot, who in (
        (NOW, False, person),
        (NOW + timedelta(hours=1), False, person),
        (NOW, True, person),  # a bot
        (start - timedelta(seconds=1), False, person),  # the week before
        (end, False, person),  # the week after
        (NOW, False, other),
    ):
        await record_visit(ports, link=link(who), is_bot=is_bot, now=at)
    assert await ports.recaps.clicks(ambassador_id=person.id, start=start, end=end) == 2
    assert await ports.recaps.clicks(ambassador_id=other.id, start=start, end=end) == 1
