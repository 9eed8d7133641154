"""A simulated incident's ``!log`` entries as stashbot writes them to the
Server Admin Log (github wikimedia/labs-tools-stashbot, ``stashbot/sal.py``):

- the wiki page (``Logger._write_to_wiki``): ``== YYYY-MM-DD ==`` sections,
  newest day first, each entry on top of its day, as ``* HH:MM nick: message``
  or ``* {{safesubst:SAL entry|1=HH:MM nick: message}}``, ``|`` written
  ``{{!}}``; a task linked ``[[phab:T1|T1]]`` where the page links it;
- the SAL tool (github bd808/SAL), whose pages tests/services.py ``sal_app``
  serves: one :class:`~tests.services.SalEntry` per ``!log``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.services import SalEntry

from .facts import Incident, Log

HEADER = ("{{Server Admin Log header}}\nThis page is written by [[Tool:Stashbot|stashbot]] from "
          "<code>!log</code> messages.\n__TOC__\n")


def written(log: Log) -> dt.datetime:
    """When stashbot wrote the entry."""
    return log.at + dt.timedelta(seconds=log.sal_lag)


def page_entry(log: Log) -> str:
    message = log.text.replace("|", "{{!}}")
    if log.task and log.linked:
        message = message.replace(log.task, f"[[phab:{log.task}|{log.task}]]")
    body = f"{written(log):%H:%M} {log.nick}: {message}"
    return f"* {{{{safesubst:SAL entry|1={body}}}}}" if log.id % 2 else f"* {body}"


def write_page(incident: Incident, path: Path) -> dict:
    """The SAL page holding every ``!log`` of the incident (at least its first day's heading)."""
    days: dict = {incident.start.date(): []}
    for log in sorted(incident.logs, key=written, reverse=True):
        days.setdefault(written(log).date(), []).append(page_entry(log))
    sections = [f"\n== {day:%Y-%m-%d} ==\n" + "".join(f"{entry}\n" for entry in entries)
                for day, entries in sorted(days.items(), reverse=True)]
    path.write_text(HEADER + "".join(sections), encoding="utf-8")
    return {"type": "sal-wikitext", "path": path.name}


def tool_entries(incident: Incident) -> list[SalEntry]:
    return [SalEntry(f"AW{log.id:06d}", written(log), log.nick, log.text) for log in incident.logs]
