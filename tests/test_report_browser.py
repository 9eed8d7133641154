"""The published report as a Wikitech reader sees it: the sample and an invented
incident with pages and two graphs (tests/fixtures/browser/gateway), published
to the test MediaWiki with Wikitech's stand-in templates (tests/mediawiki.py),
opened in Debian's Chromium driven by Playwright (never a downloaded browser),
and checked from the rendered page (issue 25):

- no red link of the report's making (the author's own links may be red: the
  test wiki does not have Wikitech's pages);
- every graph loaded and shown at least 800 px wide;
- the metadata box, the 15 answers and their total;
- no text with configuration syntax (``[incident]``, ``incident.toml``) and no
  word cut by "..." or "…";
- the pictures themselves: no two of their text boxes overlap, as Chromium lays
  them out with the fonts' metrics (``getBBox``).

Each run keeps a full-page screenshot per report in ``$POSTMORTEM_ARTIFACTS``
(else the test's temporary directory) to be looked at, and beside it what was
measured (the graphs' displayed widths).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from postmortem.incident.load import load_incident
from tests.conftest import SAMPLE
from tests.mediawiki import mediawiki  # noqa: F401  (fixture)

CHROMIUM = "/usr/bin/chromium"
GATEWAY = Path(__file__).resolve().parent / "fixtures" / "browser" / "gateway"
PAGES = {"sample": "Incidents/2023-09-28 mw-page-content-change-enrich (browser)",
         "gateway": "Incidents/2026-10-24 api-gateway 5xx"}
MIN_GRAPH_WIDTH = 800

# What the page shows, read in the browser: links drawn red, the graph images,
# the scorecard's answers and total, the text nodes of the article.
READ_PAGE = """() => {
  const body = document.querySelector('.mw-parser-output');
  const red = [...body.querySelectorAll('a.new')].map(a => a.getAttribute('title'));
  const graphs = [...body.querySelectorAll('img')].filter(i => /Incident_/.test(i.getAttribute('src')))
    .map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
                width: i.getBoundingClientRect().width, natural: i.naturalWidth}));
  const table = [...body.querySelectorAll('table.wikitable')].find(t => /Total score/.test(t.textContent));
  const rows = table ? [...table.querySelectorAll('tr')].slice(1) : [];
  const answers = rows.map(r => [...r.querySelectorAll('td')]).filter(c => c.length === 3)
    .map(c => c[1].textContent.trim());
  const total = rows.length ? rows[rows.length - 1].querySelectorAll('td')[0].textContent.trim() : null;
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) { texts.push(walker.currentNode.nodeValue); }
  const box = body.querySelector('table.incident-scorecard');
  const paragraphs = [...body.querySelectorAll('li, p, td')].map(e => parseFloat(getComputedStyle(e).fontSize));
  return {red, graphs, answers, total, texts, box: box ? box.innerText : null,
          bodyFont: Math.min(...paragraphs)};
}"""

# MediaWiki's thumbnails load lazily: load and decode them all before reading or
# taking the picture of the page.
LOAD_IMAGES = """async () => {
  const images = [...document.querySelectorAll('img')];
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.decode().catch(() => null)));
}"""

# Every text box of an SVG picture as laid out with its fonts (rotated ones too), in the picture's units.
TEXT_BOXES = """() => {
  const svg = document.querySelector('svg').getBoundingClientRect();
  return [...document.querySelectorAll('svg text')].map(t => {
    const b = t.getBoundingClientRect();
    return {text: t.textContent, x: b.x - svg.x, y: b.y - svg.y, w: b.width, h: b.height};
  });
}"""


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = os.environ.get("POSTMORTEM_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def publish(mw, incident: Path, title: str) -> None:
    from postmortem.cli import main
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POSTMORTEM_WIKI_USER", mw.bot_user)
        env.setenv("POSTMORTEM_WIKI_PASSWORD", mw.bot_password)
        assert main(["publish", str(incident), "--wiki", mw.api_url, "--page", title, "--graph"]) == 0


@pytest.fixture(scope="module")
def shown(mediawiki, browser, artifacts, tmp_path_factory):  # noqa: F811
    """Each report published, opened in Chromium at a laptop's width: what its page shows."""
    copy = tmp_path_factory.mktemp("gateway") / "gateway"
    shutil.copytree(GATEWAY, copy)
    incidents = {"sample": SAMPLE / "incident.toml", "gateway": copy / "incident.toml"}
    found = {}
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    for name, title in PAGES.items():
        publish(mediawiki, incidents[name], title)
        page.goto(mediawiki.api_url.rsplit("/", 1)[0] + "/index.php?title=" + title.replace(" ", "_"))
        page.wait_for_load_state("networkidle")
        page.evaluate(LOAD_IMAGES)
        page.screenshot(path=str(artifacts / f"report-{name}.png"), full_page=True)
        found[name] = page.evaluate(READ_PAGE)
        (artifacts / f"report-{name}.json").write_text(json.dumps(   # what was measured, beside the picture
            {"graphs": found[name]["graphs"], "answers": found[name]["answers"]}, indent=1), encoding="utf-8")
    page.close()
    return found, incidents


