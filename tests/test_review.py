"""The narrative in incident.toml without the browser: markers read, references
that survive a re-pull, `render` and `check` with a narrative, saving with the
file's comments kept; the review server's refusals."""

from __future__ import annotations

import sys

import pytest

from conftest import write_incident
from postmortem.core.errors import IncidentFileError, InputError
from postmortem.core.evidence import evidence_ref
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather

LOG = """\
[14:05:00] <alice> the api is down, looking
[14:10:00] <bob> it is the new config, reverting
[14:20:00] <bob> !log revert the api config
[14:30:00] <alice> back up
"""
SOURCE = '\n[[source]]\ntype = "irc"\npath = "2023-09-28.log"\nchannel = "#ops"\nformat = "znc"\n'
HEAD = """# the incident, written by hand
[incident]
id = "2023-09-28 api"
start = "2023-09-28 14:00"   # when the first error showed
end = "2023-09-28 15:00"
"""


def refs_by_text(path) -> dict:
    return {e.text: evidence_ref(e) for e in gather(load_incident(path)).events}


def marker(kind: str, summary: str, refs, time: str = "2023-09-28 14:10") -> str:
    listed = ", ".join(f'"{r}"' for r in refs)
    return f'\n[[event]]\nkind = "{kind}"\ntime = "{time}"\nsummary = "{summary}"\nevidence = [{listed}]\n'


@pytest.fixture
def incident(tmp_path):
    (tmp_path / "2023-09-28.log").write_text(LOG, encoding="utf-8")
    return write_incident(tmp_path, HEAD + SOURCE)


def with_narrative(path, *markers: str, extra: str = "") -> None:
    path.write_text(path.read_text(encoding="utf-8") + "".join(markers) + extra, encoding="utf-8")


def test_a_marker_is_an_event_of_its_kind_and_a_key_moment_marks_its_moment(incident):
    refs = refs_by_text(incident)
    diagnosis = marker("diagnosis", "The new config broke the api", [refs["it is the new config, reverting"]])
    with_narrative(incident, diagnosis,
                   marker("outage-begins", "The api stops answering", [], "2023-09-28 14:05"))
    events = {e.text: e for e in load_incident(incident).events}
    diagnosis, begins = events["The new config broke the api"], events["The api stops answering"]
    assert diagnosis.marker.kind == "diagnosis" and diagnosis.tags == ()
    assert begins.tags == ("outage-begins",)


@pytest.mark.parametrize("entry, message", [
    ('kind = "hunch"\nsummary = "x"', "unknown kind 'hunch'"),
    ('summary = "x"', "summary is for a marker of the narrative"),
    ('kind = "repair"\ntext = "x"\nsummary = "y"', "give summary, not text"),
    ('kind = "repair"', "missing"),
    ('kind = "repair"\nsummary = "x"\nevidence = "irc:ops"', "expected a list of strings"),
])
def test_a_wrong_marker_is_one_error_naming_its_line(incident, entry, message):
    with_narrative(incident, f'\n[[event]]\ntime = "2023-09-28 14:10"\n{entry}\n')
    with pytest.raises(IncidentFileError, match=message) as caught:
        load_incident(incident)
    assert caught.value.line and caught.value.line > 8


def test_a_reference_finds_its_record_after_the_log_grew(incident):
    """A re-pull brings more lines, earlier ones too: the record's place changes, its reference does not."""
    before = refs_by_text(incident)
    (incident.parent / "2023-09-28.log").write_text("[14:01:00] <carol> hi\n" + LOG, encoding="utf-8")
    after = refs_by_text(incident)
    assert before["it is the new config, reverting"] == after["it is the new config, reverting"]


