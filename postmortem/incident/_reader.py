"""Reading incident.toml's tables: every value checked for its kind, every
error an IncidentFileError naming the file, the line of the key and the key."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..core.errors import IncidentFileError
from ..core.timeutil import parse_duration, parse_time


class Locator:
    """Finds the line of a key in the TOML text, for error messages."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
    _KEY = re.compile(r'^\s*"?([A-Za-z0-9_.-]+)"?\s*=')

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line_of(self, table: str, key: str | None = None, index: int = 0) -> int | None:
        """Line number of ``key`` in the ``index``-th ``[table]``/``[[table]]``."""
        seen, inside, header_line = -1, False, None
        for number, line in enumerate(self.lines, 1):
            header = self._HEADER.match(line)
            if header:
                inside = header.group(2) == table and (seen := seen + 1) == index
                if inside:
                    header_line = number
                    if key is None:
                        return number
                continue
            found = self._KEY.match(line)
            if inside and found and found.group(1) == key:
                return number
        return header_line


class Reader:
    """Validates one parsed document; every error goes through :meth:`fail`."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.locator = Locator(text)

    def fail(self, message: str, table: str, key: str | None = None, index: int = 0):
        line = self.locator.line_of(table, key, index)
        where = f"[{table}]" if key is None else key
        raise IncidentFileError(message, file=self.path, line=line, key=where)

    def value(self, data: dict, key: str, kind, table: str, index: int = 0, required=False):
        if key not in data:
            if required:
                self.missing(key, table, index)
            return None
        value = data[key]
        if kind is list:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            expected = "a list of strings"
        else:
            ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            expected = {str: "a string", int: "an integer", bool: "true or false", dict: "a table"}[kind]
        if not ok:
            self.fail(f"expected {expected}, got {value!r}", table, key, index)
        return value

    def time(self, data: dict, key: str, table: str, index: int = 0, required=False):
        raw = data.get(key)
        if raw is None:
            if required:
                self.missing(key, table, index)
            return None, None
        try:
            return parse_time(raw)
        except ValueError as err:
            self.fail(str(err), table, key, index)

    def missing(self, key: str, table: str, index: int = 0):
        """``[incident]: missing "start"``, at the table's line."""
        raise IncidentFileError(f"missing {key!r} (required)".replace("'", '"'), file=self.path,
                                line=self.locator.line_of(table, None, index), key=f"[{table}]")

    def duration(self, data: dict, key: str, table: str) -> dt.timedelta | None:
        raw = self.value(data, key, str, table)
        if raw is None:
            return None
        try:
            return parse_duration(raw)
        except ValueError as err:
            self.fail(str(err), table, key)

    def unknown_keys(self, data: dict, allowed: set, table: str, index: int = 0):
        for key in data:
            if key not in allowed:
                self.fail(f"unknown key (expected one of {', '.join(sorted(allowed))})", table, key, index)