def author_links(incident: Path) -> set[str]:
    """The wiki pages the author links to in incident.toml (Wikitech's; not on the test wiki)."""
    loaded = load_incident(incident)
    fields = list(loaded.links) + [loaded.summary or "", loaded.detection or ""]
    return {m.group(1).strip() for text in fields for m in re.finditer(r"\[\[([^|\]]+)", text)}


@pytest.mark.parametrize("name", PAGES)
def test_no_red_link_of_the_reports_making(shown, name):
    pages, incidents = shown
    assert set(pages[name]["red"]) <= {f"{t} (page does not exist)" for t in author_links(incidents[name])}


@pytest.mark.parametrize("name, count", [("sample", 2), ("gateway", 3)])
def test_every_graph_is_loaded_and_shown_at_least_800_px_wide(shown, name, count):
    graphs = shown[0][name]["graphs"]
    assert len(graphs) == count, graphs   # the timeline graph and each [[graph]]
    for graph in graphs:
        assert graph["loaded"] and graph["width"] >= MIN_GRAPH_WIDTH, graph


@pytest.mark.parametrize("name", PAGES)
def test_metadata_box_fifteen_answers_and_their_total(shown, name):
    page = shown[0][name]
    assert page["box"] and "Incident ID" in page["box"] and "Impact" in page["box"]
    assert len(page["answers"]) == 15
    assert set(page["answers"]) <= {"Yes", "No", ""}
    assert page["total"] == str(page["answers"].count("Yes"))


@pytest.mark.parametrize("name", PAGES)
def test_no_configuration_syntax_and_no_word_cut(shown, name):
    texts = shown[0][name]["texts"]
    assert [t for t in texts if "[incident]" in t or "incident.toml" in t] == []
    assert [t for t in texts if re.search(r"\w(?:\.\.\.|…)", t)] == []


def test_the_timeline_is_a_list_people_could_have_written(shown):
    """The sample's Timeline: 25 lines (the seed, written by people, has 16), each
    to the minute, what was left out said on the line before it."""
    texts = "".join(shown[0]["sample"]["texts"])
    timeline = texts.split("All times in UTC.", 1)[1].split("Detection", 1)[0]
    lines = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?!:)", timeline)
    assert len(lines) == 25
    assert "more message" not in timeline and "(+3 messages)" in timeline
    assert "`" not in timeline and ":thinking_face:" not in timeline


# -- the pictures: no text over another ----------------------------------------------------

def pictures(tmp_path: Path) -> dict[str, str]:
    """The sample's committed pictures and the invented incident's, rendered here."""
    from postmortem.timeline.gather import gather
    from postmortem.write.metric_chart import render_charts
    from postmortem.write.timeline_picture import render_graph
    svgs = {"sample timeline": (SAMPLE / "timeline.svg").read_text(encoding="utf-8"),
            "sample chart": (SAMPLE / "report-kafka-consumer-lag.svg").read_text(encoding="utf-8")}
    copy = tmp_path / "gateway"
    shutil.copytree(GATEWAY, copy)
    records = gather(load_incident(copy / "incident.toml"))
    svgs["gateway timeline"] = render_graph(records)
    svgs.update({f"gateway {slug}": svg for slug, svg in render_charts(records).items()})
    return svgs


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["w"] and b["w"] and a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] \
                    and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                found.append((a["text"], b["text"]))
    return found


def test_no_two_texts_of_a_picture_overlap(browser, tmp_path):
    page = browser.new_page()
    for name, svg in pictures(tmp_path).items():
        page.set_content(svg.split("?>", 1)[1])
        boxes = page.evaluate(TEXT_BOXES)
        width = float(re.search(r'width="(\d+)"', svg).group(1))
        assert len(boxes) > 10, name
        assert overlaps(boxes) == [], name
        assert [b["text"] for b in boxes if b["x"] < 0 or b["x"] + b["w"] > width] == [], name
    page.close()
