"""The settings tables of incident.toml: ``[report]``, ``[redact]`` and
``[followups]`` (:mod:`postmortem.core.settings`)."""

from __future__ import annotations

import re

from ..core.redact import allowed_networks
from ..core.settings import (CHAT_MODES, DEFAULT_MARKERS, DEFAULT_REACTIONS, FOLD_MODES, OTHERS_MODES,
                             FollowupSettings, RedactSettings, Replacement, ReportSettings)
from ._reader import Reader

REPORT_KEYS = {"chat", "reactions", "markers", "include", "others", "fold"}
REDACT_KEYS = {"allow", "private_channels", "strict", "replace", "drop"}


def report_settings(reader: Reader, table) -> ReportSettings:
    """``[report]``: which chat lines the report shows (see ReportSettings)."""
    if not isinstance(table, dict):
        reader.fail("expected a table", "report")
    reader.unknown_keys(table, REPORT_KEYS, "report")
    chat = reader.value(table, "chat", str, "report") or "marked"
    if chat not in CHAT_MODES:
        reader.fail(f"expected {', '.join(repr(m) for m in CHAT_MODES)}, got {chat!r}", "report", "chat")
    fold = reader.value(table, "fold", str, "report") or "count"
    if fold not in FOLD_MODES:
        reader.fail(f"expected {', '.join(repr(m) for m in FOLD_MODES)}, got {fold!r}", "report", "fold")
    reactions = reader.value(table, "reactions", list, "report")
    markers = reader.value(table, "markers", list, "report")
    include = reader.value(table, "include", list, "report") or []
    for pattern in include:
        _regex(reader, pattern, "report", "include")
    others = reader.value(table, "others", str, "report") or "fold"
    if others not in OTHERS_MODES:
        reader.fail(f"expected {', '.join(repr(m) for m in OTHERS_MODES)}, got {others!r}", "report", "others")
    return ReportSettings(chat=chat, others=others, reactions=tuple(r.strip(":") for r in reactions)
                          if reactions is not None else DEFAULT_REACTIONS,
                          markers=tuple(markers) if markers is not None else DEFAULT_MARKERS,
                          include=tuple(include), fold=fold)


def redact_settings(reader: Reader, table) -> RedactSettings:
    """``[redact]``: allowed addresses, private channels, strictness, and the
    replace/drop rules that resolve findings (see RedactSettings)."""
    if not isinstance(table, dict):
        reader.fail("expected a table", "redact")
    reader.unknown_keys(table, REDACT_KEYS, "redact")
    allow = tuple(reader.value(table, "allow", list, "redact") or ())
    try:
        allowed_networks(allow)
    except ValueError as err:
        reader.fail(f"{err} (give addresses like \"10.64.0.1\" or networks like \"10.0.0.0/8\")",
                    "redact", "allow")
    drop = reader.value(table, "drop", list, "redact") or []
    for pattern in drop:
        _regex(reader, pattern, "redact", "drop")
    return RedactSettings(allow=allow, strict=bool(reader.value(table, "strict", bool, "redact")),
                          private_channels=tuple(reader.value(table, "private_channels", list, "redact") or ()),
                          replace=_replacements(reader, table.get("replace", [])), drop=tuple(drop))


def _replacements(reader: Reader, rules) -> tuple[Replacement, ...]:
    """``replace = [{ pattern = "…", with = "…" }]``; ``with`` defaults to "[redacted]"."""
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        reader.fail('expected a list of { pattern = "…", with = "…" }', "redact", "replace")
    out = []
    for rule in rules:
        unknown = sorted(set(rule) - {"pattern", "with"})
        if unknown:
            reader.fail(f"unknown key {unknown[0]!r} in {{ … }} (expected pattern, with)", "redact", "replace")
        pattern, replacement = rule.get("pattern"), rule.get("with", "[redacted]")
        if not isinstance(pattern, str) or not pattern or not isinstance(replacement, str):
            reader.fail('each rule needs pattern = "a regex" (and with = "text")', "redact", "replace")
        _regex(reader, pattern, "redact", "replace")
        out.append(Replacement(pattern, replacement))
    return tuple(out)


def _regex(reader: Reader, pattern: str, table: str, key: str) -> None:
    try:
        if re.compile(pattern).search(""):
            reader.fail(f"the regex {pattern!r} matches empty text, so it would match everything", table, key)
    except re.error as err:
        reader.fail(f"not a valid regex {pattern!r}: {err}", table, key)
def followups_settings(reader: Reader, table) -> FollowupSettings:
    """``[followups]``: ``tags`` (Phabricator project names, or ``#slug``; Wikitech's
    two by default, ``[]`` for none) and ``page_url`` (``https://wiki/wiki/$1``)."""
    if not isinstance(table, dict):
        reader.fail("expected a table", "followups")
    reader.unknown_keys(table, {"tags", "page_url"}, "followups")
    tags = reader.value(table, "tags", list, "followups")
    if tags is not None and any(not tag.strip() or tag.strip() == "#" for tag in tags):
        reader.fail("a tag is a project name or #slug, not empty", "followups", "tags")
    page_url = reader.value(table, "page_url", str, "followups")
    if page_url is not None and ("$1" not in page_url or not re.match(r"^https?://[^/\s]+", page_url)):
        reader.fail("expected the address of a wiki page with $1 for its title, "
                    "e.g. \"https://wikitech.wikimedia.org/wiki/$1\"", "followups", "page_url")
    settings = {"tags": tuple(t.strip() for t in tags)} if tags is not None else {}
    return FollowupSettings(**settings, **({"page_url": page_url} if page_url else {}))
