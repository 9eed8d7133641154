"""The Timeline section: one entry per timed line (bullets or plain
paragraphs; pasted IRC lines ``13:30 <nick> msg`` as in toolsdb-primary-down.wiki),
dated by the lines above it — date lines (``'''Sunday 2025-03-30'''``,
``<u>12th March 2025</u>``) and sub-headings naming a day (``=== 2024-12-07
occurrence ===``) — or the metadata; rows of a timeline written as a wiki
table; and, in a plain-text copy, a table that became alternating time and text
lines (tests/fixtures/reports/corpus/papal-traffic-surge.txt).
``'''OUTAGE BEGINS'''``/``ENDS`` marks become tags, and the renderer's own
``(label) actor:`` prefix is split off again. The actor is also read from a
pasted ``<nick>`` or ``{{Ircnick|nick}}``; a stamp that is a link gives the url.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from ..core.alerts import ALERT_RELAYS, announced_alert
from ..core.model import Problem
from ..core.timeutil import UTC, format_utc, roll_forward, to_utc
from ._headless import headless_lines, zone_note
from ._dates import find_date, lead_up_day, parse_date_line, yearless_date_line, yearless_day
from ._layout import BULLET, Page, bullet_level, find_section, section_lines, tables_in
from ._time_grammar import Zone
from ._placeholders import is_placeholder
from ._stamps import Stamp, split_stamp
from ._tables import rows_of_table
from ._text import decode_text


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline line; ``time`` is UTC when the report gives a date, else None.

    ``clock`` is the stamp as written (``"15:42"``), None for a line with no
    time at all; ``tags`` holds ``outage-begins`` / ``outage-ends`` marks;
    ``source`` the kind of record the line shows (``sal``, ``irc``, ``slack``,
    ``alert`` …: the renderer's label, a SAL link (its actor the nick that logged it),
    a pasted IRC nick, an alert as its relay announced it). Not an ``Event``: what
    a person wrote, read back (a time maybe without date, a label, no typed facts).
    """

    time: dt.datetime | None
    text: str
    line: int
    clock: str | None = None
    precision: str | None = None
    tags: tuple[str, ...] = ()
    label: str | None = None   # "(IRC #chan)" as the renderer writes it, without brackets
    actor: str | None = None
    source: str | None = None
    url: str | None = None

    def to_json(self) -> dict:
        """``{"time", "text"}`` (docs/formats.md) and ``actor``, ``source``, ``tags``, ``url``."""
        return {"time": format_utc(self.time) if self.time else None, "text": self.text,
                "actor": self.actor, "source": self.source, "tags": list(self.tags), "url": self.url}


