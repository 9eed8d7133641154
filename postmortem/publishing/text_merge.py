"""Three-way merge of a report page: keep hand edits, bring in generated changes.

``merge_report(base, ours, theirs)`` where

* ``base``   is the text the tool generated and saved last time,
* ``ours``   is the page as it is now (the generated text plus hand edits),
* ``theirs`` is the new render.

The page is cut into sections at its headings (found with mwparserfromhell, so
a ``== x ==`` inside ``<nowiki>`` or a comment is not a heading). Sections are
matched by heading, merged line by line, and put back in the page's order with
the sections the generator added placed after their predecessor.

Inside a section each side's changes against ``base`` are a list of edits
(``difflib`` opcodes: replace base lines ``[i1, i2)`` by some lines). Edits of
the two sides that touch the same base lines — overlapping ranges, an insertion
strictly inside a replaced range, or two different insertions at one place —
conflict. Edits that are merely adjacent do not (unlike diff3, a hand edit on
line 5 and a new timeline line after it merge cleanly). A conflict stops the
merge with :class:`MergeConflict` naming the section, unless ``prefer`` says
which side wins ("ours": the page as edited, "theirs": the new render).

Pure functions, no wiki: see tests/test_merge.py.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field

import mwparserfromhell

from ..core.errors import MergeConflict

PREFER = (None, "ours", "theirs")


@dataclass(frozen=True)
class Conflict:
    """One place where both sides changed the same base lines of a section."""

    section: str
    base: tuple[str, ...]
    ours: tuple[str, ...]
    theirs: tuple[str, ...]

    def describe(self) -> str:
        """A short human description: the base line both sides changed."""
        line = next((x for x in self.base if x.strip()), None)
        if line is None:
            line = next((x for x in self.ours + self.theirs if x.strip()), "")
        return f"at {_clip(line)!r}"


@dataclass
class MergeResult:
    """The merged text and what happened on the way."""

    text: str
    conflicts: list[Conflict] = field(default_factory=list)  # resolved by ``prefer``
    changed_sections: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One heading and the lines up to the next heading (the lead has no heading)."""

    key: tuple[str, int]     # (normalized title, occurrence) — "" for the lead
    title: str               # the heading as written, for messages
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Edit:
    """Replace base lines ``[start, stop)`` by ``lines``; ``side`` is ours/theirs."""

    start: int
    stop: int
    lines: tuple[str, ...]
    side: str

    def touches(self, other: "_Edit") -> bool:
        """Whether two edits (from different sides) change the same base lines."""
        if self.start == self.stop and other.start == other.stop:
            return self.start == other.start
        if self.start == self.stop:
            return other.start < self.start < other.stop
        if other.start == other.stop:
            return self.start < other.start < self.stop
        return self.start < other.stop and other.start < self.stop


# -- text normalisation --------------------------------------------------------

