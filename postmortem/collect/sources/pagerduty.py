"""Source ``pagerduty``: the pages PagerDuty sent, from its REST API v2.

Formats: PagerDuty's OpenAPI file (PagerDuty/api-schema ``reference/REST/openapiv3.json``:
paths ``/incidents``, ``/incidents/{id}/log_entries``, ``/incidents/{id}/notes``, ``/users/{id}``;
schemas ``Incident``, ``LogEntry``, ``NotifyLogEntry``, ``EscalateLogEntry``, ``AnnotateLogEntry``,
``IncidentNote``, ``Channel``), its
guides (PagerDuty/developer-docs ``docs/REST-API/02-Authentication.md``,
``09-Pagination.md``, ``04-Rate-Limits.md``, ``14-Errors.md``) and the official Go
client (PagerDuty/go-pagerduty ``incident.go``, ``log_entry.go``, ``user.go``)::

    Authorization: Token token=<token>     Accept: application/vnd.pagerduty+json;version=2
    GET {url}/incidents?since=ISO&until=ISO&time_zone=UTC&limit=100&offset=N
    {"incidents": [{"id": "Q1A2…", "incident_number": 1402, "title": "…", "created_at": "…",
      "html_url": "https://<sub>.pagerduty.com/incidents/Q1A2…", "incident_key": "…",
      "service": {"summary": "…"}, "escalation_policy": {"summary": "…"},
      "teams": [{"summary": "Payments"}], …}], "limit": 100, "offset": 0, "more": false}
    GET {url}/incidents/{id}/log_entries?is_overview=false&time_zone=UTC&limit=100&offset=N
    {"log_entries": [{"type": "trigger_log_entry|notify_log_entry|acknowledge_log_entry|…",
      "created_at": "…", "agent": {"type": "user_reference|service_reference|…", "id", "summary"},
      "channel": {"type": "…", …}, "user": {…}, "assigned_user": {…}, "summary": "…"}], "more": false}
    GET {url}/incidents/{id}/notes        (one answer, no pages)
    {"notes": [{"id", "user": {"id", "type": "user_reference|bot_user_reference", "summary"},
      "channel": {"summary": "…"}, "content": "…", "created_at": "…"}]}
    GET {url}/users/{id}   {"user": {"id", "name", "email", "time_zone": "Europe/Warsaw", …}}
    errors: {"error": {"message": "…", "code": 2006, "errors": ["…"]}}

- Lists page by ``offset``/``limit`` (100 at most) while ``more``; ``offset +
  limit`` may not pass 10,000 (the API answers 400): a window with more
  incidents is refused with the way out (a shorter window). A page that says
  ``more`` but brings no id not seen before is an error, not asked again
  (:mod:`postmortem.net.pagination`).
- ``since``/``until`` may span at most six months (error 2005 otherwise).
- 429 "Rate Limit Exceeded" comes with ``ratelimit-reset`` (seconds), which the
  session honours like Retry-After (whether Retry-After is sent: unconfirmed).
- Who a page reached: each ``notify_log_entry``'s ``user`` (the OpenAPI's
  ``NotifyLogEntry``), when (``created_at``) and how. How is not defined by the
  OpenAPI beyond ``channel.type``: a ``channel.notification.type`` (sms, push…) is
  read where present (an unconfirmed shape), else ``channel.type``.
- A page a person started: its ``trigger_log_entry``'s ``agent`` is a
  ``user_reference`` ("Will be one of email, sms, website, web_trigger, or note
  if agent[type] is user", OpenAPI ``Channel``).
- Each paged person's ``time_zone``, e-mail and id come from ``GET /users/{id}``
  (one request per person; a 404 for a user deleted since leaves the zone unknown);
  so do the id and e-mail of the person (an agent ``user_reference``) who
  started, acknowledged, escalated, resolved or annotated a page: the events'
  ``aka``, by which ``[people]`` aliases find them.
- A note's text: an ``annotate_log_entry`` holds none (the OpenAPI's
  ``AnnotateLogEntry`` adds no field; its ``summary`` says "Note added"); the
  note is in ``GET /incidents/{id}/notes``. Each annotate entry is paired with
  the note of the same author (the same user id, else the same name: a note a
  service wrote has a ``bot_user_reference``) written nearest to it in time,
  within a minute (both are made by the one request that adds the note; the
  OpenAPI links them by nothing else). An entry with no such note keeps its
  summary and says its text was not found; a note with no entry is a note event
  of its own; a note paired is dropped as the text of its entry's event.

Events (:mod:`._page_records`): the page at the trigger (``url`` = ``html_url``,
``paged`` the people notified, ``paged_teams`` the incident's teams or else its
escalation policy), each acknowledgement, escalation and note (its text the
note's ``content``, also the page's ``note``), and the resolution. Assignments
and other log entries are dropped, each with its reason.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from ...core.accounting import Tally
from ...core.errors import SourceError
from ...core.model import Event, SourceConfig, Window
from ...core.nesting import load_json
from ...core.timeutil import format_utc, zone
from . import BaseSource, check_options, check_url, option, token
from ._page_records import ACKNOWLEDGED, ESCALATED, NOTE, RESOLVED, PageRecord, Reached, parse_iso, text_of
from ...net.web import format_error, json_answer, request
from ...net.pagination import Pagination

TYPE = "pagerduty"
DEFAULT_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100
OFFSET_CEILING = 10_000  # "offset + limit" beyond this is a 400 (09-Pagination.md)
DROPPED = {"assign_log_entry": "assignment (who was paged comes from the notify entries)",
           "snooze_log_entry": "snooze", "unacknowledge_log_entry": "unacknowledgement",
           "exhaust_escalation_path_log_entry": "escalation path exhausted",
           "repeat_escalation_path_log_entry": "escalation path repeated",
           "reach_trigger_limit_log_entry": "trigger limit reached", "urgency_change_log_entry": "urgency change"}
# How far apart an annotate log entry and its note may be written (one request makes both).
NOTE_SKEW = dt.timedelta(minutes=1)


class PagerDutySource(BaseSource):
    """``token_env`` (a REST API key) and ``url``."""

    type = TYPE
    label = "PagerDuty"
    family = "page"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``token_env`` (required), ``url``."""
        check_options(config, ("url", "token_env"))
        option(config, "token_env", required=True)
        check_url(config, required=False)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Every incident created in ``window``: its page and what followed."""
        tally = tally if tally is not None else Tally()
        api = _Api(config, session)
        params = {"since": format_utc(window.start), "until": format_utc(window.end), "time_zone": "UTC"}
        incidents = api.listing("/incidents", "incidents", params)
        tally.count(len(incidents))
        pages = [_Incident(item, api, tally) for item in incidents]
        for page in pages:
            page.read_log(api.listing(page.log_path, "log_entries", {"is_overview": "false", "time_zone": "UTC"}))
            page.read_notes(api.notes(page.notes_path))
        users = api.users({uid for p in pages for uid in p.user_ids}, tally)
        events = [e for page in pages for e in page.events(users)]
        return sorted((e for e in events if e.time in window), key=lambda e: (e.time, e.text))


class _Api:
    """Authenticated calls to one PagerDuty REST API."""

    def __init__(self, config: SourceConfig, session):
        self.base = (option(config, "url") or DEFAULT_URL).rstrip("/")
        self.name, self.session = config.name, session
        self.secret = token(config, self.base, required=True)
        self.headers = {"Authorization": f"Token token={self.secret}", "Accept": ACCEPT}

    def listing(self, path: str, key: str, params: dict) -> list:
        """Every item of a classic-pagination list, following ``more``."""
        url, items = self.base + path, []
        pages = Pagination(lambda message: format_error(message, source=self.name, url=url), what="offset")
        while True:
            if len(items) + PAGE_LIMIT > OFFSET_CEILING:
                raise format_error(f"more than {OFFSET_CEILING} {key} (PagerDuty lists no more): "
                                   f"use a shorter window", source=self.name, url=url)
            pages.ask()
            answer = self.get(url, {**params, "limit": PAGE_LIMIT, "offset": len(items)})
            if not isinstance(answer, dict) or not isinstance(answer.get(key), list) \
                    or not isinstance(answer.get("more"), bool):
                raise format_error(f"expected {{\"{key}\": [...], \"more\": …}}", source=self.name, url=url)
            if not all(isinstance(item, dict) for item in answer[key]):
                raise format_error(f"{key} holding something other than objects", source=self.name, url=url)
            items.extend(answer[key])
            if not pages.more(len(items) if answer["more"] else None, [str(item.get("id")) for item in answer[key]]):
                return items

    def notes(self, path: str) -> list[dict]:
        """An incident's notes (``GET /incidents/{id}/notes``: the whole list in one answer)."""
        url = self.base + path
        answer = self.get(url, {})
        notes = answer.get("notes") if isinstance(answer, dict) else None
        if not isinstance(notes, list) or not all(isinstance(note, dict) for note in notes):
            raise format_error('expected {"notes": [{...}, …]}', source=self.name, url=url)
        return notes

    def users(self, ids: set[str], tally: Tally) -> dict[str, dict]:
        """``{id: user}`` for the people paged and those who acted on a page; a
        user PagerDuty no longer knows is left out."""
        found = {}
        for uid in sorted(ids):
            url = f"{self.base}/users/{quote(uid, safe='')}"
            try:
                answer = self.get(url, {})
            except SourceError as err:
                if getattr(err, "status", None) != 404:
                    raise
                tally.count()  # a record asked for and not given: read, and skipped
                tally.skip(f"user {uid}: PagerDuty no longer knows them (404): their time zone and e-mail "
                           f"are unknown", url)
                continue
            user = answer.get("user") if isinstance(answer, dict) else None
            if not isinstance(user, dict):
                raise format_error("expected {\"user\": {...}}", source=self.name, url=url)
            found[uid] = user
        return found

    def get(self, url: str, params: dict):
        response = request(self.session, "GET", url, params=params, headers=self.headers, source=self.name,
                           secrets=[self.secret], explain=_error_message)
        return json_answer(response, source=self.name, secrets=[self.secret])


