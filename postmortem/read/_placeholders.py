"""Text of Wikitech's report templates that authors are meant to replace."""

from __future__ import annotations

import re
import tomllib
from importlib import resources


from ..core.model import Problem
from ._layout import Page, template_param
from ._metadata import METADATA_KEYS, metadata_template


# Sentences of Wikitech's report templates of every era that authors are meant to
# replace, as data (template_text.toml); the seed report
# (tests/fixtures/reports/seed-2023-09-28-mw-page-content-change-enrich.txt) and
# corpus/maps-20190612.txt still hold many of them.
def _template_sentences() -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("template_text.toml").read_text(encoding="utf-8")
    return tuple(sentence for era in tomllib.loads(text)["era"] for sentence in era["sentences"])


PLACEHOLDER_SENTENCES = _template_sentences()


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
