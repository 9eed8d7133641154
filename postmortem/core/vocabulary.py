"""What can happen in an incident, said once.

Every record a source reads becomes an :class:`Event` of one :class:`Kind`,
and what a kind means travels in typed facts on the event, never in string
keys: an :class:`Alert` (its identity and state), a :class:`Page` (its phase,
whom it notified and when), a :class:`LogEntry` (who logged it, which bot
relayed it), a :class:`Place` (``file:line`` or a URL). Merging, metrics, the
scorecard, the graph, the views, curation and `check` ask the functions here
what an event is; none of them looks at a source's name or a text pattern to
decide it.

======== ====================================================================
kind     what it is, and the facts it carries
======== ====================================================================
chat     someone said something (IRC, Slack); ``channel``
bot      a bot or an app said something in a channel that is no alert
log      a SAL entry or an IRC ``!log``: ``log`` (who it was relayed by)
deploy   a log entry that records a deploy (scap, helmfile apply, puppet-merge)
alert    monitoring fired or resolved: ``alert`` (name, labels, state)
page     a paging service's page and what followed: ``page`` (phase, …)
status   a status-page update
task     a task created or changed
change   a code change (Gerrit)
manual   an ``[[event]]`` written by hand in incident.toml
======== ====================================================================
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Iterable, Mapping

from .frozen import frozen_strings, shared_string, shared_tuple, strings
from .lazy_regex import LazyRegex
from .timeutil import PRECISIONS, format_utc, parse_time, require_utc


class Kind(str, Enum):
    CHAT = "chat"
    BOT = "bot"
    LOG = "log"
    DEPLOY = "deploy"
    ALERT = "alert"
    PAGE = "page"
    STATUS = "status"
    TASK = "task"
    CHANGE = "change"
    MANUAL = "manual"


# -- key moments ------------------------------------------------------------------

# The tags that mark the report's key moments, in the order they happen, and their names. Wikitech's
# template marks two of them in the timeline itself, in capitals ('''OUTAGE BEGINS''', '''OUTAGE ENDS''').
KEY_MOMENTS = {"outage-begins": "OUTAGE BEGINS", "detection": "detection", "mitigation": "mitigation",
               "outage-ends": "OUTAGE ENDS", "resolved": "resolved"}
KEY_MOMENT_TAGS = tuple(KEY_MOMENTS)
TIMELINE_MARKS = {tag: name for tag, name in KEY_MOMENTS.items() if name.isupper()}
KNOWN_TAGS = KEY_MOMENT_TAGS + ("alert", "page")


def first_of_moment(events: Iterable, tag: str):
    """The first event (in the order given) that marks key moment ``tag``, else None."""
    return next((e for e in events if tag in e.tags), None)


# -- a place in an input ------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Place:
    """Where a record was read: a file and line, or a URL."""

    file: str | None = None
    line: int | None = None
    url: str | None = None

    def __str__(self) -> str:
        if self.file:
            return self.file if self.line is None else f"{self.file}:{self.line}"
        return self.url or ""


def place_text(file: str | None, line: int | None, url: str | None = None) -> str:
    """``file:line``, ``file``, else the URL, else ""."""
    return str(Place(file, line, url))


# -- alerts -----------------------------------------------------------------------

FIRING, RESOLVED = "firing", "resolved"


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as monitoring said it: its name, the labels that tell it from
    another alert of the same name, its state, and (where a source gives one)
    its fingerprint and summary; ``count`` the alerts of its group that one
    record stands for (a relay's ``[2x]``), ``links`` those the record gives."""

    name: str
    state: str = FIRING
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str | None = None
    summary: str | None = None
    count: int = field(default=1, compare=False, hash=False)
    links: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def __post_init__(self):
        if self.state not in (FIRING, RESOLVED):
            raise ValueError(f"an alert is firing or resolved, not {self.state!r}")
        object.__setattr__(self, "labels", frozen_strings(self.labels))

    def is_same_alert(self, other: "Alert") -> bool:
        """The same alert (whatever its state): the same fingerprint where both
        have one, else the same name and no label that the two give differently
        (an IRC relay names the alert without its labels; the mail has them)."""
        if self.fingerprint and other.fingerprint:
            return self.fingerprint == other.fingerprint
        if self.name != other.name:
            return False
        return all(other.labels.get(k, v) == v for k, v in self.labels.items() if k != "alertname")

    def with_labels_of(self, other: "Alert") -> "Alert":
        """This alert, with the labels, fingerprint and summary it lacks taken from ``other``."""
        if other.labels.keys() <= self.labels.keys() and (self.fingerprint or not other.fingerprint) \
                and (self.summary or not other.summary):
            return self
        return replace(self, labels={**other.labels, **self.labels},
                       fingerprint=self.fingerprint or other.fingerprint, summary=self.summary or other.summary)

    @property
    def severity(self) -> str | None:
        return self.labels.get("severity") or None

    @property
    def team(self) -> str | None:
        return self.labels.get("team") or None

    def describe(self) -> str:
        """One line for a timeline: ``HighLatency firing (critical): p99 above 2 s``,
        ``HighLatency resolved: p99 above 2 s`` (the summary tells two alerts of
        one name apart, resolved as firing); a relay's group of three ``…: p99 above 2 s (and 2 more)``."""
        text = f"{self.name} resolved" if self.state == RESOLVED else \
            f"{self.name} firing" + (f" ({self.severity})" if self.severity else "")
        if not self.summary:
            return text + (f" ({self.count} alerts)" if self.count > 1 else "")
        return f"{text}: {self.summary}" + (f" (and {self.count - 1} more)" if self.count > 1 else "")

    def to_json(self) -> dict:
        data = {"name": self.name, "state": self.state, "labels": dict(self.labels)}
        given = {"fingerprint": self.fingerprint, "summary": self.summary,
                 "count": self.count if self.count > 1 else None, "links": list(self.links)}
        return {**data, **{key: value for key, value in given.items() if value}}

    @classmethod
    def from_json(cls, data: dict) -> "Alert":
        return cls(str(data["name"]), data.get("state", FIRING), strings(data.get("labels") or {}),
                   data.get("fingerprint"), data.get("summary"), int(data.get("count", 1)), tuple(data.get("links", ())))


