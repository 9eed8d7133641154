"""The CLI: help and README examples for every command, exit codes, clean errors."""

import json
import re

import tomllib

import pytest

from postmortem.cli import build_parser
from tests.conftest import ROOT, SAMPLE, write_incident


def _commands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_an_example_in_the_reference(command, run_cli):
    with pytest.raises(SystemExit) as done:
        run_cli(command, "--help")
    assert done.value.code == 0
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")   # generated from the parser
    assert re.search(rf"^(postmortem|source <\(postmortem) {command}\b", reference, re.M), \
        f"docs/cli.md has no example of {command}"


def test_render_writes_the_report(tmp_path, run_cli):
    out = tmp_path / "report.wiki"
    code, stdout, stderr = run_cli("render", SAMPLE / "incident.toml", "-o", out)
    assert code == 0 and stdout == ""
    assert out.read_text(encoding="utf-8").startswith("{{irdoc|status=review}}")


def test_timeline_json_shape(run_cli):
    code, stdout, _ = run_cli("timeline", SAMPLE / "incident.toml", "--format", "json")
    assert code == 0
    events = json.loads(stdout)
    always = {"time", "source", "actor", "text", "url", "tags", "precision", "kind"}
    facts = {"alert", "page", "log", "place", "channel", "also_in"}   # where an event has them
    assert all(always <= set(e) <= always | facts for e in events)
    assert {e["kind"] for e in events} == {"log", "deploy", "chat", "alert", "manual"}
    [alert] = [e for e in events if e["kind"] == "alert"]
    assert alert["alert"]["name"] == "MediawikiPageContentChangeEnrichJobManagerNotRunning"
    assert alert["also_in"] == ["manual"]
    assert events[0]["time"] == "2023-09-27T16:40:00Z"   # the lead-up ([incident] lead = "24h")
    assert events[2]["time"] == "2023-09-28T14:33:12Z"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]) for e in events)
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)


def test_timeline_text_and_wikitext(run_cli):
    code, stdout, _ = run_cli("timeline", SAMPLE / "incident.toml")
    assert code == 0 and "--- 2023-10-02 (UTC) ---" in stdout
    code, stdout, _ = run_cli("timeline", SAMPLE / "incident.toml", "--format", "wikitext")
    assert code == 0 and stdout.startswith("*2023-09-27 16:40 (SAL) ottomata: ")
    # every event, chat nobody marked included (the report shows only the marked messages)
    assert stdout.count("\n") == 35 and "joal: +1, let's do that\n" in stdout and "more message" not in stdout


