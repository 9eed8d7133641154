"""Merging sources into one timeline: window, order, de-duplication, key moments."""

import datetime as dt
import json

import pytest

from postmortem.core.model import Event, Records, utc
from postmortem.incident.load import parse_incident
from postmortem.core.model import MARGIN, incident_window
from postmortem.timeline.gather import gather
from postmortem.timeline.merge import dedupe, merge
from postmortem.timeline.moments import moments_in
from postmortem.core.vocabulary import TRIGGERED, Alert, Kind, LogEntry, Notified, Page
from tests.events import page_event, record


def ev(time, source="irc", text="hello there everyone", **kw):
    """An event as ``source`` writes it (a SAL entry or a `!log` line is a log entry)."""
    kw.setdefault("precision", "second")
    return record(time, source, text, **kw)


def incident(extra=""):
    return parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 18:00"\n' + extra)


def test_window_has_a_margin_and_an_open_incident_gets_a_day():
    window = incident_window(incident())
    assert window.start == utc(2023, 9, 28, 14) - MARGIN
    assert window.end == utc(2023, 9, 28, 18) + MARGIN
    open_one = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:00"\n')
    assert incident_window(open_one).end == utc(2023, 9, 29, 14) + MARGIN


def test_events_outside_the_window_are_left_out_but_manual_events_stay():
    window = incident_window(incident())
    early = ev(utc(2023, 9, 28, 13, 29, 59), text="too early")
    inside = ev(utc(2023, 9, 28, 13, 30), text="first moment of the margin")
    late = ev(utc(2023, 9, 28, 18, 30), text="window end is exclusive")
    manual = ev(utc(2023, 9, 27, 9), source="manual", text="lead-up the author wants")
    merged = merge([early, inside, late], window, manual=[manual])
    assert [e.text for e in merged] == ["lead-up the author wants", "first moment of the margin"]


def test_order_is_time_then_source_and_stable():
    t = utc(2023, 9, 28, 15)
    events = [ev(t, "slack-export", "b one"), ev(t, "irc", "a one"), ev(t, "slack-export", "b two"),
              ev(t - dt.timedelta(seconds=1), "slack-export", "earliest")]
    merged = merge(events, incident_window(incident()))
    assert [e.text for e in merged] == ["earliest", "a one", "b one", "b two"]


def test_irc_log_line_and_its_sal_entry_become_one_keeping_the_richer():
    irc = ev(utc(2023, 9, 28, 15, 8, 24), "irc", "!log restart the enrich job in codfw", actor="tchin")
    sal = ev(utc(2023, 9, 28, 15, 8), "sal", "restart the enrich job in codfw", actor="tchin",
             precision="minute", url="https://sal.toolforge.org/log/AbC")
    merged = dedupe([sal, irc])
    assert len(merged) == 1
    kept = merged[0]
    assert kept.url == "https://sal.toolforge.org/log/AbC"  # the SAL link is never lost


def test_logmsgbot_line_matches_the_sal_entry_with_the_deployer_as_nick():
    irc = ev(utc(2023, 9, 28, 15, 8, 2), "irc", "!log tchin@deploy1002 Started deploy [enrich]",
             actor="logmsgbot")
    sal = ev(utc(2023, 9, 28, 15, 8), "sal-wikitext", "Started deploy [enrich]", actor="tchin@deploy1002",
             precision="minute")
    assert len(dedupe([sal, irc])) == 1


def test_same_words_in_slack_and_irc_are_two_events():
    t = utc(2023, 9, 28, 15)
    assert len(dedupe([ev(t, "irc", "restarting the job now"), ev(t, "slack-export", "restarting the job now")])) == 2


def test_log_lines_far_apart_or_different_are_kept():
    irc = ev(utc(2023, 9, 28, 15, 8), "irc", "!log restart the enrich job", actor="a")
    later = ev(utc(2023, 9, 28, 15, 11), "sal", "restart the enrich job", actor="a", precision="minute")
    other = ev(utc(2023, 9, 28, 15, 8), "sal", "restart another job", actor="a", precision="minute")
    assert len(dedupe([irc, other, later])) == 3


