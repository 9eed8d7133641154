"""The time stamp a timeline line starts with, in every form seen on real
pages: ``15:42``, ``15:42:07``, ``15:42:``, ``1302`` / ``0220``, ``1:05 PM``,
``2023-09-28 14:33[:SS]``, ``2021-09-04T02:40 -``, ``13:50 UTC:``, ``[15:14]``,
``15:34:00~:`` and ``~10:50`` (about), ``10h52``, the range ``10:51-10:55``
(at its start, "(until 10:55)" kept in the text), bold ``'''10:44'''`` and
``'''10:58''' UTC:``, the dot form ``'''11.44'''`` (in bold only: elsewhere it
could be a number), a time as a
link's label (``[https://sal.toolforge.org/log/ID 14:33]``,
``[[toolforge:sal/log/AWIZPsfZkkJ8OkTwiOnZ|08:06]]``: the link is the entry's
url), the mistyped ``20: 30`` (read, with a note), and ``??? :`` (a time
nobody knew: no clock); milliseconds ``23:15:02,721``; a zone after the clock
(``10:56 PST is reported``, ``12:00 SF time``: :mod:`._time_grammar`' zones).

This runs on every timeline line, so the common forms are regular expressions;
a line that starts with a weekday, a month or "about" is read by the grammar of
:mod:`._time_grammar` (``~Wed Mar 27 23:59 2024 Patch is merged``, ``Thurs Mar 28 1300
UTC CODFW …``, ``2023_01_17 13:00:00``, ``September 15th: work begins …``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from ._time_grammar import NAMES, Zone, clock_of, read_moment, zone_at, zone_named


@dataclass(frozen=True)
class Stamp:
    """A line's leading stamp: date and clock (None when not written), the
    stamp as written, the rest of the line, a url when the stamp is a link's
    label, and a note when the stamp was read from an unusual form."""

    date: dt.date | None
    clock: dt.time | None
    precision: str | None
    written: str | None
    rest: str
    url: str | None = None
    note: str | None = None
    unknown: bool = False   # "??? :": the author did not know the time
    zone: Zone | None = None        # the zone written after the clock; None: the page's
    approximate: bool = False       # "~10:50", "about 10:50"
    yearless: bool = False          # "Thurs Mar 28 1300": the date's year is the page's
    log: str | None = None          # "SAL: 09:58 …": the log the line was copied from ("sal", "irc")


_STAMP = re.compile(
    r"^\[?(?:~|≈|ca\.\s?|approx\.?\s)?(?:(?P<date>\d{4}-\d{2}-\d{2})(?:T|\s+)(?P<about>[~≈]\s?)?)?"   # "~10:50": about 10:50
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,6})(?!\d))?)?(?:\.\d+)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?"
    r"|(?P<hhmm>(?:[01]\d|2[0-3])[0-5]\d)(?=Z?(?:\s|:\s|:?$|\]))"
    r"|(?P<fh>[01]\d|2[0-3])h(?P<fm>[0-5]\d)(?=[\s:]|$)"   # "10h52", the French way ("1h30" is a duration)
    r"|(?P<sh>\d{2}): (?P<sm>[0-5]\d)(?=\s))"            # "20: 30": a mistyped 20:30
    r"~?(?:\s*(?:Z|UTC|GMT)\b)?\]?~?:?")


_DOT_STAMP = re.compile(r"^(?P<h>\d{1,2})\.(?P<m>[0-5]\d)(?![\d.])")   # '''11.44'''


_DATE_ONLY = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})\b:?")


_UNKNOWN = re.compile(r"^\?{2,}(?=[\s:])\s*(?:UTC\b)?\s*:?")


_LINKED_STAMP = re.compile(r"^\[(?P<url>(?:https?:)?//\S+)\s+(?P<label>[^\]]{3,40})\]")


_WIKILINK_STAMP = re.compile(r"^\[\[\s*(?P<target>[^|\]\[]+?)\s*\|(?P<label>[^\]\[]{3,40})\]\]")


_LEAD_MARKUP = re.compile(r"^(?:'{2,5}|<(?:b|i|strong|em)>)")


_CLOSE_MARKUP = re.compile(r"^\s*(?:'{2,5}|</(?:b|i|strong|em)>)(?:\s*(?:UTC|Z|GMT)\b)?")


_SEPARATOR = re.compile(r"^[\s\u00a0]*(?:[-–—:|]+(?=[\s\u00a0]|$))?[\s\u00a0]*")


_HHMM_SEPARATOR = re.compile(r"Z|:|\s*[-–—|]\s|\s*UTC\b|\]")


# Interwiki prefixes of Wikimedia wikis that point at Toolforge tools
# (https://iw.toolforge.org/TOOL/PATH is TOOL's https://TOOL.toolforge.org/PATH).
_TOOLFORGE_LINK = re.compile(r"^(?:toolforge|tools):(?P<tool>[\w-]+)(?:/(?P<path>.*))?$", re.I)


# Before a clock: its date in brackets, or the log the line was copied from
# (ores-20160924.txt: "(2016-09-22) SAL: 20:00 thcipriani: …", "(2016-09-23) 9:44 …").
_LEAD_DATE = re.compile(r"^\((?P<date>\d{4}-\d{2}-\d{2})\)[\s\u00a0]+")
_LEAD_LOG = re.compile(r"(?P<log>SAL|IRC)[\s\u00a0]*:[\s\u00a0]+(?=\d)")


def split_stamp(text: str) -> Stamp:
    """Split a leading time stamp (``15:42:``, ``2023-09-28 14:33``, ``1:05 PM``,
    ``1302``, ``[13:30:12]``, ``'''10:44'''``, ``[[toolforge:sal/log/ID|08:06]]``) off a line."""
    if text[:1] == "(" or text[:3] in ("SAL", "IRC"):
        led = _led_stamp(text)
        if led is not None:
            return led
    if text[:1] == "[":
        linked = _linked_stamp(text)
        if linked is not None:
            return linked
    quoted = _QUOTED_CLOCK.match(text)  # '"14:04" reverted …': a time the author doubts
    if quoted:
        text = quoted["clock"] + text[quoted.end():]
    lead = _LEAD_MARKUP.match(text)  # bold or italic stamp: '''15:30''' text
    candidate = text[lead.end():] if lead else text
    match = _STAMP.match(candidate)
    clock = _clock(match) if match and not _year_like(match, candidate) else None
    if clock is None and lead:
        return _dot_stamp(candidate) or _date_only(text)
    if clock is None:
        return _unknown(text) or _grammar_stamp(text) or _date_only(text)
    end, zone = match.end(), _UTC if _WRITES_UTC.search(match.group(0)) else None
    if candidate[end:end + 1] in (" ", "(", "\u00a0") and zone is None:
        found = zone_at(candidate, end)
        if found is not None:
            zone, end = found
    qualified = _ABOUT_AFTER.match(candidate, end)  # "11:30(approx):", "14:00 roughly:"
    if qualified:
        end = qualified.end()
    rest = candidate[end:]
    if lead:
        rest = _CLOSE_MARKUP.sub("", rest, count=1)
    precision = "millisecond" if match["frac"] else "second" if match["s"] else "minute"
    written = candidate[:end].strip("[]:~ ")
    note = f"read {written!r} as {clock:%H:%M}" if match["sh"] else None
    return Stamp(_iso_date(match["date"]), clock, precision, written, _trim_separator(_range_end(rest)),
                 note=note, zone=zone,
                 approximate=candidate[:1] in "~≈" or bool(match["about"] or qualified or quoted))


def _led_stamp(text: str) -> Stamp | None:
    """A clock after its bracketed date or its log's name; None when no clock follows."""
    dated = _LEAD_DATE.match(text)
    logged = _LEAD_LOG.match(text, dated.end() if dated else 0)
    if not dated and not logged:
        return None
    lead_end = (logged or dated).end()
    stamp = split_stamp(text[lead_end:])
    if stamp.clock is None or (dated and stamp.date is not None):
        return None
    return replace(stamp, date=_iso_date(dated["date"]) if dated else stamp.date,
                   written=f"{text[:lead_end].strip()} {stamp.written}",
                   log=logged["log"].lower() if logged else stamp.log)


