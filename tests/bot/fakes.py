"""In-memory fakes of the domain's ports, recording what happened.

They follow the same contract as the SQL store; ``tests/content_store/test_contract.py`` runs
one suite against both so they cannot drift apart.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import DeliveryFailed, RateLimited
from bot.leaderboard import competition_ranks, next_month, week_part_of, week_starting
from bot.model import (
    HELD_FOR_DIGEST,
    Ambassador,
    AmbassadorId,
    AmbassadorStatus,
    Audience,
    AuditEntry,
    Badge,
    BoardPeriod,
    BoardScope,
    ChatAddress,
    Content,
    ContentDraft,
    ContentFigures,
    ContentId,
    ContentStatus,
    Delivery,
    DeliveryId,
    DeliveryStatus,
    DepartmentStats,
    EarnedBadge,
    Enrolment,
    ErasureOutcome,
    FeedItem,
    FeedState,
    Interaction,
    InteractionEntry,
    InteractionKind,
    LeaderboardEntry,
    LinkVisit,
    MessageRef,
    Network,
    NewSuggestion,
    PageMetadata,
    PersonalDataExport,
    Platform,
    PlatformUser,
    Preferences,
    ProgrammeFigures,
    Prospect,
    PublishedItem,
    PublishResult,
    RankedCount,
    RawEventKind,
    ReactionEvent,
    RecordOutcome,
    ReviewMessage,
    Role,
    RoleGrant,
    Standing,
    StatsWindow,
    Suggestion,
    SuggestionId,
    SuggestionStatus,
    TrackedLink,
    UserProfile,
    VisitToAward,
    workspace_key,
)
from bot.stats import department_order
from bot.tracking import new_ref, new_token
from bot.views import (
    DigestView,
    GuidelinesView,
    LeaderboardView,
    Notice,
    RecapView,
    ReminderView,
    ReviewCardView,
    SuggestionView,
    WeeklyDigestView,
)

SHARE_KINDS = (InteractionKind.SHARE_CLICK, InteractionKind.CONFIRMED_SHARE)


@dataclass
class _Award:
    ambassador_id: AmbassadorId
    content_id: ContentId | None
    kind: InteractionKind
    points: int
    at: datetime


@dataclass
class InMemoryStore:
    """Every repository port over plain dicts."""

    ambassadors_by_id: dict[AmbassadorId, Ambassador] = field(default_factory=dict)
    identities: dict[PlatformUser, AmbassadorId] = field(default_factory=dict)
    addresses: dict[tuple[Platform, str, str], ChatAddress] = field(default_factory=dict)
    emails: dict[AmbassadorId, str] = field(default_factory=dict)
    guidelines_events: dict[tuple[AmbassadorId, str, str], datetime] = field(default_factory=dict)
    contents: dict[ContentId, Content] = field(default_factory=dict)
    deliveries: dict[DeliveryId, Delivery] = field(default_factory=dict)
    links: dict[str, TrackedLink] = field(default_factory=dict)
    interactions: dict[str, tuple[DeliveryId | None, Interaction]] = field(default_factory=dict)
    awards: dict[str, _Award] = field(default_factory=dict)
    reactions: dict[str, ReactionEvent] = field(default_factory=dict)
    visits: list[tuple[TrackedLink, bool]] = field(default_factory=list)
    bot_messages: set[MessageRef] = field(default_factory=set)
    job_runs: dict[tuple[str, str], str] = field(default_factory=dict)
    # The queue's bookkeeping per delivery: (next_attempt_at, locked_by, locked_until).
    queue_meta: dict[DeliveryId, tuple[datetime, str | None, datetime | None]] = field(
        default_factory=dict
    )
    leases: dict[str, tuple[str, datetime, int]] = field(default_factory=dict)
    unreachable: set[AmbassadorId] = field(default_factory=set)
    reminded: dict[DeliveryId, datetime] = field(default_factory=dict)
    # For MemoryStats: who did an interaction and about what; a reaction's content; when.
    hidden_from_boards: set[AmbassadorId] = field(default_factory=set)  # leaderboards
    interaction_meta: dict[str, tuple[AmbassadorId, ContentId | None]] = field(default_factory=dict)
    reaction_content: dict[str, ContentId | None] = field(default_factory=dict)
    visit_log: list[tuple[TrackedLink, bool, datetime]] = field(default_factory=list)
    visit_times: list[datetime] = field(default_factory=list)  # of ``visits``, in order
    visit_awards: dict[int, tuple[AmbassadorId, int]] = field(default_factory=dict)
    badges: dict[tuple[AmbassadorId, Badge], datetime] = field(default_factory=dict)
    # Personal weekly recaps: (ambassador, week's Monday) -> (status, holder, error).
    recaps: dict[tuple[AmbassadorId, date], tuple[str, str, str | None]] = field(
        default_factory=dict
    )
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class MemoryAmbassadors:
    """The ambassador port over an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def get_by_user(self, user: PlatformUser) -> Ambassador | None:
        found = self.s.identities.get(user)
        return self.s.ambassadors_by_id.get(found) if found else None

    async def get(self, ambassador_id: AmbassadorId) -> Ambassador | None:
        return self.s.ambassadors_by_id.get(ambassador_id)

    async def get_many(
        self, ambassador_ids: Collection[AmbassadorId]
    ) -> Mapping[AmbassadorId, Ambassador]:
        found = {i: self.s.ambassadors_by_id.get(i) for i in ambassador_ids}
        return {i: a for i, a in found.items() if a is not None}

    async def ids_of(self, users: Collection[PlatformUser]) -> Mapping[PlatformUser, AmbassadorId]:
        return {u: self.s.identities[u] for u in users if u in self.s.identities}

    async def enrol(
        self, *, user: PlatformUser, profile: UserProfile, enrolment: Enrolment, now: datetime
    ) -> Ambassador:
        existing = await self.get_by_user(user)
        if existing is None and profile.email:
            same = [i for i, e in self.s.emails.items() if e == profile.email.lower()]
            existing = self.s.ambassadors_by_id[min(same)] if same else None
        ambassador = Ambassador(
            id=existing.id if existing else AmbassadorId(next(self.s._ids)),
            user=existing.user if existing else user,
            display_name=profile.display_name,
            locale=profile.locale,
            status=AmbassadorStatus.ACTIVE,
            topics=enrolment.topics,
            networks=enrolment.networks,
            guidelines_version=enrolment.guidelines_version,
            ref=existing.ref if existing else new_ref(),
            joined_at=existing.joined_at if existing else now,
            team=profile.team or (existing.team if existing else None),
        )
        self.s.ambassadors_by_id[ambassador.id] = ambassador
        self.s.identities[user] = ambassador.id
        if profile.email:
            self.s.emails[ambassador.id] = profile.email.lower()
        self.s.guidelines_events.setdefault(
            (ambassador.id, enrolment.guidelines_version, "accepted"), now
        )
        return replace(ambassador, user=user)

    async def accept_guidelines(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> None:
        self.s.ambassadors_by_id[ambassador_id] = replace(
            self.s.ambassadors_by_id[ambassador_id], guidelines_version=version
        )
        self.s.guidelines_events.setdefault((ambassador_id, version, "accepted"), now)

    async def claim_guidelines_prompt(
        self, *, ambassador_id: AmbassadorId, version: str, now: datetime
    ) -> bool:
        key = (ambassador_id, version, "prompted")
        if key in self.s.guidelines_events:
            return False
        self.s.guidelines_events[key] = now
        return True

    async def accepted_guidelines(
        self, ambassador_id: AmbassadorId
    ) -> Sequence[tuple[str, datetime]]:
        return sorted(
            (
                (v, at)
                for (a, v, kind), at in self.s.guidelines_events.items()
                if a == ambassador_id and kind == "accepted"
            ),
            key=lambda pair: pair[1],
        )

    async def update_preferences(
        self, *, ambassador_id: AmbassadorId, topics: frozenset[str], networks: tuple[Network, ...]
    ) -> Ambassador:
        updated = replace(self.s.ambassadors_by_id[ambassador_id], topics=topics, networks=networks)
        self.s.ambassadors_by_id[ambassador_id] = updated
        return updated

    async def mark_unreachable(
        self, *, ambassador_id: AmbassadorId, reason: str, now: datetime
    ) -> None:
        self.s.ambassadors_by_id[ambassador_id] = replace(
            self.s.ambassadors_by_id[ambassador_id], unreachable=True
        )

    async def leave(self, *, ambassador_id: AmbassadorId, now: datetime) -> None:
        self.s.ambassadors_by_id[ambassador_id] = replace(
            self.s.ambassadors_by_id[ambassador_id], status=AmbassadorStatus.LEFT
        )


class MemoryContents:
    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def create(
        self, *, draft: ContentDraft, page: PageMetadata, created_by: PlatformUser, now: datetime
    ) -> Content:
        content = Content(
            id=ContentId(next(self.s._ids)),
            url=draft.url,
            title=page.title or draft.title or draft.url,
            summary=page.summary or draft.summary or "",
            image_url=page.image_url or draft.image_url,
            topics=tuple(sorted(draft.topics)),
            texts=draft.texts,
            share_texts=draft.share_texts,
            translations=draft.translations,
            hashtags=draft.hashtags,
            audience=draft.audience,
            status=ContentStatus.SCHEDULED
            if draft.publish_at and draft.publish_at > now
            else ContentStatus.DRAFT,
            created_by=created_by,
            created_at=now,
            important=draft.important,
            expires_at=draft.expires_at,
            publish_at=draft.publish_at,
        )
        self.s.contents[content.id] = content
        return content

    async def get(self, content_id: ContentId) -> Content | None:
        return self.s.contents.get(content_id)

    async def list_recent(self, *, limit: int) -> Sequence[Content]:
        return sorted(self.s.contents.values(), key=lambda c: -c.id)[:limit]

    async def publish(self, *, content_id: ContentId, now: datetime) -> PublishResult:
        content = self.s.contents[content_id]
        if content.status in (ContentStatus.PUBLISHED, ContentStatus.EXPIRED):
            return PublishResult(content, 0, already_published=True)
        content = replace(content, status=ContentStatus.PUBLISHED, published_at=now)
        self.s.contents[content_id] = content
        created = 0
        taken = {(d.content_id, d.ambassador_id) for d in self.s.deliveries.values()}
        ordinals: dict[str, int] = {}  # the variant: the person's ordinal in their language
        for ambassador in sorted(self.s.ambassadors_by_id.values(), key=lambda a: a.id):
            if not ambassador.is_active or (content_id, ambassador.id) in taken:
                continue
            if content.audience is Audience.INTERESTED and not (
                ambassador.topics & set(content.topics)
            ):
                continue
            if ambassador.unreachable or ambassador.is_paused(now):
                continue
            delivery_id = DeliveryId(next(self.s._ids))
            self.s.deliveries[delivery_id] = Delivery(
                id=delivery_id,
                content_id=content_id,
                ambassador_id=ambassador.id,
                status=DeliveryStatus.PENDING,
                variant=ordinals.get(ambassador.locale, 0),
                workspace=workspace_key(ambassador.user),
            )
            self.s.queue_meta[delivery_id] = (now, None, None)
            ordinals[ambassador.locale] = ordinals.get(ambassador.locale, 0) + 1
            created += 1
        return PublishResult(content, created)

    async def due_for_publish(self, *, now: datetime) -> Sequence[ContentId]:
        return [
            c.id
            for c in sorted(self.s.contents.values(), key=lambda c: c.publish_at or now)
            if c.status is ContentStatus.SCHEDULED and c.publish_at and c.publish_at <= now
        ]

    async def due_for_expiry(self, *, now: datetime) -> Sequence[ContentId]:
        live = (ContentStatus.PUBLISHED, ContentStatus.SCHEDULED)
        return [
            c.id
            for c in self.s.contents.values()
            if c.status in live and c.expires_at is not None and c.expires_at <= now
        ]

    async def expire(self, *, content_id: ContentId, now: datetime) -> Sequence[Delivery]:
        self.s.contents[content_id] = replace(
            self.s.contents[content_id], status=ContentStatus.EXPIRED
        )
        sent = []
        for delivery in sorted(self.s.deliveries.values(), key=lambda d: d.id):
            if delivery.content_id != content_id:
                continue
            if delivery.status is DeliveryStatus.PENDING:
                self.s.deliveries[delivery.id] = replace(
                    delivery, status=DeliveryStatus.EXPIRED, error="expired"
                )
            elif delivery.status is DeliveryStatus.SENT:
                sent.append(delivery)
        return sent

    async def content_url_for_token(self, token: str) -> tuple[TrackedLink, Content] | None:
        link = self.s.links.get(token)
        return (link, self.s.contents[link.content_id]) if link else None


class MemoryDeliveries:
    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def get(self, delivery_id: DeliveryId) -> Delivery | None:
        return self.s.deliveries.get(delivery_id)

    async def get_many(self, delivery_ids: Collection[DeliveryId]) -> Mapping[DeliveryId, Delivery]:
        return {i: self.s.deliveries[i] for i in delivery_ids if i in self.s.deliveries}

    async def tracked_links(
        self, *, delivery: Delivery, networks: Sequence[Network]
    ) -> dict[Network, TrackedLink]:
        mine = {k.network: k for k in self.s.links.values() if k.delivery_id == delivery.id}
        for network in networks:
            if network not in mine:
                link = TrackedLink(
                    new_token(), delivery.id, delivery.content_id, delivery.ambassador_id, network
                )
                self.s.links[link.token] = link
                mine[network] = link
        return mine

    async def find_by_message(self, message: MessageRef) -> Delivery | None:
        return next((d for d in self.s.deliveries.values() if d.message == message), None)

    async def all_in_message(self, message: MessageRef) -> Sequence[Delivery]:
        return sorted(
            (d for d in self.s.deliveries.values() if d.message == message), key=lambda d: d.id
        )

    async def reminder_candidates(self, *, sent_before: datetime, limit: int) -> Sequence[Delivery]:
        acted = {d for d, _ in self.s.interactions.values()}
        return sorted(
            (
                d
                for d in self.s.deliveries.values()
                if d.status is DeliveryStatus.SENT
                and d.sent_at is not None
                and d.sent_at <= sent_before
                and d.id not in self.s.reminded
                and d.id not in acted
                and self.s.contents[d.content_id].status is ContentStatus.PUBLISHED
            ),
            key=lambda d: d.sent_at or sent_before,
        )[:limit]

    async def mark_reminded(self, *, delivery_id: DeliveryId, now: datetime) -> bool:
        if delivery_id in self.s.reminded:
            return False
        self.s.reminded[delivery_id] = now
        return True


class MemoryQueue:
    """``DeliveryQueue`` over the fake store, with the same semantics as the SQL one."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    def _due(self, delivery: Delivery, now: datetime) -> bool:
        next_at, _, locked_until = self.s.queue_meta[delivery.id]
        if delivery.status is DeliveryStatus.PENDING:
            return next_at <= now
        return delivery.status is DeliveryStatus.CLAIMED and (locked_until or now) < now

    async def workspaces_due(self, *, now: datetime) -> Sequence[str]:
        return sorted({d.workspace for d in self.s.deliveries.values() if self._due(d, now)})

    async def acquire_lease(
        self, *, workspace: str, holder: str, now: datetime, ttl: timedelta
    ) -> int | None:
        current = self.s.leases.get(workspace)
        if current is None:
            epoch = 1
        elif current[0] == holder:
            epoch = current[2]
        elif current[1] < now:
            epoch = current[2] + 1
        else:
            return None
        self.s.leases[workspace] = (holder, now + ttl, epoch)
        return epoch

    async def release_lease(self, *, workspace: str, holder: str) -> None:
        if self.s.leases.get(workspace, ("",))[0] == holder:
            del self.s.leases[workspace]

    async def claim(
        self,
        *,
        workspace: str,
        holder: str,
        epoch: int,
        now: datetime,
        limit: int,
        lock_for: timedelta,
    ) -> Sequence[Delivery]:
        lease = self.s.leases.get(workspace)
        if lease is None or lease[0] != holder or lease[2] != epoch or lease[1] <= now:
            return []
        due = sorted(
            (
                d
                for d in self.s.deliveries.values()
                if d.workspace == workspace and self._due(d, now)
            ),
            key=lambda d: (self.s.queue_meta[d.id][0], d.id),
        )[:limit]
        claimed = []
        for delivery in due:
            updated = replace(
                delivery, status=DeliveryStatus.CLAIMED, attempts=delivery.attempts + 1
            )
            self.s.deliveries[delivery.id] = updated
            next_at = self.s.queue_meta[delivery.id][0]
            self.s.queue_meta[delivery.id] = (next_at, holder, now + lock_for)
            claimed.append(updated)
        return claimed

    async def claim_digest(
        self, *, ambassador_id: AmbassadorId, holder: str, now: datetime, lock_for: timedelta
    ) -> Sequence[Delivery]:
        claimed = []
        for delivery in sorted(self.s.deliveries.values(), key=lambda d: d.id):
            next_at, locked_by, _ = self.s.queue_meta[delivery.id]
            free = delivery.status is DeliveryStatus.PENDING
            mine = delivery.status is DeliveryStatus.CLAIMED and locked_by == holder
            if (
                delivery.ambassador_id == ambassador_id
                and delivery.error == HELD_FOR_DIGEST
                and next_at <= now
                and (free or mine)
            ):
                updated = replace(delivery, status=DeliveryStatus.CLAIMED)
                self.s.deliveries[delivery.id] = updated
                self.s.queue_meta[delivery.id] = (next_at, holder, now + lock_for)
                claimed.append(updated)
        return claimed

    def _held(self, delivery_id: DeliveryId, holder: str) -> Delivery | None:
        delivery = self.s.deliveries[delivery_id]
        held = self.s.queue_meta[delivery_id][1] == holder
        return delivery if held and delivery.status is DeliveryStatus.CLAIMED else None

    def _settle(self, delivery: Delivery, next_at: datetime | None = None, **changes: Any) -> None:
        self.s.deliveries[delivery.id] = replace(delivery, **changes)
        self.s.queue_meta[delivery.id] = (next_at or self.s.queue_meta[delivery.id][0], None, None)

    async def mark_sent(
        self, *, delivery_id: DeliveryId, holder: str, message: MessageRef, now: datetime
    ) -> None:
        if held := self._held(delivery_id, holder):
            self._settle(held, status=DeliveryStatus.SENT, message=message, sent_at=now, error=None)

    async def release_held(self, *, ambassador_id: AmbassadorId, mark: str, now: datetime) -> int:
        held = [
            d
            for d in self.s.deliveries.values()
            if d.ambassador_id == ambassador_id
            and d.status is DeliveryStatus.PENDING
            and d.error == mark
        ]
        for delivery in held:
            self._settle(delivery, now, error=None)
        return len(held)

    async def retry_later(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        not_before: datetime,
        error: str | None,
        count_attempt: bool,
    ) -> None:
        if held := self._held(delivery_id, holder):
            attempts = held.attempts if count_attempt else held.attempts - 1
            self._settle(
                held, not_before, status=DeliveryStatus.PENDING, error=error, attempts=attempts
            )

    async def finish(
        self,
        *,
        delivery_id: DeliveryId,
        holder: str,
        status: DeliveryStatus,
        error: str,
        now: datetime,
    ) -> None:
        if held := self._held(delivery_id, holder):
            self._settle(held, status=status, error=error)

    async def release_claims(self, *, holder: str, delivery_ids: Sequence[DeliveryId]) -> int:
        released = 0
        for delivery_id in delivery_ids:
            if held := self._held(delivery_id, holder):
                self._settle(held, status=DeliveryStatus.PENDING, attempts=held.attempts - 1)
                released += 1
        return released

    async def counts(self) -> Mapping[str, int]:
        found = Counter(d.status.value for d in self.s.deliveries.values())
        return {state.value: found.get(state.value, 0) for state in DeliveryStatus}

    async def sent_since(self, *, ambassador_id: AmbassadorId | None, since: datetime) -> int:
        return sum(
            1
            for d in self.s.deliveries.values()
            if ambassador_id in (None, d.ambassador_id)
            and d.status is DeliveryStatus.SENT
            and d.sent_at is not None
            and d.sent_at >= since
        )


class MemoryLedger:
    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    def _award(
        self,
        ambassador_id: AmbassadorId,
        content_id: ContentId | None,
        network: Network | None,
        kind: InteractionKind,
        points: int,
        now: datetime,
    ) -> int:
        key = f"{ambassador_id}:{content_id or ''}:{network.value if network else ''}:{kind}"
        if points <= 0 or key in self.s.awards:
            return 0
        self.s.awards[key] = _Award(ambassador_id, content_id, kind, points, now)
        return points

    async def record(
        self,
        *,
        dedupe_key: str,
        ambassador_id: AmbassadorId,
        content_id: ContentId | None,
        delivery_id: DeliveryId | None,
        kind: InteractionKind,
        network: Network | None,
        points: int,
        now: datetime,
    ) -> RecordOutcome:
        if dedupe_key in self.s.interactions:
            return RecordOutcome(False, 0)
        awarded = self._award(ambassador_id, content_id, network, kind, points, now)
        self.s.interactions[dedupe_key] = (delivery_id, Interaction(kind, network, awarded, now))
        self.s.interaction_meta[dedupe_key] = (ambassador_id, content_id)
        return RecordOutcome(True, awarded)

    async def record_many(
        self, entries: Sequence[InteractionEntry], *, now: datetime
    ) -> Sequence[RecordOutcome]:
        return [
            await self.record(
                dedupe_key=e.dedupe_key,
                ambassador_id=e.ambassador_id,
                content_id=e.content_id,
                delivery_id=e.delivery_id,
                kind=e.kind,
                network=e.network,
                points=e.points,
                now=now,
            )
            for e in entries
        ]

    async def for_delivery(self, delivery_id: DeliveryId) -> Sequence[Interaction]:
        return [i for d, i in self.s.interactions.values() if d == delivery_id]

    async def record_reaction(
        self,
        *,
        event: ReactionEvent,
        ambassador_id: AmbassadorId | None,
        content_id: ContentId | None,
        points: int,
    ) -> RecordOutcome:
        if event.event_id in self.s.reactions:
            return RecordOutcome(False, 0)
        self.s.reactions[event.event_id] = event
        self.s.reaction_content[event.event_id] = content_id
        awarded = 0
        if event.added and ambassador_id is not None and content_id is not None:
            awarded = self._award(
                ambassador_id, content_id, None, InteractionKind.REACTION, points, event.occurred_at
            )
        return RecordOutcome(True, awarded)

    def _totals(
        self, start: datetime | None, end: datetime | None
    ) -> dict[AmbassadorId, tuple[int, int]]:
        points: dict[AmbassadorId, int] = {}
        shared: dict[AmbassadorId, set[ContentId | None]] = {}
        for award in self.s.awards.values():
            if (start and award.at < start) or (end and award.at >= end):
                continue
            points[award.ambassador_id] = points.get(award.ambassador_id, 0) + award.points
            if award.kind in SHARE_KINDS:
                shared.setdefault(award.ambassador_id, set()).add(award.content_id)
        return {a: (p, len(shared.get(a, ()))) for a, p in points.items()}

    async def leaderboard(
        self, *, start: datetime, end: datetime, limit: int
    ) -> Sequence[LeaderboardEntry]:
        people = self.s.ambassadors_by_id
        rows = sorted(
            ((a, p, n) for a, (p, n) in self._totals(start, end).items() if people[a].is_active),
            key=lambda r: (-r[1], -r[2], people[r[0]].display_name, r[0]),
        )[:limit]
        ranks = competition_ranks([p for _, p, _ in rows])
        return [
            LeaderboardEntry(rank, a, people[a].display_name, p, n)
            for rank, (a, p, n) in zip(ranks, rows, strict=True)
        ]

    async def rank_of(
        self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime
    ) -> int | None:
        totals = self._totals(start, end)
        mine = totals.get(ambassador_id, (0, 0))[0]
        if mine <= 0:
            return None
        people, hidden = self.s.ambassadors_by_id, self.s.hidden_from_boards
        return 1 + sum(
            1
            for a, (p, _) in totals.items()
            if p > mine and people[a].is_active and a not in hidden and a != ambassador_id
        )

    async def points_of(
        self, *, ambassador_id: AmbassadorId, start: datetime | None, end: datetime | None
    ) -> tuple[int, int]:
        return self._totals(start, end).get(ambassador_id, (0, 0))


class MemoryAddressBook:
    """The address book over a dict (newest saves last)."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def save(self, address: ChatAddress, *, now: datetime) -> None:
        key = (address.platform, address.workspace_id, address.key)
        self.s.addresses.pop(key, None)
        self.s.addresses[key] = address

    async def get(self, platform: Platform, workspace_id: str, key: str) -> ChatAddress | None:
        return self.s.addresses.get((platform, workspace_id, key))

    async def find(self, platform: Platform, key: str) -> ChatAddress | None:
        found = [a for (p, _, k), a in self.s.addresses.items() if p == platform and k == key]
        return found[-1] if found else None

    async def forget(self, platform: Platform, workspace_id: str, key: str) -> None:
        self.s.addresses.pop((platform, workspace_id, key), None)


class MemoryBotMessages:
    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def remember(self, *, message: MessageRef, kind: str, now: datetime) -> None:
        self.s.bot_messages.add(message)

    async def is_bot_message(self, message: MessageRef) -> bool:
        return message in self.s.bot_messages


class MemoryJobRuns:
    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def claim(self, *, job: str, slot: str, holder: str, now: datetime) -> bool:
        if (job, slot) in self.s.job_runs:
            return False
        self.s.job_runs[(job, slot)] = holder
        return True

    async def release(self, *, job: str, slot: str) -> None:
        self.s.job_runs.pop((job, slot), None)


class MemoryPreferences:
    """The preferences port over an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    def _set(self, ambassador_id: AmbassadorId, **changes: Any) -> Ambassador:
        updated = replace(self.s.ambassadors_by_id[ambassador_id], **changes)
        self.s.ambassadors_by_id[ambassador_id] = updated
        return updated

    async def save_preferences(
        self, *, ambassador_id: AmbassadorId, preferences: Preferences
    ) -> Ambassador:
        p = preferences
        return self._set(
            ambassador_id,
            topics=p.topics,
            networks=p.networks,
            locale=p.locale,
            delivery_mode=p.delivery_mode,
            quiet_start=p.quiet_start,
            quiet_end=p.quiet_end,
            weekly_cap=p.weekly_cap,
            mastodon_instance=p.mastodon_instance,
            **({} if p.weekly_recap is None else {"weekly_recap": p.weekly_recap}),
        )

    async def pause(
        self, *, ambassador_id: AmbassadorId, now: datetime, until: datetime | None
    ) -> Ambassador:
        return self._set(ambassador_id, paused_at=now, paused_until=until)

    async def resume(self, *, ambassador_id: AmbassadorId) -> Ambassador:
        return self._set(ambassador_id, paused_at=None, paused_until=None)

    async def set_weekly_recap(self, *, ambassador_id: AmbassadorId, on: bool) -> Ambassador:
        return self._set(ambassador_id, weekly_recap=on)

    async def pending_suggestions(
        self, *, ambassador_id: AmbassadorId, now: datetime, limit: int
    ) -> Sequence[Delivery]:
        answers = (InteractionKind.CONFIRMED_SHARE, InteractionKind.SKIP)
        acted = {d for d, i in self.s.interactions.values() if d is not None and i.kind in answers}
        found = [
            d
            for d in self.s.deliveries.values()
            if d.ambassador_id == ambassador_id
            and d.status is DeliveryStatus.SENT
            and d.id not in acted
            and self.s.contents[d.content_id].status is ContentStatus.PUBLISHED
            and (
                self.s.contents[d.content_id].expires_at is None
                or now < (self.s.contents[d.content_id].expires_at or now)
            )
        ]
        found.sort(key=lambda d: (d.sent_at or now, d.id), reverse=True)
        return found[:limit]


class MemoryDeliveryTexts:
    """The edited texts of suggestions, on the deliveries of an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def save_text(self, *, delivery_id: DeliveryId, text: str) -> bool:
        delivery = self.s.deliveries.get(delivery_id)
        if delivery is None or delivery.text == text:
            return False
        self.s.deliveries[delivery_id] = replace(delivery, text=text)
        return True


class MemoryRecaps:
    """``RecapRepository`` over an ``InMemoryStore``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def candidates(
        self, *, week_start: date, after: AmbassadorId | None, limit: int
    ) -> Sequence[Ambassador]:
        found = [
            a
            for key, a in sorted(self.s.ambassadors_by_id.items())
            if a.weekly_recap
            and a.is_active
            and key not in self.s.unreachable
            and not a.unreachable
            and (key, week_start) not in self.s.recaps
            and (after is None or key > after)
        ]
        return found[:limit]

    async def claim(
        self, *, ambassador_id: AmbassadorId, week_start: date, holder: str, now: datetime
    ) -> bool:
        if (ambassador_id, week_start) in self.s.recaps:
            return False
        self.s.recaps[(ambassador_id, week_start)] = ("claimed", holder, None)
        return True

    async def skip(
        self, *, ambassador_id: AmbassadorId, week_start: date, reason: str, now: datetime
    ) -> bool:
        if (ambassador_id, week_start) in self.s.recaps:
            return False
        self.s.recaps[(ambassador_id, week_start)] = ("skipped", "", reason)
        return True

    async def release(self, *, ambassador_id: AmbassadorId, week_start: date) -> None:
        found = self.s.recaps.get((ambassador_id, week_start))
        if found is not None and found[0] == "claimed":
            del self.s.recaps[(ambassador_id, week_start)]

    async def finish(
        self,
        *,
        ambassador_id: AmbassadorId,
        week_start: date,
        status: str,
        now: datetime,
        error: str | None = None,
    ) -> None:
        found = self.s.recaps.get((ambassador_id, week_start))
        if found is not None and found[0] == "claimed":
            self.s.recaps[(ambassador_id, week_start)] = (status, found[1], error)

    async def clicks(self, *, ambassador_id: AmbassadorId, start: datetime, end: datetime) -> int:
        return sum(
            1
            for link, is_bot, at in self.s.visit_log
            if link.ambassador_id == ambassador_id and not is_bot and start <= at < end
        )


@dataclass
class MemoryPorts:
    """The fake store, exposed port by port like ``SqlStore``."""

    store: InMemoryStore = field(default_factory=InMemoryStore)

    def __post_init__(self) -> None:
        self.ambassadors = MemoryAmbassadors(self.store)
        self.contents = MemoryContents(self.store)
        self.deliveries = MemoryDeliveries(self.store)
        self.queue = MemoryQueue(self.store)
        self.ledger = MemoryLedger(self.store)
        self.bot_messages = MemoryBotMessages(self.store)
        self.jobs = MemoryJobRuns(self.store)
        self.addresses = MemoryAddressBook(self.store)
        self.delivery_texts = MemoryDeliveryTexts(self.store)
        self.preferences = MemoryPreferences(self.store)
        self.grants = MemoryRoleGrants()
        self.audit = MemoryAuditLog()
        self.people = MemoryPersonLookup(self.store)
        self.suggestions = MemorySuggestions(self.store)
        self.recognition = MemoryRecognition(self.store)
        self.stats = MemoryStats(self.store)
        self.prospects = MemoryProspects(self.store, self.suggestions)
        self.boards = MemoryBoards(self.store)
        self.recaps = MemoryRecaps(self.store)
        self.link_visits = MemoryLinkVisits(self.store)


@dataclass
class FakeChatGateway:
    """Records what would be sent; can be told to fail for some people."""

    sent: list[tuple[PlatformUser, SuggestionView]] = field(default_factory=list)
    updated: list[tuple[MessageRef, SuggestionView]] = field(default_factory=list)
    boards: list[tuple[str, LeaderboardView]] = field(default_factory=list)
    weekly_digests: list[tuple[str, WeeklyDigestView]] = field(default_factory=list)
    reminders: list[tuple[MessageRef, ReminderView]] = field(default_factory=list)
    digests: list[tuple[PlatformUser, DigestView]] = field(default_factory=list)
    digest_updates: list[tuple[MessageRef, DigestView]] = field(default_factory=list)
    guidelines: list[tuple[PlatformUser, GuidelinesView]] = field(default_factory=list)
    recaps: list[tuple[PlatformUser, RecapView]] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=dict)

    def fail(self, user_or_channel: str, *errors: Exception) -> None:
        """Raise these errors, in order, on the next sends to this user or channel."""
        self.failures.setdefault(user_or_channel, []).extend(errors)

    def _maybe_fail(self, key: str) -> None:
        queue = self.failures.get(key)
        if queue:
            raise queue.pop(0)

    async def send_suggestion(self, user: PlatformUser, view: SuggestionView) -> MessageRef:
        self._maybe_fail(user.user_id)
        self.sent.append((user, view))
        return MessageRef(f"D{user.user_id}", f"{len(self.sent)}.000100")

    async def update_suggestion(self, message: MessageRef, view: SuggestionView) -> None:
        self.updated.append((message, view))

    async def send_guidelines(self, user: PlatformUser, view: GuidelinesView) -> MessageRef:
        self._maybe_fail(user.user_id)
        self.guidelines.append((user, view))
        return MessageRef(f"D{user.user_id}", f"{len(self.guidelines)}.000500")

    async def send_recap(self, user: PlatformUser, view: RecapView) -> MessageRef:
        self._maybe_fail(user.user_id)
        self.recaps.append((user, view))
        return MessageRef(f"D{user.user_id}", f"{len(self.recaps)}.000700")

    async def send_digest(self, user: PlatformUser, view: DigestView) -> MessageRef:
        self._maybe_fail(user.user_id)
        self.digests.append((user, view))
        return MessageRef(f"D{user.user_id}", f"{len(self.digests)}.000300")

    async def update_digest(self, message: MessageRef, view: DigestView) -> None:
        self.digest_updates.append((message, view))

    async def send_reminder(self, message: MessageRef, view: ReminderView) -> None:
        self._maybe_fail(message.channel_id)
        self.reminders.append((message, view))

    async def post_weekly_digest(self, channel_id: str, view: WeeklyDigestView) -> MessageRef:
        self._maybe_fail(channel_id)
        self.boards.append((channel_id, view.board))
        self.weekly_digests.append((channel_id, view))
        return MessageRef(channel_id, f"{len(self.boards)}.000200")


class MemoryRoleGrants:
    """``RoleGrants`` over a dict keyed by (person, role)."""

    def __init__(self) -> None:
        self.grants: dict[tuple[PlatformUser, Role], RoleGrant] = {}

    async def grant(
        self,
        *,
        user: PlatformUser,
        role: Role,
        display_name: str,
        granted_by: PlatformUser,
        now: datetime,
    ) -> bool:
        if (user, role) in self.grants:
            return False
        self.grants[(user, role)] = RoleGrant(user, role, display_name[:200], granted_by, now)
        return True

    async def revoke(self, *, user: PlatformUser, role: Role) -> bool:
        return self.grants.pop((user, role), None) is not None

    async def has(self, user: PlatformUser, role: Role) -> bool:
        return (user, role) in self.grants

    async def list(self, role: Role) -> Sequence[RoleGrant]:
        found = [g for (_, r), g in self.grants.items() if r is role]
        return sorted(found, key=lambda g: g.granted_at)


class MemoryAuditLog:
    """``AuditLog`` over a list (ids grow from 1)."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def record(
        self,
        *,
        actor: PlatformUser,
        actor_name: str,
        action: str,
        target: str | None,
        details: Mapping[str, str | int | bool | None],
        at: datetime,
    ) -> AuditEntry:
        entry = AuditEntry(
            len(self.entries) + 1, at, actor, actor_name, action, target, dict(details)
        )
        self.entries.append(entry)
        return entry

    async def recent(self, *, limit: int, before: int | None = None) -> Sequence[AuditEntry]:
        found = [e for e in self.entries if before is None or e.id < before]
        return sorted(found, key=lambda e: e.id, reverse=True)[:limit]


