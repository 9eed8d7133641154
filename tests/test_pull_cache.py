"""The event cache is keyed by what a source is (its type and options), never by
its place among the [[source]]s, and never loses good records: a failed pull
keeps the last good pull's records, and every command says whose they are.

A SAL tool and PagerDuty's REST API v2 answer from local servers
(tests/services.py; PagerDuty's answers from tests/fixtures/paging/pagerduty),
beside a SAL page saved as wikitext (a file source); pull times come from an
injected clock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from postmortem.cli import main
from postmortem.collect import cache
from postmortem.collect.pull import pull
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from tests.clock import fast_session
from tests.services import FakeServer, broken_app, pagerduty_app, sal_app, sal_entries

FIXTURES = Path(__file__).parent / "fixtures" / "paging" / "pagerduty"
PD_TOKEN = "u+NEVER-PRINT-ME-pd-token"
START = dt.datetime(2024, 3, 5, 6, 45, tzinfo=dt.timezone.utc)
SAL = sal_entries(START - dt.timedelta(hours=2), 30, dt.timedelta(minutes=10))
FIRST_PULL = dt.datetime(2026, 12, 4, 20, 31, 7, tzinfo=dt.timezone.utc)
LATER = dt.datetime(2026, 12, 5, 9, 2, tzinfo=dt.timezone.utc)

SAL_PAGE = """== 2024-03-05 ==
* 07:20 ana: depool checkout-api in eqiad
* 06:50 jon: restart checkout-api pods
"""
FILE_SOURCE = '''
[[source]]
type = "sal-wikitext"
path = "sal.wiki"
'''


def fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def pagerduty():
    incidents = [*fixture("incidents-list-page1.json")["incidents"],
                 *fixture("incidents-list-last-page.json")["incidents"]]
    timeline = fixture("log_entries-full-timeline.json")["log_entries"]
    user = fixture("users-get.json")["user"]
    entries = {incidents[0]["id"]: timeline, **{i["id"]: [] for i in incidents[1:]}}
    return pagerduty_app(incidents, entries, {user["id"]: user}, token=PD_TOKEN)


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("PM_PD_TOKEN", PD_TOKEN)


@pytest.fixture
def servers():
    with FakeServer(sal_app(SAL)) as sal, FakeServer(pagerduty()) as pd:
        yield sal, pd


def write_incident(tmp_path, sal, pd, *, file_source=True, project="production"):
    (tmp_path / "sal.wiki").write_text(SAL_PAGE, encoding="utf-8")
    path = tmp_path / "incident.toml"
    path.write_text(f'''
[incident]
id = "2024-03-05 checkout-api"
start = "2024-03-05 06:45"
end = "2024-03-05 07:45"
{FILE_SOURCE if file_source else ""}
[[source]]
type = "sal"
url = "{sal.url}"
project = "{project}"

[[source]]
type = "pagerduty"
url = "{pd.url}"
token_env = "PM_PD_TOKEN"
''', encoding="utf-8")
    return path


def pulled(path, at=FIRST_PULL, **options):
    return pull(load_incident(path), clock=lambda: at, session_factory=fast_session, **options)


def by_source(events):
    return sorted((e.source, e.time, e.text) for e in events if e.source in ("sal", "pagerduty"))


def test_removing_a_source_leaves_the_others_cache_valid(tmp_path, servers, capsys):
    path = write_incident(tmp_path, *servers)
    assert pulled(path).ok
    before = by_source(list(gather(load_incident(path)).events))
    assert {s for s, _, _ in before} == {"sal", "pagerduty"}
    requests = [len(s.requests) for s in servers]
    path.write_text(path.read_text(encoding="utf-8").replace(FILE_SOURCE, "", 1), encoding="utf-8")
    assert main(["render", str(path)]) == 0
    report, err = capsys.readouterr()
    assert "pull" not in err and "Records of an earlier pull" not in report
    assert by_source(list(gather(load_incident(path)).events)) == before
    report = pulled(path, at=LATER)
    assert [r.status for r in report.results] == ["cached", "cached"]
    assert [len(s.requests) for s in servers] == requests


def test_a_failed_repull_keeps_the_last_good_records_and_says_whose(tmp_path, servers, capsys):
    sal, pd = servers
    path = write_incident(tmp_path, sal, pd)
    assert pulled(path).ok
    incident = load_incident(path)
    before = cache.EventCache(incident).sources
    pd_key = cache.source_keys(incident.sources)[2]
    good = by_source(list(gather(incident).events))
    pd.app = broken_app("500")

    report = pulled(path, at=LATER, refresh=True)
    assert [r.status for r in report.results] == ["fetched", "failed"]
    line = report.failed[0].line()
    kept = len(before[pd_key].events)
    assert line.startswith("source[2] (pagerduty): FAILED after ") and "HTTP 500" in line
    assert line.endswith(f"; kept the {kept} events of the pull of 2026-12-04 20:31 UTC")
    assert cache.EventCache(incident).sources[pd_key] == before[pd_key]
    failure = cache.EventCache(incident).failed[pd_key]
    assert failure.at == "2026-12-05T09:02:00Z" and "HTTP 500" in failure.error

    assert main(["render", str(path)]) == 0
    text, err = capsys.readouterr()
    warnings = [w for w in err.splitlines() if "source[2] (pagerduty)" in w]
    assert len(warnings) == 1
    assert warnings[0].startswith("postmortem: warning: source[2] (pagerduty): the last pull failed (")
    assert warnings[0].endswith("HTTP 500 Internal Server Error: Internal Server Error); "
                                "using the records of the pull of 2026-12-04 20:31 UTC")
    # the source's name escaped as wikitext, as in the line on missing records
    assert ("''Records of an earlier pull, as the last one failed: source&#91;2&#93; (pagerduty) from the pull "
            "of 2026-12-04 20:31 UTC.''") in text
    assert by_source(list(gather(incident).events)) == good

    assert main(["check", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert "  the last pull FAILED (" in out and "these are the records of the pull of 2026-12-04 20:31 UTC" in out
    assert main(["check", str(path), "--format", "json"]) == 1
    checked = json.loads(capsys.readouterr().out)["sources"][2]["last_pull_failed"]
    assert checked["records_pulled"] == "2026-12-04T20:31:07Z" and "HTTP 500" in checked["error"]

    # a pull without --refresh tries a failed source again (and keeps the same good records)
    report = pulled(path, at=LATER)
    assert [r.status for r in report.results] == ["cached", "failed"]
    assert report.failed[0].line().endswith("of the pull of 2026-12-04 20:31 UTC")
    pd.app = pagerduty()
    report = pulled(path, at=LATER)
    assert [r.status for r in report.results] == ["cached", "fetched"]
    assert pd_key not in cache.EventCache(incident).failed
    assert main(["render", str(path)]) == 0
    text, err = capsys.readouterr()
    assert "pagerduty" not in err and "Records of an earlier pull" not in text


def test_a_failed_refresh_after_removing_a_source_keeps_the_records(tmp_path, servers, capsys):
    """Defect 13 as reported: the file source above went, then PagerDuty failed."""
    sal, pd = servers
    path = write_incident(tmp_path, sal, pd)
    assert pulled(path).ok
    good = by_source(list(gather(load_incident(path)).events))
    path.write_text(path.read_text(encoding="utf-8").replace(FILE_SOURCE, "", 1), encoding="utf-8")
    pd.app = broken_app("500")
    report = pulled(path, at=LATER, refresh=True)
    assert report.failed[0].name == "source[1] (pagerduty)" and "kept the" in report.failed[0].line()
    assert by_source(list(gather(load_incident(path)).events)) == good
    assert main(["timeline", str(path)]) == 0
    assert "source[1] (pagerduty): the last pull failed" in capsys.readouterr().err


def test_a_source_that_never_pulled_well_is_missing(tmp_path, servers, capsys):
    sal, pd = servers
    pd.app = broken_app("500")
    path = write_incident(tmp_path, sal, pd)
    report = pulled(path)
    assert report.failed[0].line().endswith("HTTP 500 Internal Server Error: Internal Server Error")
    assert main(["render", str(path)]) == 0
    text, err = capsys.readouterr()
    assert "source[2] (pagerduty) is missing from the timeline" in err and "earlier pull" not in err + text
    assert "''PagerDuty at 127.0.0.1:" in text and " could not be read (HTTP 500 Internal Server Error" in text


@pytest.mark.parametrize("remove_file_source", [False, True], ids=["in-place", "after-removing-another"])
def test_changing_a_source_s_options_asks_to_pull_again(tmp_path, servers, capsys, remove_file_source):
    path = write_incident(tmp_path, *servers)
    assert pulled(path).ok
    path = write_incident(tmp_path, *servers, file_source=not remove_file_source, project="releng")
    sal = "source[0] (sal)" if remove_file_source else "source[1] (sal)"
    assert main(["render", str(path)]) == 2
    assert f"the settings of {sal} changed since the last pull: run `postmortem pull`" in capsys.readouterr().err
    report = pulled(path, at=LATER)
    assert [r.status for r in report.results] == ["fetched", "cached"]


def test_identical_sources_each_have_their_entry(tmp_path, servers):
    path = write_incident(tmp_path, *servers)
    text = path.read_text(encoding="utf-8")
    twice = text + text[text.index("[[source]]\ntype = \"sal\""):text.index("[[source]]\ntype = \"pagerduty\"")]
    path.write_text(twice, encoding="utf-8")
    incident = load_incident(path)
    keys = cache.source_keys(incident.sources)
    assert keys[3] == keys[1] + "#2"
    assert [r.status for r in pulled(path).results] == ["fetched"] * 3
    assert {keys[1], keys[2], keys[3]} == set(cache.EventCache(incident).sources)
    path.write_text(twice.replace(FILE_SOURCE, "", 1), encoding="utf-8")
    assert [r.status for r in pulled(path, at=LATER).results] == ["cached"] * 3


def test_a_cache_of_format_2_is_not_read_and_says_to_pull_again(tmp_path, servers, capsys):
    """Format 2 keyed sources by their place and held events without their kind
    and facts: read as nothing pulled, so the commands say to pull, and a pull fetches anew."""
    path = write_incident(tmp_path, *servers)
    assert pulled(path).ok
    incident = load_incident(path)
    where = cache.cache_path(incident)
    data = json.loads(where.read_text(encoding="utf-8"))
    keys = cache.source_keys(incident.sources)
    data["version"] = 2
    data["sources"] = {f"{index}:{keys[index]}": data["sources"][keys[index]] for index in (1, 2)}
    where.write_text(json.dumps(data), encoding="utf-8")
    assert main(["timeline", str(path)]) == 2
    assert "has not been pulled yet" in capsys.readouterr().err
    assert [r.status for r in pulled(path, at=LATER).results] != ["cached", "cached"]
    assert json.loads(where.read_text(encoding="utf-8"))["version"] == cache.FORMAT_VERSION


def test_pull_refresh_replaces_a_damaged_cache_as_the_error_says(tmp_path, servers, capsys):
    """Defect: a damaged cache said "run `postmortem pull --refresh`", and that
    pull stopped with the same error, so nothing but deleting the file helped."""
    path = write_incident(tmp_path, *servers)
    where = cache.cache_path(load_incident(path))
    where.write_text('{"version": 3, "sources": [1, 2', encoding="utf-8")
    assert main(["timeline", str(path)]) == 2
    assert "damaged event cache (JSONDecodeError); run `postmortem pull --refresh`" in capsys.readouterr().err
    assert main(["pull", str(path)]) == 2            # without --refresh nothing is thrown away
    assert where.read_text(encoding="utf-8") == '{"version": 3, "sources": [1, 2'
    capsys.readouterr()
    assert main(["pull", str(path), "--refresh"]) == 0
    assert "the event cache could not be read (JSONDecodeError): replaced" in capsys.readouterr().err
    assert main(["timeline", str(path)]) == 0
    assert oct(where.stat().st_mode & 0o777) == "0o600"


def test_pull_refresh_replaces_a_cache_whose_entry_is_damaged(tmp_path, servers, capsys):
    path = write_incident(tmp_path, *servers)
    assert pulled(path).ok
    where = cache.cache_path(load_incident(path))
    data = json.loads(where.read_text(encoding="utf-8"))
    next(iter(data["sources"].values()))["events"][0].pop("time")
    where.write_text(json.dumps(data), encoding="utf-8")
    assert main(["timeline", str(path)]) == 2
    assert main(["pull", str(path), "--refresh"]) == 0
    assert "the event cache could not be read (an event that does not read): replaced" in capsys.readouterr().err
    assert main(["timeline", str(path)]) == 0
