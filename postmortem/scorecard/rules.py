"""Scorecard answers computed from the records, each with its evidence.

One function per rule; each returns a :class:`ScorecardAnswer` with
``source="computed"``, an answer ``"yes"``/``"no"`` only where the records
decide it, and ``None`` (with a note saying what is missing) otherwise — never
a guess. ``evidence`` holds citable strings: an event
(``2023-09-28 14:33:12 UTC alert-email: …``), a task (``T347884 (owner: none)``),
a report (``report Incidents/…``), a roster entry.

The questions are those of Wikitech's Incident Engagement ScoreCard
(https://wikitech.wikimedia.org/wiki/Incident_Scorecard); the rules:

* people-paged-fewer-than-five — ``[incident] paged``, else the people the
  ``page`` events reached (their ``paged`` field);
* pages-business-hours — each page's time against the paged people's working
  hours, time zone and workdays (``[people.*]``), with zoneinfo (DST-safe);
  "no" if any page reached someone outside them; nobody paged (``paged = 0``)
  is "yes": the question's own hint is "Answer no if engineers were paged
  after business hours";
* pages-right-team — the ``team`` of the people a page names (its ``paged``
  field) against the alert's ``team`` label; only where both are known
  (responders are not taken as the paged people here: other teams join in);
* phabricator-task — ``[incident] task``;
* actionables-assigned — every open actionable has a task, and an owner (from
  ``owner =`` or the phabricator source); done ones need neither; a no-task
  waiver is fine for lint but not an owner: it needs ``owner =``;
* monitoring-notified — the first alert or page fires no later than the first
  human report (chat, IRC, SAL, a manual event) after the outage began;
* status-page-entry — a ``statuspage`` source has an incident created in the window;
* people-different / not-a-repeat — against the previous five reports
  (``[incident] previous``, see :mod:`postmortem.collect.previous`).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable
from zoneinfo import ZoneInfo

from ..timeline.metrics import is_alert_firing, is_human_report
from ..collect.sources import describe, get_source
from ..core.model import Event, Incident, Person, Records, ScorecardAnswer

__all__ = ["compute_answers", "RULES", "cite_event", "within_hours"]


def compute_answers(records: Records) -> dict[str, ScorecardAnswer]:
    """Every rule's answer, by question id."""
    return {qid: rule(records) for qid, rule in RULES.items()}


def _answer(qid: str, answer: str | None, notes: str, evidence=()) -> ScorecardAnswer:
    return ScorecardAnswer(qid, answer, notes, "computed", tuple(evidence))


def cite_event(event: Event, limit: int = 120) -> str:
    """``2023-09-28 14:33:12 UTC alert-email: text`` (the text cut to ``limit``)."""
    text = " ".join(event.text.split())
    text = text if len(text) <= limit else text[:limit - 3] + "..."
    who = f"{event.actor}: " if event.actor else ""
    return f"{event.time:%Y-%m-%d %H:%M:%S} UTC {event.source}: {who}{text}"


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _names(value: str) -> list[str]:
    return [n for n in value.replace(",", " ").split() if n]


# -- pages ----------------------------------------------------------------------

def _pages(events) -> list[Event]:
    return [e for e in events if "page" in e.tags and e.fields.get("state", "firing") != "resolved"]


def _named_paged(event: Event) -> list[str]:
    """The people a page event names (``paged`` field, or a ``paged`` label)."""
    return _names(event.fields.get("paged") or event.fields.get("label.paged") or "")


def _paged_people(event: Event, incident: Incident) -> tuple[list[str], str]:
    """Who a page reached, and how we know: named on the event, else the
    responders who have a roster entry."""
    named = _named_paged(event)
    if named:
        return named, "the people the page names"
    return ([r for r in incident.responders if r in incident.people],
            "who was paged is not recorded: the responders with a [people] entry")


def people_paged_fewer_than_five(r: Records) -> ScorecardAnswer:
    qid = "people-paged-fewer-than-five"
    pages = _pages(r.events)
    if r.incident.paged is not None:
        answer = "yes" if r.incident.paged < 5 else "no"
        return _answer(qid, answer, f"{r.incident.paged} paged ([incident] paged)",
                       [f"incident.toml [incident] paged = {r.incident.paged}"] + [cite_event(p) for p in pages])
    if not pages:
        return _answer(qid, None, "unknown: no [incident] paged and no page event")
    if not all(_named_paged(p) for p in pages):
        return _answer(qid, None, "unknown: a page event does not say whom it reached",
                       [cite_event(p) for p in pages])
    people = sorted({n for p in pages for n in _named_paged(p)})
    return _answer(qid, "yes" if len(people) < 5 else "no",
                   f"{len(people)} people paged: {', '.join(people)}", [cite_event(p) for p in pages])


