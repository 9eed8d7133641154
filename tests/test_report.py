"""Reading reports back (postmortem.read.report).

Expected values for the real reports in tests/fixtures/reports/ were read by hand
from the page text (line numbers are the lines of the .wiki/.txt files), not
taken from this code's output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from postmortem.core.errors import ReportError
from postmortem.read.report import decode_report, parse_report, read_report_file
from postmortem.core.tasks import find_tasks
from postmortem.read.scorecard_table import normalize_answer
from postmortem.read._dates import parse_date_line
from postmortem.read._stamps import split_stamp
from postmortem.scorecard.report_scorecard import report_scorecard
from postmortem.core.questions import QUESTION_IDS
from postmortem.core.model import Records

from tests.conftest import SEED, WIKITECH

SECTIONS = ["Summary", "Timeline", "Detection", "Conclusions", "Links to relevant documentation",
            "Actionables", "Scorecard"]

Y, N, X = "yes", "no", None


def day(date: str, *clocks: str) -> list[str]:
    """ISO UTC strings for clocks on one date."""
    return [f"{date}T{c if len(c) == 8 else c + ':00'}Z" for c in clocks]


# file -> what the page says (checked by hand)
EXPECTED = {
    "sessionstore.wiki": dict(
        title=None, status="draft",
        metadata={"task": "T390513", "paged-num": "batphone", "responders-num": "2",
                  "coordinators": "swfrench-wmf", "start": "2025-03-31 02:58",
                  "end": "2025-03-31 03:36", "metrics": "No relevant SLOs exist",
                  "impact": "Edits were failing for the duration of the outage."},
        # lines 22-30, dates from `start = 2025-03-31 02:58`
        timeline=list(zip([22, 23, 24, 25, 26, 27, 28, 29, 30], day(
            "2025-03-31", "02:58", "03:03", "03:04", "03:09", "03:14", "03:18", "03:22", "03:32", "03:36"))),
        untimed=[],
        marks={22: ("outage-begins",), 30: ("outage-ends",)},
        answers=[N, Y, N, N, N, Y, Y, Y, Y, Y, Y, Y, Y, Y, N], score=10, stated=10,
        actionables=[(["T390630"], True), (["T391544"], False), (["T392170"], False),
                     (["T392182"], False), (["T390514"], False), ([], False), ([], False)],
    ),
    "upload-cache.wiki": dict(
        title=None, status="draft",
        metadata={"task": "T390385", "paged-num": "35 (batphone)", "responders-num": "6 + 3",
                  "coordinators": "Jelto", "start": "2025-03-29 15:30", "end": "2025-03-30 9:34"},
        # plain lines, `15:42:` form, a `'''Sunday 2025-03-30'''` date line at line 50
        timeline=list(zip([28, 30, 32, 34, 36, 38, 40, 42, 46, 48], day(
            "2025-03-29", "15:30", "15:30", "15:42", "15:37", "15:47", "16:03", "16:16", "16:10",
            "16:22", "16:45"))) + list(zip([52, 54, 56, 58, 60], day(
                "2025-03-30", "02:00", "09:17", "09:19", "09:26", "09:34"))),
        untimed=[44, 62],  # "User impact stopped."
        marks={},
        answers=[Y, Y, N, N, N, N, Y, Y, N, N, Y, Y, Y, Y, Y], score=9, stated=9,
        actionables=[(["T360913"], False)],
    ),
    "toolsdb-primary-down.wiki": dict(
        title=None, status="review",
        metadata={"task": "T409922", "paged-num": "1", "responders-num": "2",
                  "coordinators": "Filippo Giunchedi", "start": "2025-11-11 13:30",
                  "end": "2025-11-11 13:49"},
        # pasted IRC lines `13:30 <dhinus> …`, some with a non-breaking space
        timeline=list(zip([20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42], day(
            "2025-11-11", "13:30", "13:30", "13:34", "13:37", "13:37", "13:39", "13:40", "13:43",
            "13:46", "13:47", "13:49", "13:49"))),
        untimed=[], marks={},
        answers=[N, Y, Y, Y, Y, Y, N, Y, Y, Y, N, Y, N, Y, Y], score=11, stated=None,
        actionables=[(["T409922"], False), (["T409890"], False)],
    ),
    "cite-visualeditor-references.wiki": dict(
        title=None, status="review",
        metadata={"task": "T400038", "paged-num": "0", "responders-num": "5",
                  "start": "2025-07-17 16:12", "end": "2025-07-21 09:30"},
        timeline=list(zip(range(24, 35), [
            "2025-07-01T12:04:00Z", "2025-07-11T11:04:00Z", "2025-07-17T16:12:00Z",
            "2025-07-19T22:05:00Z", "2025-07-20T21:17:00Z", "2025-07-20T21:35:00Z",
            "2025-07-21T05:31:00Z", "2025-07-21T06:15:00Z", "2025-07-21T07:30:00Z",
            "2025-07-23T08:37:00Z", "2025-07-23T14:00:00Z"])),
        untimed=[], marks={26: ("outage-begins",), 32: ("outage-ends",)},
        answers=[Y, Y, Y, Y, Y, N, N, Y, N, Y, Y, Y, N, Y, N], score=10, stated=10,
        actionables=[(["T401335"], False), (["T400311"], False), (["T401334"], False),
                     (["T400803"], False)],
    ),
    "wmcs-proxy-nginx.wiki": dict(
        # `start = 03:09` has no date: the page title gives it
        title="Incidents/2024-11-25 WMCS proxy nginx failure", status="final",
        metadata={"task": "T381092", "paged-num": "1", "responders-num": "1",
                  "coordinators": "[[User:FNegri-WMF]]", "start": "03:09", "end": "03:57"},
        timeline=list(zip(range(23, 41), day(
            "2024-11-25", "03:07", "03:09", "03:09", "03:09", "03:12", "03:12", "03:29", "03:40",
            "03:47", "03:54", "03:54", "03:55", "03:55", "03:56", "03:57", "04:12", "04:13", "04:15"))),
        untimed=[], marks={},
        answers=[Y, Y, Y, Y, N, Y, N, Y, N, Y, N, X, Y, Y, N], score=9, stated=9,  # N/A -> null
        actionables=[(["T379927"], False), (["T381107"], False)],
    ),
    SEED.name: dict(
        title=None, status=None,
        metadata={"task": None, "start": None, "end": None},
        # `*YYYY-MM-DD HH:MM:SS text` bullets; the template's `*00:15 (post-outage
        # cleanup finished)` example (line 40) is a placeholder, not an entry
        timeline=list(zip(list(range(23, 34)) + [36, 37, 38, 39], day(
            "2023-09-28", "14:33", "15:08", "15:51", "15:55", "16:24", "17:33", "17:58:13")
            + ["2023-09-29T06:48:57Z", "2023-10-02T07:35:21Z", "2023-10-02T09:42:09Z",
               "2023-10-02T12:10:36Z", "2023-10-02T14:06:21Z", "2023-10-02T16:14:00Z",
               "2023-10-03T12:21:51Z", "2023-10-03T14:14:54Z"])),
        untimed=[], marks={},
        answers=[X] * 15, score=0, stated=None,  # flattened, empty scorecard
        actionables=[(["T347884"], False), ([], False), ([], False), (["T345806"], False)],
    ),
}


def _path(name: str) -> Path:
    return SEED if name == SEED.name else WIKITECH / name


def _read(name: str):
    return read_report_file(_path(name), title=EXPECTED[name]["title"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sections_and_status(name):
    report = _read(name)
    assert report.section_titles == SECTIONS
    assert report.status == EXPECTED[name]["status"]
    assert report.problems == ()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata(name):
    metadata = _read(name).metadata
    for key, value in EXPECTED[name]["metadata"].items():
        assert metadata[key] == value, key


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_timeline_times(name):
    report = _read(name)
    expected = EXPECTED[name]
    timed = [(e.line, e.to_json()["time"]) for e in report.timeline if e.time is not None]
    assert timed == expected["timeline"]
    assert [e.line for e in report.timeline if e.time is None] == expected["untimed"]
    assert {e.line: e.tags for e in report.timeline if e.tags} == expected["marks"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scorecard(name):
    card = _read(name).scorecard
    expected = EXPECTED[name]
    assert [a.answer for a in card.answers] == expected["answers"]
    assert [a.id for a in card.answers] == list(QUESTION_IDS)
    assert card.score == expected["score"]
    assert card.stated_total == expected["stated"]
    assert card.found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_actionables(name):
    report = _read(name)
    assert [(list(a.tasks), a.done) for a in report.actionables] == EXPECTED[name]["actionables"]


def test_timeline_texts_keep_what_people_wrote():
    tools = _read("toolsdb-primary-down.wiki").timeline
    assert tools[0].text == "<dhinus> toolsdb just crashed while I was testing some config options (very minor ones)"
    assert tools[7].text.startswith("<dhinus> https://gitlab.wikimedia.org/")  # <nowiki> unwrapped
    upload = _read("upload-cache.wiki").timeline
    assert upload[2].text == "FIRING: [4x] ATSBackendErrorsHigh: ATS: elevated 5xx errors from swift.discovery.wmnet #page"
    assert upload[8].text == "User impact stopped."
    seed = _read(SEED.name).timeline
    assert seed[10].text.startswith("@tchin proposes theory and suggests increasing parallelism:\nMy current theory")
    session = _read("sessionstore.wiki").timeline
    assert session[0].text == "sessionstore service in both DCs begin emitting 500 errors"


def test_actionable_texts():
    session = _read("sessionstore.wiki").actionables
    assert session[0].text == "Page when disk utilization trend becomes unreasonable"
    assert session[2].text == "Sessionstore namespacing"
    cite = _read("cite-visualeditor-references.wiki").actionables
    assert cite[0].text == "Spike: define operational monitoring requirements for Cite error alerting"
    seed = _read(SEED.name).actionables
    assert seed[0].text == "mw-page-content-change-enrich should not retry on badrevids if no replica lag"
    upload = _read("upload-cache.wiki").actionables
    assert upload[0].text == "Revisit https://phabricator.wikimedia.org/T360913"


def test_scorecard_notes_and_lines():
    card = _read("upload-cache.wiki").scorecard
    notes = {a.id: a.notes for a in card.answers if a.notes}
    assert notes["people-paged-fewer-than-five"] == "batphone"
    assert notes["status-doc-updated"] == "IC started 40 minutes after the first page"
    assert card.answers[0].line == 97 and card.total_line == 159
    seed = _read(SEED.name).scorecard
    assert [a.line for a in seed.answers][:11] == list(range(111, 122))
    assert seed.answers[11].line == 123  # the question above wrapped onto line 122


def test_time_only_lines_without_a_date_have_no_time():
    report = read_report_file(WIKITECH / "wmcs-proxy-nginx.wiki")  # no title: no date known
    assert report.timeline and all(e.time is None for e in report.timeline)
    assert report.timeline[0].clock == "03:07"
    assert report.start is None and not report.date_known


def test_window_from_metadata_and_title():
    report = _read("wmcs-proxy-nginx.wiki")
    assert report.start == dt.datetime(2024, 11, 25, 3, 9, tzinfo=dt.timezone.utc)
    assert report.end == dt.datetime(2024, 11, 25, 3, 57, tzinfo=dt.timezone.utc)
    upload = _read("upload-cache.wiki")
    assert upload.end == dt.datetime(2025, 3, 30, 9, 34, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_shape(name):
    data = json.loads(json.dumps(_read(name).to_json()))
    # docs/formats.md's keys, and the extensions noted in docs/changelog.md
    assert set(data) == {"title", "status", "metadata", "sections", "timeline", "actionables",
                         "scorecard", "problems"} | {"start", "end", "windows", "window_read"}
    assert set(data["metadata"]) == {"task", "paged-num", "responders-num", "coordinators",
                                     "start", "end", "metrics", "impact"}
    assert all(set(e) == {"time", "text"} | {"actor", "source", "tags", "url"} for e in data["timeline"])
    assert all(set(a) == {"text", "tasks", "done", "no_task"} | {"owner", "status"} for a in data["actionables"])
    assert set(data["scorecard"]) == {"answers", "score", "stated_total"} | {"kind"}
    assert all(set(a) == {"category", "question", "answer", "notes"} for a in data["scorecard"]["answers"])
    assert all(set(w) == {"start", "end"} for w in data["windows"])


# ---------------------------------------------------------------- formats, one by one


def _timeline(body: str, **kwargs):
    return parse_report("==Timeline==\n" + body, **kwargs).timeline


@pytest.mark.parametrize("line, clock, rest", [
    ("15:42: FIRING: x", "15:42", "FIRING: x"),
    ("15:42:07 x", "15:42:07", "x"),
    ("1302 - deploy", "13:02", "deploy"),
    ("1302Z deploy", "13:02", "deploy"),
    ("1:05 PM paged", "13:05", "paged"),
    ("12:30 am paged", "00:30", "paged"),
    ("[13:30:12] <nick> msg", "13:30:12", "<nick> msg"),
    ("13:30\u00a0 <nick> msg", "13:30", "<nick> msg"),
    ("'''15:30''' bold time", "15:30", "bold time"),
    ("2023-09-28 15:55:12 (SAL) x", "15:55:12", "(SAL) x"),
    ("2023-09-28T15:55Z x", "15:55", "x"),
    ("15:30 UTC — x", "15:30", "x"),
    ("[https://sal.toolforge.org/log/abc 14:33] restart", "14:33", "restart"),
    # issue 12's forms, as real pages write them (tests/fixtures/reports/corpus/)
    ("'''10:58''' UTC: alerts", "10:58", "alerts"),
    ("'''11.44''' {{Ircnick|Amir1}}disables", "11:44", "{{Ircnick|Amir1}}disables"),
    ("[[toolforge:sal/log/AWIZPsfZkkJ8OkTwiOnZ|08:06]] Restart", "08:06", "Restart"),
    ("2025-05-07 0220 The daily job", "02:20", "The daily job"),
    ("2021-09-04T02:40 - OUTAGE BEGINS", "02:40", "OUTAGE BEGINS"),
    ("13:50 UTC: switch", "13:50", "switch"),
    ("15:34:00~: User-visible", "15:34:00", "User-visible"),
    ("15:17:24 : conf2005", "15:17:24", "conf2005"),
    ("20: 30 '''[DOWNTIME ENDS]'''", "20:30", "'''[DOWNTIME ENDS]'''"),
    ("10:00 Amir restarts", "10:00", "Amir restarts"),  # "Am" of a name is not AM
    # forms found writing pages by hand, as a new user would
    ("~10:50 errors climb", "10:50", "errors climb"),
    ("10h52 rollback", "10:52", "rollback"),
    ("10:51-10:55 several restarts", "10:51", "(until 10:55) several restarts"),
    ("10:51 – 10:55: restarts", "10:51", "(until 10:55) restarts"),
    ("10:51 - restart", "10:51", "restart"),
])
def test_stamp_forms(line, clock, rest):
    stamp = split_stamp(line)
    assert stamp.clock.strftime("%H:%M:%S" if clock.count(":") == 2 else "%H:%M") == clock
    assert stamp.rest == rest


@pytest.mark.parametrize("line", ["2024 was a year", "25:00 nope", "99:99 x", "no time here",
                                  "2024-07-21", "13:5 x", "1.25 TB of data", "??? : unknown",
                                  "[https://sal.toolforge.org/production?d=2024-07-21 SAL log]",
                                  "10.57 restarts done", "10h99 x", "1h30 later"])
def test_not_stamps(line):
    assert split_stamp(line).clock is None


@pytest.mark.parametrize("line, date", [
    ("2024-07-21", dt.date(2024, 7, 21)),
    ("'''Sunday 2025-03-30'''", dt.date(2025, 3, 30)),
    ("=== 2025-03-30 ===", dt.date(2025, 3, 30)),
    (";Monday, March 31, 2025", dt.date(2025, 3, 31)),
    ("''30 March 2025''", dt.date(2025, 3, 30)),
    ("2025-03-30 (UTC):", dt.date(2025, 3, 30)),
    ("<u>12th March 2025</u>", dt.date(2025, 3, 12)),
    ("13th March 2025", dt.date(2025, 3, 13)),
    ("'''Monday, 12 March 2018'''", dt.date(2018, 3, 12)),
    ("Sept. 3rd, 2024", dt.date(2024, 9, 3)),
])
def test_date_lines(line, date):
    assert parse_date_line(line) == date


# A day without its year takes the year that puts it nearest the date the page is at.
@pytest.mark.parametrize("line, near, date", [
    ("'''Thursday 25 November'''", dt.date(2021, 11, 24), dt.date(2021, 11, 25)),
    ("=== Nov 25th ===", dt.date(2021, 11, 24), dt.date(2021, 11, 25)),
    ("25th of November (UTC):", dt.date(2021, 11, 24), dt.date(2021, 11, 25)),
    ("'''1 January'''", dt.date(2024, 12, 31), dt.date(2025, 1, 1)),
    ("December 31", dt.date(2025, 1, 1), dt.date(2024, 12, 31)),
    ("25 November", None, None),                       # no date to take the year from
    ("Friday 10 things", dt.date(2021, 11, 24), None),
    ("31 February", dt.date(2021, 11, 24), None),
    ("Deploy 25 November", dt.date(2021, 11, 24), None),
])
def test_yearless_date_lines(line, near, date):
    from postmortem.read._dates import yearless_date_line
    assert yearless_date_line(line, near) == date


@pytest.mark.parametrize("line", ["2024-07-21 deploy", "March 2025", "12 Marching 2025", "15:15 UTC",
                                  "On 12 March 2025 we deployed", "* 10:00 x"])
def test_not_date_lines(line):
    assert parse_date_line(line) is None


@pytest.mark.parametrize("value, moment", [
    ("2025-05-08 2:30 AM", "2025-05-08 02:30"), ("2025-05-08 8:25 PM", "2025-05-08 20:25"),
    ("2025-03-30 9:34", "2025-03-30 09:34"), ("03:09", "2024-11-25 03:09"),
    ("2025-03-29T15:30:00Z", "2025-03-29 15:30"), ("12 March 2018 05:08 UTC", "2018-03-12 05:08"),
    ("2025-05-07 0220", "2025-05-07 02:20"),
    # issue 26: a zone is that zone's time, the region's clock (zones.toml): on 12 March 2018
    # Los Angeles already kept daylight saving time, so "05:08 PST" is 05:08 PDT, 12:08 UTC
    ("2018-03-12 05:08 PST", "2018-03-12 12:08"), ("2018-01-12 05:08 PST", "2018-01-12 13:08"),
    # issue 26's metadata forms: ctime, underscores
    ("Wed Mar 27 21:45:03 2024", "2024-03-27 21:45:03"), ("Wed Mar 27 23:59 2024", "2024-03-27 23:59"),
    ("2023_01_17 13:00:00", "2023-01-17 13:00"),
    ("2025", None), ("YYYY-MM-DD hh:mm:ss", None), ("soon", None), ("Mar 27", None),
])
def test_metadata_moments(value, moment):
    from postmortem.read._dates import parse_moment
    want = dt.datetime.fromisoformat(moment).replace(tzinfo=dt.timezone.utc) if moment else None
    assert parse_moment(value, dt.date(2024, 11, 25)) == want


def test_midnight_rolls_forward_and_date_lines_reset():
    body = ("*23:50 starts\n*23:59:30 more\n*00:10 after midnight\n"
            "'''Tuesday 2025-04-08'''\n*09:00 next morning\n*no time at all\n")
    entries = _timeline(body, title="Incidents/2025-04-06 x")
    assert [e.to_json()["time"] for e in entries] == [
        "2025-04-06T23:50:00Z", "2025-04-06T23:59:30Z", "2025-04-07T00:10:00Z",
        "2025-04-08T09:00:00Z", None]
    assert entries[-1].text == "no time at all"


def test_date_from_file_name_and_old_titles():
    assert _timeline("*10:00 x", file_name="reports/2024-01-02-db.wiki")[0].time.day == 2
    old = _timeline("*10:00 x", title="Incident documentation/20190612-maps")[0]
    assert old.time == dt.datetime(2019, 6, 12, 10, tzinfo=dt.timezone.utc)
    assert _timeline("*10:00 x", file_name="000_58694bb77f3afb6b.txt")[0].time is None


def test_metadata_start_wins_and_lead_up_is_the_evening_before():
    text = ("{{Incident scorecard|start = 2025-03-31 02:58|end=03:36}}\n==Timeline==\n"
            "*23:40 lead-up change deployed\n*02:58 OUTAGE BEGINS\n*03:36 OUTAGE ENDS\n")
    report = parse_report(text, title="Incidents/2020-01-01 other")
    assert [e.to_json()["time"] for e in report.timeline] == [
        "2025-03-30T23:40:00Z", "2025-03-31T02:58:00Z", "2025-03-31T03:36:00Z"]
    assert report.end == dt.datetime(2025, 3, 31, 3, 36, tzinfo=dt.timezone.utc)


def test_html_entities_and_nowiki_are_decoded():
    entry = _timeline("*2024-01-01 10:00 &#123;&#123;subst:x&#125;&#125; &lt;b&gt; &#91;&#91;Category:Y&#93;&#93; "
                      "&#126;&#126;~~ <nowiki>[[z]]</nowiki> &amp;amp;")[0]
    assert entry.text == "{{subst:x}} <b> [[Category:Y]] ~~~~ [[z]] &amp;"


def test_renderer_forms_are_undone():
    entry = _timeline("*2023-09-28 15:05:40 ([https://sal.toolforge.org/log/1 SAL]) tchin: fixed "
                      "[[phab:T347521|T347521]]<br />second line — '''OUTAGE ENDS'''")[0]
    assert (entry.label, entry.actor, entry.text) == ("SAL", "tchin", "fixed T347521\nsecond line")
    assert entry.tags == ("outage-ends",)
    plain = _timeline("*2023-09-28 15:05 (Paris) not a label")[0]
    assert plain.label is None and plain.text == "(Paris) not a label"


@pytest.mark.parametrize("text, tasks", [
    ("{{PhabT|123}} and {{Phabricator|T456}}", ("T123", "T456")),
    ("[[phab:T123]] [[phab:T123|T123]] [[phabricator:T7|task]]", ("T123", "T7")),
    ("see https://phabricator.wikimedia.org/T360913 and T42424", ("T360913", "T42424")),
    ("{{Gerrit|1168120}} /action/T99 T1", ()),
])
def test_task_forms(text, tasks):
    assert find_tasks(text) == tasks


def test_actionables_nested_bullets_done_and_tables():
    text = ("==Actionables==\n* Improve monitoring\n** {{PhabT|100}}\n** [[phab:T101|T101]] alerts\n"
            "* ~~Fixed~~ T102: restart script {{Done}}\n* Write runbook ✅\n"
            "* Patch for T103 deployed\n"
            "{| class=wikitable\n! Task !! What\n|-\n| {{PhabT|104}} || table item\n|}\n")
    items = parse_report(text).actionables
    assert [(a.text, a.tasks, a.done) for a in items] == [
        ("Improve monitoring", ("T100", "T101"), False),
        ("~~Fixed~~ T102: restart script", ("T102",), True),
        ("Write runbook", (), True),
        ("Patch for T103 deployed", ("T103",), False),
        ("table item", ("T104",), False),
    ]


@pytest.mark.parametrize("raw, answer", [
    ("Yes", "yes"), ("y", "yes"), ("'''No'''", "no"), ("N", "no"), ("N/A", None), ("n/a", None),
    ("?", None), ("", None), ("{{Yes}}", "yes"), ("{{No}}", "no"), ("yes (mostly)", "yes"),
    ("Not sure", None), ("<!-- yes -->", None),
])
def test_answers(raw, answer):
    assert normalize_answer(raw) == answer


def test_report_scorecard_mismatch():
    table = "\n".join(["==Scorecard==", "{|", "|-", "|Were fewer than five people paged?", "|Yes", "|",
                       "|-", "|Is there a phabricator task for the incident?", "|yes", "|T1",
                       "|-", "! colspan=2 |Total score (count of all “yes” answers above)", "|5", "|", "|}"])
    stated = report_scorecard(parse_report(table))
    assert stated.score == 2 and stated.stated_total == 5 and stated.mismatch
    data = stated.to_json()
    assert [a["id"] for a in data["answers"]] == list(QUESTION_IDS)
    paged = data["answers"][2]
    assert (paged["answer"], paged["source"], paged["evidence"]) == ("yes", "human", ["report line 4: Yes"])
    assert data["answers"][0]["source"] is None
    assert "MISMATCH" in stated.to_text()
    real = report_scorecard(_read("sessionstore.wiki"))
    assert real.score == 10 and not real.mismatch


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize("text, kind", [
    ("==Scorecard==\n{| class=wikitable\n|Were fewer than five people paged?\n|Yes\n", "unclosed-table"),
    ("{{Incident scorecard|start=2024-01-01 10:00\n==Timeline==\n*10:00 x", "unclosed-template"),
    ("==Timeline==\n*10:00 <nowiki>x\n*11:00 y", "unclosed-tag"),
    ("==Timeline==\n<!-- comment never ends\n*10:00 x", "unclosed-comment"),
    ("abc\x00\x01def", "control-characters"),
])
def test_malformed_pages_list_problems(text, kind):
    report = parse_report(text)
    assert kind in [p.kind for p in report.problems]


def test_unclosed_scorecard_table_is_still_read():
    report = parse_report("==Scorecard==\n{| class=wikitable\n|-\n|Were fewer than five people paged?\n|Yes\n|\n")
    assert report.scorecard.answers[2].answer == "yes"


def test_empty_and_garbage():
    empty = parse_report("")
    assert empty.sections == () and empty.timeline == () and empty.scorecard.score == 0
    assert empty.to_json()["scorecard"]["answers"][0]["answer"] is None
    garbage = parse_report("".join(chr(c) for c in range(0, 0x3000, 7)))
    assert garbage.problems


def test_bytes_that_are_not_text_are_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="not a text file"):
        decode_report(b"\x00\x01\x02binary")
    path = tmp_path / "x.wiki"
    path.write_bytes(b"== Summary ==\n\xff\xfe bad")
    with pytest.raises(ReportError) as err:
        read_report_file(path)
    assert str(err.value).startswith(f"{path}:2: not UTF-8")
    with pytest.raises(ReportError, match="cannot read"):
        read_report_file(tmp_path / "missing.wiki")
    with pytest.raises(ReportError):
        parse_report(b"bytes")  # type: ignore[arg-type]


def test_a_report_saved_as_utf16_is_read():
    text = "{{irdoc|status=final}}\n== Summary ==\nDéjà vu\n"
    assert decode_report(text.encode("utf-16")) == text   # with its byte order mark
    with pytest.raises(ReportError, match="not UTF-16 text"):
        decode_report(b"\xff\xfe\x00\xd8")  # a lone surrogate


def test_crlf_and_bom():
    report = parse_report("\ufeff{{irdoc|status=final}}\r\n==Timeline==\r\n*2024-01-01 10:00 x\r\n")
    assert report.status == "final" and report.timeline[0].text == "x" and report.timeline[0].line == 3


def test_unknown_status_is_a_problem():
    report = parse_report("{{irdoc|status=weird}}")
    assert report.status is None and report.problems[0].kind == "unknown-status"
    assert parse_report("{{irdoc-review}}").status == "review"
    assert parse_report("{{Irdoc|status = Final }}").status == "final"


# ---------------------------------------------------------------- round trip


def test_round_trip_of_the_sample():
    from postmortem.incident.load import load_incident
    from postmortem.timeline.gather import gather
    from postmortem.write.render import render_report
    sample = Path(__file__).resolve().parents[1] / "samples" / "2023-09-28-mw-page-content-change-enrich"
    incident = load_incident(sample / "incident.toml")
    from postmortem.timeline.curate import Omitted, curate
    records = gather(incident)
    events = list(records.events)
    from postmortem.scorecard.answers import computed_scorecard
    from postmortem.write.mrkdwn import spans
    card = computed_scorecard(records)   # the records the metrics and answers cite are shown
    cited = [e for m in card.metrics for e in m.cited] + [e for a in card.answers for e in a.cited]
    curated = curate(incident, events, cited)
    shown = [e for e in curated.lead_up + curated.incident if not isinstance(e, Omitted)]
    assert len(shown) < len(events)  # chat nobody marked is left out, counted on the line before
    report = parse_report(render_report(records), title=incident.page_title)

    def as_read(event):   # Slack's `code` is written <code>, and read back so; emoji as the characters
        if not event.source.startswith("slack"):
            return _one_line(event.text)
        assert {s.style for s in spans(event.text)} <= {"", "code"}
        return "".join(f"<code>{s.text}</code>" if s.style else s.text for s in spans(_one_line(event.text)))
    # the report's lines are to the minute; the "(+3 messages)" it appends are no text of the entries
    assert [(e.time, e.text) for e in report.timeline] == [
        (e.time.replace(second=0, microsecond=0), as_read(e)) for e in shown]
    assert [e.actor for e in report.timeline] == [e.actor for e in shown]
    assert [(a.text, a.tasks, a.done) for a in report.actionables] == [
        (a.text, (a.task,) if a.task else (), a.done) for a in incident.actionables]
    answers = {a.id: a.answer for a in report.scorecard.answers}
    from postmortem.scorecard.answers import computed_scorecard  # [scorecard] answers over the computed ones
    assert answers == {a.id: a.answer for a in computed_scorecard(Records(incident, events)).answers}
    assert all(answers[qid] == incident.scorecard[qid].answer for qid in incident.scorecard)
    assert report.status == incident.status and report.problems == ()


def _one_line(text: str) -> str:
    # the renderer writes a multi-line message as one line with <br /> (wikitext.escape)
    import re
    return re.sub(r"\s*\n\s*", "\n", text.strip())


def test_actionable_owners_are_rendered_and_read_back(tmp_path):
    from tests.conftest import write_incident
    from postmortem.incident.load import load_incident
    from postmortem.timeline.gather import gather
    from postmortem.write.render import render_report
    path = write_incident(tmp_path, '[[actionable]]\ntask = "T347884"\ntext = "Stop retrying"\nowner = "joal"\n'
                                    '[[actionable]]\ntext = "Partition the topic"\nowner = "Data Platform (SRE)"\n'
                                    'done = true\n[[actionable]]\ntext = "Nobody owns this yet"\n')
    records = gather(load_incident(path))
    wikitext = render_report(records)
    assert "* [[phab:T347884|T347884]] – Stop retrying ''(owner: joal)''\n" in wikitext
    assert "* Partition the topic ''(owner: Data Platform (SRE))'' {{Done}}\n" in wikitext
    items = parse_report(wikitext).actionables
    assert [(a.text, a.tasks, a.done, a.owner) for a in items] == [
        ("Stop retrying", ("T347884",), False, "joal"), ("Partition the topic", (), True, "Data Platform (SRE)"),
        ("Nobody owns this yet", (), False, None)]
    assert parse_report(wikitext).to_json()["actionables"][0]["owner"] == "joal"
    markdown = render_report(records, fmt="markdown")
    assert "Stop retrying *(owner: joal)*" in markdown
