"""Nothing private published: secrets and personal data found in the records
(postmortem.core.redact, postmortem.timeline.redact_events), listed by `check` and
`lint` by kind and place — never the value —, warned about by `render`, and
resolved by [redact] rules before anything leaves the tool."""

from __future__ import annotations

import json

import pytest

from postmortem.core.errors import IncidentFileError, UnresolvedFindings
from postmortem.core.model import Event, Records, utc
from postmortem.core.vocabulary import Alert, Place
from postmortem.core.settings import RedactSettings, Replacement
from postmortem.core.redact import scan_text
from postmortem.core._secret_kinds import SECRETS
from postmortem.incident.load import load_incident, parse_incident
from postmortem.database.lint import lint_report
from postmortem.read.report import parse_report
from postmortem.timeline.gather import gather
from postmortem.timeline.redact_events import blocking, findings_of, redact_event, unresolved
from postmortem.publishing.report_page import publish, update
from postmortem.write.timeline_picture import render_graph
from postmortem.write.render import render_report
from tests.cases import cases, load
from tests.conftest import ROOT, write_incident

# Values that must never be printed (made up; shaped like the real thing).
SLACK_TOKEN = "xoxb-2211-9988-Zq8vT3kLm0NpQr7sUv"
PASSWORD = "Hunter2-Prod!"
GITHUB_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"

# The kinds found in texts (each secret kind among them, and look-alikes that are none), as data.
CASES = load("secrets")["case"]


@pytest.mark.parametrize("case", cases("secrets", ids=lambda n, c: f"{n}-{','.join(c['kinds']) or 'none'}"))
def test_scan(case):
    hits = scan_text(case["text"])
    assert [hit.kind for hit in hits] == case["kinds"]
    if "value" in case:
        assert case["text"][hits[0].start:hits[0].end] == case["value"] and hits[0].category == "secret"


def test_every_kind_of_secret_has_a_case():
    assert set(SECRETS) <= {kind for case in CASES for kind in case["kinds"]}


def test_the_fixtures_and_the_sample_hold_no_secret():
    """Real chat, SAL, mails, paging answers and Wikitech reports: no kind is
    found where nobody said a secret (the cases above are the one place they are)."""
    found = []
    for path in sorted([*(ROOT / "tests" / "fixtures").rglob("*"), *(ROOT / "samples").rglob("*")]):
        if not path.is_file() or path.parent.name == "secrets":
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        found += [(path.name, hit.kind) for hit in scan_text(text) if hit.category == "secret"]
    assert found == []


def test_allowed_networks_are_no_finding():
    text = "10.64.0.12 and 208.80.154.224 and 2620:0:861:101:10:64:0:12"
    assert [text[h.start:h.end] for h in scan_text(text, ["10.0.0.0/8", "2620:0:861::/48"])] == ["208.80.154.224"]


def test_the_hit_spans_only_the_secret():
    text = f"password={PASSWORD} ok"
    hit, = scan_text(text)
    assert text[hit.start:hit.end] == PASSWORD and hit.category == "secret"


def _message(text, channel="ops"):
    return Event(time=utc(2023, 9, 28, 15), source="slack-export", text=text, actor="mallory", channel=channel,
                 place=Place("slack/ops/2023-09-28.json", 12))


def test_replace_resolves_what_it_removes_and_drop_what_it_drops():
    settings = RedactSettings(replace=(Replacement(r"xoxb-[\w-]+", "xoxb-…"),
                                       Replacement(r"(?<=password=)[^\s,]+", "[redacted]")),
                              drop=(r"^ignore this",))
    event, findings, dropped = redact_event(_message(f"token {SLACK_TOKEN} and password={PASSWORD}, jdoe@example.org"),
                                            settings, "source[0] (slack-export)")
    assert event.text == "token xoxb-… and password=[redacted], jdoe@example.org" and dropped is None
    assert [(f.kind, f.resolved) for f in findings] == [
        ("slack-token", "[redact] replace 1"), ("password", "[redact] replace 2"), ("email", None)]
    assert findings[0].where() == "slack/ops/2023-09-28.json:12"
    kept, findings, dropped = redact_event(_message(f"ignore this {SLACK_TOKEN}"), settings, "s")
    assert kept is None and dropped == 1 and [f.resolved for f in findings] == ["[redact] drop 1"]


