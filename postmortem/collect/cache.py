"""The event cache that `postmortem pull` writes next to the incident file.

One JSON file, ``<incident stem>.events.json``: per source (by what it is:
its type and a digest of its options, so an edited source is fetched again and
removing another ``[[source]]`` leaves its entry valid), the events fetched,
when, for which window, and the source's tally (records read, dropped,
skipped); per source the last pull could not read, why and when — beside the
entry of its last good pull, which a failed pull never replaces. Written
atomically (temp file + rename), so a failed pull leaves the previous
cache intact, and readable by its owner only (0600: it holds the chat and
alerts as the sources gave them, before ``[redact]``). Secrets never enter
it: only events are stored, options are stored as a digest, and a failure's
error is stored cleaned (:func:`postmortem.core.scrub.clean`: no credential
the pull held, in any form, no terminal control) and cleaned again when read
back. A ``tasks`` section holds what the phabricator source said
about the actionables' tasks (title, status, owner, last change); ``previous``
the earlier reports read from the wiki; ``graphs`` the series of each
``[[graph]]`` with a ``url`` (by its index and a digest of its url, query and
step; the range and step they were asked for; values as Prometheus writes them,
``"NaN"`` and ``"+Inf"`` included) and ``graphs_failed`` those the last pull
could not read; ``followups`` the tasks `postmortem followups --create` made for
actionables (by a digest of the actionable's text, so that a second run creates
nothing and render shows them — the user's incident.toml is never rewritten),
kept by every later write of the cache.

A cache entry is used only for the same source settings and a window that
covers the incident's (:func:`covers`): moving ``start`` earlier after a pull
means pulling again, never a report from the old window. A cache of an older
format is read as if nothing had been pulled (format 2 keyed sources by their
place and held events without their kind and facts: what they meant is not
there to be read back).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..core import vocabulary
from ..core.accounting import Tally
from ..core.errors import InputError
from ..core.files import write_atomically
from ..core.scrub import clean
from ..core.model import Event, GraphConfig, Incident, Series, SourceConfig, TaskInfo, Window
from ..core.nesting import load_json
from ..core.timeutil import UTC, format_utc, parse_time

# 3: sources keyed by what they are, not by their place among the [[source]]s;
#    events carry their kind and typed facts (core/vocabulary)
FORMAT_VERSION = 3


@dataclass(frozen=True)
class Cached:
    """One source's entry: its events, the window they were pulled for, its tally."""

    events: list[Event]
    window: Window | None
    tally: Tally
    fetched: str = ""

    @property
    def pulled_at(self) -> dt.datetime | None:
        """When it was pulled; None when the cache does not say."""
        return parse_time(self.fetched)[0] if self.fetched else None


@dataclass(frozen=True)
class Failure:
    """A source the last pull could not read: its name, why, and when."""

    name: str
    error: str
    at: str = ""


def cache_path(incident: Incident) -> Path:
    path = Path(incident.path or "incident.toml")
    return path.with_name(path.stem + ".events.json")


def source_key(config: SourceConfig, occurrence: int = 1) -> str:
    """What a source is: its type and a digest of its options, not its place
    among the ``[[source]]``s; the second ``[[source]]`` identical to another
    (``occurrence`` 2) gets ``#2``, and so on (:func:`source_keys`)."""
    options = json.dumps({k: v for k, v in config.options.items()}, sort_keys=True, default=str)
    key = f"{config.type}:{hashlib.sha256(options.encode()).hexdigest()[:16]}"
    return key if occurrence == 1 else f"{key}#{occurrence}"


def source_keys(configs) -> dict[int, str]:
    """Each source's key by its index; identical sources are told apart by
    their order among themselves (each has its own entry, pulled and counted
    as the source it is)."""
    seen: dict[str, int] = {}
    keys = {}
    for config in configs:
        first = source_key(config)
        seen[first] = seen.get(first, 0) + 1
        keys[config.index] = source_key(config, seen[first])
    return keys


