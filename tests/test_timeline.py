"""Merging sources into one timeline: window, order, de-duplication, key moments."""

import datetime as dt

from postmortem.core.model import Event, utc
from postmortem.incident.load import parse_incident
from postmortem.core.model import MARGIN, incident_window
from postmortem.timeline.gather import collect_events
from postmortem.timeline.merge import dedupe, merge
from postmortem.timeline.moments import key_moments


def ev(time, source="irc", text="hello there everyone", **kw):
    kw.setdefault("precision", "second")
    return Event(time=time, source=source, text=text, **kw)


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
              tags=("alert",), fields={"alertname": "JobDown", "state": "firing"})
    manual = ev(utc(2023, 9, 28, 14, 33), "manual", "JobDown alert fires", tags=("alert", "outage-begins"),
                precision="minute")
    merged = dedupe(sorted([manual, mail], key=lambda e: e.time))
    assert len(merged) == 1
    assert merged[0].source == "alert-email"
    assert set(merged[0].tags) == {"alert", "outage-begins"}


def test_firing_and_resolved_of_one_alert_are_not_merged():
    fire = ev(utc(2023, 9, 28, 14, 33), "alert-email", "JobDown firing", tags=("alert",),
              fields={"alertname": "JobDown", "state": "firing"})
    resolved = ev(utc(2023, 9, 28, 14, 36), "manual", "JobDown resolved", tags=("alert",))
    assert len(dedupe([fire, resolved])) == 2


def test_exact_repeats_from_overlapping_files_are_dropped():
    one = ev(utc(2023, 9, 28, 15), "irc", "hi", actor="a")
    assert dedupe([one, ev(utc(2023, 9, 28, 15), "irc", "hi", actor="a")]) == [one]


def test_key_moments_are_the_first_event_with_each_tag():
    events = [ev(utc(2023, 9, 28, 14, 10), "manual", "begins", tags=("outage-begins",)),
              ev(utc(2023, 9, 28, 14, 15), "manual", "alert", tags=("detection",)),
              ev(utc(2023, 9, 28, 14, 20), "manual", "second alert", tags=("detection",)),
              ev(utc(2023, 9, 28, 15, 30), "manual", "ok", tags=("outage-ends", "resolved"))]
    moments = key_moments(events)
    assert moments["outage-begins"].text == "begins"
    assert moments["detection"].text == "alert"
    assert moments["resolved"] is moments["outage-ends"]
    assert moments["mitigation"] is None


def test_sample_timeline_merges_every_source_in_utc(sample_incident_path):
    from postmortem.incident.load import load_incident
    events = collect_events(load_incident(sample_incident_path))
    times = [e.time for e in events]
    assert times == sorted(times)
    assert {e.source for e in events} == {"slack-export", "irc", "sal-wikitext", "alert-email", "manual"}
    # The ZNC log is in Paris time (CEST, UTC+2): 17:08:24 local is 15:08:24 UTC, and that
    # !log line absorbed its SAL entry of 15:08.
    restart = [e for e in events if "restart mw-page-content-change-enrich flink job in codfw" in e.text]
    assert [(e.source, e.time) for e in restart] == [("irc", utc(2023, 9, 28, 15, 8, 24))]
    # The alert e-mail and the manual "alert fires" event are one, carrying the OUTAGE BEGINS tag.
    first = events[0]
    assert first.source == "alert-email" and "outage-begins" in first.tags
    assert first.time == utc(2023, 9, 28, 14, 33, 12)
    # Slack messages outside the window (2023-09-27, 2023-10-04) are left out.
    assert not [e for e in events if e.time.date() in (dt.date(2023, 9, 27), dt.date(2023, 10, 4))]
