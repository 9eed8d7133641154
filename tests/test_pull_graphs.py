"""[[graph]] end to end against a real Prometheus, backfilled by promtool with an
error ratio that spikes during the incident and has a gap: `pull` caches the
series, and with Prometheus stopped `render` writes the SVG, the report embeds
it, the SVG has one point per step, the key moments at their exact times and
a gap where the series has none. Then what the cache refuses (a changed query
or window), what a failed pull leaves, and an empty answer."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from postmortem.collect import cache
from postmortem.collect.metric_series import default_step, query_window
from postmortem.collect.pull import pull
from postmortem.core.errors import InputError
from postmortem.core.model import Window, utc
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from postmortem.write.metric_chart import chart_layout
from tests.clock import fast_session
from tests.services import Answer, FakeServer, broken_app, openmetrics_gauge, start_prometheus

SVG = "{http://www.w3.org/2000/svg}"
UTC = dt.timezone.utc
START, END = utc(2023, 9, 28, 14), utc(2023, 9, 28, 15)
# Samples every minute at :30 from 13:00:30 to 16:00:30, none from 14:41:30 to 14:54:30.
# (At :30, so no sample sits on the edge of a step's 5-minute lookback.)
SAMPLE_TIMES = [utc(2023, 9, 28, 13, 0, 30) + dt.timedelta(minutes=n) for n in range(181)]
GAP = (utc(2023, 9, 28, 14, 40, 30), utc(2023, 9, 28, 14, 55, 30))    # the last sample before, the first after


def error_ratio(moment: dt.datetime) -> float:
    """0.01, a spike to 0.35 from 14:10 to 14:35 (the incident), then 0.01 again."""
    return 0.35 if utc(2023, 9, 28, 14, 10) <= moment < utc(2023, 9, 28, 14, 35) else 0.01


SERIES = {
    (("service", "api"),): [(int(t.timestamp()), error_ratio(t)) for t in SAMPLE_TIMES
                            if not GAP[0] < t < GAP[1]],
    (("service", "auth"),): [(int(t.timestamp()), 0.002) for t in SAMPLE_TIMES],
}
EVENTS = '''
[[event]]
time = "2023-09-28 14:10"
text = "errors climb"
tags = ["outage-begins"]

[[event]]
time = "2023-09-28 14:12:40"
text = "ApiErrors fires"
tags = ["detection", "alert"]

[[event]]
time = "2023-09-28 14:13:05"
text = "oncall paged"
tags = ["page"]

[[event]]
time = "2023-09-28 14:30"
text = "rollback"
tags = ["mitigation"]

[[event]]
time = "2023-09-28 14:36:20"
text = "errors back to normal"
tags = ["outage-ends", "resolved"]
'''
MOMENTS = [utc(2023, 9, 28, 14, 10), utc(2023, 9, 28, 14, 12, 40), utc(2023, 9, 28, 14, 13, 5),
           utc(2023, 9, 28, 14, 30), utc(2023, 9, 28, 14, 36, 20)]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    service = start_prometheus(tmp_path_factory.mktemp("prometheus"), openmetrics_gauge("http_error_ratio", SERIES))
    try:
        yield service
    finally:
        service.stop()


def incident_file(folder, url, *, query="http_error_ratio", step='\nstep = "1m"', start="2023-09-28 14:00",
                  extra=""):
    path = folder / "incident.toml"
    path.write_text(f'''[incident]
id = "2023-09-28 api errors"
start = "{start}"
end = "2023-09-28 15:00"

[[graph]]
title = "Error ratio"
url = "{url}"
query = "{query}"
unit = "ratio"{step}
{extra}{EVENTS}''', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pulled(prometheus, tmp_path_factory):
    """An incident pulled from the real Prometheus, which is then stopped."""
    folder = tmp_path_factory.mktemp("incident")
    path = incident_file(folder, prometheus.url, extra='''
[[graph]]
title = "Error ratio by default step"
url = "%s"
query = "sum(http_error_ratio)"
''' % prometheus.url)
    report = pull(load_incident(path))
    prometheus.stop()
    return path, report


def by_class(root, tag, cls):
    return [el for el in root.iter(SVG + tag) if el.get("class") == cls]


def minutes(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Whole minutes from start to end, both included."""
    return [start + dt.timedelta(minutes=n) for n in range(int((end - start) / dt.timedelta(minutes=1)) + 1)]


