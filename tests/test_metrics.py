"""The incident's metrics from its key moments (postmortem.timeline.metrics), in the
report's Summary, in `scorecard` output and in `stats` rows."""

from __future__ import annotations

import datetime as dt
import json

from postmortem.incident.load import load_incident
from postmortem.timeline.metrics import incident_metrics
from postmortem.database.stats import report_metrics
from postmortem.core.model import Event, Incident, Records, utc
from postmortem.write.render import render_report
from postmortem.read.report import parse_report
from postmortem.timeline.gather import gather
from tests.conftest import SAMPLE

START = utc(2023, 10, 2, 3, 0)


def event(minute, text, source="manual", tags=(), actor=None, **fields):
    return Event(START + dt.timedelta(minutes=minute), source, text, actor=actor, tags=tuple(tags), fields=fields)


def metrics(events, **kw):
    incident = Incident(**{"id": "t", "start": START, "responders": ("alice",), **kw})
    return {m.id: m for m in incident_metrics(Records(incident, tuple(events)))}


FULL = [
    event(0, "deploy breaks things", tags=["outage-begins"]),
    event(7, "HighLatency fires", "alertmanager", tags=["alert", "page"], state="firing"),
    event(9, "someone else looks", "irc", actor="bob"),
    event(12, "on it", "slack-export", actor="alice"),
    event(40, "rollback", tags=["mitigation"]),
    event(55, "all good", tags=["outage-ends"]),
    event(90, "closed", tags=["resolved"]),
]


def test_every_metric_from_the_key_moments():
    got = metrics(FULL)
    assert {k: m.minutes for k, m in got.items()} == {
        "outage": 55, "detect": 7, "acknowledge": None, "respond": 5, "engage": None, "mitigate": 40,
        "resolve": 90}
    assert got["detect"].note == "outage start → first alert (alertmanager)"
    assert got["respond"].note == "first page (alertmanager) → first reply (slack-export alice)"
    assert got["mitigate"].text() == "40 min (2023-10-02 03:00:00 → 03:40:00 UTC; outage start → mitigation (manual))"


def test_missing_moments_say_so():
    got = metrics([event(5, "a user asks in chat", "slack-export", actor="u")])
    assert got["outage"].minutes is None and got["outage"].text() == "unknown: no event tagged outage-ends"
    assert got["mitigate"].text() == "unknown: no event tagged mitigation"
    assert got["respond"].text() == "unknown: no event tagged page"
    assert got["resolve"].text() == "unknown: no event tagged resolved and no incident end"
    assert got["detect"].minutes == 5 and "incident start (no event tagged outage-begins)" in got["detect"].note
    assert "first report" in got["detect"].note
    assert metrics([], paged=0)["respond"].text() == "not applicable: nobody was paged"
    assert metrics([], end=START + dt.timedelta(hours=2))["resolve"].minutes == 120


def test_the_sample_summary_shows_the_metrics_block():
    report = render_report(gather(load_incident(SAMPLE / "incident.toml")))
    summary = report.split("==Timeline==")[0]
    assert "Outage duration:" not in summary.replace("* Outage duration:", "")
    assert "* Time to mitigate: 3 h 25 min 1 s (2023-09-28 14:33:12 → 17:58:13 UTC)\n" in summary
    assert "Time to respond" not in summary.replace("Time to acknowledge, respond and engage", "")
    assert "''Time to acknowledge, respond and engage do not apply: nobody was paged.''" in summary
    assert "* Outage duration: 4 d 23 h 41 min 42 s" in summary
    assert parse_report(report).timeline[2].tags == ("outage-begins",)  # marks still read back (after the lead-up)


def test_scorecard_json_carries_the_metrics(run_cli):
    code, out, _ = run_cli("scorecard", SAMPLE / "incident.toml", "--format", "json")
    data = json.loads(out)
    assert code == 0
    mitigate = next(m for m in data["metrics"] if m["id"] == "mitigate")
    assert mitigate == {"id": "mitigate", "label": "Time to mitigate", "seconds": 12301, "minutes": 205,
                        "from": "2023-09-28T14:33:12Z", "to": "2023-09-28T17:58:13Z",
                        "note": "outage start → mitigation (manual)"}


REPORT = """{{Incident scorecard|start = 2024-03-01 10:00|end = 2024-03-01 12:30}}
==Timeline==
*10:05 something breaks '''OUTAGE BEGINS'''
*10:20 alert
*11:35 fixed '''OUTAGE ENDS'''
"""


def test_report_metrics_and_stats_rows(run_cli, tmp_path):
    assert report_metrics(parse_report(REPORT)) == {"outage_minutes": 90, "resolve_minutes": 145}
    assert report_metrics(parse_report("==Timeline==\n*10:05 x\n")) == {
        "outage_minutes": None, "resolve_minutes": None}
    path = tmp_path / "r.wiki"
    path.write_text(REPORT)
    code, out, _ = run_cli("stats", path, "--format", "json")
    data = json.loads(out)
    assert data["reports"][0]["outage_minutes"] == 90 and data["totals"]["outage_minutes"] == 90
    code, out, _ = run_cli("stats", path, "--format", "csv")
    header, row = out.splitlines()
    assert "outage_minutes,resolve_minutes" in header and ",90,145," in row


