"""Findings on a parsed report: what a reviewer would send back.

Each finding names a line where there is one. The checks follow Wikitech's
report template ("Incident response/Full report template") and its Incident
Engagement ScoreCard: placeholder text left in, a stated total that is not
the count of "yes", unanswered questions, actionables without a Phabricator
task, timeline lines without a time or out of order, no OUTAGE BEGINS/ENDS
marks, no lead-up ("Include the lead-up to the incident"), missing sections,
what a fresh `postmortem init` leaves empty (the task, the impact, the Summary,
the template's "To fill in" comments), and secrets or personal data in the page
(:mod:`postmortem.core.redact`: the kind and the line, never the value).
``postmortem lint`` exits 1 when there is any.
"""

from __future__ import annotations

import re

from ..core.assignment import NO_TASK, assignment
from ..core.model import Problem
from ..core.redact import scan_text
from ..read.report import REQUIRED_SECTIONS, Report

__all__ = ["lint_report", "format_finding", "format_findings"]


def lint_report(report: Report) -> list[Problem]:
    """Every finding on ``report``, in page order (findings without a line last);
    an empty page is that one finding."""
    if not report.text.strip():
        return [Problem("empty-page", None, "the page is empty")]
    findings: list[Problem] = []
    for check in _CHECKS:
        findings.extend(check(report))
    return sorted(findings, key=lambda f: (f.line is None, f.line or 0))


def format_finding(finding: Problem, file: str | None = None) -> str:
    """``file:line: kind: text`` (``file: kind: text`` without a line)."""
    where = file or "-"
    if finding.line is not None:
        where = f"{where}:{finding.line}"
    return f"{where}: {finding.kind}: {finding.text}"


def format_findings(findings, file: str | None = None) -> str:
    """All findings, one line each, as ``lint`` prints them."""
    return "\n".join(format_finding(f, file) for f in findings)


# ---------------------------------------------------------------- checks


def _problems(report: Report):
    """What the reader could not read (unclosed markup, bad metadata times)."""
    yield from report.problems


def _placeholders(report: Report):
    for placeholder in report.placeholders:
        yield Problem("placeholder", placeholder.line, f"template text left in: {placeholder.text}")


_METADATA = re.compile(r"\{\{\s*Incident[ _]scorecard\b", re.I)
# What the renderer writes into the Summary itself (templates/wikitech.wiki.j2): no prose of the author's.
_GENERATED_SUMMARY = re.compile(r"^(?:Metrics, from the timeline:|\*\s*(?:Outage duration|Time to \w+):"
                                r"|''(?:Not known from the records|(?:Outage duration|Time to)[^']* (?:do|does) not apply))")


def _empty_fields(report: Report):
    """A {{Incident scorecard}} without its task or impact, and a Summary with no
    prose (as a fresh `postmortem init` renders them)."""
    found = _METADATA.search(report.text)
    if found:
        line = report.text.count("\n", 0, found.start()) + 1
        for key, what in (("task", "the incident's Phabricator task"), ("impact", "who was affected and how")):
            if not report.metadata.get(key):
                yield Problem(f"empty-{key}", line, f"{{{{Incident scorecard}}}} has no {key} ({what})")
    summary = report.section("Summary")
    if summary is not None and found and not _summary_prose(report, summary):
        yield Problem("empty-summary", summary.line, "the Summary says nothing yet: what happened, in a few sentences")


def _summary_prose(report: Report, summary) -> list[str]:
    """The Summary's own lines: not the metadata template, comments or the generated metrics."""
    lines = report.text.split("\n")[summary.line:summary.end_line]
    text = re.sub(r"<!--.*?-->", "", "\n".join(lines), flags=re.S)
    text = re.sub(r"\{\{\s*Incident[ _]scorecard.*?\n\}\}", "", text, flags=re.S | re.I)
    return [line for line in text.split("\n") if line.strip() and not _GENERATED_SUMMARY.match(line.strip())]


def _missing_sections(report: Report):
    for name in REQUIRED_SECTIONS:
        if report.section(name) is None:
            yield Problem("missing-section", None, f"no == {name} == section")