def within_hours(moment: dt.datetime, person: Person) -> bool:
    """Whether ``moment`` falls in ``person``'s working hours on one of their
    workdays, in their time zone (zoneinfo: DST-safe). Hours that cross
    midnight (``22:00-06:00``) belong to the day the shift starts."""
    local = moment.astimezone(ZoneInfo(person.timezone))
    begin, end, clock = person.hours[0], person.hours[1], local.time().replace(tzinfo=None)
    if begin <= end:
        return local.weekday() in person.workdays and begin <= clock < end
    if clock >= begin:
        return local.weekday() in person.workdays
    return clock < end and (local.weekday() - 1) % 7 in person.workdays


def _describe_person(person: Person) -> str:
    hours = f"{person.hours[0]:%H:%M}-{person.hours[1]:%H:%M}"
    return f"{person.name} ({person.timezone}, {hours})"


def pages_business_hours(r: Records) -> ScorecardAnswer:
    qid = "pages-business-hours"
    pages = _pages(r.events)
    if not pages:
        if r.incident.paged == 0:
            return _answer(qid, "yes", "nobody was paged", ["incident.toml [incident] paged = 0"])
        return _answer(qid, None, "unknown: no page event to check against working hours")
    outside, unknown, evidence, basis = [], set(), [], set()
    for page in pages:
        names, how = _paged_people(page, r.incident)
        basis.add(how)
        evidence.append(cite_event(page))
        if not names:
            unknown.add("(nobody known)")
        for name in names:
            person = r.incident.people.get(name)
            if person is None:
                unknown.add(name)
                continue
            local = page.time.astimezone(ZoneInfo(person.timezone))
            inside = within_hours(page.time, person)
            evidence.append(f"{_describe_person(person)}: {local:%a %H:%M} local, "
                            f"{'inside' if inside else 'outside'} working hours")
            if not inside:
                outside.append(name)
    how = "; ".join(sorted(basis))
    if outside:
        return _answer(qid, "no", f"paged outside working hours: {', '.join(dict.fromkeys(outside))} ({how})",
                       evidence)
    if unknown:
        return _answer(qid, None, f"unknown: no working hours for {', '.join(sorted(unknown))} ({how})",
                       evidence)
    return _answer(qid, "yes", f"every page reached people in their working hours ({how})", evidence)


def _alert_team(page: Event, events) -> str | None:
    """The team label of the page's alert: on the page itself, else on an alert
    that fired within five minutes of it (the same alert, seen elsewhere)."""
    own = page.fields.get("team") or page.fields.get("label.team")
    if own:
        return own
    near = [e for e in events if is_alert_firing(e) and abs(e.time - page.time) <= dt.timedelta(minutes=5)
            and (e.fields.get("team") or e.fields.get("label.team"))]
    teams = {e.fields.get("team") or e.fields.get("label.team") for e in near}
    return teams.pop() if len(teams) == 1 else None


def pages_right_team(r: Records) -> ScorecardAnswer:
    qid = "pages-right-team"
    pages = _pages(r.events)
    if not pages:
        return _answer(qid, None, "unknown: no page event")
    wrong, unknown, evidence = [], [], []
    for page in pages:
        team, names = _alert_team(page, r.events), _named_paged(page)
        evidence.append(cite_event(page) + (f" (team {team})" if team else ""))
        if team is None or not names:
            unknown.append("the alert's team" if team is None else "whom the page reached")
            continue
        for name in names:
            person = r.incident.people.get(name)
            if person is None or person.team is None:
                unknown.append(f"{name}'s team")
                continue
            evidence.append(f"{name}: team {person.team}")
            if person.team != team:
                wrong.append(f"{name} ({person.team}) for a {team} alert")
    if wrong:
        return _answer(qid, "no", f"paged outside the alert's team: {'; '.join(wrong)}", evidence)
    if unknown:
        return _answer(qid, None, f"unknown: {', '.join(dict.fromkeys(unknown))}", evidence)
    return _answer(qid, "yes", "every page reached the alert's team", evidence)


# -- process ----------------------------------------------------------------------

def phabricator_task(r: Records) -> ScorecardAnswer:
    qid = "phabricator-task"
    task = r.incident.task
    if not task:
        return _answer(qid, None, "unknown: no [incident] task")
    info = (r.tasks or {}).get(task)
    cited = f"{task}: {info.title} ({info.status})" if info else task
    return _answer(qid, "yes", "the incident's task ([incident] task)", [cited])


def _cite_task(task: str, owner: str | None, info, looked_up: bool) -> str:
    """``T347884 (owner: tchin, open)``; the owner is "none" only when Phabricator says so."""
    if owner is None:
        owner = "none" if info is not None else ("unknown: not in Phabricator" if looked_up else "unknown")
    status = f", {info.status}" if info is not None else ""
    return f"{task} (owner: {owner}{status})"


