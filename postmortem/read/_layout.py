"""The page's structure from one mwparserfromhell parse (its C tokenizer):
level-2 sections with their line spans, tables, top-level templates, and the
page lines with comments and tables blanked, so that the line-shaped parts
(timeline, actionables) are read line by line and keep their line numbers.
Markup the parser could not close is a problem, with its line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import Comment, Heading, Tag, Template, Text

from ..core.errors import ReportError
from ..core.model import Problem
from ._text import strip_comments


@dataclass(frozen=True)
class Section:
    """A level-2 section: its title and the lines it spans (1-based, inclusive)."""

    title: str
    line: int
    end_line: int


@dataclass
class Page:
    """The page as laid out by the parser: clean lines, sections, tables, templates."""

    lines: list[str]                       # page lines, comments and tables blanked
    sections: list[Section]
    tables: list[tuple[int, Tag, str]]     # (line, node, its wikitext)
    templates: list[tuple[int, Template]]  # top-level templates
    code: object
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of top-level comments
    plain_headings: bool = False  # the sections are bare lines of a plain-text copy, maybe not all of them

    @property
    def headings_lost(self) -> bool:
        """A copy that kept none, or only some, of its headings: a part whose heading
        is missing is read as in a heading-less copy."""
        return not self.sections or self.plain_headings


_UNCLOSED = (
    ("unclosed-table", re.compile(r"(?:^|\n)[ \t]*\{\|")),
    ("unclosed-template", re.compile(r"\{\{")),
    ("unclosed-comment", re.compile(r"<!--")),
    ("unclosed-tag", re.compile(
        r"<(?:nowiki|pre|syntaxhighlight|source|code|ref|references|div|span|table|"
        r"blockquote|poem|math|gallery|small|big|center|font|s|del|ins|u)\b[^<>]*>", re.I)),
    ("unclosed-link", re.compile(r"\[\[")),
)


def layout_page(text: str, file_name: str | None, problems: list[Problem]) -> Page:
    """Parse once; walk the top-level nodes keeping line numbers."""
    try:
        code = mwparserfromhell.parse(text)
    except Exception as err:  # the tokenizer's own failure (ParserError, RecursionError)
        raise ReportError(f"cannot parse the page as wikitext: {err}", file=file_name) from None
    pieces: list[str] = []
    headings: list[tuple[int, str]] = []
    tables: list[tuple[int, Tag, str]] = []
    templates: list[tuple[int, Template]] = []
    comments: list[tuple[int, str]] = []
    line = 1
    for node in code.nodes:
        raw = node.value if isinstance(node, Text) else str(node)
        kind = _node_kind(node)
        if kind == "text":
            _check_unclosed(raw, line, problems)
        elif kind == "table":
            tables.append((line, node, raw))
        elif kind == "heading2":
            headings.append((line, _plain_title(node)))
        elif kind == "template":
            templates.append((line, node))
        elif isinstance(node, Comment):
            comments.append((line, str(node.contents).strip()))
        pieces.append("\n" * raw.count("\n") if kind in ("table", "comment") else raw)
        line += raw.count("\n")
    lines = "".join(pieces).split("\n")
    sections = _sections(headings, len(lines))
    plain = not sections
    if plain:
        sections = plain_sections(lines)
    return Page(lines, sections, tables, templates, code, comments, plain_headings=plain and bool(sections))


def _node_kind(node) -> str:
    if isinstance(node, Text):
        return "text"
    if isinstance(node, Comment):
        return "comment"
    if isinstance(node, Heading):
        return "heading2" if node.level == 2 else "heading"
    if isinstance(node, Template):
        return "template"
    if isinstance(node, Tag) and node.wiki_markup == "{|":
        return "table"
    if isinstance(node, Tag) and str(node.tag).lower() == "gallery":
        return "comment"  # a gallery's lines are file names and captions: blanked like a comment
    return "other"


def _check_unclosed(raw: str, line: int, problems: list[Problem]) -> None:
    """Markup left in plain text means the parser could not close it."""
    if not any(ch in raw for ch in "{<["):
        return
    for kind, pattern in _UNCLOSED:
        match = pattern.search(raw)
        if match:
            at = line + raw.count("\n", 0, match.end())
            snippet = raw[match.start():match.start() + 60].strip().split("\n")[0]
            problems.append(Problem(kind, at, f"not closed: {snippet}"))


def _plain_title(heading: Heading) -> str:
    title = strip_comments(str(heading.title))
    return " ".join(title.split())


def _sections(headings: list[tuple[int, str]], last_line: int) -> list[Section]:
    sections = []
    for index, (line, title) in enumerate(headings):
        end = headings[index + 1][0] - 1 if index + 1 < len(headings) else last_line
        sections.append(Section(title, line, end))
    return sections


# The level-2 sections of Wikitech's report templates since 2014, as a plain-text
# copy of a page shows their headings: bare lines ("Timeline") when the copy lost
# the markup (tests/fixtures/reports/corpus/mediawiki-20160407.txt).
PLAIN_HEADINGS = frozenset((
    "summary", "summary and metadata", "impact", "timeline", "detection", "conclusions",
    "links to relevant documentation", "actionables", "action items", "follow up", "followup",
    "scorecard", "contributing factors", "root cause"))


_MARKDOWN_HEADING = re.compile(r"^##[ \t]+(?P<title>[^#\n]+?)[ \t#]*$")


def plain_sections(lines: list[str]) -> list[Section]:
    """Sections of a plain-text copy: ``## Title`` lines (a Markdown-like copy),
    else bare lines naming a template section; [] when the copy has neither, or
    only one bare line that is not the first section ("Summary"; a copy cut after
    it has only that one): a stray heading in a copy that lost the others (as in
    tests/fixtures/reports/corpus/cirrussearch-morelike-20190606.txt) is read as
    the heading-less copy it is."""
    headings = [(n, m["title"].strip()) for n, text in enumerate(lines, 1)
                if text.startswith("##") and (m := _MARKDOWN_HEADING.match(text))]
    if not headings:
        headings = [(n, text.strip()) for n, text in enumerate(lines, 1)
                    if text and len(text) < 40 and _norm_title(text) in PLAIN_HEADINGS]
        if len(headings) == 1 and not _norm_title(headings[0][1]).startswith("summary"):
            return []  # one later heading that survived in a copy that lost the others
    return _sections(headings, len(lines))


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """A heading-less copy's blocks: runs of (line number, text) two or more blank
    lines apart (where the headings were); single blank lines stay inside a block."""
    found, block, blanks = [], [], 0
    for number, text in enumerate(lines, 1):
        blanks = blanks + 1 if not text.strip() else 0
        if blanks >= 2 and block:
            found.append(block)
            block = []
        if text.strip():
            block.append((number, text))
    found.append(block)
    return found


def find_section(sections, *names) -> Section | None:
    wanted = [_norm_title(n) for n in names]
    for section in sections:
        norm = _norm_title(section.title)
        if any(norm.startswith(w) for w in wanted):
            return section
    return None


def section_lines(page: Page, section: Section | None):
    """(line number, text) pairs of a section's body."""
    if section is None:
        return []
    return [(n, page.lines[n - 1]) for n in range(section.line + 1, section.end_line + 1)]


def template_name(node: Template) -> str:
    name = strip_comments(str(node.name)).strip().replace("_", " ")
    return " ".join(name.split()).lower()


def template_param(node: Template, name: str) -> str | None:
    """A template parameter as a trimmed raw string (comments removed); None if empty."""
    if not node.has(name):
        return None
    value = strip_comments(str(node.get(name).value)).strip()
    return value or None


# Wikitext list marks, and those of plain-text copies of a page ("- item", "  • item").
BULLET = re.compile(r"^(?:([*#:;]+)|(?:[-•](?=[\s\u00a0])))[\s\u00a0]*")


def bullet_level(match: re.Match, indent: int = 0) -> int:
    """1 for a top-level item, 2 for ``**``; a plain-text ``-`` / ``•`` bullet by its
    indent, two spaces a level as a copy renders a list ("  • item", "    • sub-item")."""
    return len(match.group(1)) if match.group(1) else max(1, indent // 2)


def tables_in(page: Page, section: Section | None):
    if section is None:
        return []
    return [t for t in page.tables if section.line <= t[0] <= section.end_line]
