"""Fuzz the report reader with hypothesis: any text gives a Report (possibly with
problems) or a ReportError, never another exception. The number of inputs
tried is printed (run with -s) and written to the pytest report."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from postmortem.core.errors import ReportError
from postmortem.read.lint import lint_report
from postmortem.read.report import parse_report
from postmortem.scorecard.report import report_scorecard
from postmortem.read.stats import report_row

TRIED = {"count": 0}

# Pieces of real report markup, so the fuzzer builds near-valid pages and breaks them.
FRAGMENTS = [
    "{{irdoc|status=draft}}", "{{irdoc-review}}", "{{Incident scorecard\n| start = 2025-03-31 02:58\n| end = ",
    "}}", "{{", "== Summary ==\n", "==Timeline==\n", "==Actionables==\n", "==Scorecard==\n",
    "{| class=\"wikitable\"\n", "|-\n", "|}", "|Were fewer than five people paged?\n", "|Yes\n", "|N/A\n",
    "! colspan=\"2\" |Total score (count of all “yes” answers above)\n|7\n", "*", "**", "\n", "\t",
    "*02:58 ", "15:42: ", "'''Sunday 2025-03-30'''\n", "13:30\u00a0 <nick> ", "1302 ", "1:05 PM ",
    "2023-09-28 14:33:00 ", "— '''OUTAGE BEGINS'''", "{{PhabT|123}}", "[[phab:T1|T1]]", "{{Done}}",
    "<nowiki>", "</nowiki>", "<!--", "-->", "&#123;", "&#xZZ;", "&#99999999;", "[[", "]]",
    "<syntaxhighlight>", "TODO: ", "…", "\x00", "\ud800", "\r\n", "<br />",
]

pages = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join)


def _exercise(text: str) -> None:
    TRIED["count"] += 1
    try:
        report = parse_report(text, title="Incidents/2025-03-31 fuzz")
    except ReportError:
        return
    json.dumps(report.to_json())
    lint_report(report)
    report_scorecard(report).to_json()
    report_row(report)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages)
def test_fuzz_structured_pages(text):
    _exercise(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_any_text(text):
    _exercise(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_binary_garbage_as_text(data):
    _exercise(data.decode("latin-1"))


def test_report_fuzz_count(record_property):
    """Runs last in this file: how many inputs the fuzz tests above tried."""
    print(f"\nreport fuzz: {TRIED['count']} inputs tried, no crash")
    record_property("fuzz_inputs", TRIED["count"])
    assert TRIED["count"] > 0
