"""`postmortem followups INCIDENT.toml`: follow-up tasks created over a local Conduit
(tests/services.py ConduitApp: the exact envelope, every call recorded, a failing
third maniphest.edit, a lost answer), kept in the cache, shown by render, refreshed by pull."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from postmortem.cli import main
from postmortem.core.errors import InputError
from postmortem.collect import cache
from postmortem.publishing.followup_tasks import followups, page_url, plan_followups
from postmortem.collect.pull import pull
from postmortem.incident.load import load_incident
from postmortem.read.report import parse_report
from postmortem.timeline.gather import gather
from postmortem.write.render import render_report
from tests.services import FakeServer, conduit_app, task_fields

TOKEN = "api-followupsfollowupsfollowups1"
USERS = {"PHID-USER-1": "akowalski", "PHID-USER-2": "tchin"}
PROJECTS = {
    "PHID-PROJ-sust": {"name": "Sustainability (Incident Followup)", "slug": "sustainability_(incident_followup)"},
    "PHID-PROJ-fire": {"name": "SRE-OnFIRE (Pending Review & Scorecard)",
                       "slug": "sre-onfire_(pending_review_&_scorecard)"},
    # a project whose name holds every word of the first: the search finds it, the tool must not take it
    "PHID-PROJ-decoy": {"name": "Sustainability (Incident Followup) Archive", "slug": "sustainability_archive"},
    "PHID-PROJ-sre": {"name": "SRE", "slug": "sre"},
}
ACTIONABLES = [
    {"task": "T347884", "text": "Stop retrying on badrevids"},
    {"text": "Figure out why copying partitions hurt", "no-task": "discussed at the review"},
    {"text": "Run two replicas", "done": True},
    {"text": "Alert on php-fpm worker saturation", "owner": "akowalski"},
    {"text": "Document the appserver rollback procedure"},
    {"text": "Lower php-fpm max_children safely on mw23xx", "owner": "tchin"},
    {"text": "Add a runbook link to the alert"},
]
TO_CREATE = [4, 5, 6, 7]


@pytest.fixture(autouse=True)
def phab_token(monkeypatch):
    monkeypatch.setenv("PM_PHAB_TOKEN", TOKEN)


def write_incident(tmp_path, url, actionables=ACTIONABLES, followups="") -> str:
    tables = "".join("\n[[actionable]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in a.items())
                     for a in actionables)
    path = tmp_path / "incident.toml"
    path.write_text(f'''[incident]
id = "2024-03-05 appserver latency"
start = "2024-03-05 09:10"
end = "2024-03-05 10:02"

[[source]]
type = "phabricator"
url = "{url}"
token_env = "PM_PHAB_TOKEN"
{followups}{tables}''', encoding="utf-8")
    return str(path)


def conduit(**writes):
    tasks = {347884: task_fields("Stop retrying on badrevids", "open", "PHID-USER-2",
                                 dateCreated=1696000000, dateModified=1709000000, dateClosed=None)}
    return conduit_app(tasks, USERS, token=TOKEN, projects=PROJECTS, **writes)


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def edits(app) -> list[dict]:
    return [form for method, form in app.calls if method == "maniphest.edit"]


def created_titles(app) -> list[str]:
    return [fields["name"] for n, fields in sorted(app.tasks.items()) if n != 347884]


def test_without_create_it_only_says_what_each_actionable_would_get(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        code, out, _ = run(capsys, "followups", path)
    assert code == 0 and app.calls == []
    lines = out.splitlines()
    assert lines[0] == "actionable 1: T347884 (given in incident.toml)"
    assert lines[1] == "actionable 2: no task (discussed at the review)"
    assert lines[2].startswith("actionable 3: done, without a task: none is created")
    link = "https://wikitech.wikimedia.org/wiki/Incidents/2024-03-05_appserver_latency"
    assert lines[3] == ("actionable 4: to create: 'Alert on php-fpm worker saturation' tagged Sustainability "
                        "(Incident Followup), SRE-OnFIRE (Pending Review & Scorecard), owner akowalski, linking " + link)
    assert len(lines) == 7


def test_a_done_actionable_says_done_whatever_its_reason_says(tmp_path, capsys):
    """Issue 21: "actionable 3: no task (a wiki edit, done during the incident)" for a
    `done = true` actionable left it to the reason's words to tell it was done."""
    done = [{"text": "Link the runbook from the alert", "no-task": "a wiki edit", "done": True},
            {"task": "T347884", "text": "Stop retrying on badrevids", "done": True},
            {"text": "Figure out why copying partitions hurt", "no-task": "discussed at the review"}]
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, done)
        code, out, _ = run(capsys, "followups", path)
        data = json.loads(run(capsys, "followups", path, "--format", "json")[1])
    assert code == 0 and app.calls == []
    assert out.splitlines() == ["actionable 1: done, no task (a wiki edit)",
                                "actionable 2: done, T347884 (given in incident.toml)",
                                "actionable 3: no task (discussed at the review)"]
    assert [(a["state"], a["done"]) for a in data["actionables"]] == [("no-task", True), ("task", True),
                                                                     ("no-task", False)]