def actionables_assigned(r: Records) -> ScorecardAnswer:
    qid = "actionables-assigned"
    items = r.incident.actionables
    if not items:
        return _answer(qid, None, "unknown: no actionables listed")
    unassigned, unknown, evidence = [], [], []
    for number, item in enumerate(items, 1):
        label = item.task or f"actionable {number} ({_shorten(item.text)})"
        if item.done:
            evidence.append(f"{label}: done")
            continue
        info = (r.tasks or {}).get(item.task) if item.task else None
        owner = item.owner or (info.owner if info else None)
        if item.task:
            evidence.append(_cite_task(item.task, owner, info, r.tasks is not None))
        if owner:
            continue
        if item.task is None:
            reason = f"no task ({item.no_task})" if item.no_task else "no task"
            evidence.append(f"{label}: {reason}, no owner")
            unassigned.append(label)
        elif r.tasks is None or info is None:
            unknown.append(item.task)
        else:
            unassigned.append(item.task)
    if unassigned:
        return _answer(qid, "no", f"unassigned: {', '.join(unassigned)}", evidence)
    if unknown:
        why = "no phabricator source pulled" if r.tasks is None else "Phabricator does not know them"
        return _answer(qid, None, f"unknown: owners of {', '.join(unknown)} ({why})", evidence)
    return _answer(qid, "yes", "every open actionable has a task and an owner", evidence)


def status_page_entry(r: Records) -> ScorecardAnswer:
    qid = "status-page-entry"
    if not any(get_source(s.type).family == "status-page" for s in r.incident.sources):
        return _answer(qid, None, "unknown: no statuspage source")
    entries = [e for e in r.events if describe(e.source).family == "status-page"
               and e.fields.get("kind") == "incident"]
    if entries:
        return _answer(qid, "yes", f"{len(entries)} status page incident(s) created during the incident",
                       [cite_event(e) + (f" {e.url}" if e.url else "") for e in entries])
    return _answer(qid, "no", "the status page lists no incident created during the incident")


def monitoring_notified(r: Records) -> ScorecardAnswer:
    qid = "monitoring-notified"
    begins = next((e.time for e in r.events if "outage-begins" in e.tags), r.incident.start)
    alert = next((e for e in r.events if is_alert_firing(e)), None)
    report = next((e for e in r.events if is_human_report(e) and e.time >= begins), None)
    if alert is None and report is None:
        return _answer(qid, None, "unknown: no alert and no human report in the timeline")
    if alert is None:
        return _answer(qid, "no", "no alert or page fired; people reported it", [cite_event(report)])
    evidence = [f"first alert: {cite_event(alert)}"]
    if report is None:
        return _answer(qid, "yes", "an alert fired; no human report before it", evidence)
    evidence.append(f"first human report: {cite_event(report)}")
    if alert.time <= report.time:
        return _answer(qid, "yes", "the first alert came before the first human report", evidence)
    return _answer(qid, "no", "a person reported it before any alert fired", evidence)


# -- previous incidents -------------------------------------------------------------

def _incident_people(incident: Incident, events) -> set[str]:
    return set(incident.responders) | set(incident.coordinators)


def people_different(r: Records) -> ScorecardAnswer:
    """"no" when half or more of this incident's responders also responded to
    one of the previous five incidents."""
    qid = "people-different"
    if r.previous is None:
        return _answer(qid, None, "unknown: no [incident] previous reports")
    people = _incident_people(r.incident, r.events)
    known = [p for p in r.previous if p.people]
    if not people or not known:
        return _answer(qid, None, "unknown: " + ("no responders listed" if not people
                                                 else "the previous reports name nobody"))
    common = {name: [p.name for p in known if name in p.people] for name in sorted(people)}
    common = {k: v for k, v in common.items() if v}
    evidence = [f"{name} also in: " + ", ".join(f"report {n}" for n in names) for name, names in common.items()]
    share = f"{len(common)} of {len(people)} responders were in the previous {len(known)} reports"
    return _answer(qid, "no" if 2 * len(common) >= len(people) else "yes", share,
                   evidence or [f"report {p.name}" for p in known])


def not_a_repeat(r: Records) -> ScorecardAnswer:
    """"no" when an alert name or service of this incident appears in one of
    the previous five reports."""
    qid = "not-a-repeat"
    if r.previous is None:
        return _answer(qid, None, "unknown: no [incident] previous reports")
    names = _alert_names(r.events)
    if not names:
        return _answer(qid, None, "unknown: no alert names or services in the timeline")
    hits = [f"report {p.name} mentions {name}" for p in r.previous for name in sorted(names) if p.mentions(name)]
    if hits:
        return _answer(qid, "no", "the same alert or service as a previous incident", hits)
    return _answer(qid, "yes", f"none of {', '.join(sorted(names))} in the previous {len(r.previous)} reports",
                   [f"report {p.name}" for p in r.previous])


def _alert_names(events) -> set[str]:
    """Alert names and ``service`` labels of the alerts that fired."""
    names = set()
    for event in events:
        if is_alert_firing(event):
            names.update(v for v in (event.fields.get("alertname"), event.fields.get("label.service")) if v)
    return names


RULES: dict[str, Callable[[Records], ScorecardAnswer]] = {
    "people-different": people_different,
    "people-paged-fewer-than-five": people_paged_fewer_than_five,
    "pages-right-team": pages_right_team,
    "pages-business-hours": pages_business_hours,
    "status-page-entry": status_page_entry,
    "phabricator-task": phabricator_task,
    "actionables-assigned": actionables_assigned,
    "not-a-repeat": not_a_repeat,
    "monitoring-notified": monitoring_notified,
}
