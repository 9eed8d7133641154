"""The incident statistics page (`postmortem stats --format wikitext [--publish PAGE]`):
its numbers against twelve reports across three months, the chart, and on the real
test MediaWiki (tests/mediawiki.py) the page created, then updated keeping a hand edit."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from postmortem.core.model import Records
from postmortem.incident.load import parse_incident
from postmortem.database.stats import report_stats
from postmortem.publishing.pictures import upload_comment
from postmortem.database.stats_page import default_chart_name
from postmortem.database._month_chart import chart_layout, months_between
from postmortem.write.render import render_report
from postmortem.database._stats_page_text import stats_page
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)
from tests.test_pages import services, sources_file  # noqa: F401  (local Splunk On-Call and PagerDuty)

# (start, minutes, status, answers "no") of twelve incidents in three months:
# five in January, three in February, four in March.
INCIDENTS = [
    ("2024-01-03 10:00", 30, "final", ["runbook-used"]),
    ("2024-01-09 22:15", 90, "final", ["runbook-used", "pages-business-hours"]),
    ("2024-01-15 08:00", 45, "review", []),
    ("2024-01-22 13:30", 120, "final", ["runbook-used", "status-page-entry"]),
    ("2024-01-30 02:10", 15, "draft", ["pages-business-hours"]),
    ("2024-02-07 11:00", 60, "final", ["runbook-used"]),
    ("2024-02-14 16:45", 240, "review", []),
    ("2024-02-28 23:50", 20, "draft", ["pages-business-hours", "runbook-used"]),
    ("2024-03-04 09:00", 10, "final", []),
    ("2024-03-11 10:30", 75, "final", ["status-page-entry"]),
    ("2024-03-19 14:00", 35, "review", ["runbook-used"]),
    ("2024-03-27 07:20", 50, "draft", []),
]


def report_text(start: str, minutes: int, status: str, no: list[str]) -> str:
    """A report as postmortem renders it, from an incident.toml of those facts."""
    begin = dt.datetime.fromisoformat(start)
    end = begin + dt.timedelta(minutes=minutes)
    answers = "".join(f'{qid} = "no"\n' for qid in no) + 'people-prepared = "yes"\n'
    incident = parse_incident(f'''[incident]
id = "{start[:10]} stats test"
status = "{status}"
start = "{start}"
end = "{end:%Y-%m-%d %H:%M}"
paged = 2
[scorecard]
{answers}''')
    return render_report(Records(incident))


REPORTS = [(f"StatsTest/{start[:10]} incident {n}", report_text(start, minutes, status, no))
           for n, (start, minutes, status, no) in enumerate(INCIDENTS, 1)]


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the first table after ``== heading ==``."""
    section = text.split(f"== {heading} ==", 1)[1].split("\n== ", 1)[0]
    table = section.split("{|", 1)[1].split("|}", 1)[0]
    return [row.strip().lstrip("|").strip().split(" || ") for row in table.split("|-")[1:]]


@pytest.fixture(scope="module")
def page():
    return stats_page(report_stats(REPORTS), graph_file="Stats chart.svg", source="the test reports")


def test_incidents_per_month_match_the_reports(page):
    assert table_rows(page.text, "Incidents per month") == [
        ["2024-01", "5", "5 h 00 min", "45 min"],
        ["2024-02", "3", "5 h 20 min", "1 h 00 min"],
        ["2024-03", "4", "2 h 50 min", "42 min"],
    ]
    assert "Median per month: '''4''' (over the 3 months from 2024-01 to 2024-03" in page.text
    assert page.months == ((dt.date(2024, 1, 1), 5), (dt.date(2024, 2, 1), 3), (dt.date(2024, 3, 1), 4))


def test_per_year_durations_and_statuses(page):
    assert table_rows(page.text, "Incidents per year") == [["2024", "12", "4 (over 3 months)", "13 h 10 min", "47 min"]]
    assert "* Total duration: '''13 h 10 min''', over the 12 reports that give a start and an end." in page.text
    assert "* Median duration: '''47 min'''." in page.text   # (45 + 50) / 2 minutes
    assert table_rows(page.text, "Reports per status") == [["draft", "3"], ["review", "3"], ["final", "6"]]


def test_the_questions_answered_no_most_often(page):
    rows = table_rows(page.text, 'ScoreCard questions answered "no" most often')
    assert rows == [["Were the steps taken to mitigate guided by an existing runbook?", "6", "6"],
                    ["Were pages routed to online (business hours) engineers?", "3", "3"],
                    ["Was a public wikimediastatus.net entry created?", "2", "2"]]


