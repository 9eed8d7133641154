"""Every record accounted for (issue 11): `check` on real formats, a stale cache,
a source whose pull failed, the window's margins."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from postmortem.core.model import utc
from tests.conftest import SAMPLE, write_incident
from tests.services import FakeServer, broken_app, sal_app, sal_entries

IRC_ZNC = [
    "[13:50:00] <tchin> before the window",          # read, outside the window
    "[14:30:00] *** Joins: joal (~joal@host)",        # dropped: a status line
    "[14:31:00] <tchin> the job is down",             # an event
    "[14:32:00] <stashbot> Logged the message",       # dropped: an ignored nick
    "[14:33:00] * joal looks",                        # an event (an action)
]
SAL_PAGE = "\n".join(["== 2023-09-28 ==", "* 14:40 joal: restart the job",
                      "* joal forgot the time here", "* 14:35 tchin: depool db1"]) + "\n"


def hand_written(tmp_path, *, extra_sources="", bad_irc=False) -> str:
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "2023-09-28.log").write_text("\n".join(IRC_ZNC) + "\n", encoding="utf-8")
    (tmp_path / "sal.wiki").write_text(SAL_PAGE, encoding="utf-8")
    if bad_irc:
        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "2023-09-28.log").write_text("minutes of the meeting\nno IRC here\n", encoding="utf-8")
        extra_sources += '[[source]]\ntype = "irc"\npath = "bad/*.log"\n'
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "x"\nstart = "2023-09-28 14:30"\nend = "2023-09-28 15:00"\nlead = "10m"\n'
                    '[[source]]\ntype = "irc"\npath = "irc/*.log"\n'
                    '[[source]]\ntype = "sal-wikitext"\npath = "sal.wiki"\n' + extra_sources, encoding="utf-8")
    return str(path)


def test_check_accounts_for_every_line_of_hand_written_records(tmp_path, run_cli):
    code, out, err = run_cli("check", hand_written(tmp_path), "--format", "json")
    report = json.loads(out)
    irc, sal = report["sources"]
    assert (irc["index"], irc["type"], irc["read"], irc["in_window"]) == (0, "irc", 5, 2)
    assert [(d["line"], d["reason"].split(" (")[0]) for d in irc["dropped"]] == [
        (2, "IRC status line"), (4, "a line by stashbot")]
    assert irc["skipped"] == [] and irc["dropped"][0]["file"].endswith("irc/2023-09-28.log")
    assert (sal["read"], sal["in_window"]) == (3, 2)
    assert [(s["line"], s["file"].endswith("sal.wiki")) for s in sal["skipped"]] == [(3, True)]
    assert report["problems"] == [] and code == 1  # something was skipped


def test_check_text_output_and_exit_0_when_everything_is_read(tmp_path, run_cli):
    code, out, _ = run_cli("check", SAMPLE / "incident.toml")
    assert code == 0
    # 21 messages: a join and two "pinned a message" lines dropped, 16 in the window, one the
    # day before the lead-up and one the day after the trail outside it
    assert out.splitlines()[0] == "source[0] (slack-export): 21 records read, 16 in the window, 2 outside it"
    assert "source[1] (irc): 14 records read, 7 in the window" in out.splitlines()
    assert "findings" not in out  # nothing secret or personal in the sample
    assert "dropped 7: a line by stashbot (in ignore_nicks) (5); IRC status line" in out
    # 34 records in the window + 7 [[event]]s, 6 of them the same fact seen twice: the timeline's 35
    assert out.splitlines()[-2] == ("timeline: 35 events from 34 records in the window and 7 [[event]]s; 6 merged "
                                    "into another, the same fact seen twice (alert-email + manual 1, irc + sal-wikitext 5)")
    # ottomata's SAL entries say otto (his shell name; otto@deploy1002 is otto): his alias links them
    assert out.splitlines()[-1] == "people: 1 name not in [people]: btullis (sal-wikitext)"
    code, out, _ = run_cli("timeline", SAMPLE / "incident.toml", "--format", "json")
    assert len(json.loads(out)) == 35


def test_check_goes_on_after_a_source_it_cannot_read_and_exits_2(tmp_path, run_cli):
    code, out, _ = run_cli("check", hand_written(tmp_path, bad_irc=True), "--format", "json")
    report = json.loads(out)
    assert code == 2 and len(report["sources"]) == 3 and report["sources"][1]["read"] == 3
    problem, = report["problems"]  # no line of it is IRC: the file cannot be read at all
    assert problem["file"].endswith("bad/2023-09-28.log") and problem["line"] == 1
    assert problem["message"].startswith("not an IRC log in a known format")


def test_check_of_an_incident_file_that_does_not_load(tmp_path, run_cli):
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "x"\n', encoding="utf-8")
    code, out, _ = run_cli("check", path, "--format", "json")
    assert code == 2 and json.loads(out) == {"sources": [], "findings": [], "problems": [
        {"file": str(path), "line": 1, "message": '[incident]: missing "start" (required)'}]}


def test_lead_and_trail_set_the_window(tmp_path, run_cli):
    path = hand_written(tmp_path)
    _, out, _ = run_cli("timeline", path, "--format", "json")
    assert "before the window" not in out  # 13:50 is 40 minutes before the start
    text = open(path, encoding="utf-8").read().replace('lead = "10m"', 'lead = "1h"\ntrail = "0m"')
    open(path, "w", encoding="utf-8").write(text)
    _, out, _ = run_cli("timeline", path, "--format", "json")
    assert [e["text"] for e in json.loads(out)][:1] == ["before the window"]


# -- network sources: the cache and its window, a failed pull -------------------

def sal_incident(tmp_path, url: str, start="2023-09-28 14:00", extra="") -> str:
    path = tmp_path / "incident.toml"
    path.write_text(f'[incident]\nid = "x"\nstart = "{start}"\nend = "2023-09-28 15:00"\n'
                    f'[[source]]\ntype = "sal"\nurl = "{url}"\n{extra}', encoding="utf-8")
    return str(path)


@pytest.fixture
def sal_server():
    entries = sal_entries(utc(2023, 9, 26), count=80, every=dt.timedelta(hours=1))
    with FakeServer(sal_app(entries)) as server:
        yield server


def test_moving_start_earlier_after_a_pull_stops_until_pulled_again(tmp_path, run_cli, sal_server):
    """The old cache was used silently for the old window."""
    path = sal_incident(tmp_path, sal_server.url)
    assert run_cli("pull", path)[0] == 0
    assert run_cli("render", path)[0] == 0
    sal_incident(tmp_path, sal_server.url, start="2023-09-26 14:00")
    code, out, err = run_cli("render", path)
    assert code == 2 and out == ""
    assert "source[0] (sal) was pulled for 2023-09-28T13:30:00Z to 2023-09-28T15:30:00Z, but the incident " \
           "now needs 2023-09-26T13:30:00Z to 2023-09-28T15:30:00Z: run `postmortem pull`" in err
    assert run_cli("pull", path)[0] == 0
    code, out, _ = run_cli("timeline", path, "--format", "json")
    assert code == 0 and json.loads(out)[0]["time"] == "2023-09-26T14:00:00Z"


def test_changed_source_settings_are_named(tmp_path, run_cli, sal_server):
    path = sal_incident(tmp_path, sal_server.url)
    run_cli("pull", path)
    sal_incident(tmp_path, sal_server.url, extra='project = "tools"\n')
    code, _, err = run_cli("timeline", path)
    assert code == 2 and "the settings of source[0] (sal) changed since the last pull" in err


def test_a_source_whose_pull_failed_is_missing_not_blocking(tmp_path, run_cli, sal_server):
    with FakeServer(broken_app("500")) as down:
        path = sal_incident(tmp_path, sal_server.url,
                            extra=f'[[source]]\ntype = "statuspage"\nurl = "{down.url}"\n')
        code, out, err = run_cli("pull", path)
    assert code == 1
    failed = [line for line in err.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and failed[0].endswith("HTTP 500 Internal Server Error: Internal Server Error")
    code, out, err = run_cli("timeline", path, "--format", "json")
    assert code == 0 and len(json.loads(out)) > 0
    warning, = err.splitlines()
    assert warning.startswith("postmortem: warning: source[1] (statuspage) is missing from the timeline: "
                              "the last pull could not read it (")
    _, report, _ = run_cli("render", path)
    timeline = report.split("==Timeline==")[1].split("==Detection==")[0]
    assert "''status page at 127.0.0.1:" in timeline
    assert " could not be read (HTTP 500 Internal Server Error: Internal Server Error), so its records are missing " \
        in timeline
    code, out, _ = run_cli("check", path)
    assert code == 1 and "source[1] (statuspage): 0 records read, 0 in the window; NOT READ: " in out


def test_pull_with_only_file_sources_says_so(run_cli, tmp_path):
    code, out, err = run_cli("pull", SAMPLE / "incident.toml")   # its [[graph]] is a recorded answer
    assert code == 0 and out == "" and err.startswith("nothing to pull: every [[source]] and [[graph]] of this incident is a file")
    (tmp_path / "ops.log").write_text("[14:05:00] <eve> looking\n", encoding="utf-8")
    path = write_incident(tmp_path, '[[source]]\ntype = "irc"\npath = "*.log"\n')
    code, out, err = run_cli("pull", path)
    assert code == 0 and err.startswith("nothing to pull: every [[source]] of this incident is a file")


def test_checks_timeline_line_counts_what_redact_leaves_as_the_timeline_does(tmp_path, run_cli):
    path = hand_written(tmp_path)
    with open(path, "a", encoding="utf-8") as f:
        f.write('[[event]]\ntime = "2023-09-28 14:45"\ntext = "private: call the vendor"\n'
                '[[event]]\ntime = "2023-09-28 14:50"\ntext = "rollback done"\n'
                '[redact]\ndrop = ["^private:"]\n')
    code, out, _ = run_cli("check", path, "--format", "json")
    timeline = json.loads(out)["timeline"]
    code, out, _ = run_cli("timeline", path, "--format", "json")
    assert timeline["manual_events"] == 1 and timeline["events"] == len(json.loads(out))


# -- issue 21: one record not understood is skipped, the rest read; render warns --------------

def sample_with_a_truncated_irc_line(tmp_path):
    """The sample, its IRC log cut mid-write (`[02:2`) and a note among its alert mails."""
    import shutil
    folder = tmp_path / "incident"
    shutil.copytree(SAMPLE, folder)
    log = folder / "irc" / "2023-09-28.log"
    text = log.read_text(encoding="utf-8")
    assert text.endswith("\n")
    log.write_text(text + "[02:2", encoding="utf-8")
    (folder / "alerts" / "notes.eml").write_text("Ask joal about the Flink restart.\n", encoding="utf-8")
    return folder / "incident.toml", f"{log}:{text.count(chr(10)) + 1}", folder / "alerts" / "notes.eml"


def test_a_truncated_irc_line_and_a_note_among_the_mails_render_with_one_warning(tmp_path, run_cli):
    """Defect 12: the IRC source became '0 records read' and `render` exited 2."""
    path, truncated, note = sample_with_a_truncated_irc_line(tmp_path)
    code, out, err = run_cli("render", path, "-o", tmp_path / "report.wiki")
    assert code == 0
    warnings = [line for line in err.splitlines() if "warning:" in line]
    assert warnings == [f"postmortem: warning: 2 records skipped as not understood (source[1] (irc) 1, "
                        f"source[3] (alert-email) 1), the first at {truncated}: line not in the znc format: "
                        f"'[02:2'; the rest was read, `postmortem check` lists them all"]
    code, out, _ = run_cli("render", SAMPLE / "incident.toml")
    assert code == 0 and (tmp_path / "report.wiki").read_text(encoding="utf-8") == out  # nothing else lost


def test_check_names_the_truncated_line_and_exits_1(tmp_path, run_cli):
    path, truncated, note = sample_with_a_truncated_irc_line(tmp_path)
    code, out, _ = run_cli("check", path)
    assert code == 1
    assert "source[1] (irc): 15 records read, 7 in the window" in out.splitlines()  # the sample's 14 and the cut one
    assert f"  skipped {truncated}: line not in the znc format: '[02:2'" in out.splitlines()
    assert f"  skipped {note}: no alert found (expected Labels/Annotations blocks or 'alertname = …' lines): " \
           f"not an Alertmanager mail" in out.splitlines()
    assert "problem" not in out


def test_every_sources_records_read_are_in_the_window_outside_it_dropped_or_skipped(tmp_path, run_cli):
    """`check`'s arithmetic, with a [redact] drop (its record was counted in the window and as dropped)."""
    path = hand_written(tmp_path)
    text = open(path, encoding="utf-8").read().replace("[[source]]", '[redact]\ndrop = ["the job is down"]\n[[source]]', 1)
    open(path, "w", encoding="utf-8").write(text)
    code, out, _ = run_cli("check", path, "--format", "json")
    irc, sal = json.loads(out)["sources"]
    assert (irc["read"], irc["in_window"], irc["outside"], len(irc["dropped"]), len(irc["skipped"])) == (5, 1, 1, 3, 0)
    assert (sal["read"], sal["in_window"], sal["outside"], len(sal["dropped"]), len(sal["skipped"])) == (3, 2, 0, 0, 1)
    _, text_out, _ = run_cli("check", path)
    assert text_out.splitlines()[0] == "source[0] (irc): 5 records read, 1 in the window, 1 outside it"


