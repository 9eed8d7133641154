"""IRC channel logs in the default formats of four loggers, in any time zone.

Line formats (each logger's default):

- wm-bot (Wikimedia's channel logger, github benapetr/wikimedia-bot; public
  logs at https://wm-bot.wmcloud.org/logs/): files ``<#chan>/YYYYMMDD.txt``,
  lines ``[HH:MM:SS] <nick>\\t message``, ``[HH:MM:SS] * nick action``.
- ZNC ``log`` module (https://wiki.znc.in/Log): files ``YYYY-MM-DD.log``,
  lines ``[HH:MM:SS] <nick> msg``, ``[HH:MM:SS] * nick action``,
  ``[HH:MM:SS] *** Joins: nick (ident@host)`` (also Parts, Quits, nick
  changes, modes, topics), ``[HH:MM:SS] -nick- notice``.
- irssi (https://irssi.org/documentation/help/log/ and the default theme):
  ``--- Log opened Thu Sep 28 00:00:00 2023``, ``--- Day changed Fri Sep 29
  2023``, ``HH:MM <@nick> msg`` (the nick may carry a mode prefix or a
  space), ``HH:MM  * nick action``, ``HH:MM -!- nick [~u@h] has joined
  #chan``; a ``HH:MM:SS`` timestamp format is accepted as well.
- WeeChat logger plugin (https://weechat.org/files/doc/stable/weechat_user.en.html#logger):
  ``YYYY-MM-DD HH:MM:SS\\tnick\\tmsg``; the prefix ``-->``/``<--``/``--``
  marks joins, parts and network lines, `` *`` an action (``nick action``).

The format is detected per file from its first meaningful lines (or forced
with ``format =``). Time-only lines take their date from the file name
(``YYYYMMDD`` or ``YYYY-MM-DD`` anywhere in it) or irssi's "Log opened" /
"Day changed" lines, and roll to the next day when the clock goes backwards.
Local times (``timezone =``) are converted with zoneinfo; the hour repeated
when DST ends is told apart by the order of the lines
(:func:`postmortem.core.timeutil.to_utc` with ``after=``).

Files whose name carries a date outside the window's dates ±1 day are
skipped without being opened; the rest are read to their end, line by line,
and every line counts as read. A line is a record: one that is in no format
(a garbled line, the last line cut mid-write like ``[02:2``) or whose clock
cannot be (``[25:99:00]``) is skipped with its file and line, and the rest of
the file is read. Only a file that cannot be read at all is an error: none of
its first meaningful lines is in a known format (or the forced one), or its
time-only lines have no date.

Event conventions: ``source`` "irc"; ``actor`` the nick without its mode
prefix (``@``, ``+``…); ``text`` the message, actions as ``* nick action``;
``channel`` "#chan" (from ``channel =``, else a ``#chan`` folder or file
name) when known; a ``!log`` line is a log entry (logmsgbot's is the user's
it names, :func:`postmortem.core.log_lines.logged_by`); no url; no tags but an alert's (below);
precision "second", or "minute" for irssi's ``HH:MM``. Joins, parts, quits,
nick changes, modes, topics and notices are dropped, and so are lines by the
nicks in ``ignore_nicks`` (default ``["stashbot"]``, whose lines only
acknowledge ``!log`` entries that the SAL source already has).

Lines by the alert relays in ``alert_nicks`` (default ``["icinga-wm",
"jinxer-wm"]``) that announce an alert (:mod:`postmortem.core.alerts`) are
alerts: tag ``alert``, the alert (name, state, summary, the group's count, the
line's links), its text written as every alert's (``ProbeDown firing: …``), no
actor (the relay is the field ``relayed_by``), url the relay's alerts link, so
that monitoring is seen to have notified, the report shows them as it shows
mailed alerts and the same alert mailed or in Alertmanager is one event. A nick
not in ``alert_nicks`` whose lines are mostly in a relay's shape gets a hint
in `postmortem check` (its alerts are read as chat).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable, NamedTuple

from ...core.errors import IncidentFileError, SourceFormatError
from ...core.lazy_regex import LazyRegex
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import month_number, roll_forward, to_utc, zone
from ...core.log_lines import logged_by
from ...core.vocabulary import Kind, Place
from ...core.accounting import Tally
from ...core.alerts import ALERT_RELAYS, announced_alert
from . import BaseSource, check_options, encoding_of, names_option, option, resolve_paths, text_lines

TYPE = "irc"
OPTIONS = ("path", "timezone", "format", "channel", "ignore_nicks", "alert_nicks", "encoding")
# Bots whose lines only acknowledge others ("Logged the message at …"): noise.
DEFAULT_IGNORED_NICKS = ["stashbot"]
DAY_SLACK = dt.timedelta(days=1)
DETECT_LINES = 25
MODE_PREFIXES = " ~&@%+!"

MESSAGE, ACTION, NOISE, DAY = "message", "action", "noise", "day"


class Line(NamedTuple):
    """One parsed log line. ``clock`` for time-only lines, ``stamp`` for full
    local date-times, ``day`` for lines that set the date."""

    kind: str
    clock: dt.time | None = None
    stamp: dt.datetime | None = None
    day: dt.date | None = None
    nick: str = ""
    text: str = ""
    precision: str = "second"


# Precompiled patterns, one family per logger.

_BRACKET = r"^\[(\d\d):(\d\d):(\d\d)\] "
_WMBOT_MESSAGE = LazyRegex(_BRACKET + r"<([^>\t]+)>\t ?(.*)$")
_ZNC_MESSAGE = LazyRegex(_BRACKET + r"<([^>]+)> (.*)$")
_BRACKET_ACTION = LazyRegex(_BRACKET + r"\* (\S+) ?(.*)$")
_BRACKET_NOISE = LazyRegex(_BRACKET + r"(?:\*\*\* |-\S+- ?)")

_IRSSI_TIME = r"^\s*(\d\d):(\d\d)(?::(\d\d))? "
_IRSSI_MESSAGE = LazyRegex(_IRSSI_TIME + r"<([^>]+)> ?(.*)$")
_IRSSI_ACTION = LazyRegex(_IRSSI_TIME + r"\s*\* (\S+) ?(.*)$")
_IRSSI_NOISE = LazyRegex(_IRSSI_TIME + r"-")
_IRSSI_OPENED = LazyRegex(r"^--- Log opened \w{3} (\w{3}) +(\d{1,2}) \d\d:\d\d:\d\d (\d{4})\s*$")
_IRSSI_DAY = LazyRegex(r"^--- Day changed \w{3} (\w{3}) +(\d{1,2}) (\d{4})\s*$")
_IRSSI_CLOSED = LazyRegex(r"^--- Log closed ")

_WEECHAT = LazyRegex(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\t([^\t]*)\t(.*)$")
_WEECHAT_NOISE_PREFIXES = frozenset({"-->", "<--", "--", "=!=", ""})

_NAME_DATE = LazyRegex(r"(?<!\d)(\d{4})(-?)(\d\d)\2(\d\d)(?!\d)")
_CHANNEL_IN_NAME = LazyRegex(r"#[^\s/\\,.:_#]+")


class BadClock(ValueError):
    """A line in a logger's format whose time of day cannot be (``[25:99:00]``)."""


