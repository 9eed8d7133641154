"""Alerts relayed to an IRC channel, end to end: the report writes a relay's
alert as it writes every alert (its name, state and summary, one link), and
`check` hints at a nick whose lines look like a relay's but is not in
``alert_nicks``. Records in the real formats: alertmanager-irc-relay's and
icinga's lines (postmortem/core/alerts.py) in a ZNC log and in an irssi log,
with relay bots named by the incident, not Wikimedia's."""

from __future__ import annotations

import json

from tests.conftest import write_incident

# alertmanager-irc-relay with Wikimedia's msg_template (operations/puppet irc.yml.erb).
PROBES = ("FIRING: [2x] ProbeDown: Service text-https:443 has failed probes (http_text-https_ip4) - "
          "https://wikitech.example.org/wiki/Runbook#text-https:443 - "
          "https://grafana.example.org/d/O0nHhdhnz/network-probes-overview?var-job=probes/service - "
          "https://alerts.example.org/?q=alertname%3DProbeDown")
ZNC_LOG = f"""[09:13:58] *** Joins: marta (~marta@host)
[09:14:05] <probewatch> {PROBES}
[09:15:10] <marta> looking at the probes in esams
[09:16:02] <probewatch> PROBLEM - HTTPS on cp3050 is CRITICAL: SSL CRITICAL - failed to verify cert https://wikitech.example.org/wiki/HTTPS
[10:01:05] <probewatch> {PROBES.replace("FIRING", "RESOLVED")}
"""
# icinga's lines by a bot the incident does not list, in irssi's default format.
IRSSI_LOG = """--- Log opened Tue Mar 12 09:00:00 2024
09:10 <@marta> FIRING: ProbeDown: is what the dashboard says, looking
09:12 <@marta> checking esams now
09:16 < edgebot> PROBLEM - HTTPS on cp3050 is CRITICAL: SSL CRITICAL - failed to verify cert https://wikitech.example.org/wiki/HTTPS
09:17 < edgebot> PROBLEM - HTTPS on cp3052 is CRITICAL: SSL CRITICAL - failed to verify cert https://wikitech.example.org/wiki/HTTPS
09:58 < edgebot> RECOVERY - HTTPS on cp3050 is OK: SSL OK - cert valid https://wikitech.example.org/wiki/HTTPS
"""
INCIDENT = '[incident]\nid = "2024-03-12 edge probes"\nstart = "2024-03-12 09:14"\nend = "2024-03-12 10:05"\n'


def znc_incident(tmp_path):
    (tmp_path / "irc").mkdir()
    (tmp_path / "irc" / "#sre-edge_2024-03-12.log").write_text(ZNC_LOG, encoding="utf-8")
    return write_incident(tmp_path, INCIDENT + '[[source]]\ntype = "irc"\npath = "irc/*.log"\n'
                                              'alert_nicks = ["probewatch"]\n')


def section(report: str, name: str, following: str) -> list[str]:
    return report[report.index(f"=={name}=="):report.index(f"=={following}")].splitlines()


def test_a_relayed_alert_is_written_in_the_report_as_every_alert_with_one_link(tmp_path, run_cli):
    """The relay's raw line ("FIRING: [2x] ProbeDown: … - <runbook> - <dashboard> -
    <alerts>") was the Timeline's text, by the bot, with all its links."""
    code, report, _ = run_cli("render", znc_incident(tmp_path))
    assert code == 0
    timeline = [line for line in section(report, "Timeline", "Detection") if line.startswith("*")]
    assert timeline == [
        "*09:14 (IRC #sre-edge, [https://alerts.example.org/?q=alertname%3DProbeDown Alertmanager]) ProbeDown firing: "
        "Service text-https&#58;443 has failed probes (http_text-https_ip4) (and 1 more)",
        "*09:15 (IRC #sre-edge) marta: looking at the probes in esams",
        "*09:16 (IRC #sre-edge, [https://wikitech.example.org/wiki/HTTPS wikitech.example.org]) HTTPS on cp3050 firing: "
        "SSL CRITICAL - failed to verify cert",
        "*10:01 (IRC #sre-edge, [https://alerts.example.org/?q=alertname%3DProbeDown Alertmanager]) ProbeDown resolved: "
        "Service text-https&#58;443 has failed probes (http_text-https_ip4) (and 1 more)"]
    detection = [line for line in section(report, "Detection", "Conclusions") if line.startswith("* ")]
    assert detection == ["* 09:14:05 <code>ProbeDown</code>: Service text-https&#58;443 has failed probes (http_text-https_ip4)",
                         "* 09:16:02 <code>HTTPS on cp3050</code>: SSL CRITICAL - failed to verify cert"]
    assert "probewatch" not in report and "grafana" not in report


def test_the_timeline_keeps_the_relayed_alerts_facts(tmp_path, run_cli):
    code, out, _ = run_cli("timeline", znc_incident(tmp_path), "--format", "json")
    first = json.loads(out)[0]
    assert code == 0 and (first["actor"], first["kind"]) == (None, "alert")
    assert first["alert"] == {
        "name": "ProbeDown", "state": "firing", "labels": {}, "count": 2,
        "summary": "Service text-https:443 has failed probes (http_text-https_ip4)",
        "links": ["https://wikitech.example.org/wiki/Runbook#text-https:443",
                  "https://grafana.example.org/d/O0nHhdhnz/network-probes-overview?var-job=probes/service",
                  "https://alerts.example.org/?q=alertname%3DProbeDown"]}


def irssi_incident(tmp_path, alert_nicks: str = ""):
    (tmp_path / "irc").mkdir(exist_ok=True)
    (tmp_path / "irc" / "#sre-edge.log").write_text(IRSSI_LOG, encoding="utf-8")
    return write_incident(tmp_path, INCIDENT.replace("09:14", "09:00") + '[[source]]\ntype = "irc"\n'
                                    f'path = "irc/*.log"\n{alert_nicks}')


def test_check_names_a_nick_whose_lines_look_like_a_relays_but_is_not_in_alert_nicks(tmp_path, run_cli):
    """Without the hint, edgebot's alerts were silently chat messages. marta
    quoting an alert among her own words is no relay."""
    path = irssi_incident(tmp_path)
    code, out, _ = run_cli("check", path)
    hints = [line for line in out.splitlines() if "hint:" in line]
    assert hints == [f"  hint: edgebot wrote 3 lines like an alert relay's (first {tmp_path / 'irc' / '#sre-edge.log'}:4), "
                     'read as chat: to read them as alerts, set alert_nicks = ["icinga-wm", "jinxer-wm", "edgebot"]']
    assert code == 0   # a hint, not a failure
    report = json.loads(run_cli("check", path, "--format", "json")[1])
    assert [len(source["hints"]) for source in report["sources"]] == [1]


def test_check_gives_no_hint_once_the_relay_is_listed(tmp_path, run_cli):
    path = irssi_incident(tmp_path, 'alert_nicks = ["edgebot"]\n')
    code, out, _ = run_cli("check", path)
    assert code == 0 and "hint:" not in out
    shown = json.loads(run_cli("timeline", path, "--format", "json")[1])
    assert [e["kind"] for e in shown].count("alert") == 3