def test_check_says_input_errors_on_the_error_path(tmp_path, run_cli):
    """Issue 24: `check` printed input errors on stdout as `problem:`."""
    code, out, err = run_cli("check", hand_written(tmp_path, bad_irc=True))
    assert code == 2 and "problem:" not in out and "source[2] (irc): 0 records read" in out
    error, = err.splitlines()
    assert error.startswith("postmortem: error: ") and "bad/2023-09-28.log:1: not an IRC log in a known format" in error


def test_a_missing_source_is_one_readable_sentence_in_the_report():
    """The report printed a repr with its parenthesis open ("cannot connect (4 attempts):
    NewConnectionError(\"HTTPConnection(host='127.0.0.1', …"), and "source source[4]
    (pagerduty): no secret: …" without a token; the errors are those pull keeps
    (test_http.py::test_connection_refused_is_a_source_error makes the first)."""
    from postmortem.core.errors import InputError
    from postmortem.core.model import Incident, MissingSource, Records, utc
    from postmortem.write.render import render_report
    no_token = InputError("no secret: set the environment variable PD_TOKEN or add it to ~/.config/x",
                          source="source[1] (pagerduty)")
    assert str(no_token).startswith("source[1] (pagerduty): no secret")
    missing = (MissingSource("source[0] (pagerduty)", "http://127.0.0.1:40099/incidents: refused the connection "
                             "(4 attempts)", "pagerduty"),
               MissingSource("source[1] (pagerduty)", str(no_token), "pagerduty"))
    report = render_report(Records(Incident(id="x", start=utc(2026, 10, 24, 23, 30)), (), missing=missing))
    assert ("''PagerDuty at 127.0.0.1:40099 could not be read (refused the connection, 4 attempts), so its records "
            "are missing from this timeline. PagerDuty could not be read (no token or password was given for it), "
            "so its records are missing from this timeline.''") in report