def windows_from_marks(timeline) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Without metadata, the windows are the OUTAGE marks': each OUTAGE BEGINS
    mark with the OUTAGE ENDS mark after it (two outages,
    two windows: tests/fixtures/reports/corpus/varnish-20190503.txt); an ENDS
    without a BEGINS closes nothing."""
    windows: list = []
    for entry in timeline:
        if entry.time is None:
            continue
        if "outage-begins" in entry.tags and (not windows or windows[-1][1] is not None):
            windows.append([entry.time, None])
        if "outage-ends" in entry.tags and windows and windows[-1][1] is None and entry.time >= windows[-1][0]:
            windows[-1][1] = entry.time
    return [tuple(w) for w in windows]


# A zone note and, on the same line, what follows it: "All times in UTC. Friday 16th".
_NOTE_THEN = re.compile(r"^(?P<note>\W*(?:all\s+)?times?\s+[^.]{2,24}\.)\s+(?P<rest>\S.*)$", re.I)


_OUTAGE = re.compile(r"\bOUTAGE\s+(BEGINS|BEGAN|STARTS|STARTED|ENDS|ENDED|RESOLVED)\b"
                     r"|^(?:the\s+)?incident\s+(begins|began|starts|started|ends|ended|resolved)\b", re.I)


# The renderer says what it left out after a line as " ''(+3 messages, +1 SAL entry)''"
# (Markdown: " *(\+3 messages)*"), after the marks (templates/components/timeline.*.j2).
_FOLDED = re.compile(r"\s+(?:''|\*)\(\\?\+\d+ (?:messages?|SAL entr(?:y|ies))(?:, \+\d+ SAL entr(?:y|ies))?\)(?:''|\*)\s*$")
# The renderer appends the mark as " — '''OUTAGE BEGINS'''" (templates/); strip it back.
_RENDERED_MARK = re.compile(r"\s+—\s+'''OUTAGE (?:BEGINS|ENDS)'''\s*$")


# The renderer's source label and actor (templates/components/timeline.wiki.j2):
# "*2023-09-28 15:05:40 (IRC #chan) tchin: text", "([https://… alert]) text".
_LABEL_NAMES = r"(?:SAL|IRC|Slack|alert|e-?mail|Phabricator|Alertmanager|Prometheus|status page)(?: #[^\s)\]]+)?"


# A link to another service's page follows the name: "(alert, [https://… Prometheus])".
_RENDERED_LABEL = re.compile(
    rf"^\((?:\[(?P<url>(?:https?:)?//[^\s\]]+)\s+(?P<linked>{_LABEL_NAMES})\]|(?P<plain>{_LABEL_NAMES})"
    rf"(?:,\s+\[(?P<elsewhere>(?:https?:)?//[^\s\]]+)\s+[^\]]+\])?)\)\s+")


_RENDERED_ACTOR = re.compile(r"^(?P<actor>[^\s:\[\]{}<>|]{1,64}):\s+")
# An action as the renderer writes it after a label: "* nick waves" (the nick stays in the text).
_RENDERED_ACTION = re.compile(r"^\*\s(?P<actor>[^\s:\[\]{}<>|]{1,64})\s")


# A label's first word -> the kind of record (the source types' families).
_LABEL_SOURCES = {"sal": "sal", "irc": "irc", "slack": "slack", "alert": "alert", "email": "alert",
                  "e-mail": "alert", "alertmanager": "alert", "prometheus": "alert",
                  "phabricator": "phabricator", "status": "statuspage"}


# A pasted chat line "<nick> text" (not an HTML tag), or Wikitech's {{Ircnick|nick}}.
_PASTED_NICK = re.compile(r"^[+@]?<(?P<nick>[^\s<>/=\"']{1,40})>")
_IRCNICK = re.compile(r"^\{\{\s*ircnick\s*\|\s*(?P<nick>[^|{}]+?)\s*(?:\|[^{}]*)?\}\}", re.I)
_TAGS = frozenset("""a abbr b big blockquote br center cite code dd del div dl dt em font gallery hr i ins
    kbd li mark math nowiki ol p poem pre q ref references s samp small source span strike strong sub sup
    syntaxhighlight table td th tr tt u ul var""".split())


_PHAB_LINK_SAME = re.compile(r"\[\[phab:(T\d+)\|\1\]\]")  # renders as plain "T123"


_BR = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.I)


_HEADING_LINE = re.compile(r"^(={2,6})(.+?)\1\s*$")


_CUT_TIME = re.compile(r"^\d{1,2}:?$|^\d{1,2}:\D")  # "2025-06-30 11:": a time cut short


# "25:00 x", "99:99", "10.57 x" (the dot form is read in bold only), "9h05" (one-digit hour,
# like the duration "1h30"): shaped like a time, not read as one.
_BAD_TIME = re.compile(r"^\[?(?:'{2,3})?\d{1,2}[:.h]\d{2}(?![\d.])")


@dataclass
class _Clock:
    """The running date context while walking a timeline."""

    date: dt.date | None
    previous: dt.datetime | None
    anchor_time: dt.datetime | None  # metadata start with its clock, for the lead-up rule
    zone: Zone | None = None         # "All times in PDT": the zone of lines that write none
    dated: bool = False              # a line of the timeline has given a date (else: the report's own)


@dataclass
class _Reader:
    """Walks a timeline's lines in order, keeping the date and the open entry."""

    clock: _Clock
    problems: list
    entries: list = field(default_factory=list)
    joinable: bool = False    # the next plain line continues the last entry
    style: str | None = None  # "bullet" or "plain": what the first entry was
    cells: bool = False       # a copy's table: time lines, then text lines
    drawn: bool = False       # the last bullet was a copy's "•" / "-", not wikitext's "*"
    indent: int | None = None  # how far a plain-text copy indents its top-level "•" bullets

    def blank(self) -> None:
        self.joinable = False

    def set_date(self, date: dt.date) -> None:
        """A date line or sub-heading: the lines below it are on that day."""
        self.clock.date, self.clock.previous, self.clock.anchor_time = date, None, None
        self.clock.dated, self.joinable = True, False

    def _yearless(self, day: dt.date | None) -> dt.date | None:
        """A day written without its year, already placed nearest the running date."""
        return day if self.clock.dated else lead_up_day(day, self.clock.date)

    def line(self, number: int, raw: str) -> None:
        line = raw.strip(" \t\u00a0")
        if not line:
            return self.blank()
        heading = _HEADING_LINE.match(line)
        noted = zone_note(BULLET.sub("", line)) if not heading else None
        if noted is not None:
            self.clock.zone, self.joinable = noted, False
            return None
        then = _NOTE_THEN.match(line) if not heading and "ime" in line[:12] else None
        if then and zone_note(then["note"]):  # "All times in UTC. Friday 16th"
            self.clock.zone = zone_note(then["note"])
            line = then["rest"]
        date = (find_date(heading.group(2)) if heading else parse_date_line(line)) \
            or self._yearless(yearless_date_line(heading.group(2) if heading else line, self.clock.date))
        if date is not None:
            return self.set_date(date)
        if heading or _skip_timeline_line(line):
            self.joinable = False
            return None
        return self.timed_or_text(line, number, len(raw) - len(raw.lstrip(" \t\u00a0")))

    def timed_or_text(self, line: str, number: int, indent: int = 0) -> None:
        bullet = BULLET.match(line) if not (self.cells and line[:1] == ":") else None  # ": text" of a cell
        body = line[bullet.end():] if bullet else line
        if bullet:
            self.drawn = bullet.group(1) is None
        stamp = split_stamp(body)
        if stamp.clock is None and stamp.date is None and not stamp.unknown:
            if self._continues(bullet, body, indent):
                return None
        elif self._pasted_under_bullet(bullet, body):
            return None
        self.add(stamp, number, bullet is not None)
        if bullet is not None and self.indent is None and not bullet.group(1):
            self.indent = indent
        return None

    def _pasted_under_bullet(self, bullet, body: str) -> bool:
        """In a copy, a line without a bullet right under a bullet entry (no blank
        line between) is what was pasted under it, a log line with its own time
        ("• 00:00 Last event is replicated" / "Feb 28 00:00:26 conf2005 etcdmirror…:
        INFO: …", etcd-mirror-2024-02-28.txt): part of that entry, not an entry. (In
        wikitext such a line is a paragraph of its own.)"""
        if bullet or not self.drawn or self.style != "bullet" or not self.joinable or not self.entries:
            return False
        self.entries[-1] = _append_text(self.entries[-1], body)
        return True

    def _continues(self, bullet, body: str, indent: int = 0) -> bool:
        """An untimed line that belongs to the entry above (or to no entry)."""
        entries = self.entries
        if not bullet and entries and (self.cells or (entries[-1].clock and not entries[-1].text)):
            self.cells = True  # the cell after a time-only line: the copy of a table row
            if not entries[-1].text and entries[-1].actor is None and _pasted_actor(body):
                entries[-1] = replace(entries[-1], actor=_pasted_actor(body), source=entries[-1].source or "irc")
            entries[-1] = _append_text(entries[-1], body, " ")
            return True
        if not bullet and self.joinable and entries:  # a wrapped line under its entry
            entries[-1] = _append_text(entries[-1], body)
            return True
        if not bullet and (not entries or self.style == "bullet"):
            return True  # prose before the first entry, or a paragraph among bullets
        if bullet and self._nested(bullet, indent) and entries:  # nested bullet: a detail
            entries[-1] = _append_text(entries[-1], body)
            self.joinable = True
            return True
        return False

    def _nested(self, bullet, indent: int) -> bool:
        """``**`` in wikitext; in a plain-text copy (dns-20140716.txt), a "•" indented
        deeper than the timeline's first bullet."""
        if bullet.group(1):
            return bullet_level(bullet) > 1
        return self.indent is not None and indent > self.indent

    def add(self, stamp: Stamp, number: int, bullet: bool) -> None:
        self.entries.append(self.make_entry(stamp, number))
        self.style = self.style or ("bullet" if bullet else "plain")
        self.joinable = True

    def make_entry(self, stamp: Stamp, number: int) -> TimelineEntry:
        state, time = self.clock, None
        if stamp.yearless:
            stamp = replace(stamp, date=self._yearless(yearless_day(stamp.date, state.date)))
        if stamp.date is not None:
            state.date, state.dated = stamp.date, True
        if stamp.clock is None and stamp.precision == "day" and stamp.date is not None:
            time = dt.datetime.combine(stamp.date, dt.time(), UTC)  # "September 15th: work begins"
        if stamp.clock is not None and state.date is not None:
            before = state.previous
            time = _place(stamp, state)
            self._check_season(stamp, state, number)
            if _rolled_far(before, time, stamp):
                self.problems.append(Problem("out-of-order", number, (
                    f"{stamp.written} comes after {before:%H:%M} and is read as the next day, "
                    f"{time:%Y-%m-%d}: out of order, or give its date")))
            state.previous, state.date = time, time.date()
        if stamp.note:
            self.problems.append(Problem("odd-time", number, stamp.note))
        elif stamp.clock is None and not stamp.unknown and (
                (stamp.date is not None and _CUT_TIME.match(stamp.rest)) or _BAD_TIME.match(stamp.rest)):
            self.problems.append(Problem("bad-time", number, f"not a time: {stamp.rest[:20]!r}"))
        rest, label, actor, url = _split_label(stamp.rest)
        text, tags = _entry_text(rest)
        actor = actor or _pasted_actor(rest)
        sal = _is_sal(stamp.url) or stamp.log == "sal"
        if sal and actor is None:
            actor = _sal_actor(text)
        labelled = _label_source(label)
        if labelled in (None, "irc") and _is_alert(text, actor):  # pasted, or as the renderer wrote it
            source = "alert"
        else:
            source = labelled or ("sal" if sal else stamp.log) or ("irc" if actor and not label else None)
        return TimelineEntry(time, text, number, stamp.written, stamp.precision, tags, label, actor,
                             source, url or stamp.url)

    def _check_season(self, stamp: Stamp, state: _Clock, number: int) -> None:
        zone = stamp.zone or state.zone
        note = zone.season_note(dt.datetime.combine(state.date, stamp.clock)) if zone else None
        if note:
            self.problems.append(Problem("zone-season", number, note))

    def table(self, table) -> None:
        """A timeline kept as a wiki table: a row is (date,) time, text cells. A
        table with no time in it (images, as in sessionstore.wiki) is not one."""
        rows = [[c for c in row if not c.header and c.text] for row in rows_of_table(table)]
        timed = [next((i for i, c in enumerate(cells) if _time_cell(c.raw)), None) for cells in rows]
        if all(at is None for at in timed):
            return
        first = next(i for i, at in enumerate(timed) if at is not None)
        for index, (cells, at) in enumerate(zip(rows, timed)):
            if not cells or (at is None and index < first):  # a header written with | cells
                continue
            if at is None:
                self.add(split_stamp(" ".join(c.raw.strip() for c in cells)), cells[0].line, False)
                continue
            for cell in cells[:at]:
                date = parse_date_line(cell.raw)
                if date is not None:
                    self.set_date(date)
            text = " ".join(c.raw.strip() for c in cells[at + 1:])
            stamp = split_stamp(cells[at].raw.strip())
            self.add(replace(stamp, rest=text), cells[at].line, False)
            self.joinable = False