def test_pages_outside_working_hours_where_the_reports_say(page):
    assert ("* The reports: 3 reports say engineers were paged outside business hours (the ScoreCard's "
            "\"Were pages routed to online (business hours) engineers?\" answered \"no\"), 0 say they were not "
            "(or nobody was paged), 9 do not say.") in page.text
    assert table_rows(page.text, "Pages outside working hours") == [["2024-01", "2"], ["2024-02", "1"], ["2024-03", "0"]]


def test_reports_not_counted_are_named(tmp_path):
    undated = "== Summary ==\nSomething broke, nobody wrote when.\n"
    index = "A list of the incidents:\n* [[StatsTest/2024-01-03 incident 1]]\n"
    stats = report_stats(REPORTS[:2] + [("StatsTest/undated", undated), ("StatsTest/empty", None),
                                        ("StatsTest/Index", index)])
    page = stats_page(stats)
    assert "* [[:StatsTest/empty]]: could not be read (the page has no text)" in page.text
    assert "* [[:StatsTest/undated]]: no start date (it counts in no month)" in page.text
    assert "* [[:StatsTest/Index]]: not a report: no report section (Summary, Timeline, ...)," in page.text
    assert (stats.totals["reports"], stats.totals["read"], stats.totals["errors"]) == (5, 3, 2)


def test_the_chart_has_a_bar_per_month_months_without_incidents_included():
    months = months_between(dt.date(2023, 11, 20), dt.date(2024, 2, 3))
    layout = chart_layout([(m, n) for m, n in zip(months, [2, 0, 5, 1])], median=1.5)
    assert [b.title for b in layout.bars] == ["2023-11: 2 incidents", "2023-12: 0 incidents", "2024-01: 5 incidents",
                                             "2024-02: 1 incident"]
    assert [b.height for b in layout.bars][1] == 0 and layout.bars[2].height > layout.bars[0].height
    assert [(lab.text, lab.year) for lab in layout.labels] == [("Nov", "2023"), ("Dec", ""), ("Jan", "2024"), ("Feb", "")]
    assert [count for _, count in layout.y_ticks] == [0, 1, 2, 3, 4, 5] and layout.median[1] == "median 1.5 a month"
    assert layout.bars[0].x < layout.bars[1].x < layout.bars[2].x   # on the time axis, in order


def test_the_chart_is_plain_svg_1_1(page):
    svg = page.svg
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.1"')
    assert svg.count('<rect class="bar"') == 3 and "<title>2024-01: 5 incidents</title>" in svg
    assert not re.search(r"<script|href=|<foreignObject|on\w+=", svg)


# -- on the wiki --------------------------------------------------------------------------

PAGE = "Incident statistics (test)"


def test_publish_then_update_keeps_a_hand_edit(cli, bot_env, bot):
    for title, text in REPORTS:
        bot.edit(title, text, "a test report")
    code, out, err = cli("stats-page", "--wiki", bot_env.api_url, "--prefix", "StatsTest/", "--publish", PAGE)
    chart = default_chart_name(PAGE)
    assert code == 0, err
    assert out == f"created {PAGE} (revision {bot_env.current(PAGE)['revid']}) with the chart File:{chart}\n"
    text = bot_env.text(PAGE)
    # the page's numbers are those of the twelve reports, as read back from the wiki
    local = stats_page(report_stats(REPORTS)).text
    for heading in ("Incidents per month", "Incidents per year", "Reports per status",
                    'ScoreCard questions answered "no" most often', "Pages outside working hours"):
        assert table_rows(text, heading) == table_rows(local, heading), heading
    assert table_rows(text, "Incidents per month")[0] == ["2024-01", "5", "5 h 00 min", "45 min"]
    assert "* Total duration: '''13 h 10 min''', over the 12 reports" in text
    assert f"[[File:{chart}|thumb|none|" in text
    assert "the pages under [[Special:PrefixIndex/StatsTest/|StatsTest/]]" in text
    info = bot.file_info(chart)
    assert info.exists and info.comment == upload_comment(PAGE, "incidents per month")
    shown = bot.parse(PAGE).html
    assert f'{chart.replace(" ", "_")}' in shown and "<img" in shown   # the chart is on the page

    bot_env.human_edit(PAGE, lambda t: t.replace("== Duration ==\n", "== Duration ==\nHAND: March was quiet.\n"))
    bot.edit("StatsTest/2024-03-30 incident 13", report_text("2024-03-30 18:00", 25, "draft", ["runbook-used"]),
             "a thirteenth report")
    code, out, err = cli("stats-page", "--wiki", bot_env.api_url, "--prefix", "StatsTest/", "--publish", PAGE)
    assert code == 0, err
    assert out.startswith(f"updated {PAGE} (revision ")
    text = bot_env.text(PAGE)
    assert "HAND: March was quiet." in text
    assert table_rows(text, "Incidents per month")[2] == ["2024-03", "5", "3 h 15 min", "35 min"]
    assert bot_env.current(PAGE)["comment"].startswith("postmortem ") and "update statistics" in \
        bot_env.current(PAGE)["comment"]
    # the spelling from before stats-page was a command: the same, and a warning
    code, out, err = cli("stats", "--wiki", bot_env.api_url, "--prefix", "StatsTest/", "--publish", PAGE)
    assert code == 0 and out.startswith(f"no change to {PAGE}") and "deprecated: use `postmortem stats-page`" in err


