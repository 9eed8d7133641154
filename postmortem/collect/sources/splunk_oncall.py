"""Source ``splunk-oncall``: the pages Splunk On-Call (formerly VictorOps) sent,
from its reporting API.

Formats: the Splunk On-Call API's Swagger file
(https://portal.victorops.com/public/api-docs/victorops-api-v1.yaml, mirrored by
APIs-guru/openapi-directory ``APIs/victorops.com/0.0.3/swagger.yaml``: paths
``/api-reporting/v2/incidents`` and ``/api-reporting/v1/team/{team}/oncall/log``,
definitions ``ActiveIncidentInfo``, ``IncidentTransition``, ``EscalationPolicyInfo``,
``OnCallLog``), and a client that calls the real API, faros-ai/airbyte-connectors
``sources/victorops-source/src/victorops.ts`` (its recorded answer
``test_files/incidents.json``)::

    GET {url}/api-reporting/v2/incidents?startedAfter=ISO&startedBefore=ISO
        &currentPhase=triggered,acknowledged,resolved&offset=0&limit=100[&routingKey=K]
        X-VO-Api-Id: <id>   X-VO-Api-Key: <key>
    {"offset": 0, "limit": 100, "total": 3,
     "incidents": [{"incidentNumber": "4821", "startTime": "2024-03-05T06:58:12Z",
       "currentPhase": "resolved", "entityId": "…", "entityDisplayName": "…", "routingKey": "…",
       "service": "…", "pagedUsers": ["jdoe"], "pagedTeams": ["team-8Hk2…"],
       "pagedPolicies": [{"policy": {"name", "slug"}, "team": {"name", "slug"}}],
       "transitions": [{"name": "triggered|acknowledged|resolved", "at": "…", "by": "jdoe",
                        "manually": true, "message": "…", "alertId": "…", "alertUrl": "…"}]}]}

    GET {url}/api-reporting/v1/team/{team slug}/oncall/log?start=ISO&end=ISO
    {"teamSlug": "…", "userLogs": [{"userId": "jdoe",
      "log": [{"on": "…", "off": "…", "escalationPolicy": {"name", "slug"}}]}]}

- "Unless specified otherwise with the parameter currentPhase, the response will
  only contain resolved incidents": every phase is asked for (as FAROS does).
- Pages of 100 (the most ``limit`` allows) are read while ``offset < total``;
  a page that brings no incident not seen before, while ``total`` says there
  are more, is an error, not asked again (:mod:`postmortem.net.pagination`).
- The incidents call "may be called a maximum of once a minute". FAROS retries
  HTTP 429 (the session does, after Retry-After, within its deadline, which is
  longer for this source); the spec lists no 429 but "403 Authentication failed or
  rate-limit reached". So a 403 after the first page was answered with the same
  keys is taken as the rate limit and the page is asked again after a minute,
  once; a 403 on the first page is an error that names both causes. Whether
  Retry-After is sent: unconfirmed (without it the session backs off).
- ``pagedUsers`` are usernames in the spec and the recorded answer; FAROS's type
  says user objects: both are read (``username``). Phases and transition names
  are read case-insensitively, the public API's ``UNACKED``/``ACKED``/``RESOLVED``
  too. ``entityDisplayName``/``routingKey`` are not in the v2 schema but are in the
  recorded answer. ``on``/``off`` have no declared format: ISO 8601 is assumed,
  and a shift with no ``off`` is taken to last to the end of the window.
- Who a page reached: its ``pagedUsers``; for a page that names no users, only
  policies or teams, the people each team's on-call log has on call for that
  policy when the page started (one log request per team, only where needed). A
  team whose log names nobody then (or that has no log) is listed in
  ``unresolved_teams``.
- The web UI link (no official doc; public code builds it so):
  ``https://portal.victorops.com/ui/<org>/incident/<incidentNumber>``.

Events (:mod:`._page_records`): the page at ``startTime`` (manual when its
``triggered`` transition has ``manually`` or a ``by``), one per ``acknowledged``
transition (actor ``by``, text with its ``message``), one per ``resolved``.
``team`` keeps only the incidents that paged that team (slug or name);
``routing_key`` is sent as ``routingKey``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from ...core.accounting import Tally
from ...core.errors import SourceError
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import format_utc
from . import BaseSource, check_options, check_url, option, token
from ._page_records import ACKNOWLEDGED, RESOLVED, TRIGGERED, PageRecord, parse_iso, text_of
from ...net.web import format_error, json_answer, request
from ...net.pagination import Pagination

TYPE = "splunk-oncall"
DEFAULT_URL = "https://api.victorops.com"
PORTAL = "https://portal.victorops.com/ui"
PAGE_LIMIT = 100  # "The maximum number of matching incidents to return (100 max)"
ALL_PHASES = "triggered,acknowledged,resolved"
RATE_LIMIT_WAIT = 60.0  # "This API may be called a maximum of once a minute."
PHASES = {"triggered": TRIGGERED, "unacked": TRIGGERED, "acknowledged": ACKNOWLEDGED, "acked": ACKNOWLEDGED,
          "resolved": RESOLVED}
OPTIONS = ("url", "org", "api_id_env", "api_key_env", "team", "routing_key")


class SplunkOncallSource(BaseSource):
    """``org`` (for links), ``api_id_env`` and ``api_key_env``; ``url``, ``team``, ``routing_key``."""

    type = TYPE
    label = "Splunk On-Call"
    family = "page"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``org``, ``api_id_env``, ``api_key_env`` (required), ``url``, ``team``, ``routing_key``."""
        check_options(config, OPTIONS)
        for name in ("org", "api_id_env", "api_key_env"):
            option(config, name, required=True)
        option(config, "team")
        option(config, "routing_key")
        check_url(config, required=False)

    def session_options(self, config: SourceConfig) -> dict:
        """Room for a few one-a-minute pages and their Retry-After waits."""
        return {"deadline": 600.0, "retries": 3}

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Every page that started in ``window``, with its acknowledgements and resolution."""
        tally = tally if tally is not None else Tally()
        api = _Api(config, session)
        incidents = [i for i in api.incidents(window) if _kept(i, config, tally, api.incidents_url)]
        teams = {team for i in incidents if not _paged_users(i) for team, _ in _policies(i)}
        oncall = {slug: api.oncall(slug, window, tally) for slug in sorted(teams)}
        events = [e for item in incidents for e in _Incident(item, config, api, oncall, tally).events()]
        return sorted((e for e in events if e.time in window), key=lambda e: (e.time, e.text))


class _Api:
    """Authenticated calls to one Splunk On-Call reporting API."""

    def __init__(self, config: SourceConfig, session):
        self.base = (option(config, "url") or DEFAULT_URL).rstrip("/")
        self.name, self.config, self.session = config.name, config, session
        api_id = token(config, self.base, required=True, name="api_id_env")
        api_key = token(config, self.base, required=True, name="api_key_env")
        self.secrets = [api_id, api_key]
        self.headers = {"X-VO-Api-Id": api_id, "X-VO-Api-Key": api_key, "Accept": "application/json"}
        self.incidents_url = f"{self.base}/api-reporting/v2/incidents"

    def incidents(self, window: Window) -> list[dict]:
        """Every incident started in the window, page after page up to ``total``."""
        params = {"startedAfter": format_utc(window.start), "startedBefore": format_utc(window.end),
                  "currentPhase": ALL_PHASES, "limit": PAGE_LIMIT}
        if option(self.config, "routing_key"):
            params["routingKey"] = option(self.config, "routing_key")
        found: list[dict] = []
        pages = Pagination(lambda message: format_error(message, source=self.name, url=self.incidents_url),
                           what="offset")
        while True:
            pages.ask()
            answer = self._page({**params, "offset": len(found)}, later=pages.requests > 1)
            if not all(isinstance(i, dict) for i in answer["incidents"]):
                raise format_error("incidents holding something other than objects", source=self.name,
                                   url=self.incidents_url)
            found.extend(answer["incidents"])
            following = len(found) if len(found) < answer["total"] else None
            if not pages.more(following, [str(i.get("incidentNumber")) for i in answer["incidents"]]):
                return found

    def _page(self, params: dict, *, later: bool) -> dict:
        try:
            answer = self.get(self.incidents_url, params)
        except SourceError as err:
            if getattr(err, "status", None) != 403:
                raise
            if not later or not hasattr(self.session, "pause"):
                raise _forbidden(err) from None
            self.session.pause(RATE_LIMIT_WAIT, self.incidents_url)  # 403 = the rate limit here
            answer = self.get(self.incidents_url, params)
        if not isinstance(answer, dict) or not isinstance(answer.get("incidents"), list) \
                or not isinstance(answer.get("total"), int) or isinstance(answer.get("total"), bool):
            raise format_error("expected {\"total\": N, \"incidents\": [...]}", source=self.name,
                               url=self.incidents_url)
        return answer

    def oncall(self, team: str, window: Window, tally: Tally) -> dict[str, list[tuple]]:
        """``{username: [(on, off, policy slug or None)]}`` from a team's on-call log;
        empty for a team the API no longer knows (404 "Team or user(s) not found")."""
        url = f"{self.base}/api-reporting/v1/team/{quote(team, safe='')}/oncall/log"
        try:
            answer = self.get(url, {"start": format_utc(window.start), "end": format_utc(window.end)})
        except SourceError as err:
            if getattr(err, "status", None) != 404:
                raise
            tally.count()  # a record asked for and not given: read, and skipped
            tally.skip(f"team {team}: no on-call log (404): who its pages reached is unknown", url)
            return {}
        logs = answer.get("userLogs") if isinstance(answer, dict) else None
        if not isinstance(logs, list):
            raise format_error("expected {\"userLogs\": [...]}", source=self.name, url=url)
        return {str(user.get("userId")): [_shift(s, window, self.name, url) for s in user.get("log") or []]
                for user in logs if _is_user_log(user, self.name, url)}

    def get(self, url: str, params: dict):
        response = request(self.session, "GET", url, params=params, headers=self.headers,
                           source=self.name, secrets=self.secrets)
        return json_answer(response, source=self.name, secrets=self.secrets)


def _forbidden(err: SourceError) -> SourceError:
    """A 403 on the first call: the spec gives it two meanings; say both."""
    wrapped = SourceError(f"{err.message} (Splunk On-Call answers 403 for keys it refuses or for its rate limit "
                          f"of one call a minute: check api_id_env/api_key_env)", source=err.source, url=err.url)
    wrapped.status = 403
    return wrapped


def _is_user_log(user, source: str, url: str) -> bool:
    if not isinstance(user, dict) or not isinstance(user.get("userId"), str) \
            or not isinstance(user.get("log") or [], list):
        raise format_error(f"not a user's on-call log: {str(user)[:80]!r}", source=source, url=url)
    return True


def _shift(entry, window: Window, source: str, url: str) -> tuple:
    if not isinstance(entry, dict):
        raise format_error(f"not an on-call shift: {str(entry)[:80]!r}", source=source, url=url)
    on = parse_iso(entry.get("on"), source=source, url=url)
    off = parse_iso(entry["off"], source=source, url=url) if entry.get("off") else window.end
    policy = entry.get("escalationPolicy") if isinstance(entry.get("escalationPolicy"), dict) else {}
    return on, off, policy.get("slug")


def _policies(incident: dict) -> list[tuple[str, str | None]]:
    """``(team slug, policy slug or None)`` for each policy or team the incident paged."""
    pairs = []
    for item in incident.get("pagedPolicies") or []:
        team = (item.get("team") or {}) if isinstance(item, dict) else {}
        policy = (item.get("policy") or {}) if isinstance(item, dict) else {}
        slug = team.get("slug") or policy.get("slug")
        if isinstance(slug, str) and slug:
            pairs.append((slug, policy.get("slug") if isinstance(policy.get("slug"), str) else None))
    covered = {team for team, _ in pairs}
    pairs += [(t, None) for t in incident.get("pagedTeams") or [] if isinstance(t, str) and t not in covered]
    return list(dict.fromkeys(pairs))


def _paged_users(incident: dict) -> list[str]:
    """``pagedUsers``: usernames (the spec, the recorded answer) or user objects (FAROS's type)."""
    names = [text_of(u.get("username") if isinstance(u, dict) else u) for u in incident.get("pagedUsers") or []]
    return [n for n in names if n]


def _team_names(incident: dict) -> dict[str, str]:
    """Team slug -> its name, from ``pagedPolicies``."""
    names = {}
    for item in incident.get("pagedPolicies") or []:
        team = (item.get("team") or {}) if isinstance(item, dict) else {}
        if isinstance(team.get("slug"), str):
            names[team["slug"]] = text_of(team.get("name")) or team["slug"]
    return names


# The list fields of an incident (the reporting API's IncidentResponse).
LIST_FIELDS = ("pagedUsers", "pagedTeams", "pagedPolicies", "transitions")


def _kept(incident, config: SourceConfig, tally: Tally, url: str) -> bool:
    """Count the incident; with ``team``, keep only those that paged that team."""
    tally.count()
    if not isinstance(incident, dict) or not str(incident.get("incidentNumber") or "").strip():
        raise format_error(f"not an incident (no incidentNumber): {str(incident)[:80]!r}",
                           source=config.name, url=url)
    for name in LIST_FIELDS:
        if not isinstance(incident.get(name) or [], list):
            raise format_error(f"incident {incident['incidentNumber']}: {name!r} is no list", source=config.name, url=url)
    team = option(config, "team")
    if team is None:
        return True
    teams = {t.lower() for t, _ in _policies(incident)} | {n.lower() for n in _team_names(incident).values()}
    if team.lower() in teams:
        return True
    tally.drop(f"paged other teams than {team!r}", url)
    return False


class _Incident:
    """One incident of the answer, as its page and follow-ups."""

    def __init__(self, item: dict, config: SourceConfig, api: _Api, oncall: dict, tally: Tally):
        self.item, self.api, self.oncall, self.tally = item, api, oncall, tally
        self.number = str(item["incidentNumber"]).strip()
        start = parse_iso(item.get("startTime"), source=api.name, url=api.incidents_url)
        link = f"{PORTAL}/{quote(option(config, 'org'), safe='')}/incident/{quote(self.number, safe='')}"
        what = text_of(item.get("entityDisplayName")) or text_of(item.get("entityId")) or "page"
        self.page = PageRecord(TYPE, "Splunk On-Call", self.number, start, link, what, text_of(item.get("entityId")))

    def events(self) -> list[Event]:
        transitions = self._transitions()
        triggered = next((t for t in transitions if t[0] == TRIGGERED), None)
        if triggered is not None and (triggered[3].get("manually") is True or text_of(triggered[2])):
            self.page.manual, self.page.by = True, text_of(triggered[2]) or None
        self._reach()
        follow = [self._follow_up(*t) for t in transitions if t[0] != TRIGGERED]
        return self.page.events(follow)

    def _transitions(self) -> list[tuple]:
        """``(phase, time, by, raw)`` for each transition understood; the rest skipped."""
        out = []
        for raw in self.item.get("transitions") or []:
            self.tally.count()
            name = text_of(raw.get("name")).lower() if isinstance(raw, dict) else ""
            if name not in PHASES:
                self.tally.skip(f"incident {self.number}: transition not understood: {str(raw)[:60]!r}",
                                self.api.incidents_url)
                continue
            at = parse_iso(raw.get("at"), source=self.api.name, url=self.api.incidents_url)
            out.append((PHASES[name], at, raw.get("by"), raw))
            if PHASES[name] == TRIGGERED:
                self.tally.drop(f"incident {self.number}: the {name} transition, the page's start "
                                f"(the incident's own event)", self.api.incidents_url)
        return out

    def _reach(self) -> None:
        """``pagedUsers``; for a page that names only teams, who was on call for them."""
        names, users = _team_names(self.item), _paged_users(self.item)
        for user in users:
            self.page.reached(user)
        for team, policy in _policies(self.item):
            self.page.teams.append(names.get(team, team))
            if users:
                continue
            on_call = [user for user, shifts in self.oncall.get(team, {}).items()
                       if any(_covers(shift, self.page.time, policy) for shift in shifts)]
            for user in on_call:
                self.page.reached(user)
            if not on_call:
                self.page.unresolved.append(names.get(team, team))
        self.page.teams = list(dict.fromkeys(self.page.teams))
        self.page.unresolved = list(dict.fromkeys(self.page.unresolved))

    def _follow_up(self, phase: str, at: dt.datetime, by, raw: dict) -> Event:
        who = text_of(by) or None
        message = text_of(raw.get("message"))
        if phase == ACKNOWLEDGED:
            text = f"acknowledged {self.page.label}" + (f": {message}" if message else "")
        else:
            text = f"{self.page.label} resolved" + (f" by {who}" if who else "") + (f": {message}" if message else "")
        return self.page.follow_up(phase, at, text, who)


def _covers(shift: tuple, moment: dt.datetime, policy: str | None) -> bool:
    on, off, shift_policy = shift
    return on <= moment < off and (policy is None or shift_policy is None or shift_policy == policy)


SOURCE = SplunkOncallSource()
