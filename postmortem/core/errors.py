"""Errors raised by postmortem.

Every error is a :class:`PostmortemError`; each carries the context that lets
a person find the problem (file and line, key, source, URL) and renders as
one line with :func:`str`. Its message and its line are cleaned
(:func:`postmortem.core.scrub.clean`): no credential the process holds, no
character that acts on a terminal, whatever text went into it.

    PostmortemError
    ├── InputError            bad input from the user: exit code 2
    │   ├── IncidentFileError an incident.toml that does not validate
    │   ├── SourceFormatError a source file or answer not in its format
    │   └── ReportError       a report that cannot be read back at all
    ├── SourceError           a source could not be read or fetched
    ├── UnresolvedFindings    a secret (or, strict, any finding) not resolved: nothing published
    ├── WikiError             the wiki refused or failed a request
    └── MergeConflict         `update`: hand edits and generated changes touch the same lines
"""

from __future__ import annotations

from .scrub import clean
from .vocabulary import place_text


class PostmortemError(Exception):
    """Base error; ``str(err)`` is one line naming where the problem is."""

    exit_code = 1

    def __init__(self, message: str, *, file=None, line=None, key=None,
                 source=None, url=None):
        message = clean(message)
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key
        self.source = source
        self.url = url

    def location(self) -> str:
        """``file:line``, ``url`` or ``source`` — whichever is known."""
        parts = [place_text(self.file, self.line)] if self.file else []
        if self.url:
            parts.append(self.url)
        if self.source and not parts:  # a name like "source[2] (irc)" says it already
            parts.append(self.source if self.source.startswith(("source[", "graph[")) else f"source {self.source}")
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        key = f"{self.key}: " if self.key else ""
        return clean(f"{where}: {key}{self.message}" if where else f"{key}{self.message}")


class InputError(PostmortemError):
    """Input the user gave is wrong; nothing was written."""

    exit_code = 2


class IncidentFileError(InputError):
    """An incident.toml that does not parse or validate."""


class SourceFormatError(InputError):
    """A source file (or a service's answer) that is not in the expected format."""


class SourceError(PostmortemError):
    """A source could not be read or fetched (network, HTTP status, API error)."""


class ReportError(InputError):
    """A report that cannot be read back at all."""


class UnresolvedFindings(PostmortemError):
    """Text that must not be published is still in the records (``[redact]``):
    nothing was written. Carries the findings (kinds and places, no values)."""

    def __init__(self, message: str, *, findings=(), **context):
        super().__init__(message, **context)
        self.findings = tuple(findings)


class WikiError(PostmortemError):
    """The wiki refused or failed a request (carries the API error code)."""

    def __init__(self, message: str, *, code=None, **context):
        super().__init__(message, **context)
        self.code = code


class MergeConflict(PostmortemError):
    """Hand edits and generated changes touch the same lines; nothing was merged.
    ``conflicts``: each place (a :class:`postmortem.publishing.text_merge.Conflict`:
    its section, the base lines and both sides' lines)."""

    def __init__(self, conflicts: list, *, url=None):
        names = ", ".join(dict.fromkeys(f"'{c.section}'" for c in conflicts))
        first = conflicts[0]
        detail = first.describe()
        super().__init__(
            f"hand edits and generated changes touch the same lines in section {names} "
            f"({detail}); nothing was changed — edit the page by hand, or rerun with "
            f"--ours (keep the page) or --theirs (take the new render)", url=url)
        self.conflicts = conflicts
        self.passed_over: list[str] = []  # revisions not taken as the base (they may explain the conflict)

    @property
    def sections(self) -> list[str]:
        """Names of the sections in conflict, in page order."""
        return list(dict.fromkeys(c.section for c in self.conflicts))
