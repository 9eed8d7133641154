"""Every record a source reads is accounted for: it becomes an event, or it is
dropped on purpose for a stated reason, or it is skipped because it could not
be understood — each drop and skip with the file and line (or URL) it came
from, so that `postmortem check` can show them. A source that cannot read its
input at all raises instead (the project's errors name file and line)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .vocabulary import place_text


@dataclass(frozen=True)
class Skip:
    """One record not turned into an event: where it is and why."""

    reason: str
    file: str | None = None
    line: int | None = None

    def where(self) -> str:
        return place_text(self.file, self.line) or "-"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass
class Tally:
    """What one source read: how many records, and which it dropped or skipped."""

    read: int = 0
    dropped: list[Skip] = field(default_factory=list)   # on purpose (noise, bots, replies)
    skipped: list[Skip] = field(default_factory=list)   # not understood
    hints: list[str] = field(default_factory=list)      # a setting the records suggest (an unlisted alert relay)

    def count(self, records: int = 1) -> None:
        """``records`` more records were read."""
        self.read += records

    def drop(self, reason: str, file=None, line: int | None = None) -> None:
        """A record read and left out on purpose."""
        self.dropped.append(Skip(reason, None if file is None else str(file), line))

    def skip(self, reason: str, file=None, line: int | None = None) -> None:
        """A record read that could not be understood."""
        self.skipped.append(Skip(reason, None if file is None else str(file), line))

    def hint(self, text: str) -> None:
        """Something the records suggest to set, said by `check` (not a failure)."""
        self.hints.append(text)

    def dropped_by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.dropped).most_common())

    def to_json(self) -> dict:
        data = {"read": self.read, "dropped": [s.to_json() for s in self.dropped],
                "skipped": [s.to_json() for s in self.skipped]}
        return {**data, "hints": list(self.hints)} if self.hints else data

    @classmethod
    def from_json(cls, data: dict) -> "Tally":
        """Back from :meth:`to_json` (the cache keeps a network source's tally)."""
        return cls(int(data.get("read", 0)),
                   [Skip(s["reason"], s.get("file"), s.get("line")) for s in data.get("dropped", [])],
                   [Skip(s["reason"], s.get("file"), s.get("line")) for s in data.get("skipped", [])],
                   [str(hint) for hint in data.get("hints", [])])
