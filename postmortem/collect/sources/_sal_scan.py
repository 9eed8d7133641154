"""The line scanner both SAL-on-the-wiki variants share (a file, or a page
fetched by `pull`): day headings and entries, as described in
:mod:`.sal_wikitext`. Only lines starting with ``=`` or ``*`` are looked at."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from ...core.accounting import Tally
from ...core.errors import SourceFormatError
from ...core.lazy_regex import LazyRegex
from ...core.model import Event, Window
from ...core.timeutil import UTC, month_number
from ...core.log_lines import logged_by
from ...core.vocabulary import Place

TYPE = "sal-wikitext"

# "== 2023-09-28 ==" / "=== September 28 ===" / "== September 28, 2012 =="
_HEADING = LazyRegex(r"^(=+)\s*(?P<title>.*?)\s*\1\s*$")
_ISO_DAY = LazyRegex(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
_MONTH_DAY = LazyRegex(r"^(?P<month>[A-Za-z]+)\s+(?P<d>\d{1,2})(?:,?\s+(?P<y>\d{4}))?$")
# "* {{safesubst:SAL entry|1=HH:MM nick: message}}": greedy body up to the last "}}".
_TEMPLATE_ENTRY = LazyRegex(
    r"^\*\s*\{\{\s*(?:safesubst:|subst:)?\s*[Ss]AL[ _]entry\s*\|\s*(?:1\s*=\s*)?(?P<body>.*)\}\}\s*$")
# "HH:MM nick: message" (nick optional: "HH:MM message" keeps the text, actor None)
_BODY = LazyRegex(r"^(?P<h>\d{1,2}):(?P<m>\d{2})\s+(?:(?P<nick>[^\s:{}\[\]]+):(?:\s+|$))?(?P<msg>.*)$")
_PLAIN_ENTRY = LazyRegex(r"^\*\s*(?P<body>\d{1,2}:\d{2}\s.*)$")

class _DayTracker:
    """Turns day headings into dates, keeping the year context of old archives:
    a heading without a year has the year of the heading before it, one less
    when going down a newest-first page the month grows (December below January:
    New Year crossed going back), one more when it shrinks on an oldest-first page."""

    def __init__(self, year: int | None):
        self.year = year
        self.last_month: int | None = None

    def date_of(self, title: str, ascending: bool | None) -> dt.date | None:
        """The date a heading names, or None when it is no day heading."""
        match = _ISO_DAY.match(title)
        if match:
            return self._remember(int(match["y"]), int(match["m"]), int(match["d"]))
        match = _MONTH_DAY.match(title)
        month = month_number(match["month"]) if match else None
        if month is None:
            return None
        if match["y"]:
            return self._remember(int(match["y"]), month, int(match["d"]))
        if self.last_month is not None:
            if ascending and month < self.last_month:
                self.year += 1
            elif not ascending and month > self.last_month:
                self.year -= 1
        return self._remember(self.year, month, int(match["d"]))

    def _remember(self, year: int, month: int, day: int) -> dt.date:
        date = dt.date(year, month, day)  # ValueError for "September 31"
        self.year, self.last_month = year, month
        return date


def _entry_body(line: str) -> str | None:
    """The ``HH:MM nick: message`` part of an entry line, or None."""
    match = _TEMPLATE_ENTRY.match(line) or _PLAIN_ENTRY.match(line)
    return match["body"] if match else None


def _make_event(date: dt.date, body: str, fields: dict, place: Place | None = None) -> Event | None:
    """An Event from an entry body; None when the body has no ``HH:MM``."""
    match = _BODY.match(body.strip())
    if not match:
        return None
    clock = dt.time(int(match["h"]), int(match["m"]))  # ValueError for 25:70
    text = match["msg"].replace("{{!}}", "|").strip()
    actor, text, entry = logged_by(match["nick"], text)
    return Event(time=dt.datetime.combine(date, clock, tzinfo=UTC), source=TYPE, text=text, actor=actor,
                 precision="minute", fields=fields, log=entry, place=place)


def _last_day(window: Window) -> dt.date:
    """The last UTC date holding an instant of the half-open window."""
    return max(window.start, window.end - dt.timedelta(microseconds=1)).date()


@dataclass
class SalScan:
    """What a scan found: the events in the window, and the oldest day heading
    seen (whether the page reaches back to the window's first day)."""

    events: list[Event] = field(default_factory=list)
    oldest_day: dt.date | None = None


def scan_sal_lines(lines: Iterable[str], window: Window, *, year: int | None = None,
                   file=None, tally: Tally | None = None) -> list[Event]:
    """Events in ``window`` from the lines of a SAL page, oldest first (see
    :func:`scan_sal_page`)."""
    return scan_sal_page(lines, window, year=year, file=file, tally=tally).events


def scan_sal_page(lines: Iterable[str], window: Window, *, year: int | None = None,
                  file=None, tally: Tally | None = None) -> SalScan:
    """Scan the lines of a SAL page written newest first (stashbot's order) or
    oldest first (the order is told from the day headings as they come), to its end.

    ``lines`` may be any iterable (an open file, ``text.splitlines()``).
    ``year`` is the year of the first heading without a year (default: the
    window's). Every entry is counted in ``tally``; only those of the window's
    days are parsed (the others are read, outside the window). A bullet in a day
    section that is no ``HH:MM`` entry, an entry whose time cannot be, and the
    entries under a day heading that is no real date are skipped, said so with
    ``file`` and the line. SourceFormatError when no day heading is found.
    """
    scanner = _Scanner(window, _DayTracker(year if year is not None else _last_day(window).year),
                       file, tally if tally is not None else Tally())
    for number, line in enumerate(lines, start=1):
        scanner.line(line, number)
    if scanner.oldest is None and not scanner.undated_headings:
        raise SourceFormatError("no Server Admin Log day heading (like '== 2023-09-28 ==') found",
                                file=file, source=TYPE)
    scanner.events.sort(key=lambda event: event.time)
    return SalScan(scanner.events, scanner.oldest)


class _Scanner:
    """The state of one scan: the current day, the order of the days, the events."""

    def __init__(self, window: Window, days: _DayTracker, file, tally: Tally):
        self.window, self.days, self.file, self.tally = window, days, file, tally
        self.first, self.last = window.start.date(), _last_day(window)
        self.date: dt.date | None = None  # current day; None outside day sections and the window
        self.in_day = False               # in a day section, inside the window or not
        self.undated: str | None = None   # in a section whose day heading is no real date: why
        self.undated_headings = 0
        self.previous: dt.date | None = None
        self.oldest: dt.date | None = None
        self.ascending: bool | None = None   # known from the second day heading on
        self.day_level = 0
        self.events: list[Event] = []

    def line(self, line: str, number: int) -> None:
        """Take one line (only ``*`` bullets and ``=`` headings say anything)."""
        start = line[:1]
        if start == "*" and self.date is not None:
            self._entry(line.rstrip("\r\n"), number)
        elif start == "*" and self.undated is not None:
            self.tally.count()
            self.tally.skip(self.undated, self.file, number)
        elif start == "*" and self.in_day:
            self.tally.count()  # an entry of a day outside the window: read, and outside it
        elif start == "=":
            self._heading(line.rstrip("\r\n"), number)

    def _heading(self, line: str, number: int) -> None:
        match = _HEADING.match(line)
        if not match:
            return
        level = len(match[1])
        try:
            day = self.days.date_of(match["title"], self.ascending)
        except ValueError:  # "September 31"
            self._enter(None, level, undated=f"an entry under the day heading {match['title']!r} "
                                             f"(line {number}), which is no real date")
            self.undated_headings += 1
            return
        if day is None:
            if level <= self.day_level:  # "== Notes ==" ends the day; "=== sub ===" does not
                self.date, self.in_day, self.undated = None, False, None
            return
        if self.previous is not None and day != self.previous:
            self.ascending = day > self.previous
        self.previous = day
        self.oldest = day if self.oldest is None else min(self.oldest, day)
        self._enter(day if self.first <= day <= self.last else None, level)

    def _enter(self, date: dt.date | None, level: int, undated: str | None = None) -> None:
        """A day section begins: ``date`` when it is one of the window's days."""
        self.date, self.day_level, self.undated = date, level, undated
        self.in_day = undated is None

    def _entry(self, line: str, number: int) -> None:
        self.tally.count()
        body = _entry_body(line)
        place = Place(str(self.file), number) if self.file is not None else None
        try:
            event = _make_event(self.date, body, {"date": self.date.isoformat()}, place) if body else None
        except ValueError:  # "25:99"
            self.tally.skip(f"an entry whose time is no time of day: {line[:80]!r}", self.file, number)
            return
        if event is None:
            self.tally.skip("a bullet in a day section that is no 'HH:MM nick: message' entry",
                            self.file, number)
        elif event.time in self.window:
            self.events.append(event)
