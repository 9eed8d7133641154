"""The one place HTTP sessions are made: timeouts, bounded retry, User-Agent,
and the rules for secrets (where tokens come from, where they may be sent).

Imported only by commands that use the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import ipaddress
import math
import os
import re
import stat
import time
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .._version import __version__
from ..core.config import config_path, credential, setting
from ..core.errors import InputError, SourceError
from ..core.nesting import load_toml
from ..core.scrub import hold
from .responses import public_url, shorten

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# The largest answer read (a 500 MB body is refused, not buffered): a page of
# chat or a batch of 50 wiki pages is a few MB.
MAX_BODY = 128 << 20
CHUNK = 64 << 10
# Failures worth another attempt: the service may answer next time.
RETRY_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
T = TypeVar("T")


def user_agent() -> str:
    """A descriptive User-Agent with a contact, as Wikimedia's User-Agent policy
    asks (https://foundation.wikimedia.org/wiki/Policy:User-Agent_policy)."""
    contact = setting("contact").value   # --, POSTMORTEM_CONTACT, config.toml, the project's page
    return f"postmortem/{__version__} ({contact}) python-requests/{requests.__version__}"


def retry(attempt: Callable[[int], T], wait_for: Callable[[int, T], float | None], *,
          retries: int, deadline_at: float, sleep=time.sleep, clock=time.monotonic) -> T:
    """The one retry loop: ``attempt(n)`` for n = 0, 1, …; after each outcome
    ``wait_for(n, outcome)`` says how long to wait before the next attempt
    (None: the outcome is final). The last outcome is returned once ``retries``
    retries are spent or the wait would pass ``deadline_at`` (on ``clock``)."""
    number = 0
    while True:
        outcome = attempt(number)
        wait = wait_for(number, outcome)
        if wait is None or number >= retries or clock() + wait >= deadline_at:
            return outcome
        sleep(wait)
        number += 1


class BoundedSession(requests.Session):
    """A requests session whose every request has a timeout and whose retries
    (connection errors, timeouts, 429, 5xx) back off, honour Retry-After and
    stop at a total deadline, so one slow service cannot stall a pull for long.

    Every attempt counts in ``requests_made``; no attempt starts after the
    deadline, and each attempt's timeout is cut to the time left before it.
    ``deadline=None`` sets no deadline for the session's whole life; a caller
    bounds each of its calls with :meth:`deadline` instead (the wiki client).
    Failures that are not an HTTP answer raise :class:`SourceError` naming the
    URL (without its query string).
    """

    def __init__(self, *, timeout: float = 10.0, retries: int = 3, deadline: float | None = 60.0,
                 backoff: float = 0.5, sleep=time.sleep, clock=time.monotonic, max_body: int = MAX_BODY):
        super().__init__()
        self.max_body = max_body
        self.headers["User-Agent"] = user_agent()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep, self._clock = sleep, clock
        self.deadline_seconds = deadline
        self.deadline_at = math.inf if deadline is None else clock() + deadline
        self.requests_made = 0

    @contextlib.contextmanager
    def deadline(self, seconds: float):
        """Within the block, requests stop at ``seconds`` from now (or at the
        session's own deadline, if that comes first)."""
        saved, saved_seconds = self.deadline_at, self.deadline_seconds
        self.deadline_at = min(saved, self._clock() + seconds)
        self.deadline_seconds = seconds if self.deadline_at < saved else saved_seconds
        try:
            yield self
        finally:
            self.deadline_at, self.deadline_seconds = saved, saved_seconds

    def pause(self, seconds: float, url: str) -> None:
        """Wait ``seconds`` before the next request (a rate limit a service
        signals in its own way), on the session's clock; SourceError naming
        ``url`` when the wait would pass the deadline."""
        if self._clock() + seconds >= self.deadline_at:
            raise SourceError(f"rate limited: waiting {seconds:g} s would pass the "
                              f"{self.deadline_seconds:g} s deadline", url=public_url(url))
        self._sleep(seconds)

    def request(self, method, url, **kwargs):
        """One request, retried as the class says; the answer's body is read here,
        bounded in size and by the deadline. Redirects are followed only within
        the same origin (scheme, host and port), so that no token, cookie or form
        body ever reaches another host; another one is an error naming it."""
        hops = kwargs.pop("_hops", 0)
        kwargs.pop("allow_redirects", None)  # redirects are ours to follow (see above)
        kwargs.pop("stream", None)           # the body is always read here, bounded
        response = self._with_retries(method, url, kwargs)
        target = _redirect_target(response, url)
        if target is None:
            return response
        if method.upper() not in ("GET", "HEAD") or _origin(target) != _origin(url) or hops >= MAX_REDIRECTS:
            response.close()
            raise SourceError(f"HTTP {response.status_code}: redirected to {public_url(target)}, not followed "
                              f"(another origin, another method or too many hops: no token or cookie is sent "
                              f"there); give that URL instead", url=public_url(url))
        return self.request(method, target, _hops=hops + 1, **kwargs)

    def _with_retries(self, method, url, kwargs):
        wanted = kwargs.pop("timeout", None) or self.timeout
        tries = []

        def attempt(number):
            kwargs["timeout"] = self._attempt_timeout(wanted, url, number)
            self.requests_made += 1
            tries.append(number)
            try:
                response = super(BoundedSession, self).request(method, url, stream=True, allow_redirects=False,
                                                               **kwargs)
                self._read_body(response, url)
                return response
            except RETRY_ERRORS as err:  # a reset mid-body too: worth another attempt
                return err
            except requests.RequestException as err:
                raise SourceError(_describe(err, kwargs["timeout"], number + 1), url=public_url(url)) from None

        outcome = retry(attempt, self._wait_for, retries=self.retries, deadline_at=self.deadline_at,
                        sleep=self._sleep, clock=self._clock)
        if isinstance(outcome, Exception):
            raise SourceError(_describe(outcome, kwargs["timeout"], len(tries)), url=public_url(url)) from None
        return outcome

    def _read_body(self, response, url: str) -> None:
        """The whole body into ``response.content``, at most ``max_body`` bytes
        (after decompression) and no later than the deadline (a server that
        drips a byte a second is cut off there); SourceError beyond either."""
        if response._content is not False:  # read already (a transport that gives whole answers)
            if len(response._content or b"") > self.max_body:
                raise SourceError(self._too_big(), url=public_url(url))
            return
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise SourceError(f"the answer announces {declared} bytes, more than the {self.max_body >> 20} MB "
                              f"this tool reads: refused, not read", url=public_url(url))
        chunks, size = [], 0
        for chunk in _pieces(response):
            size += len(chunk)
            if size > self.max_body:
                response.close()
                raise SourceError(self._too_big(), url=public_url(url))
            if self._clock() > self.deadline_at:
                response.close()
                raise SourceError(f"the answer was still arriving ({size} bytes) when the "
                                  f"{self.deadline_seconds:g} s deadline passed", url=public_url(url))
            chunks.append(chunk)
        _check_length(response, declared)
        response._content = b"".join(chunks)
        response._content_consumed = True

    def _too_big(self) -> str:
        return f"the answer is larger than the {self.max_body >> 20} MB this tool reads: refused, not buffered"

    def _wait_for(self, number: int, outcome) -> float | None:
        """Back off after a connection error or timeout; after 429/5xx, the
        answer's Retry-After or the back-off; nothing after any other answer."""
        if isinstance(outcome, Exception):
            return self._backoff(number)
        if outcome.status_code not in RETRY_STATUSES:
            return None
        wait = _retry_after(outcome)
        return self._backoff(number) if wait is None else wait

    def _attempt_timeout(self, wanted: float, url: str, attempt: int) -> float:
        """The timeout for the next attempt: ``wanted``, cut to the time left."""
        left = self.deadline_at - self._clock()
        if left <= 0:
            raise SourceError(f"gave up after {attempt} attempts: the {self.deadline_seconds:g} s deadline passed",
                              url=public_url(url))
        return min(wanted, left)

    def _backoff(self, attempt: int) -> float:
        return self.backoff * (2 ** attempt)


def _pieces(response):
    """The body as it arrives: each piece is what one read of the socket gave
    (urllib3's ``read1``), so a server that drips is seen dripping, not waited
    for until a whole chunk came; urllib3's errors as requests' (a reset
    mid-body is a ChunkedEncodingError, worth another attempt)."""
    raw = response.raw
    read = raw.read1 if hasattr(raw, "read1") else raw.read  # read1: urllib3 >= 2
    while True:
        try:
            piece = read(CHUNK, decode_content=True)
        except urllib3.exceptions.ProtocolError as err:
            raise requests.exceptions.ChunkedEncodingError(err) from None
        except urllib3.exceptions.ReadTimeoutError as err:
            raise requests.ConnectionError(err) from None
        except urllib3.exceptions.DecodeError as err:
            raise requests.exceptions.ContentDecodingError(err) from None
        if not piece:  # read1 gives b"" only at the end (it waits for a decoder's output)
            return
        yield piece


def _check_length(response, declared: str) -> None:
    """A body shorter than its Content-Length is a connection lost mid-body
    (worth another attempt), whatever urllib3 says: urllib3 2 raises on it
    itself, but 1.26 (with requests 2.28, as Debian 12 ships) returns the
    truncated body as if it were whole."""
    tell = getattr(response.raw, "tell", None)
    if not declared.isdigit() or tell is None:
        return
    received = tell()   # bytes off the wire, before any decompression
    if isinstance(received, int) and received < int(declared):
        raise requests.exceptions.ChunkedEncodingError(
            f"connection lost mid-body: {received} of {declared} bytes received")


def _redirect_target(response, url: str) -> str | None:
    """The absolute URL a 3xx answer points to, or None for any other answer."""
    if response.status_code not in REDIRECTS or not response.headers.get("Location"):
        return None
    return urljoin(url, response.headers["Location"])


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def new_session(**options) -> BoundedSession:
    """A session for one source (its deadline starts now)."""
    return BoundedSession(**options)


def _retry_after(response) -> float | None:
    """Retry-After, else RateLimit-Reset (seconds until the limit resets:
    PagerDuty sends it with its 429s, PagerDuty/developer-docs
    ``docs/REST-API/04-Rate-Limits.md``); None: the back-off."""
    value = response.headers.get("Retry-After")
    if value:
        return retry_after_seconds(value)
    reset = response.headers.get("RateLimit-Reset", "").strip()
    return float(reset) if _SECONDS.fullmatch(reset) else None


_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() is true for "²", which float() refuses


def retry_after_seconds(value, *, now=time.time) -> float | None:
    """How long a ``Retry-After`` value asks to wait, in any form a server sends
    (RFC 9110 §10.2.3: ``delay-seconds`` or an HTTP-date): seconds as they are,
    a date as the seconds until it (0 when past; a date without a zone is UTC),
    on the wall clock ``now``. Anything else — negative, fractional, garbage like
    ``soon, please``, an impossible date — is None: the caller's own back-off.
    A huge wait is returned as it is; the caller's deadline decides."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return max(0.0, when.timestamp() - now())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _describe(err: Exception, timeout: float, attempts: int) -> str:
    """One line for a request that got no usable answer (no URL query, no headers)."""
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    if isinstance(err, requests.Timeout) and not isinstance(err, requests.ConnectionError):
        return f"no answer within {timeout:.3g} s{tries}"
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout:.3g} s{tries}"
    if isinstance(err, requests.ConnectionError):
        return f"{_connection_failure(err)}{tries}"
    return f"{type(err).__name__}{tries}: {_reason(err)}"


# Why a connection failed, as the operating system or TLS says it (errno texts of
# glibc, getaddrinfo's, OpenSSL's), and the same in a sentence.
_CONNECTION_FAILURES = (
    ("refused", "refused the connection"),
    ("Name or service not known", "is a host name nobody knows (DNS)"),
    ("nodename nor servname", "is a host name nobody knows (DNS)"),
    ("getaddrinfo failed", "is a host name nobody knows (DNS)"),
    ("Temporary failure in name resolution", "could not be looked up (DNS)"),
    ("Network is unreachable", "is on a network this machine cannot reach"),
    ("No route to host", "is on a network this machine cannot reach"),
    ("reset by peer", "closed the connection"),
    ("RemoteDisconnected", "closed the connection without an answer"),
    ("CERTIFICATE_VERIFY_FAILED", "showed a TLS certificate that is not trusted"),
    ("SSLError", "failed the TLS handshake"),
)


def _connection_failure(err: Exception) -> str:
    """``refused the connection``: the cause in words, else ``cannot connect: <reason>``."""
    text = str(err)
    return next((said for marker, said in _CONNECTION_FAILURES if marker in text),
                f"cannot connect: {_reason(err)}")


def _reason(err: Exception) -> str:
    """The innermost reason of a requests/urllib3 error, without URLs."""
    text = str(err)
    for marker in ("Caused by ", "(Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1].rstrip(")")
    return shorten(re.sub(r"\S+://\S+|url: \S+", "<url>", text))


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure(url: str, what: str = "credentials") -> None:
    """Secrets go only over https, or to this machine."""
    if urlsplit(url).scheme != "https" and not is_loopback(url):
        raise InputError(f"refusing to send {what} over plain http (use https)", url=public_url(url))


def secret(env_name: str, *, config_file: Path | None = None, private: bool = True) -> str:
    """A token or password: from the environment variable, else from the user's
    config file's ``[credentials]`` (:mod:`postmortem.core.config`), or from
    ``config_file`` (``NAME = "value"`` lines) when given; a file that holds it
    must be readable only by its owner. Held (:func:`postmortem.core.scrub.hold`): no message shows it
    (unless not ``private``: a user name kept beside a password)."""
    value = _secret(env_name, config_file)
    if private:
        hold(value)
    return value


def _secret(env_name: str, config_file: Path | None) -> str:
    if config_file is None:
        found = credential(env_name)
        if found.value:
            return found.value
        raise InputError(f"no secret: set the environment variable {env_name} or add it to [credentials] "
                         f"in {config_path()}")
    value = os.environ.get(env_name)
    if value:
        return value
    path = config_file.expanduser()
    if path.exists():
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InputError("others can read this file; run chmod 600 on it", file=path)
        try:
            value = load_toml(path.read_text(encoding="utf-8")).get(env_name)
        except (ValueError, OSError) as err:  # tomllib.TOMLDecodeError and TooDeep are ValueErrors
            raise InputError(f"cannot read credentials: {type(err).__name__}", file=path) from None
        if isinstance(value, str) and value:
            return value
    raise InputError(f"no secret: set the environment variable {env_name} or add it to {config_file}")