def test_a_value_left_anywhere_in_the_text_is_not_resolved():
    settings = RedactSettings(replace=(Replacement(r"^token xoxb-[\w-]+", "token …"),))
    _, findings, _ = redact_event(_message(f"token {SLACK_TOKEN} again {SLACK_TOKEN}"), settings, "s")
    assert [f.resolved for f in findings] == [None, None]


def test_the_alert_fields_a_report_shows_are_scanned_and_rewritten_too():
    alert = Event(time=utc(2023, 9, 28, 15), source="alertmanager", text="NodeDown firing", tags=("alert",),
                  alert=Alert("NodeDown", labels={"instance": "10.64.0.12"}, summary="10.64.0.12 is down"))
    settings = RedactSettings(replace=(Replacement(r"10\.64\.\d+\.\d+", "an appserver"),))
    event, findings, _ = redact_event(alert, settings, "s")
    assert event.alert.summary == "an appserver is down" and [f.resolved for f in findings] == [
        "[redact] replace 1"]


def test_a_pages_note_is_rewritten_with_its_text_and_found_once():
    """A PagerDuty note's content is the event's text and the page's ``note`` (the
    JSON timeline shows it whole): the rules rewrite both; a value in both is one finding."""
    from postmortem.core.vocabulary import Page
    content = f"rotated {SLACK_TOKEN}\nmail jdoe@example.org"
    note = Event(time=utc(2023, 9, 28, 15), source="pagerduty",
                 text=f"note on PagerDuty incident #1: {' '.join(content.split())}",
                 page=Page("PagerDuty", "#1", "note", note=content))
    settings = RedactSettings(replace=(Replacement(r"xoxb-[\w-]+", "xoxb-…"),))
    event, findings, _ = redact_event(note, settings, "s")
    assert event.page.note == "rotated xoxb-…\nmail jdoe@example.org" and "xoxb-…" in event.text
    assert [(f.kind, f.resolved) for f in findings] == [("slack-token", "[redact] replace 1"), ("email", None)]


def test_private_channels_messages_are_findings_resolved_only_by_dropping_them():
    settings = RedactSettings(private_channels=("#Security",))
    _, findings, _ = redact_event(_message("we patched it", channel="security"), settings, "s")
    assert [(f.kind, f.category, f.resolved) for f in findings] == [("private-channel", "private channel", None)]
    _, findings, _ = redact_event(_message("we patched it", channel="ops"), settings, "s")
    assert findings == []
    dropping = RedactSettings(private_channels=("security",), drop=("patched",))
    assert redact_event(_message("we patched it", channel="security"), dropping, "s")[0] is None


# -- incident.toml ---------------------------------------------------------------------

def test_redact_table_read():
    settings = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 10:00"\n[redact]\nallow = ["10.0.0.0/8"]\n'
                              'private_channels = ["security"]\nstrict = true\n'
                              'replace = [{ pattern = "xoxb-\\\\S+" }, { pattern = "a", with = "b" }]\n'
                              'drop = ["^secret"]\n').redact
    assert settings == RedactSettings(("10.0.0.0/8",), ("security",), True,
                                      (Replacement(r"xoxb-\S+", "[redacted]"), Replacement("a", "b")), ("^secret",))


@pytest.mark.parametrize("table, message", [
    ('allow = ["10.0.0.300"]', "not an IP address or network: '10.0.0.300' (give addresses like \"10.64.0.1\" "
                               "or networks like \"10.0.0.0/8\")"),
    ('strict = "yes"', "expected true or false, got 'yes'"),
    ('replace = ["xoxb"]', 'expected a list of { pattern = "…", with = "…" }'),
    ('replace = [{ pattern = "x", by = "y" }]', "unknown key 'by' in { … } (expected pattern, with)"),
    ('replace = [{ with = "y" }]', 'each rule needs pattern = "a regex" (and with = "text")'),
    ('replace = [{ pattern = "[" }]', "not a valid regex '[': unterminated character set at position 0"),
    ('drop = [".*"]', "the regex '.*' matches empty text, so it would match everything"),
    ('hide = true', "unknown key (expected one of allow, drop, private_channels, replace, strict)"),
])
def test_redact_table_errors_name_the_line(table, message):
    with pytest.raises(IncidentFileError) as caught:
        parse_incident(f'[incident]\nid = "x"\nstart = "2023-09-28 10:00"\n[redact]\n{table}\n', "incident.toml")
    assert (caught.value.line, caught.value.message) == (5, message)


# -- through the records, check, render, lint ---------------------------------------------