def test_check_reports_evidence_that_names_no_record_any_more(incident, run_cli):
    refs = refs_by_text(incident)
    with_narrative(incident, marker("diagnosis", "The new config broke the api",
                                    [refs["it is the new config, reverting"], refs["back up"]]))
    code, out, _ = run_cli("check", incident)
    assert code == 0 and "narrative: 1 marker, 2 records as evidence" in out
    (incident.parent / "2023-09-28.log").write_text(LOG.replace("back up", "back up again"), encoding="utf-8")
    code, out, _ = run_cli("check", incident)
    assert code == 1
    assert "1 evidence reference names no record" in out and refs["back up"] in out
    code, out, _ = run_cli("check", incident, "--format", "json")
    assert '"missing_evidence"' in out and refs["back up"] in out


@pytest.mark.parametrize("others, shown, folded", [
    ("fold", False, True), ("omit", False, False), ("curate", True, False)])
def test_records_no_marker_cites_are_folded_left_out_or_curated(incident, run_cli, others, shown, folded):
    refs = refs_by_text(incident)
    with_narrative(incident, marker("repair", "Bob reverts the config", [refs["it is the new config, reverting"]]),
                   extra=f'\n[report]\nchat = "all"\nothers = "{others}"\n')
    code, out, _ = run_cli("render", incident)
    assert code == 0
    line = next(line for line in out.splitlines() if "Bob reverts the config" in line)
    # the records folded are counted on the line before them (issue 25)
    assert line == "*14:10 Bob reverts the config (IRC #ops 14:10)" + (" ''(+2 messages)''" if folded else "")
    assert "it is the new config" not in out   # the evidence is the marker's link, not a line
    assert ("back up" in out) is shown
    assert ("messages)''" in out) is folded


def test_an_incident_without_markers_renders_as_before(sample_incident_path, run_cli):
    code, out, _ = run_cli("render", sample_incident_path)
    assert code == 0
    assert out == (sample_incident_path.parent / "report.wiki").read_text(encoding="utf-8")


# -- saving -----------------------------------------------------------------------------

def test_save_keeps_comments_and_other_events_and_refuses_a_marker_without_summary(incident):
    from postmortem.review.draft import Draft, DraftMarker, file_draft
    from postmortem.review.store import save_draft
    with_narrative(incident, '\n[[event]]\ntime = "2023-09-28 14:40"  # by hand\ntext = "status page updated"\n',
                   marker("repair", "old line", []), extra="\n# the end of the events\n[report]\nchat = \"all\"\n")
    refs = refs_by_text(incident)
    before = incident.read_text(encoding="utf-8")
    bad = Draft((DraftMarker("repair", "2023-09-28 14:10", ""),))
    with pytest.raises(InputError, match="has no summary"):
        save_draft(str(incident), bad)
    assert incident.read_text(encoding="utf-8") == before
    draft = Draft((DraftMarker("diagnosis", "2023-09-28 14:10", "Config \"v2\" broke it",
                               (refs["it is the new config, reverting"],), "see T123\nand more"),),
                  ("Why did the canary not catch it?",))
    text = save_draft(str(incident), draft)
    for line in ("# the incident, written by hand", "# when the first error showed", "# by hand",
                 "# the end of the events", 'text = "status page updated"'):
        assert line in text
    assert "old line" not in text
    assert text.index("# the end of the events") > text.index('kind = "diagnosis"')
    loaded = gather(load_incident(incident))
    assert file_draft(loaded) == draft
    assert loaded.incident.questions == ("Why did the canary not catch it?",)


def test_a_draft_the_page_sends_is_checked(incident):
    from postmortem.review.draft import draft_from_json
    with pytest.raises(InputError, match="unknown kind"):
        draft_from_json({"markers": [{"kind": "x", "time": "2023-09-28 14:10"}]})
    with pytest.raises(InputError, match="time"):
        draft_from_json({"markers": [{"kind": "repair", "time": "yesterday"}]})
    with pytest.raises(InputError, match="evidence"):
        draft_from_json({"markers": [{"kind": "repair", "time": "2023-09-28 14:10", "evidence": [1]}]})


# -- the server ---------------------------------------------------------------------------

