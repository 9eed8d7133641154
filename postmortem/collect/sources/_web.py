"""What the network sources share: one request with clear errors, JSON and
HTML answers checked, tokens fetched and guarded, RFC 3339 times.

Every error names the source (``source=config.name``), the URL without its
query string, and the HTTP status when there was one (``err.status``). Text
from an answer that goes into a message is cut short and has every secret
replaced by ``***`` (a service that echoes the request must not leak a token).

The HTTP stack (``postmortem.collect.http``, requests) is imported only when a
source actually fetches, so loading an incident never imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from urllib.parse import urlsplit

from ...core.errors import IncidentFileError, PostmortemError, SourceError, SourceFormatError
from ...core.model import SourceConfig
from ...core.timeutil import UTC
from . import option

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$")


def public_url(url: str) -> str:
    """A URL fit for messages: scheme, host and path only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def redact(text: str, secrets=()) -> str:
    """``text`` with every secret replaced by ``***``."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text


def check_url(config: SourceConfig, name: str = "url", required: bool = True) -> str | None:
    """An ``http(s)://`` URL option (checked at load time, without the HTTP stack)."""
    value = option(config, name, required=required)
    if value is not None and urlsplit(value).scheme not in ("http", "https"):
        raise IncidentFileError(f"{config.name}: {name!r} must be an http(s) URL, got {value!r}",
                                file=config.file, key=name)
    if value is not None and not urlsplit(value).netloc:
        raise IncidentFileError(f"{config.name}: {name!r} has no host: {value!r}",
                                file=config.file, key=name)
    return value


def token(config: SourceConfig, url: str, *, required: bool) -> str | None:
    """The secret named by ``token_env`` (environment or the user's 0600 config
    file), only for an https or loopback ``url``; None when not configured."""
    from ..http import require_secure, secret
    env_name = option(config, "token_env", required=required)
    if env_name is None:
        return None
    require_secure(url, f"the {env_name} token")
    try:
        return secret(env_name)
    except PostmortemError as err:
        err.source = config.name
        raise


def request(session, method: str, url: str, *, source: str, secrets=(), **kwargs):
    """One request through the bounded session; a non-2xx answer raises
    SourceError with the status and a short, redacted reason."""
    try:
        response = session.request(method, url, **kwargs)
    except SourceError as err:
        raise _error(SourceError, err.message, source, url) from None
    if not 200 <= response.status_code < 300:
        reason = _body_hint(response, secrets)
        message = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
        raise _error(SourceError, f"{message}{': ' + reason if reason else ''}", source, url,
                     status=response.status_code)
    return response


def json_answer(response, *, source: str, secrets=()):
    """The JSON body of an answer; SourceFormatError for HTML or broken JSON."""
    url = response.url
    if _looks_like_html(response):
        raise _error(SourceFormatError, f"expected JSON, got an HTML page{_title(response.text, secrets)}",
                     source, url, status=response.status_code)
    try:
        return json.loads(response.content)
    except ValueError as err:
        raise _error(SourceFormatError, f"answer is not valid JSON ({err}; {len(response.content)} bytes)",
                     source, url, status=response.status_code) from None


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
    """``2023-09-28T14:33:00.123456789Z`` (Go's RFC 3339 with nanoseconds) as aware UTC."""
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if not match:
        raise format_error(f"not an RFC 3339 time: {value!r}", source=source, url=url)
    date, clock, fraction, offset = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return dt.datetime.fromisoformat(f"{date}T{clock}.{fraction}{offset}").astimezone(UTC)
    except ValueError:
        raise format_error(f"not a valid time: {value!r}", source=source, url=url) from None


def _error(kind, message: str, source: str, url: str, *, status=None):
    err = kind(message, source=source, url=public_url(url))
    err.status = status
    return err


def _looks_like_html(response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind or response.content.lstrip()[:1] == b"<"


def _title(text: str, secrets) -> str:
    match = _TITLE.search(text)
    if not match:
        return ""
    title = redact(" ".join(unescape(match.group(1)).split()), secrets)[:120]
    return f" ({title!r})" if title else ""


def _body_hint(response, secrets) -> str:
    """A short reason from an error answer: an HTML title or the first 200 characters."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    if _looks_like_html(response):
        return _title(text, secrets).strip(" ()")
    return redact(" ".join(text.split()), secrets)[:200]
