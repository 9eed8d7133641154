"""The `prometheus` source against a real Prometheus whose ALERTS history was
backfilled with `promtool tsdb create-blocks-from openmetrics`, and against a local
server for the answers a real one does not give (broken ones)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from postmortem.core.errors import SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources.prometheus import SOURCE, choose_step, firing_intervals
from tests.cases import cases, check_answered
from tests.services import (
    Answer, assert_broken_answer, broken, html_instead_of_json, openmetrics_alerts, start_prometheus,
    transport_failures)

T = utc(2023, 9, 28, 14, 0)
T0 = int(T.timestamp())
WINDOW = Window(T - dt.timedelta(minutes=30), T + dt.timedelta(hours=1))


def minutes(start, end, every=60):
    """Unix sample times from T+start to T+end minutes, inclusive."""
    return list(range(T0 + start * 60, T0 + end * 60 + 1, every))


def labels(name, severity, **extra):
    return (("alertname", name), ("alertstate", "firing"), ("severity", severity),
            *sorted(extra.items()))


SERIES = {
    labels("MediaWikiLatency", "page", team="sre"): minutes(0, 10) + minutes(20, 25),
    labels("KafkaLag", "critical", team="data-eng"): minutes(5, 120),       # still firing at the end
    labels("Blip", "warning"): minutes(40, 40),                             # one sample
    labels("Flap", "warning"): minutes(30, 33) + minutes(36, 38),           # re-fires within the lookback
    labels("Before", "warning"): [T0 - 7200 + n * 60 for n in range(10)],    # before the window
    # one rule firing for two instances at the same evaluations
    labels("ProbeDown", "warning", instance="api-https:443"): minutes(50, 58),
    labels("ProbeDown", "warning", instance="appservers-https:443"): minutes(50, 55),
}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    service = start_prometheus(tmp_path_factory.mktemp("prometheus"), openmetrics_alerts(SERIES))
    try:
        yield service
    finally:
        service.stop()


def read(url, window=WINDOW, **options):
    config = SourceConfig("prometheus", {"type": "prometheus", "url": url, **options}, index=2)
    return SOURCE.read(config, window, session=BoundedSession(timeout=10, deadline=30))


def pairs(events, name):
    return [(e.alert.state, int((e.time - T).total_seconds() // 60))
            for e in events if e.alert.name == name]


def test_one_fires_and_one_resolved_event_per_firing_interval(prometheus):
    events = read(prometheus.url)
    assert pairs(events, "MediaWikiLatency") == [("firing", 0), ("resolved", 10), ("firing", 20), ("resolved", 25)]
    assert pairs(events, "Blip") == [("firing", 40), ("resolved", 40)]
    assert pairs(events, "Flap") == [("firing", 30), ("resolved", 33), ("firing", 36), ("resolved", 38)]
    assert "Before" not in {e.alert.name for e in events}


def test_an_alert_still_firing_at_the_end_has_no_resolved_event(prometheus):
    assert pairs(read(prometheus.url), "KafkaLag") == [("firing", 5)]


def test_the_lookback_does_not_stretch_the_end_of_a_run(prometheus):
    window = Window(T - dt.timedelta(minutes=30), T + dt.timedelta(minutes=13))
    assert pairs(read(prometheus.url, window), "MediaWikiLatency") == [("firing", 0), ("resolved", 10)]


def test_event_conventions(prometheus):
    page = next(e for e in read(prometheus.url) if e.alert.name == "MediaWikiLatency")
    assert page.source == "prometheus" and page.precision == "second"
    assert page.tags == ("alert", "page") and page.text == "MediaWikiLatency firing (page)"
    assert page.alert.labels["severity"] == "page" and (page.alert.team or "") == "sre"
    assert page.alert.labels["alertstate"] == "firing"


def test_two_alerts_of_one_name_firing_at_the_same_evaluation_stay_two_in_the_timeline(prometheus):
    """A rule firing for two instances at once gives two events of the same time,
    source and text ("ProbeDown firing (warning)"): the merge took the second for
    an exact repeat of the first and dropped it (found by tests/test_simulator.py)."""
    from postmortem.timeline.merge import merge
    events = [e for e in merge(read(prometheus.url), WINDOW) if e.alert.name == "ProbeDown"]
    assert sorted((e.alert.labels["instance"], e.alert.state, e.time) for e in events) == [
        ("api-https:443", "firing", T + dt.timedelta(minutes=50)),
        ("api-https:443", "resolved", T + dt.timedelta(minutes=58)),
        ("appservers-https:443", "firing", T + dt.timedelta(minutes=50)),
        ("appservers-https:443", "resolved", T + dt.timedelta(minutes=55))]


def test_two_alerts_of_one_name_firing_at_the_same_evaluation_get_a_bar_each_to_its_own_end(prometheus):
    """Their firing events are equal as events (same time, source and text): the
    graph, closing the first bar, removed the other alert's firing from the open
    ones, so one bar ran to the graph's end and the other began before it (found
    by tests/test_simulator.py)."""
    from postmortem.timeline.merge import merge
    from postmortem.write.timeline_picture import firing_intervals
    events = [e for e in merge(read(prometheus.url), WINDOW) if e.alert.name == "ProbeDown"]
    bars = firing_intervals(events, WINDOW.start, WINDOW.end)
    assert sorted((b.start_event.alert.labels["instance"], b.start, b.end) for b in bars) == [
        ("api-https:443", T + dt.timedelta(minutes=50), T + dt.timedelta(minutes=58)),
        ("appservers-https:443", T + dt.timedelta(minutes=50), T + dt.timedelta(minutes=55))]


def test_a_query_and_a_step_can_be_given(prometheus):
    events = read(prometheus.url, query='ALERTS{alertstate="firing",severity="page"}', step=60)
    assert {e.alert.name for e in events} == {"MediaWikiLatency"}
    assert len(events) == 4


def test_a_bad_query_is_prometheus_clear_error(prometheus):
    with pytest.raises(SourceError) as caught:
        read(prometheus.url, query="ALERTS{")
    err = caught.value
    assert err.status == 400 and "bad_data" in str(err)
    assert err.url == prometheus.url + "/api/v1/query_range" and err.source == "source[2] (prometheus)"


def test_step_keeps_one_request_under_the_point_limit():
    assert choose_step(WINDOW) == 15
    year = Window(utc(2023, 1, 1), utc(2024, 1, 1))
    assert 365 * 86400 / choose_step(year) <= 11_000


def test_intervals_from_timestamp_points():
    points = [[t, t] for t in range(0, 601, 60)] + [[t, 600] for t in range(660, 901, 60)]
    points += [[t, t] for t in range(1200, 1501, 60)]
    intervals, _ = firing_intervals(points, 60)
    assert intervals == [(0, 600), (1200, 1500)]


def matrix(*series, kind="matrix"):
    """A query_range answer: ``{"status": "success", "data": {"resultType", "result"}}``."""
    return {"status": "success", "data": {"resultType": kind, "result": list(series)}}


FIRING = {"metric": {"alertname": "KafkaLag", "alertstate": "firing"}, "values": [[T0, str(T0)], [T0 + 60, str(T0)]]}

# What the source raises for each broken answer of /api/v1/query_range (tests/services.py
# Broken): the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 92 \(char 91\); 99 bytes\)"),
           status=200),
    html_instead_of_json(),
    broken("status-error", {"status": "error", "errorType": "bad_data", "error": "parse error at char 7"},
           SourceFormatError, "query failed: parse error at char 7"),
    broken("no-status", [FIRING], SourceFormatError, "query failed: no status success"),
    broken("vector-not-matrix", matrix(kind="vector"), SourceFormatError, "expected a matrix, got 'vector'"),
    broken("series-without-values", matrix({"metric": {"alertname": "X"}}), SourceFormatError,
           "matrix series without values"),
    broken("sample-not-a-number", matrix({"metric": {"alertname": "X"}, "values": [["now", "x"]]}),
           SourceFormatError, "bad sample values in series {'alertname': 'X'}"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    def read(url, session):
        config = SourceConfig("prometheus", {"type": "prometheus", "url": url}, index=2)
        return SOURCE.read(config, WINDOW, session=session)

    assert_broken_answer(case, read, lambda request: Answer.json(matrix(FIRING)),
                         path="/api/v1/query_range", source="source[2] (prometheus)")


@pytest.mark.parametrize("case", cases("prometheus"))
def test_format_cases(case):
    def read(url, window, tally):
        config = SourceConfig("prometheus", {"type": "prometheus", "url": url, **case.get("options", {})}, index=2)
        return SOURCE.read(config, window, session=BoundedSession(timeout=5, deadline=20), tally=tally)
    check_answered(case, "prometheus", read)
