"""Secrets and personal data in text: where they are, and the text after the
``[redact]`` rules. Nothing here ever returns or prints a value found, only its
kind and its place in the text (a :class:`Hit`), so callers cannot leak it.

Secrets (publishing refuses while one is unresolved): the kinds of
:mod:`._secret_kinds` (cloud keys, tokens, authorization headers, webhook
URLs, JWTs, URLs with a password, private keys, passwords on command lines, in
settings and in environment assignments).

Personal data (warnings; refusals with ``[redact] strict``): ``email`` addresses
and ``ip-address``es (IPv4, IPv6) outside the ``[redact] allow`` networks; the
loopback and unspecified addresses identify nobody and are never findings.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Iterable

from ._secret_kinds import SECRETS

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                   r"(?!\w|\.\d)")
# A candidate (validated by the ipaddress module): hex groups and at least two colons.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def is_email_address(text: str) -> bool:
    """Whether ``text`` is an e-mail address (a person's: never published)."""
    return _EMAIL.fullmatch(text.strip()) is not None


def without_addresses(data):
    """JSON data (dicts and lists) with every e-mail address left out of its
    ``aka`` lists: the other names a paging service knows people by are kept
    in the cache to match them, and not printed."""
    if isinstance(data, list):
        return [without_addresses(item) for item in data]
    if isinstance(data, dict):
        return {key: [n for n in value if not is_email_address(str(n))] if key == "aka" and isinstance(value, list)
                else without_addresses(value) for key, value in data.items()}
    return data


@dataclass(frozen=True)
class Hit:
    """Where something that must not be published sits in a text: its kind, its
    category and its span (``text[start:end]`` is the value; never shown)."""

    kind: str
    category: str
    start: int
    end: int


def scan_text(text: str, allow: Iterable[str] = ()) -> list[Hit]:
    """Every secret and piece of personal data in ``text``, in text order, none
    overlapping another (secrets first). ``allow``: IP addresses or networks."""
    if not text:
        return []
    hits: list[Hit] = []
    lower = text.lower()
    for name, kind in SECRETS.items():
        if not kind.could_be_in(lower):
            continue
        for match in kind.pattern.finditer(text):
            if kind.is_one is None or kind.is_one(match):
                _add(hits, Hit(name, "secret", match.start(kind.group), match.end(kind.group)))
    for match in _EMAIL.finditer(text) if "@" in text else ():
        _add(hits, Hit("email", "personal data", match.start(), match.end()))
    networks = allowed_networks(tuple(allow))
    for pattern in (_IPV4, _IPV6):
        for match in pattern.finditer(text):
            if _reportable_address(match.group(), networks):
                _add(hits, Hit("ip-address", "personal data", match.start(), match.end()))
    return sorted(hits, key=lambda hit: hit.start)


def _add(hits: list[Hit], hit: Hit) -> None:
    if not any(hit.start < other.end and other.start < hit.end for other in hits):
        hits.append(hit)


@functools.lru_cache(maxsize=64)
def allowed_networks(allow: tuple[str, ...]) -> tuple:
    """``[redact] allow`` as networks; ValueError naming an entry that is none."""
    networks = []
    for entry in allow:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return tuple(networks)


def _reportable_address(value: str, networks) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if address.is_loopback or address.is_unspecified:
        return False
    return not any(address.version == net.version and address in net for net in networks)


# -- rules ----------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern:
    """A rule's regex (validated when incident.toml is loaded)."""
    return re.compile(pattern)


def first_match(patterns: Iterable[str], text: str) -> int | None:
    """The 1-based number of the first pattern found in ``text``, or None."""
    for number, pattern in enumerate(patterns, 1):
        if compiled(pattern).search(text):
            return number
    return None


def apply_replacements(text: str, rules, hits: list[Hit]) -> tuple[str, dict[Hit, int]]:
    """``text`` with every ``(pattern, with)`` rule applied in order (each match
    replaced by the rule's text as written), and for each hit whose value is no
    longer in the text, the 1-based number of the rule after which it was gone."""
    values = {hit: text[hit.start:hit.end] for hit in hits}
    gone: dict[Hit, int] = {}
    for number, (pattern, replacement) in enumerate(rules, 1):
        text = compiled(pattern).sub(lambda _match, r=replacement: r, text)
        for hit, value in values.items():
            if hit not in gone and value not in text:
                gone[hit] = number
    return text, gone