def _scorecard(report: Report):
    card = report.scorecard
    if not card.found:
        if report.section("Scorecard") is not None:
            yield Problem("scorecard", report.section("Scorecard").line,
                          "no Incident Engagement ScoreCard table in the Scorecard section")
        return
    if card.kind == "rubric":
        yield from _rubric(card)
        return
    for answer in card.answers:
        if answer.answer is None:
            shown = f" ({answer.raw})" if answer.raw else ""
            yield Problem("unanswered", answer.line, f"scorecard question not answered yes/no{shown}: {answer.question}")
    yield from _total(card, f"{card.score} answers are yes", f"count of yes is {card.score}")


def _rubric(card):
    """The older rubric: each question on the page scores points; the total is their sum."""
    for answer in card.answers:
        if answer.line is not None and answer.points is None:
            shown = f" ({answer.raw})" if answer.raw else ""
            yield Problem("unscored", answer.line, f"rubric question given no points{shown}: {answer.question}")
    yield from _total(card, f"the points add up to {card.score}", f"the points add up to {card.score}")


def _total(card, computed: str, missing: str):
    """A stated total that is not the computed score, or a Total row that states none."""
    if card.stated_total is not None and card.stated_total != card.score:
        yield Problem("total-mismatch", card.total_line, f"stated total {card.stated_total} but {computed}")
    elif card.stated_total is None and card.total_line is not None:
        yield Problem("total-missing", card.total_line, f"no total stated ({missing})")


def _actionables(report: Report):
    if report.section("Actionables") is not None and not report.actionables:
        yield Problem("no-actionables", report.section("Actionables").line, "no actionables listed")
    for item in report.actionables:
        # Done work needs no tracking, and "(no task: reason)" is a decision, not an omission.
        if assignment(has_task=bool(item.tasks), done=item.done, waived=bool(item.no_task)) == NO_TASK:
            yield Problem("no-task", item.line, f"actionable without a Phabricator task: {item.text[:120]}")


def _timeline(report: Report):
    """Lines without a time and out of order; the OUTAGE marks. (Times without a
    date are the reader's ``no-date`` problem.)"""
    if report.section("Timeline") is None:
        return
    previous = None
    for entry in report.timeline:
        if entry.clock is None:
            yield Problem("no-time", entry.line, f"timeline entry without a time: {entry.text[:120]}")
        elif entry.time is not None:
            if previous is not None and entry.time < previous.time:
                yield Problem("out-of-order", entry.line,
                              f"{entry.clock} comes after {previous.clock} (line {previous.line})")
            previous = entry
    yield from _outage_marks(report)


def _outage_marks(report: Report):
    tags = {tag for entry in report.timeline for tag in entry.tags}
    line = report.section("Timeline").line
    if "outage-begins" not in tags:
        yield Problem("no-outage-begins", line, "no '''OUTAGE BEGINS''' mark in the timeline")
    if "outage-ends" not in tags:
        yield Problem("no-outage-ends", line, "no '''OUTAGE ENDS''' mark in the timeline")


def _status(report: Report):
    if report.status is None and not any(p.kind == "unknown-status" for p in report.problems):
        yield Problem("no-status", 1, "no {{irdoc|status=…}} template")


# Where a timeline says its first part is the lead-up: "=== Lead-up ===",
# "'''Lead-up'''", ";Lead up".
_LEAD_UP_HEADING = re.compile(r"^\s*(?:=+\s*|'{3}\s*|;\s*)?lead[- ]?up\b", re.I | re.M)


def _lead_up(report: Report):
    """A timeline that starts at the start: nothing of what led to it (the
    template: "Include the lead-up to the incident"). Said only when the start
    is known and there is neither a "Lead-up" heading nor an entry before the start."""
    section = report.section("Timeline")
    if section is None or report.start is None or not report.timeline:
        return
    if any(entry.time is not None and entry.time < report.start for entry in report.timeline):
        return
    lines = report.text.split("\n")[section.line - 1:section.end_line]
    if not _LEAD_UP_HEADING.search("\n".join(lines)):
        yield Problem("no-lead-up", section.line, "the timeline has no lead-up: nothing before the start "
                      "(the deploy or change that led to it; postmortem shows one with [incident] lead = \"24h\")")


def _secrets(report: Report):
    """Secrets and personal data in the page text, by kind and line."""
    text = report.text
    for hit in scan_text(text):
        kind = "secret" if hit.category == "secret" else "personal-data"
        yield Problem(kind, text.count("\n", 0, hit.start) + 1, f"{hit.kind} in the page (the value is not shown)")


_CHECKS = (_problems, _status, _placeholders, _empty_fields, _missing_sections, _timeline, _lead_up, _actionables,
           _scorecard, _secrets)
