"""The format cases kept as data (tests/fixtures/*/cases.toml) say what they expect:
a key nobody reads (a typo) or a case that expects nothing fails here, not by
passing unchecked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cases import FIXTURES, SCHEMAS, CasesError, broken_cases, load, parse

FILES = sorted(FIXTURES.rglob("cases.toml"))


def folder(path: Path) -> str:
    """``paging/pagerduty`` for tests/fixtures/paging/pagerduty/cases.toml."""
    return path.parent.relative_to(FIXTURES).as_posix()


@pytest.mark.parametrize("path", FILES, ids=[folder(path) for path in FILES])
def test_every_cases_file_holds_to_its_schema(path):
    document = load(folder(path))
    assert document and all(document.values()), "a cases file holds cases"


def test_every_schema_has_its_cases_file():
    assert set(SCHEMAS) == {folder(path) for path in FILES}


def problems_of(folder: str, text: str) -> str:
    with pytest.raises(CasesError) as caught:
        parse(folder, text, Path(f"tests/fixtures/{folder}/cases.toml"))
    return str(caught.value)


GOOD_SAL = '[[case]]\nid = "x"\nlines = ["== 2023-09-28 =="]\nevents = []\n'


def test_a_good_case_passes():
    assert parse("sal-wikitext", GOOD_SAL, Path("cases.toml"))["case"][0]["id"] == "x"


@pytest.mark.parametrize("text, says", [
    pytest.param(GOOD_SAL.replace("events", "evnets"), ["unknown key 'evnets'", "expects nothing"],
                 id="a-typo-in-the-expectation"),
    pytest.param(GOOD_SAL.replace("events = []", ""), ["(x): expects nothing (give one of: events skipped read)"],
                 id="no-expectation"),
    pytest.param(GOOD_SAL.replace('id = "x"\n', ""), ["[[case]] 1: no 'id'"], id="no-id"),
    pytest.param(GOOD_SAL + GOOD_SAL, ["id 'x' is given twice"], id="an-id-twice"),
    pytest.param(GOOD_SAL.replace("events = []", 'events = [{ time = 2023-09-28T10:00:00Z, actr = "a" }]'),
                 ["(x).events[0]: unknown key 'actr'"], id="a-typo-in-an-expected-event"),
    pytest.param(GOOD_SAL.replace("events = []", "events = [{ alert = { nmae = 'X' } }]"),
                 ["(x).events[0].alert: unknown key 'nmae'"], id="a-typo-in-an-expected-alert"),
    pytest.param(GOOD_SAL.replace("[[case]]", "[[cases]]"), ["unknown table [[cases]]"], id="a-table-nobody-reads"),
    pytest.param(GOOD_SAL.replace("events = []", "events = ["), ["cases.toml: "], id="not-toml"),
])
def test_a_case_that_could_pass_unchecked_is_refused(text, says):
    found = problems_of("sal-wikitext", text)
    assert all(part in found for part in says), found


def test_a_line_is_one_thing_in_irc_cases():
    text = ('[[case]]\nid = "x"\n[[case.file]]\nname = "a.log"\nprecision = "second"\n'
            'lines = [{ line = "[14:00:00] <a> b", time = 2023-09-28T14:00:00Z, drop = "join" }]\n')
    assert "(x).file[0].lines[0]: one of time drop skip, not drop, time" in problems_of("irc", text)


def test_a_folder_without_a_schema_is_refused():
    assert "no schema for 'nowhere'" in problems_of("nowhere", GOOD_SAL)


BROKEN_ANSWER = '[[broken]]\nid = "x"\nanswer = { body = "[]" }\nerror = "SourceFormatError"\nmessage = "m"\n'


def test_a_broken_answer_says_its_one_error():
    found = problems_of("slack", BROKEN_ANSWER.replace('message = "m"', 'message = "m"\nmatches = "m"'))
    assert "(x): one of message matches, not matches, message" in found
    assert "(x).answer: expects nothing" in problems_of("slack", BROKEN_ANSWER.replace('body = "[]"', 'bdy = "[]"'))


def test_a_broken_answers_error_class_is_one_postmortem_raises(monkeypatch):
    text = BROKEN_ANSWER.replace("SourceFormatError", "SourceFormatEror")
    monkeypatch.setattr("tests.cases.load", lambda folder: parse(folder, text, Path("cases.toml")))
    with pytest.raises(CasesError, match="no error 'SourceFormatEror' in postmortem.core.errors"):
        broken_cases("slack")
