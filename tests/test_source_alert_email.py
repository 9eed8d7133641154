"""Tests for the alert-email source (postmortem/sources/alert_email.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.incident.load import load_incident
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources import get_source
from postmortem.collect.sources.alert_email import SOURCE, file_events, html_to_text, parse_alerts
from tests.cases import assert_outcome, cases, utc_window

FIXTURES = Path(__file__).parent / "fixtures" / "alert-email"
ALL_TIME = Window(utc(2000, 1, 1), utc(2100, 1, 1))
ENRICH = "MediawikiPageContentChangeEnrichJobManagerNotRunning"


def config(base_dir=FIXTURES, **options) -> SourceConfig:
    return SourceConfig(type="alert-email", options=options, index=1, base_dir=str(base_dir),
                        file="/tmp/incident.toml")


def read(path: str, window: Window = ALL_TIME, **options):
    cfg = config(path=path, **options)
    SOURCE.check(cfg)
    return SOURCE.read(cfg, window)


# --- the format cases of tests/fixtures/alert-email/cases.toml -----------------

@pytest.mark.parametrize("case", cases("alert-email"))
def test_format_cases(tmp_path, case):
    """What a mail or pasted text (a fixture, or the case's own text) gives: its events,
    the file's drop or skip, and the records read."""
    assert ("path" in case) != ("text" in case), "a case reads a fixture path or its own text"
    base, path = (FIXTURES, case["path"]) if "path" in case else (tmp_path, case.get("name", "mail.eml"))
    if "text" in case:
        (tmp_path / path).write_text(case["text"], encoding="utf-8")
    cfg, tally = config(base, path=path, **case.get("options", {})), Tally()
    SOURCE.check(cfg)
    events = SOURCE.read(cfg, Window(*utc_window(case["window"])) if "window" in case else ALL_TIME, tally=tally)
    assert_outcome(case, events, tally, where=lambda record: (str(base / path), None))


# --- parsing helpers --------------------------------------------------------

def test_default_text_alert_list():
    text = ("Labels:\n - alertname = A\n - severity = warning\nAnnotations:\n - summary = first\n"
            "Source: http://prom/graph?a\nLabels:\n - alertname = B\nAnnotations:\n - summary = second\n"
            "Source: http://prom/graph?b\n")
    alerts = parse_alerts(text, "resolved")
    assert [(alert.labels["alertname"], alert.annotations["summary"], alert.url, alert.state)
            for alert in alerts] == [("A", "first", "http://prom/graph?a", "resolved"),
                                     ("B", "second", "http://prom/graph?b", "resolved")]


def test_pairs_outside_blocks_are_ignored_when_blocks_exist():
    text = "2 alerts for alertname=Noise\nLabels\nalertname = Real\n"
    assert [alert.labels for alert in parse_alerts(text)] == [{"alertname": "Real"}]


def test_html_to_text_turns_source_links_into_source_lines():
    text = html_to_text('<p>Labels<br/>a = 1&amp;2</p><a href="http://x/?q=1&amp;r=2">Source</a>'
                        '<a href="http://y">View</a><style>p {}</style>')
    assert [line for line in text.splitlines() if line.strip()] == [
        "Labels", "a = 1&2", "Source: http://x/?q=1&r=2", "View"]


# --- window and files -------------------------------------------------------

def test_all_mails_in_time_order():
    events = read("*.eml")
    assert len(events) == 7
    assert [event.time for event in events] == sorted(event.time for event in events)
    assert events[-1].text.startswith(f"{ENRICH} resolved")


def test_a_file_that_is_no_mail_among_the_mails_is_skipped_and_the_mails_read(tmp_path):
    """Defect 12 (issue 21): a non-mail file among the .eml files made the source '0 records read'."""
    for mail in FIXTURES.glob("*.eml"):
        (tmp_path / mail.name).write_bytes(mail.read_bytes())
    (tmp_path / "notes.eml").write_text("Call with the Kafka folks at 15:00, bring the graphs.\n", encoding="utf-8")
    cfg, tally = config(tmp_path, path="*.eml"), Tally()
    events = SOURCE.read(cfg, ALL_TIME, tally=tally)
    assert [(e.time, e.alert.name) for e in events] == [(e.time, e.alert.name) for e in read("*.eml")]
    assert [(s.file, s.reason.split(" (")[0]) for s in tally.skipped] == [(str(tmp_path / "notes.eml"), "no alert found")]
    assert tally.read == len(events) + len(tally.dropped) + 1  # the reply dropped, the notes skipped


def test_an_alert_without_alertname_is_skipped_and_the_others_of_its_mail_kept(tmp_path):
    text = (FIXTURES / "firing-and-resolved.eml").read_text(encoding="utf-8")
    (tmp_path / "mail.eml").write_text(text.replace(" - alertname = KafkaBrokerThreadsStarved\n", ""), encoding="utf-8")
    tally = Tally()
    events = file_events(tmp_path / "mail.eml", tally=tally)
    assert [e.alert.name for e in events] == ["KafkaUnderReplicatedPartitions"]
    assert [s.reason.split(":")[0] for s in tally.skipped] == ["an alert without an alertname label"]
    assert tally.read == 2


def test_a_file_that_is_not_text_is_an_error_naming_it(tmp_path):
    (tmp_path / "image.eml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    with pytest.raises(SourceFormatError) as caught:
        SOURCE.read(config(tmp_path, path="*.eml"), ALL_TIME)
    assert caught.value.file == str(tmp_path / "image.eml") and "not utf-8 text" in caught.value.message


# --- the Source object and config checks ------------------------------------

def test_registry_finds_the_source():
    assert get_source("alert-email") is SOURCE
    assert SOURCE.type == "alert-email" and SOURCE.network is False


@pytest.mark.parametrize("options, key", [
    ({}, "path"),
    ({"path": ["a.eml"]}, "path"),
    ({"path": "*.nothing"}, "path"),
    ({"path": "*.eml", "folder": "x"}, "folder"),
    ({"path": "*.eml", "time": "yesterday"}, "time"),
    ({"path": "*.eml", "time": 5}, "time"),
])
def test_check_refuses_bad_options(options, key):
    with pytest.raises(IncidentFileError) as caught:
        SOURCE.check(config(**options))
    assert caught.value.key == key
    assert caught.value.file == "/tmp/incident.toml"


def test_incident_file_with_bad_alert_email_option_fails_to_load(tmp_path):
    (tmp_path / "alert.txt").write_text("alertname = X\n", encoding="utf-8")
    incident = tmp_path / "incident.toml"
    body = ('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n\n'
            '[[source]]\ntype = "alert-email"\npath = "alert.txt"\ntime = "{time}"\n')
    incident.write_text(body.format(time="not a time"), encoding="utf-8")
    with pytest.raises(IncidentFileError, match="time"):
        load_incident(incident)
    incident.write_text(body.format(time="2023-09-28 14:33"), encoding="utf-8")
    [source] = load_incident(incident).sources
    [event] = SOURCE.read(source, ALL_TIME)
    assert event.text == "X firing"

