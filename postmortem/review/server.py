"""The review page's local web server (Flask): one incident, one person, this
machine only.

Safe as a local server: it binds 127.0.0.1; every address starts with a random
token the command prints and opens (a request without it gets 403); a request
naming another host (DNS rebinding), sent from another origin (``Origin``) or
from another site (``Sec-Fetch-Site``) gets 403, and the API takes only JSON
(a form of another site cannot send it); every answer forbids other origins'
resources and framing (Content-Security-Policy) and sends no referrer (the
token is in the address). A change names the draft it was made on (its
revision): one made on a draft changed since, in another tab, is refused (409
Conflict), never kept over the other. The page is static HTML, CSS and JavaScript served
from the package; the records reach it as JSON and are shown as text.
"""

from __future__ import annotations

import secrets
import threading
from importlib import resources

from flask import Flask, Response, abort, jsonify, request
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from ..core.errors import PostmortemError
from ..core.evidence import MARKER_KINDS
from ..core.vocabulary import KEY_MOMENTS
from ..timeline.gather import gather
from ..incident.load import load_incident
from ..write.render import render_report
from .draft import (NotSaved, StaleDraft, check_based_on, draft_from_json, drop_draft, keep_draft, load_draft,
                    transcript, with_draft)
from .store import save_draft

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
STATIC = {"index.html": "text/html", "review.js": "text/javascript", "review.css": "text/css"}
SAFE_FETCH_SITES = {"same-origin", "none"}


class Review:
    """The incident under review: its gathered records (read once) and the draft."""

    def __init__(self, incident_path: str):
        self.path = incident_path
        self.records = gather(load_incident(incident_path))
        self.draft = load_draft(self.records)
        self.lock = threading.RLock()   # one change at a time: the server answers requests in threads

    def state(self) -> dict:
        draft = self.draft
        incident = self.records.incident
        return {"incident": {"id": incident.id, "start": incident.start.isoformat(),
                             "end": incident.end.isoformat() if incident.end else None, "path": self.path},
                "kinds": MARKER_KINDS, "moments": list(KEY_MOMENTS), "records": transcript(self.records),
                "draft": draft.to_json(), "revision": draft.revision()}

    def keep(self, data) -> None:
        """Keep the draft the page sent, unless it was shown an older one (StaleDraft)."""
        draft = draft_from_json(data)
        with self.lock:
            check_based_on(data, self.draft)
            self.draft = draft
            keep_draft(self.path, draft)

    def preview(self) -> str:
        """The report with the draft's narrative, as HTML (the Markdown renderer's
        report through markdown-it, raw HTML off: the text shows as written)."""
        markdown = render_report(with_draft(self.records, self.draft), fmt="markdown")
        return _markdown().render(markdown)

    def save(self, data) -> None:
        """Keep the page's draft (as :meth:`keep`), then write it into the file."""
        with self.lock:
            self.keep(data)
            try:
                save_draft(self.path, self.draft)
            except PostmortemError as err:   # the page goes on from the draft kept, not the one before
                raise NotSaved(err, self.draft.revision()) from None
            drop_draft(self.path)
            self.records = gather(load_incident(self.path))


def create_app(incident_path: str, token: str | None = None) -> Flask:
    """The app; ``app.config["TOKEN"]`` its token, ``app.config["HOSTS"]`` the
    Host headers it answers (set by :func:`serve` once the port is known)."""
    review = Review(incident_path)
    app = Flask(__name__, static_folder=None)
    app.config.update(TOKEN=token or secrets.token_urlsafe(24), HOSTS=set())
    prefix = "/<token>/"

    @app.before_request
    def guard():
        if not _allowed(app.config):
            abort(403)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update({"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
                                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
        return response

    @app.get(prefix)
    def index(token):
        return _static("index.html")

    @app.get(prefix + "static/<name>")
    def static_file(token, name):
        return _static(name)

    @app.get(prefix + "api/state")
    def state(token):
        return jsonify(review.state())

    @app.put(prefix + "api/draft")
    def put_draft(token):
        review.keep(_json())
        return jsonify({"kept": True, "revision": review.draft.revision()})

    @app.get(prefix + "api/preview")
    def preview(token):
        return jsonify({"html": review.preview()})

    @app.post(prefix + "api/save")
    def save(token):
        review.save(_json())
        return jsonify({"saved": review.path, "state": review.state()})

    @app.errorhandler(StaleDraft)
    def conflict(err: StaleDraft):
        return jsonify({"error": str(err), "stale": True, "revision": err.current}), 409

    @app.errorhandler(NotSaved)
    def not_saved(err: NotSaved):
        return jsonify({"error": str(err), "kept": err.kept}), 400

    @app.errorhandler(PostmortemError)
    def refused(err: PostmortemError):
        return jsonify({"error": str(err)}), 400

    return app


def _markdown() -> MarkdownIt:
    """CommonMark with tables, raw HTML off; a picture is named, not loaded (the
    graphs are files `render -o` writes, not served here)."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("image", lambda self, tokens, idx, options, env:
                       escapeHtml(f"[picture: {tokens[idx].content}]"))
    return md


def _allowed(config) -> bool:
    """The token, our own host, our own origin, our own site."""
    token = request.path.split("/")[1] if request.path.count("/") >= 2 else ""
    if not secrets.compare_digest(token.encode(), config["TOKEN"].encode()):
        return False
    if config["HOSTS"] and request.host not in config["HOSTS"]:
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin not in {f"http://{host}" for host in config["HOSTS"]}:
        return False
    return request.headers.get("Sec-Fetch-Site", "none") in SAFE_FETCH_SITES


def _json():
    if not request.is_json:
        abort(415)
    return request.get_json(silent=True)


def _static(name: str) -> Response:
    if name not in STATIC:
        abort(404)
    body = resources.files(__package__).joinpath("static", name).read_bytes()
    return Response(body, mimetype=STATIC[name])
