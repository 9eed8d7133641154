"""`postmortem init`: a commented incident.toml to start from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from string import Template

from ..core.files import write_atomically
from ..core.errors import InputError


def skeleton_text(now: dt.datetime | None = None) -> str:
    """The skeleton with today's date and the current UTC minute filled in."""
    from ..core.files import templates_dir
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    raw = (templates_dir() / "incident.toml").read_text(encoding="utf-8")
    return Template(raw).substitute(date=now.strftime("%Y-%m-%d"), now=now.strftime("%Y-%m-%d %H:%M"))


def write_skeleton(directory: Path, *, force: bool = False) -> Path:
    """Write DIR/incident.toml; refuses to overwrite unless ``force``."""
    directory = Path(directory)
    target = directory / "incident.toml"
    if target.exists() and not force:
        raise InputError("already exists (use --force to overwrite)", file=target)
    if directory.exists() and not directory.is_dir():
        raise InputError("not a directory", file=directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the folder: {err.strerror or err}", file=directory) from None
    write_atomically(target, skeleton_text())
    return target
