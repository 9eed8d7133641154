"""`postmortem stats [REPORT…]`: one row per report, and totals; the reports are
files, or (none given) every page under --prefix on the wiki. The statistics
page is `postmortem stats-page`."""

from __future__ import annotations

import argparse

from ..core.errors import InputError
from ..core.words import counted
from ._common import error, print_json, prefix_argument, report_items, to_stdout, warn, wiki_argument

# Spellings of the statistics page before it was a command of its own (`stats-page`):
# still accepted, with a warning, and hidden from the help.
OLD_PAGE_OPTIONS = (("--publish", "--publish"), ("--graph", "--chart"), ("--sources", "--sources"),
                    ("--replace-graph", "--replace-chart"), ("--ours", "--ours"), ("--theirs", "--theirs"))


def add_parser(commands) -> None:
    sub = commands.add_parser("stats", help="one row per report, and totals",
                              description="Statistics over many reports: durations, scores, people paged, "
                                          "actionables. REPORT files, or (none given) every page under --prefix "
                                          "on the wiki. A report that cannot be read is a row with its error. "
                                          "The statistics page: `postmortem stats-page`.",
                              epilog="Examples: postmortem stats reports/*.wiki --format csv; postmortem stats "
                                     "--prefix Incidents/ --format json")
    sub.add_argument("reports", metavar="REPORT", nargs="*")
    wiki_argument(sub, "the reports are read from it when no REPORT is given")
    prefix_argument(sub)
    sub.add_argument("--format", choices=("text", "csv", "json", "wikitext"), default="text",
                     help="text (a table of the main figures, and the totals), csv or json (every figure) (wikitext: deprecated, use stats-page)")
    for old, _ in OLD_PAGE_OPTIONS:
        flag = old in ("--replace-graph", "--ours", "--theirs")
        sub.add_argument(old, dest="old" + old.replace("-", "_"), help=argparse.SUPPRESS,
                         **({"action": "store_true"} if flag else {"metavar": "X"}))
    sub.set_defaults(func=run)


def run(args) -> int:
    if args.format == "wikitext" or args.old__publish:
        return _as_stats_page(args)
    _no_page_options(args)
    from ..database.stats import report_stats
    stats = report_stats(report_items(args))
    if args.format == "csv":
        to_stdout(stats.to_csv())
    elif args.format == "json":
        print_json(stats.to_json())
    else:
        from ..database.stats_table import stats_table
        to_stdout(stats_table(stats))
    if stats.rows and not stats.totals["read"]:  # every row an error: nothing was counted
        error(f"no report could be read from the {counted(len(stats.rows), 'file')} given (each row's error says why)")
        return 1
    return 0


def _no_page_options(args) -> None:
    given = [old for old, _ in OLD_PAGE_OPTIONS if getattr(args, "old" + old.replace("-", "_"))]
    if given:
        raise InputError(f"{given[0]} goes with `postmortem stats-page`", key=given[0])


def _as_stats_page(args) -> int:
    """`stats --format wikitext` / `stats --publish PAGE`, as before: `stats-page`."""
    from . import stats_page
    warn("`stats --format wikitext` and `stats --publish` are deprecated: use `postmortem stats-page` "
         "(--graph is its --chart, --replace-graph its --replace-chart)")
    for old, new in OLD_PAGE_OPTIONS:
        setattr(args, new.lstrip("-").replace("-", "_"), getattr(args, "old" + old.replace("-", "_")))
    args.output = None
    return stats_page.run(args)
