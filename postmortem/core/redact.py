"""Secrets and personal data in text: where they are, and the text after the
``[redact]`` rules. Nothing here ever returns or prints a value found, only its
kind and its place in the text (a :class:`Hit`), so callers cannot leak it.

Secrets (publishing refuses while one is unresolved):

- ``slack-token``: ``xoxb-``, ``xoxp-``, ``xoxa-``, ``xoxe-``, ``xoxo-``, ``xoxr-``, ``xoxs-``
  (https://api.slack.com/authentication/token-types);
- ``github-token``: ``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 or more
  letters and digits, ``github_pat_…`` (GitHub's token formats,
  https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/);
- ``aws-key``: access key ids ``AKIA``/``ASIA`` + 16 capitals or digits
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html);
- ``bearer-token``: ``Bearer <b64token>`` of 16 characters or more (RFC 6750 §2.1);
- ``password``: ``password=value`` (also ``passwd``, ``pwd``, ``=`` or ``:``); after a
  colon only a value that looks like one (6+ characters with a digit or symbol,
  or 12+), so "the password: changed" is prose, and placeholders (``***``,
  ``<pass>``, ``[redacted]``, ``$VAR``) are none;
- ``private-key``: a PEM ``-----BEGIN … PRIVATE KEY-----`` block (RFC 7468 §2) to
  its END line or the end of the text.

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

_PLACEHOLDER = re.compile(r"^(?:\*+|[xX]+|\.{3}|…|<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}|\$\{?\w+\}?|%\w+%"
                          r"|redacted|hidden|secret)$", re.I)

# kind -> (pattern, the group holding the secret itself: 0 for the whole match)
SECRETS = {
    "slack-token": (re.compile(r"(?<![\w-])xox[abeoprs]-[0-9A-Za-z][0-9A-Za-z-]{8,}"), 0),
    "github-token": (re.compile(r"(?<!\w)(?:gh[opsur]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})"), 0),
    "aws-key": (re.compile(r"(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])"), 0),
    "bearer-token": (re.compile(r"\bBearer\s+([0-9A-Za-z\-._~+/]{16,}=*)", re.I), 1),
    "password": (re.compile(r"\b(?:password|passwd|pwd)(?:\s*=\s*|:\s*)(\"[^\"\n]+\"|'[^'\n]+'|[^\s\"',;]+)",
                            re.I), 1),
    "private-key": (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                               r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*)", re.S), 0),
}
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                   r"(?!\w|\.\d)")
# A candidate (validated by the ipaddress module): hex groups and at least two colons.
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


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
    for kind, (pattern, group) in SECRETS.items():
        for match in pattern.finditer(text):
            if kind == "password" and not _looks_like_password(match, group):
                continue
            _add(hits, Hit(kind, "secret", match.start(group), match.end(group)))
    for match in _EMAIL.finditer(text):
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


def _looks_like_password(match: re.Match, group: int) -> bool:
    value = match.group(group).strip("\"'")
    if not value or _PLACEHOLDER.match(value):
        return False
    if "=" in match.group(0)[:match.start(group) - match.start()]:
        return True  # password=value: a key and its value, whatever the value
    has_symbol = any(not ch.isalpha() for ch in value)
    return (len(value) >= 6 and has_symbol) or len(value) >= 12


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
