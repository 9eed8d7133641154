"""Text from outside made fit for a message: the credentials this process
holds taken out of it, in whatever form a server sends them back, and the
characters that would act on a terminal taken out too.

One path: :func:`clean` is what every message goes through — each
:class:`~postmortem.core.errors.PostmortemError` (its message and its line),
every line the command prints on stderr, every error kept in the event cache,
and every piece of a server's answer a client puts into a message
(:func:`postmortem.net.responses.server_text`).

Credentials: a client passes the ones it uses (``secrets``, and the user name
of a user:password pair), and every credential the tool reads
(:func:`postmortem.net.http.secret`, the wiki's bot password, a password
in a source's URL) is :func:`hold`-ed for the life of the process, so a
message made anywhere else is cleaned of it too. A held credential of fewer
than :data:`HELD_MINIMUM` characters is left to the client that uses it: taken
out of every message, it would blank ordinary words.

A server that echoes a request sends the credential back in the form it
received it or its own: as sent, URL-encoded (``%2F``, ``+``), JSON-escaped
(``\\"``, ``\\u00f6``, ``\\/``), HTML-escaped, base64 (a Basic ``Authorization``
header, at any offset of a longer base64 text), in upper or lower case, split
across lines, spaces or ``\\n`` escapes, or cut short. Each form is matched
with those separators ignored, and so is any run of at least half of it
(:data:`FRAGMENT_MINIMUM` characters or more): what is shown of a credential is
never enough to use it. Each match becomes ``***``.

Terminal: escape sequences (CSI such as a clear-screen, OSC such as an OSC 52
clipboard write, DCS/APC/PM strings; ECMA-48 §5.3–5.6), the other C0 and C1
controls and DEL are removed (a tab and a newline stay, ``\\r\\n`` is a
newline); bidirectional and zero-width characters are shown as ``\\u202e``
(:func:`visible_invisibles`), so text cannot be made to read otherwise than
it is.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
import unicodedata
from urllib.parse import quote, quote_plus, unquote, urlsplit

HELD_MINIMUM = 8
FRAGMENT_MINIMUM = 8
MASK = "***"

_held: set[tuple[str, str | None]] = set()
_lock = threading.Lock()


def hold(secret: str | None, user: str | None = None) -> None:
    """Keep ``secret`` (and ``user``, for the user:secret forms) out of every
    message this process makes from now on."""
    if secret and len(secret) >= HELD_MINIMUM:
        with _lock:
            _held.add((secret, user or None))


def hold_url(url: str | None) -> None:
    """Hold the password of a ``scheme://user:password@host`` URL (HTTP clients
    send it as a Basic ``Authorization`` header)."""
    try:
        parts = urlsplit(url or "")
        password, user = parts.password, parts.username
    except ValueError:
        return
    if password:
        hold(unquote(password), unquote(user or ""))


def held() -> tuple[tuple[str, str | None], ...]:
    with _lock:
        return tuple(_held)


def clean(text: str, secrets=(), *, user: str | None = None) -> str:
    """``text`` safe for a terminal (:func:`printable`) and without any held
    credential or one of ``secrets`` (:func:`redact`)."""
    return redact(printable(text), secrets, user=user)


def redact(text: str, secrets=(), *, user: str | None = None) -> str:
    """``text`` with every held credential and every one of ``secrets`` (whose
    user name is ``user``, if any) replaced by ``***``, in each form and split
    the module's notes list."""
    pairs = [(s, user) for s in secrets if s] + list(held())
    if not text or not pairs:
        return text
    compact, where = _compact(text)
    spans = []
    for secret, name in pairs:
        spans += _matches(compact, _patterns(secret, name))
    return _masked(text, _merged(spans), where)


