"""Dates as people write them in reports, read with python-dateutil: date
lines (``2024-07-21``, ``'''Sunday 2025-03-30'''``, ``<u>12th March 2025</u>``,
``March 30, 2025``), dates inside text (``=== 2024-12-07 occurrence ===``,
"on Monday, 12 March 2018"), the date in a page title (``Incidents/2025-03-31 …``,
``Incident documentation/20190612-maps``), and metadata start/end values with
their windows (``2025-05-08 2:30 AM``, ``2025-03-12 10:44:00, 2025-03-13 11:15:00``).

Month and weekday names, clocks, zones and precision are the grammar of
:mod:`._time_grammar` (python-dateutil's :class:`~dateutil.parser.parserinfo`); dateutil
parses a date only once a regex has found something shaped like one, since on
its own it reads any number as a day of the current month. Leading time stamps
of timeline lines are :mod:`._stamps`.
"""

from __future__ import annotations

import datetime as dt
import re

from ..core.model import Problem
from ..core.timeutil import UTC, month_number
from ._time_grammar import NAMES, clock_of, nearest_day, parse_free, read_moment  # noqa: F401 (clock_of: stamps)
from ._text import decode_text


def is_month(word: str) -> bool:
    """``March``, ``Mar``, ``Sept`` (dateutil's names)."""
    return month_number(word) is not None


def is_weekday(word: str) -> bool:
    """``Sunday``, ``Sun``, ``Tues``, ``Thurs`` (:data:`._time_grammar.NAMES`)."""
    return NAMES.weekday(word) is not None or word.lower() in ("wednes", "satur")


_ISO = re.compile(r"(?<![\d-])(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])")


# "12th March 2025", "12 March, 2025", "March 12, 2025", "Mar. 12th 2025": checked with is_month.
_NAMED = re.compile(
    r"(?<![\w])(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>[A-Za-z]{3,9})\.?,?"
    r"|(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?)\s+(?P<y>(?:19|20)\d{2})(?!\d)")


_LINE_MARKUP = re.compile(r"'{2,5}|</?(?:u|b|i|strong|em|big|small|span[^>]*)>", re.I)


_DATE_LINE_WORDS = re.compile(r"[^\W\d_]+")


_ALLOWED_WORDS = {"st", "nd", "rd", "th", "of", "utc", "on"}


def _safe_date(year, month, day) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date_line(text: str) -> dt.date | None:
    """A line that only names a day: ``2024-07-21``, ``'''Sunday 2025-03-30'''``,
    ``<u>12th March 2025</u>``, ``March 30, 2025``, ``=== 30 March 2025 ===``."""
    core = _date_line_core(text)
    if len(core) > 40 or not any(ch.isdigit() for ch in core) or ":" in core.replace("(UTC):", ""):
        return None
    found = _find_date(core)
    if found is None:
        return None
    date, span = found
    rest = (core[:span[0]] + " " + core[span[1]:]).replace("(", " ").replace(")", " ")
    if rest.strip(" ,.-") and not _only_date_words(rest):
        return None
    return date


def _date_line_core(text: str) -> str:
    """A date line without its heading, bullet or bold marks."""
    return _LINE_MARKUP.sub("", text.strip().strip("=;:*#• \t\u00a0")).strip(" \t\u00a0:")


# "Thursday 25 November", "Nov 25th", "25th of November (UTC)": a day with no year.
_YEARLESS = re.compile(
    r"^(?:(?P<weekday>[A-Za-z]+),?\s+)?(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>[A-Za-z]{3,9})\.?"
    r"|(?P<m2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?)(?:\s+\(?UTC\)?)?$")


def yearless_date_line(text: str, near: dt.date | None) -> dt.date | None:
    """A line that names a day without its year (``'''Thursday 25 November'''``):
    that day in the year that puts it nearest ``near``, the date the page is at
    (so ``1 January`` after 31 December is the next year); None without ``near``."""
    core = _date_line_core(text) if near is not None else ""
    match = _YEARLESS.match(core)
    if not match:
        return _weekday_and_day(core, near)
    if match["weekday"] and not is_weekday(match["weekday"]):
        return None
    month = month_number(match["m1"] or match["m2"])
    if month is None:
        return _weekday_and_day(core, near)
    return nearest_day(month, int(match["d1"] or match["d2"]), near)


