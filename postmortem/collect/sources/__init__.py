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
from urllib.parse import urlsplit

from ...core.errors import IncidentFileError, PostmortemError, SourceError, SourceFormatError
from ...core.model import Event, SourceConfig, Window
from ...core.scrub import hold_url

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
    "splunk-oncall": "splunk_oncall",
    "pagerduty": "pagerduty",
    "gerrit": "gerrit",
}
# Read from disk by each command; the others are services `pull` fetches
# (said here so that a command's help need not import every source module).
FILE_TYPES = ("slack-export", "irc", "sal-wikitext", "alert-email")


def network_types() -> tuple[str, ...]:
    """The source types `pull` fetches, in the registry's order."""
    return tuple(t for t in REGISTRY if t not in FILE_TYPES)


class Source(Protocol):
    """What every source module's ``SOURCE`` says about itself and does."""

    type: str            # the ``[[source]] type``
    label: str | None    # how the report names it ("IRC", "SAL", "alert"); None: no events
    family: str          # what kind of record: "sal", "irc", "slack", "alert", "page", "status-page", "tasks", "change"
    talking: bool        # its events are people writing (reports, replies, actions)
    network: bool        # fetched by `pull` into the cache, else read from disk every time
    gives_tasks: bool    # fetch_tasks() tells the actionables' tasks (title, status, owner)

    def check(self, config: SourceConfig) -> None:
        """Validate the options when incident.toml is loaded; raise IncidentFileError."""

    def read(self, config: SourceConfig, window: Window, session=None, tally=None) -> Iterable[Event]:
        """Events in ``window``; raise SourceError/SourceFormatError, never return
        partial data. Every record read is counted in ``tally`` (a
        :class:`~postmortem.core.accounting.Tally`), and each one not turned into
        an event is dropped or skipped there with its reason."""

    def needs_pull(self, config: SourceConfig) -> bool:
        """Whether `pull` fetches this configuration (a source may have both kinds)."""

    def fetch_tasks(self, config: SourceConfig, task_ids, session) -> dict:
        """``{"T123": TaskInfo}`` for the tasks it knows (only when ``gives_tasks``)."""

    def session_options(self, config: SourceConfig) -> dict:
        """What its HTTP session needs beyond the defaults (e.g. a longer deadline
        for an API that allows one call a minute): options of BoundedSession."""


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

    def read(self, config: SourceConfig, window: Window, session=None, tally=None) -> Iterable[Event]:
        raise NotImplementedError

    def needs_pull(self, config: SourceConfig) -> bool:
        return self.network

    def fetch_tasks(self, config: SourceConfig, task_ids, session) -> dict:
        raise NotImplementedError(f"the {self.type} source gives no tasks")

    def session_options(self, config: SourceConfig) -> dict:
        return {}


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


def names_option(config: SourceConfig, name: str, default=()) -> frozenset[str]:
    """A list of names (nicks, bot names), lower case to compare them as IRC and
    Slack do; IncidentFileError for anything but a list of names."""
    names = option(config, name, list, list(default))
    if not all(isinstance(one, str) and one.strip() for one in names):
        raise IncidentFileError(f"{config.name}: {name!r} must be a list of names, got {names!r}",
                                file=config.file, key=name)
    return frozenset(one.lower() for one in names)


def check_url(config: SourceConfig, name: str = "url", required: bool = True) -> str | None:
    """An ``http(s)://`` URL option (checked at load time, without the HTTP
    stack); a password in it is held (no message shows it)."""
    value = option(config, name, required=required)
    hold_url(value)
    if value is not None and urlsplit(value).scheme not in ("http", "https"):
        raise IncidentFileError(f"{config.name}: {name!r} must be an http(s) URL, got {value!r}",
                                file=config.file, key=name)
    if value is not None and not urlsplit(value).netloc:
        raise IncidentFileError(f"{config.name}: {name!r} has no host: {value!r}",
                                file=config.file, key=name)
    return value


def token(config: SourceConfig, url: str, *, required: bool, name: str = "token_env") -> str | None:
    """The secret named by the ``token_env`` option (or another ``*_env``
    option: ``name``) from the environment or the user's 0600 config file, only
    for an https or loopback ``url``; None when not configured."""
    from ...net.http import require_secure, secret
    env_name = option(config, name, required=required)
    if env_name is None:
        return None
    require_secure(url, f"the {env_name} secret" if name != "token_env" else f"the {env_name} token")
    try:
        return secret(env_name)
    except PostmortemError as err:
        err.source = config.name
        raise


