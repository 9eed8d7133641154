"""The analyst's narrative found in the timeline: each marker with the records
its evidence references name (:mod:`postmortem.core.evidence`), and the
references that name no record any more (a re-pull no longer brought it, or its
text changed) — `check` lists those; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..core.evidence import evidence_ref
from ..core.model import Event


@dataclass(frozen=True)
class Step:
    """A marker (an ``[[event]]`` with a kind), its evidence found, and the references not found."""

    marker: Event
    evidence: tuple[Event, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Narrative:
    steps: tuple[Step, ...]

    def __bool__(self) -> bool:
        return bool(self.steps)

    def evidence_of(self, marker: Event) -> tuple[Event, ...]:
        return next((s.evidence for s in self.steps if s.marker is marker), ())

    def cited(self) -> set[int]:
        """The ids of the records that are evidence of some marker."""
        return {id(e) for step in self.steps for e in step.evidence}

    def missing(self) -> list[tuple[Event, str]]:
        """``(marker, reference)`` for every reference that names no record."""
        return [(step.marker, ref) for step in self.steps for ref in step.missing]


def narrative(events: Iterable[Event]) -> Narrative:
    """The markers among ``events`` (the merged timeline), in time order, with their evidence."""
    events = list(events)
    records = {evidence_ref(e): e for e in events if e.marker is None}
    steps = []
    for event in events:
        if event.marker is None:
            continue
        refs = event.marker.evidence
        found = sorted((records[r] for r in refs if r in records), key=lambda e: e.time)
        steps.append(Step(event, tuple(found), tuple(r for r in refs if r not in records)))
    return Narrative(tuple(steps))
