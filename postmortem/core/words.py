"""Counts in the tool's sentences: "1 report", "3 reports"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, plural unless one (``plural`` for nouns without an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"
