"""Scorecard answers computed from the records, each with its evidence.

One function per rule; each returns a :class:`ScorecardAnswer` with
``source="computed"``, an answer ``"yes"``/``"no"`` only where the records
decide it, and ``None`` (with a note saying what is missing) otherwise — never
a guess. ``evidence`` holds citable strings: an event
(``2023-09-28 14:33:12 UTC alert-email: …``), a task (``T347884 (owner: none)``),
a report (``report Incidents/…``), a roster entry.

The questions are those of Wikitech's Incident Engagement ScoreCard
(https://wikitech.wikimedia.org/wiki/Incident_Scorecard); the rules:

* people-paged-fewer-than-five — ``[incident] paged``, else the distinct people
  the ``page`` events reached (their ``paged`` field; :mod:`.paging`);
* pages-business-hours — when each person was paged against their working
  hours, time zone and workdays (``[people.*]``, else the paging service's time
  zone for them), with zoneinfo (DST-safe); "no" if any page reached someone
  outside them; nobody paged (``paged = 0``) is "yes": the question's own hint
  is "Answer no if engineers were paged after business hours";
* pages-right-team — the team a page went to against the alert's ``team``
  label or the responders' teams; else the roster ``team`` of the people a page
  names against the alert's team; only where both are known;
* phabricator-task — ``[incident] task``;
* actionables-assigned — every open actionable has a task with an owner (from
  ``owner =`` or the phabricator source); done ones need neither; one without a
  task is not assigned, even with ``no-task`` (which `lint` accepts) or an
  ``owner`` (:mod:`postmortem.core.assignment`); the evidence names every
  actionable with what it has;
* monitoring-notified — the first alert or page from monitoring fires no later
  than the first human report (chat, IRC, SAL, a manual event, or a page a
  person started by hand) after the outage began;
* status-page-entry — a ``statuspage`` source has an incident created in the window;
* people-different / not-a-repeat — against the previous five reports
  (``[incident] previous``, see :mod:`postmortem.read.previous`).
"""

from __future__ import annotations

from typing import Callable

from ..timeline.metrics import is_human_report
from ..collect.sources import get_source
from ..core.assignment import DONE, NO_OWNER, WAIVED, assignment, is_assigned
from ..core.tasks import find_tasks
from ..core.model import Incident, Records, ScorecardAnswer
from ..core.vocabulary import Kind, first_of_moment, is_alert_firing, is_manual_page
from ..net.responses import shorten
from .paging import (cite_event, computed, pages_business_hours, pages_right_team, people_paged_fewer_than_five,
                     within_hours)

__all__ = ["compute_answers", "RULES", "cite_event", "within_hours"]


def compute_answers(records: Records) -> dict[str, ScorecardAnswer]:
    """Every rule's answer, by question id."""
    return {qid: rule(records) for qid, rule in RULES.items()}


# -- process ----------------------------------------------------------------------

def phabricator_task(r: Records) -> ScorecardAnswer:
    qid = "phabricator-task"
    task = r.incident.task
    if not task:
        return computed(qid, None, "unknown: no [incident] task", said="Not known: the report names no task.")
    info = (r.tasks or {}).get(task)
    cited = f"{task}: {info.title} ({info.status})" if info else task
    return computed(qid, "yes", "the incident's task ([incident] task)", [cited],
                    said=f"The incident's task is {task}.")


