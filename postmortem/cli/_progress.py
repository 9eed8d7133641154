"""What `pull` shows while it waits: on a terminal, one line redrawn over itself
with the sources still running and the time so far; into a pipe or a file, a
line as each source ends. A failed source is said once, on the error path."""

from __future__ import annotations

import sys
import time

from ..core.words import counted
from ._common import error


class PullProgress:
    """The callbacks of :func:`postmortem.collect.pull.pull` (``progress``,
    ``finished``, ``tick``), writing to ``stream`` (stderr) on ``clock``."""

    def __init__(self, stream=None, *, clock=time.monotonic, strict: bool = False):
        self.stream, self.strict = stream or sys.stderr, strict  # strict: the pull's own error says it
        self.clock, self.started = clock, clock()
        self.terminal = bool(getattr(self.stream, "isatty", None) and self.stream.isatty())
        self.total, self.ended, self.waiting = 0, [], ""

    def progress(self, done: int, total: int, name: str) -> None:
        self.total, self.waiting = total, name
        if done >= total:
            self._clear()
        else:
            self.tick()

    def finished(self, result) -> None:
        self.ended.append(result.name)
        self._clear()
        if result.status == "failed":
            if not self.strict:
                error(result.line())
        elif not self.terminal:
            self._write(f"{result.name}: {_how(result)} ({self.elapsed()})\n")
        self.tick()

    def tick(self) -> None:
        if self.terminal and self.total and len(self.ended) < self.total:
            self._write(f"\r\x1b[K[{len(self.ended)}/{self.total} done] waiting for {self._running()}, "
                        f"{self.elapsed()}")

    def _running(self) -> str:
        """The source waited for (the first not ended, in the sources' order) and how
        many others still run: ``source[0] (sal) and 2 more``."""
        others = self.total - len(self.ended) - 1
        return f"{self.waiting} and {others} more" if others > 0 else self.waiting

    def elapsed(self) -> str:
        return f"{self.clock() - self.started:.1f} s"

    def _clear(self) -> None:
        if self.terminal:
            self._write("\r\x1b[K")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _how(result) -> str:
    if result.status == "cached":
        return "cached"
    return f"done, {counted(result.events, result.unit, 'series' if result.unit == 'series' else None)}"
