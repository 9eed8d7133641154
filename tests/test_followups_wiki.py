"""Follow-ups on the real test MediaWiki (tests/mediawiki.py) with a local Conduit
(tests/services.py): created tasks and their state reach the page through `update`'s
three-way merge, keeping a hand edit; `followups --wiki` lists the open follow-ups
of every report under a prefix, oldest first, asking Conduit 100 tasks at a time."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from postmortem.database.wiki_followups import open_followups
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)
from tests.services import FakeServer, conduit_app, task_fields

TOKEN = "api-wikifollowupswikifollowups12"
USERS = {"PHID-USER-1": "akowalski", "PHID-USER-2": "tchin"}
PROJECTS = {"PHID-PROJ-sust": {"name": "Sustainability (Incident Followup)", "slug": "sustainability"},
            "PHID-PROJ-fire": {"name": "SRE-OnFIRE (Pending Review & Scorecard)", "slug": "sre-onfire"}}
DAY = 86400
NOW = 1709640000  # 2024-03-05 12:00 UTC: the local Conduit's clock
NOW_UTC = dt.datetime.fromtimestamp(NOW, dt.timezone.utc)


@pytest.fixture(autouse=True)
def phab_token(monkeypatch):
    monkeypatch.setenv("PM_PHAB_TOKEN", TOKEN)


def incident(tmp_path, url):
    path = tmp_path / "incident.toml"
    path.write_text(f'''[incident]
id = "2024-03-05 followups on the wiki"
start = "2024-03-05 09:10"
end = "2024-03-05 10:02"
summary = "The appservers were slow."

[[source]]
type = "phabricator"
url = "{url}"
token_env = "PM_PHAB_TOKEN"

[[actionable]]
text = "Alert on php-fpm worker saturation"
owner = "akowalski"

[[actionable]]
text = "Document the appserver rollback procedure"
''', encoding="utf-8")
    return path


def test_created_tasks_and_their_state_reach_the_page_through_update(cli, bot_env, tmp_path):
    app = conduit_app({}, USERS, token=TOKEN, projects=PROJECTS, now=NOW)
    title = "Incidents/Followups through update"
    with FakeServer(app) as phab:
        path = incident(tmp_path, phab.url)
        assert cli("pull", path)[0] == 0
        assert cli("publish", path, "--wiki", bot_env.api_url, "--page", title)[0] == 0
        assert "Document the appserver rollback procedure\n" in bot_env.text(title)
        bot_env.human_edit(title, lambda t: t.replace("The appservers were slow.",
                                                      "The appservers were slow. HAND: php-fpm ran out of workers."))
        code, out, err = cli("followups", path, "--create", "--page", title)
        assert code == 0, out + err
        assert app.tasks[359201]["description"]["raw"].startswith(
            "Follow-up of the incident [[ https://wikitech.wikimedia.org/wiki/Incidents/Followups_through_update "
            "| Incidents/Followups through update ]]")
        app.tasks[359202].update(status={"value": "resolved", "name": "Resolved", "color": None},
                                 dateModified=NOW + 2 * 3600, ownerPHID="PHID-USER-2")
        assert cli("pull", path)[0] == 0
        code, out, err = cli("update", path, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0, err
    page = bot_env.text(title)
    assert ("* [[phab:T359201|T359201]] – Alert on php-fpm worker saturation ''(owner: akowalski)'' "
            "''(status: open, changed 2024-03-05 12:00 UTC)''") in page
    assert ("* [[phab:T359202|T359202]] – Document the appserver rollback procedure ''(owner: tchin)'' "
            "''(status: resolved, changed 2024-03-05 14:00 UTC)''") in page
    assert "HAND: php-fpm ran out of workers." in page


REPORTS = {
    "FollowupsTest/2023-01-10 db outage": "* {{PhabT|400001}} Add a replica\n* [[phab:T400002|T400002]] – Page the DBA\n",
    "FollowupsTest/2023-06-01 cache": "* T400003 Tune the cache\n* Review the page again (T400001)\n",
    "FollowupsTest/2024-02-20 dns": "* https://phabricator.wikimedia.org/T400004 Automate the DNS switch\n"
                                    "* {{Phabricator|499999}} A task Phabricator does not know\n"
                                    "* Something with no task at all\n",
}
TASKS = {  # created long ago and open, closed, open but recent, open and old
    400001: task_fields("Add a replica", "open", "PHID-USER-1", dateCreated=NOW - 400 * DAY,
                        dateModified=NOW - 3 * DAY, dateClosed=None),
    400002: task_fields("Page the DBA", "resolved", None, dateCreated=NOW - 390 * DAY, dateModified=NOW - 300 * DAY,
                        dateClosed=NOW - 300 * DAY),
    400003: task_fields("Tune the cache", "stalled", None, dateCreated=NOW - 200 * DAY, dateModified=NOW - 100 * DAY,
                        dateClosed=None),
    400004: task_fields("Automate the DNS switch", "open", "PHID-USER-2", dateCreated=NOW - 10 * DAY,
                        dateModified=NOW - 1 * DAY, dateClosed=None),
}


def publish_reports(bot):  # noqa: F811
    for title, actionables in REPORTS.items():
        bot.edit(title, f"{{{{irdoc|status=final}}}}\n== Summary ==\nSomething broke.\n\n== Actionables ==\n"
                        f"{actionables}", "test report")


def conduit_at(url):
    from postmortem.net.conduit import conduit_at as make
    return make(url, "PM_PHAB_TOKEN")


def test_open_followups_across_the_wiki_oldest_first(bot_env, bot):
    publish_reports(bot)
    app = conduit_app(dict(TASKS), USERS, token=TOKEN)
    with FakeServer(app) as phab:
        found = open_followups(bot_env.api_url, "FollowupsTest/", conduit_at(phab.url),
                               older_than=dt.timedelta(days=90), now=NOW_UTC)
    assert found.lines() == [
        "T400001  open  created 2023-01-30 (400 days ago)  owner akowalski  Add a replica",
        "  from FollowupsTest/2023-01-10 db outage, FollowupsTest/2023-06-01 cache",
        "T400003  stalled  created 2023-08-18 (200 days ago)  no owner  Tune the cache",
        "  from FollowupsTest/2023-06-01 cache",
        "2 open follow-up tasks created more than 90 days ago, of 5 tasks in the actionables of 3 reports "
        "(1 closed; 1 newer; 1 unknown to Phabricator: T499999)",
    ]
    searches = [form for method, form in app.calls if method == "maniphest.search"]
    assert len(searches) == 1 and [v for k, v in searches[0].items() if k.startswith("constraints[ids]")] == [
        "400001", "400002", "400003", "400004", "499999"]


def test_an_open_task_of_an_actionable_marked_done_says_done(bot_env, bot):
    """Issue 21: the line of a done actionable states it (here {{Done}}, as in
    sessionstore.wiki, with its task still open in Phabricator)."""
    bot.edit("FollowupsDone/2023-01-10 db outage", "== Actionables ==\n* {{PhabT|400001}} Add a replica {{Done}}\n"
                                                  "* T400003 Tune the cache\n", "test report")
    bot.edit("FollowupsDone/2023-06-01 cache", "== Actionables ==\n* Review the page again (T400001)\n", "test report")
    with FakeServer(conduit_app(dict(TASKS), USERS, token=TOKEN)) as phab:
        found = open_followups(bot_env.api_url, "FollowupsDone/", conduit_at(phab.url), now=NOW_UTC)
    assert found.lines()[:4] == [
        "T400001  open  created 2023-01-30 (400 days ago)  owner akowalski  Add a replica",
        "  from FollowupsDone/2023-01-10 db outage (marked done there), FollowupsDone/2023-06-01 cache",
        "T400003  stalled  created 2023-08-18 (200 days ago)  no owner  Tune the cache",
        "  from FollowupsDone/2023-01-10 db outage"]
    assert [f["done_in"] for f in found.to_json()["open"]] == [["FollowupsDone/2023-01-10 db outage"], []]


def test_open_followups_in_batches_of_100(bot_env, bot):
    titles = [f"FollowupsBatch/2023-05-0{n + 1} incident {n}" for n in range(3)]
    tasks = {500000 + n: task_fields(f"Task {n}", "open", None, dateCreated=NOW - (300 - n) * DAY, dateClosed=None)
             for n in range(230)}
    for number, title in enumerate(titles):
        lines = "".join(f"* T{500000 + n} Task {n}\n" for n in range(230) if n % 3 == number)
        bot.edit(title, f"== Actionables ==\n{lines}", "test report")
    app = conduit_app(tasks, USERS, token=TOKEN)
    with FakeServer(app) as phab:
        data = open_followups(bot_env.api_url, "FollowupsBatch/", conduit_at(phab.url), now=NOW_UTC).to_json()
    assert [f["task"] for f in data["open"]] == [f"T{500000 + n}" for n in range(230)]   # oldest first
    assert data["open"][0]["age_days"] == 300 and data["open"][0]["reports"] == [titles[0]]
    assert data["totals"] == {"reports": 3, "tasks": 230, "open": 230, "closed": 0, "newer": 0, "unknown": [],
                              "unreadable": []}
    assert [m for m, _ in app.calls] == ["maniphest.search"] * 3   # 100 + 100 + 30; nobody owns them


def test_the_cli_form_across_the_wiki(cli, bot_env, bot):
    publish_reports(bot)
    with FakeServer(conduit_app(dict(TASKS), USERS, token=TOKEN)) as phab:
        code, out, err = cli("open-followups", "--wiki", bot_env.api_url, "--prefix", "FollowupsTest/", "--format",
                             "json", "--phabricator", phab.url, "--token-env", "PM_PHAB_TOKEN", "--older-than", "1d")
        assert code == 0, err
        assert [f["task"] for f in json.loads(out)["open"]] == ["T400001", "T400003", "T400004"]
        # the spelling before open-followups was a command: the same answer, and a warning
        old = cli("followups", "--wiki", bot_env.api_url, "--prefix", "FollowupsTest/", "--format", "json",
                  "--phabricator", phab.url, "--token-env", "PM_PHAB_TOKEN", "--older-than", "1d")
    assert old[:2] == (0, out) and "`followups --wiki` is deprecated: use `postmortem open-followups`" in old[2]
    code, _, err = cli("open-followups", "--wiki", bot_env.api_url, "--older-than", "soon", "--token-env",
                       "PM_PHAB_TOKEN")
    assert code == 2 and "expected a duration like '6h', '90m' or '1d', got 'soon'" in err
    code, _, err = cli("open-followups", "--wiki", bot_env.api_url)
    assert code == 2 and "open-followups needs --token-env ENV" in err
