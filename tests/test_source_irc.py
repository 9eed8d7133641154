"""The irc source: four logger formats, local zones, DST, midnight, window files.

The formats and their line kinds are data: tests/fixtures/irc/cases.toml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.incident.load import parse_incident
from postmortem.core.model import SourceConfig, Window
from postmortem.collect.sources import get_source
from postmortem.collect.sources.irc import SOURCE
from tests.cases import cases

UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def write(root: Path, name: str, lines: list[str], truncated: bool = False) -> Path:
    """The lines as a log file; ``truncated``: without the last line's line break (cut mid-write)."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + ("" if truncated else "\n"), encoding="utf-8")
    return path


def config(root: Path, path="*", **options) -> SourceConfig:
    return SourceConfig(type="irc", options={"type": "irc", "path": path, **options}, index=0,
                        base_dir=str(root), file="incident.toml")


def read(root, window, path="**/*", tally=None, **options):
    return SOURCE.read(config(root, path, **options), window, tally=tally)


DAY_WINDOW = Window(utc(2023, 9, 28), utc(2023, 9, 29))


def test_registered_under_its_type():
    assert get_source("irc") is SOURCE
    assert SOURCE.type == "irc" and SOURCE.network is False


# The formats and their line kinds as data: tests/fixtures/irc/cases.toml (what each
# input line becomes: an event with its time, actor, text, precision and channel, or a drop),
# read through tests/cases.py.


def expected_events(case: dict) -> list[tuple]:
    """(time, actor, text, precision, channel) of every line the case says is kept, in time order."""
    kept = []
    for file in case["file"]:
        for line in file["lines"]:
            assert len({"drop", "time", "skip"} & set(line)) == 1, \
                f"{case['id']}: a line is an event, a drop or a skip: {line}"
            if "time" in line:
                kept.append((line["time"], line["actor"], line["text"], file["precision"], file.get("channel")))
    return sorted(kept, key=lambda event: event[0])


# Drops a source accounts for, line by line (`check` shows them); the other drops
# of the cases are no records (log markers) or records outside the window.
ACCOUNTED_DROPS = {"join", "part", "quit", "nick change", "mode", "notice",
                   "ignored nick (ignore_nicks)", "ignored nick (the default list)"}


def expected_drops(case: dict) -> set[tuple[str, int]]:
    return {(Path(file["name"]).name, number) for file in case["file"]
            for number, line in enumerate(file["lines"], 1) if line.get("drop") in ACCOUNTED_DROPS}


def expected_skips(case: dict) -> set[tuple[str, int, str]]:
    return {(Path(file["name"]).name, number, line["skip"]) for file in case["file"]
            for number, line in enumerate(file["lines"], 1) if "skip" in line}


# irssi's markers set the date or close the log: no records.
MARKERS = {"log opened: sets the date", "day changed: sets the date", "log closed"}


def expected_read(case: dict) -> int:
    """Every line of the files but the markers is a record read (events, drops, skips and
    the lines outside the window: `check`'s arithmetic)."""
    return sum(1 for file in case["file"] for line in file["lines"] if line.get("drop") not in MARKERS)


@pytest.mark.parametrize("case", cases("irc"))
def test_formats_and_line_kinds(tmp_path, case):
    for file in case["file"]:
        write(tmp_path, file["name"], [line["line"] for line in file["lines"]], file.get("truncated", False))
    window = Window(*case.get("window", (DAY_WINDOW.start, DAY_WINDOW.end)))
    tally = Tally()
    events = read(tmp_path, window, case.get("path", "**/*"), tally=tally, **case.get("options", {}))
    assert [(e.time, e.actor, e.text, e.precision, e.channel) for e in events] == \
        expected_events(case)
    assert all(e.source == "irc" and e.url is None and e.tags == () for e in events)
    assert {(Path(s.file).name, s.line) for s in tally.dropped} == expected_drops(case)
    assert {(Path(s.file).name, s.line, s.reason) for s in tally.skipped} == expected_skips(case)
    assert tally.read == expected_read(case)


