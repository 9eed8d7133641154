"""The SVG timeline: valid SVG 1.1 MediaWiki accepts, bars/marks/outage where
the times say, readable axes from 30 minutes to 7 days, and it draws."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

from postmortem.write.axes import DISPLAY_WIDTH, MIN_TICK_SPACING
from postmortem.write.timeline_picture import DAY, HOUR, MINUTE, firing_intervals, graph_layout, render_graph, tick_step
from postmortem.write.wikitext import wiki_file_name
from postmortem.incident.load import load_incident, parse_incident
from postmortem.core.model import Event, utc
from postmortem.core.vocabulary import Alert
from postmortem.timeline.gather import gather
from postmortem.core.model import Records
from tests.conftest import SAMPLE
from tests.test_wikitext import HOSTILE

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def sample():
    incident = load_incident(SAMPLE / "incident.toml")
    events = list(gather(incident).events)
    svg = render_graph(Records(incident, events))
    return incident, events, svg, ET.fromstring(svg.encode("utf-8"))


def _by_class(root, tag, cls):
    return [el for el in root.iter(SVG + tag) if el.get("class") == cls]


def _f(el, name):
    return float(el.get(name))


def _title(el):
    title = el.find(SVG + "title")
    return title.text if title is not None else None


def _incident(start="2023-09-28 14:00", end="2023-09-28 16:00"):
    return parse_incident(f'[incident]\nid = "t"\nstart = "{start}"\nend = "{end}"\n', "incident.toml")


def _alert(time, name, state, fingerprint=None, **labels):
    return Event(time=time, source="alertmanager", text=f"{name} {state}", tags=("alert",),
                 alert=Alert(name, state, {"alertname": name, **labels}, fingerprint))


# -- the document ------------------------------------------------------------------

def test_sample_is_svg_11_with_explicit_size(sample):
    _, _, svg, root = sample
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert root.tag == SVG + "svg" and root.get("version") == "1.1"
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert width == DISPLAY_WIDTH and 150 < height < 1000


def test_nothing_mediawiki_refuses_for_upload(sample):
    """UploadBase::checkSvgScriptCallback refuses scripts, event handlers,
    foreignObject, external references and DOCTYPEs with entities."""
    _, _, svg, root = sample
    assert "<!DOCTYPE" not in svg and "<!ENTITY" not in svg and "<?xml-stylesheet" not in svg
    for el in root.iter():
        assert el.tag.startswith(SVG), el.tag
        assert el.tag[len(SVG):] not in ("script", "foreignObject", "style", "use", "image", "a",
                                         "set", "animate", "iframe")
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on") and "href" not in name, name
            assert "url(" not in value and "javascript" not in value.lower()


def test_committed_sample_graph_is_current(sample):
    """samples/…/timeline.svg (and timeline.png for the README) come from
    `postmortem render incident.toml --graph timeline.svg`; regenerate both on a
    deliberate change."""
    assert (SAMPLE / "timeline.svg").read_text(encoding="utf-8") == sample[2]


# -- positions follow the times ------------------------------------------------------

def test_one_bar_per_firing_interval_at_its_times(sample):
    incident, events, _, root = sample
    layout = graph_layout(incident, events)
    alerts = [e for e in events if "alert" in e.tags]
    assert len(alerts) == 1 and alerts[0].alert.state == "firing"  # never resolved in the sample
    bars = _by_class(root, "rect", "bar")
    assert len(bars) == 1
    start, end = alerts[0].time, layout.scale.end   # an unresolved alert runs to the end of the graph
    assert _f(bars[0], "x") == pytest.approx(layout.scale.x(start), abs=0.01)
    assert _f(bars[0], "width") == pytest.approx(layout.scale.x(end) - layout.scale.x(start), abs=0.01)
    assert "MediawikiPageContentChangeEnrichJobManagerNotRunning firing from 2023-09-28 14:33:12 UTC" \
        in _title(next(g for g in root.iter(SVG + "g") if g.get("class") == "alert"))


def test_one_mark_per_event_at_its_time(sample):
    incident, events, _, root = sample
    scale = graph_layout(incident, events).scale
    others = [e for e in events if "alert" not in e.tags]
    marks = _by_class(root, "circle", "mark")
    assert len(marks) == len(others) == 34
    for mark, event in zip(marks, others):
        assert _f(mark, "cx") == pytest.approx(scale.x(event.time), abs=0.01)
        assert event.text in _title(mark)


def test_outage_window_is_shaded(sample):
    incident, events, _, root = sample
    scale = graph_layout(incident, events).scale
    (outage,) = _by_class(root, "rect", "outage")
    begins, ends = utc(2023, 9, 28, 14, 33, 12), utc(2023, 10, 3, 14, 14, 54)
    assert _f(outage, "x") == pytest.approx(scale.x(begins), abs=0.01)
    assert _f(outage, "width") == pytest.approx(scale.x(ends) - scale.x(begins), abs=0.01)
    assert _title(outage) == "Outage: 4 d 23 h 41 min"


def test_key_moments_are_labelled(sample):
    root = sample[3]
    labels = [el.text for el in _by_class(root, "text", "moment-label")]
    assert labels == ["OUTAGE BEGINS · detection 2023-09-28 14:33", "mitigation 2023-09-28 17:58",
                      "OUTAGE ENDS · resolved 2023-10-03 14:14"]
    assert len(_by_class(root, "line", "moment")) == 3


def test_a_lane_per_source_named_as_the_report_names_it(sample):
    root = sample[3]
    assert [el.text for el in _by_class(root, "text", "lane-label")] == \
        ["Alerts", "SAL", "IRC #wikimedia-analytics", "Slack #event-platform", "Manual"]   # the SAL's lead-up first


def test_six_day_sample_has_daily_ticks(sample):
    root = sample[3]   # five days of incident and a day of lead-up
    assert [el.text for el in _by_class(root, "text", "tick")] == [
        "2023-09-28", "2023-09-29", "2023-09-30", "2023-10-01", "2023-10-02", "2023-10-03"]
    assert _by_class(root, "text", "tick-date") == []


def test_a_day_and_a_half_has_six_hour_ticks_with_dates():
    """Hours as ticks, the date under the first one and each midnight (at 14 px, twelve
    hour ticks a day would not fit in the picture's width)."""
    incident = dataclasses.replace(load_incident(SAMPLE / "incident.toml"), lead=dt.timedelta(minutes=30),
                                   end=utc(2023, 9, 29, 20))
    events = [e for e in gather(incident).events if e.time <= incident.end]
    root = ET.fromstring(render_graph(Records(incident, events)).encode("utf-8"))
    ticks = [el.text for el in _by_class(root, "text", "tick")]
    dates = [el.text for el in _by_class(root, "text", "tick-date")]
    assert set(ticks) == {"00:00", "06:00", "12:00", "18:00"} and 5 <= len(ticks) <= 8
    assert dates == ["2023-09-28", "2023-09-29"]


@pytest.mark.parametrize("span, step", [
    (30 * MINUTE, 5 * MINUTE), (2 * HOUR, 10 * MINUTE), (12 * HOUR, HOUR),
    (5 * DAY, 12 * HOUR), (7 * DAY, DAY), (60 * DAY, 7 * DAY)])
def test_tick_step_for_the_span(span, step):
    assert tick_step(span, 12.25 * MIN_TICK_SPACING) == step


def test_ticks_sit_on_round_times_at_their_x():
    incident = _incident("2023-09-28 14:07", "2023-09-28 14:21")   # shown as 30 minutes at least
    layout = graph_layout(incident, [])
    assert [t.label for t in layout.ticks] == ["14:10", "14:15", "14:20", "14:25", "14:30", "14:35"]
    for tick in layout.ticks:
        assert tick.time.minute % 5 == 0 and tick.x == layout.scale.x(tick.time)
    assert layout.ticks[0].date == "2023-09-28"


# -- alerts: pairing firing and resolved ---------------------------------------------

def test_firing_paired_with_its_resolution_by_name_and_fingerprint():
    t = utc(2023, 9, 28, 14)
    events = [
        _alert(t, "A", "firing"),
        _alert(t + 5 * MINUTE, "B", "firing", fingerprint="f1"),
        _alert(t + 6 * MINUTE, "B", "firing", fingerprint="f2"),
        _alert(t + 10 * MINUTE, "A", "firing"),                       # a repeat: extends nothing
        _alert(t + 20 * MINUTE, "B", "resolved", fingerprint="f2"),
        _alert(t + 30 * MINUTE, "A", "resolved"),
        _alert(t + 40 * MINUTE, "A", "firing"),                       # fires again, never resolves
    ]
    end = t + 2 * HOUR
    spans = [(i.name, i.key, i.start - t, i.end - t) for i in firing_intervals(events, t, end)]
    assert spans == [
        ("A", "A", dt.timedelta(0), 30 * MINUTE),
        ("B", "f1", 5 * MINUTE, 2 * HOUR),
        ("B", "f2", 6 * MINUTE, 20 * MINUTE),
        ("A", "A", 40 * MINUTE, 2 * HOUR),
    ]


def test_resolution_without_a_firing_starts_at_the_graph_start():
    t = utc(2023, 9, 28, 14)
    (interval,) = firing_intervals([_alert(t + HOUR, "A", "resolved")], t, t + 2 * HOUR)
    assert interval.start == t and interval.start_event is None


def test_bars_drawn_where_the_intervals_are():
    t = utc(2023, 9, 28, 14)
    events = [_alert(t + 10 * MINUTE, "A", "firing"), _alert(t + 25 * MINUTE, "B", "firing"),
              _alert(t + 50 * MINUTE, "A", "resolved"), _alert(t + 70 * MINUTE, "B", "resolved"),
              Event(time=t + 30 * MINUTE, source="irc", text="looking", actor="eve")]
    incident = _incident()
    layout = graph_layout(incident, events)
    root = ET.fromstring(render_graph(Records(incident, events)))
    bars = _by_class(root, "rect", "bar")
    expected = [(t + 10 * MINUTE, t + 50 * MINUTE), (t + 25 * MINUTE, t + 70 * MINUTE)]
    assert len(bars) == 2
    for bar, (start, end) in zip(bars, expected):
        assert _f(bar, "x") == pytest.approx(layout.scale.x(start), abs=0.01)
        assert _f(bar, "x") + _f(bar, "width") == pytest.approx(layout.scale.x(end), abs=0.02)
    assert _f(bars[0], "y") != _f(bars[1], "y")    # one row per alert in the lane
    assert len(_by_class(root, "circle", "mark")) == 1
    assert not _by_class(root, "rect", "outage")   # no OUTAGE BEGINS: nothing shaded


def test_outage_not_ended_runs_to_the_graph_end():
    t = utc(2023, 9, 28, 14)
    events = [Event(time=t + 15 * MINUTE, source="manual", text="down", tags=("outage-begins",))]
    incident = _incident()
    layout = graph_layout(incident, events)
    assert layout.outage.x + layout.outage.width == pytest.approx(layout.scale.right)


# -- hostile text ---------------------------------------------------------------------

def test_hostile_text_is_escaped_and_shown_exactly_in_titles():
    t = utc(2023, 9, 28, 14)
    texts = list(HOSTILE.values()) + ["quotes \" and ' and & < > ]]> <![CDATA[ x", "\ud800 lone \ufffe"]
    events = [Event(time=t + i * MINUTE, source="slack-export", text=text, actor="mal<lory>")
              for i, text in enumerate(texts)]
    svg = render_graph(Records(_incident(), events))
    root = ET.fromstring(svg.encode("utf-8", "surrogatepass"))
    titles = [_title(m) for m in _by_class(root, "circle", "mark")]
    assert len(titles) == len(texts)
    for title, text in zip(titles, texts):
        clean = "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 32 and ch not in "\ufffe\ud800"))
        assert title.endswith("(Slack) mal<lory>: " + clean.replace("\r", "\n"))
    assert "<script>" not in svg and not list(root.iter(SVG + "script"))


# -- it draws -------------------------------------------------------------------------

def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the inflated scanlines of a PNG (RFC 2083 / PNG spec §5, §11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def rsvg_pixels(svg: str, path) -> tuple[int, int, bytes]:
    """``svg`` written to ``path`` and drawn by rsvg-convert (librsvg, as MediaWiki
    renders SVG): the PNG's width, height and scanlines."""
    if shutil.which("rsvg-convert") is None:
        pytest.fail("rsvg-convert is missing: apt-get install librsvg2-bin (listed in .ci/apt-packages)")
    path.write_text(svg, encoding="utf-8")
    done = subprocess.run(["rsvg-convert", "--format", "png", str(path)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return _png_pixels(done.stdout)


def test_renders_to_png_with_rsvg(sample, tmp_path):
    width, height, pixels = rsvg_pixels(sample[2], tmp_path / "timeline.svg")
    root = sample[3]
    assert (width, height) == (int(root.get("width")), int(root.get("height")))
    assert len(pixels) >= height * (1 + width * 3)          # every scanline is there
    assert len(set(pixels[i:i + 4] for i in range(0, len(pixels), 4097))) > 10   # not a blank image


# -- embedding in the report and the CLI -------------------------------------------------

def test_render_graph_option_writes_svg_and_embeds_it(tmp_path, run_cli):
    out, graph = tmp_path / "report.wiki", tmp_path / "Enrich timeline.svg"
    code, _, stderr = run_cli("render", SAMPLE / "incident.toml", "-o", out, "--graph", graph)
    assert code == 0 and f"wrote {graph}" in stderr
    ET.parse(graph)
    report = out.read_text(encoding="utf-8")
    timeline = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    assert "\n[[File:Enrich timeline.svg|thumb|none|900px|Timeline of the incident (UTC)" in timeline
    without = (SAMPLE / "report.wiki").read_text(encoding="utf-8")
    assert [line for line in report.splitlines() if line not in without.splitlines()] == \
        [line for line in report.splitlines() if line.startswith("[[File:Enrich timeline.svg|")]


def test_embed_graph_names_the_wiki_file(run_cli):
    code, stdout, _ = run_cli("render", SAMPLE / "incident.toml", "--embed-graph", "Incident 2023-09-28.svg")
    assert code == 0 and "[[File:Incident 2023-09-28.svg|thumb|" in stdout


def test_bad_file_name_is_exit_2_and_nothing_written(tmp_path, run_cli):
    graph = tmp_path / "x]]{{evil}}.svg"
    code, stdout, stderr = run_cli("render", SAMPLE / "incident.toml", "--graph", graph, "-o", tmp_path / "r")
    assert code == 2 and stdout == "" and "not a usable wiki file name" in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a|b.svg", "[[x]].svg", "__NOTOC__.svg", "x.txt", "{{x}}.svg", "-"])
def test_wiki_file_name_refuses_markup(name):
    with pytest.raises(ValueError):
        wiki_file_name(name)
