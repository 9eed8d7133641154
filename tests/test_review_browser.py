"""`postmortem review` in a real browser: Debian's Chromium driven by Playwright
(never a downloaded browser), against the page served for a copy of the sample.

The analyst's path of issue 27: pick three records as evidence of a Diagnosis
marker with a typed summary, mark the outage start, reload (the draft is kept
by the server), save; then `render` shows those lines in the Timeline with
their evidence links, and incident.toml keeps its comments."""

from __future__ import annotations

import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import SAMPLE

CHROMIUM = "/usr/bin/chromium"
SUMMARY = "Kafka ingestion, not Flink, suspected: app killed, alerts silenced until the reassignment ends"
# A line of chat that is markup in HTML and in wikitext: it must show as written.
HOSTILE = "<script>window.pwned = 1</script> '''bold''' [[Main Page]] {{Done}} <b>x</b>"


@pytest.fixture
def incident(tmp_path) -> Path:
    """A copy of the sample with Slack permalinks (a workspace) and a hostile IRC line."""
    folder = tmp_path / "incident"
    shutil.copytree(SAMPLE, folder)
    path = folder / "incident.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('channels = ["event-platform"]\n',
                                 'channels = ["event-platform"]\nworkspace = "wikimedia"\n', 1), encoding="utf-8")
    with (folder / "irc" / "2023-09-28.log").open("a", encoding="utf-8") as log:
        log.write(f"[19:30:00] <mallory> {HOSTILE}\n")
    return path


@pytest.fixture
def server(incident):
    from postmortem.review import make_server
    served = make_server(str(incident))
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    thread.join(5)


