"""Source ``alertmanager``: the alerts an Alertmanager holds now.

Alertmanager API v2 (``api/v2/openapi.yaml``, ``GET /alerts`` → ``gettableAlerts``)::

    GET /api/v2/alerts?filter=alertname="X"&filter=team=~"sre.*"
    [{"labels": {...}, "annotations": {...}, "startsAt": "2023-09-28T14:33:00.123Z",
      "endsAt": "...", "updatedAt": "...", "fingerprint": "…",
      "status": {"state": "unprocessed|active|suppressed", "silencedBy": [], "inhibitedBy": []},
      "receivers": [{"name": "…"}], "generatorURL": "…"}]

Only current alerts are there (resolved ones are dropped): history comes
from the ``prometheus`` source. ``filter`` is a list of matchers in
Alertmanager's syntax (``name="value"``, ``!=``, ``=~``, ``!~``), sent as
repeated ``filter`` parameters, so the server does the filtering.

Events: one firing alert at ``startsAt``, and a resolved one at ``endsAt``
when that is already past. Source ``"alertmanager"``, tags ``alert`` (plus
``page`` for ``severity="page"``), url = ``generatorURL``, the alert (name,
labels, fingerprint, summary) as a typed fact; fields ``am_state`` (the API's
status.state) and each annotation as ``annotation.<name>``.
"""

from __future__ import annotations

import datetime as dt
import re

from ...core.errors import IncidentFileError
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import UTC
from ...core.vocabulary import Alert
from ...core.accounting import Tally
from . import BaseSource, check_options, check_url, option, token
from ...net.web import format_error, json_answer, parse_rfc3339, request

TYPE = "alertmanager"
_MATCHER = re.compile(r'^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^\s"]*)\s*$')


def alert_facts(labels: dict, annotations: dict, state: str, fingerprint: str | None = None) -> Alert:
    """The alert an Alertmanager or Prometheus series says (shared with the prometheus source)."""
    labels = {name: str(value) for name, value in labels.items()}
    return Alert(labels.get("alertname") or "alert", state, labels, fingerprint or None,
                 annotations.get("summary") or None)


def alert_tags(labels: dict) -> tuple[str, ...]:
    """``alert``, plus ``page`` for an alert that pages (``severity="page"``)."""
    return ("alert", "page") if labels.get("severity") == "page" else ("alert",)


def alert_event(moment: dt.datetime, alert: Alert, url: str | None = None, fields: dict | None = None) -> Event:
    """The event of one alert firing or resolving at ``moment``."""
    return Event(time=moment, source=TYPE, text=alert.describe(), tags=alert_tags(alert.labels), url=url,
                 precision="second", alert=alert, fields=fields or {})


class AlertmanagerSource(BaseSource):
    """``url`` of an Alertmanager, ``filter`` matchers, optional ``token_env`` (bearer)."""

    type = TYPE
    label = "alert"
    family = "alert"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url`` (required), ``filter`` (list of matchers), ``token_env``."""
        check_options(config, ("url", "filter", "token_env"))
        check_url(config)
        option(config, "token_env")
        for matcher in option(config, "filter", list) or ():
            if not isinstance(matcher, str) or not _MATCHER.match(matcher):
                raise IncidentFileError(f"{config.name}: not an Alertmanager matcher like "
                                        f"'team=\"sre\"': {matcher!r}", file=config.file, key="filter")

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Current alerts matching ``filter``, as events in ``window``."""
        url = option(config, "url").rstrip("/") + "/api/v2/alerts"
        secret = token(config, url, required=False)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        params = [("filter", m.strip()) for m in option(config, "filter", list) or ()]
        response = request(session, "GET", url, params=params, headers=headers,
                           source=config.name, secrets=[secret])
        alerts = json_answer(response, source=config.name, secrets=[secret])
        if not isinstance(alerts, list):
            raise format_error("expected a list of alerts", source=config.name, url=url)
        now = dt.datetime.now(UTC)
        events = [e for alert in alerts for e in alert_events(alert, now, source=config.name, url=url)]
        (tally if tally is not None else Tally()).count(len(events))  # records: each alert's start, and its end
        return sorted((e for e in events if e.time in window), key=lambda e: (e.time, e.text))


def _strings(value) -> bool:
    """A label or annotation set: an object of string values (API v2 ``LabelSet``)."""
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def alert_events(alert, now: dt.datetime, *, source: str, url: str) -> list[Event]:
    """The events of one gettableAlert: fires, and resolved when ``endsAt`` is past."""
    if not isinstance(alert, dict) or not _strings(alert.get("labels")) or not _strings(alert.get("annotations") or {}) \
            or not isinstance(alert.get("status") or {}, dict):
        raise format_error(f"not an alert (labels and annotations of strings, a status object): "
                           f"{str(alert)[:80]!r}", source=source, url=url)
    labels, annotations = alert["labels"], alert.get("annotations") or {}
    starts = parse_rfc3339(alert.get("startsAt"), source=source, url=url).replace(microsecond=0)
    extra = {"am_state": str((alert.get("status") or {}).get("state", "")),
             "fingerprint": str(alert.get("fingerprint", ""))}
    events = [_event(starts, labels, annotations, "firing", alert, extra)]
    if alert.get("endsAt"):
        ends = parse_rfc3339(alert["endsAt"], source=source, url=url).replace(microsecond=0)
        if ends <= now:
            events.append(_event(ends, labels, annotations, "resolved", alert, extra))
    return events


def _event(moment, labels, annotations, state, alert, extra) -> Event:
    facts = alert_facts(labels, annotations, state, extra.get("fingerprint"))
    fields = {**{f"annotation.{k}": str(v) for k, v in annotations.items()},
              **{k: v for k, v in extra.items() if v and k != "fingerprint"}}
    return alert_event(moment, facts, alert.get("generatorURL") or None, fields)


SOURCE = AlertmanagerSource()
