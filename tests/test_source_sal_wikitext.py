"""Tests for the sal-wikitext source (postmortem/sources/sal_wikitext.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceError, SourceFormatError
from postmortem.incident.load import load_incident
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources import get_source
from postmortem.collect.sources.sal_wikitext import SOURCE, scan_sal_lines

FIXTURES = Path(__file__).parent / "fixtures" / "sal"
PAGE = FIXTURES / "server-admin-log.wiki"
ARCHIVE = FIXTURES / "archive-2012.wiki"


def day_window(year, month, day, days=1) -> Window:
    start = utc(year, month, day)
    return Window(start, start + dt.timedelta(days=days))


def scan_file(path: Path, window: Window, **kwargs):
    with open(path, encoding="utf-8") as handle:
        return scan_sal_lines(handle, window, file=path, **kwargs)


def summary(events):
    return [(event.time, event.actor, event.text) for event in events]


def config(**options) -> SourceConfig:
    return SourceConfig(type="sal-wikitext", options=options, index=3, base_dir=str(FIXTURES),
                        file="/tmp/incident.toml")


# The entries of the fixture page: the bullets of its day sections (not the "See also" above them).
PAGE_ENTRIES = 13


# --- format ---------------------------------------------------------------

def test_iso_headings_and_both_line_styles():
    events = scan_file(PAGE, day_window(2023, 9, 28))
    assert summary(events) == [
        (utc(2023, 9, 28, 14, 33), "tchin",  # logged by logmsgbot for tchin
         "Started deploy [mw-page-content-change-enrich@abc1234]"),
        (utc(2023, 9, 28, 14, 40), "marostegui",
         "dbctl commit (dc=all): 'Depool db1234 || T347000', diff saved to https://phabricator.wikimedia.org/P52000"),
        (utc(2023, 9, 28, 15, 8), "tchin",
         "helmfile [codfw] START helmfile.d/services/mw-page-content-change-enrich: apply"),
        (utc(2023, 9, 28, 16, 24), "tchin", "restart mw-page-content-change-enrich with joal"),
        (utc(2023, 9, 28, 17, 58), "joal",
         "killed mw-page-content-change-enrich app, silenced "
         "MediawikiPageContentChangeEnrichJobManagerNotRunning | waiting for SRE"),
    ]


def test_event_conventions():
    event = scan_file(PAGE, day_window(2023, 9, 29))[-1]
    assert event.source == "sal-wikitext"
    assert event.actor == "brouberol"
    assert event.precision == "minute"
    assert event.url is None
    assert event.tags == ()
    assert event.time.tzinfo is not None and event.time.utcoffset() == dt.timedelta(0)
    assert dict(event.fields) == {"date": "2023-09-29"}
    assert str(event.place) == f"{PAGE}:11"  # where it is written


def test_wikitext_is_kept_as_written_except_pipe_escape():
    events = scan_file(PAGE, day_window(2023, 9, 29))
    assert events[0].text == ("Finished scap: Backport for "
                              "[[gerrit:961234|Fix flaky test]] (duration: 08m 12s)")
    assert events[1].text.endswith("starving broker threads | T345806")


@pytest.mark.parametrize("line, actor, text", [
    ("* 09:05 jdoe: plain entry", "jdoe", "plain entry"),
    ("* {{safesubst:SAL entry|1=09:05 jdoe: safesubst entry}}", "jdoe", "safesubst entry"),
    ("* {{SAL entry|1=09:05 jdoe@cumin1001: bare template}}", "jdoe", "bare template"),
    ("* {{subst:SAL entry|1=09:05 jdoe: a {{!}} b {{Done}}}}", "jdoe", "a | b {{Done}}"),
    ("*09:05 jdoe: no space after the star", "jdoe", "no space after the star"),
    ("* 9:05 jdoe: one-digit hour", "jdoe", "one-digit hour"),
    ("* 09:05 restarted the thing without a nick", None, "restarted the thing without a nick"),
])
def test_entry_line_styles(line, actor, text):
    events = scan_sal_lines(["== 2023-09-28 ==", line], day_window(2023, 9, 28))
    assert summary(events) == [(utc(2023, 9, 28, 9, 5), actor, text)]


@pytest.mark.parametrize("line", [
    "* See [[Server Admin Log/Archive 1]]",
    "* {{SAL entry|1=no time here}}",
    ": 09:05 jdoe: a definition line, not a bullet",
    "** nested text",
])
def test_lines_that_are_not_entries_are_ignored(line):
    lines = ["== 2023-09-28 ==", line, "* 10:00 jdoe: real"]
    assert summary(scan_sal_lines(lines, day_window(2023, 9, 28))) == [
        (utc(2023, 9, 28, 10), "jdoe", "real")]


def test_a_subheading_inside_a_day_keeps_the_day():
    lines = ["== 2023-09-28 ==", "=== afternoon ===", "* 15:00 jdoe: kept"]
    assert [event.actor for event in scan_sal_lines(lines, day_window(2023, 9, 28))] == ["jdoe"]


def test_entries_under_other_headings_or_before_any_day_are_ignored():
    lines = ["* 08:00 early: above every heading", "== 2023-09-28 ==", "* 10:00 jdoe: kept",
             "== Notes ==", "* 11:00 other: under a non-day heading"]
    assert [event.actor for event in scan_sal_lines(lines, day_window(2023, 9, 28))] == ["jdoe"]


# --- window, skipping, and every entry counted ------------------------------

def test_window_filters_within_a_day():
    window = Window(utc(2023, 9, 28, 15), utc(2023, 9, 28, 17))
    assert [event.time for event in scan_file(PAGE, window)] == [
        utc(2023, 9, 28, 15, 8), utc(2023, 9, 28, 16, 24)]


def test_window_spanning_days_returns_oldest_first():
    window = Window(utc(2023, 9, 27, 23), utc(2023, 10, 2, 8))
    assert [event.time for event in scan_file(PAGE, window)] == [
        utc(2023, 9, 27, 23, 59), utc(2023, 9, 28, 14, 33), utc(2023, 9, 28, 14, 40),
        utc(2023, 9, 28, 15, 8), utc(2023, 9, 28, 16, 24), utc(2023, 9, 28, 17, 58),
        utc(2023, 9, 29, 6, 10), utc(2023, 9, 29, 6, 48), utc(2023, 10, 2, 7, 35)]


def test_window_end_is_exclusive():
    window = Window(utc(2023, 9, 28, 14, 33), utc(2023, 9, 28, 15, 8))
    assert [event.time for event in scan_file(PAGE, window)] == [
        utc(2023, 9, 28, 14, 33), utc(2023, 9, 28, 14, 40)]


@pytest.mark.parametrize("window, in_window", [
    pytest.param(day_window(2023, 9, 28), 5, id="a-day-in-the-middle"),
    pytest.param(day_window(2023, 9, 27, days=2), 7, id="two-days"),
    pytest.param(day_window(2023, 10, 2), 2, id="the-newest-day"),
    pytest.param(day_window(2023, 9, 1), 0, id="before-the-page"),
])
def test_every_entry_of_the_page_counts_as_read(window, in_window):
    """Defect 17 (issue 21): the scan stopped at the first day before the window, so the
    older entries were not counted as read (`check` counted 10 of these 13)."""
    tally = Tally()
    events = scan_file(PAGE, window, tally=tally)
    assert tally.read == PAGE_ENTRIES and len(events) == in_window
    skipped = 1 if window.start.date() <= dt.date(2023, 9, 28) < window.end.date() else 0  # the bullet with no time
    assert len(tally.skipped) == skipped and tally.dropped == []
    assert tally.read - len(events) - skipped == PAGE_ENTRIES - in_window - skipped  # the rest: outside the window


def test_days_outside_the_window_are_counted_but_not_parsed():
    # A broken time would be skipped if its day were parsed; its days are outside the window.
    lines = ["== 2023-09-29 ==", "* 25:99 broken: entry", "== 2023-09-28 ==", "* 10:00 jdoe: kept",
             "== 2023-09-27 ==", "* 26:00 broken: too", "* no time at all"]
    tally = Tally()
    assert [event.actor for event in scan_sal_lines(lines, day_window(2023, 9, 28), tally=tally)] == ["jdoe"]
    assert (tally.read, tally.skipped) == (4, [])


def test_a_bad_time_inside_the_window_is_skipped_naming_file_and_line():
    lines = ["== 2023-09-28 ==", "* 10:00 jdoe: kept", "* 25:99 broken: entry", "* 11:00 jdoe: after it"]
    tally = Tally()
    events = scan_sal_lines(lines, day_window(2023, 9, 28), file="sal.wiki", tally=tally)
    assert [event.text for event in events] == ["kept", "after it"]
    assert [(s.file, s.line, s.reason) for s in tally.skipped] == [
        ("sal.wiki", 3, "an entry whose time is no time of day: '* 25:99 broken: entry'")]
    assert tally.read == 3


def test_22000_line_page():
    first = dt.date(2023, 12, 31)
    lines = []
    for back in range(365):  # newest first, 60 entries a day, one per 24 minutes
        day = first - dt.timedelta(days=back)
        lines += [f"== {day.isoformat()} ==", ""]
        for n in reversed(range(60)):
            minutes = n * 24
            text = f"deploy {day.isoformat()} #{n} {{{{!}}}} ok"
            if n % 2:
                lines.append(f"* {minutes // 60:02d}:{minutes % 60:02d} user{n}@deploy2002: {text}")
            else:
                lines.append(f"* {{{{safesubst:SAL entry|1={minutes // 60:02d}:{minutes % 60:02d} user{n}: {text}}}}}")
    assert len(lines) >= 22_000

    window = Window(utc(2023, 6, 15, 10), utc(2023, 6, 15, 14))
    tally = Tally()
    events = scan_sal_lines(lines, window, tally=tally)
    assert tally.read == 365 * 60 and tally.skipped == []
    assert [event.time for event in events] == [
        utc(2023, 6, 15, 10) + dt.timedelta(minutes=24 * k) for k in range(10)]
    assert events[0].text == "deploy 2023-06-15 #25 | ok"
    assert events[0].actor == "user25"
    assert events[1].actor == "user26"

    everything = scan_sal_lines(lines, Window(utc(2023, 1, 1), utc(2024, 1, 1)))
    assert len(everything) == 365 * 60
    assert everything[0].time == utc(2023, 1, 1) and everything[-1].time == utc(2023, 12, 31, 23, 36)


# --- old archives: headings without a year ----------------------------------

def test_month_day_headings_take_the_window_year_and_cross_new_year():
    window = Window(utc(2012, 12, 31), utc(2013, 1, 2))
    assert summary(scan_file(ARCHIVE, window)) == [
        (utc(2012, 12, 31, 12), "RobH", "replaced disk in ms-be3"),
        (utc(2012, 12, 31, 23, 50), "mutante", "restarted apache on srv190 | happy new year"),
        (utc(2013, 1, 1, 0, 5), "asher", "synchronized php-1.19/includes/GlobalFunctions.php"),
    ]


def test_year_option_names_the_newest_heading_year():
    window = Window(utc(2011, 12, 30), utc(2012, 1, 3))
    events = scan_file(ARCHIVE, window, year=2012)
    assert [event.time for event in events] == [
        utc(2011, 12, 30, 18), utc(2011, 12, 31, 12), utc(2011, 12, 31, 23, 50),
        utc(2012, 1, 1, 0, 5), utc(2012, 1, 2, 1), utc(2012, 1, 2, 10, 15)]


def test_without_year_option_an_old_window_finds_nothing_in_a_newer_archive():
    # Inferred from the window (2011), the page's December days would be 2010.
    assert scan_file(ARCHIVE, Window(utc(2011, 12, 30), utc(2012, 1, 1))) == []


def test_an_archive_is_read_to_its_oldest_month():
    tally = Tally()
    events = scan_file(ARCHIVE, Window(utc(2012, 12, 30), utc(2013, 1, 3)), tally=tally)
    assert len(events) == 6 and tally.read == 7  # and the entry of November 15, outside the window


@pytest.mark.parametrize("heading", ["== September 28, 2023 ==", "=== 2023-09-28 ===", "==2023-09-28=="])
def test_other_heading_spellings(heading):
    events = scan_sal_lines([heading, "* 10:00 jdoe: x"], day_window(2023, 9, 28))
    assert [event.time for event in events] == [utc(2023, 9, 28, 10)]


def test_iso_heading_resets_the_year_context():
    lines = ["== 2014-01-01 ==", "* 10:00 a: new", "== December 31 ==", "* 10:00 b: old"]
    events = scan_sal_lines(lines, Window(utc(2013, 12, 31), utc(2014, 1, 2)))
    assert [(event.time, event.actor) for event in events] == [
        (utc(2013, 12, 31, 10), "b"), (utc(2014, 1, 1, 10), "a")]


# --- errors ---------------------------------------------------------------

def test_a_file_without_day_headings_is_refused_with_its_name():
    with pytest.raises(SourceFormatError) as caught:
        scan_file(FIXTURES / "no-headings.wiki", day_window(2023, 9, 28))
    assert caught.value.file == str(FIXTURES / "no-headings.wiki")
    assert "no-headings.wiki" in str(caught.value)


def test_the_entries_under_an_impossible_day_heading_are_skipped_naming_the_heading():
    lines = ["== 2023-09-29 ==", "* 10:00 a: fine", "== September 31 ==", "* 10:00 b: when?", "* 11:00 b: and?",
             "== September 28 ==", "* 12:00 c: fine again"]
    tally = Tally()
    events = scan_sal_lines(lines, day_window(2023, 9, 28, days=2), year=2023, file="archive.wiki", tally=tally)
    assert [event.actor for event in events] == ["c", "a"]
    reason = "an entry under the day heading 'September 31' (line 3), which is no real date"
    assert [(s.line, s.reason) for s in tally.skipped] == [(4, reason), (5, reason)]
    assert tally.read == 4


def test_a_page_of_only_impossible_day_headings_is_skipped_entry_by_entry():
    tally = Tally()
    assert scan_sal_lines(["== February 30 ==", "* 10:00 a: x"], day_window(2023, 2, 28), tally=tally) == []
    assert [s.line for s in tally.skipped] == [2] and tally.read == 1


# --- the Source object ----------------------------------------------------

def test_registry_finds_the_source():
    assert get_source("sal-wikitext") is SOURCE
    assert SOURCE.type == "sal-wikitext" and SOURCE.network is False


def test_read_from_config_relative_path():
    cfg = config(path="server-admin-log.wiki")
    SOURCE.check(cfg)
    events = SOURCE.read(cfg, day_window(2023, 9, 29))
    assert [event.actor for event in events] == ["brennen", "brouberol"]
    assert events[0].log.relayed_by == "logmsgbot" and "relayed_by" not in events[1].fields


def test_read_glob_merges_files_in_time_order():
    cfg = config(path="*.wiki")  # no-headings.wiki is matched too and must be refused
    with pytest.raises(SourceFormatError, match="no Server Admin Log day heading"):
        SOURCE.read(cfg, day_window(2023, 9, 28))
    cfg = config(path="[as]*.wiki", year=2023)
    events = SOURCE.read(cfg, Window(utc(2022, 12, 31), utc(2023, 9, 29)))
    assert [event.time for event in events][:3] == [
        utc(2022, 12, 31, 12), utc(2022, 12, 31, 23, 50), utc(2023, 1, 1, 0, 5)]
    assert events[-1].time == utc(2023, 9, 28, 17, 58)


def test_wiki_and_page_are_accepted_but_not_read_from_disk():
    cfg = config(wiki="https://wikitech.wikimedia.org/w/api.php", page="Server Admin Log")
    SOURCE.check(cfg)
    with pytest.raises(SourceError, match="not pulled yet"):
        SOURCE.read(cfg, day_window(2023, 9, 28))


@pytest.mark.parametrize("options, key", [
    ({}, "path"),
    ({"path": "server-admin-log.wiki", "channel": "x"}, "channel"),
    ({"path": 3}, "path"),
    ({"path": "missing.wiki"}, "path"),
    ({"path": "server-admin-log.wiki", "year": "2012"}, "year"),
    ({"path": "server-admin-log.wiki", "year": 12}, "year"),
    ({"wiki": "https://wikitech.wikimedia.org/w/api.php"}, "page"),
    ({"page": "Server Admin Log"}, "wiki"),
])
def test_check_refuses_bad_options(options, key):
    with pytest.raises(IncidentFileError) as caught:
        SOURCE.check(config(**options))
    assert caught.value.key == key
    assert caught.value.file == "/tmp/incident.toml"


def test_incident_file_with_bad_sal_option_fails_to_load(tmp_path):
    (tmp_path / "sal.wiki").write_text("== 2023-09-28 ==\n", encoding="utf-8")
    incident = tmp_path / "incident.toml"
    incident.write_text('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n\n'
                        '[[source]]\ntype = "sal-wikitext"\npath = "sal.wiki"\nyear = "2012"\n',
                        encoding="utf-8")
    with pytest.raises(IncidentFileError, match="year"):
        load_incident(incident)
    incident.write_text(incident.read_text(encoding="utf-8").replace('year = "2012"', "year = 2012"),
                        encoding="utf-8")
    assert load_incident(incident).sources[0].options["year"] == 2012


# --- either order: newest first (stashbot) or oldest first ----------------

def oldest_first(text: str) -> list[str]:
    """The page's day sections in the other order, each day's entries oldest first."""
    head, *days = text.split("\n== ")
    sections = []
    for day in days:
        heading, *lines = day.rstrip("\n").split("\n")
        entries = [line for line in lines if line.strip()]
        sections.append([f"== {heading}"] + entries[::-1] + [""])
    return head.split("\n") + [line for section in reversed(sections) for line in section]


@pytest.mark.parametrize("window", [
    pytest.param(day_window(2023, 9, 28), id="one-day"),
    pytest.param(day_window(2023, 9, 27, days=3), id="three-days"),
    pytest.param(Window(utc(2023, 9, 28, 15), utc(2023, 9, 28, 17)), id="within-a-day"),
    pytest.param(day_window(2023, 10, 2), id="newest-day"),
    pytest.param(day_window(2023, 9, 26), id="oldest-day"),
])
def test_a_page_written_oldest_first_reads_the_same(window):
    """It yielded 0 events, silently: the scan stopped at the first (oldest) day."""
    newest_first = scan_file(PAGE, window)
    assert newest_first, "a window the fixture covers"
    assert summary(scan_sal_lines(oldest_first(PAGE.read_text(encoding="utf-8")), window)) == summary(newest_first)


def test_an_oldest_first_page_is_read_and_counted_to_its_end():
    lines = oldest_first(PAGE.read_text(encoding="utf-8"))
    tally = Tally()
    events = scan_sal_lines(lines, day_window(2023, 9, 28), tally=tally)
    assert [e.time.day for e in events] == [28] * 5 and tally.read == PAGE_ENTRIES


def test_bullets_of_a_day_that_are_no_entry_are_skipped_and_said_so():
    tally = Tally()
    with open(PAGE, encoding="utf-8") as handle:
        events = scan_sal_lines(handle, day_window(2023, 9, 28), file=PAGE, tally=tally)
    number = PAGE.read_text(encoding="utf-8").splitlines().index("* this bullet has no time and is not an entry") + 1
    assert len(events) == 5 and tally.read == PAGE_ENTRIES  # 6 of the day, 7 of the other days (outside the window)
    assert [(s.file, s.line) for s in tally.skipped] == [(str(PAGE), number)]
    assert "no 'HH:MM nick: message' entry" in tally.skipped[0].reason


def test_a_sal_file_that_is_not_utf8_names_the_line_and_the_way_out(tmp_path):
    page = tmp_path / "sal.wiki"
    page.write_bytes(b"== 2023-09-28 ==\n* 10:00 jdoe: ok\n* 11:00 jdoe: caf\xe9\n")
    cfg = SourceConfig(type="sal-wikitext", options={"path": "sal.wiki"}, index=0, base_dir=str(tmp_path))
    with pytest.raises(SourceFormatError) as caught:
        SOURCE.read(cfg, day_window(2023, 9, 28))
    assert caught.value.line == 3 and "encoding" in str(caught.value)
    latin = SourceConfig(type="sal-wikitext", options={"path": "sal.wiki", "encoding": "latin-1"}, index=0,
                         base_dir=str(tmp_path))
    assert [e.text for e in SOURCE.read(latin, day_window(2023, 9, 28))] == ["ok", "caf\u00e9"]
