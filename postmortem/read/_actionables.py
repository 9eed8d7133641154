"""The Actionables section: one item per top-level bullet (or table row, or a
paragraph line that starts with a task link or a checkbox, as in
s4-x1-write-overload.wiki and cloud-vps-security-groups.wiki in
tests/fixtures/reports/corpus/), its tasks (any form of
:mod:`postmortem.core.tasks`), done marks (``{{Done}}`` as in
sessionstore.wiki, ``[x]``, "(done in …)"; ``[]`` and ``[ ]`` are open), its
owner ("(owner: NAME)", as the renderer writes it), and the renderer's
``''(no task: …)''`` waiver. A bullet that only introduces sub-bullets
("Follow up on:") is not an item: its sub-bullets are. Tasks named elsewhere
on the page (Timeline, Summary) are not actionables."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


from ..core.tasks import LINK_PREFIXES, TASK_MARKUP, TASK_REF, TASK_URL_BASE, find_tasks
from ._layout import BULLET, Page, Section, bullet_level, find_section, section_lines, tables_in
from ._layout import blocks as page_blocks
from ._stamps import split_stamp
from ._placeholders import is_placeholder
from ._tables import tree_rows
from ._text import decode_text, link_labels


@dataclass(frozen=True)
class ReportActionable:
    """One actionable: its text (task references and done marks removed), tasks, done.

    Not a :class:`~postmortem.core.model.Actionable`: a report may link several
    tasks to one line and states no task's status; ``line`` is where it was read."""

    text: str
    tasks: tuple[str, ...]
    done: bool
    line: int
    no_task: str | None = None  # "''(no task: reason)''": no task, on purpose
    owner: str | None = None    # "(owner: NAME)"
    status: str | None = None   # "''(status: open, changed …)''": its task's status when the page was made

    def to_json(self) -> dict:
        return {"text": self.text, "tasks": list(self.tasks), "done": self.done, "no_task": self.no_task,
                "owner": self.owner, "status": self.status}


_EDGE_TASK = re.compile(
    rf"^(?:{TASK_REF}[\s\u00a0]*(?:[-–—:,]+[\s\u00a0]*)?)+"          # "T123 – text", "{{PhabT|1}}: text"
    rf"|[\s\u00a0]*(?:\([\s\u00a0]*{TASK_REF}[\s\u00a0]*\)|(?:{LINK_PREFIXES}:)?{TASK_REF})[\s\u00a0]*$",  # "text ({{PhabT|1}})"
    re.I)  # and "text phab:T201145", [[phab:T201145]] as a plain-text copy shows it (network-20180808.txt)


_DONE = re.compile(r"[ \t\u00a0]*(?:\{\{\s*(?:done|tick|resolved|fixed|checked)\s*(?:\|[^{}]*)?\}\}|[✓✔✅☑])", re.I)


# "(done in [[gerrit:419090]])" (cache-text-2018.wiki): done, and the note stays in the text.
_DONE_NOTE = re.compile(r"\(\s*(?:done|fixed|completed|resolved)\b[^()]*\)", re.I)


# A checkbox before the item: "[x]" done, "[]" or "[ ]" open.
_CHECKBOX = re.compile(r"^\[(?P<mark>[ \u00a0xX✓✔]?)\][\s\u00a0]*")


# What render writes for an actionable that has no task on purpose, and for its owner.
_NO_TASK = re.compile(r"[ \t\u00a0]*''\(no task:\s*(.*?)\)''", re.I)
_OWNER = re.compile(r"[ \t\u00a0]*(?:''[ \t]*)?\([ \t]*(?:owner|owners|assignee|assigned to)[ \t]*:?[ \t]*"
                    r"(?P<owner>(?:[^()]|\([^()]*\))*?)[ \t]*\)(?:[ \t]*'')?", re.I)
# What render writes for a task's state (templates/components/actionables.wiki.j2).
_STATUS = re.compile(r"[ \t\u00a0]*''\(status:[ \t]*(?P<status>[\w-]+)(?:,[ \t]*changed[ \t]+[\d: -]+(?:UTC)?)?[ \t]*\)''",
                     re.I)
_USER_LINK = re.compile(r"\[\[\s*User:(?P<name>[^|\]]+)(?:\|(?P<label>[^\]]+))?\]\]", re.I)


