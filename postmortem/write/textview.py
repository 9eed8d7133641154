"""The timeline as aligned text for a terminal.

Columns: UTC time, source, actor, text. A line per new UTC day (every day of
a multi-day incident gets one, so times can stay short). Key moments are
marked (``◆ OUTAGE BEGINS``) and, in colour, the whole line stands out.

Colour is ANSI SGR (ECMA-48 §8.3.117), used only when asked or when the
output is a terminal and ``NO_COLOR`` is unset or empty (https://no-color.org/)
and ``TERM`` is not ``dumb``. Text from chat and logs is untrusted: control
characters (C0, DEL, C1 — ESC among them, so no escape sequence of the text's
making reaches the terminal) and bidirectional overrides (Unicode TR #9 §2;
"Trojan Source", CVE-2021-42574) are removed, newlines shown as ``⏎``.
"""

from __future__ import annotations

import os
import re
import textwrap
import unicodedata

from ..core.model import Event, Records
from ..core.timeutil import format_clock
from ..core.vocabulary import KEY_MOMENT_TAGS, KEY_MOMENTS, RESOLVED, alert_state, is_alert

RESET, BOLD, DIM = "\x1b[0m", "\x1b[1m", "\x1b[2m"
RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN = (f"\x1b[{n}m" for n in range(31, 37))
SOURCE_COLOURS = (CYAN, MAGENTA, BLUE, GREEN, YELLOW)
MOMENT_LABELS = {tag: name.upper() for tag, name in KEY_MOMENTS.items()}
ACTOR_WIDTH = 16
TIME_WIDTH = 8

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def use_color(mode: str, stream, environ=None) -> bool:
    """``always``/``never``, or for ``auto``: a terminal, NO_COLOR unset or
    empty, and TERM not ``dumb``."""
    if mode in ("always", "never"):
        return mode == "always"
    environ = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", lambda: False)
    return bool(isatty()) and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def clean(text: str) -> str:
    """One line of untrusted text, safe to print on a terminal."""
    text = _NEWLINES.sub(" ⏎ ", text.strip()).replace("\t", " ")
    return _UNSAFE.sub("", text)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (East Asian wide characters take two)."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut (with …) or padded to exactly ``width`` columns."""
    if display_width(text) > width:
        while display_width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - display_width(text))


def key_tags(event: Event) -> list[str]:
    return [MOMENT_LABELS[t] for t in event.tags if t in KEY_MOMENT_TAGS]


def format_timeline(records: Records, *, color: bool = False, width: int | None = None) -> str:
    """One line per event of the gathered ``records``: UTC time, source, actor,
    text; a line per new day (:func:`postmortem.timeline.filters.filter_events`
    narrows them).

    ``color`` adds ANSI colours; ``width`` (a terminal's columns) wraps long
    texts under the text column."""
    events = records.events
    source_width = max((display_width(e.source) for e in events), default=6)
    actor_width = min(ACTOR_WIDTH, max((display_width(clean(e.actor or "-")) for e in events), default=1))
    indent = TIME_WIDTH + source_width + actor_width + 6
    palette = {s: SOURCE_COLOURS[i % len(SOURCE_COLOURS)] for i, s in enumerate(dict.fromkeys(e.source for e in events))}
    lines, day = [], None
    for event in events:
        if event.time.date() != day:
            day = event.time.date()
            lines.append(_paint(f"--- {day.isoformat()} (UTC) ---", BOLD, color))
        lines.extend(_event_lines(event, source_width, actor_width, indent, width,
                                  palette[event.source] if color else None))
    return "\n".join(lines) + ("\n" if lines else "")


def _event_lines(event: Event, source_width: int, actor_width: int, indent: int,
                 width: int | None, colour: str | None) -> list[str]:
    clock = fit(format_clock(event.time, event.precision, with_date=False), TIME_WIDTH)
    source = fit(event.source, source_width)
    actor = fit(clean(event.actor or "-"), actor_width)
    marks = key_tags(event)
    text = clean(event.text) + (f"  ◆ {', '.join(marks)}" if marks else "")
    parts = _wrap(text, width - indent if width and width - indent >= 20 else None)
    if colour is None:
        first = f"{clock}  {source}  {actor}  {parts[0]}"
    else:
        first = (f"{DIM}{clock}{RESET}  {colour}{source}{RESET}  {BOLD}{actor}{RESET}  "
                 f"{_text_colour(event, parts[0], marks)}")
    rest = [" " * indent + (_text_colour(event, p, marks) if colour else p) for p in parts[1:]]
    return [first.rstrip()] + rest


def _wrap(text: str, width: int | None) -> list[str]:
    if width is None:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _text_colour(event: Event, text: str, marks: list[str]) -> str:
    """Outage moments in bold red, other key moments bold yellow, alerts red
    (resolved ones green)."""
    if any(m.startswith("OUTAGE") for m in marks):
        return f"{BOLD}{RED}{text}{RESET}"
    if marks:
        return f"{BOLD}{YELLOW}{text}{RESET}"
    if is_alert(event):
        return f"{GREEN if alert_state(event) == RESOLVED else RED}{text}{RESET}"
    return text


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text