def actionables_assigned(r: Records) -> ScorecardAnswer:
    """Each actionable judged by :func:`postmortem.core.assignment.assignment`
    (the definition `lint` uses too), and cited with its verdict."""
    qid = "actionables-assigned"
    items = r.incident.actionables
    if not items:
        return computed(qid, None, "unknown: no actionables listed", said="Not known: no actionables are listed.")
    unassigned, unknown, evidence, plain, owners_unknown = [], [], [], [], []
    for number, item in enumerate(items, 1):
        info = (r.tasks or {}).get(item.task) if item.task else None
        owner = item.owner or (info.owner if info else None)
        verdict = assignment(has_task=item.task is not None, done=item.done, waived=bool(item.no_task), owner=owner)
        not_known = _owner_not_known(r, info) if verdict == NO_OWNER else ""
        evidence.append(f"actionable {number} \"{shorten(item.text, 50)}\": "
                        + _judged(item, verdict, owner, info, not_known))
        if not_known:
            unknown.append(f"actionable {number} ({item.task}: {not_known})")
            owners_unknown.append(item.task)
        elif not is_assigned(verdict):
            unassigned.append(f"actionable {number} ({_why_unassigned(item, verdict)})")
            plain.append(_unassigned_sentence(item, verdict))
    if unassigned:
        return computed(qid, "no", f"not assigned: {', '.join(unassigned)}", evidence, said=" ".join(plain))
    if unknown:
        return computed(qid, None, f"unknown: the owner of {', '.join(unknown)}", evidence,
                        said=f"Not known: who owns {_listed(owners_unknown)}.")
    return computed(qid, "yes", "every open actionable has a task with an owner (done ones need neither)",
                    evidence, said="Every open actionable has a task with an owner.")


def _owner_not_known(r: Records, info) -> str:
    """Why a task's owner is not known, or "" when Phabricator said it has none."""
    if r.tasks is None:
        return "no phabricator source pulled"
    return "not in Phabricator" if info is None else ""


def _judged(item, verdict: str, owner: str | None, info, not_known: str) -> str:
    """``task T123, owner jdoe (open)``, ``no task (why), owner jdoe``, ``done, no task``."""
    said = f"task {item.task}" if item.task else f"no task ({item.no_task})" if item.no_task else "no task"
    named = () if item.task else find_tasks(item.text)
    if named:  # the report's reader (and so lint) takes them for its tasks; incident.toml's `task` decides here
        said += f" (its text names {', '.join(named)}; task = is not set)"
    if owner:
        said += f", owner {owner}"
    elif verdict == NO_OWNER:
        said += f", owner unknown ({not_known})" if not_known else ", no owner"
    said += f" ({info.status})" if info is not None else ""
    return f"done, {said}: nothing left to assign" if verdict == DONE else said


def _unassigned_sentence(item, verdict: str) -> str:
    """``“Figure out why copying Kafka …” has no task (to be discussed at the review).``"""
    if verdict == NO_OWNER:
        return f"{item.task} has no owner."
    why = f" ({item.no_task})" if item.no_task else ""
    return f"“{shorten(item.text, 60)}” has no task{why}."


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _why_unassigned(item, verdict: str) -> str:
    if verdict == NO_OWNER:
        return f"{item.task} has no owner"
    return "no task, on purpose" if verdict == WAIVED else "no task"


def status_page_entry(r: Records) -> ScorecardAnswer:
    qid = "status-page-entry"
    if not any(get_source(s.type).family == "status-page" for s in r.incident.sources):
        return computed(qid, None, "unknown: no statuspage source", said="Not known: no status page was read.")
    entries = [e for e in r.events if e.kind is Kind.STATUS and e.fields.get("kind") == "incident"]
    if entries:
        return computed(qid, "yes", f"{len(entries)} status page incident(s) created during the incident",
                       [cite_event(e) + (f" {e.url}" if e.url else "") for e in entries],
                        said="A status page incident was created during the incident.", cited=entries)
    return computed(qid, "no", "the status page lists no incident created during the incident",
                    said="The status page lists no incident created during the incident.")


