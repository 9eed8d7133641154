"""One incident written in the real formats of five sources at once — IRC
(ZNC), a SAL page, Alertmanager mails and PagerDuty (a local server speaking
its REST API v2) — where the same facts meet: a database primary fails at
23:41 UTC on a Saturday, is paged, escalated, failed over after midnight and
resolved. Each test is one defect a new user's trial found (issue 21) and the
fact it must get right: merges by meaning, one name per person, check's sums."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from postmortem.collect.pull import pull
from postmortem.core.model import utc
from postmortem.core.vocabulary import NOTIFIED, RESOLVED, TRIGGERED, Kind, is_alert, page_time
from postmortem.incident.load import load_incident
from postmortem.scorecard.answers import computed_scorecard
from postmortem.timeline.check import check_incident
from postmortem.timeline.filters import filter_events
from postmortem.timeline.gather import gather
from postmortem.timeline.metrics import incident_metrics
from postmortem.write.timeline_picture import firing_intervals
from postmortem.write.render import render_report
from tests.conftest import write_incident
from tests.services import FakeServer, pagerduty_app
from tests.test_source_pagerduty import ANA, INCIDENTS, TIMELINE

TOKEN = "u+pd-token-never-printed"
ALERT = "MariaDBPrimaryDown"

IRC = """\
[23:35:00] <kroe> quiet saturday
[23:41:05] <jinxer-wm> FIRING: {alert}: MariaDB primary db1100 is down - https://alerts.wikimedia.org
[23:43:20] <jdoe> looking, I got paged
[23:50:40] <logmsgbot> !log deployer1@deploy1002 Synchronized wmf-config/db-eqiad.php: Depool db1100 T401299 (duration: 00m 12s)
""".format(alert=ALERT)
IRC_AFTER_MIDNIGHT = """\
[00:05:10] <jdoe> !log failover db1100 to db1101 T401299
[01:16:30] <jinxer-wm> RESOLVED: {alert}: MariaDB primary db1100 is down - https://alerts.wikimedia.org
""".format(alert=ALERT)

# The SAL page as stashbot writes it: a task link where the !log had a bare T401299.
SAL = """\
== 2024-10-27 ==
* 00:05 jdoe: failover db1100 to db1101 [[phab:T401299|T401299]]

== 2024-10-26 ==
* 23:50 deployer1@deploy1002: Synchronized wmf-config/db-eqiad.php: Depool db1100 [[phab:T401299|T401299]] (duration: 00m 12s)
"""

# A second logger of the channel (wm-bot, a tab after the nick), as another [[source]].
WM_BOT = """\
[23:41:05] <jinxer-wm>\t FIRING: {alert}: MariaDB primary db1100 is down - https://alerts.wikimedia.org
[23:43:21] <jdoe>\t looking, I got paged
""".format(alert=ALERT)

MAIL = """\
From: alertmanager@wikimedia.org
To: sre-alerts@lists.wikimedia.org
Subject: [{state}] {alert} (db1100 eqiad critical sre)
Date: {date}
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Labels:
 - alertname = {alert}
 - instance = db1100
 - cluster = eqiad
 - severity = critical
 - team = sre
Annotations:
 - summary = MariaDB primary db1100 is down
Source: https://prometheus-eqiad.wikimedia.org/ops/graph?g0.expr=mysql_up
"""


def _entry(kind: str, at: str, agent: dict | None = None, **more) -> dict:
    """A log entry of the fixture's shape (PagerDuty REST API v2, ListIncidentLogEntries)."""
    entry = copy.deepcopy(next(e for e in TIMELINE if e["type"] == kind))
    entry.update(id=f"R{kind[:6]}{at[11:19].replace(':', '')}", created_at=at, **more)
    if agent is not None:
        entry["agent"] = agent
    return entry


def _user(uid: str, name: str, zone: str) -> dict:
    return {**ANA, "id": uid, "name": name, "summary": name, "email": f"{uid.lower()}@example.org",
            "time_zone": zone}


USERS = {u["id"]: u for u in (_user("PJDOE1", "Jo Doe", "Europe/Berlin"), _user("PKROE1", "Kim Roe", "Asia/Tokyo"),
                              _user("PPPOE1", "Pat Poe", "America/New_York"))}


