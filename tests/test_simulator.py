"""Combinations tested by construction (issue 21 item 7): random incidents drawn
as facts (tests/simulator), written into every format the tool reads — IRC
logs of four loggers in local time zones, the SAL page, Alertmanager mails, a
Slack export, and PagerDuty, Splunk On-Call, Prometheus and SAL tool answers
served on 127.0.0.1 — then read by the real pipeline (load_incident, pull,
gather, incident_metrics, computed_scorecard, firing_intervals), which must
tell what happened: one timeline event per fact at its time with its actor,
the metrics, the scorecard's page answers and the graph's bars of the facts.

Seeded (``derandomize``) and bounded: EXAMPLES incidents per run (300: about
4,600 facts written as some 4,100 timeline events; about 10 s), drawn by
tests/simulator/strategies.py. A failing example prints its story, one line
per fact, and what the tool got wrong.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, note, settings

from postmortem.collect.pull import pull
from postmortem.collect.sources import needs_pull
from postmortem.incident.load import load_incident
from postmortem.scorecard.answers import computed_scorecard
from postmortem.timeline.gather import gather
from postmortem.timeline.metrics import incident_metrics
from postmortem.write.timeline_picture import firing_intervals, graph_span
from tests.simulator import expect
from tests.simulator.facts import Incident
from tests.simulator.scenario import Servers, laid_out
from tests.simulator.story import story
from tests.simulator.strategies import FORMATS, incidents, repeated_hours

EXAMPLES = 300


@pytest.fixture(scope="module")
def servers():
    with Servers() as running:
        yield running


def read_back(incident: Incident, servers: Servers):
    """The tool's records of ``incident``: written out, pulled, gathered."""
    with tempfile.TemporaryDirectory(prefix="postmortem-sim-") as folder:
        with laid_out(incident, Path(folder), servers) as path:
            loaded = load_incident(path)
            if any(needs_pull(source) for source in loaded.sources):
                pull(loaded, strict=True)
        return gather(loaded)


def _second(moment):
    return moment.replace(microsecond=0) if moment else moment


def _show(event) -> str:
    return f"{event.time:%Y-%m-%d %H:%M:%S} {event.source} {event.actor}: {event.text[:100]}"


def timeline_problems(incident: Incident, events) -> list[str]:
    """How the timeline differs from the facts (one event per fact, its time, actor and kind)."""
    expected = expect.timeline(incident)
    seen = defaultdict(list)
    for event in events:
        seen[expect.event_key(incident, event)].append(event)
    problems = []
    for key, found in seen.items():
        if key not in expected:
            problems.append(f"no fact {key} in the window: " + " | ".join(map(_show, found)))
        elif len(found) > 1:
            problems.append(f"{len(found)} events for one fact {key}: " + " | ".join(map(_show, found)))
    for key, entry in expected.items():
        if key not in seen:
            problems.append(f"missing {key} at {entry.time:%Y-%m-%d %H:%M:%S}")
        elif len(seen[key]) == 1:
            problems += [f"{key}: {p} ({_show(seen[key][0])})" for p in event_problems(entry, seen[key][0])]
    return problems


def event_problems(entry: expect.Entry, event) -> list[str]:
    problems = []
    if (_second(event.time), event.precision) != (entry.time, entry.precision):
        problems.append(f"at {_second(event.time)} ({event.precision}), not {entry.time} ({entry.precision})")
    actors = (None, *expect.RELAYS) if entry.actor == expect.NO_PERSON else (entry.actor,)
    if event.actor not in actors:
        problems.append(f"actor {event.actor!r}, not {entry.actor!r}")
    if event.kind is not entry.kind:
        problems.append(f"kind {event.kind.value}, not {entry.kind.value}")
    carried = event.page.incident if event.page is not None else None
    if carried != (entry.page.label if entry.page else None):
        problems.append(f"carries the page {carried}, not {entry.page.label if entry.page else None}")
    if entry.reached and event.page is not None and sorted(event.page.names()) != sorted(entry.reached):
        problems.append(f"reached {sorted(event.page.names())}, not {sorted(entry.reached)}")
    return problems


def metric_problems(incident: Incident, records) -> list[str]:
    found = {m.id: (_second(m.start), _second(m.end)) for m in incident_metrics(records)}
    wanted = expect.metrics(incident, expect.timeline(incident))
    return [f"time to {name}: {found[name]}, not {span}" for name, span in wanted.items() if found[name] != span]


