"""The one place that knows how an alert is announced in a chat line.

- Icinga's IRC bot (icinga-wm) writes ``<TYPE> - <service> on <host> is
  <STATE>: <plugin output> <notes URL>``: ``PROBLEM - … is CRITICAL: …``,
  ``RECOVERY - … is OK: …`` and a host's own ``PROBLEM - Host mw2291 is DOWN: …``
  (as in the wm-bot log of #wikimedia-operations quoted in phabricator T141520).
- alertmanager-irc-relay, Alertmanager's bot (jinxer-wm; wikitech
  "Alertmanager", Notifications), with the ``msg_template`` of Wikimedia's
  operations/puppet (modules/alertmanager/templates/irc.yml.erb):
  ``<STATUS>: [<n>x] <alertname>: <summary> - <runbook> - <dashboard> - <alerts link>``;
  ``[<n>x]`` only for a group of two alerts or more (the summary is its first
  alert's), the runbook and dashboard only where the alert has them, the last
  link the group's query on alerts.wikimedia.org.

A line is read into the :class:`~postmortem.core.vocabulary.Alert` it
announces (name, state, summary, count, links), so that it is written as every
other alert is (:meth:`Alert.describe`).
"""

from __future__ import annotations

from typing import NamedTuple

from .lazy_regex import LazyRegex
from .vocabulary import FIRING, RESOLVED, Alert

# The bots of #wikimedia-operations that relay alerts.
ALERT_RELAYS = ("icinga-wm", "jinxer-wm")

_ICINGA = LazyRegex(r"^(?P<state>PROBLEM|RECOVERY) - (?P<name>.+?) is "
                    r"(?:CRITICAL|WARNING|UNKNOWN|OK|DOWN|UP|UNREACHABLE)\b:?\s*(?P<rest>.*)$")
# The alertname ends at the first ": " (a name may hold spaces: "Primary inbound port utilisation over 80%  #page").
_RELAY = LazyRegex(r"^(?P<state>FIRING|RESOLVED): (?:\[(?P<count>\d+)x\] )?(?P<name>[^\s:][^:]*?):(?:\s+|$)(?P<rest>.*)$")
_RELAY_LINKS = LazyRegex(r"\s+-\s+(?=https?://)")
_TRAILING_LINKS = LazyRegex(r"(?:\s+https?://\S+)+\s*$")
_LINK = LazyRegex(r"https?://\S+")
_RESOLVED = {"RECOVERY", "RESOLVED"}


class Announcement(NamedTuple):
    """A relay's line read: the alert it announces and the one link to show
    with it (the relay's alerts link, else the line's only link)."""

    alert: Alert
    url: str | None


def announced_alert(text: str) -> Announcement | None:
    """The alert a relay's line announces, or None when the line is not one."""
    if found := _RELAY.match(text):
        summary, *tail = _RELAY_LINKS.split(found["rest"], 1)
        return _announcement(found, summary, tuple(_LINK.findall(tail[0])) if tail else (), int(found["count"] or 1))
    if found := _ICINGA.match(text):
        rest = found["rest"]
        trailing = _TRAILING_LINKS.search(rest)
        summary = rest[:trailing.start()] if trailing else rest
        return _announcement(found, summary, tuple(_LINK.findall(trailing[0])) if trailing else (), 1)
    return None


def _announcement(found, summary: str, links: tuple[str, ...], count: int) -> Announcement:
    state = RESOLVED if found["state"] in _RESOLVED else FIRING
    alert = Alert(found["name"].strip(), state, summary=summary.strip() or None, count=count, links=links)
    return Announcement(alert, links[-1] if links else None)
