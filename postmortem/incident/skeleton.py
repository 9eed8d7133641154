"""`postmortem init`: a commented incident.toml to start from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from string import Template

from ..core.files import write_atomically
from ..core.errors import InputError
from ..core.lazy_regex import LazyRegex
from ..core.timeutil import parse_time


def skeleton_text(now: dt.datetime | None = None, *, incident_id: str | None = None) -> str:
    """The skeleton with ``now`` (default: the current UTC minute) as the start and
    ``incident_id`` (default ``<date> new-incident``) filled in."""
    from ..core.files import templates_dir
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    raw = (templates_dir() / "incident.toml").read_text(encoding="utf-8")
    incident_id = incident_id or f"{now:%Y-%m-%d} new-incident"
    return Template(raw).substitute(date=now.strftime("%Y-%m-%d"), now=now.strftime("%Y-%m-%d %H:%M"),
                                    id=json.dumps(incident_id, ensure_ascii=False)[1:-1])  # a TOML basic string


FOLDER = LazyRegex(r"(\d{4}-\d{2}-\d{2})-(.+)")  # incidents/2024-05-01-db-failover


def from_folder(name: str) -> tuple[str | None, str | None]:
    """``(id, start)`` a ``YYYY-MM-DD-name`` folder gives (``"YYYY-MM-DD name"``,
    ``"YYYY-MM-DD 00:00"``), as Wikitech names reports; (None, None) otherwise."""
    found = FOLDER.fullmatch(name)
    if not found:
        return None, None
    try:
        dt.date.fromisoformat(found[1])
    except ValueError:
        return None, None
    return f"{found[1]} {found[2]}", f"{found[1]} 00:00"


def write_skeleton(directory: Path, *, force: bool = False, incident_id: str | None = None,
                   start: str | None = None) -> Path:
    """Write DIR/incident.toml; refuses to overwrite unless ``force``. ``start``
    (``2024-03-05 06:58``, UTC unless it says otherwise) and ``incident_id`` fill
    the skeleton (`postmortem missing` prints the line that does it); without
    them a ``YYYY-MM-DD-name`` folder gives both (:func:`from_folder`)."""
    directory = Path(directory)
    folder_id, folder_start = from_folder(directory.resolve().name)
    incident_id, start = incident_id or folder_id, start or folder_start
    target = directory / "incident.toml"
    try:
        if target.exists() and not force:
            raise InputError("already exists (use --force to overwrite)", file=target)
        if directory.exists() and not directory.is_dir():
            raise InputError("not a directory", file=directory)
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a name too long, a folder not ours…: asked about or made alike
        raise InputError(f"cannot create the folder: {err.strerror or err}", file=directory) from None
    write_atomically(target, skeleton_text(_start(start), incident_id=_incident_id(incident_id)))
    return target


def _start(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text)[0]
    except ValueError as err:
        raise InputError(str(err), key="--start") from None


def _incident_id(text: str | None) -> str | None:
    if text is not None and (not text.strip() or any(ch in text for ch in "#<>[]|{}")):
        raise InputError("an incident id is a page name: not empty, without # < > [ ] | { }", key="--id")
    return text.strip() if text else None