def test_the_third_edit_fails_and_a_rerun_completes_without_duplicates(tmp_path, capsys):
    app = conduit(fail_edit={3})
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        before = open(path, "rb").read()
        code, out, err = run(capsys, "followups", path, "--create")
        assert code == 1
        # what was created, what was not, and what exists: said exactly
        assert "created 2 tasks: T359201 (actionable 4), T359202 (actionable 5)" in out
        assert ("actionable 6: NOT created (Conduit refused it; nothing was changed for it): "
                f"{server.url}/api/maniphest.edit: Conduit error ERR-CONDUIT-CORE: "
                "Database connection lost; try again.") in out
        assert "the tasks that exist: T347884, T359201, T359202" in out
        assert ("still to create: actionable 6 (failed), actionable 7 (not tried): run the command again to "
                "create them") in out
        assert '  actionable 4 (\'Alert on php-fpm worker saturation\'): task = "T359201"' in out
        assert created_titles(app) == ["Alert on php-fpm worker saturation", "Document the appserver rollback procedure"]
        saved = cache.EventCache(load_incident(path)).followups
        assert sorted(c.task for c in saved.values()) == ["T359201", "T359202"]
        assert open(path, "rb").read() == before    # incident.toml untouched

        code, out, _ = run(capsys, "followups", path, "--create")
        assert code == 0, out
        assert "created 2 tasks: T359203 (actionable 6), T359204 (actionable 7)" in out
        assert created_titles(app) == ["Alert on php-fpm worker saturation", "Document the appserver rollback procedure",
                                       "Lower php-fpm max_children safely on mw23xx", "Add a runbook link to the alert"]
        calls = len(app.calls)
        code, out, _ = run(capsys, "followups", path, "--create")
    assert code == 0 and len(app.calls) == calls     # nothing left to do: not a single call
    assert [line.split(" (")[0] for line in out.splitlines()[3:7]] == [
        "actionable 4: T359201", "actionable 5: T359202", "actionable 6: T359203", "actionable 7: T359204"]
    assert len(edits(app)) == 5 and open(path, "rb").read() == before


