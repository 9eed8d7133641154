"""Status and metadata: ``{{irdoc|status=draft}}`` or the older
``{{irdoc-draft}}`` / ``{{irdoc-review}}`` (Wikitech's Template:Irdoc), and the
``{{Incident scorecard | task | paged-num | responders-num | coordinators |
start | end | metrics | impact }}`` parameters (Wikitech's "Incident
response/Full report template"); on a plain-text copy of a page, what the
rendered templates left (:mod:`.plaincopy`)."""

from __future__ import annotations

import re


from ..core.model import Problem
from .layout import Page, template_name, template_param
from .plaincopy import copy_metadata, copy_status


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
    if node is None:
        return copy_metadata(page, METADATA_KEYS)
    return {key: template_param(node, key) for key in METADATA_KEYS}


def metadata_template(page: Page):
    for _, node in page.templates:
        if template_name(node) == "incident scorecard":
            return node
    for node in page.code.filter_templates(recursive=True):  # nested in a div or table
        if template_name(node) == "incident scorecard":
            return node
    return None
