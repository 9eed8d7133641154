"""The data postmortem works on: frozen dataclasses that validate themselves."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .accounting import Skip
from .settings import FollowupSettings, RedactSettings, ReportSettings
from .tasks import is_task_id
from .timeutil import UTC, format_clock, format_utc, parse_instant, require_utc
from .vocabulary import Event, place_text

STATUSES = ("draft", "review", "final")


def _frozen_mapping(value) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Window:
    """A half-open span of UTC time [start, end)."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self):
        require_utc("Window.start", self.start)
        require_utc("Window.end", self.end)
        if self.end < self.start:
            raise ValueError("Window.end is before Window.start")

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def dates(self, slack: dt.timedelta = dt.timedelta(0)) -> list[dt.date]:
        """Every calendar date (UTC) the window touches, widened by ``slack``."""
        first = (self.start - slack).date()
        last = (self.end + slack).date()
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Person:
    """Someone on the roster, with working hours for the scorecard."""

    name: str
    timezone: str = "UTC"
    hours: tuple[dt.time, dt.time] = (dt.time(9), dt.time(17))
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday..Friday
    team: str | None = None
    aliases: tuple[str, ...] = ()   # the other names they go by (nicks, ids, e-mails)


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[source]]`` table: its type, its options, where it was declared."""

    type: str
    options: Mapping[str, object]
    index: int
    base_dir: str = "."
    file: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "options", _frozen_mapping(self.options))

    @property
    def name(self) -> str:
        """A name for messages: ``source[2] (irc)``."""
        return f"source[{self.index}] ({self.type})"


@dataclass(frozen=True)
class GraphConfig:
    """One ``[[graph]]`` table: a metric the report shows as a line chart.

    Its series come from a Prometheus/Thanos range query (``url`` + ``query``,
    fetched by `pull` into the cache) or from a recorded answer of one
    (``path``, read each time, like a file source). ``slug`` names its files
    (made from the title); ``step`` is in seconds (None: the window in at
    most about 500 points)."""

    title: str
    slug: str
    index: int
    query: str | None = None
    url: str | None = None
    path: str | None = None
    unit: str | None = None
    step: int | None = None
    grafana: str | None = None
    token_env: str | None = None
    base_dir: str = "."
    file: str | None = None          # the incident file it was declared in, for messages

    @property
    def name(self) -> str:
        """A name for messages: ``graph[0] (error-rate)``."""
        return f"graph[{self.index}] ({self.slug})"


MAX_SLUG = 80   # characters: ``<stem>-<slug>.svg`` stays a file name a file system takes


def graph_slug(title: str) -> str:
    """What names a graph's files: its title in lower case, every run of other
    characters than letters and digits one ``-`` ("Error rate (5xx)" ->
    ``error-rate-5xx``); "" when nothing is left. A slug longer than
    :data:`MAX_SLUG` is cut and ends in a short hash of the whole title, so
    that titles differing only past the cut still name different files."""
    slug = re.sub(r"[\W_]+", "-", title.lower()).strip("-")
    if len(slug) <= MAX_SLUG:
        return slug
    import hashlib  # only for a long title
    digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]
    return slug[:MAX_SLUG - len(digest) - 1].rstrip("-") + "-" + digest


@dataclass(frozen=True)
class Series:
    """One series of a range query: its labels and its ``(time, value)``
    points in time order (NaN and ±Inf kept as the service wrote them)."""

    labels: Mapping[str, str]
    points: tuple[tuple[dt.datetime, float], ...]

    def __post_init__(self):
        object.__setattr__(self, "labels", _frozen_mapping(self.labels))
        object.__setattr__(self, "points", tuple(self.points))


@dataclass(frozen=True)
class GraphData:
    """What one ``[[graph]]`` is drawn from: the range asked (``window``, one
    point every ``step`` seconds) and the series it gave, or why they could not
    be read (``missing``: the last pull failed)."""

    config: GraphConfig
    window: Window
    step: int
    series: tuple[Series, ...] = ()
    missing: str | None = None

    def __post_init__(self):
        if self.step <= 0:
            raise ValueError(f"step must be a number of seconds > 0, got {self.step!r}")
        object.__setattr__(self, "series", tuple(self.series))


@dataclass(frozen=True)
class Actionable:
    """A follow-up: text, an optional Phabricator task, done or not."""

    text: str
    task: str | None = None
    done: bool = False
    owner: str | None = None
    status: str | None = None   # its task's status in Phabricator (pulled), e.g. "open", "resolved"
    no_task: str | None = None  # why this one has no task, said on purpose (lint accepts it)
    changed: dt.datetime | None = None  # when its task last changed (Phabricator's dateModified)

    def __post_init__(self):
        if self.task is not None and self.no_task:
            raise ValueError("an actionable has a task or a reason for having none, not both")
        if self.task is not None and not is_task_id(self.task):
            raise ValueError(f"task must look like T123, got {self.task!r}")


@dataclass(frozen=True)
class ScorecardAnswer:
    """An answer to one scorecard question, with where it came from. ``notes``
    and ``evidence`` are for the incident's authors (they may name settings of
    incident.toml); ``said`` is the reason in one plain sentence for the
    report's readers, ``cited`` the records it rests on, which the report links."""

    id: str
    answer: str | None = None  # "yes" | "no" | None
    notes: str = ""
    source: str | None = None  # "human" | "computed" | None
    evidence: tuple[str, ...] = ()
    said: str = ""
    cited: tuple[Event, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if self.answer not in ("yes", "no", None):
            raise ValueError(f"answer must be 'yes', 'no' or empty, got {self.answer!r}")
        if self.source not in ("human", "computed", None):
            raise ValueError(f"source must be 'human' or 'computed', got {self.source!r}")
        object.__setattr__(self, "evidence", tuple(self.evidence))
        object.__setattr__(self, "cited", tuple(self.cited))

    @property
    def reason(self) -> str:
        """What the report says of it: the plain sentence, else the notes people wrote."""
        return self.said or (self.notes if self.source != "computed" else "")


@dataclass(frozen=True)
class Incident:
    """Everything incident.toml says about one incident: the facts of what
    happened (:attr:`facts`) and the settings of how to gather and publish them
    (:attr:`settings`), every field in one of the two."""

    id: str
    start: dt.datetime
    end: dt.datetime | None = None
    status: str = "draft"
    task: str | None = None
    paged: int | None = None
    responders: tuple[str, ...] = ()
    coordinators: tuple[str, ...] = ()
    impact: str | None = None
    summary: str | None = None
    metrics: str | None = None
    detection: str | None = None
    conclusions: Mapping[str, object] = field(default_factory=dict, compare=False)
    links: tuple[str, ...] = ()
    people: Mapping[str, Person] = field(default_factory=dict, compare=False)
    sources: tuple[SourceConfig, ...] = ()
    graphs: tuple[GraphConfig, ...] = ()
    events: tuple[Event, ...] = ()
    actionables: tuple[Actionable, ...] = ()
    questions: tuple[str, ...] = ()   # [review] questions, for the review meeting
    scorecard: Mapping[str, ScorecardAnswer] = field(default_factory=dict, compare=False)
    path: str | None = None
    previous: str | None = None  # a folder of earlier reports, for the scorecard
    previous_wiki: str | None = None  # or a wiki's api.php URL (pages under previous_prefix)
    previous_prefix: str = "Incidents/"
    wiki_accounts: tuple[str, ...] = ()  # [wiki] accounts: whose saves count as the tool's, besides its own
    followups: FollowupSettings = field(default_factory=FollowupSettings, compare=False)
    lead: dt.timedelta = dt.timedelta(minutes=30)   # sources are read from this long before start
    trail: dt.timedelta = dt.timedelta(minutes=30)  # … to this long after end
    report: ReportSettings = field(default_factory=ReportSettings, compare=False)
    redact: RedactSettings = field(default_factory=RedactSettings, compare=False)

    def __post_init__(self):
        require_utc("Incident.start", self.start)
        if self.end is not None:
            require_utc("Incident.end", self.end)
            if self.end < self.start:
                raise ValueError("end is before start")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        for name in ("conclusions", "people", "scorecard"):
            object.__setattr__(self, name, _frozen_mapping(getattr(self, name)))

    @property
    def page_title(self) -> str:
        """The default wiki page: ``Incidents/<id>``."""
        return f"Incidents/{self.id}"

    @property
    def facts(self) -> IncidentFacts:
        """What happened: the report's content (:mod:`.incident_parts`)."""
        from .incident_parts import IncidentFacts, part_of  # built when asked for (start-up time)
        return part_of(self, IncidentFacts)

    @property
    def settings(self) -> IncidentSettings:
        """How to gather and publish it: sources, graphs, margins, wiki, redaction."""
        from .incident_parts import IncidentSettings, part_of
        return part_of(self, IncidentSettings)


# Sources are read from a little before the start (the lead-up: deploys, the
# first alert) to a little after the end (the last all-clear messages); an
# incident sets its own margins with [incident] lead and trail.
MARGIN = dt.timedelta(minutes=30)
# An incident with no end yet is read for one day after its start.
OPEN_INCIDENT_SPAN = dt.timedelta(days=1)


def incident_window(incident: Incident) -> Window:
    """The span sources are read for: [start - lead, end + trail) (both 30
    minutes unless the incident says otherwise)."""
    end = incident.end or incident.start + OPEN_INCIDENT_SPAN
    return Window(incident.start - incident.lead, end + incident.trail)


def utc(year, month, day, hour=0, minute=0, second=0) -> dt.datetime:
    """Shorthand for an aware UTC datetime."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Phabricator's closed statuses where an answer does not say (no ``dateClosed``):
# upstream's defaults (resolved, wontfix, invalid, duplicate, spite) and Wikimedia's declined.
CLOSED_STATUSES = frozenset({"resolved", "wontfix", "invalid", "duplicate", "spite", "declined"})


@dataclass(frozen=True)
class TaskInfo:
    """What Phabricator says about a task: its title, status value, owner's
    username, when it was created and last changed (``dateCreated``,
    ``dateModified``), and whether it is closed (``dateClosed`` set; None when
    the answer did not say)."""

    title: str
    status: str
    owner: str | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    closed: bool | None = None

    @property
    def is_open(self) -> bool:
        """Open unless closed: by ``dateClosed`` where Phabricator gave it, else by the status."""
        return not self.closed if self.closed is not None else self.status not in CLOSED_STATUSES

    def to_json(self) -> dict:
        """The cache's shape: ``{"title", "status", "owner", "created", "modified", "closed"}``."""
        return {"title": self.title, "status": self.status, "owner": self.owner,
                "created": format_utc(self.created) if self.created else None,
                "modified": format_utc(self.modified) if self.modified else None, "closed": self.closed}

    @classmethod
    def from_json(cls, data: dict) -> "TaskInfo":
        """Back from :meth:`to_json`; ValueError when a field is missing or not text."""
        if not isinstance(data, dict) or not isinstance(data.get("title"), str) \
                or not isinstance(data.get("status"), str) or data.get("closed") not in (True, False, None):
            raise ValueError(f"not a task: {data!r}")
        return cls(data["title"], data["status"], data.get("owner"), _utc_or_none(data.get("created")),
                   _utc_or_none(data.get("modified")), data.get("closed"))


def _utc_or_none(value) -> dt.datetime | None:
    if value is None:
        return None
    return parse_instant(str(value))


@dataclass(frozen=True)
class Problem:
    """Something that could not be read as intended, or a finding to fix:
    its kind (e.g. ``placeholder``), line (or None) and text."""

    kind: str
    line: int | None
    text: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "line": self.line, "text": self.text}


