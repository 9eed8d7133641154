"""The reader against a corpus of real Wikitech reports of every template era
(tests/fixtures/reports/corpus/, sources and licence in tests/fixtures/reports/README.md).

Each page has ``expected/<page>.json``: values read by hand from the page, with
notes on every judgement call (never taken from the reader's output). Texts
there are verbatim prefixes of what the page says, markup kept; the reader
keeps a timeline entry's wikitext but shows an actionable as a reader sees it
(task links as ``T123``, a link's label), so actionable texts are compared word
by word with the markup and task ids left out of both sides.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from postmortem.read.report import read_report_file

from tests.conftest import REFERENCE

CORPUS = REFERENCE / "corpus"
EXPECTED = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((CORPUS / "expected").glob("*.json"))}


def _page(slug: str) -> Path:
    (path,) = [p for p in CORPUS.iterdir() if p.suffix in (".wiki", ".txt") and p.stem == slug]
    return path


def _read(slug: str):
    return read_report_file(_page(slug), title=EXPECTED[slug]["title"])


def _moment(value: str | None) -> dt.datetime | None:
    """``2025-03-12T10:44Z`` or ``…:00Z`` as a datetime (the expected files omit zero seconds)."""
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _words(wikitext: str) -> list[str]:
    """The words a reader sees, without link targets, markup and task ids."""
    text = re.sub(r"\[\[[^|\]]*\|", " ", wikitext)              # [[target|label]] -> label
    text = re.sub(r"\[(?:https?:)?//\S+\s", " ", text)          # [url label] -> label
    text = re.sub(r"\{\{\s*(?:phab\w*|phabricator)\s*\|", " ", text, flags=re.I)
    words = re.findall(r"[^\s\[\]{}|'()]+", text)
    return [w for w in words if not re.fullmatch(r"(?:phab:)?T\d+[:,.]?|[-–—:]+", w)]


def test_every_page_has_its_expectations():
    pages = sorted(p.stem for p in CORPUS.iterdir() if p.suffix in (".wiki", ".txt"))
    assert pages == sorted(EXPECTED) and len(pages) == 81


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_status_window_and_sections(slug):
    report, expected = _read(slug), EXPECTED[slug]
    assert report.status == expected["status"]
    assert (report.start, report.end) == (_moment(expected["start"]), _moment(expected["end"]))
    if expected["windows"]:
        assert [list(w) for w in report.windows] == [[_moment(a), _moment(b)] for a, b in expected["windows"]]
    else:
        assert len(report.windows) <= 1
    assert report.section_titles == expected["sections"]


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_timeline(slug):
    entries, expected = _read(slug).timeline, EXPECTED[slug]
    if expected["timeline_count"] is not None:
        assert len(entries) == expected["timeline_count"]
    else:  # the copy is cut inside the timeline: what is visible comes first
        assert len(entries) >= len(expected["timeline"])
    for entry, want in zip(entries, expected["timeline"]):
        assert entry.time == _moment(want["time"]), (entry.line, entry.text)
        assert _one_line(entry.text).startswith(_one_line(want["text_starts"])), entry.line


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_actionables(slug):
    items, expected = _read(slug).actionables, EXPECTED[slug]["actionables"]
    assert len(items) == len(expected)
    for item, want in zip(items, expected):
        assert " ".join(_words(item.text)).startswith(" ".join(_words(want["text_starts"]))), item.text
        assert (list(item.tasks), item.done, item.owner) == (want["tasks"], want["done"], want["owner"])


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_scorecard(slug):
    card, expected = _read(slug).scorecard, EXPECTED[slug]["scorecard"]
    assert card.kind == expected["kind"]
    assert card.found == (expected["kind"] is not None)
    answers = {a.id: a.answer for a in card.answers}
    assert {qid: answers[qid] for qid in expected["answers"]} == expected["answers"]
    assert card.stated_total == expected["stated_total"]


def test_the_pages_are_the_copies_described():
    """The pages are kept as copied (README.md gives each file's SHA-256)."""
    import hashlib
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    for page in (_page(slug) for slug in EXPECTED):
        digest = hashlib.sha256(page.read_bytes()).hexdigest()
        assert f"{digest}  corpus/{page.name}" in readme, page.name