class MemoryPersonLookup:
    """``PersonLookup`` over the fake store's emails and identities."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def by_email(
        self, *, platform: Platform, workspace_id: str, email: str
    ) -> PlatformUser | None:
        wanted = {i for i, e in self.s.emails.items() if email and e == email.lower()}
        found = [
            u
            for u, i in self.s.identities.items()
            if i in wanted and u.platform is platform and u.workspace_id == workspace_id
        ]
        return found[0] if found else None


@dataclass
class FakeGroupDirectory:
    """A ``GroupDirectory`` whose groups the test sets; counts reads, can fail or block."""

    groups: dict[str, frozenset[str]] = field(default_factory=dict)
    directory_ids: dict[PlatformUser, str] = field(default_factory=dict)
    names: dict[PlatformUser, str] = field(default_factory=dict)
    reads: int = 0
    failing: bool = False
    gate: Any = None  # an asyncio.Event the read waits for, when set

    async def members(self, group_id: str) -> frozenset[str]:
        self.reads += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise ConnectionError("directory unavailable")
        return self.groups.get(group_id, frozenset())

    async def directory_id(self, user: PlatformUser) -> str | None:
        if user.platform is Platform.SLACK:
            return user.user_id
        return self.directory_ids.get(user)

    async def display_name(self, user: PlatformUser) -> str | None:
        return self.names.get(user)


__all__ = [
    "DeliveryFailed",
    "FakeChatGateway",
    "FakeGroupDirectory",
    "InMemoryStore",
    "MemoryAuditLog",
    "MemoryPorts",
    "MemoryRoleGrants",
    "RateLimited",
]


class MemorySuggestions:
    """``SuggestionRepository`` over dicts (the contents come from the shared store)."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store
        self.rows: dict[SuggestionId, Suggestion] = {}
        self.feed_items: dict[tuple[str, str], SuggestionId | None] = {}
        self.feed_states: dict[str, FeedState] = {}
        self._ids = itertools.count(1)

    async def add(self, new: NewSuggestion, *, now: datetime) -> Suggestion | None:
        if any(
            r.url == new.url and r.status is SuggestionStatus.PENDING for r in self.rows.values()
        ):
            return None
        suggestion = Suggestion(
            id=SuggestionId(next(self._ids)),
            source=new.source,
            url=new.url,
            title=new.title,
            summary=new.summary,
            why=new.why,
            status=SuggestionStatus.PENDING,
            created_at=now,
            suggester=new.suggester,
            suggester_locale=new.suggester_locale,
            suggester_name=new.suggester_name,
            feed_name=new.feed_name,
            topics=new.topics,
            image_url=new.image_url,
        )
        self.rows[suggestion.id] = suggestion
        return suggestion

    async def get(self, suggestion_id: SuggestionId) -> Suggestion | None:
        return self.rows.get(suggestion_id)

    async def url_status(self, url: str) -> str | None:
        if any(r.url == url and r.status is SuggestionStatus.PENDING for r in self.rows.values()):
            return "suggested"
        if any(c.url == url for c in self.s.contents.values()):
            return "shared"
        return None

    async def decide(
        self,
        *,
        suggestion_id: SuggestionId,
        status: SuggestionStatus,
        reviewer: PlatformUser | None,
        reviewer_name: str | None,
        reason: str | None,
        now: datetime,
        auto_approved: bool = False,
    ) -> Suggestion | None:
        row = self.rows.get(suggestion_id)
        if row is None or row.status is not SuggestionStatus.PENDING:
            return None
        row = replace(
            row,
            status=status,
            reviewer=reviewer,
            reviewer_name=(reviewer_name or "")[:200] or None,
            reason=reason,
            decided_at=now,
            auto_approved=auto_approved,
        )
        self.rows[suggestion_id] = row
        return row

    async def attach_content(
        self, *, suggestion_id: SuggestionId, content_id: ContentId
    ) -> Suggestion:
        row = replace(self.rows[suggestion_id], content_id=content_id)
        self.rows[suggestion_id] = row
        return row

    async def reopen(self, suggestion_id: SuggestionId) -> bool:
        row = self.rows.get(suggestion_id)
        if row is None or row.status is not SuggestionStatus.APPROVED or row.content_id:
            return False
        self.rows[suggestion_id] = replace(
            row,
            status=SuggestionStatus.PENDING,
            reviewer=None,
            reviewer_name=None,
            auto_approved=False,
            decided_at=None,
        )
        return True

    async def add_review_message(
        self, *, suggestion_id: SuggestionId, message: ReviewMessage
    ) -> None:
        row = self.rows.get(suggestion_id)
        if row is not None and message not in row.review_messages:
            self.rows[suggestion_id] = replace(row, review_messages=(*row.review_messages, message))

    async def approved_count(self, user: PlatformUser) -> int:
        return sum(
            1
            for r in self.rows.values()
            if r.suggester == user and r.status is SuggestionStatus.APPROVED
        )

    async def pending_before(self, *, before: datetime, limit: int) -> Sequence[Suggestion]:
        rows = [
            r
            for r in self.rows.values()
            if r.status is SuggestionStatus.PENDING and r.created_at < before
        ]
        return sorted(rows, key=lambda r: (r.created_at, r.id))[:limit]

    async def for_content(self, content_id: ContentId) -> Suggestion | None:
        return next((r for r in self.rows.values() if r.content_id == content_id), None)

    async def feed_state(self, feed_url: str) -> FeedState:
        return self.feed_states.get(feed_url, FeedState())

    async def save_feed_state(self, feed_url: str, state: FeedState, *, now: datetime) -> None:
        self.feed_states[feed_url] = replace(state, polled=True)

    async def add_feed_item(
        self, *, feed_url: str, item: FeedItem, new: NewSuggestion | None, now: datetime
    ) -> Suggestion | None:
        key = (feed_url, item.key)
        if key in self.feed_items:
            return None
        self.feed_items[key] = None
        if new is None or await self.url_status(new.url) is not None:
            return None
        created = await self.add(new, now=now)
        self.feed_items[key] = created.id if created else None
        return created


