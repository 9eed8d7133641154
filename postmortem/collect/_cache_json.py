"""The event cache's entries and their JSON, both ways (the format is
described in :mod:`postmortem.collect.cache`, which alone reads and writes the
file). A value that does not read raises KeyError, TypeError or ValueError
(an event: InputError naming the file), which the cache reports as damaged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..core import vocabulary
from ..core.accounting import Tally
from ..core.errors import InputError
from ..core.frozen import strings
from ..core.model import Event, Series, Window
from ..core.scrub import clean
from ..core.timeutil import format_utc, parse_time
from .sources.prometheus import series_from_json, series_to_json


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


@dataclass(frozen=True)
class CachedGraph:
    """One graph's entry: the range (``window``) and ``step`` asked, the series answered."""

    window: Window
    step: int
    series: tuple[Series, ...]
    fetched: str = ""


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


def created_task(key: str, entry: dict) -> CreatedTask:
    """A ``followups`` entry back; ValueError for a task id that is not ``T`` and digits."""
    return CreatedTask(key, entry["text"], entry["title"], _task_or_none(entry.get("task")), entry["at"])


def _task_or_none(value) -> str | None:
    if value is not None and not (isinstance(value, str) and value[:1] == "T" and value[1:].isdigit()):
        raise ValueError(f"not a task id: {value!r}")
    return value


def failure_from_json(entry: dict) -> Failure:
    return Failure(clean(entry["name"]), clean(entry["error"]), entry.get("at", ""))


def cached_from_json(entry: dict, where: str) -> Cached:
    events = [event_from_json(e, where) for e in entry["events"]]
    window = entry.get("window")
    window = Window(parse_time(window[0])[0], parse_time(window[1])[0]) if window else None
    fetched = entry.get("fetched", "")
    if fetched:
        parse_time(fetched)  # a pull time that does not read is a damaged cache (ValueError)
    return Cached(events, window, Tally.from_json(entry.get("tally") or {}), fetched)


def graph_from_json(entry: dict) -> CachedGraph:
    start, end = (parse_time(t)[0] for t in entry["window"])
    series = tuple(series_from_json(item) for item in entry["series"])
    return CachedGraph(Window(start, end), int(entry["step"]), series, entry.get("fetched", ""))


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
                 precision=data.get("precision", "second"), fields=strings(data.get("fields") or {}),
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


def failure_to_json(failure: Failure) -> dict:
    return {"name": clean(failure.name), "error": clean(failure.error), "at": failure.at}


def cached_to_json(entry: Cached) -> dict:
    data = {"fetched": entry.fetched, "events": [event_to_json(e) for e in entry.events],
            "tally": entry.tally.to_json()}
    if entry.window is not None:
        data["window"] = [format_utc(entry.window.start), format_utc(entry.window.end)]
    return data


def graph_to_json(entry: CachedGraph) -> dict:
    return {"fetched": entry.fetched, "window": [format_utc(entry.window.start), format_utc(entry.window.end)],
            "step": entry.step, "series": [series_to_json(s) for s in entry.series]}
