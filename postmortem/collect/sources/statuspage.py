"""Source ``statuspage``: the public status page's incidents (wikimediastatus.net).

Statuspage's public Status API v2 (https://metastatuspage.com/api/v2, "Incidents:
Get a list of the 50 most recent incidents"), as https://www.wikimediastatus.net
serves it::

    GET {url}/api/v2/incidents.json
    {"page": {"id": "…", "name": "Wikimedia", "url": "https://www.wikimediastatus.net", …},
     "incidents": [{"id": "p7vx…", "name": "Wikis slow or unavailable", "status": "resolved",
                    "impact": "major", "created_at": "2023-09-28T14:40:12.345Z",
                    "resolved_at": "2023-09-28T16:02:00.000Z", "shortlink": "https://stspg.io/…",
                    "incident_updates": [{"id": "…", "status": "investigating", "body": "…",
                                          "created_at": "…", "display_at": "…"}], …}]}

No pagination and no token: the answer holds the 50 most recent incidents. When
it is full and its oldest incident is newer than the window's start, the
window is out of its reach and the source says so (an error, not an empty
answer that would read as "no entry was created").

Events (source ``"statuspage"``, no tags, url = ``shortlink``): one per
incident created in the window (``fields``: ``kind = "incident"``, ``id``,
``name``, ``status``, ``impact``, ``resolved_at``), and one per update posted in
the window (``kind = "update"``, ``id`` of the incident, ``status``). The
scorecard's status-page-entry answer reads the ``incident`` ones.
"""

from __future__ import annotations

from ...core.model import Event, SourceConfig, Window
from ...core.vocabulary import Kind
from ...core.accounting import Tally
from . import BaseSource, check_options, check_url, option
from ...net.web import format_error, json_answer, parse_rfc3339, request

TYPE = "statuspage"
LISTED = 50  # the API lists this many of the most recent incidents


class StatuspageSource(BaseSource):
    """``url`` of a Statuspage site (``https://www.wikimediastatus.net``)."""

    type = TYPE
    label = "status page"
    family = "status-page"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url`` (required)."""
        check_options(config, ("url",))
        check_url(config)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Incidents created and updates posted in ``window``."""
        url = option(config, "url").rstrip("/") + "/api/v2/incidents.json"
        response = request(session, "GET", url, source=config.name)
        answer = json_answer(response, source=config.name)
        if not isinstance(answer, dict) or not isinstance(answer.get("incidents"), list):
            raise format_error("expected {\"incidents\": [...]}", source=config.name, url=url)
        incidents = [_Incident(item, config.name, url) for item in answer["incidents"]]
        _check_reach(incidents, window, config.name, url)
        events = [e for incident in incidents for e in incident.events()]
        (tally if tally is not None else Tally()).count(len(events))  # records: each incident and each update
        return sorted((e for e in events if e.time in window), key=lambda e: (e.time, e.text))


def _check_reach(incidents: list, window: Window, source: str, url: str) -> None:
    """A full list that starts after the window cannot tell what happened in it."""
    if len(incidents) >= LISTED and min(i.created for i in incidents) > window.start:
        oldest = min(i.created for i in incidents)
        raise format_error(f"the status page lists only its {LISTED} most recent incidents, the oldest "
                           f"from {oldest:%Y-%m-%d %H:%M} UTC: the incident's window is older",
                           source=source, url=url)


class _Incident:
    """One entry of ``incidents``, checked."""

    def __init__(self, item, source: str, url: str):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item.get("id"):
            raise format_error(f"not a Statuspage incident: {str(item)[:80]!r}", source=source, url=url)
        self.item, self.source, self.url = item, source, url
        self.created = parse_rfc3339(item.get("created_at"), source=source, url=url)

    def events(self) -> list[Event]:
        item = self.item
        fields = {"kind": "incident", "id": str(item["id"]), "name": item["name"],
                  "status": str(item.get("status") or ""), "impact": str(item.get("impact") or ""),
                  "resolved_at": str(item.get("resolved_at") or "")}
        impact = f" (impact {item['impact']})" if item.get("impact") else ""
        events = [Event(time=self.created.replace(microsecond=0), source=TYPE, text=(
            f"Status page incident created: {item['name']}{impact}"), url=self._link(), kind=Kind.STATUS,
            fields={k: v for k, v in fields.items() if v})]
        updates = item.get("incident_updates") or []
        if not isinstance(updates, list):
            raise format_error("incident_updates is not a list", source=self.source, url=self.url)
        return events + [self._update(u) for u in updates]

    def _update(self, update) -> Event:
        if not isinstance(update, dict):
            raise format_error(f"not an incident update: {str(update)[:80]!r}", source=self.source, url=self.url)
        moment = parse_rfc3339(update.get("display_at") or update.get("created_at"),
                               source=self.source, url=self.url)
        status = str(update.get("status") or "update")
        body = " ".join(str(update.get("body") or "").split())
        return Event(time=moment.replace(microsecond=0), source=TYPE, url=self._link(),
                     text=f"Status page update ({status}): {self.item['name']}" + (f": {body}" if body else ""),
                     fields={"kind": "update", "id": str(self.item["id"]), "status": status}, kind=Kind.STATUS)

    def _link(self) -> str | None:
        link = self.item.get("shortlink")
        return link if isinstance(link, str) and link.startswith(("https://", "http://")) else None


SOURCE = StatuspageSource()
