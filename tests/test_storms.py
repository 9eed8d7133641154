"""Alert storms in the report (issue 22): a storm's first alert is shown and the
rest counted on its line; the Detection section gives the storm one line; the
`timeline` command still shows every alert. Records in the real formats: a
ZNC log with jinxer-wm's relay lines and an Alertmanager mail."""

from __future__ import annotations

import json

from postmortem.timeline.storms import STORM_SIZE, alert_storms
from tests.events import record
from postmortem.core.model import utc

RELAY = "[{clock}] <jinxer-wm> FIRING: {name}: {host} fails its probes - https://alerts.example.org/?q={host}\n"
MAIL = """From: alertmanager@example.org
Subject: [FIRING:1] KafkaLag
Date: Tue, 10 Jun 2025 08:20:00 +0000
Content-Type: text/plain; charset=UTF-8

Labels:
 - alertname = KafkaLag
 - severity = warning
Annotations:
 - summary = consumer lag above 1M on kafka-main
Source: https://prometheus.example.org/graph
"""


def write_storm(folder, storm_hosts: int):
    channel = folder / "irc" / "#sre"
    channel.mkdir(parents=True)
    lines = [RELAY.format(clock=f"08:{10 + n // 6:02d}:{(n * 10) % 60:02d}", name="ProbeDown", host=f"lvs{n:02d}")
             for n in range(storm_hosts)]
    lines += [RELAY.format(clock="08:31:00", name="HostDown", host="db1001"),
              RELAY.format(clock="08:33:00", name="HostDown", host="db1002"),
              "[08:34:00] <nadia> the whole row B lost power, checking with dc-ops\n"]
    (channel / "2025-06-10.log").write_text("".join(sorted(lines, key=lambda l: l[1:9])), encoding="utf-8")
    (folder / "mail").mkdir()
    (folder / "mail" / "lag.eml").write_text(MAIL, encoding="utf-8")
    path = folder / "incident.toml"
    path.write_text('[incident]\nid = "2025-06-10 row B power"\nstart = "2025-06-10 08:10"\nend = "2025-06-10 09:00"\n'
                    '[[source]]\ntype = "irc"\npath = "irc/**/*.log"\nformat = "znc"\n'
                    '[[source]]\ntype = "alert-email"\npath = "mail/*.eml"\n', encoding="utf-8")
    return path


def test_a_storm_is_one_line_of_the_report_and_every_alert_of_the_timeline(tmp_path, run_cli):
    path = write_storm(tmp_path, 30)
    code, report, _ = run_cli("render", path)
    assert code == 0
    timeline = report[report.index("==Timeline=="):report.index("==Detection==")]
    probes = [line for line in timeline.splitlines() if "ProbeDown" in line]
    assert len(probes) == 1 and probes[0].startswith("*08:10 ") and probes[0].endswith("''(+29 ProbeDown alerts)''")
    # two alerts of another rule are no storm: both shown
    assert timeline.count("HostDown firing: ") == 2 and "KafkaLag firing" in timeline
    detection = report[report.index("==Detection=="):report.index("==Conclusions")]
    assert [line for line in detection.splitlines() if "ProbeDown" in line] == \
        ["* 08:10:00 <code>ProbeDown</code>: lvs00 fails its probes (and 29 more until 08:14)"]  # the relay's summary
    shown = json.loads(run_cli("timeline", path, "--format", "json")[1])
    assert sum(1 for e in shown if e.get("alert", {}).get("name") == "ProbeDown") == 30


def test_fewer_alerts_than_a_storm_are_each_shown(tmp_path, run_cli):
    path = write_storm(tmp_path, STORM_SIZE - 1)
    report = run_cli("render", path)[1]
    timeline = report[report.index("==Timeline=="):report.index("==Detection==")]
    assert timeline.count("ProbeDown") == STORM_SIZE - 1 and "alerts)" not in timeline


def test_a_storm_ends_where_its_alerts_are_farther_apart_than_the_gap():
    def probe(minute):
        return record(utc(2025, 6, 10, 8, minute), source="alertmanager", text="ProbeDown firing", tags=("alert",),
                      alert_name="ProbeDown")
    events = [probe(m) for m in (0, 1, 2, 3, 30, 31, 32, 33, 34)]
    storms = alert_storms(events)
    assert [(s.first.time.minute, s.last.time.minute, len(s.events)) for s in storms] == [(0, 3, 4), (30, 34, 5)]
