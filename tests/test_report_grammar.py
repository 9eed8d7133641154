"""Issue 26's forms: the grammar of dates and times (postmortem/read/_time_grammar.py),
windows stated in prose (read/_prose.py), the layout of copies that lost their
headings, and the report templates' example text of every era.

Each form seen on a page of tests/fixtures/reports/corpus/ is tested on that page
(values read by hand; the line numbers are the file's). The corpus holds only
incidents on an even day of the month (the fixtures' README says why); for the
forms the issue quotes from pages that are not in it (time zones, ctime and
``2023_01_17`` dates, ``Thurs Mar 28 1300 UTC``, milliseconds, date paragraphs,
day lines, two blank lines after the UTC note, "Incident ends", actionables of a
heading-less copy) no even-day page was found: those tests are on the lines
exactly as the issue quotes them, and say so.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from postmortem.read._time_grammar import read_moment
from postmortem.read.report import parse_report, read_report_file
from postmortem.read._stamps import split_stamp

from tests.conftest import REFERENCE

CORPUS = REFERENCE / "corpus"
UTC = dt.timezone.utc


def _read(slug: str):
    title = json.loads((CORPUS / "expected" / f"{slug}.json").read_text(encoding="utf-8"))["title"]
    return read_report_file(CORPUS / f"{slug}.txt", title=title)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- real pages


def test_the_2016_2019_templates_example_timeline_is_no_timeline():
    """maps-20190612.txt is the 2016-2019 template unfilled: its example lines
    (13-15, "18:13 erroneous change … OUTAGE BEGINS") gave the report a window."""
    report = _read("maps-20190612")
    assert report.timeline == () and (report.start, report.end) == (None, None)
    listed = {p.line for p in report.placeholders}
    assert {13, 14, 15, 20, 22, 24} <= listed


def test_a_stray_heading_does_not_make_a_copy_with_headings():
    """cirrussearch-morelike-20190606.txt lost every heading but 'Links to relevant
    documentation' (line 35): it is read as the heading-less copy it is."""
    report = _read("cirrussearch-morelike-20190606")
    assert report.section_titles == [] and report.timeline == ()
    assert (report.start, report.end) == (None, None)


def test_a_window_in_brackets_in_the_impact_line():
    """cirrussearch-commonsfile-2021-11-10.txt: metadata left 'YYYY-MM-DD hh:mm:ss';
    'For about 2.5 hours (14:00-16:32 UTC)'."""
    report = _read("cirrussearch-commonsfile-2021-11-10")
    assert (report.start, report.end) == (_at("2021-11-10 14:00"), _at("2021-11-10 16:32"))
    assert report.window_read == {"from": "prose", "precision": "minute", "approximate": False}
    assert report.outage_minutes == 152


def test_a_window_said_to_be_approximate():
    """mediawiki-api-slowdown-2021-04-20.txt: 'From approximately 7:31 to 8:16 UTC'."""
    report = _read("mediawiki-api-slowdown-2021-04-20")
    assert (report.start, report.end) == (_at("2021-04-20 07:31"), _at("2021-04-20 08:16"))
    assert report.window_read == {"from": "prose", "precision": "minute", "approximate": True}


def test_a_start_in_prose_with_no_end_written():
    """memcached-20130508.txt: 'At 13:30 UTC, the EEPROM … became unreadable'; the end
    is only 'At 13:58 I removed mc1009 … and two minutes later' (no zone, no clock)."""
    report = _read("memcached-20130508")
    assert report.windows == ((_at("2013-05-08 13:30"), None),)
    assert report.outage_minutes is None


def test_the_summary_window_wins_over_the_timeline_marks():
    """cache-upload-20170106.txt: 'From 16:08 to 18:11 UTC on Friday, 06 January 2017';
    'All times UTC.' (line 11, without 'in') heads the bullets; '16:08 Outage begins'."""
    report = _read("cache-upload-20170106")
    assert (report.start, report.end) == (_at("2017-01-06 16:08"), _at("2017-01-06 18:11"))
    assert [e.line for e in report.timeline] == [13, 14, 15, 16, 17, 18, 19]
    assert report.timeline[1].tags == ("outage-begins",)


def test_utc_written_after_the_clock_of_a_paragraph():
    """elasticsearch-unavailable-2023-09-20.txt: '14:00 UTC Primary datacenter switches …'."""
    report = _read("elasticsearch-unavailable-2023-09-20")
    first = report.timeline[0]
    assert first.time == _at("2023-09-20 14:00") and first.text.startswith("Primary datacenter")
    assert report.end == _at("2023-09-20 14:26:07") and report.window_read["precision"] == "second"


