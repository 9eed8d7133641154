"""What the tool must make of a simulated incident's facts: the timeline (one
event per fact, at its time, with its actor and kind), the metrics, the
scorecard's answers about pages and the graph's bars — each computed from the
facts alone, never from what the tool read.

A fact's time in the timeline is that of its earliest record (:func:`when`),
to the second where any record gives seconds (an IRC logger, a mail,
Prometheus, a paging service, Slack), else to the minute (the SAL; irssi
writing minutes): a record only to the minute is never earlier than one to
the second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from postmortem.core.vocabulary import Event, Kind

from .facts import MINUTE, PAGERDUTY, SECOND, Alert, Chat, Incident, Log, Page, Person, fact_ids

# An alert's actor: no person (None, or the bot that relayed it on IRC).
NO_PERSON = "(no person)"
RELAYS = ("jinxer-wm", "icinga-wm")


@dataclass(frozen=True)
class Entry:
    """One fact as the timeline must show it."""

    key: tuple
    time: dt.datetime
    precision: str
    actor: str | None
    kind: Kind
    person: Person | None = None        # who did it (a message's author: engagement)
    detects: bool = False               # an alert firing, a message, a page a person started
    page: Page | None = None            # the page it is (or that an alert's event carries)
    reached: tuple[str, ...] = ()       # whom a page reached, by roster name


def observed(moment: dt.datetime, precision: str) -> dt.datetime:
    return moment.replace(second=0) if precision == MINUTE else moment


def when(records: list[tuple[dt.datetime, str]]) -> tuple[dt.datetime, str]:
    """When the timeline must place a fact its records (time, precision) saw:
    the earliest record to the second where any gives seconds, else the earliest minute."""
    precise = [at for at, precision in records if precision == SECOND]
    if precise:
        return min(precise), SECOND
    return min(observed(at, MINUTE) for at, _ in records), MINUTE


def in_window(incident: Incident, moment: dt.datetime) -> bool:
    start, end = incident.window
    return start <= moment < end


def timeline(incident: Incident) -> dict[tuple, Entry]:
    """Every fact the timeline must hold (those in the window), by key."""
    entries = [*(_chat(incident, c) for c in incident.chats), *(_log(incident, lg) for lg in incident.logs)]
    for alert in incident.alerts:
        entries += _alert(incident, alert)
    for page in incident.pages():
        entries += _page_steps(page)
    return {e.key: e for e in entries if in_window(incident, e.time)}


def _said_in(incident: Incident, channel: str | None, at: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """The records of a line said in an IRC channel: one per logger, by its clock."""
    loggers = next((c.loggers for c in incident.channels if c.name == channel), ())
    return [(at + dt.timedelta(seconds=lg.skew), lg.precision) for lg in loggers]


def _chat(incident: Incident, chat: Chat) -> Entry:
    records = [(chat.at, SECOND)] if chat.place == "slack" else _said_in(incident, chat.place, chat.at)
    name = chat.person.slack if chat.place == "slack" else chat.person.irc
    return Entry(("said", chat.id), *when(records), chat.person.seen_as(name), Kind.CHAT, chat.person, detects=True)


def _log(incident: Incident, log: Log) -> Entry:
    written = log.at + dt.timedelta(seconds=log.sal_lag)
    records = _said_in(incident, log.channel, log.at) + [(written, MINUTE)] * (log.on_sal_page or log.on_sal_tool)
    actor = log.person.name if log.deploy else log.person.seen_as(log.person.irc)
    return Entry(("said", log.id), *when(records), actor, Kind.DEPLOY if log.deploy else Kind.LOG, log.person,
                 detects=True)


def alert_records(incident: Incident, alert: Alert, at: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """The records of an alert's change at ``at``: the relay's lines, the mail, Prometheus' sample."""
    relayed = _said_in(incident, incident.channels[0].name, at + dt.timedelta(seconds=alert.relay_lag)) \
        if alert.relay else []
    mailed = [(at + dt.timedelta(seconds=alert.mail_lag), SECOND)] if alert.mailed else []
    sampled = [(at, SECOND)] if incident.prometheus and not alert.icinga else []
    return relayed + mailed + sampled


def _alert(incident: Incident, alert: Alert) -> list[Entry]:
    found = []
    for n, firing in enumerate(alert.firings):
        reached = tuple(_pager_name(p, firing.page.service) for p, _ in firing.page.people()) if firing.page else ()
        found.append(Entry(("alert", alert.id, n, "firing"), *when(alert_records(incident, alert, firing.start)),
                           NO_PERSON, Kind.ALERT, detects=True, page=firing.page, reached=reached))
        if firing.end is not None:
            resolved_by_monitoring = firing.page if firing.page and firing.page.resolved_at else None
            found.append(Entry(("alert", alert.id, n, "resolved"), *when(alert_records(incident, alert, firing.end)),
                               NO_PERSON, Kind.ALERT, page=resolved_by_monitoring))
    return found


def _pager_name(person: Person, service: str) -> str:
    """The name the timeline gives someone a paging service names."""
    return person.seen_as(person.pager if service == PAGERDUTY else person.splunk)


