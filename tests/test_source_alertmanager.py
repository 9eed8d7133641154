"""The `alertmanager` source against a real Alertmanager (Debian prometheus-alertmanager),
and against a local server for the answers a real one does not give (broken ones)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from postmortem.core.errors import IncidentFileError, SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window
from postmortem.collect.sources.alertmanager import SOURCE
from postmortem.core.timeutil import format_utc
from tests.cases import cases, check_answered
from tests.services import (
    Answer, assert_broken_answer, broken, html_instead_of_json, post_alerts, start_alertmanager,
    transport_failures)

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def alert(name, minutes_ago, **labels):
    return {"labels": {"alertname": name, **labels},
            "annotations": {"summary": f"{name} is bad", "runbook": "https://wikitech.example/r"},
            "startsAt": format_utc(NOW - dt.timedelta(minutes=minutes_ago)),
            "endsAt": format_utc(NOW + dt.timedelta(hours=2)),
            "generatorURL": f"https://prometheus.example/graph?g0.expr={name}"}


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    service = start_alertmanager(tmp_path_factory.mktemp("alertmanager"))
    try:
        post_alerts(service, [
            alert("MediaWikiLatency", 50, severity="page", team="sre", cluster="eqiad"),
            alert("KafkaLag", 40, severity="critical", team="data-eng"),
            alert("DiskFull", 30, severity="warning", team="sre"),
            alert("OldAlert", 600, severity="critical", team="sre"),
        ])
        yield service
    finally:
        service.stop()


def config(url, **options):
    return SourceConfig("alertmanager", {"type": "alertmanager", "url": url, **options}, index=1)


def read(url, **options):
    window = Window(NOW - dt.timedelta(hours=2), NOW + dt.timedelta(minutes=5))
    return SOURCE.read(config(url, **options), window, session=BoundedSession(timeout=5, deadline=20))


def test_alerts_come_back_filtered_by_the_server(alertmanager):
    events = read(alertmanager.url, filter=['team="sre"'])
    assert [e.alert.name for e in events] == ["MediaWikiLatency", "DiskFull"]
    page = events[0]
    assert page.time == NOW - dt.timedelta(minutes=50)
    assert page.source == "alertmanager" and page.precision == "second"
    assert page.tags == ("alert", "page") and events[1].tags == ("alert",)
    assert page.text == "MediaWikiLatency firing (page): MediaWikiLatency is bad"
    assert page.url.startswith("https://prometheus.example/graph")
    assert page.alert.labels["severity"] == "page" and (page.alert.team or "") == "sre"
    assert page.alert.state == "firing" and page.alert.summary == "MediaWikiLatency is bad"
    assert page.alert.labels["cluster"] == "eqiad" and page.fields["am_state"] == "active"


def test_several_matchers_and_regexes(alertmanager):
    events = read(alertmanager.url, filter=['severity=~"page|critical"', 'team!="data-eng"'])
    assert [e.alert.name for e in events] == ["MediaWikiLatency"]  # OldAlert is before the window


def test_no_filter_gives_every_current_alert_in_the_window(alertmanager):
    names = {e.alert.name for e in read(alertmanager.url)}
    assert names == {"MediaWikiLatency", "KafkaLag", "DiskFull"}


def test_a_bad_matcher_is_the_servers_clear_error(alertmanager):
    with pytest.raises(SourceError) as caught:
        read(alertmanager.url, filter=['team=~"("'])
    assert caught.value.status == 400 and caught.value.url == alertmanager.url + "/api/v2/alerts"
    assert caught.value.source == "source[1] (alertmanager)"


def test_check_validates_matchers():
    with pytest.raises(IncidentFileError, match="matcher"):
        SOURCE.check(config("http://127.0.0.1:9093", filter=["team sre"]))
    SOURCE.check(config("http://127.0.0.1:9093", filter=['team="sre"', "alertname=~Kafka.*"]))


# A gettableAlert as GET /api/v2/alerts returns it: the good answer the broken ones start from.
GETTABLE = {"labels": {"alertname": "KafkaLag", "severity": "critical", "team": "data-eng"},
            "annotations": {"summary": "KafkaLag is bad"}, "startsAt": "2023-09-28T14:33:12.000Z",
            "endsAt": "2023-09-28T16:00:00.000Z", "updatedAt": "2023-09-28T14:33:12.000Z",
            "fingerprint": "0123456789abcdef", "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "receivers": [{"name": "blackhole"}], "generatorURL": "https://prometheus.example/graph"}

# What the source raises for each broken answer of /api/v2/alerts (tests/services.py Broken):
# the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 222 \(char 221\); 221 bytes\)"),
           status=200),
    html_instead_of_json(),
    broken("object-not-a-list", {"alerts": [GETTABLE]}, SourceFormatError, "expected a list of alerts"),
    broken("not-an-alert", [1], SourceFormatError,
           "not an alert (labels and annotations of strings, a status object): '1'"),
    broken("alert-without-labels", [{"annotations": {}}], SourceFormatError,
           "not an alert (labels and annotations of strings, a status object): \"{'annotations': {}}\""),
    broken("starts-at-not-rfc3339", [{**GETTABLE, "startsAt": "yesterday"}], SourceFormatError,
           "not an RFC 3339 time: 'yesterday'"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    window = Window(dt.datetime(2023, 9, 28, 14, tzinfo=dt.timezone.utc),
                    dt.datetime(2023, 9, 28, 17, tzinfo=dt.timezone.utc))
    assert_broken_answer(case,
                         lambda url, s: SOURCE.read(config(url), window, session=s), lambda request: Answer.json([GETTABLE]),
                         path="/api/v2/alerts", source="source[1] (alertmanager)")


@pytest.mark.parametrize("case", cases("alertmanager"))
def test_format_cases(case):
    check_answered(case, "alertmanager", lambda url, window, tally: SOURCE.read(
        config(url, **case.get("options", {})), window, session=BoundedSession(timeout=5, deadline=20), tally=tally))
