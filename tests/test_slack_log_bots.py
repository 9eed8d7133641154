"""A deploy tool's bot that posts to Slack what logmsgbot posts to IRC (issue 21's
"a bot relaying a deploy"): with the Slack source's ``log_bots``, its line is the
deployer's log entry and one event with the `!log` and the SAL entry of that deploy."""

from __future__ import annotations

import json

import pytest

from postmortem.core.errors import IncidentFileError
from postmortem.core.vocabulary import Kind
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from tests.conftest import write_incident

DEPLOY = "Synchronized wmf-config/InitialiseSettings.php: Revert replica count for codfw (duration: 01m 02s)"
# 03:45 UTC, in the forms each tool writes: logmsgbot's `!log` (ZNC, UTC), stashbot's SAL
# entry, and a Slack app's bot_message (Slack's export: subtype, username, bot_id).
IRC = f"[03:45:21] <logmsgbot> !log rkapoor@deploy2002 {DEPLOY}\n[03:47:02] <ravik> search looks fine again\n"
SAL = f"== 2024-11-14 ==\n* 03:45 rkapoor@deploy2002: {DEPLOY}\n"
SLACK_DAY = [
    {"type": "message", "subtype": "bot_message", "username": "scap", "bot_id": "B07SCAP",
     "text": f"rkapoor@deploy2002 {DEPLOY}", "ts": "1731555922.000100"},            # 03:45:22
    {"type": "message", "user": "U01RAVI", "text": "revert is out", "ts": "1731556000.000200"},
    {"type": "message", "subtype": "bot_message", "username": "scap", "bot_id": "B07SCAP",
     "text": "Started scap sync-world: nothing to see", "ts": "1731556100.000300"},   # no user@host: a bot line
]


def _incident(tmp_path, log_bots: str = 'log_bots = ["Scap"]', sal: bool = True):
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "2024-11-14.log").write_text(IRC, encoding="utf-8")
    (tmp_path / "sal.wiki").write_text(SAL, encoding="utf-8")
    export = tmp_path / "slack"
    (export / "search-ops").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps([{"id": "U01RAVI", "name": "rkapoor",
                                                    "profile": {"display_name": "Ravi K"}}]), encoding="utf-8")
    (export / "channels.json").write_text(json.dumps([{"id": "C01SEARCH", "name": "search-ops"}]), encoding="utf-8")
    (export / "search-ops" / "2024-11-14.json").write_text(json.dumps(SLACK_DAY), encoding="utf-8")
    return write_incident(tmp_path, f'''[incident]
id = "2024-11-14 cirrussearch codfw master"
start = "2024-11-14 03:30"
end = "2024-11-14 04:00"

[[source]]
type = "irc"
path = "irc/*.log"
format = "znc"
channel = "#wikimedia-operations"

{'[[source]]' + chr(10) + 'type = "sal-wikitext"' + chr(10) + 'path = "sal.wiki"' if sal else ""}

[[source]]
type = "slack-export"
path = "slack"
{log_bots}
''')


def test_a_deploy_a_slack_bot_relayed_is_the_deployers_and_one_event_with_its_sal_entry_and_log(tmp_path):
    events = gather(load_incident(_incident(tmp_path))).events
    deploys = [e for e in events if "Revert replica count" in e.text]
    assert len(deploys) == 1, [(e.source, e.actor, e.text) for e in deploys]
    deploy = deploys[0]
    assert (deploy.actor, deploy.kind) == ("rkapoor", Kind.DEPLOY)
    assert {deploy.source, *deploy.also_in} == {"irc", "sal-wikitext", "slack-export"}
    assert deploy.time.strftime("%H:%M:%S") == "03:45:21"   # the first to the second: the IRC line
    # the bot's line that relays no one's entry stays the bot's
    started = next(e for e in events if e.text.startswith("Started scap"))
    assert (started.actor, started.kind, started.log) == ("scap", Kind.BOT, None)


def test_without_a_sal_the_irc_and_slack_relays_of_one_deploy_are_one_event(tmp_path):
    events = gather(load_incident(_incident(tmp_path, sal=False))).events
    (deploy,) = [e for e in events if "Revert replica count" in e.text]
    assert (deploy.actor, {deploy.source, *deploy.also_in}) == ("rkapoor", {"irc", "slack-export"})


def test_without_log_bots_the_bots_line_is_its_own(tmp_path):
    events = gather(load_incident(_incident(tmp_path, log_bots=""))).events
    deploys = [e for e in events if "Revert replica count" in e.text]
    assert sorted((e.source, e.actor) for e in deploys) == [("irc", "rkapoor"), ("slack-export", "scap")]


def test_log_bots_must_be_names(tmp_path):
    with pytest.raises(IncidentFileError, match="'log_bots' must be a list of names"):
        load_incident(_incident(tmp_path, log_bots="log_bots = [1]"))


@pytest.mark.parametrize("key", ["alert_nicks", "ignore_nicks"])
def test_an_irc_list_of_nicks_must_be_names(tmp_path, key):
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "2023-09-28.log").write_text(IRC, encoding="utf-8")
    path = write_incident(tmp_path, f'[[source]]\ntype = "irc"\npath = "irc/*.log"\n{key} = ["jinxer-wm", 2]\n')
    with pytest.raises(IncidentFileError, match=f"'{key}' must be a list of names"):
        load_incident(path)
