"""Files: atomic writes, and where the bundled templates are."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError

DEFAULT_TEMPLATE = "wikitech"


def templates_dir() -> Path:
    """Bundled templates: templates/ beside this package in a checkout (even when
    another checkout is installed in editable mode), else inside the installed package."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "__init__.py").exists() and (checkout / f"{DEFAULT_TEMPLATE}.wiki.j2").exists():
        return checkout
    try:
        from importlib.resources import files
        bundled = Path(str(files("postmortem.templates")))
        if (bundled / f"{DEFAULT_TEMPLATE}.wiki.j2").exists():
            return bundled
    except ModuleNotFoundError:
        pass
    return checkout


def _mode_for(path: Path) -> int:
    """mkstemp makes 0600 files; a report should get what any new file gets
    (the umask), or keep the mode of the file it replaces."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename;
    InputError naming the path when it cannot be written (nothing is left behind)."""
    path = Path(path)
    try:
        _replace_with(path, text)
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror or err}", file=path) from None


def _replace_with(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