@dataclass
class FakeSuggestionGateway:
    """Records review cards posted and updated, and notices sent to suggesters."""

    platform: Platform = Platform.SLACK
    posted: list[tuple[str, ReviewCardView]] = field(default_factory=list)
    updated: list[tuple[MessageRef, ReviewCardView]] = field(default_factory=list)
    notices: list[tuple[PlatformUser, Notice, str]] = field(default_factory=list)

    async def post_review(self, channel_id: str, view: ReviewCardView) -> MessageRef:
        self.posted.append((channel_id, view))
        return MessageRef(channel_id, f"{len(self.posted)}.000700")

    async def update_review(self, message: MessageRef, view: ReviewCardView) -> None:
        self.updated.append((message, view))

    async def notify(self, user: PlatformUser, notice: Notice, locale: str) -> None:
        self.notices.append((user, notice, locale))


__all__ = ["DeliveryFailed", "FakeChatGateway", "InMemoryStore", "MemoryPorts", "RateLimited"]


class MemoryPersonalData:
    """``PersonalData`` over an ``InMemoryStore``: the same sections as the SQL store, with
    the fields the contract tests read; erasure leaves a nameless tombstone, as there."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    def _subject(self, user: PlatformUser) -> tuple[list[PlatformUser], AmbassadorId | None]:
        found = self.s.identities.get(user)
        if found is None:
            return [user], None
        return [u for u, a in self.s.identities.items() if a == found], found

    async def export(self, user: PlatformUser) -> PersonalDataExport:
        users, found = self._subject(user)
        a = self.s.ambassadors_by_id.get(found) if found is not None else None
        mine = [d for d in self.s.deliveries.values() if d.ambassador_id == found]
        links = [link for link in self.s.links.values() if link.ambassador_id == found]
        sections: dict[str, object] = {
            "reactions": [
                {"event_id": r.event_id, "reaction": r.reaction, "user_id": r.user.user_id}
                for r in self.s.reactions.values()
                if r.user in users
            ],
            "deliveries": [
                {
                    "id": d.id,
                    "content_id": d.content_id,
                    "status": d.status.value,
                    "content_title": self.s.contents[d.content_id].title,
                }
                for d in mine
            ],
            "tracked_links": [{"token": x.token, "network": x.network.value} for x in links],
            "link_visits": [
                {
                    "token": x.token,
                    "visits": sum(1 for v, _ in self.s.visits if v.token == x.token),
                }
                for x in links
                if any(v.token == x.token for v, _ in self.s.visits)
            ],
            "interactions": [
                {"kind": i.kind.value, "points": i.points}
                for d_id, i in self.s.interactions.values()
                if d_id is not None and self.s.deliveries[d_id].ambassador_id == found
            ],
            "points": [
                {"kind": w.kind.value, "points": w.points}
                for w in self.s.awards.values()
                if w.ambassador_id == found
            ],
            "guidelines": [
                {"version": v, "kind": k, "at": at.isoformat()}
                for (who, v, k), at in self.s.guidelines_events.items()
                if who == found
            ],
            "topics": sorted(a.topics) if a else [],
            "chat_addresses": [
                {"platform": p.value, "workspace_id": w, "key": k}
                for (p, w, k) in self.s.addresses
                if any(u.platform == p and u.user_id == k for u in users)
            ],
            "content_created": [
                {"id": c.id, "title": c.title}
                for c in self.s.contents.values()
                if c.created_by in users
            ],
            "identities": [
                {"platform": u.platform.value, "workspace_id": u.workspace_id, "user_id": u.user_id}
                for u in users
                if found is not None
            ],
            "ambassador": None
            if a is None
            else {
                "id": a.id,
                "display_name": a.display_name,
                "email": self.s.emails.get(a.id),
                "locale": a.locale,
                "ref": a.ref,
                "status": a.status.value,
            },
        }
        return PersonalDataExport(sections=sections, is_ambassador=found is not None)

    async def erase(self, user: PlatformUser, *, now: datetime) -> ErasureOutcome:
        users, found = self._subject(user)
        rows: dict[str, int] = {}
        erased_user = PlatformUser(user.platform, user.workspace_id, "")
        reactions = [k for k, r in self.s.reactions.items() if r.user in users]
        for key in reactions:
            self.s.reactions[key] = replace(self.s.reactions[key], user=erased_user)
        rows["reaction"] = len(reactions)
        addresses = [
            k
            for k in self.s.addresses
            if any(u.platform == k[0] and u.user_id == k[2] for u in users)
        ]
        for address_key in addresses:
            del self.s.addresses[address_key]
        rows["chat_address"] = len(addresses)
        created = [c for c in self.s.contents.values() if c.created_by in users]
        for c in created:
            self.s.contents[c.id] = replace(c, created_by=erased_user)
        rows["content"] = len(created)
        if found is not None:
            for d in [d for d in self.s.deliveries.values() if d.ambassador_id == found]:
                status = d.status
                if status in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED):
                    status = DeliveryStatus.CANCELLED
                self.s.deliveries[d.id] = replace(d, message=None, status=status)
            for event_key in [k for k in self.s.guidelines_events if k[0] == found]:
                del self.s.guidelines_events[event_key]
            for u in users:
                self.s.identities.pop(u, None)
            self.s.emails.pop(found, None)
            a = self.s.ambassadors_by_id[found]
            self.s.ambassadors_by_id[found] = replace(
                a,
                user=erased_user,
                display_name="",
                locale="",
                status=AmbassadorStatus.LEFT,
                topics=frozenset(),
                networks=(),
                ref=f"x{new_ref()}",
                timezone=None,
            )
            rows["ambassador"] = 1
        return ErasureOutcome(rows)


class MemoryRawEvents:
    """``RawEvents`` over the store's reactions, visits and job runs (each remembers when)."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store
        self.visited_at: list[datetime] = []  # parallel to store.visits, set by tests
        self.claimed_at: dict[tuple[str, str], datetime] = {}

    async def purge(self, *, kind: RawEventKind, before: datetime, limit: int) -> int:
        if kind is RawEventKind.REACTION_EVENTS:
            old = [k for k, r in self.s.reactions.items() if r.occurred_at < before][:limit]
            for key in old:
                del self.s.reactions[key]
            return len(old)
        if kind is RawEventKind.JOB_RUNS:
            gone = [k for k, at in self.claimed_at.items() if at < before][:limit]
            for run_key in gone:
                self.s.job_runs.pop(run_key, None)
                del self.claimed_at[run_key]
            return len(gone)
        drop = set([i for i, at in enumerate(self.visited_at) if at < before][:limit])
        survivors = [i for i in range(len(self.visited_at)) if i not in drop]
        self.s.visits[:] = [self.s.visits[i] for i in survivors]
        self.visited_at[:] = [self.visited_at[i] for i in survivors]
        return len(drop)


