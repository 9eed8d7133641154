"""Benchmark: a 4-hour window out of a year of records vs the same day alone.

docs/architecture.md "Fast where it matters" and issue 2 ("Speed"): a window out of a
year of Slack export (1,000 messages a day), IRC logs (2,000 lines a day)
and a 22,000-line SAL page must cost at most 1.5x the same command on
inputs holding only that day.

Generates (deterministic, seeded) in a temporary directory:

- ``year/``: a Slack export folder (channels.json, users.json,
  ``ops/YYYY-MM-DD.json`` x 365 days x 1,000 messages), ZNC IRC logs
  (``irc/YYYY-MM-DD.log`` x 365 x 2,000 lines) and ``sal.wiki`` (stashbot
  wikitext, newest day first, 22,000 lines);
- ``day/``: the same files for the window's day only (the Slack and IRC day
  files copied, the SAL page cut to that day's section);
- ``year-zip/`` and ``day-zip/``: the same, with the Slack export as a .zip.

Then runs ``python -m postmortem timeline INCIDENT.toml --format json``
alternately on each variant and prints medians and the year/day ratio.
Event counts are printed from one captured run of each, and the JSON
outputs are compared for equality.

Subprocesses run with bytecode caching on (``PYTHONDONTWRITEBYTECODE``
removed, ``PYTHONPYCACHEPREFIX`` pointing into the temporary directory, so
nothing is written into the source tree), as an installed package runs;
``--as-is`` keeps the caller's environment instead (with
PYTHONDONTWRITEBYTECODE=1 every run recompiles the package from source,
adding the same constant to both sides).

Run from anywhere: ``python bench/bench_window.py [--runs N] [--no-zip] [--as-is] [--keep]``.
Exit status 1 if the outputs differ (a correctness problem), else 0; the
timing goal is reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
YEAR = 2023
DAY = dt.date(YEAR, 7, 2)                   # the middle of the year
WINDOW = ("2023-07-02 10:00", "2023-07-02 14:00")
SLACK_PER_DAY = 1000
IRC_PER_DAY = 2000
SAL_LINES = 22000
CHANNEL = "ops"
GOAL = 1.5
SEED = 20230702

NICKS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
         "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
         "victor", "walter", "brennen@deploy2002", "logmsgbot"]
WORDS = ("restart deploy kafka broker flink job backlog alert page replica lag "
         "partition throttle helm eqiad codfw scap sync rollback patch merge review "
         "dashboard grafana latency error rate queue worker pod node host").split()


def sentence(rng: random.Random, low: int = 4, high: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def days_of_year() -> list[dt.date]:
    first = dt.date(YEAR, 1, 1)
    return [first + dt.timedelta(days=n) for n in range(365)]


# -- Slack export ---------------------------------------------------------------

def slack_users() -> list[dict]:
    return [{"id": f"U{n:07d}", "name": nick.split("@")[0], "real_name": nick.title(),
             "profile": {"display_name": nick.split("@")[0], "real_name": nick.title()}}
            for n, nick in enumerate(NICKS)]


def slack_day(rng: random.Random, day: dt.date, users: list[dict]) -> list[dict]:
    """1,000 messages spread over the UTC day: plain, mentions, links, threads, noise."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).timestamp()
    seconds = sorted(rng.randrange(86400 * 1000) for _ in range(SLACK_PER_DAY))
    messages, parents = [], []
    for n, ms in enumerate(seconds):
        ts = f"{midnight + ms / 1000:.3f}{n % 1000:03d}"
        user = rng.choice(users)["id"]
        kind = rng.random()
        if kind < 0.02:
            messages.append({"type": "message", "subtype": "channel_join", "ts": ts,
                             "user": user, "text": f"<@{user}> has joined the channel"})
            continue
        text = sentence(rng)
        if kind < 0.15:
            text = f"<@{rng.choice(users)['id']}> {text}"
        elif kind < 0.22:
            text = f"{text} <https://phabricator.wikimedia.org/T{rng.randint(100000, 399999)}|task>"
        message = {"type": "message", "ts": ts, "user": user, "text": text}
        if parents and kind > 0.85:
            message["thread_ts"] = rng.choice(parents[-20:])
        elif kind > 0.8:
            parents.append(ts)
            message["thread_ts"] = ts
        messages.append(message)
    return messages


def write_slack(root: Path, rng: random.Random, days: list[dt.date]) -> dict[dt.date, bytes]:
    """The Slack export folder; returns each day file's bytes (for the day variant)."""
    root.mkdir(parents=True)
    users = slack_users()
    (root / "users.json").write_text(json.dumps(users, indent=1))
    (root / "channels.json").write_text(json.dumps([{"id": "C0000001", "name": CHANNEL}]))
    (root / CHANNEL).mkdir()
    files = {}
    for day in days:
        data = json.dumps(slack_day(rng, day, users), indent=4).encode()
        (root / CHANNEL / f"{day.isoformat()}.json").write_bytes(data)
        files[day] = data
    return files


