"""`postmortem missing`: incidents in the page records (local Splunk On-Call and
PagerDuty, tests/services.py) and on a local status page with no report on the real
test MediaWiki (tests/mediawiki.py) within a day, each with its `postmortem init` line."""

from __future__ import annotations

import json
import shlex

from postmortem.cli import main
from postmortem.incident.load import load_incident
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)
from tests.services import Answer, FakeServer
from tests.test_pages import paging_sources, services  # noqa: F401  (local Splunk On-Call and PagerDuty)
from tests.test_source_statuspage import incident_json

# The pages of tests/test_pages.py: 2024-03-05 06:58 (two), 07:12, 09:01, 09:12; 2024-03-06 01:05, 02:41.
STATUS = {"page": {"id": "page1", "name": "Wikimedia", "url": "https://www.wikimediastatus.net"},
          "incidents": [incident_json(7, "2024-03-20T11:30:00.000Z", name="Editing unavailable on some wikis"),
                        incident_json(6, "2024-03-01T10:20:00.000Z", name="Slow page loads in Europe")]}
REPORTS = {
    # metadata window 2024-03-01 10:00-11:00: covers the status page entry of 10:20
    "MissingTest/2024-03-01 esams latency": "{{Incident scorecard\n| start = 2024-03-01 10:00\n"
                                            "| end = 2024-03-01 11:00\n}}\n== Summary ==\nSlow.\n",
    # dated by its title only: the whole of 2024-03-07, so a day either side covers 2024-03-06
    "MissingTest/2024-03-07 kubernetes": "== Summary ==\nThe API errored.\n",
    "MissingTest/Some notes": "== Summary ==\nNo date anywhere.\n",
}


def status_app(request):
    return Answer.json(STATUS) if request.path == "/api/v2/incidents.json" else Answer(404, "no")


def sources_file(tmp_path, vo, pd, status_url) -> str:
    path = tmp_path / "records.toml"
    path.write_text(paging_sources(vo, pd) + f'\n[[source]]\ntype = "statuspage"\nurl = "{status_url}"\n',
                    encoding="utf-8")
    return str(path)


def test_incidents_without_a_report_each_with_its_init_line(cli, bot_env, bot, services, tmp_path):  # noqa: F811
    for title, text in REPORTS.items():
        bot.edit(title, text, "a test report")
    with FakeServer(status_app) as status:
        records = sources_file(tmp_path, *services, status.url)
        code, out, err = cli("missing", "--wiki", bot_env.api_url, "--prefix", "MissingTest/",
                             "--since", "2024-03-01", "--until", "2024-03-31", "--sources", records)
    assert code == 1, err
    lines = out.splitlines()
    assert lines[:4] == [
        "2024-03-05 06:58 UTC  PagerDuty incident #1402: Checkout API 5xx rate above 5%",
        "  also 06:58 Splunk On-Call incident 4821: MediaWiki appserver p75 latency high",
        "  also 07:12 PagerDuty incident #1403: Checkout latency p99 above 2s",
        "  no report within a day; start one: postmortem init incidents/2024-03-05-checkout-api-5xx-rate-above-5 "
        "--id '2024-03-05 Checkout API 5xx rate above 5%' --start '2024-03-05 06:58'",
    ]
    assert lines[4:7] == [
        "2024-03-05 09:01 UTC  PagerDuty incident #1404: Payment webhook queue backlog",
        "  also 09:12 Splunk On-Call incident 4823: MariaDB replica lag on db1150",
        "  no report within a day; start one: postmortem init incidents/2024-03-05-payment-webhook-queue-backlog "
        "--id '2024-03-05 Payment webhook queue backlog' --start '2024-03-05 09:01'",
    ]
    assert lines[7:9] == [
        "2024-03-20 11:30 UTC  status page: Editing unavailable on some wikis",
        "  no report within a day; start one: postmortem init incidents/2024-03-20-editing-unavailable-on-some-wikis "
        "--id '2024-03-20 Editing unavailable on some wikis' --start '2024-03-20 11:30'",
    ]
    assert lines[9:] == [
        "3 of 6 incidents seen from 2024-03-01 00:00 to 2024-04-01 00:00 UTC have no report (3 reports read)",
        "covered: 2024-03-01 10:20 Slow page loads in Europe by MissingTest/2024-03-01 esams latency",
        "covered: 2024-03-06 01:05 KubernetesAPIErrors wikikube codfw by MissingTest/2024-03-07 kubernetes",
        "covered: 2024-03-06 02:41 ProbeDown swift https eqiad by MissingTest/2024-03-07 kubernetes",
        "reports that give no date (not matched): MissingTest/Some notes",
    ]

    # the init line starts the report of that incident
    argv = shlex.split(lines[3].split("start one: ", 1)[1])[1:]
    folder = tmp_path / argv[1]
    argv[1] = str(folder)
    assert main(argv) == 0
    incident = load_incident(folder / "incident.toml")
    assert incident.id == "2024-03-05 Checkout API 5xx rate above 5%"
    assert incident.start.isoformat() == "2024-03-05T06:58:00+00:00"
    assert incident.page_title == "Incidents/2024-03-05 Checkout API 5xx rate above 5%"


def test_json_and_a_source_of_another_kind(cli, bot_env, bot, services, tmp_path):  # noqa: F811
    for title, text in REPORTS.items():
        bot.edit(title, text, "a test report")
    with FakeServer(status_app) as status:
        records = sources_file(tmp_path, *services, status.url)
        code, out, err = cli("missing", "--wiki", bot_env.api_url, "--prefix", "MissingTest/", "--format", "json",
                             "--since", "2024-03-06", "--until", "2024-03-06", "--sources", records)
    assert code == 0, err
    data = json.loads(out)
    assert data["missing"] == [] and [c["report"] for c in data["covered"]] == ["MissingTest/2024-03-07 kubernetes"] * 2
    assert data["totals"]["undated"] == ["MissingTest/Some notes"] and data["covered"][0]["init"] is None
    other = tmp_path / "other.toml"
    other.write_text('[[source]]\ntype = "sal"\nurl = "https://sal.toolforge.org"\n')
    code, _, err = cli("missing", "--wiki", bot_env.api_url, "--since", "2024-03-06", "--sources", other)
    assert code == 2 and "source[0] (sal) is neither a paging service nor a status page" in err
