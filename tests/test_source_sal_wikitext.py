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
from tests.cases import assert_outcome, cases, utc_window

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


# --- format: the cases of tests/fixtures/sal-wikitext/cases.toml ----------

DAY = day_window(2023, 9, 28)


@pytest.mark.parametrize("case", cases("sal-wikitext"))
def test_format_cases(case):
    """What each page (its lines, or a fixture page) gives over a window: its events,
    its skips (in the file the lines are read as) and the records counted as read."""
    assert ("lines" in case) != ("page" in case), "a case gives its lines or a fixture page"
    file = str(FIXTURES / case["page"]) if "page" in case else case.get("file", "sal.wiki")
    lines = case["lines"] if "lines" in case else Path(file).read_text(encoding="utf-8").splitlines()
    window = Window(*utc_window(case["window"])) if "window" in case else DAY
    tally = Tally()
    events = scan_sal_lines(lines, window, year=case.get("year"), file=file, tally=tally)
    assert_outcome(case, events, tally, where=lambda skip: (file, skip.get("line")))

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


# --- window, skipping, and every entry counted ------------------------------

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


# --- errors ---------------------------------------------------------------

def test_a_file_without_day_headings_is_refused_with_its_name():
    with pytest.raises(SourceFormatError) as caught:
        scan_file(FIXTURES / "no-headings.wiki", day_window(2023, 9, 28))
    assert caught.value.file == str(FIXTURES / "no-headings.wiki")
    assert "no-headings.wiki" in str(caught.value)


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
