"""`postmortem pull`: fetch every network source of an incident into its event cache,
and the series of every ``[[graph]]`` with a ``url`` (:mod:`.metric_series`).

File sources need no pull (they are read from disk each time). Each network
source gets its own bounded HTTP session (timeout, few retries, a deadline)
and its own thread: the sources are fetched at once, so a pull costs about as
long as its slowest source, and a slow service cannot stall the others. A
source already in the cache with the same key (same type and options) is not
fetched again unless ``refresh``, or the last pull of it failed.

One failing source is reported with its reason while the others are kept;
its previous cache entry, if any, stays, and the failure is written beside it
(the report line says which pull's records were kept). With ``strict`` the
first failure raises and nothing is written. The cache is written atomically
in one go.
"""

from __future__ import annotations

import datetime as dt
import time
import queue
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator

from . import cache
from ..core.accounting import Tally
from ..core.errors import PostmortemError, SourceError
from ..core.model import Event, GraphConfig, Incident, SourceConfig, Window, pull_of
from .sources import get_source, needs_pull
from ..core.model import incident_window
from ..core.timeutil import format_utc
from ..core.words import counted
from ..net.responses import shorten


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
    kept: cache.Cached | None = None  # a failed source's entry of an earlier pull, still used

    def line(self) -> str:
        """One summary line: ``source[0] (sal): 12 events (60 records read, 2 dropped), 1 request, 0.31 s``."""
        if self.status == "failed":
            said = str(self.error).removeprefix(f"{self.name}: ")   # the error may name the source too
            failed = f"{self.name}: FAILED after {counted(self.requests, 'request')}: {said}"
            if self.kept is None:
                return failed
            return f"{failed}; kept the {counted(len(self.kept.events), self.unit)} of {pull_of(self.kept.pulled_at)}"
        events = counted(self.events, self.unit, "series" if self.unit == "series" else None)
        counts = f"{events}{_records(self.tally)}" + (
            f", {counted(self.tasks, 'task')}" if self.tasks is not None else "")
        if self.status == "cached":
            return f"{self.name}: {counts} (cached; --refresh to fetch again)"
        return f"{self.name}: {counts}, {counted(self.requests, 'request')}, {self.seconds:.2f} s"


@dataclass
class PullReport:
    """The outcome of a pull: a result per network source and the cache written."""

    results: list[SourceResult] = field(default_factory=list)
    cache_path: str | None = None
    replaced_damaged: str | None = None  # the damage of a cache `--refresh` replaced (JSONDecodeError…)

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
         finished: Callable[[SourceResult], None] | None = None, tick: Callable[[], None] | None = None,
         session_factory: Callable[[], object] | None = None, clock=None) -> PullReport:
    """Fetch every network source of ``incident`` into its event cache.

    The sources are fetched at once, each in its own thread with its own
    session (its requests in order, within its own rate limit), so a pull takes
    about as long as its slowest source; results come in the order of the
    sources. ``progress(done, total, name)`` is called before waiting for each
    source and once at the end; ``finished(result)`` as each source ends, in the
    order they end; ``tick()`` every fraction of a second while waiting.
    ``session_factory`` makes each source's HTTP session (default
    :func:`postmortem.net.http.new_session` with what the
    source asks for). Raises (writing nothing) on the first failure, in source
    order, when ``strict``; otherwise failures are in the report.
    """
    configs = [c for c in incident.sources if needs_pull(c)]
    graphs = [g for g in incident.graphs if g.url]
    anything = bool(configs or graphs or incident.previous_wiki)
    pulled = cache.EventCache(incident)
    damaged = pulled.start_over_if_damaged() if refresh and anything else None
    old_entries = pulled.sources if anything else {}
    failed_before = pulled.failed if configs else {}
    state = _State(dict(pulled.tasks if anything else {}),
                   now=format_utc(clock() if clock else dt.datetime.now(dt.timezone.utc)))
    wanted = _task_ids(incident, pulled.followups if anything else {})
    keys = cache.source_keys(incident.sources)
    steps = [(c.name, partial(_pull_one, incident, c, keys[c.index], old_entries.get(keys[c.index]), wanted,
                              state.now, refresh or keys[c.index] in failed_before, session_factory))
             for c in configs]
    old_graphs = pulled.graphs if graphs else {}
    steps += [(g.name, partial(_pull_graph, incident, g, old_graphs.get(cache.graph_key(g)), state.now,
                               refresh, session_factory)) for g in graphs]
    if incident.previous_wiki:
        state.previous = pulled.previous
        steps.append((PREVIOUS, partial(_pull_previous, incident, state.previous, refresh, session_factory)))
    report = PullReport(replaced_damaged=damaged)
    on_end = (lambda outcome: finished(outcome.result)) if finished else None
    for outcome in _run_at_once(steps, progress, finished=on_end, tick=tick):
        report.results.append(outcome.result)
        if outcome.result.status == "failed" and strict:
            raise _strict_error(outcome.result)
        state.apply(outcome)
    if any(r.status != "cached" for r in report.results):
        pulled.replace_pulled(state.entries, failures=state.failures, tasks=state.tasks, previous=state.previous,
                              graphs=state.graphs, graph_failures=state.graph_failures)
        report.cache_path = str(pulled.save())
    return report