def test_without_flask_review_says_how_to_get_it(incident, run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "flask", None)
    for name in [n for n in sys.modules if n.startswith("postmortem.review.server")]:
        monkeypatch.delitem(sys.modules, name)
    code, _, err = run_cli("review", incident, "--no-browser")
    assert code == 2
    assert err.strip() == ("postmortem: error: postmortem review needs the review extra: "
                           "pip install 'wikitech-postmortem[review]' (flask is missing)")


def test_the_api_takes_only_json_and_answers_with_a_strict_policy(incident):
    from postmortem.review.server import create_app
    app = create_app(str(incident), token="t0ken")
    client = app.test_client()
    assert client.put("/t0ken/api/draft", data="markers=1").status_code == 415
    answer = client.put("/t0ken/api/draft", json={"markers": [{"kind": "nope", "time": "2023-09-28 14:10"}]})
    assert answer.status_code == 400 and "unknown kind" in answer.get_json()["error"]
    page = client.get("/t0ken/")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/t0ken/static/../draft.py").status_code == 404
    assert client.get("/other/").status_code == 403


def test_a_marker_marks_other_key_moments_too_and_keeps_them_when_saved(incident, run_cli):
    """The outage ends when it is resolved: one marker, two moments, no second line."""
    from postmortem.review.draft import Draft, DraftMarker, file_draft
    from postmortem.review.store import save_draft
    refs = refs_by_text(incident)
    ends = DraftMarker("outage-ends", "2023-09-28 14:30", "The api answers again", (refs["back up"],),
                       tags=("resolved",))
    save_draft(str(incident), Draft((ends,)))
    assert 'tags = ["resolved"]' in incident.read_text(encoding="utf-8")
    records = gather(load_incident(incident))
    assert file_draft(records).markers == (ends,)
    code, out, _ = run_cli("scorecard", incident)
    assert "no event tagged resolved" not in out and "no event tagged outage-ends" not in out


def test_saving_lays_the_tables_out_as_a_person_would_and_twice_changes_nothing(tmp_path):
    from postmortem.review.draft import Draft, DraftMarker
    from postmortem.review.store import save_draft
    path = write_incident(tmp_path, '\n[scorecard]\nnot-a-repeat = "yes"\n')
    draft = Draft((DraftMarker("repair", "2023-09-28 15:00", "a"), DraftMarker("repair", "2023-09-28 16:00", "b")),
                  ("Why?",))
    first = save_draft(str(path), draft)
    assert '"yes"\n\n[[event]]' in first and 'evidence = []\n\n[[event]]' in first and "\n\n\n" not in first
    assert save_draft(str(path), draft) == first


# -- what the page writes reaches the report -------------------------------------------------

def _section(report: str, heading: str, next_heading: str) -> str:
    return report[report.index(heading):report.index(next_heading)]


@pytest.mark.parametrize("fmt, sub, detection, conclusions, questions", [
    ("wikitext", "**", "==Detection==", "==Conclusions", "===Questions for the review meeting==="),
    ("markdown", "  - ", "## Detection", "## Conclusions", "### Questions for the review meeting")])
def test_notes_and_questions_of_the_narrative_are_in_the_report(incident, run_cli, fmt, sub, detection,
                                                                  conclusions, questions):
    """A marker's notes under its Timeline line (a line each), a detection marker's in
    Detection; the questions for the review meeting in Conclusions."""
    from postmortem.review.draft import Draft, DraftMarker
    from postmortem.review.store import save_draft
    refs = refs_by_text(incident)
    draft = Draft((DraftMarker("detection", "2023-09-28 14:05", "Alice sees the api down", (refs["the api is down, looking"],),
                               "no alert fired: a person noticed"),
                   DraftMarker("repair", "2023-09-28 14:30", "Bob reverts the config", (refs["back up"],),
                               "the revert took 10 minutes\nsee T123")),
                  ("Why did the canary not catch it?",))
    save_draft(str(incident), draft)
    code, report, _ = run_cli("render", incident, "--format", fmt)
    assert code == 0
    lines = report.splitlines()
    repair = next(i for i, line in enumerate(lines) if "Bob reverts the config" in line)
    assert lines[repair + 1].startswith(sub) and "the revert took 10 minutes" in lines[repair + 1]
    assert lines[repair + 2].startswith(sub) and "T123" in lines[repair + 2]
    assert "no alert fired: a person noticed" in _section(report, detection, conclusions)
    assert "To fill in: how did we learn" not in report
    assert report.count("no alert fired") == 1
    asked = _section(report, questions, "Links to relevant documentation")
    assert "Why did the canary not catch it?" in asked and report.index(questions) > report.index(conclusions)