def zip_folder(folder: Path, target: Path) -> None:
    """A .zip holding the export at its top level (as Slack ships it)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())


# -- IRC (ZNC) ------------------------------------------------------------------

def irc_day(rng: random.Random) -> str:
    """2,000 ZNC lines over the day: messages, actions, joins/parts."""
    seconds = sorted(rng.randrange(86400) for _ in range(IRC_PER_DAY))
    lines = []
    for second in seconds:
        clock = f"[{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}]"
        nick = rng.choice(NICKS[:-2])
        kind = rng.random()
        if kind < 0.05:
            lines.append(f"{clock} *** Joins: {nick} (~{nick}@user/{nick})")
        elif kind < 0.08:
            lines.append(f"{clock} *** Quits: {nick} (~{nick}@user/{nick}) (Ping timeout)")
        elif kind < 0.12:
            lines.append(f"{clock} * {nick} {sentence(rng, 2, 6)}")
        else:
            lines.append(f"{clock} <{nick}> {sentence(rng)}")
    return "\n".join(lines) + "\n"


def write_irc(root: Path, rng: random.Random, days: list[dt.date]) -> dict[dt.date, str]:
    root.mkdir(parents=True)
    files = {}
    for day in days:
        text = irc_day(rng)
        (root / f"{day.isoformat()}.log").write_text(text)
        files[day] = text
    return files


# -- SAL wikitext -----------------------------------------------------------------

def sal_sections(rng: random.Random, days: list[dt.date]) -> dict[dt.date, list[str]]:
    """Per day: heading, entries (newest first, as stashbot writes), blank line;
    22,000 lines in all."""
    per_day, extra = divmod(SAL_LINES, len(days))
    sections = {}
    for index, day in enumerate(days):
        count = per_day + (1 if index < extra else 0) - 2  # minus heading and blank
        minutes = sorted((rng.randrange(1440) for _ in range(count)), reverse=True)
        lines = [f"== {day.isoformat()} =="]
        for minute in minutes:
            nick = rng.choice(NICKS)
            message = sentence(rng).replace(" ", " {{!}} ", 1) if rng.random() < 0.05 else sentence(rng)
            entry = f"{minute // 60:02d}:{minute % 60:02d} {nick}: {message}"
            if rng.random() < 0.3:
                lines.append(f"* {{{{safesubst:SAL entry|1={entry}}}}}")
            else:
                lines.append(f"* {entry}")
        lines.append("")
        sections[day] = lines
    return sections


def write_sal(path: Path, sections: dict[dt.date, list[str]], days: list[dt.date]) -> int:
    lines = []
    for day in sorted(days, reverse=True):
        lines.extend(sections[day])
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


# -- incident.toml ----------------------------------------------------------------

def write_incident(folder: Path, slack_path: str) -> Path:
    path = folder / "incident.toml"
    path.write_text(f"""\
[incident]
id = "{DAY.isoformat()} bench window"
start = "{WINDOW[0]}"
end = "{WINDOW[1]}"

[[source]]
type = "slack-export"
path = "{slack_path}"
channels = ["{CHANNEL}"]

[[source]]
type = "irc"
path = "irc/*.log"
format = "znc"
channel = "#wikimedia-operations"

[[source]]
type = "sal-wikitext"
path = "sal.wiki"
""")
    return path


def generate(tmp: Path) -> dict[str, Path]:
    """Every variant's incident.toml, by name."""
    rng = random.Random(SEED)
    days = days_of_year()
    year, day = tmp / "year", tmp / "day"
    slack_files = write_slack(year / "slack", rng, days)
    irc_files = write_irc(year / "irc", rng, days)
    sections = sal_sections(rng, days)
    sal_lines = write_sal(year / "sal.wiki", sections, days)
    assert sal_lines == SAL_LINES, sal_lines

    (day / "slack" / CHANNEL).mkdir(parents=True)
    shutil.copy(year / "slack" / "users.json", day / "slack" / "users.json")
    shutil.copy(year / "slack" / "channels.json", day / "slack" / "channels.json")
    (day / "slack" / CHANNEL / f"{DAY.isoformat()}.json").write_bytes(slack_files[DAY])
    (day / "irc").mkdir()
    (day / "irc" / f"{DAY.isoformat()}.log").write_text(irc_files[DAY])
    write_sal(day / "sal.wiki", sections, [DAY])

    variants = {"year": write_incident(year, "slack"), "day": write_incident(day, "slack")}
    for name, folder in (("year", year), ("day", day)):
        zipped = tmp / f"{name}-zip"
        zipped.mkdir()
        zip_folder(folder / "slack", zipped / "slack.zip")
        # the other inputs are shared: link them rather than copy
        os.symlink(folder / "irc", zipped / "irc")
        os.symlink(folder / "sal.wiki", zipped / "sal.wiki")
        variants[f"{name}-zip"] = write_incident(zipped, "slack.zip")
    return variants


