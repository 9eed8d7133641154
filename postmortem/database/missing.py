"""Reports that should exist (`postmortem missing --wiki API --prefix P --since DATE`).

The incidents seen in a period are the pages the paging services sent
(``splunk-oncall``, ``pagerduty``: each page event, :class:`postmortem.core.vocabulary.Page`) and
the incidents opened on the status page (``statuspage``: its ``incident``
events); they are read all at once, as `pull` does (:func:`.pull.fetch`).
Records less than :data:`TOGETHER` apart are one incident (an outage pages
several times, and has a status page entry), each record still named.

The reports are every page under the prefix (:func:`postmortem.net.mediawiki.read_pages_under`,
50 a request), read for their window (:func:`postmortem.read.report.parse_report`:
the metadata's start and end, the Summary's, else the date in the title, as
the whole of that day). An incident has a report when one's window, widened by
:data:`SLACK` (a day) on each side, holds the incident's first record. Each
incident without one comes with the `postmortem init` line that starts its
report; reports that give no date at all are counted, and named.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field

from ..core.errors import InputError
from ..core.model import Event, SourceConfig, Window
from ..core.timeutil import UTC, date_in_title, format_utc
from ..core.vocabulary import Kind, is_page
from ..collect.pull import fetch
from ..collect.sources import describe, get_source
from ..net.mediawiki import read_pages_under
from ..read.report import parse_pages

SLACK = dt.timedelta(days=1)        # "no report within a day of their time"
TOGETHER = dt.timedelta(hours=1)    # records this close are one incident
FAMILIES = ("page", "status-page")


@dataclass
class Seen:
    """One incident seen in the records: its records, in time order."""

    records: list[Event]
    report: str | None = None        # the report that covers it, if any

    @property
    def time(self) -> dt.datetime:
        return self.records[0].time

    @property
    def what(self) -> str:
        first = self.records[0]
        return (first.page.what if first.page is not None else None) or first.fields.get("name") or first.text

    def describe(self, record: Event) -> str:
        service = describe(record.source).label or record.source
        if is_page(record) and record.page is not None:
            return f"{record.page.label}: {record.page.what or record.text}"
        return f"{service}: {record.fields.get('name', record.text)}"

    def init_line(self, folder: str = "incidents") -> str:
        """``postmortem init incidents/2024-03-05-appserver-latency --id '…' --start '…'``."""
        incident_id = f"{self.time:%Y-%m-%d} {_page_name(self.what)}"
        slug = re.sub(r"[^a-z0-9]+", "-", self.what.lower()).strip("-")[:48].rstrip("-") or "incident"
        return " ".join(["postmortem", "init", shlex.quote(f"{folder}/{self.time:%Y-%m-%d}-{slug}"),
                         "--id", shlex.quote(incident_id), "--start", shlex.quote(f"{self.time:%Y-%m-%d %H:%M}")])

    def to_json(self) -> dict:
        return {"time": format_utc(self.time), "what": self.what, "report": self.report,
                "records": [{"time": format_utc(r.time), "source": r.source, "text": self.describe(r), "url": r.url}
                            for r in self.records],
                "init": None if self.report else self.init_line()}


@dataclass
class MissingReports:
    """The incidents of a period, those without a report, and the reports read."""

    period: Window
    seen: list[Seen] = field(default_factory=list)
    reports: int = 0
    undated: list[str] = field(default_factory=list)     # report pages that give no date
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def missing(self) -> list[Seen]:
        return [s for s in self.seen if s.report is None]

    def to_json(self) -> dict:
        """``{"since", "until", "missing": [...], "covered": [...], "totals": {...}}``."""
        return {"since": format_utc(self.period.start), "until": format_utc(self.period.end),
                "missing": [s.to_json() for s in self.missing],
                "covered": [s.to_json() for s in self.seen if s.report],
                "totals": {"incidents": len(self.seen), "missing": len(self.missing), "reports": self.reports,
                           "undated": list(self.undated),
                           "unreadable": [{"page": p, "error": e} for p, e in self.unreadable]}}

    def lines(self) -> list[str]:
        """Per incident without a report: its time and records, and the init line; then the totals."""
        lines = []
        for item in self.missing:
            lines.append(f"{item.time:%Y-%m-%d %H:%M} UTC  {item.describe(item.records[0])}")
            lines += [f"  also {format_utc(r.time)[11:16]} {item.describe(r)}" for r in item.records[1:]]
            lines.append(f"  no report within a day; start one: {item.init_line()}")
        span = f"{self.period.start:%Y-%m-%d %H:%M} to {self.period.end:%Y-%m-%d %H:%M} UTC"
        lines.append(f"{len(self.missing)} of {len(self.seen)} incidents seen from {span} have no report "
                     f"({self.reports} reports read)")
        lines += [f"covered: {s.time:%Y-%m-%d %H:%M} {s.what} by {s.report}" for s in self.seen if s.report]
        if self.undated:
            lines.append(f"reports that give no date (not matched): {', '.join(self.undated)}")
        return lines + [f"could not read {page}: {why}" for page, why in self.unreadable]


def missing_reports(configs: tuple[SourceConfig, ...], api_url: str, prefix: str, period: Window, *,
                    session_factory=None, session=None) -> MissingReports:
    """The incidents the sources saw in ``period`` with no report under ``prefix``
    on the wiki at ``api_url`` (see the module's docstring). A source that is not a
    paging service or a status page is refused; one that fails fails the command."""
    if not configs:
        raise InputError("give the page records and the status page: --sources FILE with [[source]] tables "
                         "of type splunk-oncall, pagerduty or statuspage")
    for config in configs:
        if get_source(config.type).family not in FAMILIES:
            raise InputError(f"{config.name} is neither a paging service nor a status page (missing reads "
                             f"splunk-oncall, pagerduty and statuspage)", file=config.file, key="type")
    events = [e for fetched in fetch(configs, period, session_factory=session_factory) for e in fetched.events]
    result = MissingReports(period, seen=_incidents(e for e in events if e.time in period and _seen(e)))
    windows = _report_windows(read_pages_under(api_url, prefix, session=session), result)
    for item in result.seen:
        item.report = next((title for title, start, end in windows if start - SLACK <= item.time <= end + SLACK), None)
    return result


def _seen(event: Event) -> bool:
    return is_page(event) or (event.kind is Kind.STATUS and event.fields.get("kind") == "incident")


def _incidents(events) -> list[Seen]:
    """Records less than TOGETHER after the previous one of the group join it."""
    groups: list[Seen] = []
    for event in sorted(events, key=lambda e: (e.time, e.source)):
        if groups and event.time - groups[-1].records[-1].time < TOGETHER:
            groups[-1].records.append(event)
        else:
            groups.append(Seen([event]))
    return groups


def _report_windows(pages, result: MissingReports) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """``(title, start, end)`` of each report; a report dated only by its title spans that day."""
    windows, pages = [], list(pages)
    result.reports += len(pages)
    for title, report in parse_pages(pages, result.unreadable):
        if report is not None and report.start is not None:
            windows.append((title, report.start, report.end or report.start))
        elif (day := date_in_title(title)) is not None:
            start = dt.datetime.combine(day, dt.time(), UTC)
            windows.append((title, start, start + dt.timedelta(days=1)))
        else:
            result.undated.append(title)
    return windows


def _page_name(text: str) -> str:
    """Text fit for an incident id (a page name): no # < > [ ] | { }, one line, short."""
    name = " ".join(re.sub(r"[#<>\[\]|{}]+", " ", text).split())
    return name[:60].rsplit(" ", 1)[0] if len(name) > 60 else name or "incident"
