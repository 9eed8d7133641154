"""Load and validate incident.toml (format: docs/incident-toml.md).

Errors name the file, the line (found again in the text, since tomllib keeps
no positions) and the key, and say what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

from ..core.errors import IncidentFileError, InputError, PostmortemError
from ..core.model import (Actionable, Event, GraphConfig, Incident, Person, ScorecardAnswer, SourceConfig,
                          graph_slug)
from ..core.nesting import TooDeep, load_toml
from ..core.people import Roster
from ..core.questions import QUESTION_IDS
from ..core.tasks import is_task_id
from ..core.timeutil import parse_duration, zone
from ..core.evidence import MARKER_KINDS, Marker
from ..core.vocabulary import KEY_MOMENTS, KNOWN_TAGS, TRIGGERED, Kind, Notified, Page, Place
from ._reader import Reader
from ._settings_tables import followups_settings, redact_settings, report_settings

INCIDENT_KEYS = {"id", "status", "task", "start", "end", "paged", "responders", "coordinators",
                 "impact", "summary", "metrics", "detection", "links", "previous", "previous_wiki",
                 "previous_prefix", "lead", "trail"}
TOP_LEVEL = {"incident", "people", "source", "graph", "event", "actionable", "scorecard", "conclusions", "wiki",
             "report", "redact", "followups", "review"}
GRAPH_KEYS = {"title", "url", "path", "query", "unit", "step", "grafana", "token_env"}
# The timeline graph's files end in "timeline" (publish/pictures.py default_graph_name).
RESERVED_SLUGS = {"timeline"}
CONCLUSION_KEYS = {"text", "went-well", "went-poorly", "lucky"}


def load_incident(path) -> Incident:
    """Read and validate an incident.toml; raises IncidentFileError."""
    path = Path(path)
    return parse_incident(_read_text(path), path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark is no error
    except FileNotFoundError:
        raise IncidentFileError("no such file", file=path) from None
    except (OSError, UnicodeDecodeError) as err:
        raise IncidentFileError(f"cannot read: {err}", file=path) from None


def _parse_toml(text: str, path: Path) -> dict:
    try:
        return load_toml(text)
    except TooDeep as err:
        raise IncidentFileError(str(err), file=path) from None
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"line (\d+)", str(err))
        raise IncidentFileError(f"not valid TOML: {err}", file=path,
                                line=int(line.group(1)) if line else None) from None


def parse_incident(text: str, path: Path = Path("incident.toml")) -> Incident:
    """Validate incident.toml text (``path`` is for messages and relative paths)."""
    data = _parse_toml(text, path)
    reader = Reader(path, text)
    for key in data:
        if key not in TOP_LEVEL:
            reader.fail(f"unknown table (expected one of {', '.join(sorted(TOP_LEVEL))})", key)
    if "incident" not in data or not isinstance(data["incident"], dict):
        raise IncidentFileError("missing [incident] table with id and start", file=path, line=1)
    head = _incident_fields(reader, data["incident"])
    people = _people(reader, data.get("people", {}))
    roster = Roster(people)  # a person listed under two of their names is one
    head.update({key: roster.names_of(head[key]) for key in ("responders", "coordinators")})
    try:
        return Incident(
            **head,
            conclusions=_conclusions(reader, data.get("conclusions", {})),
            people=people,
            sources=_sources(reader, data.get("source", []), path),
            graphs=_graphs(reader, data.get("graph", []), path),
            events=_events(reader, data.get("event", [])),
            questions=_questions(reader, data.get("review", {})),
            actionables=_actionables(reader, data.get("actionable", [])),
            scorecard=_scorecard(reader, data.get("scorecard", {})),
            wiki_accounts=_wiki_accounts(reader, data.get("wiki", {})),
            report=report_settings(reader, data.get("report", {})),
            redact=redact_settings(reader, data.get("redact", {})),
            followups=followups_settings(reader, data.get("followups", {})),
            path=str(path),
        )
    except ValueError as err:  # a model constructor's own check (e.g. end before start: the end's line)
        reader.fail(str(err), "incident", "end" if "end is before start" in str(err) else None)


SOURCES_FILE_TABLES = {"source", "people"}


def load_sources(path) -> tuple[tuple[SourceConfig, ...], dict[str, Person]]:
    """A file of ``[[source]]`` tables and an optional ``[people.*]`` roster, as
    in incident.toml but without an incident (``postmortem pages --sources``);
    its sources and people. Raises IncidentFileError naming the line."""
    path = Path(path)
    text = _read_text(path)
    data, reader = _parse_toml(text, path), Reader(path, text)
    for key in data:
        if key not in SOURCES_FILE_TABLES:
            reader.fail(f"unknown table (expected one of {', '.join(sorted(SOURCES_FILE_TABLES))})", key)
    return _sources(reader, data.get("source", []), path), _people(reader, data.get("people", {}))


def source_configs(tables: list[dict], base_dir: str = ".", start: int = 0) -> tuple[SourceConfig, ...]:
    """Sources given on the command line as tables of options, each checked as a
    ``[[source]]`` would be (numbered from ``start``); InputError naming the
    option as a flag (``--api-id-env``)."""
    from ..collect.sources import get_source
    configs = []
    for index, table in enumerate(tables, start):
        config = SourceConfig(type=table["type"], options=table, index=index, base_dir=base_dir)
        try:
            get_source(config.type).check(config)
        except IncidentFileError as err:
            flag = "--" + (err.key or "type").replace("_", "-")
            raise InputError(err.message.replace(repr(err.key), flag), key=flag) from None
        configs.append(config)
    return tuple(configs)


def _incident_fields(reader: Reader, table: dict) -> dict:
    reader.unknown_keys(table, INCIDENT_KEYS, "incident")
    incident_id = reader.value(table, "id", str, "incident", required=True)
    if not incident_id.strip() or any(ch in incident_id for ch in "#<>[]|{}"):
        reader.fail("must be a non-empty page name without # < > [ ] | { }", "incident", "id")
    start, _ = reader.time(table, "start", "incident", required=True)
    end, _ = reader.time(table, "end", "incident")
    task = reader.value(table, "task", str, "incident")
    if task is not None and not is_task_id(task):
        reader.fail(f"expected a Phabricator task like T123, got {task!r}", "incident", "task")
    paged = reader.value(table, "paged", int, "incident")
    if paged is not None and paged < 0:
        reader.fail("must be 0 or more", "incident", "paged")
    status = reader.value(table, "status", str, "incident") or "draft"
    if status not in ("draft", "review", "final"):
        reader.fail(f"expected draft, review or final, got {status!r}", "incident", "status")
    fields = {"id": incident_id.strip(), "start": start, "end": end, "task": task, "paged": paged,
              "status": status}
    for key in ("impact", "summary", "metrics", "detection", "previous", "previous_wiki"):
        fields[key] = reader.value(table, key, str, "incident")
    if fields["previous"] and fields["previous_wiki"]:
        reader.fail("give previous (a folder) or previous_wiki, not both", "incident", "previous_wiki")
    if fields["previous_wiki"] and not re.match(r"^https?://", fields["previous_wiki"]):
        reader.fail("expected the wiki's api.php URL", "incident", "previous_wiki")
    fields["previous_prefix"] = reader.value(table, "previous_prefix", str, "incident") or "Incidents/"
    for key in ("responders", "coordinators", "links"):
        fields[key] = tuple(reader.value(table, key, list, "incident") or ())
    for key in ("lead", "trail"):
        margin = reader.duration(table, key, "incident")
        if margin is not None:
            fields[key] = margin
    return fields


def _conclusions(reader: Reader, table) -> dict:
    if not isinstance(table, dict):
        reader.fail("expected a table", "conclusions")
    reader.unknown_keys(table, CONCLUSION_KEYS, "conclusions")
    out = {"text": reader.value(table, "text", str, "conclusions")}
    for key in ("went-well", "went-poorly", "lucky"):
        out[key] = tuple(reader.value(table, key, list, "conclusions") or ())
    return out


def _people(reader: Reader, table) -> dict:
    people = {}
    for name, entry in table.items():
        where = f"people.{name}"
        if not isinstance(entry, dict):
            reader.fail("expected a table", where)
        reader.unknown_keys(entry, {"timezone", "hours", "team", "workdays", "aliases"}, where)
        tz_name = reader.value(entry, "timezone", str, where) or "UTC"
        try:
            zone(tz_name)
        except ValueError as err:
            reader.fail(str(err), where, "timezone")
        hours = _hours(reader, reader.value(entry, "hours", str, where) or "09:00-17:00", where)
        people[name] = Person(name=name, timezone=tz_name, hours=hours,
                              workdays=_workdays(reader, reader.value(entry, "workdays", list, where), where),
                              team=reader.value(entry, "team", str, where),
                              aliases=_aliases(reader, entry, where))
    return people


def _aliases(reader: Reader, entry: dict, where: str) -> tuple[str, ...]:
    aliases = reader.value(entry, "aliases", list, where) or []
    if not all(isinstance(a, str) and a.strip() for a in aliases):
        reader.fail("aliases must be a list of names (strings)", where, "aliases")
    return tuple(a.strip() for a in aliases)


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS = {**{d: n for n, d in enumerate(_DAY_NAMES)}, **{d[:3]: n for n, d in enumerate(_DAY_NAMES)}}


def _workdays(reader: Reader, days, where: str) -> tuple[int, ...]:
    """``["Mon", "Tue", …]`` (or full names) as weekday numbers; Monday to Friday by default."""
    if days is None:
        return (0, 1, 2, 3, 4)
    for day in days:
        if day.strip().lower() not in WEEKDAYS:
            reader.fail(f"expected day names like \"Mon\" or \"Monday\", got {day!r}", where, "workdays")
    return tuple(sorted({WEEKDAYS[d.strip().lower()] for d in days}))


def _hours(reader: Reader, text: str, where: str) -> tuple[dt.time, dt.time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    try:
        begin = dt.time(int(match[1]), int(match[2]))
        finish = dt.time(int(match[3]), int(match[4]))
    except (TypeError, ValueError):
        reader.fail(f"expected working hours like '09:00-17:00', got {text!r}", where, "hours")
    return begin, finish


def _sources(reader: Reader, tables, path: Path) -> tuple:
    from ..collect.sources import get_source
    sources = []
    for index, table in enumerate(_array(reader, tables, "source")):
        kind = reader.value(table, "type", str, "source", index, required=True)
        config = SourceConfig(type=kind, options=table, index=index,
                              base_dir=str(path.parent), file=str(path))
        try:
            get_source(kind).check(config)
        except PostmortemError as err:
            reader.fail(err.message, "source", err.key or "type", index)
        sources.append(config)
    return tuple(sources)


def _graphs(reader: Reader, tables, path: Path) -> tuple:
    """``[[graph]]`` tables: a title, and ``url`` + ``query`` (pulled) or ``path`` (a recorded answer)."""
    graphs, slugs = [], {}
    for index, table in enumerate(_array(reader, tables, "graph")):
        reader.unknown_keys(table, GRAPH_KEYS, "graph", index)
        title = reader.value(table, "title", str, "graph", index, required=True).strip()
        slug = graph_slug(title)
        if not slug or slug in RESERVED_SLUGS:
            reader.fail(f"a title that names the graph's files, not {title!r}" if not slug else
                        f"{title!r} would name the graph's files like the timeline graph's: choose another title",
                        "graph", "title", index)
        if slug in slugs:
            reader.fail(f"graph[{slugs[slug]}] has a title of the same name ({slug!r}): titles must differ",
                        "graph", "title", index)
        slugs[slug] = index
        graphs.append(GraphConfig(title=title, slug=slug, index=index, **_graph_options(reader, table, index),
                                  base_dir=str(path.parent), file=str(path)))
    return tuple(graphs)


def _graph_options(reader: Reader, table: dict, index: int) -> dict:
    url, recorded = (reader.value(table, key, str, "graph", index) for key in ("url", "path"))
    if (url is None) == (recorded is None):
        reader.fail("give url (a Prometheus or Thanos API base) or path (a recorded query_range answer), "
                    "one of them", "graph", None if url is None else "path", index)
    options = {key: reader.value(table, key, str, "graph", index) for key in ("query", "unit", "token_env")}
    if url is not None and not options["query"]:
        reader.fail('missing "query" (required with url)', "graph", "url", index)
    for key, value in (("url", url), ("grafana", reader.value(table, "grafana", str, "graph", index))):
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            reader.fail(f"expected an http(s) URL, got {value!r}", "graph", key, index)
        options[key] = value
    return {**options, "path": recorded, "step": _graph_step(reader, table.get("step"), index)}


def _graph_step(reader: Reader, raw, index: int) -> int | None:
    """``step``: seconds (an integer) or a duration ("30s", "5m"); None when not given."""
    if raw is None:
        return None
    try:
        seconds = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_duration(raw).total_seconds()
    except ValueError as err:
        reader.fail(str(err), "graph", "step", index)
    if seconds < 1 or seconds != int(seconds):
        reader.fail(f"expected a whole number of seconds > 0, got {raw!r}", "graph", "step", index)
    return int(seconds)


def _written_page(time, paged: list) -> Page:
    """A page written by hand with whom it reached (``paged``)."""
    return Page("incident.toml", "", TRIGGERED, notified=tuple(Notified(str(name)) for name in paged), at=time)


EVENT_KEYS = {"time", "text", "actor", "tags", "url", "paged"}
MARKER_KEYS = {"kind", "summary", "evidence", "notes"}   # a step of the narrative (core/evidence.py)


def _events(reader: Reader, tables) -> tuple:
    events = []
    for index, table in enumerate(_array(reader, tables, "event")):
        reader.unknown_keys(table, EVENT_KEYS | MARKER_KEYS, "event", index)
        time, precision = reader.time(table, "time", "event", index, required=True)
        marker = _marker(reader, table, index)
        text = reader.value(table, "summary" if marker else "text", str, "event", index, required=True)
        tags = reader.value(table, "tags", list, "event", index) or []
        for tag in tags:
            if tag not in KNOWN_TAGS:
                reader.fail(f"unknown tag {tag!r} (known: {', '.join(KNOWN_TAGS)})", "event", "tags", index)
        if marker and marker.kind in KEY_MOMENTS and marker.kind not in tags:
            tags.append(marker.kind)   # a key moment's marker marks that moment
        paged = reader.value(table, "paged", list, "event", index)  # who a page reached
        events.append(Event(time=time, source="manual", text=text, tags=tuple(tags),
                            precision=precision, actor=reader.value(table, "actor", str, "event", index),
                            url=reader.value(table, "url", str, "event", index), kind=Kind.MANUAL,
                            page=_written_page(time, paged) if paged else None, marker=marker,
                            # where it is written, for findings (postmortem.timeline.redact_events)
                            place=Place(str(reader.path), reader.locator.line_of(
                                "event", "summary" if marker else "text", index))))
    return tuple(events)


def _marker(reader: Reader, table: dict, index: int) -> Marker | None:
    """A marker of the narrative when the entry has a ``kind`` (then a ``summary``, not a ``text``)."""
    if "kind" not in table:
        for key in MARKER_KEYS & set(table):
            reader.fail(f"{key} is for a marker of the narrative: give its kind too", "event", key, index)
        return None
    kind = reader.value(table, "kind", str, "event", index)
    if kind not in MARKER_KINDS:
        reader.fail(f"unknown kind {kind!r} (known: {', '.join(MARKER_KINDS)})", "event", "kind", index)
    if "text" in table:
        reader.fail("a marker's line is its summary: give summary, not text", "event", "text", index)
    evidence = reader.value(table, "evidence", list, "event", index) or []
    return Marker(kind, tuple(evidence), reader.value(table, "notes", str, "event", index) or "")


def _questions(reader: Reader, table) -> tuple[str, ...]:
    """``[review] questions``: the questions for the review meeting."""
    if not isinstance(table, dict):
        reader.fail("expected a table", "review")
    reader.unknown_keys(table, {"questions"}, "review")
    return tuple(reader.value(table, "questions", list, "review") or ())


def _actionables(reader: Reader, tables) -> tuple:
    items = []
    for index, table in enumerate(_array(reader, tables, "actionable")):
        reader.unknown_keys(table, {"text", "task", "done", "owner", "no-task"}, "actionable", index)
        text = reader.value(table, "text", str, "actionable", index, required=True)
        task = reader.value(table, "task", str, "actionable", index)
        if task is not None and not is_task_id(task):
            reader.fail(f"expected a Phabricator task like T123, got {task!r}", "actionable", "task", index)
        no_task = reader.value(table, "no-task", str, "actionable", index)
        if task and no_task:
            reader.fail("give a task or a reason for having none, not both", "actionable", "no-task", index)
        items.append(Actionable(text=text, task=task, no_task=no_task,
                                done=bool(reader.value(table, "done", bool, "actionable", index)),
                                owner=reader.value(table, "owner", str, "actionable", index)))
    return tuple(items)


def _scorecard(reader: Reader, table) -> dict:
    answers = {}
    for qid, raw in table.items():
        if qid not in QUESTION_IDS:
            reader.fail(f"unknown question id (known: {', '.join(QUESTION_IDS)})", "scorecard", qid)
        entry = raw if isinstance(raw, dict) else {"answer": raw}
        for key in entry:
            if key not in ("answer", "notes"):
                reader.fail(f"unknown key {key!r} in {{ … }} (expected answer, notes)", "scorecard", qid)
        answer = entry.get("answer", "")
        if not isinstance(answer, str) or answer.lower() not in ("yes", "no", ""):
            reader.fail(f"expected \"yes\", \"no\" or \"\", got {answer!r}", "scorecard", qid)
        notes = entry.get("notes", "")
        if not isinstance(notes, str):
            reader.fail("notes must be a string", "scorecard", qid)
        answers[qid] = ScorecardAnswer(qid, answer.lower() or None, notes,
                                       "human" if answer else None)
    return answers


def _wiki_accounts(reader: Reader, table) -> tuple[str, ...]:
    """``[wiki] accounts``: the wiki accounts whose saves `update` may take as the
    tool's own (a bot shared by a team), besides the account it logs in as."""
    if not isinstance(table, dict):
        reader.fail("expected a table", "wiki")
    reader.unknown_keys(table, {"accounts"}, "wiki")
    return tuple(reader.value(table, "accounts", list, "wiki") or ())


def _array(reader: Reader, tables, name: str) -> list:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        reader.fail(f"expected [[{name}]] tables", name)
    return tables
