"""The incident as a picture: one SVG timeline made from a jinja2 template.

A time axis in UTC (ticks chosen for the span, 30 minutes to 7 days), one
lane per source, each alert's firing intervals as bars, every other event as
a mark whose text shows on hover, the outage window shaded and the key
moments labelled. No plotting stack: :func:`graph_layout` computes every
coordinate, ``templates/graph.svg.j2`` only writes them out. What it shares
with the metric charts (:mod:`.metric_chart`) — the UTC time axis, the key moments,
the outage, plain SVG 1.1 that MediaWiki accepts, text escaped — is in
:mod:`.axes`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from ..core.model import Event, Incident, Records
from ..core.timeutil import format_clock
from ..core.vocabulary import FIRING, alert_name, alert_state, is_about_a_page, is_alert, same_alert
from ..timeline.merge import SAME_ALERT_WITHIN
from .axes import (DAY, DISPLAY_WIDTH, HOUR, MINUTE, MOMENT_NAMES, MOMENT_ROW, TICK_STEPS, Moment, Outage, Scale,
                   Tick, fit_text, moment_groups, moments, outage, outage_window, svg_environment, text_width, tick_step, ticks,
                   xml_text)
from .source_names import source_name

__all__ = ["DAY", "HOUR", "MINUTE", "MOMENT_NAMES", "MOMENT_ROW", "TICK_STEPS", "Moment", "Outage", "Scale",
           "Tick", "GraphLayout", "firing_intervals", "graph_layout", "graph_span", "outage_window",
           "render_graph", "tick_step", "ticks", "xml_text"]

# Geometry, in SVG user units (= CSS px at 100 %).
WIDTH = DISPLAY_WIDTH
MIN_LEFT, MAX_LEFT = 90, 240   # the column of lane labels: as wide as the longest, within these
RIGHT = 30
TITLE_HEIGHT = 38
ROW = 26              # one row inside a lane
LANE_PAD = 4
AXIS_HEIGHT = 64
# The lanes, named as the report's timeline names sources; chat and logs get a lane each
# (IRC #channel, Slack #channel, SAL), in between.
ALERTS, PAGES, MANUAL = "Alerts", "Pages", "Manual"
# The shortest span drawn: a 5-minute incident still gets a readable axis.
MIN_SPAN = 30 * MINUTE


def graph_span(incident: Incident, events: list[Event]) -> tuple[dt.datetime, dt.datetime]:
    """What the graph shows: the incident and all its events, at least
    MIN_SPAN long, with 3 % of the span as margin on each side."""
    times = [e.time for e in events] + [incident.start] + ([incident.end] if incident.end else [])
    first, last = min(times), max(times)
    last = max(last, first + MIN_SPAN)
    pad = (last - first) * 0.03
    return first - pad, last + pad


# -- alerts: firing intervals ----------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """One firing of one alert: from its firing event to its resolution
    (``end_event`` None: not resolved within the graph, drawn to its end)."""

    key: str
    name: str
    source: str
    lane: str
    start: dt.datetime
    end: dt.datetime
    start_event: Event | None
    end_event: Event | None




def firing_intervals(events: list[Event], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Pair each firing with the next resolution of the same alert (repeated
    firing notifications extend nothing; the same resolution seen twice ends
    it once). A resolution with no firing seen began before ``start``; a
    firing never resolved runs to ``end``."""
    opened: list[Event] = []
    result: list[Interval] = []
    for event in sorted((e for e in events if is_alert(e)), key=lambda e: e.time):
        fired = next((f for f in opened if same_alert(f, event)), None)
        if alert_state(event) == FIRING:
            if fired is None:
                opened.append(event)
        elif fired is not None:
            # by identity: two alerts firing at once can be equal events (same time, source and text)
            opened = [f for f in opened if f is not fired]
            result.append(_interval(fired, event, fired.time, event.time))
        elif not any(i.end_event is not None and same_alert(i.end_event, event)
                     and event.time - i.end <= SAME_ALERT_WITHIN for i in result):
            result.append(_interval(None, event, start, event.time))
    result.extend(_interval(fired, None, fired.time, end) for fired in opened)
    return sorted(result, key=lambda i: (i.start, i.key))


def _interval(fired, resolved, start, end) -> Interval:
    some = fired or resolved
    key = (some.alert.fingerprint or some.alert.name) if some.alert is not None else some.text
    return Interval(key=key, name=alert_name(some), source=some.source, lane=lane_name(some),
                    start=start, end=end, start_event=fired, end_event=resolved)


# -- layout ----------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    """An interval (an alert firing) drawn as a bar, with its hover title and label."""

    interval: Interval
    x: float
    y: float
    width: float
    height: float
    title: str
    label: str


@dataclass(frozen=True)
class Mark:
    """An event drawn as a mark on its lane."""

    event: Event
    x: float
    y: float
    title: str
    key: bool           # carries a key-moment tag


