"""Source ``prometheus``: alert history from Prometheus (or a Thanos querier).

Prometheus HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/,
"Range queries")::

    GET /api/v1/query_range?query=…&start=<unix>&end=<unix>&step=<seconds>
    {"status": "success", "data": {"resultType": "matrix",
      "result": [{"metric": {"alertname": …}, "values": [[1695911580, "1"], …]}]}}
    {"status": "error", "errorType": "bad_data", "error": "…"}   (HTTP 400/422/503)

A Thanos querier speaks the same API; ``partial_response=false`` (ignored by
Prometheus) makes it fail rather than answer with part of the data.

Firing intervals: the ``ALERTS{alertstate="firing"}`` series (or ``query``)
exists while an alert fires. A range query evaluates it every ``step`` with a
5-minute lookback, so a series seems to go on for up to 5 minutes after its
last sample when no staleness marker was written (backfilled data, a
restarted server). The query is therefore wrapped in ``timestamp(…)``: each
point's value is the time of the sample it came from, so an interval runs
from its first real sample to its last, whatever the step and the lookback.
A run breaks where the series is absent at a step, or where the sample time
jumps by more than twice the step and twice the usual gap between samples
(it stopped and fired again within the lookback).

Events: per interval one firing event at its first sample and one
"resolved" event at the last sample seen firing — unless that sample is so
close to the end of the range that the next one would fall after it (still
firing: no resolved event). Source ``"prometheus"``, tags ``alert`` (+ ``page``),
the alert's name, labels and state as ``alertmanager``.
"""

from __future__ import annotations

import datetime as dt
import math

from ...core.errors import IncidentFileError
from ...core.model import Event, Series, SourceConfig, Window
from ...core.timeutil import UTC
from ...core.accounting import Tally
from . import BaseSource, check_options, check_url, option, token
from ...net.web import format_error, json_answer, request
from .alertmanager import alert_facts, alert_tags

TYPE = "prometheus"
DEFAULT_QUERY = 'ALERTS{alertstate="firing"}'
MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series
MIN_STEP = 15  # seconds


def choose_step(window: Window) -> int:
    """Seconds between points: at least 15, and few enough points for one request."""
    span = (window.end - window.start).total_seconds()
    return max(MIN_STEP, math.ceil(span / MAX_POINTS))


def firing_intervals(points: list, step: float) -> tuple[list[tuple[float, float]], float]:
    """``(first sample, last sample)`` runs from ``[step time, sample time]`` points,
    and the gap beyond which two samples belong to different runs."""
    points = sorted((float(t), float(v)) for t, v in points)
    samples = sorted({v for _, v in points})
    gaps = [b - a for a, b in zip(samples, samples[1:])]
    import statistics  # imported here only: keeps it out of every command's start-up
    usual = statistics.median(gaps) if gaps else step
    limit = max(2 * step, 2 * usual)
    runs: list[list[float]] = []
    previous = None
    for at, sample in points:
        if previous is None or at - previous[0] > step * 1.5 or sample - previous[1] > limit:
            runs.append([sample, sample])
        runs[-1][0] = min(runs[-1][0], sample)
        runs[-1][1] = max(runs[-1][1], sample)
        previous = (at, sample)
    return [(first, last) for first, last in runs], limit