def _page_steps(page: Page) -> list[Entry]:
    """A page's own facts: a page a person started, escalations, the people
    they reached, acknowledgements, notes, a person resolving it (a page an
    alert caused, and its resolution by monitoring, are that alert's)."""
    name = lambda p: _pager_name(p, page.service)  # noqa: E731
    found = []
    if page.by is not None:
        found.append(Entry(("page", page.label, "triggered"), page.at, SECOND, name(page.by), Kind.PAGE,
                           page.by, detects=True, page=page, reached=tuple(name(p) for p, _ in page.people())))
    for esc in page.escalations:
        found.append(Entry(("page", page.label, "escalated"), esc.at, SECOND, esc.by and name(esc.by), Kind.PAGE,
                           page=page))
        found.append(Entry(("page", page.label, "notified"), esc.notified_at, SECOND, None, Kind.PAGE, page=page,
                           reached=(name(esc.to),)))
    for phase, steps in (("acknowledged", page.acks), ("note", page.notes)):
        found += [Entry(("page", page.label, phase), s.at, SECOND, name(s.by), Kind.PAGE, page=page) for s in steps]
    if page.resolved_by is not None:
        found.append(Entry(("page", page.label, "resolved"), page.resolved_by.at, SECOND, name(page.resolved_by.by),
                           Kind.PAGE, page=page))
    return found


# -- from the tool's events back to the facts ------------------------------------------------

def event_key(incident: Incident, event: Event) -> tuple:
    """Which fact ``event`` is: a paging service's step by its page and phase;
    an alert by its token (in its text, summary or labels) and the nearest of
    its firings; anything else by the token in its text."""
    if event.page is not None and event.alert is None:
        return ("page", event.page.incident, event.page.phase)
    if event.alert is not None:
        said = " ".join([event.text, event.alert.summary or "", *event.alert.labels.values()])
        alert = next((a for a in incident.alerts if a.id in fact_ids(said)), None)
        if alert is not None:
            state = event.alert.state
            times = [f.start if state == "firing" else f.end for f in alert.firings]
            nearest = min(range(len(times)), key=lambda n: abs(times[n] - event.time) if times[n] else dt.timedelta.max)
            return ("alert", alert.id, nearest, state)
    ids = fact_ids(event.text)
    return ("said", ids[0]) if len(ids) == 1 else ("unknown", event.source, event.text)


# -- metrics, scorecard, graph ------------------------------------------------------------------

def first_page_time(entries: dict[tuple, Entry]) -> dt.datetime | None:
    return min((e.page.at for e in entries.values() if e.page and e.kind in (Kind.ALERT, Kind.PAGE)
                and e.key[-1] in ("firing", "triggered")), default=None)


def metrics(incident: Incident, entries: dict[tuple, Entry]) -> dict[str, tuple]:
    """``{metric: (from, to)}`` for detect, acknowledge and engage (None where unknown)."""
    detected = min((e.time for e in entries.values() if e.detects and e.time >= incident.start), default=None)
    paged = first_page_time(entries)
    if paged is None:
        return {"detect": (incident.start, detected), "acknowledge": (None, None), "engage": (None, None)}
    acked = min((e.time for e in entries.values() if e.key[-1] == "acknowledged" and e.time >= paged), default=None)
    reached = {p.name for page in _pages_in(entries) for p, _ in page.people()}
    engaged = min((e.time for e in entries.values() if e.kind in (Kind.CHAT, Kind.LOG, Kind.DEPLOY)
                   and e.person is not None and e.person.name in reached and e.time >= paged), default=None)
    return {"detect": (incident.start, detected), "acknowledge": (paged, acked), "engage": (paged, engaged)}


def _pages_in(entries: dict[tuple, Entry]) -> list[Page]:
    """The pages that went out within the window (their event is in the timeline)."""
    found = [e.page for e in entries.values() if e.page and e.key[-1] in ("firing", "triggered")]
    return list({p.label: p for p in found}.values())


def paged_fewer_than_five(entries: dict[tuple, Entry]) -> str | None:
    pages = _pages_in(entries)
    if not pages:
        return None
    return "yes" if len({p.name for page in pages for p, _ in page.people()}) < 5 else "no"


def pages_in_business_hours(entries: dict[tuple, Entry]) -> str | None:
    """"no" when anyone was paged outside their working hours, None when
    someone's are unknown (off the roster, paged by Splunk On-Call, which
    gives no time zone), else "yes"."""
    pages = _pages_in(entries)
    if not pages:
        return None
    verdicts = [_working(person, at, page.service) for page in pages for person, at in page.people()]
    if False in verdicts:
        return "no"
    return None if None in verdicts else "yes"


def _working(person: Person, at: dt.datetime, service: str) -> bool | None:
    if person.on_roster:
        return person.working(at, person.timezone)
    return person.working(at, person.pager_timezone) if service == PAGERDUTY else None


def bars(incident: Incident, entries: dict[tuple, Entry], graph_end: dt.datetime) -> list[tuple]:
    """``(alert name, from, to)`` for each firing in the window (to the graph's end while firing)."""
    found = []
    for alert in incident.alerts:
        for n, _ in enumerate(alert.firings):
            fired, resolved = (entries.get(("alert", alert.id, n, state)) for state in ("firing", "resolved"))
            if fired is not None:
                found.append((alert.name, fired.time, resolved.time if resolved else graph_end))
    return sorted(found, key=lambda b: (b[1], b[0], b[2]))