_STRUCK = re.compile(r"^<(s|del|strike)>.*</\1>\s*$", re.S | re.I)


_EDGE_SEPARATORS = re.compile(r"^[\s\u00a0\-–—:,;]+|[\s\u00a0\-–—:,;]+$")


# A task link whose label is words, not the task: the label is what a reader sees.
_LABELLED_TASK = re.compile(
    rf"\[\[\s*:?\s*{LINK_PREFIXES}\s*:\s*(?P<task>T\d+)\s*\|(?P<label>[^\]]+)\]\]"
    rf"|\[{TASK_URL_BASE}(?P<url_task>T\d+)[^\s\]]*\s+(?P<url_label>[^\]]+)\]", re.I)


# A task URL the item starts with (the text after it is the item; one inside the text stays).
_BARE_TASK_URL = re.compile(rf"^{TASK_URL_BASE}(?P<task>T\d+)\b(?![/?#])")


_BOLD = re.compile(r"^('{2,5})(.*)\1$", re.S)


# A paragraph line (not a bullet) that is an item: a checkbox, or a task link first.
_PARAGRAPH_ITEM = re.compile(
    rf"^(?:\[[ \u00a0xX✓✔]?\]|\[{TASK_URL_BASE}T\d+|{TASK_REF}(?![#\w]))", re.I)


_PASTED_CHAT = re.compile(r"^[+@]?<[^\s<>]{1,40}>")


def read_actionables(page: Page) -> list[ReportActionable]:
    """Top-level bullets are actionables; deeper bullets add their tasks to the one above."""
    section = find_section(page.sections, "Actionables", "Action items", "Follow-up", "Followup")
    lines = []
    body = section_lines(page, section) if section or not page.headings_lost else _headless_block(page)
    for number, raw in body:
        line = raw.strip(" \t\u00a0")
        if not line or is_placeholder(raw):
            continue
        bullet = BULLET.match(line)
        if bullet:
            indent = len(raw) - len(raw.lstrip(" \u00a0"))
            lines.append((bullet_level(bullet, indent), line[bullet.end():], number))
        elif _PARAGRAPH_ITEM.match(line):
            lines.append((1, line, number))
    items = _items([(level, body, n) for level, body, n in lines if body.strip(" .…\u00a0")])
    items.extend(_table_actionables(page, section))
    return items


def _headless_block(page: Page) -> list[tuple[int, str]]:
    """A copy that lost its headings: its actionables are the last block of bullets
    (:func:`._layout.blocks`) in which every top-level bullet names a task or starts
    with "Done" (``• Done Add geoshapes … (Task T166776)``, ``• bug T303155 Avoid
    flood…``) and none starts with a time; [] when there is no such block."""
    for block in reversed(page_blocks(page.lines)):
        bullets = [text[m.end():] for _, line in block
                   if (m := BULLET.match(text := line.strip(" \t\u00a0")))
                   and bullet_level(m, len(line) - len(line.lstrip(" \u00a0"))) == 1]
        if bullets and all((find_tasks(b) or _PLAIN_DONE.match(b)) and split_stamp(b).clock is None
                           for b in bullets):
            return block
    return []


# A plain-text copy shows {{Done}} as the word: "Done Add geoshapes …".
_PLAIN_DONE = re.compile(r"^Done\b[\s\u00a0:]*(?=\S)")


# A plain-text copy shows Wikitech's {{Status}} mark as words before the item
# (eventlogging-20141118.txt "Status:    Done Make sure that", network-20180808.txt
# "Status:    Unresolved - Fix asw2-a-eqiad topology phab:T201145").
_PLAIN_STATUS = re.compile(r"^Status:[\s\u00a0]+(?P<state>done|resolved|fixed|unresolved|open|not[\s\u00a0]+done"
                           r"|in[\s\u00a0]+progress|declined)\b[\s\u00a0]*(?:[-–—:][\s\u00a0]*)?", re.I)
_DONE_STATES = ("done", "resolved", "fixed")


# "bug T303155 Avoid flood" ({{bug|T303155}} as a copy shows it): the word goes with the task.
_TASK_WORD = re.compile(r"^(?:bug|task)[\s\u00a0]+(?=T\d)", re.I)


