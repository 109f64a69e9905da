"""The sender: drains the outbox through each workspace's rate limit, in every replica.

One replica at a time holds a workspace's *send lease*; it claims due deliveries a few at a
time, paces them through the workspace's token bucket, and records each outcome:

* sent: the platform took it;
* 429: the whole bucket waits ``Retry-After``, the row goes back to the queue for then, and
  the attempt is given back;
* transient failure (5xx, timeout): back to the queue after a jittered exponential backoff;
  after ``max_attempts`` it is dead-lettered (status ``dead``);
* permanent refusal: status ``failed``; for refusals that mean the person cannot be reached
  (``account_inactive``, ``user_not_found``, ``cannot_dm_bot``, Teams' 403
  ``MessageWritesBlocked``) the person is marked unreachable and gets nothing more;
* the person's own policy (quiet hours, weekly cap, expiry) defers, expires or skips it;
* a paused person gets nothing: what comes due during the pause is dropped (``paused``).

At most ``in_flight`` sends are under way per process, so a crash (``kill -9``) can send at
most that many twice: a claimed row whose lock lapses goes back to the queue, and only a row
that reached the platform without being marked sent is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.delivery import DeliveryService
from bot.errors import DeliveryFailed, RateLimited
from bot.limiter import Monotonic, RateLimit, Sleep, TokenBucket
from bot.model import (
    HELD_FOR_DIGEST,
    HELD_FOR_GUIDELINES,
    Ambassador,
    AmbassadorId,
    Content,
    ContentId,
    Delivery,
    DeliveryId,
    DeliveryStatus,
    Platform,
)
from bot.policy import (
    DeliveryMode,
    DeliveryPreferences,
    Verdict,
    decide,
    digest_items,
    next_digest_slot,
    week_bounds,
)
from bot.ports import (
    AmbassadorRepository,
    ChatGateway,
    Clock,
    ContentRepository,
    DeliveryQueue,
    SenderObserver,
)
from bot.views import DigestView, GuidelinesView

logger = logging.getLogger(__name__)

# Refusals after which nothing will ever reach the person: mark them unreachable.
UNREACHABLE = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "user_disabled",
        "MessageWritesBlocked",
    }
)
MAX_BLOCK_SECONDS = 60.0
DIGEST_ITEMS = 8  # suggestions per digest DM (Slack: 50 blocks a message)
# A message too big for the platform (Teams 413 / a card over 28 KB, Slack's own codes): a
# digest that gets one is split in two rather than failed.
TOO_BIG = frozenset({"MessageSizeTooBig", "msg_too_long", "msg_blocks_too_long"})
PREPARE_FACTOR = 4
GUIDELINES_RECHECK = timedelta(
    days=1
)  # a held row is looked at again after this  # rows being prepared per send slot
CONTENT_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class SenderSettings:
    """How the sender paces and retries (config.yaml ``delivery``)."""

    limits: Mapping[Platform, RateLimit] = field(
        default_factory=lambda: {Platform.SLACK: RateLimit(4, 8), Platform.TEAMS: RateLimit(25, 50)}
    )
    in_flight: int = 5
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_max: float = 600.0
    lease_ttl: timedelta = timedelta(seconds=30)
    # How long a claim holds a row before another sender may take it (a crashed one's rows
    # come back after this); longer than a send plus a 429 wait is the safe side.
    lock_for: timedelta = timedelta(seconds=90)
    idle_poll: float = 1.0

    def limit_for(self, workspace: str) -> RateLimit:
        """The rate of a workspace's platform."""
        platform = Platform(workspace.split(":", 1)[0])
        return self.limits.get(platform, RateLimit(1, 1))


@dataclass
class DrainReport:
    """What one drain of a workspace did."""

    sent: int = 0
    retried: int = 0
    deferred: int = 0
    failed: int = 0
    dead: int = 0
    expired: int = 0
    rate_limited: int = 0


class _Abandoned(Exception):
    """Stopping: a prepared send that had not started is left for release()."""