@dataclass(frozen=True)
class CachedGraph:
    """One graph's entry: the range (``window``) and ``step`` asked, the series answered."""

    window: Window
    step: int
    series: tuple[Series, ...]
    fetched: str = ""


def graph_key(config: GraphConfig) -> str:
    """Identifies what a graph's series depend on: its index and a digest of
    its url, query and step (a new title or unit needs no new pull)."""
    options = json.dumps([config.url, config.query, config.step], default=str)
    return f"graph:{config.index}:{hashlib.sha256(options.encode()).hexdigest()[:16]}"


def covers(cached: Cached, window: Window) -> bool:
    """Whether a cache entry was pulled for a window holding ``window``."""
    return cached.window is not None and cached.window.start <= window.start and window.end <= cached.window.end


# -- reading --------------------------------------------------------------------

def read_cache(incident: Incident) -> dict[str, Cached]:
    """Cached sources by source key; empty when nothing was pulled yet."""
    return _read_section(incident, "sources", lambda entries, where: {
        key: _cached(entry, where) for key, entry in entries.items()}, {})


def read_failures(incident: Incident) -> dict[str, Failure]:
    """Sources the last pull could not read, by source key."""
    return _read_section(incident, "failed", lambda entries, where: {
        key: _failure(f) for key, f in entries.items()}, {})


def read_tasks(incident: Incident) -> dict:
    """Cached Phabricator tasks, ``{"T123": TaskInfo}``; empty when none were pulled."""
    return _read_section(incident, "tasks", lambda tasks, where: {
        task: TaskInfo.from_json(info) for task, info in tasks.items()}, {})


def read_previous_pages(incident: Incident) -> list[tuple[str, str]] | None:
    """Cached earlier reports from the wiki, ``[(title, wikitext)]``; None when
    they were not pulled."""
    return _read_section(incident, "previous", lambda pages, where: [
        (p["title"], p["text"]) for p in pages], None)


def read_graphs(incident: Incident) -> dict[str, CachedGraph]:
    """Cached graph series by graph key; empty when none were pulled."""
    return _read_section(incident, "graphs", lambda entries, where: {
        key: _cached_graph(entry) for key, entry in entries.items()}, {})


def read_graph_failures(incident: Incident) -> dict[str, Failure]:
    """Graphs the last pull could not read, by graph key."""
    return _read_section(incident, "graphs_failed", lambda entries, where: {
        key: _failure(f) for key, f in entries.items()}, {})


def _failure(entry: dict) -> Failure:
    return Failure(clean(entry["name"]), clean(entry["error"]), entry.get("at", ""))
@dataclass(frozen=True)
class CreatedTask:
    """A follow-up task made for an actionable: the actionable's ``key``
    (:func:`actionable_key`) and text, the task's title, its id (None while
    *unconfirmed*: the request got no answer, so it may or may not exist), and
    when it was created or tried (ISO 8601 UTC)."""

    key: str
    text: str
    title: str
    task: str | None
    at: str

    def to_json(self) -> dict:
        return {"text": self.text, "title": self.title, "task": self.task, "at": self.at}


def actionable_key(text: str, seen: list | None = None) -> str:
    """What ties a created task to its actionable: a digest of the text, spacing
    aside (an index would tie it to another actionable once one is inserted
    above); the second actionable of the same text gets ``-2``, and so on
    (``seen``: a one-item counter shared by the actionables of that text)."""
    digest = hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]
    if seen is None:
        return digest
    seen[0] += 1
    return digest if seen[0] == 1 else f"{digest}-{seen[0]}"


def read_followups(incident: Incident) -> dict[str, CreatedTask]:
    """The follow-up tasks made for the incident's actionables, by actionable key."""
    return _read_section(incident, "followups", lambda entries, where: {
        key: CreatedTask(key, e["text"], e["title"], _task_or_none(e.get("task")), e["at"])
        for key, e in entries.items()}, {})


