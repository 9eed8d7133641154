"""Read incident reports back: status, metadata, sections, timeline, actionables, scorecard.

The formats are those people really write on Wikitech (see DESIGN.md, "The
formats we read and write", and the real pages in shared/reference/wikitech/):

* ``{{irdoc|status=draft}}`` or the older ``{{irdoc-draft}}`` / ``{{irdoc-review}}``;
* ``{{Incident scorecard | task | paged-num | responders-num | coordinators |
  start | end | metrics | impact }}`` (Wikitech's "Incident response/Full report
  template");
* ``== Summary ==`` … ``==Scorecard==`` level-2 sections;
* timeline lines as bullets or plain paragraphs, with ``HH:MM``, ``HH:MM:SS``,
  ``HHMM``, ``H:MM AM``, ``15:42:``, ``YYYY-MM-DD HH:MM[:SS]`` stamps, date
  lines such as ``'''Sunday 2025-03-30'''`` (upload-cache.wiki) and pasted IRC
  lines ``13:30 <nick> msg`` (toolsdb-primary-down.wiki);
* actionables with ``{{PhabT|123}}``, ``{{Phabricator|123}}``, ``[[phab:T123]]``,
  Phabricator URLs or bare ``T123`` and ``{{Done}}`` marks (sessionstore.wiki);
* the "Incident Engagement ScoreCard" table, as wikitext or flattened to
  tab-separated plain text (shared/reference/000_58694bb77f3afb6b.txt).

The page is parsed once with mwparserfromhell (its C tokenizer) for the
structure — templates, headings, tables, comments, tags; the line-shaped
parts (timeline, actionables) are then read line by line from the page text
with the comments and tables blanked out, so every entry keeps its line number.
"""

from __future__ import annotations

import datetime as dt
import html.entities
import re
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import Comment, Heading, Tag, Template, Text

from ..core.errors import ReportError
from ..core.model import ScorecardAnswer
from ..core.questions import QUESTIONS
from ..core.tasks import TASK_MARKUP, TASK_REF, find_tasks
from ..scorecard.answers import Scorecard, build_scorecard
from ..core.timeutil import UTC, format_utc, roll_forward

__all__ = [
    "Problem", "TimelineEntry", "ReportActionable", "ReportAnswer", "ReportScorecard",
    "Section", "Report", "StatedScorecard", "parse_report", "read_report_file",
    "report_scorecard", "find_tasks", "REQUIRED_SECTIONS",
]

# The level-2 sections of Wikitech's report template, in order.
REQUIRED_SECTIONS = ("Summary", "Timeline", "Detection", "Conclusions",
                     "Links to relevant documentation", "Actionables", "Scorecard")

# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Problem:
    """Something in the page that could not be read as intended."""

    kind: str
    line: int | None
    text: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "line": self.line, "text": self.text}


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


@dataclass(frozen=True)
class ReportActionable:
    """One actionable: its text (task references and done marks removed), tasks, done."""

    text: str
    tasks: tuple[str, ...]
    done: bool
    line: int
    no_task: str | None = None  # "''(no task: reason)''": no task, on purpose

    def to_json(self) -> dict:
        return {"text": self.text, "tasks": list(self.tasks), "done": self.done, "no_task": self.no_task}


@dataclass(frozen=True)
class ReportAnswer:
    """One scorecard row as written: normalised answer, the raw cell, notes, line."""

    id: str
    category: str
    question: str
    answer: str | None = None
    raw: str = ""
    notes: str = ""
    line: int | None = None

    def to_json(self) -> dict:
        return {"category": self.category, "question": self.question,
                "answer": self.answer, "notes": self.notes}


@dataclass(frozen=True)
class ReportScorecard:
    """The scorecard table of a report: 15 answers in table order, the stated total."""

    answers: tuple[ReportAnswer, ...]
    stated_total: int | None = None
    found: bool = False
    line: int | None = None
    total_line: int | None = None

    @property
    def score(self) -> int:
        """The computed score: the count of "yes" answers."""
        return sum(1 for a in self.answers if a.answer == "yes")

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers if a.answer is not None)

    def to_json(self) -> dict:
        return {"answers": [a.to_json() for a in self.answers], "score": self.score,
                "stated_total": self.stated_total}