def test_dated_stamps_with_seconds_and_a_utc_colon():
    """s5-dewiki-wikidata-20171116.txt: '2017-11-16 17:20:05 UTC: Icinga complains …'."""
    entry = _read("s5-dewiki-wikidata-20171116").timeline[1]
    assert (entry.time, entry.precision) == (_at("2017-11-16 17:20:05"), "second")
    assert entry.text.startswith("Icinga complains")


# ---------------------------------------------------------------- forms without an even-day page


@pytest.mark.parametrize("line, date, clock, precision, rest", [
    ("~Wed Mar 27 23:59 2024 Patch is merged", "2024-03-27", "23:59", "minute", "Patch is merged"),
    ("Thurs Mar 28 1300 UTC CODFW switch", "2024-03-28", "13:00", "minute", "CODFW switch"),
    ("23:15:02,721 realizing", None, "23:15:02.721", "millisecond", "realizing"),
    ("Wed Mar 27 21:45:03 2024 Brian King restarts", "2024-03-27", "21:45:03", "second", "Brian King restarts"),
    ("2023_01_17 13:00:00 deploy", "2023-01-17", "13:00", "second", "deploy"),
    ("At 17:42, everything is back to", None, "17:42", "minute", "everything is back to"),
])
def test_the_stamps_the_grammar_reads(line, date, clock, precision, rest):
    """The issue's quotes (pages of odd days, not in the corpus); the year of
    'Thurs Mar 28' is the page's (2024 here)."""
    stamp = split_stamp(line)
    day = stamp.date if not stamp.yearless else stamp.date.replace(year=2024)
    assert (str(day) if day else None, stamp.clock.isoformat(timespec="auto")[:len(clock)], stamp.precision,
            stamp.rest) == (date, clock, precision, rest)


def test_a_zone_after_the_clock_is_that_zones_time():
    """'10:56 PST is reported' in winter is 18:56 UTC; in summer Los Angeles keeps
    PDT, so it is 17:56 UTC, with a zone-season problem (zones.toml's rule)."""
    winter = parse_report("== Timeline ==\n* 10:56 PST is reported\n", title="Incidents/2024-01-10 x")
    summer = parse_report("== Timeline ==\n* 10:56 PST is reported\n", title="Incidents/2024-07-10 x")
    assert winter.timeline[0].time == _at("2024-01-10 18:56") and winter.timeline[0].text == "is reported"
    assert summer.timeline[0].time == _at("2024-07-10 17:56")
    assert [p.kind for p in summer.problems] == ["zone-season"] and not winter.problems


def test_the_page_says_the_zone_of_lines_that_write_none():
    """'After 12:00 SF time …' and 'At 16:00 …' under 'All times SF time': Pacific;
    without such a line, a time with no zone is UTC."""
    page = "== Timeline ==\nAll times in SF time.\n* After 12:00 SF time the site\n* At 16:00 rollback\n"
    report = parse_report(page, title="Incidents/2024-08-10 x")
    assert [e.time for e in report.timeline] == [_at("2024-08-10 19:00"), _at("2024-08-10 23:00")]
    assert parse_report("== Timeline ==\n* At 16:00 rollback\n", title="Incidents/2024-08-10 x"
                        ).timeline[0].time == _at("2024-08-10 16:00")


def test_incident_ends_marks_the_end():
    report = parse_report("== Timeline ==\n* 12:00 OUTAGE BEGINS\n* 12:25: Incident ends.\n",
                          title="Incidents/2024-08-10 x")
    assert report.windows == ((_at("2024-08-10 12:00"), _at("2024-08-10 12:25")),)


def test_two_blank_lines_after_the_utc_note_of_a_headingless_copy():
    copy = "Incidents/2024-08-10 x\n\nSomething broke.\n\n\nAll times in UTC.\n\n\n  • 10:00 a\n  • 10:05 b\n"
    assert [e.text for e in parse_report(copy, title="Incidents/2024-08-10 x").timeline] == ["a", "b"]


def test_date_paragraphs_and_day_lines():
    page = ("== Timeline ==\nSeptember 15th: work begins on the patch\n\nPrevious days\n\n"
            "August 9\n* At 17:42, everything is back to normal\n")
    entries = parse_report(page, title="Incidents/2021-08-10 x").timeline
    assert [(e.time, e.precision, e.text) for e in entries] == [
        (_at("2021-09-15 00:00"), "day", "work begins on the patch"),
        (_at("2021-08-09 17:42"), "minute", "everything is back to normal")]