# -- pull, then render with Prometheus stopped -------------------------------------------------

def test_pull_caches_every_series(pulled):
    path, report = pulled
    assert report.ok and [r.status for r in report.results] == ["fetched", "fetched"]
    lines = report.lines()
    assert lines[0].startswith("graph[0] (error-ratio): 2 series, 1 request, ")
    assert lines[1].startswith("graph[1] (error-ratio-by-default-step): 1 series, 1 request, ")
    data = json.loads(cache.cache_path(load_incident(path)).read_text(encoding="utf-8"))
    entry = data["graphs"][cache.graph_key(load_incident(path).graphs[0])]
    assert entry["window"] == ["2023-09-28T13:30:00Z", "2023-09-28T15:30:00Z"] and entry["step"] == 60
    assert [s["metric"] for s in entry["series"]] == [{"__name__": "http_error_ratio", "service": "api"},
                                                      {"__name__": "http_error_ratio", "service": "auth"}]


def test_render_offline_writes_the_svg_and_embeds_it(pulled, run_cli):
    path, _ = pulled
    out = path.parent / "report.wiki"
    code, _, err = run_cli("render", path, "-o", out)
    assert code == 0, err
    svg = path.parent / "report-error-ratio.svg"
    assert f"wrote {svg}" in err and (path.parent / "report-error-ratio-by-default-step.svg").exists()
    timeline = out.read_text(encoding="utf-8").split("==Timeline==")[1].split("==Detection==")[0]
    assert "\n[[File:Incident 2023-09-28 api errors error-ratio.svg|thumb|none|900px|Error ratio]]\n" in timeline
    assert "\n[[File:Incident 2023-09-28 api errors error-ratio-by-default-step.svg|thumb|none|900px|" \
           "Error ratio by default step]]\n" in timeline
    ET.parse(svg)


def test_one_point_per_step_and_a_gap_where_the_series_has_none(pulled):
    path, _ = pulled
    records = gather(load_incident(path))
    api, auth = records.graphs[0].series
    steps = minutes(utc(2023, 9, 28, 13, 30), utc(2023, 9, 28, 15, 30))
    # a step has a point while the last sample is at most 5 minutes (the lookback) old
    missing = [t for t in steps if GAP[0] + dt.timedelta(minutes=5) < t < GAP[1]]
    assert missing == minutes(utc(2023, 9, 28, 14, 46), utc(2023, 9, 28, 14, 55))
    assert [t for t, _ in api.points] == [t for t in steps if t not in missing]
    assert [t for t, _ in auth.points] == steps
    assert max(v for _, v in api.points) == 0.35 and api.points[0][1] == 0.01

    root = ET.parse(path.parent / "report-error-ratio.svg").getroot()
    api_line, auth_line = by_class(root, "g", "line-of-series")
    assert len(by_class(api_line, "circle", "point")) == len(steps) - len(missing)
    assert len(by_class(auth_line, "circle", "point")) == len(steps) == 121
    layout = chart_layout(records, records.graphs[0])
    before, after = ([tuple(float(n) for n in p.split(",")) for p in line.get("points").split()]
                     for line in by_class(api_line, "polyline", "line"))
    assert before[-1][0] == pytest.approx(layout.scale.x(utc(2023, 9, 28, 14, 45)), abs=0.01)
    assert after[0][0] == pytest.approx(layout.scale.x(utc(2023, 9, 28, 14, 56)), abs=0.01)
    titles = [p.find(SVG + "title").text for p in by_class(api_line, "circle", "point")]
    assert "2023-09-28 14:20 UTC: 0.35 ratio — service api" in titles


