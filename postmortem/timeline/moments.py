"""Key moments: the first event carrying each key-moment tag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..core.model import Records
from ..core.vocabulary import KEY_MOMENT_TAGS, Event


@dataclass(frozen=True)
class KeyMoments:
    """The first event carrying each key-moment tag (outage-begins, detection,
    mitigation, outage-ends, resolved); None where no event carries it."""

    moments: dict

    def __getitem__(self, tag: str) -> Event | None:
        return self.moments.get(tag)


def key_moments(records: Records) -> KeyMoments:
    """The key moments of the gathered timeline."""
    return moments_in(records.events)


def moments_in(events: Iterable[Event]) -> KeyMoments:
    """Key moments of events in time order."""
    found: dict = {}
    for event in events:
        for tag in event.tags:
            if tag in KEY_MOMENT_TAGS and tag not in found:
                found[tag] = event
    return KeyMoments(found)
