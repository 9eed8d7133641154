"""The Timeline section: one entry per timed line (bullets or plain
paragraphs; pasted IRC lines ``13:30 <nick> msg`` as in toolsdb-primary-down.wiki),
dated by the lines above it, ``'''OUTAGE BEGINS'''``/``ENDS`` marks as tags,
and the renderer's own ``(label) actor:`` prefix split off again."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


from ..core.timeutil import UTC, format_utc, roll_forward
from .dates import Stamp, parse_date_line, split_stamp
from .layout import BULLET, Page, find_section, section_lines
from .placeholders import is_placeholder
from .text import decode_text


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline line; ``time`` is UTC when the report gives a date, else None.

    ``clock`` is the stamp as written (``"15:42"``), None for a line with no
    time at all; ``tags`` holds ``outage-begins`` / ``outage-ends`` marks.
    """

    time: dt.datetime | None
    text: str
    line: int
    clock: str | None = None
    precision: str | None = None
    tags: tuple[str, ...] = ()
    label: str | None = None   # "(IRC #chan)" as the renderer writes it, without brackets
    actor: str | None = None

    def to_json(self) -> dict:
        return {"time": format_utc(self.time) if self.time else None, "text": self.text}


def window_from_marks(timeline) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Without metadata, the OUTAGE BEGINS/ENDS marks give the window."""
    begins = [e.time for e in timeline if "outage-begins" in e.tags and e.time]
    ends = [e.time for e in timeline if "outage-ends" in e.tags and e.time]
    return (begins[0] if begins else None), (ends[-1] if ends else None)


_UTC_NOTE = re.compile(r"^\W*(?:all\s+)?times?\s+(?:are\s+)?(?:in\s+)?UTC\W*$", re.I)


_OUTAGE = re.compile(r"\bOUTAGE\s+(BEGINS|BEGAN|STARTS|STARTED|ENDS|ENDED)\b", re.I)


# The renderer appends the mark as " — '''OUTAGE BEGINS'''" (templates/); strip it back.
_RENDERED_MARK = re.compile(r"\s+—\s+'''OUTAGE (?:BEGINS|ENDS)'''\s*$")


# The renderer's source label and actor (templates/components/timeline.wiki.j2):
# "*2023-09-28 15:05:40 (IRC #chan) tchin: text", "([https://… alert]) text".
_LABEL_NAMES = r"(?:SAL|IRC|Slack|alert|e-?mail|Phabricator|Alertmanager|Prometheus|status page)(?: #[^\s)\]]+)?"


_RENDERED_LABEL = re.compile(
    rf"^\((?:\[(?:https?:)?//[^\s\]]+\s+(?P<linked>{_LABEL_NAMES})\]|(?P<plain>{_LABEL_NAMES}))\)\s+")


_RENDERED_ACTOR = re.compile(r"^(?P<actor>[^\s:\[\]{}<>|]{1,64}):\s+")
# An action as the renderer writes it after a label: "* nick waves" (the nick stays in the text).
_RENDERED_ACTION = re.compile(r"^\*\s(?P<actor>[^\s:\[\]{}<>|]{1,64})\s")


_PHAB_LINK_SAME = re.compile(r"\[\[phab:(T\d+)\|\1\]\]")  # renders as plain "T123"


_BR = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.I)


_HEADING_LINE = re.compile(r"^(={2,6})(.+?)\1\s*$")


@dataclass
class _Clock:
    """The running date context while walking a timeline."""

    date: dt.date | None
    previous: dt.datetime | None
    anchor_time: dt.datetime | None  # metadata start with its clock, for the lead-up rule


def read_timeline(page: Page, anchor) -> list[TimelineEntry]:
    section = find_section(page.sections, "Timeline")
    state = _initial_clock(anchor)
    entries: list[TimelineEntry] = []
    joinable = False
    for number, raw in section_lines(page, section):
        line = raw.strip(" \t\u00a0")
        if not line:
            joinable = False
            continue
        heading = _HEADING_LINE.match(line)
        date = parse_date_line(heading.group(2) if heading else line)
        if date is not None:
            state.date, joinable = date, False
            continue
        if heading or _skip_timeline_line(line):
            joinable = False
            continue
        entry, joinable = _timeline_line(line, number, state, entries, joinable)
        if entry is not None:
            entries.append(entry)
    return entries


def _initial_clock(anchor) -> _Clock:
    if isinstance(anchor, dt.datetime):
        return _Clock(anchor.date(), None, anchor)
    return _Clock(anchor, None, None)


def _skip_timeline_line(line: str) -> bool:
    body = BULLET.sub("", line)
    return (not body or _UTC_NOTE.match(body) is not None or is_placeholder(line)
            or body.startswith(("{|", "|}", "[[File:", "[[Image:")) or is_omitted_note(body))


# The renderer's line for a stretch it left out (templates/components/timeline.wiki.j2,
# postmortem/timeline/curate.py): "''(14 more messages in Slack #chan, 15:58–16:24)''".
_OMITTED_NOTE = re.compile(r"^''\(\d+ more (?:messages?|SAL entr(?:y|ies))\b.*\)''\s*$")


def is_omitted_note(body: str) -> bool:
    """A line saying how many records the report left out: no timeline entry."""
    return _OMITTED_NOTE.match(body) is not None


def _timeline_line(line, number, state: _Clock, entries, joinable):
    """One non-empty line: a new entry, or a continuation of the previous one."""
    bullet = BULLET.match(line)
    body = line[bullet.end():] if bullet else line
    stamp = split_stamp(body)
    if stamp.clock is None and stamp.date is None:
        if not bullet and joinable and entries:  # a wrapped line under its entry
            entries[-1] = _append_text(entries[-1], body)
            return None, True
        if not bullet and not entries:           # prose before the first entry
            return None, False
        if bullet and len(bullet.group(1)) > 1 and entries:  # nested bullet: a detail
            entries[-1] = _append_text(entries[-1], body)
            return None, True
    return _make_entry(stamp, number, state), True


def _make_entry(stamp: Stamp, number: int, state: _Clock) -> TimelineEntry:
    time = None
    if stamp.date is not None:
        state.date = stamp.date
    if stamp.clock is not None and state.date is not None:
        time = _place(stamp, state)
        state.previous, state.date = time, time.date()
    rest, label, actor = _split_label(stamp.rest)
    text, tags = _entry_text(rest)
    return TimelineEntry(time, text, number, stamp.written, stamp.precision, tags, label, actor)


def _split_label(rest: str) -> tuple[str, str | None, str | None]:
    """The renderer's ``(label) actor:`` prefix, split off; other text is left alone."""
    match = _RENDERED_LABEL.match(rest)
    if not match:
        return rest, None, None
    label = match["linked"] or match["plain"]
    rest = rest[match.end():]
    actor = _RENDERED_ACTOR.match(rest)
    if actor:
        return rest[actor.end():], label, decode_text(actor["actor"])
    action = _RENDERED_ACTION.match(rest)
    return rest, label, decode_text(action["actor"]) if action else None


