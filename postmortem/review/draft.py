"""What the review page shows and edits: the transcript (every record of the
gathered timeline, with the stable reference a marker cites it by), and the
draft narrative — markers and questions — kept beside incident.toml in
``<stem>.review.json`` until it is saved into the file (:mod:`.store`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.errors import InputError
from ..core.evidence import MARKER_KINDS, Marker, evidence_ref
from ..core.files import write_atomically
from ..core.model import Event, Records
from ..core.timeutil import format_utc, parse_time
from ..core.vocabulary import KEY_MOMENTS, KNOWN_TAGS, TIMELINE_MARKS, Kind, is_alert, is_page
from ..timeline.curate import Omitted, curate
from ..write.source_names import source_name


@dataclass(frozen=True)
class DraftMarker:
    """A marker as the page edits it; ``time`` in UTC, ``YYYY-MM-DD HH:MM:SS``."""

    kind: str
    time: str
    summary: str
    evidence: tuple[str, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()   # other key moments it marks (an outage's end is often its resolution)

    def to_json(self) -> dict:
        return {"kind": self.kind, "time": self.time, "summary": self.summary, "evidence": list(self.evidence),
                "notes": self.notes, "tags": list(self.tags)}

    def all_tags(self) -> tuple[str, ...]:
        """Its tags and its kind's key moment (as incident/load.py reads a marker)."""
        return self.tags + ((self.kind,) if self.kind in KEY_MOMENTS and self.kind not in self.tags else ())


@dataclass(frozen=True)
class Draft:
    """The draft narrative: its markers and its questions."""

    markers: tuple[DraftMarker, ...] = ()
    questions: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"markers": [m.to_json() for m in self.markers], "questions": list(self.questions)}

    def revision(self) -> str:
        """Names this content: a page sends back the revision it was shown, and a
        draft changed since (in another tab) is not overwritten (:func:`check_based_on`).
        A digest, not a counter, so it is the same after a save or a restart of the server."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class StaleDraft(InputError):
    """A change sent from a page that was shown an older draft than the one kept."""

    def __init__(self, current: str):
        super().__init__("the draft was changed elsewhere (another tab or window) since this page loaded: "
                         "reload to see it")
        self.current = current


class NotSaved(InputError):
    """The file refused the draft (``str(err)`` says why); it is kept all the same, as revision ``kept``."""

    def __init__(self, refusal: Exception, kept: str):
        super().__init__(str(refusal))
        self.kept = kept


def check_based_on(data, current: Draft) -> None:
    """The page's draft must be based on ``current``: StaleDraft if not."""
    based_on = data.get("revision") if isinstance(data, dict) else None
    if not isinstance(based_on, str):
        raise InputError("a draft names the revision it was based on (\"revision\")")
    if based_on != current.revision():
        raise StaleDraft(current.revision())


def draft_path(incident_path: str | Path) -> Path:
    path = Path(incident_path)
    return path.with_name(path.stem + ".review.json")


def draft_from_json(data) -> Draft:
    """A draft the page sent; InputError naming what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("markers", []), list):
        raise InputError("a draft is {\"markers\": [...], \"questions\": [...]}")
    markers = tuple(_marker_from_json(item, index) for index, item in enumerate(data.get("markers", [])))
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise InputError("questions: expected a list of strings")
    return Draft(markers, tuple(q.strip() for q in questions if q.strip()))


def _marker_from_json(item, index: int) -> DraftMarker:
    where = f"marker {index + 1}"
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object")
    kind, summary, notes = item.get("kind"), item.get("summary", ""), item.get("notes", "")
    if kind not in MARKER_KINDS:
        raise InputError(f"{where}: unknown kind {kind!r} (known: {', '.join(MARKER_KINDS)})")
    evidence = item.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(r, str) and r for r in evidence):
        raise InputError(f"{where}: evidence is a list of record references")
    if not isinstance(summary, str) or not isinstance(notes, str):
        raise InputError(f"{where}: summary and notes are text")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(tag in KNOWN_TAGS for tag in tags):
        raise InputError(f"{where}: tags are some of {', '.join(KNOWN_TAGS)}")
    try:
        moment, _ = parse_time(str(item.get("time", "")))
    except ValueError as err:
        raise InputError(f"{where}: time: {err}") from None
    return DraftMarker(kind, _clock(moment), " ".join(summary.split()), tuple(evidence), notes.strip(),
                       tuple(tag for tag in KNOWN_TAGS if tag in tags and tag != kind))


def _clock(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def file_draft(records: Records) -> Draft:
    """The narrative incident.toml holds now."""
    markers = tuple(DraftMarker(e.marker.kind, _clock(e.time), e.text, e.marker.evidence, e.marker.notes,
                                tuple(tag for tag in e.tags if tag != e.marker.kind))
                    for e in records.incident.events if e.marker is not None)
    return Draft(markers, records.incident.questions)


def load_draft(records: Records) -> Draft:
    """The draft kept beside the file, else the file's narrative."""
    path = draft_path(records.incident.path)
    if not path.is_file():
        return file_draft(records)
    try:
        return draft_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, InputError) as err:
        raise InputError(f"unreadable review draft ({err}): remove it to start again from incident.toml",
                         file=path) from None


def keep_draft(incident_path: str, draft: Draft) -> None:
    write_atomically(draft_path(incident_path), json.dumps(draft.to_json(), indent=1, ensure_ascii=False) + "\n")


def drop_draft(incident_path: str) -> None:
    draft_path(incident_path).unlink(missing_ok=True)


# -- what the page shows -------------------------------------------------------------

def with_draft(records: Records, draft: Draft) -> Records:
    """The records with the draft's markers in place of the file's (for the preview)."""
    events = [e for e in records.events if e.marker is None] + [marker_event(m) for m in draft.markers]
    incident = replace(records.incident, questions=draft.questions)
    return replace(records, incident=incident, events=tuple(sorted(events, key=lambda e: e.time)))


def marker_event(marker: DraftMarker) -> Event:
    """The ``[[event]]`` the marker becomes (as incident/load.py reads one)."""
    moment, precision = parse_time(marker.time)
    return Event(moment, "manual", marker.summary or MARKER_KINDS[marker.kind], tags=marker.all_tags(),
                 precision=precision, kind=Kind.MANUAL, marker=Marker(marker.kind, marker.evidence, marker.notes))


def transcript(records: Records) -> list[dict]:
    """Every record of the timeline but the markers, in time order, as the page shows it;
    ``folded`` when the report would fold it without a narrative."""
    plain = [e for e in records.events if e.marker is None]
    folded = {id(e) for part in _curated(records, plain) if isinstance(part, Omitted) for e in part.events}
    return [_record(e, id(e) in folded) for e in plain]


def _curated(records: Records, events: list[Event]):
    curated = curate(records.incident, events)
    return curated.lead_up + curated.incident


def _record(event: Event, folded: bool) -> dict:
    return {"ref": evidence_ref(event), "time": format_utc(event.time), "source": source_name(event) or "note",
            "actor": event.actor or "", "text": event.text, "url": event.url if _web(event.url) else "",
            "kind": event.kind.value, "alert": is_alert(event) or is_page(event), "folded": folded,
            "moments": [TIMELINE_MARKS.get(t, t) for t in event.tags if t in KEY_MOMENTS]}


def _web(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("https://", "http://"))
