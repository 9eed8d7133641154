"""Save the narrative into incident.toml, keeping the file's comments and
layout (tomlkit edits the document in place): the markers replace the
``[[event]]`` entries that have a ``kind`` — the other entries stay as they
are, where they are — and the questions go to ``[review] questions``. The new
text is read back as incident.toml before it is written (atomically): a
draft the loader would refuse changes nothing on disk.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.items import Comment, Whitespace

from ..core.errors import InputError
from ..core.files import write_atomically
from ..incident.load import parse_incident
from .draft import Draft, DraftMarker


def save_draft(incident_path: str, draft: Draft) -> str:
    """Write ``draft`` into the incident file; the new text."""
    path = Path(incident_path)
    for index, marker in enumerate(draft.markers, 1):
        if not marker.summary:
            raise InputError(f"marker {index} ({marker.kind}, {marker.time}) has no summary: write its line first")
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    _put_markers(document, draft.markers)
    _put_questions(document, draft.questions)
    text = tomlkit.dumps(document)
    parse_incident(text, path)   # what the loader refuses is not written
    write_atomically(path, text)
    return text


def _put_markers(document, markers: tuple[DraftMarker, ...]) -> None:
    """The marker tables replaced by the draft's, after the other entries; the
    comments and blank lines that end the array (before the next table) stay at its end."""
    fresh = "event" not in document   # tomlkit separates the tables of a new array itself
    if fresh:
        if not markers:
            return
        document.add(tomlkit.nl())
        document.append("event", tomlkit.aot())
    events = document["event"]
    ending = _take_ending(events[-1]) if len(events) else [(None, tomlkit.nl())]
    for index in reversed(range(len(events))):
        if "kind" in events[index]:
            del events[index]
    if len(events):
        _take_ending(events[-1])
        events[-1].add(tomlkit.nl())
    for marker in markers:
        events.append(_table(marker))
        if not fresh:
            events[-1].add(tomlkit.nl())
    if not len(events):
        del document["event"]
        return
    _take_ending(events[-1])
    events[-1].value.body.extend(ending)


def _take_ending(table) -> list:
    """Take the comments and blank lines after a table's last key (tomlkit keeps
    them in the table's body: the lines before the next table)."""
    body, ending = table.value.body, []
    while body and body[-1][0] is None and isinstance(body[-1][1], (Whitespace, Comment)):
        ending.insert(0, body.pop())
    return ending


def _table(marker: DraftMarker):
    table = tomlkit.table()
    table.add("kind", marker.kind)
    table.add("time", marker.time)
    table.add("summary", marker.summary)
    table.add("evidence", _list(marker.evidence))
    if marker.tags:
        table.add("tags", _list(marker.tags))
    if marker.notes:
        table.add("notes", tomlkit.string(marker.notes, multiline="\n" in marker.notes))
    return table


def _list(items) -> object:
    array = tomlkit.array()
    array.extend(items)
    if len(items) > 1:
        array.multiline(True)
    return array


def _put_questions(document, questions: tuple[str, ...]) -> None:
    if "review" not in document:
        if not questions:
            return
        if not tomlkit.dumps(document).endswith("\n\n"):
            document.add(tomlkit.nl())
        document.add("review", tomlkit.table())
    document["review"]["questions"] = _list(questions)