def _error_message(response) -> str | None:
    """``Authentication failed (code 2006)`` from PagerDuty's error envelope (14-Errors.md)."""
    try:
        error = load_json(response.content).get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return None
    details = [d for d in error.get("errors") or [] if isinstance(d, str)]
    code = f" (code {error['code']})" if error.get("code") is not None else ""
    return error["message"] + code + (f": {'; '.join(details)}" if details else "")


def _reference(value) -> dict:
    return value if isinstance(value, dict) else {}


class _Incident:
    """One PagerDuty incident and its log entries."""

    def __init__(self, item, api: _Api, tally: Tally):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise format_error(f"not an incident (no id): {str(item)[:80]!r}", source=api.name,
                               url=api.base + "/incidents")
        self.api, self.tally, self.id = api, tally, item["id"]
        self.where = f"{api.base}/incidents/{quote(self.id, safe='')}/log_entries"
        number = str(item.get("incident_number") or self.id)
        created = parse_iso(item.get("created_at"), source=api.name, url=api.base + "/incidents")
        link = item.get("html_url") if str(item.get("html_url") or "").startswith("https://") else None
        what = text_of(item.get("title")) or text_of(item.get("summary")) or f"incident {number}"
        self.page = PageRecord(TYPE, "PagerDuty", f"#{number}" if item.get("incident_number") else number,
                         created, link, what, text_of(item.get("incident_key")))
        teams = [text_of(_reference(t).get("summary")) for t in item.get("teams") or []]
        self.page.teams = [t for t in teams if t] or [
            t for t in [text_of(_reference(item.get("escalation_policy")).get("summary"))] if t]
        self.log_path = f"/incidents/{quote(self.id, safe='')}/log_entries"
        self.notes_path = f"/incidents/{quote(self.id, safe='')}/notes"
        self.entries: list = []
        self.notes: list[dict] = []
        self.user_ids: set[str] = set()
        self.notifications: list[Reached] = []  # whom each notify entry reached, in order

    def read_log(self, entries: list) -> None:
        """Its log entries (``GET /incidents/{id}/log_entries``), counted; who was
        notified, and who acted (their ids, to be looked up)."""
        self.entries = entries
        self.tally.count(len(entries))
        self.user_ids |= {uid for entry in entries if isinstance(entry, dict) and (uid := _person_id(entry))}

    def read_notes(self, notes: list[dict]) -> None:
        """Its notes (``GET /incidents/{id}/notes``), counted; who wrote them."""
        self.notes = notes
        self.tally.count(len(notes))
        self.user_ids |= {uid for note in notes if (uid := _user_id(_reference(note.get("user"))))}

    def events(self, users: dict) -> list[Event]:
        entries = [self._parsed(entry) for entry in self.entries]
        notes = [(note, parse_iso(note.get("created_at"), source=self.api.name, url=self.api.base + self.notes_path))
                 for note in self.notes]
        paired = _pair_notes(entries, notes)
        follow = [event for n, (entry, at) in enumerate(entries)
                  if (event := self._entry(entry, at, users, notes[paired[n]][0] if n in paired else None))]
        for n, (note, at) in enumerate(notes):
            if n in paired.values():
                self.tally.drop("note: the text of its annotate log entry's event", self.api.base + self.notes_path)
            else:
                follow.append(self._note(note, at, users, f"note on {self.page.label}"))
        self._account_notifications()
        return self.page.events(follow)

    def _account_notifications(self) -> None:
        """A person reached a while after the page is an event of their own: the
        first notify entry that reached them is that event; every other notify
        entry is dropped, its person in the page's list."""
        later = {id(person) for person in self.page.reached_later()}
        for person in self.notifications:
            if id(person) in later:
                later.discard(id(person))
            else:
                self.tally.drop("notify entry: its person is in the page's paged list", self.where)

    def _parsed(self, entry) -> tuple[dict, dt.datetime]:
        """A log entry and its time; a format error for what is no log entry."""
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise format_error(f"not a log entry: {str(entry)[:80]!r}", source=self.api.name, url=self.where)
        return entry, parse_iso(entry.get("created_at"), source=self.api.name, url=self.where)

    def _entry(self, entry: dict, at: dt.datetime, users: dict, note: dict | None) -> Event | None:
        kind = entry["type"]
        agent = _reference(entry.get("agent"))
        who = text_of(agent.get("summary")) if agent.get("type") == "user_reference" else None
        aka = _aka(agent, users) if who else ()
        if kind == "trigger_log_entry":
            self.page.time = min(self.page.time, at)
            self.page.manual, self.page.by, self.page.by_aka = who is not None, who, aka
            self.tally.drop("trigger entry: the page's start, the incident's own event", self.where)
        elif kind == "notify_log_entry":
            self._notified(entry, at, users)
        elif kind == "acknowledge_log_entry":
            return self.page.follow_up(ACKNOWLEDGED, at, f"acknowledged {self.page.label}{_via(entry)}", who, aka=aka)
        elif kind == "escalate_log_entry":
            to = text_of(_reference(entry.get("assigned_user")).get("summary")) or "the next level"
            return self.page.follow_up(ESCALATED, at, f"{self.page.label} escalated to {to}", who, aka=aka)
        elif kind == "annotate_log_entry":
            if note is not None:
                return self._note(note, at, users, f"note on {self.page.label}", agent)
            summary = text_of(entry.get("summary")) or "a note"
            return self.page.follow_up(NOTE, at, f"note on {self.page.label}: {summary} (its text is not among "
                                                 f"the incident's notes)", who, aka=aka)
        elif kind == "resolve_log_entry":
            return self.page.follow_up(RESOLVED, at, f"{self.page.label} resolved" + (f" by {who}" if who else ""),
                                       who, aka=aka)
        elif kind in DROPPED:
            self.tally.drop(f"{DROPPED[kind]} ({kind})", self.where)
        else:
            self.tally.skip(f"log entry type not understood: {kind!r}", self.where)
        return None

    def _note(self, note: dict, at: dt.datetime, users: dict, head: str, agent: dict | None = None) -> Event:
        """A note's event: its ``content``, by its author (a person: the actor;
        a service: named in the text), at its entry's time (``at``) where it has one."""
        author = agent if agent is not None and agent.get("type") == "user_reference" else _reference(note.get("user"))
        who = text_of(author.get("summary")) if author.get("type") == "user_reference" else None
        by = f" by {text_of(author.get('summary'))}" if not who and text_of(author.get("summary")) else ""
        content = note.get("content") if isinstance(note.get("content"), str) else ""
        return self.page.follow_up(NOTE, at, f"{head}{by}: {text_of(content) or '(empty)'}", who,
                                   content.strip() or None, _aka(author, users) if who else ())

    def _notified(self, entry: dict, at, users: dict) -> None:
        """A notification: someone the page reached, when and how."""
        user = _reference(entry.get("user"))
        uid = text_of(user.get("id"))
        if not uid and not text_of(user.get("summary")):
            self.tally.skip("notify entry without a user", self.where)
            return
        known = users.get(uid, {}) if uid else {}
        name = text_of(known.get("name")) or text_of(user.get("summary")) or uid
        self.notifications.append(self.page.reached(name, Reached(at=at, tz=self._zone(known), via=[_channel(entry)],
                                                                  aka=list(_aka(user, users)))))

    def _zone(self, user: dict) -> str | None:
        name = user.get("time_zone")
        if not isinstance(name, str) or not name:
            return None
        try:
            zone(name)
        except ValueError:
            self.tally.count()  # the user's time zone: a record read, not understood
            self.tally.skip(f"user {user.get('id')}: unknown time zone {name!r}", self.where)
            return None
        return name


