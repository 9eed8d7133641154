"""Incidents per month as an SVG 1.1 bar chart, for the statistics page.

The timeline graph's machinery (:mod:`.axes`) draws it: the same jinja2
environment (XML-safe text, autoescaping, the ``n`` number filter) and the same
linear time :class:`~.axes.Scale` for the x axis, so that a month is as wide as
its days; ``templates/monthchart.svg.j2`` writes the coordinates out in the graph's
palette, with the same SVG 1.1 rules (``version``, ``width``/``height``/
``viewBox``, ``<title>`` for hover text, nothing MediaWiki's upload check
refuses; https://www.w3.org/TR/SVG11/, https://www.mediawiki.org/wiki/Help:SVG).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..core.timeutil import UTC
from ..write.axes import Scale, svg_environment

WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 58, 52
MAX_BAR = 48             # px: a few months still look like bars
Y_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
MIN_LABEL_SPACING = 34   # px between month labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str
    year: str         # the year under January and the first month; else ""


@dataclass(frozen=True)
class ChartLayout:
    """Everything ``monthchart.svg.j2`` draws, in user units."""

    title: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: tuple[Bar, ...]
    y_ticks: tuple[tuple[float, int], ...]     # (y, count)
    labels: tuple[Label, ...]
    median: tuple[float, str] | None           # (y, label)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after ``month``'s."""
    month = month.replace(day=1)
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def y_step(most: int, rows: int = 6) -> int:
    """The smallest step of Y_STEPS that needs at most ``rows`` gridlines."""
    return next((step for step in Y_STEPS if most / step <= rows), Y_STEPS[-1])


def chart_layout(counts: list[tuple[dt.date, int]], median: float | None = None,
                 title: str = "Incidents per month (by start, UTC)") -> ChartLayout:
    """Bars for ``[(first day of the month, incidents)]`` in month order, and the median line."""
    if not counts:
        raise ValueError("no months to draw")
    first, after = counts[0][0], next_month(counts[-1][0])
    scale = Scale(_midnight(first), _midnight(after), LEFT, WIDTH - RIGHT)
    bottom = HEIGHT - BOTTOM
    step = y_step(max(n for _, n in counts) or 1)
    top_count = step * max(1, math.ceil(max(n for _, n in counts) / step))

    def y(count: float) -> float:
        return bottom - (bottom - TOP) * count / top_count

    bars, labels = [], []
    every = max(1, math.ceil(MIN_LABEL_SPACING / ((WIDTH - LEFT - RIGHT) / len(counts))))
    for number, (month, count) in enumerate(counts):
        x0, x1 = scale.x(_midnight(month)), scale.x(_midnight(next_month(month)))
        width = min(MAX_BAR, (x1 - x0) * 0.8)
        noun = "incident" if count == 1 else "incidents"
        bars.append(Bar((x0 + x1 - width) / 2, y(count), width, bottom - y(count), f"{month:%Y-%m}: {count} {noun}"))
        if number % every == 0 or month.month == 1:
            labels.append(Label((x0 + x1) / 2, f"{month:%b}", f"{month:%Y}" if month.month == 1 or not number else ""))
    ticks = tuple((y(n), n) for n in range(0, top_count + 1, step))
    line = (y(median), f"median {median:g} a month") if median is not None else None
    return ChartLayout(title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, bottom, tuple(bars), ticks, tuple(labels), line)


def render_month_chart(counts: list[tuple[dt.date, int]], median: float | None = None) -> str:
    """The chart as an SVG 1.1 document (a string)."""
    return svg_environment().get_template("monthchart.svg.j2").render(c=chart_layout(counts, median))
