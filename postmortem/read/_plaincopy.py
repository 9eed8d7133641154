"""What a plain-text copy of a rendered report page shows in place of its
templates (tests/fixtures/reports/corpus/*.txt): the status line
("document status: in-review"), the page's own title line, and the
{{Incident scorecard}} metadata table flattened in one of three ways:

* rows of two label/value pairs, ``Incident ID 2022-05-09 confctl Start
  2022-05-09 07:44:00`` / ``Task T309691 End 2022-05-09 07:51:00`` (2022 on; the
  late-2021 table says ``UTC Start Timestamp:`` and ``Incident Task``);
* a pipe table, ``| Start | 2025-06-25 09:46:00 |``;
* a label line, then its value on the next non-blank line (``Start`` / ``2025-05-08
  17:16``), with an empty value simply missing.

Values are returned as the raw strings the template would hold; only pages
without the template are read this way.
"""

from __future__ import annotations

import re

from ._layout import Page

# The rendered template's labels (Wikitech's Template:Incident scorecard) -> metadata keys.
METADATA_LABELS = {
    "incident id": None, "start": "start", "utc start timestamp": "start", "task": "task",
    "incident task": "task", "end": "end", "utc end timestamp": "end", "people paged": "paged-num",
    "responder count": "responders-num", "coordinators": "coordinators", "coordinator(s)": "coordinators",
    "affected metrics/slos": "metrics", "relevant metrics / slo(s) affected": "metrics", "impact": "impact",
}


# Rows of the flattened two-column table, as each era's template lays them out.
_ROWS = (
    re.compile(r"^Incident ID\b(?P<id>.*)\s(?:UTC )?Start(?: Timestamp)?:?(?:\s+(?P<start>\S.*?))?\s*$"),
    re.compile(r"^(?:Incident )?Task\b\s*(?P<task>.*?)\s*(?:UTC )?End(?: Timestamp)?:?(?:\s+(?P<end>\S.*?))?\s*$"),
    re.compile(r"^People [Pp]aged\b\s*(?P<paged>.*?)\s*Responder [Cc]ount\b\s*(?P<responders>.*?)\s*$"),
    re.compile(r"^Coordinators?(?:\(s\))?\s*(?P<coordinators>.*?)\s*"
               r"(?:Affected metrics/SLOs|Relevant Metrics / SLO\(s\) affected)\s*(?P<metrics>.*?)\s*$"),
    re.compile(r"^Impact\s+(?P<impact>\S.*?)\s*$"),
)


_GROUP_KEYS = {"start": "start", "end": "end", "task": "task", "paged": "paged-num",
               "responders": "responders-num", "coordinators": "coordinators", "metrics": "metrics",
               "impact": "impact"}


_STATUS = re.compile(r"^\s*document status:\s*(?P<status>[\w-]+)", re.I)


_STATUSES = {"draft": "draft", "in-review": "review", "review": "review", "final": "final"}


_TITLE_LINE = re.compile(r"^(?:title:\s*)?(?P<title>Incident(?:s| documentation)/[^\n]+?)(?:\s+-\s+Wikitech(?:-static)?)?\s*$")


def copy_status(page: Page) -> str | None:
    """``document status: draft`` (``in-review`` is review) near the top of a copy."""
    for text in page.lines[:40]:
        match = _STATUS.match(text)
        if match:
            return _STATUSES.get(match["status"].lower())
    return None


def copy_title(page: Page) -> str | None:
    """The page title a copy starts with (``Incidents/2019-05-03 varnish``, or YAML ``title:``)."""
    for text in page.lines[:12]:
        match = _TITLE_LINE.match(text.strip())
        if match:
            return match["title"].strip()
    return None


def copy_metadata(page: Page, keys) -> dict:
    """The flattened metadata table of a copy, as raw strings (None when absent)."""
    found: dict = {}
    start = next((n for n, text in enumerate(page.lines) if "Incident ID" in text), None)
    if start is not None:
        region = page.lines[start:start + 40]
        if any(" | " in text or text.startswith("|") for text in region[:3]):
            _from_pipes(region, found)
        else:
            _from_rows(region, found) or _from_label_lines(region, found)
    return {key: found.get(key) for key in keys}


def _from_rows(region, found: dict) -> bool:
    for text in region[:12]:
        text = " ".join(text.split())
        for row in _ROWS:
            match = row.match(text)
            if match:
                for group, key in _GROUP_KEYS.items():
                    if group in match.groupdict() and key not in found:
                        found[key] = (match[group] or "").strip() or None
                break
    return bool(found)


def _from_pipes(region, found: dict) -> None:
    for text in region[:12]:
        if "|" not in text:
            continue
        cells = [c.strip() for c in text.strip().strip("|").split("|")]
        for index, cell in enumerate(cells[:-1]):
            key = METADATA_LABELS.get(cell.lower())
            if key and key not in found:
                value = cells[index + 1]
                found[key] = None if value.lower() in METADATA_LABELS or not value else value


def _from_label_lines(region, found: dict) -> bool:
    lines = [text.strip() for text in region if text.strip()]
    for index, text in enumerate(lines):
        key = METADATA_LABELS.get(text.lower())
        if key and key not in found:
            value = lines[index + 1] if index + 1 < len(lines) else ""
            found[key] = None if value.lower() in METADATA_LABELS or not value else value
    return bool(found)