MAX_AT_ONCE = 8  # sources fetched at the same time (each has its own session)
TICK = 0.2  # seconds between two calls of ``tick`` while a pull waits


def _run_at_once(steps: list, progress, *, finished=None, tick=None) -> Iterator:
    """Every step's outcome, in the order of the steps; all started at once.

    The steps run in daemon threads, and the caller waits on a queue it wakes
    from every TICK seconds: an interrupt (Ctrl-C) stops the caller at once,
    and the process exits without waiting for a download still in progress
    (nothing is written before every step is done). ``finished(outcome)`` is
    called as each step ends, in the order they end; ``tick()`` while waiting.
    """
    if not steps:
        if progress:
            progress(0, 0, "done")
        return
    ended: queue.Queue = queue.Queue()
    stop, slots = threading.Event(), threading.BoundedSemaphore(MAX_AT_ONCE)
    for index, (name, step) in enumerate(steps):
        threading.Thread(target=_run_step, args=(index, step, ended, stop, slots), name=f"pull {name}",
                         daemon=True).start()
    outcomes: dict[int, tuple] = {}
    try:
        for number, (name, _) in enumerate(steps):
            if progress:
                progress(number, len(steps), name)
            while number not in outcomes:
                _wait_for_one(ended, outcomes, finished, tick)
            outcome, raised = outcomes.pop(number)
            if raised is not None:
                raise raised
            yield outcome
    finally:
        stop.set()  # a strict failure or an interrupt: nothing not yet started is started
    if progress:
        progress(len(steps), len(steps), "done")


def _run_step(index: int, step, ended: queue.Queue, stop: threading.Event, slots) -> None:
    with slots:
        if stop.is_set():
            return
        try:
            ended.put((index, step(), None))
        except BaseException as raised:  # noqa: BLE001 - handed to the caller's thread, raised there
            ended.put((index, None, raised))


def _wait_for_one(ended: queue.Queue, outcomes: dict, finished, tick) -> None:
    try:
        index, outcome, raised = ended.get(timeout=TICK)
    except queue.Empty:
        if tick:
            tick()
        return
    outcomes[index] = (outcome, raised)
    if finished and raised is None:
        finished(outcome)


@dataclass
class _Outcome:
    """What one step gives, applied to the state in the order of the sources."""

    result: SourceResult
    entry: cache.Cached | None = None
    failure: cache.Failure | None = None
    tasks: dict | None = None
    previous: list | None = None
    graph: cache.CachedGraph | None = None
    graph_failure: cache.Failure | None = None


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

    def apply(self, outcome: _Outcome) -> None:
        key = outcome.result.key
        if outcome.entry is not None:
            self.entries[key] = outcome.entry
        if outcome.failure is not None:
            self.failures[key] = outcome.failure
        self.tasks.update(outcome.tasks or {})
        if outcome.previous is not None:
            self.previous = outcome.previous
        if outcome.graph is not None:
            self.graphs[key] = outcome.graph
        if outcome.graph_failure is not None:
            self.graph_failures[key] = outcome.graph_failure


def _pull_one(incident, config: SourceConfig, key: str, old: cache.Cached | None, task_ids: set, now: str,
              refresh: bool, session_factory) -> _Outcome:
    """One source (``key``: :func:`cache.source_keys`): from the cache when it
    covers the window, else fetched; a source that tells the actionables' tasks
    is asked every time (a task's status, owner and last change move on long
    after the incident). A failure keeps ``old``, the entry of the last good pull."""
    window = incident_window(incident)
    source = get_source(config.type)
    wanted = task_ids if source.gives_tasks else set()
    if not refresh and old is not None and cache.covers(old, window) and not wanted:
        return _Outcome(SourceResult(config.name, key, "cached", events=len(old.events), tally=old.tally),
                        entry=old)
    session, tally = _session(session_factory, source.session_options(config)), Tally()
    started = time.perf_counter()
    try:
        events = list(source.read(config, window, session=session, tally=tally))
        tasks = source.fetch_tasks(config, wanted, session) if wanted else None
    except Exception as raised:  # noqa: BLE001 - a bug in one source must not lose the pull (see failure_of)
        err = failure_of(raised)
        kept = old if old is not None and cache.covers(old, window) else None
        return _Outcome(SourceResult(config.name, key, "failed", requests=_requests(session),
                                     seconds=time.perf_counter() - started, error=err, kept=kept),
                        entry=old, failure=cache.Failure(config.name, str(err), now))
    finally:
        session.close()
    return _Outcome(SourceResult(config.name, key, "fetched", events=len(events), requests=_requests(session),
                                 seconds=time.perf_counter() - started,
                                 tasks=len(tasks) if tasks is not None else None, tally=tally),
                    entry=cache.Cached(events, window, tally, now), tasks=tasks)


