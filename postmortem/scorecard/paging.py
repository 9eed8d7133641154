"""Who the pages reached, when, and whether in their working hours: the three
scorecard questions about pages, and what `postmortem pages` and the report's
``paged-num`` count. Pure on the events.

A page is what :func:`postmortem.core.vocabulary.is_page` says (a paging
service's page, an alert of severity page, a page written by hand). The
people it reached are those its page facts name, else a ``paged`` alert
label. Each person is looked up in the ``[people.*]`` roster by name or
alias (:mod:`postmortem.core.people`), or by the other names the paging
service knows them by (PagerDuty's user id or e-mail); without a roster entry, the
time zone the paging service has for them (PagerDuty's ``time_zone``) with
the default hours, 09:00-17:00 Monday to Friday. Each person is checked at the
moment they were notified (PagerDuty's notify entry), else at the page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Mapping
from zoneinfo import ZoneInfo

from ..collect.sources import describe
from ..core.model import Event, Incident, Person, Records, ScorecardAnswer
from ..core.people import Roster
from ..core.vocabulary import Notified, is_alert_firing, page_time, pages_sent

__all__ = ["within_hours", "pages", "people_reached", "paged_count", "PagedPerson",
           "people_paged_fewer_than_five", "pages_business_hours", "pages_right_team"]


def pages(events) -> list[Event]:
    """The pages that went out (:func:`postmortem.core.vocabulary.pages_sent`)."""
    return pages_sent(events)


def named(event: Event) -> list[str]:
    """The people a page event names (its page facts; or a ``paged`` alert label)."""
    if event.page is not None and event.page.notified:
        return event.page.names()
    label = event.alert.labels.get("paged", "") if event.alert is not None else ""
    return [n for n in label.replace(",", " ").split() if n]


def _notified(page: Event, name: str) -> Notified:
    if page.page is not None:
        return next((n for n in page.page.notified if n.name == name), Notified(name))
    return Notified(name)


def _unresolved_teams(page: Event) -> tuple[str, ...]:
    return page.page.unresolved_teams if page.page is not None else ()


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


@dataclass(frozen=True)
class PagedPerson:
    """Someone a page reached: when, their working hours (None: unknown) and where those come from."""

    name: str
    at: dt.datetime
    person: Person | None = None
    basis: str = ""   # "" (the roster), or "time zone from PagerDuty, default hours"

    @property
    def inside(self) -> bool | None:
        return None if self.person is None else within_hours(self.at, self.person)

    def describe(self) -> str:
        """``alice (America/New_York, 09:00-17:00): Sun 23:04 local, outside working hours``."""
        if self.person is None:
            return f"{self.name}: no working hours known ([people.{self.name}] or a paging service's time zone)"
        p = self.person
        local = self.at.astimezone(ZoneInfo(p.timezone))
        zone = f"{p.timezone}, {p.hours[0]:%H:%M}-{p.hours[1]:%H:%M}" + (f"; {self.basis}" if self.basis else "")
        return f"{self.name} ({zone}): {local:%a %H:%M} local, {'inside' if self.inside else 'outside'} working hours"


def people_reached(page: Event, people: Mapping[str, Person]) -> list[PagedPerson]:
    """Everyone ``page`` names, each with the moment they were notified and their working hours."""
    return [_paged_person(page, name, people) for name in named(page)]


def _paged_person(page: Event, name: str, people: Mapping[str, Person]) -> PagedPerson:
    notified = _notified(page, name)
    moment = notified.at or page_time(page)
    entry = Roster(people).person(name, *notified.aka)
    if entry is not None:
        return PagedPerson(name, moment, entry)
    if notified.timezone:
        return PagedPerson(name, moment, Person(name, notified.timezone),
                           f"time zone from {service_name(page)}, default hours Mon-Fri")
    return PagedPerson(name, moment)


def service_name(page: Event) -> str:
    """``PagerDuty``, ``Splunk On-Call``: the service that sent the page (also when
    it is merged into an alert of another source)."""
    if page.page is not None and page.page.service:
        return page.page.service
    return describe(page.source).label or page.source


def paged_count(records: Records) -> int | None:
    """How many distinct people the pages reached; None when a page does not say."""
    found = pages(records.events)
    if not found or any(not named(p) or _unresolved_teams(p) for p in found):
        return None
    return len({n for p in found for n in named(p)})


# -- the scorecard's questions about pages ----------------------------------------------

def computed(qid: str, answer: str | None, notes: str, evidence=(), said: str = "", cited=()) -> ScorecardAnswer:
    """A computed answer with its notes and evidence for the authors, and its
    reason in plain words with the records it cites for the report's readers
    (the rules of rules.py and of this module)."""
    return ScorecardAnswer(qid, answer, notes, "computed", tuple(evidence), said, tuple(cited))


def cite_event(event: Event, limit: int = 120) -> str:
    """``2023-09-28 14:33:12 UTC alert-email: text`` (the text cut to ``limit``)."""
    text = " ".join(event.text.split())
    text = text if len(text) <= limit else text[:limit - 3] + "..."
    who = f"{event.actor}: " if event.actor else ""
    return f"{event.time:%Y-%m-%d %H:%M:%S} UTC {event.source}: {who}{text}"


def _cite_page(page: Event) -> list[str]:
    """The page, with whom it reached (and a link to it, where there is one)."""
    lines = [cite_event(page) + (f" {page.url}" if page.url else "")]
    names = named(page)
    lines.append(f"paged ({len(names)}): {', '.join(names)}" if names else "paged: not recorded")
    if _unresolved_teams(page):
        lines.append(f"whom it reached in {', '.join(_unresolved_teams(page))}: unknown (no one on call in the log)")
    return lines


def people_paged_fewer_than_five(r: Records) -> ScorecardAnswer:
    qid = "people-paged-fewer-than-five"
    found = pages(r.events)
    evidence = [line for p in found for line in _cite_page(p)]
    if r.incident.paged is not None:
        answer = "yes" if r.incident.paged < 5 else "no"
        return computed(qid, answer, f"{r.incident.paged} paged ([incident] paged)",
                       [f"incident.toml [incident] paged = {r.incident.paged}"] + evidence,
                       said=_paged_sentence(r.incident.paged), cited=found)
    if not found:
        return computed(qid, None, "unknown: no [incident] paged and no page event",
                        said="Not known: the records hold no page, and the report does not say how many were paged.")
    people = sorted({n for p in found for n in named(p)})
    open_ = [p for p in found if not named(p) or _unresolved_teams(p)]
    if len(people) >= 5:
        at_least = "at least " if open_ else ""
        return computed(qid, "no", f"{at_least}{len(people)} people paged: {', '.join(people)}", evidence,
                        said=f"{at_least.capitalize()}{len(people)} people were paged: {', '.join(people)}.",
                        cited=found)
    if open_:
        return computed(qid, None, "unknown: a page event does not say whom it reached"
                       + (f" ({len(people)} named: {', '.join(people)})" if people else ""), evidence,
                        said="Not known: a page does not say whom it reached.", cited=found)
    return computed(qid, "yes", f"{len(people)} people paged: {', '.join(people)}", evidence,
                    said=_paged_sentence(len(people), people), cited=found)


def _paged_sentence(count: int, people=()) -> str:
    """``Nobody was paged.``, ``One person was paged: alice.``, ``3 people were paged: …``."""
    if count == 0:
        return "Nobody was paged."
    named = f": {', '.join(people)}" if people else ""
    return f"One person was paged{named}." if count == 1 else f"{count} people were paged{named}."


def _reached(page: Event, incident: Incident) -> tuple[list[PagedPerson], str]:
    """Who a page reached, and how we know: named on the event, else the
    responders who have a roster entry."""
    found = people_reached(page, incident.people)
    if found:
        return found, "the people the page names"
    stand_ins = [PagedPerson(r, page.time, incident.people[r]) for r in incident.responders if r in incident.people]
    return stand_ins, STAND_INS


# Who a page reached is a fact; the responders who have a roster entry are only a hint of it.
STAND_INS = "who was paged is not recorded: the responders with a [people] entry"


def pages_business_hours(r: Records) -> ScorecardAnswer:
    qid = "pages-business-hours"
    found = pages(r.events)
    if not found:
        if r.incident.paged == 0:
            return computed(qid, "yes", "nobody was paged", ["incident.toml [incident] paged = 0"],
                            said="Nobody was paged.")
        return computed(qid, None, "unknown: no page event to check against working hours",
                        said="Not known: the records hold no page to check against working hours.")
    outside, unknown, evidence, basis = [], set(), [], set()
    for page in found:
        reached, how = _reached(page, r.incident)
        basis.add(how)
        evidence.append(cite_event(page) + (f" {page.url}" if page.url else ""))
        if not reached:
            unknown.add("(nobody known)")
        for one in reached:
            evidence.append(one.describe())
            if one.inside is None:
                unknown.add(one.name)
            elif not one.inside:
                outside.append(one.name)
    how = "; ".join(sorted(basis))
    if STAND_INS in basis:  # a hint, not an answer: it would count in the score
        hint = f"{', '.join(dict.fromkeys(outside))} outside working hours" if outside else "none outside working hours"
        return computed(qid, None, f"unknown: a page does not say whom it reached (of the responders with a "
                                  f"[people] entry, {hint})", evidence,
                        said="Not known: a page does not say whom it reached.", cited=found)
    if outside:
        return computed(qid, "no", f"paged outside working hours: {', '.join(dict.fromkeys(outside))} ({how})",
                       evidence, said=f"Paged outside their working hours: {', '.join(dict.fromkeys(outside))}.",
                        cited=found)
    if unknown:
        return computed(qid, None, f"unknown: no working hours for {', '.join(sorted(unknown))} ({how})", evidence,
                        said=f"Not known: the working hours of {', '.join(sorted(unknown))} are not known.",
                        cited=found)
    return computed(qid, "yes", f"every page reached people in their working hours ({how})", evidence,
                    said="Every page reached people in their working hours.", cited=found)


def _team(event: Event) -> str | None:
    return event.alert.team if event.alert is not None else None


def _alert_team(page: Event, events) -> str | None:
    """The team label of the page's alert: on the page itself, else on an alert
    that fired within five minutes of it (the same alert, seen elsewhere)."""
    if _team(page):
        return _team(page)
    near = [e for e in events if is_alert_firing(e) and abs(e.time - page_time(page)) <= dt.timedelta(minutes=5)
            and _team(e)]
    teams = {_team(e) for e in near}
    return teams.pop() if len(teams) == 1 else None


def same_team(paged_team: str, team: str) -> bool:
    """``SRE Core`` is the team ``sre-core`` and the team ``sre`` (a word of its
    name): case, spaces and punctuation aside."""
    words = [w for w in re.split(r"[^a-z0-9]+", paged_team.lower()) if w]
    wanted = re.sub(r"[^a-z0-9]", "", team.lower())
    return wanted == "".join(words) or wanted in words


def _responder_teams(incident: Incident) -> dict[str, str]:
    return {r: incident.people[r].team for r in incident.responders
            if r in incident.people and incident.people[r].team}


def _team_verdict(page: Event, alert_team: str | None, r: Records) -> tuple[str | None, str, list[str]]:
    """("yes"/"no"/None, why, evidence) for one page and the team of its alert."""
    teams = list(page.page.teams) if page.page is not None else []
    if teams and alert_team:
        right = any(same_team(t, alert_team) for t in teams)
        return ("yes" if right else "no", f"{', '.join(teams)} for a {alert_team} alert",
                [f"paged team: {', '.join(teams)}; the alert's team: {alert_team}"])
    responders = _responder_teams(r.incident)
    if teams and responders:
        right = any(same_team(t, team) for t in teams for team in responders.values())
        cited = ", ".join(f"{n} ({t})" for n, t in responders.items())
        return ("yes" if right else "no", f"{', '.join(teams)} while the responders were {cited}",
                [f"paged team: {', '.join(teams)}; responders' teams: {cited}"])
    return _people_verdict(page, alert_team, r.incident)


def _people_verdict(page: Event, team: str | None, incident: Incident) -> tuple[str | None, str, list[str]]:
    """Without a paged team: the roster team of each person paged against the alert's team."""
    names = named(page)
    if team is None or not names:
        return None, "the alert's team" if team is None else "whom the page reached", []
    wrong, unknown, evidence = [], [], []
    for name in names:
        person = incident.people.get(name)
        if person is None or person.team is None:
            unknown.append(f"{name}'s team")
            continue
        evidence.append(f"{name}: team {person.team}")
        if person.team != team:
            wrong.append(f"{name} ({person.team}) for a {team} alert")
    if wrong:
        return "no", "; ".join(wrong), evidence
    return (None, ", ".join(unknown), evidence) if unknown else ("yes", f"a {team} alert", evidence)


