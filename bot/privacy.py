"""Privacy: a person's data export (``my-data``), erasure (``forget-me``) and the retention
of raw events.

The export is one JSON document (schema ``advocacy-bot/personal-data``, version
:data:`EXPORT_VERSION`, documented in the README) built from what the store gathers in one
read transaction. Slack uploads it into the person's DM; Teams gets a signed link to our own
server, valid :data:`LINK_TTL`, and the document is built when the link is opened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import AdvocacyError
from bot.model import Platform, PlatformUser, RawEventKind
from bot.ports import AmbassadorRepository, Clock, PersonalData, RawEvents
from bot.programme import Programme
from bot.signing import LinkInvalid, LinkSigner
from bot.views import DataLinkView, ForgetMeView, Notice

logger = logging.getLogger(__name__)

EXPORT_SCHEMA = "advocacy-bot/personal-data"
EXPORT_VERSION = 1
MY_DATA_PURPOSE = "my-data"
LINK_TTL = timedelta(minutes=15)
PURGE_BATCH = 5_000


class PrivacyUnavailable(AdvocacyError):
    """Export and erasure are not wired in this process (a test set-up without them)."""

    notice_key = "privacy_unavailable"


@dataclass(frozen=True)
class DataExport:
    """The export as a file: its name and its JSON document."""

    filename: str
    document: Mapping[str, object]

    def to_json(self) -> bytes:
        """The document as indented UTF-8 JSON (readable in any text editor)."""
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode()


def link_subject(user: PlatformUser) -> str:
    """What a download link names: the person's platform identity."""
    return f"{user.platform.value}|{user.workspace_id}|{user.user_id}"


def user_of_subject(subject: str) -> PlatformUser:
    """The identity a verified link names.

    Raises:
        LinkInvalid: not a subject :func:`link_subject` makes.
    """
    platform, _, rest = subject.partition("|")
    workspace, _, user_id = rest.partition("|")
    if platform not in Platform._value2member_map_ or not workspace or not user_id:
        raise LinkInvalid("bad subject")
    return PlatformUser(Platform(platform), workspace, user_id)


class PrivacyService:
    """Use cases of a person's own data."""

    def __init__(
        self,
        *,
        data: PersonalData,
        ambassadors: AmbassadorRepository,
        programme: Programme,
        clock: Clock,
        signer: LinkSigner,
        public_url: str,
    ) -> None:
        self._data = data
        self._ambassadors = ambassadors
        self._programme = programme
        self._clock = clock
        self._signer = signer
        self._public_url = public_url.rstrip("/")

    async def export(self, user: PlatformUser) -> DataExport:
        """Everything stored about the person, as one versioned JSON document."""
        now = self._clock.now()
        found = await self._data.export(user)
        document: dict[str, object] = {
            "schema": EXPORT_SCHEMA,
            "version": EXPORT_VERSION,
            "generated_at": now.isoformat(),
            "programme": self._programme.name,
            "requested_by": {
                "platform": user.platform.value,
                "workspace_id": user.workspace_id,
                "user_id": user.user_id,
            },
            "statement": (
                "ambassador"
                if found.is_ambassador
                else ("not_an_ambassador" if not found.empty else "nothing_stored")
            ),
            **found.sections,
        }
        logger.info("personal data exported (%d sections)", len(found.sections))
        return DataExport(f"my-data-{now:%Y-%m-%d}.json", document)

    def download_link(self, user: PlatformUser, locale: str) -> DataLinkView:
        """A link to download the export, signed for this person, valid :data:`LINK_TTL`."""
        expires = self._clock.now() + LINK_TTL
        token = self._signer.sign(MY_DATA_PURPOSE, link_subject(user), expires)
        return DataLinkView(
            locale=locale,
            url=f"{self._public_url}/my-data/{token}",
            valid_minutes=int(LINK_TTL.total_seconds() // 60),
        )

    async def export_from_link(self, token: str) -> DataExport:
        """The export of the person a download link was signed for.

        Raises:
            LinkInvalid: tampered with, or not one of our links.
            LinkExpired: genuine but older than :data:`LINK_TTL`.
        """
        subject = self._signer.verify(MY_DATA_PURPOSE, token, self._clock.now())
        return await self.export(user_of_subject(subject))

    async def forget_me_view(self, user: PlatformUser, locale: str) -> ForgetMeView:
        """What erasing means for this person, before they confirm."""
        found = await self._ambassadors.get_by_user(user)
        return ForgetMeView(locale=locale, is_ambassador=found is not None)

    async def forget_me(self, user: PlatformUser) -> Notice:
        """Erase the person's personal data (they confirmed). A second click, or a retried
        request, finds nothing left and says so kindly."""
        outcome = await self._data.erase(user, now=self._clock.now())
        if not outcome.erased:
            return Notice("forget_me_nothing")
        logger.info(
            "personal data erased: %s",
            ", ".join(f"{table}={n}" for table, n in sorted(outcome.rows.items()) if n),
        )
        return Notice("forget_me_done")


class RetentionWork:
    """The daily job that deletes raw events past their retention, in small batches."""

    def __init__(
        self,
        *,
        events: RawEvents,
        retention_days: Mapping[RawEventKind, int],
        clock: Clock,
        batch: int = PURGE_BATCH,
        max_batches: int = 1_000,
    ) -> None:
        self._events = events
        self._retention = dict(retention_days)
        self._clock = clock
        self._batch = batch
        self._max_batches = max_batches

    async def purge(self) -> Mapping[RawEventKind, int]:
        """Delete what is past its retention; return the rows deleted per table.

        Each batch is its own short transaction, so a large table is never locked for long;
        at most ``max_batches`` batches per table and run (the next day goes on).
        """
        now = self._clock.now()
        deleted: dict[RawEventKind, int] = {}
        for kind, days in sorted(self._retention.items()):
            before = now - timedelta(days=days)
            total = 0
            for _ in range(self._max_batches):
                n = await self._events.purge(kind=kind, before=before, limit=self._batch)
                total += n
                if n < self._batch:
                    break
            deleted[kind] = total
            logger.info("retention: deleted %d %s rows older than %d days", total, kind.value, days)
        return deleted
