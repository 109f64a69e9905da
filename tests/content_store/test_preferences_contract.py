"""The preferences port: the in-memory fake, SQLite and PostgreSQL must agree."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from bot.model import (
    AmbassadorStatus,
    InteractionKind,
    MessageRef,
    Network,
    Preferences,
)
from tests.content_store.test_contract import HOLDER, NOW, claim_all, content, enrol

PREFS = Preferences(
    topics=frozenset({"events", "jobs"}),
    networks=(Network.LINKEDIN, Network.MASTODON),
    locale="en",
    delivery_mode="weekly",
    quiet_start=time(20, 0),
    quiet_end=time(7, 30),
    weekly_cap=4,
    mastodon_instance="mastodon.social",
)


async def test_save_preferences_replaces_everything(ports: Any) -> None:
    first = await enrol(ports, 1, {"ai"})
    assert (first.mastodon_instance, first.paused_at, first.paused_until) == (None, None, None)
    saved = await ports.preferences.save_preferences(ambassador_id=first.id, preferences=PREFS)
    assert saved == await ports.ambassadors.get(first.id)
    assert saved.topics == {"events", "jobs"}
    assert saved.networks == (Network.LINKEDIN, Network.MASTODON)
    assert (saved.locale, saved.delivery_mode, saved.weekly_cap) == ("en", "weekly", 4)
    assert (saved.quiet_start, saved.quiet_end) == (time(20, 0), time(7, 30))
    assert saved.mastodon_instance == "mastodon.social"
    cleared = await ports.preferences.save_preferences(
        ambassador_id=first.id,
        preferences=Preferences(
            frozenset({"ai"}), (Network.X,), "fr", "immediate", None, None, None, None
        ),
    )
    assert (cleared.quiet_start, cleared.weekly_cap, cleared.mastodon_instance) == (
        None,
        None,
        None,
    )
    assert cleared.locale == "fr"


async def test_pause_resume_and_the_fan_out(ports: Any) -> None:
    paused = await enrol(ports, 1, {"ai"})
    dated = await enrol(ports, 2, {"ai"})
    active = await enrol(ports, 3, {"ai"})
    got = await ports.preferences.pause(ambassador_id=paused.id, now=NOW, until=None)
    assert got.paused_at == NOW
    assert got.paused_until is None
    assert got.is_paused(NOW + timedelta(days=400))
    until = NOW + timedelta(days=2)
    dated_now = await ports.preferences.pause(ambassador_id=dated.id, now=NOW, until=until)
    assert dated_now.paused_until == until
    # Publishing skips whoever is paused at that moment; a dated pause ends by itself.
    first = await content(ports, ("ai",))
    result = await ports.contents.publish(content_id=first.id, now=NOW)
    assert result.deliveries_created == 1
    assert [d.ambassador_id for d in await claim_all(ports)] == [active.id]
    later = await content(ports, ("ai",))
    again = await ports.contents.publish(content_id=later.id, now=until)
    assert again.deliveries_created == 2  # the dated pause is over; the other one is not
    resumed = await ports.preferences.resume(ambassador_id=paused.id)
    assert (resumed.paused_at, resumed.paused_until) == (None, None)
    assert resumed.status is AmbassadorStatus.ACTIVE


async def test_pending_suggestions(ports: Any) -> None:
    person = await enrol(ports, 1, {"ai"})
    items = [await content(ports, ("ai",)) for _ in range(4)]
    for item in items:
        await ports.contents.publish(content_id=item.id, now=NOW)
    claimed = sorted(await claim_all(ports), key=lambda d: d.content_id)
    for index, delivery in enumerate(claimed[:3]):
        await ports.queue.mark_sent(
            delivery_id=delivery.id,
            holder=HOLDER,
            message=MessageRef("D1", f"1.{index}"),
            now=NOW + timedelta(minutes=index),
        )
    sent = claimed[:3]
    # Acted on: no longer waiting.
    await ports.ledger.record(
        dedupe_key="skip-1",
        ambassador_id=person.id,
        content_id=sent[0].content_id,
        delivery_id=sent[0].id,
        kind=InteractionKind.SKIP,
        network=None,
        points=0,
        now=NOW,
    )
    # A share click alone leaves it waiting (with its "I shared it" button).
    await ports.ledger.record(
        dedupe_key="click-3",
        ambassador_id=person.id,
        content_id=sent[2].content_id,
        delivery_id=sent[2].id,
        kind=InteractionKind.SHARE_CLICK,
        network=Network.LINKEDIN,
        points=5,
        now=NOW,
    )
    # Expired content: no longer waiting either.
    await ports.contents.expire(content_id=sent[1].content_id, now=NOW)
    waiting = await ports.preferences.pending_suggestions(ambassador_id=person.id, now=NOW, limit=5)
    assert [d.id for d in waiting] == [sent[2].id]  # the 4th was never sent
    assert (
        await ports.preferences.pending_suggestions(ambassador_id=person.id, now=NOW, limit=0) == []
    )
    other = await enrol(ports, 2, {"ai"})
    assert (
        await ports.preferences.pending_suggestions(ambassador_id=other.id, now=NOW, limit=5) == []
    )
