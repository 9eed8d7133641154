"""Scorecard answers computed from the records, human answers over them, and
the disagreements between the two (postmortem.scorecard._rules, postmortem.scorecard.answers)."""

from __future__ import annotations

import json

import pytest

from postmortem.core.model import Records
from postmortem.read.previous import read_previous
from postmortem.scorecard._rules import compute_answers, within_hours
from postmortem.incident.load import load_incident
from postmortem.core.model import Actionable, Event, Incident, Person, ScorecardAnswer, utc
from postmortem.collect.pull import pull
from postmortem.write.render import render_report
from postmortem.core.questions import QUESTION_IDS
from postmortem.core.vocabulary import TRIGGERED, Alert, Notified, Page
from postmortem.scorecard.answers import build_scorecard, computed_scorecard
from postmortem.timeline.gather import gather
from tests.conftest import SAMPLE, write_incident
from tests.services import FakeServer, conduit_app, task_fields

NY = Person("alice", "America/New_York")
CHICAGO = Person("bob", "America/Chicago")
MONDAY = (2023, 10, 2)  # a Monday, US daylight saving time


def incident(**kw) -> Incident:
    base = dict(id="2023-10-02 test", start=utc(*MONDAY, 2, 50), end=utc(*MONDAY, 18, 0))
    return Incident(**{**base, **kw})


def page(hour, minute=0, paged="alice, bob", day=MONDAY, team=None) -> Event:
    """An alert that paged (severity page), with whom it reached where that is known."""
    names = [n.strip() for n in paged.split(",") if n.strip()]
    written = Page("incident.toml", "", TRIGGERED, notified=tuple(Notified(n) for n in names)) if names else None
    return Event(utc(*day, hour, minute), "alertmanager", "HighLatency firing", tags=("alert", "page"),
                 alert=Alert("HighLatency", labels={"team": team} if team else {}), page=written)


def answer(inc: Incident, qid: str, events=(), **records) -> ScorecardAnswer:
    return compute_answers(Records(inc, tuple(events), **records))[qid]


# -- pages-business-hours ------------------------------------------------------------

def test_page_at_night_in_new_york_and_chicago_is_no_with_the_page_and_people_as_evidence():
    inc = incident(people={"alice": NY, "bob": CHICAGO})
    got = answer(inc, "pages-business-hours", [page(3, 4)])
    assert got.answer == "no" and got.source == "computed"
    assert "alice" in got.notes and "bob" in got.notes and "the people the page names" in got.notes
    assert got.evidence[0] == "2023-10-02 03:04:00 UTC alertmanager: HighLatency firing"
    assert "alice (America/New_York, 09:00-17:00): Sun 23:04 local, outside working hours" in got.evidence
    assert "bob (America/Chicago, 09:00-17:00): Sun 22:04 local, outside working hours" in got.evidence


def test_the_same_page_at_15_utc_is_yes():
    inc = incident(people={"alice": NY, "bob": CHICAGO})
    got = answer(inc, "pages-business-hours", [page(15, 0)])
    assert got.answer == "yes"
    assert any("alice" in e and "Mon 11:00 local, inside" in e for e in got.evidence)
    assert any("bob" in e and "Mon 10:00 local, inside" in e for e in got.evidence)


def test_working_hours_follow_daylight_saving_time():
    # 13:30 UTC is 09:30 in New York in October (EDT) but 08:30 in November (EST).
    assert within_hours(utc(2023, 10, 30, 13, 30), NY)
    assert not within_hours(utc(2023, 11, 6, 13, 30), NY)
    assert not within_hours(utc(2023, 10, 28, 15, 0), NY)  # a Saturday
    night = Person("owl", "Europe/Berlin", hours=(__import__("datetime").time(22), __import__("datetime").time(6)))
    assert within_hours(utc(2023, 10, 3, 1, 0), night)  # Tue 03:00 Berlin: Monday's night shift


def test_a_page_that_names_nobody_leaves_it_open_with_the_responders_as_a_hint():
    inc = incident(people={"alice": NY}, responders=("alice", "carol"))
    got = answer(inc, "pages-business-hours", [page(3, 4, paged="")])
    assert got.answer is None  # a guess would count in the score
    assert got.notes == ("unknown: a page does not say whom it reached (of the responders with a [people] entry, "
                         "alice outside working hours)")


