"""A ``[[graph]]`` as a picture: an SVG 1.1 line chart of its series.

The time axis, the key moments (outage begins and ends, detection,
mitigation, resolved, and every page) as labelled vertical lines, the outage
shaded, the colours and the SVG rules are the timeline graph's
(:mod:`.axes`). One line per series, in order of their labels, with a legend
when there are several; a point's time, value and series show on hover (a
``<title>``, SVG 1.1 §5.4). Where a series has no point for a step — or a
value that is not a number (NaN, ±Inf) — its line stops and starts again
after the gap: nothing is joined over missing data. The y axis starts at
zero (or below, for negative values), its ticks are round numbers
(1, 2, 2.5 or 5 times a power of ten) with k/M/G for large ones, and the
unit is written beside it.

:func:`chart_layout` computes every coordinate; ``templates/chart.svg.j2``
writes them out. A graph with nothing to draw (no series, or no finite
value) is no picture: :func:`drawable` says so, and the report says why
in one line instead (:mod:`.view`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..core.model import GraphData, Records, Series
from ..core.timeutil import format_clock
from .axes import (DISPLAY_WIDTH, SERIES_COLOURS, Moment, Outage, Scale, Tick, fit_text, moment_groups,
                   moment_text, moments, number, outage, svg_environment, text_width, ticks)

# Geometry, in SVG user units (= CSS px at 100 %).
WIDTH = DISPLAY_WIDTH
LEFT = 84             # y tick labels and the unit
RIGHT = 30
HEADING = 22          # baseline of the title
SUBTITLE = 42         # baseline of the incident and query line
TOP = 50              # below the titles: the rows of key-moment labels
PLOT_HEIGHT = 260
AXIS_HEIGHT = 64
LEGEND_ROW = 22
MAX_LEGEND = 12       # entries listed; more series are drawn, and counted in one line
Y_TICKS = 5
DENSE = 6             # px between points under which markers are invisible (hover targets only)


def drawable(graph: GraphData) -> bool:
    """True when the graph has at least one finite value to draw."""
    return graph.missing is None and any(math.isfinite(v) for s in graph.series for _, v in s.points)


def not_drawn(graph: GraphData) -> str | None:
    """Why the graph has no picture, in one sentence; None when it has one."""
    if drawable(graph):
        return None
    head = f"Graph \"{graph.config.title}\" is not drawn:"
    if graph.missing is not None:
        return f"{head} the last pull could not read it ({graph.missing})."
    span = f"from {graph.window.start:%Y-%m-%d %H:%M} to {graph.window.end:%Y-%m-%d %H:%M} UTC"
    if not graph.series:
        return f"{head} its query returned no data {span}."
    return f"{head} its query returned no numbers {span} (only NaN or ±Inf)."


# -- y axis ----------------------------------------------------------------------

@dataclass(frozen=True)
class YScale:
    """Maps values in [low, high] linearly onto y in [bottom, top] (up is more)."""

    low: float
    high: float
    top: float
    bottom: float

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)


def nice_step(span: float, count: int = Y_TICKS) -> float:
    """1, 2, 2.5 or 5 times a power of ten: at most ``count`` steps over ``span``."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))


def y_scale(values: list[float], top: float, bottom: float) -> tuple[YScale, float]:
    """The y scale over ``values`` and zero, to round numbers; and its tick step."""
    low, high = min(min(values), 0.0), max(max(values), 0.0)
    if high == low:
        high = low + 1.0
    step = nice_step(high - low)
    low = math.floor(low / step + 1e-9) * step
    high = math.ceil(high / step - 1e-9) * step
    return YScale(low, high, top, bottom), step


_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def tick_label(value: float, step: float, largest: float) -> str:
    """A y tick: ``0.25``, ``1.5k``, ``20M`` — as many decimals as the step needs."""
    scale, suffix = next(((f, s) for f, s in _PREFIXES if largest >= f), (1.0, ""))
    scaled_step = step / scale
    decimals = max(0, -math.floor(math.log10(scaled_step) + 1e-9))
    if abs(round(scaled_step * 10 ** decimals) - scaled_step * 10 ** decimals) > 1e-6:
        decimals += 1
    text = f"{value / scale:.{decimals}f}"
    return ("0" if float(text) == 0 else text) + (suffix if float(text) else "")