def canonical(text: str) -> str:
    """Text as MediaWiki stores it: ``\\n`` line ends, NFC, no trailing whitespace.

    MediaWiki normalises saved text to Unicode NFC and strips trailing whitespace
    (https://www.mediawiki.org/wiki/Unicode_normalization_considerations), so the
    three inputs are compared in that form.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).rstrip()


# -- sections ------------------------------------------------------------------

def split_sections(text: str) -> list[Section]:
    """Cut wikitext at every heading (any level) into :class:`Section` blocks.

    The lead (text before the first heading) is the first section, with key
    ``("", 0)``. Joining the sections' lines with ``\\n`` gives ``canonical(text)``.
    """
    text = canonical(text)
    starts = _heading_offsets(text)
    bounds = ([] if starts[:1] == [0] else [0]) + starts + [len(text)]
    sections, seen = [], {}
    for begin, end in zip(bounds, bounds[1:]):
        chunk = text[begin:end]
        chunk = chunk[:-1] if chunk.endswith("\n") else chunk
        title = _heading_title(chunk) if begin in starts else ""
        name = _normalize_title(title)
        seen[name] = seen.get(name, -1) + 1
        sections.append(Section((name, seen[name]), title, tuple(chunk.split("\n"))))
    return sections


def join_sections(sections: list[Section]) -> str:
    """The inverse of :func:`split_sections`."""
    return "\n".join("\n".join(s.lines) for s in sections)


def _heading_offsets(text: str) -> list[int]:
    """Character offsets of the top-level headings (headings start a line)."""
    offsets, position = [], 0
    for node in mwparserfromhell.parse(text, skip_style_tags=True).nodes:
        if isinstance(node, mwparserfromhell.nodes.Heading) and (
                position == 0 or text[position - 1] == "\n"):
            offsets.append(position)
        position += len(str(node))
    return offsets


def _heading_title(chunk: str) -> str:
    first = chunk.split("\n", 1)[0]
    return first.strip().strip("=").strip()


def _normalize_title(title: str) -> str:
    return " ".join(title.split()).casefold()


# -- the merge -----------------------------------------------------------------

def merge_report(base: str, ours: str, theirs: str, *, prefer: str | None = None) -> MergeResult:
    """Merge ``base → theirs`` (generated changes) into ``ours`` (the page).

    Raises :class:`MergeConflict` when both sides changed the same lines and
    ``prefer`` is None; otherwise the preferred side wins each conflict.
    """
    if prefer not in PREFER:
        raise ValueError(f"prefer must be one of {PREFER}, got {prefer!r}")
    b, o, t = (_by_key(split_sections(x)) for x in (base, ours, theirs))
    order = _merge_order(list(o), list(t))
    merged, conflicts, changed = [], [], []
    for key in order:
        section, found = _merge_section(key, b.get(key), o.get(key), t.get(key), prefer)
        conflicts.extend(found)
        if section is not None:
            merged.append(section)
        if (section.lines if section else None) != (o[key].lines if key in o else None):
            changed.append((section or o.get(key) or t[key]).title or "(lead)")
    if conflicts and prefer is None:
        raise MergeConflict(conflicts)
    return MergeResult(join_sections(merged), conflicts, changed)


def _by_key(sections: list[Section]) -> dict:
    return {s.key: s for s in sections}


def _merge_order(ours: list, theirs: list) -> list:
    """Every section key in the page's order; keys only the new render has are
    placed after the section that precedes them there. Whether a section stays
    is decided by :func:`_merge_section`."""
    order = list(ours)
    for index, key in enumerate(theirs):
        if key in order:
            continue
        before = next((k for k in reversed(theirs[:index]) if k in order), None)
        order.insert(order.index(before) + 1 if before is not None else 0, key)
    return order


def _merge_section(key, base: Section | None, ours: Section | None, theirs: Section | None,
                   prefer):
    """Merge one section; returns (section or None when it goes away, conflicts)."""
    title = (ours or theirs or base).title or "(lead)"
    empty = Section(key, title, ())
    if base is None:
        base = empty
    if ours is None or theirs is None:
        return _merge_presence(title, base, ours, theirs, prefer)
    lines, conflicts = merge_lines(base.lines, ours.lines, theirs.lines,
                                   prefer=prefer, section=title)
    return Section(key, ours.title, tuple(lines)), conflicts


def _merge_presence(title, base, ours, theirs, prefer):
    """A section missing on one side: deleted there, or never existed."""
    if ours is None and theirs is None:   # gone on both sides
        return None, []
    if ours is None:
        if not base.lines:                 # a section the generator added
            return theirs, []
        if theirs.lines == base.lines:     # the person deleted it, nothing new in it
            return None, []
        conflict = Conflict(title, base.lines, (), theirs.lines)
        return (theirs if prefer == "theirs" else None), [conflict]
    if not base.lines:                     # a section people added
        return ours, []
    if ours.lines == base.lines:           # the generator dropped it, nobody touched it
        return None, []
    conflict = Conflict(title, base.lines, ours.lines, ())
    return (None if prefer == "theirs" else ours), [conflict]


def merge_lines(base, ours, theirs, *, prefer=None, section="(text)"):
    """Three-way merge of line sequences.

    Returns ``(lines, conflicts)``; with ``prefer=None`` conflicting places keep
    ``ours`` in ``lines`` and are listed in ``conflicts`` (the caller decides).
    """
    base, ours, theirs = list(base), list(ours), list(theirs)
    if ours == theirs or theirs == base:
        return ours, []
    if ours == base:
        return theirs, []
    edits = _edits(base, ours, "ours") + _edits(base, theirs, "theirs")
    merged, conflicts, cursor = [], [], 0
    for group in _groups(edits):
        start, stop = group[0].start, max(e.stop for e in group)
        lines, conflict = _resolve(base, group, start, stop, prefer, section)
        if conflict:
            conflicts.append(conflict)
        merged.extend(base[cursor:start])
        merged.extend(lines)
        cursor = stop
    merged.extend(base[cursor:])
    return merged, conflicts


def _edits(base: list, other: list, side: str) -> list[_Edit]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [_Edit(i1, i2, tuple(other[j1:j2]), side)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _groups(edits: list[_Edit]) -> list[list[_Edit]]:
    """Edits sorted by place, with edits of the two sides that touch each other
    (directly or through a chain) in one group; identical edits count once."""
    unique = list(dict.fromkeys((e.start, e.stop, e.lines) for e in edits))
    sides = {}
    for e in edits:
        sides.setdefault((e.start, e.stop, e.lines), set()).add(e.side)
    ordered = sorted(unique, key=lambda k: (k[0], k[1]))
    groups: list[list[_Edit]] = []
    for start, stop, lines in ordered:
        side = "both" if len(sides[(start, stop, lines)]) == 2 else next(iter(sides[(start, stop, lines)]))
        edit = _Edit(start, stop, lines, side)
        if groups and any(_interacts(edit, other) for other in groups[-1]):
            groups[-1].append(edit)
        else:
            groups.append([edit])
    return groups


def _interacts(a: _Edit, b: _Edit) -> bool:
    if a.side == b.side and a.side != "both":
        return False
    return a.touches(b)


def _resolve(base, group, start, stop, prefer, section):
    """The lines replacing ``base[start:stop]`` for one group of edits."""
    if len(group) == 1:
        return list(group[0].lines), None
    ours = _apply(base, start, stop, [e for e in group if e.side in ("ours", "both")])
    theirs = _apply(base, start, stop, [e for e in group if e.side in ("theirs", "both")])
    if ours == theirs:
        return ours, None
    conflict = Conflict(section, tuple(base[start:stop]), tuple(ours), tuple(theirs))
    return (theirs if prefer == "theirs" else ours), conflict


def _apply(base, start, stop, edits):
    out, cursor = [], start
    for e in sorted(edits, key=lambda e: (e.start, e.stop)):
        out.extend(base[cursor:e.start])
        out.extend(e.lines)
        cursor = e.stop
    out.extend(base[cursor:stop])
    return out


def unified_diff(old: str, new: str, *, title: str = "page") -> str:
    """The unified diff from ``old`` to ``new`` (what an update would change)."""
    lines = difflib.unified_diff(canonical(old).split("\n"), canonical(new).split("\n"),
                                 fromfile=f"{title} (current)", tofile=f"{title} (updated)",
                                 lineterm="")
    return "".join(line + "\n" for line in lines)


def _clip(text: str, width: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 1] + "…"