def test_a_paged_person_without_working_hours_leaves_it_open():
    inc = incident(people={"alice": NY})
    got = answer(inc, "pages-business-hours", [page(15, 0, paged="alice, zed")])
    assert got.answer is None and "zed" in got.notes


def test_nobody_paged_is_yes_but_no_record_is_null():
    assert answer(incident(paged=0), "pages-business-hours").answer == "yes"
    assert answer(incident(), "pages-business-hours").answer is None


# -- people paged, right team ----------------------------------------------------------

def test_seven_people_paged_is_no():
    assert answer(incident(paged=7), "people-paged-fewer-than-five").answer == "no"
    seven = "a, b, c, d, e, f, g"
    got = answer(incident(), "people-paged-fewer-than-five", [page(3, 4, paged=seven)])
    assert got.answer == "no" and got.notes.startswith("7 people paged")
    assert answer(incident(paged=2), "people-paged-fewer-than-five").answer == "yes"
    assert answer(incident(), "people-paged-fewer-than-five", [page(3, 4, paged="")]).answer is None


def test_pages_right_team():
    people = {"alice": Person("alice", team="sre"), "bob": Person("bob", team="data-engineering")}
    inc = incident(people=people)
    assert answer(inc, "pages-right-team", [page(3, paged="alice", team="sre")]).answer == "yes"
    wrong = answer(inc, "pages-right-team", [page(3, paged="alice, bob", team="sre")])
    assert wrong.answer == "no" and "bob (data-engineering) for a sre alert" in wrong.notes
    assert answer(inc, "pages-right-team", [page(3, paged="alice")]).answer is None  # no team label
    assert answer(inc, "pages-right-team").answer is None


# -- monitoring-notified ----------------------------------------------------------------

def chat(hour, minute, text="is the site down for anyone else?"):
    return Event(utc(*MONDAY, hour, minute), "slack-export", text, actor="user1", channel="ops")


def alert(hour, minute):
    return Event(utc(*MONDAY, hour, minute), "alert-email", "HighLatency firing", tags=("alert",),
                 alert=Alert("HighLatency"))


def test_a_users_chat_report_before_any_alert_is_no():
    got = answer(incident(), "monitoring-notified", [chat(3, 0), alert(3, 10)])
    assert got.answer == "no"
    assert got.evidence == ("first alert: 2023-10-02 03:10:00 UTC alert-email: HighLatency firing",
                            "first human report: 2023-10-02 03:00:00 UTC slack-export: user1: "
                            "is the site down for anyone else?")


def test_an_alert_first_is_yes():
    assert answer(incident(), "monitoring-notified", [alert(2, 55), chat(3, 0)]).answer == "yes"
    assert answer(incident(), "monitoring-notified", [chat(3, 0)]).answer == "no"
    assert answer(incident(), "monitoring-notified").answer is None


def test_an_alert_relayed_on_irc_before_the_first_message_is_yes(tmp_path):
    """icinga-wm's PROBLEM line is monitoring notifying the channel, not a person reporting."""
    from postmortem.collect.sources.irc import SOURCE as IRC
    from postmortem.core.model import SourceConfig, Window
    (tmp_path / "2023-10-02.log").write_text(
        "[03:00:10] <icinga-wm> PROBLEM - etcd request latencies on conf1008 is CRITICAL: 2.5s\n"
        "[03:01:40] <jayme> looking at the etcd latency alert\n", encoding="utf-8")
    config = SourceConfig("irc", {"type": "irc", "path": "*.log", "format": "znc"}, index=0, base_dir=str(tmp_path))
    events = IRC.read(config, Window(utc(*MONDAY, 2), utc(*MONDAY, 4)))
    got = answer(incident(), "monitoring-notified", events)
    assert got.answer == "yes", got.notes
    assert got.evidence[0] == "first alert: 2023-10-02 03:00:10 UTC irc: etcd request latencies on conf1008 firing: 2.5s"


# -- tasks and actionables ----------------------------------------------------------------

def test_phabricator_task():
    assert answer(incident(task="T123"), "phabricator-task").answer == "yes"
    assert answer(incident(), "phabricator-task").answer is None


