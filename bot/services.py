"""The domain's use cases, as the composition root wires them for the adapters."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ambassadors import AmbassadorService
from bot.delivery import DeliveryService
from bot.interactions import InteractionService
from bot.leaderboard import LeaderboardService
from bot.ports import Clock
from bot.programme import Programme
from bot.publishing import PublishingService


@dataclass(frozen=True)
class Services:
    """Everything a platform adapter may call."""

    programme: Programme
    clock: Clock
    ambassadors: AmbassadorService
    publishing: PublishingService
    delivery: DeliveryService
    interactions: InteractionService
    leaderboard: LeaderboardService
