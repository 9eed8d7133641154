"""Uploading the timeline graph to a real MediaWiki (tests/mediawiki.py): the
wiki accepts our SVG, a report embedding it shows the file, the wiki's own SVG
check refuses a script, and uploading the same file again changes nothing."""

from __future__ import annotations

import time

import pytest

from postmortem.write.axes import DISPLAY_WIDTH

from postmortem.core.errors import WikiError
from postmortem.write.timeline_picture import render_graph
from postmortem.incident.load import load_incident
from postmortem.write.render import render_report
from postmortem.timeline.gather import gather
from postmortem.net.mediawiki import Wiki
from postmortem.core.model import Records
from tests.conftest import SAMPLE
from tests.mediawiki import mediawiki  # noqa: F401  (the fixture)

# Not the sample's default graph name ("Incident <id> timeline.svg"): tests that
# publish the sample with --graph upload that one through the tool.
NAME = "Upload test 2023-09-28 mw-page-content-change-enrich timeline.svg"


@pytest.fixture(scope="module")
def sample():
    incident = load_incident(SAMPLE / "incident.toml")
    events = list(gather(incident).events)
    return incident, events, render_graph(Records(incident, events)).encode("utf-8")


@pytest.fixture
def wiki(mediawiki):  # noqa: F811
    client = Wiki(mediawiki.api_url)
    client.login(mediawiki.bot_user, mediawiki.bot_password)
    return client


def test_upload_the_graph_and_the_report_shows_it(wiki, mediawiki, sample):  # noqa: F811
    incident, events, svg = sample
    result = wiki.upload_file(NAME, svg, comment="postmortem: timeline graph",
                              text=f"Timeline of [[{incident.page_title}]].")
    assert result["result"] == "Success"
    info = result["imageinfo"]
    assert (info["width"], info["size"]) == (DISPLAY_WIDTH, len(svg)) and 200 < info["height"] < 600
    stored = mediawiki.api(mediawiki.session(), action="query", titles=f"File:{NAME}", prop="imageinfo",
                           iiprop="mime|size")["query"]["pages"][0]["imageinfo"][0]
    assert stored["mime"] == "image/svg+xml"

    report = render_report(Records(incident, events), graph=NAME)
    wiki.edit("Incidents/Graph upload test", report, "postmortem: report with graph", create_only=True)
    html = wiki.parse("Incidents/Graph upload test").html
    file_link = "File:" + NAME.replace(" ", "_")
    assert file_link in html and "<img" in html
    assert NAME.replace(" ", "_") + ".png" in html      # the thumbnail MediaWiki drew from our SVG


def test_same_file_again_is_unchanged_and_a_name_clash_is_refused(wiki, sample):
    svg = sample[2].replace(b"timeline (UTC)", b"timeline (UTC) v1")  # not a duplicate of the other test's
    wiki.upload_file("Again.svg", svg, comment="first")
    assert wiki.upload_file("Again.svg", svg, comment="same", replace=True)["result"] == "Unchanged"
    with pytest.raises(WikiError, match="duplicate"):
        wiki.upload_file("Copy of again.svg", svg, comment="a copy under another name")
    changed = svg.replace(b"(UTC) v1", b"(UTC) v2")
    with pytest.raises(WikiError) as caught:
        wiki.upload_file("Again.svg", changed, comment="no replace")
    assert caught.value.code == "uploadwarning" and "exists" in str(caught.value)
    # MediaWiki names the archived old version by the second (archive/…/YYYYMMDDHHMMSS!Again.svg):
    # a replacement in the same second as an earlier attempt fails with backend-fail-alreadyexists.
    time.sleep(1.1)
    assert wiki.upload_file("Again.svg", changed, comment="replace", replace=True)["result"] == "Success"


def test_the_wiki_refuses_an_svg_with_script(wiki):
    evil = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    with pytest.raises(WikiError) as caught:
        wiki.upload_file("Evil.svg", evil, comment="x")
    assert caught.value.code == "verification-error"
