"""Rows and cells of wiki tables, each cell with its line: from the parsed
table, or from table markup the parser left as text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mwparserfromhell.nodes import Tag

from ._text import decode_text


@dataclass(frozen=True)
class Cell:
    raw: str
    text: str
    line: int
    header: bool = False


def rows_of_table(table) -> list[list[Cell]]:
    line, node, raw = table
    return tree_rows(node, raw, line)


def tree_rows(node: Tag, raw: str, line: int) -> list[list[Cell]]:
    """Rows of cells of a parsed wiki table, each cell with its line number."""
    rows: list[list[Cell]] = [[]]
    cursor = 0
    for child in node.contents.nodes:
        if not isinstance(child, Tag):
            continue
        if child.tag == "tr":
            rows.append([])
            cells = [c for c in child.contents.nodes if isinstance(c, Tag) and c.tag in ("td", "th")]
        elif child.tag in ("td", "th") and child.wiki_markup != "|+":
            cells = [child]
        else:
            continue
        for cell in cells:
            text = str(cell)
            at = raw.find(text, cursor)
            cursor = at + len(text) if at >= 0 else cursor
            content = str(cell.contents)
            rows[-1].append(Cell(content, cell_text(content), line + raw.count("\n", 0, max(at, 0)),
                                  cell.tag == "th"))
    return [r for r in rows if r]


def cell_text(raw: str) -> str:
    text = decode_text(raw).replace("\u00a0", " ")
    return " ".join(text.split())


_CELL_ATTRS = re.compile(r"^\s*(?:[\w-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s|]+)\s*)+\|(?!\|)")


def rows_from_markup(lines) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[]]
    for number, text in lines:
        stripped = text.strip()
        if stripped.startswith("|-"):
            rows.append([])
        elif stripped.startswith(("{|", "|}", "|+")):
            continue
        elif stripped[:1] in ("|", "!"):
            sep = "||" if stripped[0] == "|" else "!!"
            for part in stripped[1:].split(sep):
                part = _CELL_ATTRS.sub("", part)
                rows[-1].append(Cell(part, cell_text(part), number, stripped[0] == "!"))
        elif rows[-1] and stripped:
            last = rows[-1][-1]
            rows[-1][-1] = Cell(last.raw + "\n" + text, cell_text(last.raw + " " + text), last.line, last.header)
    return [r for r in rows if r]
