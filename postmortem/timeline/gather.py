"""Gather once: everything an incident's report needs, read into one value.

File sources are read now, network sources come from the cache `pull`
wrote, the manual events from incident.toml; they are merged into one
timeline (:mod:`.merge`). With a phabricator source, the
cached tasks; with ``[incident] previous``/``previous_wiki``, the previous
reports. Every step after this one (render, graph, scorecard, publish) is
pure: it takes the :class:`~postmortem.core.model.Records` and does no I/O.
"""

from __future__ import annotations

from ..collect import cache
from ..collect.previous import read_previous
from ..collect.sources import get_source, needs_pull
from ..core.errors import InputError
from ..core.model import Event, Incident, Records, incident_window
from .merge import merge


def gather(incident: Incident) -> Records:
    """The incident's records: merged events, cached tasks, previous reports."""
    gives_tasks = any(get_source(s.type).gives_tasks for s in incident.sources)
    tasks = cache.read_tasks(incident) if gives_tasks else None
    previous = read_previous(incident)
    return Records(incident, tuple(collect_events(incident)), tasks,
                   previous.reports if previous is not None else None)


def collect_events(incident: Incident, cached: dict | None = None) -> list[Event]:
    """Every event of the incident: file sources read now, network sources from
    the cache `pull` wrote, manual events; merged into one timeline."""
    window = incident_window(incident)
    gathered: list[Event] = []
    for config in incident.sources:
        if needs_pull(config):
            if cached is None:
                cached = cache.read_cache(incident)
            events = cached.get(cache.source_key(config))
            if events is None:
                raise InputError(f"{config.name} has not been pulled yet: run `postmortem pull`",
                                 file=incident.path)
            gathered.extend(events)
        else:
            gathered.extend(get_source(config.type).read(config, window))
    return merge(gathered, window, manual=incident.events)