def _user_id(reference: dict) -> str:
    """The id of a ``user_reference`` ("" for a service, a bot or no one)."""
    return text_of(reference.get("id")) if reference.get("type") == "user_reference" else ""


def _person_id(entry: dict) -> str:
    """Whom a notify entry notified, else the person who acted (a user agent)."""
    if entry.get("type") == "notify_log_entry":
        return text_of(_reference(entry.get("user")).get("id"))
    return _user_id(_reference(entry.get("agent")))


def _aka(reference: dict, users: dict) -> tuple[str, ...]:
    """A person's other names in PagerDuty: their user id, and their e-mail where it is known."""
    uid = text_of(reference.get("id"))
    email = text_of(users.get(uid, {}).get("email")) if uid else ""
    return tuple(name for name in (uid, email) if name)


def _same_author(agent: dict, user: dict) -> bool:
    """An annotate entry's agent and a note's user are one author: the same id, or the same name."""
    ids = text_of(agent.get("id")), text_of(user.get("id"))
    names = text_of(agent.get("summary")).casefold(), text_of(user.get("summary")).casefold()
    return (bool(ids[0]) and ids[0] == ids[1]) or (bool(names[0]) and names[0] == names[1])


def _pair_notes(entries: list[tuple[dict, dt.datetime]], notes: list[tuple[dict, dt.datetime]]) -> dict[int, int]:
    """``{annotate entry's index: its note's index}``: the closest pairs in time
    first, each of one author and at most NOTE_SKEW apart, each used once."""
    candidates = sorted((abs(at - note_at), n, m)
                        for n, (entry, at) in enumerate(entries) if entry["type"] == "annotate_log_entry"
                        for m, (note, note_at) in enumerate(notes)
                        if abs(at - note_at) <= NOTE_SKEW
                        and _same_author(_reference(entry.get("agent")), _reference(note.get("user"))))
    paired: dict[int, int] = {}
    for _, n, m in candidates:
        if n not in paired and m not in paired.values():
            paired[n] = m
    return paired


def _channel(entry: dict) -> str:
    """How a person was notified: ``channel.notification.type`` where the answer
    has it (unconfirmed shape), else ``channel.type`` (the OpenAPI's own)."""
    channel = _reference(entry.get("channel"))
    notification = _reference(channel.get("notification"))
    return text_of(notification.get("type")) or text_of(channel.get("type")) or "unknown"


def _via(entry: dict) -> str:
    kind = text_of(_reference(entry.get("channel")).get("type"))
    return f" (via {kind})" if kind else ""


SOURCE = PagerDutySource()