def test_actionables_without_a_task_are_unassigned_and_owners_need_phabricator():
    items = (Actionable("a", "T1"), Actionable("b", no_task="later"), Actionable("c", done=True))
    got = answer(incident(actionables=items), "actionables-assigned")
    assert got.answer == "no" and got.notes == "not assigned: actionable 2 (no task, on purpose)"
    assert got.evidence == ('actionable 1 "a": task T1, owner unknown (no phabricator source pulled)',
                            'actionable 2 "b": no task (later)',
                            'actionable 3 "c": done, no task: nothing left to assign')
    only_tasks = answer(incident(actionables=items[:1] + items[2:]), "actionables-assigned")
    assert only_tasks.answer is None and "no phabricator source" in only_tasks.notes
    owned = answer(incident(actionables=(Actionable("a", "T1", owner="me"),)), "actionables-assigned")
    assert owned.answer == "yes"


def test_a_task_only_named_in_the_text_is_said_not_taken():
    """The report's reader takes a task in an actionable's text for its task; here
    incident.toml's `task` decides, and the evidence says why they differ."""
    items = (Actionable("Alert on lag (see Phab:T999008)", owner="jdoe"),)
    got = answer(incident(actionables=items), "actionables-assigned")
    assert got.answer == "no" and got.evidence == (
        'actionable 1 "Alert on lag (see Phab:T999008)": no task (its text names T999008; task = is not set), '
        'owner jdoe',)


ASSIGNED_OR_NOT = """
[[actionable]]
task = "T347884"
owner = "ottomata"
text = "Do not retry on badrevids without replica lag"

[[actionable]]
owner = "jdoe"
text = "Add alert on enrichment backlog growth"

[[actionable]]
text = "Link the runbook from the alert"
no-task = "a wiki edit, done during the incident"
done = true
"""


def test_an_owner_without_a_task_is_not_assigned_as_lint_says_and_every_actionable_is_cited(tmp_path, run_cli):
    """Issue 21: lint flagged the owned actionable without a task `no-task` while
    the scorecard answered "yes — every open actionable has a task and an owner"."""
    path = write_incident(tmp_path, ASSIGNED_OR_NOT)
    assert run_cli("render", path, "-o", tmp_path / "r.wiki")[0] == 0
    code, out, _ = run_cli("lint", tmp_path / "r.wiki")
    flagged = [line for line in out.splitlines() if ": no-task: " in line]
    assert code == 1 and len(flagged) == 1 and flagged[0].endswith("Add alert on enrichment backlog growth")
    code, out, _ = run_cli("scorecard", path, "--format", "json")
    got = next(a for a in json.loads(out)["answers"] if a["id"] == "actionables-assigned")
    assert got["answer"] == "no" and got["notes"] == "not assigned: actionable 2 (no task)"
    assert got["evidence"] == [
        'actionable 1 "Do not retry on badrevids without replica lag": task T347884, owner ottomata',
        'actionable 2 "Add alert on enrichment backlog growth": no task, owner jdoe',
        'actionable 3 "Link the runbook from the alert": done, no task (a wiki edit, done during the incident): '
        'nothing left to assign']


PHAB = """
[[source]]
type = "phabricator"
url = "{url}"
token_env = "PM_SCORECARD_PHAB"

[[actionable]]
task = "T347884"
text = "owned"
"""


@pytest.mark.parametrize("second_owner, expected", [("PHID-USER-1", "yes"), (None, "no")])
def test_actionables_against_the_phabricator_test_server(tmp_path, monkeypatch, second_owner, expected):
    monkeypatch.setenv("PM_SCORECARD_PHAB", "api-scorecardtoken0123456789abcd")
    tasks = {347884: task_fields("Do not retry", "open", "PHID-USER-1"),
             345806: task_fields("Partition the topic", "open", second_owner)}
    with FakeServer(conduit_app(tasks, {"PHID-USER-1": "ottomata"}, token="api-scorecardtoken0123456789abcd")) as server:
        path = write_incident(tmp_path, PHAB.format(url=server.url) + '\n[[actionable]]\ntask = "T345806"\n'
                                                                      'text = "maybe owned"\n')
        inc = load_incident(path)
        assert pull(inc).ok
    got = computed_scorecard(gather(inc)).answers[QUESTION_IDS.index("actionables-assigned")]
    assert got.answer == expected and got.source == "computed"
    assert got.evidence[0] == 'actionable 1 "owned": task T347884, owner ottomata (open)'
    if expected == "no":
        assert got.notes == "not assigned: actionable 2 (T345806 has no owner)"
        assert got.evidence[1] == 'actionable 2 "maybe owned": task T345806, no owner (open)'


