"""The incident as a picture: one SVG timeline made from a jinja2 template.

A time axis in UTC (ticks chosen for the span, 30 minutes to 7 days), one
lane per source, each alert's firing intervals as bars, every other event as
a mark whose text shows on hover, the outage window shaded and the key
moments labelled. No plotting stack: :func:`graph_layout` computes every
coordinate, ``templates/graph.svg.j2`` only writes them out.

The output is plain SVG 1.1 (https://www.w3.org/TR/SVG11/):

- the root ``<svg>`` carries ``xmlns``, ``version="1.1"``, explicit ``width``,
  ``height`` and ``viewBox`` (SVG 1.1 §5.1.2 "The 'svg' element", §7.7 "The
  'viewBox' attribute"), so MediaWiki can size thumbnails
  (https://www.mediawiki.org/wiki/Help:SVG);
- hover text is a ``<title>`` child (SVG 1.1 §5.4 "The 'desc' and 'title'
  elements"), the only tooltip mechanism that needs no script;
- nothing MediaWiki's upload check refuses (UploadBase::checkSvgScriptCallback,
  https://www.mediawiki.org/wiki/Manual:$wgFileExtensions and Help:SVG): no
  ``<script>``, no event attributes, no ``<foreignObject>``, no external
  references (no ``href`` at all), no DOCTYPE, no stylesheets — only
  presentation attributes.

Text from logs and chat reaches the SVG through jinja2's autoescaping
(``&`` ``<`` ``>`` ``"`` ``'`` become character references, XML 1.0 §2.4) after
:func:`xml_text` removed the characters XML 1.0 does not allow at all (§2.2
"Characters": C0 controls but tab/newline/CR, U+FFFE/U+FFFF, lone surrogates).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from ..core.files import templates_dir
from ..core.model import Event, Incident, Records
from ..timeline.moments import key_moments
from ..core.timeutil import format_clock, format_duration

# Geometry, in SVG user units (= CSS px at 100 %).
WIDTH = 1200
LEFT = 190            # lane labels
RIGHT = 30
TITLE_HEIGHT = 34
MOMENT_ROW = 14       # one row of key-moment labels
ROW = 22              # one row inside a lane
LANE_PAD = 4
AXIS_HEIGHT = 46
CHAR_WIDTH = 6.3      # average advance of an 11 px sans-serif glyph, for layout only
MIN_TICK_SPACING = 80

MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
TICK_STEPS = (MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
              HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY)
# The shortest span drawn: a 5-minute incident still gets a readable axis.
MIN_SPAN = 30 * MINUTE
MOMENT_NAMES = {"outage-begins": "OUTAGE BEGINS", "detection": "detection",
                "mitigation": "mitigation", "outage-ends": "OUTAGE ENDS", "resolved": "resolved"}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value):
    """Strings without the characters XML 1.0 forbids; anything else unchanged.

    Used as the environment's ``finalize``: it runs on every ``{{ … }}``
    before autoescaping."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


# -- scale and ticks -----------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    """Maps UTC times in [start, end] linearly onto x in [left, right]."""

    start: dt.datetime
    end: dt.datetime
    left: float
    right: float

    def x(self, moment: dt.datetime) -> float:
        """The x of ``moment``, clamped to the plot."""
        fraction = (moment - self.start) / (self.end - self.start)
        return self.left + min(max(fraction, 0.0), 1.0) * (self.right - self.left)


def graph_span(incident: Incident, events: list[Event]) -> tuple[dt.datetime, dt.datetime]:
    """What the graph shows: the incident and all its events, at least
    MIN_SPAN long, with 3 % of the span as margin on each side."""
    times = [e.time for e in events] + [incident.start] + ([incident.end] if incident.end else [])
    first, last = min(times), max(times)
    last = max(last, first + MIN_SPAN)
    pad = (last - first) * 0.03
    return first - pad, last + pad


def tick_step(span: dt.timedelta, plot_width: float) -> dt.timedelta:
    """The smallest step in TICK_STEPS that keeps ticks MIN_TICK_SPACING apart."""
    most = max(plot_width / MIN_TICK_SPACING, 1)
    for step in TICK_STEPS:
        if span / step <= most:
            return step
    return TICK_STEPS[-1]


@dataclass(frozen=True)
class Tick:
    time: dt.datetime
    x: float
    label: str          # "14:00", or a date for whole-day steps
    date: str           # the date under the first tick and each midnight; else ""


