"""The series of each ``[[graph]]``: fetched by `pull`, or read from a recorded answer.

A graph asks one Prometheus (or Thanos) range query over the incident's
window with its margins (:func:`~postmortem.core.model.incident_window`):
``GET <url>/api/v1/query_range?query=&start=&end=&step=``
(https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries).
The step is the graph's own, or the window in at most :data:`POINTS` points
rounded up to a step a person reads easily (:data:`STEPS`); the start is
moved back to a multiple of the step, as Grafana does, so that the points
fall on round times. `pull` keeps the answer in the cache (:mod:`.cache`);
gathering then uses it only for the same url, query, step and range, so a
changed query or window means pulling again, never a picture of the old one.

A graph with ``path`` reads a recorded answer instead — a file holding what
``query_range`` answered (``{"status": "success", "data": {"resultType":
"matrix", "result": […]}}``), or only its ``result`` list — every time, as
file sources are read; its points outside the range are left out and its
step, unless given, is the smallest gap between two of its points.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from ..core.errors import InputError, PostmortemError, SourceFormatError
from ..core.model import GraphConfig, GraphData, Incident, Series, Window, incident_window
from ..core.nesting import load_json
from ..core.timeutil import UTC
from . import cache

POINTS = 500
# Steps in seconds: 15 s (a common scrape interval) to a day.
STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def default_step(window: Window) -> int:
    """The smallest of :data:`STEPS` that keeps the window within :data:`POINTS`
    steps (whole days beyond)."""
    wanted = (window.end - window.start).total_seconds() / POINTS
    return next((step for step in STEPS if step >= wanted), 86400 * math.ceil(wanted / 86400))


def query_window(window: Window, step: int) -> Window:
    """The range asked for ``window``: its start moved back to a multiple of ``step``."""
    start = int(window.start.timestamp()) // step * step
    return Window(dt.datetime.fromtimestamp(start, UTC), window.end)


def planned(config: GraphConfig, incident: Incident) -> tuple[Window, int]:
    """The range and step a pulled graph asks for."""
    window = incident_window(incident)
    step = config.step or default_step(window)
    return query_window(window, step), step


# -- pull ------------------------------------------------------------------------

def fetch_graph(config: GraphConfig, incident: Incident, session) -> cache.CachedGraph:
    """Ask the graph's range query (``session``: a bounded HTTP session)."""
    from ..core.scrub import hold_url
    from ..net.http import require_secure, secret
    from .sources.prometheus import query_range
    window, step = planned(config, incident)
    hold_url(config.url)   # a user:password@ in it travels as Basic credentials
    url = config.url.rstrip("/") + "/api/v1/query_range"
    token = None
    if config.token_env:
        require_secure(url, f"the {config.token_env} token")
        token = secret(config.token_env)
    result = query_range(session, url, config.query, window, step, source=config.name, secret=token)
    return cache.CachedGraph(window, step, _series(result, config, url=url))


def _series(result: list, config: GraphConfig, **where) -> tuple[Series, ...]:
    """The series of a matrix ``result`` in a stable order; SourceFormatError for a bad one."""
    from .sources.prometheus import series_from_json   # as the other graph steps: when there is a graph
    try:
        series = [series_from_json(item) for item in result]
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise SourceFormatError(f"{config.name}: not a matrix of numbers ({type(err).__name__}: {err})",
                                source=config.name, **where) from None
    return tuple(sorted(series, key=lambda s: sorted(s.labels.items())))


# -- gather ------------------------------------------------------------------------

def gather_graphs(incident: Incident, pulled: cache.EventCache | None = None) -> tuple[GraphData, ...]:
    """Every graph's series: recorded ones read now, pulled ones from the cache
    (``pulled``: the command's, else read now). InputError when a pulled graph
    is not in the cache for its current settings and range; a graph the last
    pull could not read is there with ``missing``."""
    pulled = pulled or cache.EventCache(incident)
    return tuple(read_recorded(config, incident) if config.path else _pulled_graph(pulled, config, incident)
                 for config in incident.graphs)


def _pulled_graph(pulled: cache.EventCache, config: GraphConfig, incident: Incident) -> GraphData:
    window, step = planned(config, incident)
    found = pulled.graph(config, window, step)
    if found.stale:
        raise pulled.stale_error(found)
    if found.entry is None:
        return GraphData(config, window, step, missing=found.failure.error)
    return GraphData(config, window, step, found.entry.series)


def read_recorded(config: GraphConfig, incident: Incident) -> GraphData:
    """A graph from its recorded answer (``path``, relative to the incident file)."""
    path = Path(config.base_dir) / config.path
    try:
        answer = load_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{config.name}: no such file", file=path) from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise SourceFormatError(f"{config.name}: not a JSON query_range answer ({err})", file=path) from None
    series = _series(_recorded_result(answer, config, path), config, file=path)
    window = incident_window(incident)
    step = config.step or _smallest_gap(series) or default_step(window)
    window = query_window(window, step)
    inside = (Series(s.labels, [(t, v) for t, v in s.points if window.start <= t <= window.end]) for s in series)
    return GraphData(config, window, step, tuple(s for s in inside if s.points))


def _recorded_result(answer, config: GraphConfig, path: Path) -> list:
    if isinstance(answer, list):
        return answer
    from .sources.prometheus import matrix
    try:
        return matrix(answer, source=config.name, url="")
    except PostmortemError as err:
        raise SourceFormatError(f"{config.name}: {err.message}", file=path) from None


def _smallest_gap(series: tuple[Series, ...]) -> int | None:
    gaps = [(b[0] - a[0]).total_seconds() for s in series for a, b in zip(s.points, s.points[1:])]
    gaps = [g for g in gaps if g > 0]
    return max(1, round(min(gaps))) if gaps else None
