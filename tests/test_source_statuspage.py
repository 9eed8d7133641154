"""The `statuspage` source against a local server answering like Statuspage's
public API v2 (``GET /api/v2/incidents.json``, as wikimediastatus.net serves it)."""

from __future__ import annotations

import json
import re

import pytest

from postmortem.core.errors import SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.incident.load import load_incident
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.pull import pull
from postmortem.core.questions import QUESTION_IDS
from postmortem.scorecard.answers import computed_scorecard
from postmortem.collect.sources import get_source, needs_pull
from postmortem.timeline.gather import gather
from postmortem.core.model import Records
from tests.cases import case_by_id, cases, check_answered
from tests.conftest import write_incident
from tests.services import Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, transport_failures

WINDOW = Window(utc(2023, 9, 28, 13, 30), utc(2023, 9, 28, 18, 30))


def incident_json(n: int, created: str, *, name="Wikis slow or unavailable", updates=()):
    return {"id": f"inc{n}", "name": name, "status": "resolved", "impact": "major",
            "created_at": created, "updated_at": created, "monitoring_at": None,
            "resolved_at": "2023-09-28T16:02:00.000Z", "shortlink": f"https://stspg.io/x{n}",
            "started_at": created, "page_id": "page1",
            "incident_updates": [{"id": f"u{n}{i}", "status": status, "body": body, "incident_id": f"inc{n}",
                                  "created_at": at, "updated_at": at, "display_at": at,
                                  "affected_components": None, "deliver_notifications": True}
                                 for i, (status, body, at) in enumerate(updates)],
            "components": []}


# The answer of the case "incidents-and-updates-in-the-window" (tests/fixtures/statuspage/cases.toml).
ANSWER = json.loads(case_by_id("statuspage", "incidents-and-updates-in-the-window")["answers"][0]["body"])


def app(request):
    if request.path != "/api/v2/incidents.json":
        return Answer.html("<html><title>Not found</title></html>", 404)
    return Answer.json(ANSWER)


def config(url):
    return SourceConfig("statuspage", {"type": "statuspage", "url": url}, index=0)


def session(**options):
    return BoundedSession(**{"timeout": 2, "retries": 1, "deadline": 3, "backoff": 0.01, **options})


@pytest.mark.parametrize("case", cases("statuspage"))
def test_format_cases(case):
    check_answered(case, "statuspage", lambda url, window, tally: get_source("statuspage").read(
        config(url), window, session=session(), tally=tally))


def test_check_and_registry(tmp_path):
    assert needs_pull(config("https://www.wikimediastatus.net"))
    bad = write_incident(tmp_path, '[[source]]\ntype = "statuspage"\nurl = "ftp://x"\n')
    with pytest.raises(Exception, match="http"):
        load_incident(bad)
    unknown = write_incident(tmp_path, '[[source]]\ntype = "statuspage"\nurl = "https://x"\npage = 2\n',
                             name="u.toml")
    with pytest.raises(Exception, match="unknown option 'page'"):
        load_incident(unknown)


# What the source raises for each broken answer of incidents.json (tests/services.py Broken):
# the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 749 \(char 748\); 752 bytes\)"),
           status=200),
    html_instead_of_json(),
    broken("incidents-not-a-list", {"incidents": {"id": 1}}, SourceFormatError, 'expected {"incidents": [...]}'),
    broken("created-at-not-rfc3339", {"incidents": [{"id": "x", "name": "n", "created_at": "yesterday"}]},
           SourceFormatError, "not an RFC 3339 time: 'yesterday'"),
    broken("incident-without-id", {"incidents": [{"name": "no id"}]}, SourceFormatError,
           "not a Statuspage incident: \"{'name': 'no id'}\""),
    broken("updates-not-a-list", {"incidents": [{**incident_json(3, "2023-09-28T15:00:00Z"),
                                                 "incident_updates": {"id": "u"}}]},
           SourceFormatError, "incident_updates is not a list"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    assert_broken_answer(case, lambda url, s: get_source("statuspage").read(config(url), WINDOW, session=s), app,
                         path="/api/v2/incidents.json", source="source[0] (statuspage)")


def test_a_full_list_newer_than_the_window_says_it_cannot_tell():
    recent = {"incidents": [incident_json(n, f"2024-01-{1 + n % 28:02d}T00:00:00Z") for n in range(50)]}
    with FakeServer(lambda request: Answer.json(recent)) as server:
        with pytest.raises(SourceFormatError, match="only its 50 most recent incidents"):
            get_source("statuspage").read(config(server.url), WINDOW, session=session())


def test_pulled_then_offline_and_the_scorecard_answer(tmp_path):
    with FakeServer(app) as server:
        path = write_incident(tmp_path, f'[[source]]\ntype = "statuspage"\nurl = "{server.url}"\n')
        incident = load_incident(path)
        report = pull(incident)
    assert report.ok and report.results[0].events == 3
    events = list(gather(incident).events)  # the server is gone: from the cache
    assert sum(e.source == "statuspage" for e in events) == 3
    got = computed_scorecard(Records(incident, events)).answers[QUESTION_IDS.index("status-page-entry")]
    assert got.answer == "yes" and got.evidence == (
        "2023-09-28 14:40:12 UTC statuspage: Status page incident created: Wikis slow or unavailable "
        "(impact major) https://stspg.io/x2",)
    quiet = [e for e in events if e.source != "statuspage"]
    assert computed_scorecard(Records(incident, quiet)).answers[QUESTION_IDS.index("status-page-entry")].answer == "no"


def test_status_page_events_render_labelled_and_read_back(tmp_path):
    from postmortem.write.render import render_report
    from postmortem.read.report import parse_report
    with FakeServer(app) as server:
        path = write_incident(tmp_path, f'[[source]]\ntype = "statuspage"\nurl = "{server.url}"\n')
        incident = load_incident(path)
        assert pull(incident).ok
    report = render_report(gather(incident))
    assert "([https://stspg.io/x2 status page]) Status page incident created" in report
    assert "&lt;b&gt;errors&lt;/b&gt;" in report or "<nowiki>" in report  # chat-like text stays inert
    entries = parse_report(report).timeline
    assert [e.label for e in entries] == ["status page"] * 3
    assert entries[0].text == "Status page incident created: Wikis slow or unavailable (impact major)"
