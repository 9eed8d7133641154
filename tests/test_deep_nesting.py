"""Input nested deeper than any format this tool reads (issue 22, item 3):
``[`` × 100,000 was a RecursionError from Python's parsers wherever JSON or
TOML is read. Now it is a one-line error naming the file or URL, and within a
Slack day file the one message is skipped (file:line) and the rest read. The
limit is stated: 64 levels (postmortem.core.nesting.MAX_DEPTH)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postmortem.cli import main
from postmortem.net.http import BoundedSession, secret
from postmortem.net.mediawiki import Wiki
from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, InputError, SourceFormatError, WikiError
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.core.nesting import MAX_DEPTH, TooDeep, json_depth, load_json, load_toml
from postmortem.incident.load import load_sources
from tests.services import Answer, FakeServer

DEEP_JSON = "[" * 100_000
DEEPLY_CLOSED = "[" * 1000 + "]" * 1000  # closed, too: as deep as Python's parser goes
TOO_DEEP = "nested deeper than 64 levels of arrays and objects, more than any format this tool reads: not read"
TOO_DEEP_TOML = "nested deeper than 64 levels of arrays and tables, more than any format this tool reads: not read"
WINDOW = Window(utc(2023, 9, 28, 12), utc(2023, 9, 28, 16))
INCIDENT = '[incident]\nid = "2023-09-28 deep"\nstart = "2023-09-28 14:00"\n'


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the limit ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, depth", [
    ("[]", 1), ("{}", 1), ('"[[[["', 0), ('["]]]", [["x"]]]', 3), ('["\\\\", [[1]]]', 3),
    ('["\\"[[", {"a": [{}]}]', 4), ('"\\\\\\"[["', 0), ('{"a": "}}}", "b": {"c": "[["}}', 2),
    ("[" * 100_000, 100_000), ('[{"a": [1, {"b": []}]}]', 5), ("", 0), ("3", 0),
])
def test_depth_counts_brackets_outside_strings_only(text, depth):
    assert json_depth(text) == depth == json_depth(text.encode())


def test_the_limit_is_64_levels_and_64_are_read():
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(TooDeep) as caught:
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert str(caught.value) == TOO_DEEP
    assert load_toml("a = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))  # the document is a level
    with pytest.raises(TooDeep, match="levels of arrays and tables"):
        load_toml("a = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(TooDeep, match="levels of arrays and tables"):
        load_toml("a = " + "[" * 100_000)  # tomllib's own RecursionError, at about 300 levels


# -- network answers -------------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP_JSON, DEEPLY_CLOSED], ids=["unclosed", "closed"])
def test_a_deep_answer_is_the_sources_error_naming_the_url(body):
    with FakeServer(lambda request: Answer(200, body, {"Content-Type": "application/json"})) as server:
        config = SourceConfig("alertmanager", {"type": "alertmanager", "url": server.url}, index=1)
        with pytest.raises(SourceFormatError) as caught:
            get_source("alertmanager").read(config, WINDOW, session=BoundedSession(timeout=5, retries=0))
    assert caught.value.message == f"the answer is {TOO_DEEP}"
    assert str(caught.value) == f"{server.url}/api/v2/alerts: the answer is {TOO_DEEP}"


def test_a_deep_gerrit_answer_after_its_first_line():
    with FakeServer(lambda request: Answer(200, ")]}'\n" + DEEP_JSON, {"Content-Type": "application/json"})) as server:
        config = SourceConfig("gerrit", {"type": "gerrit", "url": server.url + "/r"}, index=1)
        with pytest.raises(SourceFormatError) as caught:
            get_source("gerrit").read(config, WINDOW, session=BoundedSession(timeout=5, retries=0))
    assert str(caught.value) == f"{server.url}/r/changes/: the answer is {TOO_DEEP}"


def test_a_deep_wiki_answer_is_a_wiki_error():
    with FakeServer(lambda request: Answer(200, '{"query": ' + DEEP_JSON, {"Content-Type": "application/json"})) \
            as server:
        with pytest.raises(WikiError) as caught:
            Wiki(server.url + "/w/api.php").page("Incidents/x")
    assert caught.value.code == "badjson" and str(caught.value) == f"{server.url}/w/api.php: the answer is {TOO_DEEP}"


# -- files ---------------------------------------------------------------------------------

def slack_export(root: Path, day: str, users: str | None = None, channels: str | None = None) -> SourceConfig:
    root.mkdir(parents=True)
    (root / "users.json").write_text(users or json.dumps([{"id": "U1", "name": "tchin"}]))
    (root / "channels.json").write_text(channels or json.dumps([{"id": "C1", "name": "ops"}]))
    (root / "ops").mkdir()
    (root / "ops" / "2023-09-28.json").write_text(day)
    return SourceConfig("slack-export", {"type": "slack-export", "path": "export"}, index=0,
                        base_dir=str(root.parent), file=str(root.parent / "incident.toml"))


def message(minute: int, text: str, **extra) -> dict:
    return {"type": "message", "user": "U1", "text": text, "ts": f"{utc(2023, 9, 28, 14, minute).timestamp():.0f}.000100",
            **extra}


def test_a_deep_message_in_a_slack_day_file_is_skipped_and_the_rest_read(tmp_path):
    """Slack exports write each message of a day file on its own lines (indent=4)."""
    deep = json.dumps(message(1, "deep", blocks=[{"type": "rich_text", "elements": []}]), indent=4)
    deep = deep.replace('"elements": []', '"elements": ' + "[" * 500 + "]" * 500)
    day = "[\n" + ",\n".join([json.dumps(message(0, "before"), indent=4), deep,
                              json.dumps(message(2, "after"), indent=4)]) + "\n]\n"
    tally = Tally()
    events = get_source("slack-export").read(slack_export(tmp_path / "export", day), WINDOW, tally=tally)
    assert [e.text for e in events] == ["before", "after"]
    [skip] = tally.skipped
    assert (Path(skip.file).name, skip.line) == ("2023-09-28.json", day[:day.index(deep)].count("\n") + 1)
    assert skip.reason == "message 2: a value nested deeper than 63 levels of arrays and objects, more than any format this " \
                          "tool reads: not read"


def test_a_day_file_that_is_only_brackets_is_one_skip_not_a_recursion_error(tmp_path):
    tally = Tally()
    events = get_source("slack-export").read(slack_export(tmp_path / "export", DEEP_JSON), WINDOW, tally=tally)
    assert events == [] and len(tally.skipped) == 1 and "nested deeper than 63 levels" in tally.skipped[0].reason


@pytest.mark.parametrize("member", ["users.json", "channels.json"])
def test_deep_users_or_channels_json_is_an_error_naming_the_file(tmp_path, member):
    config = slack_export(tmp_path / "export", "[]", **{member.split(".")[0]: DEEP_JSON})
    with pytest.raises(SourceFormatError) as caught:
        get_source("slack-export").read(config, WINDOW, tally=Tally())
    assert caught.value.file.endswith(member) and caught.value.message == TOO_DEEP


def test_a_deep_recorded_graph_is_an_error_naming_the_file(tmp_path, capsys):
    (tmp_path / "answer.json").write_text('{"status": "success", "data": ' + DEEP_JSON)
    (tmp_path / "incident.toml").write_text(INCIDENT + '[[graph]]\ntitle = "Lag"\npath = "answer.json"\n')
    code, out, err = run_cli(capsys, "render", tmp_path / "incident.toml")
    assert code == 2 and out == ""
    assert err == f"postmortem: error: {tmp_path / 'answer.json'}: graph[0] (lag): not a JSON query_range answer " \
                  f"({TOO_DEEP})\n"


def test_a_deep_event_cache_is_an_error_naming_the_cache(tmp_path, capsys):
    (tmp_path / "incident.toml").write_text(INCIDENT + '[[source]]\ntype = "alertmanager"\nurl = "http://127.0.0.1:9"\n')
    (tmp_path / "incident.events.json").write_text('{"version": 1, "sources": ' + DEEP_JSON)
    code, out, err = run_cli(capsys, "timeline", tmp_path / "incident.toml")
    assert code == 2 and out == ""
    assert err == f"postmortem: error: {tmp_path / 'incident.events.json'}: damaged event cache (TooDeep); run " \
                  f"`postmortem pull --refresh`\n"


def test_a_deep_incident_toml_is_an_error_naming_the_file(tmp_path, capsys):
    (tmp_path / "incident.toml").write_text(INCIDENT + "lead = " + "[" * 100_000 + "\n")
    code, out, err = run_cli(capsys, "timeline", tmp_path / "incident.toml")
    assert code == 2 and out == ""
    assert err == f"postmortem: error: {tmp_path / 'incident.toml'}: {TOO_DEEP_TOML}\n"


def test_a_deep_sources_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "paging.toml"
    path.write_text('[[source]]\ntype = "pagerduty"\ntoken_env = ' + "[" * 400 + "]" * 400 + "\n")
    with pytest.raises(IncidentFileError) as caught:
        load_sources(path)
    assert str(caught.value) == f"{path}: {TOO_DEEP_TOML}"


def test_a_deep_credentials_file_is_an_error_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PM_DEEP_TOKEN", raising=False)
    path = tmp_path / "credentials.toml"
    path.write_text("PM_DEEP_TOKEN = " + "[" * 100_000)
    path.chmod(0o600)
    with pytest.raises(InputError) as caught:
        secret("PM_DEEP_TOKEN", config_file=path)
    assert str(caught.value) == f"{path}: cannot read credentials: TooDeep"
