"""The analyst's narrative in incident.toml (`postmortem review`): markers, and
the references to the records they rest on.

A marker is an ``[[event]]`` with a ``kind`` (:data:`MARKER_KINDS`),
a ``summary`` (the line the report's Timeline shows), a ``time``, its
``evidence`` and ``notes``; ``[review] questions`` are for the review meeting.

A reference must find its record again after a re-pull, when the cache is
written anew and a file may have grown: so it is made of what the record is,
never of where it was stored (no line number, no cache position) — the
source's type, the channel, the UTC second and a digest of actor and text:
``slack-export:event-platform:2023-09-28T17:58:13Z:3fa2c1d9``. This module is
the one place that says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .vocabulary import KEY_MOMENTS

# The kinds of marker: Jeli's Narrative Builder's four — detection, diagnosis, repair,
# key moment — and the report's other key moments; a key moment's marker marks it (its tag).
MARKER_KINDS = {"detection": "Detection", "diagnosis": "Diagnosis", "repair": "Repair", "key-moment": "Key moment",
                **{tag: name.capitalize() for tag, name in KEY_MOMENTS.items() if tag != "detection"}}


@dataclass(frozen=True, slots=True)
class Marker:
    """What makes an ``[[event]]`` a step of the narrative: its kind, the
    references of the records it rests on (:func:`evidence_ref`) and notes."""

    kind: str
    evidence: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self):
        object.__setattr__(self, "evidence", tuple(self.evidence))


def evidence_ref(event) -> str:
    """The stable reference of a record, a vocabulary ``Event`` (see the module's docstring)."""
    digest = hashlib.sha256(f"{event.actor or ''}\0{event.text}".encode()).hexdigest()[:8]
    channel = (event.channel or "").lstrip("#")
    return f"{event.source}:{channel}:{event.time.strftime('%Y-%m-%dT%H:%M:%SZ')}:{digest}"
