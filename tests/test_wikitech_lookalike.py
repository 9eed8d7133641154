"""The test wiki looks like Wikitech to a report (tests/fixtures/wiki/README.md),
and the published sample renders there as on Wikitech: no red links from the
report's own markup, the metadata box with task/start/end/impact, every task a
link to Phabricator, the timeline graph shown.

Read through ``action=parse`` (https://www.mediawiki.org/wiki/API:Parsing_wikitext),
``prop=text|links|templates|iwlinks``.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from postmortem.incident.load import load_incident
from tests.mediawiki import FIXTURE, TEMPLATES, bot, bot_env, mediawiki  # noqa: F401  (fixtures)

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "2023-09-28-mw-page-content-change-enrich"
PHABRICATOR = "https://phabricator.wikimedia.org/"
TASK = re.compile(r"(?<![\w/#])T(\d+)\b")
# The sample, published with its graph under the default name, on a page of its own
# (Incidents/<id> itself is test_publish.py's).
SAMPLE_PAGE = "Incidents/2023-09-28 mw-page-content-change-enrich (Wikitech look)"


def parse(mw, title: str) -> dict:
    return mw.api(mw.session(), action="parse", page=title,
                  prop="text|links|templates|iwlinks|externallinks", disablelimitreport="1")["parse"]


def red_links(page_html: str) -> set[str]:
    """Titles of the links MediaWiki drew red (``class="new"``: no such page)."""
    found = set()
    for tag in re.findall(r"<a [^>]*>", page_html):
        if re.search(r'class="[^"]*\bnew\b', tag):
            title = re.search(r'title="([^"]*)"', tag)
            found.add(html.unescape(title.group(1)).removesuffix(" (page does not exist)") if title else tag)
    return found


def cells(table_html: str) -> str:
    """A table's text, one space between cells."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", table_html)).split())


class Tasks(HTMLParser):
    """Every ``T<number>`` in the visible text, with the link it sits in (or None)."""

    def __init__(self):
        super().__init__()
        self.links: list[str | None] = []
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            self.links.pop()

    def handle_data(self, data):
        for match in TASK.finditer(data):
            self.found.append((match.group(0), self.links[-1] if self.links else None))


def tasks_in(page_html: str) -> list[tuple[str, str | None]]:
    parser = Tasks()
    parser.feed(page_html)
    return parser.found


# -- the stand-ins themselves -----------------------------------------------------------------

def test_every_stand_in_is_on_the_wiki(mediawiki):  # noqa: F811
    names = sorted("Template:" + p.stem for p in TEMPLATES.glob("*.wiki")) + ["Incident Scorecard"]
    pages = mediawiki.api(mediawiki.session(), action="query", titles="|".join(names))["query"]["pages"]
    assert sorted(p["title"] for p in pages if not p.get("missing")) == sorted(names)


def test_the_stand_ins_render_like_wikitechs(bot_env, bot):
    title = "Incidents/2024-01-02 Example outage"
    bot.edit(title, (FIXTURE / "standins-example.wiki").read_text(encoding="utf-8"), "stand-in test")
    parsed = parse(bot_env, title)
    page = parsed["text"]
    assert red_links(page) == set() and all(link["exists"] for link in parsed["links"])
    used = {t["title"] for t in parsed["templates"]}
    assert all(t["exists"] for t in parsed["templates"]), parsed["templates"]
    assert {"Template:Irdoc", "Template:Irdoc-draft", "Template:Irdoc-review", "Template:Irdoc-final",
            "Template:Incident scorecard", "Template:PhabT", "Template:Phabricator", "Template:Done",
            "Template:SAL entry", "Template:Todo"} <= used
    assert "Template:!" not in used and "x|y" in page                # {{!}} is core's magic word
    iw = {(i["prefix"], i["title"]): i["url"] for i in parsed["iwlinks"]}
    assert iw[("phab", "phab:T123")] == PHABRICATOR + "T123"
    assert iw[("phabricator", "phabricator:T789")] == PHABRICATOR + "T789"
    assert f'<a href="{PHABRICATOR}T123" class="extiw"' in page
    assert f'href="{PHABRICATOR}T123">T123</a>' in page              # {{PhabT|123}}, the scorecard's task
    assert f'href="{PHABRICATOR}T456">T456</a>' in page              # {{Phabricator|456}}
    assert f'href="{PHABRICATOR}T789">the follow-up</a>' in page
    boxes = re.findall(r'<table class="wikitable incident-scorecard".*?</table>', page, re.S)
    assert len(boxes) == 2
    shown = cells(boxes[0])
    for label, value in (("Incident ID", "2024-01-02 Example outage"), ("Task", "T123"),
                         ("Start", "2024-01-02 03:04"), ("End", "2024-01-02 04:05"),
                         ("People paged", "0"), ("Responder count", "2"),
                         ("Coordinators", "Alice, Bob"), ("Affected metrics/SLOs", "Example SLO"),
                         ("Impact", "For 61 minutes, example requests failed.")):
        assert f"{label} {value}" in shown, label
    assert "Task End" in cells(boxes[1])                              # no task: an empty cell, no link
    for status in ("draft", "review", "final"):
        assert page.count(f"document status: <b>{status}</b>") == 2   # {{irdoc|status=…}} and {{irdoc-…}}
    assert "&#10004;</span> <b>Done</b>" in page and ">TODO</span> link the graphs" in page


