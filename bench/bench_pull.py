"""Benchmark: `pull` against local SAL, Slack, Phabricator, Splunk On-Call and
PagerDuty servers with 50 ms of added latency per request.

Prints, per source, the requests made and its wall time against its lower
bound: the pages the APIs need for the window (SAL: entries from the window
start to the end of its last day, 200 a page, plus the one older entry that
proves the window is covered; Slack: history pages of 999 plus one per thread;
Conduit: 100 tasks a page plus one owners page; Splunk On-Call: incidents 100
a page; PagerDuty: incidents 100 a page, one log-entries page per incident,
one request per person paged) times the latency. Then the whole pull, whose
sources are fetched at once: its wall time against the slowest source's own
bound (the aim: at most 1.2 times it), and the sum of the bounds that fetching
one source after the other could not beat. Medians over a few runs.

    python bench/bench_pull.py [--runs 5] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postmortem.incident.load import load_incident  # noqa: E402
from postmortem.collect.pull import pull  # noqa: E402
from postmortem.core.model import incident_window  # noqa: E402
from tests.services import (FakeServer, conduit_app, pagerduty_app, sal_app, sal_entries, slack_app,  # noqa: E402
                            splunk_app, task_fields)

TOKEN = "xoxb-bench"
START = dt.datetime(2023, 9, 28, 14, 0, tzinfo=dt.timezone.utc)
END = START + dt.timedelta(hours=30)


def data():
    """A year-ish of SAL entries every 5 min, a busy Slack channel, 150 actionables."""
    sal = sal_entries(START - dt.timedelta(days=20), 12_000, dt.timedelta(minutes=5))
    messages = [{"type": "message", "ts": f"{(START + dt.timedelta(seconds=40 * n)).timestamp():.0f}.000100",
                 "user": "U1", "text": f"update {n}", **({"thread_ts": f"{(START + dt.timedelta(seconds=40 * n)).timestamp():.0f}.000100",
                                                        "reply_count": 2} if n % 500 == 0 else {})}
                for n in range(2500)]
    replies = {m["ts"]: [{"type": "message", "ts": f"{float(m['ts']) + 5:.6f}", "user": "U2",
                          "thread_ts": m["ts"], "text": "ack"}] for m in messages if "thread_ts" in m}
    tasks = {300000 + n: task_fields(f"Task {n}", "open", f"PHID-USER-{n % 7}") for n in range(150)}
    return sal, messages, replies, tasks


def paging_data():
    """A page every 10 minutes in Splunk On-Call (two people each); 40 PagerDuty
    incidents of five log entries, reaching two people."""
    iso = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    vo = [{"incidentNumber": str(n), "startTime": iso(START + dt.timedelta(minutes=10 * n)), "currentPhase": "resolved",
           "entityId": f"probe/{n}", "entityDisplayName": f"ProbeDown {n}", "pagedUsers": ["ana", "bo"],
           "pagedTeams": [], "pagedPolicies": [],
           "transitions": [{"name": "triggered", "at": iso(START + dt.timedelta(minutes=10 * n))},
                           {"name": "acknowledged", "at": iso(START + dt.timedelta(minutes=10 * n + 3)), "by": "ana"}]}
          for n in range(180)]
    people = {f"PU{n}": {"id": f"PU{n}", "name": f"Person {n}", "email": f"p{n}@example.org",
                         "time_zone": "Europe/Warsaw"} for n in range(2)}
    incidents, entries = [], {}
    for n in range(40):
        at = iso(START + dt.timedelta(minutes=30 * n))
        incidents.append({"id": f"Q{n}", "incident_number": n, "title": f"Checkout {n}", "created_at": at,
                          "html_url": f"https://acme.pagerduty.com/incidents/Q{n}", "teams": [{"summary": "Payments"}]})
        entries[f"Q{n}"] = [{"type": "trigger_log_entry", "created_at": at, "agent": {"type": "service_reference"}},
                            *({"type": "notify_log_entry", "created_at": at, "user": {"id": uid, "summary": u["name"]},
                               "channel": {"type": "sms"}} for uid, u in people.items()),
                            {"type": "acknowledge_log_entry", "created_at": at, "channel": {"type": "website"},
                             "agent": {"type": "user_reference", "id": "PU0", "summary": "Person 0"}},
                            {"type": "resolve_log_entry", "created_at": at, "agent": {"type": "service_reference"}}]
    return vo, (incidents, entries, people)


def pages_needed(sal, messages, tasks, vo, pd, window) -> dict:
    """The fewest requests each API allows for the window."""
    end_of_day = dt.datetime.combine(window.end.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    newer = sum(1 for e in sal if window.start <= e.time < end_of_day)
    older = any(e.time < window.start for e in sal)
    in_window = [m for m in messages if window.start.timestamp() <= float(m["ts"]) <= window.end.timestamp()]
    threads = sum(1 for m in in_window if m.get("reply_count"))
    started = lambda value: window.start < dt.datetime.fromisoformat(value) < window.end  # noqa: E731
    vo_in = sum(1 for i in vo if started(i["startTime"]))
    pd_in = sum(1 for i in pd[0] if started(i["created_at"]))
    return {"sal": math.ceil((newer + older) / 200),
            "slack": math.ceil(len(in_window) / 999) + threads,
            "phabricator": math.ceil(len(tasks) / 100) + 1,
            "splunk-oncall": max(1, math.ceil(vo_in / 100)),
            "pagerduty": max(1, math.ceil(pd_in / 100)) + pd_in + len(pd[2])}


def incident_text(sal_url, slack_url, phab_url, vo_url, pd_url, tasks) -> str:
    actionables = "".join(f'\n[[actionable]]\ntask = "T{n}"\ntext = "fix {n}"\n' for n in tasks)
    return f'''[incident]
id = "bench"
start = "{START:%Y-%m-%d %H:%M}"
end = "{END:%Y-%m-%d %H:%M}"

[[source]]
type = "sal"
url = "{sal_url}"

[[source]]
type = "slack"
url = "{slack_url}"
channel = "C0123"
token_env = "BENCH_SLACK_TOKEN"

[[source]]
type = "phabricator"
url = "{phab_url}"
token_env = "BENCH_SLACK_TOKEN"

[[source]]
type = "splunk-oncall"
url = "{vo_url}"
org = "bench"
api_id_env = "BENCH_SLACK_TOKEN"
api_key_env = "BENCH_SLACK_TOKEN"

[[source]]
type = "pagerduty"
url = "{pd_url}"
token_env = "BENCH_SLACK_TOKEN"
{actionables}'''


def run_once(folder: Path, servers, tasks) -> dict:
    path = folder / "incident.toml"
    path.write_text(incident_text(*(s.url for s in servers), tasks))
    started = time.perf_counter()
    report = pull(load_incident(path), refresh=True)
    wall = time.perf_counter() - started
    assert report.ok, report.lines()
    return {"wall": wall, "per_source": {r.name.split("(")[1].rstrip(")"): (r.requests, r.seconds)
                                         for r in report.results}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args(argv)
    os.environ["BENCH_SLACK_TOKEN"] = TOKEN
    sal, messages, replies, tasks = data()
    vo, pd = paging_data()
    users = {f"PHID-USER-{n}": f"user{n}" for n in range(7)}
    with tempfile.TemporaryDirectory() as tmp, \
            FakeServer(sal_app(sal), latency=args.latency) as s1, \
            FakeServer(slack_app(messages, replies, token=TOKEN, page_size=999), latency=args.latency) as s2, \
            FakeServer(conduit_app(tasks, users, token=TOKEN), latency=args.latency) as s3, \
            FakeServer(splunk_app(vo, {}, api_id=TOKEN, api_key=TOKEN), latency=args.latency) as s4, \
            FakeServer(pagerduty_app(*pd, token=TOKEN), latency=args.latency) as s5:
        runs = [run_once(Path(tmp), (s1, s2, s3, s4, s5), tasks) for _ in range(args.runs)]
        window = incident_window(load_incident(Path(tmp) / "incident.toml"))
    report(runs, pages_needed(sal, messages, tasks, vo, pd, window), args)
    return 0


def report(runs: list, needed: dict, args) -> None:
    """Per source against its own bound; then the whole pull against the slowest source's."""
    print(f"pull, {args.runs} runs, {args.latency * 1000:.0f} ms added per request (medians)")
    print(f"{'source':<14} {'requests':>8} {'needed':>6} {'wall s':>7} {'bound s':>7} {'ratio':>6}")
    for name, pages in needed.items():
        requests = statistics.median(r["per_source"][name][0] for r in runs)
        seconds = statistics.median(r["per_source"][name][1] for r in runs)
        bound = pages * args.latency
        print(f"{name:<14} {requests:>8.0f} {pages:>6} {seconds:>7.3f} {bound:>7.3f} {seconds / bound:>6.2f}")
    total_requests = statistics.median(sum(v[0] for v in r["per_source"].values()) for r in runs)
    total_pages = sum(needed.values())
    wall = statistics.median(r["wall"] for r in runs)
    slowest = max(needed, key=needed.get)
    bound = needed[slowest] * args.latency
    print(f"{'all at once':<14} {total_requests:>8.0f} {total_pages:>6} {wall:>7.3f} {bound:>7.3f} {wall / bound:>6.2f}")
    print(f"requests/needed = {total_requests / total_pages:.2f}; wall / the slowest source's bound "
          f"({slowest}: {needed[slowest]} requests x {args.latency * 1000:.0f} ms) = {wall / bound:.2f} (aim <= 1.2); "
          f"one source after the other could not beat {total_pages * args.latency:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