def read_timeline(page: Page, anchor, problems: list[Problem] | None = None) -> list[TimelineEntry]:
    """The timeline's entries in page order; ``anchor`` is the date for time-only
    lines (a datetime when the metadata start has a clock)."""
    problems = problems if problems is not None else []
    section = find_section(page.sections, "Timeline")
    if section is not None:
        lines, tables = section_lines(page, section), tables_in(page, section)
    elif page.headings_lost:
        lines, tables = headless_lines(page, problems), []
    else:
        lines, tables = [], []
    reader = _Reader(_initial_clock(anchor), problems)
    table_at = {t[0]: t for t in tables}
    for number, raw in lines:
        if number in table_at:
            reader.table(table_at[number])
        reader.line(number, raw)
    undated = [e for e in reader.entries if e.clock and e.time is None]
    if undated:
        problems.append(Problem("no-date", section.line if section else undated[0].line,
                                "timeline times have no date: give a start date in {{Incident scorecard}} "
                                "or a dated line, or pass the page title"))
    return reader.entries


def _initial_clock(anchor) -> _Clock:
    if isinstance(anchor, dt.datetime):
        return _Clock(anchor.date(), None, anchor)
    return _Clock(anchor, None, None)


def _time_cell(raw: str) -> bool:
    stamp = split_stamp(raw.strip())
    return stamp.clock is not None and not stamp.rest.strip()


