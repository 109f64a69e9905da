"""What ambassadors do with suggestions: share clicks, confirmations, skips, reactions and
visits to tracked links. Every one of them counts once, however often it is delivered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.batching import Batcher, Coalescer
from bot.delivery import DeliveryService
from bot.errors import NotYourSuggestion
from bot.model import (
    Ambassador,
    AmbassadorId,
    Content,
    ContentStatus,
    Delivery,
    DeliveryId,
    InteractionEntry,
    InteractionKind,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    ReactionEvent,
    RecordOutcome,
    TrackedLink,
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
from bot.tracking import is_probably_bot, is_well_formed_token
from bot.views import DigestView

logger = logging.getLogger(__name__)


REDRAW_RETRY_WAITS = (0.1, 0.3, 1.0)  # seconds: waiting for a just-sent row's "sent" commit
SHARES = (InteractionKind.SHARE_CLICK, InteractionKind.CONFIRMED_SHARE)  # count for badges


@dataclass(frozen=True)
class SuggestionAction:
    """A button on a suggestion: share on a network, "I shared it" or "Skip"."""

    user: PlatformUser
    delivery_id: DeliveryId
    kind: InteractionKind
    network: Network | None = None


@dataclass(frozen=True)
class _Recorded:
    outcome: RecordOutcome
    delivery: Delivery
    ambassador: Ambassador | None


@dataclass(frozen=True)
class _Redraw:
    """A DM to redraw; clicks waiting on the same suggestion merge into one redraw."""

    delivery: Delivery
    ambassador: Ambassador | None
    award: int

    @staticmethod
    def merge(waiting: _Redraw, new: _Redraw) -> _Redraw:
        # The newest click's item shows its "+N"; on the same item the awards add up.
        same = waiting.delivery.id == new.delivery.id
        return _Redraw(new.delivery, new.ambassador, new.award + (waiting.award if same else 0))


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
        max_batch: int = 200,
        redraw_workers: int = 4,
        busy: Callable[[], bool] = lambda: False,
        on_share: Callable[[AmbassadorId], None] | None = None,
    ) -> None:
        self._on_share = on_share  # badges and streaks look at each new share (issue 6)
        self._deliveries = deliveries
        self._ambassadors = ambassadors
        self._contents = contents
        self._ledger = ledger
        self._bot_messages = bot_messages
        self._delivery_service = delivery_service
        self._gateways = gateways
        self._programme = programme
        self._clock = clock
        self._batch: Batcher[SuggestionAction, _Recorded] = Batcher(
            self._record, name="click-batch", max_batch=max_batch
        )
        self._redraw: Coalescer[MessageRef | DeliveryId, _Redraw] = Coalescer(
            self._redraw_message,
            _Redraw.merge,
            workers=redraw_workers,
            name="dm-redraw",
            # Redrawing a DM can wait a moment while the process is saturated; acks cannot.
            hold=busy,
        )

    def start(self) -> None:
        """Batch clicks and redraw DMs in the background (the server does this; tests that
        do not start it get the same results, one click at a time and redrawn inline)."""
        self._batch.start()
        self._redraw.start()

    async def stop(self) -> None:
        """Record the clicks queued, finish the redraws waiting, then stop."""
        await self._batch.stop()
        await self._redraw.stop()

    async def share_click(
        self, user: PlatformUser, delivery_id: int, network: Network
    ) -> RecordOutcome:
        """A share button was used: record it once per network and update the DM."""
        return await self._act(
            SuggestionAction(user, DeliveryId(delivery_id), InteractionKind.SHARE_CLICK, network)
        )

    async def confirm_share(self, user: PlatformUser, delivery_id: int) -> RecordOutcome:
        """The ambassador says they shared it."""
        return await self._act(
            SuggestionAction(user, DeliveryId(delivery_id), InteractionKind.CONFIRMED_SHARE)
        )

    async def skip(self, user: PlatformUser, delivery_id: int) -> RecordOutcome:
        """The ambassador passes on this one (no points, no reminder)."""
        return await self._act(
            SuggestionAction(user, DeliveryId(delivery_id), InteractionKind.SKIP)
        )

    async def redraw(self, delivery_id: DeliveryId) -> None:
        """Redraw a suggestion DM (or the digest showing it) as it should look now, e.g. after
        the person edited its text; through the same coalesced path as clicks."""
        delivery = await self._deliveries.get(delivery_id)
        if delivery is None:
            return
        ambassador = await self._ambassadors.get(delivery.ambassador_id)
        await self._redraw.submit(delivery.message or delivery.id, _Redraw(delivery, ambassador, 0))

    async def _act(self, action: SuggestionAction) -> RecordOutcome:
        # Recorded (committed) before this returns, so the caller acks only what is stored;
        # concurrent clicks share one read and one transaction.
        done = await self._batch.submit(action)
        if done.outcome.recorded and self._on_share is not None and action.kind in SHARES:
            self._on_share(done.delivery.ambassador_id)
        if done.outcome.recorded:
            # Keyed by message, so clicks on items of one digest merge into one redraw; by
            # delivery while the row does not say yet where it was sent.
            await self._redraw.submit(
                done.delivery.message or done.delivery.id,
                _Redraw(done.delivery, done.ambassador, done.outcome.points_awarded),
            )
        return done.outcome

    def _points(self, action: SuggestionAction) -> int:
        points = self._programme.points
        if action.kind is InteractionKind.SHARE_CLICK and action.network is not None:
            return points.for_share_click(action.network)
        if action.kind is InteractionKind.CONFIRMED_SHARE:
            return points.confirmed_share
        return 0

    async def _record(self, actions: Sequence[SuggestionAction]) -> list[_Recorded | BaseException]:
        """One batch: two reads (the deliveries, who clicked) and one transaction."""
        deliveries = await self._deliveries.get_many({a.delivery_id for a in actions})
        owners = await self._ambassadors.ids_of({a.user for a in actions})
        mine: list[tuple[SuggestionAction, Delivery]] = []
        for action in actions:
            delivery = deliveries.get(action.delivery_id)
            if delivery is not None and owners.get(action.user) == delivery.ambassador_id:
                mine.append((action, delivery))
        outcomes = await self._ledger.record_many(
            [
                InteractionEntry(
                    dedupe_key=(f"{a.kind.value}:{d.id}:{a.network.value if a.network else ''}"),
                    ambassador_id=d.ambassador_id,
                    content_id=d.content_id,
                    delivery_id=d.id,
                    kind=a.kind,
                    network=a.network,
                    points=self._points(a),
                )
                for a, d in mine
            ],
            now=self._clock.now(),
        )
        people = await self._ambassadors.get_many(
            {d.ambassador_id for (_, d), o in zip(mine, outcomes, strict=True) if o.recorded}
        )
        recorded = {id(a): (d, o) for (a, d), o in zip(mine, outcomes, strict=True)}
        results: list[_Recorded | BaseException] = []
        for action in actions:
            found = recorded.get(id(action))
            if found is None:
                results.append(NotYourSuggestion(str(action.delivery_id)))
                continue
            delivery, outcome = found
            results.append(_Recorded(outcome, delivery, people.get(delivery.ambassador_id)))
        return results

    async def _redraw_message(self, _key: MessageRef | DeliveryId, redraw: _Redraw) -> None:
        if redraw.ambassador is None:
            return
        # Read the delivery again: a click can beat the sender's "sent" commit by a few
        # milliseconds (the person saw the message before the row says where it went).
        delivery = redraw.delivery
        for wait in (0.0, *REDRAW_RETRY_WAITS):
            if delivery.message is not None:
                break
            await asyncio.sleep(wait)
            delivery = await self._deliveries.get(delivery.id) or delivery
        if delivery.message is None:
            logger.info("delivery %d was clicked but is not marked sent: not redrawn", delivery.id)
            return
        await self._refresh(delivery, redraw.ambassador, redraw.award)

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

    async def share_via_link(self, token: str, *, user_agent: str | None) -> str | None:
        """A share button that is a plain link (Teams): count the click once, like a Slack
        button, and return the network's share page; None for an unknown or expired token.

        The redirect target is built here from stored rows, never taken from the request.
        Link-preview crawlers get the page but count nothing.
        """
        found = await self._link(token)
        if found is None:
            return None
        link, content = found
        if content.status is ContentStatus.EXPIRED:
            return None
        delivery = await self._deliveries.get(link.delivery_id)
        ambassador = await self._ambassadors.get(link.ambassador_id)
        if delivery is None or ambassador is None:
            return None
        if not is_probably_bot(user_agent):
            await self._act(
                SuggestionAction(
                    ambassador.user, delivery.id, InteractionKind.SHARE_CLICK, link.network
                )
            )
        return self._delivery_service.intent_for(
            link, ambassador=ambassador, content=content, delivery=delivery
        )

    async def _link(self, token: str) -> tuple[TrackedLink, Content] | None:
        """The tracked link a token names and its content; a malformed token reads nothing."""
        if not is_well_formed_token(token):
            return None
        return await self._contents.content_url_for_token(token)