# What a finding is about: a secret blocks publishing; personal data and a
# private channel's message warn (and block with ``[redact] strict = true``).
FINDING_CATEGORIES = ("secret", "personal data", "private channel")


@dataclass(frozen=True)
class Finding:
    """Something in a record that must not be published: its ``kind``
    (``slack-token``, ``password``, ``email``, ``private-channel``…), its
    category, where the record came from (``file``/``line``, else ``url``, else
    the source), and how it was resolved (``"[redact] replace 1"``; None while
    unresolved). Never the value itself."""

    kind: str
    category: str
    source: str
    time: dt.datetime
    file: str | None = None
    line: int | None = None
    url: str | None = None
    resolved: str | None = None

    def __post_init__(self):
        if self.category not in FINDING_CATEGORIES:
            raise ValueError(f"category must be one of {FINDING_CATEGORIES}, got {self.category!r}")

    def where(self) -> str:
        """``file:line``, else the record's URL, else the source and the time."""
        return place_text(self.file, self.line, self.url) or f"{self.source} at {format_utc(self.time)}"

    def blocks(self, strict: bool = False) -> bool:
        """Whether it keeps `publish`/`update` from writing: an unresolved secret
        (any unresolved finding when ``strict``)."""
        return self.resolved is None and (strict or self.category == "secret")

    def to_json(self) -> dict:
        return {"kind": self.kind, "category": self.category, "where": self.where(), "file": self.file,
                "line": self.line, "url": self.url, "source": self.source, "time": format_utc(self.time),
                "resolved": self.resolved}