def test_key_moments_at_their_exact_times(pulled):
    path, _ = pulled
    records = gather(load_incident(path))
    scale = chart_layout(records, records.graphs[0]).scale
    root = ET.parse(path.parent / "report-error-ratio.svg").getroot()
    xs = [float(line.get("x1")) for line in by_class(root, "line", "moment")]
    assert xs == pytest.approx([scale.x(t) for t in MOMENTS], abs=0.01)
    labels = [el.text for el in by_class(root, "text", "moment-label")]
    assert labels[0] == "OUTAGE BEGINS 14:10" and labels[2] == "page 14:13"   # a one-day axis gives the date
    assert labels[-1] == "OUTAGE ENDS · resolved 14:36"


def test_the_default_step_is_the_window_in_at_most_500_points(pulled):
    path, _ = pulled
    data = gather(load_incident(path)).graphs[1]
    assert data.step == default_step(Window(utc(2023, 9, 28, 13, 30), utc(2023, 9, 28, 15, 30))) == 15
    assert len(data.series[0].points) == 481            # 2 h every 15 s, both ends included


@pytest.mark.parametrize("hours, step", [(1, 15), (2.08, 15), (2.1, 30), (24, 300), (24 * 6, 1800),
                                         (24 * 30, 7200), (24 * 400, 86400)])
def test_default_steps(hours, step):
    window = Window(START, START + dt.timedelta(hours=hours))
    assert default_step(window) == step
    assert (window.end - window.start).total_seconds() / step <= 500


def test_the_range_starts_on_a_multiple_of_the_step():
    window = Window(utc(2023, 9, 28, 14, 3, 10), utc(2023, 9, 28, 20))
    assert query_window(window, 900) == Window(utc(2023, 9, 28, 14), window.end)


# -- what the cache refuses ----------------------------------------------------------------------

def test_pulled_graph_is_cached_not_fetched_again(tmp_path):
    with FakeServer(lambda request: Answer.json(answer([]))) as server:
        incident = load_incident(incident_file(tmp_path, server.url))
        pull(incident)
        report = pull(incident)
        assert [r.status for r in report.results] == ["cached"] and len(server.requests) == 1
        assert report.lines()[0] == "graph[0] (error-ratio): 0 series (cached; --refresh to fetch again)"
        assert [r.status for r in pull(incident, refresh=True).results] == ["fetched"]
        assert len(server.requests) == 2
        query = server.requests[0].query
        assert query["query"] == ["http_error_ratio"] and query["step"] == ["60"]
        assert (query["start"], query["end"]) == ([f"{utc(2023, 9, 28, 13, 30).timestamp():.3f}"],
                                                  [f"{utc(2023, 9, 28, 15, 30).timestamp():.3f}"])


@pytest.mark.parametrize("change, words", [
    ({"query": "sum(http_error_ratio)"},
     "the url, query or step of graph[0] (error-ratio) changed since the last pull"),
    ({"step": '\nstep = "5m"'}, "changed since the last pull"),
    ({"start": "2023-09-28 13:00"}, "graph[0] (error-ratio) was pulled for 2023-09-28T13:30:00Z to "
                                    "2023-09-28T15:30:00Z every 60 s, but the incident now needs "
                                    "2023-09-28T12:30:00Z to 2023-09-28T15:30:00Z every 60 s"),
])
def test_a_changed_query_or_window_means_pulling_again(tmp_path, run_cli, change, words):
    with FakeServer(lambda request: Answer.json(answer([series_json()]))) as server:
        pull(load_incident(incident_file(tmp_path, server.url)))
        path = incident_file(tmp_path, server.url, **change)
        with pytest.raises(InputError) as caught:
            gather(load_incident(path))
        assert words in str(caught.value) and str(caught.value).endswith("run `postmortem pull`")
        code, out, err = run_cli("render", path, "-o", tmp_path / "report.wiki")
        assert code == 2 and words in err and not (tmp_path / "report.wiki").exists()
        assert not list(tmp_path.glob("report-*.svg"))