def _ref(uid: str) -> dict:
    return {"id": uid, "type": "user_reference", "summary": USERS[uid]["name"]}


def _notify(at: str, uid: str, how: str) -> dict:
    return _entry("notify_log_entry", at, user={**_ref(uid)}, channel={"type": how})


def pagerduty_answers():
    incident = {**copy.deepcopy(INCIDENTS[0]), "id": "QDB4711", "incident_number": 4711,
                "title": f"{ALERT} db1100", "created_at": "2024-10-26T23:41:40Z",
                "html_url": "https://sre.pagerduty.com/incidents/QDB4711"}
    log = [_entry("trigger_log_entry", "2024-10-26T23:41:40Z"),
           _notify("2024-10-26T23:41:42Z", "PJDOE1", "sms"), _notify("2024-10-26T23:41:43Z", "PKROE1", "push"),
           _entry("acknowledge_log_entry", "2024-10-26T23:44:00Z", _ref("PJDOE1")),
           _entry("escalate_log_entry", "2024-10-26T23:46:40Z", assigned_user=_ref("PPPOE1")),
           _notify("2024-10-26T23:46:42Z", "PPPOE1", "phone"),
           _entry("resolve_log_entry", "2024-10-27T01:14:00Z", _ref("PJDOE1"))]
    return [incident], {incident["id"]: log}


@pytest.fixture
def incident_path(tmp_path, monkeypatch):
    return write_records(tmp_path, monkeypatch)


def write_records(tmp_path, monkeypatch, more_mails: dict[str, str] | None = None):
    """The incident's records in their formats, pulled; ``more_mails``: other .eml files by name."""
    monkeypatch.setenv("PM_PD_TOKEN", TOKEN)
    irc = tmp_path / "irc" / "#wikimedia-operations"
    irc.mkdir(parents=True)
    (irc / "2024-10-26.log").write_text(IRC, encoding="utf-8")
    (irc / "2024-10-27.log").write_text(IRC_AFTER_MIDNIGHT, encoding="utf-8")
    wm_bot = tmp_path / "wm-bot" / "#wikimedia-operations"
    wm_bot.mkdir(parents=True)
    (wm_bot / "20241026.txt").write_text(WM_BOT, encoding="utf-8")
    (tmp_path / "sal.wiki").write_text(SAL, encoding="utf-8")
    mails = tmp_path / "mail"
    mails.mkdir()
    (mails / "firing.eml").write_text(MAIL.format(state="FIRING:1", alert=ALERT,
                                                  date="Sat, 26 Oct 2024 23:41:06 +0000"), encoding="utf-8")
    (mails / "resolved.eml").write_text(MAIL.format(state="RESOLVED", alert=ALERT,
                                                    date="Sun, 27 Oct 2024 01:16:45 +0000"), encoding="utf-8")
    for name, text in (more_mails or {}).items():
        (mails / name).write_text(text, encoding="utf-8")
    incidents, log = pagerduty_answers()
    with FakeServer(pagerduty_app(incidents, log, USERS, token=TOKEN)) as server:
        path = write_incident(tmp_path, f'''[incident]
id = "2024-10-26 db1100 failover"
start = "2024-10-26 23:38"
end = "2024-10-27 01:20"

[people.jdoe]
timezone = "Europe/Berlin"
aliases = ["Jo Doe"]

[people.ppoe]
timezone = "America/New_York"
hours = "22:00-06:00"
workdays = ["Sat", "Sun"]
aliases = ["Pat Poe"]

[[source]]
type = "irc"
path = "irc/**/*.log"
format = "znc"

[[source]]
type = "irc"
path = "wm-bot/**/*.txt"
format = "wm-bot"

[[source]]
type = "sal-wikitext"
path = "sal.wiki"

[[source]]
type = "alert-email"
path = "mail/*.eml"

[[source]]
type = "pagerduty"
url = "{server.url}"
token_env = "PM_PD_TOKEN"
''')
        assert pull(load_incident(path)).ok
    return path


@pytest.fixture
def records(incident_path):
    return gather(load_incident(incident_path))


