"""Benchmark: ``stats`` over 1,000 generated reports vs only ``mwparserfromhell.parse``.

Reports are generated in the shapes of tests/fixtures/reports/wikitech/*.wiki and
corpus/*.wiki (irdoc, Incident scorecard, 20-60 timeline lines in the bullet /
plain / pasted-IRC / dated / bold-under-a-dated-sub-heading forms, actionables with
tasks, bold task labels and checkboxes, the 15-question scorecard table), about
5-9 KB each. Both sides run in the same process, alternating, several rounds;
the medians and their ratio are printed (goal: at most 1.3x). The statistics
page (``stats --format wikitext``: the same, then its tables and chart) is timed
too, against ``report_stats`` alone.

    python bench/bench_stats.py [--reports 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mwparserfromhell  # noqa: E402

from postmortem.core.questions import QUESTIONS  # noqa: E402
from postmortem.database.stats import report_stats  # noqa: E402
from postmortem.database.stats_page import statistics_page  # noqa: E402

WORDS = ("sessionstore cassandra restart deploy alert page rollback swift varnish kafka flink "
         "backlog throttle eqiad codfw puppet nginx proxy replica failover latency errors users "
         "edits checkpoint broker partition investigation mitigation dashboard").split()


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(n // 2, n)))


def _timeline(rng: random.Random, day: str) -> list[str]:
    style = rng.choice(("bullet", "dated", "plain", "irc", "bold"))
    lines, minute = ["''All times in UTC.''", ""], rng.randint(0, 600)
    if style == "bold":  # as in tests/fixtures/reports/corpus/externalstorage-overload.wiki
        lines += [f"=== {day} occurrence ===", ""]
    for i in range(rng.randint(20, 60)):
        minute += rng.randint(1, 25)
        clock = f"{minute // 60 % 24:02d}:{minute % 60:02d}"
        text = _sentence(rng, 20)
        if rng.random() < 0.2:
            text += f" ({{{{PhabT|{rng.randint(100000, 400000)}}}}})"
        mark = " — '''OUTAGE BEGINS'''" if i == 1 else ""
        if style == "bold":
            lines.append(f"* '''{clock}''' {{{{Ircnick|{rng.choice(WORDS)}}}}} {text}{mark}")
        elif style == "bullet":
            lines.append(f"*{clock} {text}{mark}")
        elif style == "dated":
            lines.append(f"*{day} {clock}:{rng.randint(0, 59):02d} {text}{mark}")
        elif style == "plain":
            lines += [f"{clock}: {text}{mark}", ""]
        else:
            lines += [f"{clock}\u00a0 <{rng.choice(WORDS)}> {text}", ""]
    return lines


def _scorecard(rng: random.Random) -> list[str]:
    lines = ['{| class="wikitable"', "|+[[Incident Scorecard|Incident Engagement  ScoreCard]]",
             "!", "!Question", "!Answer", "(yes/no)", "!Notes"]
    for index, question in enumerate(QUESTIONS):
        lines.append("|-")
        if index % 5 == 0:
            lines.append(f'! rowspan="5" |{question.category}')
        lines += [f"|{question.text}", f"|{rng.choice(('yes', 'No', 'N/A', ''))}",
                  f"|{_sentence(rng, 6) if rng.random() < 0.2 else ''}"]
    lines += ["|-", '! colspan="2" align="right" |Total score (count of all “yes” answers above)',
              f"|{rng.randint(0, 15)}", "|", "|}"]
    return lines


def generate_report(rng: random.Random) -> tuple[str, str]:
    """(title, wikitext) of one realistic report."""
    day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    lines = [f"{{{{irdoc|status={rng.choice(('draft', 'review', 'final'))}}}}}", "", "== Summary ==",
             "{{Incident scorecard", f"| task = T{rng.randint(100000, 400000)}",
             f"| paged-num = {rng.randint(0, 30)}", f"| responders-num = {rng.randint(1, 9)}",
             "| coordinators = someone", f"| start = {day} 0{rng.randint(0, 9)}:{rng.randint(10, 59)}",
             f"| end = {day} 1{rng.randint(0, 9)}:{rng.randint(10, 59)}",
             "| metrics = No relevant SLOs exist", f"| impact = {_sentence(rng, 30)}", "}}", "",
             _sentence(rng, 60), "", "<!-- Reminder: No private information on this page! -->",
             "{{TOC|align=right}}", "", "==Timeline=="]
    lines += _timeline(rng, day)
    lines += ["", "==Detection==", _sentence(rng, 40), "<syntaxhighlight lang=bash>",
              "FIRING: " + _sentence(rng), "</syntaxhighlight>", "", "==Conclusions ==", "",
              "===What went well?===", "", *(f"* {_sentence(rng)}" for _ in range(3)), "",
              "===What went poorly?===", "", *(f"* {_sentence(rng)}" for _ in range(3)), "",
              "===Where did we get lucky?===", "", f"* {_sentence(rng)}", "",
              "==Links to relevant documentation==", "", "* [[Some/Runbook#Section]]", "",
              "==Actionables==", ""]
    for _ in range(rng.randint(2, 7)):
        task = rng.randint(100000, 400000)
        lines.append(rng.choice((f"* {_sentence(rng)} ({{{{PhabT|{task}}}}})",
                                 f"* [[phab:T{task}|T{task}]] {_sentence(rng)}",
                                 f"* [[phab:T{task}|'''{_sentence(rng)}''']]",
                                 f"[] {_sentence(rng)}",
                                 f"* {_sentence(rng)}")))
    lines += ["", "==Scorecard==", "", *_scorecard(rng)]
    return f"Incidents/{day} generated", "\n".join(lines) + "\n"


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--reports", type=int, default=1000)
    args.add_argument("--rounds", type=int, default=7)
    opts = args.parse_args(argv)
    rng = random.Random(20250331)
    reports = [generate_report(rng) for _ in range(opts.reports)]
    texts = [text for _, text in reports]
    size = sum(len(t.encode()) for t in texts) / len(texts)
    parse_only, stats, page = [], [], []
    for _ in range(opts.rounds):
        parse_only.append(_time(lambda: [mwparserfromhell.parse(t) for t in texts]))
        stats.append(_time(lambda: report_stats(reports)))
        page.append(_time(lambda: statistics_page(reports, graph_file="chart.svg")))
    result = report_stats(reports)
    assert result.totals["read"] == len(reports), result.totals
    p, s = statistics.median(parse_only), statistics.median(stats)
    print(f"{len(reports)} reports, {size / 1024:.1f} KB mean, {opts.rounds} rounds")
    print(f"mwparserfromhell.parse only: median {p:.3f} s")
    print(f"report_stats:                median {s:.3f} s")
    print(f"ratio: {s / p:.2f}x (goal <= 1.3x)")
    w = statistics.median(page)
    print(f"statistics page:             median {w:.3f} s ({w / s:.2f}x report_stats)")


if __name__ == "__main__":
    main()