def test_files_dated_outside_the_window_are_not_opened(tmp_path, monkeypatch):
    for day in range(1, 31):
        write(tmp_path, f"#ops/2023-09-{day:02d}.log", ["this is not an IRC log"])
    write(tmp_path, "#ops/2023-09-28.log", ["[14:33:00] <a> the one"])
    write(tmp_path, "#ops/2023-09-27.log", ["[23:00:00] <a> day before"])
    write(tmp_path, "#ops/2023-09-29.log", ["[01:00:00] <a> day after"])
    opened = []
    original = Path.open

    def recording(self, *args, **kwargs):
        opened.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", recording)
    events = read(tmp_path, Window(utc(2023, 9, 28, 12), utc(2023, 9, 28, 16)), path="#ops/*.log")
    assert [event.text for event in events] == ["the one"]
    # Files are named by local date; the day before may run past midnight into the window.
    assert sorted(opened) == ["2023-09-27.log", "2023-09-28.log"]


def test_files_are_chosen_by_the_log_local_date(tmp_path, monkeypatch):
    for day in range(1, 31):
        write(tmp_path, f"#ops/2023-09-{day:02d}.log", ["this is not an IRC log"])
    write(tmp_path, "#ops/2023-09-28.log", ["[19:30:00] <a> evening in Los Angeles"])
    write(tmp_path, "#ops/2023-09-27.log", ["[23:00:00] <a> day before"])
    opened = []
    original = Path.open

    def recording(self, *args, **kwargs):
        opened.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", recording)
    # 02:00-04:00 UTC on the 29th is 19:00-21:00 on the 28th in Los Angeles (PDT).
    events = read(tmp_path, Window(utc(2023, 9, 29, 2), utc(2023, 9, 29, 4)), path="#ops/*.log",
                  timezone="America/Los_Angeles")
    assert [(e.text, e.time) for e in events] == [("evening in Los Angeles", utc(2023, 9, 29, 2, 30))]
    assert sorted(opened) == ["2023-09-27.log", "2023-09-28.log"]


@pytest.mark.parametrize("case", cases("irc", "error"))
def test_files_the_source_refuses_name_file_and_line(tmp_path, case):
    path = write(tmp_path, case["file"], case["lines"])
    with pytest.raises(SourceFormatError) as caught:
        read(tmp_path, DAY_WINDOW, **case.get("options", {}))
    err = caught.value
    assert (err.file, err.line, err.message) == (str(path), case["line"], case["message"])
    assert str(err) == f"{path}:{case['line']}: {case['message']}"


@pytest.mark.parametrize("options, key", [
    ({"path": "*.log", "timezon": "UTC"}, "timezon"),
    ({"path": "*.log", "timezone": "Europe/Nowhere"}, "timezone"),
    ({}, "path"),
    ({"path": "missing/*.log"}, "path"),
    ({"path": "*.log", "format": "mirc"}, "format"),
])
def test_config_checks_raise_incident_file_errors(tmp_path, options, key):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    bad = SourceConfig(type="irc", options={"type": "irc", **options}, index=0,
                       base_dir=str(tmp_path), file="incident.toml")
    with pytest.raises(IncidentFileError) as caught:
        SOURCE.check(bad)
    assert caught.value.key == key


def test_good_config_passes_the_check(tmp_path):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    good = config(tmp_path, "*.log", timezone="Europe/Berlin", format="znc", channel="#ops")
    assert SOURCE.check(good) is None