def _one(events, predicate):
    found = [e for e in events if predicate(e)]
    assert len(found) == 1, found
    return found[0]


def test_a_deploy_logmsgbot_relayed_is_the_deployers_and_one_event(records):
    """Defect 1: `<logmsgbot> !log deployer1@deploy1002 Synchronized …` and its SAL entry."""
    deploy = _one(records.events, lambda e: "Synchronized" in e.text)
    assert (deploy.actor, deploy.kind, deploy.time) == ("deployer1", Kind.DEPLOY, utc(2024, 10, 26, 23, 50, 40))
    assert not deploy.text.startswith("!log") and deploy.log.relayed_by == "logmsgbot"


def test_a_log_line_merges_with_its_sal_entry_that_links_the_task(records):
    """Defect 2: the SAL page writes [[phab:T401299|T401299]] where the !log had T401299."""
    failover = _one(records.events, lambda e: "failover" in e.text)
    assert failover.time == utc(2024, 10, 27, 0, 5, 10)   # the IRC line's seconds
    assert set(failover.also_in) == {"sal-wikitext"} or failover.source == "sal-wikitext"


def test_an_alert_keeps_its_own_time_and_the_page_its_own(records):
    """Defect 3: the alert relayed at 23:41:05 merged with the page of 23:41:40."""
    fired = _one(records.events, lambda e: is_alert(e) and e.alert.state == "firing")
    assert fired.time == utc(2024, 10, 26, 23, 41, 5)
    assert fired.page is not None and page_time(fired) == utc(2024, 10, 26, 23, 41, 40)
    assert {"irc", "alert-email", "pagerduty"} == {fired.source, *fired.also_in}
    metrics = {m.id: m for m in incident_metrics(records)}
    assert metrics["detect"].end == utc(2024, 10, 26, 23, 41, 5)
    assert metrics["acknowledge"].start == utc(2024, 10, 26, 23, 41, 40)
    report = render_report(records)
    alerts_table = report.split("Alerts that fired", 1)[1] if "Alerts that fired" in report else report
    # (the Detection section's list; the scorecard may cite the page at its own time)
    assert "23:41:05" in alerts_table and "23:41:40" not in alerts_table.split("\n==")[0]


def test_a_person_resolving_the_page_is_not_the_recovery(records):
    """Defect 3: monitoring's RESOLVED at 01:16:30 and Jo Doe resolving the page at 01:14:00 stay two."""
    recovery = _one(records.events, lambda e: is_alert(e) and e.alert.state == RESOLVED)
    assert recovery.time == utc(2024, 10, 27, 1, 16, 30) and recovery.page is None
    by_hand = _one(records.events, lambda e: e.page is not None and e.page.phase == RESOLVED)
    assert (by_hand.time, by_hand.actor, by_hand.alert) == (utc(2024, 10, 27, 1, 14), "jdoe", None)


def test_each_notification_at_its_own_time(records):
    """Defect 4: Pat Poe was reached by the escalation at 23:46:42, not by the page."""
    fired = _one(records.events, lambda e: e.page is not None and e.page.phase == TRIGGERED)
    assert "paged jdoe, Kim Roe (" in fired.text and "Pat Poe" not in fired.text and "ppoe" not in fired.text
    later = _one(records.events, lambda e: e.page is not None and e.page.phase == NOTIFIED)
    assert later.time == utc(2024, 10, 26, 23, 46, 42) and later.page.names() == ["ppoe"]
    assert "notified ppoe (phone)" in later.text


def test_one_alert_seen_on_irc_and_in_a_mail_is_one_bar(records):
    """Defect 5: fired 1 s apart and resolved 15 s apart in IRC and mail: one interval, not two."""
    start, end = utc(2024, 10, 26, 23, 0), utc(2024, 10, 27, 2, 0)
    intervals = firing_intervals(list(records.events), start, end)
    assert [(i.name, i.start, i.end) for i in intervals] == [
        (ALERT, utc(2024, 10, 26, 23, 41, 5), utc(2024, 10, 27, 1, 16, 30))]


