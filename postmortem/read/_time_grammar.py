"""The grammar of the moments reports write: one entry point, :func:`read_moment`,
reads the date and time a text starts with (a timeline stamp, a metadata value,
a clock in a prose window) into a :class:`Moment` that says how exact it is.

A moment is, in this order, each part optional but a date or a clock present:

* ``~`` or "about", "around", "approximately", "after": the moment is
  approximate ("at" is only a word);
* a weekday (``Wed``, ``Thurs``; dateutil's names and the longer abbreviations);
* a date: ``2023-01-17``, ``2023_01_17``, ``2023/01/17``, ``Mar 28``,
  ``March 28th,``, ``28 March`` (a year may follow: ``Mar 28 2024``);
* a clock: ``13:00``, ``13:00:07``, ``23:15:02,721`` / ``.721`` (milliseconds),
  ``1:05 PM``, or ``1300`` after a date (``Thurs Mar 28 1300 UTC``);
* the year after the clock, as ctime writes it (``Wed Mar 27 21:45:03 2024``);
* a zone: ``UTC``, ``GMT``, ``Z`` or a word of :file:`zones.toml` (``PST``,
  ``SF time``), bare or in brackets.

Month and weekday names are python-dateutil's :class:`~dateutil.parser.parserinfo`
(extended with ``Tues``, ``Weds``, ``Thurs``); free-form values dateutil reads
whole go through :func:`parse_free`. The precision of a moment is ``day``,
``minute``, ``second`` or ``millisecond``, as written.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from dateutil import parser as _dateutil

from ..core.timeutil import UTC, to_utc


class _Names(_dateutil.parserinfo):
    """dateutil's month and weekday names, with the weekday abbreviations people
    also write ("Tues", "Weds", "Thurs")."""

    WEEKDAYS = [("Mon", "Monday"), ("Tue", "Tues", "Tuesday"), ("Wed", "Weds", "Wednesday"),
                ("Thu", "Thur", "Thurs", "Thursday"), ("Fri", "Friday"), ("Sat", "Saturday"),
                ("Sun", "Sunday")]


NAMES = _Names()
_PARSER = _dateutil.parser(NAMES)
_DEFAULT = dt.datetime(2000, 1, 1)
_NO_YEAR = 1904   # the year of a date written without one (a leap year; no report is from then)


@dataclass(frozen=True)
class Zone:
    """A zone word of :file:`zones.toml`: the IANA zone it means and the season
    (``standard`` / ``daylight``) an abbreviation names."""

    word: str
    name: str
    season: str | None = None

    @property
    def tzinfo(self) -> dt.tzinfo:
        return UTC if self.name == "UTC" else ZoneInfo(self.name)

    def season_note(self, local: dt.datetime) -> str | None:
        """Why a time in this zone is worth a look: the abbreviation names the
        other season than the one the region kept on that date; else None."""
        if self.season is None:
            return None
        daylight = bool(local.replace(tzinfo=self.tzinfo).dst())
        if daylight == (self.season == "daylight"):
            return None
        kept = "daylight saving" if daylight else "standard"
        return (f"{self.word} names {self.season} time, but {self.name} kept {kept} time on "
                f"{local:%Y-%m-%d}: read as that region's clock")


@lru_cache(maxsize=1)
def zones() -> dict[str, Zone]:
    """The zone words (upper case) of :file:`zones.toml`."""
    data = tomllib.loads(resources.files(__package__).joinpath("zones.toml").read_text(encoding="utf-8"))
    return {word.upper(): Zone(word, spec["zone"], spec.get("season")) for word, spec in data["zones"].items()}


def zone_named(word: str | None) -> Zone | None:
    return zones().get(" ".join(word.split()).upper()) if word else None


@lru_cache(maxsize=1)
def _zone_pattern() -> re.Pattern:
    words = sorted(zones(), key=len, reverse=True)
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"[ \t\u00a0]*(?P<open>\()?(?P<zone>{alternatives})(?(open)\))(?![\w])", re.I)


def zone_at(text: str, pos: int = 0) -> tuple[Zone, int] | None:
    """The zone word at ``pos`` (after blanks, maybe in brackets) and where it ends."""
    match = _zone_pattern().match(text, pos)
    if not match or (match["zone"] == "z"):
        return None
    return zone_named(match["zone"]), match.end()


@dataclass(frozen=True)
class Moment:
    """A date and/or clock as written: ``precision`` says to what (``day``,
    ``minute``, ``second``, ``millisecond``), ``approximate`` whether the writer
    said "about"; ``end`` is where it ends in the text read."""

    date: dt.date | None
    clock: dt.time | None
    precision: str
    zone: Zone | None
    approximate: bool
    end: int
    yearless: bool = False   # "Mar 28 1300": the date's year is the page's

    def day(self, near: dt.date | None) -> dt.date | None:
        """The moment's date; a yearless one in the year that puts it nearest ``near``."""
        if self.date is None or not self.yearless:
            return self.date or near
        return nearest_day(self.date.month, self.date.day, near)

    def utc(self, date: dt.date | None = None, zone: Zone | None = None) -> dt.datetime | None:
        """The moment in UTC: on its own date, else ``date``; in its own zone, else
        ``zone``, else UTC. None without a date."""
        day = self.day(date)
        if day is None:
            return None
        local = dt.datetime.combine(day, self.clock or dt.time())
        return to_utc(local, (self.zone or zone).tzinfo if (self.zone or zone) else UTC)