def _task_or_none(value) -> str | None:
    if value is not None and not (isinstance(value, str) and value[:1] == "T" and value[1:].isdigit()):
        raise ValueError(f"not a task id: {value!r}")
    return value


def write_followups(incident: Incident, created: dict[str, CreatedTask]) -> Path:
    """Replace the cache's ``followups`` section, atomically, keeping the rest
    (a cache not yet there, or of an older format, starts with no sources)."""
    path = cache_path(incident)
    payload = _payload(path) or {"version": FORMAT_VERSION, "incident": incident.id, "sources": {}}
    payload["followups"] = {key: c.to_json() for key, c in sorted(created.items())}
    write_atomically(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n", private=True)
    return path


_RAISE = object()


def _payload(path: Path, damaged=_RAISE) -> dict | None:
    """The cache file's JSON when it is there and of this format, else None; a
    damaged file raises InputError, or gives ``damaged`` when that is given."""
    try:
        data = load_json(path.read_text(encoding="utf-8"))
        return _in_this_format(data) if isinstance(data, dict) else None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError, TypeError) as err:
        if damaged is not _RAISE:
            return damaged
        raise InputError(f"damaged event cache ({type(err).__name__}); run `postmortem pull --refresh`",
                         file=path) from None


def _read_section(incident: Incident, name: str, convert, absent):
    """``convert(data[name])`` from the cache file; ``absent`` when there is no
    file, no such section, or a cache of an older format. One clear error for a
    damaged file, whichever section was asked for."""
    path = cache_path(incident)
    if not path.exists():
        return absent
    try:
        data = _in_this_format(load_json(path.read_text(encoding="utf-8")))
        if data is None or data.get(name) is None:
            return absent
        return convert(data[name], str(path))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as err:
        raise InputError(f"damaged event cache ({type(err).__name__}); run `postmortem pull --refresh`",
                         file=path) from None


def _in_this_format(data: dict) -> dict | None:
    """The cache's JSON in this format; None when it is of another format."""
    return data if data.get("version") == FORMAT_VERSION else None


def _cached(entry: dict, where: str) -> Cached:
    events = [event_from_json(e, where) for e in entry["events"]]
    window = entry.get("window")
    window = Window(parse_time(window[0])[0], parse_time(window[1])[0]) if window else None
    fetched = entry.get("fetched", "")
    if fetched:
        parse_time(fetched)  # a pull time that does not read is a damaged cache (ValueError)
    return Cached(events, window, Tally.from_json(entry.get("tally") or {}), fetched)


def _cached_graph(entry: dict) -> CachedGraph:
    start, end = (parse_time(t)[0] for t in entry["window"])
    series = tuple(series_from_json(item) for item in entry["series"])
    return CachedGraph(Window(start, end), int(entry["step"]), series, entry.get("fetched", ""))


def series_from_json(item: dict) -> Series:
    """A series from Prometheus's matrix shape ``{"metric": {…}, "values": [[unix, "1.5"], …]}``;
    ValueError (or TypeError) when it is not one."""
    labels = item.get("metric") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError(f"series labels are not text: {labels!r}")
    points = sorted((dt.datetime.fromtimestamp(float(t), UTC), float(v)) for t, v in item["values"])
    return Series(labels, points)


def series_to_json(series: Series) -> dict:
    """The matrix shape again, values written as Prometheus does (``"NaN"``, ``"+Inf"``)."""
    return {"metric": dict(series.labels), "values": [[_unix(t), _value_text(v)] for t, v in series.points]}


def _unix(moment: dt.datetime) -> float | int:
    seconds = moment.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


def _value_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def event_to_json(event: Event) -> dict:
    """What the cache keeps of an event beyond :meth:`Event.to_json`: the
    place as parts, the origin, the actor's other names, the source's own fields."""
    data = event.to_json()
    data.pop("place", None)
    if event.place is not None:
        data["place"] = {"file": event.place.file, "line": event.place.line, "url": event.place.url}
    if event.origin is not None:
        data["origin"] = event.origin
    if event.aka:
        data["aka"] = list(event.aka)
    if event.fields:
        data["fields"] = dict(event.fields)
    return data