class MemoryStats:
    """``StatsReader`` over an ``InMemoryStore``: the same definitions as ``SqlStats``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    @staticmethod
    def _in(at: datetime | None, window: StatsWindow) -> bool:
        return at is not None and at < window.end and (window.start is None or at >= window.start)

    def _sent(self, window: StatsWindow) -> list[Delivery]:
        return [d for d in self.s.deliveries.values() if self._in(d.sent_at, window)]

    def _shared_ids(self) -> set[DeliveryId]:
        return {
            d for d, i in self.s.interactions.values() if d is not None and i.kind in SHARE_KINDS
        }

    def _interactions(
        self, window: StatsWindow, content_id: ContentId | None
    ) -> tuple[dict[Network, int], int]:
        clicks: dict[Network, int] = {}
        confirmed = 0
        for key, (_, i) in self.s.interactions.items():
            cid = self.s.interaction_meta[key][1]
            if not self._in(i.occurred_at, window) or (
                content_id is not None and cid != content_id
            ):
                continue
            if i.kind is InteractionKind.SHARE_CLICK and i.network is not None:
                clicks[i.network] = clicks.get(i.network, 0) + 1
            elif i.kind is InteractionKind.CONFIRMED_SHARE:
                confirmed += 1
        return clicks, confirmed

    def _visits(
        self, window: StatsWindow, content_id: ContentId | None
    ) -> tuple[dict[Network, int], int]:
        clicks: dict[Network, int] = {}
        bots = 0
        for link, is_bot, at in self.s.visit_log:
            if not self._in(at, window) or (
                content_id is not None and link.content_id != content_id
            ):
                continue
            if is_bot:
                bots += 1
            else:
                clicks[link.network] = clicks.get(link.network, 0) + 1
        return clicks, bots

    def _reactions(self, window: StatsWindow, content_id: ContentId | None) -> int:
        return sum(
            1
            for key, r in self.s.reactions.items()
            if r.added
            and self._in(r.occurred_at, window)
            and (cid := self.s.reaction_content.get(key)) is not None
            and (content_id is None or cid == content_id)
        )

    async def programme(self, window: StatsWindow, *, top: int = 5) -> ProgrammeFigures:
        sent = self._sent(window)
        shared_ids = self._shared_ids()
        shared = [d for d in sent if d.id in shared_ids]
        share_clicks, confirmed = self._interactions(window, None)
        clicks, bots = self._visits(window, None)
        people = self.s.ambassadors_by_id
        active = {
            self.s.interaction_meta[k][0]
            for k, (_, i) in self.s.interactions.items()
            if self._in(i.occurred_at, window)
        }
        per_content: dict[ContentId, list[int]] = {}
        for d in shared:
            per_content.setdefault(d.content_id, [0, 0])[0] += 1
        for link, is_bot, at in self.s.visit_log:
            if not is_bot and self._in(at, window):
                per_content.setdefault(link.content_id, [0, 0])[1] += 1
        top_content = sorted(per_content.items(), key=lambda kv: (-kv[1][0], -kv[1][1], -kv[0]))
        topics: dict[str, int] = {}
        for d in shared:
            for topic in self.s.contents[d.content_id].topics:
                topics[topic] = topics.get(topic, 0) + 1
        teams: dict[str | None, list[int]] = {}
        for a in people.values():
            if a.is_active:
                teams.setdefault(a.team, [0, 0, 0, 0])[0] += 1
        for d in sent:
            row = teams.setdefault(people[d.ambassador_id].team, [0, 0, 0, 0])
            row[1] += 1
            row[2] += d.id in shared_ids
        for link, is_bot, at in self.s.visit_log:
            if not is_bot and self._in(at, window):
                teams.setdefault(people[link.ambassador_id].team, [0, 0, 0, 0])[3] += 1
        return ProgrammeFigures(
            active_ambassadors=len(active),
            ambassadors=sum(1 for a in people.values() if a.is_active),
            deliveries=len(sent),
            shared=len(shared),
            share_clicks=share_clicks,
            confirmed=confirmed,
            clicks=clicks,
            bot_hits=bots,
            unique_visitors=0,  # the in-memory ledger keeps no visitor keys
            reactions=self._reactions(window, None),
            top_content=[
                RankedCount(str(c), self.s.contents[c].title, n[0], n[1])
                for c, n in top_content[:top]
            ],
            top_topics=[
                RankedCount(t, t, n)
                for t, n in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
            ],
            departments=sorted(
                (DepartmentStats(t, *n) for t, n in teams.items()), key=department_order
            ),
        )

    async def content(self, content_id: ContentId, window: StatsWindow) -> ContentFigures | None:
        item = self.s.contents.get(content_id)
        if item is None:
            return None
        sent = [d for d in self._sent(window) if d.content_id == content_id]
        shared_ids = self._shared_ids()
        share_clicks, confirmed = self._interactions(window, content_id)
        clicks, bots = self._visits(window, content_id)
        return ContentFigures(
            content_id=content_id,
            title=item.title,
            url=item.url,
            published_at=item.published_at,
            deliveries=len(sent),
            shared=sum(1 for d in sent if d.id in shared_ids),
            share_clicks=share_clicks,
            confirmed=confirmed,
            clicks=clicks,
            bot_hits=bots,
            unique_visitors=0,  # the in-memory ledger keeps no visitor keys
            reactions=self._reactions(window, content_id),
        )

    async def contents(self, window: StatsWindow, *, limit: int) -> Sequence[ContentFigures]:
        published = sorted(
            (c for c in self.s.contents.values() if c.published_at is not None),
            key=lambda c: (c.published_at, c.id),
            reverse=True,
        )[:limit]
        return [f for c in published if (f := await self.content(c.id, window)) is not None]

    async def weekly_activity(self, weeks: Sequence[StatsWindow]) -> Sequence[tuple[int, int]]:
        found = []
        for window in weeks:
            pairs = {
                self.s.interaction_meta[k]
                for k, (_, i) in self.s.interactions.items()
                if i.kind in SHARE_KINDS and self._in(i.occurred_at, window)
            }
            clicks = sum(
                1 for _, is_bot, at in self.s.visit_log if not is_bot and self._in(at, window)
            )
            found.append((len(pairs), clicks))
        return found

    async def published(
        self, window: StatsWindow, *, limit: int
    ) -> tuple[Sequence[PublishedItem], int]:
        live = sorted(
            (
                c
                for c in self.s.contents.values()
                if c.status is ContentStatus.PUBLISHED and self._in(c.published_at, window)
            ),
            key=lambda c: (c.published_at, c.id),
            reverse=True,
        )
        items = [PublishedItem(c.id, c.title, c.url, c.published_at) for c in live[:limit]]  # type: ignore[arg-type]
        return items, len(live)


class MemoryProspects:
    """``ProspectRepository`` over the store's reactions and a ``MemorySuggestions``."""

    def __init__(self, store: InMemoryStore, suggestions: MemorySuggestions) -> None:
        self.s = store
        self.suggestions = suggestions
        self.invitations: dict[PlatformUser, tuple[datetime, int]] = {}

    async def ranking(self, *, since: datetime, limit: int) -> Sequence[Prospect]:
        counts: dict[PlatformUser, list[int]] = {}
        names: dict[PlatformUser, str] = {}
        for r in self.s.reactions.values():
            if r.added and r.occurred_at >= since and r.user.user_id:
                counts.setdefault(r.user, [0, 0])[0] += 1
        for row in self.suggestions.rows.values():
            if row.suggester is not None and row.created_at >= since:
                counts.setdefault(row.suggester, [0, 0])[1] += 1
                if row.suggester_name:
                    names[row.suggester] = max(names.get(row.suggester, ""), row.suggester_name)
        found = [
            Prospect(
                u,
                r,
                s,
                names.get(u),
                self.invitations[u][0] if u in self.invitations else None,
            )
            for u, (r, s) in counts.items()
            if u not in self.s.identities
        ]
        return sorted(found, key=lambda p: (-p.score, p.user.user_id))[:limit]

    async def record_invitation(
        self, *, user: PlatformUser, by: PlatformUser, now: datetime, cooldown: timedelta
    ) -> bool:
        last = self.invitations.get(user)
        if last is not None and last[0] > now - cooldown:
            return False
        self.invitations[user] = (now, (last[1] if last else 0) + 1)
        return True

    async def withdraw_invitation(self, *, user: PlatformUser, invited_at: datetime) -> None:
        if user in self.invitations and self.invitations[user][0] == invited_at:
            del self.invitations[user]

    async def is_member(self, user: PlatformUser) -> bool:
        return user in self.s.identities


