"""What the network clients share: one request with clear errors, JSON and
HTML answers checked, RFC 3339 times (a source's URL and token options are
checked in :mod:`postmortem.collect.sources`).

Every error names the source (``source=config.name``), the URL without its
query string, and the HTTP status when there was one (``err.status``). Text
from an answer that goes into a message is cut short and has every secret
replaced by ``***``, in whatever form or split the service sends it back
(:func:`postmortem.net.responses.server_text`: a service that echoes the
request must not leak a token).

The HTTP stack (``postmortem.net.http``, requests) is imported only when a
source actually fetches, so loading an incident never imports it.
"""

from __future__ import annotations

import datetime as dt

from ..core.errors import SourceError, SourceFormatError
from ..core.timeutil import parse_instant
from .responses import decode_json, public_url, server_text, status_problem


def request(session, method: str, url: str, *, source: str, secrets=(), explain=None, **kwargs):
    """One request through the bounded session; a non-2xx answer raises
    SourceError with the status and a short, redacted reason (``explain(response)``
    gives it from a service's own error body, where it has one)."""
    try:
        response = session.request(method, url, **kwargs)
    except SourceError as err:
        raise _error(SourceError, err.message, source, url) from None
    problem = status_problem(response, secrets)
    reason = explain(response) if problem and explain else None
    if reason:
        problem = f"{problem.split(':', 1)[0]}: {server_text(reason, secrets)}"
    if problem:
        raise _error(SourceError, problem, source, url, status=response.status_code)
    return response


def json_answer(response, *, source: str, secrets=()):
    """The JSON body of an answer; SourceFormatError for HTML or broken JSON."""
    try:
        return decode_json(response, secrets)
    except ValueError as err:
        raise _error(SourceFormatError, str(err), source, response.url, status=response.status_code) from None


def html_answer(response, *, source: str) -> str:
    """The text of an HTML answer; SourceFormatError for anything else."""
    kind = response.headers.get("Content-Type", "")
    if kind and "html" not in kind:
        raise _error(SourceFormatError, f"expected an HTML page, got {kind.split(';')[0]}",
                     source, response.url, status=response.status_code)
    response.encoding = response.encoding or "utf-8"
    return response.text


def format_error(message: str, *, source: str, url: str) -> SourceFormatError:
    """A SourceFormatError for an answer that does not have the documented shape."""
    return _error(SourceFormatError, message, source, url)


def parse_rfc3339(value, *, source: str, url: str) -> dt.datetime:
    """An answer's time (:func:`postmortem.core.timeutil.parse_instant`) as aware
    UTC; a SourceFormatError naming the URL when it is none."""
    try:
        return parse_instant(value)
    except ValueError as err:
        raise format_error(str(err), source=source, url=url) from None


def _error(kind, message: str, source: str, url: str, *, status=None):
    err = kind(message, source=source, url=public_url(url))
    err.status = status
    return err