# "Friday 16th", "Monday 19th" (asw-a2-codfw-crash-2021-07-20.txt): a weekday and a day of the month.
_WEEKDAY_DAY = re.compile(r"^(?P<weekday>[A-Za-z]+),?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?$")


def _weekday_and_day(core: str, near: dt.date | None) -> dt.date | None:
    """The day of that number, in the month of ``near`` or the one before or after,
    that falls on that weekday, nearest ``near``; None when none does."""
    match = _WEEKDAY_DAY.match(core) if near is not None else None
    weekday = NAMES.weekday(match["weekday"]) if match else None
    if weekday is None:
        return None
    candidates = []
    for step in (-1, 0, 1):
        month_index = near.year * 12 + near.month - 1 + step
        day = _safe_date(month_index // 12, month_index % 12 + 1, match["day"])
        if day is not None and day.weekday() == weekday:
            candidates.append(day)
    return min(candidates, key=lambda d: abs(d - near)) if candidates else None


def yearless_day(date: dt.date | None, near: dt.date | None) -> dt.date | None:
    """A date written without its year (its year is a placeholder) in the year
    that puts it nearest ``near``; None without ``near``."""
    return nearest_day(date.month, date.day, near) if date is not None else None


def lead_up_day(day: dt.date | None, report_date: dt.date | None) -> dt.date | None:
    """A day placed near the report's own date before the timeline has dated
    anything: a timeline leads up to its incident and runs on only briefly after
    it (weeks), so a day more than two months after the report's date is the year before's
    ("Feb 11" on a page of 2021-11-04 that says the failures began early in 2021:
    large-file-upload-2021-11-04.txt)."""
    if day is None or report_date is None or day - report_date <= dt.timedelta(days=61):
        return day
    return _safe_date(day.year - 1, day.month, day.day) or day


def _only_date_words(rest: str) -> bool:
    """What is left of a date line besides its date: weekdays, "UTC", commas."""
    if re.search(r"\d", rest):
        return False
    return all(w.lower() in _ALLOWED_WORDS or is_weekday(w) for w in _DATE_LINE_WORDS.findall(rest))


def find_date(text: str) -> dt.date | None:
    """The first date written in ``text`` (ISO or with a month name), or None."""
    found = _find_date(text)
    return found[0] if found else None


def _find_date(text: str):
    """(date, span) of the first date in ``text``."""
    iso = _ISO.search(text) if "-" in text else None
    named = None
    for match in _NAMED.finditer(text):
        if is_month(match["m1"] or match["m2"]):
            named = match
            break
    if iso and (named is None or iso.start() < named.start()):
        date = _safe_date(iso["y"], iso["m"], iso["d"])
        return (date, iso.span()) if date else None
    if named is None:
        return None
    parsed = parse_free(named.group(0))
    return (parsed.date(), named.span()) if parsed else None


# ---------------------------------------------------------------- metadata moments


# "9:34", "02:58:00", "2:30 AM"; "0220" only after a date ("2025-05-07 0220").
_MOMENT = re.compile(
    r"^(?:(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:[T\s]+|$))?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?(?:\s*(?P<ampm>[AaPp])\.?\s*[Mm]\.?)?"
    r"|(?<=[T\s])(?P<hhmm>(?:[01]\d|2[0-3])[0-5]\d))?"
    r"\s*(?:Z|UTC|GMT|\(UTC\))?$")


_WINDOW_SPLIT = re.compile(r"\s*(?:[;,]|<br\s*/?>|\band\b)\s*(?=\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2})", re.I)


_ZONE_WORDS = {"utc", "gmt", "z", "am", "pm", "a", "p", "m", "t", "st", "nd", "rd", "th", "of", "at", "on"}


# A remark in brackets after the time: "03:25 (mostly)", or words that may hold
# another time, "11:03:25 (major impact starts at 2023-02-22 12:16:21)".
_REMARK = re.compile(r"(?<=\d)\s*\((?:(?![^()]*\d)[^()]*|[a-z]+\s[^()]*)\)$")


def parse_moment(value: str | None, default_date: dt.date | None) -> dt.datetime | None:
    """A metadata start/end (``2025-03-30 9:34``, ``03:09``, ``2025-03-29T15:30:00Z``,
    ``2025-05-08 2:30 AM``, ``12 March 2018 05:08``) in UTC; None if it is not one."""
    if not value:
        return None
    text = " ".join(decode_text(value).replace("\u00a0", " ").split())
    text = _REMARK.sub("", text) or text  # "2022-07-20 03:25 (mostly)": the remark qualifies the time
    match = _MOMENT.match(text)
    if match and (match["date"] or match["h"] or match["hhmm"]):
        return _moment_from_match(match, default_date)
    moment = read_moment(text)
    if moment is not None and moment.end == len(text.rstrip(" .")) and (moment.clock or not moment.yearless):
        return moment.utc(default_date)
    return _free_moment(text, default_date)


def _moment_from_match(match: re.Match, default_date: dt.date | None) -> dt.datetime | None:
    date = _iso_date(match["date"]) if match["date"] else default_date
    if date is None:
        return None
    clock = clock_of(match["h"], match["m"], match["s"], match["hhmm"], match["ampm"]) \
        if (match["h"] or match["hhmm"]) else dt.time()
    return None if clock is None else dt.datetime.combine(date, clock, UTC)


def _free_moment(text: str, default_date: dt.date | None) -> dt.datetime | None:
    """``12 March 2018 05:08 UTC``, ``March 12, 2018, 5:08 AM``: dateutil, once the
    words are only month and weekday names (another zone name is not read as UTC)."""
    found = _find_date(text)
    if found is None or not re.search(r"\d:\d\d", text):
        return None
    words = _DATE_LINE_WORDS.findall(text)
    if not all(w.lower() in _ZONE_WORDS or is_month(w) or is_weekday(w) for w in words):
        return None
    parsed = parse_free(text)
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(tzinfo=UTC)


def _iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    return _safe_date(*value.split("-"))


def split_moments(value: str | None) -> list[str]:
    """``2025-03-12 10:44:00, 2025-03-13 11:15:00`` → the two moments (one window each)."""
    if not value:
        return []
    return [part for part in _WINDOW_SPLIT.split(value.strip()) if part.strip()]


def metadata_windows(metadata: dict, name_date: dt.date | None, problems: list[Problem]):
    """The incident's windows [(start, end)] from the metadata's start and end: one
    window per value when they list several (``start = A, B`` / ``end = C, D``).
    A value that is not a time is a problem, and its moment is None."""
    starts, ends = split_moments(metadata.get("start")), split_moments(metadata.get("end"))
    if len(starts) > 1 or len(ends) > 1:
        if len(starts) != len(ends):
            problems.append(Problem("bad-metadata-time", None,
                                    f"Incident scorecard gives {len(starts)} start(s) but {len(ends)} end(s)"))
    windows = []
    for index in range(max(len(starts), len(ends))):
        start_raw = starts[index] if index < len(starts) else None
        end_raw = ends[index] if index < len(ends) else None
        windows.append(_window(start_raw, end_raw, windows[-1][1] if windows else None, name_date, problems))
    return [w for w in windows if w != (None, None)]


def _window(start_raw, end_raw, previous_end, name_date, problems):
    base = previous_end.date() if previous_end else name_date
    start = parse_moment(start_raw, base)
    end = None
    if start is not None:
        end = parse_moment(end_raw, start.date())
        if end is not None and end < start and not has_date(end_raw):
            end += dt.timedelta(days=1)  # "start = 23:50 / end = 00:30"
    for key, raw, value in (("start", start_raw, start), ("end", end_raw, end)):
        if value is None and has_date(raw):
            problems.append(Problem("bad-metadata-time", None,
                                    f"Incident scorecard {key} = {raw!r} is not a time"))
    if end is not None and end < start:
        problems.append(Problem("end-before-start", None,
                                f"Incident scorecard end = {end_raw!r} is before start = {start_raw!r}: "
                                "the outage's length is unknown"))
    return start, end


def has_date(value: str | None) -> bool:
    return bool(value) and bool(re.search(r"\d{4}|YYYY", value))


def prose_date(lines) -> dt.date | None:
    """The first date the Summary prose names ("… on Monday, 12 March 2018")."""
    for text in lines:
        if any(ch.isdigit() for ch in text):
            date = find_date(text)
            if date is not None:
                return date
    return None
