"""One name per person across the sources: each source gives the other names
its records carry (a Slack user's id, names and e-mail from users.json or
users.list; a PagerDuty user's id and e-mail), the ``[people]`` roster's
``aliases`` link them, and `check` lists the names it could link to nobody.

An incident of a Slack export (users.json as Slack writes it), a ZNC log of
IRC, and PagerDuty's REST API v2 on a local server (tests/services.py; its
answers from tests/fixtures/paging/pagerduty)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from postmortem.collect.pull import pull
from postmortem.incident.load import load_incident
from tests.clock import fast_session
from tests.services import FakeServer, pagerduty_app, slack_app

FIXTURES = Path(__file__).parent / "fixtures" / "paging" / "pagerduty"
PD_TOKEN = "u+NEVER-PRINT-ME-pd-token"
SLACK_TOKEN = "xoxb-1234-SECRET-slack-token"
PULLED = dt.datetime(2026, 12, 4, 20, 31, 7, tzinfo=dt.timezone.utc)

# users.json (https://slack.com/help/articles/220556107): Ana shows as "ana", Jon has no
# display name (Slack shows his user name), Kim is on no roster.
SLACK_USERS = [
    {"id": "U05AKOW", "name": "akowalski", "real_name": "Ana Kowalski",
     "profile": {"display_name": "ana", "real_name": "Ana Kowalski", "email": "ana.kowalski@example.org"}},
    {"id": "U05JDOE", "name": "jdoe", "real_name": "Jon Doe",
     "profile": {"display_name": "", "real_name": "Jon Doe", "email": "jon.doe@example.org"}},
    {"id": "U05KROE", "name": "kroe", "real_name": "Kim Roe",
     "profile": {"display_name": "kim", "real_name": "Kim Roe"}},
]


def ts(hour, minute):
    return f"{dt.datetime(2024, 3, 5, hour, minute, tzinfo=dt.timezone.utc).timestamp():.0f}.000100"


SLACK_DAY = [
    {"type": "message", "ts": ts(7, 1), "user": "U05AKOW", "text": "checkout 5xx, looking"},
    {"type": "message", "ts": ts(7, 6), "user": "U05JDOE", "text": "<@U05AKOW> want me to roll back?"},
    {"type": "message", "ts": ts(7, 8), "user": "U05KROE", "text": "customers report failed payments"},
]
IRC_LOG = "[07:02:10] <akowalski> checkout-api 5xx in eqiad\n[07:09:30] <kroe> status page updated\n"
ROSTER = '''
[people.akowalski]
timezone = "Europe/Warsaw"
aliases = ["ana.kowalski@example.org"]

[people.jdoe]
timezone = "America/Chicago"
aliases = ["jon.doe@example.org"]
'''


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def pagerduty():
    incidents = [*fixture("incidents-list-page1.json")["incidents"],
                 *fixture("incidents-list-last-page.json")["incidents"]]
    entries = {incidents[0]["id"]: fixture("log_entries-full-timeline.json")["log_entries"],
               **{i["id"]: [] for i in incidents[1:]}}
    user = fixture("users-get.json")["user"]
    return pagerduty_app(incidents, entries, {user["id"]: user}, token=PD_TOKEN,
                         notes={incidents[0]["id"]: fixture("notes-list.json")["notes"]})


@pytest.fixture(autouse=True)
def tokens(monkeypatch):
    monkeypatch.setenv("PM_PD_TOKEN", PD_TOKEN)
    monkeypatch.setenv("PM_SLACK_TOKEN", SLACK_TOKEN)


def write_incident(tmp_path, pd_url, roster=ROSTER, extra=""):
    export = tmp_path / "slack"
    (export / "checkout").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps(SLACK_USERS, indent=1), encoding="utf-8")
    (export / "channels.json").write_text(json.dumps([{"id": "C05CHK", "name": "checkout"}]), encoding="utf-8")
    (export / "checkout" / "2024-03-05.json").write_text(json.dumps(SLACK_DAY, indent=1), encoding="utf-8")
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "2024-03-05.log").write_text(IRC_LOG, encoding="utf-8")
    path = tmp_path / "incident.toml"
    path.write_text(f'''[incident]
id = "2024-03-05 checkout-api"
start = "2024-03-05 06:45"
end = "2024-03-05 07:45"

[[source]]
type = "slack-export"
path = "slack"

[[source]]
type = "irc"
path = "irc/*.log"
format = "znc"

[[source]]
type = "pagerduty"
url = "{pd_url}"
token_env = "PM_PD_TOKEN"
{extra}{roster}''', encoding="utf-8")
    assert pull(load_incident(path), clock=lambda: PULLED, session_factory=fast_session).ok
    return path


def test_each_person_is_under_their_roster_name_in_every_source(tmp_path, run_cli):
    with FakeServer(pagerduty()) as pd:
        path = write_incident(tmp_path, pd.url)
    code, out, err = run_cli("timeline", path, "--format", "json")
    assert code == 0, err
    actors = {(e["source"], e["actor"]) for e in json.loads(out) if e["actor"]}
    assert actors == {("slack-export", "akowalski"), ("slack-export", "jdoe"), ("slack-export", "kim"),
                      ("irc", "akowalski"), ("irc", "kroe"), ("pagerduty", "akowalski")}
    paged = [e for e in json.loads(out) if e.get("page", {}).get("phase") == "triggered" and e["page"]["notified"]]
    assert [n["name"] for e in paged for n in e["page"]["notified"]] == ["akowalski"]


def test_check_lists_the_names_no_people_entry_knows_and_still_exits_0(tmp_path, run_cli):
    with FakeServer(pagerduty()) as pd:
        path = write_incident(tmp_path, pd.url)
    code, out, _ = run_cli("check", path)
    assert code == 0
    assert "people: 2 names not in [people]: kim (slack-export), kroe (irc)\n" in out
    code, out, _ = run_cli("check", path, "--format", "json")
    assert code == 0 and json.loads(out)["unlinked_people"] == [
        {"name": "kim", "sources": ["slack-export"]}, {"name": "kroe", "sources": ["irc"]}]


def test_an_alias_links_a_name_and_without_people_nothing_is_listed(tmp_path, run_cli):
    roster = ROSTER + '\n[people.kroe]\ntimezone = "UTC"\n'  # Slack's aka of "kim" has her user name kroe
    with FakeServer(pagerduty()) as pd:
        path = write_incident(tmp_path / "linked", pd.url, roster=roster)
        bare = write_incident(tmp_path / "bare", pd.url, roster="")
    code, out, _ = run_cli("check", path, "--format", "json")
    assert code == 0 and json.loads(out)["unlinked_people"] == []
    code, out, _ = run_cli("check", bare, "--format", "json")
    assert code == 0 and "unlinked_people" not in json.loads(out)
    code, out, _ = run_cli("check", bare)
    assert "people:" not in out


def test_a_slack_token_without_users_read_leaves_ids_that_check_names_and_explains(tmp_path, run_cli):
    """The Slack Web API without the ``users:read`` scope: the writers stay user ids,
    `check` lists them among the unlinked names and says why (a record skipped), exit 1
    as for any record skipped."""
    messages = [{"type": "message", "ts": ts(7, 4), "user": "U05ABCDEF", "text": "is checkout down?"}]
    app = slack_app(messages, {}, token=SLACK_TOKEN, users=SLACK_USERS, scopes=frozenset({"channels:history"}))
    with FakeServer(pagerduty()) as pd, FakeServer(app) as slack:
        source = (f'\n[[source]]\ntype = "slack"\nurl = "{slack.url}"\nchannel = "C05CHK"\n'
                  f'token_env = "PM_SLACK_TOKEN"\n')
        path = write_incident(tmp_path, pd.url, extra=source)
    code, out, _ = run_cli("check", path)
    assert code == 1
    assert f"skipped {slack.url}/users.list: users.list: missing_scope (the token lacks users:read)" in out
    assert "people: 3 names not in [people]: U05ABCDEF (slack), kim (slack-export), kroe (irc)\n" in out


def test_a_paging_services_own_lines_name_people_as_the_roster_does_notes_as_written(tmp_path, run_cli):
    """PagerDuty escalates to Jon Doe, notifies him, he acknowledges, resolves and
    writes a note: once his e-mail links "Jon Doe" to jdoe, the service's lines say
    jdoe too (``escalated to``, ``notified``, ``resolved by``); his note is his own words."""
    import copy
    timeline = fixture("log_entries-full-timeline.json")["log_entries"]
    jon = {"id": "PQR34ST", "type": "user_reference", "summary": "Jon Doe"}
    def entry(kind, at, **fields):
        found = copy.deepcopy(next(e for e in timeline if e["type"] == kind))
        found.update(created_at=at, **fields)
        return found
    log = timeline[:5] + [entry("notify_log_entry", "2024-03-05T07:03:15Z", user=jon),
                          entry("acknowledge_log_entry", "2024-03-05T07:04:55Z", agent=jon),
                          entry("annotate_log_entry", "2024-03-05T07:20:31Z", agent=jon),
                          entry("resolve_log_entry", "2024-03-05T07:41:09Z", agent=jon)]
    note = {**fixture("notes-list.json")["notes"][0], "user": jon, "created_at": "2024-03-05T07:20:31Z",
            "content": "Jon Doe here: rolled back"}
    incidents = fixture("incidents-list-page1.json")["incidents"][:1]
    ana = fixture("users-get.json")["user"]
    users = {ana["id"]: ana, jon["id"]: {**ana, "id": jon["id"], "name": "Jon Doe", "email": "jon.doe@example.org"}}
    app = pagerduty_app(incidents, {incidents[0]["id"]: log}, users, token=PD_TOKEN, notes={incidents[0]["id"]: [note]})
    with FakeServer(app) as pd:
        path = write_incident(tmp_path, pd.url)
    code, out, _ = run_cli("timeline", path, "--format", "json")
    assert code == 0
    texts = [e["text"] for e in json.loads(out) if e["source"] == "pagerduty"]
    assert texts == ["Checkout API 5xx rate above 5%: paged akowalski (Payments) (PagerDuty incident #1402)",
                     "PagerDuty incident #1402 escalated to jdoe", "PagerDuty incident #1402: notified jdoe (sms)",
                     "acknowledged PagerDuty incident #1402 (via website)",
                     "note on PagerDuty incident #1402: Jon Doe here: rolled back",
                     "PagerDuty incident #1402 resolved by jdoe"]


ALIASED_CREW = '''[incident]
id = "2024-11-14 cirrussearch-codfw-master"
start = "2024-11-14 02:58"
responders = ["mlindqvist", "mlindq", "Ravi K"]
coordinators = ["Maya L"]

[people.mlindqvist]
timezone = "America/Los_Angeles"
aliases = ["mlindq", "Maya L"]

[people.rkapoor]
timezone = "Asia/Kolkata"
aliases = ["ravik", "Ravi K"]
'''


def test_responders_and_coordinators_are_counted_and_shown_under_their_roster_names(tmp_path, run_cli):
    # An IRC nick and a Slack display name of one person are one responder, and the
    # report names the coordinator as its timeline names her (mlindqvist), not "Maya L".
    path = tmp_path / "incident.toml"
    path.write_text(ALIASED_CREW, encoding="utf-8")
    code, _, err = run_cli("render", path, "-o", tmp_path / "report.wiki")
    assert code == 0, err
    code, out, err = run_cli("parse", tmp_path / "report.wiki", "--format", "json")
    assert code == 0, err
    metadata = json.loads(out)["metadata"]
    assert (metadata["responders-num"], metadata["coordinators"]) == ("2", "mlindqvist")


def test_a_bots_name_is_no_person_check_asks_for(tmp_path, run_cli):
    """A deploy bot posting to Slack (a ``bot_message``, as exports write it) was
    listed among the "names not in [people]", as if it needed a roster entry."""
    export = tmp_path / "slack"
    (export / "checkout").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps(SLACK_USERS), encoding="utf-8")
    (export / "channels.json").write_text(json.dumps([{"id": "C05CHK", "name": "checkout"}]), encoding="utf-8")
    day = [SLACK_DAY[0], {"type": "message", "subtype": "bot_message", "bot_id": "B05SCAP", "username": "scap",
                          "text": "jdoe@deploy2002 Synchronized php-1.43: rollback", "ts": ts(7, 3)}]
    (export / "checkout" / "2024-03-05.json").write_text(json.dumps(day), encoding="utf-8")
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "2024-03-05 checkout-api"\nstart = "2024-03-05 06:45"\n'
                    '[[source]]\ntype = "slack-export"\npath = "slack"\n\n[people.kroe]\ntimezone = "UTC"\n',
                    encoding="utf-8")
    code, out, _ = run_cli("check", path, "--format", "json")
    assert code == 0 and json.loads(out)["unlinked_people"] == [{"name": "ana", "sources": ["slack-export"]}]
