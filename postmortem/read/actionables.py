"""The Actionables section: one item per top-level bullet (or table row),
its tasks (any form of :mod:`postmortem.core.tasks`), ``{{Done}}`` marks
(sessionstore.wiki), and the renderer's ``''(no task: …)''`` waiver."""

from __future__ import annotations

import re
from dataclasses import dataclass


from ..core.tasks import TASK_MARKUP, TASK_REF, find_tasks
from .layout import BULLET, Page, Section, find_section, section_lines, tables_in
from .placeholders import is_placeholder
from .tables import tree_rows
from .text import decode_text


@dataclass(frozen=True)
class ReportActionable:
    """One actionable: its text (task references and done marks removed), tasks, done."""

    text: str
    tasks: tuple[str, ...]
    done: bool
    line: int
    no_task: str | None = None  # "''(no task: reason)''": no task, on purpose

    def to_json(self) -> dict:
        return {"text": self.text, "tasks": list(self.tasks), "done": self.done, "no_task": self.no_task}


_EDGE_TASK = re.compile(
    rf"^(?:{TASK_REF}[\s\u00a0]*(?:[-–—:,]+[\s\u00a0]*)?)+"          # "T123 – text", "{{PhabT|1}}: text"
    rf"|[\s\u00a0]*(?:\([\s\u00a0]*{TASK_REF}[\s\u00a0]*\)|{TASK_REF})[\s\u00a0]*$", re.I)  # "text ({{PhabT|1}})"


_DONE = re.compile(r"[ \t\u00a0]*(?:\{\{\s*(?:done|tick|resolved|fixed|checked)\s*(?:\|[^{}]*)?\}\}|[✓✔✅☑])", re.I)


# What render writes for an actionable that has no task on purpose.
_NO_TASK = re.compile(r"[ \t\u00a0]*''\(no task:\s*(.*?)\)''", re.I)


_STRUCK = re.compile(r"^<(s|del|strike)>.*</\1>\s*$", re.S | re.I)


_EDGE_SEPARATORS = re.compile(r"^[\s\u00a0\-–—:,;]+|[\s\u00a0\-–—:,;]+$")


def read_actionables(page: Page) -> list[ReportActionable]:
    """Top-level bullets are actionables; deeper bullets add their tasks to the one above."""
    section = find_section(page.sections, "Actionables", "Action items", "Follow-up", "Followup")
    items: list[ReportActionable] = []
    for number, raw in section_lines(page, section):
        bullet = BULLET.match(raw.strip())
        if not bullet or is_placeholder(raw):
            continue
        body = raw.strip()[bullet.end():]
        if not body.strip(" .…\u00a0"):
            continue
        if len(bullet.group(1)) > 1 and items:
            items[-1] = _merge_detail(items[-1], body)
        else:
            items.append(_actionable(body, number))
    items.extend(_table_actionables(page, section))
    return items


def _actionable(body: str, number: int) -> ReportActionable:
    done = bool(_DONE.search(body)) or bool(_STRUCK.match(body.strip()))
    waiver = _NO_TASK.search(body)
    if waiver:
        body = body[:waiver.start()] + body[waiver.end():]
    return ReportActionable(_actionable_text(body), find_tasks(body), done, number,
                            decode_text(waiver.group(1)).strip() if waiver else None)


def _actionable_text(body: str) -> str:
    """The item without its done mark and the task reference it starts or ends
    with (``T123 - text``, ``text ({{PhabT|123}})``); tasks inside the text stay,
    as the plain ``T123`` a reader sees."""
    text = _DONE.sub("", body).strip()
    text = _EDGE_TASK.sub("", text)
    text = TASK_MARKUP.sub(_task_as_text, text)
    return _EDGE_SEPARATORS.sub("", decode_text(text))


def _task_as_text(match: re.Match) -> str:
    return match.group(0)[:len(match.group(0)) - len(match.group(0).lstrip())] + find_tasks(match.group(0))[0]


def _merge_detail(item: ReportActionable, body: str) -> ReportActionable:
    tasks = tuple(dict.fromkeys(item.tasks + find_tasks(body)))
    return ReportActionable(item.text, tasks, item.done, item.line, item.no_task)


def _table_actionables(page: Page, section: Section | None) -> list[ReportActionable]:
    """Actionables kept in a table: one per row that is not a header."""
    items = []
    for line, node, raw in tables_in(page, section):
        for row in tree_rows(node, raw, line):
            cells = [c for c in row if not c.header]
            if cells and any(c.text for c in cells):
                body = " ".join(c.raw for c in cells)
                items.append(_actionable(body, cells[0].line))
    return items
