"""Text of Wikitech's report templates that authors are meant to replace."""

from __future__ import annotations

import re


from ..core.model import Problem
from ._layout import Page, template_param
from ._metadata import METADATA_KEYS, metadata_template


# Sentences of Wikitech's "Incident response/Full report template" (and the older
# "Incident documentation/Report Template") that authors are meant to replace;
# tests/fixtures/reports/seed-2023-09-28-mw-page-content-change-enrich.txt still holds many of them.
PLACEHOLDER_SENTENCES = (
    "Write a step by step outline of what happened",
    "Consider including a graphs of the error rate",
    "Link to a specific offset in SAL using the SAL tool",
    "(post-outage cleanup finished)",
    "(Something something)",
    "(Voila) OUTAGE ENDS",
    "(TODO) OUTAGE BEGINS",
    "Write how the issue was first detected",
    "Copy the relevant alerts that fired in this section",
    "Did the appropriate alert(s) fire? Was the alert volume manageable",
    "Add links to information that someone responding to this alert should have",
    "Add the #Sustainability (Incident Followup)",
    "Create a list of action items that will help prevent this from happening again",
    "Summary of what happened, in one or two paragraphs",
    "Who was affected and how? For user-facing outages",
    "(Use bullet points) for example:",
    "This is a short (<= 1 paragraph) of what happened",
    "Replace these notes in italics with your own text",
    "This is a step by step outline of what happened",
)


_PLACEHOLDER_LINE = re.compile(
    r"^[\s*#:\u00a0]*(?:OPTIONAL:|To do #\d|(?:…|\.\.\.)[\s\u00a0]*$)"  # "OPTIONAL: …", a lone "…"
    r"|\bTODO\b")                                                        # the template writes TODO


_TODO_TEMPLATE = re.compile(r"\{\{\s*to\s?do\s*[|}]", re.I)              # {{Todo|…}} (sessionstore.wiki)


def is_placeholder(line: str) -> bool:
    """Is this line text the report template asks authors to replace?"""
    if _PLACEHOLDER_LINE.search(line) or ("{{" in line and _TODO_TEMPLATE.search(line)):
        return True
    return any(sentence in line for sentence in PLACEHOLDER_SENTENCES)


# postmortem's own report templates (templates/*.j2) mark the comments that ask
# the author to fill a part in with this start.
FILL_IN = "To fill in:"


def find_placeholders(page: Page) -> list[Problem]:
    found = []
    for number, line in enumerate(page.lines, 1):
        if line.strip() and is_placeholder(line):
            found.append(Problem("placeholder", number, line.strip()[:200]))
    found.extend(Problem("placeholder", number, f"<!-- {text[:200]} -->")
                 for number, text in page.comments if text.startswith(FILL_IN))
    found.extend(_placeholder_metadata(page))
    return sorted(found, key=lambda p: (p.line is None, p.line or 0))


def _placeholder_metadata(page: Page) -> list[Problem]:
    """``start = YYYY-MM-DD hh:mm:ss`` and the like, left in {{Incident scorecard}}."""
    node = metadata_template(page)
    if node is None:
        return []
    line = next((n for n, t in page.templates if t is node), None)
    found = []
    for key in METADATA_KEYS:
        value = template_param(node, key) or ""
        if "YYYY" in value or "hh:mm" in value or is_placeholder(value):
            found.append(Problem("placeholder", line, f"Incident scorecard {key} = {value[:80]}"))
    return found