class NullObserver:
    """Observes nothing (tests, and before metrics are wired)."""

    def sent(self, platform: str, seconds: float) -> None:
        """A send succeeded."""

    def outcome(self, platform: str, outcome: str) -> None:
        """A send ended otherwise: retried, rate_limited, failed, dead."""

    def rate(self, platform: str, per_second: float) -> None:
        """The limiter's rate of a platform."""


class Sender:
    """The outbox sender of one process."""

    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        ambassadors: AmbassadorRepository,
        contents: ContentRepository,
        delivery: DeliveryService,
        gateways: Mapping[Platform, ChatGateway],
        settings: SenderSettings,
        clock: Clock,
        holder: str,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        jitter: Callable[[], float] = random.random,
        observer: SenderObserver | None = None,
        busy: Callable[[], bool] = lambda: False,
        guidelines: Callable[[Ambassador], GuidelinesView] | None = None,
        guidelines_version: str | None = None,
    ) -> None:
        self._queue = queue
        self._guidelines = guidelines_version  # None: no gate (tests of other rules)
        self._guidelines_view = guidelines or _no_guidelines
        self._ambassadors = ambassadors
        self._contents = contents
        self._delivery = delivery
        self._gateways = gateways
        self._settings = settings
        self._clock = clock
        self.holder = holder
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter
        self._observer: SenderObserver = observer or NullObserver()
        self._busy = busy  # the process is saturated: people's clicks come first
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight = asyncio.Semaphore(settings.in_flight)
        self._claimed: set[DeliveryId] = set()
        self._digest_locks: dict[AmbassadorId, asyncio.Lock] = {}
        self._leased: set[str] = set()
        self._contents_cache: dict[ContentId, tuple[float, Content]] = {}
        self._stopping = False

    @property
    def settings(self) -> SenderSettings:
        """How this sender paces and retries."""
        return self._settings

    def bucket(self, workspace: str) -> TokenBucket:
        """The workspace's token bucket (one per workspace, shared by all its sends)."""
        if workspace not in self._buckets:
            limit = self._settings.limit_for(workspace)
            self._buckets[workspace] = TokenBucket(
                limit, monotonic=self._monotonic, sleep=self._sleep
            )
            self._observer.rate(workspace.split(":", 1)[0], limit.rate)
        return self._buckets[workspace]

    def stop(self) -> None:
        """Claim nothing more; sends under way finish."""
        self._stopping = True

    async def drain_all(self) -> DrainReport:
        """Drain every workspace that has due work, once (tests and one-off runs)."""
        total = DrainReport()
        for workspace in await self._queue.workspaces_due(now=self._clock.now()):
            report = await self.drain(workspace)
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total

    async def drain(self, workspace: str) -> DrainReport:
        """Send a workspace's due deliveries while this process holds its lease."""
        report = DrainReport()
        settings = self._settings
        epoch = await self._lease(workspace)
        if epoch is None:
            return report  # another replica sends for this workspace
        self._leased.add(workspace)
        renewed = self._monotonic()
        tasks: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                if self._monotonic() - renewed > settings.lease_ttl.total_seconds() / 3:
                    epoch = await self._lease(workspace)
                    if epoch is None:
                        logger.warning("lost the send lease of %s", workspace)
                        break
                    renewed = self._monotonic()
                # Rows are prepared (people, content, tracked links, view) several at a time;
                # only the platform calls are bounded by in_flight (the semaphore), which is
                # what bounds duplicates after a crash.
                # While the process is saturated, prepare no more than can be sent at once:
                # the fan-out slows a little and the acks people wait for stay fast.
                window = settings.in_flight * (1 if self._busy() else PREPARE_FACTOR)
                free = window - len(tasks)
                batch = (
                    await self._queue.claim(
                        workspace=workspace,
                        holder=self.holder,
                        epoch=epoch,
                        now=self._clock.now(),
                        limit=max(free, 0),
                        lock_for=settings.lock_for,
                    )
                    if free > 0
                    else []
                )
                # One read for the batch's people instead of one per row.
                people = (
                    await self._ambassadors.get_many({d.ambassador_id for d in batch})
                    if batch
                    else {}
                )
                for delivery in batch:
                    if delivery.id in self._claimed:
                        # Our own claim lapsed while it waited (a long 429): it is still
                        # under way here, so a second task would send it twice.
                        continue
                    self._claimed.add(delivery.id)
                    ambassador = people.get(delivery.ambassador_id)
                    tasks.add(
                        asyncio.create_task(self._process(workspace, delivery, ambassador, report))
                    )
                if not tasks:
                    break  # nothing due and nothing under way
                if not batch or free - len(batch) <= 0:
                    _, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        return report

    async def _lease(self, workspace: str) -> int | None:
        """Take or renew the workspace's send lease; its epoch, or None if another holds it."""
        return await self._queue.acquire_lease(
            workspace=workspace,
            holder=self.holder,
            now=self._clock.now(),
            ttl=self._settings.lease_ttl,
        )

    async def release(self) -> int:
        """Shutdown: give back rows claimed but not yet sent."""
        return await self._queue.release_claims(
            holder=self.holder, delivery_ids=sorted(self._claimed)
        )

    async def release_leases(self) -> None:
        """Shutdown: let another replica take every workspace at once."""
        for workspace in sorted(self._leased):
            await self._queue.release_lease(workspace=workspace, holder=self.holder)
        self._leased.clear()

    async def _process(
        self,
        workspace: str,
        delivery: Delivery,
        ambassador: Ambassador | None,
        report: DrainReport,
    ) -> None:
        try:
            await self._process_one(workspace, delivery, ambassador, report)
        except _Abandoned:
            return  # stopping before it was sent: release() gives it back to the queue
        except Exception:
            # A database hiccup or a bug: leave the row claimed; its lock lapses and it is
            # retried, so nothing is lost.
            logger.exception(
                "delivery %d: unexpected error, will be retried", delivery.id, extra=_ids(delivery)
            )
        self._claimed.discard(delivery.id)

    async def _process_one(
        self,
        workspace: str,
        delivery: Delivery,
        ambassador: Ambassador | None,
        report: DrainReport,
    ) -> None:
        content = await self._content(delivery.content_id)
        reason = _unsendable(ambassador, content)
        if reason is not None or ambassador is None or content is None:
            await self._finish(delivery, DeliveryStatus.FAILED, reason or "missing", report)
            return
        if ambassador.is_paused(self._clock.now()):
            # Paused: nothing is kept for later, so resuming does not bring a pile of old
            # suggestions (held digest items included: each comes through here).
            await self._finish(delivery, DeliveryStatus.FAILED, "paused", report)
            return
        if self._guidelines is not None and ambassador.guidelines_version != self._guidelines:
            await self._hold_for_guidelines(delivery, ambassador, report)
            return
        if delivery.error == HELD_FOR_DIGEST:  # held for the person's digest, and its slot has come
            await self._send_digest(workspace, ambassador, report)
            return
        if not await self._allowed_by_policy(delivery, ambassador, content, report):
            return
        gateway = self._gateways.get(ambassador.user.platform)
        if gateway is None:
            await self._finish(delivery, DeliveryStatus.FAILED, "platform_not_configured", report)
            return
        view = await self._delivery.view_for(delivery, ambassador=ambassador, content=content)
        platform = ambassador.user.platform.value
        await self.bucket(workspace).acquire()
        async with self._in_flight:
            if self._stopping:
                raise _Abandoned
            started = self._monotonic()
            try:
                message = await gateway.send_suggestion(ambassador.user, view)
            except RateLimited as limited:
                await self._rate_limited(workspace, delivery, limited, report)
                return
            except DeliveryFailed as failure:
                await self._failed(delivery, ambassador, failure, report)
                return
            await self._queue.mark_sent(
                delivery_id=delivery.id, holder=self.holder, message=message, now=self._clock.now()
            )
        report.sent += 1
        self._observer.sent(platform, self._monotonic() - started)

    async def _hold_for_guidelines(
        self, delivery: Delivery, ambassador: Ambassador, report: DrainReport
    ) -> None:
        """The guidelines changed since this person accepted them: nothing more until they
        accept the new version. Ask them once; accepting releases what waited."""
        now = self._clock.now()
        await self._queue.retry_later(
            delivery_id=delivery.id,
            holder=self.holder,
            not_before=now + GUIDELINES_RECHECK,
            error=HELD_FOR_GUIDELINES,
            count_attempt=False,
        )
        report.deferred += 1
        assert self._guidelines is not None  # noqa: S101 - checked by the caller
        gateway = self._gateways.get(ambassador.user.platform)
        if gateway is None or not await self._ambassadors.claim_guidelines_prompt(
            ambassador_id=ambassador.id, version=self._guidelines, now=now
        ):
            return
        try:
            await self.bucket(delivery.workspace).acquire()
            await gateway.send_guidelines(ambassador.user, self._guidelines_view(ambassador))
        except (RateLimited, DeliveryFailed) as error:
            # The suggestions still wait; the person sees the request with /advocacy guidelines.
            logger.warning("could not ask for the new guidelines: %s", error, extra=_ids(delivery))

    async def _content(self, content_id: ContentId) -> Content | None:
        """A content, from a short cache: a fan-out sends the same one thousands of times."""
        now = self._monotonic()
        cached = self._contents_cache.get(content_id)
        if cached is not None and now - cached[0] < CONTENT_CACHE_SECONDS:
            return cached[1]
        content = await self._contents.get(content_id)
        if content is not None:
            if len(self._contents_cache) > 256:
                self._contents_cache.clear()
            self._contents_cache[content_id] = (now, content)
        return content

    async def _allowed_by_policy(
        self, delivery: Delivery, ambassador: Ambassador, content: Content, report: DrainReport
    ) -> bool:
        now = self._clock.now()
        prefs = preferences_of(ambassador)
        week_start, _ = week_bounds(now, prefs.timezone)
        sent = 0
        if ambassador.weekly_cap is not None:
            sent = await self._queue.sent_since(ambassador_id=ambassador.id, since=week_start)
        decision = decide(
            now=now,
            prefs=prefs,
            important=content.important,
            expires_at=content.expires_at,
            sent_this_week=sent,
        )
        if decision.verdict is Verdict.SEND:
            return True
        if decision.verdict is Verdict.EXPIRE:
            await self._finish(delivery, DeliveryStatus.EXPIRED, decision.reason, report)
        elif decision.verdict is Verdict.SKIP:
            await self._finish(delivery, DeliveryStatus.FAILED, decision.reason, report)
        else:  # DEFER until the quiet hours or the week end; HELD_FOR_DIGEST until the digest slot
            assert decision.not_before is not None  # noqa: S101 - Decision guarantees it
            await self._queue.retry_later(
                delivery_id=delivery.id,
                holder=self.holder,
                not_before=decision.not_before,
                error=HELD_FOR_DIGEST if decision.verdict is Verdict.DIGEST else decision.reason,
                count_attempt=False,
            )
            report.deferred += 1
        return False

    async def _send_digest(
        self, workspace: str, ambassador: Ambassador, report: DrainReport
    ) -> None:
        """One DM with everything held for this person's digest (one task at a time per
        person, so two held rows in one batch make one digest, not two)."""
        lock = self._digest_locks.setdefault(ambassador.id, asyncio.Lock())
        async with lock:
            now = self._clock.now()
            held = await self._queue.claim_digest(
                ambassador_id=ambassador.id,
                holder=self.holder,
                now=now,
                lock_for=self._settings.lock_for,
            )
            if not held:
                return  # an earlier task of this batch sent them
            fresh: list[tuple[Delivery, Content]] = []
            for delivery in held:
                content = await self._contents.get(delivery.content_id)
                if content is None or (content.expires_at and content.expires_at <= now):
                    await self._finish(delivery, DeliveryStatus.EXPIRED, "expired", report)
                else:
                    fresh.append((delivery, content))
            shown, left = digest_items(fresh, DIGEST_ITEMS)
            gateway = self._gateways.get(ambassador.user.platform)
            if not shown or gateway is None:
                return
            views = tuple(
                [
                    await self._delivery.view_for(d, ambassador=ambassador, content=c)
                    for d, c in shown
                ]
            )
            split = False
            while True:
                view = DigestView(
                    locale=ambassador.locale,
                    first_name=views[0].first_name,
                    items=views,
                    remaining=left,
                )
                await self.bucket(workspace).acquire()
                async with self._in_flight:
                    if self._stopping:
                        raise _Abandoned
                    try:
                        message = await gateway.send_digest(ambassador.user, view)
                        break
                    except DeliveryFailed as error:
                        if error.code in TOO_BIG and len(shown) > 1:
                            # Too big for one message on this platform: send the first half
                            # now and the rest as another digest right after.
                            logger.info("a digest of %d items is too big: split", len(shown))
                            keep = len(shown) // 2
                            left += len(shown) - keep
                            shown, views, split = shown[:keep], views[:keep], True
                            continue
                        await self._digest_failed(workspace, ambassador, fresh, error, report)
                        return
                    except RateLimited as error:
                        await self._digest_failed(workspace, ambassador, fresh, error, report)
                        return
            for delivery, _ in shown:
                await self._queue.mark_sent(
                    delivery_id=delivery.id,
                    holder=self.holder,
                    message=message,
                    now=self._clock.now(),
                )
                report.sent += 1
            next_slot = (
                self._clock.now()  # the second half of a split digest goes at once
                if split
                else next_digest_slot(now + timedelta(minutes=1), preferences_of(ambassador))
            )
            sent_ids = {d.id for d, _ in shown}
            for delivery, _ in [(d, c) for d, c in fresh if d.id not in sent_ids]:
                await self._queue.retry_later(
                    delivery_id=delivery.id,
                    holder=self.holder,
                    not_before=next_slot,
                    error=HELD_FOR_DIGEST,
                    count_attempt=False,
                )

    async def _digest_failed(
        self,
        workspace: str,
        ambassador: Ambassador,
        held: list[tuple[Delivery, Content]],
        error: RateLimited | DeliveryFailed,
        report: DrainReport,
    ) -> None:
        """A digest that did not go out stays a digest: back to the queue with its mark."""
        if isinstance(error, DeliveryFailed) and error.permanent:
            for delivery, _ in held:
                await self._failed(delivery, ambassador, error, report)
            return
        if isinstance(error, RateLimited):
            wait = min(max(error.retry_after, 0.0), MAX_BLOCK_SECONDS)
            self.bucket(workspace).block(wait)
            report.rate_limited += 1
        else:
            attempts = max(d.attempts for d, _ in held)
            if attempts >= self._settings.max_attempts:
                for delivery, _ in held:
                    await self._finish(delivery, DeliveryStatus.DEAD, error.code, report)
                return
            wait = self.backoff(attempts)
            report.retried += 1
        for delivery, _ in held:
            await self._queue.retry_later(
                delivery_id=delivery.id,
                holder=self.holder,
                not_before=self._clock.now() + timedelta(seconds=wait),
                error=HELD_FOR_DIGEST,
                count_attempt=isinstance(error, DeliveryFailed),
            )

    async def _rate_limited(
        self, workspace: str, delivery: Delivery, limited: RateLimited, report: DrainReport
    ) -> None:
        wait = min(max(limited.retry_after, 0.0), MAX_BLOCK_SECONDS)
        self.bucket(workspace).block(wait)
        logger.warning("%s rate limited: the whole workspace waits %.1fs", workspace, wait)
        await self._queue.retry_later(
            delivery_id=delivery.id,
            holder=self.holder,
            not_before=self._clock.now() + timedelta(seconds=wait),
            error="ratelimited",
            count_attempt=False,
        )
        report.rate_limited += 1
        self._observer.outcome(workspace.split(":", 1)[0], "rate_limited")

    async def _failed(
        self,
        delivery: Delivery,
        ambassador: Ambassador,
        failure: DeliveryFailed,
        report: DrainReport,
    ) -> None:
        platform = ambassador.user.platform.value
        if failure.permanent:
            if failure.code in UNREACHABLE:
                await self._ambassadors.mark_unreachable(
                    ambassador_id=ambassador.id, reason=failure.code, now=self._clock.now()
                )
            logger.warning(
                "delivery %d refused for good: %s", delivery.id, failure.code, extra=_ids(delivery)
            )
            await self._finish(delivery, DeliveryStatus.FAILED, failure.code, report)
            return
        if delivery.attempts >= self._settings.max_attempts:
            logger.error(
                "delivery %d dead after %d attempts: %s",
                delivery.id,
                delivery.attempts,
                failure.code,
                extra=_ids(delivery),
            )
            await self._finish(delivery, DeliveryStatus.DEAD, failure.code, report)
            return
        delay = self.backoff(delivery.attempts)
        await self._queue.retry_later(
            delivery_id=delivery.id,
            holder=self.holder,
            not_before=self._clock.now() + timedelta(seconds=delay),
            error=failure.code,
            count_attempt=True,
        )
        report.retried += 1
        self._observer.outcome(platform, "retried")

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try: exponential in the attempts, capped, with jitter
        (between half and all of it) so many failed sends do not come back together."""
        base = min(
            self._settings.backoff_base * 2.0 ** max(attempts - 1, 0), self._settings.backoff_max
        )
        return float(base * (0.5 + self._jitter() / 2))

    async def _finish(
        self, delivery: Delivery, status: DeliveryStatus, reason: str, report: DrainReport
    ) -> None:
        await self._queue.finish(
            delivery_id=delivery.id,
            holder=self.holder,
            status=status,
            error=reason,
            now=self._clock.now(),
        )
        if status is DeliveryStatus.EXPIRED:
            report.expired += 1
        elif status is DeliveryStatus.DEAD:
            report.dead += 1
            self._observer.outcome(delivery.workspace.split(":", 1)[0], "dead")
        else:
            report.failed += 1
            self._observer.outcome(delivery.workspace.split(":", 1)[0], "failed")

    async def run(self, wake: asyncio.Event) -> None:
        """Drain every due workspace, concurrently, until stopped; wake on ``wake`` or poll."""
        running: dict[str, asyncio.Task[DrainReport]] = {}
        try:
            while not self._stopping:
                try:
                    due = await self._queue.workspaces_due(now=self._clock.now())
                except Exception:
                    logger.exception("could not read the queue; retrying")
                    due = []
                for workspace in due:
                    if workspace not in running or running[workspace].done():
                        running[workspace] = asyncio.create_task(self.drain(workspace))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=self._settings.idle_poll)
                wake.clear()
        finally:
            self._stopping = True
            if running:
                await asyncio.gather(*running.values(), return_exceptions=True)


def _ids(delivery: Delivery) -> dict[str, object]:
    """Fields that structured (JSON) logs carry for a delivery."""
    return {"delivery_id": delivery.id, "workspace": delivery.workspace}


def _unsendable(ambassador: Ambassador | None, content: Content | None) -> str | None:
    if ambassador is None or not ambassador.is_active:
        return "ambassador_left"
    if ambassador.unreachable:
        return "unreachable"
    if content is None:
        return "content_missing"
    return None


def preferences_of(ambassador: Ambassador) -> DeliveryPreferences:
    """The person's delivery preferences, in their own zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(ambassador.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return DeliveryPreferences(
        timezone=zone,
        quiet_start=ambassador.quiet_start,
        quiet_end=ambassador.quiet_end,
        weekly_cap=ambassador.weekly_cap,
        mode=_mode(ambassador.delivery_mode),
    )


def _mode(value: str) -> DeliveryMode:
    try:
        return DeliveryMode(value)
    except ValueError:
        return DeliveryMode.IMMEDIATE


def _no_guidelines(_ambassador: Ambassador) -> GuidelinesView:
    raise RuntimeError("the sender was given a guidelines version without a view builder")
