"""Services for the network-source tests, all on 127.0.0.1.

- Real ones, from Debian packages, each started on a free port with its own
  temp dirs, waited for, and stopped by its PID: Alertmanager
  (``prometheus-alertmanager``) and Prometheus (``prometheus``, with history
  backfilled by ``promtool tsdb create-blocks-from openmetrics``). A missing
  binary FAILS the test (CI installs them from .ci/apt-packages).
- Fakes for services that cannot run here, answering in their exact formats:
  sal.toolforge.org (bd808/SAL ``data/templates/sal.html``, ``inc/log.html``),
  the Slack Web API (cursors, 429 + Retry-After), Phabricator Conduit (the
  ``result``/``error_code``/``error_info`` envelope) and Gerrit's REST API (the
  ``)]}'`` first line, ``n``/``S`` pages, ``_more_changes``), plus broken answers.
- Broken-answer cases (:class:`Broken`, :func:`broken`): each network source's
  test module has one table of them, run by :func:`read_broken` on a fake clock.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import html
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from postmortem.core.errors import PostmortemError, SourceError, SourceFormatError
from tests.clock import clocked_session

UTC = dt.timezone.utc


# -- real services --------------------------------------------------------------

def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_binary(name: str) -> str:
    """The path of a service binary; the test fails (never skips) without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install -y --no-install-recommends "
                    f"prometheus prometheus-alertmanager (listed in .ci/apt-packages)")
    return path


@dataclass
class Service:
    """A server process we started: its URL, PID and log file."""

    name: str
    url: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it does not exit within 10 s."""
        if self.process.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(5)


def start_service(name: str, argv: list[str], port: int, workdir: Path, timeout: float = 60) -> Service:
    """Start ``argv``, wait until ``/-/ready`` answers 200, return the Service."""
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
                                   stdin=subprocess.DEVNULL)
    service = Service(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{service.url}/-/ready", timeout=1).status_code == 200:
                return service
        except requests.RequestException:
            pass
        time.sleep(0.1)
    service.stop()
    pytest.fail(f"{name} not ready within {timeout} s:\n{log.read_text()[-3000:]}")


def start_alertmanager(workdir: Path) -> Service:
    """A real Alertmanager with a do-nothing route, clustering off."""
    binary = require_binary("prometheus-alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")
    port = free_port()
    argv = [binary, f"--config.file={config}", f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]
    return start_service("alertmanager", argv, port, workdir)


def post_alerts(service: Service, alerts: list[dict]) -> None:
    """POST /api/v2/alerts (postableAlerts)."""
    response = requests.post(f"{service.url}/api/v2/alerts", json=alerts, timeout=10)
    assert response.status_code == 200, response.text


def openmetrics_alerts(series: dict[tuple, list[int]]) -> str:
    """OpenMetrics text of ALERTS samples: ``{labels tuple: [unix seconds]}``."""
    lines = ["# TYPE ALERTS gauge"]
    for labels, times in series.items():
        label_text = ",".join(f'{k}="{v}"' for k, v in labels)
        lines.extend(f"ALERTS{{{label_text}}} 1 {t}" for t in sorted(times))
    return "\n".join(lines) + "\n# EOF\n"


def openmetrics_gauge(name: str, series: dict[tuple, list[tuple[int, float]]]) -> str:
    """OpenMetrics text of one gauge ``name``: ``{labels tuple: [(unix seconds, value)]}``
    (https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md,
    "Text format": ``name{labels} value timestamp``, then ``# EOF``)."""
    lines = [f"# TYPE {name} gauge"]
    for labels, samples in series.items():
        label_text = ",".join(f'{k}="{v}"' for k, v in labels)
        lines.extend(f"{name}{{{label_text}}} {value!r} {t}" for t, value in sorted(samples))
    return "\n".join(lines) + "\n# EOF\n"


def start_prometheus(workdir: Path, openmetrics: str) -> Service:
    """A real Prometheus over a TSDB backfilled from ``openmetrics`` by promtool."""
    binary = require_binary("prometheus")
    promtool = require_binary("promtool")
    workdir.mkdir(parents=True, exist_ok=True)
    source, tsdb = workdir / "alerts.om", workdir / "tsdb"
    source.write_text(openmetrics)
    done = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    argv = [binary, f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}"]
    return start_service("prometheus", argv, port, workdir)


# -- fake services ----------------------------------------------------------------

@dataclass
class Request:
    """What a fake server received."""

    method: str
    path: str
    query: dict
    form: dict
    headers: dict
    body: bytes


@dataclass
class Answer:
    """What a fake server sends back."""

    status: int = 200
    body: bytes | str = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    # A body sent piece by piece (a large or dripping answer): ``chunks`` with
    # ``pause`` seconds between them, announced as ``length`` bytes (None: no
    # Content-Length, the connection closes at the end); ``reset``: the connection
    # is dropped after the chunks, mid-body.
    chunks: object = None
    pause: float = 0.0
    length: int | None = None
    reset: bool = False

    @classmethod
    def json(cls, data, status: int = 200, *, delay: float = 0.0, **headers) -> "Answer":
        return cls(status, json.dumps(data), {"Content-Type": "application/json", **headers}, delay)

    @classmethod
    def html(cls, text: str, status: int = 200) -> "Answer":
        return cls(status, text, {"Content-Type": "text/html; charset=UTF-8"})


class FakeServer:
    """``app(Request) -> Answer`` served by http.server in a thread on 127.0.0.1,
    with ``latency`` seconds added to every answer. Records every request."""

    def __init__(self, app, *, latency: float = 0.0):
        self.app, self.latency = app, latency
        self.requests: list[Request] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # do not wait for a handler still sleeping
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self._answer()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                form = parse_qs(body.decode("utf-8", "replace")) if self.command == "POST" else {}
                request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  form, dict(self.headers), body)
                server.requests.append(request)
                answer = server.app(request)
                time.sleep(server.latency + answer.delay)
                if answer.chunks is not None:
                    return self._stream(answer)
                data = answer.body.encode() if isinstance(answer.body, str) else answer.body
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, answer):
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if answer.length is not None:
                        self.send_header("Content-Length", str(answer.length))
                    else:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    for chunk in answer.chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(answer.pause)
                    if answer.reset:
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True

        return Handler