def _clock(match: re.Match, first: int = 1) -> dt.time:
    hour, minute, second = match.group(first), match.group(first + 1), match.group(first + 2)
    try:
        return dt.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        written = f"{hour}:{minute}" + (f":{second}" if second else "")
        raise BadClock(f"{written} is not a time of day") from None


def _nick(raw: str) -> str:
    return raw.strip().lstrip(MODE_PREFIXES)


def _month_day(month: str, day: str, year: str) -> dt.date | None:
    number = month_number(month)
    try:
        return dt.date(int(year), number, int(day)) if number else None
    except ValueError:
        return None


# One parser per format: a line -> Line, or None when it is not in that format.

def parse_wmbot(line: str) -> Line | None:
    """wm-bot: ``[HH:MM:SS] <nick>\\t message``."""
    if match := _WMBOT_MESSAGE.match(line):
        return Line(MESSAGE, _clock(match), nick=_nick(match[4]), text=match[5])
    return _parse_bracket_other(line)


def parse_znc(line: str) -> Line | None:
    """ZNC: ``[HH:MM:SS] <nick> msg``."""
    if match := _ZNC_MESSAGE.match(line):
        return Line(MESSAGE, _clock(match), nick=_nick(match[4]), text=match[5])
    return _parse_bracket_other(line)


def _parse_bracket_other(line: str) -> Line | None:
    """Actions and ``***``/notice lines shared by wm-bot and ZNC."""
    if match := _BRACKET_ACTION.match(line):
        return Line(ACTION, _clock(match), nick=_nick(match[4]), text=match[5])
    if match := _BRACKET_NOISE.match(line):
        return Line(NOISE, _clock(match))
    return None