def test_the_paged_person_is_found_under_any_name(records):
    """Defect 7: the PagerDuty user "Jo Doe" is the IRC nick jdoe; Pat Poe's hours are [people.ppoe]'s."""
    metrics = {m.id: m for m in incident_metrics(records)}
    engage = metrics["engage"]
    assert (engage.start, engage.end) == (utc(2024, 10, 26, 23, 41, 40), utc(2024, 10, 26, 23, 43, 20))
    answers = {a.id: a for a in computed_scorecard(records).answers}
    hours = answers["pages-business-hours"]
    assert any(line.startswith("ppoe (America/New_York, 22:00-06:00)") for line in hours.evidence), hours.evidence


def test_the_source_filter_finds_the_page_merged_into_the_irc_alert(records):
    """Defect 8: `timeline --source pagerduty` shows the page and its resolution."""
    shown = filter_events(records, sources=["pagerduty"]).events
    assert any(is_alert(e) and e.page is not None for e in shown)
    assert any(e.page is not None and e.page.phase == RESOLVED for e in shown)


def test_a_zone_is_said_to_come_from_the_service_that_gave_it(records):
    """Defect 9: Kim Roe's zone came from PagerDuty, though the page merged into an IRC line."""
    hours = {a.id: a for a in computed_scorecard(records).answers}["pages-business-hours"]
    kim = next(line for line in hours.evidence if line.startswith("Kim Roe"))
    assert "time zone from PagerDuty" in kim and "IRC" not in kim


def test_checks_sums_hold_and_every_merge_is_counted_by_pair(incident_path):
    """Defect 11: events = records in the window + manual − merged, page+alert merges counted."""
    report = check_incident(str(incident_path))
    timeline = report.to_json()["timeline"]
    merged = sum(timeline["merged"].values())
    assert timeline["events"] == timeline["records_in_window"] + timeline["manual_events"] - merged
    assert any("pagerduty" in pair for pair in timeline["merged"]), timeline["merged"]
    pagerduty = next(s for s in report.to_json()["sources"] if s["type"] == "pagerduty")
    assert pagerduty["outside"] == 0 and pagerduty["read"] == pagerduty["in_window"] + len(pagerduty["dropped"])


def test_resolved_lines_tell_their_alert(records):
    """Defect 14: a resolved line says which alert as the firing line does (its summary)."""
    recovery = _one(records.events, lambda e: is_alert(e) and e.alert.state == RESOLVED)
    assert recovery.text.endswith("MariaDB primary db1100 is down") or "db1100" in recovery.text


# One Alertmanager notification for two alerts of a group (Alertmanager's default mail template):
# both page, and PagerDuty's one incident covers both.
GROUPED = """\
From: alertmanager@wikimedia.org
To: sre-alerts@lists.wikimedia.org
Subject: [FIRING:2] ProbeDown (eqiad page sre)
Date: Sat, 26 Oct 2024 23:41:10 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

[FIRING:2] ProbeDown (eqiad page sre)

Labels:
 - alertname = ProbeDown
 - instance = db1100-ip4
 - severity = page
 - team = sre
Annotations:
 - summary = db1100 probes fail over IPv4
Source: https://prometheus-eqiad.wikimedia.org/ops/graph?g0.expr=probe_success

Labels:
 - alertname = ProbeDown
 - instance = db1100-ip6
 - severity = page
 - team = sre
Annotations:
 - summary = db1100 probes fail over IPv6
Source: https://prometheus-eqiad.wikimedia.org/ops/graph?g0.expr=probe_success
"""


def test_alerts_of_severity_page_are_covered_by_the_paging_services_page(tmp_path, monkeypatch):
    """A new user's trial: one mail with two paging alerts counted as two pages that
    reached nobody known, so people paged, working hours and paged-num were unknown."""
    records = gather(load_incident(write_records(tmp_path, monkeypatch, {"grouped.eml": GROUPED})))
    assert len([e for e in records.events if e.alert is not None and e.alert.name == "ProbeDown"]) == 2
    answers = {a.id: a for a in computed_scorecard(records).answers}
    assert (answers["people-paged-fewer-than-five"].answer,
            answers["people-paged-fewer-than-five"].notes) == ("yes", "3 people paged: Kim Roe, jdoe, ppoe")
    assert "| paged-num = 3\n" in render_report(records)