def first(query: dict, name: str, default=None):
    values = query.get(name)
    return values[0] if values else default


# -- sal.toolforge.org ------------------------------------------------------------

@dataclass
class SalEntry:
    """One SAL entry as the tool stores it."""

    id: str
    time: dt.datetime
    nick: str
    message: str
    project: str = "production"


def linkify(message: str) -> str:
    """Like bd808/SAL's LinkifyExtension: escape, then link Phabricator tasks."""
    escaped = html.escape(message, quote=False)
    return re.sub(r"\b(T\d+)\b", r'<a href="https://phabricator.wikimedia.org/\1" target="_blank">\1</a>',
                  escaped)


def sal_html(project: str, entries: list[SalEntry], p: int, i: int, total: int) -> str:
    """A page exactly as data/templates/sal.html + inc/log.html render it."""
    pages = math.ceil(total / i) if total else 0
    first_n = p * i + 1
    last_n = min(first_n + i - 1, total)
    hits = (f"{first_n}-{last_n} of " if pages > 1 else "") + f"{total} results (4ms)"
    out = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SAL - {project}</title>'
           "</head><body>",
           f'<form id="search-form" method="get" action="/{project}"><input type="hidden" name="p" value="0">'
           "</form>", f'<div class="hits">{hits}</div>']
    if pages > 1:
        out.append(f'<div class="pagination"><ul><li><a href="/{project}?p={p + 1}">&raquo;</a></li></ul></div>')
    out.append('<table class="sal">')
    last_day = ""
    for entry in entries:
        day = entry.time.strftime("%Y-%m-%d")
        if day != last_day:
            out.append(f'  <tbody>\n  <tr>\n    <th colspan="4">\n      <a class="day" href="/{project}?d={day}">'
                       f'\n        {day}\n      </a>\n      <span class="section">§</span>\n    </th>\n  </tr>')
        out.append(f'<tr>\n  <td class="time"><a href="/log/{entry.id}">{entry.time:%H:%M}</a></td>\n'
                   f'  <td class="nick">&lt;{html.escape(entry.nick)}&gt;</td>\n'
                   f'  <td class="message">{linkify(entry.message)}</td>\n</tr>')
        last_day = day
    out.append("</table></body></html>")
    return "\n".join(out)


def sal_app(entries: list[SalEntry]):
    """The SAL tool: /<project>?q=&d=&p=&i= (src/Pages/Sal.php, src/Logs.php)."""
    def app(request: Request) -> Answer:
        project = request.path.strip("/") or "production"
        if project.startswith("log/") or "/" in project:
            return Answer.html("<html><title>404</title></html>", 404)
        p, i = int(first(request.query, "p", 0)), int(first(request.query, "i", 50))
        if not 1 <= i <= 200:
            i = 50
        hits = [e for e in entries if e.project == project]
        if first(request.query, "d"):
            limit = dt.datetime.fromisoformat(first(request.query, "d")).replace(tzinfo=UTC)
            hits = [e for e in hits if e.time < limit + dt.timedelta(days=1)]
        if first(request.query, "q"):
            hits = [e for e in hits if first(request.query, "q").lower() in e.message.lower()]
        hits.sort(key=lambda e: e.time, reverse=True)
        return Answer.html(sal_html(project, hits[p * i:(p + 1) * i], p, i, len(hits)))
    return app


