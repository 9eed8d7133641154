"""Benchmark: `postmortem render` of the sample vs importing its bare needs.

docs/architecture.md "Fast where it matters", issue 2 ("Speed") and issue 23:
rendering the bundled sample should cost at most 1.5x
``python -c "import jinja2, dateutil.parser, tomllib"``, and commands that
need no network must not import the HTTP stack or mwparserfromhell.

Runs both commands alternately N times and prints the medians and their
ratio, then runs the render once under ``python -X importtime`` and lists
the slowest imports and whether requests, urllib3 or mwparserfromhell were
imported, and says where the render's own time goes: defining the record
classes (``dataclasses`` generates and compiles their methods at import)
and the work itself (a second render in the same process).

The goal line is measured with bytecode caching on (``PYTHONDONTWRITEBYTECODE``
removed, ``PYTHONPYCACHEPREFIX`` pointing into a temporary directory, so
nothing is written into the source tree), as an installed package runs. A
second, informational line repeats the measurement in the caller's
environment (with PYTHONDONTWRITEBYTECODE=1 every run recompiles the
package's ~5,000 lines from source).

Run from anywhere: ``python bench/bench_render.py [--runs N] [--skip-as-is]``.
Exit status 1 if a forbidden module is imported (or the render fails),
else 0; the timing goal is reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "2023-09-28-mw-page-content-change-enrich" / "incident.toml"
BASELINE = "import jinja2, dateutil.parser, tomllib"
FORBIDDEN = ("requests", "urllib3", "mwparserfromhell")
GOAL = 1.5


def render_command(output: Path, *flags: str) -> list[str]:
    return [sys.executable, *flags, "-m", "postmortem", "render", str(SAMPLE), "-o", str(output)]


def baseline_command() -> list[str]:
    return [sys.executable, "-c", BASELINE]


def bytecode_env(cache_dir: Path) -> dict[str, str]:
    """The environment with .pyc files written and read under ``cache_dir``."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    return env


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}): "
                 f"{result.stderr.decode(errors='replace').strip()}")
    return elapsed


def alternate(a: list[str], b: list[str], runs: int,
              env: dict[str, str]) -> tuple[list[float], list[float]]:
    """``runs`` timings of each, interleaved (a, b, b, a, ...) so drift hits both."""
    run_once(a, env), run_once(b, env)  # warm the page cache and .pyc files
    times_a, times_b = [], []
    for n in range(runs):
        order = ((a, times_a), (b, times_b)) if n % 2 == 0 else ((b, times_b), (a, times_a))
        for cmd, sink in order:
            sink.append(run_once(cmd, env))
    return times_a, times_b


def import_times(cmd: list[str], env: dict[str, str]) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) for every import `-X importtime` reports."""
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((int(own), int(cumulative), depth, name.strip()))
    return rows


def top_level(name: str) -> str:
    return name.split(".", 1)[0]


def report_imports(output: Path, env: dict[str, str]) -> bool:
    """Print the heavy imports of the render; True when no forbidden module is imported."""
    rows = import_times(render_command(output, "-X", "importtime"), env)
    modules = {name for _, _, _, name in rows}
    packages: dict[str, int] = {}
    for own, _, _, name in rows:
        packages[top_level(name)] = packages.get(top_level(name), 0) + own
    heaviest = sorted(packages.items(), key=lambda item: -item[1])[:12]
    total = sum(packages.values())
    print(f"imports: {len(modules)} modules, {total / 1000:.1f} ms of import time in all; "
          "heaviest packages (self time summed): "
          + ", ".join(f"{name} {micro / 1000:.1f}ms" for name, micro in heaviest))
    roots = [(cumulative, name) for _, cumulative, depth, name in rows if depth == 0]
    print("imports: slowest top-level imports (cumulative): "
          + ", ".join(f"{name} {micro / 1000:.1f}ms" for micro, name in sorted(roots, reverse=True)[:8]))
    found = {bad: sorted(m for m in modules if top_level(m) == bad) for bad in FORBIDDEN}
    clean = True
    for bad, hits in found.items():
        if hits:
            clean = False
            print(f"imports: {bad}: IMPORTED ({len(hits)} modules, e.g. {', '.join(hits[:3])})")
        else:
            print(f"imports: {bad}: not imported")
    print(f"imports: {'ok' if clean else 'FAILED'}: render "
          f"{'imports none of' if clean else 'must not import'} {', '.join(FORBIDDEN)}")
    return clean


def measure(label: str, render: list[str], baseline: list[str], runs: int,
            env: dict[str, str], output: Path) -> None:
    render_times, baseline_times = alternate(render, baseline, runs, env)
    lines = len(output.read_text(encoding="utf-8").splitlines())
    render_median, baseline_median = statistics.median(render_times), statistics.median(baseline_times)
    ratio = render_median / baseline_median
    verdict = "ok" if ratio <= GOAL else "MISSED"
    print(f"{label}: render {render_median:.3f}s baseline {baseline_median:.3f}s ratio {ratio:.2f}x "
          f"(goal <= {GOAL}x, {verdict}; medians of {runs} alternating runs; report {lines} lines; "
          f"render min {min(render_times):.3f}s, baseline min {min(baseline_times):.3f}s, "
          f"ratio of minimums {min(render_times) / min(baseline_times):.2f}x)")
    return render_median, baseline_median


# One render in a fresh process, then a second one in the same process (everything
# imported, templates and patterns compiled: the work alone); the time dataclasses
# spends defining record classes is summed on the way (a private stdlib function,
# wrapped only here, to measure).
_BREAKDOWN = """
import dataclasses, json, sys, time
spent, real = [0.0, 0], dataclasses._process_class
def timed(*args, **kwargs):
    begun = time.perf_counter()
    try:
        return real(*args, **kwargs)
    finally:
        spent[0] += time.perf_counter() - begun
        spent[1] += 1