def check_options(config: SourceConfig, allowed: Iterable[str]) -> None:
    """Refuse options a source does not know (a typo would silently do nothing)."""
    unknown = sorted(set(config.options) - set(allowed) - {"type"})
    if unknown:
        raise IncidentFileError(f"{config.name}: unknown option {unknown[0]!r} "
                                f"(known: {', '.join(sorted(allowed))})", file=config.file, key=unknown[0])


def resolve_paths(config: SourceConfig, pattern: str) -> list[Path]:
    """Files a ``path`` option names (relative to incident.toml; globs allowed).
    A folder is not a file: naming one is an error that says to give a glob, and
    folders a glob matches are left out (there is nothing in them to read as lines)."""
    _no_endless_glob(config, pattern)
    base = Path(config.base_dir)
    candidate = Path(pattern).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    if any(ch in pattern for ch in "*?["):
        anchor = Path(candidate.anchor)
        paths = sorted(p for p in anchor.glob(str(candidate.relative_to(anchor))) if not p.is_dir())
    elif candidate.is_dir():
        raise IncidentFileError(f"{config.name}: path {pattern!r} is a folder; give the files, "
                                f"e.g. {pattern.rstrip('/') + '/*.log'!r}", file=config.file, key="path")
    else:
        paths = [candidate] if candidate.exists() else []
    if not paths:
        raise IncidentFileError(f"{config.name}: no file matches path {pattern!r}",
                                file=config.file, key="path")
    return paths


# No file name is longer than 255 bytes (NAME_MAX on Linux and the usual file
# systems); a glob part a few times that long is no pattern anyone writes, and
# matching one costs the square of its length (100,000 '[' took minutes).
MAX_PATH_PART = 1024


def _no_endless_glob(config: SourceConfig, pattern: str) -> None:
    longest = max((len(part) for part in pattern.replace("\\", "/").split("/")), default=0)
    if longest > MAX_PATH_PART:
        raise IncidentFileError(f"{config.name}: path has a part of {longest} characters, which names no file "
                                f"(at most {MAX_PATH_PART})", file=config.file, key="path")


DEFAULT_ENCODING = "utf-8"


def encoding_of(config: SourceConfig) -> str:
    """The ``encoding`` option (default UTF-8), a codec Python knows."""
    name = option(config, "encoding", default=DEFAULT_ENCODING)
    try:
        ascii_compatible = "a:\n".encode(name) == b"a:\n"
    except LookupError:
        raise IncidentFileError(f"{config.name}: unknown encoding {name!r} (e.g. \"utf-8\", \"latin-1\")",
                                file=config.file, key="encoding") from None
    if not ascii_compatible:  # logs are read line by line, split at b"\n"
        raise IncidentFileError(f"{config.name}: encoding {name!r} is not ASCII-compatible; convert "
                                f"the file to UTF-8 first", file=config.file, key="encoding")
    return name


def text_lines(path: Path, encoding: str = DEFAULT_ENCODING, *, source: str | None = None):
    """``(number, line)`` for each line of a text file, decoded line by line (so a
    huge log is streamed), a UTF-8 byte-order mark accepted on the first line.
    Undecodable bytes are SourceFormatError naming the file, the line and the
    byte, with the way out (the ``encoding`` option); OSError is SourceError.
    A file cut mid-write inside a character (its last line ends in the first
    bytes of one) gives that line's whole characters, as a cut between two would."""
    try:
        with Path(path).open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                line = _decode_line(raw, encoding, path, number, source)
                yield number, (line.lstrip("\ufeff") if number == 1 else line)
    except OSError as err:
        raise SourceError(f"cannot read: {err.strerror or err}", file=path, source=source) from None


def _decode_line(raw: bytes, encoding: str, path: Path, number: int, source) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        if err.end == len(raw) and not raw.endswith(b"\n") and err.reason == "unexpected end of data":
            return raw[:err.start].decode(encoding)  # cut inside the last character
        raise SourceFormatError(f"not {encoding} text: byte 0x{raw[err.start]:02x} at column {err.start + 1} "
                                f"(set encoding = \"latin-1\" or the log's encoding in this [[source]])",
                                file=path, line=number, source=source) from None
