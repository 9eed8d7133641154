"""An incident's two parts: the facts of what happened (what the report says)
and the settings of how to gather and publish them (where the records are,
how to read and show them, where the report goes).

:class:`~postmortem.core.model.Incident` keeps every field flat, as
incident.toml and every caller know it; ``incident.facts`` and
``incident.settings`` give the two parts, and every field of ``Incident``
is in exactly one of them (tests/test_api.py checks it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Mapping


@dataclass(frozen=True)
class IncidentFacts:
    """What happened and what people said of it: the report's content.
    ``people`` are those who took part (their zones and working hours decide
    the paging answers); ``scorecard`` the answers people gave;
    ``questions`` those for the review meeting."""

    id: str
    start: dt.datetime
    end: dt.datetime | None
    status: str
    task: str | None
    paged: int | None
    responders: tuple
    coordinators: tuple
    impact: str | None
    summary: str | None
    metrics: str | None
    detection: str | None
    conclusions: Mapping
    links: tuple
    people: Mapping
    events: tuple
    actionables: tuple
    questions: tuple
    scorecard: Mapping


@dataclass(frozen=True)
class IncidentSettings:
    """How the facts are gathered and published: the ``[[source]]``s and
    ``[[graph]]``s, how long before and after to read them (``lead``,
    ``trail``), the earlier reports to compare with, which chat lines the
    report shows (``report``), what must not be published (``redact``), the
    wiki accounts and Phabricator tags, and the incident file's ``path``."""

    sources: tuple
    graphs: tuple
    path: str | None
    previous: str | None
    previous_wiki: str | None
    previous_prefix: str
    wiki_accounts: tuple
    followups: object
    lead: dt.timedelta
    trail: dt.timedelta
    report: object
    redact: object


def part_of(incident, part: type):
    """``part`` (IncidentFacts or IncidentSettings) of ``incident``."""
    return part(**{f.name: getattr(incident, f.name) for f in fields(part)})