# -- the forms a credential comes back in ----------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _patterns(secret: str, user: str | None) -> tuple[tuple[str, int, frozenset], ...]:
    """Each form of ``secret`` (:func:`_forms`), the size of the runs of it
    that count, and those runs (none when only the whole form counts)."""
    patterns = []
    for form in _forms(secret, user):
        size = max(FRAGMENT_MINIMUM, -(-len(form) // 2))
        runs = frozenset(form[i:i + size] for i in range(len(form) - size + 1)) if len(form) > size else frozenset()
        patterns.append((form, size, runs))
    return tuple(patterns)


def _forms(secret: str, user: str | None) -> tuple[str, ...]:
    """Every form of ``secret`` in a server's text, compacted as the text is (:func:`_compact`)."""
    import html
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret),
             json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             json.dumps(secret)[1:-1].replace("/", "\\/"), html.escape(secret), html.escape(secret, quote=False)}
    forms.update(_base64_cores(secret.encode("utf-8")))
    if user:
        forms.add(base64.b64encode(f"{user}:{secret}".encode("utf-8")).decode("ascii"))
    return tuple(sorted({_compact(form)[0] for form in forms} - {""}))


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters that depend only on ``raw``, at each of the three
    offsets it can have in a longer base64 text, standard and URL-safe alphabet."""
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        core = encoded[-(-8 * offset // 6):(8 * (offset + len(raw))) // 6]
        if core:
            cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores


# -- matching ----------------------------------------------------------------------------------------

# What a server puts between the pieces of a value it splits: white space,
# escaped line breaks and tabs (in JSON or a log), HTML line breaks.
_SEPARATOR = re.compile(r"\s+|\\[nrt]|\\u00(?:0[9ad]|20)|<br\s*/?>", re.I)


def _compact(text: str) -> tuple[str, list[int]]:
    """``text`` without separators, in lower case, and where each of its
    characters is in ``text``."""
    kept: list[str] = []
    where: list[int] = []
    start = 0
    for match in [*_SEPARATOR.finditer(text), None]:
        end = match.start() if match else len(text)
        for index in range(start, end):
            lower = text[index].lower()
            kept.append(lower if len(lower) == 1 else text[index])
            where.append(index)
        start = match.end() if match else end
    return "".join(kept), where


def _matches(compact: str, patterns) -> list[tuple[int, int]]:
    """Spans of ``compact`` holding a form or a long enough run of one."""
    spans = []
    for form, size, runs in patterns:
        start = compact.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = compact.find(form, start + 1)
        if runs:
            spans += [(i, i + size) for i in range(len(compact) - size + 1) if compact[i:i + size] in runs]
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _masked(text: str, spans, where: list[int]) -> str:
    """``text`` with each span (in compacted positions) and what lies between
    its characters replaced by ``***``."""
    out, last = [], 0
    for start, end in spans:
        out += [text[last:where[start]], MASK]
        last = where[end - 1] + 1
    out.append(text[last:])
    return "".join(out)


# -- terminal ----------------------------------------------------------------------------------------

_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"                          # CSI (ECMA-48 §5.4)
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"      # OSC, DCS, SOS, PM, APC strings to BEL or ST
    r"|\x9b[0-?]*[ -/]*[@-~]"                           # CSI as a C1 control
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x9c|\x1b\\)?"  # C1 string controls
    r"|\x1b[ -/]*[0-~]?")                               # any other escape (nF, Fp, Fe, Fs)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without escape sequences and control characters (a tab and a
    newline stay), its invisible characters shown (:func:`visible_invisibles`)."""
    if not text:
        return text
    text = _CONTROL.sub("", _SEQUENCE.sub("", text.replace("\r\n", "\n")))
    return visible_invisibles(text)


# Bidirectional controls (Unicode TR 9: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI,
# PDI, and the marks LRM, RLM, ALM) and zero-width characters (ZWSP, ZWNJ, ZWJ,
# word joiner, BOM/ZWNBSP, invisible operators).
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060-\u2064\ufeff]")
_ZWJ = "\u200d"


def visible_invisibles(text: str) -> str:
    """Each bidirectional control and zero-width character of ``text`` as
    ``\\u202e`` (its code point, visible), but a zero-width joiner between
    two pictographs (an emoji sequence such as a family) stays."""
    if not text or not _INVISIBLE.search(text):
        return text
    return _INVISIBLE.sub(lambda m: m.group() if _joins_pictographs(text, m.start()) else
                          f"\\u{ord(m.group()):04x}", text)


def _joins_pictographs(text: str, index: int) -> bool:
    if text[index] != _ZWJ or index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    return _pictograph(after) and (_pictograph(before) or before == "\ufe0f"
                                   or unicodedata.category(before) == "Sk")


def _pictograph(char: str) -> bool:
    return unicodedata.category(char) == "So"
