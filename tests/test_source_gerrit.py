"""The `gerrit` source against a local server answering like Gerrit's REST API
(tests/services.py ``gerrit_app``), and the answers of tests/fixtures/gerrit/
served byte for byte; then the lead-up it gives a report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from postmortem.net.http import BoundedSession
from postmortem.collect.pull import pull
from postmortem.collect.sources import describe, get_source, needs_pull
from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceError, SourceFormatError
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from postmortem.write.render import render_report
from tests.cases import cases, check_answered
from tests.conftest import write_incident
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, gerrit_app, gerrit_change, html_instead_of_json,
    transport_failures)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gerrit"
SOURCE = get_source("gerrit")
WINDOW = Window(utc(2024, 3, 5, 6, 0), utc(2024, 3, 5, 12, 0))


def config(url, **options):
    return SourceConfig("gerrit", {"type": "gerrit", "url": url, **options}, index=2)


def session(**options):
    return BoundedSession(**{"timeout": 2, "retries": 1, "deadline": 3, "backoff": 0.01, **options})


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def pages_app(request):
    """The fixture pages, as Gerrit answered ``n=2``: S=0, then S=2."""
    name = {"0": "changes-merged-detailed-page1.txt", "2": "changes-merged-detailed-page2.txt"}
    return Answer(200, fixture(name[request.query.get("S", ["0"])[0]]),
                  {"Content-Type": "application/json; charset=UTF-8"})


def test_the_exact_answers_prefix_stripped_and_pages_followed(monkeypatch):
    monkeypatch.setattr("postmortem.collect.sources.gerrit.PAGE_SIZE", 2)
    with FakeServer(pages_app) as server:
        tally = Tally()
        events = SOURCE.read(config(server.url + "/r"), WINDOW, session=session(), tally=tally)
    assert [(e.time, e.actor, e.text) for e in events] == [
        (utc(2024, 3, 5, 6, 50, 3), "akowalski",
         "operations/puppet: appserver: lower php-fpm max_children on mw23xx (merged by jdoe)"),
        (utc(2024, 3, 5, 7, 13, 58), "jdoe", 'mediawiki/core: Revert "ParserCache: use new serialization format"'),
        (utc(2024, 3, 5, 7, 31, 30), "akowalski", "operations/mediawiki-config: Disable $wgParserCacheUseJson on group1")]
    assert events[0].url == f"{server.url}/r/c/operations/puppet/+/1008811"
    assert dict(events[0].fields) == {"project": "operations/puppet", "branch": "production", "number": "1008811",
                                      "change_id": "I3f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098"}
    assert events[0].source == "gerrit" and events[0].precision == "second" and tally.read == 3
    first, second = server.requests
    assert (first.query["S"], second.query["S"]) == (["0"], ["2"])   # the second page, after _more_changes
    assert first.query["o"] == ["DETAILED_ACCOUNTS"] and first.query["n"] == ["2"]
    # the query as the server decoded it: Gerrit's operators, quoted UTC times, before = end + 7 days
    assert first.query["q"] == ['status:merged after:"2024-03-05 06:00:00" before:"2024-03-12 12:00:00"']


@pytest.mark.parametrize("case", cases("gerrit"))
def test_format_cases(case):
    check_answered(case, "gerrit", lambda url, window, tally: SOURCE.read(
        config(url + "/r", **case.get("options", {})), window, session=session(), tally=tally))


def test_after_and_before_are_on_the_last_update_so_the_merge_time_decides():
    changes = [
        gerrit_change(1, "operations/puppet", "merged in the window, commented on later", "2024-03-05 07:00:00",
                      updated="2024-03-08 09:00:00", owner="ana", submitter="jon"),
        gerrit_change(2, "operations/puppet", "merged before the window, updated in it", "2024-03-04 23:00:00",
                      updated="2024-03-05 06:30:00"),
        gerrit_change(3, "mediawiki/core", "merged in the window", "2024-03-05 11:59:59"),
        gerrit_change(4, "mediawiki/core", "merged after the window", "2024-03-05 12:00:00"),
        gerrit_change(5, "operations/puppet", "merged in the window, touched again two weeks later",
                      "2024-03-05 08:00:00", updated="2024-03-19 08:00:00"),
    ]
    with FakeServer(gerrit_app(changes)) as server:
        tally = Tally()
        events = SOURCE.read(config(server.url + "/r"), WINDOW, session=session(), tally=tally)
    assert [e.fields["number"] for e in events] == ["1", "3"]
    assert events[0].text == "operations/puppet: merged in the window, commented on later (merged by jon)"
    assert tally.read == 4 and [s.reason for s in tally.dropped] == [
        "change 4 merged at 2024-03-05 12:00 UTC, outside the window (updated in it)",
        "change 2 merged at 2024-03-04 23:00 UTC, outside the window (updated in it)"]
    # change 5 was updated after the 7 days `updated_within` allows: a wider setting finds it
    with FakeServer(gerrit_app(changes)) as server:
        wider = SOURCE.read(config(server.url + "/r", updated_within="30d"), WINDOW, session=session())
    assert [e.fields["number"] for e in wider] == ["1", "5", "3"]


def test_pages_of_the_servers_size_each_change_once(monkeypatch):
    changes = [gerrit_change(n, "operations/puppet", f"change {n}", f"2024-03-05 {6 + n // 60:02d}:{n % 60:02d}:00")
               for n in range(1, 251)]
    with FakeServer(gerrit_app(changes, page_limit=100)) as server:
        events = SOURCE.read(config(server.url + "/r"), WINDOW, session=session())
    assert len(events) == 250 and len({e.fields["number"] for e in events}) == 250
    assert [r.query["S"][0] for r in server.requests] == ["0", "100", "200"]


def test_query_option_and_what_the_source_is(tmp_path):
    with FakeServer(gerrit_app([])) as server:
        SOURCE.read(config(server.url + "/r", query="project:operations/puppet"), WINDOW, session=session())
    assert server.requests[0].query["q"][0].startswith("status:merged project:operations/puppet after:")
    described = describe("gerrit")
    assert (described.label, described.family, described.talking, described.network) == ("Gerrit", "change",
                                                                                           False, True)
    assert needs_pull(config("https://gerrit.wikimedia.org/r"))
    with pytest.raises(IncidentFileError, match="status, after and before are the source's own"):
        SOURCE.check(config("https://gerrit.wikimedia.org/r", query="after:2024-01-01"))
    with pytest.raises(IncidentFileError, match="updated_within"):
        SOURCE.check(config("https://gerrit.wikimedia.org/r", updated_within="soon"))
    bad = write_incident(tmp_path, '[[source]]\ntype = "gerrit"\nproject = "x"\n')
    with pytest.raises(IncidentFileError, match="unknown option 'project'") as caught:
        load_incident(bad)
    assert caught.value.line == 7


def good_app(request):
    return gerrit_app([gerrit_change(1, "operations/puppet", "x", "2024-03-05 07:00:00")])(request)


# What the source raises for each broken answer of /changes/ (tests/services.py Broken):
# the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("bad-query-400", Answer(400, fixture("error-400-bad-query.txt"), {"Content-Type": "text/plain"}),
           SourceError, "HTTP 400 Bad Request: Invalid query: line 1:27 mismatched input 'before' expecting <EOF>",
           status=400),
    html_instead_of_json(),
    broken("no-xssi-line", Answer(200, '[{"_number": 1}]', {"Content-Type": "application/json"}),
           SourceFormatError, "not a Gerrit REST answer: it does not start with the line )]}' (b'[{\"_number\": 1}]')"),
    broken("truncated-json", Answer(200, ")]}'\n[{\"_number\": 1, \"proj", {"Content-Type": "application/json"}),
           SourceFormatError,
           re.compile(r"answer is not valid JSON after \)\]\}' \(.+; 26 bytes\)")),
    broken("not-a-list", Answer(200, ")]}'\n{\"changes\": []}", {"Content-Type": "application/json"}),
           SourceFormatError, "expected a JSON list of changes"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    assert_broken_answer(case, lambda url, s: SOURCE.read(config(url + "/r"), WINDOW, session=s), good_app,
                         path="/r/changes/", source="source[2] (gerrit)")


def test_a_server_that_always_says_more_is_stopped_on_the_page_that_brings_nothing_new():
    answer = Answer(200, fixture("changes-merged-detailed-page1.txt"), {"Content-Type": "application/json"})
    with FakeServer(lambda request: answer) as server:
        with pytest.raises(SourceFormatError) as caught:
            SOURCE.read(config(server.url + "/r"), WINDOW, session=session())
    assert caught.value.message == ("the answer to S=2 says there is more but brought nothing new: stopped, "
                                    "asking again would not end")
    assert len(server.requests) == 2


def test_changes_that_are_no_merged_changes_are_skipped_said_why():
    odd = [{"_number": 7, "project": "p", "subject": "s", "status": "NEW", "updated": "2024-03-05 07:00:00.0"},
           {"subject": "no project"}]
    answer = Answer(200, ")]}'\n" + json.dumps(odd), {"Content-Type": "application/json"})
    with FakeServer(lambda request: answer) as server:
        tally = Tally()
        assert SOURCE.read(config(server.url + "/r"), WINDOW, session=session(), tally=tally) == []
    assert [s.reason for s in tally.skipped] == [
        "change 7 is 'NEW' with submitted None: no merge time",
        "not a change (no project, subject or _number): \"{'subject': 'no project'}\""]


# -- the lead-up -------------------------------------------------------------------------

SAL = """== 2024-03-05 ==
* 09:58 jdoe: restart php-fpm on mw2301
* 07:31 logmsgbot: akowalski@deploy2002 Synchronized wmf-config/InitialiseSettings.php: Disable ParserCacheUseJson on group1 (duration: 00m 41s)
* 07:10 logmsgbot: jdoe@deploy2002 Finished scap: Backport for [[gerrit:1008830|Revert "ParserCache: use new serialization format"]] (duration: 08m 12s)
* 07:02 jdoe@deploy2002: helmfile [codfw] START helmfile.d/services/mw-web: apply
* 06:40 ana: depool mw2301 for maintenance
"""


def test_the_lead_up_shows_the_changes_and_the_deploy_before_the_start(tmp_path):
    """A Gerrit stand-in in its exact format and a SAL page with a scap deploy
    three hours before the start: the report's Timeline begins with both, under
    Lead-up, each with its link; what was not a deploy is counted, not shown."""
    changes = [gerrit_change(1008811, "operations/puppet", "appserver: lower php-fpm max_children on mw23xx",
                             "2024-03-05 06:50:03", updated="2024-03-05 06:52:40", owner="akowalski"),
               gerrit_change(1008830, "mediawiki/core", 'Revert "ParserCache: use new serialization format"',
                             "2024-03-05 07:13:58", owner="jdoe"),
               gerrit_change(1000001, "operations/puppet", "last week's change", "2024-02-27 10:00:00",
                             updated="2024-03-05 08:00:00")]
    (tmp_path / "sal.wiki").write_text(SAL, encoding="utf-8")
    with FakeServer(gerrit_app(changes, page_limit=1)) as server:
        path = write_incident(tmp_path, (
            '[incident]\nid = "2024-03-05 appserver latency"\nstart = "2024-03-05 10:10"\n'
            'end = "2024-03-05 11:00"\nlead = "24h"\n'
            f'[[source]]\ntype = "gerrit"\nurl = "{server.url}/r"\n'
            '[[source]]\ntype = "sal-wikitext"\npath = "sal.wiki"\n'
            '[[event]]\ntime = "2024-03-05 10:10"\ntext = "p75 latency alert fires"\ntags = ["outage-begins"]\n'))
        incident = load_incident(path)
        assert pull(incident).ok
    assert len(server.requests) == 3   # a change a page: S=0, 1, 2
    report = render_report(gather(incident))
    timeline = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    lead_up = timeline.split("=== Lead-up ===\n", 1)[1].split("=== Incident ===", 1)[0]
    assert lead_up.splitlines() == [   # to the minute; what is left out counted on the line before it
        "*''(1 more SAL entry, 06:40)''",
        f"*06:50 ([{server.url}/r/c/operations/puppet/+/1008811 Gerrit]) akowalski: "
        "operations/puppet: appserver: lower php-fpm max_children on mw23xx ''(+1 SAL entry)''",
        "*07:10 (SAL) jdoe: Finished scap: Backport for [[gerrit:1008830"   # the change, linked as on Wikitech
        "|Revert \"ParserCache: use new serialization format\"]] (duration: 08m 12s)",
        f"*07:13 ([{server.url}/r/c/mediawiki/core/+/1008830 Gerrit]) jdoe: "
        "mediawiki/core: Revert \"ParserCache: use new serialization format\"",
        "*07:31 (SAL) akowalski: Synchronized "
        "wmf-config/InitialiseSettings.php: Disable ParserCacheUseJson on group1 (duration: 00m 41s) ''(+1 SAL entry)''",
        ""]
    assert "START helmfile" not in report  # the START of a helmfile apply is no deploy (its DONE is)
    assert "\n=== Incident ===\n*10:10 p75 latency alert fires — '''OUTAGE BEGINS'''\n" in report
