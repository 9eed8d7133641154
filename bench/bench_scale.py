"""Benchmark: dense incidents (issue 22) — time per event and memory per event.

Two generated (seeded) incidents, each read by ``check``, ``timeline`` (five
minutes of it, ``--since``/``--until``) and ``render``:

- ``irc``: a week of one channel in ZNC day files, ``--lines`` lines (people
  talking, one line in a hundred a ``!log``), at 100k and at the full count;
  the goal: time per event at the full count at most 1.3x that at 100k;
- ``storm``: ``--alerts`` alerts firing in one hour, each announced on IRC by
  jinxer-wm and mailed by Alertmanager in grouped notifications of 100
  alerts (one fact seen twice: the merge makes them one).

For each command: the median wall time of ``--runs`` runs, microseconds per
record read, and peak RSS (GNU time's %M) less the peak of the same command on
a ten-line incident measured in the same run (the constant), per record read
in the window (a storm's alert is two records: per alert, twice that); goal
<= 1 KB per record. ``timeline`` reads only around its five minutes, so its
figures are per record of the incident, not of what it read. The figures are
printed, not asserted.

Run from anywhere: ``python bench/bench_scale.py [--lines 1000000] [--alerts 30000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START = dt.datetime(2024, 3, 4)          # a Monday; the week runs to the Sunday
WORDS = "restart the job kafka broker lag deploy rollback enrich flink checkpoint backfill db failover".split()
GOAL_GROWTH, GOAL_BYTES = 1.3, 1024


def irc_week(folder: Path, lines: int, rng: random.Random) -> None:
    """``lines`` lines over seven days, one ZNC file a day."""
    channel = folder / "irc" / "#ops"
    channel.mkdir(parents=True)
    step = 7 * 86400 / lines
    for day in range(7):
        with (channel / f"{(START + dt.timedelta(days=day)):%Y-%m-%d}.log").open("w", encoding="utf-8") as out:
            first, last = int(day * lines / 7), int((day + 1) * lines / 7)
            for n in range(first, last):
                moment = START + dt.timedelta(seconds=n * step)
                said = " ".join(rng.choices(WORDS, k=7))
                text = f"!log {said} T{rng.randrange(300000, 400000)}" if n % 100 == 0 else said
                out.write(f"[{moment:%H:%M:%S}] <nick{rng.randrange(60)}> {text} {n}\n")


def alert_storm(folder: Path, alerts: int, rng: random.Random) -> None:
    """``alerts`` alerts in an hour: jinxer-wm's lines and Alertmanager's grouped mails."""
    channel = folder / "irc" / "#ops"
    channel.mkdir(parents=True)
    mails = folder / "mail"
    mails.mkdir()
    fired = sorted((rng.randrange(3600), n) for n in range(alerts))
    with (channel / f"{START:%Y-%m-%d}.log").open("w", encoding="utf-8") as out:
        for second, n in fired:
            moment = START + dt.timedelta(hours=12, seconds=second)
            out.write(f"[{moment:%H:%M:%S}] <jinxer-wm> FIRING: {_name(n)}: {_summary(n)} - "
                      f"https://alerts.example.org/?q={n}\n")
    for group in range(0, alerts, 100):
        members = fired[group:group + 100]
        moment = START + dt.timedelta(hours=12, seconds=members[0][0])
        body = "".join(f"Labels:\n - alertname = {_name(n)}\n - instance = host{n}\n - severity = critical\n"
                       f"Annotations:\n - summary = {_summary(n)}\nSource: https://prometheus.example.org/g\n\n"
                       for _, n in members)
        (mails / f"{group:06d}.eml").write_text(
            f"From: alertmanager@example.org\nSubject: [FIRING:{len(members)}] storm\n"
            f"Date: {moment:%a, %d %b %Y %H:%M:%S} +0000\nContent-Type: text/plain; charset=UTF-8\n\n{body}",
            encoding="utf-8")


def _name(n: int) -> str:
    return f"ProbeDown{n % 40}"


def _summary(n: int) -> str:
    return f"host{n} fails its probes"


def incident(folder: Path, end: str, mails: bool) -> Path:
    path = folder / "incident.toml"
    sources = '[[source]]\ntype = "irc"\npath = "irc/**/*.log"\nformat = "znc"\n'
    if mails:
        sources += '[[source]]\ntype = "alert-email"\npath = "mail/*.eml"\n'
    path.write_text(f'[incident]\nid = "2024-03-04 scale"\nstart = "{START:%Y-%m-%d} 00:30"\nend = "{end}"\n'
                    f'lead = "30m"\n{sources}', encoding="utf-8")
    return path


COMMANDS = {
    "check": ["check", "{toml}"],
    "timeline": ["timeline", "{toml}", "--since", "{since}", "--until", "{until}", "--format", "json"],
    "render": ["render", "{toml}", "-o", "{out}"],
}


def measure(command: str, toml: Path, since: str, runs: int) -> tuple[float, int]:
    """(median seconds, median peak RSS in KB) of one command."""
    until = f"{dt.datetime.fromisoformat(since) + dt.timedelta(minutes=5):%Y-%m-%d %H:%M}"
    argv = [a.format(toml=toml, since=since, until=until, out=toml.with_name("report.wiki"))
            for a in COMMANDS[command]]
    seconds, peaks = [], []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "postmortem", *argv],
                              cwd=toml.parent, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        seconds.append(time.perf_counter() - began)
        if done.returncode not in (0, 1):   # check exits 1 when a record was skipped
            raise SystemExit(f"{command} failed: {done.stderr[-500:]}")
        peaks.append(int(done.stderr.strip().splitlines()[-1]))
    return statistics.median(seconds), int(statistics.median(peaks))


def case(name: str, build, size: int, end: str, mails: bool, since: str, runs: int, tmp: Path,
         tiny: dict) -> dict:
    folder = tmp / f"{name}-{size}"
    folder.mkdir()
    build(folder, size, random.Random(20240304))
    toml = incident(folder, end, mails)
    records = size * (2 if mails else 1)   # a storm's alert is a relayed line and a mailed alert
    result = {}
    for command in COMMANDS:
        seconds, peak = measure(command, toml, since, runs)
        per_record = (peak - tiny[command]) * 1024 / records
        result[command] = seconds / records * 1e6
        per_alert = f" = {per_record * 2:5.0f} B/alert" if mails else ""
        print(f"{name} {records:>9,} records  {command:<8} {seconds:7.1f} s  {result[command]:6.1f} µs/record  "
              f"peak {peak / 1024:7.1f} MB = {tiny[command] / 1024:.0f} MB + {per_record:5.0f} B/record{per_alert} "
              f"(goal <= {GOAL_BYTES} B)")
    return result


def irc_growth(args, tmp: Path, tiny: dict) -> None:
    """The week of IRC at 100k lines and at ``--lines``: how time per record grows."""
    week = "2024-03-10 23:59"
    base = case("irc", irc_week, 100_000, week, False, "2024-03-05 12:00", args.runs, tmp, tiny)
    if args.lines == 100_000:
        return
    full = case("irc", irc_week, args.lines, week, False, "2024-03-05 12:00", args.runs, tmp, tiny)
    for command in COMMANDS:
        growth = full[command] / base[command]
        print(f"irc {command}: time per record at {args.lines:,} / at 100,000 = {growth:.2f}x "
              f"(goal <= {GOAL_GROWTH}x, {'ok' if growth <= GOAL_GROWTH else 'MISSED'}; medians of {args.runs})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--alerts", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("irc", "storm"), help="run one of the two incidents")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small = tmp / "tiny"
        small.mkdir()
        irc_week(small, 10, random.Random(1))
        toml = incident(small, "2024-03-10 23:59", False)
        tiny = {command: measure(command, toml, "2024-03-05 12:00", args.runs)[1] for command in COMMANDS}
        if args.only != "storm":
            irc_growth(args, tmp, tiny)
        if args.only != "irc":
            case("storm", alert_storm, args.alerts, "2024-03-04 14:00", True, "2024-03-04 12:30", args.runs, tmp, tiny)
    return 0


if __name__ == "__main__":
    sys.exit(main())
