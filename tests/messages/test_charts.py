"""The weekly digest's chart: a real PNG, drawn by matplotlib, in both languages."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.model import WeekActivity
from messages.charts import DPI, HEIGHT_IN, WIDTH_IN, MatplotlibCharts
from messages.render import Templates

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def charts() -> MatplotlibCharts:
    return MatplotlibCharts(Templates())


def weeks(values: list[tuple[int, int]]) -> list[WeekActivity]:
    last = date(2026, 11, 16)
    n = len(values)
    return [
        WeekActivity(f"W{i}", last - timedelta(weeks=n - 1 - i), shares, clicks)
        for i, (shares, clicks) in enumerate(values)
    ]


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_a_png_of_the_expected_size(charts: MatplotlibCharts, locale: str) -> None:
    png = charts.weekly_activity_png(weeks([(12, 340), (30, 800), (0, 0), (47, 1876)]), locale)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))
    assert len(png) < 200_000  # well inside Teams' 1 MB and Slack's preview
    # Something is drawn: the image is not one flat colour.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 10


def test_the_language_changes_the_picture(charts: MatplotlibCharts) -> None:
    data = weeks([(5, 50), (8, 90)])
    assert charts.weekly_activity_png(data, "en") != charts.weekly_activity_png(data, "fr")


def test_all_zero_and_long_series_still_draw(charts: MatplotlibCharts) -> None:
    assert charts.weekly_activity_png(weeks([(0, 0)] * 3), "en").startswith(PNG_SIGNATURE)
    many = [(i, i * 100) for i in range(26)]
    assert charts.weekly_activity_png(weeks(many), "fr").startswith(PNG_SIGNATURE)


def test_the_digest_week_is_highlighted(charts: MatplotlibCharts) -> None:
    png = charts.weekly_activity_png(weeks([(10, 100), (10, 100)]), "en")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = {rgb for _, rgb in image.getcolors(maxcolors=1_000_000) or []}
    assert (0x0A, 0x66, 0xC2) in found  # this week's shares bar
    assert (0x9D, 0xB9, 0xE0) in found  # the week before
