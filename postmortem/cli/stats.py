"""`postmortem stats REPORT...`: one row per report, and totals; `--format wikitext`
the incident statistics page, `--publish PAGE` on the wiki."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import InputError
from ..core.words import counted
from ._common import passed_over_said, print_json, print_text, to_stdout, warn, write_output


def add_parser(commands) -> None:
    sub = commands.add_parser("stats", help="one row per report, and totals; or the statistics page",
                              description="Statistics over many reports: durations, scores, people paged, "
                                          "actionables. A report that cannot be read is a row with its error. "
                                          "--format wikitext: the incident statistics page (tables and a chart "
                                          "of incidents per month); --publish PAGE creates or updates it.",
                              epilog="Examples: postmortem stats reports/*.wiki --format csv; postmortem stats "
                                     "--wiki https://wikitech.wikimedia.org/w/api.php --prefix Incidents/ "
                                     "--format wikitext --publish 'Incident statistics'")
    sub.add_argument("reports", metavar="REPORT", nargs="*")
    sub.add_argument("--wiki", metavar="API_URL", help="read every page under --prefix from this wiki")
    sub.add_argument("--prefix", metavar="PREFIX", default="Incidents/", help="with --wiki (default Incidents/)")
    sub.add_argument("--format", choices=("csv", "json", "wikitext"), default="json")
    page = sub.add_argument_group("the statistics page (--format wikitext)")
    page.add_argument("--publish", metavar="PAGE", help="create or update PAGE on the --wiki, keeping hand edits")
    page.add_argument("--graph", metavar="NAME.svg", help="the chart's file: written here and embedded by its "
                      "name; with --publish the wiki file (default '<PAGE> incidents per month.svg')")
    page.add_argument("--replace-graph", action="store_true",
                      help="with --publish: upload over a file of that name whoever uploaded it")
    page.add_argument("--sources", metavar="FILE", help="paging sources ([[source]] tables, [people.*]) whose "
                      "page records count in 'pages outside working hours'")
    side = page.add_mutually_exclusive_group()
    side.add_argument("--ours", action="store_true", help="on conflict keep the page's lines")
    side.add_argument("--theirs", action="store_true", help="on conflict take the new statistics")
    sub.set_defaults(func=run)


def run(args) -> int:
    if args.publish or args.format == "wikitext":
        return _publish(args) if args.publish else _page(args)
    _no_page_options(args)
    from ..database.stats import report_stats
    stats = report_stats(_items(args))
    if args.format == "csv":
        to_stdout(stats.to_csv())
    else:
        print_json(stats.to_json())
    if stats.rows and not stats.totals["read"]:  # every row an error: nothing was counted
        print(f"postmortem: error: no report could be read from the {counted(len(stats.rows), 'file')} given "
              f"(each row's error says why)", file=sys.stderr)
        return 1
    return 0


def _page(args) -> int:
    from ..database.stats_page import statistics_page
    if args.replace_graph or args.ours or args.theirs:
        raise InputError("--replace-graph, --ours and --theirs go with --publish PAGE", key="--publish")
    page = statistics_page(_items(args), graph_file=Path(args.graph).name if args.graph else None,
                           **_page_options(args))
    write_output(page.text, None)
    if args.graph and page.svg is not None:
        write_output(page.svg, args.graph)
    return 0


def _publish(args) -> int:
    from ..database.stats_page import publish_stats
    if not args.wiki:
        raise InputError(f"--publish {args.publish!r} needs --wiki API_URL: the reports are read from that wiki",
                         key="--publish")
    prefer = "ours" if args.ours else "theirs" if args.theirs else None
    with passed_over_said():
        done = publish_stats(_items(args), args.wiki, args.publish, graph=args.graph,
                             replace_graph=args.replace_graph, prefer=prefer, **_page_options(args))
    for passed in done.update.passed_over if done.update else ():
        warn(passed)
    chart = f" with the chart File:{done.graph}" if done.graph else " (no chart: no report gives a start)"
    action = "created" if done.created else "updated" if done.revid else "no change to"
    print_text(f"{action} {done.title}" + (f" (revision {done.revid})" if done.revid else "") + chart)
    return 0


def _no_page_options(args) -> None:
    """The page's options are errors without the page (they would do nothing)."""
    given = [flag for flag, value in (("--graph", args.graph), ("--sources", args.sources), ("--ours", args.ours),
                                      ("--theirs", args.theirs), ("--replace-graph", args.replace_graph)) if value]
    if given:
        raise InputError(f"{given[0]} goes with --format wikitext or --publish PAGE", key=given[0])


def _page_options(args) -> dict:
    from ..database.stats_page import prefix_link
    options = {"source": prefix_link(args.prefix) if args.wiki else f"{len(args.reports)} files"}
    if args.sources:
        from ..incident.load import load_sources
        options["sources"], options["people"] = load_sources(args.sources)
    return options


def _items(args):
    if args.wiki:
        from ..net.mediawiki import read_pages_under
        return read_pages_under(args.wiki, args.prefix)
    if not args.reports:
        raise InputError("give REPORT files, or --wiki URL --prefix PREFIX")
    return args.reports
