"""Sources: where events come from. One module per source type.

Each module exposes ``SOURCE``, an object following :class:`Source` (most
derive from :class:`BaseSource`): what it is (label, family, whether its
events are people talking, whether it is fetched over the network, whether it
gives tasks) and how it checks its options and reads its events. The registry
below maps a ``[[source]] type`` to its module: adding a source is one module
and one line here. Modules are imported only when used, so reading local
files never imports the HTTP stack (after pre-commit's ``lang_base.py`` /
``all_languages.py``).
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
    """What every source module's ``SOURCE`` says about itself and does."""

    type: str            # the ``[[source]] type``
    label: str | None    # how the report names it ("IRC", "SAL", "alert"); None: no events
    family: str          # what kind of record: "sal", "irc", "slack", "alert", "status-page", "tasks"
    talking: bool        # its events are people writing (reports, replies, actions)
    network: bool        # fetched by `pull` into the cache, else read from disk every time
    gives_tasks: bool    # fetch_tasks() tells the actionables' tasks (title, status, owner)

    def check(self, config: SourceConfig) -> None:
        """Validate the options when incident.toml is loaded; raise IncidentFileError."""

    def read(self, config: SourceConfig, window: Window, session=None) -> Iterable[Event]:
        """Events in ``window``; raise SourceError/SourceFormatError, never return partial data."""

    def needs_pull(self, config: SourceConfig) -> bool:
        """Whether `pull` fetches this configuration (a source may have both kinds)."""

    def fetch_tasks(self, config: SourceConfig, task_ids, session) -> dict:
        """``{"T123": TaskInfo}`` for the tasks it knows (only when ``gives_tasks``)."""


class BaseSource:
    """Defaults for :class:`Source`: a file source with no tasks; subclasses
    set their class attributes and define ``check`` and ``read``."""

    type = ""
    label: str | None = None
    family = ""
    talking = False
    network = False
    gives_tasks = False

    def check(self, config: SourceConfig) -> None:
        raise NotImplementedError

    def read(self, config: SourceConfig, window: Window, session=None) -> Iterable[Event]:
        raise NotImplementedError

    def needs_pull(self, config: SourceConfig) -> bool:
        return self.network

    def fetch_tasks(self, config: SourceConfig, task_ids, session) -> dict:
        raise NotImplementedError(f"the {self.type} source gives no tasks")


class ManualEntries(BaseSource):
    """The ``[[event]]`` entries of incident.toml: people writing, shown unlabelled."""

    type = family = "manual"
    talking = True


MANUAL = ManualEntries()


def get_source(type_name: str) -> Source:
    """The source for a ``type``; IncidentFileError for an unknown one."""
    module_name = REGISTRY.get(type_name)
    if module_name is None:
        known = ", ".join(sorted(REGISTRY))
        raise IncidentFileError(f"unknown source type {type_name!r} (known: {known})", key="type")
    return importlib.import_module(f"{__name__}.{module_name}").SOURCE


def describe(source_type: str) -> Source:
    """What an event's ``source`` is: a registered source, the manual entries,
    or (for a type no source has, e.g. in a hand-made event) an unlabelled one."""
    if source_type == MANUAL.type:
        return MANUAL
    if source_type not in REGISTRY:
        unknown = BaseSource()
        unknown.type = unknown.family = source_type
        return unknown
    return get_source(source_type)


def needs_pull(config: SourceConfig) -> bool:
    """True when `pull` fetches this source into the cache (a service), False when
    it is read from disk each time."""
    return get_source(config.type).needs_pull(config)


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
