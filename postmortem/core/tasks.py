"""The one place that knows the Phabricator task syntax (``T123``).

How people write a task on Wikitech (Wikitech's report pages; the templates
are Wikitech's Template:PhabT and Template:Phabricator, and ``phab:`` is its
interwiki prefix for https://phabricator.wikimedia.org/):

* ``{{PhabT|123}}``, ``{{Phabricator|T123}}``, ``{{Task|123}}``;
* ``[[phab:T123]]``, ``[[phab:T123|label]]``, ``[[phabricator:T123]]``;
* ``https://phabricator.wikimedia.org/T123``;
* a bare ``T123``.
"""

from __future__ import annotations

import re

from .lazy_regex import LazyRegex

PHABRICATOR = "https://phabricator.wikimedia.org/"
TASK_ID = LazyRegex(r"T\d+")

TEMPLATE_NAMES = r"(?:phabT|phabricator|phab|task|bug)"
LINK_PREFIXES = r"(?:phab|phabricator)"
# A task's web address up to the task: ``https://phabricator.wikimedia.org/`` (or ``//…``), a regex fragment.
TASK_URL_BASE = r"(?:https?:)?//phabricator\.[\w.-]+/"
# Every form, for reading: each pattern's group 1 is the task number.
_TASK_PATTERNS = (
    LazyRegex(rf"\{{\{{\s*{TEMPLATE_NAMES}\s*\|\s*T?(\d+)\s*(?:\|[^{{}}]*)?\}}\}}", re.I),
    LazyRegex(rf"\[\[\s*:?\s*{LINK_PREFIXES}\s*:\s*T(\d+)", re.I),
    LazyRegex(r"phabricator\.[\w.-]+/T(\d+)\b", re.I),
    LazyRegex(r"(?<![\w/#&=.-])T(\d{3,})\b"),
)
# A task template or task link as a whole (with the blanks before it).
TASK_MARKUP = LazyRegex(
    rf"[ \t\u00a0]*\{{\{{\s*{TEMPLATE_NAMES}\s*\|\s*T?\d+\s*(?:\|[^{{}}]*)?\}}\}}"
    rf"|[ \t\u00a0]*\[\[\s*:?\s*{LINK_PREFIXES}\s*:\s*T\d+\s*(?:\|[^\]]*)?\]\]", re.I)
# One reference of any of the forms above but the URL, as a regex fragment.
TASK_REF = (rf"(?:\{{\{{\s*{TEMPLATE_NAMES}\s*\|\s*T?\d+\s*(?:\|[^{{}}]*)?\}}\}}"
            rf"|\[\[\s*:?\s*{LINK_PREFIXES}\s*:\s*T\d+\s*(?:\|[^\]]*)?\]\]|(?<![\w/#&=.-])T\d+\b)")
# One task reference in untrusted text (chat, logs, event and actionable
# texts), for writing it as a link (postmortem/write/_links.py splits the text
# before anything is escaped). Named groups, each holding the task number:
# "tpl" ``{{PhabT|123}}`` ``{{Phabricator|T123}}`` (no further arguments),
# "link" ``[[phab:T123]]`` ``[[phab:T123|label]]`` (the label, up to the first
# ``]]`` as MediaWiki reads it, in "label"), "bare" ``T123`` and the interwiki
# text ``phab:T123`` (``Phab:``, ``phabricator:``; the prefix is part of the
# reference, so that nothing of it is left beside the link; neither after a
# letter, digit, ``/``, ``#`` or backslash, so not inside a path or a word). A
# Phabricator URL is a URL, not matched here. ASCII digits only.
TASK_REFERENCE = LazyRegex(
    rf"\{{\{{[ \t]*{TEMPLATE_NAMES}[ \t]*\|[ \t]*T?(?P<tpl>[0-9]{{1,9}})[ \t]*\}}\}}"
    rf"|\[\[[ \t]*:?[ \t]*{LINK_PREFIXES}[ \t]*:[ \t]*T(?P<link>[0-9]{{1,9}})[ \t]*"
    r"(?:\|(?P<label>(?:[^\]\n]|\](?!\]))*))?\]\]"
    rf"|(?:(?<![\w/#\\]){LINK_PREFIXES}:)?(?-i:(?<![\w/#\\])T(?P<bare>[0-9]{{1,7}})(?![\w]))", re.I)

# A note in parentheses that names one task and says nothing else: ``(T123)``,
# ``(task T123)``, ``(Task: phab:T123)``, ``([[phab:T123]])``, ``({{PhabT|123}})``,
# ``(https://phabricator.wikimedia.org/T123)``, with the blanks before it.
_TASK_NOTE = LazyRegex(
    rf"[ \t\u00a0]*\([ \t]*(?:task[ \t]*:?[ \t]*)?"
    rf"(?:{TASK_REFERENCE.pattern}|{TASK_URL_BASE}T(?P<url>[0-9]{{1,9}})\b)[ \t]*\)", re.I)


def without_task_note(text: str, task: str) -> str:
    """``text`` without the notes in parentheses that only name ``task`` (see
    ``_TASK_NOTE``): for an actionable whose task the report already shows
    beside it. A note with a label of its own (``([[phab:T123|the fix]])``),
    or naming another task, stays; so does a text that is nothing but the note."""
    if task not in text and "{{" not in text:
        return text

    def keep_or_drop(match: re.Match) -> str:
        number = match["tpl"] or match["link"] or match["bare"] or match["url"]
        label = (match["label"] or "").strip()
        return "" if "T" + number == task and label in ("", task) else match.group()
    return _TASK_NOTE.sub(keep_or_drop, text).strip() or text


def is_task_id(value: str) -> bool:
    """``T123``: a ``T`` and digits, nothing else."""
    return isinstance(value, str) and TASK_ID.fullmatch(value) is not None


def require_task_id(value: str) -> str:
    """``value`` when it is a task id; ValueError otherwise."""
    if not is_task_id(value):
        raise ValueError(f"not a Phabricator task: {value!r}")
    return value


def task_url(task: str) -> str:
    """``https://phabricator.wikimedia.org/T123``."""
    return PHABRICATOR + require_task_id(task)


def find_tasks(wikitext: str) -> tuple[str, ...]:
    """Tasks named in wikitext in any of the forms above, in order of appearance, each once."""
    if "T" not in wikitext and "{{" not in wikitext:
        return ()
    found = []
    for pattern in _TASK_PATTERNS:
        found.extend((m.start(), "T" + m.group(1)) for m in pattern.finditer(wikitext))
    found.sort()
    return tuple(dict.fromkeys(task for _, task in found))