def parse_irssi(line: str) -> Line | None:
    """irssi: ``HH:MM <nick> msg``, ``HH:MM  * nick act``, ``-!-`` lines, ``---`` markers."""
    if match := _IRSSI_MESSAGE.match(line):
        return Line(MESSAGE, _clock(match), nick=_nick(match[4]), text=match[5],
                    precision="second" if match[3] else "minute")
    if match := _IRSSI_ACTION.match(line):
        return Line(ACTION, _clock(match), nick=_nick(match[4]), text=match[5],
                    precision="second" if match[3] else "minute")
    if match := _IRSSI_NOISE.match(line):
        return Line(NOISE, _clock(match))
    if match := (_IRSSI_DAY.match(line) or _IRSSI_OPENED.match(line)):
        day = _month_day(match[1], match[2], match[3])
        return Line(DAY, day=day) if day else None
    if _IRSSI_CLOSED.match(line):
        return Line(NOISE)
    return None


def parse_weechat(line: str) -> Line | None:
    """WeeChat: ``YYYY-MM-DD HH:MM:SS\\tprefix\\tmessage``."""
    match = _WEECHAT.match(line)
    if not match:
        return None
    try:
        stamp = dt.datetime(*(int(match[n]) for n in range(1, 7)))
    except ValueError:
        return None
    prefix, text = match[7], match[8]
    if prefix.strip() == "*":
        nick, _, action = text.partition(" ")
        return Line(ACTION, stamp=stamp, nick=_nick(nick), text=action)
    if prefix.strip() in _WEECHAT_NOISE_PREFIXES:
        return Line(NOISE, stamp=stamp)
    return Line(MESSAGE, stamp=stamp, nick=_nick(prefix), text=text)


# Detection order also breaks ties (wm-bot and ZNC share action/noise lines).
FORMATS: dict[str, Callable[[str], Line | None]] = {
    "weechat": parse_weechat,
    "irssi": parse_irssi,
    "znc": parse_znc,
    "wm-bot": parse_wmbot,
}