def sal_entries(start: dt.datetime, count: int, every: dt.timedelta, project="production") -> list[SalEntry]:
    """``count`` entries, one every ``every``, from ``start`` on."""
    return [SalEntry(f"AW{n:06d}", start + n * every, f"user{n % 5}", f"step {n}: restart T{1000 + n}",
                     project) for n in range(count)]


# -- Slack Web API -----------------------------------------------------------------

SLACK_SCOPES = frozenset({"channels:history", "users:read", "users:read.email"})


def slack_app(messages: list[dict], replies: dict[str, list[dict]], *, token: str, page_size: int = 3,
              rate_limit: set | None = None, retry_after: str = "1", users: list[dict] = (),
              scopes: frozenset = SLACK_SCOPES):
    """conversations.history/replies and users.list with cursors; ``rate_limit``:
    request numbers (1-based) answered 429 with Retry-After. ``users``: the
    workspace's members, each profile's ``email`` only with the ``users:read.email``
    scope; without ``users:read`` in ``scopes``, users.list answers
    ``missing_scope`` with the scope ``needed`` and those ``provided``
    (https://api.slack.com/methods/users.list, "Errors")."""
    calls = {"n": 0}
    rate_limit = rate_limit or set()

    def page(items: list[dict], query: dict, key: str = "messages") -> Answer:
        offset = int(base64.b64decode(first(query, "cursor")).decode()) if first(query, "cursor") else 0
        limit = min(int(first(query, "limit", 100)), page_size)
        chunk = items[offset:offset + limit]
        more = offset + limit < len(items)
        cursor = base64.b64encode(str(offset + limit).encode()).decode() if more else ""
        extra = {"has_more": more} if key == "messages" else {"cache_ts": 1709640000}
        return Answer.json({"ok": True, key: chunk, **extra, "response_metadata": {"next_cursor": cursor}})

    def members(query: dict) -> Answer:
        if "users:read" not in scopes:
            return Answer.json({"ok": False, "error": "missing_scope", "needed": "users:read",
                                "provided": ",".join(sorted(scopes))})
        shown = [user if "users:read.email" in scopes else
                 {**user, "profile": {k: v for k, v in user.get("profile", {}).items() if k != "email"}}
                 for user in users]
        return page(shown, query, "members")

    def app(request: Request) -> Answer:
        calls["n"] += 1
        if calls["n"] in rate_limit:
            return Answer.json({"ok": False, "error": "ratelimited"}, 429, **{"Retry-After": retry_after})
        if request.headers.get("Authorization") != f"Bearer {token}":
            return Answer.json({"ok": False, "error": "invalid_auth"})
        oldest = float(first(request.query, "oldest", 0))
        latest = float(first(request.query, "latest", 1e12))
        in_span = lambda m: oldest <= float(m["ts"]) <= latest  # noqa: E731  (inclusive=true)
        if request.path.endswith("/conversations.history"):
            items = sorted((m for m in messages if in_span(m)), key=lambda m: float(m["ts"]), reverse=True)
            return page(items, request.query)
        if request.path.endswith("/conversations.replies"):
            ts = first(request.query, "ts")
            parent = [m for m in messages if m["ts"] == ts]
            items = parent + [m for m in replies.get(ts, []) if in_span(m)]
            return page(items, request.query)
        if request.path.endswith("/users.list"):
            return members(request.query)
        return Answer.json({"ok": False, "error": "unknown_method"}, 404)
    return app


# -- Phabricator Conduit -------------------------------------------------------------

def conduit_app(tasks: dict[int, dict], users: dict[str, str], *, token: str, page_size: int = 100,
                **writes) -> "ConduitApp":
    """The local Conduit: ``tasks`` (id -> maniphest.search ``fields``) and ``users``
    (PHID -> username); see :class:`ConduitApp` for ``writes``."""
    return ConduitApp(tasks, users, token=token, page_size=page_size, **writes)