# "~", "about", "at around", "after" (a moment some time after the clock): approximate; "at": exact.
_APPROX = re.compile(r"(?:[~≈][ \t]?|ca\.\s?|(?:at\s+)?(?:approx(?:\.|imately)?|about|around)\s+|after\s+)", re.I)
_AT = re.compile(r"at\s+(?=\d)", re.I)
_WEEKDAY = re.compile(r"(?P<word>[A-Za-z]{3,9})\.?,?[ \t\u00a0]+")
_ISO_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<sep>[-_/])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d])")
_MONTH_DAY = re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?[ \t\u00a0]+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?!\d|:\d)")
_DAY_MONTH = re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[ \t\u00a0]+(?:of[ \t\u00a0]+)?(?P<mon>[A-Za-z]{3,9})\.?")
_YEAR = re.compile(r",?[ \t\u00a0]+(?P<y>(?:19|20)\d{2})(?![\d:])")
_GAP = re.compile(r"(?:T|,?[ \t\u00a0]+(?:at[ \t\u00a0]+)?)")
_CLOCK = re.compile(
    r"(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d)(?:[.,](?P<frac>\d{1,6}))?)?"
    r"(?:[ \t\u00a0]*(?P<ampm>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?(?![\d])")
_HHMM = re.compile(r"(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d)(?![\d:])")


def read_moment(text: str, pos: int = 0) -> Moment | None:
    """The moment ``text`` starts with (at ``pos``), or None when it starts with none."""
    start = pos
    approx = _APPROX.match(text, pos)
    if approx:
        pos = approx.end()
    else:
        at = _AT.match(text, pos)
        pos = at.end() if at else pos
    date, pos, year_written = _date_at(text, pos)
    yearless = date is not None and not year_written
    clock, precision, after_clock = _clock_at(text, pos if date is None else _gap_end(text, pos), date is not None)
    if clock is not None:
        pos = after_clock
        if yearless:
            date, pos = _year_after(text, pos, date)
            yearless = date is not None and date.year == _NO_YEAR
    elif date is None:
        return None
    zone = zone_at(text, pos)
    if zone is not None and (clock is not None or date is not None):
        pos = zone[1]
    if pos == start:
        return None
    return Moment(date, clock, precision if clock else "day", zone[0] if zone else None,
                  approx is not None, pos, yearless)


def _date_at(text: str, pos: int) -> tuple[dt.date | None, int, bool]:
    """(date, end, whether its year was written) of a date at ``pos``; a date
    written without its year is in the leap year _NO_YEAR (29 February is one)."""
    weekday = _WEEKDAY.match(text, pos)
    if weekday and NAMES.weekday(weekday["word"]) is not None:
        pos = weekday.end()
    iso = _ISO_DATE.match(text, pos)
    if iso:
        return _safe_date(iso["y"], iso["m"], iso["d"]), iso.end(), True
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        named = pattern.match(text, pos)
        if named and NAMES.month(named["mon"]) is not None:
            year = _YEAR.match(text, named.end())
            if year and not _reads_as_hhmm(text, year):
                return _safe_date(year["y"], NAMES.month(named["mon"]), named["day"]), year.end(), True
            return _safe_date(_NO_YEAR, NAMES.month(named["mon"]), named["day"]), named.end(), False
    return None, pos, False


def _reads_as_hhmm(text: str, year: re.Match) -> bool:
    """``Mar 28 2015 UTC``: four digits followed by a zone are a clock, not a year."""
    digits = year["y"]
    return int(digits[:2]) < 24 and int(digits[2:]) < 60 and zone_at(text, year.end()) is not None


def _gap_end(text: str, pos: int) -> int:
    gap = _GAP.match(text, pos)
    return gap.end() if gap else pos


def _clock_at(text: str, pos: int, dated: bool):
    """(clock, precision, end) at ``pos``; ``1300`` only after a date."""
    match = _CLOCK.match(text, pos)
    if match:
        clock = clock_of(match["h"], match["m"], match["s"], ampm=match["ampm"],
                         millis=match["frac"])
        precision = "millisecond" if match["frac"] else "second" if match["s"] else "minute"
        return clock, precision, match.end()
    match = _HHMM.match(text, pos) if dated else None
    if match:
        return clock_of(match["h"], match["m"], None), "minute", match.end()
    return None, None, pos


def _year_after(text: str, pos: int, date: dt.date | None):
    """ctime's year after the clock (``Wed Mar 27 21:45:03 2024``)."""
    year = _YEAR.match(text, pos)
    if year and date is not None:
        return _safe_date(year["y"], date.month, date.day), year.end()
    return date, pos


def clock_of(h, m, s, hhmm=None, ampm=None, millis=None) -> dt.time | None:
    """A wall clock from the parts of a stamp; None when they are out of range."""
    if hhmm:
        hour, minute, second = int(hhmm[:2]), int(hhmm[2:]), 0
    else:
        hour, minute, second = int(h), int(m or 0), int(s or 0)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    micro = int((millis + "000000")[:6]) if millis else 0
    return dt.time(hour, minute, second, micro)


def nearest_day(month: int, day: int, near: dt.date | None) -> dt.date | None:
    """``day`` of ``month`` in the year that puts it nearest ``near`` (``1 January``
    after 31 December is the next year); None without ``near`` or for no such day."""
    if near is None:
        return None
    candidates = [d for year in (near.year - 1, near.year, near.year + 1) if (d := _safe_date(year, month, day))]
    return min(candidates, key=lambda d: abs(d - near)) if candidates else None


def _safe_date(year, month, day) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None


def parse_free(text: str) -> dt.datetime | None:
    """A value dateutil reads whole (``March 12, 2018, 5:08 AM``), naive; None if it cannot."""
    try:
        return _PARSER.parse(text, default=_DEFAULT)
    except (ValueError, OverflowError):
        return None
