"""Gather once: everything an incident's report needs, read into one value.

File sources are read now, network sources come from the cache `pull`
wrote, the manual events from incident.toml; they are merged into one
timeline (:mod:`.merge`). With a phabricator source, the cached tasks; with
``[incident] previous``/``previous_wiki``, the previous reports; the series of
each ``[[graph]]`` (:mod:`postmortem.collect.metric_series`). Every step
after this one (render, graph, scorecard, publish) is pure: it takes the
:class:`~postmortem.core.model.Records` and does no I/O.

A network source is used from the cache only as it was pulled: for the same
settings and a window that covers the incident's; otherwise gathering stops
and says to pull again. A source the last pull could not read is no reason
to stop: its records are those of its last good pull, and the Records say
which and when; without one, its records are missing, and the Records say
which and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator

from ..collect import cache
from ..collect.followup_plan import with_created_tasks
from ..collect.metric_series import gather_graphs
from ..collect.sources import get_source, needs_pull
from ..read.previous import read_previous
from ..core.accounting import Tally
from ..core.errors import PostmortemError
from ..core.people import Roster
from ..core.model import Event, Incident, KeptSource, MissingSource, Records, SourceConfig, Window, incident_window
from .merge import MERGE_REACH, merge
from .redact_events import redact_events


@dataclass
class SourceRecords:
    """What one ``[[source]]`` gave: its events in the window, its tally, or why
    it gave nothing; ``kept`` when they are an earlier pull's (the last one failed)."""

    config: SourceConfig
    events: list[Event] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    missing: str | None = None
    kept: KeptSource | None = None


def gather(incident: Incident, only: Window | None = None) -> Records:
    """The incident's records: merged events (after ``[redact]``, with what it
    found), cached tasks, previous reports. The Records' incident has on its
    actionables the follow-up tasks `postmortem followups --create` made, and
    each task's status, owner and last change from the last pull; the records
    the sources skipped as not understood (`check` lists them).

    With ``only``, the sources are read just around that span (widened by
    what a merge can reach): its events are as the whole incident's, the rest
    is left unread (`timeline --since/--until` of a week-long log)."""
    window = reading_window(incident, only)
    pulled = cache.EventCache(incident)
    read = read_sources(incident, window, pulled)
    gives_tasks = any(get_source(s.type).gives_tasks for s in incident.sources)
    tasks = pulled.tasks if gives_tasks else None
    incident = with_created_tasks(incident, pulled.followups)
    if tasks:
        from ..collect.sources.phabricator import enrich_actionables  # with a phabricator source only
        incident = replace(incident, actionables=enrich_actionables(incident.actionables, tasks))
    previous = read_previous(incident, pulled=pulled)
    merged = merge_sources(incident, read, window)
    events, findings = merged.events, merged.findings
    return Records(incident, tuple(events), tasks, previous.reports if previous is not None else None,
                   tuple(MissingSource(s.config.name, s.missing, s.config.type) for s in read if s.missing),
                   findings=tuple(findings),
                   graphs=gather_graphs(incident, pulled), kept=tuple(s.kept for s in read if s.kept),
                   skipped=tuple((s.config.name, skip) for s in read for skip in s.tally.skipped))


@dataclass(frozen=True)
class Merged:
    """The timeline: its events and findings, and how many records of the sources
    (in the window) and manual events went into it after ``[redact]``."""

    events: list[Event]
    findings: list
    records: int
    manual: int


def reading_window(incident: Incident, only: Window | None = None) -> Window:
    """The span to read: the incident's window, or the part of it around ``only``."""
    whole = incident_window(incident)
    if only is None:
        return whole
    start = min(max(whole.start, only.start - MERGE_REACH), whole.end)
    return Window(start, max(start, min(whole.end, only.end + MERGE_REACH)))


def merge_sources(incident: Incident, read: list[SourceRecords], window: Window | None = None) -> Merged:
    """The sources' events in ``window`` (default: the incident's) and the manual
    ones, after ``[redact]`` (:mod:`.redact_events`), merged; and the findings. The
    sources' records are handed over (``read``'s lists are left empty), so that
    each record merged into another is freed as soon as it is merged."""
    window = window or incident_window(incident)
    roster = Roster(incident.people)
    sources = redact_events(roster.named_all(_handed_over(read, window)), incident.redact)
    manual = redact_events(roster.named_all(incident.events), incident.redact)
    records, sources.events = sources.events, []
    count = len(records)
    return Merged(merge(records, window, manual=manual.events), manual.findings + sources.findings,
                  count, len(manual.events))


def _handed_over(read: list[SourceRecords], window: Window) -> Iterator[Event]:
    for source in read:
        events, source.events = source.events, []
        yield from (e for e in events if e.time in window)


def read_sources(incident: Incident, window: Window | None = None,
                 pulled: cache.EventCache | None = None) -> list[SourceRecords]:
    """Each source's records in ``window`` (default: the incident's): file sources
    read now, network sources from the cache (``pulled``: the one the command
    read). The first source that cannot be read raises."""
    read = []
    for _, outcome in read_sources_one_by_one(incident, window, pulled):
        if isinstance(outcome, PostmortemError):
            raise outcome
        read.append(outcome)
    return read


def read_sources_one_by_one(incident: Incident, window: Window | None = None,
                            pulled: cache.EventCache | None = None) \
        -> Iterator[tuple[SourceConfig, SourceRecords | PostmortemError]]:
    """``(config, its records or the error that stopped it)`` for each source
    (`check` goes on after a source that fails)."""
    window = window or incident_window(incident)
    pulled = pulled or cache.EventCache(incident)
    for config in incident.sources:
        try:
            records = _pulled_source(pulled, config, window) if needs_pull(config) \
                else _read_file_source(config, window)
        except PostmortemError as err:
            yield config, err
            continue
        records.events = [_with_origin(e, config) for e in records.events]
        yield config, records


def _read_file_source(config: SourceConfig, window: Window) -> SourceRecords:
    tally = Tally()
    events = list(get_source(config.type).read(config, window, tally=tally))
    return SourceRecords(config, events, tally)


def _with_origin(event: Event, config: SourceConfig) -> Event:
    """The event marked with the source it came from (two loggers of one
    channel are two sources: de-duplication merges their lines, never a line
    with itself)."""
    return replace(event, origin=config.index)


def _pulled_source(pulled: cache.EventCache, config: SourceConfig, window: Window) -> SourceRecords:
    """The source's cached records; those of its last good pull, said so,
    when the last pull failed; none, said so, when no pull was good."""
    found = pulled.source(config, window)
    if found.stale:
        raise pulled.stale_error(found)
    if found.entry is None:
        return SourceRecords(config, missing=found.failure.error)
    kept = KeptSource(config.name, found.failure.error, found.entry.pulled_at) if found.failure else None
    return SourceRecords(config, list(found.entry.events), found.entry.tally, kept=kept)