def test_svg_uploads_are_drawn_and_served_as_png(bot_env, bot):
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
           b'<rect width="200" height="100" fill="#eef"/><polyline points="0,90 50,80 100,20 150,70 200,60" '
           b'fill="none" stroke="#c00" stroke-width="3"/></svg>')
    assert bot.upload_file("Stand-in test graph.svg", svg, comment="SVG test")["result"] == "Success"
    bot.edit("SVG test", "[[File:Stand-in test graph.svg|thumb|120px|Error rate]]", "SVG test")
    page = parse(bot_env, "SVG test")["text"]
    thumb = re.search(r'src="([^"]*120px-Stand-in_test_graph\.svg\.png)"', page)
    assert red_links(page) == set() and thumb, page
    response = requests.get(bot_env.api_url.rsplit("/", 1)[0] + html.unescape(thumb.group(1)), timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


# -- the published sample ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(mediawiki):  # noqa: F811
    """The sample published with its graph (default name); its action=parse answer."""
    from postmortem.cli import main
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POSTMORTEM_WIKI_USER", mediawiki.bot_user)
        env.setenv("POSTMORTEM_WIKI_PASSWORD", mediawiki.bot_password)
        code = main(["publish", str(SAMPLE / "incident.toml"), "--wiki", mediawiki.api_url,
                     "--page", SAMPLE_PAGE, "--graph"])
    assert code == 0
    return parse(mediawiki, SAMPLE_PAGE)


def author_links() -> set[str]:
    """The pages the sample's author links to (in incident.toml; pages of
    Wikitech that the test wiki does not have)."""
    incident = load_incident(SAMPLE / "incident.toml")
    return {m.group(1) for text in incident.links for m in re.finditer(r"\[\[([^|\]]+)", text)}


def test_no_red_link_from_the_reports_own_markup(published):
    assert author_links() == {"Event Platform/Stream Processing/Mw-page-content-change-enrich",
                              "Kafka/Administration"}
    assert red_links(published["text"]) == author_links()
    assert {link["title"] for link in published["links"] if not link["exists"]} == author_links()
    assert all(t["exists"] for t in published["templates"]), published["templates"]
    used = {t["title"] for t in published["templates"]}
    assert {"Template:Irdoc", "Template:Incident scorecard", "Template:PhabT", "Template:Done"} <= used
    assert "document status: <b>review</b>" in published["text"]
    assert "&#10004;</span> <b>Done</b>" in published["text"]


def test_the_metadata_box_shows_task_start_end_and_impact(published):
    incident = load_incident(SAMPLE / "incident.toml")
    box = re.search(r'<table class="wikitable incident-scorecard".*?</table>', published["text"], re.S)
    assert box, "no metadata box"
    shown = cells(box.group(0))
    assert f"Incident ID {SAMPLE_PAGE.split('/', 1)[1]} " in shown
    assert f"Task {incident.task} " in shown
    assert f'href="{PHABRICATOR}{incident.task}">{incident.task}</a>' in box.group(0)
    assert "Start 2023-09-28 14:33:00 " in shown and "End 2023-10-03 14:14:54 " in shown   # one precision
    assert "People paged 0 " in shown and "Responder count 4 " in shown and "Coordinators tchin " in shown
    assert "Affected metrics/SLOs No relevant SLOs exist " in shown
    assert f"Impact {incident.impact}" in shown


def test_the_graph_is_shown(published):
    name = "Incident_2023-09-28_mw-page-content-change-enrich_timeline.svg"
    assert f"File:{name}" in published["text"] and f"{name}.png" in published["text"]


def before_scorecard(page_html: str) -> str:
    return page_html[:page_html.index('id="Scorecard"')]


def test_every_task_outside_the_scorecard_links_to_phabricator(published):
    found = tasks_in(before_scorecard(published["text"]))
    assert len({task for task, _ in found}) >= 4
    assert [(task, href) for task, href in found if href != PHABRICATOR + task] == []


def test_every_task_in_the_scorecard_links_to_phabricator(published):
    found = tasks_in(published["text"][len(before_scorecard(published["text"])):])
    assert found and [(task, href) for task, href in found if href != PHABRICATOR + task] == []