# -- timing -----------------------------------------------------------------------

def command(incident: Path) -> list[str]:
    return [sys.executable, "-m", "postmortem", "timeline", str(incident), "--format", "json"]


ENV = dict(os.environ)


def bytecode_env(cache_dir: Path) -> dict[str, str]:
    """The environment with .pyc files written and read under ``cache_dir``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    return env


def run_once(incident: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command(incident), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=ENV)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command(incident))} failed ({result.returncode}): "
                 f"{result.stderr.decode(errors='replace').strip()}")
    return elapsed


def events_of(incident: Path) -> list[dict]:
    result = subprocess.run(command(incident), cwd=REPO, capture_output=True, check=True, env=ENV)
    return json.loads(result.stdout)


def comparable(events: list[dict], incident: Path) -> list[dict]:
    """The events with each ``place`` made relative to the variant's folder, and a
    SAL place without its line: the day's SAL page is a cut of the year's, so the
    same entry stands on another line of it."""
    root = f"{incident.parent}/"
    return [{**event, "place": _relative_place(event.get("place"), root)} for event in events]


def _relative_place(place: str | None, root: str) -> str | None:
    if not place:
        return place
    place = place.removeprefix(root)
    return place.rsplit(":", 1)[0] if place.startswith("sal.wiki:") else place


def alternate(a: Path, b: Path, runs: int) -> tuple[list[float], list[float]]:
    """``runs`` timings of each, interleaved (a, b, b, a, ...) so drift hits both."""
    run_once(a), run_once(b)  # warm the page cache and .pyc files
    times_a, times_b = [], []
    for n in range(runs):
        order = ((a, times_a), (b, times_b)) if n % 2 == 0 else ((b, times_b), (a, times_a))
        for incident, sink in order:
            sink.append(run_once(incident))
    return times_a, times_b


def compare(label: str, year: Path, day: Path, runs: int) -> bool:
    """Print counts, medians and the ratio; True when the outputs are equal."""
    year_events, day_events = events_of(year), events_of(day)
    same = comparable(year_events, year) == comparable(day_events, day)
    print(f"{label}: events year {len(year_events)} day {len(day_events)} "
          f"({'identical output' if same else 'OUTPUTS DIFFER'})")
    by_source: dict[str, int] = {}
    for event in year_events:
        by_source[event["source"]] = by_source.get(event["source"], 0) + 1
    print(f"{label}: by source {json.dumps(by_source, sort_keys=True)}")
    year_times, day_times = alternate(year, day, runs)
    year_median, day_median = statistics.median(year_times), statistics.median(day_times)
    ratio = year_median / day_median
    verdict = "ok" if ratio <= GOAL else "MISSED"
    print(f"{label}: year {year_median:.3f}s day {day_median:.3f}s ratio {ratio:.2f}x "
          f"(goal <= {GOAL}x, {verdict}; medians of {runs} alternating runs; "
          f"year min {min(year_times):.3f}s max {max(year_times):.3f}s, "
          f"day min {min(day_times):.3f}s max {max(day_times):.3f}s, "
          f"ratio of minimums {min(year_times) / min(day_times):.2f}x)")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per variant (default 21)")
    parser.add_argument("--no-zip", action="store_true", help="skip the .zip Slack export variant")
    parser.add_argument("--as-is", action="store_true",
                        help="run with the caller's environment (no bytecode cache set up)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and print where")
    args = parser.parse_args()

    global ENV
    tmp = Path(tempfile.mkdtemp(prefix="postmortem-bench-window-"))
    try:
        if not args.as_is:
            ENV = bytecode_env(tmp / "pycache")
        started = time.perf_counter()
        variants = generate(tmp)
        size = sum(p.stat().st_size for p in (tmp / "year").rglob("*") if p.is_file())
        print(f"generated a year ({size / 1e6:.0f} MB: 365 Slack day files x {SLACK_PER_DAY} "
              f"messages, 365 ZNC logs x {IRC_PER_DAY} lines, {SAL_LINES}-line SAL page) "
              f"and the {DAY} day alone in {time.perf_counter() - started:.1f}s; "
              f"window {WINDOW[0]} .. {WINDOW[1]} UTC")
        print(f"command: {' '.join(command(Path('INCIDENT.toml')))}  (cwd {REPO}; "
              + ("caller's environment)" if args.as_is else
                 "bytecode cached in PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE unset)"))
        same = compare("window", variants["year"], variants["day"], args.runs)
        if not args.no_zip:
            same &= compare("window-zip", variants["year-zip"], variants["day-zip"], args.runs)
        if args.keep:
            print(f"data kept in {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