def slack_incident(folder, redact: str = "", pinned: bool = True):
    """A Slack export with a token and a password said in chat (pinned: the
    report shows them), an e-mail address, and an [[event]]."""
    channel = folder / "slack" / "ops"
    channel.mkdir(parents=True)
    (folder / "slack" / "users.json").write_text(json.dumps([{"id": "U1", "name": "mallory"}]))
    (folder / "slack" / "channels.json").write_text(json.dumps([{"id": "C1", "name": "ops"}]))
    texts = ["the deploy broke the bot", f"the bot token is {SLACK_TOKEN}, can someone rotate it",
             f"the db login is wikiadmin password={PASSWORD}", "ask jdoe@example.org"]
    marks = {"pinned_to": ["C1"]} if pinned else {}
    messages = [{"type": "message", "user": "U1", "text": text, "ts": f"{1695913200 + 60 * n}.000100", **marks}
                for n, text in enumerate(texts)]
    (channel / "2023-09-28.json").write_text(json.dumps(messages, indent=1))
    return write_incident(folder, '[[source]]\ntype = "slack-export"\npath = "slack"\n'
                                  '[[event]]\ntime = "2023-09-28 14:30"\ntext = "bot down"\n' + redact)


REPLACE = ('[redact]\nreplace = [{ pattern = "xoxb-[A-Za-z0-9-]+", with = "xoxb-(revoked)" },\n'
           '           { pattern = "(?<=password=)\\\\S+", with = "[redacted]" }]\n')


def test_check_names_each_finding_by_place_and_kind_never_the_value(tmp_path, run_cli):
    path = slack_incident(tmp_path)
    code, out, err = run_cli("check", path)
    day = tmp_path / "slack" / "ops" / "2023-09-28.json"
    lines = day.read_text().splitlines()
    assert code == 1 and SLACK_TOKEN not in out + err and PASSWORD not in out + err
    findings = out.split("findings: 3 (secrets and personal data; the values are not shown)\n", 1)[1].splitlines()
    token_line, password_line, email_line = (next(n for n, line in enumerate(lines, 1) if f'"ts": "{ts}"' in line)
                                             for ts in ("1695913260.000100", "1695913320.000100", "1695913380.000100"))
    assert findings[0] == (f"  {day}:{token_line}: slack-token (secret): NOT RESOLVED: publish and update refuse "
                           "(add a [redact] replace or drop rule)")
    assert findings[1].startswith(f"  {day}:{password_line}: password (secret): NOT RESOLVED")
    assert findings[2] == (f"  {day}:{email_line}: email (personal data): not resolved: a warning "
                           "(refused with [redact] strict = true)")
    code, out, _ = run_cli("check", path, "--format", "json")
    report = json.loads(out)
    assert [(f["kind"], f["category"], f["line"], f["resolved"], f["blocks"]) for f in report["findings"]] == [
        ("slack-token", "secret", token_line, None, True), ("password", "secret", password_line, None, True),
        ("email", "personal data", email_line, None, False)]
    assert SLACK_TOKEN not in out and PASSWORD not in out


def test_check_with_rules_says_how_each_was_resolved_and_exits_0(tmp_path, run_cli):
    path = slack_incident(tmp_path, REPLACE + 'drop = ["^ask "]\n')
    code, out, _ = run_cli("check", path)
    assert code == 0
    assert [line.split(": ", 2)[2] for line in out.splitlines() if line.startswith("  /")] == [
        "resolved by [redact] replace 1", "resolved by [redact] replace 2", "resolved by [redact] drop 1"]
    assert "dropped 1: [redact] drop 1 (1)" in out


def test_strict_makes_personal_data_block_too(tmp_path, run_cli):
    path = slack_incident(tmp_path, REPLACE + "strict = true\n")
    code, out, _ = run_cli("check", path)
    assert code == 1 and "email (personal data): NOT RESOLVED" in out
    private = slack_incident(tmp_path / "private", REPLACE + 'strict = true\nprivate_channels = ["ops"]\n')
    code, out, _ = run_cli("check", private)
    said = [line for line in out.splitlines() if "private-channel" in line]
    assert code == 1 and len(said) == 4 and said[0].endswith(
        "private-channel (private channel): NOT RESOLVED: publish and update refuse "
        "(add a [redact] drop rule, or take the channel off private_channels)")
    records = gather(load_incident(path))
    assert [f.kind for f in blocking(records)] == ["email"]


