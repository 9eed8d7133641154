"""Pages in the report: the incident of issue 13 end to end (pull from local
Splunk On-Call and PagerDuty servers, render, scorecard), and the rules and
metrics on page events (postmortem/scorecard/paging.py, timeline/metrics.py)."""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import replace

import pytest

from postmortem.collect import cache
from postmortem.collect.pull import pull
from postmortem.core.model import Event, Incident, Person, Records, utc
from postmortem.core.vocabulary import Alert, Notified
from postmortem.incident.load import load_incident
from postmortem.scorecard.answers import computed_scorecard
from postmortem.scorecard._rules import compute_answers
from postmortem.timeline.gather import gather
from postmortem.timeline.metrics import incident_metrics
from postmortem.write.render import render_report
from tests.conftest import write_incident
from tests.events import page_event
from tests.services import FakeServer, pagerduty_app, splunk_app
from tests.test_source_pagerduty import ANA, INCIDENTS as PD_INCIDENTS, TIMELINE

API_ID, API_KEY, PD_TOKEN = "vo-id-e2e", "vo-key-E2E-NEVER-PRINT", "pd-E2E-NEVER-PRINT"
PAGE = utc(2024, 4, 2, 1, 0)  # a Tuesday; Berlin and Amsterdam are on summer time (CEST) since 31 March
# who the page reached, and where they work (09:00-17:00): two at 03:00 their time, four in their day
ROSTER = {"ana": "Europe/Berlin", "ben": "Europe/Amsterdam", "chen": "Asia/Tokyo", "dev": "Asia/Singapore",
          "eli": "Australia/Sydney", "fay": "Asia/Shanghai"}
ALERT_MAIL = """From: alertmanager@example.org
To: sre@example.org
Subject: [FIRING:1] ProbeDown (probes/service page eqiad)
Date: Tue, 02 Apr 2024 00:59:48 +0000
Content-Type: text/plain; charset=UTF-8

Alerts Firing:
Labels:
 - alertname = ProbeDown
 - instance = api-https:443
 - severity = page
 - site = eqiad
 - team = sre
Annotations:
 - summary = Service api-https:443 has failed probes
Source: https://prometheus-eqiad.example.org/ops/graph?g0.expr=probe_success
"""


def notify(entry_id, at, user, channel):
    """PagerDuty's notify_log_entry of the recorded timeline, for ``user`` at ``at`` by ``channel``."""
    entry = copy.deepcopy(next(e for e in TIMELINE if e["type"] == "notify_log_entry"))
    entry.update(id=entry_id, created_at=at, user={**entry["user"], "id": user["id"], "summary": user["name"]},
                 channel=channel)
    return entry


def splunk_incident():
    """Splunk On-Call's record of the page (the reporting API's v2 shape)."""
    return {"incidentNumber": "5505", "startTime": "2024-04-02T01:00:00Z", "currentPhase": "resolved",
            "alertCount": 1, "entityId": "probes/service api-https:443 eqiad",
            "entityDisplayName": "ProbeDown (probes/service page eqiad)", "routingKey": "sre", "service": "probes",
            "pagedUsers": list(ROSTER), "pagedTeams": ["team-sre"],
            "pagedPolicies": [{"policy": {"name": "SRE batphone", "slug": "pol-sre"},
                               "team": {"name": "SRE", "slug": "team-sre"}}],
            "transitions": [{"name": "triggered", "at": "2024-04-02T01:00:00Z", "alertId": "a1",
                             "alertUrl": "https://api.victorops.com/api-public/v1/alerts/a1"},
                            {"name": "acknowledged", "at": "2024-04-02T01:04:00Z", "by": "chen", "manually": True,
                             "message": "looking"},
                            {"name": "resolved", "at": "2024-04-02T01:40:00Z", "by": "chen", "manually": True}]}


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("PM_VO_ID", API_ID)
    monkeypatch.setenv("PM_VO_KEY", API_KEY)
    monkeypatch.setenv("PM_PD_TOKEN", PD_TOKEN)


