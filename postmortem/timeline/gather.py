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
from ..collect.sources.phabricator import enrich_actionables
from ..read.previous import read_previous
from ..core.accounting import Tally
from ..core.errors import InputError, PostmortemError
from ..core.people import Roster
from ..core.model import Event, Incident, KeptSource, MissingSource, Records, SourceConfig, Window, incident_window
from ..core.timeutil import format_utc
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
    read = read_sources(incident, window)
    gives_tasks = any(get_source(s.type).gives_tasks for s in incident.sources)
    tasks = cache.read_tasks(incident) if gives_tasks else None
    incident = with_created_tasks(incident, cache.read_followups(incident))
    if tasks:
        incident = replace(incident, actionables=enrich_actionables(incident.actionables, tasks))
    previous = read_previous(incident)
    merged = merge_sources(incident, read, window)
    events, findings = merged.events, merged.findings
    return Records(incident, tuple(events), tasks, previous.reports if previous is not None else None,
                   tuple(MissingSource(s.config.name, s.missing, s.config.type) for s in read if s.missing),
                   findings=tuple(findings),
                   graphs=gather_graphs(incident), kept=tuple(s.kept for s in read if s.kept),
                   skipped=tuple((s.config.name, skip) for s in read for skip in s.tally.skipped))


def collect_events(incident: Incident) -> list[Event]:
    """Every event of the incident, merged into one timeline (see :func:`gather`)."""
    return merge_sources(incident, read_sources(incident)).events


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


def read_sources(incident: Incident, window: Window | None = None) -> list[SourceRecords]:
    """Each source's records in ``window`` (default: the incident's): file sources
    read now, network sources from the cache. The first source that cannot be read raises."""
    read = []
    for _, outcome in read_sources_one_by_one(incident, window):
        if isinstance(outcome, PostmortemError):
            raise outcome
        read.append(outcome)
    return read


def read_sources_one_by_one(incident: Incident, window: Window | None = None) \
        -> Iterator[tuple[SourceConfig, SourceRecords | PostmortemError]]:
    """``(config, its records or the error that stopped it)`` for each source
    (`check` goes on after a source that fails)."""
    window = window or incident_window(incident)
    pulled = _Pulled(incident)
    for config in incident.sources:
        try:
            records = pulled.records(config, window) if needs_pull(config) else _read_file_source(config, window)
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


class _Pulled:
    """The cache `pull` wrote, read on first use."""

    def __init__(self, incident: Incident):
        self.incident = incident
        self._keys = cache.source_keys(incident.sources)
        self._entries = self._failures = None

    def records(self, config: SourceConfig, window: Window) -> SourceRecords:
        """The source's cached records; those of its last good pull, said so,
        when the last pull failed; none, said so, when no pull was good."""
        if self._entries is None:
            self._entries, self._failures = cache.read_cache(self.incident), cache.read_failures(self.incident)
        key = self._keys[config.index]
        entry, failure = self._entries.get(key), self._failures.get(key)
        if entry is not None and cache.covers(entry, window):
            kept = KeptSource(config.name, failure.error, entry.pulled_at) if failure is not None else None
            return SourceRecords(config, list(entry.events), entry.tally, kept=kept)
        if entry is not None:
            raise self._stale(config, entry.window, window)
        if failure is not None:
            return SourceRecords(config, missing=failure.error)
        raise self._not_pulled(config)

    def _stale(self, config: SourceConfig, pulled: Window | None, needed: Window) -> InputError:
        span = "an unknown window" if pulled is None else f"{_span(pulled)}"
        return InputError(f"{config.name} was pulled for {span}, but the incident now needs {_span(needed)}: "
                          f"run `postmortem pull`", file=self.incident.path)

    def _not_pulled(self, config: SourceConfig) -> InputError:
        """Settings changed when the cache holds a source of this type that no
        ``[[source]]`` is now; else not pulled yet."""
        ours = set(self._keys.values())
        if any(key.partition(":")[0] == config.type and key not in ours
               for key in list(self._entries) + list(self._failures)):
            return InputError(f"the settings of {config.name} changed since the last pull: run `postmortem pull`",
                              file=self.incident.path)
        return InputError(f"{config.name} has not been pulled yet: run `postmortem pull`", file=self.incident.path)


def _span(window: Window) -> str:
    return f"{format_utc(window.start)} to {format_utc(window.end)}"
