"""What the paging sources (``splunk-oncall``, ``pagerduty``) share: one shape
of events, so the merge, the metrics, the scorecard and `postmortem pages`
read a page alike whichever service sent it.

Every event has source = the paging source's type, precision "second", url =
the incident in the service's web UI, and the fields ``phase`` and
``incident`` (the service's incident number or id):

* the page — ``phase = "triggered"``, tags ``("page",)``, ``state = "firing"``;
  ``what`` (what paged: the alerting entity or the incident's title),
  ``entity`` (the entity id or incident key), ``paged`` (the people it reached,
  comma-separated), ``paged_teams`` (the teams or policies it went to),
  ``unresolved_teams`` (teams whose people on call could not be known),
  ``manual = "true"`` and ``by`` when a person started it, ``page_summary``
  (``paged a, b (Team) (Splunk On-Call incident 4821)``, which the merge appends
  to the text of the alert the page is merged with), and per person
  ``person.<name>.at`` (when they were notified, where the service says and it
  differs from the page), ``.tz`` (the time zone the service has for them),
  ``.aka`` (the other names they go by: user id, e-mail) and ``.via`` (sms, push…);
* each acknowledgement — ``phase = "acknowledged"``, actor = who;
* an escalation — ``phase = "escalated"``; a note — ``phase = "note"``, actor = who;
* the resolution — ``phase = "resolved"``, ``state = "resolved"``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ...core.model import Event
from ...core.timeutil import UTC, format_utc
from ._web import format_error

TRIGGERED, ACKNOWLEDGED, ESCALATED, NOTE, RESOLVED = "triggered", "acknowledged", "escalated", "note", "resolved"


@dataclass
class Person:
    """Someone a page reached: when (None: at the page), their zone, other names, channels."""

    at: dt.datetime | None = None
    tz: str | None = None
    aka: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


@dataclass
class Page:
    """One incident of a paging service, as the page event it becomes."""

    source: str        # the source type
    service: str       # "Splunk On-Call", "PagerDuty"
    incident: str      # its number or id
    time: dt.datetime
    url: str | None
    what: str
    entity: str = ""
    people: dict[str, Person] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    by: str | None = None      # the person who started it by hand
    manual: bool = False

    def reached(self, name: str, person: Person | None = None) -> Person:
        """Add (or find) someone the page reached; commas would split the list, so none in names."""
        name = " ".join(name.replace(",", " ").split())
        known = self.people.setdefault(name, person or Person())
        if person is not None and known is not person:
            known.at = min(filter(None, (known.at, person.at)), default=None)
            known.tz = known.tz or person.tz
            known.aka += [a for a in person.aka if a not in known.aka]
            known.via += [v for v in person.via if v not in known.via]
        return known

    @property
    def label(self) -> str:
        return f"{self.service} incident {self.incident}"

    def summary(self) -> str:
        """``paged jdoe, akowalski (SRE Core) (Splunk On-Call incident 4821)``, or
        ``paged Payments, whom not recorded (PagerDuty incident #1403)``."""
        teams = ", ".join(self.teams)
        if not self.people:
            return f"paged {teams or 'someone'}, whom not recorded ({self.label})"
        return f"paged {', '.join(self.people)}" + (f" ({teams})" if teams else "") + f" ({self.label})"

    def event(self) -> Event:
        started = f" by {self.by}" if self.manual and self.by else (" by hand" if self.manual else "")
        text = f"{self.what}: {self.summary()}" + (f", started{started}" if self.manual else "")
        fields = {"phase": TRIGGERED, "state": "firing", "incident": self.incident, "what": self.what,
                  "entity": self.entity, "paged": ", ".join(self.people), "paged_teams": ", ".join(self.teams),
                  "unresolved_teams": ", ".join(self.unresolved), "page_summary": self.summary(),
                  "manual": "true" if self.manual else "", "by": self.by or ""}
        for name, person in self.people.items():
            fields.update(_person_fields(name, person, self.time))
        return Event(time=self.time, source=self.source, text=text, actor=self.by if self.manual else None,
                     url=self.url, tags=("page",), precision="second",
                     fields={k: v for k, v in fields.items() if v})

    def follow_up(self, phase: str, time: dt.datetime, text: str, actor: str | None = None) -> Event:
        """An acknowledgement, escalation, note or resolution of this page."""
        fields = {"phase": phase, "incident": self.incident, "what": self.what}
        if phase == RESOLVED:
            fields["state"] = "resolved"
        return Event(time=time, source=self.source, text=text, actor=actor or None, url=self.url,
                     precision="second", fields=fields)


def _person_fields(name: str, person: Person, page_time: dt.datetime) -> dict:
    fields = {person_key(name, "tz"): person.tz or "", person_key(name, "aka"): ", ".join(person.aka),
              person_key(name, "via"): ", ".join(person.via)}
    if person.at is not None and person.at != page_time:
        fields[person_key(name, "at")] = format_utc(person.at)
    return fields


def person_key(name: str, attribute: str) -> str:
    """The field that holds one fact about one paged person: ``person.jdoe.tz``."""
    return f"person.{name}.{attribute}"


def parse_iso(value, *, source: str, url: str) -> dt.datetime:
    """An ISO 8601 date and time with an offset (``2024-03-05T06:58:12Z``, a
    fraction or ``-05:00`` allowed: PagerDuty's examples have both) as aware UTC."""
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise format_error(f"not an ISO 8601 time with an offset: {value!r}", source=source, url=url)
    return moment.astimezone(UTC).replace(microsecond=0)


def text_of(value) -> str:
    """A name or message from an answer as one line ("" for anything not text)."""
    return " ".join(value.split()) if isinstance(value, str) else ""


# -- reading them back (merge, metrics, scorecard, `pages`) ---------------------------

def is_page(event: Event) -> bool:
    """A page a paging service sent (not its acknowledgements or resolution)."""
    return event.fields.get("phase") == TRIGGERED


def is_acknowledgement(event: Event) -> bool:
    return event.fields.get("phase") == ACKNOWLEDGED


def is_manual_page(event: Event) -> bool:
    """A page a person started (a manual page), not monitoring."""
    return "page" in event.tags and event.fields.get("manual") == "true"


def paged_names(event: Event) -> list[str]:
    """The people a page event names in ``paged`` (comma-separated)."""
    return split_list(event.fields.get("paged"))


def split_list(value: str | None) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]