def people_toml(roster: dict) -> str:
    """``[people.<name>]`` tables: ``{name: zone}`` or ``{name: (zone, [aliases])}``."""
    def table(name, entry):
        zone, aliases = entry if isinstance(entry, tuple) else (entry, [])
        return f'\n[people."{name}"]\ntimezone = "{zone}"\nteam = "sre"\naliases = {aliases!r}\n'.replace("'", '"')
    return "".join(table(name, entry) for name, entry in roster.items())


def splunk_incident_file(tmp_path, url):
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "probedown.eml").write_text(ALERT_MAIL, encoding="utf-8")
    (tmp_path / "irc").mkdir()  # ZNC's log of #wikimedia-operations
    (tmp_path / "irc" / "2024-04-02.log").write_text(
        "[01:03:40] <carol> is the api down?\n[01:06:10] <chen> ProbeDown is real, api-https fails in eqiad\n",
        encoding="utf-8")
    return write_incident(tmp_path, f'''[incident]
id = "2024-04-02 api-https probes"
start = "2024-04-02 00:55"
end = "2024-04-02 02:00"
responders = ["chen"]

[[source]]
type = "splunk-oncall"
url = "{url}"
org = "wikimedia"
api_id_env = "PM_VO_ID"
api_key_env = "PM_VO_KEY"

[[source]]
type = "alert-email"
path = "alerts/*.eml"

[[source]]
type = "irc"
path = "irc/*.log"
''' + people_toml(ROSTER))


def by_id(card):
    return {a.id: a for a in card.answers}


def test_a_page_that_reached_six_people_two_at_three_in_the_morning(tmp_path, keys, capsys):
    app = splunk_app([splunk_incident()], {}, api_id=API_ID, api_key=API_KEY)
    with FakeServer(app) as server:
        path = splunk_incident_file(tmp_path, server.url)
        report = pull(load_incident(path))
    assert report.ok, report.lines()
    records = gather(load_incident(path))
    answers = by_id(computed_scorecard(records))

    fewer = answers["people-paged-fewer-than-five"]
    assert (fewer.answer, fewer.notes) == ("no", "6 people paged: ana, ben, chen, dev, eli, fay")
    # the alert at its own time (the mail's, 12 s before the page); the page at its own (01:00:00)
    assert fewer.evidence[0].startswith("2024-04-02 00:59:48 UTC alert-email: ProbeDown firing (page): ")
    assert fewer.evidence[0].endswith("https://portal.victorops.com/ui/wikimedia/incident/5505")
    assert fewer.evidence[1] == "paged (6): ana, ben, chen, dev, eli, fay"

    hours = answers["pages-business-hours"]
    assert hours.answer == "no" and hours.notes == "paged outside working hours: ana, ben (the people the page names)"
    assert hours.evidence[0] == fewer.evidence[0]
    assert hours.evidence[1:] == (
        "ana (Europe/Berlin, 09:00-17:00): Tue 03:00 local, outside working hours",
        "ben (Europe/Amsterdam, 09:00-17:00): Tue 03:00 local, outside working hours",
        "chen (Asia/Tokyo, 09:00-17:00): Tue 10:00 local, inside working hours",
        "dev (Asia/Singapore, 09:00-17:00): Tue 09:00 local, inside working hours",
        "eli (Australia/Sydney, 09:00-17:00): Tue 12:00 local, inside working hours",
        "fay (Asia/Shanghai, 09:00-17:00): Tue 09:00 local, inside working hours")
    assert answers["monitoring-notified"].answer == "yes"
    assert answers["pages-right-team"].answer == "yes"  # paged SRE for a team=sre alert

    text = render_report(records)
    summary = text.split("==Timeline==")[0]
    assert "| paged-num = 6\n" in summary
    # each at the precision it was computed: the page at 01:00:00, chen's reply at 01:06:10
    assert "* Time to acknowledge: 4 min (2024-04-02 01:00:00 → 01:04:00 UTC)\n" in summary
    assert "* Time to engage: 6 min 10 s (2024-04-02 01:00:00 → 01:06:10 UTC)\n" in summary  # chen, not carol
    timeline = text.split("==Timeline==")[1].split("==Detection==")[0]
    probe_lines = [line for line in timeline.splitlines() if "ProbeDown" in line]
    assert len(probe_lines) == 2, probe_lines  # the page and its e-mail are one event; chen's message the other
    assert probe_lines[0] == (
        "*00:59 (alert, [https://portal.victorops.com/ui/wikimedia/incident/5505 Splunk On-Call]) ProbeDown firing "
        "(page): "
        "Service api-https&#58;443 has failed probes; paged ana, ben, chen, dev, eli, fay (SRE) (Splunk On-Call "
        "incident 5505)")
    assert ("*01:04 ([https://portal.victorops.com/ui/wikimedia/incident/5505 Splunk On-Call]) chen: "
            "acknowledged Splunk On-Call incident 5505: looking") in timeline
    everything = text + cache.cache_path(load_incident(path)).read_text() + capsys.readouterr().out
    assert API_KEY not in everything and API_ID not in everything