def _event_from_json(data: dict) -> Event:
    """Back from :func:`event_to_json`; KeyError, TypeError or ValueError when it is not one."""
    place = data.get("place")
    log = data.get("log")
    return Event(time=parse_time(data["time"])[0], source=data["source"], text=data["text"],
                 actor=data.get("actor"), url=data.get("url"), tags=tuple(data.get("tags", ())),
                 precision=data.get("precision", "second"), fields=vocabulary.strings(data.get("fields") or {}),
                 kind=vocabulary.Kind(data["kind"]) if data.get("kind") else None,
                 alert=vocabulary.Alert.from_json(data["alert"]) if data.get("alert") else None,
                 page=vocabulary.Page.from_json(data["page"]) if data.get("page") else None,
                 log=vocabulary.LogEntry(log.get("relayed_by"), log.get("host")) if isinstance(log, dict) else None,
                 place=vocabulary.Place(place.get("file"), place.get("line"), place.get("url")) if place else None,
                 channel=data.get("channel"), origin=data.get("origin"),
                 also_in=tuple(data.get("also_in") or ()), aka=tuple(data.get("aka") or ()))


def event_from_json(data: dict, where: str) -> Event:
    try:
        return _event_from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"damaged event cache ({type(err).__name__}: {err}); run `postmortem pull --refresh`",
                         file=where) from None


# -- writing --------------------------------------------------------------------

def write_cache(incident: Incident, entries: dict[str, Cached], *, failures: dict[str, Failure] | None = None,
                tasks: dict | None = None, previous: list | None = None,
                graphs: dict[str, CachedGraph] | None = None,
                graph_failures: dict[str, Failure] | None = None) -> Path:
    """Replace the cache atomically with these sources' entries and the sources
    that failed (and, when given, the ``tasks`` section: ``{"T123": TaskInfo}``,
    the ``previous`` section: earlier reports read from the wiki,
    ``[(title, wikitext)]``, and the graphs' series and failures by graph key)."""
    path = cache_path(incident)
    payload = {"version": FORMAT_VERSION, "incident": incident.id,
               "sources": {key: _entry_to_json(entry) for key, entry in entries.items()}}
    if failures:
        payload["failed"] = {key: _failure_to_json(f) for key, f in failures.items()}
    if tasks:
        payload["tasks"] = {task: info.to_json() for task, info in sorted(tasks.items())}
    if previous is not None:
        payload["previous"] = [{"title": title, "text": text} for title, text in previous]
    if graphs:
        payload["graphs"] = {key: _graph_to_json(entry) for key, entry in graphs.items()}
    if graph_failures:
        payload["graphs_failed"] = {key: _failure_to_json(f) for key, f in graph_failures.items()}
    kept = (_payload(path, damaged=None) or {}).get("followups")
    if kept:  # what `followups --create` made outlives every pull (a damaged cache is replaced)
        payload["followups"] = kept
    write_atomically(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n", private=True)
    return path


def _failure_to_json(failure: Failure) -> dict:
    return {"name": clean(failure.name), "error": clean(failure.error), "at": failure.at}


def _entry_to_json(entry: Cached) -> dict:
    data = {"fetched": entry.fetched, "events": [event_to_json(e) for e in entry.events],
            "tally": entry.tally.to_json()}
    if entry.window is not None:
        data["window"] = [format_utc(entry.window.start), format_utc(entry.window.end)]
    return data


def _graph_to_json(entry: CachedGraph) -> dict:
    return {"fetched": entry.fetched, "window": [format_utc(entry.window.start), format_utc(entry.window.end)],
            "step": entry.step, "series": [series_to_json(s) for s in entry.series]}
