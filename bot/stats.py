"""Curators' stats: programme and per-content figures, the earned-media-value estimate and
the CSV export (a file on Slack, a signed link valid :data:`LINK_TTL` on Teams).

Definitions (shown to curators in the message and the README):

- **deliveries**: suggestion DMs sent in the window;
- **share rate**: of those deliveries, the share of them whose person pressed a share
  button or confirmed "I shared it" (at any time since), in percent;
- **share clicks**: share-button clicks, one per delivery and network;
- **clicks**: visits of tracked links recognised as people (bots counted apart);
- **EMV** (an estimate): sum clicks_n x CPC_n + sum share clicks_n x impressions_per_share_n /
  1000 x CPM_n, per network n, each part rounded to cents (half up), the total their sum.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.errors import AdvocacyError, ContentNotFound, InvalidInput
from bot.model import (
    AuditAction,
    ContentFigures,
    ContentId,
    DepartmentStats,
    EmvEstimate,
    EmvLine,
    EmvRates,
    Network,
    PlatformUser,
    StatsWindow,
)
from bot.ports import Clock, StatsReader
from bot.privacy import link_subject, user_of_subject
from bot.roles import AuditTrail, RoleService
from bot.signing import LinkInvalid, LinkSigner
from bot.views import ContentStatsView, StatsLinkView, StatsView

logger = logging.getLogger(__name__)

WINDOWS: Mapping[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
DEFAULT_WINDOW = "30d"
STATS_CSV_PURPOSE = "stats_csv"
LINK_TTL = timedelta(minutes=15)
EXPORT_LIMIT = 5_000  # content rows in one export (newest first)
CENTS = Decimal("0.01")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

DEFAULT_RATES = EmvRates(
    currency="EUR",
    cpc={"linkedin": Decimal("5.0"), "x": Decimal("1.5"), "default": Decimal("1.0")},
    cpm={"linkedin": Decimal("30.0"), "default": Decimal(0)},
    impressions_per_share={"linkedin": 800, "default": 300},
)


def department_order(d: DepartmentStats) -> tuple[int, int, str]:
    """Most deliveries shared first; then people with a team, by name; "(none)" last."""
    return (-d.shared, 1 if d.team is None else 0, (d.team or "").lower())


def window_of(label: str, end: datetime) -> StatsWindow:
    """The window a label names (7d, 30d, 90d, all; empty: 30d), ending at ``end``.

    Raises:
        InvalidInput: not one of those labels.
    """
    key = label.strip().lower() or DEFAULT_WINDOW
    if key not in WINDOWS:
        raise InvalidInput("stats_bad_window", field="window", window=label[:20])
    days = WINDOWS[key]
    return StatsWindow(
        start=None if days is None else end - timedelta(days=days), end=end, label=key
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def estimate_emv(
    clicks: Mapping[Network, int], shares: Mapping[Network, int], rates: EmvRates
) -> EmvEstimate:
    """The earned media value: sum clicks_n x CPC_n + sum shares_n x impressions_n / 1000 x CPM_n.

    A network missing from a rate table takes its ``default`` (else 0). Each part is
    rounded to cents (half up) and the total is the sum of the rounded parts, so the
    figures shown add up exactly.

    Args:
        clicks: non-bot tracked-link clicks per network.
        shares: share-button clicks per network.
        rates: the configured CPC, CPM and impressions per share.
    """
    lines = []
    for network in sorted(set(clicks) | set(shares), key=lambda n: n.value):
        n_clicks, n_shares = clicks.get(network, 0), shares.get(network, 0)
        cpc, cpm = rates.of(rates.cpc, network), rates.of(rates.cpm, network)
        impressions = n_shares * rates.impressions_of(network)
        lines.append(
            EmvLine(
                network=network,
                clicks=n_clicks,
                cpc=cpc,
                click_value=_cents(n_clicks * cpc),
                shares=n_shares,
                impressions=impressions,
                cpm=cpm,
                share_value=_cents(Decimal(impressions) / 1000 * cpm),
            )
        )
    return EmvEstimate(rates.currency, tuple(lines), sum((x.value for x in lines), Decimal(0)))


def share_rate(shared: int, deliveries: int) -> Decimal | None:
    """Shared deliveries / deliveries sent, in percent with one decimal (None if none sent)."""
    if deliveries <= 0:
        return None
    return (Decimal(100) * shared / deliveries).quantize(Decimal("0.1"), ROUND_HALF_UP)


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet never runs as a formula: text starting with = + - @ (or a
    tab or carriage return) gets a leading apostrophe (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def stats_csv(
    rows: Sequence[ContentFigures], rates: EmvRates, networks: Sequence[Network]
) -> bytes:
    """The per-content export: one header line, one line per content (UTF-8 with a BOM, so
    spreadsheets read accents right; every text cell guarded by :func:`safe_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "content_id",
            "title",
            "url",
            "published_at",
            "deliveries",
            "shared_deliveries",
            "share_rate_percent",
            *(f"share_clicks_{n.value}" for n in networks),
            "confirmed_shares",
            *(f"clicks_{n.value}" for n in networks),
            "clicks_total",
            "bot_hits",
            "reactions",
            f"emv_{rates.currency.lower()}",
        ]
    )
    for f in rows:
        rate = share_rate(f.shared, f.deliveries)
        writer.writerow(
            [
                f.content_id,
                safe_cell(f.title),
                safe_cell(f.url),
                f.published_at.isoformat() if f.published_at else "",
                f.deliveries,
                f.shared,
                "" if rate is None else str(rate),
                *(f.share_clicks.get(n, 0) for n in networks),
                f.confirmed,
                *(f.clicks.get(n, 0) for n in networks),
                sum(f.clicks.values()),
                f.bot_hits,
                f.reactions,
                str(estimate_emv(f.clicks, f.share_clicks, rates).total),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


class StatsUnavailable(AdvocacyError):
    """Stats are not wired in this process (a test set-up without them)."""

    notice_key = "stats_unavailable"


@dataclass(frozen=True)
class StatsExport:
    """The CSV as a file."""

    filename: str
    content: bytes


class StatsService:
    """``stats``, ``stats <id>``, ``stats export``: curators only."""

    def __init__(
        self,
        *,
        stats: StatsReader,
        roles: RoleService,
        audit: AuditTrail,
        clock: Clock,
        rates: EmvRates,
        networks: Sequence[Network],
        signer: LinkSigner,
        public_url: str,
    ) -> None:
        self._stats = stats
        self._roles = roles
        self._audit = audit
        self._clock = clock
        self._rates = rates
        self._networks = tuple(networks)
        self._signer = signer
        self._public_url = public_url.rstrip("/")

    async def programme(
        self, user: PlatformUser, window: str, locale: str, *, command: str = ""
    ) -> StatsView:
        """The programme's figures in the window (7d, 30d, 90d, all)."""
        await self._roles.require_curator(user)
        figures = await self._stats.programme(window_of(window, self._clock.now()))
        return StatsView(
            locale=locale,
            window=window.strip().lower() or DEFAULT_WINDOW,
            figures=figures,
            emv=estimate_emv(figures.clicks, figures.share_clicks, self._rates),
            share_rate=share_rate(figures.shared, figures.deliveries),
            command=command,
        )

    async def content(
        self, user: PlatformUser, content_id: int, window: str, locale: str
    ) -> ContentStatsView:
        """One content's figures in the window."""
        await self._roles.require_curator(user)
        found = await self._stats.content(
            ContentId(content_id), window_of(window, self._clock.now())
        )
        if found is None:
            raise ContentNotFound(str(content_id))
        return ContentStatsView(
            locale=locale,
            window=window.strip().lower() or DEFAULT_WINDOW,
            figures=found,
            emv=estimate_emv(found.clicks, found.share_clicks, self._rates),
            share_rate=share_rate(found.shared, found.deliveries),
        )

    async def export(self, user: PlatformUser, window: str) -> StatsExport:
        """The per-content CSV (curators; recorded in the audit log)."""
        await self._roles.require_curator(user)
        span = window_of(window, self._clock.now())
        rows = await self._stats.contents(span, limit=EXPORT_LIMIT)
        content = stats_csv(rows, self._rates, self._networks)
        await self._audit.record(
            user,
            AuditAction.STATS_EXPORTED,
            target=f"stats:{span.label}",
            details={"rows": len(rows), "window": span.label},
        )
        logger.info("stats exported: %d content rows, window %s", len(rows), span.label)
        return StatsExport(f"advocacy-stats-{span.label}-{span.end:%Y-%m-%d}.csv", content)

    async def export_link(self, user: PlatformUser, window: str, locale: str) -> StatsLinkView:
        """A link to the CSV, signed for this curator, valid :data:`LINK_TTL` (Teams)."""
        await self._roles.require_curator(user)
        label = window_of(window, self._clock.now()).label
        token = self._signer.sign(
            STATS_CSV_PURPOSE, f"{label}|{link_subject(user)}", self._clock.now() + LINK_TTL
        )
        return StatsLinkView(
            locale=locale,
            url=f"{self._public_url}/exports/{token}.csv",
            valid_minutes=int(LINK_TTL.total_seconds() // 60),
            window=label,
        )

    async def export_from_link(self, token: str) -> StatsExport:
        """The CSV a download link was signed for; the curator must still be one.

        Raises:
            LinkInvalid: tampered with, not one of our links, or its holder is no longer
                a curator.
            LinkExpired: genuine but older than :data:`LINK_TTL`.
        """
        subject = self._signer.verify(STATS_CSV_PURPOSE, token, self._clock.now())
        label, _, person = subject.partition("|")
        if label not in WINDOWS:
            raise LinkInvalid("bad window")
        user = user_of_subject(person)
        if not await self._roles.is_curator(user):
            raise LinkInvalid("no longer a curator")
        return await self.export(user, label)