# -- two pages on one draft ------------------------------------------------------------------

def _page_draft(summary: str, revision: str) -> dict:
    return {"revision": revision, "questions": [],
            "markers": [{"kind": "repair", "time": "2023-09-28 14:20", "summary": summary, "evidence": []}]}


def test_a_change_made_on_an_older_draft_is_refused_and_changes_nothing(incident):
    """Two tabs load the draft; the first keeps a change; the second's change (and its
    save) was made on the draft before it: 409, and neither the draft nor the file changes."""
    from postmortem.review.draft import draft_path
    from postmortem.review.server import create_app
    client = create_app(str(incident), token="t").test_client()
    shown = client.get("/t/api/state").get_json()["revision"]
    first = client.put("/t/api/draft", json=_page_draft("first tab's line", shown))
    assert first.status_code == 200 and first.get_json()["revision"] != shown
    kept, before = draft_path(incident).read_text(encoding="utf-8"), incident.read_text(encoding="utf-8")
    for method, path in (("put", "/t/api/draft"), ("post", "/t/api/save")):
        answer = getattr(client, method)(path, json=_page_draft("second tab's line", shown))
        assert answer.status_code == 409, path
        assert "changed elsewhere" in answer.get_json()["error"] and "reload" in answer.get_json()["error"]
        assert answer.get_json()["revision"] == first.get_json()["revision"]
    assert draft_path(incident).read_text(encoding="utf-8") == kept
    assert incident.read_text(encoding="utf-8") == before
    assert client.get("/t/api/state").get_json()["draft"]["markers"][0]["summary"] == "first tab's line"
    unnamed = client.put("/t/api/draft", json={"markers": [], "questions": []})
    assert unnamed.status_code == 400 and "revision" in unnamed.get_json()["error"]


def test_a_page_shown_the_draft_before_a_save_or_a_restart(incident):
    """After a save the second tab is still behind (a counter starting again would let it
    overwrite the saved narrative); a restarted server knows the revision a page was shown."""
    from postmortem.review.server import create_app
    client = create_app(str(incident), token="t").test_client()
    shown = client.get("/t/api/state").get_json()["revision"]
    saved = client.post("/t/api/save", json=_page_draft("saved by the first tab", shown))
    assert saved.status_code == 200
    assert client.put("/t/api/draft", json=_page_draft("second tab", shown)).status_code == 409
    current = saved.get_json()["state"]["revision"]
    kept = client.put("/t/api/draft", json=_page_draft("first tab again", current)).get_json()["revision"]
    restarted = create_app(str(incident), token="t").test_client()
    assert restarted.get("/t/api/state").get_json()["revision"] == kept
    assert restarted.put("/t/api/draft", json=_page_draft("after the restart", kept)).status_code == 200
    assert "saved by the first tab" in incident.read_text(encoding="utf-8")


def test_a_save_the_file_refuses_keeps_the_draft_and_the_page_goes_on_from_it(incident):
    from postmortem.review.server import create_app
    client = create_app(str(incident), token="t").test_client()
    shown = client.get("/t/api/state").get_json()["revision"]
    refused = client.post("/t/api/save", json=_page_draft("", shown))
    assert refused.status_code == 400 and "has no summary" in refused.get_json()["error"]
    kept = refused.get_json()["kept"]
    assert kept != shown and client.get("/t/api/state").get_json()["revision"] == kept
    assert client.put("/t/api/draft", json=_page_draft("now with its line", kept)).status_code == 200