dataclasses._process_class = timed
from postmortem.cli import main
main(sys.argv[1:])
begun = time.perf_counter()
main(sys.argv[1:])
print(json.dumps({"classes": spent[1], "defining": spent[0], "work": time.perf_counter() - begun}))
"""


def report_breakdown(output: Path, env: dict[str, str], runs: int = 7) -> None:
    """Print the medians of the time spent defining record classes and of the work alone."""
    args = render_command(output)[3:]
    found = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _BREAKDOWN, *args], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"breakdown: not measured ({done.stderr.strip().splitlines()[-1:]})")
            return
        found.append(json.loads(done.stdout.splitlines()[-1]))
    defining = statistics.median(f["defining"] for f in found) * 1000
    work = statistics.median(f["work"] for f in found) * 1000
    print(f"breakdown: {found[0]['classes']} record classes defined in {defining:.1f}ms "
          f"(dataclasses compiles their methods at import); the work alone (a second render "
          f"in the same process) {work:.1f}ms; medians of {runs}")


def site_extras(rows: list[tuple[int, int, int, str]]) -> list[tuple[str, int]]:
    """Packages that interpreter start-up (``site``: .pth files, sitecustomize)
    imports besides the standard library's own start-up modules, with their
    cumulative µs: a cost paid by every process, both sides of the ratio."""
    usual = {"os", "stat", "_collections_abc", "posixpath", "genericpath", "_sitebuiltins",
             "_distutils_hack", "sitecustomize", "usercustomize", "encodings", "codecs", "io", "abc"}
    extras = []
    for index, (_, _, depth, name) in enumerate(rows):
        if depth != 0 or name != "site":
            continue
        back = index - 1
        while back >= 0 and rows[back][2] > 0:
            _, cumulative, child_depth, child = rows[back]
            if child_depth == 1 and top_level(child) not in usual:
                extras.append((child, cumulative))
            back -= 1
    return extras


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs per command (default 21)")
    parser.add_argument("--skip-as-is", action="store_true",
                        help="skip the informational run in the caller's environment")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="postmortem-bench-render-") as tmp:
        output = Path(tmp) / "report.wiki"
        env = bytecode_env(Path(tmp) / "pycache")
        render, baseline = render_command(output), baseline_command()
        print(f"render:   {' '.join(render)}  (cwd {REPO})")
        print(f"baseline: {sys.executable} -c {BASELINE!r}")
        render_median, baseline_median = measure("render", render, baseline, args.runs, env, output)
        if not args.skip_as_is:
            note = ("PYTHONDONTWRITEBYTECODE=1, no .pyc"
                    if os.environ.get("PYTHONDONTWRITEBYTECODE") else "unchanged")
            measure(f"render (caller's environment: {note}; informational)",
                    render, baseline, args.runs, dict(os.environ), output)
        clean = report_imports(output, env)
        report_breakdown(output, env)
        samples = [site_extras(import_times([sys.executable, "-X", "importtime", "-c", "pass"], env))
                   for _ in range(7)]
        if samples[0]:
            cost = statistics.median(sum(micro for _, micro in extras) for extras in samples) / 1e6
            adjusted = (render_median - cost) / (baseline_median - cost)
            print(f"note: interpreter start-up (site, .pth files) also imports "
                  f"{', '.join(name for name, _ in samples[0])} in every process, on both sides "
                  f"(median {cost * 1000:.1f}ms under -X importtime); without it the ratio would be "
                  f"at most about {adjusted:.2f}x (importtime overstates import costs)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
