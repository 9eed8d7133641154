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

A command reads the file once (:class:`EventCache`): each section is made
typed when first used (a damaged one is one clear error, whichever section
is asked for), a source or graph is looked up by what it is and the window
it needs (:class:`Found`: its entry, why it is missing, or why it must be
pulled again), and the file is written whole, atomically (:meth:`EventCache.save`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError
from ..core.files import write_atomically
from ..core.model import GraphConfig, Incident, SourceConfig, TaskInfo, Window
from ..core.nesting import load_json
from ..core.timeutil import format_utc

if TYPE_CHECKING:
    from ._cache_json import Cached, CachedGraph, CreatedTask, Failure, event_from_json, event_to_json
    from .sources.prometheus import series_from_json, series_to_json

# The entries and their JSON (collect/_cache_json.py), imported when first
# used: a command whose incident has nothing pulled never loads them.
_ENTRIES = ("Cached", "CachedGraph", "CreatedTask", "Failure", "event_from_json", "event_to_json",
            "series_from_json", "series_to_json")


def __getattr__(name):
    if name not in _ENTRIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name.startswith("series_"):
        from .sources import prometheus
        return getattr(prometheus, name)
    from . import _cache_json
    return getattr(_cache_json, name)


__all__ = ["FORMAT_VERSION", "Cached", "CachedGraph", "CreatedTask", "EventCache", "Failure", "Found",
           "actionable_key", "cache_path", "covers", "event_from_json", "event_to_json", "graph_key",
           "series_from_json", "series_to_json", "source_key", "source_keys"]

# 3: sources keyed by what they are, not by their place among the [[source]]s;
#    events carry their kind and typed facts (core/vocabulary)
FORMAT_VERSION = 3


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


def graph_key(config: GraphConfig) -> str:
    """Identifies what a graph's series depend on: its index and a digest of
    its url, query and step (a new title or unit needs no new pull)."""
    options = json.dumps([config.url, config.query, config.step], default=str)
    return f"graph:{config.index}:{hashlib.sha256(options.encode()).hexdigest()[:16]}"


def covers(cached: Cached, window: Window) -> bool:
    """Whether a cache entry was pulled for a window holding ``window``."""
    return cached.window is not None and cached.window.start <= window.start and window.end <= cached.window.end


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


@dataclass(frozen=True)
class Found:
    """What the cache holds for one source or graph: its ``entry`` (with the
    ``failure`` of the last pull when that failed: the entry is then its last
    good pull's); the ``failure`` alone when no pull was good; or ``stale``,
    why it cannot be used (:meth:`EventCache.stale_error`: pull again)."""

    entry: Cached | CachedGraph | None = None
    failure: Failure | None = None
    stale: str | None = None


class EventCache:
    """One incident's cache file, read at most once (on first use) for the
    whole command. An absent file, or one of another format, reads as if
    nothing had been pulled."""

    def __init__(self, incident: Incident):
        self.incident = incident
        self.path = cache_path(incident)
        self._data: dict | None = None     # the file's JSON in this format
        self._damaged: InputError | None = None
        self._damage_kind = ""
        self._loaded = False
        self._typed: dict = {}
        self._keys: dict[int, str] | None = None

    # -- the sections, typed ----------------------------------------------------

    @property
    def sources(self) -> dict[str, Cached]:
        """Cached sources by source key."""
        return self._section("sources", lambda entries, j: {
            key: j.cached_from_json(entry, str(self.path)) for key, entry in entries.items()}, {})

    @property
    def failed(self) -> dict[str, Failure]:
        """Sources the last pull could not read, by source key."""
        return self._section("failed", lambda entries, j: {
            key: j.failure_from_json(f) for key, f in entries.items()}, {})

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        """Cached Phabricator tasks, ``{"T123": TaskInfo}``."""
        return self._section("tasks", lambda tasks, j: {
            task: TaskInfo.from_json(info) for task, info in tasks.items()}, {})

    @property
    def previous(self) -> list[tuple[str, str]] | None:
        """Earlier reports from the wiki, ``[(title, wikitext)]``; None when they were not pulled."""
        return self._section("previous", lambda pages, j: [(p["title"], p["text"]) for p in pages], None)

    @property
    def graphs(self) -> dict[str, CachedGraph]:
        """Cached graph series by graph key."""
        return self._section("graphs", lambda entries, j: {key: j.graph_from_json(e) for key, e in entries.items()}, {})

    @property
    def graphs_failed(self) -> dict[str, Failure]:
        """Graphs the last pull could not read, by graph key."""
        return self._section("graphs_failed", lambda entries, j: {
            key: j.failure_from_json(f) for key, f in entries.items()}, {})

    @property
    def followups(self) -> dict[str, CreatedTask]:
        """The follow-up tasks made for the incident's actionables, by actionable key."""
        return self._section("followups", lambda entries, j: {
            key: j.created_task(key, e) for key, e in entries.items()}, {})

    # -- looking up -------------------------------------------------------------

    def source(self, config: SourceConfig, window: Window) -> Found:
        """A network source's records for ``window``: used only as pulled, for
        the same settings and a window that covers it."""
        if self._keys is None:
            self._keys = source_keys(self.incident.sources)
        key = self._keys[config.index]
        entry, failure = self.sources.get(key), self.failed.get(key)
        if entry is not None and covers(entry, window):
            return Found(entry, failure)
        if entry is not None:
            span = "an unknown window" if entry.window is None else _span(entry.window)
            return Found(stale=f"{config.name} was pulled for {span}, but the incident now needs {_span(window)}")
        if failure is not None:
            return Found(failure=failure)
        ours = set(self._keys.values())
        if any(k.partition(":")[0] == config.type and k not in ours for k in [*self.sources, *self.failed]):
            return Found(stale=f"the settings of {config.name} changed since the last pull")
        return Found(stale=f"{config.name} has not been pulled yet")

    def graph(self, config: GraphConfig, window: Window, step: int) -> Found:
        """A pulled graph's series, used only for the range and step it was asked for."""
        entries, failures = self.graphs, self.graphs_failed
        key = graph_key(config)
        entry = entries.get(key)
        if entry is not None and (entry.window, entry.step) == (window, step):
            return Found(entry)
        if entry is not None:
            return Found(stale=f"{config.name} was pulled for {_span(entry.window)} every {entry.step} s, "
                               f"but the incident now needs {_span(window)} every {step} s")
        if key in failures:
            return Found(failure=failures[key])
        if any(k.startswith(f"graph:{config.index}:") for k in [*entries, *failures]):
            return Found(stale=f"the url, query or step of {config.name} changed since the last pull")
        return Found(stale=f"{config.name} has not been pulled yet")

    def start_over_if_damaged(self) -> str | None:
        """Read a file that does not read as if nothing had been pulled (`pull
        --refresh`, which the damaged-cache error asks for, replaces it); the
        kind of damage, or None when the file and every section read well."""
        self._load()
        try:
            if self._damaged is not None:
                raise self._damaged
            for section in ("sources", "failed", "tasks", "previous", "graphs", "graphs_failed", "followups"):
                getattr(self, section)
        except InputError:
            self._data, self._damaged, self._typed = None, None, {}
            return self._damage_kind or "an event that does not read"
        return None

    def stale_error(self, found: Found) -> InputError:
        """The error that stops a command using a stale entry."""
        return InputError(f"{found.stale}: run `postmortem pull`", file=self.incident.path)

    # -- writing ----------------------------------------------------------------

    def replace_pulled(self, entries: dict[str, Cached], *, failures: dict[str, Failure] | None = None,
                       tasks: dict | None = None, previous: list | None = None,
                       graphs: dict[str, CachedGraph] | None = None,
                       graph_failures: dict[str, Failure] | None = None) -> None:
        """What a pull got in place of every section: these sources' entries and
        the sources that failed (and, when given, the ``tasks``, the ``previous``
        reports, the graphs' series and failures); the ``followups`` are kept
        (a damaged cache is replaced whole)."""
        from . import _cache_json as j
        self._load()
        payload = {"version": FORMAT_VERSION, "incident": self.incident.id,
                   "sources": {key: j.cached_to_json(entry) for key, entry in entries.items()}}
        if failures:
            payload["failed"] = {key: j.failure_to_json(f) for key, f in failures.items()}
        if tasks:
            payload["tasks"] = {task: info.to_json() for task, info in sorted(tasks.items())}
        if previous is not None:
            payload["previous"] = [{"title": title, "text": text} for title, text in previous]
        if graphs:
            payload["graphs"] = {key: j.graph_to_json(entry) for key, entry in graphs.items()}
        if graph_failures:
            payload["graphs_failed"] = {key: j.failure_to_json(f) for key, f in graph_failures.items()}
        kept = (self._data or {}).get("followups") if self._damaged is None else None
        if kept:  # what `followups --create` made outlives every pull
            payload["followups"] = kept
        self._replace(payload)

    def replace_followups(self, created: dict[str, CreatedTask]) -> None:
        """The ``followups`` section in place of the one read, the rest kept (a
        cache not yet there, or of an older format, starts with no sources)."""
        self._load()
        if self._damaged is not None:
            raise self._damaged
        payload = dict(self._data or {"version": FORMAT_VERSION, "incident": self.incident.id, "sources": {}})
        payload["followups"] = {key: c.to_json() for key, c in sorted(created.items())}
        self._replace(payload)

    def save(self) -> Path:
        """Write the cache atomically (temp file and rename), readable by its owner only."""
        write_atomically(self.path, json.dumps(self._data, indent=1, ensure_ascii=False) + "\n", private=True)
        return self.path

    # -- reading the file ---------------------------------------------------------

    def _replace(self, payload: dict) -> None:
        self._data, self._damaged, self._typed = payload, None, {}

    def _load(self) -> None:
        """Read the file, once."""
        if self._loaded:
            return
        self._loaded = True
        try:
            data = load_json(self.path.read_text(encoding="utf-8"))
            self._data = data if data.get("version") == FORMAT_VERSION else None
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError, TypeError) as err:
            self._damaged = self._damage(err)

    def _section(self, name: str, convert, absent):
        """``convert(data[name])``, made once; ``absent`` when there is no file,
        no such section, or a cache of an older format. One clear error for a
        damaged file, whichever section was asked for."""
        if name in self._typed:
            return self._typed[name]
        self._load()
        if self._damaged is not None:
            raise self._damaged
        raw = None if self._data is None else self._data.get(name)
        try:
            if raw is None:
                value = absent
            else:
                from . import _cache_json
                value = convert(raw, _cache_json)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise self._damage(err) from None
        self._typed[name] = value
        return value

    def _damage(self, err: Exception) -> InputError:
        self._damage_kind = type(err).__name__
        return InputError(f"damaged event cache ({type(err).__name__}); run `postmortem pull --refresh`",
                          file=self.path)


def _span(window: Window) -> str:
    return f"{format_utc(window.start)} to {format_utc(window.end)}"
