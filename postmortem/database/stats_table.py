"""`postmortem stats` for a person at a terminal: one line per report with the
figures people compare (when, how long, how it was handled), then the totals,
each said with what it was counted over. SCORE is the ScoreCard's "yes"
answers of its 15 questions (``4/15 (5 answered)`` where some are not answered); NOTE says that a report could not be read
(why: under the table), or how many things in it could not be read (`postmortem
parse` lists them). Every column of every row is in
``--format csv`` and ``--format json``; this view leaves the rest out so that
a line fits a terminal.
"""

from __future__ import annotations

import datetime as dt
import os

from ..core.questions import QUESTIONS
from .stats import most_answered_no
from ..core.timeutil import format_duration
from ..core.words import counted

__all__ = ["stats_table"]

NAME_WIDTH = 40           # a longer report name is cut, with "…"
NOT_SAID = "-"
COLUMNS = ("REPORT", "START (UTC)", "STATUS", "DURATION", "TO RESOLVE", "SCORE", "PAGED", "ACTIONABLES", "NOTE")
MOST_NO_ANSWERS = 3


def stats_table(stats) -> str:
    """``stats`` (a :class:`~postmortem.database.stats.ReportStats`) as aligned
    columns and the totals under them."""
    names = _names(stats.rows)
    lines = [COLUMNS] + [_cells(row, name) for row, name in zip(stats.rows, names)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    table = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    return "\n".join(table + _not_read(stats.rows, names) + [""] + _totals(stats)) + "\n"


def _not_read(rows, names) -> list[str]:
    errors = [f"  {name}: {row['error']}" for row, name in zip(rows, names) if row["error"] is not None]
    return ["", "Not read:", *errors] if errors else []


def _names(rows) -> list[str]:
    """Each report's file name, or its page title; the path as given where two
    files have the same name."""
    bases = [os.path.basename(row["file"]) if row["file"] else (row["title"] or NOT_SAID) for row in rows]
    clash = {base for base in bases if bases.count(base) > 1}
    return [_cut_end(row["file"]) if base in clash and row["file"] else _cut(base) for row, base in zip(rows, bases)]


def _cut(text: str) -> str:
    return text if len(text) <= NAME_WIDTH else text[:NAME_WIDTH - 1] + "…"


def _cut_end(path: str) -> str:
    """A path keeps its end, where two paths of one file name differ."""
    return path if len(path) <= NAME_WIDTH else "…" + path[-(NAME_WIDTH - 1):]


def _cells(row: dict, name: str) -> tuple[str, ...]:
    if row["error"] is not None:
        return (name, *[NOT_SAID] * (len(COLUMNS) - 2), "not read (why: below)")
    return (name, _start(row["start"]), row["status"] or NOT_SAID, _minutes(row["duration_minutes"]),
            _minutes(row["resolve_minutes"]), _score(row), _number(row["paged"]), _actionables(row),
            counted(row["problems"], "reading problem") if row["problems"] else "")


def _start(iso: str | None) -> str:
    """``2023-01-24 20:55`` (``:25`` more where the report gives seconds)."""
    if not iso:
        return NOT_SAID
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _minutes(minutes: int | None) -> str:
    return NOT_SAID if minutes is None else format_duration(dt.timedelta(minutes=minutes))


def _number(value: int | None) -> str:
    return NOT_SAID if value is None else str(value)


def _score(row: dict) -> str:
    """``10/15`` for the 15-question ScoreCard, as `scorecard` says it (its "yes"
    answers of its questions), ``4/15 (5 answered)`` where some are not answered;
    ``7 (rubric)`` for the older rubric's points."""
    if row["score"] is None:
        return NOT_SAID
    if row["scorecard_kind"] == "15-question":
        asked = len(QUESTIONS)
        answered = f" ({row['answered']} answered)" if row["answered"] is not None and row["answered"] < asked else ""
        return f"{row['score']}/{asked}{answered}"
    return f"{row['score']} ({row['scorecard_kind'] or 'stated'})"


def _actionables(row: dict) -> str:
    without = row["actionables_without_task"]
    return f"{row['actionables']} ({without} without task)" if without else str(row["actionables"])


def _totals(stats) -> list[str]:
    totals = stats.totals
    statuses = ", ".join(f"{n} {status if status != 'unknown' else 'without a status'}"
                         for status, n in totals["by_status"].items())
    lines = [f"{counted(totals['reports'], 'report')}: {totals['read']} read"
             + (f", {counted(totals['errors'], 'error')}" if totals["errors"] else "")
             + (f" ({statuses})" if statuses else "")]
    if totals["with_duration"]:
        lines.append(f"Duration: {_minutes(totals['duration_minutes'])} in all, over the "
                     f"{counted(totals['with_duration'], 'report')} that give a start and an end")
    if totals["with_outage"]:
        lines.append(f"Outage: {_minutes(totals['outage_minutes'])} in all, over "
                     f"{counted(totals['with_outage'], 'report')}")
    unknown = totals["paged_unknown"]
    lines.append(f"Paged: {counted(totals['paged'], 'person', 'people')}"
                 + (f" (not said in {counted(unknown, 'report')})" if unknown else "")
                 + f"; {counted(totals['paged_after_hours'], 'report')} with pages outside working hours")
    lines.append(f"Actionables: {totals['actionables']}, {totals['actionables_without_task']} without a task")
    if totals["mean_score"] is not None:
        lines.append(f"Mean ScoreCard score (15-question ScoreCards): {totals['mean_score']}")
    most_no = most_answered_no(stats.answers)[:MOST_NO_ANSWERS]
    if most_no:
        lines.append('Answered "no" most often (ScoreCards that answered "no"):')
        lines += [f"  {no:>3}  {question.text}" for question, no, _ in most_no]
    return lines