def value_text(value: float) -> str:
    """A point's value as exact as is readable: ``8,503,211``, ``0.0425``, ``1.5``."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 1e6 else f"{value:.6g}"


# -- the lines -----------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    """One series: its colour, legend label, runs (polyline point lists, one
    per stretch without a gap) and points."""

    colour: str
    label: str
    runs: tuple[str, ...]
    points: tuple[Point, ...]
    visible: bool       # markers drawn (sparse points), else hover targets only


@dataclass(frozen=True)
class LegendEntry:
    x: float
    y: float
    colour: str
    label: str


def series_labels(series: tuple[Series, ...]) -> list[str]:
    """Each series' name in the legend: the labels that tell it from the others
    (``code=500, method=GET``; ``site eqiad`` where one label does),
    ``{}`` for one without them; all its labels (maybe none: "") for a single series."""
    keys = sorted({k for s in series for k in s.labels})
    if len(series) == 1:
        return [", ".join(f"{k}={v}" for k, v in sorted(series[0].labels.items()))]
    varying = [k for k in keys if len({s.labels.get(k) for s in series}) > 1]
    if len(varying) == 1 and all(varying[0] in s.labels for s in series):   # as people say it: "site eqiad"
        return [f"{varying[0]} {s.labels[varying[0]]}" for s in series]
    return [", ".join(f"{k}={s.labels[k]}" for k in varying if k in s.labels) or "{}" for s in series]


def runs(points: tuple[tuple[dt.datetime, float], ...], step: int) -> list[list[tuple[dt.datetime, float]]]:
    """Stretches of finite points, each next point at most one step (and a half) later."""
    result: list[list] = []
    previous = None
    for moment, value in points:
        if not math.isfinite(value):
            previous = None
            continue
        if previous is None or (moment - previous).total_seconds() > step * 1.5:
            result.append([])
        result[-1].append((moment, value))
        previous = moment
    return result


def _line(series: Series, label: str, colour: str, step: int, scale: Scale, ys: YScale, unit: str,
          several: bool) -> Line:
    stretches = runs(series.points, step)
    suffix = f" {unit}" if unit else ""
    who = f" — {label}" if several else ""
    points = tuple(Point(scale.x(t), ys.y(v), f"{format_clock(t, 'second' if t.second else 'minute', with_date=True)}"
                                              f" UTC: {value_text(v)}{suffix}{who}")
                   for stretch in stretches for t, v in stretch)
    spacing = (scale.right - scale.left) / max(len(points), 1)
    text = tuple(" ".join(f"{number(scale.x(t))},{number(ys.y(v))}" for t, v in s) for s in stretches if len(s) > 1)
    return Line(colour, label, text, points, visible=spacing >= DENSE)


def _legend(lines: list[Line], top: float) -> tuple[list[LegendEntry], str, float]:
    """Entries flowed left to right in rows; a line counting the series not
    listed; the y below the legend."""
    entries, x, y = [], float(LEFT), top + 12
    for line in lines[:MAX_LEGEND]:
        width = 30 + text_width(line.label) + 16
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = float(LEFT), y + LEGEND_ROW
        entries.append(LegendEntry(x, y, line.colour, line.label))
        x += width
    more = len(lines) - MAX_LEGEND
    rest = f"and {more} more series (hover a line for its labels)" if more > 0 else ""
    if rest:
        y += LEGEND_ROW
    return entries, rest, (y + 10 if entries else top)


# -- layout ----------------------------------------------------------------------

@dataclass
class ChartLayout:
    """Everything the SVG template draws, in user units."""

    title: str
    heading: str
    subtitle: str
    desc: str
    width: int
    height: int
    scale: Scale
    plot_top: float
    plot_bottom: float
    ticks: list[Tick]
    y_ticks: list[tuple[float, str]]
    unit: str
    lines: list[Line]
    legend: list[LegendEntry]
    legend_more: str
    legend_y: float
    moments: list[Moment]
    outage: Outage | None


def chart_layout(records: Records, graph: GraphData) -> ChartLayout:
    """Compute the whole picture of ``graph`` (which must be :func:`drawable`)."""
    if not drawable(graph):
        raise ValueError(f"{graph.config.name}: nothing to draw")
    scale = Scale(graph.window.start, graph.window.end, LEFT, WIDTH - RIGHT)
    groups = moment_groups(records.events, pages=True)
    shown = {t: names for t, names in groups.items() if graph.window.start <= t <= graph.window.end}
    labelled, plot_top = moments(shown, scale, TOP, WIDTH)
    plot_bottom = plot_top + PLOT_HEIGHT
    values = [v for s in graph.series for _, v in s.points if math.isfinite(v)]
    ys, step = y_scale(values, plot_top, plot_bottom)
    unit = graph.config.unit or ""
    labels = series_labels(graph.series)
    lines = [_line(s, label, SERIES_COLOURS[i % len(SERIES_COLOURS)], graph.step, scale, ys, unit,
                   several=len(graph.series) > 1)
             for i, (s, label) in enumerate(zip(graph.series, labels))]
    legend, more, bottom = _legend(lines if len(lines) > 1 else [], plot_bottom + AXIS_HEIGHT)
    y_ticks = [(ys.y(v), tick_label(v, step, max(abs(ys.low), abs(ys.high))))
               for v in _tick_values(ys, step)]
    return ChartLayout(
        title=f"{graph.config.title} — incident {records.incident.id} (UTC)", heading=graph.config.title,
        subtitle=_subtitle(records, graph), desc=_desc(graph, groups, shown), width=WIDTH,
        height=int(math.ceil(bottom + 8)), scale=scale, plot_top=plot_top, plot_bottom=plot_bottom,
        ticks=ticks(scale), y_ticks=y_ticks, unit=unit, lines=lines, legend=legend, legend_more=more,
        legend_y=plot_bottom + AXIS_HEIGHT, moments=labelled, outage=outage(list(records.events), scale))


def _tick_values(ys: YScale, step: float) -> list[float]:
    count = round((ys.high - ys.low) / step)
    return [round(ys.low + i * step, 12) for i in range(count + 1)]


def _subtitle(records: Records, graph: GraphData) -> str:
    """``Incident <id> · one point every 1 min``, cut to fit the width (the
    query is in the picture's description, whole: cut, it read as a machine's)."""
    return fit_text(f"Incident {records.incident.id} · one point every {_every(graph.step)}", WIDTH - 20)


def _every(seconds: int) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _desc(graph: GraphData, groups: dict, shown: dict) -> str:
    """What a reader of the file (or a screen reader) is told beyond the picture."""
    points = sum(len(s.points) for s in graph.series)
    odd = sum(1 for s in graph.series for _, v in s.points if not math.isfinite(v))
    parts = [f"{len(graph.series)} series, {points} points from "
             f"{graph.window.start:%Y-%m-%d %H:%M} to {graph.window.end:%Y-%m-%d %H:%M} UTC, "
             f"one every {_every(graph.step)}" + (f"; query: {graph.config.query}" if graph.config.query else "") + ".",
             "A line stops where its series has no point for a step; hover a point for its value.",
             "Dashed lines: key moments and pages; shaded: the outage."]
    if odd:
        parts.append(f"{odd} points are not numbers (NaN or ±Inf) and shown as gaps.")
    hidden = [moment_text(t, names) for t, names in groups.items() if t not in shown]
    if hidden:
        parts.append(f"Outside the range, so not drawn: {'; '.join(hidden)}.")
    return " ".join(parts)


def render_chart(records: Records, graph: GraphData) -> str:
    """The graph as an SVG 1.1 document (a string); ValueError when it has nothing to draw."""
    return svg_environment().get_template("chart.svg.j2").render(g=chart_layout(records, graph))


def render_charts(records: Records) -> dict[str, str]:
    """``{slug: SVG}`` for every graph of the records that has something to draw."""
    return {graph.config.slug: render_chart(records, graph) for graph in records.graphs if drawable(graph)}