class ConduitApp:
    """Phabricator's Conduit as ``POST /api/<method>`` answers it
    (PhabricatorConduitAPIController.php: HTTP 200 and the envelope
    ``{"result", "error_code", "error_info"}`` for errors too; the search
    envelope of PhabricatorApplicationSearchEngine, ``data``/``maps``/``query``/
    ``cursor``): ``maniphest.search`` (``ids``; ``authorPHIDs`` + ``createdStart``),
    ``user.search`` (``phids``, ``usernames``), ``project.search`` (``query``: every
    word of it in the name, case aside; ``slugs``), ``user.whoami`` and
    ``maniphest.edit`` creating a task from ``transactions[i][type]``/``[value]``
    (a ``title`` is required, an ``owner`` must be a user PHID, ``projects.add``
    project PHIDs) → ``{"object": {"id", "phid"}, "transactions": [{"phid"}]}``.

    Every call is recorded in ``calls`` as ``(method, form without the token)``.
    ``fail_edit``: numbers of maniphest.edit calls (1-based) answered with an
    ``ERR-CONDUIT-CORE`` error, once each; ``lose_edit``: numbers whose task is
    created but whose answer is lost (a proxy's 502 page). ``projects``: PHID ->
    ``{"name", "slug"}``; ``me``: the token's user; ``now``: the clock of ``dateCreated``."""

    def __init__(self, tasks, users, *, token, page_size=100, projects=None, fail_edit=(), lose_edit=(),
                 me="PHID-USER-1", now=1709640000, next_id=359201):
        self.tasks, self.users, self.token, self.page_size = tasks, users, token, page_size
        self.projects = projects or {}
        self.fail_edit, self.lose_edit = set(fail_edit), set(lose_edit)
        self.me, self.now, self.next_id = me, now, next_id
        self.calls: list[tuple[str, dict]] = []
        self.edits = 0

    @staticmethod
    def envelope(result=None, code=None, info=None) -> Answer:
        return Answer.json({"result": result, "error_code": code, "error_info": info})

    def search(self, items: list[dict], form: dict) -> Answer:
        after = int(first(form, "after", 0))
        limit = min(int(first(form, "limit", 100)), self.page_size)
        chunk = items[after:after + limit]
        more = after + limit < len(items)
        return self.envelope({"data": chunk, "maps": {}, "query": {"queryKey": None},
                              "cursor": {"limit": limit, "after": str(after + limit) if more else None,
                                         "before": None, "order": None}})

    def __call__(self, request: Request) -> Answer:
        method = request.path.removeprefix("/api/")
        self.calls.append((method, {k: v[0] for k, v in request.form.items() if k != "api.token"}))
        if first(request.form, "api.token") != self.token:
            return self.envelope(code="ERR-INVALID-AUTH", info="API token \"%s\" has the wrong format."
                                 % first(request.form, "api.token"))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self.envelope(code="ERR-CONDUIT-CALL", info=f"Conduit method '{method}' does not exist.")
        return handler(request.form)

    def _maniphest_search(self, form) -> Answer:
        ids = _listed(form, "constraints[ids]")
        authors, since = _listed(form, "constraints[authorPHIDs]"), first(form, "constraints[createdStart]")
        hits = sorted(n for n in self.tasks if (not ids or str(n) in ids)
                      and (not authors or self.tasks[n].get("authorPHID") in authors)
                      and (since is None or self.tasks[n].get("dateCreated", 0) >= int(since)))
        return self.search([{"id": n, "type": "TASK", "phid": f"PHID-TASK-{n}", "fields": self.tasks[n],
                             "attachments": {}} for n in hits], form)

    def _user_search(self, form) -> Answer:
        phids, names = _listed(form, "constraints[phids]"), _listed(form, "constraints[usernames]")
        hits = [p for p in self.users if p in phids or self.users[p].lower() in {n.lower() for n in names}]
        return self.search([{"id": n, "type": "USER", "phid": p, "fields": {"username": self.users[p],
                                                                          "realName": self.users[p]}}
                            for n, p in enumerate(hits, 1)], form)

    def _project_search(self, form) -> Answer:
        query, slugs = first(form, "constraints[query]"), _listed(form, "constraints[slugs]")
        words = (query or "").lower().split()
        hits = [p for p, project in self.projects.items()
                if (query is not None and all(w in project["name"].lower() for w in words))
                or project["slug"] in slugs]
        return self.search([{"id": n, "type": "PROJ", "phid": p, "fields": dict(self.projects[p]),
                             "attachments": {}} for n, p in enumerate(hits, 1)], form)

    def _user_whoami(self, form) -> Answer:
        return self.envelope({"phid": self.me, "userName": self.users.get(self.me, "bot"), "realName": "Bot"})

    def _maniphest_edit(self, form) -> Answer:
        self.edits += 1
        if self.edits in self.fail_edit:
            self.fail_edit.discard(self.edits)
            return self.envelope(code="ERR-CONDUIT-CORE", info="Database connection lost; try again.")
        changes = _transactions(form)
        if not changes.get("title"):
            return self.envelope(code="ERR-CONDUIT-CORE", info="Validation errors:\n  - Tasks must have a title.")
        if changes.get("owner") and changes["owner"] not in self.users:
            return self.envelope(code="ERR-CONDUIT-CORE", info=f"No such object with PHID \"{changes['owner']}\".")
        if any(p not in self.projects for p in changes.get("projects.add", [])):
            return self.envelope(code="ERR-CONDUIT-CORE", info="Validation errors: unknown project.")
        number, self.next_id = self.next_id, self.next_id + 1
        self.tasks[number] = {"name": changes["title"], "description": {"raw": changes.get("description", "")},
                              "authorPHID": self.me, "ownerPHID": changes.get("owner"),
                              "status": {"value": "open", "name": "Open", "color": None},
                              "dateCreated": self.now, "dateModified": self.now, "dateClosed": None,
                              "projectPHIDs": changes.get("projects.add", [])}
        if self.edits in self.lose_edit:
            self.lose_edit.discard(self.edits)
            return Answer(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                          {"Content-Type": "text/html"})
        return self.envelope({"object": {"id": number, "phid": f"PHID-TASK-{number}"},
                              "transactions": [{"phid": f"PHID-XACT-TASK-{number}{n}"} for n in range(len(changes))]})