@dataclass(frozen=True)
class Lane:
    """A source's lane: its rows of alert bars, then its row of marks."""

    source: str
    label: str
    y: float
    height: float
    rows: tuple         # alert keys, then "" for the row of marks


@dataclass
class GraphLayout:
    """Everything the SVG template draws, in user units."""

    title: str
    width: int
    height: int
    scale: Scale
    plot_top: float
    plot_bottom: float
    ticks: list
    lanes: list
    bars: list
    marks: list
    moments: list
    outage: Outage | None
    intervals: list = field(default_factory=list)


def lane_name(event: Event) -> str:
    """The lane of an event: Pages, Alerts, its source as the report names it
    (``IRC #wikimedia-operations``, ``Slack #event-platform``, ``SAL``), or Manual."""
    if is_about_a_page(event):
        return PAGES
    if is_alert(event):
        return ALERTS
    name = source_name(event)
    return MANUAL if name in (None, "link") else name


def lane_order(events: list[Event]) -> list[str]:
    """Pages and Alerts first, then the other lanes in order of their first
    event, Manual last."""
    seen = list(dict.fromkeys(lane_name(e) for e in events))
    first = [n for n in (PAGES, ALERTS) if n in seen]
    return first + [n for n in seen if n not in (PAGES, ALERTS, MANUAL)] + ([MANUAL] if MANUAL in seen else [])


def label_column(lanes: list[str]) -> float:
    """Where the plot starts: right of the longest lane label."""
    return min(max([MIN_LEFT] + [text_width(name) + 24 for name in lanes]), MAX_LEFT)


def graph_layout(incident: Incident, events: list[Event]) -> GraphLayout:
    """Compute the whole picture for ``incident`` and its merged timeline."""
    start, end = graph_span(incident, events)
    scale = Scale(start, end, label_column(lane_order(events)), WIDTH - RIGHT)
    labelled, plot_top = moments(moment_groups(events), scale, TITLE_HEIGHT, WIDTH)
    intervals = firing_intervals(events, start, end)
    lanes = _lanes(events, intervals, plot_top)
    plot_bottom = lanes[-1].y + lanes[-1].height if lanes else plot_top + ROW
    rows = {(lane.label, key): lane.y + LANE_PAD + i * ROW for lane in lanes for i, key in enumerate(lane.rows)}
    return GraphLayout(
        title=f"Incident {incident.id} — timeline (UTC)", width=WIDTH,
        height=int(math.ceil(plot_bottom + AXIS_HEIGHT)), scale=scale, plot_top=plot_top,
        plot_bottom=plot_bottom, ticks=ticks(scale), lanes=lanes,
        bars=[_bar(i, scale, rows[(i.lane, i.key)]) for i in intervals],
        marks=[_mark(e, scale, rows[(lane_name(e), "")]) for e in events if not is_alert(e)],
        moments=labelled, outage=outage(events, scale), intervals=intervals)


def _lanes(events: list[Event], intervals: list[Interval], top: float) -> list[Lane]:
    lanes, y = [], top
    for name in lane_order(events):
        keys = list(dict.fromkeys(i.key for i in intervals if i.lane == name))
        if any(lane_name(e) == name and not is_alert(e) for e in events):
            keys.append("")
        height = len(keys) * ROW + 2 * LANE_PAD
        lanes.append(Lane(name, fit_text(name, MAX_LEFT - 24), y, height, tuple(keys)))
        y += height
    return lanes


def _bar(interval: Interval, scale: Scale, row_y: float) -> Bar:
    x0, x1 = scale.x(interval.start), scale.x(interval.end)
    until = (format_clock(interval.end, "second", with_date=True) + " UTC" if interval.end_event
             else "not resolved within the graph")
    since = (format_clock(interval.start, "second", with_date=True) + " UTC" if interval.start_event
             else "before the graph starts")
    title = f"{interval.name} firing from {since} until {until}"
    alert = (interval.start_event or interval.end_event).alert
    summary = alert.summary if alert is not None else None
    if summary:
        title += f"\n{summary}"
    return Bar(interval, x0, row_y + 3, x1 - x0, ROW - 6, title, fit_text(interval.name, WIDTH - x0 - 8))


def _mark(event: Event, scale: Scale, row_y: float) -> Mark:
    who = f"{event.actor}: " if event.actor else ""
    title = f"{format_clock(event.time, event.precision, with_date=True)} UTC ({lane_name(event)}) {who}{event.text}"
    return Mark(event, scale.x(event.time), row_y + ROW / 2, title,
                key=any(t in MOMENT_NAMES for t in event.tags))


# -- rendering -------------------------------------------------------------------

def render_graph(records: Records) -> str:
    """The incident's timeline as an SVG 1.1 document (a string)."""
    layout = graph_layout(records.incident, list(records.events))
    return svg_environment().get_template("graph.svg.j2").render(g=layout)
