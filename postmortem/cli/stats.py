"""`postmortem stats REPORT...`: one row per report, and totals."""

from __future__ import annotations

import sys

from ..core.errors import InputError
from ._common import print_json


def add_parser(commands) -> None:
    sub = commands.add_parser("stats", help="one row per report, and totals",
                              description="Statistics over many reports: durations, scores, people paged, "
                                          "actionables. A report that cannot be read is a row with its error.",
                              epilog="Example: postmortem stats reports/*.wiki --format csv")
    sub.add_argument("reports", metavar="REPORT", nargs="*")
    sub.add_argument("--wiki", metavar="API_URL", help="read every page under --prefix from this wiki")
    sub.add_argument("--prefix", metavar="PREFIX", default="Incidents/", help="with --wiki (default Incidents/)")
    sub.add_argument("--format", choices=("csv", "json"), default="json")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..read.stats import report_stats
    stats = report_stats(_items(args))
    if args.format == "csv":
        sys.stdout.write(stats.to_csv())
    else:
        print_json(stats.to_json())
    return 0


def _items(args):
    if args.wiki:
        from ..collect.mediawiki import read_pages_under
        return read_pages_under(args.wiki, args.prefix)
    if not args.reports:
        raise InputError("give REPORT files, or --wiki URL --prefix PREFIX")
    return args.reports