def test_what_each_maniphest_edit_carries(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        assert run(capsys, "followups", path, "--create")[0] == 0
    methods = [method for method, _ in app.calls]
    assert methods == ["project.search", "project.search", "user.search"] + ["maniphest.edit"] * 4
    assert app.calls[0][1] == {"constraints[query]": "Sustainability (Incident Followup)", "limit": "100"}
    assert app.calls[2][1] == {"constraints[usernames][0]": "akowalski", "constraints[usernames][1]": "tchin",
                               "limit": "100"}
    first = edits(app)[0]
    assert first["transactions[0][type]"] == "title"
    assert first["transactions[0][value]"] == "Alert on php-fpm worker saturation"
    assert first["transactions[1][type]"] == "description"
    link = "https://wikitech.wikimedia.org/wiki/Incidents/2024-03-05_appserver_latency"
    assert first["transactions[1][value]"].startswith(
        f"Follow-up of the incident [[ {link} | Incidents/2024-03-05 appserver latency ]] (actionable 4 of its report).")
    assert (first["transactions[2][type]"], first["transactions[2][value][0]"], first["transactions[2][value][1]"]) \
        == ("projects.add", "PHID-PROJ-sust", "PHID-PROJ-fire")
    assert (first["transactions[3][type]"], first["transactions[3][value]"]) == ("owner", "PHID-USER-1")
    assert "transactions[3][type]" not in edits(app)[1]      # no owner given: no owner transaction
    assert app.tasks[359201]["projectPHIDs"] == ["PHID-PROJ-sust", "PHID-PROJ-fire"]


def test_a_lost_answer_is_looked_for_before_creating_again(tmp_path):
    app = conduit(lose_edit={2})
    clock = lambda: dt.datetime.fromtimestamp(app.now, dt.timezone.utc)  # noqa: E731  (Phabricator's clock)
    with FakeServer(app) as server:
        incident = load_incident(write_incident(tmp_path, server.url))
        report = followups(incident, create=True, clock=clock)
        out = "\n".join(report.lines())
        assert not report.ok and report.failed.number == 5 and report.failed.state == "unconfirmed"
        assert "actionable 5: UNKNOWN whether created: the request got no usable answer" in out
        assert "HTTP 502" in out and "the tasks that exist: T347884, T359201" in out
        assert ("still to create: actionable 5 (failed), actionable 6 (not tried), actionable 7 (not tried): "
                "run the command again") in out
        saved = cache.EventCache(incident).followups
        assert sorted((c.text, c.task) for c in saved.values()) == [
            ("Alert on php-fpm worker saturation", "T359201"), ("Document the appserver rollback procedure", None)]
        report = followups(incident, create=True, clock=clock)
    out = "\n".join(report.lines())
    assert report.ok, out
    assert "found T359202 for actionable 5: the request that got no answer had created it" in out
    assert "created 2 tasks: T359203 (actionable 6), T359204 (actionable 7)" in out
    assert len(created_titles(app)) == len(set(created_titles(app))) == 4
    whoami = app.calls.index(("user.whoami", {}))
    assert app.calls[whoami + 1] == ("maniphest.search", {"constraints[authorPHIDs][0]": "PHID-USER-1",
                                                          "constraints[createdStart]": str(app.now - 600),
                                                          "limit": "100"})
    assert sorted(c.task for c in cache.EventCache(incident).followups.values()) == ["T359201", "T359202", "T359203",
                                                                               "T359204"]


def test_a_lost_answer_not_found_is_created_once(tmp_path):
    app = conduit(lose_edit={1})
    clock = lambda: dt.datetime.fromtimestamp(app.now, dt.timezone.utc)  # noqa: E731
    with FakeServer(app) as server:
        incident = load_incident(write_incident(tmp_path, server.url, ACTIONABLES[4:5]))
        assert not followups(incident, create=True, clock=clock).ok
        del app.tasks[359201]            # the proxy lost the request itself: nothing was created
        report = followups(incident, create=True, clock=clock)
    assert report.ok and [f.task for f in report.created] == ["T359202"] and report.found == []
    assert created_titles(app) == ["Document the appserver rollback procedure"]


@pytest.mark.parametrize("change, message", [
    ('[followups]\ntags = ["Sustainability (Incident Followups)"]\n',
     "Phabricator has no project for the follow-up tag 'Sustainability (Incident Followups)'"),
    ('[followups]\ntags = ["#nosuchslug"]\n', "Phabricator has no project for the follow-up tag '#nosuchslug'"),
    ("", "actionable 4: Phabricator has no user 'akowalsky' (its owner)"),
])
def test_a_tag_or_owner_phabricator_does_not_know_creates_nothing(tmp_path, capsys, change, message):
    actionables = [dict(a, owner="akowalsky") if a.get("owner") == "akowalski" else a for a in ACTIONABLES] \
        if not change else ACTIONABLES
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, actionables, followups=change)
        code, out, err = run(capsys, "followups", path, "--create")
    assert code == 2 and out == "" and message in err and "nothing was created" in err
    assert edits(app) == [] and not cache.cache_path(load_incident(path)).exists()


def test_tags_by_slug_and_none(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, ACTIONABLES[3:4], followups='[followups]\ntags = ["#sre"]\n')
        assert run(capsys, "followups", path, "--create")[0] == 0
        assert app.calls[0][1] == {"constraints[slugs][0]": "sre", "limit": "100"}
        assert app.tasks[359201]["projectPHIDs"] == ["PHID-PROJ-sre"]
        path = write_incident(tmp_path, server.url, ACTIONABLES[4:5], followups='[followups]\ntags = []\n')
        assert run(capsys, "followups", path, "--create")[0] == 0
    assert app.tasks[359202]["projectPHIDs"] == []


