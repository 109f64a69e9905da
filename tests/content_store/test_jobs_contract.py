"""Scheduled publishing, expiry and reminders in the store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.model import (
    Audience,
    ContentDraft,
    ContentStatus,
    DeliveryStatus,
    InteractionKind,
    MessageRef,
    PageMetadata,
)
from tests.content_store.test_contract import CURATOR, HOLDER, NOW, claim_all, enrol

LATER = NOW + timedelta(hours=2)


def draft(**changes: Any) -> ContentDraft:
    base = ContentDraft(
        url="https://example.com/p",
        title="T",
        summary=None,
        image_url=None,
        topics=("ai",),
        texts=(),
        hashtags=(),
        audience=Audience.INTERESTED,
        publish_now=False,
    )
    return replace(base, **changes)


async def create(ports: Any, **changes: Any) -> Any:
    return await ports.contents.create(
        draft=draft(**changes), page=PageMetadata(), created_by=CURATOR, now=NOW
    )


async def test_scheduled_content_is_due_at_its_time(ports: Any) -> None:
    scheduled = await create(ports, publish_at=LATER, important=True)
    assert scheduled.status is ContentStatus.SCHEDULED
    assert scheduled.publish_at == LATER and scheduled.important
    plain = await create(ports)
    assert plain.status is ContentStatus.DRAFT
    assert await ports.contents.due_for_publish(now=NOW) == []
    assert list(await ports.contents.due_for_publish(now=LATER)) == [scheduled.id]
    await ports.contents.publish(content_id=scheduled.id, now=LATER)
    assert await ports.contents.due_for_publish(now=LATER) == []


async def test_expiry_drops_unsent_and_returns_sent(ports: Any) -> None:
    for n in (1, 2):
        await enrol(ports, n, {"ai"})
    item = await create(ports, expires_at=LATER)
    await ports.contents.publish(content_id=item.id, now=NOW)
    first, second = await claim_all(ports)
    ref = MessageRef("D1", "1.1")
    await ports.queue.mark_sent(delivery_id=first.id, holder=HOLDER, message=ref, now=NOW)
    await ports.queue.release_claims(holder=HOLDER, delivery_ids=[second.id])
    assert await ports.contents.due_for_expiry(now=NOW) == []
    assert list(await ports.contents.due_for_expiry(now=LATER)) == [item.id]
    sent = await ports.contents.expire(content_id=item.id, now=LATER)
    assert [d.id for d in sent] == [first.id]
    assert sent[0].message == ref
    assert (await ports.deliveries.get(second.id)).status is DeliveryStatus.EXPIRED
    assert (await ports.contents.get(item.id)).status is ContentStatus.EXPIRED
    assert await ports.contents.due_for_expiry(now=LATER) == []
    again = await ports.contents.publish(content_id=item.id, now=LATER)
    assert again.already_published  # an expired content is never sent again


async def test_one_reminder_for_those_who_did_nothing(ports: Any) -> None:
    people = [await enrol(ports, n, {"ai"}) for n in (1, 2)]
    item = await create(ports)
    await ports.contents.publish(content_id=item.id, now=NOW)
    deliveries = await claim_all(ports)
    for n, delivery in enumerate(deliveries):
        await ports.queue.mark_sent(
            delivery_id=delivery.id, holder=HOLDER, message=MessageRef("D", str(n)), now=NOW
        )
    acted = deliveries[1]
    await ports.ledger.record(
        dedupe_key="skip",
        ambassador_id=people[1].id,
        content_id=item.id,
        delivery_id=acted.id,
        kind=InteractionKind.SKIP,
        network=None,
        points=0,
        now=NOW,
    )
    assert (
        await ports.deliveries.reminder_candidates(sent_before=NOW - timedelta(1), limit=10) == []
    )
    (candidate,) = await ports.deliveries.reminder_candidates(sent_before=LATER, limit=10)
    assert candidate.id == deliveries[0].id
    assert await ports.deliveries.mark_reminded(delivery_id=candidate.id, now=LATER)
    assert not await ports.deliveries.mark_reminded(delivery_id=candidate.id, now=LATER)
    assert await ports.deliveries.reminder_candidates(sent_before=LATER, limit=10) == []
