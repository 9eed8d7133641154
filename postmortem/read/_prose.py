"""The window a page states in prose, read where it gives no metadata: the
Summary's "From 05:08 to 08:32 UTC on Monday, 12 March 2018", "between 7:32 and
7:35 UTC", "From approximately 7:31 to 8:16 UTC", "For about 2.5 hours
(14:00-16:32 UTC)", "(~ 18:14 -> 19:19 UTC)", a range whose ends name their days
("from approximately July 16 22:00 UTC to July 17 13:40 UTC"), or a start and an
end in separate sentences: "At around 09:30
UTC on March 24 …" … "connected to the network again at about 09:50 UTC"
("At 13:30 UTC, the EEPROM … became unreadable": a start alone).

A clock counts only with its zone written (UTC, or a zone of zones.toml), so
"At 13:58 I removed mc1009" is no moment. Clocks, zones and "about" are read
by the grammar (:mod:`._time_grammar`); the window says how exact it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ._dates import find_date
from ._time_grammar import Moment, read_moment

_APPROX = r"(?:(?:approximately|approx\.?|about|around|~)\s*)?"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"

# "from A to B UTC", "between A and B UTC", "(A-B UTC)": A's zone may be written once, after B.
_RANGE = re.compile(
    rf"(?:\b(?:from|between)\s+|\()(?P<a>{_APPROX}{_CLOCK})(?:\s*[A-Za-z]{{1,4}})?\s*"
    rf"(?:to|and|until|till|->|→|-|–)\s*(?P<b>{_APPROX}{_CLOCK})", re.I)

# "from approximately July 16 22:00 UTC to July 17 13:40 UTC" (dns-20140716.txt): each end
# is a moment of the grammar, with its day; the separator between them.
_FROM = re.compile(r"\b(?:from|between)\s+", re.I)
_TO = re.compile(r"\s*(?:to|and|until|till|->|→|-|–)\s*", re.I)

# "at 09:30 UTC", "at around 09:30 UTC", "At 13:30 UTC,", "Around 03:50 UTC on Nov 30,"
_AT = re.compile(rf"(?:\bat\s+|\b(?=(?:around|about|approximately)\s+\d))(?P<a>{_APPROX}{_CLOCK})", re.I)

# A sentence that says the incident ended at its clock.
_ENDED = re.compile(r"\b(?:again|restored|recovered|resolved|back|ended|ends|fixed|normal|mitigated)\b", re.I)


@dataclass(frozen=True)
class Window:
    """A window read from prose: its start and end (UTC; the end may be unknown),
    the precision of its clocks as written and whether the page said "about"."""

    start: dt.datetime
    end: dt.datetime | None
    precision: str
    approximate: bool


def prose_window(lines, date: dt.date | None) -> Window | None:
    """The window the Summary's ``lines`` state (the date is the one the sentence
    names, else ``date``); None when they state none."""
    text = " ".join(line.strip() for line in lines if line.strip())
    if not any(ch.isdigit() for ch in text):
        return None
    return _range_window(text, date) or _dated_range_window(text, date) or _sentence_window(text, date)


def _range_window(text: str, date: dt.date | None) -> Window | None:
    for match in _RANGE.finditer(text):
        first, last = read_moment(text, match.start("a")), read_moment(text, match.start("b"))
        zone = last.zone if last else None
        if first is None or last is None or zone is None or (first.zone and first.zone != zone):
            continue
        day = _day_named(_sentence_rest(text, last.end), date) or date
        start, end = first.utc(day, zone), last.utc(day, zone)
        if start is None:
            continue
        if end < start:
            end += dt.timedelta(days=1)
        return Window(start, end, _coarser(first, last), first.approximate or last.approximate)
    return None


def _dated_range_window(text: str, date: dt.date | None) -> Window | None:
    """A range whose ends are read by the grammar, each with its date, and a zone
    written on both or on the last."""
    for match in _FROM.finditer(text):
        first = read_moment(text, match.end())
        if first is None or first.clock is None or first.date is None:
            continue
        sep = _TO.match(text, first.end)
        last = read_moment(text, sep.end()) if sep else None
        if last is None or last.clock is None or last.zone is None or (first.zone and first.zone != last.zone):
            continue
        start = first.utc(date, last.zone)
        end = last.utc(start.date() if start else date, last.zone)
        if start is None or end is None or end < start:
            continue
        return Window(start, end, _coarser(first, last), first.approximate or last.approximate)
    return None


def _sentence_window(text: str, date: dt.date | None) -> Window | None:
    """A start ("At 13:30 UTC, …") and maybe, in a later sentence that says the
    incident ended, an end ("… again at about 09:50 UTC")."""
    start = None
    for match in _AT.finditer(text):
        moment = read_moment(text, match.start("a"))
        if moment is None or moment.zone is None:
            continue
        near = start.date() if start else date  # an end is on the start's day unless it says
        day = (_day_named(_sentence_rest(text, moment.end), near)
               or _day_named(_sentence_head(text, match.start()), near) or near)
        moment_utc = moment.utc(day)
        if moment_utc is None:
            continue
        if start is None:
            start, first = moment_utc, moment
        elif _ENDED.search(_sentence_head(text, match.start())) and moment_utc >= start:
            return Window(start, moment_utc, _coarser(first, moment), first.approximate or moment.approximate)
    return Window(start, None, first.precision, first.approximate) if start else None


_ON_DAY = re.compile(r"\bon\s+(?:the\s+)?", re.I)


def _day_named(text: str, near: dt.date | None) -> dt.date | None:
    """The date a sentence names: "on Friday, 06 January 2017", or without its
    year, "on March 24" (the year that puts it nearest ``near``)."""
    found = find_date(text)
    if found is not None:
        return found
    for match in _ON_DAY.finditer(text):
        moment = read_moment(text, match.end())
        if moment is not None and moment.date is not None:
            return moment.day(near)
    return None


def _sentence_rest(text: str, pos: int) -> str:
    """The rest of the sentence from ``pos`` (at most 60 characters)."""
    return re.split(r"[.;]\s", text[pos:pos + 60], maxsplit=1)[0]


def _sentence_head(text: str, pos: int) -> str:
    """The sentence up to ``pos``."""
    return re.split(r"[.;]\s", text[max(0, pos - 200):pos])[-1]


_ORDER = ("day", "minute", "second", "millisecond")


def _coarser(a: Moment, b: Moment) -> str:
    return min(a.precision, b.precision, key=_ORDER.index)