def test_every_output_holds_the_text_after_the_rules(tmp_path, run_cli):
    path = slack_incident(tmp_path, REPLACE)
    records = gather(load_incident(path))
    outputs = {"wikitext": render_report(records), "markdown": render_report(records, fmt="markdown"),
               "svg": render_graph(records)}
    outputs["timeline"] = run_cli("timeline", path)[1]
    outputs["timeline wikitext"] = run_cli("timeline", path, "--format", "wikitext")[1]
    outputs["timeline json"] = run_cli("timeline", path, "--format", "json")[1]
    for name, text in outputs.items():
        assert SLACK_TOKEN not in text and PASSWORD not in text, name
        assert "xoxb-(revoked)" in text and "redacted" in text, name   # ([ and ] escaped as the format needs)
    assert [f.resolved for f in records.findings] == ["[redact] replace 1", "[redact] replace 2", None]


def test_render_warns_by_place_and_kind_and_still_writes(tmp_path, run_cli):
    path = slack_incident(tmp_path)
    out = tmp_path / "report.wiki"
    code, stdout, err = run_cli("render", path, "-o", out)
    assert code == 0 and out.exists()
    warnings = [line for line in err.splitlines() if line.startswith("postmortem: warning:")]
    assert len(warnings) == 3 and SLACK_TOKEN not in err and PASSWORD not in err
    assert warnings[0].endswith("slack-token (secret) in the records, not resolved by [redact]: "
                                "publish and update refuse it (the value is not shown)")
    assert "email (personal data)" in warnings[2] and "publish only warns" in warnings[2]
    # the timeline command says so too (its output may be pasted somewhere)
    code, _, err = run_cli("timeline", path)
    assert code == 0 and err.count("postmortem: warning:") == 3 and SLACK_TOKEN not in err


def test_lint_finds_secrets_in_a_report_by_line(tmp_path, run_cli):
    report = tmp_path / "report.wiki"
    report.write_text("{{irdoc|status=draft}}\n==Timeline==\n*14:00 someone pasted " + SLACK_TOKEN +
                      "\n*14:05 mail jdoe@example.org\n", encoding="utf-8")
    code, out, err = run_cli("lint", report)
    assert code == 1 and SLACK_TOKEN not in out + err
    assert f"{report}:3: secret: slack-token in the page (the value is not shown)" in out.splitlines()
    assert f"{report}:4: personal-data: email in the page (the value is not shown)" in out.splitlines()
    assert [f.kind for f in lint_report(parse_report(report.read_text())) if f.line == 3] == ["secret"]


def test_records_made_by_hand_are_scanned_as_they_are():
    incident = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:00"\n', "incident.toml")
    records = Records(incident, [_message(f"token {SLACK_TOKEN}")])
    assert records.findings is None and [f.kind for f in findings_of(records)] == ["slack-token"]
    assert [f.kind for f in unresolved(records)] == ["slack-token"]
    with pytest.raises(UnresolvedFindings) as caught:
        publish(records, "http://127.0.0.1:9/api.php")   # refused before any request (nothing listens there)
    assert "refusing to publish: 1 finding not resolved (slack/ops/2023-09-28.json:12: slack-token)" in str(caught.value)
    assert SLACK_TOKEN not in str(caught.value) and caught.value.exit_code == 1


SECRET_CASES = [case for case in CASES if case.get("value")]


@pytest.mark.parametrize("case", SECRET_CASES, ids=[case["kinds"][0] for case in SECRET_CASES])
def test_publish_and_update_refuse_every_kind_of_secret_before_any_request(case):
    incident = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:00"\n', "incident.toml")
    records = Records(incident, [_message(case["text"])])
    for command in (publish, update):
        with pytest.raises(UnresolvedFindings) as caught:
            command(records, "http://127.0.0.1:9/api.php")   # nothing listens there: refused before asking
        assert f"slack/ops/2023-09-28.json:12: {case['kinds'][0]}" in str(caught.value)
        assert case["value"] not in str(caught.value)


def test_manual_events_are_scanned_where_they_are_written(tmp_path):
    path = write_incident(tmp_path, f'[[event]]\ntime = "2023-09-28 14:30"\ntext = "rotated {GITHUB_TOKEN}"\n')
    finding, = gather(load_incident(path)).findings
    assert (finding.kind, finding.where(), finding.source) == ("github-token", f"{path}:7", "[[event]]")


def test_nothing_found_nothing_said(tmp_path, run_cli, sample_incident_path):
    assert gather(load_incident(sample_incident_path)).findings == ()
    assert "findings" not in run_cli("check", sample_incident_path)[1]
