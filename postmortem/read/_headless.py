"""The timeline of a copy that lost its headings (the store's plain-text copies
of rendered pages, tests/fixtures/reports/corpus/): the block of lines, apart from
the others by the blank lines where the headings were, that holds it; and the
"All times in UTC." note that marks it and gives the zone of the lines below."""

from __future__ import annotations

import re

from ..core.model import Problem
from ._layout import BULLET, Page
from ._layout import blocks as page_blocks
from ._stamps import split_stamp
from ._time_grammar import Zone, zone_named


# "All times in UTC.", "(all times on UTC)", "All times are in PDT": the zone of the lines below.
_ZONE_NOTE = re.compile(r"^\W*(?:all\s+)?times?\s+(?:are\s+)?(?:(?:in|on)\s+)?(?P<zone>[A-Za-z][A-Za-z ]{0,14}?)\W*$", re.I)


def zone_note(text: str) -> Zone | None:
    """The zone a line such as "All times in UTC." says the timeline is in."""
    match = _ZONE_NOTE.match(text) if "ime" in text else None
    return zone_named(match["zone"]) if match else None


def headless_lines(page: Page, problems: list[Problem]):
    """A copy that lost its headings: the timeline is the block (blocks are
    apart by two or more blank lines, where the headings were) that starts with
    "All times in UTC", else the one with the most timed lines."""
    blocks = page_blocks(page.lines)
    noted = [i for i, b in enumerate(blocks) if any(zone_note(t.strip()) for _, t in b)]
    timed = max(range(len(blocks)), key=lambda i: _timed_lines(blocks[i]))
    chosen = _noted_block(blocks, noted[0]) if noted else (
        _with_neighbours(blocks, timed) if _timed_lines(blocks[timed]) >= 2 else None)
    if not chosen or not _timed_lines(chosen):
        return []
    problems.append(Problem("no-sections", chosen[0][0],
                            "no Timeline heading (a copy of the page that lost its headings?): the timeline is read from "
                            f"lines {chosen[0][0]}-{chosen[-1][0]}, the block of timed lines"))
    return chosen


def _with_neighbours(blocks, index: int):
    """The block with the most timed lines, with the blocks of timed bullets next to
    it: a timeline's sub-headings were dropped too (domain-redirection-20160126.txt,
    the lead-up's bullets, then "outage begins" and the outage's)."""
    first = last = index
    while first > 0 and _timed_bullets(blocks[first - 1]):
        first -= 1
    while last + 1 < len(blocks) and _timed_bullets(blocks[last + 1]):
        last += 1
    return [line for block in blocks[first:last + 1] for line in block]


def _timed_bullets(block) -> bool:
    """A block of bullets, at least half of them timed."""
    bullets = [t for _, t in block if BULLET.match(t.strip(" \t\u00a0"))]
    return bool(block) and len(bullets) == len(block) and 2 * _timed_lines(block) >= len(bullets)


def _noted_block(blocks, index: int):
    """The block that says "All times in UTC.", with the next one when the note
    stands alone (two blank lines after the note: the timeline follows them)."""
    block = blocks[index]
    if not _timed_lines(block) and index + 1 < len(blocks) and _timed_lines(blocks[index + 1]):
        return block + blocks[index + 1]
    return block


def _timed_lines(block) -> int:
    """Lines that start with a time, and bullets that start with a day ("• Feb 11:
    T274589 … filed", large-file-upload-2021-11-04.txt)."""
    count = 0
    for _, text in block:
        text = text.strip()
        if text[:1].isdigit() or text[:1] in "*#-•[":
            body = BULLET.sub("", text)
            stamp = split_stamp(body)
            count += stamp.clock is not None or (body != text and stamp.precision == "day")
    return count
