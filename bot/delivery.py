"""The suggestion DM as it should look now: text variant, buttons, tracked links, state.

Sending is ``bot.sender``'s job; this module only decides what a suggestion shows, for the
first send and for every update in place after a click.
"""

from __future__ import annotations

from bot.model import Ambassador, Content, Delivery, InteractionKind, Network, TrackedLink
from bot.ports import (
    ActivityLedger,
    DeliveryRepository,
)
from bot.programme import Programme
from bot.share import share_intent_url
from bot.texts import PersonalText, personal_text
from bot.tracking import share_click_url, tracked_url
from bot.views import ShareButton, SuggestionView


class DeliveryService:
    """Builds the suggestion view of a delivery from what was recorded about it."""

    def __init__(
        self,
        *,
        deliveries: DeliveryRepository,
        ledger: ActivityLedger,
        programme: Programme,
        public_url: str,
    ) -> None:
        self._deliveries = deliveries
        self._ledger = ledger
        self._programme = programme
        self._public_url = public_url

    async def view_for(
        self,
        delivery: Delivery,
        *,
        ambassador: Ambassador,
        content: Content,
        last_award: int = 0,
    ) -> SuggestionView:
        """The suggestion as it should look now, from what was recorded about it."""
        networks = _networks_of(ambassador)
        links = await self._deliveries.tracked_links(delivery=delivery, networks=networks)
        # Nobody can act on a suggestion that never reached them: skip the read on first sends.
        interactions = (
            await self._ledger.for_delivery(delivery.id) if delivery.message is not None else ()
        )
        clicked = {i.network for i in interactions if i.kind is InteractionKind.SHARE_CLICK}
        kinds = {i.kind for i in interactions}
        first_name = _first_name(ambassador)
        text = self._text(delivery, ambassador, content).full
        # Each button carries its own network's text (an X variant on X...).
        buttons = tuple(
            ShareButton(
                network=network,
                intent_url=self._intent(
                    network,
                    tracked_url(self._public_url, links[network].token),
                    self._text(delivery, ambassador, content, network),
                    ambassador,
                ),
                clicked=network in clicked,
                click_url=share_click_url(self._public_url, links[network].token),
            )
            for network in networks
        )
        return SuggestionView(
            delivery_id=delivery.id,
            locale=ambassador.locale,
            first_name=first_name,
            title=content.title_in(ambassador.locale),
            summary=content.summary_in(ambassador.locale),
            image_url=content.image_url,
            content_url=content.url,
            text=text,
            buttons=buttons,
            confirmed=InteractionKind.CONFIRMED_SHARE in kinds,
            skipped=InteractionKind.SKIP in kinds,
            points_earned=sum(i.points for i in interactions),
            last_award=last_award,
        )

    def intent_for(
        self, link: TrackedLink, *, ambassador: Ambassador, content: Content, delivery: Delivery
    ) -> str:
        """The share page of a link's network, with the person's text, as their button has it."""
        if link.network is Network.MASTODON and not ambassador.mastodon_instance:
            return tracked_url(self._public_url, link.token)  # they removed their instance
        text = self._text(delivery, ambassador, content, link.network)
        return self._intent(
            link.network, tracked_url(self._public_url, link.token), text, ambassador
        )

    def _intent(
        self, network: Network, link: str, text: PersonalText, ambassador: Ambassador
    ) -> str:
        return share_intent_url(
            network,
            link,
            text.full,
            keep=self._programme.required_tags,
            instance=ambassador.mastodon_instance,
        )

    def _text(
        self,
        delivery: Delivery,
        ambassador: Ambassador,
        content: Content,
        network: Network | None = None,
    ) -> PersonalText:
        return personal_text(
            content,
            ambassador,
            self._programme,
            variant=delivery.variant,
            network=network,
            edited=delivery.text,
        )


def _networks_of(ambassador: Ambassador) -> tuple[Network, ...]:
    """The networks to show buttons for: Mastodon only with the person's instance."""
    if ambassador.mastodon_instance:
        return ambassador.networks
    return tuple(n for n in ambassador.networks if n is not Network.MASTODON)


def _first_name(ambassador: Ambassador) -> str:
    return ambassador.display_name.split(" ")[0] if ambassador.display_name else ""
