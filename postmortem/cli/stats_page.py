"""`postmortem stats-page [REPORT…]`: the incident statistics page (tables and a
chart of incidents per month) as wikitext, or created/updated on the wiki with
`--publish PAGE`."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import InputError
from ._common import passed_over_said, print_text, prefix_argument, report_items, warn, wiki_argument, wiki_url, \
    write_output


def add_parser(commands) -> None:
    sub = commands.add_parser("stats-page", help="the incident statistics page, written or published",
                              description="The incident statistics page over many reports: tables and a chart "
                                          "of incidents per month. REPORT files, or (none given) every page "
                                          "under --prefix on the wiki. Without --publish the wikitext goes to "
                                          "stdout (or -o FILE) and the chart to --chart FILE.svg.",
                              epilog="Examples: postmortem stats-page reports/*.wiki -o stats.wiki --chart "
                                     "month.svg; postmortem stats-page --prefix Incidents/ --publish "
                                     "'Incident statistics'")
    sub.add_argument("reports", metavar="REPORT", nargs="*")
    wiki_argument(sub, "the reports are read from it when no REPORT is given, and --publish writes there")
    prefix_argument(sub)
    sub.add_argument("-o", "--output", metavar="FILE", help="write the page's wikitext to FILE instead of stdout")
    sub.add_argument("--chart", metavar="NAME.svg", help="the chart's file: written here and embedded by its "
                     "name; with --publish the wiki file (default '<PAGE> incidents per month.svg')")
    sub.add_argument("--publish", metavar="PAGE", help="create or update PAGE on the wiki, keeping hand edits")
    sub.add_argument("--replace-chart", action="store_true",
                     help="with --publish: upload the chart over a file of that name whoever uploaded it")
    sub.add_argument("--sources", metavar="FILE", help="paging sources ([[source]] tables, [people.*]) whose "
                     "page records count in 'pages outside working hours'")
    side = sub.add_mutually_exclusive_group()
    side.add_argument("--ours", action="store_true", help="with --publish: on conflict keep the page's lines")
    side.add_argument("--theirs", action="store_true", help="with --publish: on conflict take the new statistics")
    sub.set_defaults(func=run)


def run(args) -> int:
    return publish(args) if args.publish else write(args)


def write(args) -> int:
    from ..database.stats_page import statistics_page
    if args.replace_chart or args.ours or args.theirs:
        raise InputError("--replace-chart, --ours and --theirs go with --publish PAGE", key="--publish")
    page = statistics_page(report_items(args), graph_file=Path(args.chart).name if args.chart else None,
                           **_page_options(args))
    write_output(page.text, args.output)
    if args.chart and page.svg is not None:
        write_output(page.svg, args.chart)
    return 0


def publish(args) -> int:
    from ..database.stats_page import publish_stats
    if args.output:
        raise InputError("-o FILE writes the page here; --publish writes it on the wiki: give one", key="-o")
    if args.reports:
        raise InputError(f"--publish {args.publish!r} counts the reports on the wiki (under --prefix): "
                         f"give no REPORT files", key="--publish")
    prefer = "ours" if args.ours else "theirs" if args.theirs else None
    with passed_over_said():
        done = publish_stats(report_items(args), wiki_url(args), args.publish, graph=args.chart,
                             replace_graph=args.replace_chart, prefer=prefer, **_page_options(args))
    for passed in done.update.passed_over if done.update else ():
        warn(passed)
    chart = f" with the chart File:{done.graph}" if done.graph else " (no chart: no report gives a start)"
    action = "created" if done.created else "updated" if done.revid else "no change to"
    print_text(f"{action} {done.title}" + (f" (revision {done.revid})" if done.revid else "") + chart)
    return 0


def _page_options(args) -> dict:
    from ..database.stats_page import prefix_link
    options = {"source": prefix_link(args.prefix) if not args.reports else f"{len(args.reports)} files"}
    if args.sources:
        from ..incident.load import load_sources
        options["sources"], options["people"] = load_sources(args.sources)
    return options