# -- pages ------------------------------------------------------------------------

TRIGGERED, ESCALATED, NOTIFIED, ACKNOWLEDGED, NOTE = "triggered", "escalated", "notified", "acknowledged", "note"
PHASES = (TRIGGERED, ESCALATED, NOTIFIED, ACKNOWLEDGED, RESOLVED, NOTE)
# A notification this long after its page is a later one (an escalation:
# PagerDuty's and Splunk On-Call's escalation delays are whole minutes).
LATER_NOTIFICATION = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Notified:
    """Someone a page reached: their name in the paging service, when (None: at
    the page), how (sms, push…), their time zone and other names there."""

    name: str
    at: dt.datetime | None = None
    via: tuple[str, ...] = ()
    timezone: str | None = None
    aka: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"name": self.name, "at": format_utc(self.at) if self.at else None, "via": list(self.via),
                "timezone": self.timezone, "aka": list(self.aka)}

    @classmethod
    def from_json(cls, data: dict) -> "Notified":
        return cls(str(data["name"]), _time_or_none(data.get("at")), tuple(data.get("via") or ()),
                   data.get("timezone"), tuple(data.get("aka") or ()))


@dataclass(frozen=True, slots=True)
class Page:
    """One step of a page of a paging service (Splunk On-Call, PagerDuty):

    * ``triggered``: the page went out — ``what`` paged (the alerting entity or
      the incident's title), ``notified`` whom it reached and when, ``teams``
      it went to, ``unresolved_teams`` whose people on call are not known,
      ``manual``/``by`` when a person started it;
    * ``escalated``, ``notified`` (someone reached later, ``notified``),
      ``acknowledged`` (``by`` a person), ``note`` (``note`` its text),
      ``resolved`` (``by`` a person, or None: by monitoring).

    ``at`` is the page's own time: an alert merged with its page stays at the
    alert's time and the page keeps its own here."""

    service: str
    incident: str
    phase: str
    what: str = ""
    entity: str = ""
    notified: tuple[Notified, ...] = ()
    teams: tuple[str, ...] = ()
    unresolved_teams: tuple[str, ...] = ()
    manual: bool = False
    by: str | None = None
    note: str | None = None
    at: dt.datetime | None = None

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"a page's phase is one of {PHASES}, not {self.phase!r}")
        object.__setattr__(self, "notified", tuple(self.notified))

    @property
    def label(self) -> str:
        """``PagerDuty incident #4711``."""
        return f"{self.service} incident {self.incident}"

    @property
    def state(self) -> str:
        return RESOLVED if self.phase == RESOLVED else FIRING

    def names(self) -> list[str]:
        return [n.name for n in self.notified]

    def reached_later(self, person: Notified) -> bool:
        """Reached a while after the page went out (by an escalation or a
        delayed notification rule): that notification is a line of its own."""
        return person.at is not None and self.at is not None and person.at - self.at >= LATER_NOTIFICATION

    def summary(self) -> str:
        """``paged jdoe, akowalski (SRE Core) (Splunk On-Call incident 4821)``, or
        ``paged Payments, whom not recorded (PagerDuty incident #1403)``: whom
        the page reached when it went out."""
        teams = ", ".join(self.teams)
        first = [n.name for n in self.notified if not self.reached_later(n)]
        if not first:
            return f"paged {teams or 'someone'}, whom not recorded ({self.label})"
        return f"paged {', '.join(first)}" + (f" ({teams})" if teams else "") + f" ({self.label})"

    def line(self) -> str | None:
        """The timeline's line for a page going out (``ProbeDown: paged jdoe (SRE)
        (PagerDuty incident #4711)``, with who started it by hand) or for someone
        reached later (``PagerDuty incident #4711: notified ppoe (phone)``);
        None for the other phases, whose lines are the service's words."""
        if self.phase == TRIGGERED:
            started = f" by {self.by}" if self.by else " by hand"
            return f"{self.what}: {self.summary()}" + (f", started{started}" if self.manual else "")
        if self.phase == NOTIFIED and self.notified:
            person = self.notified[0]
            return f"{self.label}: notified {person.name}" + (f" ({', '.join(person.via)})" if person.via else "")
        return None

    def to_json(self) -> dict:
        return {"service": self.service, "incident": self.incident, "phase": self.phase, "what": self.what,
                "entity": self.entity, "notified": [n.to_json() for n in self.notified],
                "teams": list(self.teams), "unresolved_teams": list(self.unresolved_teams),
                "manual": self.manual, "by": self.by, "note": self.note,
                "at": format_utc(self.at) if self.at else None}

    @classmethod
    def from_json(cls, data: dict) -> "Page":
        return cls(str(data["service"]), str(data["incident"]), data["phase"], data.get("what") or "",
                   data.get("entity") or "", tuple(Notified.from_json(n) for n in data.get("notified") or ()),
                   tuple(data.get("teams") or ()), tuple(data.get("unresolved_teams") or ()),
                   bool(data.get("manual")), data.get("by"), data.get("note"), _time_or_none(data.get("at")))


