"""Scheduled work of the programme: publishing at the chosen time, expiring content, and
the one gentle reminder. Each function is safe to run twice: the scheduler claims each
(job, slot) once across replicas, and every transition below is idempotent as well."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta

from bot.delivery import DeliveryService
from bot.errors import GatewayError
from bot.model import Delivery, Platform
from bot.policy import reminder_due
from bot.ports import (
    AmbassadorRepository,
    ChatGateway,
    Clock,
    ContentRepository,
    DeliveryRepository,
)
from bot.sender import preferences_of
from bot.views import ReminderView

logger = logging.getLogger(__name__)


class ScheduledWork:
    """The bodies of the periodic jobs."""

    def __init__(
        self,
        *,
        contents: ContentRepository,
        deliveries: DeliveryRepository,
        ambassadors: AmbassadorRepository,
        delivery: DeliveryService,
        gateways: Mapping[Platform, ChatGateway],
        clock: Clock,
        wake_sender: Callable[[], None],
        remind_after: timedelta = timedelta(hours=24),
        batch: int = 500,
    ) -> None:
        self._contents = contents
        self._deliveries = deliveries
        self._ambassadors = ambassadors
        self._delivery = delivery
        self._gateways = gateways
        self._clock = clock
        self._wake_sender = wake_sender
        self._remind_after = remind_after
        self._batch = batch

    async def publish_scheduled(self) -> int:
        """Publish content whose scheduled time has come; return how many."""
        published = 0
        for content_id in await self._contents.due_for_publish(now=self._clock.now()):
            result = await self._contents.publish(content_id=content_id, now=self._clock.now())
            if not result.already_published:
                published += 1
                logger.info(
                    "published scheduled content %d to %d ambassadors",
                    content_id,
                    result.deliveries_created,
                )
        if published:
            self._wake_sender()
        return published

    async def expire_content(self) -> int:
        """Expire content past its date: unsent suggestions are dropped and sent DMs say
        the content expired (their share buttons go). Returns the DMs updated."""
        updated = 0
        for content_id in await self._contents.due_for_expiry(now=self._clock.now()):
            sent = await self._contents.expire(content_id=content_id, now=self._clock.now())
            for delivery in sent:
                updated += await self._show_expired(delivery)
            logger.info("content %d expired; %d DMs to update", content_id, len(sent))
        return updated

    async def _show_expired(self, delivery: Delivery) -> int:
        ambassador = await self._ambassadors.get(delivery.ambassador_id)
        content = await self._contents.get(delivery.content_id)
        if ambassador is None or content is None or delivery.message is None:
            return 0
        gateway = self._gateways.get(ambassador.user.platform)
        if gateway is None:
            return 0
        view = await self._delivery.view_for(delivery, ambassador=ambassador, content=content)
        try:
            await gateway.update_suggestion(delivery.message, replace(view, expired=True))
        except GatewayError:
            # The DM may be gone (deleted, person deactivated): the content is expired anyway.
            logger.warning("could not mark delivery %d's DM as expired", delivery.id)
            return 0
        return 1

    async def send_reminders(self) -> int:
        """The one reminder, in the thread of the DM, for people who neither shared nor
        skipped, once ``remind_after`` has passed and outside their quiet hours."""
        now = self._clock.now()
        sent = 0
        candidates = await self._deliveries.reminder_candidates(
            sent_before=now - self._remind_after, limit=self._batch
        )
        for delivery in candidates:
            sent += await self._remind(delivery)
        return sent

    async def _remind(self, delivery: Delivery) -> int:
        now = self._clock.now()
        ambassador = await self._ambassadors.get(delivery.ambassador_id)
        content = await self._contents.get(delivery.content_id)
        if (
            ambassador is None
            or content is None
            or delivery.message is None
            or delivery.sent_at is None
            or not ambassador.is_active
        ):
            return 0
        prefs = preferences_of(ambassador)
        due = reminder_due(
            now=now,
            sent_at=delivery.sent_at,
            interacted=False,
            reminded=False,
            expires_at=content.expires_at,
            after=self._remind_after,
            prefs=prefs,
            opted_out=ambassador.is_paused(now),  # paused: no reminder either
        )
        gateway = self._gateways.get(ambassador.user.platform)
        if due is None or due > now or gateway is None:
            return 0  # quiet hours now, or expiring too soon: a later run will look again
        if not await self._deliveries.mark_reminded(delivery_id=delivery.id, now=now):
            return 0  # another replica reminded them
        view = ReminderView(
            locale=ambassador.locale,
            first_name=ambassador.display_name.split(" ")[0],
            title=content.title_in(ambassador.locale),
            expires_on=content.expires_at.astimezone(prefs.timezone).date()
            if content.expires_at
            else None,
        )
        try:
            await gateway.send_reminder(delivery.message, view)
        except GatewayError:
            logger.warning("reminder for delivery %d could not be sent", delivery.id)
            return 0
        return 1