class MemoryRecognition:
    """``Recognition`` over the in-memory store: visits are numbered from 1 in order."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store

    async def pending_visits(self, *, since: datetime, limit: int) -> Sequence[VisitToAward]:
        found: list[VisitToAward] = []
        for i, ((link, is_bot), at) in enumerate(
            zip(self.s.visits, self.s.visit_times, strict=False), start=1
        ):
            person = self.s.ambassadors_by_id.get(link.ambassador_id)
            if is_bot or at < since or i in self.s.visit_awards:
                continue
            if person is None or not person.is_active:
                continue
            found.append(
                VisitToAward(
                    i, link.ambassador_id, link.content_id, link.network, at, person.timezone
                )
            )
        return found[:limit]

    async def award_visit(
        self,
        *,
        visit: VisitToAward,
        points: int,
        day: str,
        day_start: datetime,
        day_end: datetime,
        paid_per_day: int | None,
    ) -> int:
        if visit.visit_id in self.s.visit_awards:
            return 0
        self.s.visit_awards[visit.visit_id] = (visit.ambassador_id, 0)
        if points <= 0:
            return 0
        if paid_per_day is None:
            keys = [f"link_click:visit:{visit.visit_id}"]
        else:
            taken = sum(
                1
                for a in self.s.awards.values()
                if a.ambassador_id == visit.ambassador_id
                and a.kind is InteractionKind.LINK_CLICK
                and day_start <= a.at < day_end
            )
            keys = [
                f"link_click:{visit.ambassador_id}:{day}:{slot}"
                for slot in range(taken + 1, paid_per_day + 1)
            ]
        for key in keys:
            if key not in self.s.awards:
                self.s.awards[key] = _Award(
                    visit.ambassador_id,
                    visit.content_id,
                    InteractionKind.LINK_CLICK,
                    points,
                    visit.visited_at,
                )
                self.s.visit_awards[visit.visit_id] = (visit.ambassador_id, points)
                return points
        return 0

    async def award_once(
        self,
        *,
        key: str,
        ambassador_id: AmbassadorId,
        kind: InteractionKind,
        points: int,
        now: datetime,
    ) -> int:
        if points <= 0 or key in self.s.awards:
            return 0
        self.s.awards[key] = _Award(ambassador_id, None, kind, points, now)
        return points

    async def share_times(self, ambassador_id: AmbassadorId) -> Sequence[datetime]:
        return [
            a.at
            for a in self.s.awards.values()
            if a.ambassador_id == ambassador_id and a.kind in SHARE_KINDS
        ]

    async def clicks_awarded(self, ambassador_id: AmbassadorId) -> int:
        return sum(1 for a, _ in self.s.visit_awards.values() if a == ambassador_id)

    async def earn(self, *, ambassador_id: AmbassadorId, badge: Badge, now: datetime) -> bool:
        if (ambassador_id, badge) in self.s.badges:
            return False
        self.s.badges[(ambassador_id, badge)] = now
        return True

    async def badges_of(self, ambassador_id: AmbassadorId) -> Sequence[EarnedBadge]:
        return sorted(
            (EarnedBadge(a, b, at) for (a, b), at in self.s.badges.items() if a == ambassador_id),
            key=lambda e: e.earned_at,
        )

    async def badges_between(self, *, start: datetime, end: datetime) -> Sequence[EarnedBadge]:
        people = self.s.ambassadors_by_id
        return sorted(
            (
                EarnedBadge(a, b, at, people[a].display_name)
                for (a, b), at in self.s.badges.items()
                if start <= at < end and a in people and people[a].is_active
            ),
            key=lambda e: e.earned_at,
        )


class MemoryLinkVisits:
    """``LinkVisitLog`` over a dict, reading links from an ``InMemoryStore`` (issue 6)."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.s = store or InMemoryStore()
        self.visits: dict[str, Any] = {}  # visit_id -> LinkVisit, in order

    async def resolve(self, token: str) -> tuple[TrackedLink, Content, str | None] | None:
        link = self.s.links.get(token)
        if link is None:
            return None
        ambassador = self.s.ambassadors_by_id.get(link.ambassador_id)
        return link, self.s.contents[link.content_id], ambassador.ref if ambassador else None

    async def record_visits(self, visits: Sequence[Any]) -> int:
        new = 0
        for visit in visits:
            if visit.visit_id not in self.visits:
                self.visits[visit.visit_id] = visit
                new += 1
                # The other fakes (stats, recognition, recaps, privacy) read visits here,
                # as their SQL twins read the same ``link_visit`` table.
                # The visit's own fields win (a test may credit a link to someone else, or
                # make one up: ``link_visit`` keeps no reference to the link either).
                known = self.s.links.get(visit.token)
                link = TrackedLink(
                    visit.token,
                    known.delivery_id if known is not None else DeliveryId(0),
                    visit.content_id,
                    visit.ambassador_id,
                    visit.network,
                )
                self.s.visits.append((link, visit.is_bot))
                self.s.visit_log.append((link, visit.is_bot, visit.visited_at))
                self.s.visit_times.append(visit.visited_at)
        return new

    async def link_stats(
        self,
        *,
        by: Any,
        start: datetime | None = None,
        end: datetime | None = None,
        content_id: ContentId | None = None,
    ) -> Sequence[Any]:
        from bot.model import LinkGrouping, LinkStats

        def key_of(visit: Any) -> int | str:
            keys: dict[LinkGrouping, Callable[[], int | str]] = {
                LinkGrouping.CONTENT: lambda: int(visit.content_id),
                LinkGrouping.AMBASSADOR: lambda: int(visit.ambassador_id),
                LinkGrouping.NETWORK: lambda: visit.network.value,
                LinkGrouping.LINK: lambda: visit.token,
            }
            return keys[by]()

        groups: dict[int | str, list[Any]] = {}
        for visit in self.visits.values():
            if (start and visit.visited_at < start) or (end and visit.visited_at >= end):
                continue
            if content_id is not None and visit.content_id != content_id:
                continue
            groups.setdefault(key_of(visit), []).append(visit)
        stats = [
            LinkStats(
                key=key,
                clicks=sum(1 for v in found if not v.is_bot),
                unique_visitors=len({v.visitor_key for v in found if not v.is_bot} - {None}),
                bot_hits=sum(1 for v in found if v.is_bot),
            )
            for key, found in groups.items()
        ]
        return sorted(stats, key=lambda s: (-s.clicks, s.key))


