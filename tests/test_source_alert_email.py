"""Tests for the alert-email source (postmortem/sources/alert_email.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.incident.load import load_incident
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources import get_source
from postmortem.collect.sources.alert_email import SOURCE, file_events, html_to_text, parse_alerts

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


# --- mails ----------------------------------------------------------------

def test_firing_multipart_mail_reads_the_plain_part():
    [event] = read("firing-multipart.eml")
    assert event.time == utc(2023, 9, 28, 14, 33, 12)  # Date: 16:33:12 +0200
    assert event.text == f"{ENRICH} firing (critical): mw-page-content-change-enrich in codfw: JobManager not running"
    assert event.url == ("https://prometheus-codfw.wikimedia.org/k8s/graph?g0.expr="
                         "sum+by+%28release%29+%28flink_jobmanager_job_uptime%29&g0.tab=1")
    assert "ShouldNotBeRead" not in event.text


def test_event_conventions():
    [event] = read("firing-multipart.eml")
    assert event.source == "alert-email"
    assert event.actor is None
    assert event.tags == ("alert",)
    assert event.precision == "second"
    alert = event.alert
    assert (alert.name, alert.severity, alert.summary, alert.team, alert.state) == (
        ENRICH, "critical", "mw-page-content-change-enrich in codfw: JobManager not running",
        "data-engineering", "firing")
    assert event.kind.value == "alert"
    assert sorted(alert.labels) == [
        "alertname", "job_name", "kubernetes_namespace", "prometheus",
        "release", "severity", "site", "source", "team"]
    assert alert.labels["kubernetes_namespace"] == "mw-page-content-change-enrich"
    # quoted-printable soft line breaks are joined
    assert event.fields["annotation.description"] == "The Flink JobManager of mw-page-content-change-enrich is not running"


def test_resolved_mail():
    [event] = read("resolved.eml")
    # the summary, as on the firing line: it tells two resolved alerts of one name apart
    assert event.text == f"{ENRICH} resolved: mw-page-content-change-enrich in codfw: JobManager not running"
    assert event.alert.state == "resolved"
    assert event.time == utc(2023, 10, 3, 14, 21, 51)  # 10:21:51 -0400
    assert event.url == "https://prometheus-codfw.wikimedia.org/k8s/graph?g0.expr=flink_jobmanager_job_uptime"
    assert event.tags == ("alert",)


def test_firing_and_resolved_sections_in_one_mail():
    events = read("firing-and-resolved.eml")
    assert [(event.alert.name, event.alert.state) for event in events] == [
        ("KafkaUnderReplicatedPartitions", "firing"), ("KafkaBrokerThreadsStarved", "resolved")]
    assert events[1].text == "KafkaBrokerThreadsStarved resolved: Request handler threads idle below 10%"
    assert events[1].url.endswith("RequestHandlerAvgIdlePercent")
    assert (events[0].alert.team or "") == "sre" and (events[1].alert.team or "") == ""


def test_wikimedia_html_mail_with_several_alerts():
    events = read("wikimedia-html.eml")
    assert [(event.alert.labels["instance"], event.alert.state) for event in events] == [
        ("api-https:443", "firing"), ("restbase-https:7443", "firing"), ("appservers-https:443", "resolved")]
    assert events[0].text == "ProbeDown firing (page): Service api-https:443 has failed probes (http_api_wikimedia_org_ip4)"
    assert events[0].url == ("https://prometheus-eqiad.wikimedia.org/ops/graph?"
                             "g0.expr=avg_over_time%28probe_success%5B1m%5D%29&g0.tab=1")
    assert events[0].fields["annotation.dashboard"].endswith("var-job=probes/service&var-module=All")
    assert events[2].alert.summary == "Service appservers-https:443 has failed probes <ok now>"
    assert all(event.time == utc(2023, 9, 29, 6, 40, 2) for event in events)


def test_page_tag_from_severity_or_hash_page_and_only_when_firing():
    events = read("wikimedia-html.eml")
    assert [event.tags for event in events] == [("alert", "page"), ("alert", "page"), ("alert",)]
    assert events[1].alert.labels["severity"] == "critical"  # paged through "#page" in its summary
    assert events[2].alert.labels["severity"] == "page"  # resolved: pages nobody


# --- pasted text ------------------------------------------------------------

def test_pasted_detection_text_with_time_option():
    [event] = read("pasted-detection.txt", time="2023-09-28 14:33")
    assert event.time == utc(2023, 9, 28, 14, 33)
    assert event.text == f"{ENRICH} firing (critical)"
    assert event.url is None
    assert {f"label.{key}": value for key, value in event.alert.labels.items()} == {
        "label.alertname": ENRICH, "label.job_name": "mw_page_content_change_enrich",
        "label.kubernetes_namespace": "mw-page-content-change-enrich", "label.prometheus": "k8s",
        "label.release": "main", "label.severity": "critical", "label.site": "codfw",
        "label.source": "prometheus", "label.team": "data-engineering"}


def test_time_option_may_be_a_toml_datetime_with_offset():
    [event] = read("pasted-detection.txt", time=dt.datetime(2023, 9, 28, 16, 33, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert event.time == utc(2023, 9, 28, 14, 33)


def test_pasted_text_without_any_time_is_skipped_naming_the_file_and_the_way_out():
    cfg, tally = config(path="pasted-detection.txt"), Tally()
    SOURCE.check(cfg)
    assert SOURCE.read(cfg, ALL_TIME, tally=tally) == []
    [skip] = tally.skipped
    assert (skip.file, skip.line, tally.read) == (str(FIXTURES / "pasted-detection.txt"), None, 1)
    assert skip.reason == "no Date header or 'Date:' line; set the source's 'time' option"


def test_pasted_text_with_date_line_and_repeated_alerts():
    events = read("pasted-with-date.txt", time="2000-01-01 00:00")  # the Date: line wins
    assert [(event.time, event.alert.labels["site"], event.alert.summary) for event in events] == [
        (utc(2023, 9, 28, 15, 51, 40), "codfw", "TaskManager restarted 6 times in 30 minutes"),
        (utc(2023, 9, 28, 15, 51, 40), "eqiad", "TaskManager restarted 2 times in 30 minutes")]


def test_mail_date_wins_over_time_option():
    [event] = read("resolved.eml", time="2000-01-01 00:00")
    assert event.time == utc(2023, 10, 3, 14, 21, 51)


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

def test_window_filters_events_and_orders_them_by_time():
    window = Window(utc(2023, 9, 28, 14), utc(2023, 9, 29, 7))
    events = read("*.eml", window)
    assert [(event.time, event.alert.labels["alertname"]) for event in events] == [
        (utc(2023, 9, 28, 14, 33, 12), ENRICH),
        (utc(2023, 9, 29, 6, 40, 2), "ProbeDown"),
        (utc(2023, 9, 29, 6, 40, 2), "ProbeDown"),
        (utc(2023, 9, 29, 6, 40, 2), "ProbeDown")]


def test_all_mails_in_time_order():
    events = read("*.eml")
    assert len(events) == 7
    assert [event.time for event in events] == sorted(event.time for event in events)
    assert events[-1].text.startswith(f"{ENRICH} resolved")


@pytest.mark.parametrize("content, message", [
    ("Date: Thu, 28 Sep 2023 14:33:05 +0000\nSubject: [FIRING:1] X\n\nnothing useful here\n", "no alert found"),
    ("Date: Thu, 28 Sep 2023 14:33:05 +0000\nSubject: [FIRING:1] X\n\nLabels:\n - severity = page\n",
     "an alert without an alertname label: {'severity': 'page'}"),
    ("Date: yesterday-ish\nSubject: [FIRING:1] X\n\nLabels:\n - alertname = X\n", "unreadable Date header"),
    ("Notes\nDate: sometime\nalertname = X\n", "unreadable Date: line 'sometime'"),
    ("Shopping list\n- milk\n- bread\n", "no alert found"),
])
def test_files_that_give_no_alert_are_one_record_skipped(tmp_path, content, message):
    (tmp_path / "bad.eml").write_text(content, encoding="utf-8")
    tally = Tally()
    assert file_events(tmp_path / "bad.eml", tally=tally) == []
    assert [(s.file, s.line) for s in tally.skipped] == [(str(tmp_path / "bad.eml"), None)]
    assert tally.skipped[0].reason.startswith(message) and tally.read == 1


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


def test_headerless_date_line_in_iso_form(tmp_path):
    (tmp_path / "note.txt").write_text("copied from the mail\nDate: 2023-09-28 14:33:05\n"
                                       "alertname = X\nseverity = page\n", encoding="utf-8")
    [event] = file_events(tmp_path / "note.txt")
    assert event.time == utc(2023, 9, 28, 14, 33, 5)
    assert event.tags == ("alert", "page")


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


def test_a_persons_reply_is_no_alert_and_is_dropped_with_the_reason():
    """``Re: [FIRING:2] …`` from a person, quoting ``> alertname = …``, was a phantom alert."""
    tally = Tally()
    cfg = config(path="reply-by-a-person.eml")
    assert SOURCE.read(cfg, ALL_TIME, tally=tally) == []
    assert tally.read == 1 and len(tally.dropped) == 1 and tally.skipped == []
    assert tally.dropped[0].file.endswith("reply-by-a-person.eml")
    assert "reply or forward by a person" in tally.dropped[0].reason
    assert "Re: [FIRING:2] PHPFPMTooBusy" in tally.dropped[0].reason


@pytest.mark.parametrize("subject", ["Re: [FIRING:2] X", "RE: [FIRING:1] X", "Fwd: [FIRING:1] X",
                                     "FW: [RESOLVED] X", "AW: [FIRING:1] X"])
def test_reply_and_forward_subjects(tmp_path, subject):
    (tmp_path / "mail.eml").write_text(f"From: a@b.org\nSubject: {subject}\nDate: Thu, 28 Sep 2023 14:40:00 +0000\n\n"
                                       "Labels\nalertname = X\n", encoding="utf-8")
    assert SOURCE.read(config(tmp_path, path="mail.eml"), ALL_TIME) == []


def test_quoted_lines_in_pasted_text_are_never_alerts(tmp_path):
    (tmp_path / "pasted.txt").write_text(
        "The alert fired, and a reply quoted another one.\nDate: 2023-09-28 14:33:00\n"
        "alertname = RealAlert\nseverity = critical\n"
        "On Thu someone wrote:\n> alertname = QuotedAlert\n> severity = page\n", encoding="utf-8")
    events = SOURCE.read(config(tmp_path, path="pasted.txt"), ALL_TIME)
    assert [e.alert.name for e in events] == ["RealAlert"]