def test_actionables_of_a_headingless_copy():
    copy = ("Incidents/2017-06-12 x\n\nSummary text.\n\n\n  • 10:00 a\n\n\n"
            "  • Done Add geoshapes checks (Task T166776)\n  • bug T303155 Avoid flood of alerts\n")
    items = parse_report(copy, title="Incidents/2017-06-12 x").actionables
    assert [(a.text, a.tasks, a.done) for a in items] == [
        ("Add geoshapes checks (Task T166776)", ("T166776",), True), ("Avoid flood of alerts", ("T303155",), False)]


def test_a_moment_says_how_exact_it_is():
    assert read_moment("about 09:30 UTC").approximate and read_moment("09:30:07").precision == "second"
    assert read_moment("Mar 28 2015 UTC").clock == dt.time(20, 15)  # four digits and a zone: a clock
    assert read_moment("Mar 28 2015 12:00").date == dt.date(2015, 3, 28)
    assert read_moment("hello") is None and read_moment("2024 Brian King") is None


def test_a_copy_that_kept_only_its_summary_heading():
    """A plain copy whose bare 'Summary' line survived but not 'Timeline' nor
    'Actionables' (eventgate-main-2021-11-25.txt keeps only 'Summary and Metadata',
    cut before its timeline): the parts whose heading is lost are read as in a
    heading-less copy."""
    copy = ("Incidents/2024-11-14 x\n\nSummary\n\nSomething broke.\n\n\nAll times in UTC.\n\n\n"
            "  • 08:35 a\n  • 08:40 b\n\n\n  • Done Rate-limit it (Task T999001)\n")
    report = parse_report(copy, title="Incidents/2024-11-14 x")
    assert report.section_titles == ["Summary"] and [e.text for e in report.timeline] == ["a", "b"]
    assert [(a.tasks, a.done) for a in report.actionables] == [(("T999001",), True)]


def test_a_time_marked_approximate_or_quoted():
    """zuul-2019-05-06.txt: '11:30(approx): People complain …' (line 30), '14:00 roughly:
    Antoine notices …' (34), '"14:04" reverted zuul patch …' (35)."""
    entries = {e.line: e for e in _read("zuul-2019-05-06").timeline}
    assert [(entries[n].time, entries[n].text[:16]) for n in (30, 34, 35)] == [
        (_at("2019-05-06 11:30"), "People complain "), (_at("2019-05-06 14:00"), "Antoine notices "),
        (_at("2019-05-06 14:04"), "reverted zuul pa")]


def test_a_start_and_an_end_in_two_sentences():
    """eqiad-rack-c4-20150324.txt, the issue's form on an even-day page: 'At around 09:30 UTC
    on March 24, the network switch … went offline.' … 'connected to the network again at
    about 09:50 UTC'; eqiad-rack-c4-20141130.txt: 'Around 03:50 UTC on Nov 30, …' … 'again at
    about 10:13 UTC'."""
    march = _read("eqiad-rack-c4-20150324")
    assert march.windows == ((_at("2015-03-24 09:30"), _at("2015-03-24 09:50")),)
    assert march.window_read == {"from": "prose", "precision": "minute", "approximate": True}
    november = _read("eqiad-rack-c4-20141130")
    assert (november.start, november.end) == (_at("2014-11-30 03:50"), _at("2014-11-30 10:13"))


def test_a_remark_after_a_metadata_time():
    """network-interruption-2022-07-20.txt: End '2022-07-20 03:25 (mostly)'."""
    report = _read("network-interruption-2022-07-20")
    assert report.end == _at("2022-07-20 03:25") and not [p for p in report.problems if "metadata" in p.kind]


def test_approximately_in_brackets_after_a_paragraphs_clock():
    """toolforge-k8s-control-plane-2024-06-12.txt: '14:00 (approximately) resource limits …'."""
    first = _read("toolforge-k8s-control-plane-2024-06-12").timeline[0]
    assert (first.time, first.text[:24]) == (_at("2024-06-12 14:00"), "resource limits for kyve")


def test_a_weekday_and_a_day_of_the_month_as_day_lines():
    """asw-a2-codfw-crash-2021-07-20.txt: 'All times in UTC. Friday 16th' (line 21) and
    'Monday 19th' (37) date the bullets under them: 2021-07-16 and 2021-07-19, not the
    title's 2021-07-20."""
    report = _read("asw-a2-codfw-crash-2021-07-20")
    by_line = {e.line: e.time for e in report.timeline}
    assert (by_line[23], by_line[39]) == (_at("2021-07-16 13:16"), _at("2021-07-19 08:15"))
    assert report.windows == ((_at("2021-07-16 13:16"), _at("2021-07-16 16:56")),)


