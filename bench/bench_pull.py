"""Benchmark: `pull` against local SAL, Slack and Phabricator servers with 50 ms
of added latency per request.

Prints, per source and in all, the requests made and the wall time against
the lower bound: the pages the APIs need for the window (SAL: entries from
the window start to the end of its last day, 200 a page, plus the one older
entry that proves the window is covered; Slack: history pages of 999 plus one
per thread; Conduit: 100 tasks a page plus one owners page) times the
latency. Medians over a few runs.

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
from tests.services import FakeServer, conduit_app, sal_app, sal_entries, slack_app, task_fields  # noqa: E402

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


def pages_needed(sal, messages, tasks, window) -> dict:
    """The fewest requests each API allows for the window."""
    end_of_day = dt.datetime.combine(window.end.date() + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    newer = sum(1 for e in sal if window.start <= e.time < end_of_day)
    older = any(e.time < window.start for e in sal)
    in_window = [m for m in messages if window.start.timestamp() <= float(m["ts"]) <= window.end.timestamp()]
    threads = sum(1 for m in in_window if m.get("reply_count"))
    return {"sal": math.ceil((newer + older) / 200),
            "slack": math.ceil(len(in_window) / 999) + threads,
            "phabricator": math.ceil(len(tasks) / 100) + 1}


def incident_text(sal_url, slack_url, phab_url, tasks) -> str:
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
    users = {f"PHID-USER-{n}": f"user{n}" for n in range(7)}
    with tempfile.TemporaryDirectory() as tmp, \
            FakeServer(sal_app(sal), latency=args.latency) as s1, \
            FakeServer(slack_app(messages, replies, token=TOKEN, page_size=999), latency=args.latency) as s2, \
            FakeServer(conduit_app(tasks, users, token=TOKEN), latency=args.latency) as s3:
        runs = [run_once(Path(tmp), (s1, s2, s3), tasks) for _ in range(args.runs)]
        window = incident_window(load_incident(Path(tmp) / "incident.toml"))
    needed = pages_needed(sal, messages, tasks, window)
    print(f"pull, {args.runs} runs, {args.latency * 1000:.0f} ms added per request (medians)")
    print(f"{'source':<12} {'requests':>8} {'needed':>6} {'wall s':>7} {'bound s':>7} {'ratio':>6}")
    for name, pages in needed.items():
        requests = statistics.median(r["per_source"][name][0] for r in runs)
        seconds = statistics.median(r["per_source"][name][1] for r in runs)
        bound = pages * args.latency
        print(f"{name:<12} {requests:>8.0f} {pages:>6} {seconds:>7.3f} {bound:>7.3f} {seconds / bound:>6.2f}")
    total_requests = statistics.median(sum(v[0] for v in r["per_source"].values()) for r in runs)
    total_pages = sum(needed.values())
    wall = statistics.median(r["wall"] for r in runs)
    bound = total_pages * args.latency
    print(f"{'all':<12} {total_requests:>8.0f} {total_pages:>6} {wall:>7.3f} {bound:>7.3f} {wall / bound:>6.2f}")
    print(f"requests/needed = {total_requests / total_pages:.2f}; wall/lower bound = {wall / bound:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
