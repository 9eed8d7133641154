"""Sources: where events come from. One module per source type.

Each module exposes ``SOURCE``, an object following :class:`Source`. The
registry below maps a ``[[source]] type`` to its module; modules are imported
only when used, so reading local files never imports the HTTP stack.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Iterable, Protocol

from ...core.errors import IncidentFileError
from ...core.model import Event, SourceConfig, Window

# type in incident.toml -> module in this package
REGISTRY: dict[str, str] = {
    "slack-export": "slack_export",
    "irc": "irc",
    "sal-wikitext": "sal_wikitext",
    "alert-email": "alert_email",
    "sal": "sal",
    "alertmanager": "alertmanager",
    "prometheus": "prometheus",
    "slack": "slack",
    "phabricator": "phabricator",
    "statuspage": "statuspage",
}


class Source(Protocol):
    """What every source module's ``SOURCE`` provides."""

    type: str
    network: bool  # True: read by `pull` into the cache; False: read from disk every time

    def check(self, config: SourceConfig) -> None:
        """Validate the options when incident.toml is loaded; raise IncidentFileError."""

    def read(self, config: SourceConfig, window: Window, session=None) -> Iterable[Event]:
        """Events in ``window``; raise SourceError/SourceFormatError, never return partial data."""


def get_source(type_name: str) -> Source:
    """The source for a ``type``; IncidentFileError for an unknown one."""
    module_name = REGISTRY.get(type_name)
    if module_name is None:
        known = ", ".join(sorted(REGISTRY))
        raise IncidentFileError(f"unknown source type {type_name!r} (known: {known})", key="type")
    return importlib.import_module(f"{__name__}.{module_name}").SOURCE


def needs_pull(config: SourceConfig) -> bool:
    """True when `pull` fetches this source into the cache (a service), False when
    it is read from disk each time; a source may decide per configuration
    (``is_network(config)``, e.g. sal-wikitext's file and wiki variants)."""
    source = get_source(config.type)
    decide = getattr(source, "is_network", None)
    return bool(decide(config)) if decide is not None else bool(source.network)


# Helpers shared by the file sources.

def option(config: SourceConfig, name: str, kind=str, default=None, required=False):
    """One option of a ``[[source]]``, type-checked, with the key in the error."""
    value = config.options.get(name, default)
    if value is None:
        if required:
            raise IncidentFileError(f"{config.name} needs {name!r}", file=config.file, key=name)
        return None
    if not isinstance(value, kind):
        expected = {str: "a string", list: "a list", int: "an integer", bool: "true or false"}.get(kind, kind.__name__)
        raise IncidentFileError(f"{config.name}: {name!r} must be {expected}, got {value!r}",
                                file=config.file, key=name)
    return value


def check_options(config: SourceConfig, allowed: Iterable[str]) -> None:
    """Refuse options a source does not know (a typo would silently do nothing)."""
    unknown = sorted(set(config.options) - set(allowed) - {"type"})
    if unknown:
        raise IncidentFileError(f"{config.name}: unknown option {unknown[0]!r} "
                                f"(known: {', '.join(sorted(allowed))})", file=config.file, key=unknown[0])


def resolve_paths(config: SourceConfig, pattern: str) -> list[Path]:
    """Files a ``path`` option names (relative to incident.toml; globs allowed)."""
    base = Path(config.base_dir)
    candidate = Path(pattern).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    if any(ch in pattern for ch in "*?["):
        anchor = Path(candidate.anchor)
        paths = sorted(anchor.glob(str(candidate.relative_to(anchor))))
    else:
        paths = [candidate] if candidate.exists() else []
    if not paths:
        raise IncidentFileError(f"{config.name}: no file matches path {pattern!r}",
                                file=config.file, key="path")
    return paths