def ticks(scale: Scale) -> list[Tick]:
    """Ticks at whole multiples of the step counted from UTC midnight."""
    step = tick_step(scale.end - scale.start, scale.right - scale.left)
    midnight = scale.start.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight + step * math.ceil((scale.start - midnight) / step)
    result = []
    while moment <= scale.end:
        result.append(_tick(scale, moment, step, first=not result))
        moment += step
    return result


def _tick(scale: Scale, moment: dt.datetime, step: dt.timedelta, first: bool) -> Tick:
    day = moment.strftime("%Y-%m-%d")
    if step >= DAY:
        return Tick(moment, scale.x(moment), day, "")
    at_midnight = moment.hour == 0 and moment.minute == 0
    return Tick(moment, scale.x(moment), moment.strftime("%H:%M"), day if first or at_midnight else "")


# -- alerts: firing intervals ----------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """One firing of one alert: from its firing event to its resolution
    (``end_event`` None: not resolved within the graph, drawn to its end)."""

    key: str
    name: str
    source: str
    start: dt.datetime
    end: dt.datetime
    start_event: Event | None
    end_event: Event | None


def is_alert(event: Event) -> bool:
    return "alert" in event.tags


def alert_key(event: Event) -> str:
    """What pairs a firing with its resolution: the fingerprint, else the alert name."""
    return event.fields.get("fingerprint") or event.fields.get("alertname") or event.text


def alert_state(event: Event) -> str:
    """``firing`` or ``resolved`` (from the source's ``state``, else the text)."""
    state = event.fields.get("state")
    if state in ("firing", "resolved"):
        return state
    return "resolved" if re.search(r"\bresolved?\b", event.text, re.I) else "firing"


def firing_intervals(events: list[Event], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """Pair each firing with the next resolution of the same alert (repeated
    firing notifications extend nothing). A resolution with no firing seen
    began before ``start``; a firing never resolved runs to ``end``."""
    open_: dict[str, Event] = {}
    result: list[Interval] = []
    for event in sorted((e for e in events if is_alert(e)), key=lambda e: e.time):
        key = alert_key(event)
        if alert_state(event) == "firing":
            open_.setdefault(key, event)
        else:
            fired = open_.pop(key, None)
            result.append(_interval(key, fired, event, fired.time if fired else start, event.time))
    result.extend(_interval(key, fired, None, fired.time, end) for key, fired in open_.items())
    return sorted(result, key=lambda i: (i.start, i.key))


def _interval(key, fired, resolved, start, end) -> Interval:
    some = fired or resolved
    return Interval(key=key, name=some.fields.get("alertname") or some.text, source=some.source,
                    start=start, end=end, start_event=fired, end_event=resolved)


# -- layout ----------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    interval: Interval
    x: float
    y: float
    width: float
    height: float
    title: str
    label: str


@dataclass(frozen=True)
class Mark:
    event: Event
    x: float
    y: float
    title: str
    key: bool           # carries a key-moment tag


@dataclass(frozen=True)
class Lane:
    source: str
    label: str
    y: float
    height: float
    rows: tuple         # alert keys, then "" for the row of marks


@dataclass(frozen=True)
class Moment:
    time: dt.datetime
    x: float
    label: str
    label_y: float
    anchor: str         # "start" or "end" (near the right edge)


@dataclass(frozen=True)
class Outage:
    x: float
    width: float
    title: str


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


def lane_order(events: list[Event]) -> list[str]:
    """Sources with alerts first, then the others, each in order of first event."""
    seen = list(dict.fromkeys(e.source for e in events))
    alerting = {e.source for e in events if is_alert(e)}
    return [s for s in seen if s in alerting] + [s for s in seen if s not in alerting]


def graph_layout(incident: Incident, events: list[Event]) -> GraphLayout:
    """Compute the whole picture for ``incident`` and its merged timeline."""
    start, end = graph_span(incident, events)
    scale = Scale(start, end, LEFT, WIDTH - RIGHT)
    moments = _moment_groups(events)
    label_rows = _label_rows(moments, scale)
    plot_top = TITLE_HEIGHT + MOMENT_ROW * (max(label_rows.values(), default=-1) + 1) + 8
    intervals = firing_intervals(events, start, end)
    lanes = _lanes(events, intervals, plot_top)
    plot_bottom = lanes[-1].y + lanes[-1].height if lanes else plot_top + ROW
    rows = {(lane.source, key): lane.y + LANE_PAD + i * ROW for lane in lanes for i, key in enumerate(lane.rows)}
    return GraphLayout(
        title=f"Incident {incident.id} — timeline (UTC)", width=WIDTH,
        height=int(math.ceil(plot_bottom + AXIS_HEIGHT)), scale=scale, plot_top=plot_top,
        plot_bottom=plot_bottom, ticks=ticks(scale), lanes=lanes,
        bars=[_bar(i, scale, rows[(i.source, i.key)]) for i in intervals],
        marks=[_mark(e, scale, rows[(e.source, "")]) for e in events if not is_alert(e)],
        moments=[_moment(t, names, scale, plot_top, label_rows[t]) for t, names in moments.items()],
        outage=_outage(events, scale), intervals=intervals)


def _lanes(events: list[Event], intervals: list[Interval], top: float) -> list[Lane]:
    lanes, y = [], top
    for source in lane_order(events):
        keys = list(dict.fromkeys(i.key for i in intervals if i.source == source))
        if any(e.source == source and not is_alert(e) for e in events):
            keys.append("")
        height = len(keys) * ROW + 2 * LANE_PAD
        lanes.append(Lane(source, source, y, height, tuple(keys)))
        y += height
    return lanes


def _bar(interval: Interval, scale: Scale, row_y: float) -> Bar:
    x0, x1 = scale.x(interval.start), scale.x(interval.end)
    until = (format_clock(interval.end, "second", with_date=True) + " UTC" if interval.end_event
             else "not resolved within the graph")
    since = (format_clock(interval.start, "second", with_date=True) + " UTC" if interval.start_event
             else "before the graph starts")
    title = f"{interval.name} firing from {since} until {until}"
    summary = (interval.start_event or interval.end_event).fields.get("summary")
    if summary:
        title += f"\n{summary}"
    return Bar(interval, x0, row_y + 3, x1 - x0, ROW - 6, title, interval.name)


def _mark(event: Event, scale: Scale, row_y: float) -> Mark:
    who = f"{event.actor}: " if event.actor else ""
    title = f"{format_clock(event.time, event.precision, with_date=True)} UTC ({event.source}) {who}{event.text}"
    return Mark(event, scale.x(event.time), row_y + ROW / 2, title,
                key=any(t in MOMENT_NAMES for t in event.tags))


def _moment_groups(events: list[Event]) -> dict:
    """Key moments by time: {time: ["OUTAGE BEGINS", "detection"]}."""
    found = key_moments(events).moments
    groups: dict = {}
    for tag in MOMENT_NAMES:
        if tag in found:
            groups.setdefault(found[tag].time, []).append(MOMENT_NAMES[tag])
    return dict(sorted(groups.items()))


def _moment_text(moment: dt.datetime, names: list[str]) -> str:
    return f"{' · '.join(names)} {moment.strftime('%Y-%m-%d %H:%M')}"


def _label_rows(groups: dict, scale: Scale) -> dict:
    """Stack labels that would overlap onto separate rows (greedy, left to right)."""
    ends: list[float] = []
    rows = {}
    for moment, names in groups.items():
        x = scale.x(moment)
        width = len(_moment_text(moment, names)) * CHAR_WIDTH + 8
        left = x - width if x + width > scale.right + RIGHT else x
        row = next((i for i, end in enumerate(ends) if end < left), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = left + width
        rows[moment] = row
    return rows


def _moment(moment: dt.datetime, names: list[str], scale: Scale, plot_top: float, row: int) -> Moment:
    x = scale.x(moment)
    text = _moment_text(moment, names)
    anchor = "end" if x + len(text) * CHAR_WIDTH + 8 > scale.right + RIGHT else "start"
    return Moment(moment, x, text, plot_top - 8 - row * MOMENT_ROW, anchor)


def outage_window(events: list[Event], end: dt.datetime):
    """(begins, ends) from the OUTAGE BEGINS/ENDS key moments; an outage not
    marked as ended runs to ``end``. None without an OUTAGE BEGINS."""
    moments = key_moments(events)
    begins, ends = moments["outage-begins"], moments["outage-ends"]
    if begins is None:
        return None
    return begins.time, (ends.time if ends else end)


def _outage(events: list[Event], scale: Scale) -> Outage | None:
    window = outage_window(events, scale.end)
    if window is None:
        return None
    x0, x1 = scale.x(window[0]), scale.x(window[1])
    return Outage(x0, x1 - x0, f"Outage: {format_duration(window[1] - window[0])}")


# -- rendering -------------------------------------------------------------------

def _number(value: float) -> str:
    """Coordinates with at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _environment():
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True,
        undefined=jinja2.StrictUndefined, finalize=xml_text,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["n"] = _number
    return env


def render_graph(records: Records) -> str:
    """The incident's timeline as an SVG 1.1 document (a string)."""
    layout = graph_layout(records.incident, list(records.events))
    return _environment().get_template("graph.svg.j2").render(g=layout)
