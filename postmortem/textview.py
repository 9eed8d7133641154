"""The timeline as aligned text for a terminal."""

from __future__ import annotations

from .model import Event, Incident
from .timeutil import format_clock


def format_timeline(incident: Incident, events: list[Event]) -> str:
    """One line per event: UTC time, source, actor, text; a line per new day."""
    lines, day = [], None
    source_width = max((len(e.source) for e in events), default=6)
    actor_width = min(16, max((len(e.actor or "") for e in events), default=0))
    for event in events:
        if event.time.date() != day:
            day = event.time.date()
            lines.append(f"--- {day.isoformat()} (UTC) ---")
        marks = "".join(f"  [{t}]" for t in event.tags)
        text = " ⏎ ".join(event.text.splitlines())
        lines.append(f"{format_clock(event.time, event.precision, with_date=False):8}  "
                     f"{event.source:{source_width}}  {(event.actor or '-'):{actor_width}}  {text}{marks}")
    return "\n".join(lines) + ("\n" if lines else "")