def test_a_metric_is_shown_at_the_precision_it_was_computed():
    """"Time to respond: 1 min (23:41 → 23:43)" read as two minutes: the page at
    23:41:20, the reply at 23:43:00 are 1 min 40 s apart, and the report says so."""
    page = Event(utc(2026, 10, 24, 23, 41, 20), "manual", "pages SRE", tags=("page", "outage-begins"))
    reply = Event(utc(2026, 10, 24, 23, 43), "irc", "on it", actor="alice")
    incident = Incident(id="t", start=page.time, responders=("alice",))
    respond = {m.id: m for m in incident_metrics(Records(incident, (page, reply)))}["respond"]
    assert respond.shown() == "1 min 40 s (2026-10-24 23:41:20 → 23:43:00 UTC)"
    report = render_report(Records(incident, (page, reply)))
    assert "* Time to respond: 1 min 40 s (2026-10-24 23:41:20 → 23:43:00 UTC)\n" in report
    # what does not apply or is not known: one line, not a line each
    assert "''Not known from the records: outage duration (no event tagged outage-ends); time to " in report
    assert "* Time to acknowledge" not in report


def test_a_metric_from_a_time_of_incident_toml_is_to_the_minute():
    """``start = "2025-02-14 03:58"`` is to the minute: the first alert at
    03:58:12 was detected "under 1 min" after it, not "12 s" after 03:58:00;
    the alert's resolution 17 min 50 s later is 18 min after a minute's start."""
    alert = Event(utc(2025, 2, 14, 3, 58, 12), "alert-email", "DNSRecursorDown firing", tags=("alert",))
    fixed = Event(utc(2025, 2, 14, 4, 16, 2), "manual", "recursor restarted", tags=("resolved",))
    incident = Incident(id="t", start=utc(2025, 2, 14, 3, 58))
    found = {m.id: m for m in incident_metrics(Records(incident, (alert, fixed)))}
    assert found["detect"].shown() == "under 1 min (2025-02-14 03:58 → 03:58 UTC)"
    assert found["resolve"].shown() == "18 min (2025-02-14 03:58 → 04:16 UTC)"
    tagged = Event(alert.time, "alert-email", "DNSRecursorDown firing", tags=("alert", "outage-begins"))
    found = {m.id: m for m in incident_metrics(Records(incident, (tagged, fixed)))}
    assert found["resolve"].shown() == "17 min 50 s (2025-02-14 03:58:12 → 04:16:02 UTC)"


HALF_MINUTE_OUTAGE = '''[incident]
id = "2024-11-14 cirrussearch-codfw-master"
start = "2024-11-14 02:58"
end = "2024-11-14 03:50"

[[source]]
type = "alert-email"
path = "alert.eml"

[[event]]
time = "2024-11-14 02:58:30"
text = "elastic2055 stops answering"
tags = ["outage-begins"]

[[event]]
time = "2024-11-14 03:12"
text = "search errors back to normal"
tags = ["outage-ends"]
'''
# Alertmanager's default template (template/default.tmpl), saved from a mail client in Los Angeles.
NO_MASTER_MAIL = """Subject: [FIRING:1] CirrusSearchClusterNoMaster (production-search-codfw page)
Date: Wed, 13 Nov 2024 18:59:05 -0800
Content-Type: text/plain; charset=utf-8

Alerts Firing:
Labels:
 - alertname = CirrusSearchClusterNoMaster
 - severity = page
Annotations:
 - summary = production-search-codfw has no elected master
"""


def test_a_duration_agrees_with_its_ends_as_shown_in_the_report_and_the_scorecard(tmp_path, run_cli):
    """02:58:30 → 03:12 (to the minute, so before 03:13) is shown "02:58 → 03:12": 14 min, as a
    reader counts and `stats` reads it back, not the 13 min 30 s cut to "13 min"; and `scorecard`
    says the 35 s from 02:58:30 to the alert at 02:59:05 as the report does, not "0 min"."""
    (tmp_path / "incident.toml").write_text(HALF_MINUTE_OUTAGE, encoding="utf-8")
    (tmp_path / "alert.eml").write_text(NO_MASTER_MAIL, encoding="utf-8")
    code, _, err = run_cli("render", tmp_path / "incident.toml", "-o", tmp_path / "report.wiki")
    assert code == 0, err
    report = (tmp_path / "report.wiki").read_text(encoding="utf-8")
    assert "* Outage duration: 14 min (2024-11-14 02:58 → 03:12 UTC)\n" in report
    assert "* Time to detect: 35 s (2024-11-14 02:58:30 → 02:59:05 UTC)\n" in report
    code, out, _ = run_cli("stats", tmp_path / "report.wiki", "--format", "json")
    assert json.loads(out)["reports"][0]["outage_minutes"] == 14
    code, out, err = run_cli("scorecard", tmp_path / "incident.toml")
    assert code == 0, err
    assert "  Outage duration: 14 min (2024-11-14 02:58 → 03:12 UTC; outage start → outage end)\n" in out
    assert "  Time to detect: 35 s (2024-11-14 02:58:30 → 02:59:05 UTC; outage start → first alert" in out