def scorecard_problems(incident: Incident, records) -> list[str]:
    answers = {a.id: a for a in computed_scorecard(records).answers}
    entries = expect.timeline(incident)
    wanted = {"people-paged-fewer-than-five": expect.paged_fewer_than_five(entries),
              "pages-business-hours": expect.pages_in_business_hours(entries)}
    return [f"scorecard {qid}: {answers[qid].answer!r} ({answers[qid].notes}), not {answer!r}"
            for qid, answer in wanted.items() if answers[qid].answer != answer]


def bar_problems(incident: Incident, records) -> list[str]:
    events = list(records.events)
    start, end = graph_span(records.incident, events)
    found = sorted(((i.name, _second(i.start), _second(i.end)) for i in firing_intervals(events, start, end)),
                   key=lambda b: (b[1], b[0], b[2]))
    wanted = expect.bars(incident, expect.timeline(incident), _second(end))
    return [] if found == wanted else [f"graph bars {found}, not {wanted}"]


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(incidents())
def test_the_tool_tells_what_happened(servers, incident):
    note(story(incident))
    records = read_back(incident, servers)
    problems = (timeline_problems(incident, records.events) + metric_problems(incident, records)
                + scorecard_problems(incident, records) + bar_problems(incident, records))
    assert not problems, "\n".join(problems)


def _repeats_an_hour(incident: Incident) -> bool:
    lo, hi = incident.window
    return any(repeated_hours(lg.timezone, lo, hi) for c in incident.channels for lg in c.loggers)


def _resolved_by_a_person_near_the_recovery(incident: Incident) -> bool:
    return any(f.page and f.page.resolved_by and f.end - f.page.resolved_by.at <= dt.timedelta(minutes=5)
               for a in incident.alerts for f in a.firings if f.end)


COMBINATIONS = {
    "two loggers of one channel": lambda i: any(len(c.loggers) == 2 for c in i.channels),
    "irssi writing minutes": lambda i: any(not lg.seconds for c in i.channels for lg in c.loggers),
    "a local log repeating an hour (DST ends) in the window": _repeats_an_hour,
    "a window across UTC midnight": lambda i: i.window[0].date() != i.window[1].date(),
    "an alert relayed, mailed and in Prometheus": lambda i: i.prometheus and any(a.relay and a.mailed
                                                                                 for a in i.alerts),
    "an Icinga alert": lambda i: any(a.icinga for a in i.alerts),
    "two instances of one rule mailed together": lambda i: len({a.id for a in i.alerts if a.mailed} & {
        b.id for a in i.alerts for b in i.alerts if a.id != b.id and a.name == b.name and a.firings == b.firings}) > 1,
    "a page escalated": lambda i: any(p.escalations for p in i.pages()),
    "a page resolved by a person minutes before its alert recovers": _resolved_by_a_person_near_the_recovery,
    "a page a person started": lambda i: bool(i.manual_pages),
    "a Splunk On-Call page to a team": lambda i: any(p.via_team for p in i.pages()),
    "someone off the roster paged by PagerDuty": lambda i: any(
        not p.on_roster for page in i.pages() if page.service == "pagerduty" for p, _ in page.people()),
    "a deploy relayed by logmsgbot": lambda i: any(lg.deploy and lg.channel for lg in i.logs),
    "a task linked on the SAL page": lambda i: any(lg.linked for lg in i.logs),
    "a reply in a Slack thread": lambda i: any(c.thread for c in i.chats),
    "a message outside the window": lambda i: any(not expect.in_window(i, c.at) for c in i.chats),
    **{f"a {fmt} log in a local time zone": (lambda fmt: lambda i: any(
        lg.format == fmt and lg.timezone != "UTC" for c in i.channels for lg in c.loggers))(fmt) for fmt in FORMATS},
}


@pytest.mark.parametrize("what", COMBINATIONS)
def test_the_simulator_draws_each_combination_it_claims(what):
    """The strategy draws each of these (among at most 2,000 incidents, drawn only)."""
    holds = COMBINATIONS[what]
    found = find(incidents(), holds, settings=settings(database=None, max_examples=2000, derandomize=True,
                                                       phases=[Phase.generate]))
    assert holds(found)
