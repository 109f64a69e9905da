"""Sending suggestion DMs and keeping them up to date.

This is the simple in-process sender of the foundation: it drains the pending deliveries that
publishing wrote (the outbox), one at a time, honouring ``Retry-After`` and recording every
failure without stopping the rest. The durable, leased, rate-limited engine for several
replicas replaces ``send_pending`` behind the same ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.content import suggested_text
from bot.errors import DeliveryFailed, RateLimited
from bot.model import Ambassador, Content, Delivery, FanOutReport, InteractionKind, Platform
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    ChatGateway,
    Clock,
    ContentRepository,
    DeliveryRepository,
)
from bot.programme import Programme
from bot.share import share_intent_url
from bot.tracking import tracked_url
from bot.views import ShareButton, SuggestionView

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class SenderPolicy:
    """How hard the simple sender tries."""

    transient_retries: int = 3
    backoff_seconds: float = 1.0
    max_retry_after: float = 120.0
    rate_limit_waits: int = 20  # per message; then it stays pending for a later pass
    batch: int = 100


class _StillRateLimited(Exception):
    """The platform kept answering 429: stop this pass, keep the rest pending."""


class DeliveryService:
    """Builds suggestion views and sends or updates them through the chat gateways."""

    def __init__(
        self,
        *,
        deliveries: DeliveryRepository,
        ambassadors: AmbassadorRepository,
        contents: ContentRepository,
        ledger: ActivityLedger,
        gateways: Mapping[Platform, ChatGateway],
        programme: Programme,
        public_url: str,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        policy: SenderPolicy | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._ambassadors = ambassadors
        self._contents = contents
        self._ledger = ledger
        self._gateways = gateways
        self._programme = programme
        self._public_url = public_url
        self._clock = clock
        self._sleep = sleep
        self._policy = policy or SenderPolicy()

    async def send_pending(self) -> FanOutReport:
        """Send every pending suggestion; a failure for one person never stops the others."""
        sent = failed = 0
        errors: dict[str, int] = {}
        while batch := await self._deliveries.pending(limit=self._policy.batch):
            for delivery in batch:
                try:
                    error = await self._send_one(delivery)
                except _StillRateLimited:
                    logger.warning(
                        "still rate limited after %d waits: pausing the fan-out",
                        self._policy.rate_limit_waits,
                    )
                    return FanOutReport(sent=sent, failed=failed, errors=errors)
                if error is None:
                    sent += 1
                else:
                    failed += 1
                    errors[error] = errors.get(error, 0) + 1
        if sent or failed:
            logger.info("fan-out pass done: sent=%d failed=%d errors=%s", sent, failed, errors)
        return FanOutReport(sent=sent, failed=failed, errors=errors)

    async def _send_one(self, delivery: Delivery) -> str | None:
        """Send one suggestion; return the error code it failed with, if any."""
        ambassador = await self._ambassadors.get(delivery.ambassador_id)
        content = await self._contents.get(delivery.content_id)
        error: str | None = None
        if ambassador is None or not ambassador.is_active:
            error = "ambassador_left"
        elif content is None:
            error = "content_missing"
        elif (gateway := self._gateways.get(ambassador.user.platform)) is None:
            error = "platform_not_configured"
        else:
            error = await self._deliver(gateway, delivery, ambassador, content)
            if error is None:
                return None
        await self._deliveries.mark_failed(
            delivery_id=delivery.id, error=error, now=self._clock.now()
        )
        return error

    async def _deliver(
        self, gateway: ChatGateway, delivery: Delivery, ambassador: Ambassador, content: Content
    ) -> str | None:
        view = await self.view_for(delivery, ambassador=ambassador, content=content)
        transient_failures = rate_limit_waits = 0
        while True:
            try:
                message = await gateway.send_suggestion(ambassador.user, view)
            except RateLimited as limited:
                rate_limit_waits += 1
                if rate_limit_waits > self._policy.rate_limit_waits:
                    raise _StillRateLimited from limited
                wait = min(limited.retry_after, self._policy.max_retry_after)
                logger.warning("rate limited while fanning out; waiting %.1fs", wait)
                await self._sleep(wait)
                continue
            except DeliveryFailed as failure:
                if failure.permanent or transient_failures >= self._policy.transient_retries:
                    logger.warning(
                        "suggestion %d to ambassador %d failed: %s",
                        delivery.id,
                        ambassador.id,
                        failure.code,
                    )
                    return failure.code
                transient_failures += 1
                await self._sleep(self._policy.backoff_seconds * 2 ** (transient_failures - 1))
                continue
            await self._deliveries.mark_sent(
                delivery_id=delivery.id, message=message, now=self._clock.now()
            )
            return None

    async def view_for(
        self,
        delivery: Delivery,
        *,
        ambassador: Ambassador,
        content: Content,
        last_award: int = 0,
    ) -> SuggestionView:
        """The suggestion as it should look now, from what was recorded about it."""
        links = await self._deliveries.tracked_links(
            delivery=delivery, networks=ambassador.networks
        )
        interactions = await self._ledger.for_delivery(delivery.id)
        clicked = {i.network for i in interactions if i.kind is InteractionKind.SHARE_CLICK}
        kinds = {i.kind for i in interactions}
        first_name = ambassador.display_name.split(" ")[0] if ambassador.display_name else ""
        text = suggested_text(
            content.texts,
            variant=delivery.variant,
            title=content.title,
            first_name=first_name,
            hashtags=content.hashtags,
            programme_hashtag=self._programme.hashtag,
        )
        buttons = tuple(
            ShareButton(
                network=network,
                intent_url=share_intent_url(
                    network, tracked_url(self._public_url, links[network].token), text
                ),
                clicked=network in clicked,
            )
            for network in ambassador.networks
        )
        return SuggestionView(
            delivery_id=delivery.id,
            locale=ambassador.locale,
            first_name=first_name,
            title=content.title,
            summary=content.summary,
            image_url=content.image_url,
            content_url=content.url,
            text=text,
            buttons=buttons,
            confirmed=InteractionKind.CONFIRMED_SHARE in kinds,
            skipped=InteractionKind.SKIP in kinds,
            points_earned=sum(i.points for i in interactions),
            last_award=last_award,
        )
