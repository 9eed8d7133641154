"""The one loader of the format cases kept as data: tests/fixtures/<folder>/cases.toml.

A cases file holds arrays of tables (``[[case]]``, and others a folder needs,
like irc's ``[[error]]``). ``SCHEMAS`` says, for each folder and table, which
keys a case may hold (a trailing ``?``: it may leave it out) and which of them
are what it expects. A key nobody reads, a missing key or a case that expects
nothing is an error naming the file and the case when the file is loaded, so a
typo never makes a case pass unchecked (tests/test_cases.py holds every file to it).

Expected events are tables compared on the keys they give (``event_facts``):
time, actor, text, kind, precision, channel, url, tags, aka, alert, log,
fields. TOML has no null: ``false`` says "none" (no actor, no alert, no such field).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from itertools import zip_longest
from pathlib import Path
from typing import Mapping

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class CasesError(Exception):
    """A cases.toml that does not say what its cases expect (unknown or missing keys)."""


@dataclass(frozen=True)
class Table:
    """The keys of one kind of table: ``keys`` space-separated, ``name?`` optional;
    ``expect``: those of them that are what the case checks (at least one given;
    with ``one``, exactly one); ``inner``: the tables inside it, by key."""

    keys: str
    expect: str = ""
    inner: Mapping[str, "Table"] = field(default_factory=dict)
    one: bool = False

    @property
    def required(self) -> set[str]:
        return {key for key in self.keys.split() if not key.endswith("?")}

    @property
    def allowed(self) -> set[str]:
        return {key.rstrip("?") for key in self.keys.split()}

    def problems(self, value, where: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where}: a table, not {value!r}"]
        found = [f"{where}: unknown key {key!r} (known: {', '.join(sorted(self.allowed))})"
                 for key in sorted(set(value) - self.allowed)]
        found += [f"{where}: no {key!r}" for key in sorted(self.required - set(value))]
        expects = set(self.expect.split()) & set(value)
        if self.expect and not expects:
            found.append(f"{where}: expects nothing (give one of: {self.expect})")
        elif self.one and len(expects) > 1:
            found.append(f"{where}: one of {self.expect}, not {', '.join(sorted(expects))}")
        for key, table in self.inner.items():
            found += table.problems_in(value.get(key), f"{where}.{key}")
        return found

    def problems_in(self, value, where: str) -> list[str]:
        """The problems of a table, an array of tables or ``false`` (none) at ``where``."""
        if value is None or value is False:
            return []
        if isinstance(value, list):
            return [problem for n, item in enumerate(value) for problem in self.problems(item, f"{where}[{n}]")]
        return self.problems(value, where)


ALERT = Table("name? state? severity? team? summary? labels?", expect="name state severity team summary labels")
LOG = Table("relayed_by? host?", expect="relayed_by host")
NOTIFIED = Table("name at? via? timezone? aka?")
# A paging service's page (postmortem.core.vocabulary.Page): ``paged`` its notified names,
# ``notified`` each of them compared on the keys given; ``manual`` true or false (not "none").
PAGE = Table("service? incident? phase? what? entity? paged? notified? teams? unresolved_teams? manual? by? "
             "note? state?", expect="service incident phase what entity paged notified teams unresolved_teams "
             "manual by note state", inner={"notified": NOTIFIED})
# What a source made of a record: the keys a case gives are compared (event_facts).
EVENT = Table("time? source? actor? text? kind? precision? channel? url? tags? aka? alert? log? fields? page?",
              expect="time source actor text kind precision channel url tags aka alert log fields page",
              inner={"alert": ALERT, "log": LOG, "page": PAGE})
SKIP = Table("line? reason url?", expect="reason")
# An answer: its ``body`` or a ``file`` of the folder, with its HTTP ``status`` (200) and
# Content-Type ``type`` (JSON; text/html for a ``.html`` file).
ANSWER = Table("body? file? status? type? headers?", expect="body file", one=True)
# A network source's case: the answers its server gives, in the order asked, and what
# the source makes of them (events, drops and skips by reason, records read, paths asked).
ANSWERED = Table("id about? answers window options? events? dropped? skipped? read? requests?",
                 expect="events dropped skipped read requests",
                 inner={"answers": ANSWER, "events": EVENT, "skipped": SKIP, "dropped": SKIP})
# A broken answer (tests/services.py Broken): the `answer` served (to `path` only, the
# others good, when given) and the one error it ends in: the error class, its whole
# `message` (or a pattern it `matches` in full), err.status, the requests made, the wait.
BROKEN = Table("id about? answer path? error message? matches? status? attempts? retry_after?",
               expect="message matches", one=True, inner={"answer": ANSWER})
# A task a tasks source found (postmortem.core.model.TaskInfo), compared on the keys given.
TASK = Table("task title? status? owner? created? modified? closed?",
             expect="title status owner created modified closed")

SCHEMAS: dict[str, dict[str, Table]] = {
    "irc": {
        "case": Table("id about? window? options? path? file", inner={"file": Table(
            "name precision channel? truncated? lines", inner={"lines": Table(
                "line time? actor? text? drop? skip?", expect="time drop skip", one=True)})}),
        "error": Table("id file lines options? line? message", expect="message"),
        "alert": Table("id about? line alert text? url?", expect="alert"),
    },
    "alert-email": {"case": Table("id about? path? name? text? options? window? events? skipped? dropped? read?",
                                  expect="events skipped dropped read",
                                  inner={"events": EVENT, "skipped": SKIP, "dropped": SKIP})},
    "slack": {"case": ANSWERED, "broken": BROKEN},
    "slack-export": {
        "case": Table("id about? day file? window? options? events? skipped? dropped? read?",
                      expect="events skipped dropped read", inner={"events": EVENT, "skipped": SKIP, "dropped": SKIP}),
        "mark": Table("id message fields", expect="fields"),
    },
    "statuspage": {"case": ANSWERED},
    "alertmanager": {"case": ANSWERED},
    "prometheus": {"case": ANSWERED},
    "gerrit": {"case": ANSWERED},
    "paging/pagerduty": {"case": ANSWERED, "broken": BROKEN},
    "paging/splunk-oncall": {"case": ANSWERED, "broken": BROKEN},
    "links": {"case": Table("id text shown? read? links wikitext? markdown?", expect="links"),
              "actionable": Table("id text task wikitext markdown", expect="wikitext markdown"),
              "slack": Table("id message shown links", expect="shown links")},
    "secrets": {"case": Table("text about? kinds value?", expect="kinds")},
    "phabricator": {
        "case": Table("id about? tasks answers found? requests?", expect="found requests",
                      inner={"answers": ANSWER, "found": TASK}),
        "broken": BROKEN,
    },
    "sal-tool": {"case": ANSWERED, "broken": BROKEN},
    "sal-wiki": {"case": ANSWERED, "broken": BROKEN},
    "sal-wikitext": {"case": Table("id about? lines? page? window? year? file? events? skipped? read?",
                          expect="events skipped read", inner={"events": EVENT, "skipped": SKIP})},
}


def _where(path: Path, table: str, n: int, case) -> str:
    name = case.get("id") if isinstance(case, dict) else None
    return f"{path}: [[{table}]] {n + 1}" + (f" ({name})" if name else "")


def problems(folder: str, document: dict, path: Path) -> list[str]:
    """What is wrong with a folder's cases: tables nobody reads, keys, missing expectations."""
    tables = SCHEMAS.get(folder)
    if tables is None:
        return [f"{path}: no schema for {folder!r} in tests/cases.py SCHEMAS"]
    found = [f"{path}: unknown table [[{name}]] (known: {', '.join(sorted(tables))})"
             for name in sorted(set(document) - set(tables))]
    for name, table in tables.items():
        cases = document.get(name, [])
        found += [problem for n, case in enumerate(cases) for problem in table.problems(case, _where(path, name, n, case))]
        ids = [case.get("id") for case in cases if isinstance(case, dict) and "id" in case]
        found += [f"{path}: [[{name}]] id {i!r} is given twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return found


def parse(folder: str, text: str, path: Path) -> dict:
    """A cases file's tables, checked against its schema (CasesError listing every problem)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CasesError(f"{path}: {err}") from None
    found = problems(folder, document, path)
    if found:
        raise CasesError("\n".join(found))
    return document


@cache
def load(folder: str) -> dict:
    """tests/fixtures/<folder>/cases.toml, checked."""
    path = FIXTURES / folder / "cases.toml"
    return parse(folder, path.read_text(encoding="utf-8"), path)


def cases(folder: str, table: str = "case", ids=None) -> list:
    """The ``[[table]]`` cases of a folder as pytest params, named by their ``id``
    (or by ``ids(number, case)``)."""
    rows = load(folder).get(table, [])
    return [pytest.param(case, id=ids(n, case) if ids else case["id"]) for n, case in enumerate(rows)]


# -- expected events ------------------------------------------------------------------

def _none(value):
    """TOML has no null: ``false`` stands for none."""
    return None if value is False else value


def _alert_facts(alert, wanted) -> dict | None:
    if alert is None or wanted is False:
        return None if alert is None else {"alert": alert.name}
    facts = {"name": alert.name, "state": alert.state, "severity": alert.severity, "team": alert.team,
             "summary": alert.summary, "labels": dict(alert.labels)}
    return {key: facts[key] for key in wanted}


def _notified_facts(person, wanted) -> dict | None:
    if person is None:
        return None
    facts = {"name": person.name, "at": person.at, "via": list(person.via), "timezone": person.timezone,
             "aka": list(person.aka)}
    return {key: facts[key] for key in (wanted or {"name": None})}


def _page_facts(page, wanted) -> dict | None:
    if page is None or wanted is False:
        return None if page is None else {"page": page.label}
    facts = {}
    for key in wanted:
        if key == "paged":
            facts[key] = page.names()
        elif key == "notified":
            facts[key] = [_notified_facts(person, want)
                          for person, want in zip_longest(page.notified, wanted[key] or [])]
        elif key in ("teams", "unresolved_teams"):
            facts[key] = list(getattr(page, key))
        else:
            facts[key] = getattr(page, key)
    return facts


def event_facts(event, expected: Mapping) -> dict | None:
    """The facts of ``event`` that ``expected`` names, shaped as a cases file writes them."""
    if event is None:
        return None
    facts = {}
    for key, want in expected.items():
        if key == "alert":
            facts[key] = _alert_facts(event.alert, want)
        elif key == "page":
            facts[key] = _page_facts(event.page, want)
        elif key == "log":
            facts[key] = None if event.log is None else {k: getattr(event.log, k) for k in (want or {})}
        elif key == "fields":
            facts[key] = {name: event.fields.get(name) for name in want}
        elif key == "kind":
            facts[key] = event.kind.value
        elif key in ("tags", "aka"):
            facts[key] = list(getattr(event, key))
        else:
            facts[key] = getattr(event, key)
    return facts


def wanted_facts(expected: Mapping | None) -> dict | None:
    """An expected event with ``false`` read as none (also inside alert, log and fields)."""
    if expected is None:
        return None
    wanted = {}
    for key, want in expected.items():
        if key == "page" and isinstance(want, dict):
            wanted[key] = {k: ([{n: _none(x) for n, x in person.items()} for person in v] if k == "notified"
                               else v if k == "manual" else _none(v)) for k, v in want.items()}
        elif isinstance(want, dict):
            wanted[key] = {k: _none(v) for k, v in want.items()}
        else:
            wanted[key] = _none(want)
    return wanted


def compare_events(events, expected) -> tuple[list, list]:
    """(got, wanted), one row per event or expectation, to assert equal: a missing or an
    extra event shows as ``None`` against the other side."""
    pairs = list(zip_longest(events, expected))
    return ([event_facts(e, x or {"time": None, "actor": None, "text": None}) for e, x in pairs],
            [wanted_facts(x) for _, x in pairs])


def assert_outcome(case, events, tally, where=None) -> None:
    """What a case expects of a read: its ``events``, ``skipped`` and ``dropped`` records
    (reasons; with ``where(record)``, also the (file, line) each names) and ``read``."""
    if "events" in case:
        got, wanted = compare_events(events, case["events"])
        assert got == wanted
    for said in ("skipped", "dropped"):
        if said in case:
            if where is None:
                assert [s.reason for s in getattr(tally, said)] == [record["reason"] for record in case[said]]
            else:
                assert [(s.file, s.line, s.reason) for s in getattr(tally, said)] == [
                    (*where(record), record["reason"]) for record in case[said]]
    if "read" in case:
        assert tally.read == case["read"]


def _content_type(answer) -> str:
    if "type" in answer:
        return answer["type"]
    if answer.get("file", "").endswith((".html", ".htm")):
        return "text/html; charset=UTF-8"
    return "application/json; charset=UTF-8"


def served(answer, folder: str):
    """A case's answer as the fake server sends it: the ``body`` (or ``file`` of
    tests/fixtures/<folder>/, byte for byte), its ``status`` and ``type``."""
    from tests.services import Answer
    body = answer["body"].encode() if "body" in answer else (FIXTURES / folder / answer["file"]).read_bytes()
    return Answer(answer.get("status", 200), body, {"Content-Type": _content_type(answer)})


def answers_app(case, folder: str):
    """A fake server's app giving the case's ``answers`` in turn (:func:`served`), and a
    500 to any request beyond them."""
    from tests.services import Answer
    answers = [served(answer, folder) for answer in case["answers"]]
    asked = []

    def app(request):
        asked.append(request.path)
        if len(asked) > len(answers):
            return Answer(500, b"the case gives no more answers", {"Content-Type": "text/plain"})
        return answers[len(asked) - 1]
    return app


def check_answered(case, folder: str, read) -> None:
    """Serve a network source's case and hold it to what it expects; ``read(url, window,
    tally)`` reads the source from the local server at ``url``."""
    from postmortem.core.accounting import Tally
    from postmortem.core.model import Window
    from tests.services import FakeServer
    tally = Tally()
    with FakeServer(answers_app(case, folder)) as server:
        events = read(server.url, Window(*utc_window(case["window"])), tally)
    assert_outcome(case, events, tally)
    for said in ("skipped", "dropped"):  # a network record's place is the URL it came from
        for record, expected in zip(getattr(tally, said), case.get(said, [])):
            if "url" in expected:
                assert record.file == server.url + expected["url"], record
    if "requests" in case:
        assert [request.path for request in server.requests] == case["requests"]


def broken_cases(folder: str) -> list:
    """The ``[[broken]]`` cases of a folder as pytest params of tests/services.py Broken."""
    import re

    from postmortem.core import errors
    from tests.services import Broken
    params = []
    for case in load(folder).get("broken", []):
        error = getattr(errors, case["error"], None)
        if not (isinstance(error, type) and issubclass(error, errors.PostmortemError)):
            raise CasesError(f"{FIXTURES / folder / 'cases.toml'}: [[broken]] {case['id']}: "
                             f"no error {case['error']!r} in postmortem.core.errors")
        answer = served(case["answer"], folder)
        answer.headers.update(case["answer"].get("headers", {}))
        message = re.compile(case["matches"]) if "matches" in case else case["message"]
        params.append(pytest.param(Broken(answer, error, message, status=case.get("status"),
                                          attempts=case.get("attempts", 1), retry_after=case.get("retry_after"),
                                          path=case.get("path")), id=case["id"]))
    return params


def _task_facts(found: dict, wanted: Mapping) -> dict:
    """The facts of the task ``wanted`` names, on the keys it gives (or that it is missing)."""
    task = wanted["task"]
    if task not in found:
        return {"task": task, "missing": True}
    return {key: task if key == "task" else getattr(found[task], key) for key in wanted}


def check_tasks(case, folder: str, fetch) -> None:
    """Serve a tasks source's case and hold it to the tasks it expects (``found``, in
    id order; ``closed`` compared as given, the rest with ``false`` as none) and the
    paths asked; ``fetch(url, task_ids)`` gives ``{"T1": TaskInfo}``."""
    from tests.services import FakeServer
    with FakeServer(answers_app(case, folder)) as server:
        found = fetch(server.url, case["tasks"])
    if "found" in case:
        assert [_task_facts(found, wanted) for wanted in case["found"]] == [
            {key: value if key == "closed" else _none(value) for key, value in wanted.items()}
            for wanted in case["found"]]
        assert sorted(found, key=lambda task: int(task[1:])) == [wanted["task"] for wanted in case["found"]]
    if "requests" in case:
        assert [request.path for request in server.requests] == case["requests"]


def case_by_id(folder: str, id: str, table: str = "case") -> dict:
    return next(case for case in load(folder)[table] if case["id"] == id)


def utc_window(pair) -> tuple[dt.datetime, dt.datetime]:
    """A case's ``window = [start, end]`` (TOML datetimes with an offset), as UTC."""
    start, end = pair
    for moment in pair:
        if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
            raise CasesError(f"a window bound is a date and time with an offset, not {moment!r}")
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
