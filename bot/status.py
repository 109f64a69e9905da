"""The delivery queue at a glance, for curators and operators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.model import PlatformUser
from bot.ports import Clock, DeliveryQueue
from bot.programme import Programme
from bot.roles import RoleService
from bot.sender import SenderSettings
from bot.views import ScheduledJob, StatusView


class StatusService:
    """``/advocacy status`` and ``advocacy-bot status``."""

    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        settings: SenderSettings,
        programme: Programme,
        clock: Clock,
        next_jobs: Callable[[], Sequence[ScheduledJob]],
        roles: RoleService,
    ) -> None:
        self._queue = queue
        self._settings = settings
        self._programme = programme
        self._clock = clock
        self._next_jobs = next_jobs
        self._roles = roles

    async def for_curator(self, user: PlatformUser, locale: str) -> StatusView:
        """The status, for curators only (it shows the whole programme's traffic)."""
        await self._roles.require_curator(user)
        return await self.snapshot(locale)

    async def snapshot(self, locale: str) -> StatusView:
        """Deliveries per state, the configured rates, the last hour, the next jobs."""
        now = self._clock.now()
        return StatusView(
            locale=locale,
            counts=await self._queue.counts(),
            rates={p.value: limit.rate for p, limit in self._settings.limits.items()},
            sent_last_hour=await self._queue.sent_since(
                ambassador_id=None, since=now - timedelta(hours=1)
            ),
            jobs=tuple(self._next_jobs()),
        )