def _listed(form: dict, key: str) -> list[str]:
    """``key[0]``, ``key[1]``… of a PHP-style form, in order."""
    found = [(int(k[len(key) + 1:-1]), v[0]) for k, v in form.items()
             if k.startswith(key + "[") and k[len(key) + 1:-1].isdigit()]
    return [v for _, v in sorted(found)]


def _transactions(form: dict) -> dict:
    """``{type: value}`` from ``transactions[i][type]`` / ``transactions[i][value]`` (or ``[value][j]``)."""
    changes = {}
    for n in range(len(form)):
        kind = first(form, f"transactions[{n}][type]")
        if kind is None:
            break
        value = first(form, f"transactions[{n}][value]")
        changes[kind] = value if value is not None else _listed(form, f"transactions[{n}][value]")
    return changes


def task_fields(name: str, status: str = "open", owner: str | None = None, **dates) -> dict:
    """maniphest.search ``fields`` for a task (``dateCreated=…`` and the like as epoch seconds)."""
    return {"name": name, "status": {"value": status, "name": status.title(), "color": None},
            "ownerPHID": owner, "priority": {"value": 50, "name": "Normal"}, **dates}


# -- Splunk On-Call (VictorOps) reporting API ------------------------------------------

def _iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(UTC)


def splunk_app(incidents: list[dict], oncall: dict[str, list[dict]], *, api_id: str, api_key: str,
               page_size: int = 100, rate_limit: set | None = None, retry_after: str | None = "60"):
    """``/api-reporting/v2/incidents`` and ``/api-reporting/v1/team/{team}/oncall/log``
    as the Swagger file describes them (APIs-guru/openapi-directory
    ``APIs/victorops.com/0.0.3/swagger.yaml``): only resolved incidents unless
    ``currentPhase`` says otherwise, ``offset``/``limit`` (100 at most; ``page_size``
    here) with ``total``; 401 without the two headers, 403 with wrong ones;
    ``rate_limit``: incident-call numbers (1-based) answered 429 with ``retry_after``."""
    calls = {"n": 0}
    rate_limit = rate_limit or set()

    def history(request: Request) -> Answer:
        calls["n"] += 1
        if calls["n"] in rate_limit:
            headers = {"Retry-After": retry_after} if retry_after else {}
            return Answer.json({"message": "rate limit exceeded"}, 429, **headers)
        phases = (first(request.query, "currentPhase") or "resolved").lower().split(",")
        after, before = first(request.query, "startedAfter"), first(request.query, "startedBefore")
        hits = [i for i in incidents if i.get("currentPhase", "resolved").lower() in phases
                and (not after or _iso(i["startTime"]) > _iso(after))
                and (not before or _iso(i["startTime"]) < _iso(before))
                and (not first(request.query, "routingKey") or i.get("routingKey") == first(request.query, "routingKey"))]
        offset = int(first(request.query, "offset", 0))
        limit = min(int(first(request.query, "limit", 20)), 100, page_size)
        return Answer.json({"offset": offset, "limit": limit, "total": len(hits),
                            "incidents": hits[offset:offset + limit]})

    def app(request: Request) -> Answer:
        given = (request.headers.get("X-VO-Api-Id"), request.headers.get("X-VO-Api-Key"))
        if None in given:
            return Answer.json({"message": "Authentication parameters missing"}, 401)
        if given != (api_id, api_key):
            return Answer.json({"message": "Authentication failed"}, 403)
        if request.path == "/api-reporting/v2/incidents":
            return history(request)
        match = re.fullmatch(r"/api-reporting/v1/team/([^/]+)/oncall/log", request.path)
        if match and match.group(1) in oncall:
            return Answer.json({"teamSlug": match.group(1), "start": first(request.query, "start"),
                                "end": first(request.query, "end"), "userLogs": oncall[match.group(1)]})
        return Answer.json({"message": "Team or user(s) not found"}, 404)
    return app


