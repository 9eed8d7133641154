"""What the paging sources (``splunk-oncall``, ``pagerduty``) share: a
service's incident, collected while its answer is read, becomes events of
kind page (:class:`~postmortem.core.vocabulary.Page`), so the merge, the
metrics, the scorecard and `postmortem pages` read a page alike whichever
service sent it. Every event has source = the paging source's type,
precision "second", url = the incident in the service's web UI:

* the page (phase ``triggered``, tag ``page``): what paged, whom it reached
  (each with when, how, their zone and other names) and the teams;
* each person reached a minute or more later (an escalation), phase
  ``notified``, at that time;
* acknowledgements, escalations, notes (with the note's text) and the
  resolution, ``by`` the person where one did it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ...core.model import Event
from ...core.timeutil import parse_instant
from ...core.vocabulary import (ACKNOWLEDGED, ESCALATED, NOTE, NOTIFIED, RESOLVED, TRIGGERED, Notified,
                                Page)
from ...net.web import format_error

__all__ = ["ACKNOWLEDGED", "ESCALATED", "NOTE", "NOTIFIED", "RESOLVED", "TRIGGERED", "PageRecord", "Reached",
           "parse_iso", "text_of"]


@dataclass
class Reached:
    """Someone a page reached, as the service tells it: when (None: at the page),
    their zone, other names, channels."""

    at: dt.datetime | None = None
    tz: str | None = None
    aka: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


@dataclass
class PageRecord:
    """One incident of a paging service, collected while its answer is read,
    then written out as events of kind page (:class:`~...core.vocabulary.Page`)."""

    source: str        # the source type
    service: str       # "Splunk On-Call", "PagerDuty"
    incident: str      # its number or id
    time: dt.datetime
    url: str | None
    what: str
    entity: str = ""
    people: dict[str, Reached] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    by: str | None = None      # the person who started it by hand
    by_aka: tuple[str, ...] = ()  # their other names in the service (user id, e-mail)
    manual: bool = False
    by_aka: tuple[str, ...] = ()   # their other names at the service (a user id, an e-mail)

    def reached(self, name: str, person: Reached | None = None) -> Reached:
        """Add (or find) someone the page reached; commas would split a list, so none in names."""
        name = " ".join(name.replace(",", " ").split())
        known = self.people.setdefault(name, person or Reached())
        if person is not None and known is not person:
            known.at = min(filter(None, (known.at, person.at)), default=None)
            known.tz = known.tz or person.tz
            known.aka += [a for a in person.aka if a not in known.aka]
            known.via += [v for v in person.via if v not in known.via]
        return known

    @property
    def label(self) -> str:
        return f"{self.service} incident {self.incident}"

    def facts(self, phase: str, at: dt.datetime, by: str | None = None, note: str | None = None,
              notified: tuple[Notified, ...] | None = None) -> Page:
        return Page(self.service, self.incident, phase, self.what, self.entity,
                    self.notified() if notified is None else notified, tuple(self.teams),
                    tuple(self.unresolved), self.manual, by, note, at)

    def notified(self) -> tuple[Notified, ...]:
        return tuple(Notified(name, p.at if p.at != self.time else None, tuple(p.via), p.tz, tuple(p.aka))
                     for name, p in self.people.items())

    def reached_later(self) -> list[Reached]:
        """Those the page reached a while after it went out: each is an event of its own."""
        page = self.facts(TRIGGERED, self.time)
        return [self.people[n.name] for n in page.notified if page.reached_later(n)]

    def events(self, follow_ups: list[Event]) -> list[Event]:
        """The page, each person reached later by an escalation at their own time, then the follow-ups."""
        page = self.event()
        later = [self._notification(n) for n in page.page.notified if page.page.reached_later(n)]
        return sorted([page, *later, *follow_ups], key=lambda e: e.time)

    def event(self) -> Event:
        facts = self.facts(TRIGGERED, self.time, self.by if self.manual else None)
        return Event(time=self.time, source=self.source, text=facts.line(), actor=facts.by,
                     url=self.url, tags=("page",), precision="second", page=facts,
                     aka=self.by_aka if self.manual and self.by else ())

    def _notification(self, person: Notified) -> Event:
        facts = self.facts(NOTIFIED, person.at, notified=(person,))
        return Event(time=person.at, source=self.source, text=facts.line(), url=self.url, precision="second",
                     page=facts)

    def follow_up(self, phase: str, time: dt.datetime, text: str, actor: str | None = None,
                  note: str | None = None, aka: tuple[str, ...] = ()) -> Event:
        """An acknowledgement, escalation, note or resolution of this page (``actor``:
        the person, if one; ``aka``: their other names in the service)."""
        return Event(time=time, source=self.source, text=text, actor=actor or None, url=self.url,
                     precision="second", page=self.facts(phase, time, actor or None, note, notified=()),
                     aka=aka if actor else ())


def parse_iso(value, *, source: str, url: str) -> dt.datetime:
    """An ISO 8601 date and time with an offset (``2024-03-05T06:58:12Z``, a
    fraction or ``-05:00`` allowed: PagerDuty's examples have both) as aware UTC,
    to the second."""
    try:
        return parse_instant(value).replace(microsecond=0)
    except ValueError:
        raise format_error(f"not an ISO 8601 time with an offset: {value!r}", source=source, url=url) from None


def text_of(value) -> str:
    """A name or message from an answer as one line ("" for anything not text)."""
    return " ".join(value.split()) if isinstance(value, str) else ""
