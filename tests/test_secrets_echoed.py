"""No credential in any message, cache or exception text (issue 22, item 4).

Servers that echo the request they got — a MediaWiki whose login answer holds
the bot password (an HTTP 500 body, ``error.info``, the login ``reason``), and
every source that sends a token, answering with it URL-encoded, JSON-escaped,
in base64, in capitals or split across lines — and bodies that hold terminal
escape sequences. The fake servers speak each API's own shapes
(https://www.mediawiki.org/wiki/API:Login, API:Errors_and_warnings; the
sources' as in their own tests); what they echo is what they were sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
from urllib.parse import quote_plus

import pytest

from postmortem.cli import main
from postmortem.collect import cache
from postmortem.net.http import BoundedSession
from postmortem.net.mediawiki import Wiki
from postmortem.collect.pull import pull
from postmortem.collect.sources import get_source
from postmortem.core.accounting import Tally
from postmortem.core.errors import PostmortemError, WikiError
from postmortem.core.model import SourceConfig, Window
from postmortem.incident.load import load_incident
from tests.conftest import write_incident
from tests.services import Answer, FakeServer

# Made up, with every kind of character that is written otherwise URL-encoded,
# JSON-escaped or HTML-escaped.
USER = "Admin@postmortem"
PASSWORD = 'Tr0ub4dor/&3+w\u00f6rd"x\\y=z<q>'
TERMINAL = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b31m"   # clear screen, OSC 52 clipboard write, C1 CSI


def leaks(text: str, secret: str, user: str = USER) -> list[str]:
    """The forms of ``secret`` in ``text`` or in the base64 runs in it decoded
    (spacing, line breaks and case aside), where any run of half a form counts
    as the form."""
    decoded = [base64.b64decode(run[:len(run) // 4 * 4] + "==", altchars=b"+/").decode("utf-8", "replace")
               for offset in range(4) for run in re.findall(r"[A-Za-z0-9+/]{16,}", text[offset:])]
    flat = re.sub(r"\s+|\\[nrt]", "", " ".join([text, *decoded])).lower()
    forms = {"as is": secret, "url-encoded": quote_plus(secret), "json": json.dumps(secret)[1:-1],
             "basic": base64.b64encode(f"{user}:{secret}".encode()).decode()}
    found = []
    for name, form in forms.items():
        form = re.sub(r"\s+", "", form).lower()
        half = max(6, len(form) // 2)
        if any(form[i:i + half] in flat for i in range(len(form) - half + 1)):
            found.append(name)
    return found


# -- the wiki ----------------------------------------------------------------------------

def _password_sent(request) -> str:
    return request.form["lgpassword"][0]


# How a server sends back what it got: the form as it came, its password as
# such, PHP's json_encode of the form (\/ and \u00f6), wrapped every 5
# characters, the Basic header a proxy would make of it, in capitals.
ECHOES = {
    "as-sent": lambda request: request.body.decode(),
    "decoded": _password_sent,
    "json-escaped": lambda request: json.dumps(request.form).replace("/", "\\/"),
    "split": lambda request: "\n".join(_password_sent(request)[i:i + 5] for i in range(0, len(PASSWORD), 5)),
    "basic": lambda request: "Authorization: Basic " + base64.b64encode(
        f"{request.form['lgname'][0]}:{_password_sent(request)}".encode()).decode(),
    "capitals": lambda request: _password_sent(request).upper(),
}

# Where a wiki puts it: the three ways of issue 22, and an HTML error page's title.
WAYS = {
    "http-500": lambda said: Answer(500, f"Fatal error: Uncaught TypeError in ApiLogin.php: {said}",
                                    {"Content-Type": "text/plain"}),
    "http-500-html": lambda said: Answer.html(f"<html><head><title>Internal error: {html.escape(said)}</title>"
                                              f"</head></html>", 500),
    "error-info": lambda said: Answer.json({"error": {"code": "internal_api_error_TypeError",
                                                      "info": f"[c0ffee] Exception caught: {said}"}}),
    "login-reason": lambda said: Answer.json({"login": {"result": "Failed",
                                                        "reason": f"Incorrect password entered: {said}"}}),
}


def echoing_wiki(way: str, echo=ECHOES["decoded"], before: str = ""):
    """A MediaWiki api.php that gives a login token, then answers the login
    with what it got (``echo``) in the place ``way`` says."""
    def app(request):
        if request.method == "GET":
            return Answer.json({"batchcomplete": True, "query": {"tokens": {
                "logintoken": "9ed1499d99c0c34c73faa07157b3b6075b427365+\\"}}})
        return WAYS[way](before + echo(request))
    return app


def login_error(app, password: str = PASSWORD) -> WikiError:
    with FakeServer(app) as server:
        with pytest.raises(WikiError) as caught:
            Wiki(server.url + "/api.php", retries=0, session=BoundedSession(retries=0, timeout=5, deadline=None)
                 ).login(USER, password)
    return caught.value


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize("way", WAYS)
def test_a_wiki_echoing_the_login_gets_the_password_into_no_message(way, echo):
    err = login_error(echoing_wiki(way, ECHOES[echo]))
    for text in (str(err), err.message, *map(str, err.args), repr(err)):
        assert leaks(text, PASSWORD) == [], text
    assert "\n" not in str(err) and ("***" in str(err) or str(err).endswith("…'"))  # or cut before it
    if way.startswith("http-500"):
        assert "HTTP 500" in str(err)


def test_a_password_too_short_to_hold_is_still_kept_out_by_the_wiki_client():
    short = "p/7+x\u00f6"       # under the 8 characters held for every message: the client's own redaction
    err = login_error(echoing_wiki("error-info", ECHOES["as-sent"]), short)
    assert quote_plus(short) not in str(err) and "lgpassword=***" in str(err)


def test_terminal_controls_in_a_wiki_error_reach_no_terminal(run_cli, tmp_path, monkeypatch):
    path = write_incident(tmp_path, "")
    with FakeServer(echoing_wiki("error-info", before=TERMINAL)) as server:
        monkeypatch.setenv("POSTMORTEM_WIKI_USER", USER)
        monkeypatch.setenv("POSTMORTEM_WIKI_PASSWORD", PASSWORD)
        code, out, err = run_cli("publish", path, "--wiki", server.url + "/api.php")
    assert code == 1 and out == ""
    assert err.startswith("postmortem: error: ") and err.count("\n") == 1
    assert "the wiki refused the request: [c0ffee] Exception caught: *** (internal_api_error_TypeError)" in err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", err) and leaks(err, PASSWORD) == []


# -- the sources ---------------------------------------------------------------------------

TOKEN = "xoxb-4242-ECHOED-BACK-token-Zq8vT3k"
API_KEY = "6b0a2f4e-91c3-4d7e-b5a8-0c1d2e3f4a5b"
WINDOW = Window(dt.datetime(2023, 9, 28, 14, tzinfo=dt.timezone.utc),
                dt.datetime(2023, 9, 28, 16, tzinfo=dt.timezone.utc))

# Each source with a credential, and what it reads the credential from.
SOURCES = {
    "slack": {"channel": "C0123", "token_env": "PM_ECHO_TOKEN"},
    "alertmanager": {"token_env": "PM_ECHO_TOKEN"},
    "prometheus": {"token_env": "PM_ECHO_TOKEN"},
    "pagerduty": {"token_env": "PM_ECHO_TOKEN"},
    "splunk-oncall": {"org": "wikimedia", "api_id_env": "PM_ECHO_ID", "api_key_env": "PM_ECHO_TOKEN"},
}


def wrapped(text: str, width: int = 7) -> str:
    """``text`` cut into lines of ``width`` characters, as a server wraps a long line."""
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def echo_request(request) -> str:
    """What a request carried that can hold a credential: its headers but the
    usual ones (the first 200 characters of a body are shown), and its body."""
    usual = {"host", "user-agent", "accept", "accept-encoding", "connection", "content-length"}
    headers = " ".join(f"{name}: {value}" for name, value in request.headers.items() if name.lower() not in usual)
    return f"{headers} {request.body.decode()}".strip()


SPLITS = {
    "wrapped-500": lambda request: Answer(500, f"upstream said: {wrapped(echo_request(request))}",
                                          {"Content-Type": "text/plain"}),
    "escaped-401": lambda request: Answer.json({"ok": False, "error": {  # PagerDuty's envelope, and Slack's "ok"
        "message": f"Authentication failed for {json.dumps(echo_request(request))[:30]}", "code": 2006,
        "errors": [wrapped(echo_request(request), 11)]}}, status=401),
    "base64-403": lambda request: Answer(403, "denied: " + base64.b64encode(echo_request(request).encode()).decode(),
                                         {"Content-Type": "text/plain"}),
}


@pytest.fixture
def echo_credentials(monkeypatch):
    monkeypatch.setenv("PM_ECHO_TOKEN", TOKEN)
    monkeypatch.setenv("PM_ECHO_ID", API_KEY)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("kind", SOURCES)
def test_a_source_whose_server_echoes_its_token_split_says_it_nowhere(kind, split, echo_credentials):
    with FakeServer(SPLITS[split]) as server:
        config = SourceConfig(kind, {"type": kind, "url": server.url, **SOURCES[kind]}, index=0)
        with pytest.raises(PostmortemError) as caught:
            get_source(kind).read(config, WINDOW, session=BoundedSession(retries=0, timeout=5), tally=Tally())
    assert server.requests, "the server was asked"
    for text in (str(caught.value), repr(caught.value)):
        assert leaks(text, TOKEN) == [] and leaks(text, API_KEY) == [], text


def test_a_failed_pull_keeps_its_error_in_the_cache_redacted_and_later_commands_say_it_so(
        tmp_path, echo_credentials, capsys):
    refused = lambda request: Answer(401, f"invalid_auth: {wrapped(echo_request(request))}",  # noqa: E731
                                     {"Content-Type": "text/plain"})
    with FakeServer(refused) as server:
        path = write_incident(tmp_path, f'[[source]]\ntype = "slack"\nurl = "{server.url}"\nchannel = "C0123"\n'
                                        f'token_env = "PM_ECHO_TOKEN"\n')
        incident = load_incident(path)
        with pytest.raises(PostmortemError) as strict:
            pull(incident, strict=True)
        assert main(["pull", str(path)]) == 1
        pulled = capsys.readouterr()
    stored = cache.cache_path(incident).read_text(encoding="utf-8")
    assert "HTTP 401" in json.loads(stored)["failed"][cache.source_key(incident.sources[0])]["error"]
    assert main(["check", str(path)]) == 1
    checked = capsys.readouterr()
    for text in (str(strict.value), pulled.out, pulled.err, stored, checked.out, checked.err):
        assert leaks(text, TOKEN) == [], text
    assert "FAILED" in pulled.err and "HTTP 401 Unauthorized: invalid_auth: " in checked.out + checked.err


def test_chat_text_reaches_a_terminal_without_what_acts_on_it(run_cli, tmp_path, monkeypatch):
    """`timeline --format json` escapes C0 controls, not C1 ones or bidirectional
    overrides: on a terminal they are taken out (or shown), into a pipe kept."""
    import sys
    (tmp_path / "20230928.log").write_text("[14:33:05] <mallory> see \x9b2J\u202etxt.exe\n", encoding="utf-8")
    path = write_incident(tmp_path, '[[source]]\ntype = "irc"\npath = "20230928.log"\n')
    code, piped, _ = run_cli("timeline", path, "--format", "json")
    assert code == 0 and "\x9b2J\u202e" in piped
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, shown, _ = run_cli("timeline", path, "--format", "json")
    assert code == 0 and "see \\u202etxt.exe" in shown and not re.search("[\x80-\x9f\u202e]", shown)


def test_a_password_in_a_source_url_is_in_no_message(tmp_path):
    """``https://user:password@host`` travels as a Basic Authorization header
    (RFC 7617); a server that echoes it, and the URL an error names, show neither."""
    password = "Zq8-vT3k/Lm0Np"
    echo = lambda request: Answer(401, f"bad credentials {request.headers.get('Authorization')} for "  # noqa: E731
                                       f"{request.path}", {"Content-Type": "text/plain"})
    with FakeServer(echo) as server:
        url = server.url.replace("://", f"://prom:{quote_plus(password)}@")
        path = write_incident(tmp_path, f'[[source]]\ntype = "alertmanager"\nurl = "{url}"\n')
        incident = load_incident(path)
        with pytest.raises(PostmortemError) as caught:
            pull(incident, strict=True)
    assert server.requests[0].headers["Authorization"].startswith("Basic ")   # it was sent so
    message = str(caught.value)
    assert message.startswith(f"{server.url}/api/v2/alerts: ") and "HTTP 401" in message
    assert leaks(message, password, user="prom") == [], message


@pytest.mark.parametrize("said, shown", [
    ("clear\x1b[2J\x1b[H screen", "clear screen"),                       # CSI (ECMA-48 §5.4)
    ("copy\x1b]52;c;cHduZWQ=\x07 done", "copy done"),                    # OSC 52 ended by BEL
    ("title\x1b]0;owned\x1b\\ set", "title set"),                       # OSC ended by ST
    ("link\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\", "linkhere"),   # OSC 8 hyperlink
    ("dcs\x1bP+q544e\x1b\\ apc\x1b_x\x1b\\ end", "dcs apc end"),       # DCS and APC strings
    ("c1\x9b31m red\x9d0;t\x9c and \x85next", "c1 red and next"),       # C1 CSI, OSC, NEL
    ("unterminated\x1b]52;c;cHduZWQ=", "unterminated"),
    ("keeps\ttabs\r\nand lines\x00\x08\x7f", "keeps\ttabs\nand lines"),
    ("rtl \u202egnp.exe\u202c", "rtl \\u202egnp.exe\\u202c"),
])
def test_server_text_reaches_a_terminal_without_what_acts_on_it(said, shown):
    from postmortem.core.scrub import printable
    assert printable(said) == shown