# -- PagerDuty REST API v2 ----------------------------------------------------------------

PD_ACCEPT = "application/vnd.pagerduty+json;version=2"


def pd_error(message: str, code: int, status: int, **headers) -> Answer:
    """PagerDuty's error envelope (PagerDuty/developer-docs docs/REST-API/14-Errors.md)."""
    return Answer.json({"error": {"message": message, "code": code}}, status, **headers)


def pagerduty_app(incidents: list[dict], log_entries: dict[str, list[dict]], users: dict[str, dict], *,
                  token: str, page_size: int = 100, rate_limit: set | None = None,
                  notes: dict[str, list[dict]] | None = None, lost_access: set | None = None):
    """``/incidents`` (``since``/``until`` on ``created_at``), ``/incidents/{id}/log_entries``,
    ``/incidents/{id}/notes`` and ``/users/{id}``, classic pagination (``limit`` at most
    100, ``offset``, ``more``) except for the notes, listed whole (``{"notes": [...]}``,
    the OpenAPI's ``listIncidentNotes``: no pagination parameters); 401 without
    ``Authorization: Token token=…``; 404 ``Not Found`` (code 2100) for an incident or
    user it does not know; ``lost_access``: incident ids whose notes answer 403 with code
    2018 ("Access Denied: You may have lost access to this incident if it has been
    resolved", docs/REST-API/14-Errors.md); ``rate_limit``: request numbers answered
    429 with ``ratelimit-reset`` (docs/REST-API/04-Rate-Limits.md)."""
    calls = {"n": 0}
    rate_limit, notes, lost_access = rate_limit or set(), notes or {}, lost_access or set()
    known = {i["id"] for i in incidents}

    def listing(key: str, items: list[dict], query: dict) -> Answer:
        offset = int(first(query, "offset", 0))
        limit = min(int(first(query, "limit", 25)), 100, page_size)
        return Answer.json({key: items[offset:offset + limit], "limit": limit, "offset": offset,
                            "more": offset + limit < len(items), "total": None})

    def app(request: Request) -> Answer:
        calls["n"] += 1
        if calls["n"] in rate_limit:
            return pd_error("Rate Limit Exceeded", 2020, 429, **{"ratelimit-limit": "960",
                                                                  "ratelimit-remaining": "0", "ratelimit-reset": "7"})
        if request.headers.get("Authorization") != f"Token token={token}":
            return pd_error("Authentication failed", 2006, 401)
        if request.headers.get("Accept") != PD_ACCEPT:
            return pd_error("Invalid Input Provided", 2001, 400)
        if request.path == "/incidents":
            since, until = _iso(first(request.query, "since")), _iso(first(request.query, "until"))
            hits = [i for i in incidents if since <= _iso(i["created_at"]) < until]
            return listing("incidents", hits, request.query)
        match = re.fullmatch(r"/incidents/([^/]+)/log_entries", request.path)
        if match and match.group(1) in log_entries:
            return listing("log_entries", log_entries[match.group(1)], request.query)
        match = re.fullmatch(r"/incidents/([^/]+)/notes", request.path)
        if match and match.group(1) in lost_access:
            return pd_error("Access Denied: You may have lost access to this incident if it has been resolved",
                            2018, 403)
        if match and match.group(1) in known:
            return Answer.json({"notes": notes.get(match.group(1), [])})
        match = re.fullmatch(r"/users/([^/]+)", request.path)
        if match and match.group(1) in users:
            return Answer.json({"user": users[match.group(1)]})
        return pd_error("Not Found", 2100, 404)
    return app
# -- Prometheus HTTP API (range queries over recorded samples) ---------------------------

PROMETHEUS_LOOKBACK = 300.0  # seconds: how far back an instant selector looks for a sample


