"""The weekly digest: its sections, the chart and its signed link, and what happens when a
part of it fails (the leaderboard still goes out)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest import CHART_LINK_TTL, ChartNotFound, DigestComposer, DigestSettings
from bot.model import Ambassador, Network, Platform, ProgrammeFigures, StatsWindow, WeekActivity
from bot.signing import LinkExpired, LinkInvalid, LinkSigner
from bot.views import WeeklyDigestView
from tests.bot.builders import CHANNELS, PUBLIC_URL, World

PARIS = ZoneInfo("Europe/Paris")
NEXT_MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)
PNG = b"\x89PNG\r\n\x1a\n"


class FakeCharts:
    """``ChartRenderer`` recording what it was asked to draw."""

    def __init__(self, *, fail: bool = False) -> None:
        self.drawn: list[tuple[tuple[WeekActivity, ...], str]] = []
        self.fail = fail

    def weekly_activity_png(self, weeks: Sequence[WeekActivity], locale: str) -> bytes:
        if self.fail:
            raise RuntimeError("no fonts")
        self.drawn.append((tuple(weeks), locale))
        return PNG + repr(weeks[-1]).encode()


class MemoryCharts:
    """``ChartStore`` in a dict."""

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}

    async def save_chart(self, *, key: str, png: bytes, now: datetime) -> None:
        self.images[key] = png

    async def load_chart(self, key: str) -> bytes | None:
        return self.images.get(key)


class BrokenStats:
    """A ``StatsReader`` whose database is down."""

    async def programme(self, window: StatsWindow, *, top: int = 5) -> ProgrammeFigures:
        raise ConnectionError("database hiccup")

    async def weekly_activity(self, weeks: Sequence[StatsWindow]) -> Sequence[tuple[int, int]]:
        raise ConnectionError("database hiccup")

    async def published(self, window: StatsWindow, *, limit: int) -> tuple[list[object], int]:
        raise ConnectionError("database hiccup")


async def direct(function: object, *args: object) -> bytes:
    return function(*args)  # type: ignore[operator, no-any-return]


def composer(
    world: World,
    *,
    charts: FakeCharts | None = None,
    store: MemoryCharts | None = None,
    settings: DigestSettings | None = None,
    stats: object | None = None,
    signer: LinkSigner | None = None,
) -> DigestComposer:
    return DigestComposer(
        stats=stats or world.ports.stats,  # type: ignore[arg-type]
        programme=world.programme,
        clock=world.clock,
        settings=settings,
        charts=charts if charts is not None else FakeCharts(),
        chart_store=store if store is not None else MemoryCharts(),
        signer=signer or LinkSigner(b"k" * 32),
        public_url=PUBLIC_URL,
        to_thread=direct,
    )


async def share_week(world: World) -> dict[str, Ambassador]:
    """Three people join; a post goes out on Wednesday of 2026-W47; two of them share it."""
    people = {n: await world.join(i, name=f"{n} Doe") for i, n in enumerate("ABC", start=1)}
    await world.push(title="Our launch")
    await world.services.sender.drain_all()
    for name in ("A", "B"):
        delivery = world.delivery_of(people[name])
        await world.services.interactions.share_click(
            people[name].user, delivery.id, Network.LINKEDIN
        )
    return people


async def post(world: World, digest: DigestComposer) -> WeeklyDigestView:
    world.clock.set(NEXT_MONDAY_MORNING)
    board = world.board(digest=digest)
    assert await board.post_weekly(holder="replica-1") == len(CHANNELS)
    channel, view = world.gateway.weekly_digests[0]
    assert channel == CHANNELS[0]
    assert [v for _, v in world.gateway.weekly_digests] == [view] * len(CHANNELS)
    return view


async def test_the_digest_carries_every_section(world: World) -> None:
    await share_week(world)
    charts, store = FakeCharts(), MemoryCharts()
    view = await post(world, composer(world, charts=charts, store=store))
    assert view.week_label == "2026-W47" and view.locale == "en"
    assert [e.display_name for e in view.board.entries][:2] == ["A Doe", "B Doe"]
    assert [i.title for i in view.new_content] == ["Our launch"]
    assert view.new_content_total == 1
    assert [(c.label, c.count) for c in view.top_content] == [("Our launch", 2)]
    figures = view.figures
    assert figures is not None
    assert (figures.active_ambassadors, figures.ambassadors) == (2, 3)
    assert (figures.deliveries, figures.shared) == (3, 2)
    assert str(figures.share_rate) == "66.7"
    assert (figures.shares, figures.shares_before) == (2, 0)
    assert figures.shares_change is None  # nothing the week before: no percentage
    # The chart: 8 weeks, oldest first, ending with the digest's week.
    chart = view.chart
    assert chart is not None
    assert [w.label for w in chart.weeks] == [f"2026-W{n}" for n in range(40, 48)]
    assert [w.shares for w in chart.weeks] == [0] * 7 + [2]
    assert chart.filename == "advocacy-2026-W47.png"
    assert charts.drawn == [(chart.weeks, "en")]
    assert store.images == {"2026-W47.en": chart.png}
    assert chart.url is not None and chart.url.startswith(f"{PUBLIC_URL}/charts/")
    assert chart.url.endswith(".png")


async def test_the_chart_link_serves_the_image_until_it_expires(world: World) -> None:
    await share_week(world)
    digest = composer(world)
    view = await post(world, digest)
    assert view.chart is not None and view.chart.url is not None
    token = view.chart.url.removeprefix(f"{PUBLIC_URL}/charts/").removesuffix(".png")
    assert await digest.chart_from_link(token) == view.chart.png
    with pytest.raises(LinkInvalid):
        await digest.chart_from_link(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    later = world.clock.now() + timedelta(days=1)
    other = LinkSigner(b"k" * 32).sign("stats_csv", "2026-W47.en", later)
    with pytest.raises(LinkInvalid):  # a link signed for something else
        await digest.chart_from_link(other)
    world.clock.advance(CHART_LINK_TTL + timedelta(minutes=1))
    with pytest.raises(LinkExpired):
        await digest.chart_from_link(token)


async def test_a_genuine_link_to_a_chart_no_longer_kept(world: World) -> None:
    store = MemoryCharts()
    digest = composer(world, store=store)
    later = world.clock.now() + timedelta(days=1)
    token = LinkSigner(b"k" * 32).sign("digest_chart", "2026-W01.en", later)
    with pytest.raises(ChartNotFound):
        await digest.chart_from_link(token)


async def test_a_quiet_programme_gets_no_chart(world: World) -> None:
    await world.join(1)
    charts = FakeCharts()
    view = await post(world, composer(world, charts=charts))
    assert view.chart is None and charts.drawn == []  # eight empty weeks say nothing
    assert view.new_content == () and view.top_content == ()
    assert view.figures is not None and view.figures.shares == 0


async def test_a_chart_that_cannot_be_drawn_leaves_the_rest(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await share_week(world)
    with caplog.at_level(logging.ERROR, logger="bot.digest"):
        view = await post(world, composer(world, charts=FakeCharts(fail=True)))
    assert view.chart is None
    assert view.figures is not None and view.new_content
    assert "could not draw the chart of 2026-W47" in caplog.text


async def test_a_database_hiccup_still_posts_the_leaderboard(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await share_week(world)
    with caplog.at_level(logging.ERROR, logger="bot.digest"):
        view = await post(world, composer(world, stats=BrokenStats()))
    assert view.board.entries  # the board comes from the rollup, not the stats
    assert (view.new_content, view.top_content, view.figures, view.chart) == ((), (), None, None)
    for section in ("new content", "weekly activity", "figures"):
        assert f"could not read the {section}" in caplog.text


async def test_sections_can_be_turned_off(world: World) -> None:
    await share_week(world)
    off = DigestSettings(new_content=0, top_content=0, figures=False, chart_weeks=0)
    charts = FakeCharts()
    view = await post(world, composer(world, charts=charts, settings=off))
    assert (view.new_content, view.top_content, view.figures, view.chart) == ((), (), None, None)
    assert charts.drawn == []


async def test_chart_weeks_and_list_sizes_follow_the_settings(world: World) -> None:
    await share_week(world)
    await world.push(title="Second", url="https://example.com/second")
    await world.services.sender.drain_all()
    few = DigestSettings(new_content=1, top_content=1, chart_weeks=3)
    view = await post(world, composer(world, settings=few))
    assert [i.title for i in view.new_content] == ["Second"]  # newest first
    assert view.new_content_total == 2
    assert len(view.top_content) == 1
    assert view.chart is not None and [w.label for w in view.chart.weeks] == [
        "2026-W45",
        "2026-W46",
        "2026-W47",
    ]


async def test_without_a_public_url_slack_still_gets_the_chart(world: World) -> None:
    await share_week(world)
    digest = DigestComposer(
        stats=world.ports.stats,
        programme=world.programme,
        clock=world.clock,
        charts=FakeCharts(),
        chart_store=MemoryCharts(),
        signer=LinkSigner(b"k" * 32),
        public_url="",
        to_thread=direct,
    )
    view = await post(world, digest)
    assert view.chart is not None and view.chart.png.startswith(PNG)
    assert view.chart.url is None  # Teams shows no image without a link


async def test_the_week_before_gives_the_change(world: World) -> None:
    people = await share_week(world)  # two shares in 2026-W47
    world.clock.set(NEXT_MONDAY_MORNING + timedelta(days=2))  # 2026-W48
    await world.push(title="Next", url="https://example.com/next")
    await world.services.sender.drain_all()
    for person in people.values():
        delivery = [d for d in world.deliveries() if d.ambassador_id == person.id][-1]
        await world.services.interactions.share_click(person.user, delivery.id, Network.X)
    world.clock.set(NEXT_MONDAY_MORNING + timedelta(days=7))
    await world.board(digest=composer(world)).post_weekly(holder="replica-1")
    _, view = world.gateway.weekly_digests[-1]
    assert view.week_label == "2026-W48"
    assert view.figures is not None
    assert (view.figures.shares, view.figures.shares_before) == (3, 2)
    assert view.figures.shares_change == 50


async def test_no_channel_no_digest_work(world: World) -> None:
    await share_week(world)
    charts = FakeCharts()
    board = world.board(digest=composer(world, charts=charts), channels={})
    world.clock.set(NEXT_MONDAY_MORNING)
    assert await board.post_weekly(holder="replica-1") == 0
    assert charts.drawn == []


async def test_no_digest_work_for_channels_of_a_platform_not_connected(world: World) -> None:
    await share_week(world)
    assert Platform.TEAMS not in world.gateways
    charts = FakeCharts()
    board = world.board(
        digest=composer(world, charts=charts), channels={Platform.TEAMS: ("19:team@thread",)}
    )
    world.clock.set(NEXT_MONDAY_MORNING)
    assert await board.post_weekly(holder="replica-1") == 0
    assert charts.drawn == []
    assert world.gateway.weekly_digests == []


@pytest.mark.parametrize(
    ("now", "before", "change"),
    [(31, 28, 11), (550, 600, -8), (5, 5, 0), (1, 0, None), (3, None, None), (0, 4, -100)],
)
def test_percent_change(now: int, before: int | None, change: int | None) -> None:
    from bot.views import percent_change

    assert percent_change(now, before) == change