def _items(lines) -> list[ReportActionable]:
    """Items from (level, text, line): sub-bullets are details of the item above,
    or the items themselves under a bullet that only introduces them."""
    items: list[ReportActionable] = []
    group = None  # [level, body, line, used]: "Follow up on:" with sub-bullets
    for level, body, number in lines:
        if group is not None and level > group[0]:
            if level == group[0] + 1:
                items.append(_actionable(body, number))
                group[3] = True
            elif items:
                items[-1] = _merge_detail(items[-1], body)
            continue
        if group is not None and not group[3]:
            items.append(_actionable(group[1], group[2]))
        group = None
        if _introduces(body):
            group = [level, body, number, False]
        elif level > 1 and items:
            items[-1] = _merge_detail(items[-1], body)
        else:
            items.append(_actionable(body, number))
    if group is not None and not group[3]:
        items.append(_actionable(group[1], group[2]))
    return items


def _introduces(body: str) -> bool:
    """"Follow up on:": a short line with no task, ending with a colon."""
    text = body.strip(" \t\u00a0'")
    return text.endswith(":") and len(text) < 100 and not find_tasks(text)


def _actionable(body: str, number: int) -> ReportActionable:
    box = _CHECKBOX.match(body)
    if box:
        body = body[box.end():]
    plain_done = _PLAIN_DONE.match(body) if box is None else None
    status = _PLAIN_STATUS.match(body) if box is None and plain_done is None else None
    lead = plain_done or status
    body = _TASK_WORD.sub("", body[lead.end():] if lead else body, count=1)
    done = (bool(box and box["mark"].strip()) or bool(_DONE.search(body)) or bool(_STRUCK.match(body.strip()))
            or bool(_DONE_NOTE.search(body)) or plain_done is not None
            or bool(status and status["state"].lower() in _DONE_STATES))
    waiver = _NO_TASK.search(body)
    if waiver:
        body = body[:waiver.start()] + body[waiver.end():]
    state = _STATUS.search(body)
    if state:
        body = body[:state.start()] + body[state.end():]
    owner = _OWNER.search(body)
    if owner:
        body = body[:owner.start()] + body[owner.end():]
    return ReportActionable(_actionable_text(body), find_tasks(body), done, number,
                            decode_text(waiver.group(1)).strip() if waiver else None,
                            _owner_name(owner["owner"]) if owner else None,
                            state["status"].lower() if state else None)


def _owner_name(raw: str) -> str | None:
    link = _USER_LINK.search(raw)
    if link:
        raw = link["label"] or link["name"]
    return decode_text(raw).strip() or None


def _actionable_text(body: str) -> str:
    """The item without its done mark and the task reference it starts or ends
    with (``T123 - text``, ``text ({{PhabT|123}})``); tasks inside the text stay,
    as the plain ``T123`` a reader sees, a task link labelled with words is
    its label (``[[phab:T390529|'''Reduce …''']]``), and other links and emphasis
    are their words: the text a reader sees, which a task's title takes."""
    text = _DONE.sub("", body).strip()
    if "[" in text:
        text = _LABELLED_TASK.sub(_label_of, text)
    text = _BARE_TASK_URL.sub(r"\g<task>", text)  # "https://phabricator…/T1 - text" as "T1 - text"
    text = _EDGE_TASK.sub("", text)
    text = TASK_MARKUP.sub(_task_as_text, text)
    return _EDGE_SEPARATORS.sub("", decode_text(link_labels(text)))


def _label_of(match: re.Match) -> str:
    task = match["task"] or match["url_task"]
    label = (match["label"] or match["url_label"]).strip()
    if label == task:
        return match.group(0) if match["task"] else task  # the URL form: as the bare task
    bold = _BOLD.match(label)
    return bold.group(2).strip() if bold else label


def _task_as_text(match: re.Match) -> str:
    return match.group(0)[:len(match.group(0)) - len(match.group(0).lstrip())] + find_tasks(match.group(0))[0]


def _merge_detail(item: ReportActionable, body: str) -> ReportActionable:
    """A sub-bullet's tasks belong to the item; a quoted chat line's do not
    (toolsdb-out-of-space.wiki: "<dhinus> … removed in T313030" is context)."""
    if _PASTED_CHAT.match(body.strip()):
        return item
    return replace(item, tasks=tuple(dict.fromkeys(item.tasks + find_tasks(body))))


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
