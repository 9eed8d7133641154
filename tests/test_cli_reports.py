"""parse / lint / scorecard / stats through the CLI: files, stdin, and a real wiki."""

import io
import json

import pytest

from postmortem.incident.load import load_incident
from postmortem.write.render import render_report
from postmortem.timeline.gather import gather
from tests.conftest import SAMPLE, SEED, WIKITECH
from tests.mediawiki import mediawiki  # noqa: F401  (the session fixture)

SESSIONSTORE = WIKITECH / "sessionstore.wiki"


@pytest.fixture(scope="module")
def rendered_sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("rendered") / "report.wiki"
    path.write_text(render_report(gather(load_incident(SAMPLE / "incident.toml"))), encoding="utf-8")
    return path


def test_lint_seed_reports_placeholders_and_exits_1(run_cli):
    code, out, err = run_cli("lint", SEED)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert f"{SEED}:40: placeholder: template text left in: *00:15 (post-outage cleanup finished)" in lines
    assert any(line.startswith(f"{SEED}:42: placeholder:") and "TODO" in line for line in lines)
    assert sum(1 for line in lines if "placeholder" in line and "OPTIONAL:" in line) == 4


def test_lint_rendered_sample_exits_0(run_cli, rendered_sample):
    assert run_cli("lint", rendered_sample) == (0, "", "")


def test_parse_from_stdin_with_title(run_cli, monkeypatch):
    text = "==Timeline==\n*14:33 alert fires — '''OUTAGE BEGINS'''\n*00:10 after midnight\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = run_cli("parse", "-", "--title", "Incidents/2023-09-28 enrich")
    assert code == 0
    data = json.loads(out)
    assert [e["time"] for e in data["timeline"]] == ["2023-09-28T14:33:00Z", "2023-09-29T00:10:00Z"]


def test_scorecard_of_a_report_and_of_an_incident(run_cli):
    code, out, err = run_cli("report-scorecard", SESSIONSTORE, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["score"] == 10 and data["stated_total"] == 10 and err == ""
    # the spelling from before report-scorecard: the same answer, and a warning
    assert run_cli("scorecard", SESSIONSTORE, "--format", "json") == (
        0, out, "postmortem: warning: `scorecard REPORT` is deprecated: use `postmortem report-scorecard`\n")
    assert [a["answer"] for a in data["answers"]][:5] == ["no", "yes", "no", "no", "no"]
    code, out, _ = run_cli("scorecard", SAMPLE / "incident.toml", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [a["id"] for a in data["answers"]][0] == "people-different"
    assert data["score"] == sum(1 for a in data["answers"] if a["answer"] == "yes")


def test_stats_rows_and_an_unreadable_report_is_a_row(run_cli, tmp_path):
    broken = tmp_path / "broken.wiki"
    broken.write_bytes(b"\x00\x01\xff binary")
    code, out, _ = run_cli("stats", SESSIONSTORE, broken, "--format", "json")
    assert code == 0
    rows = json.loads(out)["reports"]
    assert rows[0]["duration_minutes"] == 38 and rows[0]["error"] is None
    assert rows[1]["file"] == str(broken) and rows[1]["error"]
    code, out, err = run_cli("stats", broken, "--format", "json")   # nothing counted: a failure
    assert code == 1 and json.loads(out)["reports"][0]["error"] and "no report could be read from the 1 file given" in err


def test_missing_report_file_is_exit_2(run_cli, tmp_path):
    code, out, err = run_cli("lint", tmp_path / "nope.wiki")
    assert code == 2 and "nope.wiki" in err and len(err.splitlines()) == 1


def test_reports_read_from_a_real_wiki(run_cli, mediawiki):  # noqa: F811
    session = mediawiki.session(mediawiki.human, mediawiki.human_password)
    for title, path in (("Incidents/2025-03-31 sessionstore", SESSIONSTORE),
                        ("Incidents/2023-09-28 seed", SEED)):
        token = mediawiki.api(session, action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        mediawiki.api(session, post=True, action="edit", title=title, text=path.read_text(encoding="utf-8"),
                      token=token, summary="reference report")
    code, out, _ = run_cli("parse", "--wiki", mediawiki.api_url, "--page", "Incidents/2025-03-31 sessionstore")
    assert code == 0 and json.loads(out)["metadata"]["task"] == "T390513"
    code, out, _ = run_cli("lint", "--wiki", mediawiki.api_url, "--page", "Incidents/2023-09-28 seed")
    assert code == 1 and "Incidents/2023-09-28 seed:40: placeholder" in out
    code, out, _ = run_cli("stats", "--wiki", mediawiki.api_url, "--prefix", "Incidents/2025-03-31 ",
                           "--format", "json")
    rows = json.loads(out)["reports"]
    assert [r["title"] for r in rows] == ["Incidents/2025-03-31 sessionstore"] and rows[0]["score"] == 10
    code, _, err = run_cli("parse", "--wiki", mediawiki.api_url, "--page", "Incidents/None such")
    assert code != 0 and "None such" in err