def monitoring_notified(r: Records) -> ScorecardAnswer:
    """The first alert, or page from monitoring, against the first human report
    — a person writing, or a page a person started (a manual page)."""
    qid = "monitoring-notified"
    begins = getattr(first_of_moment(r.events, "outage-begins"), "time", r.incident.start)
    alert = next((e for e in r.events if is_alert_firing(e)), None)
    report = next((e for e in r.events if e.time >= begins and (is_human_report(e) or is_manual_page(e))), None)
    if alert is None and report is None:
        return computed(qid, None, "unknown: no alert and no human report in the timeline",
                        said="Not known: the timeline has no alert and no report by a person.")
    said = "a page started by a person" if report is not None and is_manual_page(report) else "first human report"
    if alert is None:
        why = "no alert fired; a person paged by hand" if is_manual_page(report) else \
            "no alert or page fired; people reported it"
        return computed(qid, "no", why, [f"{said}: {cite_event(report)}" if is_manual_page(report)
                                        else cite_event(report)],
                        said=f"{why[:1].upper()}{why[1:]}.", cited=[report])
    evidence = [f"first alert: {cite_event(alert)}"]
    if report is None:
        return computed(qid, "yes", "an alert fired; no human report before it", evidence,
                        said="An alert fired; nobody wrote about it before.", cited=[alert])
    evidence.append(f"{said}: {cite_event(report)}")
    who = "a person paged by hand" if is_manual_page(report) else "the first person wrote about it"
    if alert.time <= report.time:
        return computed(qid, "yes", f"the first alert came before the {said}", evidence,
                        said=f"The first alert came before {who.replace('the first person wrote', 'anyone wrote')}.",
                        cited=[alert, report])
    return computed(qid, "no", f"{said} came before any alert fired" if is_manual_page(report)
                   else "a person reported it before any alert fired", evidence,
                    said=f"{who[:1].upper()}{who[1:]} before any alert fired.", cited=[report, alert])



# -- previous incidents -------------------------------------------------------------

def _incident_people(incident: Incident, events) -> set[str]:
    return set(incident.responders) | set(incident.coordinators)


def people_different(r: Records) -> ScorecardAnswer:
    """"no" when half or more of this incident's responders also responded to
    one of the previous five incidents."""
    qid = "people-different"
    if r.previous is None:
        return computed(qid, None, "unknown: no [incident] previous reports",
                        said="Not known: no earlier reports were compared.")
    people = _incident_people(r.incident, r.events)
    known = [p for p in r.previous if p.people]
    if not people or not known:
        why = "no responders listed" if not people else "the previous reports name nobody"
        return computed(qid, None, "unknown: " + why, said=f"Not known: {why}.")
    common = {name: [p.name for p in known if name in p.people] for name in sorted(people)}
    common = {k: v for k, v in common.items() if v}
    evidence = [f"{name} also in: " + ", ".join(f"report {n}" for n in names) for name, names in common.items()]
    share = f"{len(common)} of {len(people)} responders were in the previous {len(known)} reports"
    return computed(qid, "no" if 2 * len(common) >= len(people) else "yes", share,
                   evidence or [f"report {p.name}" for p in known], said=f"{share[:1].upper()}{share[1:]}.")


def not_a_repeat(r: Records) -> ScorecardAnswer:
    """"no" when an alert name or service of this incident appears in one of
    the previous five reports."""
    qid = "not-a-repeat"
    if r.previous is None:
        return computed(qid, None, "unknown: no [incident] previous reports",
                        said="Not known: no earlier reports were compared.")
    names = _alert_names(r.events)
    if not names:
        return computed(qid, None, "unknown: no alert names or services in the timeline",
                        said="Not known: the timeline names no alert or service to compare.")
    hits = [f"report {p.name} mentions {name}" for p in r.previous for name in sorted(names) if p.mentions(name)]
    if hits:
        return computed(qid, "no", "the same alert or service as a previous incident", hits,
                        said=f"The same alert or service as an earlier incident: {'; '.join(hits)}.")
    return computed(qid, "yes", f"none of {', '.join(sorted(names))} in the previous {len(r.previous)} reports",
                   [f"report {p.name}" for p in r.previous],
                    said=f"None of {', '.join(sorted(names))} is in the previous {len(r.previous)} reports.")


def _alert_names(events) -> set[str]:
    """Alert names and ``service`` labels of the alerts that fired."""
    names = set()
    for event in events:
        if is_alert_firing(event) and event.alert is not None:
            names.update(v for v in (event.alert.name, event.alert.labels.get("service")) if v)
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
