"""The forms of issue 12, one test each, on the real pages of
tests/fixtures/reports/corpus/ (values read by hand from the page; line numbers
are the file's lines). Where no real page shows a form, the test reads a minimal
excerpt written for it in the shape of a real page: those say so ("not from a
real page") and name the page they imitate.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from postmortem.database.lint import lint_report
from postmortem.read.report import parse_report, read_report_file
from postmortem.database.stats import report_stats
from postmortem.scorecard.report_scorecard import report_scorecard

from tests.conftest import REFERENCE, SEED, WIKITECH

CORPUS = REFERENCE / "corpus"
UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def entry_at(report, line: int):
    (entry,) = [e for e in report.timeline if e.line == line]
    return entry


def read(name: str, title: str | None = None):
    return read_report_file(CORPUS / name, title=title)


# ---------------------------------------------------------------- dates of timeline lines


def test_a_sub_heading_inside_the_timeline_dates_the_lines_under_it():
    # varnish-port-saturation.wiki: "=== 2024-12-07 occurrence ===" (line 35), "*13:59 …" (37)
    report = read("varnish-port-saturation.wiki")
    assert entry_at(report, 37).time == at("2024-12-07 13:59")
    assert entry_at(report, 41).time == at("2024-12-07 18:28")
    assert entry_at(report, 45).time == at("2024-12-09 01:38")   # "=== 2024-12-09 occurrence ===" (43)
    assert entry_at(report, 55).time == at("2024-12-09 17:56")   # after the block, no new heading


def test_underlined_ordinal_date_lines_date_the_lines_under_them():
    # externalstorage-overload.wiki: "<u>12th March 2025</u>" (58), "<u>13th March 2025</u>" (66,
    # straight after a bullet)
    report = read("externalstorage-overload.wiki")
    assert entry_at(report, 65).time == at("2025-03-12 13:44")
    assert entry_at(report, 67).time == at("2025-03-13 11:15")
    assert entry_at(report, 75).time == at("2025-03-13 14:06")


def test_date_lines_with_month_names_and_weekdays():
    # '''Sunday 2025-03-30''' is upload-cache.wiki's line 50; "13th March 2025" without <u> has no
    # real page here (a copy of externalstorage-overload would show it): not from a real page.
    report = parse_report("==Timeline==\n13th March 2025\n* 11:15 begins\n'''Sunday 2025-03-30'''\n* 09:00 x\n"
                          ";Monday, March 31, 2025\n* 10:00 y\n")
    assert [e.time for e in report.timeline] == [at("2025-03-13 11:15"), at("2025-03-30 09:00"),
                                                 at("2025-03-31 10:00")]
    assert read_report_file(WIKITECH / "upload-cache.wiki").timeline[-2].time == at("2025-03-30 09:34")


# ---------------------------------------------------------------- times in markup


def test_bold_times_and_utc_after_the_bold():
    report = read("externalstorage-overload.wiki")
    first = entry_at(report, 60)  # * '''10:44''' {{Ircnick|effie}} runs scap …
    assert (first.time, first.clock) == (at("2025-03-12 10:44"), "10:44")
    second = entry_at(report, 62)  # * '''10:58''' UTC: alerts for high backend response times …
    assert second.time == at("2025-03-12 10:58")
    assert second.text == "alerts for high backend response times started coming in"


def test_a_dot_in_a_bold_time():
    entry = entry_at(read("externalstorage-overload.wiki"), 70)  # * '''11.44''' {{Ircnick|Amir1}}disables …
    assert (entry.time, entry.clock) == (at("2025-03-13 11:44"), "11.44")
    assert entry.text.startswith("{{Ircnick|Amir1}}disables the categorymembership job")


def test_a_time_as_a_sal_links_label_keeps_the_link_as_the_url():
    report = read("cache-text-2018.wiki", "Incident documentation/20180312-Cache-text")
    entry = entry_at(report, 9)  # * [[toolforge:sal/log/AWIZPsfZkkJ8OkTwiOnZ|08:06]] Restart cp3042 …
    assert entry.time == at("2018-03-12 08:06")
    assert entry.text == "Restart cp3042 varnish backend instance."
    assert (entry.url, entry.source) == ("https://sal.toolforge.org/log/AWIZPsfZkkJ8OkTwiOnZ", "sal")
    assert entry_at(report, 10).url == "https://sal.toolforge.org/log/AWIZV1n3kkJ8OkTwiOn9"


def test_four_digit_times_after_a_date():
    # autocomplete-indices.wiki line 20 "* 2025-05-07 0220 …", line 24 "*2025-05-08 0825 - Dcausse …"
    report = read("autocomplete-indices.wiki")
    assert entry_at(report, 20).time == at("2025-05-07 02:20")
    assert entry_at(report, 24).text.startswith("Dcausse (Search Platform software engineer)")


def test_am_pm_in_a_timeline_line():
    # No real timeline writes "2:30 AM" (autocomplete-indices has it in its metadata only):
    # not from a real page.
    entry = parse_report("==Timeline==\n* 2:30 AM the daily job fails\n* 1:05 PM paged\n",
                         title="Incidents/2025-05-08 x").timeline
    assert [e.time for e in entry] == [at("2025-05-08 02:30"), at("2025-05-08 13:05")]


def test_a_mistyped_time_is_read_with_a_note():
    # gerrit-data-corruption.wiki line 46: "* 20: 30 '''[DOWNTIME ENDS]''' Brought up Gerrit primary …"
    report = read("gerrit-data-corruption.wiki")
    assert entry_at(report, 46).time == at("2025-04-30 20:30")
    assert [(p.kind, p.line) for p in report.problems] == [("odd-time", 46)]


def test_unknown_and_approximate_times():
    # codfw-appservers-2022-09-08.txt: "• ??? : moritzm updates nginx" (34), "• 15:34:00~: User-visible …" (40)
    report = read("codfw-appservers-2022-09-08.txt")
    unknown = entry_at(report, 34)
    assert (unknown.time, unknown.clock, unknown.text) == (None, None, "moritzm updates nginx, causing a restart")
    assert entry_at(report, 40).time == at("2022-09-08 15:34:00")


# ---------------------------------------------------------------- metadata windows


def test_metadata_times_with_am_pm():
    report = read("autocomplete-indices.wiki")  # | start = 2025-05-08 2:30 AM / | end = 2025-05-08 8:25 AM
    assert (report.start, report.end) == (at("2025-05-08 02:30"), at("2025-05-08 08:25"))
    assert report.metadata["start"] == "2025-05-08 2:30 AM"  # the raw string stays as written
    assert report.problems == ()


def test_two_windows_give_the_first_start_the_last_end_and_the_summed_minutes():
    report = read("externalstorage-overload.wiki")  # lines 9-10
    assert report.windows == ((at("2025-03-12 10:44"), at("2025-03-12 13:44")),
                              (at("2025-03-13 11:15"), at("2025-03-13 14:15")))
    assert (report.start, report.end) == (at("2025-03-12 10:44"), at("2025-03-13 14:15"))
    (row,) = report_stats([CORPUS / "externalstorage-overload.wiki"]).rows
    # the two windows' 3 h each, not the 27 h 31 min from the first start to the last end
    assert (row["duration_minutes"], row["outage_minutes"], row["windows"]) == (360, 360, 2)
    data = report.to_json()
    assert data["windows"] == [{"start": "2025-03-12T10:44:00Z", "end": "2025-03-12T13:44:00Z"},
                               {"start": "2025-03-13T11:15:00Z", "end": "2025-03-13T14:15:00Z"}]


def test_windows_from_repeated_outage_marks():
    report = read("varnish-20190503.txt", "Incidents/2019-05-03 varnish")  # lines 18/25 and 26/28
    assert report.windows == ((at("2019-05-03 05:01"), at("2019-05-03 06:00")),
                              (at("2019-05-03 07:03"), at("2019-05-03 07:20")))
    (row,) = report_stats([("Incidents/2019-05-03 varnish", (CORPUS / "varnish-20190503.txt").read_text())]).rows
    assert row["outage_minutes"] == 59 + 17


# ---------------------------------------------------------------- the date of a page without metadata


def test_the_title_dates_a_page_without_metadata():
    report = read("mediawiki-20160407.txt", "Incidents/20160407-Mediawiki")
    assert [e.time for e in report.timeline] == [at("2016-04-07 13:50"), None, at("2016-04-07 13:53"),
                                                 at("2016-04-07 13:55")]


def test_without_a_title_the_summary_prose_gives_the_date_and_the_window():
    # cache-text-2018.wiki line 4: "From 05:08 to 08:32 UTC on Monday, 12 March 2018 …"; the file
    # name has no date and no title is given
    report = read("cache-text-2018.wiki")
    assert (report.start, report.end) == (at("2018-03-12 05:08"), at("2018-03-12 08:32"))
    assert entry_at(report, 8).time == at("2018-03-12 05:08")
    # a title wins over the prose's date
    titled = parse_report("==Summary==\nFrom 05:08 to 08:32 UTC on Monday, 12 March 2018 x.\n"
                          "==Timeline==\n* 09:00 y\n", title="Incidents/2018-03-13 other")
    assert titled.timeline[0].time == at("2018-03-13 09:00") and titled.start == at("2018-03-12 05:08")


def test_a_window_in_prose_takes_the_titles_date():
    # eventgate-main-2021-11-25-draft.txt line 14: "… not available between 7:32 and 7:35 UTC."
    report = read("eventgate-main-2021-11-25-draft.txt", "Incident documentation/2021-11-25 eventgate-main outage")
    assert (report.start, report.end) == (at("2021-11-25 07:32"), at("2021-11-25 07:35"))


# ---------------------------------------------------------------- actionables


def test_a_paragraph_that_is_a_task_link_is_an_actionable():
    (item,) = read("s4-x1-write-overload.wiki").actionables  # line 57
    assert (item.text, item.tasks, item.line) == ("Switchover s4 master (db1238 -> db1160)", ("T371251",), 57)


def test_bold_task_labels_are_the_text():
    items = read("externalstorage-overload.wiki").actionables  # lines 201-204
    assert [(a.text, a.tasks) for a in items] == [
        ("Reduce the amount of messages sent through channel:Memcached during failures", ("T390529",)),
        ("Add helm rollback functionality to scap", ("T371069",)),
        ("Should scap be able to update helmfile-defaults when -Dbuild_mw_container_image:False", ("T390531",)),
        ("Consider removing envvars.inc from MediaWiki images", ("T390573",)),
    ]


def test_checkboxes_are_done_marks():
    items = read("cloud-vps-security-groups.wiki").actionables  # "[x] …" (65), "[] …" (67, 69)
    assert [(a.line, a.done) for a in items] == [(65, True), (67, False), (69, False)]
    assert items[1].text.startswith("Update the wmcs.openstack.restart_openstack cookbook")
    # "[ ]" with a space has no real example (only "[x]" and "[]" were found): not from a real page
    spaced = parse_report("==Actionables==\n\n[ ] Open item\n\n* [X] Done item\n").actionables
    assert [(a.text, a.done) for a in spaced] == [("Open item", False), ("Done item", True)]


def test_a_bullet_that_introduces_sub_bullets_is_not_an_item():
    items = read("autocomplete-indices.wiki").actionables  # "* Follow up on:" (51), "** …" (52-55)
    assert [(a.line, a.tasks) for a in items] == [(52, ("T363521",)), (53, ("T393786",)), (54, ("T393523",)),
                                                  (55, ("T393709",))]
    assert items[0].text == "Completion suggester can promote a bad build"


def test_done_in_a_note_and_tasks_elsewhere_are_not_actionables():
    items = read("cache-text-2018.wiki").actionables  # "(done in [[gerrit:419090]])" (18)
    assert [(a.line, a.done) for a in items] == [(16, False), (17, False), (18, True), (19, False)]
    tools = read("toolsdb-out-of-space.wiki")
    # T409244 is in the Timeline (24); T313030 is quoted IRC under an item (53); T357977 is in a
    # closing paragraph (57): none is an actionable's task
    assert [a.tasks for a in tools.actionables] == [("T409287",), ("T409404",), ("T409404",), ()]


# ---------------------------------------------------------------- timelines as tables


def test_a_plain_text_copy_of_a_table_timeline():
    report = read("papal-traffic-surge.txt")  # from line 100: "Time" / "Event", then time and text lines
    assert len(report.timeline) == 26
    first = report.timeline[0]
    assert (first.time, first.text, first.actor) == (
        at("2025-05-08 16:08"), "<volans> habemus papam (a new pope has been elected, expect traffic spikes)", "volans")
    firing = entry_at(report, 132)  # 17:19 / FIRING: / ProbeDown… / OUTAGE BEGINS (132-137)
    assert firing.text.startswith("FIRING: ProbeDown: Service text-https:443") and firing.tags == ("outage-begins",)
    assert entry_at(report, 171).tags == ("outage-ends",)  # "OUTAGE ENDS" inside the 17:29 cell (175)
    assert entry_at(report, 121).text.startswith("Slight dip in traffic")


def test_a_wiki_table_timeline():
    # No real page keeps its timeline as a wiki table in wikitext (papal-traffic-surge did, but only
    # its plain-text copy is here): not from a real page, written in that page's shape.
    text = ("{{irdoc|status=draft}}\n==Timeline==\nAll times in UTC.\n"
            '{| class="wikitable"\n!Time\n!Event\n|-\n|16:08\n|<volans> habemus papam\n|-\n'
            "|17:19\n|FIRING: ProbeDown '''OUTAGE BEGINS'''\n|-\n|17:29\n|RESOLVED: ProbeDown '''OUTAGE ENDS'''\n|}\n")
    report = parse_report(text, title="Incidents/2025-05-08 Papal announcement traffic surge")
    assert [(e.time, e.line) for e in report.timeline] == [
        (at("2025-05-08 16:08"), 8), (at("2025-05-08 17:19"), 11), (at("2025-05-08 17:29"), 14)]
    assert report.timeline[0].actor == "volans" and report.timeline[1].tags == ("outage-begins",)
    assert (report.start, report.end) == (at("2025-05-08 17:19"), at("2025-05-08 17:29"))


# ---------------------------------------------------------------- the old rubric


def test_the_rubric_is_read_as_a_rubric_not_as_unanswered_questions():
    report = read("ulsfo-network-2022-03-01.txt")  # lines 28-38, unscored, cut inside Process
    card = report.scorecard
    assert card.kind == "rubric"
    rows = {a.id: (a.line, a.max_points, a.points) for a in card.answers if a.line}
    assert rows == {"people-different": (30, 5, None), "people-prepared": (31, 5, None),
                    "people-paged-fewer-than-five": (32, 5, None), "pages-right-team": (33, None, None),
                    "pages-business-hours": (34, 5, None), "status-doc-updated": (35, 1, None),
                    "status-page-entry": (36, 1, None), "phabricator-task": (37, 1, None),
                    "actionables-assigned": (38, None, None)}
    kinds = [f.kind for f in lint_report(report)]
    assert "unanswered" not in kinds and kinds.count("unscored") == 9


# Not from a real page: the only rubric copy (ulsfo-network-2022-03-01) is unscored and cut, so
# this excerpt gives the rubric's rows points, in the wiki table the 2021 template used.
RUBRIC = """{{irdoc|status=final}}
==Scorecard==
{| class="wikitable"
|+Incident Engagement™ ScoreCard
!Rubric
!Question
!Score
|-
! rowspan="5" |People
|Were the people responding to this incident sufficiently different than the previous N incidents? (0/5pt)
|3
|-
|Were the people who responded prepared enough to respond effectively (0/5pt)
|4
|-
|Did fewer than 5 people get paged (0/5pt)?
|5
|-
|Were pages routed to the correct sub-team(s)? (0/5pt)
|
|-
|Were pages routed to online (working hours) engineers (0/5pt)? (score 0 if people were paged after-hours)
|0
|-
! rowspan="2" |Process
|Was the incident status section actively updated during the incident? (0/1pt)
|1
|-
|Is there a phabricator task for the incident? (0/1pt)
|1
|-
! colspan="2" |Total score
|15
|}
"""


def test_a_scored_rubric_gives_points_and_their_total():
    report = parse_report(RUBRIC)
    card = report.scorecard
    points = {a.id: (a.points, a.max_points) for a in card.answers if a.line}
    assert points == {"people-different": (3, 5), "people-prepared": (4, 5), "people-paged-fewer-than-five": (5, 5),
                      "pages-right-team": (None, 5), "pages-business-hours": (0, 5),
                      "status-doc-updated": (1, 1), "phabricator-task": (1, 1)}
    assert (card.kind, card.score, card.stated_total) == ("rubric", 14, 15)
    kinds = [(f.kind, f.line) for f in lint_report(report)]
    assert ("unscored", 19) in kinds and ("total-mismatch", 32) in kinds and "unanswered" not in [k for k, _ in kinds]
    data = json.loads(json.dumps(report.to_json()["scorecard"]))
    assert data["kind"] == "rubric" and data["score"] == 14
    assert data["answers"][0] == {"category": "People", "question": card.answers[0].question, "answer": None,
                                  "notes": "", "points": 3, "max_points": 5}
    stated = report_scorecard(report)
    assert stated.score == 14 and stated.mismatch and "points: 14/" in stated.to_text()
    assert stated.to_json()["answers"][0]["points"] == 3


def test_flattened_question_answer_notes_lines():
    card = read("asw-a4-codfw-2022-06-30.txt").scorecard  # lines 28-37
    got = {a.id: (a.answer, a.notes) for a in card.answers if a.line}
    assert got["people-paged-fewer-than-five"] == ("yes", "Not paging")
    assert got["pages-business-hours"] == ("yes", "Not paging")   # after the "Answer “no” if …" hint
    assert got["status-doc-updated"] == ("no", "No working doc")  # 2022's wording of the question
    assert got["status-page-entry"] == ("no", "not user facing")


# ---------------------------------------------------------------- stats, JSON, problems


def test_stats_over_the_fixtures_one_row_per_report():
    files = sorted(CORPUS.glob("*.wiki")) + sorted(CORPUS.glob("*.txt")) + sorted(WIKITECH.glob("*.wiki")) + [SEED]
    stats = report_stats(files)
    rows = {r["file"].rsplit("/", 1)[-1]: r for r in stats.rows}
    assert len(rows) == len(files) == 87 and stats.totals["errors"] == 0
    # read by hand: externalstorage 2025-03-12 10:44 to 2025-03-13 14:15, blank scorecard;
    # autocomplete 02:30-08:25 (355 min), 5 yes; toolsdb-out-of-space has no scorecard
    assert [rows["autocomplete-indices.wiki"][k] for k in ("start", "end", "duration_minutes", "score")] == [
        "2025-05-08T02:30:00Z", "2025-05-08T08:25:00Z", 355, 5]
    assert rows["externalstorage-overload.wiki"]["score"] is None  # every answer blank: no score, not 0
    assert rows["toolsdb-out-of-space.wiki"]["score"] is None and rows["toolsdb-out-of-space.wiki"]["scorecard_kind"] is None
    assert rows["varnish-port-saturation.wiki"]["score"] == 7 and rows["varnish-port-saturation.wiki"]["stated_total"] == 6
    assert rows["ulsfo-network-2022-03-01.txt"]["scorecard_kind"] == "rubric"
    assert all(r["start"] is None or r["duration_minutes"] is not None or r["end"] is None for r in rows.values())
    csv_lines = stats.to_csv().splitlines()
    assert len(csv_lines) == 88 and ",,," in next(line for line in csv_lines if "toolsdb-out-of-space" in line)


def test_json_timeline_entries_carry_actor_source_tags_and_url():
    report = read("toolsdb-out-of-space.wiki")
    entry = report.to_json()["timeline"][0]
    assert entry == {"time": "2025-11-04T22:40:00Z", "text": "tools-db-4 runs out of space", "actor": None,
                     "source": None, "tags": [], "url": None}
    irc = read_report_file(WIKITECH / "toolsdb-primary-down.wiki").to_json()["timeline"][0]
    assert (irc["actor"], irc["source"]) == ("dhinus", "irc")
    nick = entry_at(read("externalstorage-overload.wiki"), 63)  # {{Ircnick|gmodena}} and {{Ircnick|brouberol}}
    assert nick.actor == "gmodena"
    marked = read("s4-x1-write-overload.wiki").to_json()["timeline"][1]  # ('''OUTAGE BEGINS''')
    assert marked["tags"] == ["outage-begins"]


def test_what_the_reader_cannot_decide_is_null_with_a_problem():
    # eventgate-analytics-2025-06-30.txt ends inside "- 2025-06-30 11:" (line 19)
    report = read("eventgate-analytics-2025-06-30.txt")
    assert report.timeline[-1].time is None and ("bad-time", 19) in [(p.kind, p.line) for p in report.problems]
    # x2-replication-2022-08-16.txt: "Start YYYY-MM-DD hh:mm:ss" (15)
    x2 = read("x2-replication-2022-08-16.txt")
    assert x2.start is None and "bad-metadata-time" in [p.kind for p in x2.problems]
    undated = parse_report("==Timeline==\n*10:00 x\n")
    assert undated.timeline[0].time is None and [p.kind for p in undated.problems] == ["no-date"]
    uneven = parse_report("{{Incident scorecard|start=2025-01-01 10:00, 2025-01-02 10:00|end=2025-01-01 11:00}}")
    assert "bad-metadata-time" in [p.kind for p in uneven.problems] and uneven.windows[1][1] is None
    headless = read("wdqs-2022-12-02.txt")
    assert [p.kind for p in headless.problems] == ["no-sections"]


@pytest.mark.parametrize("name", ["varnish-20190423.txt", "wikifeeds-2021-09-06.txt", "confctl-2022-05-09.txt"])
def test_copies_that_lost_their_headings_still_give_the_timeline(name):
    report = read(name)
    assert report.timeline and all(e.clock for e in report.timeline) and report.sections == ()


# ---------------------------------------------------------------- forms found trying unseen pages
# Pages written by hand in the shapes of real ones, as a new user of the reader would.


# Not from a real page: eventgate-main-2021-11-25.txt is the plain-text copy of a page that kept
# its metadata in this late-2021 table; this is the table as its wikitext wrote it.
METADATA_TABLE = """{{irdoc|status=review}}
==Summary and Metadata==
{| class="wikitable"
|'''Incident ID'''
|2021-11-25 eventgate-main outage
|'''UTC Start Timestamp:'''
|2021-11-25 07:32
|-
|'''Incident Task'''
|https://phabricator.wikimedia.org/T299970
|'''UTC End Timestamp'''
|2021-11-25 07:35
|-
|'''People Paged'''
|0
|'''Responder Count'''
|1
|-
|'''Coordinator(s)'''
|No Coordinator needed
|'''Relevant Metrics / SLO(s) affected'''
|
|-
|'''Summary:'''
| colspan="3" |For about 3 minutes eventgate-main was unavailable.
|}
==Timeline==
*07:32 eventgate-main removed from eqiad
"""


def test_the_late_2021_metadata_table_gives_the_metadata_and_the_window():
    report = parse_report(METADATA_TABLE)
    assert report.metadata == {
        "task": "https://phabricator.wikimedia.org/T299970", "paged-num": "0", "responders-num": "1",
        "coordinators": "No Coordinator needed", "start": "2021-11-25 07:32", "end": "2021-11-25 07:35",
        "metrics": None, "impact": None}
    assert report.windows == ((at("2021-11-25 07:32"), at("2021-11-25 07:35")),)
    assert report.timeline[0].time == at("2021-11-25 07:32") and report.outage_minutes == 3


def test_a_table_without_an_incident_id_is_not_metadata():
    text = '==Summary==\n{| class="wikitable"\n|Start\n|2021-11-25 07:32\n|}\n'
    assert parse_report(text).metadata["start"] is None


def test_yearless_day_lines_across_the_new_year():
    text = ("{{irdoc|status=draft}}\n{{Incident scorecard\n| start = 2024-12-31 23:10\n| end = 2025-01-01 01:20\n}}\n"
            "==Timeline==\n'''Tuesday 31 December'''\n* 23:10 alerts fire\n=== 1 January ===\n* 00:30 rollback done\n"
            "'''Jan 2nd'''\n* 09:00 review meeting\n")
    report = parse_report(text)
    assert [e.time for e in report.timeline] == [at("2024-12-31 23:10"), at("2025-01-01 00:30"), at("2025-01-02 09:00")]
    assert report.problems == ()


@pytest.mark.parametrize("mark, given, points, most", [
    ("(0/5p)", "3", 3, 5),
    ("(0/5 points)", "4", 4, 5),
    ("(0/1 point)", "1", 1, 1),
    ("(0/-5pt)", "-5", -5, -5),   # a penalty: 0 or -5
    ("(0/-5pt)", "5", None, -5),  # out of the question's range: not read
    ("(0/5pt)", "6", None, 5),
])
def test_rubric_point_marks(mark, given, points, most):
    question = f"Were the people who responded prepared enough to respond effectively {mark}"
    text = "==Scorecard==\n{| class=\"wikitable\"\n!Rubric\n!Question\n!Score\n|-\n!People\n" \
           f"|{question}\n| {given}\n|}}\n"  # "| -5": a cell, where "|-5" would start a row
    card = parse_report(text).scorecard
    (answer,) = [a for a in card.answers if a.line]
    assert (card.kind, answer.id, answer.points, answer.max_points) == ("rubric", "people-prepared", points, most)
    assert answer.question == question  # as the page asks it, not in the 15-question wording


def test_the_rubric_scorecard_shows_the_questions_the_page_asks():
    stated = report_scorecard(parse_report(RUBRIC))
    lines = stated.to_text().splitlines()
    assert len(lines) == 8 and lines[0].endswith("than the previous N incidents? (0/5pt)")
    assert lines[-1] == "points: 14/27 (stated total: 15, MISMATCH)"
    assert stated.to_json()["answers"][0]["question"].endswith("(0/5pt)")


def test_an_end_before_the_start_is_a_problem_and_no_length():
    text = "{{Incident scorecard\n| start = 2025-03-12 10:44\n| end = 2025-03-11 11:15\n}}\n==Summary==\nx\n"
    report = parse_report(text)
    assert [p.kind for p in report.problems] == ["end-before-start"]
    assert "'2025-03-11 11:15' is before start = '2025-03-12 10:44'" in report.problems[0].text
    assert report.outage_minutes is None
    assert "end-before-start" in [f.kind for f in lint_report(report)]


def test_a_report_without_a_scorecard_has_no_score_not_zero():
    report = parse_report("{{irdoc|status=final}}\n==Summary==\nx\n==Scorecard==\nTo do.\n")
    stated = report_scorecard(report)
    assert stated.score is None and stated.to_json()["score"] is None
    assert report.to_json()["scorecard"]["score"] is None  # parse --format json too
    assert stated.to_text().splitlines()[-1] == "score: none, the page has no scorecard table"


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_an_empty_page_is_one_finding(text):
    assert [(f.kind, f.text) for f in lint_report(parse_report(text))] == [("empty-page", "the page is empty")]


def test_approximate_french_and_range_times_and_a_dot_time_that_is_not_read():
    text = ("{{Incident scorecard\n| start = 2025-03-12 10:44\n| end = 2025-03-12 11:15\n}}\n==Timeline==\n"
            "* ~10:50 errors climb\n* 10h52 rollback\n* 10:51-10:55 several restarts\n* 10.57 restarts done\n")
    report = parse_report(text)
    assert [(e.time, e.text) for e in report.timeline] == [
        (at("2025-03-12 10:50"), "errors climb"), (at("2025-03-12 10:52"), "rollback"),
        (at("2025-03-12 10:51"), "(until 10:55) several restarts"), (None, "10.57 restarts done")]
    assert [(p.kind, p.line) for p in report.problems] == [("bad-time", 9)]


def test_sal_links_give_who_logged_and_alert_lines_are_alerts():
    text = ("{{Incident scorecard\n| start = 2025-03-12 10:44\n| end = 2025-03-12 11:15\n}}\n==Timeline==\n"
            "* [https://sal.toolforge.org/log/AWIZPsfZkkJ8OkTwiOnZ 10:44] marostegui@cumin1001: depool db1136\n"
            "* [https://tools.wmflabs.org/sal/log/AV1234567890abcdefgh 10:46] jynus: restart mariadb\n"
            "* 10:48 <icinga-wm> PROBLEM - MariaDB Replica Lag: s4 on db1136 is CRITICAL: lag 600\n"
            "* 10:49 FIRING: [2x] ProbeDown: Service text-https:443 has failed probes\n"
            "* 10:50 <Amir1> PROBLEM - this is a person quoting it\n"
            "* 10:51 Note: nothing logged\n"
            "* 10:52 (IRC #wikimedia-operations) jinxer-wm: RESOLVED: ProbeDown: text-https:443\n")  # as rendered
    entries = parse_report(text).timeline
    assert [(e.actor, e.source) for e in entries] == [
        ("marostegui", "sal"), ("jynus", "sal"), ("icinga-wm", "alert"), (None, "alert"), ("Amir1", "irc"), (None, None),
        ("jinxer-wm", "alert")]


def test_actionable_text_is_the_words_a_reader_sees():
    text = ("==Actionables==\n"
            "* {{PhabT|299971}} Add a [[Kubernetes/Deployments|pool check]] to the helm3 migration\n"
            "* [https://phabricator.wikimedia.org/T299972 T299972] Alert on '''eventgate''' drops, "
            "see [https://grafana.wikimedia.org/d/ZB39Izmnz dashboard]\n"
            "* {{Done}} [[phab:T299973|T299973]] Document the <code>depool</code> step, {{Gerrit|123}}\n"
            "* https://phabricator.wikimedia.org/T218184 - Alert on JVM heap\n")
    items = parse_report(text).actionables
    assert [(a.text, a.tasks, a.done) for a in items] == [
        ("Add a pool check to the helm3 migration", ("T299971",), False),
        ("Alert on eventgate drops, see dashboard", ("T299972",), False),
        ("Document the depool step, {{Gerrit|123}}", ("T299973",), True),
        ("Alert on JVM heap", ("T218184",), False)]


def test_a_plain_text_copy_is_titled_by_the_line_it_starts_with():
    # read from the copy: its first line is the page title, "From Wikitech" under it
    assert read_report_file(CORPUS / "wdqs-2022-12-02.txt").title == "Incidents/2022-12-02 wdqs outage"
    assert read_report_file(CORPUS / "wdqs-2022-12-02.txt", title="Incidents/other").title == "Incidents/other"
    assert read_report_file(SEED).title is None   # wikitext: its title is the page's, not in the text
