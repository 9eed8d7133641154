"""The previous incidents, for "were the people different" and "is this a repeat".

``[incident] previous = "path/to/folder"`` names a folder of report files
(``*.wiki``, ``*.txt``, ``*.md``: wikitext or the plain-text copy Wikitech
gives); ``previous_wiki = "https://…/w/api.php"`` (with ``previous_prefix``,
default ``Incidents/``) names a wiki whose report pages `pull` reads into the
cache — the newest by the date in their titles (``Incidents/2025-03-31 …``).
Each is read with :func:`postmortem.read.report.parse_report`. The five newest
that began before this incident are kept (a report's start comes from its
``{{Incident scorecard}}``, its OUTAGE BEGINS mark, or the date in its file
name or title). A report that cannot be read is skipped and named in ``skipped``.

What a previous report gives: its people — the ``coordinators`` of its
``{{Incident scorecard}}``, the actors of its timeline lines (the renderer's
``(IRC) nick:`` form) and the nicks of pasted IRC lines (``<nick>``) — and its
text, searched for alert names and services.

mwparserfromhell is imported only here, and only when ``previous`` is set.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..collect.previous_pages import COUNT
from ..core.errors import IncidentFileError, InputError, PostmortemError
from ..core.lazy_regex import LazyRegex
from ..core.model import Incident, PreviousReport
from ..core.timeutil import date_in_title

__all__ = ["Previous", "read_previous", "report_people", "COUNT"]

SUFFIXES = (".wiki", ".txt", ".md", ".mediawiki")
_IRC_NICK = LazyRegex(r"^<([^\s<>]{1,32})>\s")


@dataclass(frozen=True)
class Previous:
    """The previous reports kept (newest first) and the files skipped, with why."""

    reports: tuple[PreviousReport, ...]
    skipped: tuple[str, ...] = ()


def read_previous(incident: Incident, folder: str | None = None, count: int = COUNT, *,
                  pulled=None) -> Previous | None:
    """The ``count`` newest reports in ``folder`` (default: ``[incident]
    previous``, relative to incident.toml) that began before the incident;
    None when no folder is configured. With ``previous_wiki``, the pages `pull`
    cached (``pulled``: the command's :class:`~postmortem.collect.cache.EventCache`)."""
    if incident.previous_wiki and not folder:
        return _keep_newest(incident, *_read_pulled(incident, pulled), count)
    folder = folder or incident.previous
    if not folder:
        return None
    path = Path(folder).expanduser()
    if not path.is_absolute():
        path = Path(incident.path or ".").resolve().parent / path
    if not path.is_dir():
        raise IncidentFileError(f"previous: no such folder {str(path)!r}", file=incident.path, key="previous")
    read, skipped = [], []
    for file in sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        try:
            read.append(_read_one(file))
        except (PostmortemError, OSError, UnicodeError) as err:
            skipped.append(f"{file.name}: {err}")
    return _keep_newest(incident, read, skipped, count)


def _keep_newest(incident: Incident, read: list, skipped: list, count: int) -> Previous:
    earlier = [r for r in read if r.start is not None and r.start < incident.start]
    earlier.sort(key=lambda r: r.start, reverse=True)
    return Previous(tuple(earlier[:count]), tuple(skipped))


def _read_one(file: Path) -> PreviousReport:
    from .report import read_report_file
    return _previous_report(read_report_file(file), file.stem, file.name)


def _previous_report(report, name: str, dated_name: str) -> PreviousReport:
    start = report.start or _date_in_name(dated_name)
    return PreviousReport(name, start, frozenset(report_people(report)), report.text)


def _read_pulled(incident: Incident, pulled) -> tuple[list, list]:
    """The wiki's report pages that `pull` cached."""
    from ..collect.cache import EventCache
    from .report import parse_report
    pages = (pulled or EventCache(incident)).previous
    if pages is None:
        raise InputError("the previous reports on the wiki have not been pulled yet: run `postmortem pull`",
                         file=incident.path, key="previous_wiki")
    read, skipped = [], []
    for title, text in pages:
        try:
            read.append(_previous_report(parse_report(text, title=title), title, title))
        except PostmortemError as err:
            skipped.append(f"{title}: {err}")
    return read, skipped


def _date_in_name(name: str) -> dt.datetime | None:
    """Midnight UTC of the date in a file name or title, as the report reader finds it."""
    day = date_in_title(name)
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def report_people(report) -> set[str]:
    """Coordinators, timeline actors and pasted IRC nicks of a parsed report."""
    people = {n.strip() for n in re.split(r"[,;]| and ", report.metadata.get("coordinators") or "")}
    people |= {e.actor for e in report.timeline if e.actor}
    people |= {m.group(1) for e in report.timeline if (m := _IRC_NICK.match(e.text))}
    return {p for p in people if p and p.lower() not in ("none", "n/a", "tbd")}
