"""The line scanner both SAL-on-the-wiki variants share (a file, or a page
fetched by `pull`): day headings and entries, as described in
:mod:`.sal_wikitext`. Only lines starting with ``=`` or ``*`` are looked at."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from ...core.errors import SourceFormatError
from ...core.model import Event, Window
from ...core.timeutil import UTC

TYPE = "sal-wikitext"

MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july",
     "august", "september", "october", "november", "december"), start=1)}

# "== 2023-09-28 ==" / "=== September 28 ===" / "== September 28, 2012 =="
_HEADING = re.compile(r"^(=+)\s*(?P<title>.*?)\s*\1\s*$")
_ISO_DAY = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
_MONTH_DAY = re.compile(r"^(?P<month>[A-Za-z]+)\s+(?P<d>\d{1,2})(?:,?\s+(?P<y>\d{4}))?$")
# "* {{safesubst:SAL entry|1=HH:MM nick: message}}": greedy body up to the last "}}".
_TEMPLATE_ENTRY = re.compile(
    r"^\*\s*\{\{\s*(?:safesubst:|subst:)?\s*[Ss]AL[ _]entry\s*\|\s*(?:1\s*=\s*)?(?P<body>.*)\}\}\s*$")
# "HH:MM nick: message" (nick optional: "HH:MM message" keeps the text, actor None)
_BODY = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})\s+(?:(?P<nick>[^\s:{}\[\]]+):(?:\s+|$))?(?P<msg>.*)$")
_PLAIN_ENTRY = re.compile(r"^\*\s*(?P<body>\d{1,2}:\d{2}\s.*)$")


class _Stop(Exception):
    """Internal: the scan went below the window's first day."""


class _DayTracker:
    """Turns day headings into dates, keeping the year context of old archives."""

    def __init__(self, year: int | None):
        self.year = year
        self.last_month: int | None = None

    def date_of(self, title: str) -> dt.date | None:
        """The date a heading names, or None when it is no day heading."""
        match = _ISO_DAY.match(title)
        if match:
            return self._remember(int(match["y"]), int(match["m"]), int(match["d"]))
        match = _MONTH_DAY.match(title)
        month = MONTHS.get(match["month"].lower()) if match else None
        if month is None:
            return None
        if match["y"]:
            return self._remember(int(match["y"]), month, int(match["d"]))
        if self.last_month is not None and month > self.last_month:
            self.year -= 1  # December below January: crossed New Year going back
        return self._remember(self.year, month, int(match["d"]))

    def _remember(self, year: int, month: int, day: int) -> dt.date:
        date = dt.date(year, month, day)  # ValueError for "September 31"
        self.year, self.last_month = year, month
        return date


def _entry_body(line: str) -> str | None:
    """The ``HH:MM nick: message`` part of an entry line, or None."""
    match = _TEMPLATE_ENTRY.match(line) or _PLAIN_ENTRY.match(line)
    return match["body"] if match else None


def _make_event(date: dt.date, body: str, fields: dict) -> Event | None:
    """An Event from an entry body; None when the body has no ``HH:MM``."""
    match = _BODY.match(body.strip())
    if not match:
        return None
    clock = dt.time(int(match["h"]), int(match["m"]))  # ValueError for 25:70
    text = match["msg"].replace("{{!}}", "|").strip()
    return Event(time=dt.datetime.combine(date, clock, tzinfo=UTC), source=TYPE,
                 text=text, actor=match["nick"], precision="minute", fields=fields)


def _last_day(window: Window) -> dt.date:
    """The last UTC date holding an instant of the half-open window."""
    return max(window.start, window.end - dt.timedelta(microseconds=1)).date()


def scan_sal_lines(lines: Iterable[str], window: Window, *, year: int | None = None,
                   file=None) -> list[Event]:
    """Events in ``window`` from the lines of a SAL page, oldest first.

    ``lines`` may be any iterable (an open file, ``text.splitlines()``); it is
    consumed only down to the first day heading before the window. ``year``
    is the year of the newest heading without a year (default: the window's).
    Raises SourceFormatError (naming ``file`` and the line) for a day heading
    or entry time that is no real date, and when no day heading is found.
    """
    days = _DayTracker(year if year is not None else _last_day(window).year)
    first, last = window.start.date(), _last_day(window)
    date: dt.date | None = None  # current day, None outside day sections or after the window
    seen_day, day_level = False, 0
    events: list[Event] = []
    extra = {"file": str(file)} if file is not None else {}
    number = 0
    try:
        for number, line in enumerate(lines, start=1):
            start = line[:1]
            if start == "*":
                if date is not None:
                    _scan_entry(line, date, window, events, extra)
            elif start == "=":
                level, day = _heading(line, days)
                if day is None:
                    if level and level <= day_level:
                        date = None  # "== Notes ==" ends the day; "=== sub ===" does not
                    continue
                seen_day, day_level = True, level
                if day < first:
                    break
                date = day if day <= last else None
    except UnicodeDecodeError:
        raise  # the caller names the file; not a date problem
    except ValueError as err:
        raise SourceFormatError(f"not a valid SAL date or time: {err}", file=file, line=number,
                                source=TYPE) from None
    if not seen_day:
        raise SourceFormatError("no Server Admin Log day heading (like '== 2023-09-28 ==') found",
                                file=file, source=TYPE)
    events.sort(key=lambda event: event.time)
    return events


def _heading(line: str, days: _DayTracker) -> tuple[int, dt.date | None]:
    """(level, date) of a heading line: level 0 for no heading, date None
    for a heading that names no day."""
    match = _HEADING.match(line.rstrip("\r\n"))
    if not match:
        return 0, None
    return len(match[1]), days.date_of(match["title"])


def _scan_entry(line: str, date: dt.date, window: Window, events: list, extra: dict) -> None:
    """Append the entry on ``line`` to ``events`` when it is one and in the window."""
    body = _entry_body(line.rstrip("\r\n"))
    if body is None:
        return
    event = _make_event(date, body, {"date": date.isoformat(), **extra})
    if event is not None and event.time in window:
        events.append(event)