# -- human over computed ----------------------------------------------------------------

def test_a_human_answer_overrides_and_the_disagreement_is_reported():
    inc = incident(people={"alice": NY, "bob": CHICAGO},
                   scorecard={"pages-business-hours": ScorecardAnswer("pages-business-hours", "yes",
                                                                      "all fine", "human")})
    card = computed_scorecard(Records(inc, [page(3, 4)], {}, None))
    shown = card.answers[QUESTION_IDS.index("pages-business-hours")]
    assert shown.answer == "yes" and shown.source == "human"
    assert shown.notes.startswith("all fine [the records say no: paged outside working hours")
    assert any("outside working hours" in e for e in shown.evidence)
    assert [d.id for d in card.disagreements] == ["pages-business-hours"]
    assert "answered \"yes\" but the records say \"no\"" in card.to_text()
    assert card.to_json()["disagreements"][0]["computed"] == "no"


def test_a_human_answer_that_agrees_keeps_its_notes_and_gains_the_evidence():
    inc = incident(paged=0, scorecard={"people-paged-fewer-than-five": ScorecardAnswer(
        "people-paged-fewer-than-five", "yes", "nobody", "human")})
    shown = computed_scorecard(Records(inc, [])).answers[QUESTION_IDS.index("people-paged-fewer-than-five")]
    assert (shown.answer, shown.source, shown.notes) == ("yes", "human", "nobody")
    assert shown.evidence == ("incident.toml [incident] paged = 0",)


def test_no_evidence_leaves_every_computed_question_null_and_the_total_counts_yes():
    card = computed_scorecard(Records(incident(), []))
    assert all(a.answer is None for a in card.answers) and card.score == 0
    computed = {a.id for a in card.answers if a.source == "computed"}
    assert "people-different" in computed and "monitoring-notified" in computed
    mixed = build_scorecard({"people-prepared": ScorecardAnswer("people-prepared", "yes", source="human")},
                            {"phabricator-task": ScorecardAnswer("phabricator-task", "yes", source="computed"),
                             "pages-right-team": ScorecardAnswer("pages-right-team", "no", source="computed")})
    assert mixed.score == 2 == sum(1 for a in mixed.answers if a.answer == "yes")


# -- previous reports -----------------------------------------------------------------

PREVIOUS = """{{{{irdoc|status=final}}}}
== Summary ==
{{{{Incident scorecard
| start = {start}
| coordinators = {coordinator}
}}}}
==Timeline==
*{start} (IRC #ops) {actor}: <code>{alert}</code> fires — '''OUTAGE BEGINS'''
"""


def write_previous(folder, n, *, actor="dana", alert="DiskFull"):
    folder.mkdir(exist_ok=True)
    for day in range(1, n + 1):
        (folder / f"2023-09-{day:02d}-incident.wiki").write_text(
            PREVIOUS.format(start=f"2023-09-{day:02d} 10:00", coordinator="erin", actor=actor, alert=alert))


def with_previous(incident, events):
    """Records of these events, with the previous reports the incident names."""
    return Records(incident, events, None, read_previous(incident).reports)


def test_previous_reports_people_in_common_and_repeated_alerts(tmp_path):
    write_previous(tmp_path / "previous", 7, actor="alice", alert="HighLatency")
    path = write_incident(tmp_path, '[incident]\nid = "x"\nstart = "2023-10-02 02:50"\nprevious = "previous"\n'
                                    'responders = ["alice", "bob"]\n')
    card = computed_scorecard(with_previous(load_incident(path), [alert(3, 0)]))
    different = card.answers[QUESTION_IDS.index("people-different")]
    repeat = card.answers[QUESTION_IDS.index("not-a-repeat")]
    assert different.answer == "no" and different.notes.startswith("1 of 2 responders")
    assert different.evidence[0].startswith("alice also in: report 2023-09-07-incident")
    assert different.evidence[0].count("report ") == 5  # only the five newest
    assert repeat.answer == "no" and "report 2023-09-07-incident mentions HighLatency" in repeat.evidence