# -- log entries ------------------------------------------------------------------

# What deploys write to the SAL (scap's "Synchronized …" and "Finished scap: …",
# scap3's "Finished deploy [repo@sha]", helmfile's "helmfile [dc] DONE … apply", as
# stashbot logs them: tests/fixtures/sal/server-admin-log.wiki), and people's "deploy …".
_DEPLOY = LazyRegex(r"\bSynchronized\b|\bFinished scap\b|\bscap (?:sync|deploy|backport)\b"
                    r"|\bhelmfile\b.*\bapply\b|\bpuppet[- ]merge\b|\bdeploy(?:ed|ing|s)?\b", re.I)
# The first line of a deploy that logs its end too ("Started scap", "helmfile … START … apply").
_STARTED = LazyRegex(r"\b(?:START|Started)\b")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A SAL entry (or the ``!log`` that asked for it): the bot that relayed
    it for the person who did it (``relayed_by``, None when they logged it),
    and the host it was done from (``deploy1002``), where the line says."""

    relayed_by: str | None = None
    host: str | None = None

    def to_json(self) -> dict:
        return {"relayed_by": self.relayed_by, "host": self.host}


def log_kind(text: str) -> Kind:
    """A log entry is a deploy when it says one happened (not the start of one
    that logs its end too)."""
    return Kind.DEPLOY if _DEPLOY.search(text) and not _STARTED.search(text) else Kind.LOG


# -- the event ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, from one source, at one UTC time.

    ``kind`` says what it is (see the table above; by default from the facts
    it carries: an alert, a page, a log entry, else chat); ``alert``, ``page``
    and ``log`` carry what that kind means; ``place`` where it was read;
    ``channel`` where it was said; ``also_in`` the sources of records merged
    into it; ``aka`` other names the source gives its actor (a user id, an
    e-mail); ``marker`` makes a manual event a step of the analyst's narrative.
    ``fields`` holds what only its own source shows (Slack reactions, alert
    annotations). Equality is time, source, text, actor, url, tags and precision.
    """

    time: dt.datetime
    source: str
    text: str
    actor: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    precision: str = "second"
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    kind: Kind | None = field(default=None, compare=False, hash=False)
    alert: Alert | None = field(default=None, compare=False, hash=False)
    page: Page | None = field(default=None, compare=False, hash=False)
    log: LogEntry | None = field(default=None, compare=False, hash=False)
    place: Place | None = field(default=None, compare=False, hash=False)
    channel: str | None = field(default=None, compare=False, hash=False)
    origin: int | None = field(default=None, compare=False, hash=False)
    also_in: tuple[str, ...] = field(default=(), compare=False, hash=False)
    aka: tuple[str, ...] = field(default=(), compare=False, hash=False)
    marker: object = field(default=None, compare=False, hash=False)  # a core.evidence.Marker, or None

    def __post_init__(self):
        require_utc("Event.time", self.time)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"Event.text must be a string, got {self.text!r}")
        object.__setattr__(self, "tags", shared_tuple(self.tags))
        object.__setattr__(self, "fields", frozen_strings(self.fields))
        object.__setattr__(self, "also_in", shared_tuple(self.also_in))
        object.__setattr__(self, "aka", tuple(self.aka))
        object.__setattr__(self, "url", shared_string(self.url))   # the alerts of one mail share a link
        object.__setattr__(self, "kind", Kind(self.kind) if self.kind is not None else self._default_kind())

    def _default_kind(self) -> Kind:
        if self.alert is not None:  # an alert merged with the page it caused stays an alert
            return Kind.ALERT
        if self.page is not None:
            return Kind.PAGE
        if self.log is not None:
            return log_kind(self.text)
        return Kind.CHAT

    def to_json(self) -> dict:
        """The public JSON shape of ``timeline --format json`` (README): the
        record, its ``kind`` and the typed facts it has."""
        data = {"time": format_utc(self.time), "source": self.source, "actor": self.actor, "text": self.text,
                "url": self.url, "tags": list(self.tags), "precision": self.precision, "kind": self.kind.value}
        facts = {name: getattr(self, name) for name in ("alert", "page", "log")}
        data.update({name: fact.to_json() for name, fact in facts.items() if fact is not None})
        shown = {"place": str(self.place or ""), "channel": self.channel, "also_in": list(self.also_in)}
        return {**data, **{name: value for name, value in shown.items() if value}}


