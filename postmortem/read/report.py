"""Read incident reports back: status, metadata, sections, timeline, actionables, scorecard.

The formats are those people really write on Wikitech, in every era of its
report template (see docs/formats.md, "The report", and the real
pages in tests/fixtures/reports/ and tests/fixtures/reports/corpus/):

* ``{{irdoc|status=draft}}`` or the older ``{{irdoc-draft}}`` / ``{{irdoc-review}}``;
  2014-2019 pages with no template at all;
* ``{{Incident scorecard | task | paged-num | responders-num | coordinators |
  start | end | metrics | impact }}`` (Wikitech's "Incident response/Full report
  template"), whose start/end may take AM/PM and list several windows;
* ``== Summary ==`` … ``==Scorecard==`` level-2 sections;
* timeline lines as bullets or plain paragraphs, dated by date lines
  (``'''Sunday 2025-03-30'''``, ``<u>12th March 2025</u>``) and sub-headings
  (``=== 2024-12-07 occurrence ===``), with the stamps of :mod:`._stamps`; pasted
  IRC lines ``13:30 <nick> msg`` (toolsdb-primary-down.wiki); a timeline table;
* actionables with ``{{PhabT|123}}``, ``{{Phabricator|123}}``, ``[[phab:T123]]``,
  Phabricator URLs or bare ``T123``, ``{{Done}}`` marks (sessionstore.wiki) and
  ``[x]`` checkboxes, as bullets or paragraph lines;
* the "Incident Engagement ScoreCard" table (or the 2021 rubric), as wikitext or
  flattened to plain text (the seed in tests/fixtures/reports/);
* plain-text copies of a rendered page (:mod:`._plaincopy`), with or without
  their headings.

Without metadata, the date of time-only lines is the page title's, else the
Summary's ("From 05:08 to 08:32 UTC on Monday, 12 March 2018", which also gives
the window). The page is parsed once (:mod:`._layout`); each part has its reader:
:mod:`._metadata`, :mod:`._dates`, :mod:`._stamps`, :mod:`.timeline`,
:mod:`._actionables`, :mod:`.scorecard_table`, :mod:`._placeholders`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from typing import Iterator

from ..core.errors import PostmortemError, ReportError
from ..core.model import Problem
from ..core.timeutil import date_in_title, format_utc
from ._actionables import ReportActionable, read_actionables
from ._dates import metadata_windows, prose_date
from ._layout import Page, Section, find_section, layout_page, section_lines
from ._metadata import read_metadata, read_status
from ._placeholders import find_placeholders
from ._plaincopy import copy_title
from ._prose import prose_window
from .scorecard_table import ReportScorecard, read_scorecard
from ._text import clean_input
from .timeline import TimelineEntry, read_timeline, windows_from_marks


# The level-2 sections of Wikitech's report template, in order.
REQUIRED_SECTIONS = ("Summary", "Timeline", "Detection", "Conclusions",
                     "Links to relevant documentation", "Actionables", "Scorecard")


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
    windows: tuple[tuple[dt.datetime, dt.datetime | None], ...] = ()
    window_read: dict | None = None   # {"from": metadata|prose|timeline, "precision", "approximate"}
    text: str = field(default="", repr=False, compare=False)

    @property
    def section_titles(self) -> list[str]:
        return [s.title for s in self.sections]

    def section(self, name: str) -> Section | None:
        """The first section whose title starts like ``name`` (case and spacing ignored)."""
        return find_section(self.sections, name)

    @property
    def outage_minutes(self) -> int | None:
        """Minutes of outage summed over the windows (None when a window has no end)."""
        return windows_minutes(self.windows)

    def to_json(self) -> dict:
        """The public JSON shape of ``postmortem parse --format json`` (docs/formats.md),
        extended with the window read: ``start``, ``end`` and every ``windows`` item."""
        return {
            "title": self.title,
            "status": self.status,
            "metadata": dict(self.metadata),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "windows": [{"start": _iso(a), "end": _iso(b)} for a, b in self.windows],
            "window_read": self.window_read,
            "sections": self.section_titles,
            "timeline": [e.to_json() for e in self.timeline],
            "actionables": [a.to_json() for a in self.actionables],
            "scorecard": self.scorecard.to_json(),
            "problems": [p.to_json() for p in self.problems],
        }


def windows_minutes(windows) -> int | None:
    """Minutes summed over ``(start, end)`` windows; None without windows or when
    one has no end or ends before it starts."""
    if not windows or any(end is None or end < start for start, end in windows):
        return None
    return sum(int((end - start).total_seconds() // 60) for start, end in windows)


def _iso(moment: dt.datetime | None) -> str | None:
    return format_utc(moment) if moment is not None else None


def parse_report(text: str, *, title: str | None = None, file_name: str | None = None) -> Report:
    """Read a report's wikitext (or its plain-text copy) into a :class:`Report`.

    Time-only timeline lines get their date from a dated line or sub-heading
    above them, else the metadata start, else ``title`` (``Incidents/2025-03-31
    …``), else ``file_name``, else the title line a plain-text copy starts with,
    else the Summary's prose; a clock that goes backwards by more than an hour
    rolls over to the next day. The report's title is ``title``, else the title
    line a plain-text copy starts with. What cannot be read or decided is None, with an
    entry in ``problems`` saying why; only a text the wikitext parser itself
    rejects raises :class:`ReportError`.
    """
    if not isinstance(text, str):
        raise ReportError(f"expected text, got {type(text).__name__}", file=file_name)
    text, problems = clean_input(text)
    page = layout_page(text, file_name, problems)
    status = read_status(page, problems)
    metadata = read_metadata(page)
    windows, anchor, window_read = _windows_and_anchor(page, metadata, title, file_name, problems)
    timeline = read_timeline(page, anchor, problems)
    actionables = read_actionables(page)
    scorecard = read_scorecard(page)
    if not windows:
        windows = windows_from_marks(timeline)
        window_read = _marks_read(timeline, windows)
    return Report(
        title=title or copy_title(page), file=file_name, status=status, metadata=metadata,
        sections=tuple(page.sections), timeline=tuple(timeline),
        actionables=tuple(actionables), scorecard=scorecard,
        problems=tuple(problems), placeholders=tuple(find_placeholders(page)),
        start=windows[0][0] if windows else None, end=windows[-1][1] if windows else None,
        date_known=anchor is not None, windows=tuple(windows), window_read=window_read, text=text,
    )


def _windows_and_anchor(page: Page, metadata: dict, title, file_name, problems):
    """The incident's windows from the metadata, else from a window the Summary
    states; and the date for time-only timeline lines: the metadata start, the
    page title (given, else the file name's, else the one a copy starts with),
    else the Summary's window or the first date the Summary names."""
    name_date = date_in_title(title) or date_in_title(file_name) or date_in_title(copy_title(page))
    windows = metadata_windows(metadata, name_date, problems)
    if windows:
        seconds = any(m and m.second for w in windows for m in w)
        return windows, windows[0][0], {"from": "metadata", "precision": "second" if seconds else "minute",
                                         "approximate": False}
    summary = _summary_text(page)
    date = name_date or prose_date(summary)
    window = prose_window(summary, date)
    if window is None:
        return [], name_date or date, None
    return ([(window.start, window.end)], name_date or window.start,
            {"from": "prose", "precision": window.precision, "approximate": window.approximate})


def _marks_read(timeline, windows) -> dict | None:
    """How exact a window read from the timeline's OUTAGE marks is: as its entries."""
    if not windows:
        return None
    marked = [e for e in timeline if e.time is not None and e.tags]
    precisions = {e.precision for e in marked}
    return {"from": "timeline", "precision": "second" if precisions == {"second"} else "minute",
            "approximate": False}


def _summary_text(page: Page) -> list[str]:
    """The Summary's lines; without one, the lines before the first section (or the page's first lines)."""
    section = find_section(page.sections, "Summary")
    if section is not None:
        return [text for _, text in section_lines(page, section)]
    first = page.sections[0].line - 1 if page.sections else 40
    return page.lines[:first]


def parse_pages(pages, unreadable: list) -> Iterator[tuple[str, Report | None]]:
    """``(title, Report)`` for each ``(title, wikitext)`` page (a wiki's reports),
    None for a page with no text; a page the parser rejects is added to
    ``unreadable`` as ``(title, why)`` and not given."""
    for title, text in pages:
        if text is None:
            yield title, None
            continue
        try:
            report = parse_report(text, title=title)
        except PostmortemError as err:
            unreadable.append((title, str(err)))
            continue
        yield title, report


def read_report_file(path, *, title: str | None = None) -> Report:
    """Read and parse a report file (UTF-8); a file that is not text is a ReportError."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise ReportError(f"cannot read report: {err.strerror or err}", file=name) from None
    text = decode_report(data, name)
    if is_markdown_report(text):
        raise ReportError("a Markdown report (render --format markdown): reports are read as wikitext; "
                          "give the wikitext report (render without --format)", file=name)
    return parse_report(text, title=title, file_name=name)


# What the Markdown report this tool writes (templates/wikitech.md.j2) starts with and
# holds: a title "# Incident: <id>", "## Timeline" and its italic "*All times in UTC.*".
# (A copy of a wiki page in Markdown-like text, as people save one, is read as it is.)
_MARKDOWN_TITLE = re.compile(r"\A\s*# Incident: ")
_MARKDOWN_TIMELINE = re.compile(r"^## Timeline\s*\n\s*\*All times in UTC\.\*\s*$", re.M)


def is_markdown_report(text: str) -> bool:
    """A report in Markdown as `render --format markdown` writes it."""
    return bool(_MARKDOWN_TITLE.match(text)) and bool(_MARKDOWN_TIMELINE.search(text))


def decode_report(data: bytes, name: str | None = None) -> str:
    """Bytes of a report file as text (UTF-8, or UTF-16 with its byte order mark, as
    some Windows editors save); binary or other data is a ReportError."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReportError("not UTF-16 text, though it starts with a UTF-16 byte order mark",
                              file=name) from None
    if b"\x00" in data[:8192]:
        raise ReportError("not a text file (NUL bytes)", file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ReportError(f"not UTF-8 text (byte 0x{data[err.start]:02x})", file=name, line=line) from None
