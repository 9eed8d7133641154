"""What every picture of an incident shares: the UTC time axis, the key-moment
lines, the outage shading, the colours and the SVG writing.

The timeline graph (:mod:`.timeline_picture`) and the metric charts (:mod:`.metric_chart`)
compute their own plots and use these for the rest, so that both read the
same: ticks at round UTC times chosen for the span (1 minute to 7 days), the
date under the first tick and each midnight, the key moments as dashed
vertical lines labelled with their names and times, the outage shaded red.
The templates draw these parts with the macros of
``templates/components/axes.svg.j2``.

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
from dataclasses import dataclass
from typing import Iterable

from ..core.files import compiled_templates, templates_dir
from ..core.model import Event
from ..core.timeutil import format_duration
from ..core.vocabulary import KEY_MOMENTS, is_page
from ..timeline.moments import moments_in

# Every text of a picture is at least body-text size on Wikitech's skin (14 px) when
# the picture is shown at its own width, which the report asks for (DISPLAY_WIDTH).
FONT = 14             # every label, tick and legend
HEADING_FONT = 16
DISPLAY_WIDTH = 900   # the width the pictures are drawn for and embedded at (px)
CHAR_WIDTH = 8.8      # a wide 14 px DejaVu Sans glyph (digits 0.64 em, capitals up to 0.77 em), for layout only
MOMENT_ROW = 19       # one row of key-moment labels
MIN_TICK_SPACING = 100

MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
TICK_STEPS = (MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
              HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY)
MOMENT_NAMES = KEY_MOMENTS
PAGE_NAME = "page"

# Colours of lines and series (Okabe & Ito's palette, told apart with every
# common colour blindness: https://jfly.uni-koeln.de/color/), yellow left out
# as unreadable on white. The red of the outage and the greys of the axes are
# in templates/components/axes.svg.j2.
SERIES_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value):
    """Strings without the characters XML 1.0 forbids; anything else unchanged.

    Used as the environment's ``finalize``: it runs on every ``{{ … }}``
    before autoescaping. Markup (what a macro wrote) went through it already."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
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


# -- key moments -------------------------------------------------------------------

@dataclass(frozen=True)
class Moment:
    time: dt.datetime
    x: float
    label: str
    label_y: float
    anchor: str         # "start" or "end" (near the right edge)


def moment_groups(events: Iterable[Event], *, pages: bool = False) -> dict:
    """Key moments by time: ``{time: ["OUTAGE BEGINS", "detection"]}``; with
    ``pages``, every page too (as "page"; one a minute: the label shows minutes)."""
    events = list(events)
    found = moments_in(events).moments
    groups: dict = {}
    for tag in MOMENT_NAMES:
        if tag in found:
            groups.setdefault(found[tag].time, []).append(MOMENT_NAMES[tag])
    for event in (e for e in events if pages and is_page(e)):
        if _labelled_in_its_minute(groups, event.time):
            continue   # the alert's page and the page written for it: one label, as the label shows the minute
        names = groups.setdefault(event.time, [])
        if PAGE_NAME not in names:
            names.append(PAGE_NAME)
    return dict(sorted(groups.items()))


def _labelled_in_its_minute(groups: dict, moment: dt.datetime) -> bool:
    """Whether a page is already labelled within the minute of ``moment``."""
    minute = moment.replace(second=0, microsecond=0)
    return any(PAGE_NAME in names and t.replace(second=0, microsecond=0) == minute for t, names in groups.items())


def text_width(text: str, bold: bool = False) -> float:
    """How wide ``text`` is at FONT px, a little over DejaVu Sans's advances
    (capitals and digits wide, lower case narrower, spaces and punctuation
    narrow), so that labels placed with it never touch."""
    em = sum(0.78 if c.isupper() or c in "mwMW@%#" else 0.66 if c.isdigit() else
             0.36 if c in " .,:;'|!il()[]-·" else 0.62 for c in text)
    return em * FONT * (1.1 if bold else 1.0)


