"""The `phabricator` source against a local server speaking Conduit."""

from __future__ import annotations

import re

import pytest

from postmortem.core.errors import SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import Actionable, SourceConfig
from postmortem.collect.sources.phabricator import SOURCE, enrich_actionables, fetch_tasks
from postmortem.core.model import TaskInfo
from tests.cases import broken_cases, cases, check_tasks
from tests.services import (
    FakeServer, assert_broken_answer, broken, conduit_app, html_instead_of_json, task_fields,
    transport_failures)

TOKEN = "api-abcdefghijklmnopqrstuvwxyz12"
TASKS = {n: task_fields(f"Task {n}", "resolved" if n % 2 else "open",
                        f"PHID-USER-{n % 3}" if n % 5 else None) for n in range(347800, 348050)}
USERS = {"PHID-USER-0": "tchin", "PHID-USER-1": "joal", "PHID-USER-2": "brennen"}


@pytest.fixture(autouse=True)
def phab_token(monkeypatch):
    monkeypatch.setenv("PM_PHAB_TOKEN", TOKEN)


def config(url):
    return SourceConfig("phabricator", {"type": "phabricator", "url": url, "token_env": "PM_PHAB_TOKEN"},
                        index=4)


def session(**options):
    return BoundedSession(**{"timeout": 2, "retries": 2, "deadline": 5, "backoff": 0.01, **options})


@pytest.mark.parametrize("case", cases("phabricator"))
def test_format_cases(case):
    check_tasks(case, "phabricator", lambda url, wanted: fetch_tasks(config(url), wanted, session()))


def test_tasks_and_owners_in_batches():
    wanted = [f"T{n}" for n in range(347800, 348050)] + ["T1"]  # T1: unknown, left out
    with FakeServer(conduit_app(TASKS, USERS, token=TOKEN)) as server:
        s = session()
        tasks = fetch_tasks(config(server.url), wanted, s)
    assert len(tasks) == 250
    assert tasks["T347801"] == TaskInfo("Task 347801", "resolved", "brennen")  # 347801 % 3 == 2
    assert tasks["T347805"] == TaskInfo("Task 347805", "resolved", None)
    paths = [r.path for r in server.requests]
    assert paths == ["/api/maniphest.search"] * 3 + ["/api/user.search"] == paths[:s.requests_made]
    assert all(r.method == "POST" and r.form["api.token"] == [TOKEN] for r in server.requests)
    assert not any(TOKEN in (r.path + str(r.query)) for r in server.requests)


def test_pages_within_a_batch_follow_the_cursor():
    with FakeServer(conduit_app(TASKS, USERS, token=TOKEN, page_size=40)) as server:
        tasks = fetch_tasks(config(server.url), [f"T{n}" for n in range(347800, 347900)], session())
    assert len(tasks) == 100
    assert [r.form.get("after") for r in server.requests if "maniphest" in r.path] == [None, ["40"], ["80"]]


def test_enrich_actionables_keeps_a_given_owner():
    tasks = {"T1": TaskInfo("One", "open", "joal"), "T2": TaskInfo("Two", "resolved", "tchin")}
    items = enrich_actionables([Actionable("a", "T1"), Actionable("b", "T2", owner="me"), Actionable("c")], tasks)
    assert [(a.status, a.owner) for a in items] == [("open", "joal"), ("resolved", "me"), (None, None)]


def test_conduit_error_envelope_is_clear_and_redacted():
    with FakeServer(conduit_app(TASKS, USERS, token="other")) as server:
        with pytest.raises(SourceError) as caught:
            fetch_tasks(config(server.url), ["T347800"], session())
    err = caught.value
    assert "Conduit error ERR-INVALID-AUTH" in str(err) and TOKEN not in str(err)
    assert err.url == server.url + "/api/maniphest.search" and err.source == "source[4] (phabricator)"


# Each broken answer of maniphest.search and the one error it ends in: Conduit's own
# shapes in tests/fixtures/phabricator/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 207 \(char 206\); 206 bytes\)"),
           status=200),
    html_instead_of_json(),
    *broken_cases("phabricator"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    good = conduit_app(TASKS, USERS, token=TOKEN)
    assert_broken_answer(case, lambda url, s: fetch_tasks(config(url), ["T347800"], s), good,
                         path="/api/maniphest.search", source="source[4] (phabricator)")


def test_read_gives_no_events():
    assert SOURCE.read(config("https://phabricator.wikimedia.org"), None) == []
