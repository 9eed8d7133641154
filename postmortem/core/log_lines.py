"""Who did what a log line says: a SAL entry, the IRC `!log` that asked for it, a
deploy tool's line a bot posted for someone (logmsgbot on IRC, a Slack source's
``log_bots``). What a log entry is, :class:`postmortem.core.vocabulary.LogEntry`."""

from __future__ import annotations

import re
from dataclasses import replace

from .lazy_regex import LazyRegex
from .vocabulary import Event, LogEntry

__all__ = ["LOG_RELAYS", "logged_by", "relayed_log"]

# The bots that write a SAL entry for someone else (wikimedia's scap and
# helmfile write "user@host message" through logmsgbot).
LOG_RELAYS = frozenset({"logmsgbot"})
# "tchin@deploy2002 Started deploy", and before the user@host form "asher synchronized …" (2012).
_RELAYED_USER = LazyRegex(
    r"^(?P<user>[\w.-]+)(?:@[\w.-]+[:\s]|\s+(?=(?:synchronized|rebuilt|started|finished)\b))", re.I)

# A SAL nick of a deploy tool's entry: "tchin@deploy2002".
_USER_AT_HOST = LazyRegex(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+)$")


def logged_by(nick: str | None, message: str, relays=LOG_RELAYS) -> tuple[str | None, str, LogEntry]:
    """Who did what a log line says, what it says, and the entry: the user a
    relay bot (``relays``: their names, lower case) logged for (logmsgbot's
    ``deployer1@deploy1002 Synchronized X`` is deployer1's ``Synchronized X``),
    a ``user@host`` nick's user, else the nick."""
    relayed = _RELAYED_USER.match(message) if nick and nick.lower() in relays else None
    if relayed:
        host = message[len(relayed["user"]):relayed.end()].strip(" @:") or None
        return relayed["user"], message[relayed.end():].strip(), LogEntry(nick, host)
    at_host = _USER_AT_HOST.match(nick or "")
    if at_host:
        return at_host["user"], message, LogEntry(host=at_host["host"])
    return nick, message, LogEntry()


def relayed_log(event: Event, relays) -> Event:
    """A chat line a deploy tool's bot posted for someone (``relays``: the bots'
    names, lower case; a Slack ``scap`` app's ``rkapoor@deploy2002 Synchronized X``)
    as the log entry it relays, as :func:`logged_by` reads logmsgbot's: the
    user's, saying what they did. Any other event is returned as it is."""
    if event.log is not None or not event.actor or event.actor.lower() not in relays:
        return event
    actor, text, entry = logged_by(event.actor, event.text, relays)
    if entry.relayed_by is None:
        return event
    # the bot's other names (its Slack ids) are not the person's
    return replace(event, actor=actor, text=text, log=entry, kind=None, aka=())