# A day line that names no date ("Previous days" over the lead-up's bullets): no entry.
_UNDATED_DAY = re.compile(r"^(?:'{2,3})?(?:previous|earlier|prior|following|later)\s+days?(?:'{2,3})?:?\s*$", re.I)


def _skip_timeline_line(line: str) -> bool:
    body = BULLET.sub("", line)
    return (not body or zone_note(body) is not None or _UNDATED_DAY.match(body) is not None or is_placeholder(line)
            or body.startswith(("{|", "|}", "[[File:", "[[Image:")) or is_omitted_note(body))


# The renderer's line for a stretch it left out (templates/components/timeline.wiki.j2,
# postmortem/timeline/curate.py): "''(14 more messages in Slack #chan, 15:58–16:24)''".
_OMITTED_NOTE = re.compile(r"^''\(\d+ more (?:messages?|SAL entr(?:y|ies))\b.*\)''\s*$")


def is_omitted_note(body: str) -> bool:
    """A line saying how many records the report left out: no timeline entry."""
    return _OMITTED_NOTE.match(body) is not None


def _split_label(rest: str):
    """The renderer's ``(label) actor:`` prefix, split off; other text is left alone."""
    match = _RENDERED_LABEL.match(rest) if rest[:1] == "(" else None
    if not match:
        return rest, None, None, None
    label = match["linked"] or match["plain"]
    rest = rest[match.end():]
    actor = _RENDERED_ACTOR.match(rest)
    if actor:
        return rest[actor.end():], label, decode_text(actor["actor"]), match["url"] or match["elsewhere"]
    action = _RENDERED_ACTION.match(rest)
    return rest, label, decode_text(action["actor"]) if action else None, match["url"] or match["elsewhere"]


