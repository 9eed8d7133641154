"""A simulated incident's Alertmanager alerts as Prometheus records them: the
``ALERTS{alertstate="firing"}`` series of each alert (its labels, ``alertstate``)
has a sample at every rule evaluation (each minute) while it fires, from its
first evaluation firing to the last, here its recovery (samples without
staleness markers, as backfilled history has them). tests/services.py
``prometheus_app`` answers range queries of ``timestamp(…)`` over them, as
postmortem/collect/sources/prometheus.py asks."""

from __future__ import annotations

from .facts import Incident

QUERY = 'ALERTS{alertstate="firing"}'
EVALUATION = 60  # seconds between two evaluations of a rule


def alert_series(incident: Incident) -> list[tuple[dict, list[float]]]:
    """``[(labels, sample times)]``; an alert still firing has samples to beyond the window."""
    window_end = incident.window[1].timestamp()
    series = []
    for alert in incident.alerts:
        if alert.icinga:
            continue
        samples: list[float] = []
        for firing in alert.firings:
            start = firing.start.timestamp()
            end = firing.end.timestamp() if firing.end else window_end + 600
            samples += [float(t) for t in range(int(start), int(end), EVALUATION)] + [end]
        labels = {"__name__": "ALERTS", **alert.label_map, "alertstate": "firing"}
        series.append((labels, sorted(set(samples))))
    return series