class PrometheusSource(BaseSource):
    """``url`` of Prometheus or Thanos, ``query``, optional ``step`` and ``token_env``."""

    type = TYPE
    label = "alert"
    family = "alert"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url`` (required), ``query``, ``step`` (seconds), ``token_env``."""
        check_options(config, ("url", "query", "step", "token_env"))
        check_url(config)
        option(config, "query")
        option(config, "token_env")
        step = option(config, "step", int)
        if step is not None and step <= 0:
            raise IncidentFileError(f"{config.name}: 'step' must be a number of seconds > 0",
                                    file=config.file, key="step")

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """One fires/resolved pair per firing interval in ``window``."""
        url = option(config, "url").rstrip("/") + "/api/v1/query_range"
        step = option(config, "step", int) or choose_step(window)
        series = self._query(config, url, window, step, session)
        events = []
        for item in series:
            events.extend(series_events(item, window, step, source=config.name, url=url))
        (tally if tally is not None else Tally()).count(len(events))  # records: each firing's start and end
        return sorted((e for e in events if e.time in window), key=lambda e: (e.time, e.text))

    def _query(self, config, url, window, step, session) -> list:
        query = option(config, "query") or DEFAULT_QUERY
        return query_range(session, url, f"timestamp({query})", window, step, source=config.name,
                           secret=token(config, url, required=False))


def query_range(session, url: str, query: str, window: Window, step: int, *, source: str,
                secret: str | None = None) -> list:
    """The series of one range query (``url`` ends in ``/api/v1/query_range``)
    from ``window.start`` to ``window.end`` (both included) every ``step``
    seconds; errors name ``source`` and the URL, never the ``secret``."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    params = {"query": query, "start": _unix(window.start), "end": _unix(window.end), "step": step,
              "partial_response": "false"}
    response = request(session, "GET", url, params=params, headers=headers, source=source, secrets=[secret])
    return matrix(json_answer(response, source=source, secrets=[secret]), source=source, url=url)


def matrix(answer, *, source: str, url: str) -> list:
    """The ``result`` of a successful matrix answer; errors for anything else."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        detail = answer.get("error") if isinstance(answer, dict) else None
        raise format_error(f"query failed: {detail or 'no status success'}", source=source, url=url)
    data = answer.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        data = data if isinstance(data, dict) else {}
        raise format_error(f"expected a matrix, got {data.get('resultType')!r}", source=source, url=url)
    for item in data["result"]:
        if not isinstance(item, dict) or not isinstance(item.get("values"), list) \
                or not isinstance(item.get("metric") or {}, dict):
            raise format_error("matrix series without values", source=source, url=url)
    return data["result"]


def series_events(item: dict, window: Window, step: int, *, source: str, url: str) -> list[Event]:
    """The fires/resolved events of one series of ``timestamp(query)``."""
    labels = {k: str(v) for k, v in (item.get("metric") or {}).items() if k != "__name__"}
    try:
        intervals, limit = firing_intervals(item["values"], step)
        end = window.end.timestamp()
        events = []
        for first, last in intervals:
            events.append(_event(first, labels, "firing"))
            if last + limit / 2 <= end:  # the next sample would have been inside the range
                events.append(_event(last, labels, "resolved"))
    except (TypeError, ValueError, OverflowError, OSError):  # a value no time (year 5376380)
        raise format_error(f"bad sample values in series {labels}", source=source, url=url) from None
    return events


def _event(seconds: float, labels: dict, state: str) -> Event:
    alert = alert_facts(labels, {}, state)
    return Event(time=dt.datetime.fromtimestamp(int(seconds), UTC), source=TYPE, text=alert.describe(),
                 tags=alert_tags(labels), precision="second", alert=alert)


def _unix(moment: dt.datetime) -> str:
    return f"{moment.timestamp():.3f}"


SOURCE = PrometheusSource()


# -- a matrix series as the cache and a recorded answer hold it --------------------

def series_from_json(item: dict) -> Series:
    """A series from Prometheus's matrix shape ``{"metric": {…}, "values": [[unix, "1.5"], …]}``;
    ValueError (or TypeError) when it is not one."""
    labels = item.get("metric") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError(f"series labels are not text: {labels!r}")
    points = sorted((dt.datetime.fromtimestamp(float(t), UTC), float(v)) for t, v in item["values"])
    return Series(labels, points)


def series_to_json(series: Series) -> dict:
    """The matrix shape again, values written as Prometheus does (``"NaN"``, ``"+Inf"``)."""
    return {"metric": dict(series.labels), "values": [[_unix_number(t), _value_text(v)] for t, v in series.points]}


def _unix_number(moment: dt.datetime) -> float | int:
    seconds = moment.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


def _value_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)