class IrcSource(BaseSource):
    """The ``irc`` source (see the module docstring)."""

    type = TYPE
    label = "IRC"
    family = "irc"
    talking = True

    def check(self, config: SourceConfig) -> None:
        """Validate options: ``path`` matches files, ``timezone`` is known, ``format``, ``channel``."""
        check_options(config, OPTIONS)
        option(config, "path", required=True)
        resolve_paths(config, option(config, "path"))
        timezone_of(config)
        format_of(config)
        option(config, "channel")
        names_option(config, "ignore_nicks")   # lists of names: the load refuses [1] with the key
        names_option(config, "alert_nicks")
        encoding_of(config)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Messages and actions inside ``window`` from every file that can hold it."""
        tally = tally if tally is not None else Tally()
        tz, fmt, encoding = timezone_of(config), format_of(config), encoding_of(config)
        wanted_dates = local_dates(window, tz)
        ignored = names_option(config, "ignore_nicks", DEFAULT_IGNORED_NICKS)
        relays = names_option(config, "alert_nicks", ALERT_RELAYS)
        events = []
        for path in resolve_paths(config, option(config, "path", required=True)):
            name_date = date_in_name(path)
            if name_date is not None and name_date not in wanted_dates:
                continue  # a day outside the window: not opened
            channel = option(config, "channel") or channel_from_path(path)
            lines = text_lines(path, encoding, source=TYPE)
            scanned = scan_file(path, fmt, tz, window, channel, name_date, lines, tally)
            events.extend(_unignored(scanned, ignored, tally))
        events.sort(key=lambda event: event.time)
        for hint in unlisted_relays(events, relays, option(config, "alert_nicks", list, list(ALERT_RELAYS))):
            tally.hint(hint)
        return [as_alert(event, relays) for event in events]


def _unignored(events: list[Event], ignored: frozenset[str], tally: Tally) -> list[Event]:
    """The events whose nick is not in ``ignore_nicks``; the others are dropped, said so."""
    kept = []
    for event in events:
        if (event.actor or "").lower() in ignored:
            tally.drop(f"a line by {event.actor} (in ignore_nicks)", *_file_line(event))
        else:
            kept.append(event)
    return kept


def _file_line(event: Event) -> tuple[str | None, int | None]:
    return (event.place.file, event.place.line) if event.place is not None else (None, None)


def as_alert(event: Event, relays: frozenset[str]) -> Event:
    """``event`` as an alert when an alert relay announces one, written as every
    alert is (its name, state and summary) with the relay's alerts link, the
    relay in the field ``relayed_by``; another line of a relay is a bot's (an
    acknowledgement, a greeting); else unchanged."""
    if (event.actor or "").lower() not in relays or event.fields.get("action"):
        return event
    announced = announced_alert(event.text)
    if announced is None:
        return replace(event, kind=Kind.BOT)
    return replace(event, text=announced.alert.describe(), actor=None, url=announced.url,
                   tags=event.tags + ("alert",), kind=None, alert=announced.alert,
                   fields={**event.fields, "relayed_by": event.actor})


def unlisted_relays(events: list[Event], relays: frozenset[str], relay_nicks: list[str]) -> list[str]:
    """A hint per nick not in ``alert_nicks`` whose messages are mostly
    in a relay's shape (``FIRING:``, ``PROBLEM - ``…: :mod:`postmortem.core.alerts`),
    so read as chat: how many, the first one's ``file:line``, and the setting
    that reads them as alerts (``relay_nicks``, as written, and the nick). A person
    quoting an alert among their own words is none."""
    said, announced = Counter(), {}
    for event in events:
        nick = event.actor or ""
        if nick.lower() in relays or event.fields.get("action") or event.log is not None:
            continue
        said[nick] += 1
        if announced_alert(event.text) is not None:
            announced.setdefault(nick, []).append(event)
    return [f"{nick} wrote {len(lines)} line{'s' if len(lines) > 1 else ''} like an alert relay's "
            f"(first {lines[0].place}), read as chat: to read them as alerts, set "
            f"alert_nicks = {json.dumps([*relay_nicks, nick])}"
            for nick, lines in announced.items() if nick and 2 * len(lines) > said[nick]]


def local_dates(window: Window, tz: dt.tzinfo) -> set[dt.date]:
    """Dates of the files that can hold ``window``: files are named by the log's
    local date; the day before is kept for a file whose lines run past midnight."""
    first = window.start.astimezone(tz).date() - DAY_SLACK
    last = window.end.astimezone(tz).date()
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


# Options

def timezone_of(config: SourceConfig) -> dt.tzinfo:
    """The ``timezone`` option as a tzinfo (UTC by default)."""
    name = option(config, "timezone", default="UTC")
    try:
        return zone(name)
    except ValueError as err:
        raise IncidentFileError(f"{config.name}: {err}", file=config.file, key="timezone") from None


def format_of(config: SourceConfig) -> str:
    """The ``format`` option: "auto" or one of FORMATS."""
    name = option(config, "format", default="auto")
    if name != "auto" and name not in FORMATS:
        raise IncidentFileError(f"{config.name}: 'format' must be auto, {', '.join(FORMATS)}; "
                                f"got {name!r}", file=config.file, key="format")
    return name


# File names

def date_in_name(path: Path) -> dt.date | None:
    """``YYYYMMDD`` or ``YYYY-MM-DD`` in the file name, if it is a real date."""
    for match in _NAME_DATE.finditer(path.name):
        try:
            return dt.date(int(match[1]), int(match[3]), int(match[4]))
        except ValueError:
            continue
    return None


def channel_from_path(path: Path) -> str | None:
    """``#chan`` from the nearest folder named like one, else from the file name."""
    for folder in reversed(path.parent.parts):
        if folder.startswith("#"):
            return folder
    match = _CHANNEL_IN_NAME.search(path.name)
    return match.group(0) if match else None


# Scanning

def scan_file(path: Path, fmt: str, tz: dt.tzinfo, window: Window, channel: str | None,
              name_date: dt.date | None, lines=None, tally: Tally | None = None) -> list[Event]:
    """Events of one file, in one pass over its lines (``(number, line)`` pairs,
    by default the file's UTF-8 lines)."""
    tally = tally if tally is not None else Tally()
    lines = lines if lines is not None else text_lines(path, source=TYPE)
    numbered = ((number, line.rstrip("\r\n")) for number, line in lines if line.strip())
    head = list(itertools.islice(numbered, DETECT_LINES))
    if not head:
        return []
    parse = FORMATS[fmt] if fmt != "auto" else detect_format(path, head)
    if not any(_fits(parse, line) for _, line in head):
        number, line = head[0]
        raise SourceFormatError(f"not an IRC log in the {format_name(parse)} format: {line[:80]!r}",
                                file=path, line=number, source=TYPE)
    return scan_lines(itertools.chain(head, numbered), parse, path, tz, window, channel, name_date, tally)