def test_alert_email_and_manual_alert_event_become_one_with_both_tags():
    mail = ev(utc(2023, 9, 28, 14, 33, 12), "alert-email", "JobDown firing (critical): job is down",
              tags=("alert",), alert=Alert("JobDown"))
    manual = ev(utc(2023, 9, 28, 14, 33), "manual", "JobDown alert fires", tags=("alert", "outage-begins"),
                precision="minute")
    merged = dedupe(sorted([manual, mail], key=lambda e: e.time))
    assert len(merged) == 1
    assert merged[0].source == "alert-email"
    assert set(merged[0].tags) == {"alert", "outage-begins"}


def test_firing_and_resolved_of_one_alert_are_not_merged():
    fire = ev(utc(2023, 9, 28, 14, 33), "alert-email", "JobDown firing", tags=("alert",), alert=Alert("JobDown"))
    resolved = ev(utc(2023, 9, 28, 14, 36), "manual", "JobDown resolved", tags=("alert",))
    assert len(dedupe([fire, resolved])) == 2


def test_exact_repeats_from_overlapping_files_are_dropped():
    one = ev(utc(2023, 9, 28, 15), "irc", "hi", actor="a")
    assert dedupe([one, ev(utc(2023, 9, 28, 15), "irc", "hi", actor="a")]) == [one]

# Found by a new user's trial: a merged fact kept the later record's time and the logging bot as its doer.

def test_an_alert_seen_twice_happened_when_it_was_first_seen():
    relay = ev(utc(2026, 3, 4, 22, 42, 18), "irc", "FIRING: [2x] ProbeDown: text-https:443 probes failing",
               actor="jinxer-wm", tags=("alert",), alert=Alert("ProbeDown"), channel="#wikimedia-operations")
    mail = ev(utc(2026, 3, 4, 22, 46, 20), "alert-email", "ProbeDown firing (page): text-https:443",
              tags=("alert", "page"), url="https://alerts.example/1",
              alert=Alert("ProbeDown", labels={"severity": "page"}, summary="text-https:443 probes failing"))
    (merged,) = dedupe([relay, mail])
    assert (merged.source, merged.time, merged.url) == ("alert-email", relay.time, mail.url)
    assert merged.channel is None  # the mail was not said in the channel
    assert merged.also_in == ("irc",)


def test_logmsgbots_log_line_and_its_sal_entry_are_the_deployers():
    irc = ev(utc(2026, 3, 4, 22, 35, 40), "irc", "!log jdoe@deploy1002 Synchronized wmf-config/db.php",
             actor="logmsgbot", channel="#wikimedia-operations")
    sal = ev(utc(2026, 3, 4, 22, 35), "sal-wikitext", "jdoe@deploy1002 Synchronized wmf-config/db.php",
             actor="logmsgbot", precision="minute")
    (merged,) = dedupe([sal, irc])
    assert (merged.actor, merged.time) == ("jdoe", irc.time)  # to the second, from the IRC line
    assert merged.text == "Synchronized wmf-config/db.php" and merged.log == LogEntry("logmsgbot", "deploy1002")


def test_a_log_line_keeps_its_second_when_the_sal_tool_entry_with_its_link_is_kept(tmp_path):
    """The SAL tool's entry (kept for its link) gave the merged `!log` its minute,
    15:08, and "minute" precision, though the IRC line says 15:08:24 (found by
    tests/test_simulator.py)."""
    from postmortem.collect.pull import pull
    from postmortem.incident.load import load_incident
    from tests.conftest import write_incident
    from tests.services import FakeServer, SalEntry, sal_app
    (tmp_path / "#ops").mkdir()
    (tmp_path / "#ops" / "20230928.txt").write_text("[15:08:24] <tchin>\t !log restart the enrich job in codfw\n")
    entries = [SalEntry("AbC", utc(2023, 9, 28, 15, 8), "tchin", "restart the enrich job in codfw")]
    with FakeServer(sal_app(entries)) as sal:
        path = write_incident(tmp_path, f'[[source]]\ntype = "irc"\npath = "#ops/*"\n\n'
                                        f'[[source]]\ntype = "sal"\nurl = "{sal.url}"\n')
        assert pull(load_incident(path), strict=True).ok
    (event,) = list(gather(load_incident(path)).events)
    assert (event.time, event.precision, event.url) == (utc(2023, 9, 28, 15, 8, 24), "second", f"{sal.url}/log/AbC")


