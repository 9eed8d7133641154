"""Where the report shows what the review page (`postmortem review`) lets people
write besides the markers' lines: a marker's notes under its Timeline line, a
line each — but the notes of a marker that marks detection in the Detection
section, which asks how the incident was learnt of — and ``[review] questions``
in Conclusions, for the review meeting. Notes are written like the marker's
summary (text shown as typed, task references and http(s) addresses as links);
questions like the other author-written lists of Conclusions.
"""

from __future__ import annotations

from typing import Iterable

from ..core.model import Event, Incident

DETECTION = "detection"   # the key moment (core/vocabulary.py KEY_MOMENTS) whose notes have a section


def timeline_notes(event: Event, style) -> tuple[str, ...]:
    """The lines under a marker's Timeline line: its notes, unless Detection shows them."""
    if event.marker is None or DETECTION in event.tags:
        return ()
    return _lines(event.marker.notes, style)


def detection_notes(events: Iterable[Event], style) -> tuple[str, ...]:
    """The paragraphs of the notes of the markers that mark detection, in time order."""
    return tuple(line for e in events if e.marker is not None and DETECTION in e.tags
                 for line in _lines(e.marker.notes, style))


def review_questions(incident: Incident, style) -> tuple[str, ...]:
    return tuple(style.inline(question) for question in incident.questions)


def _lines(notes: str, style) -> tuple[str, ...]:
    return tuple(style.linked(line.strip()) for line in notes.splitlines() if line.strip())
