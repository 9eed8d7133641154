"""The [[graph]] line chart: valid SVG 1.1 MediaWiki accepts, one marker per
point at its time and value, gaps left open, key moments at their exact
times, a readable y axis with the unit, a legend for several series — all
checked on the SVG's structure, no screenshots — and it draws (rsvg-convert)."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

import pytest

from postmortem.collect.metric_series import gather_graphs
from postmortem.core.model import Event, GraphConfig, GraphData, Records, Series, Window, utc
from postmortem.incident.load import load_incident, parse_incident
from postmortem.timeline.gather import gather
from postmortem.write.axes import DISPLAY_WIDTH
from postmortem.write.metric_chart import (MAX_LEGEND, chart_layout, drawable, nice_step, not_drawn, render_chart,
                                    render_charts, runs, series_labels, tick_label, value_text)
from tests.conftest import SAMPLE
from tests.test_graph import rsvg_pixels
from tests.test_wikitext import HOSTILE

SVG = "{http://www.w3.org/2000/svg}"
T = utc(2023, 9, 28, 14)
MINUTE = dt.timedelta(minutes=1)
FORBIDDEN = ("script", "foreignObject", "style", "use", "image", "a", "set", "animate", "iframe")


def incident(start="2023-09-28 14:30", end="2023-09-28 15:30"):
    return parse_incident(f'[incident]\nid = "2023-09-28 chart"\nstart = "{start}"\nend = "{end}"\n',
                          "incident.toml")


def config(**options):
    return GraphConfig(**{"title": "Error rate", "slug": "error-rate", "index": 0, "query": "sum(rate(e[5m]))",
                          "url": "http://127.0.0.1:9090", "unit": "errors/s", **options})


def series(values, labels=None, start=T, step=60):
    """A series from a list of values every ``step`` seconds; None is a missing point."""
    points = [(start + dt.timedelta(seconds=i * step), v) for i, v in enumerate(values) if v is not None]
    return Series(labels or {}, points)


def graph(*items, step=60, window=None, **options):
    window = window or Window(T, T + dt.timedelta(hours=2))
    return GraphData(config(**options), window, step, items)


def manual(minute, text, *tags):
    return Event(time=T + minute * MINUTE, source="manual", text=text, tags=tags)


EVENTS = [manual(35, "errors climb", "outage-begins"), manual(40, "alert", "detection"),
          manual(42, "oncall paged", "page"), manual(55, "rollback", "mitigation"),
          manual(70, "errors back to normal", "outage-ends", "resolved")]


def draw(data, events=EVENTS):
    records = Records(incident(), tuple(events), graphs=(data,))
    svg = render_chart(records, data)
    return chart_layout(records, data), svg, ET.fromstring(svg.encode("utf-8"))


def by_class(root, tag, cls):
    return [el for el in root.iter(SVG + tag) if el.get("class") == cls]


def title_of(el):
    found = el.find(SVG + "title")
    return found.text if found is not None else None


def polyline_points(el):
    return [tuple(float(n) for n in pair.split(",")) for pair in el.get("points").split()]


# -- the document ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    records = gather(load_incident(SAMPLE / "incident.toml"))
    (data,) = records.graphs
    svg = render_chart(records, data)
    return records, data, svg, ET.fromstring(svg.encode("utf-8"))


def test_svg_11_with_explicit_size_and_nothing_mediawiki_refuses(sample):
    svg, root = sample[2], sample[3]
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert root.tag == SVG + "svg" and root.get("version") == "1.1"
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}" and width == DISPLAY_WIDTH and 300 < height < 600
    assert "<!DOCTYPE" not in svg and "<!ENTITY" not in svg and "<?xml-stylesheet" not in svg
    for el in root.iter():
        assert el.tag.startswith(SVG) and el.tag[len(SVG):] not in FORBIDDEN, el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on") and "href" not in name, name
            assert "url(" not in value and "javascript" not in value.lower()


def test_committed_sample_chart_is_current(sample):
    """samples/…/report-kafka-consumer-lag.svg (and its .png for the README) come from
    `postmortem render incident.toml -o report.wiki`; regenerate both on a deliberate change."""
    assert (SAMPLE / "report-kafka-consumer-lag.svg").read_text(encoding="utf-8") == sample[2]


def test_sample_has_two_series_with_a_legend_and_the_exporter_gap(sample):
    _, data, _, root = sample
    assert [dict(s.labels) for s in data.series] == [{"topic": "codfw.mediawiki.page_change.v1"},
                                                     {"topic": "eqiad.mediawiki.page_change.v1"}]
    # the recorded step; the window starts a day before the start (lead = "24h"), aligned to the step
    assert data.step == 1800 and data.window.start == utc(2023, 9, 27, 14, 30)
    assert [el.text for el in by_class(root, "text", "legend-label")] == \
        ["topic codfw.mediawiki.page_change.v1", "topic eqiad.mediawiki.page_change.v1"]
    groups = by_class(root, "g", "line-of-series")
    assert [len(by_class(g, "polyline", "line")) for g in groups] == [2, 2]   # 2023-09-30 03:00–05:30 missing
    assert [len(by_class(g, "circle", "point")) for g in groups] == [len(s.points) for s in data.series]


def test_renders_to_png_with_rsvg(sample, tmp_path):
    width, height, pixels = rsvg_pixels(sample[2], tmp_path / "chart.svg")
    assert (width, height) == (int(sample[3].get("width")), int(sample[3].get("height")))
    assert len(set(pixels[i:i + 4] for i in range(0, len(pixels), 4097))) > 10   # not a blank image


# -- points, lines and gaps -------------------------------------------------------------

def test_one_marker_per_point_at_its_time_and_value():
    values = [0.1, 0.2, 0.4, 3.5, 2.0, 0.3]
    layout, _, root = draw(graph(series(values), window=Window(T, T + 5 * MINUTE)))
    points = by_class(root, "circle", "point")
    assert len(points) == len(values)
    for i, (point, value) in enumerate(zip(points, values)):
        assert float(point.get("cx")) == pytest.approx(layout.scale.x(T + i * MINUTE), abs=0.01)
        ys = layout.plot_bottom - value / 4 * (layout.plot_bottom - layout.plot_top)   # axis 0 to 4
        assert float(point.get("cy")) == pytest.approx(ys, abs=0.01)
    assert title_of(points[3]) == "2023-09-28 14:03 UTC: 3.5 errors/s"
    (line,) = by_class(root, "polyline", "line")
    assert polyline_points(line) == [(float(p.get("cx")), float(p.get("cy"))) for p in points]


def test_a_gap_is_left_open_and_a_lone_point_stays_a_point():
    values = [1, 2, 3, None, None, None, 4, 5, None, 6, float("nan"), 7, 8]
    _, _, root = draw(graph(series(values), window=Window(T, T + 12 * MINUTE)))
    lines = [polyline_points(el) for el in by_class(root, "polyline", "line")]
    assert [len(line) for line in lines] == [3, 2, 2]      # 6 stands alone, between a gap and a NaN
    points = by_class(root, "circle", "point")
    assert len(points) == 8                                # every finite value, the lone 6 included
    assert "2023-09-28 14:09 UTC: 6 errors/s" in [title_of(p) for p in points]


@pytest.mark.parametrize("values, step, expected", [
    ([1, 2, 3], 60, [[0, 1, 2]]),
    ([1, None, 3], 60, [[0], [2]]),
    ([1, float("inf"), 3, 4], 60, [[0], [2, 3]]),
    ([float("nan")], 60, []),
])
def test_runs_break_at_missing_steps_and_non_numbers(values, step, expected):
    points = series(values, step=step).points
    index = {t: i for i, (t, _) in enumerate(series([0] * len(values), step=step).points)}
    assert [[index[t] for t, _ in run] for run in runs(points, step)] == expected


def test_sparse_points_are_visible_dense_ones_only_hover_targets():
    _, _, few = draw(graph(series([1, 2, 3]), window=Window(T, T + 2 * MINUTE)))
    assert {p.get("fill-opacity") for p in by_class(few, "circle", "point")} == {None}
    window = Window(T, T + 499 * dt.timedelta(seconds=15))
    _, _, many = draw(graph(series(list(range(500)), step=15), step=15, window=window))
    assert {p.get("fill-opacity") for p in by_class(many, "circle", "point")} == {"0"}
    assert len(by_class(many, "circle", "point")) == 500


# -- key moments and the outage ---------------------------------------------------------

def test_key_moments_and_pages_at_their_exact_times():
    layout, _, root = draw(graph(series([1] * 121)))
    lines = by_class(root, "line", "moment")
    labels = [el.text for el in by_class(root, "text", "moment-label")]
    assert labels == ["OUTAGE BEGINS 14:35", "detection 14:40", "page 14:42",
                      "mitigation 14:55", "OUTAGE ENDS · resolved 15:10"]
    for line, minute in zip(lines, (35, 40, 42, 55, 70)):
        assert float(line.get("x1")) == float(line.get("x2")) == pytest.approx(layout.scale.x(T + minute * MINUTE),
                                                                               abs=0.01)
        assert float(line.get("y2")) == layout.plot_bottom
    (outage,) = by_class(root, "rect", "outage")
    assert float(outage.get("x")) == pytest.approx(layout.scale.x(T + 35 * MINUTE), abs=0.01)
    assert title_of(outage) == "Outage: 35 min"


def test_moments_outside_the_range_are_not_drawn_but_said():
    early = [manual(-300, "deploy", "detection")] + EVENTS[:1]
    _, svg, root = draw(graph(series([1] * 121)), events=early)
    assert [el.text for el in by_class(root, "text", "moment-label")] == ["OUTAGE BEGINS 14:35"]
    assert "Outside the range, so not drawn: detection 2023-09-28 09:00." in root.find(SVG + "desc").text


# -- the y axis and the legend ------------------------------------------------------------

@pytest.mark.parametrize("span, step", [(1, 0.2), (4, 1), (7, 2), (0.03, 0.01), (12, 2.5), (8_500_000, 2_000_000)])
def test_nice_steps(span, step):
    assert nice_step(span) == pytest.approx(step)


@pytest.mark.parametrize("value, step, largest, label", [
    (0, 0.01, 0.05, "0"), (0.04, 0.01, 0.05, "0.04"), (2.5, 2.5, 10, "2.5"), (10, 2.5, 10, "10.0"),
    (2_000_000, 2_000_000, 10_000_000, "2M"), (1500, 500, 2000, "1.5k"), (3, 1, 4, "3"),
    (-0.5, 0.5, 1, "-0.5"),
])
def test_tick_labels(value, step, largest, label):
    assert tick_label(value, step, largest) == label


@pytest.mark.parametrize("value, text", [(8503211.0, "8,503,211"), (0.0425, "0.0425"), (1.5, "1.5"),
                                         (1 / 3, "0.333333"), (12345678.9, "12,345,679"), (-2.0, "-2")])
def test_values_on_hover(value, text):
    assert value_text(value) == text


def test_y_axis_from_zero_to_a_round_top_with_the_unit():
    _, _, root = draw(graph(series([0.012, 0.031, 0.047])))
    assert [el.text for el in by_class(root, "text", "y-tick")] == ["0", "0.01", "0.02", "0.03", "0.04", "0.05"]
    (unit,) = by_class(root, "text", "unit")
    assert unit.text == "errors/s" and unit.get("transform") == "rotate(-90)"


def test_negative_values_go_below_zero_and_a_flat_line_still_has_an_axis():
    _, _, root = draw(graph(series([-3, 1, 2])))
    assert [el.text for el in by_class(root, "text", "y-tick")] == ["-3", "-2", "-1", "0", "1", "2"]
    _, _, flat = draw(graph(series([0, 0, 0]), unit=None))
    assert [el.text for el in by_class(flat, "text", "y-tick")] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert not by_class(flat, "text", "unit")


def test_several_series_are_several_lines_with_a_legend_of_what_differs():
    items = (series([1, 2], {"job": "api", "code": "500"}), series([3, 4], {"job": "api", "code": "503"}))
    _, _, root = draw(graph(*items))
    groups = by_class(root, "g", "line-of-series")
    assert len({g.get("stroke") for g in groups}) == 2
    assert [el.text for el in by_class(root, "text", "legend-label")] == ["code 500", "code 503"]
    assert title_of(by_class(groups[1], "circle", "point")[0]) == "2023-09-28 14:00 UTC: 3 errors/s — code 503"


def test_one_series_has_no_legend():
    _, _, root = draw(graph(series([1, 2], {"job": "api"})))
    assert not by_class(root, "text", "legend-label") and not by_class(root, "g", "legend")
    assert title_of(by_class(root, "circle", "point")[0]) == "2023-09-28 14:00 UTC: 1 errors/s"


def test_many_series_are_all_drawn_and_the_legend_says_how_many_more():
    items = tuple(series([i, i + 1], {"pod": f"api-{i:02}"}) for i in range(MAX_LEGEND + 5))
    _, _, root = draw(graph(*items))
    assert len(by_class(root, "g", "line-of-series")) == MAX_LEGEND + 5
    assert len(by_class(root, "text", "legend-label")) == MAX_LEGEND
    assert by_class(root, "text", "legend-more")[0].text == "and 5 more series (hover a line for its labels)"


@pytest.mark.parametrize("labels, names", [
    ([{"code": "500"}], ["code=500"]),
    ([{}], [""]),
    ([{"a": "1", "b": "x"}, {"a": "2", "b": "x"}], ["a 1", "a 2"]),
    ([{"a": "1", "b": "x"}, {"a": "2", "b": "y"}], ["a=1, b=x", "a=2, b=y"]),
    ([{"a": "1"}, {}], ["a=1", "{}"]),
])
def test_series_labels(labels, names):
    assert series_labels(tuple(Series(l, ()) for l in labels)) == names


# -- text is text -------------------------------------------------------------------------

def test_hostile_titles_units_and_labels_are_escaped():
    text = HOSTILE["html"] + " ]]> <![CDATA[ x \ud800 \x07"
    data = graph(series([1, 2], {"msg": text}), series([2, 3], {"msg": "b"}), title=text, unit="<b>&amp;</b>",
                 query='up{job="<script>"}')
    _, svg, root = draw(data)
    assert "<script>" not in svg and not list(root.iter(SVG + "script"))
    clean = text.replace("\ud800", "").replace("\x07", "")
    assert by_class(root, "text", "heading")[0].text == clean
    assert by_class(root, "text", "unit")[0].text == "<b>&amp;</b>"
    assert by_class(root, "text", "legend-label")[0].text == f"msg {clean}"


# -- nothing to draw -----------------------------------------------------------------------

@pytest.mark.parametrize("data, why", [
    (graph(), "its query returned no data from 2023-09-28 14:00 to 2023-09-28 16:00 UTC."),
    (graph(series([float("nan"), float("inf")])), "its query returned no numbers from 2023-09-28 14:00 to "
                                                   "2023-09-28 16:00 UTC (only NaN or ±Inf)."),
    (GraphData(config(), Window(T, T + MINUTE), 60, missing="HTTP 503"), "the last pull could not read it (HTTP 503)."),
])
def test_a_graph_with_nothing_to_draw_is_no_picture(data, why):
    assert not drawable(data)
    assert not_drawn(data) == f'Graph "Error rate" is not drawn: {why}'
    records = Records(incident(), graphs=(data,))
    assert render_charts(records) == {}
    with pytest.raises(ValueError, match="nothing to draw"):
        render_chart(records, data)


# -- recorded answers --------------------------------------------------------------------------

def recorded(tmp_path, answer, step=None):
    (tmp_path / "answer.json").write_text(answer if isinstance(answer, str) else __import__("json").dumps(answer))
    extra = f"\nstep = {step}" if step else ""
    return load_incident(_incident_file(tmp_path, f'[[graph]]\ntitle = "Lag"\npath = "answer.json"{extra}\n'))


def _incident_file(tmp_path, body):
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "rec"\nstart = "2023-09-28 14:30"\nend = "2023-09-28 15:00"\n' + body)
    return path


def matrix(*result):
    return {"status": "success", "data": {"resultType": "matrix", "result": list(result)}}


def test_a_recorded_answer_is_cut_to_the_window_and_keeps_its_step(tmp_path):
    t0 = int(T.timestamp())
    values = [[t0 + 300 * i, str(i)] for i in range(30)]          # 14:00 to 16:25, every 5 minutes
    (data,) = gather_graphs(recorded(tmp_path, matrix({"metric": {"job": "x"}, "values": values})))
    assert data.step == 300 and data.window == Window(T, utc(2023, 9, 28, 15, 30))
    assert [t for t, _ in data.series[0].points] == [T + 5 * i * MINUTE for i in range(19)]
    (bare,) = gather_graphs(recorded(tmp_path, [{"metric": {}, "values": values[:3]}], step=60))
    assert bare.step == 60 and len(bare.series[0].points) == 3    # the result list alone; the step given


@pytest.mark.parametrize("answer, words", [
    ("{not json", "not a JSON query_range answer"),
    ({"status": "error", "error": "bad"}, "query failed: bad"),
    (matrix({"metric": {}, "values": [["x", "1"]]}), "not a matrix of numbers"),
    (matrix({"metric": {"a": 1}, "values": []}), "not a matrix of numbers"),
])
def test_a_broken_recorded_answer_is_an_input_error_naming_the_file(tmp_path, answer, words):
    from postmortem.core.errors import InputError
    with pytest.raises(InputError) as caught:
        gather_graphs(recorded(tmp_path, answer))
    assert caught.value.file == str(tmp_path / "answer.json") and words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_nan_values_survive_the_recorded_answer(tmp_path):
    t0 = int(T.timestamp()) + 1800
    (data,) = gather_graphs(recorded(tmp_path, matrix({"metric": {}, "values": [[t0, "NaN"], [t0 + 60, "+Inf"],
                                                                                  [t0 + 120, "1"]]})))
    values = [v for _, v in data.series[0].points]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == 1.0


# -- labels of the key moments ------------------------------------------------------------

def crossings(layout) -> list[tuple[str, str]]:
    """(line, label) pairs where a moment's line runs through another moment's label."""
    from postmortem.write.axes import label_width
    found = []
    for line in layout.moments:
        for label in layout.moments:
            width = label_width(label.label) + 8
            left = label.x - width if label.anchor == "end" else label.x
            if line is not label and left <= line.x <= left + width and line.label_y + 3 < label.label_y:
                found.append((line.label, label.label))
    return found


@pytest.mark.parametrize("minutes", [(35, 40, 42, 55, 70), (1, 2, 3, 4, 5), (0, 119), (60, 61, 118, 119),
                                     (10, 30, 50, 70, 90, 110)])
def test_no_moment_line_runs_through_another_label(minutes):
    events = [manual(m, f"moment {m}", tag) for m, tag in
              zip(minutes, ["outage-begins", "detection", "mitigation", "outage-ends", "resolved", "page"])]
    layout, _, _ = draw(graph(series([1] * 121)), events=events)
    assert len(layout.moments) == len(minutes) and crossings(layout) == []
    rows = {}
    for moment in layout.moments:
        rows.setdefault(moment.label_y, []).append(moment)
    for same_row in rows.values():                     # and no two labels on a row overlap
        widths = [len(m.label) * 6.3 + 8 for m in same_row]
        spans = sorted((m.x - w, m.x) if m.anchor == "end" else (m.x, m.x + w) for m, w in zip(same_row, widths))
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_a_hostile_title_stays_text_in_the_report(tmp_path):
    import mwparserfromhell
    from postmortem.write.render import render_report
    t0 = int(T.timestamp()) + 1800
    title = "Lag ]] [[Category:Hacked]] | {{Delete}} ''x''"
    (tmp_path / "answer.json").write_text(__import__("json").dumps(matrix({"metric": {}, "values": [[t0, "1"]]})))
    path = _incident_file(tmp_path, f'[[graph]]\ntitle = "{title}"\npath = "answer.json"\n'
                                    'grafana = "https://grafana.example/d/x?a=1&b=2"\n')
    records = gather(load_incident(path))
    wikitext, markdown = (render_report(records, fmt=fmt) for fmt in ("wikitext", "markdown"))
    assert "[[Category:" not in wikitext and "{{Delete}}" not in wikitext
    assert "![Lag \\]\\] \\[\\[Category:Hacked\\]\\] \\| " in markdown   # literal in Markdown too
    code = mwparserfromhell.parse(render_report(records))
    links = [str(link.title) for link in code.filter_wikilinks()]
    assert [link for link in links if link.startswith(("File:", "Category:"))] == \
        ["File:Incident rec lag-category-hacked-delete-x.svg"]
    assert not code.filter_templates(matches=lambda t: str(t.name).strip() == "Delete")


def test_two_pages_in_one_minute_are_one_label():
    """An alert of severity page at 14:42:00 and the page written for it at 14:42:10
    were two labels "page 14:42", one above the other (seen in the browser)."""
    second = Event(time=T + 42 * MINUTE + dt.timedelta(seconds=10), source="manual", text="paged", tags=("page",))
    _, _, root = draw(graph(series([1] * 121)), events=EVENTS + [second])
    labels = [el.text for el in by_class(root, "text", "moment-label")]
    assert labels.count("page 14:42") == 1 and len(by_class(root, "line", "moment")) == len(labels)
