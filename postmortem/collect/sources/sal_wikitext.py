"""Source ``sal-wikitext``: a Server Admin Log page's wikitext, scanned line by line.

Format (written by stashbot, github wikimedia/labs-tools-stashbot,
``stashbot/sal.py`` ``Logger._write_to_wiki``; pages ``Server Admin Log`` and
``Server admin log/Archive N`` on Wikitech)::

    == 2023-09-28 ==
    * 16:24 joal: restart mw-page-content-change-enrich {{!}} again
    * {{safesubst:SAL entry|1=14:33 brennen@deploy2002: Started scap sync-world}}

    == 2023-09-27 ==
    * 23:59 logmsgbot: tchin@deploy2002 helmfile [eqiad] DONE

- Newest first: stashbot inserts each entry at the top of the newest day
  section, opening a new ``== YYYY-MM-DD ==`` section above the others.
- Older archives have headings without a year (``== September 28 ==``); the
  year comes from the ``year`` option, else from the window (the year of its
  last instant), and it is decremented whenever going down the page the month
  increases (December below January: the page crossed New Year backwards).
  An ISO heading resets that context year.
- An entry is ``* HH:MM nick: message`` or, as stashbot writes it,
  ``* {{safesubst:SAL entry|1=HH:MM nick: message}}`` (also ``{{SAL entry|1=…}}``,
  ``subst:``); stashbot escapes ``|`` in the message as ``{{!}}``. Times are UTC,
  to the minute. Nicks look like ``tchin``, ``brennen@deploy2002`` or ``logmsgbot``.
- Other lines are no entries and are ignored: text, ``*`` bullets without a
  ``HH:MM``, entries above the first day heading or under a non-day heading
  (``== Notes ==``; a deeper ``=== sub ===`` inside a day keeps the day).

Only lines starting with ``=`` or ``*`` are looked at — never a full wikitext
parse (DESIGN.md: a full parse of a 2 MB page takes seconds, a line scan tens
of milliseconds). Days after the window are skipped without matching their
entries, and the scan stops at the first day heading before the window.

Events: source ``"sal-wikitext"``, actor = the nick, text = the message as
written except ``{{!}}`` → ``|``, precision ``"minute"``, url None (the wiki
gives SAL lines no id), no tags, fields ``{"date": "YYYY-MM-DD"}`` plus
``{"file": …}`` when read from a file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Iterable

from ...core.errors import IncidentFileError, SourceError, SourceFormatError
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import UTC
from . import check_options, option, resolve_paths

TYPE = "sal-wikitext"
OPTIONS = ("path", "year", "wiki", "page")

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


class SalWikitextSource:
    """A Server Admin Log page: a local file (``path``), or ``wiki`` + ``page``."""

    type = TYPE
    network = False

    def check(self, config: SourceConfig) -> None:
        """Options: ``path`` or ``wiki`` + ``page``; optional integer ``year``."""
        check_options(config, OPTIONS)
        path = option(config, "path")
        wiki, page = option(config, "wiki"), option(config, "page")
        year = option(config, "year", int)
        if year is not None and not 1990 <= year <= 2200:
            raise IncidentFileError(f"{config.name}: 'year' must be a year like 2012, got {year!r}",
                                    file=config.file, key="year")
        if (wiki is None) != (page is None):
            missing = "page" if page is None else "wiki"
            raise IncidentFileError(f"{config.name}: 'wiki' and 'page' go together; {missing!r} is missing",
                                    file=config.file, key=missing)
        if path is None and wiki is None:
            raise IncidentFileError(f"{config.name} needs 'path' (or 'wiki' and 'page')",
                                    file=config.file, key="path")
        if path is not None:
            resolve_paths(config, path)

    def is_network(self, config: SourceConfig) -> bool:
        """``wiki`` + ``page`` is fetched by `pull` into the cache; ``path`` is read from disk."""
        return option(config, "path") is None

    def read(self, config: SourceConfig, window: Window, session=None) -> list[Event]:
        """Events in ``window`` from every file ``path`` names."""
        path = option(config, "path")
        if path is None and session is not None:  # the wiki variant, fetched by `pull`
            from .sal_wiki import read_wiki
            return read_wiki(config, window, session)
        if path is None:
            raise SourceError("not pulled yet: the wiki variant of sal-wikitext is read by `pull`",
                              source=config.name)
        year = option(config, "year", int)
        events: list[Event] = []
        for file in resolve_paths(config, path):
            events.extend(_scan_file(file, window, year))
        events.sort(key=lambda event: event.time)
        return events


def _scan_file(file: Path, window: Window, year: int | None) -> list[Event]:
    """Scan one file lazily, so the lines below the window are never read."""
    try:
        with open(file, encoding="utf-8") as handle:
            return scan_sal_lines(handle, window, year=year, file=file)
    except UnicodeDecodeError as err:
        raise SourceFormatError(f"not UTF-8 text: {err.reason}", file=file, source=TYPE) from None
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror}", file=file, source=TYPE) from None


SOURCE = SalWikitextSource()
