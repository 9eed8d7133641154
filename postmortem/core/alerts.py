"""The one place that knows how an alert is announced in a chat line.

Icinga's IRC bot (icinga-wm) writes ``PROBLEM - <service> on <host> is
CRITICAL: …`` and ``RECOVERY - … is OK: …`` (as in the wm-bot log of
#wikimedia-operations quoted in phabricator T141520); alertmanager-irc-relay,
Alertmanager's bot (jinxer-wm; wikitech "Alertmanager", Notifications),
``FIRING: [2x] <alertname>: …`` and ``RESOLVED: …``.
"""

from __future__ import annotations

from typing import NamedTuple

from .lazy_regex import LazyRegex

# The bots of #wikimedia-operations that relay alerts.
ALERT_RELAYS = ("icinga-wm", "jinxer-wm")

_ANNOUNCEMENTS = (
    LazyRegex(r"^(?P<state>PROBLEM|RECOVERY) - (?P<name>.+?) is "
              r"(?:CRITICAL|WARNING|UNKNOWN|OK|DOWN|UP|UNREACHABLE)\b"),
    LazyRegex(r"^(?P<state>FIRING|RESOLVED): (?:\[\d+x\] )?(?P<name>[^\s:]+)"),
)
_RESOLVED = {"RECOVERY", "RESOLVED"}


class Announcement(NamedTuple):
    alertname: str
    state: str   # "firing" or "resolved"


def announced_alert(text: str) -> Announcement | None:
    """The alert a relay's line announces, or None when the line is not one."""
    for pattern in _ANNOUNCEMENTS:
        if found := pattern.match(text):
            return Announcement(found["name"], "resolved" if found["state"] in _RESOLVED else "firing")
    return None