@dataclass(frozen=True)
class Section:
    """A level-2 section: its title and the lines it spans (1-based, inclusive)."""

    title: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Report:
    """A report read back; ``to_json()`` is the ``parse --format json`` shape."""

    title: str | None
    file: str | None
    status: str | None
    metadata: dict
    sections: tuple[Section, ...]
    timeline: tuple[TimelineEntry, ...]
    actionables: tuple[ReportActionable, ...]
    scorecard: ReportScorecard
    problems: tuple[Problem, ...] = ()
    placeholders: tuple[Problem, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    date_known: bool = False
    text: str = field(default="", repr=False, compare=False)

    @property
    def section_titles(self) -> list[str]:
        return [s.title for s in self.sections]

    def section(self, name: str) -> Section | None:
        """The first section whose title starts like ``name`` (case and spacing ignored)."""
        return _find_section(self.sections, name)

    def to_json(self) -> dict:
        """The public JSON shape of ``postmortem parse --format json`` (DESIGN.md)."""
        return {
            "title": self.title,
            "status": self.status,
            "metadata": dict(self.metadata),
            "sections": self.section_titles,
            "timeline": [e.to_json() for e in self.timeline],
            "actionables": [a.to_json() for a in self.actionables],
            "scorecard": self.scorecard.to_json(),
            "problems": [p.to_json() for p in self.problems],
        }


# ---------------------------------------------------------------- entry points

METADATA_KEYS = ("task", "paged-num", "responders-num", "coordinators", "start", "end",
                 "metrics", "impact")


def parse_report(text: str, *, title: str | None = None, file_name: str | None = None) -> Report:
    """Read a report's wikitext (or its plain-text copy) into a :class:`Report`.

    Time-only timeline lines get their date from a dated line above them, else
    the metadata start, else ``title`` (``Incidents/2025-03-31 …``), else
    ``file_name``; a clock that goes backwards by more than an hour rolls over
    to the next day. Whatever cannot be read is listed in ``problems``; only a
    text the wikitext parser itself rejects raises :class:`ReportError`.
    """
    if not isinstance(text, str):
        raise ReportError(f"expected text, got {type(text).__name__}", file=file_name)
    text, problems = _clean_input(text)
    page = _layout(text, file_name, problems)
    status = _read_status(page.templates, problems)
    metadata = _read_metadata(page)
    start, end, anchor = _incident_window(metadata, title, file_name, problems)
    timeline = _read_timeline(page, anchor)
    actionables = _read_actionables(page)
    scorecard = _read_scorecard(page)
    if start is None:
        start, end = _window_from_marks(timeline)
    return Report(
        title=title, file=file_name, status=status, metadata=metadata,
        sections=tuple(page.sections), timeline=tuple(timeline),
        actionables=tuple(actionables), scorecard=scorecard,
        problems=tuple(problems), placeholders=tuple(_find_placeholders(page)),
        start=start, end=end, date_known=anchor is not None, text=text,
    )


def read_report_file(path, *, title: str | None = None) -> Report:
    """Read and parse a report file (UTF-8); a file that is not text is a ReportError."""
    import os
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise ReportError(f"cannot read report: {err.strerror or err}", file=name) from None
    return parse_report(decode_report(data, name), title=title, file_name=name)


def decode_report(data: bytes, name: str | None = None) -> str:
    """Bytes of a report file as text; binary or non-UTF-8 data is a ReportError."""
    if b"\x00" in data[:8192]:
        raise ReportError("not a text file (NUL bytes)", file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ReportError(f"not UTF-8 text (byte 0x{data[err.start]:02x})", file=name, line=line) from None


# ---------------------------------------------------------------- input and layout

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _clean_input(text: str) -> tuple[str, list[Problem]]:
    """Normalise newlines; replace control characters (the C tokenizer stops at NUL)."""
    problems: list[Problem] = []
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _CONTROL.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(Problem("control-characters", line,
                                "control characters or binary data replaced by U+FFFD"))
        text = _CONTROL.sub("\ufffd", text)
    return text, problems


@dataclass
class _Page:
    """The page as laid out by the parser: clean lines, sections, tables, templates."""

    lines: list[str]                       # page lines, comments and tables blanked
    sections: list[Section]
    tables: list[tuple[int, Tag, str]]     # (line, node, its wikitext)
    templates: list[tuple[int, Template]]  # top-level templates
    code: object


_UNCLOSED = (
    ("unclosed-table", re.compile(r"(?:^|\n)[ \t]*\{\|")),
    ("unclosed-template", re.compile(r"\{\{")),
    ("unclosed-comment", re.compile(r"<!--")),
    ("unclosed-tag", re.compile(
        r"<(?:nowiki|pre|syntaxhighlight|source|code|ref|references|div|span|table|"
        r"blockquote|poem|math|gallery|small|big|center|font|s|del|ins|u)\b[^<>]*>", re.I)),
    ("unclosed-link", re.compile(r"\[\[")),
)


def _layout(text: str, file_name: str | None, problems: list[Problem]) -> _Page:
    """Parse once; walk the top-level nodes keeping line numbers."""
    try:
        code = mwparserfromhell.parse(text)
    except Exception as err:  # the tokenizer's own failure (ParserError, RecursionError)
        raise ReportError(f"cannot parse the page as wikitext: {err}", file=file_name) from None
    pieces: list[str] = []
    headings: list[tuple[int, str]] = []
    tables: list[tuple[int, Tag, str]] = []
    templates: list[tuple[int, Template]] = []
    line = 1
    for node in code.nodes:
        raw = node.value if isinstance(node, Text) else str(node)
        kind = _node_kind(node)
        if kind == "text":
            _check_unclosed(raw, line, problems)
        elif kind == "table":
            tables.append((line, node, raw))
        elif kind == "heading2":
            headings.append((line, _plain_title(node)))
        elif kind == "template":
            templates.append((line, node))
        pieces.append("\n" * raw.count("\n") if kind in ("table", "comment") else raw)
        line += raw.count("\n")
    lines = "".join(pieces).split("\n")
    return _Page(lines, _sections(headings, len(lines)), tables, templates, code)


def _node_kind(node) -> str:
    if isinstance(node, Text):
        return "text"
    if isinstance(node, Comment):
        return "comment"
    if isinstance(node, Heading):
        return "heading2" if node.level == 2 else "heading"
    if isinstance(node, Template):
        return "template"
    if isinstance(node, Tag) and node.wiki_markup == "{|":
        return "table"
    return "other"


def _check_unclosed(raw: str, line: int, problems: list[Problem]) -> None:
    """Markup left in plain text means the parser could not close it."""
    if not any(ch in raw for ch in "{<["):
        return
    for kind, pattern in _UNCLOSED:
        match = pattern.search(raw)
        if match:
            at = line + raw.count("\n", 0, match.end())
            snippet = raw[match.start():match.start() + 60].strip().split("\n")[0]
            problems.append(Problem(kind, at, f"not closed: {snippet}"))


def _plain_title(heading: Heading) -> str:
    title = _strip_comments(str(heading.title))
    return " ".join(title.split())


def _sections(headings: list[tuple[int, str]], last_line: int) -> list[Section]:
    sections = []
    for index, (line, title) in enumerate(headings):
        end = headings[index + 1][0] - 1 if index + 1 < len(headings) else last_line
        sections.append(Section(title, line, end))
    return sections


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def _find_section(sections, *names) -> Section | None:
    wanted = [_norm_title(n) for n in names]
    for section in sections:
        norm = _norm_title(section.title)
        if any(norm.startswith(w) for w in wanted):
            return section
    return None


def _section_lines(page: _Page, section: Section | None):
    """(line number, text) pairs of a section's body."""
    if section is None:
        return []
    return [(n, page.lines[n - 1]) for n in range(section.line + 1, section.end_line + 1)]


# ---------------------------------------------------------------- text helpers

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_NOWIKI = re.compile(r"<nowiki\s*>(.*?)</nowiki\s*>|<nowiki\s*/>", re.S | re.I)
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _strip_comments(text: str) -> str:
    return _COMMENT.sub("", text) if "<!--" in text else text


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return match.group(0)
    return html.entities.html5.get(name + ";", match.group(0))


def decode_text(wikitext: str) -> str:
    """Wikitext as the reader sees its characters: entities decoded, nowiki unwrapped.

    The renderer escapes chat text with numeric entities (``&#123;``), so this
    gives back the original text.
    """
    if "<" in wikitext:
        wikitext = _strip_comments(wikitext)
        if "nowiki" in wikitext:
            wikitext = _NOWIKI.sub(lambda m: m.group(1) or "", wikitext)
    if "&" in wikitext:
        wikitext = _ENTITY.sub(_entity, wikitext)
    return wikitext


# ---------------------------------------------------------------- status and metadata

_IRDOC = re.compile(r"^irdoc(?:[-_ ](draft|review|final))?$")
_STATUSES = ("draft", "review", "final")


def _template_name(node: Template) -> str:
    name = _strip_comments(str(node.name)).strip().replace("_", " ")
    return " ".join(name.split()).lower()


def _read_status(templates, problems: list[Problem]) -> str | None:
    """``{{irdoc|status=…}}`` or ``{{irdoc-draft}}`` (Wikitech's Template:Irdoc)."""
    for line, node in templates:
        match = _IRDOC.match(_template_name(node))
        if not match:
            continue
        if match.group(1):
            return match.group(1)
        value = _param(node, "status")
        if value is None:
            return None
        value = value.lower()
        if value in _STATUSES:
            return value
        problems.append(Problem("unknown-status", line, f"irdoc status {value!r}"))
        return None
    return None


def _param(node: Template, name: str) -> str | None:
    """A template parameter as a trimmed raw string (comments removed); None if empty."""
    if not node.has(name):
        return None
    value = _strip_comments(str(node.get(name).value)).strip()
    return value or None


def _read_metadata(page: _Page) -> dict:
    """The ``{{Incident scorecard}}`` parameters as raw strings (None when absent)."""
    node = _metadata_template(page)
    if node is None:
        return {key: None for key in METADATA_KEYS}
    return {key: _param(node, key) for key in METADATA_KEYS}


def _metadata_template(page: _Page):
    for _, node in page.templates:
        if _template_name(node) == "incident scorecard":
            return node
    for node in page.code.filter_templates(recursive=True):  # nested in a div or table
        if _template_name(node) == "incident scorecard":
            return node
    return None


# ---------------------------------------------------------------- dates and times

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
class _Stamp:
    date: dt.date | None
    clock: dt.time | None
    precision: str | None
    written: str | None
    rest: str


def split_stamp(text: str) -> _Stamp:
    """Split a leading time stamp (``15:42:``, ``2023-09-28 14:33``, ``1:05 PM``,
    ``1302``, ``[13:30:12]``) off a line."""
    link = _LINKED_STAMP.match(text)  # [https://sal.toolforge.org/log/ID 14:33] text
    if link:
        inner = split_stamp(link.group(1))
        if inner.clock is not None and not inner.rest.strip():
            return _Stamp(inner.date, inner.clock, inner.precision, inner.written,
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
    return _Stamp(_iso_date(match["date"]), clock, precision, written, _trim_separator(rest))


def _year_like(match: re.Match, text: str) -> bool:
    """``2024 was …`` is a year; ``2024 - deploy`` and ``2024Z`` are 20:24."""
    hhmm = match["hhmm"]
    return bool(hhmm) and hhmm[:2] in ("19", "20") and not _HHMM_SEPARATOR.match(text, match.end("hhmm"))


_HHMM_SEPARATOR = re.compile(r"Z|:|\s*[-–—|]\s|\s*UTC\b|\]")


def _date_only(text: str) -> _Stamp:
    match = _DATE_ONLY.match(text)
    if match:
        return _Stamp(_iso_date(match["date"]), None, None, None, _trim_separator(text[match.end():]))
    return _Stamp(None, None, None, None, text)


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


def _incident_window(metadata: dict, title, file_name, problems: list[Problem]):
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


def _window_from_marks(timeline) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Without metadata, the OUTAGE BEGINS/ENDS marks give the window."""
    begins = [e.time for e in timeline if "outage-begins" in e.tags and e.time]
    ends = [e.time for e in timeline if "outage-ends" in e.tags and e.time]
    return (begins[0] if begins else None), (ends[-1] if ends else None)


# ---------------------------------------------------------------- timeline

_BULLET = re.compile(r"^([*#:;]+)[\s\u00a0]*")
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
_PHAB_LINK_SAME = re.compile(r"\[\[phab:(T\d+)\|\1\]\]")  # renders as plain "T123"
_BR = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.I)
_HEADING_LINE = re.compile(r"^(={2,6})(.+?)\1\s*$")


@dataclass
class _Clock:
    """The running date context while walking a timeline."""

    date: dt.date | None
    previous: dt.datetime | None
    anchor_time: dt.datetime | None  # metadata start with its clock, for the lead-up rule


def _read_timeline(page: _Page, anchor) -> list[TimelineEntry]:
    section = _find_section(page.sections, "Timeline")
    state = _initial_clock(anchor)
    entries: list[TimelineEntry] = []
    joinable = False
    for number, raw in _section_lines(page, section):
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
    body = _BULLET.sub("", line)
    return (not body or _UTC_NOTE.match(body) is not None or is_placeholder(line)
            or body.startswith(("{|", "|}", "[[File:", "[[Image:")))


def _timeline_line(line, number, state: _Clock, entries, joinable):
    """One non-empty line: a new entry, or a continuation of the previous one."""
    bullet = _BULLET.match(line)
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


def _make_entry(stamp: _Stamp, number: int, state: _Clock) -> TimelineEntry:
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
    return rest, label, None


def _place(stamp: _Stamp, state: _Clock) -> dt.datetime:
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


# ---------------------------------------------------------------- actionables and tasks

_EDGE_TASK = re.compile(
    rf"^(?:{TASK_REF}[\s\u00a0]*(?:[-–—:,]+[\s\u00a0]*)?)+"          # "T123 – text", "{{PhabT|1}}: text"
    rf"|[\s\u00a0]*(?:\([\s\u00a0]*{TASK_REF}[\s\u00a0]*\)|{TASK_REF})[\s\u00a0]*$", re.I)  # "text ({{PhabT|1}})"
_DONE = re.compile(r"[ \t\u00a0]*(?:\{\{\s*(?:done|tick|resolved|fixed|checked)\s*(?:\|[^{}]*)?\}\}|[✓✔✅☑])", re.I)
# What render writes for an actionable that has no task on purpose.
_NO_TASK = re.compile(r"[ \t\u00a0]*''\(no task:\s*(.*?)\)''", re.I)
_STRUCK = re.compile(r"^<(s|del|strike)>.*</\1>\s*$", re.S | re.I)
_EDGE_SEPARATORS = re.compile(r"^[\s\u00a0\-–—:,;]+|[\s\u00a0\-–—:,;]+$")


def _read_actionables(page: _Page) -> list[ReportActionable]:
    """Top-level bullets are actionables; deeper bullets add their tasks to the one above."""
    section = _find_section(page.sections, "Actionables", "Action items", "Follow-up", "Followup")
    items: list[ReportActionable] = []
    for number, raw in _section_lines(page, section):
        bullet = _BULLET.match(raw.strip())
        if not bullet or is_placeholder(raw):
            continue
        body = raw.strip()[bullet.end():]
        if not body.strip(" .…\u00a0"):
            continue
        if len(bullet.group(1)) > 1 and items:
            items[-1] = _merge_detail(items[-1], body)
        else:
            items.append(_actionable(body, number))
    items.extend(_table_actionables(page, section))
    return items


def _actionable(body: str, number: int) -> ReportActionable:
    done = bool(_DONE.search(body)) or bool(_STRUCK.match(body.strip()))
    waiver = _NO_TASK.search(body)
    if waiver:
        body = body[:waiver.start()] + body[waiver.end():]
    return ReportActionable(_actionable_text(body), find_tasks(body), done, number,
                            decode_text(waiver.group(1)).strip() if waiver else None)


def _actionable_text(body: str) -> str:
    """The item without its done mark and the task reference it starts or ends
    with (``T123 - text``, ``text ({{PhabT|123}})``); tasks inside the text stay,
    as the plain ``T123`` a reader sees."""
    text = _DONE.sub("", body).strip()
    text = _EDGE_TASK.sub("", text)
    text = TASK_MARKUP.sub(_task_as_text, text)
    return _EDGE_SEPARATORS.sub("", decode_text(text))


def _task_as_text(match: re.Match) -> str:
    return match.group(0)[:len(match.group(0)) - len(match.group(0).lstrip())] + find_tasks(match.group(0))[0]


def _merge_detail(item: ReportActionable, body: str) -> ReportActionable:
    tasks = tuple(dict.fromkeys(item.tasks + find_tasks(body)))
    return ReportActionable(item.text, tasks, item.done, item.line, item.no_task)


def _table_actionables(page: _Page, section: Section | None) -> list[ReportActionable]:
    """Actionables kept in a table: one per row that is not a header."""
    items = []
    for line, node, raw in _tables_in(page, section):
        for row in _tree_rows(node, raw, line):
            cells = [c for c in row if not c.header]
            if cells and any(c.text for c in cells):
                body = " ".join(c.raw for c in cells)
                items.append(_actionable(body, cells[0].line))
    return items


def _tables_in(page: _Page, section: Section | None):
    if section is None:
        return []
    return [t for t in page.tables if section.line <= t[0] <= section.end_line]


# ---------------------------------------------------------------- scorecard table


@dataclass(frozen=True)
class _Cell:
    raw: str
    text: str
    line: int
    header: bool = False


def _read_scorecard(page: _Page) -> ReportScorecard:
    """The Incident Engagement ScoreCard from the Scorecard section: a wiki table,
    a table the parser could not close, or tab-separated plain text (the seed)."""
    section = _find_section(page.sections, "Scorecard", "Incident Engagement")
    candidates = [_rows_of_table(t) for t in _tables_in(page, section)]
    candidates.append(_rows_from_lines(page, section))
    if section is None:
        candidates = [_rows_of_table(t) for t in page.tables]
    best = None
    for rows in candidates:
        card = _interpret_rows(rows)
        if card.found and (best is None or card.answered + _matched(card) > best.answered + _matched(best)):
            best = card
    return best or _empty_scorecard()


def _matched(card: ReportScorecard) -> int:
    return sum(1 for a in card.answers if a.line is not None)


def _empty_scorecard() -> ReportScorecard:
    return ReportScorecard(tuple(ReportAnswer(q.id, q.category, q.text) for q in QUESTIONS))


def _rows_of_table(table) -> list[list[_Cell]]:
    line, node, raw = table
    return _tree_rows(node, raw, line)


def _tree_rows(node: Tag, raw: str, line: int) -> list[list[_Cell]]:
    """Rows of cells of a parsed wiki table, each cell with its line number."""
    rows: list[list[_Cell]] = [[]]
    cursor = 0
    for child in node.contents.nodes:
        if not isinstance(child, Tag):
            continue
        if child.tag == "tr":
            rows.append([])
            cells = [c for c in child.contents.nodes if isinstance(c, Tag) and c.tag in ("td", "th")]
        elif child.tag in ("td", "th") and child.wiki_markup != "|+":
            cells = [child]
        else:
            continue
        for cell in cells:
            text = str(cell)
            at = raw.find(text, cursor)
            cursor = at + len(text) if at >= 0 else cursor
            content = str(cell.contents)
            rows[-1].append(_Cell(content, _cell_text(content), line + raw.count("\n", 0, max(at, 0)),
                                  cell.tag == "th"))
    return [r for r in rows if r]


def _cell_text(raw: str) -> str:
    text = decode_text(raw).replace("\u00a0", " ")
    return " ".join(text.split())


def _rows_from_lines(page: _Page, section: Section | None) -> list[list[_Cell]]:
    """Rows from the section's lines: wiki-table markup the parser left as text,
    or a table flattened to tab-separated lines (shared/reference/000_…txt)."""
    lines = _section_lines(page, section)
    if any(text.lstrip().startswith("{|") for _, text in lines):
        return _rows_from_markup(lines)
    return _rows_from_tabs(lines)


_ROW_START = re.compile(r"^\s*(?:People|Process|Tooling|Total score)\b|^\t", re.I)


def _rows_from_tabs(lines) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = []
    for number, text in lines:
        if "\t" not in text:
            continue
        fields = text.split("\t")
        if rows and not _ROW_START.match(text) and not _match_question(fields[0]):
            last = rows[-1][-1]  # a cell that wrapped onto the next line
            rows[-1][-1] = _Cell(last.raw + " " + fields[0], _cell_text(last.raw + " " + fields[0]), last.line)
            rows[-1].extend(_Cell(f, _cell_text(f), number) for f in fields[1:])
        else:
            rows.append([_Cell(f, _cell_text(f), number) for f in fields])
    return rows


_CELL_ATTRS = re.compile(r"^\s*(?:[\w-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s|]+)\s*)+\|(?!\|)")


def _rows_from_markup(lines) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = [[]]
    for number, text in lines:
        stripped = text.strip()
        if stripped.startswith("|-"):
            rows.append([])
        elif stripped.startswith(("{|", "|}", "|+")):
            continue
        elif stripped[:1] in ("|", "!"):
            sep = "||" if stripped[0] == "|" else "!!"
            for part in stripped[1:].split(sep):
                part = _CELL_ATTRS.sub("", part)
                rows[-1].append(_Cell(part, _cell_text(part), number, stripped[0] == "!"))
        elif rows[-1] and stripped:
            last = rows[-1][-1]
            rows[-1][-1] = _Cell(last.raw + "\n" + text, _cell_text(last.raw + " " + text), last.line, last.header)
    return [r for r in rows if r]


_WORDS = re.compile(r"[a-z0-9]+")
_QUESTION_WORDS = [(q, _WORDS.findall(q.text.lower())) for q in QUESTIONS]


def _match_question(cell_text: str):
    """The scorecard question a cell asks (its words start like the question's)."""
    words = _WORDS.findall(cell_text.lower())
    if len(words) < 4:
        return None
    for question, qwords in _QUESTION_WORDS:
        head = qwords[:8]
        if words[:len(head)] == head:
            return question
    best, best_score = None, 0.0
    wordset = set(words)
    for question, qwords in _QUESTION_WORDS:  # reworded questions in older tables
        score = len(wordset & set(qwords)) / len(set(qwords))
        if score > best_score:
            best, best_score = question, score
    return best if best_score >= 0.8 else None


def _interpret_rows(rows) -> ReportScorecard:
    answers = {}
    stated, total_line, first_line = None, None, None
    for row in rows:
        for index, cell in enumerate(row):
            if cell.text.lower().startswith("total score"):
                stated, total_line = _stated_total(row[index + 1:]), cell.line
                break
            question = _match_question(cell.text)
            if question is not None and not cell.header:
                if question.id not in answers:
                    answers[question.id] = _answer(question, row[index + 1:], cell.line)
                first_line = first_line or cell.line
                break
    ordered = tuple(answers.get(q.id) or ReportAnswer(q.id, q.category, q.text) for q in QUESTIONS)
    return ReportScorecard(ordered, stated, bool(answers), first_line, total_line)


def _answer(question, rest: list[_Cell], line: int) -> ReportAnswer:
    raw = rest[0].text if rest else ""
    notes = rest[1].text if len(rest) > 1 else ""
    return ReportAnswer(question.id, question.category, question.text,
                        normalize_answer(rest[0].raw if rest else ""), raw, notes, line)


def _stated_total(rest: list[_Cell]) -> int | None:
    for cell in rest:
        if cell.text.lower().startswith("total score"):
            continue  # the label repeated by a flattened colspan
        match = re.match(r"^\W*(\d{1,3})\b", cell.text)
        return int(match.group(1)) if match else None
    return None


_ANSWER_TEMPLATE = re.compile(r"\{\{\s*(yes|y|tick|done|no|n|cross|x)\s*(?:\|[^{}]*)?\}\}", re.I)
_ANSWER = re.compile(r"^(yes|y|no|n)(?![\w/])", re.I)


def normalize_answer(raw: str) -> str | None:
    """``Yes``/``y``/``{{Yes}}`` → "yes", ``No``/``N`` → "no"; N/A, ``?``, empty → None."""
    raw = _strip_comments(raw)
    template = _ANSWER_TEMPLATE.search(raw)
    if template:
        return "yes" if template.group(1).lower() in ("yes", "y", "tick", "done") else "no"
    text = re.sub(r"'{2,}|<[^>]*>", "", decode_text(raw)).strip(" \t\n\u00a0*")
    match = _ANSWER.match(text)
    if not match:
        return None
    return "yes" if match.group(1).lower().startswith("y") else "no"


# ---------------------------------------------------------------- placeholders

# Sentences of Wikitech's "Incident response/Full report template" (and the older
# "Incident documentation/Report Template") that authors are meant to replace;
# shared/reference/000_58694bb77f3afb6b.txt still holds many of them.
PLACEHOLDER_SENTENCES = (
    "Write a step by step outline of what happened",
    "Consider including a graphs of the error rate",
    "Link to a specific offset in SAL using the SAL tool",
    "(post-outage cleanup finished)",
    "(Something something)",
    "(Voila) OUTAGE ENDS",
    "(TODO) OUTAGE BEGINS",
    "Write how the issue was first detected",
    "Copy the relevant alerts that fired in this section",
    "Did the appropriate alert(s) fire? Was the alert volume manageable",
    "Add links to information that someone responding to this alert should have",
    "Add the #Sustainability (Incident Followup)",
    "Create a list of action items that will help prevent this from happening again",
    "Summary of what happened, in one or two paragraphs",
    "Who was affected and how? For user-facing outages",
    "(Use bullet points) for example:",
    "This is a short (<= 1 paragraph) of what happened",
    "Replace these notes in italics with your own text",
    "This is a step by step outline of what happened",
)
_PLACEHOLDER_LINE = re.compile(
    r"^[\s*#:\u00a0]*(?:OPTIONAL:|To do #\d|(?:…|\.\.\.)[\s\u00a0]*$)"  # "OPTIONAL: …", a lone "…"
    r"|\bTODO\b")                                                        # the template writes TODO
_TODO_TEMPLATE = re.compile(r"\{\{\s*to\s?do\s*[|}]", re.I)              # {{Todo|…}} (sessionstore.wiki)


def is_placeholder(line: str) -> bool:
    """Is this line text the report template asks authors to replace?"""
    if _PLACEHOLDER_LINE.search(line) or ("{{" in line and _TODO_TEMPLATE.search(line)):
        return True
    return any(sentence in line for sentence in PLACEHOLDER_SENTENCES)


def _find_placeholders(page: _Page) -> list[Problem]:
    found = []
    for number, line in enumerate(page.lines, 1):
        if line.strip() and is_placeholder(line):
            found.append(Problem("placeholder", number, line.strip()[:200]))
    found.extend(_placeholder_metadata(page))
    return found


def _placeholder_metadata(page: _Page) -> list[Problem]:
    """``start = YYYY-MM-DD hh:mm:ss`` and the like, left in {{Incident scorecard}}."""
    node = _metadata_template(page)
    if node is None:
        return []
    line = next((n for n, t in page.templates if t is node), None)
    found = []
    for key in METADATA_KEYS:
        value = _param(node, key) or ""
        if "YYYY" in value or "hh:mm" in value or is_placeholder(value):
            found.append(Problem("placeholder", line, f"Incident scorecard {key} = {value[:80]}"))
    return found


# ---------------------------------------------------------------- scorecard of a report


@dataclass(frozen=True)
class StatedScorecard:
    """A report's scorecard: the answers as a :class:`Scorecard`, the stated total."""

    scorecard: Scorecard
    stated_total: int | None
    lines: tuple[int | None, ...] = ()

    @property
    def score(self) -> int:
        return self.scorecard.score

    @property
    def mismatch(self) -> bool:
        """True when the page states a total that is not the count of "yes"."""
        return self.stated_total is not None and self.stated_total != self.score

    def to_json(self) -> dict:
        """``scorecard --format json`` (DESIGN.md) plus ``stated_total`` and ``mismatch``."""
        data = self.scorecard.to_json()
        data["stated_total"] = self.stated_total
        data["mismatch"] = self.mismatch
        return data

    def to_text(self) -> str:
        """One line per question, then the score (and the stated total when it differs)."""
        out = []
        for question, answer in self.scorecard.rows():
            mark = answer.answer or "-"
            notes = f"  ({answer.notes})" if answer.notes else ""
            out.append(f"{question.category:<8} {mark:<4} {question.text}{notes}")
        total = f"score: {self.score}/{len(QUESTIONS)}"
        if self.stated_total is not None:
            total += f" (stated total: {self.stated_total}{', MISMATCH' if self.mismatch else ''})"
        return "\n".join(out + [total])


def report_scorecard(report: Report) -> StatedScorecard:
    """The scorecard of an existing report: answers, score, stated total, mismatch."""
    human = {}
    for answer in report.scorecard.answers:
        evidence = (f"report line {answer.line}: {answer.raw or '(empty)'}",) if answer.line else ()
        human[answer.id] = ScorecardAnswer(
            answer.id, answer.answer, answer.notes,
            "human" if answer.answer is not None else None, evidence)
    lines = tuple(a.line for a in report.scorecard.answers)
    return StatedScorecard(build_scorecard(human), report.scorecard.stated_total, lines)
