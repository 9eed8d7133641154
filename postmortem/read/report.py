"""Read incident reports back: status, metadata, sections, timeline, actionables, scorecard.

The formats are those people really write on Wikitech (see DESIGN.md, "The
formats we read and write", and the real pages in tests/fixtures/reports/):

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
  tab-separated plain text (the seed in tests/fixtures/reports/).

The page is parsed once (:mod:`.layout`); each part has its reader:
:mod:`.metadata`, :mod:`.dates`, :mod:`.timeline`, :mod:`.actionables`,
:mod:`.scorecard_table`, :mod:`.placeholders`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from ..core.errors import ReportError
from ..core.model import Problem
from .actionables import ReportActionable, read_actionables
from .dates import metadata_window
from .layout import Section, find_section, layout_page
from .metadata import read_metadata, read_status
from .placeholders import find_placeholders
from .scorecard_table import ReportScorecard, read_scorecard
from .text import clean_input
from .timeline import TimelineEntry, read_timeline, window_from_marks


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
    text: str = field(default="", repr=False, compare=False)

    @property
    def section_titles(self) -> list[str]:
        return [s.title for s in self.sections]

    def section(self, name: str) -> Section | None:
        """The first section whose title starts like ``name`` (case and spacing ignored)."""
        return find_section(self.sections, name)

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
    text, problems = clean_input(text)
    page = layout_page(text, file_name, problems)
    status = read_status(page.templates, problems)
    metadata = read_metadata(page)
    start, end, anchor = metadata_window(metadata, title, file_name, problems)
    timeline = read_timeline(page, anchor)
    actionables = read_actionables(page)
    scorecard = read_scorecard(page)
    if start is None:
        start, end = window_from_marks(timeline)
    return Report(
        title=title, file=file_name, status=status, metadata=metadata,
        sections=tuple(page.sections), timeline=tuple(timeline),
        actionables=tuple(actionables), scorecard=scorecard,
        problems=tuple(problems), placeholders=tuple(find_placeholders(page)),
        start=start, end=end, date_known=anchor is not None, text=text,
    )


def read_report_file(path, *, title: str | None = None) -> Report:
    """Read and parse a report file (UTF-8); a file that is not text is a ReportError."""
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