def link_visit(
    link: TrackedLink,
    *,
    at: datetime,
    is_bot: bool = False,
    visitor_key: str | None = None,
    visit_id: str | None = None,
) -> LinkVisit:
    """A visit to ``link`` as the redirect records it (a fresh ``visit_id`` unless given)."""
    return LinkVisit(
        visit_id=visit_id or uuid.uuid4().hex,
        token=link.token,
        content_id=link.content_id,
        ambassador_id=link.ambassador_id,
        network=link.network,
        is_bot=is_bot,
        visitor_key=visitor_key,
        visited_at=at,
    )


async def record_visit(ports: Any, *, link: TrackedLink, is_bot: bool, now: datetime) -> None:
    """One visit to a tracked link, written through ``LinkVisitLog`` as the redirect's batches
    write it (no visitor key: the tests that count unique visitors make their own)."""
    await ports.link_visits.record_visits([link_visit(link, at=now, is_bot=is_bot)])


class MemoryBoards:
    """``BoardRepository`` computed on the fly from the fake ledger's awards: the reference
    the SQL rollup must agree with. A content counts as one share, in the period of the
    person's first share of it."""

    def __init__(self, store: InMemoryStore) -> None:
        self.s = store
        self.hidden = store.hidden_from_boards  # the ledger's rank_of reads it too
        self.tz = ZoneInfo("UTC")  # the programme's, as the rollup job passes it
        self.rolled = 0

    def _in(self, award: _Award, scope: BoardScope) -> bool:
        if scope.period is BoardPeriod.ALL or scope.first_day is None:
            return True
        period, week = week_part_of(award.at, self.tz)
        if scope.period is BoardPeriod.WEEK:
            return week == scope.first_day
        return scope.first_day <= period < next_month(scope.first_day)

    def _totals(self, scope: BoardScope) -> dict[AmbassadorId, tuple[int, int]]:
        totals: dict[AmbassadorId, tuple[int, int]] = {}
        shared: set[tuple[AmbassadorId, ContentId | None]] = set()
        for award in self.s.awards.values():  # in award order, as ids
            first = False
            if award.kind in SHARE_KINDS:
                first = (award.ambassador_id, award.content_id) not in shared
                shared.add((award.ambassador_id, award.content_id))
            if self._in(award, scope):
                p, n = totals.get(award.ambassador_id, (0, 0))
                totals[award.ambassador_id] = (p + award.points, n + (1 if first else 0))
        return totals

    def _public(self, ambassador_id: AmbassadorId, scope: BoardScope) -> bool:
        person = self.s.ambassadors_by_id[ambassador_id]
        return (
            person.is_active
            and ambassador_id not in self.hidden
            and (scope.team is None or person.team == scope.team)
        )

    async def top(self, *, scope: BoardScope, limit: int) -> Sequence[LeaderboardEntry]:
        people = self.s.ambassadors_by_id
        rows = sorted(
            (
                (a, p, n)
                for a, (p, n) in self._totals(scope).items()
                if p > 0 and self._public(a, scope)
            ),
            key=lambda r: (-r[1], -r[2], people[r[0]].display_name, r[0]),
        )[:limit]
        ranks = competition_ranks([p for _, p, _ in rows])
        return [
            LeaderboardEntry(rank, a, people[a].display_name, p, n)
            for rank, (a, p, n) in zip(ranks, rows, strict=True)
        ]

    async def standing(self, *, scope: BoardScope, ambassador_id: AmbassadorId) -> Standing:
        totals = self._totals(scope)
        mine, shares = totals.get(ambassador_id, (0, 0))
        if mine <= 0:
            return Standing(None, 0, 0)
        ahead = sum(
            1
            for a, (p, _) in totals.items()
            if p > mine and a != ambassador_id and self._public(a, scope)
        )
        return Standing(ahead + 1, mine, shares)

    async def set_hidden(self, *, ambassador_id: AmbassadorId, hidden: bool) -> None:
        (self.hidden.add if hidden else self.hidden.discard)(ambassador_id)

    async def is_hidden(self, *, ambassador_id: AmbassadorId) -> bool:
        return ambassador_id in self.hidden

    async def set_team(self, *, ambassador_id: AmbassadorId, team: str | None) -> None:
        person = self.s.ambassadors_by_id[ambassador_id]
        self.s.ambassadors_by_id[ambassador_id] = replace(person, team=team)

    async def roll_up(self, *, tz: ZoneInfo, now: datetime, settle: timedelta, batch: int) -> int:
        self.tz = tz
        new = min(len(self.s.awards) - self.rolled, batch)
        self.rolled += new
        return new

    async def rebuild_week(self, *, tz: ZoneInfo, week_start: date) -> int:
        self.tz = tz
        week = week_starting(week_start, tz)
        return sum(1 for a in self.s.awards.values() if week.start <= a.at < week.end)
