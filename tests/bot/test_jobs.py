"""Scheduled publishing, expiry and the one reminder, on the in-memory ports."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta
from typing import Any

import pytest

from bot.content import RawPost
from bot.errors import InvalidInput, RateLimited
from bot.model import ContentStatus, DeliveryStatus
from tests.bot.builders import CURATOR, NOW, World, person


async def test_a_scheduled_post_goes_out_at_its_time_only(world: World) -> None:
    await world.join(1)
    outcome = await world.push(publish_at=NOW + timedelta(hours=1))
    assert outcome.content.status is ContentStatus.SCHEDULED
    assert outcome.published is None
    work = world.work()
    assert await work.publish_scheduled() == 0
    world.clock.advance(timedelta(hours=1))
    assert await work.publish_scheduled() == 1
    assert world.woken == [True]  # the sender looks at the queue at once
    assert await work.publish_scheduled() == 0  # never twice
    assert (await world.services.sender.drain_all()).sent == 1


@pytest.mark.parametrize(
    ("changes", "notice"),
    [
        ({"publish_at": NOW - timedelta(hours=1)}, "publish_at_past"),
        ({"expires_at": NOW - timedelta(hours=1)}, "expires_before_publish"),
        (
            {"publish_at": NOW + timedelta(days=2), "expires_at": NOW + timedelta(days=1)},
            "expires_before_publish",
        ),
    ],
)
async def test_schedules_that_cannot_work_are_refused(
    world: World, changes: dict[str, Any], notice: str
) -> None:
    raw = replace(RawPost(url="https://example.com/a", topics=("engineering",)), **changes)
    with pytest.raises(InvalidInput) as refused:
        await world.services.publishing.validate(CURATOR, raw)
    assert refused.value.notice_key == notice


async def test_expiry_drops_unsent_suggestions_and_updates_sent_dms(world: World) -> None:
    await world.join(1)
    await world.join(2)
    await world.push(expires_at=NOW + timedelta(days=1))
    world.gateway.fail(person(2).user_id, *[])  # nothing special: both could be sent
    sender = world.services.sender
    # Person 1 got theirs; person 2's is still queued (deferred by a 429, say).

    world.gateway.fail(person(2).user_id, RateLimited(3600))
    await sender.drain_all()
    world.clock.advance(timedelta(days=1))
    assert await world.work().expire_content() == 1
    states = [d.status for d in world.deliveries()]
    assert states == [DeliveryStatus.SENT, DeliveryStatus.EXPIRED]
    (message, view) = world.gateway.updated[-1]
    assert view.expired and message == world.deliveries()[0].message
    assert await world.work().expire_content() == 0  # once
    assert (await sender.drain_all()).sent == 0  # the expired one never goes out


async def test_a_claimed_delivery_of_expired_content_is_not_sent(world: World) -> None:
    await world.join(1)
    await world.push(expires_at=NOW + timedelta(minutes=5))
    world.clock.advance(timedelta(minutes=10))  # expired before the sender got to it
    report = await world.services.sender.drain_all()
    assert (report.sent, report.expired) == (0, 1)


async def test_one_reminder_only_for_those_who_did_nothing(world: World) -> None:
    for n in (1, 2):
        await world.join(n)
    await world.push()
    await world.services.sender.drain_all()
    await world.services.interactions.skip(person(2), world.deliveries()[1].id)
    work = world.work(remind_after=timedelta(hours=24))
    assert await work.send_reminders() == 0  # too early
    world.clock.advance(timedelta(hours=25))
    assert await work.send_reminders() == 1
    (message, view) = world.gateway.reminders[0]
    assert message == world.deliveries()[0].message  # in the thread of person 1's DM
    assert view.title == "Our launch"
    world.clock.advance(timedelta(days=3))
    assert await work.send_reminders() == 0  # at most one reminder


async def test_reminders_wait_for_the_end_of_quiet_hours(world: World) -> None:
    ambassador = await world.join(1)
    store = world.ports.store

    store.ambassadors_by_id[ambassador.id] = replace(
        ambassador, timezone="UTC", quiet_start=time(0, 0), quiet_end=time(23, 59)
    )
    await world.push()
    world.clock.set(NOW.replace(hour=23, minute=59, second=30))  # outside quiet hours
    await world.services.sender.drain_all()
    world.clock.advance(timedelta(hours=25))  # next day, 00:59:30: quiet
    assert await world.work().send_reminders() == 0
    assert world.gateway.reminders == []
