"""`postmortem pull`: fetch every network source of an incident into its event cache,
and the series of every ``[[graph]]`` with a ``url`` (:mod:`.graphs`).

File sources need no pull (they are read from disk each time). Each network
source gets its own bounded HTTP session (timeout, few retries, a deadline),
so a slow service cannot stall the others. A source already in the cache
with the same key (same options) is not fetched again unless ``refresh``.

One failing source is reported with its reason while the others are kept;
its previous cache entry, if any, stays. With ``strict`` the first failure
raises and nothing is written. The cache is written atomically in one go.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Callable

from . import cache
from ..core.accounting import Tally
from ..core.errors import PostmortemError, SourceError
from ..core.model import GraphConfig, Incident, SourceConfig
from .sources import get_source, needs_pull
from ..core.model import incident_window
from ..core.timeutil import format_utc


@dataclass
class SourceResult:
    """How one source's pull went: fetched, cached (not fetched) or failed."""

    name: str
    key: str
    status: str  # "fetched" | "cached" | "failed"
    events: int = 0
    requests: int = 0
    seconds: float = 0.0
    tasks: int | None = None
    error: PostmortemError | None = None
    unit: str = "event"
    tally: Tally | None = None

    def line(self) -> str:
        """One summary line: ``source[0] (sal): 12 events (60 records read, 2 dropped), 1 request, 0.31 s``."""
        if self.status == "failed":
            return f"{self.name}: FAILED after {_plural(self.requests, 'request')}: {self.error}"
        counts = f"{_plural(self.events, self.unit)}{_records(self.tally)}" + (
            f", {_plural(self.tasks, 'task')}" if self.tasks is not None else "")
        if self.status == "cached":
            return f"{self.name}: {counts} (cached; --refresh to fetch again)"
        return f"{self.name}: {counts}, {_plural(self.requests, 'request')}, {self.seconds:.2f} s"