# ---------------------------------------------------------------- issue 26, pages of 2020-2025


def test_a_metadata_time_with_a_remark_that_holds_another_time():
    """read-only-2023-02-22.txt line 11: 'Start 2023-02-22 11:03:25 (major impact starts
    at 2023-02-22 12:16:21)' was a bad time, so the metadata was lost and the window
    came from a timeline line's 'outage starts now' (11:03, no end)."""
    report = _read("read-only-2023-02-22")
    assert (report.start, report.end) == (_at("2023-02-22 11:03:25"), _at("2023-02-22 12:18:48"))
    assert "bad-time" not in [p.kind for p in report.problems]


def test_a_pasted_log_line_under_a_bullet_is_no_entry():
    """etcd-mirror-2024-02-28.txt lines 23 and 26: syslog lines pasted under a bullet
    ('Feb 28 00:00:26 conf2005 etcdmirror…') were entries of their own."""
    entries = _read("etcd-mirror-2024-02-28").timeline
    assert [(e.line, e.time) for e in entries] == [
        (22, _at("2024-02-28 00:00")), (24, _at("2024-02-28 00:00")), (25, _at("2024-02-28 01:39"))]
    assert "Feb 28 00:00:26 conf2005" in entries[0].text and entries[2].text.endswith("Feb 28 01:39:")


def test_bullets_that_start_with_a_day_and_no_year_lead_up_to_the_report():
    """large-file-upload-2021-11-04.txt lines 20-23: bullets 'Feb 11: …', 'Feb 25: …',
    'March 1: …' in a copy without headings were no timeline; then Feb 11 went to the
    year that is nearest the title's date (2022), months after the incident."""
    entries = _read("large-file-upload-2021-11-04").timeline
    assert [(e.time, e.precision) for e in entries[:3]] == [
        (_at("2021-02-11 00:00"), "day"), (_at("2021-02-25 00:00"), "day"), (_at("2021-03-01 00:00"), "day")]
    assert entries[3].time is None and entries[3].text.startswith("mid-March: video2commons")


def test_a_weekday_and_a_date_without_a_clock_is_that_days_entry():
    """thumbnails-2020-05-22.txt lines 25, 26, 30: 'Wed 2020-05-13 The train is blocked …'
    had no time and kept the date in its text."""
    entries = {e.line: e for e in _read("thumbnails-2020-05-22").timeline}
    assert [(entries[n].time, entries[n].precision, entries[n].text[:9]) for n in (24, 25, 26, 30)] == [
        (_at("2020-05-13 19:08"), "minute", "<hashar@d"), (_at("2020-05-13 00:00"), "day", "The train"),
        (_at("2020-05-15 00:00"), "day", "A solutio"), (_at("2020-05-18 00:00"), "day", "The patch")]


def test_indented_bullets_of_a_copy_are_sub_items():
    """mariadb-password-2022-06-16.txt lines 28-32: '  • Improve automation:' over
    '    • upgrade & document …' - the introducing bullets were actionables too."""
    items = _read("mariadb-password-2022-06-16").actionables
    assert [(a.line, a.tasks) for a in items] == [(26, ()), (27, ()), (29, ()), (30, ()), (32, ("T277618",))]


def test_a_card_that_scores_each_question_one_or_zero():
    """esams-banner-sampling-2022-03-04.txt lines 29-33: '(score 1 for yes, 0 for no) 1',
    'Were more than 5 people paged? (score 0 for yes, 1 for no) 0' - points, read
    as yes/no answers of a 15-question table (none of them yes or no)."""
    card = _read("esams-banner-sampling-2022-03-04").scorecard
    points = {a.id: (a.points, a.max_points, a.line) for a in card.answers if a.line}
    assert card.kind == "rubric" and points == {
        "people-different": (1, 1, 29), "people-prepared": (1, 1, 30), "people-paged-fewer-than-five": (0, 1, 31),
        "pages-right-team": (0, 1, 32), "pages-business-hours": (None, None, 33)}


def test_in_wikitext_a_timed_line_under_a_bullet_is_its_own_entry():
    """Only a copy's drawn bullets take the line pasted under them: in wikitext
    '10:05 b' after '* 10:00 a' is a paragraph of its own, an entry."""
    page = "== Timeline ==\n* 10:00 a\n10:05 b\n"
    assert [e.text for e in parse_report(page, title="Incidents/2024-02-28 x").timeline] == ["a", "b"]

# ---------------------------------------------------------------- pages of 2014-2018 (second round)