def test_a_page_a_person_started_about_an_alert_is_not_that_alert(tmp_path, keys):
    """chen paged by hand, naming ProbeDown, a few seconds after it fired: the
    page merged into the alert's mail, so chen's page left the timeline and the
    alert, now carrying a page a person started, no longer counted as monitoring
    noticing (found by tests/test_simulator.py)."""
    incident = splunk_incident()
    incident["transitions"][0].update(by="chen", manually=True)
    with FakeServer(splunk_app([incident], {}, api_id=API_ID, api_key=API_KEY)) as server:
        path = splunk_incident_file(tmp_path, server.url)
        assert pull(load_incident(path)).ok
    records = gather(load_incident(path))
    firsts = [(e.time, e.source, e.actor, e.page is not None) for e in records.events if e.time <= PAGE]
    assert firsts == [(utc(2024, 4, 2, 0, 59, 48), "alert-email", None, False), (PAGE, "splunk-oncall", "chen", True)]
    detect = next(m for m in incident_metrics(records) if m.id == "detect")
    assert detect.end == utc(2024, 4, 2, 0, 59, 48) and "first alert (alert-email)" in detect.note



def test_a_page_merged_into_its_alert_is_cited_at_both_times(tmp_path, keys):
    """The scorecard cited the alert of 00:59:48 that paged at 01:00:00 as "the page at
    00:59:48": no page went out then. Its link now says when each happened."""
    with FakeServer(splunk_app([splunk_incident()], {}, api_id=API_ID, api_key=API_KEY)) as server:
        path = splunk_incident_file(tmp_path, server.url)
        assert pull(load_incident(path)).ok
    scorecard = render_report(gather(load_incident(path))).split("==Scorecard==")[1]
    cited = re.findall(r"\[https://portal\.victorops\.com/ui/wikimedia/incident/5505 ([^]]*)\]", scorecard)
    assert cited and set(cited) == {"the alert at 2024-04-02 00:59:48, its page at 01:00:00"}


def pd_roster():
    """Four of the six have a roster entry, found by an alias that is their PagerDuty name, e-mail or
    id (or by its own name); two only a PagerDuty time zone."""
    return {"chen": ("Asia/Tokyo", ["Chen Wu"]), "dev": ("Asia/Singapore", ["dev@example.org"]),
            "eli": ("Australia/Sydney", ["PELI01"]), "Fay Liu": "Asia/Shanghai"}


PD_PEOPLE = [  # (id, name, e-mail, PagerDuty time zone)
    ("PANA01", "Ana Nowak", "ana@example.org", "Europe/Warsaw"), ("PBEN01", "Ben Okafor", "ben@example.org",
                                                                   "Africa/Lagos"),
    ("PCHEN1", "Chen Wu", "chen@example.org", "UTC"), ("PDEV01", "Dev Rao", "dev@example.org", "UTC"),
    ("PELI01", "Eli Moss", "eli@example.org", "UTC"), ("PFAY01", "Fay Liu", "fay@example.org", "UTC")]