@dataclass
class PullReport:
    """The outcome of a pull: a result per network source and the cache written."""

    results: list[SourceResult] = field(default_factory=list)
    cache_path: str | None = None

    @property
    def ok(self) -> bool:
        """True when no source failed."""
        return not self.failed

    @property
    def failed(self) -> list[SourceResult]:
        """The sources that failed."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def requests(self) -> int:
        """Requests made in all (retries included)."""
        return sum(r.requests for r in self.results)

    def lines(self) -> list[str]:
        """A summary line per source."""
        return [result.line() for result in self.results]


def pull(incident: Incident, *, refresh: bool = False, strict: bool = False,
         progress: Callable[[int, int, str], None] | None = None,
         session_factory: Callable[[], object] | None = None, clock=None) -> PullReport:
    """Fetch every network source of ``incident`` into its event cache.

    ``progress(done, total, name)`` is called before each source and once at
    the end; ``session_factory`` makes each source's HTTP session (default
    :func:`postmortem.collect.http.new_session`). Raises (writing nothing) on the
    first failure when ``strict``; otherwise failures are in the report.
    """
    configs = [c for c in incident.sources if needs_pull(c)]
    graphs = [g for g in incident.graphs if g.url]
    anything = bool(configs or graphs or incident.previous_wiki)
    old_entries = cache.read_cache(incident) if anything else {}
    old_tasks = cache.read_tasks(incident) if anything else {}
    state = _State(dict(old_tasks), now=format_utc(clock() if clock else dt.datetime.now(dt.timezone.utc)))
    old_graphs = cache.read_graphs(incident) if graphs else {}
    report = PullReport()
    steps = [(c.name, lambda c=c: _pull_one(incident, c, old_entries, state, refresh, session_factory))
             for c in configs]
    steps += [(g.name, lambda g=g: _pull_graph(incident, g, old_graphs, state, refresh, session_factory))
              for g in graphs]
    if incident.previous_wiki:
        state.previous = cache.read_previous_pages(incident)
        steps.append((PREVIOUS, lambda: _pull_previous(incident, state, refresh, session_factory)))
    for number, (name, step) in enumerate(steps):
        if progress:
            progress(number, len(steps), name)
        result = step()
        report.results.append(result)
        if result.status == "failed" and strict:
            raise _strict_error(result)
    if progress:
        progress(len(steps), len(steps), "done")
    if any(r.status != "cached" for r in report.results):
        report.cache_path = str(cache.write_cache(incident, state.entries, failures=state.failures,
                                                  tasks=state.tasks, previous=state.previous,
                                                  graphs=state.graphs, graph_failures=state.graph_failures))
    return report


@dataclass
class _State:
    """What will be written: cache entries and failures by source key, and tasks."""

    tasks: dict
    now: str = ""
    entries: dict[str, cache.Cached] = field(default_factory=dict)
    failures: dict[str, cache.Failure] = field(default_factory=dict)
    previous: list | None = None  # earlier reports from the wiki: [(title, wikitext)]
    graphs: dict[str, cache.CachedGraph] = field(default_factory=dict)
    graph_failures: dict[str, cache.Failure] = field(default_factory=dict)


def _pull_one(incident, config: SourceConfig, old_entries: dict, state: _State,
              refresh: bool, session_factory) -> SourceResult:
    key, window = cache.source_key(config), incident_window(incident)
    source = get_source(config.type)
    wanted = _task_ids(incident) if source.gives_tasks else set()
    old = old_entries.get(key)
    if not refresh and old is not None and cache.covers(old, window) and wanted <= set(state.tasks):
        state.entries[key] = old
        return SourceResult(config.name, key, "cached", events=len(old.events),
                            tasks=len(wanted) if wanted else None, tally=old.tally)
    session, tally = _session(session_factory), Tally()
    started = time.perf_counter()
    try:
        events = list(source.read(config, window, session=session, tally=tally))
        tasks = source.fetch_tasks(config, wanted, session) if wanted else None
    except PostmortemError as err:
        if old is not None:
            state.entries[key] = old
        state.failures[key] = cache.Failure(config.name, str(err), state.now)
        return SourceResult(config.name, key, "failed", requests=_requests(session),
                            seconds=time.perf_counter() - started, error=err)
    finally:
        session.close()
    state.entries[key] = cache.Cached(events, window, tally, state.now)
    state.tasks.update(tasks or {})
    return SourceResult(config.name, key, "fetched", events=len(events), requests=_requests(session),
                        seconds=time.perf_counter() - started,
                        tasks=len(tasks) if tasks is not None else None, tally=tally)


PREVIOUS = "previous reports (wiki)"


def _pull_previous(incident: Incident, state: _State, refresh: bool, session_factory) -> SourceResult:
    """The earlier reports the scorecard compares with ([incident] previous_wiki)."""
    from .previous import fetch_previous_pages
    if state.previous is not None and not refresh:
        return SourceResult(PREVIOUS, "previous", "cached", events=len(state.previous), unit="report")
    session = _session(session_factory)
    started = time.perf_counter()
    try:
        state.previous = fetch_previous_pages(incident, session)
    except PostmortemError as err:
        return SourceResult(PREVIOUS, "previous", "failed", requests=_requests(session),
                            seconds=time.perf_counter() - started, error=err, unit="report")
    finally:
        session.close()
    return SourceResult(PREVIOUS, "previous", "fetched", events=len(state.previous), unit="report",
                        requests=_requests(session), seconds=time.perf_counter() - started)


def _pull_graph(incident: Incident, config: GraphConfig, old_graphs: dict, state: _State,
                refresh: bool, session_factory) -> SourceResult:
    """One ``[[graph]]``'s range query; a failure keeps the series pulled before."""
    from .graphs import fetch_graph, planned
    key, old = cache.graph_key(config), old_graphs.get(cache.graph_key(config))
    if not refresh and old is not None and (old.window, old.step) == planned(config, incident):
        state.graphs[key] = old
        return SourceResult(config.name, key, "cached", events=len(old.series), unit="series")
    session = _session(session_factory)
    started = time.perf_counter()
    try:
        fetched = fetch_graph(config, incident, session)
    except PostmortemError as err:
        if old is not None:
            state.graphs[key] = old
        state.graph_failures[key] = cache.Failure(config.name, str(err), state.now)
        return SourceResult(config.name, key, "failed", requests=_requests(session),
                            seconds=time.perf_counter() - started, error=err, unit="series")
    finally:
        session.close()
    state.graphs[key] = cache.CachedGraph(fetched.window, fetched.step, fetched.series, state.now)
    return SourceResult(config.name, key, "fetched", events=len(fetched.series), unit="series",
                        requests=_requests(session), seconds=time.perf_counter() - started)


def _task_ids(incident: Incident) -> set[str]:
    """The tasks worth knowing: every actionable's, and the incident's own."""
    ids = {a.task for a in incident.actionables if a.task}
    return ids | ({incident.task} if incident.task else set())


def _session(factory):
    if factory is not None:
        return factory()
    from .http import new_session
    return new_session()


def _requests(session) -> int:
    return getattr(session, "requests_made", 0)


def _strict_error(result: SourceResult) -> PostmortemError:
    err = result.error
    kind = type(err) if isinstance(err, PostmortemError) else SourceError
    strict = kind(f"{result.name}: {err.message} (--strict: nothing written)",
                  url=err.url, source=result.name, file=err.file, line=err.line)
    strict.__cause__ = err
    return strict


def _records(tally: Tally | None) -> str:
    """`` (60 records read, 2 dropped, 1 skipped)``; "" without a tally."""
    if tally is None:
        return ""
    parts = [f"{_plural(tally.read, 'record')} read"]
    parts += [f"{len(tally.dropped)} dropped"] if tally.dropped else []
    parts += [f"{len(tally.skipped)} skipped"] if tally.skipped else []
    return f" ({', '.join(parts)})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 or word == "series" else f"{count} {word}s"