def pages_right_team(r: Records) -> ScorecardAnswer:
    """The team a page went to (``paged_teams``) against the alert's team, else
    against the responders' teams; without a paged team, the roster team of each
    person paged against the alert's team."""
    qid = "pages-right-team"
    found = pages(r.events)
    if not found:
        return computed(qid, None, "unknown: no page event", said="Not known: the records hold no page.")
    wrong, unknown, evidence = [], [], []
    for page in found:
        team = _alert_team(page, r.events)
        verdict, why, cited = _team_verdict(page, team, r)
        evidence += [cite_event(page) + (f" (team {team})" if team else "")] + cited
        if verdict == "no":
            wrong.append(why)
        elif verdict is None:
            unknown.append(why)
    if wrong:
        return computed(qid, "no", f"paged outside the alert's team: {'; '.join(wrong)}", evidence,
                        said=f"A page went outside the alert's team: {'; '.join(wrong)}.", cited=found)
    if unknown:
        return computed(qid, None, f"unknown: {', '.join(dict.fromkeys(unknown))}", evidence,
                        said=f"Not known: {', '.join(dict.fromkeys(unknown))} is not recorded.", cited=found)
    return computed(qid, "yes", "every page reached the alert's team", evidence,
                    said="Every page reached the alert's team.", cited=found)