@dataclass
class Fetched:
    """What one source gave for a window, outside any incident (`postmortem pages`)."""

    config: SourceConfig
    events: list[Event]
    tally: Tally
    requests: int = 0
    seconds: float = 0.0


def fetch(configs, window: Window, *, session_factory: Callable[[], object] | None = None) -> list[Fetched]:
    """Read network sources for ``window``, all at once as `pull` does, each in
    its own session; in their order. The first failure (in that order) raises:
    what is asked across a period must not silently miss a source."""
    steps = [(c.name, partial(_fetch_one, c, window, session_factory)) for c in configs]
    return list(_run_at_once(steps, None))


def _fetch_one(config: SourceConfig, window: Window, session_factory) -> Fetched:
    source = get_source(config.type)
    session, tally = _session(session_factory, source.session_options(config)), Tally()
    started = time.perf_counter()
    try:
        events = list(source.read(config, window, session=session, tally=tally))
    finally:
        session.close()
    return Fetched(config, events, tally, _requests(session), time.perf_counter() - started)


PREVIOUS = "previous reports (wiki)"


def _pull_previous(incident: Incident, cached: list | None, refresh: bool, session_factory) -> _Outcome:
    """The earlier reports the scorecard compares with ([incident] previous_wiki)."""
    from .previous_pages import fetch_previous_pages
    if cached is not None and not refresh:
        return _Outcome(SourceResult(PREVIOUS, "previous", "cached", events=len(cached), unit="report"))
    session = _session(session_factory)
    started = time.perf_counter()
    try:
        previous = fetch_previous_pages(incident, session)
    except Exception as raised:  # noqa: BLE001 - see failure_of
        err = failure_of(raised)
        return _Outcome(SourceResult(PREVIOUS, "previous", "failed", requests=_requests(session),
                                     seconds=time.perf_counter() - started, error=err, unit="report"))
    finally:
        session.close()
    return _Outcome(SourceResult(PREVIOUS, "previous", "fetched", events=len(previous), unit="report",
                                 requests=_requests(session), seconds=time.perf_counter() - started),
                    previous=previous)


def _pull_graph(incident: Incident, config: GraphConfig, old: cache.CachedGraph | None, now: str,
                refresh: bool, session_factory) -> _Outcome:
    """One ``[[graph]]``'s range query; a failure keeps the series pulled before."""
    from .metric_series import fetch_graph, planned
    key = cache.graph_key(config)
    if not refresh and old is not None and (old.window, old.step) == planned(config, incident):
        return _Outcome(SourceResult(config.name, key, "cached", events=len(old.series), unit="series"), graph=old)
    session = _session(session_factory)
    started = time.perf_counter()
    try:
        fetched = fetch_graph(config, incident, session)
    except Exception as raised:  # noqa: BLE001 - see failure_of
        err = failure_of(raised)
        return _Outcome(SourceResult(config.name, key, "failed", requests=_requests(session),
                                     seconds=time.perf_counter() - started, error=err, unit="series"),
                        graph=old, graph_failure=cache.Failure(config.name, str(err), now))
    finally:
        session.close()
    return _Outcome(SourceResult(config.name, key, "fetched", events=len(fetched.series), unit="series",
                                 requests=_requests(session), seconds=time.perf_counter() - started),
                    graph=cache.CachedGraph(fetched.window, fetched.step, fetched.series, now))


def failure_of(err: Exception) -> PostmortemError:
    """What a step's exception is in the pull's report: the project's own error
    as it is; any other is a bug, yet one step's bug must not stop the pull
    before the cache is written (the other sources' records lost, no FAILED
    line): it becomes a failure saying so, the bug kept as ``__cause__`` for
    ``--debug``."""
    if isinstance(err, PostmortemError):
        return err
    failure = SourceError(f"internal error: {type(err).__name__}: {shorten(str(err), 120)} (a bug in postmortem; "
                          f"`postmortem --debug pull` shows where)")
    failure.__cause__ = err
    return failure


def _task_ids(incident: Incident, created: dict) -> set[str]:
    """The tasks worth knowing: every actionable's, the follow-up tasks
    `postmortem followups --create` made (``created``), and the incident's own."""
    ids = {a.task for a in incident.actionables if a.task} | {c.task for c in created.values() if c.task}
    return ids | ({incident.task} if incident.task else set())


def _session(factory, options: dict | None = None):
    if factory is not None:
        return factory()
    from ..net.http import new_session
    return new_session(**(options or {}))


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
    parts = [f"{counted(tally.read, 'record')} read"]
    parts += [f"{len(tally.dropped)} dropped"] if tally.dropped else []
    parts += [f"{len(tally.skipped)} skipped"] if tally.skipped else []
    return f" ({', '.join(parts)})"
