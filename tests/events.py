"""Events made by hand for unit tests, with the kind and facts their source
would give them (postmortem.core.vocabulary): a SAL entry or an IRC ``!log``
is a log entry (a deploy when it says one), an alert source's record tagged
``alert`` an alert, a status page's a status update, Gerrit's a change, an
``[[event]]`` a manual one."""

from __future__ import annotations

from postmortem.core.log_lines import logged_by
from postmortem.core.vocabulary import Alert, Event, Kind, Notified, Page

_LOG_SOURCES = ("sal", "sal-wikitext", "sal-wiki")
_ALERT_SOURCES = ("alert-email", "alertmanager", "prometheus")


def record(time, source: str, text: str, *, actor: str | None = None, tags=(), alert_name: str | None = None,
           state: str = "firing", labels=None, **kw) -> Event:
    """An event as ``source`` would write it (see the module's docstring)."""
    facts = {}
    if {"alert", "page", "log", "kind"} & set(kw):   # the facts given: as they are
        pass
    elif source in _LOG_SOURCES or (source == "irc" and text.lstrip().lower().startswith("!log")):
        message = text.split(None, 1)[1] if source == "irc" else text   # after "!log"
        actor, text, facts["log"] = logged_by(actor, message)
    elif "alert" in tags and source != "manual":
        facts["alert"] = Alert(alert_name or text.split()[0], state, labels or {})
    elif source == "statuspage":
        facts["kind"] = Kind.STATUS
    elif source == "gerrit":
        facts["kind"] = Kind.CHANGE
    if source == "manual":
        facts["kind"] = Kind.MANUAL
    return Event(time=time, source=source, text=text, actor=actor, tags=tuple(tags), **{**facts, **kw})


SERVICES = {"splunk-oncall": "Splunk On-Call", "pagerduty": "PagerDuty"}


def page_event(time, phase: str, incident: str = "1", *, source: str = "splunk-oncall", actor: str | None = None,
               what: str = "x", paged=(), manual: bool = False, teams=(), unresolved_teams=(), entity: str = "",
               text: str | None = None, **kw) -> Event:
    """A paging service's record of one phase of a page, as its source writes it
    (``paged``: names, or :class:`Notified` for whom it reached at their own time)."""
    notified = tuple(p if isinstance(p, Notified) else Notified(p) for p in paged)
    page = Page(SERVICES.get(source, source), incident, phase, what, entity, notified, tuple(teams),
                tuple(unresolved_teams), manual, actor, at=time)
    return Event(time=time, source=source, text=text or f"{phase} {incident}", actor=actor,
                 tags=("page",) if phase == "triggered" else (), page=page, **kw)