def prometheus_app(series: list[tuple[dict, list[float]]], *, query: str):
    """``GET /api/v1/query_range`` as Prometheus evaluates ``timestamp(<query>)``
    over recorded samples (https://prometheus.io/docs/prometheus/latest/querying/api/,
    "Range queries"; "Staleness" in querying/basics): at each step from ``start``
    to ``end`` (both included) a series has the time of its latest sample within
    the 5-minute lookback, as a string, and no point where it has none (samples
    written without staleness markers, as backfilled data is). ``series``:
    ``[(labels, sample times in unix seconds)]``; another query is a 400 error
    in Prometheus' envelope."""
    def app(request: Request) -> Answer:
        if request.path != "/api/v1/query_range":
            return Answer.json({"status": "error", "errorType": "not_found", "error": "not found"}, 404)
        if first(request.query, "query") != f"timestamp({query})":
            return Answer.json({"status": "error", "errorType": "bad_data", "error": "unexpected query"}, 400)
        start, end = float(first(request.query, "start")), float(first(request.query, "end"))
        step = float(first(request.query, "step"))
        steps = [start + n * step for n in range(int((end - start) // step) + 1)]
        result = []
        for labels, samples in series:
            values = [[at, f"{latest:.3f}".rstrip("0").rstrip(".")] for at in steps if (latest := _latest(samples, at)) is not None]
            if values:
                # a function of the series drops its name (Prometheus' "timestamp()")
                result.append({"metric": {k: v for k, v in labels.items() if k != "__name__"}, "values": values})
        return Answer.json({"status": "success", "data": {"resultType": "matrix", "result": result}})
    return app


def _latest(samples: list[float], at: float) -> float | None:
    """The latest sample in (at - lookback, at], or None."""
    index = bisect.bisect_right(samples, at)
    return samples[index - 1] if index and at - samples[index - 1] < PROMETHEUS_LOOKBACK else None


# -- Gerrit REST API ---------------------------------------------------------------------

GERRIT_PREFIX = ")]}'\n"
_GERRIT_TERM = re.compile(r'(after|before):"([^"]+)"')


def gerrit_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value.split(".")[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def gerrit_app(changes: list[dict], *, page_limit: int = 500):
    """``GET /changes/?q=…&n=&S=&o=`` as Gerrit answers it (rest-api-changes.html
    "Query Changes"): ``status:merged`` with ``after:``/``before:`` on the last
    update (``updated``, inclusive), newest update first, at most ``n`` (and the
    server's own ``page_limit``) changes from ``S``, ``_more_changes`` on the last
    one when more follow, accounts reduced to ``_account_id`` without
    ``o=DETAILED_ACCOUNTS``; every JSON body after the ``)]}'`` line. A query
    it cannot read is a 400 with a plain-text body."""
    def app(request: Request) -> Answer:
        if request.path != "/r/changes/":
            return Answer(404, "Not Found", {"Content-Type": "text/plain"})
        query = first(request.query, "q", "")
        bounds = dict(_GERRIT_TERM.findall(query))
        if "status:merged" not in query or set(bounds) != {"after", "before"}:
            return Answer(400, f"Invalid query: {query}", {"Content-Type": "text/plain; charset=UTF-8"})
        after, before = gerrit_time(bounds["after"]), gerrit_time(bounds["before"])
        hits = sorted((c for c in changes if after <= gerrit_time(c["updated"]) <= before),
                      key=lambda c: c["updated"], reverse=True)
        skip, limit = int(first(request.query, "S", 0)), min(int(first(request.query, "n", 500)), page_limit)
        page = [dict(c) for c in hits[skip:skip + limit]]
        if "DETAILED_ACCOUNTS" not in request.query.get("o", []):
            page = [{**c, **{k: {"_account_id": c[k]["_account_id"]} for k in ("owner", "submitter") if k in c}}
                    for c in page]
        if page and skip + limit < len(hits):
            page[-1]["_more_changes"] = True
        return Answer(200, GERRIT_PREFIX + json.dumps(page), {"Content-Type": "application/json; charset=UTF-8"})
    return app


def gerrit_change(number: int, project: str, subject: str, submitted: str, *, updated: str | None = None,
                  owner: str = "akowalski", submitter: str | None = None, branch: str = "production") -> dict:
    """A merged ChangeInfo with DETAILED_ACCOUNTS accounts."""
    def account(name, number):
        return {"_account_id": number, "name": name.title(), "email": f"{name}@example.org", "username": name}
    stamp = lambda text: f"{text}.000000000"  # noqa: E731
    return {"id": f"{project.replace('/', '%2F')}~{branch}~I{number:040x}", "project": project, "branch": branch,
            "change_id": f"I{number:040x}", "subject": subject, "status": "MERGED",
            "created": stamp(submitted), "updated": stamp(updated or submitted), "submitted": stamp(submitted),
            "_number": number, "owner": account(owner, 4821), "submitter": account(submitter or owner, 5107),
            "insertions": 1, "deletions": 1}


# -- broken answers ----------------------------------------------------------------

BROKEN_KINDS = ("500", "timeout", "truncated", "html")


def broken_app(kind: str, good=None):
    """Answers that go wrong: "500", "timeout" (never in time), "truncated" JSON,
    "html" (an HTML error page with 200, as some proxies send)."""
    def app(request: Request) -> Answer:
        if kind == "500":
            return Answer(500, "Internal Server Error", {"Content-Type": "text/plain"})
        if kind == "timeout":
            return Answer.json({"ok": True}, delay=3.0)
        if kind == "truncated":
            whole = good(request) if good else Answer.json({"result": {"data": [1, 2, 3]}})
            body = whole.body if isinstance(whole.body, str) else whole.body.decode()
            return Answer(200, body[:len(body) // 2], {"Content-Type": "application/json"})
        if kind == "html":
            return Answer.html("<!DOCTYPE html><html><head><title>Wikimedia Error</title></head>"
                               "<body><p>Our servers are currently under maintenance.</p></body></html>")
        raise ValueError(kind)
    return app


@dataclass(frozen=True)
class Broken:
    """One broken answer of a network source, and exactly what the source raises.

    ``answer``: a kind of :func:`broken_app` (``BROKEN_KINDS``, built on the
    source's good app), an :class:`Answer`, or any other value, answered as JSON
    with 200 (a wrong shape). ``message``: the error's whole message (``err.message``,
    what follows ``"<url>: "``), or a pattern it must match in full where part of it is
    not ours (the json module's reason for broken JSON); ``status``: ``err.status``; ``attempts``: the requests made with
    :func:`broken_session` (answers worth a retry get two retries, the rest none);
    ``timeout``: each attempt's timeout in seconds (short only where the server is silent);
    ``retry_after``: the server's Retry-After, when it sends one, instead of the back-off.
    """

    answer: object
    error: type
    message: str | re.Pattern
    status: int | None = None
    attempts: int = 1
    timeout: float = 5.0
    retry_after: float | None = None
    path: str | None = None  # only this path's answer is broken, the others are the good app's

    @property
    def waits(self) -> list[float]:
        """The sleeps of :func:`broken_session` before its retries (on the fake clock)."""
        if self.retry_after is not None:
            return [self.retry_after] * (self.attempts - 1)
        return [BROKEN_SESSION["backoff"] * 2 ** n for n in range(self.attempts - 1)]

    def says(self, message: str) -> bool:
        """Whether ``message`` is exactly the expected one (or matches its pattern in full)."""
        if isinstance(self.message, re.Pattern):
            return self.message.fullmatch(message) is not None
        return message == self.message

    def app(self, good=None):
        if isinstance(self.answer, str) and self.answer in BROKEN_KINDS:
            bad = broken_app(self.answer, good)
        else:
            answer = self.answer if isinstance(self.answer, Answer) else Answer.json(self.answer)
            bad = lambda request: answer  # noqa: E731
        if self.path is None:
            return bad
        return lambda request: bad(request) if request.path == self.path else good(request)


def broken(case_id: str, answer, error: type, message: str, **expected):
    """A ``pytest.param`` of a :class:`Broken` case with its id."""
    return pytest.param(Broken(answer, error, message, **expected), id=case_id)


def transport_failures() -> list:
    """The cases every network source meets alike: HTTP 500 on each of its 3
    attempts, and no answer within the timeout."""
    return [broken("http-500", "500", SourceError, "HTTP 500 Internal Server Error: Internal Server Error",
                   status=500, attempts=3),
            broken("timeout", "timeout", SourceError, "no answer within 0.3 s (3 attempts)", attempts=3,
                   timeout=0.3)]


def html_instead_of_json():
    """The case of a JSON API answered by an HTML error page (with 200, as some proxies send)."""
    return broken("html-error-page", "html", SourceFormatError, "expected JSON, got an HTML page ('Wikimedia Error')",
                  status=200)


BROKEN_SESSION = {"retries": 2, "deadline": 5.0, "backoff": 0.01}


def broken_session(case: Broken):
    """The session a broken-answer case runs with: on a fake clock (tests/clock.py),
    so retries, back-off and timeouts are counted, never timed."""
    return clocked_session(timeout=case.timeout, **BROKEN_SESSION)


def read_broken(case: Broken, read, good=None):
    """Serve ``case``'s answer, call ``read(url, session)`` and return
    ``(the PostmortemError it raised, the server's URL, the session, the server)``."""
    with FakeServer(case.app(good)) as server:
        session = broken_session(case)
        with pytest.raises(PostmortemError) as caught:
            read(server.url, session)
    return caught.value, server.url, session, server


def assert_broken_answer(case: Broken, read, good=None, *, path: str, source: str, secret: str | None = None):
    """``case``'s answer ends in its own error: the expected type and message,
    naming the URL (server + ``path``, or the case's own) and the ``source``, after
    the expected attempts (of that URL, where the other answers are good) and waits;
    ``secret`` (a token) appears nowhere in it."""
    err, url, session, server = read_broken(case, read, good)
    path = case.path or path
    assert type(err) is case.error
    assert str(err) == f"{url}{path}: {err.message}"
    assert case.says(err.message), err.message
    assert (err.url, err.source) == (url + path, source)
    assert getattr(err, "status", None) == case.status
    asked = session.requests_made if case.path is None else [r.path for r in server.requests].count(path)
    assert asked == case.attempts and session.fake_clock.sleeps == case.waits
    assert secret is None or secret not in str(err)