def test_a_graph_never_pulled_says_so(tmp_path):
    path = incident_file(tmp_path, "http://127.0.0.1:9")
    with pytest.raises(InputError, match=r"graph\[0\] \(error-ratio\) has not been pulled yet: run `postmortem pull`"):
        gather(load_incident(path))


def test_a_failed_pull_is_one_line_in_the_report_and_a_warning(tmp_path, run_cli):
    with FakeServer(broken_app("500", None)) as server:
        path = incident_file(tmp_path, server.url)
        report = pull(load_incident(path), session_factory=fast_session)
    assert not report.ok and report.failed[0].line().startswith("graph[0] (error-ratio): FAILED after 3 requests: ")
    (data,) = gather(load_incident(path)).graphs
    assert "HTTP 500" in data.missing
    code, _, err = run_cli("render", path, "-o", tmp_path / "report.wiki")
    assert code == 0 and "warning: graph[0] (error-ratio) is not drawn: the last pull could not read it" in err
    report_text = (tmp_path / "report.wiki").read_text(encoding="utf-8")
    line = next(l for l in report_text.splitlines() if "Error ratio" in l)
    assert line.startswith("''Graph \"Error ratio\" is not drawn: the last pull could not read it (") \
        and "HTTP 500" in line and line.endswith(").''")
    assert not list(tmp_path.glob("report-*.svg"))


def test_a_failed_pull_keeps_the_series_pulled_before(tmp_path):
    broken = []
    good, bad = (lambda request: Answer.json(answer([series_json()]))), broken_app("500")
    with FakeServer(lambda request: bad(request) if broken else good(request)) as server:
        path = incident_file(tmp_path, server.url)
        assert pull(load_incident(path)).ok
        broken.append(True)
        report = pull(load_incident(path), refresh=True, session_factory=fast_session)
    assert report.failed
    (data,) = gather(load_incident(path)).graphs
    assert data.missing is None and data.series[0].labels == {"service": "api"}
    assert "graphs_failed" in json.loads(cache.cache_path(load_incident(path)).read_text())


def test_an_empty_answer_is_one_line_instead_of_a_picture(tmp_path, run_cli):
    with FakeServer(lambda request: Answer.json(answer([]))) as server:
        path = incident_file(tmp_path, server.url)
        pull(load_incident(path))
    code, _, err = run_cli("render", path, "-o", tmp_path / "report.wiki")
    assert code == 0, err
    text = (tmp_path / "report.wiki").read_text(encoding="utf-8")
    assert "\n''Graph \"Error ratio\" is not drawn: its query returned no data from 2023-09-28 13:30 to " \
           "2023-09-28 15:30 UTC.''\n" in text
    assert "[[File:" not in text and not list(tmp_path.glob("report-*.svg"))


def test_a_token_is_sent_and_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_THANOS_TOKEN", "thanos-token-never-print")
    with FakeServer(lambda request: Answer.json(answer([series_json()]))) as server:
        path = incident_file(tmp_path, server.url, extra='token_env = "PM_THANOS_TOKEN"\n')
        assert pull(load_incident(path)).ok
        assert server.requests[0].headers["Authorization"] == "Bearer thanos-token-never-print"
    assert "thanos-token-never-print" not in cache.cache_path(load_incident(path)).read_text()


def answer(result):
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def series_json():
    t0 = int(utc(2023, 9, 28, 13, 30).timestamp())
    return {"metric": {"service": "api"}, "values": [[t0 + 60 * n, "0.01"] for n in range(121)]}