def fit_text(text: str, width: float) -> str:
    """``text``, or as much of it as fits in ``width`` px, cut at a word and
    ended with " …" (a label too long for its place; its full text is in the
    picture's hover titles or description)."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + " …") > width:
        text = text[:-1]
    word = text.rsplit(" ", 1)[0] if " " in text else text   # at a word, where there is one
    return word.rstrip(" ,;:·") + " …"


def moment_text(moment: dt.datetime, names: list[str], with_date: bool = True) -> str:
    """``OUTAGE BEGINS · detection 2023-09-28 14:33``; a label over an axis of
    one day has the time alone (``… 14:33``): the axis gives the date."""
    return f"{' · '.join(names)} {moment.strftime('%Y-%m-%d %H:%M' if with_date else '%H:%M')}"


def label_rows(groups: dict, scale: Scale, width: float) -> dict:
    """A row for each label (0 is just above the plot), so that no two labels
    overlap and no moment's line, which rises to its own label, runs through
    another label; ``width`` is the picture's, where a label must turn back.
    A label over other moments' lines must sit above them: labels are placed
    fewest lines covered first (then right to left), each on the lowest row
    that fits; one that no row fits gets the lowest row free of other labels."""
    spans = {}
    for moment, names in groups.items():
        x = scale.x(moment)
        text_width = label_width(moment_text(moment, names, with_date=_dated(scale))) + 8
        left = x - text_width if x + text_width > width else x
        spans[moment] = (x, left, left + text_width)

    def covered(moment) -> int:
        _, left, right = spans[moment]
        return sum(1 for other, (x, _, _) in spans.items() if other != moment and left <= x <= right)
    placed: list[tuple[float, float, float, int]] = []     # x, left, right, row
    rows = {}
    for moment in sorted(spans, key=lambda m: (covered(m), -spans[m][0])):
        candidates = range(len(placed) + 1)
        row = next((r for r in candidates if _fits(r, spans[moment], placed, lines=True)), None)
        if row is None:
            row = next(r for r in candidates if _fits(r, spans[moment], placed, lines=False))
        placed.append((*spans[moment], row))
        rows[moment] = row
    return rows


def _dated(scale: Scale) -> bool:
    return scale.start.date() != scale.end.date()


def label_width(text: str) -> float:
    """A key moment's label (bold)."""
    return text_width(text, bold=True)


def _fits(row: int, span: tuple[float, float, float], placed: list, *, lines: bool) -> bool:
    x, left, right = span
    for other_x, other_left, other_right, other_row in placed:
        if other_row == row and other_left < right and left < other_right:
            return False                                   # the labels overlap
        if lines and other_row < row and other_left <= x <= other_right:
            return False                                   # this line would cross that label
        if lines and other_row > row and left <= other_x <= right:
            return False                                   # that line would cross this label
    return True


def moments(groups: dict, scale: Scale, top: float, width: float) -> tuple[list[Moment], float]:
    """The labelled moments above a plot that starts below ``top``, and where
    the plot then starts (below the rows of labels)."""
    rows = label_rows(groups, scale, width)
    plot_top = top + MOMENT_ROW * (max(rows.values(), default=-1) + 1) + 8
    return [_moment(t, names, scale, plot_top, rows[t], width) for t, names in groups.items()], plot_top


def _moment(moment: dt.datetime, names: list[str], scale: Scale, plot_top: float, row: int,
            width: float) -> Moment:
    x = scale.x(moment)
    text = moment_text(moment, names, with_date=_dated(scale))
    anchor = "end" if x + label_width(text) + 8 > width else "start"
    return Moment(moment, x, text, plot_top - 8 - row * MOMENT_ROW, anchor)


# -- the outage -----------------------------------------------------------------------

@dataclass(frozen=True)
class Outage:
    x: float
    width: float
    title: str


def outage_window(events: list[Event], end: dt.datetime):
    """(begins, ends) from the OUTAGE BEGINS/ENDS key moments; an outage not
    marked as ended runs to ``end``. None without an OUTAGE BEGINS."""
    found = moments_in(events)
    begins, ends = found["outage-begins"], found["outage-ends"]
    if begins is None:
        return None
    return begins.time, (ends.time if ends else end)


def outage(events: list[Event], scale: Scale) -> Outage | None:
    """The shaded outage, or None without an OUTAGE BEGINS."""
    window = outage_window(events, scale.end)
    if window is None:
        return None
    x0, x1 = scale.x(window[0]), scale.x(window[1])
    return Outage(x0, x1 - x0, f"Outage: {format_duration(window[1] - window[0])}")


# -- writing SVG ----------------------------------------------------------------------

def number(value: float) -> str:
    """Coordinates with at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def svg_environment():
    """The jinja2 environment of the SVG templates: autoescaped, strict,
    ``xml_text`` on every value, the ``n`` filter for coordinates."""
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True,
        undefined=jinja2.StrictUndefined, finalize=xml_text,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=compiled_templates())
    env.filters["n"] = number
    return env