def test_previous_reports_with_other_people_and_alerts(tmp_path):
    write_previous(tmp_path / "previous", 3)
    path = write_incident(tmp_path, '[incident]\nid = "x"\nstart = "2023-10-02 02:50"\nprevious = "previous"\n'
                                    'responders = ["alice", "bob"]\n')
    card = computed_scorecard(with_previous(load_incident(path), [alert(3, 0)]))
    assert card.answers[QUESTION_IDS.index("people-different")].answer == "yes"
    assert card.answers[QUESTION_IDS.index("not-a-repeat")].answer == "yes"


def test_a_missing_previous_folder_is_an_input_error(tmp_path, run_cli):
    path = write_incident(tmp_path, '[incident]\nid = "x"\nstart = "2023-10-02 02:50"\nprevious = "nope"\n')
    code, _, err = run_cli("scorecard", path)
    assert code == 2 and "previous: no such folder" in err


# -- incident.toml, CLI, the sample -----------------------------------------------------

def test_incident_toml_page_events_name_the_paged_and_people_have_workdays(tmp_path):
    path = write_incident(tmp_path, """
[people.alice]
timezone = "America/New_York"
workdays = ["Sun", "Monday"]

[[event]]
time = "2023-09-28 14:00"
text = "page"
tags = ["page"]
paged = ["alice"]
""")
    inc = load_incident(path)
    assert inc.people["alice"].workdays == (0, 6) and inc.events[0].page.names() == ["alice"]
    bad = write_incident(tmp_path, '[people.alice]\nworkdays = ["Funday"]\n', name="bad.toml")
    with pytest.raises(Exception, match="day names"):
        load_incident(bad)


def test_cli_scorecard_of_an_incident_warns_about_disagreements(tmp_path, run_cli):
    path = write_incident(tmp_path, """paged = 7
[scorecard]
people-paged-fewer-than-five = "yes"
""".replace("paged = 7\n", "").replace("[scorecard]", "[[event]]\ntime = \"2023-09-28 14:05\"\ntext = \"p\"\n"
                                       "tags = [\"page\"]\npaged = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\n\n"
                                       "[scorecard]"))
    code, out, err = run_cli("scorecard", path, "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert err.strip() == ("postmortem: warning: scorecard people-paged-fewer-than-five: answered \"yes\" but the "
                           "records say \"no\" (6 people paged: a, b, c, d, e, f)")
    first = data["answers"][2]
    assert (first["answer"], first["source"]) == ("yes", "human")
    assert [m["id"] for m in data["metrics"]] == ["outage", "detect", "acknowledge", "respond", "engage",
                                                 "mitigate", "resolve"]
    code, out, err = run_cli("scorecard", path)
    assert "disagreement: scorecard people-paged-fewer-than-five" in out and "metrics:" in out


def test_the_sample_report_shows_computed_answers_with_evidence(run_cli, tmp_path):
    inc = load_incident(SAMPLE / "incident.toml")
    report = render_report(gather(inc))
    # one plain sentence per answer, the records it rests on as links; no configuration syntax
    assert ("|Yes\n|The first alert came before anyone wrote about it.<br />[https://prometheus-codfw.wikimedia.org/"
            in report)
    assert " the alert at 2023-09-28 14:33:12] · the message at 2023-09-28 15:05:40 on IRC #wikimedia-analytics\n" \
        in report
    assert ("|No\n|“Figure out why copying Kafka partitions caused this issue.” has no task (to be discussed with "
            "SRE at the incident review).\n") in report
    assert "|Yes\n|Nobody was paged.\n" in report
    assert "[incident]" not in report and "incident.toml" not in report and "..." not in report
    card = computed_scorecard(gather(inc))
    sources = {a.id: a.source for a in card.answers}
    assert {q for q, s in sources.items() if s == "computed"} >= {
        "people-paged-fewer-than-five", "pages-business-hours", "phabricator-task", "actionables-assigned",
        "monitoring-notified"}
    assert card.disagreements == ()
    out = tmp_path / "report.wiki"
    out.write_text(report, encoding="utf-8")
    code, stdout, _ = run_cli("lint", out)
    assert code == 0 and stdout == ""
    code, stdout, _ = run_cli("scorecard", out, "--format", "json")
    answers = {a["id"]: a["answer"] for a in json.loads(stdout)["answers"]}
    assert answers == {a.id: a.answer for a in card.answers} and None not in answers.values()
