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


def compiled_templates():
    """Where jinja2 keeps the templates it compiled, between runs: compiling
    one costs about as much as the rest of a render. Jinja keys an entry by the
    template's name and a checksum of its source, in a per-user folder it
    checks (``FileSystemBytecodeCache``); None when that is unsafe."""
    import jinja2
    try:
        return jinja2.FileSystemBytecodeCache()
    except RuntimeError:
        return None


PRIVATE = 0o600


def _mode_for(path: Path, private: bool) -> int:
    """mkstemp makes 0600 files: a private file (the event cache: chat and
    alerts before ``[redact]``) stays so, even where it replaces one others
    could read. A file the user asked for (a report, an SVG, incident.toml)
    gets what any new file gets (the umask), or keeps the mode of the file it
    replaces: it is meant to be shared, and its reader is the user's choice."""
    if private:
        return PRIVATE
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename
    (mode: :func:`_mode_for`); InputError naming the path when it cannot be
    written (nothing is left behind)."""
    write_all_atomically([(path, text)], private=private)


def write_all_atomically(files, *, private: bool = False) -> None:
    """Write each ``(path, text)`` of ``files``, all or none: every text goes
    to its temp file first, and only when all were written are they renamed
    into place. InputError naming the first path that cannot be written
    (nothing is left behind, nothing replaced)."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            staged.append((_staged(Path(path), text, private), Path(path)))
        for tmp, path in staged:
            _attempt(os.replace, tmp, path, where=path)
    finally:
        _remove(tmp for tmp, _ in staged)   # those not renamed: after a failure


# A temp name within any file system's limit, whatever the name it stands for.
_TEMP_PREFIX_CHARACTERS = 40


def _staged(path: Path, text: str, private: bool) -> str:
    """``text`` in a temp file beside ``path``, with the mode ``path`` will have."""
    folder = path.parent or Path(".")
    most = _attempt(_name_max, folder, where=path)
    if len(os.fsencode(path.name)) > most:
        raise InputError(f"cannot write: the file name is longer than the {most} bytes "
                         f"this file system allows", file=_shown(path))
    fd, tmp = _attempt(tempfile.mkstemp, prefix=f".{path.name[:_TEMP_PREFIX_CHARACTERS]}.", dir=folder,
                       where=path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path, private))
    except OSError as err:
        _remove([tmp])
        raise InputError(f"cannot write: {err.strerror or err}", file=_shown(path)) from None
    except BaseException:
        _remove([tmp])
        raise
    return tmp


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (ValueError, AttributeError):
        return 255


def _attempt(call, *args, where: Path, **kwargs):
    try:
        return call(*args, **kwargs)
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror or err}", file=_shown(where)) from None


def _shown(path: Path) -> str:
    """A path for a message: a name too long to read is cut (its start says which)."""
    text = str(path)
    return text if len(text) <= 120 else text[:100] + f"… ({len(text)} characters)"


def _remove(paths) -> None:
    for tmp in paths:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
