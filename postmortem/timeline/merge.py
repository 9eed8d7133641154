"""One timeline from many sources: window, de-duplication, stable order,
key moments and the durations they give."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Iterable

from ..core.errors import InputError
from ..core.model import KEY_MOMENT_TAGS, Event, Incident, Window

# Sources are read from a little before the start (the lead-up: deploys, the
# first alert) to a little after the end (the last all-clear messages).
MARGIN = dt.timedelta(minutes=30)
# An incident with no end yet is read for one day after its start.
OPEN_INCIDENT_SPAN = dt.timedelta(days=1)
# The same `!log` seen in IRC (seconds) and in the SAL (minutes) lies within this.
SAME_LOG_WITHIN = dt.timedelta(minutes=2)
# The same alert seen in e-mail, a chat bot and a manual entry lies within this.
SAME_ALERT_WITHIN = dt.timedelta(minutes=5)


def incident_window(incident: Incident) -> Window:
    """The span sources are read for: [start - MARGIN, end + MARGIN)."""
    end = incident.end or incident.start + OPEN_INCIDENT_SPAN
    return Window(incident.start - MARGIN, end + MARGIN)


def collect_events(incident: Incident, cached: dict | None = None) -> list[Event]:
    """Every event of the incident: file sources read now, network sources from
    the cache `pull` wrote, manual events; merged into one timeline."""
    from ..collect import cache
    from ..collect.sources import get_source, needs_pull
    window = incident_window(incident)
    gathered: list[Event] = []
    for config in incident.sources:
        source = get_source(config.type)
        if needs_pull(config):
            if cached is None:
                cached = cache.read_cache(incident)
            events = cached.get(cache.source_key(config))
            if events is None:
                raise InputError(f"{config.name} has not been pulled yet: run `postmortem pull`",
                                 file=incident.path)
            gathered.extend(events)
        else:
            gathered.extend(source.read(config, window))
    return merge(gathered, window, manual=incident.events)


def merge(events: Iterable[Event], window: Window, manual: Iterable[Event] = ()) -> list[Event]:
    """Events in ``window`` plus every manual event (the author put them there on
    purpose), without duplicates, in a stable order: time, then source."""
    kept = [e for e in events if e.time in window] + list(manual)
    return dedupe(sorted(kept, key=_order))


def _order(event: Event):
    return (event.time, event.source)


# -- de-duplication -----------------------------------------------------------

def dedupe(events: list[Event]) -> list[Event]:
    """Drop events seen twice (an IRC `!log` and its SAL entry; an alert in
    e-mail and as a manual event), keeping the richer of each pair with the
    tags of both. ``events`` must be in time order; the order is kept."""
    result: list[Event] = []
    for event in events:
        for index in _recent(result, event.time):
            if _same_thing(result[index], event):
                result[index] = _richer(result[index], event)
                break
        else:
            result.append(event)
    return sorted(result, key=_order)


def _recent(result: list[Event], time: dt.datetime):
    """Indexes of kept events close enough in time to be the same thing."""
    index = len(result) - 1
    while index >= 0 and time - result[index].time <= SAME_ALERT_WITHIN:
        yield index
        index -= 1


def _same_thing(a: Event, b: Event) -> bool:
    gap = abs(a.time - b.time)
    if (a.time, a.source, a.actor, a.text) == (b.time, b.source, b.actor, b.text):
        return True
    if gap <= SAME_LOG_WITHIN and _is_log_pair(a, b) and _log_keys(a) & _log_keys(b):
        return True
    return a.source != b.source and _same_alert(a, b)


SAL_SOURCES = ("sal", "sal-wikitext")
# Where a `!log` line shows up: stashbot writes it to a SAL (sometimes to two,
# wikimedia/labs-tools-stashbot) from the IRC line that asked for it.
LOG_ECHO_SOURCES = SAL_SOURCES + ("irc",)


def _is_log_pair(a: Event, b: Event) -> bool:
    """One SAL entry and its echo: the IRC line, or the same entry in another SAL."""
    return ((a.source in SAL_SOURCES or b.source in SAL_SOURCES)
            and a.source in LOG_ECHO_SOURCES and b.source in LOG_ECHO_SOURCES)


_LOG_PREFIX = re.compile(r"^\s*!log\s+", re.I)
_SPACES = re.compile(r"\s+")


def _log_keys(event: Event) -> set[str]:
    """The forms a SAL message takes: ``!log msg`` by nick in IRC, ``nick: msg`` in SAL."""
    text = _SPACES.sub(" ", _LOG_PREFIX.sub("", event.text)).strip().lower()
    if len(text) < 8:  # "ok", "+1": too short to call two of them the same
        return set()
    keys = {text}
    if event.actor:
        keys.add(f"{event.actor.lower()} {text}")
        keys.add(f"{event.actor.lower()}: {text}")
    if ": " in text:  # "nick@host: msg" relayed as a message of its own
        keys.add(text.replace(": ", " ", 1))
    return keys


def _same_alert(a: Event, b: Event) -> bool:
    if "alert" not in a.tags or "alert" not in b.tags or abs(a.time - b.time) > SAME_ALERT_WITHIN:
        return False
    if _alert_state(a) != _alert_state(b):
        return False
    names_a, names_b = _alert_names(a), _alert_names(b)
    return bool(names_a & names_b) or any(n in b.text for n in names_a) or any(n in a.text for n in names_b)


def _alert_names(event: Event) -> set[str]:
    name = event.fields.get("alertname")
    return {name} if name else set()


def _alert_state(event: Event) -> str:
    state = event.fields.get("state")
    if state:
        return state
    return "resolved" if re.search(r"\bresolved?\b", event.text, re.I) else "firing"


def _richness(event: Event):
    return (event.url is not None, event.precision == "second", len(event.fields), len(event.text))


def _richer(a: Event, b: Event) -> Event:
    keep, other = (a, b) if _richness(a) >= _richness(b) else (b, a)
    tags = tuple(dict.fromkeys(keep.tags + other.tags))
    return replace(keep, tags=tags, url=keep.url or other.url)


# -- key moments --------------------------------------------------------------

@dataclass(frozen=True)
class KeyMoments:
    """The first event carrying each key-moment tag (outage-begins, detection,
    mitigation, outage-ends, resolved); None where no event carries it."""

    moments: dict

    def __getitem__(self, tag: str) -> Event | None:
        return self.moments.get(tag)


def key_moments(events: Iterable[Event]) -> KeyMoments:
    """Key moments of a timeline in time order."""
    found: dict = {}
    for event in events:
        for tag in event.tags:
            if tag in KEY_MOMENT_TAGS and tag not in found:
                found[tag] = event
    return KeyMoments(found)


# -- filters (timeline --since/--until/--source/--grep) -------------------------

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def resolve_time(value: str, incident: Incident, *, end: bool = False, name: str = "time") -> dt.datetime:
    """A filter bound from ``2023-09-28 14:33[:05]`` (UTC unless an offset is
    given) or ``HH:MM[:SS]`` on the incident's first day (UTC). With ``end``,
    the moment just after the stated minute or second, so that ``--until 15:00``
    keeps what happened during 15:00. InputError names ``name`` otherwise."""
    from ..core.timeutil import parse_time
    clock = _CLOCK.match(value.strip())
    try:
        if clock:
            hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
            moment = dt.datetime.combine(incident.start.date(), dt.time(hour, minute, second),
                                         tzinfo=incident.start.tzinfo)
            precision = "second" if clock[3] else "minute"
        else:
            moment, precision = parse_time(value)
    except ValueError as err:
        raise InputError(f"expected a UTC time like '2023-09-28 14:33' or '14:33' ({err})",
                         key=name) from None
    if end:
        moment += dt.timedelta(seconds=1) if precision == "second" else dt.timedelta(minutes=1)
    return moment


def compile_pattern(pattern: str, name: str = "grep") -> re.Pattern:
    """A case-insensitive regular expression; InputError for a bad one."""
    try:
        return re.compile(pattern, re.I)
    except re.error as err:
        raise InputError(f"bad regular expression {pattern!r}: {err}", key=name) from None


def source_matches(source: str, wanted: Iterable[str]) -> bool:
    """``irc`` matches ``irc``; ``slack`` matches ``slack`` and ``slack-export``;
    ``sal`` matches ``sal`` and ``sal-wikitext`` (case-insensitive)."""
    source = source.lower()
    return any(source == w.lower() or source.startswith(w.lower() + "-") for w in wanted)


def filter_events(events: Iterable[Event], *, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, sources: Iterable[str] = (),
                  pattern: str | re.Pattern | None = None) -> list[Event]:
    """The events with ``since <= time < until``, from one of ``sources`` (all
    when empty; see :func:`source_matches`), whose text or actor matches
    ``pattern`` (a regular expression, case-insensitive). Order is kept."""
    sources = tuple(sources)
    if isinstance(pattern, str):
        pattern = compile_pattern(pattern)
    return [e for e in events
            if (since is None or e.time >= since) and (until is None or e.time < until)
            and (not sources or source_matches(e.source, sources))
            and (pattern is None or pattern.search(e.text) or (e.actor and pattern.search(e.actor)))]
