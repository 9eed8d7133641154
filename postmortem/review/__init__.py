"""`postmortem review`: build the narrative of an incident in the browser.

A local page (:mod:`.server`) shows the transcript — every record of the
gathered timeline — beside the narrative the analyst writes (markers of
:data:`postmortem.core.vocabulary.MARKER_KINDS`, each with a summary, a time,
notes and records as evidence; questions for the review meeting) and the
report rendered with it. The draft is kept beside incident.toml until saved
into it (:mod:`.store`). Flask, tomlkit and markdown-it-py are the optional
extra ``review``.
"""

from __future__ import annotations

import webbrowser

from ..core.errors import InputError

MISSING = "postmortem review needs the review extra: pip install 'wikitech-postmortem[review]' ({name} is missing)"


def serve(incident_path: str, port: int = 0, open_browser: bool = True, announce=print) -> None:
    """Serve the page on 127.0.0.1 until interrupted; ``announce`` gets its address."""
    server = make_server(incident_path, port)
    url = server.review_url
    announce(f"reviewing {incident_path} at {url} (Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(url)
    server.serve_forever()


def make_server(incident_path: str, port: int = 0):
    """A werkzeug server on 127.0.0.1 (``port`` 0: a free one) with ``review_url``."""
    try:
        from werkzeug.serving import make_server as werkzeug_server
        from .server import create_app
    except ModuleNotFoundError as err:
        raise InputError(MISSING.format(name=err.name)) from None
    app = create_app(incident_path)
    server = werkzeug_server("127.0.0.1", port, app, threaded=True)
    port = server.server_port
    app.config["HOSTS"] = {f"127.0.0.1:{port}", f"localhost:{port}"}
    server.review_url = f"http://127.0.0.1:{port}/{app.config['TOKEN']}/"
    return server
