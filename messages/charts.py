"""The weekly digest's chart: shares and people's link clicks per week, as a PNG.

Drawn with matplotlib's object API (``Figure`` + the Agg canvas, never ``pyplot``: no global
state, so a worker thread can draw while the event loop goes on). Two bar panels share the
week axis, shares above and clicks below: the two figures differ by orders of magnitude, and
two panels show both honestly where one panel with two y axes would suggest a link between
the heights. Every bar carries its value, the digest's own week is the darker bar, and the
words come from the catalog (``chart.*``) in the digest's language.

800 x 450 pixels, about 30 KB: inside Teams' image limits (1024 x 1024, 1 MB) and legible
in Slack's preview.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.model import WeekActivity
from messages.render import Templates

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
SHARES_COLOUR, SHARES_THIS_WEEK = "#9DB9E0", "#0A66C2"
CLICKS_COLOUR, CLICKS_THIS_WEEK = "#A8D5B0", "#2E7D32"


class MatplotlibCharts:
    """``ChartRenderer`` with matplotlib (imported on first use: about 0.5 s, and only the
    weekly job needs it)."""

    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    def weekly_activity_png(self, weeks: Sequence[WeekActivity], locale: str) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        plain = self._templates.plain
        ticks = [plain("chart.tick", locale, day=w.first_day) for w in weeks]
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        top, bottom = figure.subplots(2, 1, sharex=True)
        positions = list(range(len(weeks)))
        last = len(weeks) - 1
        panels = (
            (top, [w.shares for w in weeks], SHARES_COLOUR, SHARES_THIS_WEEK, "chart.shares"),
            (bottom, [w.clicks for w in weeks], CLICKS_COLOUR, CLICKS_THIS_WEEK, "chart.clicks"),
        )
        for axes, values, colour, highlight, label in panels:
            colours = [highlight if i == last else colour for i in positions]
            bars = axes.bar(positions, values, color=colours, width=0.7)
            axes.bar_label(
                bars,
                labels=[_number(v, locale) for v in values],
                padding=2,
                fontsize=8,
            )
            axes.set_ylabel(plain(label, locale), fontsize=9)
            axes.set_ylim(0, max(max(values, default=0), 1) * 1.25)
            axes.yaxis.set_major_locator(_integer_locator())
            axes.tick_params(axis="y", labelsize=8)
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            axes.grid(axis="y", alpha=0.25)
            axes.set_axisbelow(True)
        bottom.set_xticks(positions, ticks, fontsize=8)
        figure.suptitle(plain("chart.title", locale, weeks=len(weeks)), fontsize=11)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()


MAX_ALT = 1_000  # characters of alt text (Slack's files upload and Teams' altText)


def chart_alt(templates: Templates, weeks: Sequence[WeekActivity], locale: str) -> str:
    """The chart's alt text, every figure in it (the same on Slack and Teams)."""
    return templates.plain(
        "chart.alt",
        locale,
        weeks=len(weeks),
        shares=", ".join(str(w.shares) for w in weeks),
        clicks=", ".join(str(w.clicks) for w in weeks),
    )[:MAX_ALT]


def _number(value: int, locale: str) -> str:
    """1,876 in English, 1 876 (narrow no-break space) in French."""
    return f"{value:,}".replace(",", "\u202f") if locale == "fr" else f"{value:,}"


def _integer_locator() -> object:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True, nbins=4)