_UTC = zone_named("UTC")
# What says a stamp is approximate after its clock (zuul-2019-05-06.txt: "11:30(approx):",
# "14:00 roughly:"), and a clock in quotation marks ('"14:04" reverted zuul patch').
_ABOUT_AFTER = re.compile(r"[ \t\u00a0]*(?:\([ \t]*(?:approx\.?|approximately|about|roughly|ish)[ \t]*\)"
                          r"|(?:roughly|approx\.?|approximately|or so)(?=[ \t]*[:\-–]))", re.I)
_QUOTED_CLOCK = re.compile(r'^"(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)"')
_WRITES_UTC = re.compile(r"UTC|GMT|\dZ")


# The first words the grammar may read a stamp from: month and weekday names, "about".
_GRAMMAR_WORDS = frozenset(
    [name.lower() for names in NAMES.MONTHS + NAMES.WEEKDAYS for name in names]
    + ["about", "around", "approx", "approx.", "approximately", "at", "after"])
_FIRST_WORD = re.compile(r"^(?:[~≈]|(?P<word>[A-Za-z]{2,13}\.?))")


def _grammar_stamp(text: str) -> Stamp | None:
    """``~Wed Mar 27 23:59 2024 Patch is merged``, ``Thurs Mar 28 1300 UTC …``,
    ``2023_01_17 13:00:00 …``, ``September 15th: work begins …`` (a date with a colon)."""
    first = _FIRST_WORD.match(text) if text[:1].isalpha() or text[:1] in "~≈" else None
    if first is None and not (text[:4].isdigit() and text[4:5] in "_/"):
        return None
    if first is not None and first["word"] and first["word"].lower() not in _GRAMMAR_WORDS:
        return None
    moment = read_moment(text)
    if moment is None or (moment.clock is None and text[moment.end:moment.end + 1] != ":"
                          and not _dated_day(moment, text)):
        return None
    written = text[:moment.end].strip(" ~")
    return Stamp(moment.date, moment.clock, moment.precision, written,
                 _trim_separator(text[moment.end:].lstrip(" ,")),
                 zone=moment.zone, approximate=moment.approximate, yearless=moment.yearless)


