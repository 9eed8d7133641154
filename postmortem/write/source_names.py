"""How the report names where a record comes from: a source (``SAL``,
``Slack #chan``), a source that could not be read and why, and the service a
link leads to (``PagerDuty``, ``Grafana``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..collect.sources import describe
from ..core.lazy_regex import LazyRegex
from ..core.vocabulary import Event

__all__ = ["SERVICES", "missing_said", "service_of", "source_label", "source_name", "source_title"]


def source_title(source_type: str) -> str:
    """``PagerDuty``, ``IRC``, ``SAL``: a source as the report names it."""
    return describe(source_type).label or source_type


_AT_URL = LazyRegex(r"^(?P<url>https?://(?P<host>[^/\s:]+(?::\d+)?)\S*?): (?P<rest>.+)$")


def missing_said(missing) -> tuple[str, str]:
    """A source that could not be read and why, in words: ``("PagerDuty at
    127.0.0.1:40099", "refused the connection, 4 attempts")``; the error
    without the source's own name or the address's path."""
    name = source_title(missing.type) if missing.type else missing.name
    reason = missing.reason.removeprefix(f"{missing.name}: ")
    if "no secret:" in reason:
        return name, "no token or password was given for it"
    found = _AT_URL.match(reason)
    if found:
        name, reason = f"{name} at {found['host']}", found["rest"]
    return name, re.sub(r" \((\d+ attempts)\)$", r", \1", reason)


def source_name(event: Event) -> str | None:
    """``Slack #chan``, ``IRC #chan``, ``SAL``, ``alert``; ``link`` for a manual
    event with a url; None for other manual events."""
    source = describe(event.source)
    name, channel = source.label, event.channel
    if name is None and event.url:
        return "link"
    if name and channel and source.family != "sal":  # a SAL entry's channel is where it was logged from
        name = f"{name} #{channel.lstrip('#')}"
    return name


def source_label(event: Event, style) -> str:
    """``(SAL)``, ``([permalink Slack #chan])`` in ``style`` (:mod:`.view`'s
    ``WIKITEXT`` or ``MARKDOWN``); "" for manual events. A link
    says where it leads: an address of another service than the source's
    (a PagerDuty incident on an IRC line, a Prometheus graph on an alert) is
    labelled with that service: ``(alert, [url Prometheus])``."""
    name = source_name(event)
    if name is None:
        return ""
    service = service_of(event.url) if event.url else None
    if service is None and event.url and describe(event.source).family == "irc":  # an IRC line has no address:
        service = urlsplit(event.url).hostname or None   # its link leads elsewhere (a relay's runbook)
    if service is None or name.startswith(service):
        return f"({style.link(event.url, name)})"
    if name == "link":
        return f"({style.link(event.url, service)})"
    return f"({name}, {style.link(event.url, service)})"


# Where an address leads, by a part of it (host or path), for a link's label.
SERVICES = (("pagerduty.com", "PagerDuty"), ("victorops.com", "Splunk On-Call"), ("slack.com", "Slack"),
            ("phabricator.", "Phabricator"), ("gerrit.", "Gerrit"), ("grafana.", "Grafana"),
            ("prometheus", "Prometheus"), ("thanos", "Thanos"), ("alerts.", "Alertmanager"),
            ("Server_Admin_Log", "SAL"), ("sal.toolforge.org", "SAL"), ("logstash.", "Logstash"))


def service_of(url: str) -> str | None:
    """``PagerDuty`` for ``https://acme.pagerduty.com/incidents/P1``; None when not known."""
    return next((name for part, name in SERVICES if part in url), None)