def pd_answers():
    incident = copy.deepcopy(PD_INCIDENTS[0])
    incident["created_at"] = "2024-03-05T02:00:00Z"
    users = {uid: {**ANA, "id": uid, "name": name, "summary": name, "email": email, "time_zone": zone}
             for uid, name, email, zone in PD_PEOPLE}
    trigger = {**TIMELINE[0], "created_at": "2024-03-05T02:00:00Z"}
    ack = {**next(e for e in TIMELINE if e["type"] == "acknowledge_log_entry"), "created_at": "2024-03-05T02:04:00Z"}
    entries = [trigger] + [notify(f"N{n}", "2024-03-05T02:00:05Z", users[uid], {"type": "sms"})
                           for n, (uid, *_rest) in enumerate(PD_PEOPLE)] + [ack]
    return [incident], {incident["id"]: entries}, users


def pd_records(tmp_path, incidents, entries, users):
    """The records of an incident whose PagerDuty answers these, pulled (the roster: pd_roster)."""
    with FakeServer(pagerduty_app(incidents, entries, users, token=PD_TOKEN)) as server:
        path = write_incident(tmp_path, f'''[incident]
id = "2024-03-05 checkout"
start = "2024-03-05 01:55"
end = "2024-03-05 03:00"

[[source]]
type = "pagerduty"
url = "{server.url}"
token_env = "PM_PD_TOKEN"
''' + people_toml(pd_roster()))
        assert pull(load_incident(path)).ok
    return gather(load_incident(path))


def test_pagerduty_users_without_a_roster_entry_are_checked_in_their_pagerduty_time_zone(tmp_path, keys):
    records = pd_records(tmp_path, *pd_answers())
    answers = by_id(computed_scorecard(records))
    assert answers["people-paged-fewer-than-five"].answer == "no"
    hours = answers["pages-business-hours"]
    assert hours.answer == "no" and hours.notes.startswith("paged outside working hours: Ana Nowak, Ben Okafor")
    assert hours.evidence[1:3] == (
        "Ana Nowak (Europe/Warsaw, 09:00-17:00; time zone from PagerDuty, default hours Mon-Fri): Tue 03:00 local, "
        "outside working hours",
        "Ben Okafor (Africa/Lagos, 09:00-17:00; time zone from PagerDuty, default hours Mon-Fri): Tue 03:00 local, "
        "outside working hours")
    assert hours.evidence[3:] == (  # the roster wins over PagerDuty's zone (UTC for these four), under its name
        "chen (Asia/Tokyo, 09:00-17:00): Tue 11:00 local, inside working hours",
        "dev (Asia/Singapore, 09:00-17:00): Tue 10:00 local, inside working hours",
        "eli (Australia/Sydney, 09:00-17:00): Tue 13:00 local, inside working hours",
        "Fay Liu (Asia/Shanghai, 09:00-17:00): Tue 10:00 local, inside working hours")
    metrics = {m.id: m for m in incident_metrics(records)}
    assert metrics["acknowledge"].minutes == 4
    assert "| paged-num = 6\n" in render_report(records)


def test_who_acts_on_a_pagerduty_page_goes_by_the_name_the_roster_knows_them_by(tmp_path, keys):
    """Dev acknowledged, Eli paged by hand and resolved: the roster knows them by their
    PagerDuty e-mail and id, yet the timeline said "Dev Rao" and "Eli Moss" (only whom
    the page reached was looked up under those names; found by tests/test_simulator.py).
    Dev was not notified: his user is read for his e-mail all the same."""
    incidents, entries, users = pd_answers()
    (trigger, *notified, ack), agent = entries[incidents[0]["id"]], lambda uid, name: {  # noqa: E731
        "id": uid, "type": "user_reference", "summary": name}
    notified = [n for n in notified if n["user"]["id"] != "PDEV01"]  # Dev acknowledged without being notified
    resolve = next(e for e in TIMELINE if e["type"] == "resolve_log_entry")
    eli, dev = agent("PELI01", "Eli Moss"), agent("PDEV01", "Dev Rao")
    resolve = {**resolve, "created_at": "2024-03-05T02:30:00Z", "agent": eli}
    entries[incidents[0]["id"]] = [{**trigger, "agent": eli, "channel": {"type": "web_trigger"}}, *notified,
                                   {**ack, "agent": dev}, resolve]
    events = pd_records(tmp_path, incidents, entries, users).events
    assert [(e.page.phase, e.actor) for e in events] == [("triggered", "eli"), ("acknowledged", "dev"),
                                                         ("resolved", "eli")]


