"""Curators' stats in the domain: the EMV arithmetic, the share rate, windows, the CSV (and its
formula-injection guard), the rights check, the audit of exports and the signed CSV link."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.clock import FixedClock
from bot.commands import Stats, parse_command
from bot.errors import ContentNotFound, InvalidInput, NotACurator
from bot.model import (
    AuditAction,
    ContentFigures,
    ContentId,
    EmvRates,
    Network,
    Platform,
    PlatformUser,
)
from bot.services import Services
from bot.signing import LinkExpired, LinkInvalid, LinkSigner
from bot.stats import (
    DEFAULT_RATES,
    LINK_TTL,
    STATS_CSV_PURPOSE,
    StatsService,
    estimate_emv,
    safe_cell,
    share_rate,
    stats_csv,
    window_of,
)
from tests.bot.builders import CURATOR, NOW
from tests.bot.fakes import MemoryPorts

SECRET = b"0123456789abcdef0123456789abcdef"
EMPLOYEE = PlatformUser(Platform.SLACK, "T1", "UEMPLOYEE")
D = Decimal


# --- EMV ----------------------------------------------------------------------------------


def test_emv_sums_clicks_and_share_impressions_per_network() -> None:
    emv = estimate_emv(
        {Network.LINKEDIN: 3, Network.X: 7},
        {Network.LINKEDIN: 2, Network.X: 1},
        DEFAULT_RATES,
    )
    by = {line.network: line for line in emv.lines}
    # LinkedIn: 3 x 5.0 = 15.00; 2 shares x 800 = 1600 impressions / 1000 x 30 = 48.00.
    assert (by[Network.LINKEDIN].click_value, by[Network.LINKEDIN].impressions) == (
        D("15.00"),
        1600,
    )
    assert by[Network.LINKEDIN].share_value == D("48.00")
    # X: 7 x 1.5 = 10.50; 1 share x 300 (default) impressions x CPM default 0 = 0.00.
    assert (by[Network.X].click_value, by[Network.X].share_value) == (D("10.50"), D("0.00"))
    assert by[Network.X].impressions == 300
    assert emv.total == D("73.50")
    assert emv.currency == "EUR"
    assert all(isinstance(line.value, Decimal) for line in emv.lines)


def test_emv_falls_back_to_default_rates_and_to_zero() -> None:
    emv = estimate_emv({Network.BLUESKY: 4}, {Network.BLUESKY: 1}, DEFAULT_RATES)
    (line,) = emv.lines
    assert (line.cpc, line.cpm, line.impressions) == (D("1.0"), D(0), 300)
    assert emv.total == D("4.00")
    bare = EmvRates("USD", cpc={}, cpm={}, impressions_per_share={})
    nothing = estimate_emv({Network.X: 10}, {Network.X: 10}, bare)
    assert nothing.total == D("0.00")
    assert nothing.lines[0].impressions == 0
    assert estimate_emv({}, {}, DEFAULT_RATES).total == D(0)


def test_emv_rounds_each_part_half_up_and_the_total_is_their_sum() -> None:
    rates = EmvRates(
        "EUR",
        cpc={"default": D("0.333")},
        cpm={"default": D("12.345")},
        impressions_per_share={"default": 1},
    )
    emv = estimate_emv({Network.X: 1, Network.LINKEDIN: 1}, {Network.X: 1}, rates)
    by = {line.network: line for line in emv.lines}
    assert by[Network.X].click_value == D("0.33")  # 0.333
    assert by[Network.X].share_value == D("0.01")  # 1 / 1000 x 12.345 = 0.012345
    rates_half = EmvRates("EUR", cpc={"default": D("0.125")}, cpm={}, impressions_per_share={})
    assert estimate_emv({Network.X: 1}, {}, rates_half).total == D("0.13")  # half up, not even
    assert emv.total == sum((line.value for line in emv.lines), D(0)) == D("0.67")


def test_share_rate_in_percent() -> None:
    assert share_rate(61, 200) == D("30.5")
    assert share_rate(1, 3) == D("33.3")
    assert share_rate(2, 3) == D("66.7")
    assert share_rate(0, 0) is None


def test_windows() -> None:
    assert window_of("7d", NOW).start == NOW - timedelta(days=7)
    assert window_of("", NOW).label == "30d"
    assert window_of("ALL", NOW).start is None
    with pytest.raises(InvalidInput):
        window_of("12y", NOW)


def test_stats_commands() -> None:
    assert parse_command("stats") == Stats("30d")
    assert parse_command("stats 90d") == Stats("90d")
    assert parse_command("stats #12 all") == Stats("all", 12)
    assert parse_command("stats export 7d") == Stats("7d", None, True)
    assert parse_command("stats csv") == Stats("30d", None, True)
    for bad in ("stats 12y", "stats 7d extra", "stats export 12", "stats 0"):
        with pytest.raises(InvalidInput):
            parse_command(bad)


# --- CSV ----------------------------------------------------------------------------------


def figures(title: str, url: str = "https://example.com/a") -> ContentFigures:
    return ContentFigures(
        content_id=ContentId(3),
        title=title,
        url=url,
        published_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        deliveries=10,
        shared=4,
        share_clicks={Network.LINKEDIN: 3, Network.X: 1},
        confirmed=2,
        clicks={Network.LINKEDIN: 20},
        bot_hits=5,
        reactions=6,
    )


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8 accents right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_rows() -> None:
    (row,) = read_csv(
        stats_csv([figures("Café, «launch»")], DEFAULT_RATES, (Network.LINKEDIN, Network.X))
    )
    assert row == {
        "content_id": "3",
        "title": "Café, «launch»",
        "url": "https://example.com/a",
        "published_at": "2026-11-02T09:00:00+00:00",
        "deliveries": "10",
        "shared_deliveries": "4",
        "share_rate_percent": "40.0",
        "share_clicks_linkedin": "3",
        "share_clicks_x": "1",
        "confirmed_shares": "2",
        "clicks_linkedin": "20",
        "clicks_x": "0",
        "clicks_total": "20",
        "bot_hits": "5",
        "reactions": "6",
        # 20 x 5.0 = 100.00; 3 x 800 / 1000 x 30 = 72.00; X: 1 x 300 x 0 = 0.00
        "emv_eur": "172.00",
    }


@pytest.mark.parametrize(
    "hostile", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
)
def test_csv_cells_never_start_a_formula(hostile: str) -> None:
    (row,) = read_csv(stats_csv([figures(hostile, url=hostile)], DEFAULT_RATES, ()))
    assert row["title"] == "'" + hostile
    assert row["url"] == "'" + hostile
    assert safe_cell("plain") == "plain"
    assert safe_cell(None) == ""


def test_csv_with_no_content_has_its_header() -> None:
    data = stats_csv([], DEFAULT_RATES, (Network.LINKEDIN,))
    assert data.decode("utf-8-sig").splitlines()[0].startswith("content_id,title,url")


# --- the use cases ----------------------------------------------------------------------------


@pytest.fixture
def stats(services: Services, ports: MemoryPorts, clock: FixedClock) -> StatsService:
    return StatsService(
        stats=ports.stats,
        roles=services.roles,
        audit=services.audit,
        clock=clock,
        rates=DEFAULT_RATES,
        networks=(Network.LINKEDIN, Network.X),
        signer=LinkSigner(SECRET),
        public_url="https://go.example.com/",
    )


async def test_only_curators_see_stats(stats: StatsService) -> None:
    with pytest.raises(NotACurator):
        await stats.programme(EMPLOYEE, "30d", "en")
    with pytest.raises(NotACurator):
        await stats.content(EMPLOYEE, 1, "30d", "en")
    with pytest.raises(NotACurator):
        await stats.export(EMPLOYEE, "30d")
    with pytest.raises(NotACurator):
        await stats.export_link(EMPLOYEE, "30d", "en")
    view = await stats.programme(CURATOR, "7d", "fr", command="/advocacy")
    assert (view.window, view.locale, view.share_rate) == ("7d", "fr", None)
    with pytest.raises(ContentNotFound):
        await stats.content(CURATOR, 404, "30d", "en")


async def test_exports_are_audited(stats: StatsService, ports: MemoryPorts) -> None:
    export = await stats.export(CURATOR, "90d")
    assert export.filename == f"advocacy-stats-90d-{NOW:%Y-%m-%d}.csv"
    assert read_csv(export.content) == []
    (entry,) = ports.audit.entries
    assert entry.action == AuditAction.STATS_EXPORTED.value
    assert entry.actor == CURATOR
    assert entry.details == {"rows": 0, "window": "90d"}


async def test_the_csv_link_is_signed_bound_and_expires(
    stats: StatsService, clock: FixedClock, ports: MemoryPorts
) -> None:
    view = await stats.export_link(CURATOR, "all", "en")
    assert view.url.startswith("https://go.example.com/exports/")
    assert view.url.endswith(".csv")
    assert view.valid_minutes == 15
    token = view.url.removeprefix("https://go.example.com/exports/").removesuffix(".csv")
    export = await stats.export_from_link(token)
    assert export.filename.startswith("advocacy-stats-all-")
    assert ports.audit.entries[-1].actor == CURATOR
    # Tampered: another window, another person, or a token of another purpose.
    head, expires, mac = token.split(".")
    with pytest.raises(LinkInvalid):
        await stats.export_from_link(f"{head}x.{expires}.{mac}")
    with pytest.raises(LinkInvalid):
        await stats.export_from_link(
            LinkSigner(SECRET).sign("my-data", "all|slack|T1|UCURATOR", NOW + LINK_TTL)
        )
    # Bound to a curator: a genuine token for someone who is not one is refused.
    with pytest.raises(LinkInvalid):
        await stats.export_from_link(
            LinkSigner(SECRET).sign(STATS_CSV_PURPOSE, "all|slack|T1|UEMPLOYEE", NOW + LINK_TTL)
        )
    clock.advance(LINK_TTL)
    with pytest.raises(LinkExpired):
        await stats.export_from_link(token)