BAD_INPUTS = {
    "bad time": ('[incident]\nid = "x"\nstart = "2023-09-28 25:00"\n', r"incident\.toml:3: start: "),
    "unknown source": ('[incident]\nid = "x"\nstart = "2023-09-28 10:00"\n[[source]]\ntype = "fax"\n',
                       r"incident\.toml:5: type: unknown source type"),
    "bad zone": ('[incident]\nid = "x"\nstart = "2023-09-28 10:00"\n[[source]]\ntype = "irc"\npath = "*.log"\n'
                 'timezone = "Europe/Nowhere"\n', r"incident\.toml:7: timezone: "),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_incident_exit_2_one_line_nothing_written(tmp_path, run_cli, name):
    body, pattern = BAD_INPUTS[name]
    (tmp_path / "x.log").write_text("[10:00:00] <a> hi\n")
    path = write_incident(tmp_path, body)
    out = tmp_path / "report.wiki"
    code, stdout, stderr = run_cli("render", path, "-o", out)
    assert code == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert re.search(pattern, stderr), stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.toml", "x.log"]


def test_broken_source_file_exit_2_names_file_and_keeps_old_output(tmp_path, run_cli):
    slack = tmp_path / "slack"
    (slack / "ops").mkdir(parents=True)
    (slack / "users.json").write_text("[]")
    (slack / "channels.json").write_text('[{"id": "C1", "name": "ops"}]')
    # not a day file at all (a day file cut short is read up to the cut: tests/test_source_slack_export.py)
    (slack / "ops" / "2023-09-28.json").write_text('<html><body>Rate limited</body></html>')
    path = write_incident(tmp_path, '[[source]]\ntype = "slack-export"\npath = "slack"\n')
    out = tmp_path / "report.wiki"
    out.write_text("the previous report\n")
    code, _, stderr = run_cli("render", path, "-o", out)
    assert code == 2
    assert "2023-09-28.json" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert out.read_text() == "the previous report\n"


def test_debug_shows_the_traceback(tmp_path, run_cli):
    path = write_incident(tmp_path, '[incident]\nid = "x"\nstart = "nope"\n')
    from postmortem.core.errors import IncidentFileError
    with pytest.raises(IncidentFileError):
        run_cli("--debug", "render", path)


def test_init_writes_a_skeleton_that_renders_and_refuses_to_overwrite(tmp_path, run_cli):
    code, stdout, stderr = run_cli("init", tmp_path / "inc")
    assert code == 0 and stdout == "" and stderr.startswith(f"wrote {tmp_path / 'inc' / 'incident.toml'}: id ")
    code, stdout, _ = run_cli("render", tmp_path / "inc" / "incident.toml")
    assert code == 0 and "{{Incident scorecard" in stdout
    before = (tmp_path / "inc" / "incident.toml").read_text()
    code, _, stderr = run_cli("init", tmp_path / "inc")
    assert code == 2 and "already exists" in stderr
    assert (tmp_path / "inc" / "incident.toml").read_text() == before


def test_init_takes_the_date_and_name_from_a_dated_folder(tmp_path, run_cli):
    """Issue 24: `init incidents/2024-05-01-db-failover` wrote id "<today> new-incident"."""
    folder = tmp_path / "incidents" / "2024-05-01-db-failover"
    code, stdout, stderr = run_cli("init", folder)
    incident = tomllib.loads((folder / "incident.toml").read_text())["incident"]
    assert code == 0 and (incident["id"], incident["start"]) == ("2024-05-01 db-failover", "2024-05-01 00:00")
    assert stdout == "" and "id '2024-05-01 db-failover', start 2024-05-01 00:00 UTC" in stderr
    code, _, _ = run_cli("init", tmp_path / "2024-13-01-not-a-date", "--start", "2024-03-05 06:58")
    incident = tomllib.loads((tmp_path / "2024-13-01-not-a-date" / "incident.toml").read_text())["incident"]
    assert incident["start"] == "2024-03-05 06:58" and incident["id"].endswith(" new-incident")


def test_bare_postmortem_and_help_print_the_help(run_cli, capsys):
    for args in ((), ("help",)):
        with pytest.raises(SystemExit) as done:
            run_cli(*args)
        assert done.value.code == 0 and "usage: postmortem [-h]" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        run_cli("help", "pull")
    assert done.value.code == 0 and capsys.readouterr().out.startswith("usage: postmortem pull ")


def test_usage_error_is_exit_2(run_cli):
    with pytest.raises(SystemExit) as done:
        run_cli("render")
    assert done.value.code == 2


def test_outputs_get_the_umask_mode_not_a_temp_file_mode(tmp_path, run_cli):
    import os
    old = os.umask(0o022)
    try:
        out = tmp_path / "report.wiki"
        assert run_cli("render", SAMPLE / "incident.toml", "-o", out)[0] == 0
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o640)
        assert run_cli("render", SAMPLE / "incident.toml", "-o", out)[0] == 0
        assert out.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    finally:
        os.umask(old)


def test_unwritable_output_is_one_line_exit_2(tmp_path, run_cli):
    code, out, err = run_cli("render", SAMPLE / "incident.toml", "-o", tmp_path / "missing" / "r.wiki")
    assert code == 2 and out == ""
    assert err.startswith(f"postmortem: error: {tmp_path / 'missing' / 'r.wiki'}: cannot write: ")
    assert len(err.splitlines()) == 1 and not (tmp_path / "missing").exists()


def test_an_unexpected_failure_is_one_line_and_debug_shows_it(tmp_path, run_cli, monkeypatch):
    import postmortem.write.render
    monkeypatch.setattr(postmortem.write.render, "render_report", lambda *a, **k: 1 / 0)
    code, _, err = run_cli("render", SAMPLE / "incident.toml")
    assert code == 1 and len(err.splitlines()) == 1
    assert "internal error: ZeroDivisionError" in err and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        run_cli("--debug", "render", SAMPLE / "incident.toml")


def test_render_leaves_no_graph_when_the_report_cannot_be_written(tmp_path, run_cli):
    graph = tmp_path / "timeline.svg"
    code, _, err = run_cli("render", SAMPLE / "incident.toml", "-o", tmp_path / "missing" / "r.wiki",
                           "--graph", graph)
    assert code == 2 and "cannot write" in err
    assert not graph.exists()