def test_a_chart_name_taken_by_someone_else_is_refused(cli, bot_env, bot):
    bot.edit("StatsOther/2024-01-03 incident", REPORTS[0][1], "a test report")
    bot.upload_file("Hand-made chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
                    comment="a hand-made chart")
    code, _, err = cli("stats-page", "--wiki", bot_env.api_url, "--prefix", "StatsOther/", "--publish", "Other stats",
                       "--chart", "Hand-made chart.svg")
    assert code == 1 and "already exists" in err and "nothing was changed" in err
    assert bot_env.current("Other stats") == {}


def test_the_page_under_its_own_prefix_is_not_a_report(cli, bot_env, bot):
    bot.edit("StatsSelf/2024-01-03 incident", REPORTS[0][1], "a test report")
    for _ in range(2):
        assert cli("stats-page", "--wiki", bot_env.api_url, "--prefix", "StatsSelf/", "--publish",
                   "StatsSelf/Statistics")[0] == 0
    text = bot_env.text("StatsSelf/Statistics")
    assert "Statistics of the 1 incident report read from" in text and "Reports not counted" not in text


def test_a_redirect_left_by_a_moved_report_is_not_the_incident_again(cli, bot_env, bot):
    bot.edit("StatsMoved/2024-01-03 incident", REPORTS[0][1], "a test report")
    bot.edit("StatsMoved/2024-01-03 old name", "#REDIRECT [[StatsMoved/2024-01-03 incident]]\n", "moved")
    code, out, err = cli("stats", "--wiki", bot_env.api_url, "--prefix", "StatsMoved/", "--format", "json")
    assert code == 0, err
    assert [row["title"] for row in json.loads(out)["reports"]] == ["StatsMoved/2024-01-03 incident"]


def test_publish_counts_the_wiki_s_reports_not_files(cli, tmp_path):
    report = tmp_path / "r.wiki"
    report.write_text(REPORTS[0][1])
    code, _, err = cli("stats-page", str(report), "--publish", PAGE)
    assert code == 2 and "--publish 'Incident statistics (test)' counts the reports on the wiki" in err


def test_wikitext_to_stdout_and_the_chart_to_a_file(cli, tmp_path):
    files = []
    for n, (_, text) in enumerate(REPORTS[:4]):
        files.append(tmp_path / f"r{n}.wiki")
        files[-1].write_text(text)
    code, out, _ = cli("stats-page", *files, "--chart", tmp_path / "per-month.svg")
    assert code == 0 and "[[File:per-month.svg|thumb|none|" in out
    assert (tmp_path / "per-month.svg").read_text().count('<rect class="bar"') == 1
    assert "read from 4 files" in out


def test_pages_outside_working_hours_where_the_page_records_say(services, tmp_path):  # noqa: F811
    from postmortem.incident.load import load_sources
    from postmortem.database.stats_page import statistics_page
    configs, people = load_sources(sources_file(tmp_path, *services))
    page = statistics_page(REPORTS, sources=configs, people=people)   # the March pages of tests/test_pages.py
    assert ("* The page records (Splunk On-Call, PagerDuty), 2024-01-01 to 2024-04-01: 7 pages, 2 of them reaching "
            "someone outside their working hours, 1 in working hours, 4 unknown.") in page.text
    assert table_rows(page.text, "Pages outside working hours") == [
        ["2024-01", "2", "0 of 0"], ["2024-02", "1", "0 of 0"], ["2024-03", "0", "2 of 7"]]


@pytest.mark.parametrize("args, message", [
    (["stats", "--graph", "x.svg"], "--graph goes with `postmortem stats-page`"),
    (["stats", "--format", "csv", "--sources", "s.toml"], "--sources goes with `postmortem stats-page`"),
    (["stats-page", "--replace-chart"], "--replace-chart, --ours and --theirs go with --publish PAGE"),
    (["stats", "--format", "wikitext", "--replace-graph"], "--replace-chart, --ours and --theirs go with --publish"),
])
def test_page_options_without_the_page_are_errors(run_cli, tmp_path, args, message):
    report = tmp_path / "r.wiki"
    report.write_text(REPORTS[0][1])
    code, out, err = run_cli(args[0], report, *args[1:])
    assert (code, out) == (2, "") and message in err
