"""Open follow-up tasks across the wiki (`postmortem followups --wiki API --prefix P`).

The monthly post that lists the oldest open follow-ups is counted by hand
today. Here every report page under the prefix is read (``list=allpages``,
then 50 pages a request, :mod:`postmortem.net.mediawiki`), the tasks of their Actionables
sections are collected (:mod:`postmortem.read._actionables`: every form of task
link), and Phabricator is asked about all of them in batches of 100
(``maniphest.search``, :func:`.sources.phabricator.task_infos`). The open ones
— ``dateClosed`` not set, or where an answer lacks it a status that is not a
closed one (:data:`postmortem.core.model.CLOSED_STATUSES`) — are listed oldest
first (``dateCreated``), each with the reports it came from, and which of
them mark the actionable naming it done (an open task for done work).

Nothing is dropped unsaid: the totals count the closed tasks, those newer than
``older_than``, those Phabricator does not know and the pages that could not
be read (each named with why).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..core.model import TaskInfo
from ..core.timeutil import UTC, format_utc
from ..read.report import parse_pages
from ..core.words import counted
from ..net.mediawiki import read_pages_under
from ..collect.sources.phabricator import task_infos


@dataclass(frozen=True)
class OpenFollowup:
    """An open task from the actionables of one or more reports."""

    task: str
    info: TaskInfo
    reports: tuple[str, ...]
    done_in: tuple[str, ...] = ()   # the reports where an actionable naming it is marked done

    def to_json(self, now: dt.datetime) -> dict:
        info = self.info
        return {"task": self.task, "title": info.title, "status": info.status, "owner": info.owner,
                "created": format_utc(info.created) if info.created else None,
                "modified": format_utc(info.modified) if info.modified else None,
                "age_days": (now - info.created).days if info.created else None, "reports": list(self.reports),
                "done_in": list(self.done_in)}


@dataclass
class OpenFollowups:
    """The open follow-ups, oldest first, and what else was found."""

    now: dt.datetime
    older_than: dt.timedelta | None
    open: list[OpenFollowup] = field(default_factory=list)
    reports: int = 0
    tasks: int = 0
    closed: int = 0
    newer: int = 0
    unknown: list[str] = field(default_factory=list)          # tasks Phabricator does not know
    unreadable: list[tuple[str, str]] = field(default_factory=list)   # (page, why)

    def to_json(self) -> dict:
        """``{"now", "older_than_days", "open": [...], "totals": {...}}``."""
        return {"now": format_utc(self.now),
                "older_than_days": self.older_than / dt.timedelta(days=1) if self.older_than else None,
                "open": [f.to_json(self.now) for f in self.open],
                "totals": {"reports": self.reports, "tasks": self.tasks, "open": len(self.open),
                           "closed": self.closed, "newer": self.newer, "unknown": list(self.unknown),
                           "unreadable": [{"page": p, "error": e} for p, e in self.unreadable]}}

    def lines(self) -> list[str]:
        """Two lines per open task, then the totals."""
        lines = []
        for item in self.open:
            info = item.info
            age = f"created {info.created:%Y-%m-%d} ({counted((self.now - info.created).days, 'day')} ago)" \
                if info.created else "created: not said"
            owner = f"owner {info.owner}" if info.owner else "no owner"
            lines += [f"{item.task}  {info.status}  {age}  {owner}  {info.title}",
                      "  from " + ", ".join(title + (" (marked done there)" if title in item.done_in else "")
                                            for title in item.reports)]
        return lines + [self._summary()] + [f"could not read {page}: {why}" for page, why in self.unreadable]

    def _summary(self) -> str:
        span = f" created more than {self.older_than.days} days ago" if self.older_than else ""
        parts = [f"{self.closed} closed"] + ([f"{self.newer} newer"] if self.older_than else [])
        if self.unknown:
            parts.append(f"{len(self.unknown)} unknown to Phabricator: {', '.join(self.unknown)}")
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} pages not read")
        return (f"{counted(len(self.open), 'open follow-up task')}{span}, of {counted(self.tasks, 'task')} in the "
                f"actionables of {counted(self.reports, 'report')} ({'; '.join(parts)})")


def open_followups(api_url: str, prefix: str, conduit, *, older_than: dt.timedelta | None = None,
                   now: dt.datetime | None = None, session=None) -> OpenFollowups:
    """The open follow-up tasks of every report under ``prefix`` on the wiki at
    ``api_url``, oldest first (``conduit``: a :class:`~postmortem.net.conduit.Conduit`)."""
    result = OpenFollowups(now or dt.datetime.now(UTC), older_than)
    sources = _tasks_by_report(read_pages_under(api_url, prefix, session=session), result)
    result.tasks = len(sources)
    infos = task_infos(conduit, sorted(sources, key=lambda t: int(t[1:]))) if sources else {}
    result.unknown = sorted((t for t in sources if t not in infos), key=lambda t: int(t[1:]))
    for task, info in infos.items():
        if not info.is_open:
            result.closed += 1
        elif older_than and info.created and info.created > result.now - older_than:
            result.newer += 1
        else:
            done_in = tuple(title for title, done in sources[task].items() if done)
            result.open.append(OpenFollowup(task, info, tuple(sources[task]), done_in))
    far_future = dt.datetime.max.replace(tzinfo=UTC)
    result.open.sort(key=lambda f: (f.info.created or far_future, int(f.task[1:])))
    return result


def _tasks_by_report(pages, result: OpenFollowups) -> dict[str, dict[str, bool]]:
    """``{"T123": {report title: whether an actionable naming it there is done}}`` from
    the pages' actionables; pages that cannot be read are noted."""
    sources: dict[str, dict[str, bool]] = {}
    pages = list(pages)
    result.reports += len(pages)
    for title, report in parse_pages(pages, result.unreadable):
        if report is None:
            result.unreadable.append((title, "the page has no text"))
            continue
        for item in report.actionables:
            for task in item.tasks:
                reports = sources.setdefault(task, {})
                reports[title] = reports.get(title, False) or item.done
    return sources
