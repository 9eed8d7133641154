"""`postmortem pages`: every page in a period, from the paging services, with
who was paged, whether in their working hours, and the time to acknowledge;
totals answer "how many people were paged outside their working hours this
month" (a question Wikitech's incident review process says cannot be answered
without reading every report).

:func:`pages_in_period` reads the paging sources for the period (all at once,
as `pull` does) and :func:`page_rows` turns their events into rows, purely.
Working hours are those of :mod:`.paging` (the ``[people.*]`` roster, else the
paging service's time zone for the person).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass
from typing import Mapping

from ..collect.pull import fetch
from ..collect.sources import get_source
from ..core.csvtext import csv_text
from ..core.errors import InputError
from ..core.model import Event, Person, SourceConfig, Window
from ..core.timeutil import format_duration, format_utc, parse_time
from ..core.people import Roster
from ..core.vocabulary import is_acknowledgement, is_page, page_time
from ..scorecard.paging import people_reached, service_name

__all__ = ["PageRow", "PagesReport", "page_rows", "pages_in_period", "period"]

# Acknowledgements are looked for this long after the period (a page at 23:58 on its last day).
ACK_LOOKAHEAD = dt.timedelta(hours=12)
FIELDS = ("time", "source", "incident", "what", "url", "paged", "teams", "in_hours", "outside_hours",
          "hours_unknown", "manual", "acknowledged_at", "acknowledged_by", "minutes_to_acknowledge")


@dataclass(frozen=True)
class PageRow:
    """One page: when, from where, whom it reached, in or out of their hours, its acknowledgement."""

    time: dt.datetime
    source: str
    incident: str
    what: str
    url: str | None
    paged: tuple[str, ...]
    teams: tuple[str, ...]
    outside: tuple[str, ...]      # paged outside their working hours
    unknown: tuple[str, ...]      # working hours unknown
    manual: bool
    acknowledged: Event | None
    service: str = ""             # "PagerDuty", "Splunk On-Call"

    @property
    def in_hours(self) -> bool | None:
        """False when anyone was paged outside their hours, True when all inside, None otherwise."""
        if self.outside:
            return False
        return None if self.unknown or not self.paged else True

    @property
    def to_acknowledge(self) -> dt.timedelta | None:
        return None if self.acknowledged is None else self.acknowledged.time - self.time

    def to_json(self) -> dict:
        ack = self.acknowledged
        return {"time": format_utc(self.time), "source": self.source, "incident": self.incident,
                "what": self.what, "url": self.url, "paged": list(self.paged), "teams": list(self.teams),
                "in_hours": self.in_hours, "outside_hours": list(self.outside), "hours_unknown": list(self.unknown),
                "manual": self.manual, "acknowledged_at": format_utc(ack.time) if ack else None,
                "acknowledged_by": ack.actor if ack else None,
                "minutes_to_acknowledge": None if ack is None else round(self.to_acknowledge.total_seconds() / 60, 1)}

    def lines(self) -> list[str]:
        """Three lines for the text view."""
        service = f"{self.service} incident {self.incident}"
        teams = ", ".join(self.teams)
        who = (", ".join(self.paged) + (f" ({teams})" if teams else "")) if self.paged else \
            f"{teams or 'someone'} (whom: not recorded)"
        ack = self.acknowledged
        acked = "not acknowledged" if ack is None else (
            f"acknowledged after {format_duration(self.to_acknowledge)}" + (f" by {ack.actor}" if ack.actor else ""))
        manual = ", started by hand" if self.manual else ""
        return [f"{self.time:%Y-%m-%d %H:%M} UTC  {service}: {self.what}{manual}",
                f"  paged {who}: {self._hours()}",
                f"  {acked}" + (f"; {self.url}" if self.url else "")]


    def _hours(self) -> str:
        if self.in_hours:
            return "all in working hours"
        parts = [f"OUTSIDE working hours: {', '.join(self.outside)}"] if self.outside else []
        parts += [f"working hours unknown for {', '.join(self.unknown)}"] if self.unknown else []
        return "; ".join(parts) or "working hours unknown"


def page_rows(events, people: Mapping[str, Person], within: Window | None = None) -> list[PageRow]:
    """A row per page (a paging service's page event) in ``within``, with its
    first acknowledgement (same source and incident, at or after the page);
    people under their ``[people]`` names, as in a report."""
    events = sorted(Roster(people).named_all(events), key=lambda e: e.time)
    acks = [e for e in events if is_acknowledgement(e)]
    rows = []
    for page in (e for e in events if is_page(e) and e.page is not None and (within is None or e.time in within)):
        reached = people_reached(page, people)
        facts = page.page
        ack = next((a for a in acks if a.page.service == facts.service and a.time >= page_time(page)
                    and a.page.incident == facts.incident), None)
        rows.append(PageRow(page_time(page), page.source, facts.incident, facts.what, page.url,
                            tuple(p.name for p in reached), facts.teams,
                            tuple(p.name for p in reached if p.inside is False),
                            tuple(p.name for p in reached if p.inside is None), facts.manual, ack,
                            service_name(page)))
    return rows


@dataclass(frozen=True)
class PagesReport:
    """The pages of a period and their totals."""

    period: Window
    rows: tuple[PageRow, ...]

    @property
    def totals(self) -> dict:
        """Pages in, outside and of unknown working hours; people; acknowledgements."""
        rows = self.rows
        minutes = [r.to_acknowledge.total_seconds() / 60 for r in rows if r.acknowledged is not None]
        outside_people = {name for r in rows for name in r.outside}
        return {"pages": len(rows), "outside_hours": sum(r.in_hours is False for r in rows),
                "in_hours": sum(r.in_hours is True for r in rows), "hours_unknown": sum(r.in_hours is None for r in rows),
                "people_paged": len({n for r in rows for n in r.paged}),
                "people_paged_outside_hours": len(outside_people),
                "times_someone_was_paged_outside_hours": sum(len(r.outside) for r in rows),
                "manual": sum(r.manual for r in rows), "acknowledged": len(minutes),
                "median_minutes_to_acknowledge": round(statistics.median(minutes), 1) if minutes else None}

    def to_json(self) -> dict:
        """``{"since", "until", "pages": [...], "totals": {...}}``."""
        return {"since": format_utc(self.period.start), "until": format_utc(self.period.end),
                "pages": [r.to_json() for r in self.rows], "totals": self.totals}

    def to_csv(self) -> str:
        """A header line, then one line per page (lists joined with ", ", None
        empty, text a spreadsheet would run neutralised: :mod:`postmortem.core.csvtext`)."""
        return csv_text(FIELDS, ({k: _cell(v) for k, v in row.to_json().items()} for row in self.rows))

    def to_text(self) -> str:
        """Each page on three lines, then the totals."""
        t, lines = self.totals, [line for row in self.rows for line in row.lines()]
        span = f"{self.period.start:%Y-%m-%d %H:%M} to {self.period.end:%Y-%m-%d %H:%M} UTC"
        lines.append(f"{t['pages']} pages from {span}: {t['outside_hours']} outside working hours, "
                     f"{t['in_hours']} in working hours, {t['hours_unknown']} unknown")
        times = t["times_someone_was_paged_outside_hours"]
        lines.append(f"{t['people_paged']} people paged; {t['people_paged_outside_hours']} of them outside their "
                     f"working hours ({times} {'time' if times == 1 else 'times'})")
        median = t["median_minutes_to_acknowledge"]
        lines.append(f"{t['acknowledged']} acknowledged" + (f", median {median:g} min to acknowledge"
                                                            if median is not None else ""))
        return "\n".join(lines) + "\n"


def _cell(value):
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def period(since: str, until: str) -> Window:
    """``--since``/``--until`` as a window (UTC unless an offset is given); a date
    alone for ``until`` means the end of that day."""
    try:
        start = parse_time(since)[0]
        end = parse_time(until)[0] + (dt.timedelta(days=1) if _DATE_ONLY.match(until) else dt.timedelta(0))
    except ValueError as err:
        raise InputError(str(err), key="--since/--until") from None
    if end <= start:
        raise InputError(f"--until ({until}) is not after --since ({since})", key="--until")
    return Window(start, end)


def pages_in_period(configs: tuple[SourceConfig, ...], people: Mapping[str, Person], within: Window, *,
                    session_factory=None) -> PagesReport:
    """Every page the paging sources sent in ``within``: read them (all at once),
    then one row per page. A source that is not a paging service is refused."""
    if not configs:
        raise InputError("give a paging service: --splunk-oncall/--pagerduty options or --sources FILE")
    for config in configs:
        if get_source(config.type).family != "page":
            raise InputError(f"{config.name} is not a paging service (pages reads splunk-oncall and pagerduty)",
                             file=config.file, key="type")
    read = Window(within.start, within.end + ACK_LOOKAHEAD)
    events = [e for fetched in fetch(configs, read, session_factory=session_factory) for e in fetched.events]
    return PagesReport(within, tuple(page_rows(events, people, within)))