def test_the_source_filter_finds_a_record_merged_into_another():
    from postmortem.timeline.filters import filter_events
    irc = ev(utc(2023, 9, 28, 15, 8, 24), "irc", "!log restart the enrich job in codfw", actor="tchin")
    sal = ev(utc(2023, 9, 28, 15, 8), "sal", "restart the enrich job in codfw", actor="tchin",
             precision="minute", url="https://sal.toolforge.org/log/AbC")
    merged = Records(parse_incident('[incident]\nid = "t"\nstart = "2023-09-28 14:00"\n'), dedupe([sal, irc]))
    assert filter_events(merged, sources=["irc"]) == filter_events(merged, sources=["sal"]) == merged
    assert filter_events(merged, sources=["slack"]).events == ()



def test_key_moments_are_the_first_event_with_each_tag():
    events = [ev(utc(2023, 9, 28, 14, 10), "manual", "begins", tags=("outage-begins",)),
              ev(utc(2023, 9, 28, 14, 15), "manual", "alert", tags=("detection",)),
              ev(utc(2023, 9, 28, 14, 20), "manual", "second alert", tags=("detection",)),
              ev(utc(2023, 9, 28, 15, 30), "manual", "ok", tags=("outage-ends", "resolved"))]
    moments = moments_in(events)
    assert moments["outage-begins"].text == "begins"
    assert moments["detection"].text == "alert"
    assert moments["resolved"] is moments["outage-ends"]
    assert moments["mitigation"] is None


def test_sample_timeline_merges_every_source_in_utc(sample_incident_path):
    from postmortem.incident.load import load_incident
    events = list(gather(load_incident(sample_incident_path)).events)
    times = [e.time for e in events]
    assert times == sorted(times)
    assert {e.source for e in events} == {"slack-export", "irc", "sal-wikitext", "alert-email", "manual"}
    # The ZNC log is in Paris time (CEST, UTC+2): 17:08:24 local is 15:08:24 UTC, and that
    # !log line absorbed its SAL entry of 15:08.
    restart = [e for e in events if "restart mw-page-content-change-enrich flink job in codfw" in e.text]
    assert [(e.source, e.time) for e in restart] == [("irc", utc(2023, 9, 28, 15, 8, 24))]
    # lead = "24h": the window opens a day before the start, on two SAL entries of the lead-up
    lead_up = [e for e in events if e.time < utc(2023, 9, 28, 14, 33)]
    assert [(e.source, e.time) for e in lead_up] == [("sal-wikitext", utc(2023, 9, 27, 16, 40)),
                                                     ("sal-wikitext", utc(2023, 9, 28, 13, 2))]
    # The alert e-mail and the manual "alert fires" event are one, carrying the OUTAGE BEGINS tag.
    first = events[len(lead_up)]
    assert first.source == "alert-email" and "outage-begins" in first.tags
    assert first.time == utc(2023, 9, 28, 14, 33, 12)
    # Slack messages outside the window (2023-09-27 10:02, before it opens; 2023-10-04) are left out.
    assert not [e for e in events if e.source == "slack-export"
                and e.time.date() in (dt.date(2023, 9, 27), dt.date(2023, 10, 4))]


# -- the same channel logged by two loggers (real formats, through the sources) ------

def two_loggers(tmp_path, first: tuple[str, list[str]], second: tuple[str, list[str]], window_end="16:00"):
    """An incident with one [[source]] per logger of #ops, each file in its own format."""
    body = (f'[incident]\nid = "x"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 {window_end}"\n')
    for index, (name, lines) in enumerate((first, second)):
        folder = tmp_path / f"logger{index}" / "#ops"
        folder.mkdir(parents=True)
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        body += f'[[source]]\ntype = "irc"\npath = "logger{index}/#ops/*"\n'
    path = tmp_path / "incident.toml"
    path.write_text(body, encoding="utf-8")
    from postmortem.incident.load import load_incident
    return [(e.time.strftime("%H:%M:%S"), e.actor, e.text, e.precision) for e in list(gather(load_incident(path)).events)]


