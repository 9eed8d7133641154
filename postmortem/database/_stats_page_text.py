"""The incident statistics page (`postmortem stats … --format wikitext`): wikitext
tables and the chart of incidents per month, made from the rows of
:func:`postmortem.database.stats.report_stats` (and, where given, the page records
of `postmortem pages`). Pure: it reads nothing.

What it says, each figure with what it was counted over:

* incidents per month and per year (a report counts in the month of its start,
  UTC), the median per month (months without an incident count as 0, from the
  first month to the last), and per month and year the total and median
  duration (start to end of the report; for a report of several windows, their
  sum, without the time between them);
* the total and median duration over the reports that give both;
* reports per status (draft, review, final; "not said");
* the ScoreCard questions answered "no" most often (15-question ScoreCards);
* pages outside working hours: where the reports say (the ScoreCard's "Were
  pages routed to online (business hours) engineers?" — "Answer “no” if
  engineers were paged after business hours"), and where page records say
  (Splunk On-Call, PagerDuty: :class:`postmortem.database.pages.PagesReport`);
* every report not counted, and why (no start date, not readable).

Text from the reports reaches the page as page links (``[[:Title]]``) or
escaped (:func:`postmortem.write.wikitext.escape`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from .._version import __version__
from ..core.questions import QUESTIONS
from ..core.timeutil import format_duration, parse_time
from ..core.words import counted
from .stats import NOT_A_REPORT, most_answered_no
from ._month_chart import months_between, render_month_chart
from ..write.wikitext import escape

STATUSES = ("draft", "review", "final")
ASKED_ABOUT_PAGES = next(q.text for q in QUESTIONS if q.id == "pages-business-hours")


@dataclass(frozen=True)
class StatsPage:
    """The page's wikitext, the chart (None when no report has a start) and the
    incidents per month it shows."""

    text: str
    svg: str | None
    months: tuple[tuple[dt.date, int], ...]


def stats_page(stats, *, pages=None, graph_file: str | None = None, source: str = "the reports") -> StatsPage:
    """The statistics page of ``stats`` (a :class:`~postmortem.database.stats.ReportStats`);
    ``pages`` a :class:`~postmortem.database.pages.PagesReport` or None;
    ``graph_file`` the wiki file the chart is embedded as (None, or no report
    with a start: not embedded);
    ``source`` says where the reports came from (wikitext, e.g. a prefix link)."""
    dated = [(row, start) for row in stats.rows if row["error"] is None and (start := report_start(row))]
    months = _month_counts([start for _, start in dated])
    median = statistics.median(n for _, n in months) if months else None
    parts = [_lead(stats, dated, source)]
    parts.append(_per_month(dated, months, median, graph_file))
    parts.append(_per_year(dated, months))
    parts.append(_durations(stats.rows))
    parts.append(_statuses(stats.rows))
    parts.append(_no_answers(stats.answers))
    parts.append(_pages_outside_hours(stats.rows, dated, months, pages))
    parts.append(_not_counted(stats.rows))
    svg = render_month_chart(list(months), median) if months else None
    return StatsPage("\n\n".join(p for p in parts if p) + "\n", svg, tuple(months))


# -- the sections ------------------------------------------------------------------

def _lead(stats, dated, source: str) -> str:
    read = sum(1 for r in stats.rows if r["error"] is None)
    span = f", the first on {min(s for _, s in dated):%Y-%m-%d} and the last on {max(s for _, s in dated):%Y-%m-%d}" \
        if dated else ""
    return (f"Statistics of the {counted(read, 'incident report')} read from {source}{span}, made by "
            f"postmortem {__version__} from the reports themselves. Times are in UTC; an incident counts in "
            f"the month it started.")


def _per_month(dated, months, median, graph_file) -> str:
    lines = ["== Incidents per month =="]
    if graph_file and months:
        lines.append(f"[[File:{graph_file}|thumb|none|upright=2.5|Incidents per month, by the month each started (UTC)]]")
    if not months:
        return "\n".join(lines + ["No report gives the start of its incident."])
    lines += _table(["Month", "Incidents", "Total duration", "Median duration"],
                    [[f"{month:%Y-%m}", str(count), *_duration_cells(_in(dated, month, "%Y-%m"))]
                     for month, count in months])
    lines.append(f"Median per month: '''{median:g}''' (over the {counted(len(months), 'month')} from "
                 f"{months[0][0]:%Y-%m} to {months[-1][0]:%Y-%m}, months without an incident counted as 0).")
    return "\n".join(lines)


def _per_year(dated, months) -> str:
    if not months:
        return ""
    rows = []
    for year in sorted({m.year for m, _ in months}):
        counts = [n for m, n in months if m.year == year]
        rows.append([str(year), str(sum(counts)), f"{statistics.median(counts):g} (over {counted(len(counts), 'month')})",
                     *_duration_cells(_in(dated, dt.date(year, 1, 1), "%Y"))])
    return "\n".join(["== Incidents per year =="] + _table(
        ["Year", "Incidents", "Median per month", "Total duration", "Median duration"], rows))


def _durations(rows) -> str:
    good = [r for r in rows if r["error"] is None]
    known = [r["duration_minutes"] for r in good if r["duration_minutes"] is not None]
    lines = ["== Duration =="]
    if known:
        lines += [f"* Total duration: '''{_minutes(sum(known))}''', over the "
                  f"{counted(len(known), 'report')} that give a start and an end.",
                  f"* Median duration: '''{_minutes(statistics.median(known))}'''."]
    missing = [r for r in good if r["duration_minutes"] is None]
    if missing:
        lines.append(f"* Without a duration (no start or no end): {', '.join(_name(r) for r in missing)}.")
    return "\n".join(lines if len(lines) > 1 else lines + ["No report gives both a start and an end."])


def _statuses(rows) -> str:
    counts = {status: 0 for status in (*STATUSES, None)}
    for row in rows:
        if row["error"] is None:
            counts[row["status"] if row["status"] in STATUSES else None] += 1
    return "\n".join(["== Reports per status =="] + _table(
        ["Status", "Reports"], [[status or "not said", str(n)] for status, n in counts.items()
                                if status is not None or n]))


def _no_answers(answers: dict) -> str:
    cards = max((answered for _, answered in answers.values()), default=0)
    ranked = most_answered_no(answers)
    lines = ["== ScoreCard questions answered \"no\" most often =="]
    if not ranked:
        return "\n".join(lines + ["No ScoreCard answers a question \"no\"." if cards else
                                  "No report has an answered 15-question ScoreCard."])
    lines += _table(["Question", "Answered \"no\"", "Answered"],
                    [[q.text, str(no), str(answered)] for q, no, answered in ranked])
    lines.append("Counted over the reports with the 15-question Incident Engagement ScoreCard, for each "
                 "question the reports that answer it.")
    return "\n".join(lines)


def _pages_outside_hours(rows, dated, months, pages) -> str:
    said = [r["paged_after_hours"] for r in rows if r["error"] is None]
    lines = ["== Pages outside working hours ==",
             f"* The reports: {counted(said.count(True), 'report')} {_say(said.count(True))} engineers were paged "
             f"outside business hours (the ScoreCard's \"{ASKED_ABOUT_PAGES}\" answered \"no\"), "
             f"{said.count(False)} {_say(said.count(False))} they were not (or nobody was paged), "
             f"{said.count(None)} {'does' if said.count(None) == 1 else 'do'} not say."]
    if pages is not None:
        t = pages.totals
        lines.append(f"* The page records (Splunk On-Call, PagerDuty), {pages.period.start:%Y-%m-%d} to "
                     f"{pages.period.end:%Y-%m-%d}: {counted(t['pages'], 'page')}, {t['outside_hours']} of them "
                     f"reaching someone outside their working hours, {t['in_hours']} in working hours, "
                     f"{t['hours_unknown']} unknown.")
    if not months:
        return "\n".join(lines)
    header = ["Month", "Reports: paged outside hours"] + (["Page records: pages outside hours"] if pages else [])
    table = []
    for month, _ in months:
        cells = [f"{month:%Y-%m}", str(sum(1 for r, _ in _in(dated, month, "%Y-%m") if r["paged_after_hours"]))]
        if pages is not None:
            mine = [p for p in pages.rows if f"{p.time:%Y-%m}" == f"{month:%Y-%m}"]
            cells.append(f"{sum(p.in_hours is False for p in mine)} of {len(mine)}")
        table.append(cells)
    return "\n".join(lines + _table(header, table))


def _say(number: int) -> str:
    return "says" if number == 1 else "say"


def _not_counted(rows) -> str:
    left = [f"* {_name(r)}: " + (escape(r["error"]) if r["error"] == NOT_A_REPORT else
                                 f"could not be read ({escape(r['error'])})") for r in rows if r["error"] is not None]
    left += [f"* {_name(r)}: no start date (it counts in no month)" for r in rows
             if r["error"] is None and not report_start(r)]
    return "\n".join(["== Reports not counted =="] + left) if left else ""


# -- helpers --------------------------------------------------------------------------

def report_start(row) -> dt.datetime | None:
    """A stats row's start as a datetime (None without one)."""
    return parse_time(row["start"])[0] if row.get("start") else None


def _month_counts(starts) -> list[tuple[dt.date, int]]:
    if not starts:
        return []
    counts: dict = {}
    for start in starts:
        counts[start.date().replace(day=1)] = counts.get(start.date().replace(day=1), 0) + 1
    return [(month, counts.get(month, 0)) for month in months_between(min(counts), max(counts))]


def _in(dated, moment: dt.date, fmt: str):
    return [(row, start) for row, start in dated if start.strftime(fmt) == moment.strftime(fmt)]


def _duration_cells(items) -> list[str]:
    known = [row["duration_minutes"] for row, _ in items if row["duration_minutes"] is not None]
    if not known:
        return ["", ""]
    return [_minutes(sum(known)), _minutes(statistics.median(known))]


def _minutes(minutes: float) -> str:
    return format_duration(dt.timedelta(minutes=minutes))


def _name(row) -> str:
    """A report as the page names it: a link to its wiki page, else its file name."""
    return f"[[:{row['title']}]]" if row.get("title") and not row.get("file") else escape(row.get("file") or "?")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ['{| class="wikitable sortable"', "! " + " !! ".join(header)]
    for cells in rows:
        lines += ["|-", "| " + " || ".join(cells)]
    return lines + ["|}"]
