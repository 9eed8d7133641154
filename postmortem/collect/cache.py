"""The event cache that `postmortem pull` writes next to the incident file.

One JSON file, ``<incident stem>.events.json``: per source (by its index and
type, with a digest of its options so an edited source is fetched again), the
events fetched and when. Written atomically (temp file + rename), so a failed
pull leaves the previous cache intact. Secrets never enter it: only events are
stored, and options are stored as a digest. A ``tasks`` section holds what
the phabricator source said about the actionables' tasks (title, status, owner).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from ..core.errors import InputError
from ..core.model import Event, Incident, SourceConfig, TaskInfo
from ..core.files import write_atomically
from ..core.timeutil import format_utc, parse_time

FORMAT_VERSION = 1


def cache_path(incident: Incident) -> Path:
    path = Path(incident.path or "incident.toml")
    return path.with_name(path.stem + ".events.json")


def source_key(config: SourceConfig) -> str:
    """Identifies a source's configuration: index, type and a digest of the options."""
    options = json.dumps({k: v for k, v in config.options.items()}, sort_keys=True, default=str)
    digest = hashlib.sha256(options.encode()).hexdigest()[:16]
    return f"{config.index}:{config.type}:{digest}"


def event_to_json(event: Event) -> dict:
    data = event.to_json()
    if event.fields:
        data["fields"] = dict(event.fields)
    return data


def event_from_json(data: dict, where: str) -> Event:
    try:
        time, _ = parse_time(data["time"])
        return Event(time=time, source=data["source"], text=data["text"], actor=data.get("actor"),
                     url=data.get("url"), tags=tuple(data.get("tags", ())),
                     precision=data.get("precision", "second"), fields=data.get("fields") or {})
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"damaged event cache ({type(err).__name__}: {err}); run `postmortem pull --refresh`",
                         file=where) from None


def _read_section(incident: Incident, name: str, convert, absent):
    """``convert(data[name])`` from the cache file; ``absent`` when there is no
    file, or (except for "sources") no such section. One clear error for a
    damaged file, whichever section was asked for."""
    path = cache_path(incident)
    if not path.exists():
        return absent
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        section = data[name] if name == "sources" else data.get(name)
        return absent if section is None else convert(section, str(path))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(f"damaged event cache ({type(err).__name__}); run `postmortem pull --refresh`",
                         file=path) from None


def read_cache(incident: Incident) -> dict[str, list[Event]]:
    """Cached events by source key; empty when nothing was pulled yet."""
    return _read_section(incident, "sources", lambda entries, where: {
        key: [event_from_json(e, where) for e in entry["events"]] for key, entry in entries.items()}, {})


def read_tasks(incident: Incident) -> dict:
    """Cached Phabricator tasks, ``{"T123": TaskInfo}``; empty when none were pulled."""
    return _read_section(incident, "tasks", lambda tasks, where: {
        task: TaskInfo.from_json(info) for task, info in tasks.items()}, {})


def read_previous_pages(incident: Incident) -> list[tuple[str, str]] | None:
    """Cached earlier reports from the wiki, ``[(title, wikitext)]``; None when
    they were not pulled."""
    return _read_section(incident, "previous", lambda pages, where: [
        (p["title"], p["text"]) for p in pages], None)


def write_cache(incident: Incident, events_by_key: dict[str, list[Event]], *,
                tasks: dict | None = None, previous: list | None = None) -> Path:
    """Replace the cache atomically with these sources' events (and, when
    given, the ``tasks`` section: ``{"T123": TaskInfo}``, and the ``previous``
    section: earlier reports read from the wiki, ``[(title, wikitext)]``)."""
    path = cache_path(incident)
    now = format_utc(dt.datetime.now(dt.timezone.utc))
    payload = {"version": FORMAT_VERSION, "incident": incident.id,
               "sources": {key: {"fetched": now, "events": [event_to_json(e) for e in events]}
                           for key, events in events_by_key.items()}}
    if tasks:
        payload["tasks"] = {task: info.to_json() for task, info in sorted(tasks.items())}
    if previous is not None:
        payload["previous"] = [{"title": title, "text": text} for title, text in previous]
    write_atomically(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path
