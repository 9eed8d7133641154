"""Filters of the timeline command: --since/--until/--source/--grep."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Iterable

from ..collect.sources import REGISTRY, describe
from ..core.errors import InputError
from ..core.model import Event, Incident, Records
from ..core.timeutil import parse_time
from .merge import also_in

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def resolve_time(value: str, incident: Incident, *, end: bool = False, name: str = "time") -> dt.datetime:
    """A filter bound from ``2023-09-28 14:33[:05]`` (UTC unless an offset is
    given) or ``HH:MM[:SS]`` on the incident's first day (UTC). With ``end``,
    the moment just after the stated minute or second, so that ``--until 15:00``
    keeps what happened during 15:00. InputError names ``name`` otherwise."""
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


def is_clock_time(value: str | None) -> bool:
    """True for the ``HH:MM[:SS]`` form (a time on the incident's first day)."""
    return bool(value and _CLOCK.match(value.strip()))


def empty_range_note(first_day: dt.date, last_day: dt.date, since: str | None, until: str | None) -> str | None:
    """Why --since/--until (as typed) kept nothing, when the likely cause is HH:MM
    meaning the incident's ``first_day`` while its window goes on to ``last_day``;
    None otherwise."""
    if not (is_clock_time(since) or is_clock_time(until)) or last_day <= first_day:
        return None
    span = " ".join(f"{flag} {value}" for flag, value in (("--since", since), ("--until", until)) if value)
    example = next(v for v in (since, until) if is_clock_time(v)).strip()
    return (f"no event in {span}: HH:MM means the incident's first day ({first_day}), and it goes on to "
            f"{last_day}; give the date for another day, e.g. '{first_day + dt.timedelta(days=1)} {example}'")


def compile_pattern(pattern: str, name: str = "grep") -> re.Pattern:
    """A case-insensitive regular expression; InputError for a bad one."""
    try:
        return re.compile(pattern, re.I)
    except re.error as err:
        raise InputError(f"bad regular expression {pattern!r}: {err}", key=name) from None


def source_matches(source: str, wanted: Iterable[str]) -> bool:
    """A source type matches itself and its family: ``slack`` matches ``slack``
    and ``slack-export``, ``sal`` both SAL sources, ``alert`` every alert source
    (case-insensitive)."""
    family = describe(source).family.lower()
    return any(w.lower() in (source.lower(), family) for w in wanted)


def filter_events(records: Records, *, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, sources: Iterable[str] = (),
                  pattern: str | re.Pattern | None = None) -> Records:
    """The records with only the events with ``since <= time < until``, from
    one of ``sources`` (all when empty; see :func:`source_matches`), whose text
    or actor matches ``pattern`` (a regular expression, case-insensitive). Order is kept."""
    return replace(records, events=tuple(_matching(records.events, since, until, tuple(sources), pattern)))


def _matching(events: Iterable[Event], since, until, sources: tuple, pattern) -> list[Event]:
    if isinstance(pattern, str):
        pattern = compile_pattern(pattern)
    return [e for e in events
            if (since is None or e.time >= since) and (until is None or e.time < until)
            and (not sources or any(source_matches(source, sources) for source in _sources_of(e)))
            and (pattern is None or pattern.search(e.text) or (e.actor and pattern.search(e.actor)))]


def _sources_of(event: Event) -> list[str]:
    """The event's source and those of the records merged into it (one fact seen twice)."""
    return [event.source, *also_in(event)]


def check_sources(wanted: Iterable[str]) -> tuple[str, ...]:
    """``--source`` values, each a source type, a family (``slack`` for both Slack
    sources) or ``manual``; InputError naming the first unknown one (a typo would
    print an empty timeline)."""
    known = set(REGISTRY) | {describe(t).family for t in REGISTRY} | {"manual"}
    for value in wanted:
        if value.lower() not in known:
            raise InputError(f"unknown source type {value!r} (known: {', '.join(sorted(known))})", key="--source")
    return tuple(wanted)


def check_span(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """``--until`` must come after ``--since`` (``--since 23:00 --until 01:00`` is
    an empty span on one day, not the night between two)."""
    if since is not None and until is not None and until <= since:
        raise InputError(f"--until {until:%Y-%m-%d %H:%M:%S} is not after --since {since:%Y-%m-%d %H:%M:%S} "
                         f"(give the date for a span across midnight: --until '2023-09-29 01:00')",
                         key="--until")