def _pasted_actor(raw: str) -> str | None:
    """``<nick> text`` as pasted from IRC (the raw line: the renderer escapes ``<``), ``{{Ircnick|nick}}``."""
    if raw[:1] in "<+@":
        match = _PASTED_NICK.match(raw)
        if match and match["nick"].lower() not in _TAGS:
            return match["nick"]
    elif raw[:2] == "{{":
        match = _IRCNICK.match(raw)
        if match:
            return match["nick"]
    return None


def _label_source(label: str | None) -> str | None:
    if not label:
        return None
    return _LABEL_SOURCES.get(label.split()[0].lower())


def _is_sal(url: str | None) -> bool:
    """A link to an entry of the SAL tool, on Toolforge or at its old tools.wmflabs.org address."""
    return bool(url) and ("sal.toolforge.org/" in url or "tools.wmflabs.org/sal/" in url)


# A SAL entry's text starts with who logged it: "marostegui@cumin1001: depool db1136" (cookbooks
# and scap log as user@host), "jynus: restart mariadb".
_SAL_ACTOR = re.compile(r"^(?P<nick>[\w.\-\[\]`|^]{1,40})(?:@[\w.-]+)?:\s")


def _sal_actor(text: str) -> str | None:
    match = _SAL_ACTOR.match(text)
    return match["nick"] if match else None