def test_incident_file_with_a_bad_timezone_fails_to_load(tmp_path):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    text = ('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n\n'
            '[[source]]\ntype = "irc"\npath = "*.log"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(IncidentFileError, match="Mars/Olympus"):
        parse_incident(text, tmp_path / "incident.toml")


@pytest.mark.parametrize("data, encoding, outcome", [
    pytest.param("[14:33:00] <a> caf\u00e9 au lait\n".encode("latin-1"), None,
                 "not utf-8 text: byte 0xe9 at column 19", id="latin-1-bytes-refused"),
    pytest.param("[14:33:00] <a> caf\u00e9 au lait\n".encode("latin-1"), "latin-1", "caf\u00e9 au lait",
                 id="latin-1-with-encoding"),
    pytest.param("[14:33:00] <a> with a BOM\n".encode("utf-8"), None, "with a BOM", id="utf-8-bom"),
    # the log cut mid-write inside the last character (\u00e9 is two bytes): its whole characters
    pytest.param("[14:33:00] <a> caf\u00e9".encode("utf-8")[:-1], None, "caf", id="cut-inside-a-character"),
])
def test_encodings(tmp_path, data, encoding, outcome):
    """One rule for file sources: UTF-8 (a BOM accepted), an encoding option, an
    undecodable byte an error naming file and line (it silently became U+FFFD)."""
    (tmp_path / "#ops").mkdir()
    first = "\ufeff" if encoding is None else ""  # a UTF-8 file may start with a byte-order mark
    (tmp_path / "#ops" / "2023-09-28.log").write_bytes(f"{first}[14:30:00] <a> first\n".encode() + data)
    options = {"encoding": encoding} if encoding else {}
    if outcome.startswith("not "):
        with pytest.raises(SourceFormatError) as caught:
            read(tmp_path, DAY_WINDOW, **options)
        assert caught.value.line == 2 and outcome in str(caught.value) and "encoding" in str(caught.value)
    else:
        assert [e.text for e in read(tmp_path, DAY_WINDOW, **options)] == ["first", outcome]


def test_a_folder_as_path_is_an_error_not_zero_events(tmp_path):
    (tmp_path / "logs").mkdir()
    write(tmp_path, "logs/2023-09-28.log", ["[14:30:00] <a> first"])
    with pytest.raises(IncidentFileError, match="is a folder; give the files, e.g. 'logs/\\*.log'"):
        SOURCE.check(config(tmp_path, "logs"))
    assert [e.text for e in read(tmp_path, DAY_WINDOW, path="logs/*")] == ["first"]


def test_an_unknown_encoding_is_refused_when_the_incident_is_loaded(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[14:30:00] <a> first"])
    with pytest.raises(IncidentFileError, match="unknown encoding 'klingon'"):
        SOURCE.check(config(tmp_path, "#ops/*.log", encoding="klingon"))


@pytest.mark.parametrize("case", cases("irc", "alert"))
def test_lines_of_the_alert_relays_are_alerts(tmp_path, case):
    write(tmp_path, "2016-07-28.log", [case["line"]])
    [event] = read(tmp_path, Window(utc(2016, 7, 28), utc(2016, 7, 29)), format="znc")
    said = [event.alert.name, event.alert.state] if event.alert is not None else []
    assert said == case["alert"]
    assert ("alert" in event.tags) == bool(case["alert"]) == (event.kind.value == "alert")
    if "text" in case:   # what the report writes: the alert as every alert is, with one link
        assert event.text == case["text"]
    if "url" in case:
        assert event.url == (case["url"] or None)
    if case["alert"]:   # the relay said it; nobody did what an alert says
        assert (event.actor, event.fields["relayed_by"]) == (None, case["line"].split("<")[1].split(">")[0])


def test_alert_nicks_replaces_the_relays(tmp_path):
    write(tmp_path, "2016-07-28.log", ["[12:46:28] <icinga-wm> PROBLEM - etcd on conf1008 is CRITICAL: slow",
                                       "[12:47:00] <alert-bot> FIRING: EtcdLatency: slow"])
    events = read(tmp_path, Window(utc(2016, 7, 28), utc(2016, 7, 29)), format="znc", alert_nicks=["alert-bot"])
    assert [e.tags for e in events] == [(), ("alert",)]
