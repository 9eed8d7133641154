"""A simulated incident's pages as the paging services answer for them, served
by tests/services.py's ``pagerduty_app`` and ``splunk_app``.

- PagerDuty REST API v2 (PagerDuty/api-schema ``reference/REST/openapiv3.json``,
  as postmortem/collect/sources/pagerduty.py cites it): ``GET /incidents``
  (``incident_number``, ``title``, ``created_at``, ``html_url``, ``teams``), each
  incident's ``log_entries`` (``trigger_log_entry`` by a service or a user,
  ``assign_log_entry``, ``notify_log_entry`` with the ``user`` and
  ``channel.notification.type``, ``escalate_log_entry`` with ``assigned_user``,
  ``acknowledge_log_entry``, ``annotate_log_entry``, ``resolve_log_entry``;
  newest first) and ``GET /users/{id}`` (``name``, ``email``, ``time_zone``).
- Splunk On-Call's reporting API (the Swagger file
  ``APIs/victorops.com/0.0.3/swagger.yaml``, as splunk_oncall.py cites it):
  ``/api-reporting/v2/incidents`` (``incidentNumber``, ``startTime``,
  ``entityDisplayName``, ``pagedUsers`` or only ``pagedPolicies``, ``transitions``
  ``triggered``/``acknowledged``/``resolved`` with ``by`` and ``manually``) and a
  team's ``oncall/log`` (``userLogs`` of ``on``/``off`` shifts) for a page that
  named only its team.
"""

from __future__ import annotations

import datetime as dt

from postmortem.core.timeutil import format_utc

from .facts import PAGERDUTY, SPLUNK, Incident, Page, Person

PD_SITE = "https://acme-sre.pagerduty.com"


def _user(person: Person) -> dict:
    return {"id": person.pager_id, "type": "user_reference", "summary": person.pager}


SERVICE = {"id": "PSVC9X1", "type": "service_reference", "summary": "Alertmanager"}


def pagerduty_answers(incident: Incident) -> tuple[list[dict], dict[str, list[dict]], dict[str, dict]]:
    """``(incidents, log entries by incident id, users by id)`` for pagerduty_app."""
    pages = sorted((p for p in incident.pages() if p.service == PAGERDUTY), key=lambda p: p.at)
    incidents, entries = [], {}
    for page in pages:
        pid = f"Q{page.number}SIM"
        incidents.append({"id": pid, "type": "incident", "incident_number": page.number, "title": page.what,
                          "created_at": format_utc(page.at), "html_url": f"{PD_SITE}/incidents/{pid}",
                          "status": "resolved" if page.resolved_at or page.resolved_by else "triggered",
                          "incident_key": f"sim-{page.number}", "service": SERVICE,
                          "escalation_policy": {"summary": "SRE primary"}, "teams": [{"summary": "SRE"}]})
        entries[pid] = sorted(_log_entries(page), key=lambda e: e["created_at"], reverse=True)
    users = {p.pager_id: {"id": p.pager_id, "type": "user", "name": p.pager, "email": p.email,
                          "time_zone": p.pager_timezone} for p in incident.people}   # PagerDuty knows them all
    return incidents, entries, users


def _entry(kind: str, at: dt.datetime, agent: dict | None = None, **more) -> dict:
    return {"type": kind, "created_at": format_utc(at), "agent": agent or SERVICE, **more}


def _log_entries(page: Page) -> list[dict]:
    by = _user(page.by) if page.by else None
    found = [_entry("trigger_log_entry", page.at, by, channel={"type": "web_trigger" if by else "api"}),
             _entry("assign_log_entry", page.at, assigned_user=_user(page.reached[0].person),
                    channel={"type": "auto"})]
    notified = [(r.person, r.at, r.via) for r in page.reached] + \
        [(e.to, e.notified_at, "sms") for e in page.escalations]
    found += [_entry("notify_log_entry", at, user=_user(p), channel={"type": "auto", "notification": {"type": via}})
              for p, at, via in notified]
    found += [_entry("escalate_log_entry", e.at, _user(e.by) if e.by else None, assigned_user=_user(e.to),
                     channel={"type": "website" if e.by else "timeout"}) for e in page.escalations]
    found += [_entry("acknowledge_log_entry", s.at, _user(s.by), channel={"type": "mobile"}) for s in page.acks]
    found += [_entry("annotate_log_entry", s.at, _user(s.by), note=s.text, summary=f"{s.by.pager} added a note.",
                     channel={"type": "note"}) for s in page.notes]
    if page.resolved_by:
        found.append(_entry("resolve_log_entry", page.resolved_by.at, _user(page.resolved_by.by),
                            channel={"type": "website"}))
    elif page.resolved_at:
        found.append(_entry("resolve_log_entry", page.resolved_at, channel={"type": "api"}))
    return found


def splunk_answers(incident: Incident) -> tuple[list[dict], dict[str, list[dict]]]:
    """``(incidents, on-call logs by team slug)`` for splunk_app."""
    incidents, oncall = [], {}
    for page in sorted((p for p in incident.pages() if p.service == SPLUNK), key=lambda p: p.at):
        team = f"team-sim{page.number}"
        incidents.append({"incidentNumber": str(page.number), "startTime": format_utc(page.at),
                          "currentPhase": _phase(page), "entityId": f"sim/{page.number}",
                          "entityDisplayName": page.what, "routingKey": "sre",
                          "pagedUsers": [] if page.via_team else [r.person.splunk for r in page.reached],
                          "pagedTeams": [team],
                          "pagedPolicies": [{"policy": {"name": "SRE primary", "slug": f"pol-{team}"},
                                             "team": {"name": "SRE", "slug": team}}],
                          "transitions": _transitions(page)})
        if page.via_team:
            on, off = page.at - dt.timedelta(hours=8), page.at + dt.timedelta(hours=4)
            shift = {"on": format_utc(on), "off": format_utc(off),
                     "escalationPolicy": {"name": "SRE primary", "slug": f"pol-{team}"}}
            oncall[team] = [{"userId": r.person.splunk, "log": [shift]} for r in page.reached]
    return incidents, oncall


def _phase(page: Page) -> str:
    if page.resolved_at or page.resolved_by:
        return "resolved"
    return "acknowledged" if page.acks else "triggered"


def _transitions(page: Page) -> list[dict]:
    triggered = {"name": "triggered", "at": format_utc(page.at)}
    if page.by:
        triggered.update(by=page.by.splunk, manually=True)
    found = [triggered] + [{"name": "acknowledged", "at": format_utc(s.at), "by": s.by.splunk,
                            "message": "Acknowledged from the mobile app"} for s in page.acks]
    if page.resolved_by:
        found.append({"name": "resolved", "at": format_utc(page.resolved_by.at), "by": page.resolved_by.by.splunk})
    elif page.resolved_at:
        found.append({"name": "resolved", "at": format_utc(page.resolved_at)})
    return found