def _is_alert(text: str, actor: str | None) -> bool:
    """A line that shows an alert as its relay announced it (:mod:`postmortem.core.alerts`),
    by the relay's nick or on its own."""
    if actor is not None and actor.lower() not in ALERT_RELAYS:
        return False
    pasted = _PASTED_NICK.match(text) if actor else None
    return announced_alert(text[pasted.end():].lstrip() if pasted else text) is not None


# A time-only line that goes back rolls over to the next day. Over midnight that is
# a short step (23:50, then 00:10); a step of more than this is a line out of order.
ROLLED_FAR = dt.timedelta(hours=12)


def _rolled_far(before: dt.datetime | None, time: dt.datetime, stamp: Stamp) -> bool:
    """A time-only line placed on a later day than the line before it, far after it."""
    return (before is not None and stamp.date is None and time.date() > before.date()
            and time - before > ROLLED_FAR)


def _place(stamp: Stamp, state: _Clock) -> dt.datetime:
    """UTC time of a stamp: its own date, or the running date rolled forward; in
    the stamp's zone, else the one the page said, else UTC."""
    zone = stamp.zone or state.zone
    tz = zone.tzinfo if zone else UTC
    if stamp.date is not None:
        return to_utc(dt.datetime.combine(stamp.date, stamp.clock), tz)
    if state.previous is None and state.anchor_time is not None:
        moment = to_utc(dt.datetime.combine(state.date, stamp.clock), tz)
        if moment - state.anchor_time > dt.timedelta(hours=12):
            moment -= dt.timedelta(days=1)  # lead-up the evening before the start
        return moment
    return roll_forward(state.date, stamp.clock, state.previous, tz)


def _entry_text(rest: str) -> tuple[str, tuple[str, ...]]:
    tags = []
    if "''(+" in rest or "*(\\+" in rest:
        rest = _FOLDED.sub("", rest)
    if "utage" in rest or "UTAGE" in rest or rest[:9].lower() in ("incident ", "the incid"):
        for match in _OUTAGE.finditer(rest):
            word = (match.group(1) or match.group(2)).upper()
            tag = "outage-begins" if word.startswith(("BEG", "STA")) else "outage-ends"
            if tag not in tags:
                tags.append(tag)
        rest = _RENDERED_MARK.sub("", rest)
    if "[[" in rest:
        rest = _PHAB_LINK_SAME.sub(r"\1", rest)
    if "<" in rest:
        rest = _BR.sub("\n", rest)
    return decode_text(rest).strip(" \t\u00a0"), tuple(tags)


def _append_text(entry: TimelineEntry, more: str, joiner: str = "\n") -> TimelineEntry:
    text, tags = _entry_text(more)
    merged = tuple(dict.fromkeys(entry.tags + tags))
    if joiner == " ":
        text = " ".join(f"{entry.text} {text}".split())
    elif entry.text:
        text = f"{entry.text}{joiner}{text}"
    return replace(entry, text=text, tags=merged)