@pytest.fixture
def page(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(server.review_url)
        expect(page.locator("#transcript .rec").first).to_be_visible()
        yield page
        browser.close()


def pick(page, text: str) -> None:
    """Find the record by its text (folded chat included) and pick it."""
    page.fill("#f-text", text)
    page.locator("#transcript .rec", has_text=text).first.click()
    page.fill("#f-text", "")


def add_marker(page, kind: str, summary: str) -> None:
    page.select_option("#m-kind", kind)
    page.fill("#m-summary", summary)
    page.click("#add-marker")
    expect(page.locator("#status")).to_have_text(re.compile("draft kept"))


def test_a_narrative_built_in_the_browser_is_what_render_writes(page, incident, run_cli):
    original = incident.read_text(encoding="utf-8")
    pick(page, "I suspect something is wrong with checkpoints")
    pick(page, "I think this is related to Kafka ingestion")
    pick(page, "kill mw-page-content-change-enrich flink app")
    expect(page.locator("#picked")).to_have_text("3 picked")
    add_marker(page, "diagnosis", SUMMARY)
    pick(page, "MediawikiPageContentChangeEnrichJobManagerNotRunning firing")
    add_marker(page, "outage-begins", "The enrichment job stops; the alert mails data-engineering")

    page.reload()
    markers = page.locator("#markers .marker")
    expect(markers).to_have_count(2)
    expect(markers.nth(1).locator(".summary")).to_have_value(SUMMARY)
    expect(markers.nth(1).locator("ul li")).to_have_count(3)
    expect(page.locator("#report")).to_contain_text(SUMMARY)   # the preview has the narrative

    page.click("#save")
    expect(page.locator("#status")).to_have_text(re.compile("saved into"))

    saved = incident.read_text(encoding="utf-8")
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#") or " # " in line]
    assert comments and all(line in saved for line in comments)
    assert not incident.with_name("incident.review.json").exists()
    code, report, _ = run_cli("render", incident)
    assert code == 0
    line = next(line for line in report.splitlines() if SUMMARY in line)
    assert line.startswith("*2023-09-28 17:33 Kafka ingestion")   # at its first evidence; lines are to the minute
    assert line.count("[https://wikimedia.slack.com/archives/") == 2 and "IRC #wikimedia-analytics 17:58" in line
    begins = next(line for line in report.splitlines() if "The enrichment job stops" in line)
    assert "'''OUTAGE BEGINS'''" in begins and "alert 14:33]" in begins
    assert "I think this is related to Kafka ingestion" not in report   # shown as the marker's link only


def test_text_of_the_records_shows_literally(page):
    page.fill("#f-text", "pwned")
    row = page.locator("#transcript .rec", has_text="window.pwned")
    expect(row).to_have_count(1)
    assert HOSTILE in row.locator(".body").inner_text()
    assert page.evaluate("window.pwned") is None
    assert page.locator("#transcript b").count() == 0


def _status(url: str, headers=None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code


def test_requests_without_the_token_or_from_elsewhere_are_refused(server):
    url = server.review_url
    base = url.rsplit("/", 2)[0] + "/"
    assert _status(url + "api/state") == 200
    assert _status(base) == 403
    assert _status(base + "api/state") == 403
    assert _status(base + "wrong-token/api/state") == 403
    assert _status(url + "api/state", {"Origin": "http://evil.example"}) == 403
    assert _status(url + "api/state", {"Host": "evil.example"}) == 403
    assert _status(url + "api/state", {"Sec-Fetch-Site": "cross-site"}) == 403


def test_the_time_axis_zooms_and_takes_you_to_a_record_and_the_keyboard_picks(page):
    ticks = page.locator("#graph .tick").all_text_contents()
    page.click("#zoom-in")
    assert page.locator("#graph .tick").all_text_contents() != ticks
    page.click("#zoom-fit")
    page.locator("#graph circle.dot.alert").click()
    cursor = page.locator("#transcript .rec.cursor")
    expect(cursor).to_contain_text("MediawikiPageContentChangeEnrichJobManagerNotRunning")
    expect(cursor).to_be_in_viewport()
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#picked")).to_have_text("1 picked")
    expect(page.locator("#transcript .rec.picked")).to_contain_text("restart mw-page-content-change-enrich flink job in codfw")  # the next row shown: folded chat stays closed


def test_notes_and_questions_typed_in_the_page_reach_the_report(page, incident, run_cli):
    """What the page lets a person write is in the report `render` writes: a marker's
    notes under its Timeline line, a detection marker's in Detection, the questions in Conclusions."""
    pick(page, "kill mw-page-content-change-enrich flink app")
    add_marker(page, "mitigation", "The app is killed and its alerts silenced")
    pick(page, "MediawikiPageContentChangeEnrichJobManagerNotRunning firing")
    add_marker(page, "detection", "The alert mails data-engineering")
    for kind, note in (("mitigation", "silenced until the reassignment ends (T336044)"),
                       ("detection", "nobody was paged: the alert only mailed a team")):
        notes = page.locator(f"#markers .marker[data-kind={kind}]").get_by_label("notes")
        notes.fill(note)
        notes.blur()
        expect(page.locator("#report")).to_contain_text(note)   # kept, and in the preview
    page.get_by_label("Questions for the review meeting").fill("Should this job page someone?")
    page.get_by_label("Questions for the review meeting").blur()
    expect(page.locator("#report")).to_contain_text("Should this job page someone?")
    page.click("#save")
    expect(page.locator("#status")).to_have_text(re.compile("saved into"))

    code, report, _ = run_cli("render", incident)
    assert code == 0
    lines = report.splitlines()
    killed = next(i for i, line in enumerate(lines) if "The app is killed and its alerts silenced" in line)
    assert lines[killed + 1] == "**silenced until the reassignment ends ([[phab:T336044|T336044]])"
    detection = report[report.index("==Detection=="):report.index("==Conclusions")]
    assert "nobody was paged: the alert only mailed a team" in detection
    questions = report[report.index("===Questions for the review meeting==="):report.index("==Links")]
    assert "* Should this job page someone?" in questions


@pytest.fixture
def two_tabs(server):
    """Two tabs of one browser on the same review, both loaded before either changes anything."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        tabs = [context.new_page(), context.new_page()]
        for tab in tabs:
            tab.goto(server.review_url)
            expect(tab.locator("#transcript .rec").first).to_be_visible()
        yield tabs
        browser.close()


def test_a_second_tab_cannot_silently_overwrite_the_first(two_tabs, incident):
    """The first tab keeps a marker; the second, loaded before, adds its own: refused
    visibly, its text still on the page and offered to copy; nothing of the first lost."""
    first, second = two_tabs
    before = incident.read_text(encoding="utf-8")
    add_marker(first, "diagnosis", "The first tab's line")
    second.select_option("#m-kind", "repair")
    second.fill("#m-summary", "The second tab's line")
    second.click("#add-marker")
    expect(second.locator("#status")).to_have_text(re.compile("not kept: .*changed elsewhere.*reload"))
    expect(second.locator("#stale")).to_be_visible()
    expect(second.locator("#markers .marker .summary")).to_have_value("The second tab's line")
    second.locator("#markers .marker").get_by_label("notes").fill("a note typed after the refusal")
    second.locator("#markers .marker").get_by_label("notes").blur()
    expect(second.locator("#stale-copy")).to_have_value(re.compile("Repair: The second tab's line\n"
                                                                    "  notes: a note typed after the refusal"))
    expect(second.locator("#save")).to_be_disabled()
    kept = incident.with_name("incident.review.json").read_text(encoding="utf-8")
    assert "The first tab's line" in kept and "second tab" not in kept
    assert incident.read_text(encoding="utf-8") == before

    second.click("#reload")
    expect(second.locator("#markers .marker .summary")).to_have_value("The first tab's line")
    expect(second.locator("#stale")).to_be_hidden()
    add_marker(second, "repair", "The second tab's line, after reloading")
    first.click("#save")   # the first tab is behind now: its save is refused too
    expect(first.locator("#status")).to_have_text(re.compile("not saved: .*changed elsewhere"))
    assert incident.read_text(encoding="utf-8") == before