IRSSI = ["--- Log opened Thu Sep 28 14:00:00 2023", "14:05 <tchin> the job is down",
         "14:06 <joal> restarting", "14:06 <joal> restarting", "14:09 * joal watches"]
ZNC = ["[14:05:40] <tchin> the job is down", "[14:06:02] <joal> restarting",
       "[14:06:30] <joal> restarting", "[14:09:15] * joal watches"]
WMBOT = ["[14:05:43] <tchin>\t the job is down", "[14:06:05] <joal>\t restarting",
         "[14:06:33] <joal>\t restarting", "[14:09:18] * joal watches"]


def test_irssi_and_znc_of_one_channel_give_each_line_once_at_the_finer_time(tmp_path):
    """It showed every line twice. Within the coarser (minute) precision the
    second-precision line is kept; joal said "restarting" twice, so it stays twice."""
    assert two_loggers(tmp_path, ("2023-09-28.log", IRSSI), ("2023-09-28.log", ZNC)) == [
        ("14:05:40", "tchin", "the job is down", "second"),
        ("14:06:02", "joal", "restarting", "second"),
        ("14:06:30", "joal", "restarting", "second"),
        ("14:09:15", "joal", "* joal watches", "second"),
    ]


def test_znc_and_wm_bot_seconds_apart_give_each_line_once(tmp_path):
    merged = two_loggers(tmp_path, ("2023-09-28.log", ZNC), ("20230928.txt", WMBOT))
    assert [(actor, text) for _, actor, text, _ in merged] == [
        ("tchin", "the job is down"), ("joal", "restarting"), ("joal", "restarting"), ("joal", "* joal watches")]


def test_one_logger_repeating_a_line_is_never_merged_with_itself(tmp_path):
    lines = ["[14:06:02] <joal> restarting", "[14:06:04] <joal> restarting"]
    assert len(two_loggers(tmp_path, ("2023-09-28.log", lines), ("2023-09-28.log", ["[15:00:00] <a> other"]))) == 3


RELAY = ("FIRING: ProbeDown: Service api-https:443 has failed probes - "
         "https://alerts.wikimedia.org/?q=alertname%3DProbeDown")
MAIL_WITHOUT_ANNOTATIONS = """From: alertmanager@example.org
Subject: [FIRING:1] ProbeDown (api-https:443 critical)
Date: Thu, 28 Sep 2023 14:33:00 +0000
Content-Type: text/plain; charset=UTF-8

Alerts Firing:
Labels:
 - alertname = ProbeDown
 - instance = api-https:443
 - severity = critical
"""


def test_an_alert_relayed_to_a_channel_two_loggers_keep_is_one_event_with_its_earlier_mail(tmp_path):
    """The mail came 15 s before jinxer-wm's line, which ZNC and wm-bot both logged:
    the first logger's line merged with the mail (at the mail's time), and the
    second's, now 15 s from it and of the same source type, was left as a second
    alert (found by tests/test_simulator.py)."""
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "probedown.eml").write_text(MAIL_WITHOUT_ANNOTATIONS, encoding="utf-8")
    for name, line in (("2023-09-28.log", f"[14:33:15] <jinxer-wm> {RELAY}"),
                       ("20230928.txt", f"[14:33:15] <jinxer-wm>\t {RELAY}")):
        folder = tmp_path / name.split(".")[1] / "#wikimedia-operations"
        folder.mkdir(parents=True)
        (folder / name).write_text(line + "\n", encoding="utf-8")
    from postmortem.incident.load import load_incident
    from tests.conftest import write_incident
    path = write_incident(tmp_path, '[[source]]\ntype = "irc"\npath = "log/#*/*"\n\n[[source]]\ntype = "irc"\n'
                                    'path = "txt/#*/*"\n\n[[source]]\ntype = "alert-email"\npath = "mails/*.eml"\n')
    (event,) = list(gather(load_incident(path)).events)
    assert (event.time, event.alert.name, event.alert.labels["instance"]) == (utc(2023, 9, 28, 14, 33), "ProbeDown",
                                                                             "api-https:443")


