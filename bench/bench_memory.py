"""Benchmark: memory independent of input size outside the window (issue 16).

Peak resident memory (RSS) of ``python -m postmortem timeline INCIDENT.toml
--format json`` for a 4-hour window:

- ``irc``: one WeeChat log of a year (about 2 GB, every line dated) against a
  log holding only the window's lines;
- ``sal``: a Server Admin Log page of 10 million lines against the window's day;

each as the ratio big/small (goal <= 1.2x: the big input is streamed, never
held). And ``bomb``: the peak RSS of finding `update`'s base on a page whose
history holds a revision with the tool's edit summary and a base marker that
inflates to 600 MB (goal < 200 MB: the marker is refused without inflating it).

Run from anywhere: ``python bench/bench_memory.py [--gigabytes 2] [--sal-lines 10000000] [--runs 3]``.
The inputs are generated (seeded) in a temporary folder; medians of the runs
are printed. The goals are reported, not asserted.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START = dt.datetime(2023, 1, 1)
WINDOW = ("2023-07-02 10:00", "2023-07-02 14:00")
GOAL_RATIO, GOAL_BOMB_MB = 1.2, 200
WORDS = "restart the job kafka broker lag deploy rollback enrich flink checkpoint backfill".split()


def peak_rss_kb(argv: list[str], cwd: Path) -> int:
    """The peak RSS of a command, in KB (GNU time's %M)."""
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr[-500:]}")
    return int(done.stderr.strip().splitlines()[-1])


def incident(folder: Path, source: str) -> Path:
    path = folder / "incident.toml"
    path.write_text(f'[incident]\nid = "2023-07-02 memory"\nstart = "{WINDOW[0]}"\nend = "{WINDOW[1]}"\n{source}',
                    encoding="utf-8")
    return path


def weechat_log(path: Path, size: int, rng: random.Random, only_window: bool) -> None:
    """A WeeChat log (``YYYY-MM-DD HH:MM:SS\\tnick\\tmsg``) of ``size`` bytes over the year,
    or only the lines inside the window."""
    lines_per_second = 1
    moment, written = START, 0
    lo, hi = (dt.datetime.fromisoformat(w) for w in WINDOW)
    step = dt.timedelta(seconds=max(1, int(365 * 86400 / (size / 60))))
    with path.open("w", encoding="utf-8") as out:
        while written < size and moment.year == 2023:
            line = f"{moment:%Y-%m-%d %H:%M:%S}\tnick{rng.randrange(40)}\t{' '.join(rng.choices(WORDS, k=6))}\n"
            if not only_window or lo - dt.timedelta(hours=1) <= moment < hi + dt.timedelta(hours=1):
                out.write(line)
                written += len(line)
            moment += step * lines_per_second


