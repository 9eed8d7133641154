"""What every network answer is checked for, by the sources and the wiki
client alike: a URL fit for messages, secrets kept out of them, the reason an
HTTP error gives, and a JSON body (an HTML error page or broken JSON named as
such). Works on any requests-like response; imports no HTTP stack."""

from __future__ import annotations

import functools
import inspect
import re
from html import unescape
from urllib.parse import urlsplit

from ..core.nesting import TooDeep, load_json

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def public_url(url: str) -> str:
    """A URL fit for messages: scheme, host and path only (no query: tokens travel there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def redact(text: str, secrets=()) -> str:
    """``text`` with every secret replaced by ``***``."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text


def shorten(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most about ``limit`` characters: cut at a word
    boundary and marked with " …" (never mid-word, never a dangling quote or URL)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


def status_problem(response, secrets=()) -> str | None:
    """``HTTP 500 Internal Server Error: <reason>`` for a non-2xx answer (the
    reason an HTML title or the body's first 200 characters, redacted); None
    for a 2xx answer."""
    if 200 <= response.status_code < 300:
        return None
    message = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    reason = _body_hint(response, secrets)
    return f"{message}: {reason}" if reason else message


def decode_json(response, secrets=()):
    """The JSON body of an answer; ValueError with a one-line reason for an HTML
    page or JSON that does not parse."""
    if looks_like_html(response):
        raise ValueError(f"expected JSON, got an HTML page{_title(response.text, secrets)}")
    try:
        return load_json(response.content)
    except TooDeep as err:
        raise ValueError(f"the answer is {err}") from None
    except ValueError as err:
        raise ValueError(f"answer is not valid JSON ({err}; {len(response.content)} bytes)") from None


def looks_like_html(response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind or response.content.lstrip()[:1] == b"<"


def _title(text: str, secrets) -> str:
    match = _TITLE.search(text)
    if not match:
        return ""
    title = shorten(redact(unescape(match.group(1)), secrets), 120)
    return f" ({title!r})" if title else ""


def _body_hint(response, secrets) -> str:
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        return ""
    if looks_like_html(response):
        return _title(text, secrets).strip(" ()")
    return shorten(redact(text, secrets))


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
