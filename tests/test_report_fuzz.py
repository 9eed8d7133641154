"""Fuzz the report reader with hypothesis: any text gives a Report (possibly with
problems) or a ReportError, never another exception. The number of inputs
tried is printed (run with -s) and written to the pytest report."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from postmortem.core.errors import ReportError
from postmortem.database.lint import lint_report
from postmortem.read.report import parse_report
from postmortem.scorecard.report_scorecard import report_scorecard
from postmortem.database.stats import report_row

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
    # the forms of every template era and of plain-text copies (tests/fixtures/reports/corpus/)
    "<u>12th March 2025</u>\n", "=== 2024-12-07 occurrence ===\n", "'''11.44''' ", "'''10:58''' UTC: ",
    "[[toolforge:sal/log/AWIZ|08:06]] ", "[x] ", "[] ", "[ ] ", "2:30 AM ", "20: 30 ", "??? : ", "15:34:00~: ",
    "| start = 2025-03-12 10:44:00, 2025-03-13 11:15:00\n", "| end = 2025-05-08 8:25 AM\n",
    "From 05:08 to 08:32 UTC on Monday, 12 March 2018", "(0/5pt)", "(0/1pt)?", "Rubric Question Score\n",
    "document status: in-review\n", "## Timeline\n", "Actionables\n", "Incident ID x Start 2025-01-01 10:00\n",
    "Task T1 End 2025-01-01 11:00\n", "| Start | 2025-06-25 09:46:00 |\n", "All times in UTC.\n", "\n\n\n",
    "• ", "- ", "(owner: x)", "* Follow up on:\n** ", "<volans> ", "{{Ircnick|effie}} ",
    "[https://phabricator.wikimedia.org/T371251 Switchover]", "[[phab:T390529|'''Reduce''']]",
    "Incident Engagement™ ScoreCard\n", "People Were fewer than five people paged? yes Not paging\n",
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