def test_a_page_keeps_whom_it_reached_when_it_merges_with_its_alert():
    """The manual "page" entry names the people paged; merged with the alert
    e-mail of the same alert, that list was lost."""
    alert = ev(utc(2023, 9, 28, 14, 33, 12), source="alert-email", text="DiskFull firing (page)",
               tags=("alert", "page"), alert=Alert("DiskFull"), url="https://alerts.example/a")
    manual = ev(utc(2023, 9, 28, 14, 34), source="manual", text="DiskFull paged the SRE on-call",
                tags=("alert", "page"), precision="minute", kind=Kind.MANUAL,
                page=Page("incident.toml", "", TRIGGERED, notified=(Notified("ana"), Notified("bo"))))
    merged = merge([alert], incident_window(incident()), manual=[manual])
    assert len(merged) == 1 and merged[0].page.names() == ["ana", "bo"] and merged[0].url == alert.url


# -- a paging service's page and the alert that caused it ------------------------------

def page_ev(minute, second=0, what="ProbeDown swift https eqiad", phase="triggered", incident="4830", by=None):
    return page_event(utc(2024, 3, 6, 2, minute, second), phase, incident, what=what, paged=["jdoe"], teams=["SRE"],
                      text=f"{what}: paged jdoe (Splunk On-Call incident {incident})", actor=by,
                      url=f"https://portal.victorops.com/ui/wikimedia/incident/{incident}")


def alert_ev(minute, second=0, name="ProbeDown", state="firing", source="alert-email", summary="swift https down",
             tags=("alert", "page")):
    """An alert (or, with no ``alert`` tag, a line that is none)."""
    alert = Alert(name, state, {"team": "sre"}, summary=summary) if "alert" in tags else None
    return ev(utc(2024, 3, 6, 2, minute, second), source, f"{name} {state}: {summary}", tags=tags,
              url="https://prometheus.example/graph", alert=alert)


@pytest.mark.parametrize("events, merged", [
    pytest.param([alert_ev(40, 50), page_ev(41, 19)], 1, id="alertname-in-what-paged"),
    pytest.param([page_ev(41, 19), alert_ev(44, 0)], 1, id="alert-after-the-page"),
    pytest.param([alert_ev(40, 50, name="KubeAPIErrors", summary="ProbeDown swift https eqiad"), page_ev(41)], 1,
                 id="what-paged-in-the-alert-summary"),
    pytest.param([alert_ev(40, 50, source="alertmanager", tags=("alert",)), page_ev(41)], 1, id="alertmanager"),
    pytest.param([alert_ev(30), page_ev(41)], 2, id="more-than-five-minutes-apart"),
    pytest.param([alert_ev(40, name="ProbeDownLong"), page_ev(41)], 2, id="another-alert-name"),
    pytest.param([alert_ev(40, state="resolved"), page_ev(41)], 2, id="resolved-alert-with-a-page"),
    pytest.param([alert_ev(40, state="resolved", tags=("alert",)), page_ev(41, phase="resolved")], 1,
                 id="resolution-with-resolution"),
    pytest.param([alert_ev(40, tags=()), page_ev(41)], 2, id="not-an-alert"),
    pytest.param([alert_ev(40), page_ev(41), page_ev(42, incident="4831")], 2, id="two-pages-stay-two"),
    pytest.param([page_ev(41), page_ev(41, incident="4831")], 2, id="pages-from-one-service-never-merge"),
    pytest.param([alert_ev(40, state="resolved", tags=("alert",)), page_ev(41, phase="resolved", by="jdoe")], 2,
                 id="a-person-resolving-the-page-is-not-the-recovery"),
])
def test_a_page_merges_with_the_alert_that_caused_it(events, merged):
    assert len(dedupe(sorted(events, key=lambda e: e.time))) == merged