# -- what an event is -----------------------------------------------------------------

def is_alert(event: Event) -> bool:
    """Monitoring's alert (firing or resolved), or an event written as one (tag ``alert``)."""
    return event.alert is not None or "alert" in event.tags


def alert_state(event: Event) -> str:
    """``firing`` or ``resolved``: the alert's or page's own state; for an event
    written by hand, whether its text says resolved."""
    if event.alert is not None:
        return event.alert.state
    if event.page is not None:
        return event.page.state
    return RESOLVED if re.search(r"\bresolved?\b", event.text, re.I) else FIRING


def alert_name(event: Event) -> str:
    """What an alert is called: its name, or the text of a line written as one."""
    return event.alert.name if event.alert is not None else event.text


def same_alert(a: Event, b: Event) -> bool:
    """Two events about one alert (in either state): the same alert by its
    identity (:meth:`Alert.is_same_alert`), or for lines written as alerts the same text."""
    if a.alert is not None and b.alert is not None:
        return a.alert.is_same_alert(b.alert)
    return a.alert is None and b.alert is None and a.text == b.text


def is_page(event: Event) -> bool:
    """A page that went out: a paging service's trigger, or an event tagged ``page``
    (an alert of severity page, a page written by hand) that is not its resolution."""
    if event.page is not None:
        return event.page.phase == TRIGGERED
    return "page" in event.tags and alert_state(event) == FIRING


def pages_sent(events: Iterable[Event]) -> list[Event]:
    """The pages that went out: where a paging service's records are there,
    its pages (an alert of severity page is then one its page covers, not a
    page of its own: one Alertmanager mail may carry several) and pages written
    by hand; else every page (:func:`is_page`)."""
    events = [e for e in events if is_page(e)]
    if not any(e.page is not None and e.kind is not Kind.MANUAL for e in events):
        return events
    return [e for e in events if e.page is not None]


def page_time(event: Event) -> dt.datetime:
    """When a page went out: its own time, also when it is merged into its alert."""
    return event.page.at if event.page is not None and event.page.at is not None else event.time


def is_log_entry(event: Event) -> bool:
    """A SAL entry, or the ``!log`` line that asked for it (a deploy is one too)."""
    return event.kind in (Kind.LOG, Kind.DEPLOY)


def is_about_a_page(event: Event) -> bool:
    """A page or a step of one (an acknowledgement, a resolution…), or a line written as one (tag ``page``)."""
    return event.page is not None or "page" in event.tags


def is_acknowledgement(event: Event) -> bool:
    return event.page is not None and event.page.phase == ACKNOWLEDGED


def is_manual_page(event: Event) -> bool:
    """A page a person started (not monitoring)."""
    return event.page is not None and event.page.manual


def is_alert_firing(event: Event) -> bool:
    """Monitoring noticing: an alert or page that fired, not its resolution nor
    a page a person started by hand (that is a person reporting)."""
    return (is_alert(event) or is_page(event)) and alert_state(event) == FIRING and not is_manual_page(event)


def paged_people(events: Iterable[Event]) -> list[Notified]:
    """Everyone the pages reached, in the order they were reached."""
    found: dict[str, Notified] = {}
    for event in events:
        if event.page is not None:
            for person in event.page.notified:
                found.setdefault(person.name, person)
    return sorted(found.values(), key=lambda n: n.at or dt.datetime.max.replace(tzinfo=dt.timezone.utc))


# -- helpers ----------------------------------------------------------------------

def _time_or_none(value) -> dt.datetime | None:
    return parse_time(value)[0] if value else None