def test_a_plain_copys_deeper_bullets_belong_to_the_entry_above():
    """dns-20140716.txt (lines 14-26) and phabricator-20160204.txt (lines 22-24) show
    nested bullets as "    •" under "  •": details of the entry, not entries."""
    dns = _read("dns-20140716").timeline
    assert [e.time for e in dns] == [_at("2014-07-16 21:36"), _at("2014-07-16 22:00"), _at("2014-07-16 23:00"),
                                     _at("2014-07-17 00:15"), _at("2014-07-17 12:02")]
    assert dns[0].text.startswith("Deployed this DNS change:\nThis change was the removal")
    phab = _read("phabricator-20160204").timeline
    assert len(phab) == 14 and "\nexpectation: Puppet won't touch" in phab[11].text and phab[11].line == 22


def test_about_written_between_a_date_and_its_clock():
    """dns-20140716.txt line 20: "2014-07-16 ~23:00 - A handful of isolated reports …"."""
    stamp = split_stamp("2014-07-16 ~23:00 - A handful of isolated reports")
    assert (stamp.date, stamp.clock, stamp.approximate, stamp.rest) == (
        dt.date(2014, 7, 16), dt.time(23, 0), True, "A handful of isolated reports")


def test_a_window_whose_ends_name_their_days():
    """dns-20140716.txt line 11: "from approximately July 16 22:00 UTC to July 17 13:40 UTC"."""
    report = _read("dns-20140716")
    assert (report.start, report.end) == (_at("2014-07-16 22:00"), _at("2014-07-17 13:40"))


def test_a_window_written_with_an_arrow():
    """domain-redirection-20160126.txt line 9: "(~ 18:14 -> 19:19 UTC)"."""
    report = _read("domain-redirection-20160126")
    assert (report.start, report.end) == (_at("2016-01-26 18:14"), _at("2016-01-26 19:19"))


def test_the_timeline_blocks_a_dropped_sub_heading_kept_apart():
    """domain-redirection-20160126.txt: the lead-up's bullets (lines 13-17), blank lines
    where a sub-heading was, then "outage begins" (line 20) and the outage's bullets."""
    timeline = _read("domain-redirection-20160126").timeline
    assert [(e.line, e.time) for e in timeline[:3]] == [(13, None), (14, _at("2016-01-26 17:20")),
                                                        (15, _at("2016-01-26 17:33"))]
    assert timeline[5].line == 20 and timeline[5].tags == ("outage-begins",) and len(timeline) == 13


def test_ranges_written_with_to_or_as_two_clocks():
    """parsercache-20181016.txt line 15 "14:14:44 14:15:03 Internal traffic … during this
    interval" and line 28 "07:30 to 08:57: Jaime, …": each at its start, the end in the text."""
    by_line = {e.line: e for e in _read("parsercache-20181016").timeline}
    assert (by_line[15].time, by_line[15].text[:40]) == (
        _at("2018-10-10 14:14:44"), "(until 14:15:03) Internal traffic starts")
    assert by_line[28].time == _at("2018-10-11 07:30") and by_line[28].text.startswith("(until 08:57) Jaime, Giuseppe")


def test_a_bracketed_date_and_the_log_before_a_clock():
    """ores-20160924.txt lines 9-17: "(2016-09-22) SAL: 20:00 thcipriani: …", "(2016-09-23)
    9:44 …" then "9:45 …", and "SAL: 09:58 logmsgbot: …" (copied from the Server Admin Log)."""
    by_line = {e.line: e for e in _read("ores-20160924").timeline}
    assert (by_line[9].time, by_line[9].source, by_line[9].actor, by_line[9].text) == (
        _at("2016-09-22 20:00"), "sal", "thcipriani", "thcipriani: rolling out wmf.20 to all wikis")
    assert [by_line[n].time for n in (10, 11)] == [_at("2016-09-23 09:44"), _at("2016-09-23 09:45")]
    assert (by_line[15].time, by_line[15].source, by_line[15].actor) == (_at("2016-09-23 09:58"), "sal", "logmsgbot")


def test_the_status_mark_of_a_plain_copys_actionable():
    """Wikitech's {{Status}} as a copy shows it: eventlogging-20141118.txt line 47
    "Status:    Done Make sure that" (done), network-20180808.txt line 39
    "Status:    Unresolved - Fix asw2-a-eqiad topology phab:T201145" (open)."""
    (done,) = _read("eventlogging-20141118").actionables
    (open_item,) = _read("network-20180808").actionables
    assert (done.text, done.done) == ("Make sure that", True)
    assert (open_item.text, open_item.tasks, open_item.done) == ("Fix asw2-a-eqiad topology", ("T201145",), False)