def detect_format(path: Path, head: list[tuple[int, str]]) -> Callable[[str], Line | None]:
    """The format most of ``head``'s lines fit (the first in FORMATS on a tie): a
    garbled or truncated line among them does not decide; error when none fits any."""
    fitting = {name: sum(_fits(parse, line) for _, line in head) for name, parse in FORMATS.items()}
    best = max(FORMATS, key=lambda name: fitting[name])  # max() keeps the first of equals
    if not fitting[best]:
        number, line = head[0]
        raise SourceFormatError(f"not an IRC log in a known format "
                                f"({', '.join(FORMATS)}): {line[:80]!r}",
                                file=path, line=number, source=TYPE)
    return FORMATS[best]


def _fits(parse, line: str) -> bool:
    """Whether ``line`` is in ``parse``'s format (an impossible clock too: the shape is the format's)."""
    try:
        return parse(line) is not None
    except BadClock:
        return True


def format_name(parse) -> str:
    """The ``format =`` name of a parser."""
    return next(name for name, candidate in FORMATS.items() if candidate is parse)


def scan_lines(numbered, parse, path: Path, tz: dt.tzinfo, window: Window,
               channel: str | None, day: dt.date | None, tally: Tally) -> list[Event]:
    """The per-line loop, to the file's end: parse, place in time, keep what
    falls in ``window``; a line not understood is skipped, said so, and the
    next one read."""
    previous = None
    events = []
    for number, line in numbered:
        parsed, problem = _parse(parse, line)
        if problem is not None:
            tally.count()
            tally.skip(problem, path, number)
            continue
        if parsed.kind == DAY:
            day = parsed.day
            continue
        if parsed.clock is None and parsed.stamp is None:  # "--- Log closed"
            continue
        tally.count()
        moment = _moment(parsed, day, previous, tz, path, number)
        day, previous = moment.astimezone(tz).date(), moment
        if parsed.kind == NOISE:
            tally.drop("IRC status line (join, part, quit, nick change, mode, topic or notice)", path, number)
        elif moment in window:
            events.append(to_event(parsed, moment, channel, path, number))
    return events


def _parse(parse, line: str) -> tuple[Line | None, str | None]:
    """``(the parsed line, None)``, or ``(None, why it is not understood)``."""
    try:
        parsed = parse(line)
    except BadClock as err:
        return None, f"{err}: {line[:80]!r}"
    if parsed is None:
        return None, f"line not in the {format_name(parse)} format: {line[:80]!r}"
    return parsed, None


def _moment(parsed: Line, day: dt.date | None, previous, tz: dt.tzinfo, path: Path, number: int) -> dt.datetime:
    """A line's UTC time: its own date-time, or its clock on the running day."""
    if parsed.stamp is not None:
        return to_utc(parsed.stamp, tz, after=previous)
    if day is None:
        raise SourceFormatError("no date for this line: the file name has no YYYYMMDD or "
                                "YYYY-MM-DD and no 'Log opened' line came before",
                                file=path, line=number, source=TYPE)
    return roll_forward(day, parsed.clock, previous, tz)


def to_event(parsed: Line, moment: dt.datetime, channel: str | None, path: Path | None = None,
             number: int | None = None) -> Event:
    """A message or action line as an Event (an action's text as IRC shows it,
    ``* nick action``, with the ``action`` field so that no ``nick:`` goes before it)."""
    place = Place(str(path), number) if path is not None else None
    if parsed.kind == ACTION:
        return Event(time=moment, source=TYPE, text=f"* {parsed.nick} {parsed.text}".rstrip(),
                     actor=parsed.nick or None, precision=parsed.precision, fields={"action": "true"},
                     channel=channel, place=place)
    actor, text, entry = parsed.nick or None, parsed.text, None
    if logged := _LOG_COMMAND.match(text):  # `!log msg`: a SAL entry asked for (stashbot writes it)
        actor, text, entry = logged_by(actor, logged["message"])
    return Event(time=moment, source=TYPE, text=text, actor=actor, precision=parsed.precision,
                 channel=channel, place=place, log=entry)


_LOG_COMMAND = LazyRegex(r"^\s*!log\s+(?P<message>.+)$", re.I)


SOURCE = IrcSource()
