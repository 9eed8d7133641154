"""The user's settings: an option, else the environment, else the config file,
else the default; and where each one in force comes from (`postmortem config`).

The config file is ``$XDG_CONFIG_HOME/postmortem/config.toml`` (default
``~/.config/postmortem/config.toml``, after the XDG Base Directory
Specification, https://specifications.freedesktop.org/basedir-spec/latest/)::

    wiki = "https://wikitech.wikimedia.org/w/api.php"   # or POSTMORTEM_WIKI
    contact = "you@example.org"                         # or POSTMORTEM_CONTACT

    [credentials]                     # or the environment variable of the same name
    POSTMORTEM_WIKI_USER = "Me@postmortem"
    POSTMORTEM_WIKI_PASSWORD = "..."

A file that holds credentials must be readable by its owner only. The older
``credentials.toml`` beside it (``NAME = "value"`` lines) is still read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .nesting import load_toml

# The project's own address: the default contact of the User-Agent, which
# Wikimedia's policy asks to reach the operator (set `contact` to yours).
PROJECT_URL = "https://pypi.org/project/wikitech-postmortem/"
SETTINGS = {  # name: (environment variable, default, what it is)
    "wiki": ("POSTMORTEM_WIKI", None, "the wiki's api.php URL, when a command's --wiki is not given"),
    "contact": ("POSTMORTEM_CONTACT", PROJECT_URL, "your e-mail or page, sent in the User-Agent"),
}
KNOWN_CREDENTIALS = ("POSTMORTEM_WIKI_USER", "POSTMORTEM_WIKI_PASSWORD")
NOT_SECRET = frozenset({"POSTMORTEM_WIKI_USER"})  # a user name is in every edit's history


@dataclass(frozen=True)
class Setting:
    """One setting in force: its value (None: not set) and where it comes from."""

    name: str
    value: str | None
    origin: str
    secret: bool = False

    def shown(self) -> str:
        """The value as `postmortem config` prints it: a secret masked."""
        if self.value is None:
            return "(not set)"
        if self.secret:
            return "**** (set; never shown)"
        return self.value


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/postmortem``, or ``~/.config/postmortem``."""
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path("~/.config").expanduser()
    return root / "postmortem"


def config_path() -> Path:
    return config_dir() / "config.toml"


def credentials_path() -> Path:
    """The older credentials-only file (``NAME = "value"`` lines)."""
    return config_dir() / "credentials.toml"


def read_config(path: Path | None = None) -> dict:
    """The config file as a dict ({} when there is none); InputError naming the
    file for a broken one, an unknown key, or credentials others can read."""
    path = path or config_path()
    data = _read_toml(path)
    unknown = sorted(set(data) - set(SETTINGS) - {"credentials"})
    if unknown:
        raise InputError(f"unknown setting {unknown[0]!r} (known: {', '.join([*SETTINGS, 'credentials'])})",
                         file=path)
    for name in SETTINGS:
        if name in data and not (isinstance(data[name], str) and data[name]):
            raise InputError(f"{name} must be a non-empty string", file=path)
    credentials = data.get("credentials", {})
    if not isinstance(credentials, dict) or not all(isinstance(v, str) for v in credentials.values()):
        raise InputError("[credentials] holds NAME = \"value\" lines", file=path)
    if credentials:
        _owner_only(path)
    return data


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise InputError(f"cannot read it: {err.strerror}", file=path) from None
    try:
        return load_toml(text)
    except ValueError as err:  # tomllib.TOMLDecodeError and TooDeep are ValueErrors
        raise InputError(f"not valid TOML: {err}", file=path) from None


def _owner_only(path: Path) -> None:
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError("others can read this file; run chmod 600 on it", file=path)


def setting(name: str, option: str | None = None, *, option_name: str | None = None) -> Setting:
    """The setting ``name`` in force: ``option`` (a command-line value) first,
    then its environment variable, then the config file, then the default."""
    env_name, default, _ = SETTINGS[name]
    if option:
        return Setting(name, option, f"the option {option_name or '--' + name}")
    if os.environ.get(env_name):
        return Setting(name, os.environ[env_name], f"the environment variable {env_name}")
    path = config_path()
    value = read_config(path).get(name)
    if value:
        return Setting(name, value, str(path))
    return Setting(name, default, "the default" if default else "not set")


def credential(env_name: str) -> Setting:
    """A secret by its variable name: the environment, then the config file's
    ``[credentials]``, then the older credentials.toml (value None: nowhere)."""
    secret = env_name not in NOT_SECRET
    if os.environ.get(env_name):
        return Setting(env_name, os.environ[env_name], f"the environment variable {env_name}", secret)
    for path, table in ((config_path(), lambda d: d.get("credentials", {})), (credentials_path(), lambda d: d)):
        value = table(read_config(path) if path == config_path() else _legacy(path)).get(env_name)
        if isinstance(value, str) and value:
            return Setting(env_name, value, str(path), secret)
    return Setting(env_name, None, "not set", secret)


def _legacy(path: Path) -> dict:
    if not path.exists():
        return {}
    _owner_only(path)
    try:
        return _read_toml(path)
    except InputError:
        raise InputError("cannot read credentials: not valid TOML", file=path) from None


def in_force() -> list[Setting]:
    """Every setting and every credential the config names or the tool knows."""
    names = list(KNOWN_CREDENTIALS)
    names += [n for n in read_config().get("credentials", {}) if n not in names]
    names += [n for n in _legacy(credentials_path()) if n not in names]
    return [setting(name) for name in SETTINGS] + [credential(name) for name in names]
