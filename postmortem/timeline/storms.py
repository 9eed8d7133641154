"""Alert storms: many alerts of one rule firing (or resolving) together — a rack
losing power, an OSD flap, a probe failing on every host behind a load
balancer. A report written by a person says "CephOSDDown fired for 2,500
OSDs from 02:10 to 02:40" once, not 2,500 times: the report's Timeline shows
a storm's first alert and counts the rest on its line, its Detection section
gives one line per storm. The `timeline` command still shows every alert.

A storm is :data:`STORM_SIZE` or more alerts of one name and state, each
within :data:`STORM_GAP` of the one before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from ..core.model import Event
from ..core.vocabulary import alert_name, alert_state, is_alert

STORM_SIZE = 4
STORM_GAP = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Storm:
    """The alerts of one storm, in time order."""

    events: tuple[Event, ...]

    @property
    def first(self) -> Event:
        return self.events[0]

    @property
    def last(self) -> Event:
        return self.events[-1]

    @property
    def name(self) -> str:
        return alert_name(self.first) or ""


def alert_storms(events: Iterable[Event]) -> list[Storm]:
    """The storms among ``events`` (in time order), by their first alert's time."""
    runs: dict[tuple, list[list[Event]]] = {}
    for event in events:
        if not is_alert(event):
            continue
        same = runs.setdefault((alert_name(event), alert_state(event)), [])
        if same and event.time - same[-1][-1].time <= STORM_GAP:
            same[-1].append(event)
        else:
            same.append([event])
    storms = [Storm(tuple(run)) for same in runs.values() for run in same if len(run) >= STORM_SIZE]
    return sorted(storms, key=lambda storm: storm.first.time)


def after_the_first(storms: Iterable[Storm]) -> set[int]:
    """The ids of every storm's alerts but its first (the ones a report counts instead of showing)."""
    return {id(event) for storm in storms for event in storm.events[1:]}