@dataclass(frozen=True)
class PreviousReport:
    """One earlier incident: a name to cite, its start, its people, its text."""

    name: str
    start: dt.datetime | None
    people: frozenset = field(default_factory=frozenset)
    text: str = field(default="", repr=False)

    def mentions(self, word: str) -> bool:
        """``word`` appears in the report as a whole word (case-sensitive, as alert names are)."""
        return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", self.text) is not None


@dataclass(frozen=True)
class MissingSource:
    """A source whose records are not in the timeline, and why (the last pull failed)."""

    name: str
    reason: str
    type: str = ""   # the source's type ("pagerduty"), for naming it as the report does


@dataclass(frozen=True)
class KeptSource:
    """A source whose last pull failed (``reason``), its records those of an
    earlier pull, made at ``pulled`` (None when the cache does not say)."""

    name: str
    reason: str
    pulled: dt.datetime | None = None


def pull_of(moment: dt.datetime | None) -> str:
    """``the pull of 2026-12-04 20:31 UTC``; ``an earlier pull`` when its time is not known."""
    return "an earlier pull" if moment is None else f"the pull of {format_clock(moment, 'minute', with_date=True)} UTC"


@dataclass(frozen=True)
class Records:
    """Everything an incident's report needs, gathered once
    (:func:`postmortem.timeline.gather.gather`): the incident, its merged
    timeline, ``tasks`` (``{"T123": TaskInfo}`` from the phabricator source;
    None when it is not configured or not pulled) and ``previous`` (the
    previous reports, newest first; None when not configured), and the sources
    whose records could not be read (``missing``) or are an earlier pull's
    because the last one failed (``kept``); ``graphs``, the series of each
    ``[[graph]]``. Rendering, the graphs, the scorecard and publishing read this
    value and nothing else. ``findings``: what the text held that must not be
    published (:mod:`postmortem.core.redact`), resolved or not; the events
    already carry the text after ``[redact]``'s rules."""

    incident: Incident
    events: tuple[Event, ...] = ()
    tasks: Mapping[str, "TaskInfo"] | None = None
    previous: tuple[PreviousReport, ...] | None = None
    missing: tuple["MissingSource", ...] = ()  # sources whose records could not be read
    graphs: tuple[GraphData, ...] = ()
    # what must not be published, found when the records were gathered (the events
    # hold the text after ``[redact]``); None: not scanned (records made by hand)
    findings: tuple[Finding, ...] | None = None
    kept: tuple["KeptSource", ...] = ()  # sources whose last pull failed, read as an earlier pull left them
    # records the sources read but could not understand: (source name, its Skip)
    skipped: tuple[tuple[str, Skip], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "skipped", tuple(self.skipped))
        object.__setattr__(self, "graphs", tuple(self.graphs))
        object.__setattr__(self, "missing", tuple(self.missing))
        object.__setattr__(self, "kept", tuple(self.kept))
        if self.findings is not None:
            object.__setattr__(self, "findings", tuple(self.findings))
        if self.previous is not None:
            object.__setattr__(self, "previous", tuple(self.previous))
