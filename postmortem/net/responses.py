"""What every network answer is checked for, by the sources and the wiki
client alike: a URL fit for messages, secrets kept out of them, the reason an
HTTP error gives, and a JSON body (an HTML error page or broken JSON named as
such). Works on any requests-like response; imports no HTTP stack.

Whatever a server says that goes into a message goes through
:func:`server_text`: cleaned (:func:`postmortem.core.scrub.clean`: the
credentials the client holds, in any form or split, and terminal controls
taken out) before it is cut short."""

from __future__ import annotations

import functools
import inspect
import re
from html import unescape
from urllib.parse import urlsplit

from ..core.nesting import TooDeep, load_json
from ..core.scrub import clean

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def public_url(url: str) -> str:
    """A URL fit for messages: scheme, host and path only (no query: tokens
    travel there; no user:password@ either)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


# The part of a server's text looked at (a body can be 128 MB; a message shows 200 characters of it).
LOOKED_AT = 1 << 16


def server_text(text, secrets=(), *, user: str | None = None, limit: int = 200) -> str:
    """What a server said, fit for a message: cleaned of ``secrets`` (whose
    user name is ``user``), of every held credential and of terminal controls,
    on one line, at most about ``limit`` characters (:func:`shorten`)."""
    return shorten(clean(str(text)[:LOOKED_AT], secrets, user=user), limit)


def shorten(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most about ``limit`` characters: cut at a word
    boundary and marked with " …" (never mid-word, never a dangling quote or URL)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


def status_problem(response, secrets=(), *, user: str | None = None) -> str | None:
    """``HTTP 500 Internal Server Error: <reason>`` for a non-2xx answer (the
    reason an HTML title or the body's first 200 characters, :func:`server_text`);
    None for a 2xx answer."""
    if 200 <= response.status_code < 300:
        return None
    message = f"HTTP {response.status_code} {server_text(response.reason or '')}".rstrip()
    reason = _body_hint(response, secrets, user)
    return f"{message}: {reason}" if reason else message


def decode_json(response, secrets=(), *, user: str | None = None):
    """The JSON body of an answer; ValueError with a one-line reason for an HTML
    page or JSON that does not parse."""
    if looks_like_html(response):
        raise ValueError(f"expected JSON, got an HTML page{_title(response.text, secrets, user)}")
    try:
        return load_json(response.content)
    except TooDeep as err:
        raise ValueError(f"the answer is {err}") from None
    except ValueError as err:
        raise ValueError(f"answer is not valid JSON ({err}; {len(response.content)} bytes)") from None


def looks_like_html(response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind or response.content.lstrip()[:1] == b"<"


def _title(text: str, secrets, user: str | None = None) -> str:
    match = _TITLE.search(text[:LOOKED_AT])
    if not match:
        return ""
    title = server_text(unescape(match.group(1)), secrets, user=user, limit=120)
    return f" ({title!r})" if title else ""


def _body_hint(response, secrets, user: str | None) -> str:
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    if looks_like_html(response):
        return _title(text, secrets, user).strip(" ()")
    return server_text(text, secrets, user=user)


SHAPE_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError)


def answer_shaped(method):
    """For a client's methods that read answers: an answer not in the API's
    shape (a field missing, of another type) is the client's own error
    (``self._answer_error(message, "badjson")``, naming the URL), never an
    internal error; generators are guarded as they yield."""
    def failure(self, err):
        return self._answer_error(f"the answer to {method.__name__} is not in the API's shape "
                                  f"({type(err).__name__}: {str(err)[:80]})", "badjson")

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except SHAPE_ERRORS as err:
                raise failure(self, err) from None
        return generator

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SHAPE_ERRORS as err:
            raise failure(self, err) from None
    return guarded
