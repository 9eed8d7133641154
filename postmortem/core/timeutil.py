"""Every timestamp becomes an aware UTC datetime, with its precision kept.

Precision is "second" or "minute": a SAL entry or an irssi line only knows
the minute, and a report must not pretend otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .lazy_regex import LazyRegex

UTC = dt.timezone.utc
PRECISIONS = ("second", "minute")
# python-dateutil's month names (dateutil/parser/_parser.py, parserinfo.MONTHS),
# kept here so that reading a SAL page or an IRC log does not import dateutil's parser
_MONTHS = {name.lower(): number for number, names in enumerate((
    ("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"), ("May",),
    ("Jun", "June"), ("Jul", "July"), ("Aug", "August"), ("Sep", "Sept", "September"),
    ("Oct", "October"), ("Nov", "November"), ("Dec", "December")), start=1) for name in names}

_ISO_LIKE = LazyRegex(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<tz>Z|UTC|[+-]\d{2}:?\d{2})?$"
)


def month_number(name: str) -> int | None:
    """1-12 for a month name or abbreviation in any case (``Jan``, ``september``,
    ``Sept``: python-dateutil's names), None for anything else."""
    return _MONTHS.get(name.lower())


def zone(name: str) -> dt.tzinfo:
    """A time zone by IANA name; ``ValueError`` names an unknown one."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: with the tzdata package (a venv's), a name longer than a file
        # name can be is an open() that fails, not "not found"
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_time(value, tz: dt.tzinfo = UTC) -> tuple[dt.datetime, str]:
    """Parse a timestamp from incident.toml or a source into (UTC time, precision).

    Accepts TOML datetimes and strings like ``2023-09-28 14:33``,
    ``2023-09-28T14:33:00Z`` or ``2023-09-28 16:33+02:00``. A value with no
    offset is in ``tz`` (UTC unless said otherwise).
    """
    if isinstance(value, dt.datetime):
        precision = "second" if value.second or value.microsecond else "minute"
        return to_utc(value, tz), precision
    if isinstance(value, dt.date):
        return to_utc(dt.datetime.combine(value, dt.time()), tz), "minute"
    if not isinstance(value, str):
        raise ValueError(f"expected a time like '2023-09-28 14:33', got {value!r}")
    match = _ISO_LIKE.match(value.strip())
    if not match:
        raise ValueError(f"expected a time like '2023-09-28 14:33', got {value!r}")
    hour, minute, second = int(match["h"] or 0), int(match["m"] or 0), int(match["s"] or 0)
    try:
        date = dt.date.fromisoformat(match["date"])
        naive = dt.datetime.combine(date, dt.time(hour, minute, second))
    except ValueError as err:
        raise ValueError(f"bad time {value!r}: {err}") from None
    precision = "second" if match["s"] is not None else "minute"
    offset = match["tz"]
    if offset and offset not in ("Z", "UTC"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return naive.replace(tzinfo=dt.timezone(sign * delta)).astimezone(UTC), precision
    return to_utc(naive, UTC if offset else tz), precision


def to_utc(moment: dt.datetime, tz: dt.tzinfo = UTC, *, after: dt.datetime | None = None) -> dt.datetime:
    """Convert a (possibly naive, local) datetime to aware UTC.

    For a wall-clock time that occurs twice (the hour repeated when DST ends)
    the first occurrence is taken, unless that would fall before ``after``
    (the previous line of the same log), in which case it is the second.
    """
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    first = moment.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if after is not None and first < after:
        second = moment.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second >= after:
            return second
    return first


def from_epoch(seconds: float | str) -> dt.datetime:
    """A Unix timestamp (Slack's ``"1695911580.000200"``) as aware UTC."""
    return dt.datetime.fromtimestamp(float(seconds), UTC)


def roll_forward(date: dt.date, clock: dt.time, previous: dt.datetime | None,
                 tz: dt.tzinfo = UTC) -> dt.datetime:
    """A time-only line's UTC time: on ``date``, or the day after when the clock
    went backwards since ``previous`` (a log that crossed midnight)."""
    moment = to_utc(dt.datetime.combine(date, clock), tz, after=previous)
    if previous is not None and moment < previous - dt.timedelta(hours=1):
        moment = to_utc(dt.datetime.combine(date + dt.timedelta(days=1), clock), tz, after=previous)
    return moment


# RFC 3339 (a profile of ISO 8601 that Go, Prometheus, Alertmanager, PagerDuty and
# Statuspage write): a date, a time, any fraction (Go writes nanoseconds), an offset.
_INSTANT = LazyRegex(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$")


def parse_instant(value) -> dt.datetime:
    """``2023-09-28T14:33:00.123456789Z`` or ``…-05:00`` (RFC 3339: an offset is
    required) as aware UTC; ValueError for anything else."""
    match = _INSTANT.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    date, clock, fraction, offset = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return dt.datetime.fromisoformat(f"{date}T{clock}.{fraction}{offset}").astimezone(UTC)
    except ValueError:
        raise ValueError(f"not a valid time: {value!r}") from None


def require_utc(name: str, moment) -> None:
    """ValueError unless ``moment`` is an aware datetime in UTC."""
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    if moment.utcoffset() != dt.timedelta(0):
        raise ValueError(f"{name} must be in UTC, got {moment.isoformat()}")


def format_utc(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2023-09-28T14:33:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_clock(moment: dt.datetime, precision: str, *, with_date: bool) -> str:
    """``2023-09-28 14:33`` / ``14:33:05`` — as precise as the record, no more."""
    fmt = "%H:%M:%S" if precision == "second" else "%H:%M"
    if with_date:
        fmt = "%Y-%m-%d " + fmt
    return moment.astimezone(UTC).strftime(fmt)


def format_duration(delta: dt.timedelta) -> str:
    """``1 h 05 min``, ``4 d 23 h 41 min``, ``35 min``: for reports, to the minute."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes:02d} min" if parts else f"{minutes} min")
    return " ".join(parts)


def format_duration_seconds(delta: dt.timedelta) -> str:
    """``1 min 40 s``, ``4 d 23 h 41 min 42 s``, ``0 s``: to the second, for a
    duration whose ends have seconds."""
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    shown = format_duration(dt.timedelta(minutes=minutes)) if minutes else ""
    return f"{shown} {seconds} s".strip() if seconds or not minutes else shown


_DURATION_PART = LazyRegex(r"(\d+(?:\.\d+)?)\s*(d|days?|h|hours?|m|min|mins|minutes?|s|sec|secs|seconds?)", re.I)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: str) -> dt.timedelta:
    """``"6h"``, ``"90m"``, ``"1d"``, ``"2h30m"``, ``"45 min"`` as a timedelta;
    ValueError for anything else (a bare number has no unit: refused)."""
    text = value.strip() if isinstance(value, str) else ""
    parts = list(_DURATION_PART.finditer(text))
    if not parts or _DURATION_PART.sub("", text).strip():
        raise ValueError(f"expected a duration like '6h', '90m' or '1d', got {value!r}")
    seconds = sum(float(m[1]) * _UNIT_SECONDS[m[2][0].lower()] for m in parts)
    return dt.timedelta(seconds=seconds)


_TITLE_DATE = LazyRegex(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})-?(?P<m>0[1-9]|1[0-2])-?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")


def date_in_title(name: str | None) -> dt.date | None:
    """The day a report page or file is named for: ``Incidents/2025-03-31 …`` or
    ``Incident documentation/20190612-maps`` (`pull` picks previous reports by it,
    the reader and `missing` date a report by it)."""
    if not name:
        return None
    match = _TITLE_DATE.search(name.replace("_", " "))
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