def test_dry_run_looks_up_and_creates_nothing(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        code, out, _ = run(capsys, "followups", path, "--create", "--dry-run")
    assert code == 0 and edits(app) == [] and not cache.cache_path(load_incident(path)).exists()
    line = next(line for line in out.splitlines() if line.startswith("actionable 4: "))
    assert line.startswith("actionable 4: would send maniphest.edit title = 'Alert on php-fpm worker saturation'; ")
    assert "projects.add = [PHID-PROJ-sust, PHID-PROJ-fire]; owner = 'PHID-USER-1'" in line


def test_render_shows_created_tasks_and_pull_their_state(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        assert run(capsys, "followups", path, "--create")[0] == 0
        app.tasks[359202]["status"] = {"value": "resolved", "name": "Resolved", "color": None}
        app.tasks[359202]["dateModified"] = app.now + 3600
        report = pull(load_incident(path))
        assert report.ok and report.results[0].tasks == 5    # the created tasks are pulled too
    records = gather(load_incident(path))
    assert [a.task for a in records.incident.actionables] == [
        "T347884", None, None, "T359201", "T359202", "T359203", "T359204"]
    text = render_report(gather(load_incident(path)))
    assert ("* [[phab:T359202|T359202]] – Document the appserver rollback procedure "
            "''(status: resolved, changed 2024-03-05 13:00 UTC)''") in text
    assert ("* [[phab:T359201|T359201]] – Alert on php-fpm worker saturation ''(owner: akowalski)'' "
            "''(status: open, changed 2024-03-05 12:00 UTC)''") in text
    markdown = render_report(gather(load_incident(path)), fmt="markdown")
    assert "Document the appserver rollback procedure *(status: resolved, changed 2024-03-05 13:00 UTC)*" in markdown
    items = parse_report(text).actionables
    assert [(a.tasks, a.status) for a in items if a.tasks] == [
        (("T347884",), "open"), (("T359201",), "open"), (("T359202",), "resolved"),
        (("T359203",), "open"), (("T359204",), "open")]
    assert items[4].text == "Document the appserver rollback procedure"
    assert cache.EventCache(load_incident(path)).followups  # the pull kept what followups made


def test_a_created_task_follows_its_actionable_not_its_place(tmp_path, capsys):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, ACTIONABLES[4:5])
        assert run(capsys, "followups", path, "--create")[0] == 0
        path = write_incident(tmp_path, server.url, [{"text": "A new first actionable"}] + ACTIONABLES[4:5])
    incident = load_incident(path)
    plan = plan_followups(incident, cache.EventCache(incident).followups)
    assert [(f.state, f.task) for f in plan] == [("to-create", None), ("created", "T359201")]


def test_page_url_is_encoded_as_mediawiki_does(tmp_path):
    path = write_incident(tmp_path, "https://phabricator.example.org", [],
                          followups='[followups]\npage_url = "https://wiki.example.org/w/index.php?title=$1"\n')
    incident = load_incident(path)
    assert page_url(incident, "Incidents/2024-03-05 a & b/c?") == \
        "https://wiki.example.org/w/index.php?title=Incidents/2024-03-05_a_%26_b/c%3F"


def test_create_needs_a_phabricator_source(tmp_path, capsys):
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "x"\nstart = "2024-03-05 09:10"\n[[actionable]]\ntext = "do it"\n')
    code, _, err = run(capsys, "followups", path, "--create")
    assert code == 2 and re.search(r'needs a \[\[source\]\] of type "phabricator"', err)
    path.write_text('[incident]\nid = "x"\nstart = "2024-03-05 09:10"\n')
    assert run(capsys, "followups", path, "--create") == (
        0, "no [[actionable]] in the incident: no follow-up task to create\n", "")


def test_two_actionables_of_the_same_text_get_a_task_each(tmp_path, capsys):
    app = conduit()
    twice = [{"text": "Check the backups"}, {"text": "Check  the backups"}]
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, twice, followups="[followups]\ntags = []\n")
        assert run(capsys, "followups", path, "--create")[0] == 0
        assert run(capsys, "followups", path, "--create")[0] == 0
    incident = load_incident(path)
    assert [(f.state, f.task) for f in plan_followups(incident, cache.EventCache(incident).followups)] == [
        ("created", "T359201"), ("created", "T359202")]
    assert len(edits(app)) == 2


def test_a_conduit_error_while_looking_up_creates_nothing(tmp_path, capsys, monkeypatch):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url)
        monkeypatch.setenv("PM_PHAB_TOKEN", "api-notthetokennotthetokennotthe1")
        code, out, err = run(capsys, "followups", path, "--create")
    assert (code, out) == (1, "") and edits(app) == []
    assert err == (f"postmortem: error: {server.url}/api/project.search: Conduit error ERR-INVALID-AUTH: API token "
                   "\"***\" has the wrong format; no task was created\n")


def test_a_task_created_but_not_kept_is_named_with_what_to_do(tmp_path, capsys, monkeypatch):
    app = conduit()
    with FakeServer(app) as server:
        path = write_incident(tmp_path, server.url, ACTIONABLES[3:6])
        calls = {"n": 0}
        real = cache.EventCache.save

        def full_disk_on_the_second(self):
            calls["n"] += 1
            if calls["n"] == 2:
                raise InputError("cannot write: No space left on device", file=self.path)
            return real(self)
        monkeypatch.setattr(cache.EventCache, "save", full_disk_on_the_second)
        code, out, _ = run(capsys, "followups", path, "--create")
    assert code == 1 and created_titles(app) == [a["text"] for a in ACTIONABLES[3:5]]
    assert ('T359202 was created for actionable 2 but could not be kept in the event cache '
            f'({tmp_path}/incident.events.json: cannot write: No space left on device): add task = "T359202" '
            'to that [[actionable]] before running the command again') in out
    assert "the tasks that exist: T359201, T359202" in out and "actionable 3 (not tried)" in out