def test_the_merged_event_is_the_alert_at_its_time_with_the_pages_link_and_people():
    alert, page = alert_ev(40, 50), page_ev(41, 19)
    (one,) = dedupe([alert, page])
    # the alert at its own time, the page at its own in its facts
    assert (one.source, one.time, one.page.at, one.url) == ("alert-email", alert.time, page.time, page.url)
    assert one.text == "ProbeDown firing: swift https down; paged jdoe (SRE) (Splunk On-Call incident 4830)"
    assert one.tags == ("alert", "page") and one.page.names() == ["jdoe"] and one.alert.team == "sre"
    assert one.page.phase == "triggered" and one.alert.name == "ProbeDown" and one.also_in == ("splunk-oncall",)
    second = alert_ev(42, summary="another instance down")  # the same alert name, another alert of that source
    assert len(dedupe([alert, page, second])) == 2


MAIL = """From: alertmanager@example.org
Subject: [FIRING:1] ProbeDown
Date: Mon, 04 Mar 2024 {time} +0000
Content-Type: text/plain; charset=UTF-8

Labels:
 - alertname = ProbeDown
 - instance = mw1001
 - severity = critical
Annotations:
 - summary = mw1001 fails its probes
Source: https://prometheus.example.org/graph
"""


PROBE_RELAY = "FIRING: ProbeDown: mw1001 fails its probes - https://alerts.example.org/?q=1"


def relayed_and_mailed(tmp_path, irc_log: str, mailed: str):
    """An incident of a ZNC log of #ops and the ProbeDown mail sent at ``mailed``."""
    channel = tmp_path / "irc" / "#ops"
    channel.mkdir(parents=True)
    (channel / "2024-03-04.log").write_text(irc_log, encoding="utf-8")
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "1.eml").write_text(MAIL.format(time=mailed), encoding="utf-8")
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "2024-03-04 probes"\nstart = "2024-03-04 11:50"\nend = "2024-03-04 12:30"\n'
                    '[[source]]\ntype = "irc"\npath = "irc/**/*.log"\nformat = "znc"\n'
                    '[[source]]\ntype = "alert-email"\npath = "mail/*.eml"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("since, until", [("12:01", "12:05"), ("11:59", "12:01"), ("12:03", "12:03"),
                                          ("12:05", "12:30"), ("11:50", "12:00")])
def test_a_span_read_alone_shows_what_the_whole_incident_shows(tmp_path, run_cli, since, until):
    """`timeline --since/--until` reads the sources only around its span (issue
    22: a week of IRC need not be read for five minutes of it), yet an alert
    that jinxer-wm relayed at 12:00 and Alertmanager mailed at 12:03 is one
    event at 12:00 whatever the span: the span is widened by what a merge reaches."""
    path = relayed_and_mailed(tmp_path, "[12:00:00] <jinxer-wm> " + PROBE_RELAY + "\n"
                              "[12:02:00] <ana> looking at mw1001\n", mailed="12:03:00")
    whole = json.loads(run_cli("timeline", str(path), "--format", "json")[1])
    shown = json.loads(run_cli("timeline", str(path), "--format", "json", "--since", since, "--until", until)[1])
    low, high = f"2024-03-04T{since}:00Z", f"2024-03-04T{until}:59Z"
    assert shown == [e for e in whole if low <= e["time"] <= high]
    assert [e["time"] for e in whole if e["source"] == "alert-email"] == ["2024-03-04T12:00:00Z"]


def test_an_alert_mailed_and_relayed_to_irc_is_monitorings_not_the_relay_bots(tmp_path, run_cli):
    """jinxer-wm only relayed the alert Alertmanager mailed: the one event was
    "jinxer-wm: ProbeDown firing" and the time to detect ran to "first alert
    (alert-email jinxer-wm)", as if the bot had sent the mail."""
    path = relayed_and_mailed(tmp_path, "[12:00:05] <jinxer-wm> " + PROBE_RELAY + "\n", mailed="12:00:07")
    code, out, err = run_cli("timeline", str(path), "--format", "json")
    assert code == 0, err
    (alert,) = json.loads(out)
    assert (alert["time"], alert["source"], alert["actor"]) == ("2024-03-04T12:00:05Z", "alert-email", None)
    code, out, err = run_cli("scorecard", str(path))
    assert code == 0, err
    assert " → first alert (alert-email))\n" in out