# -- the rules on page events -----------------------------------------------------------

START = utc(2024, 4, 2, 0, 55)


def page(minute=5, paged="ana, ben", source="splunk-oncall", paged_teams="", unresolved_teams="", team=None,
         manual=False, by=None, aka=None, at=None):
    """A page that reached ``paged`` (comma-separated); ``team``: merged with its
    alert of that team; ``aka``/``at``: a person's other names, when they were reached."""
    aka, at = aka or {}, at or {}
    names = [n.strip() for n in paged.split(",") if n.strip()]
    event = page_event(START + dt.timedelta(minutes=minute), "triggered", source=source, what="ProbeDown",
                       text="ProbeDown: paged", actor=by, manual=manual,
                       paged=[Notified(n, at.get(n), aka=aka.get(n, ())) for n in names],
                       teams=[t.strip() for t in paged_teams.split(",") if t.strip()],
                       unresolved_teams=[t for t in [unresolved_teams] if t])
    if team is None:
        return event
    return replace(event, alert=Alert("ProbeDown", labels={"team": team}), kind=None)


def follow(minute, phase="acknowledged", actor="ben", source="splunk-oncall"):
    return page_event(START + dt.timedelta(minutes=minute), phase, source=source, actor=actor,
                      text=f"{phase} incident 1")


def chat(minute, actor, text="looking into it now"):
    return Event(START + dt.timedelta(minutes=minute), "irc", text, actor=actor, channel="#ops")


def records(events, **kw):
    people = {"ana": Person("ana", "Asia/Tokyo", team="sre"), "ben": Person("ben", "Asia/Tokyo", team="sre")}
    return Records(Incident(**{"id": "t", "start": START, "people": people, **kw}), tuple(events))


def answer(qid, events, **kw):
    return compute_answers(records(events, **kw))[qid]


@pytest.mark.parametrize("events, expected, notes", [
    pytest.param([page(paged="a, b, c, d")], "yes", "4 people paged: a, b, c, d", id="four"),
    pytest.param([page(paged="a, b, c"), page(9, paged="c, d, e")], "no", "5 people paged: a, b, c, d, e",
                 id="five-distinct-over-two-pages"),
    pytest.param([page(paged="", paged_teams="SRE", unresolved_teams="SRE")], None,
                 "unknown: a page event does not say whom it reached", id="a-team-nobody-knows"),
    pytest.param([page(paged="a, b"), page(9, paged="", unresolved_teams="SRE")], None,
                 "unknown: a page event does not say whom it reached (2 named: a, b)", id="some-known"),
    pytest.param([page(paged="a, b, c, d, e", unresolved_teams="SRE")], "no",
                 "at least 5 people paged: a, b, c, d, e", id="at-least-five-is-enough"),
    pytest.param([page(paged="Ana Nowak, Ben Okafor")], "yes", "2 people paged: Ana Nowak, Ben Okafor",
                 id="names-with-spaces"),
])
def test_people_paged(events, expected, notes):
    got = answer("people-paged-fewer-than-five", events)
    assert (got.answer, got.notes) == (expected, notes)


@pytest.mark.parametrize("paged_teams, alert_team, responders, expected", [
    pytest.param("SRE", "sre", (), "yes", id="same-name"),
    pytest.param("SRE Core", "sre-core", (), "yes", id="spaces-and-dashes"),
    pytest.param("SRE batphone", "sre", (), "yes", id="a-word-of-its-name"),
    pytest.param("Data Persistence", "sre", (), "no", id="another-team"),
    pytest.param("Data Persistence", None, ("ana",), "no", id="responders-of-another-team"),
    pytest.param("SRE", None, ("ana",), "yes", id="responders-of-that-team"),
    pytest.param("SRE", None, (), None, id="nothing-to-compare-with"),
])
def test_the_paged_team_against_the_alerts_or_the_responders(paged_teams, alert_team, responders, expected):
    got = answer("pages-right-team", [page(paged_teams=paged_teams, team=alert_team)], responders=responders)
    assert got.answer == expected, got
    if expected == "no" and alert_team:
        assert got.notes == f"paged outside the alert's team: {paged_teams} for a {alert_team} alert"
        assert f"paged team: {paged_teams}; the alert's team: {alert_team}" in got.evidence


