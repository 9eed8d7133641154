"""Lint findings (postmortem.database.lint) on the real reports and on small cases."""

from __future__ import annotations

from pathlib import Path


from postmortem.core.model import Problem
from postmortem.database.lint import format_finding, format_findings, lint_report
from postmortem.read.report import parse_report, read_report_file

from tests.conftest import SAMPLE, SEED, WIKITECH


def _kinds(findings):
    return [(f.kind, f.line) for f in findings]


def test_seed_placeholders_each_reported_with_their_line():
    findings = lint_report(read_report_file(SEED))
    placeholders = {f.line for f in findings if f.kind == "placeholder"}
    # lines of the seed file, read by hand: "…" (6), the three Timeline notes (15, 17, 19),
    # the example line "*00:15 (post-outage cleanup finished)" (40), "TODO: …" (42),
    # the OPTIONAL lines (66, 72, 78, 84), lone "* …" bullets (70, 82, 88),
    # "Add links to information…" (90), "Add the #Sustainability…" (101)
    assert placeholders == {6, 15, 17, 19, 40, 42, 66, 70, 72, 78, 82, 84, 88, 90, 101}
    kinds = {f.kind for f in findings}
    assert {"no-outage-begins", "no-outage-ends", "unanswered", "no-task", "no-status"} <= kinds
    assert sum(1 for f in findings if f.kind == "unanswered") == 15
    assert [f.line for f in findings if f.kind == "no-task"] == [96, 97]


def test_clean_real_report_has_no_findings():
    assert lint_report(read_report_file(WIKITECH / "cite-visualeditor-references.wiki")) == []


def test_real_reports_findings():
    upload = lint_report(read_report_file(WIKITECH / "upload-cache.wiki"))
    assert ("out-of-order", 34) in _kinds(upload) and ("out-of-order", 42) in _kinds(upload)
    assert ("no-time", 44) in _kinds(upload) and ("no-time", 62) in _kinds(upload)
    assert ("placeholder", 15) in _kinds(upload)  # the template's "…" left in the summary
    tools = lint_report(read_report_file(WIKITECH / "toolsdb-primary-down.wiki"))
    assert ("total-missing", 144) in _kinds(tools)
    wmcs = lint_report(read_report_file(WIKITECH / "wmcs-proxy-nginx.wiki"))
    assert ("unanswered", 132) in _kinds(wmcs)  # N/A
    assert "no-date" in [f.kind for f in wmcs]
    titled = lint_report(read_report_file(WIKITECH / "wmcs-proxy-nginx.wiki",
                                          title="Incidents/2024-11-25 WMCS proxy nginx failure"))
    assert "no-date" not in [f.kind for f in titled]
    session = lint_report(read_report_file(WIKITECH / "sessionstore.wiki"))
    assert _kinds(session) == [("no-lead-up", 19), ("placeholder", 60), ("no-task", 89), ("no-task", 90)]


def test_total_mismatch_and_missing_sections():
    text = "\n".join(["{{irdoc|status=draft}}", "==Scorecard==", "{|", "|-",
                      "|Were fewer than five people paged?", "|Yes", "|-",
                      "! colspan=2 |Total score (count of all “yes” answers above)", "|3", "|}"])
    findings = lint_report(parse_report(text))
    assert ("total-mismatch", 8) in _kinds(findings)
    missing = [f.text for f in findings if f.kind == "missing-section"]
    assert missing == [f"no == {name} == section" for name in (
        "Summary", "Timeline", "Detection", "Conclusions", "Links to relevant documentation", "Actionables")]


def test_problems_are_findings():
    findings = lint_report(parse_report("==Timeline==\n*10:00 {{broken\n"))
    assert "unclosed-template" in [f.kind for f in findings]


def test_formatting():
    finding = Problem("placeholder", 40, "template text left in: x")
    assert format_finding(finding, "r.wiki") == "r.wiki:40: placeholder: template text left in: x"
    assert format_finding(Problem("missing-section", None, "no == Summary == section"), "r.wiki") == \
        "r.wiki: missing-section: no == Summary == section"
    assert format_findings([finding, finding], "r.wiki").count("\n") == 1


def test_rendered_sample_lints_clean():
    from postmortem.incident.load import load_incident
    from postmortem.timeline.gather import gather
    from postmortem.write.render import render_report
    sample = Path(__file__).resolve().parents[1] / "samples" / "2023-09-28-mw-page-content-change-enrich"
    incident = load_incident(sample / "incident.toml")
    report = parse_report(render_report(gather(incident)), title=incident.page_title)
    # The seed's two actionables without a task are one done and one waived on
    # purpose ("(no task: …)"): neither is an omission.
    assert [a.tasks for a in report.actionables] == [("T347884",), (), (), ("T345806",)]
    assert [a.done for a in report.actionables] == [False, False, True, False]
    assert report.actionables[1].no_task == "to be discussed with SRE at the incident review"
    assert lint_report(report) == []


def test_no_task_waiver_and_done_items_are_not_findings_but_bare_ones_are():
    text = ("==Actionables==\n* Plain item with no task\n* Done item {{Done}}\n"
            "* Waived item ''(no task: covered by the review)''\n")
    findings = [f for f in lint_report(parse_report(text)) if f.kind == "no-task"]
    assert [(f.line, f.text) for f in findings] == [(2, "actionable without a Phabricator task: Plain item with no task")]


def test_a_fresh_init_render_is_flagged_where_it_is_empty(tmp_path, run_cli):
    """The empty task, impact and Summary, and the template's "To fill in" comments."""
    assert run_cli("init", tmp_path / "new")[0] == 0
    assert run_cli("render", tmp_path / "new" / "incident.toml", "-o", tmp_path / "r.wiki")[0] == 0
    code, out, _ = run_cli("lint", tmp_path / "r.wiki")
    kinds = [line.split(": ")[1] for line in out.splitlines()]
    assert code == 1
    assert {"empty-summary", "empty-task", "empty-impact"} <= set(kinds)
    assert kinds.count("placeholder") == 7 and "<!-- To fill in: what happened" in out


def test_a_time_only_line_out_of_order_is_named_not_moved_silently():
    """15:30 then 14:00 is read as 14:00 the next day (a log crossing midnight
    looks the same): far from the line before it, it is a finding at its line."""
    text = ("{{irdoc|status=draft}}\n== Summary ==\n{{Incident scorecard\n| start = 2025-03-12 10:00\n}}\n"
            "==Timeline==\n*15:30 errors climb\n*14:00 rollback\n*23:50 late\n*00:10 after midnight\n")
    findings = [f for f in lint_report(parse_report(text)) if f.kind == "out-of-order"]
    assert [(f.line, f.text) for f in findings] == [
        (8, "14:00 comes after 15:30 and is read as the next day, 2025-03-13: out of order, or give its date")]


def test_a_markdown_report_of_this_tool_is_refused_in_one_line(tmp_path, run_cli):
    """lint read `render --format markdown` as wikitext and gave about 60 false findings
    (no-time on every "**2023-09-28 14:33** …" line, answered questions "unanswered");
    now it says what the file is and exits 2, as report-scorecard and stats do."""
    out = tmp_path / "report.md"
    assert run_cli("render", SAMPLE / "incident.toml", "--format", "markdown", "-o", out)[0] == 0
    for command in ("lint", "report-scorecard"):   # a report's scorecard (`scorecard REPORT` before)
        code, stdout, stderr = run_cli(command, out)
        assert (code, stdout) == (2, "") and len(stderr.splitlines()) == 1
        assert stderr.startswith(f"postmortem: error: {out}: a Markdown report (render --format markdown)")