def _place(stamp: Stamp, state: _Clock) -> dt.datetime:
    """UTC time of a stamp: its own date, or the running date rolled forward."""
    if stamp.date is not None:
        return dt.datetime.combine(stamp.date, stamp.clock, UTC)
    if state.previous is None and state.anchor_time is not None:
        moment = dt.datetime.combine(state.date, stamp.clock, UTC)
        if moment - state.anchor_time > dt.timedelta(hours=12):
            moment -= dt.timedelta(days=1)  # lead-up the evening before the start
        return moment
    return roll_forward(state.date, stamp.clock, state.previous)


def _entry_text(rest: str) -> tuple[str, tuple[str, ...]]:
    tags = []
    for match in _OUTAGE.finditer(rest):
        tag = "outage-begins" if match.group(1).upper().startswith(("BEG", "STA")) else "outage-ends"
        if tag not in tags:
            tags.append(tag)
    rest = _RENDERED_MARK.sub("", rest)
    if "[[" in rest:
        rest = _PHAB_LINK_SAME.sub(r"\1", rest)
    if "<" in rest:
        rest = _BR.sub("\n", rest)
    return decode_text(rest).strip(" \t\u00a0"), tuple(tags)


def _append_text(entry: TimelineEntry, more: str) -> TimelineEntry:
    text, tags = _entry_text(more)
    merged = tuple(dict.fromkeys(entry.tags + tags))
    return TimelineEntry(entry.time, f"{entry.text}\n{text}" if entry.text else text, entry.line,
                         entry.clock, entry.precision, merged, entry.label, entry.actor)
