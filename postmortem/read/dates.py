"""Dates and times as people write them in reports: date lines
(``2024-07-21``, ``'''Sunday 2025-03-30'''``, ``March 30, 2025``), leading time
stamps (``HH:MM``, ``HH:MM:SS``, ``HHMM``, ``H:MM AM``, ``15:42:``,
``YYYY-MM-DD HH:MM[:SS]``, ``[https://sal… 14:33]``), metadata start/end
values, and the date in a page title (``Incidents/2025-03-31 …``,
``Incident documentation/20190612-maps``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


from ..core.model import Problem
from ..core.timeutil import UTC
from .text import decode_text


_WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Wednes|Thu|Thur|Thurs|Fri|Sat|Satur|Sun)(?:day)?\.?"


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


_MONTH = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"


_DATE_LINE = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH.replace('mon', 'mon2')}\s+(?P<year2>\d{{4}}))"
    rf"(?:,?\s+\(?{_WEEKDAY}\)?)?\s*(?:\(?UTC\)?)?\s*:?$", re.I)


_STAMP = re.compile(
    r"^\[?(?:(?P<date>\d{4}-\d{2}-\d{2})(?:T|\s+))?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?"
    r"|(?P<hhmm>(?:[01]\d|2[0-3])[0-5]\d)(?=Z?(?:\s|:\s|:?$|\])))"
    r"(?:\s*(?:Z|UTC|GMT)\b)?\]?:?")


_DATE_ONLY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\b:?")


_LINKED_STAMP = re.compile(r"^\[(?:https?:)?//\S+\s+([^\]]{3,40})\]")


_TITLE_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})-?(?P<m>0[1-9]|1[0-2])-?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")


_MARKUP_EDGE = re.compile(r"^(?:'{2,5}|<[bi]>|<strong>|<em>)+|(?:'{2,5}|</[bi]>|</strong>|</em>)+$")


_LEAD_MARKUP = re.compile(r"^(?:'{2,5}|<(?:b|i|strong|em)>)")


_CLOSE_MARKUP = re.compile(r"^\s*(?:'{2,5}|</(?:b|i|strong|em)>)")


def date_in_title(name: str | None) -> dt.date | None:
    """``Incidents/2025-03-31 …`` or ``Incident documentation/20190612-maps``."""
    if not name:
        return None
    match = _TITLE_DATE.search(name.replace("_", " "))
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def parse_date_line(text: str) -> dt.date | None:
    """A line that only names a day: ``2024-07-21``, ``'''Sunday 2025-03-30'''``,
    ``March 30, 2025``, ``=== 30 March 2025 ===``."""
    core = _MARKUP_EDGE.sub("", text.strip().strip("=;:*# \t\u00a0").strip()).strip()
    if len(core) > 40 or not any(ch.isdigit() for ch in core):
        return None
    match = _DATE_LINE.match(core)
    if not match:
        return None
    return _date_from_match(match)


def _date_from_match(match: re.Match) -> dt.date | None:
    try:
        if match["iso"]:
            return dt.date.fromisoformat(match["iso"])
        mon = (match["mon"] or match["mon2"])[:3].lower()
        day, year = (match["day"], match["year"]) if match["day"] else (match["day2"], match["year2"])
        return dt.date(int(year), _MONTHS[mon], int(day))
    except ValueError:
        return None


@dataclass(frozen=True)
class Stamp:
    date: dt.date | None
    clock: dt.time | None
    precision: str | None
    written: str | None
    rest: str


def split_stamp(text: str) -> Stamp:
    """Split a leading time stamp (``15:42:``, ``2023-09-28 14:33``, ``1:05 PM``,
    ``1302``, ``[13:30:12]``) off a line."""
    link = _LINKED_STAMP.match(text)  # [https://sal.toolforge.org/log/ID 14:33] text
    if link:
        inner = split_stamp(link.group(1))
        if inner.clock is not None and not inner.rest.strip():
            return Stamp(inner.date, inner.clock, inner.precision, inner.written,
                          _trim_separator(text[link.end():]))
    lead = _LEAD_MARKUP.match(text)  # bold or italic stamp: '''15:30''' text
    candidate = text[lead.end():] if lead else text
    match = _STAMP.match(candidate)
    clock = _clock(match) if match and not _year_like(match, candidate) else None
    if clock is None:
        return _date_only(text)
    rest = candidate[match.end():]
    if lead:
        rest = _CLOSE_MARKUP.sub("", rest, count=1)
    precision = "second" if match["s"] else "minute"
    written = match.group(0).strip("[]: ")
    return Stamp(_iso_date(match["date"]), clock, precision, written, _trim_separator(rest))


def _year_like(match: re.Match, text: str) -> bool:
    """``2024 was …`` is a year; ``2024 - deploy`` and ``2024Z`` are 20:24."""
    hhmm = match["hhmm"]
    return bool(hhmm) and hhmm[:2] in ("19", "20") and not _HHMM_SEPARATOR.match(text, match.end("hhmm"))


_HHMM_SEPARATOR = re.compile(r"Z|:|\s*[-–—|]\s|\s*UTC\b|\]")


def _date_only(text: str) -> Stamp:
    match = _DATE_ONLY.match(text)
    if match:
        return Stamp(_iso_date(match["date"]), None, None, None, _trim_separator(text[match.end():]))
    return Stamp(None, None, None, None, text)


def _iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _clock(match: re.Match) -> dt.time | None:
    if match["hhmm"]:
        hour, minute, second = int(match["hhmm"][:2]), int(match["hhmm"][2:]), 0
    else:
        hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


_SEPARATOR = re.compile(r"^[\s\u00a0]*(?:[-–—:|]+(?=[\s\u00a0]|$))?[\s\u00a0]*")


def _trim_separator(rest: str) -> str:
    return _SEPARATOR.sub("", rest, count=1)


_MOMENT = re.compile(
    r"^(?:(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:[T\s]+|$))?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?)?\s*(?:Z|UTC|\(UTC\))?$")


def parse_moment(value: str | None, default_date: dt.date | None) -> dt.datetime | None:
    """A metadata start/end (``2025-03-30 9:34``, ``03:09``, ``2025-03-29T15:30:00Z``) in UTC."""
    if not value:
        return None
    match = _MOMENT.match(decode_text(value).strip().replace("\u00a0", " "))
    if not match or not (match["date"] or match["h"]):
        return None
    try:
        date = (dt.date(*map(int, match["date"].split("-"))) if match["date"] else default_date)
        if date is None:
            return None
        clock = dt.time(int(match["h"] or 0), int(match["m"] or 0), int(match["s"] or 0))
    except ValueError:
        return None
    return dt.datetime.combine(date, clock, UTC)


def metadata_window(metadata: dict, title, file_name, problems: list[Problem]):
    """(start, end, anchor) where anchor is the first date for time-only lines
    (a datetime when the start has a clock, a date otherwise)."""
    name_date = date_in_title(title) or date_in_title(file_name)
    start = parse_moment(metadata.get("start"), name_date)
    end = None
    if start is not None:
        end = parse_moment(metadata.get("end"), start.date())
        if end is not None and end < start and not _has_date(metadata.get("end")):
            end += dt.timedelta(days=1)  # "start = 23:50 / end = 00:30"
    for key, value in (("start", start), ("end", end)):
        if value is None and _has_date(metadata.get(key)):
            problems.append(Problem("bad-metadata-time", None,
                                    f"Incident scorecard {key} = {metadata[key]!r} is not a time"))
    anchor = start if start is not None else name_date
    return start, end, anchor


def _has_date(value: str | None) -> bool:
    return bool(value) and bool(re.search(r"\d{4}|YYYY", value))
