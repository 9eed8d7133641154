"""Status and metadata: ``{{irdoc|status=draft}}`` or the older
``{{irdoc-draft}}`` / ``{{irdoc-review}}`` (Wikitech's Template:Irdoc), and the
``{{Incident scorecard | task | paged-num | responders-num | coordinators |
start | end | metrics | impact }}`` parameters (Wikitech's "Incident
response/Full report template"); before that template (late 2021 to 2022), the
same facts in a "Summary and Metadata" wikitable of bold labels, each followed
by its value (a ``UTC Start Timestamp:`` cell, then ``2021-11-25 07:32``); on a
plain-text copy of a page, what the rendered templates left (:mod:`._plaincopy`)."""

from __future__ import annotations

import re


from ..core.model import Problem
from ._layout import Page, template_name, template_param
from ._plaincopy import METADATA_LABELS, copy_metadata, copy_status
from ._tables import rows_of_table


METADATA_KEYS = ("task", "paged-num", "responders-num", "coordinators", "start", "end",
                 "metrics", "impact")


_IRDOC = re.compile(r"^irdoc(?:[-_ ](draft|review|final))?$")


_STATUSES = ("draft", "review", "final")


def read_status(page: Page, problems: list[Problem]) -> str | None:
    """``{{irdoc|status=…}}`` or ``{{irdoc-draft}}`` (Wikitech's Template:Irdoc); on a
    copy, its "document status: …" line."""
    for line, node in page.templates:
        match = _IRDOC.match(template_name(node))
        if not match:
            continue
        if match.group(1):
            return match.group(1)
        value = template_param(node, "status")
        if value is None:
            return None
        value = value.lower()
        if value in _STATUSES:
            return value
        problems.append(Problem("unknown-status", line, f"irdoc status {value!r}"))
        return None
    return copy_status(page)


def read_metadata(page: Page) -> dict:
    """The ``{{Incident scorecard}}`` parameters as raw strings (None when absent)."""
    node = metadata_template(page)
    if node is not None:
        return {key: template_param(node, key) for key in METADATA_KEYS}
    return table_metadata(page) or copy_metadata(page, METADATA_KEYS)


def table_metadata(page: Page) -> dict | None:
    """The late-2021 metadata wikitable: a table with an "Incident ID" label cell,
    each label cell followed by its value cell (an empty value is None)."""
    for table in page.tables:
        cells = [cell for row in rows_of_table(table) for cell in row]
        labels = [_label(cell.text) for cell in cells]
        if "incident id" not in labels:
            continue
        found: dict = {}
        for index, label in enumerate(labels[:-1]):
            key = METADATA_LABELS.get(label)
            if key and key not in found and labels[index + 1] not in METADATA_LABELS:
                found[key] = cells[index + 1].raw.strip() or None
        return {key: found.get(key) for key in METADATA_KEYS}
    return None


def _label(text: str) -> str:
    """A label cell's text as a key of METADATA_LABELS: bold and colon dropped."""
    return text.replace("'''", "").strip().rstrip(":").strip().lower()


def metadata_template(page: Page):
    for _, node in page.templates:
        if template_name(node) == "incident scorecard":
            return node
    for node in page.code.filter_templates(recursive=True):  # nested in a div or table
        if template_name(node) == "incident scorecard":
            return node
    return None