def test_a_manual_page_is_a_person_reporting_not_monitoring():
    manual = page(5, manual=True, by="tchin")
    got = answer("monitoring-notified", [manual, page(9)])
    assert got.answer == "no" and got.notes == "a page started by a person came before any alert fired"
    assert got.evidence[1].startswith("a page started by a person: 2024-04-02 01:00:00 UTC splunk-oncall")
    assert answer("monitoring-notified", [manual]).notes == "no alert fired; a person paged by hand"
    assert answer("monitoring-notified", [page(5), manual]).answer == "yes"


def test_acknowledge_and_engage_metrics():
    events = [page(5), follow(9), chat(7, "carol"), chat(12, "ben")]
    got = {m.id: m for m in incident_metrics(records(events))}
    assert got["acknowledge"].minutes == 4
    assert got["acknowledge"].note == ("first page (Splunk On-Call) → first acknowledgement "
                                       "(splunk-oncall ben)")
    assert got["engage"].minutes == 7 and got["engage"].note.endswith("first message from someone paged (irc ben)")
    assert got["respond"].minutes == 2  # anyone: no responders listed
    none = {m.id: m.text() for m in incident_metrics(records([page(5)]))}
    assert none["acknowledge"].startswith("unknown: no acknowledgement of a page recorded after the first page")
    assert none["engage"] == "unknown: no message after the first page from someone it paged"
    nobody = {m.id: m.text() for m in incident_metrics(Records(Incident("t", START, paged=0)))}
    assert nobody["acknowledge"] == nobody["engage"] == "not applicable: nobody was paged"


def test_engage_knows_a_person_by_the_other_names_the_service_gives():
    events = [page(5, paged="Ana Nowak", aka={"Ana Nowak": ("PANA01", "anowak")}), chat(8, "anowak")]
    got = {m.id: m for m in incident_metrics(records(events))}
    assert got["engage"].minutes == 3


def test_each_person_is_checked_when_they_were_notified():
    # ben was notified by an escalation at 08:10 Tokyo time (23:10 UTC): outside; ana at the page: inside
    ev = replace(page(5, at={"ben": utc(2024, 4, 1, 23, 10)}), time=utc(2024, 4, 2, 1, 0))
    ev = replace(ev, page=replace(ev.page, at=ev.time))
    got = answer("pages-business-hours", [ev])
    assert got.answer == "no" and "ben (Asia/Tokyo, 09:00-17:00): Tue 08:10 local, outside working hours" in got.evidence
    assert "ana (Asia/Tokyo, 09:00-17:00): Tue 10:00 local, inside working hours" in got.evidence


def test_paged_num_comes_from_the_pages_unless_the_incident_says():
    from postmortem.write.view import report_view
    assert report_view(records([page(paged="a, b, c")]))["incident"].paged == "3"
    assert report_view(records([page(paged="a, b, c")], paged=2))["incident"].paged == "2"
    assert report_view(records([page(paged="", unresolved_teams="SRE")]))["incident"].paged == ""


def test_peoples_addresses_are_not_published(tmp_path, keys, run_cli):
    """`timeline --format json` printed each person PagerDuty notified with their
    e-mail among their other names ("aka"); the cache keeps it (to match people),
    the outputs do not: neither the JSON nor the report."""
    records = pd_records(tmp_path, *pd_answers())
    addresses = [email for _, _, email, _ in PD_PEOPLE]
    assert any(email in (tmp_path / "incident.events.json").read_text() for email in addresses)
    code, out, _ = run_cli("timeline", tmp_path / "incident.toml", "--format", "json")
    assert code == 0 and '"aka": [' in out and "PANA01" in out
    assert [email for email in addresses if email in out] == []
    report = render_report(records)
    assert [email for email in addresses if email in report] == []
