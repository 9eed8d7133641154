"""Statistics over many reports: one row per report, and totals.

Answers the questions Wikitech's incident review says nobody can answer
without reading every report ("how many people were paged outside working
hours this quarter", "total incident time this month"). A report that
cannot be read is a row with its ``error``; it never stops the others.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ..core.csvtext import csv_text
from ..core.errors import PostmortemError
from ..core.lazy_regex import LazyRegex
from ..core.questions import QUESTION_IDS, QUESTIONS
from ..read.report import REQUIRED_SECTIONS, Report, parse_report, read_report_file, windows_minutes
from ..read.timeline import windows_from_marks
from ..core.timeutil import format_utc

__all__ = ["ReportStats", "report_stats", "report_row", "stats_to_json", "stats_to_csv", "FIELDS"]

FIELDS = (
    "file", "title", "status", "start", "end", "duration_minutes", "outage_minutes", "resolve_minutes",
    "score", "stated_total",
    "answered", "paged", "responders", "actionables", "actionables_with_task",
    "actionables_without_task", "paged_after_hours", "timeline_entries", "problems", "error",
    "scorecard_kind", "windows",
)


@dataclass(frozen=True)
class ReportStats:
    """Rows (dicts with :data:`FIELDS`) and totals; ``to_json``/``to_csv`` serialise
    them. ``answers``: per question id, how many 15-question ScoreCards answered
    it "no" and how many answered it at all (the totals' ``answered_no``)."""

    rows: tuple[dict, ...]
    totals: dict
    answers: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """``stats --format json``: ``{"reports": [...], "totals": {...}}`` (docs/formats.md)."""
        return {"reports": [dict(r) for r in self.rows], "totals": dict(self.totals)}

    def to_csv(self) -> str:
        """``stats --format csv``: a header line, then one line per report."""
        return stats_to_csv(self.rows)


def report_stats(items) -> ReportStats:
    """Stats over reports given as paths (files) or ``(title, text)`` pairs (e.g. wiki pages)."""
    read = [_row_for(item) for item in items]
    rows = tuple(row for row, _ in read)
    answers = answer_counts(card for _, card in read if card is not None)
    totals = {**_totals(rows), "answered_no": {qid: no for qid, (no, _) in answers.items() if no}}
    return ReportStats(rows, totals, answers)


def answer_counts(scorecards) -> dict[str, tuple[int, int]]:
    """``{question id: (answered "no", answered)}`` over the 15-question ScoreCards."""
    counts = {qid: [0, 0] for qid in QUESTION_IDS}
    for card in scorecards:
        if card.kind != "15-question":
            continue
        for answer in card.answers:
            if answer.id in counts and answer.answer is not None:
                counts[answer.id][1] += 1
                counts[answer.id][0] += answer.answer == "no"
    return {qid: (no, answered) for qid, (no, answered) in counts.items()}


def most_answered_no(answers: dict[str, tuple[int, int]]) -> list[tuple]:
    """``(question, answered "no", answered)`` for the questions some ScoreCard of
    :func:`answer_counts` answers "no", the most often first (ties in the table's order)."""
    asked = [(q, *answers.get(q.id, (0, 0))) for q in QUESTIONS]
    return sorted((item for item in asked if item[1]), key=lambda item: (-item[1], QUESTIONS.index(item[0])))


def stats_to_json(stats: ReportStats) -> dict:
    return stats.to_json()


def stats_to_csv(rows) -> str:
    """Rows as CSV (None is an empty cell, booleans ``true``/``false``, text a
    spreadsheet would run as a formula neutralised: :mod:`postmortem.core.csvtext`)."""
    return csv_text(FIELDS, ({k: _csv_value(row.get(k)) for k in FIELDS} for row in rows))


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _row_for(item) -> tuple[dict, object]:
    """A report's row and its ScoreCard (None when it could not be read)."""
    if isinstance(item, tuple):
        title, text = item
        if text is None:
            return _error_row(None, title, "the page has no text"), None
        return _safe_row(lambda: parse_report(text, title=title), file=None, title=title)
    name = os.fspath(item)
    return _safe_row(lambda: read_report_file(name), file=name, title=None)


def _safe_row(read, *, file, title) -> tuple[dict, object]:
    try:
        report = read()
    except (PostmortemError, OSError, UnicodeError) as err:
        return _error_row(file, title, str(err)), None
    if not is_a_report(report):
        return _error_row(file, title, NOT_A_REPORT), None
    return report_row(report, file=file), report.scorecard


# A page under the prefix that is none (an index, the statistics page itself): not counted.
NOT_A_REPORT = "not a report: no report section (Summary, Timeline, ...), {{irdoc}} or {{Incident scorecard}}"


def is_a_report(report: Report) -> bool:
    """A page with a section of the report template, a status, metadata, a timeline, the
    template's text, or a window its prose states (a 2013 report that is pasted e-mails:
    memcached-20130508.txt; a copy that lost its headings: cirrussearch-morelike-20190606.txt)."""
    return bool(report.status or any(report.metadata.values()) or report.timeline or report.windows
                or report.placeholders
                or any(report.section(name) for name in REQUIRED_SECTIONS))


def _error_row(file, title, error: str) -> dict:
    row = {key: None for key in FIELDS}
    row.update(file=file, title=title, error=error)
    return row


def report_row(report: Report, *, file: str | None = None) -> dict:
    """The stats row of one parsed report."""
    paged = parse_count(report.metadata.get("paged-num"))
    with_task = sum(1 for a in report.actionables if a.tasks)
    return {
        "file": file if file is not None else report.file,
        "title": report.title,
        "status": report.status,
        "start": format_utc(report.start) if report.start else None,
        "end": format_utc(report.end) if report.end else None,
        "duration_minutes": report.outage_minutes,  # start to end; several windows: their sum, not the gaps
        **report_metrics(report),  # outage_minutes, resolve_minutes: the OUTAGE marks, else the windows
        # no scorecard, or one nobody filled in, has no score (not 0)
        "score": report.scorecard.score if report.scorecard.found and report.scorecard.answered else None,
        "stated_total": report.scorecard.stated_total,
        "answered": report.scorecard.answered,
        "paged": paged,
        "responders": parse_count(report.metadata.get("responders-num")),
        "actionables": len(report.actionables),
        "actionables_with_task": with_task,
        "actionables_without_task": len(report.actionables) - with_task,
        "paged_after_hours": paged_after_hours(report, paged),
        "timeline_entries": len(report.timeline),
        "problems": len(report.problems),
        "error": None,
        "scorecard_kind": report.scorecard.kind,
        "windows": len(report.windows),
    }


_COUNT = LazyRegex(r"^\s*(\d+(?:\s*\+\s*\d+)*)")


def parse_count(value: str | None) -> int | None:
    """``"35 (batphone)"`` → 35, ``"6 + 3"`` → 9, ``"batphone"`` → None."""
    if not value:
        return None
    match = _COUNT.match(value)
    if not match:
        return None
    return sum(int(part) for part in match.group(1).split("+"))


def paged_after_hours(report: Report, paged: int | None) -> bool | None:
    """From the scorecard's "pages routed to online (business hours) engineers?"
    ("Answer “no” if engineers were paged after business hours"): "no" → True,
    "yes" → False; nobody paged → False; unanswered → None."""
    if paged == 0:
        return False
    answer = next((a.answer for a in report.scorecard.answers if a.id == "pages-business-hours"), None)
    if answer is None:
        return None
    return answer == "no"


def _totals(rows) -> dict:
    good = [r for r in rows if r["error"] is None]
    # the mean of the 15-question scores (a rubric's points are another scale)
    scores = [r["score"] for r in good if r["score"] is not None and r["scorecard_kind"] == "15-question"]
    return {
        "reports": len(rows),
        "read": len(good),
        "errors": len(rows) - len(good),
        "duration_minutes": _sum(good, "duration_minutes"),
        "with_duration": sum(1 for r in good if r["duration_minutes"] is not None),
        "outage_minutes": _sum(good, "outage_minutes"),
        "with_outage": sum(1 for r in good if r["outage_minutes"] is not None),
        "paged": _sum(good, "paged"),
        "paged_unknown": sum(1 for r in good if r["paged"] is None),
        "paged_after_hours": sum(1 for r in good if r["paged_after_hours"] is True),
        "responders": _sum(good, "responders"),
        "actionables": _sum(good, "actionables"),
        "actionables_without_task": _sum(good, "actionables_without_task"),
        "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
        "by_status": _by_status(good),
    }


def _sum(rows, key) -> int:
    return sum(r[key] for r in rows if r[key] is not None)


def _by_status(rows) -> dict:
    counts: dict = {}
    for row in rows:
        key = row["status"] or "unknown"
        counts[key] = counts.get(key, 0) + 1
    return counts


def report_metrics(report) -> dict[str, int | None]:
    """``outage_minutes``: the minutes of outage summed over every OUTAGE
    BEGINS/ENDS pair of the timeline, or, where the timeline marks none, over the
    report's windows (the metadata's, as many as it lists); ``resolve_minutes``:
    from the first OUTAGE BEGINS to the report's end. None where the report
    does not give the moments."""
    begins = next((e.time for e in report.timeline if "outage-begins" in e.tags and e.time), None)
    marked = windows_from_marks(report.timeline)
    outage = windows_minutes(marked) if marked else report.outage_minutes
    resolve = stated_minutes(report.text, "Time to resolve")
    return {"outage_minutes": outage,
            "resolve_minutes": resolve if resolve is not None else _minutes(begins, report.end)}


# The metrics a rendered report states in its Summary (templates/wikitech.wiki.j2:
# "* Time to resolve: 4 d 23 h 41 min (…)", timeutil.format_duration): the report's own
# figure wins, so stats says what the report says.
_STATED = r"^[*\-]\s*{label}:\s*(?:(?P<d>\d+) d )?(?:(?P<h>\d+) h )?(?P<m>\d+) min\b"


def stated_minutes(text: str, label: str) -> int | None:
    """Minutes of a metric the report states (``* Time to resolve: 1 h 05 min (…)``), or None."""
    match = re.search(_STATED.format(label=re.escape(label)), text, re.M)
    if not match:
        return None
    return int(match["d"] or 0) * 1440 + int(match["h"] or 0) * 60 + int(match["m"])


def _minutes(start, end) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds() // 60)