def sal_page(path: Path, lines: int, rng: random.Random, only_window: bool) -> None:
    """stashbot wikitext, newest day first, ``lines`` entries over the year."""
    per_day = max(1, lines // 365)
    day = dt.date(2023, 12, 31)
    with path.open("w", encoding="utf-8") as out:
        while day.year == 2023:
            if not only_window or day == dt.date(2023, 7, 2):
                rng = random.Random(day.toordinal())  # a day's lines, whatever else is written
                out.write(f"== {day.isoformat()} ==\n")
                for n in range(per_day):
                    minute = (per_day - n) * 1440 // per_day - 1
                    out.write(f"* {minute // 60:02d}:{minute % 60:02d} nick{rng.randrange(40)}: "
                              f"{' '.join(rng.choices(WORDS, k=5))}\n")
            day -= dt.timedelta(days=1)


def _timeline(toml: Path, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "postmortem", "timeline", str(toml), "--format", "json"],
                          cwd=cwd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    return done.stdout


def ratio_case(name: str, build, source: str, runs: int, tmp: Path) -> None:
    big, small = tmp / f"{name}-big", tmp / f"{name}-small"
    for folder, only in ((big, False), (small, True)):
        folder.mkdir()
        build(folder, random.Random(20230702), only)  # the same lines in both
    sizes = {f: sum(p.stat().st_size for p in f.iterdir()) for f in (big, small)}
    outputs = {f: _timeline(incident(f, source), f) for f in (big, small)}
    if outputs[big] != outputs[small] or outputs[big].count('"time"') == 0:
        raise SystemExit(f"{name}: the big and the small input give different timelines")
    peaks = {f: [] for f in (big, small)}
    for _ in range(runs):
        for folder in (big, small):
            toml = incident(folder, source)
            peaks[folder].append(peak_rss_kb([sys.executable, "-m", "postmortem", "timeline", str(toml),
                                              "--format", "json"], folder))
    medians = {f: statistics.median(p) for f, p in peaks.items()}
    ratio = medians[big] / medians[small]
    print(f"{name}: {outputs[big].count(chr(34) + 'time' + chr(34))} events in the window, both inputs; "
          f"{sizes[big] / 2**20:.0f} MB input: peak {medians[big] / 1024:.1f} MB; "
          f"window only ({sizes[small] / 2**10:.0f} KB): peak {medians[small] / 1024:.1f} MB; "
          f"ratio {ratio:.2f}x (goal <= {GOAL_RATIO}x, {'ok' if ratio <= GOAL_RATIO else 'MISSED'}; medians of {runs})")


BOMB_RUN = r'''
import base64, json, sys, zlib
import requests
from postmortem.net.mediawiki import Wiki
from postmortem.publishing.markers import edit_summary, find_base
bomb_marker = open(sys.argv[1]).read()
own_text = "== Summary ==\nthe tool's own text\n"
answers = {
    "list": {"query": {"pages": [{"title": "P", "revisions": [
        {"revid": 3, "parentid": 2, "user": "Admin", "timestamp": "2023-10-03T00:00:00Z",
         "comment": edit_summary("update", "forged")},
        {"revid": 2, "parentid": 1, "user": "Admin", "timestamp": "2023-10-02T00:00:00Z",
         "comment": edit_summary("publish", own_text)}]}]}},
    "3": {"query": {"pages": [{"title": "P", "revisions": [{"revid": 3, "user": "Admin", "comment": "",
        "slots": {"main": {"content": own_text + bomb_marker}}}]}]}},
    "2": {"query": {"pages": [{"title": "P", "revisions": [{"revid": 2, "user": "Admin", "comment": "",
        "slots": {"main": {"content": own_text}}}]}]}},
}
class Scripted(requests.adapters.BaseAdapter):
    def send(self, request, **kwargs):
        key = "list" if "rvlimit" in request.url else request.url.split("revids=")[1].split("&")[0]
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content = json.dumps(answers[key]).encode()
        return response
    def close(self):
        pass
session = requests.Session()
session.mount("https://", Scripted())
wiki = Wiki("https://wiki.example/w/api.php", session=session)
wiki.user = "Admin"
base = find_base(wiki, "P")
assert base.revid == 2 and base.passed_over, base
print(base.passed_over[0][:120])
'''


def bomb_case(runs: int, tmp: Path) -> None:
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(b"0" * (1 << 20)) for _ in range(600)) + packer.flush()
    marker = tmp / "marker.txt"
    marker.write_text(f"\n<!-- postmortem-base:1:{base64.b64encode(data).decode()} -->", encoding="ascii")
    script = tmp / "bomb.py"
    script.write_text(BOMB_RUN, encoding="utf-8")
    peaks = [peak_rss_kb([sys.executable, str(script), str(marker)], tmp) for _ in range(runs)]
    peak = statistics.median(peaks) / 1024
    print(f"bomb: a {len(data) / 2**10:.0f} KB marker inflating to 600 MB: peak {peak:.1f} MB while finding "
          f"the base (goal < {GOAL_BOMB_MB} MB, {'ok' if peak < GOAL_BOMB_MB else 'MISSED'}; median of {runs})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0, help="size of the year's IRC log")
    parser.add_argument("--sal-lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postmortem-bench-memory-") as name:
        tmp = Path(name)
        ratio_case("irc", lambda folder, rng, only: weechat_log(folder / "ops.weechatlog",
                                                                  int(args.gigabytes * 2**30), rng, only),
                   '[[source]]\ntype = "irc"\npath = "ops.weechatlog"\nchannel = "#ops"\n', args.runs, tmp)
        ratio_case("sal", lambda folder, rng, only: sal_page(folder / "sal.wiki", args.sal_lines, rng, only),
                   '[[source]]\ntype = "sal-wikitext"\npath = "sal.wiki"\n', args.runs, tmp)
        bomb_case(args.runs, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
