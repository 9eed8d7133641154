"""Read-only string mappings that an alert storm can afford: an alert's labels,
an event's fields."""

from __future__ import annotations

import sys
from types import MappingProxyType
from typing import Mapping


def frozen_strings(mapping: Mapping[str, str]) -> Mapping[str, str]:
    """A read-only copy of ``mapping`` whose keys and values are shared with every
    equal string (an alert storm repeats ``alertname``, ``severity``, ``critical``
    tens of thousands of times); a read-only mapping (as this makes) is kept as it is, so
    ``replace()`` of an event or alert copies nothing."""
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType({sys.intern(key): _shared(value) for key, value in mapping.items()})


def _shared(value):
    return sys.intern(value) if type(value) is str else value