# "10:51-10:55 restarts", "07:30 to 08:57: …", "14:14:44 14:15:03 … during this interval"
# (parsercache-20181016.txt): the entry is at the range's start; its end stays in the text.
_RANGE_END = re.compile(r"^\s*(?:[-–]|to\b|(?=\d))\s*(?P<end>\d{1,2}:\d{2}(?::\d{2})?)(?!\d|:\d)(?:\s*UTC\b)?\s*:?\s*")


def _range_end(rest: str) -> str:
    match = _RANGE_END.match(rest)
    return f"(until {match['end']}) {rest[match.end():]}" if match else rest


def _linked_stamp(text: str) -> Stamp | None:
    """``[https://sal.toolforge.org/log/ID 14:33] text`` or ``[[toolforge:sal/log/ID|08:06]] text``."""
    link = _LINKED_STAMP.match(text)
    url = link["url"] if link else None
    if link is None:
        link = _WIKILINK_STAMP.match(text)
        if link is None:
            return None
        url = interwiki_url(link["target"])
    inner = split_stamp(link["label"])
    if inner.clock is None or inner.rest.strip():
        return None
    return Stamp(inner.date, inner.clock, inner.precision, inner.written,
                 _trim_separator(text[link.end():]), url=url)


def interwiki_url(target: str) -> str | None:
    """The URL of a ``[[toolforge:sal/log/ID]]``-style link; None for other links."""
    match = _TOOLFORGE_LINK.match(target.strip())
    if not match:
        return None
    return f"https://{match['tool'].lower()}.toolforge.org/{match['path'] or ''}"


def _dot_stamp(candidate: str) -> Stamp | None:
    match = _DOT_STAMP.match(candidate)
    after = candidate[match.end():] if match else ""
    if not match or not _CLOSE_MARKUP.match(after):
        return None
    clock = clock_of(match["h"], match["m"], None)
    if clock is None:
        return None
    rest = _CLOSE_MARKUP.sub("", after, count=1)
    return Stamp(None, clock, "minute", match.group(0), _trim_separator(rest))


def _unknown(text: str) -> Stamp | None:
    match = _UNKNOWN.match(text)
    if not match:
        return None
    return Stamp(None, None, None, None, _trim_separator(text[match.end():]), unknown=True)


def _year_like(match: re.Match, text: str) -> bool:
    """``2024 was …`` is a year; ``2024 - deploy`` and ``2024Z`` are 20:24."""
    hhmm = match["hhmm"]
    return bool(hhmm) and hhmm[:2] in ("19", "20") and not _HHMM_SEPARATOR.match(text, match.end("hhmm"))


def _date_only(text: str) -> Stamp:
    """``2020-05-13 The train is blocked …``: a date and no clock, an entry of that day."""
    match = _DATE_ONLY.match(text)
    if match:
        rest = _trim_separator(text[match.end():])
        words = rest.strip()[:1] and not rest.strip()[:1].isdigit()  # "2025-06-30 11:" is a cut time
        return Stamp(_iso_date(match["date"]), None, "day" if words else None, None, rest)
    return Stamp(None, None, None, None, text)


def _dated_day(moment, text: str) -> bool:
    """``Wed 2020-05-13 The train is blocked …`` (thumbnails-2020-05-22.txt): a weekday
    and a date with its year, no clock, then words: an entry of that day."""
    return (moment.precision == "day" and not moment.yearless and moment.date is not None
            and text[moment.end:moment.end + 1] == " ")


def _iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _clock(match: re.Match) -> dt.time | None:
    if match["sh"]:
        return clock_of(match["sh"], match["sm"], None)
    if match["fh"]:
        return clock_of(match["fh"], match["fm"], None)
    return clock_of(match["h"], match["m"], match["s"], match["hhmm"], match["ampm"], millis=match["frac"])


def _trim_separator(rest: str) -> str:
    return _SEPARATOR.sub("", rest, count=1)
