"""What ambassadors do with suggestions: share clicks, confirmations, skips, reactions and
visits to tracked links. Every one of them counts once, however often it is delivered."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.delivery import DeliveryService
from bot.errors import NotYourSuggestion
from bot.model import (
    Ambassador,
    Delivery,
    DeliveryId,
    InteractionKind,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
    RecordOutcome,
)
from bot.ports import (
    ActivityLedger,
    AmbassadorRepository,
    BotMessageLog,
    ChatGateway,
    Clock,
    ContentRepository,
    DeliveryRepository,
)
from bot.programme import Programme
from bot.tracking import destination, is_probably_bot, is_well_formed_token
from bot.views import DigestView

logger = logging.getLogger(__name__)


class InteractionService:
    """Records interactions and keeps the suggestion DMs in step with them."""

    def __init__(
        self,
        *,
        deliveries: DeliveryRepository,
        ambassadors: AmbassadorRepository,
        contents: ContentRepository,
        ledger: ActivityLedger,
        bot_messages: BotMessageLog,
        delivery_service: DeliveryService,
        gateways: Mapping[Platform, ChatGateway],
        programme: Programme,
        clock: Clock,
    ) -> None:
        self._deliveries = deliveries
        self._ambassadors = ambassadors
        self._contents = contents
        self._ledger = ledger
        self._bot_messages = bot_messages
        self._delivery_service = delivery_service
        self._gateways = gateways
        self._programme = programme
        self._clock = clock

    async def share_click(
        self, user: PlatformUser, delivery_id: int, network: Network
    ) -> RecordOutcome:
        """A share button was used: record it once per network and update the DM."""
        return await self._act(
            user,
            delivery_id,
            InteractionKind.SHARE_CLICK,
            network,
            self._programme.points.for_share_click(network),
        )

    async def confirm_share(self, user: PlatformUser, delivery_id: int) -> RecordOutcome:
        """The ambassador says they shared it."""
        return await self._act(
            user,
            delivery_id,
            InteractionKind.CONFIRMED_SHARE,
            None,
            self._programme.points.confirmed_share,
        )

    async def skip(self, user: PlatformUser, delivery_id: int) -> RecordOutcome:
        """The ambassador passes on this one (no points, no reminder)."""
        return await self._act(user, delivery_id, InteractionKind.SKIP, None, 0)

    async def _act(
        self,
        user: PlatformUser,
        delivery_id: int,
        kind: InteractionKind,
        network: Network | None,
        points: int,
    ) -> RecordOutcome:
        delivery, ambassador = await self._owned(user, DeliveryId(delivery_id))
        outcome = await self._ledger.record(
            dedupe_key=f"{kind.value}:{delivery.id}:{network.value if network else ''}",
            ambassador_id=ambassador.id,
            content_id=delivery.content_id,
            delivery_id=delivery.id,
            kind=kind,
            network=network,
            points=points,
            now=self._clock.now(),
        )
        if outcome.recorded:
            await self._refresh(delivery, ambassador, outcome.points_awarded)
        return outcome

    async def _owned(
        self, user: PlatformUser, delivery_id: DeliveryId
    ) -> tuple[Delivery, Ambassador]:
        delivery = await self._deliveries.get(delivery_id)
        ambassador = await self._ambassadors.get_by_user(user)
        if delivery is None or ambassador is None or delivery.ambassador_id != ambassador.id:
            raise NotYourSuggestion(str(delivery_id))
        return delivery, ambassador

    async def _refresh(self, delivery: Delivery, ambassador: Ambassador, award: int) -> None:
        content = await self._contents.get(delivery.content_id)
        gateway = self._gateways.get(ambassador.user.platform)
        if delivery.message is None or content is None or gateway is None:
            return
        shown = await self._deliveries.all_in_message(delivery.message)
        if len(shown) <= 1:
            view = await self._delivery_service.view_for(
                delivery, ambassador=ambassador, content=content, last_award=award
            )
            await gateway.update_suggestion(delivery.message, view)
            return
        # A digest: redraw every item, the one just used with its "+N".
        items = []
        for item in shown:
            item_content = (
                content if item.id == delivery.id else await self._contents.get(item.content_id)
            )
            if item_content is not None:
                items.append(
                    await self._delivery_service.view_for(
                        item,
                        ambassador=ambassador,
                        content=item_content,
                        last_award=award if item.id == delivery.id else 0,
                    )
                )
        await gateway.update_digest(
            delivery.message,
            DigestView(
                locale=ambassador.locale,
                first_name=items[0].first_name,
                items=tuple(items),
            ),
        )

    async def reaction(self, event: ReactionEvent) -> RecordOutcome:
        """An emoji reaction on one of the bot's messages (others are ignored)."""
        delivery = await self._deliveries.find_by_message(event.message)
        if delivery is None and not await self._bot_messages.is_bot_message(event.message):
            return RecordOutcome(recorded=False, points_awarded=0)
        ambassador = await self._ambassadors.get_by_user(event.user)
        return await self._ledger.record_reaction(
            event=event,
            ambassador_id=ambassador.id if ambassador else None,
            content_id=delivery.content_id if delivery else None,
            points=self._programme.points.reaction if ambassador else 0,
        )

    async def visit(self, token: str, *, user_agent: str | None) -> str | None:
        """A visit to a tracked link: where to redirect, or None for an unknown token.

        Only URLs of stored content are ever returned: the token selects a row, it never
        carries a destination.
        """
        if not is_well_formed_token(token):
            return None
        found = await self._contents.content_url_for_token(token)
        if found is None:
            return None
        link, content = found
        ambassador = await self._ambassadors.get(link.ambassador_id)
        await self._ledger.record_link_visit(
            link=link, is_bot=is_probably_bot(user_agent), now=self._clock.now()
        )
        return destination(
            content, network=link.network, ambassador_ref=ambassador.ref if ambassador else "x"
        )
