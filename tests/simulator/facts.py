"""What happened in a simulated incident, as facts (the ground truth).

A fact is one thing that happened, once, at one UTC second: someone said
something (:class:`Chat`), someone logged something (:class:`Log`, a ``!log``
and its SAL entry are one fact), an alert fired or resolved (each
:class:`Firing` of an :class:`Alert`: however many sources saw it), a page and
what followed it (:class:`Page`; a page an alert caused is that alert's firing,
its resolution by monitoring that alert's recovery). Some records of a fact
come a little later than it (the relay's line, Alertmanager's mail after its
group_wait, stashbot's SAL entry) or by a clock a little ahead (a logger's):
the lags are facts too. Each fact carries a token that every record of it
repeats (:func:`host`, a host name), so a timeline event can be told which
fact it is.

The strategies drawing incidents are in :mod:`.strategies`; what the tool must
make of the facts is in :mod:`.expect`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
SECOND, MINUTE = "second", "minute"
PAGERDUTY, SPLUNK = "pagerduty", "splunk-oncall"


def host(fact_id: int) -> str:
    """The host a fact is about: its token, in every record of it (``mw2107``)."""
    return f"mw{2100 + fact_id}"


_HOST = re.compile(r"\bmw(2[1-9]\d\d)\b")


def fact_ids(text: str) -> list[int]:
    """The fact ids whose tokens ``text`` names."""
    return [int(found) - 2100 for found in _HOST.findall(text or "")]


# -- people ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """Someone in the incident. On the roster: ``name`` is their roster name
    (and their shell user), the other names are aliases the roster lists (the
    paging service's by one of its name, e-mail or id). Off the roster: one
    name everywhere, and the paging service's time zone is all that is known."""

    name: str
    timezone: str
    hours: tuple[int, int]
    on_roster: bool
    irc: str
    slack: str
    slack_id: str
    pager: str                     # PagerDuty's name for them
    pager_id: str                  # PagerDuty's user id
    email: str
    pager_timezone: str            # PagerDuty's time zone for them (the roster's wins)
    roster_knows_pager_by: str = "name"   # name | email | id

    @property
    def splunk(self) -> str:
        """Splunk On-Call's username (the shell user)."""
        return self.name

    def aliases(self) -> tuple[str, ...]:
        """The names the roster lists besides the roster name."""
        pager = {"name": self.pager, "email": self.email, "id": self.pager_id}[self.roster_knows_pager_by]
        return tuple(dict.fromkeys(a for a in (self.irc, self.slack, pager) if a != self.name))

    def seen_as(self, name: str) -> str:
        """The name the timeline must show for a record that names them ``name``."""
        return self.name if self.on_roster else name

    def working(self, moment: dt.datetime, zone: str) -> bool:
        """Whether ``moment`` is in their working hours (Monday to Friday) in ``zone``."""
        local = moment.astimezone(ZoneInfo(zone))
        return local.weekday() < 5 and self.hours[0] <= local.hour < self.hours[1]


# -- chat and logs ------------------------------------------------------------------------

@dataclass(frozen=True)
class Chat:
    """Someone said something: in an IRC channel (``#name``) or in Slack (``slack``)."""

    id: int
    at: dt.datetime
    person: Person
    place: str
    text: str
    action: bool = False      # IRC: ``/me …``
    thread: int | None = None  # Slack: the id of the message it replies to in a thread


@dataclass(frozen=True)
class Log:
    """A ``!log``: said in an IRC channel (None: in one we have no log of),
    written by stashbot to the SAL page and the SAL tool where those are read.
    A deploy is logmsgbot's ``!log`` for the person who ran it."""

    id: int
    at: dt.datetime
    person: Person
    text: str                 # the message (for a deploy, "user@host …")
    deploy: bool
    channel: str | None
    on_sal_page: bool
    on_sal_tool: bool
    task: str | None = None
    linked: bool = False      # the SAL page links the task: [[phab:T1|T1]]
    sal_lag: int = 0          # seconds stashbot took to write the SAL entry

    @property
    def nick(self) -> str:
        return "logmsgbot" if self.deploy else self.person.irc


# -- pages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reach:
    """Someone a page reached when it went out: when they were notified, and how."""

    person: Person
    at: dt.datetime
    via: str = "sms"


@dataclass(frozen=True)
class Escalation:
    """The page escalated (by the policy's timeout, or by a person) to someone
    who is then notified: two facts."""

    at: dt.datetime
    by: Person | None
    to: Person
    notified_at: dt.datetime


@dataclass(frozen=True)
class Step:
    """A person acknowledging, annotating or resolving a page."""

    at: dt.datetime
    by: Person
    text: str = ""


@dataclass(frozen=True)
class Page:
    """A page of a paging service. ``by``: the person who started it by hand
    (else an alert did). ``resolved_at``: monitoring resolved it (with its
    alert); ``resolved_by``: a person did."""

    service: str
    number: int
    at: dt.datetime
    what: str
    reached: tuple[Reach, ...]
    by: Person | None = None
    escalations: tuple[Escalation, ...] = ()
    acks: tuple[Step, ...] = ()
    notes: tuple[Step, ...] = ()
    resolved_by: Step | None = None
    resolved_at: dt.datetime | None = None
    via_team: bool = False    # Splunk On-Call: it named a team; its on-call log says whom

    @property
    def label(self) -> str:
        """How the page's events name it (``#1401`` at PagerDuty, ``4801`` at Splunk On-Call)."""
        return f"#{self.number}" if self.service == PAGERDUTY else str(self.number)

    def people(self) -> list[tuple[Person, dt.datetime]]:
        """Everyone it reached and when: at the page, then by escalation."""
        return [(r.person, r.at) for r in self.reached] + [(e.to, e.notified_at) for e in self.escalations]


# -- alerts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Firing:
    """One firing of an alert: from ``start`` to ``end`` (None: still firing at
    the end of the window), and the page it caused."""

    start: dt.datetime
    end: dt.datetime | None
    page: Page | None = None


@dataclass(frozen=True)
class Alert:
    """An alert: Alertmanager's (name and labels; mailed, relayed to IRC by
    jinxer-wm, in Prometheus' ALERTS where those are read) or Icinga's (its
    "service on host" name, relayed by icinga-wm only)."""

    id: int
    name: str
    labels: tuple[tuple[str, str], ...]
    summary: str
    relay: str | None
    mailed: bool
    firings: tuple[Firing, ...]
    icinga: bool = False
    relay_lag: int = 0        # seconds the relay took to say a change on IRC
    mail_lag: int = 0         # seconds Alertmanager took to mail it (its group_wait)

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


# -- the incident ----------------------------------------------------------------------

@dataclass(frozen=True)
class Logger:
    """One IRC logger of a channel: its format, the zone of its clock (and how
    far ahead that clock is), whether irssi writes seconds; ``detect``:
    incident.toml leaves the format to detection."""

    format: str
    timezone: str
    seconds: bool = True
    detect: bool = True
    skew: int = 0             # seconds its clock is ahead

    @property
    def precision(self) -> str:
        return SECOND if self.seconds else MINUTE


@dataclass(frozen=True)
class Channel:
    name: str
    loggers: tuple[Logger, ...]

    @property
    def precision(self) -> str:
        """The best precision its loggers give."""
        return SECOND if any(lg.seconds for lg in self.loggers) else MINUTE


@dataclass(frozen=True)
class Incident:
    """A simulated incident: its window, people, where things were recorded
    (the IRC channels and their loggers, a Slack channel, the SAL page and tool,
    Alertmanager's mails, Prometheus, the paging services) and the facts."""

    number: int
    start: dt.datetime
    end: dt.datetime
    people: tuple[Person, ...]
    channels: tuple[Channel, ...] = ()
    slack: str | None = None
    sal_page: bool = False
    sal_tool: bool = False
    mail: bool = False
    prometheus: bool = False
    pagerduty: bool = False
    splunk: bool = False
    chats: tuple[Chat, ...] = ()
    logs: tuple[Log, ...] = ()
    alerts: tuple[Alert, ...] = ()
    manual_pages: tuple[Page, ...] = ()
    lead: dt.timedelta = field(default=dt.timedelta(minutes=30))

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """What the sources are read for (incident.toml's default lead and trail)."""
        return self.start - self.lead, self.end + self.lead

    def __repr__(self) -> str:   # a failing example is told by its story (tests/simulator/story.py)
        return f"Incident({self.number}, {self.start:%Y-%m-%d %H:%M}, {self.records()} facts)"

    def pages(self) -> list[Page]:
        return [f.page for a in self.alerts for f in a.firings if f.page] + list(self.manual_pages)

    def records(self) -> int:
        """How many facts it holds (each alert firing counts its start and its end)."""
        ends = sum(1 + (f.end is not None) for a in self.alerts for f in a.firings)
        steps = sum(len(p.escalations) * 2 + len(p.acks) + len(p.notes) + (p.resolved_by is not None)
                    for p in self.pages())
        return len(self.chats) + len(self.logs) + ends + steps + len(self.manual_pages)
