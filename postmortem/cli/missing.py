"""`postmortem missing --wiki URL --prefix P --since DATE`: incidents seen in page
records or on the status page that have no report."""

from __future__ import annotations

import datetime as dt

from ._common import prefix_argument, print_json, print_text, wiki_argument, wiki_url


def add_parser(commands) -> None:
    sub = commands.add_parser("missing", help="incidents in page records or on the status page with no report",
                              description="Every incident the paging services (splunk-oncall, pagerduty) or the "
                                          "status page (statuspage) saw in a period that has no report under "
                                          "--prefix within a day of its time, with the `postmortem init` line "
                                          "that starts one. Exit 1 when some report is missing.",
                              epilog="Example: postmortem missing "
                                     "--prefix Incidents/ --since 2024-03-01 --sources paging.toml")
    wiki_argument(sub)
    prefix_argument(sub)
    sub.add_argument("--since", required=True, metavar="DATE", help="'2024-03-01' or '2024-03-01 14:00' (UTC)")
    sub.add_argument("--until", metavar="DATE", help="a date alone: to the end of that day (default: now)")
    sub.add_argument("--sources", required=True, metavar="FILE",
                     help="a TOML file of [[source]] tables: splunk-oncall, pagerduty, statuspage")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..database.missing import missing_reports
    from ..incident.load import load_sources
    from ..database.pages import period
    configs, _ = load_sources(args.sources)
    until = args.until or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    found = missing_reports(configs, wiki_url(args), args.prefix, period(args.since, until))
    if args.format == "json":
        print_json(found.to_json())
    else:
        print_text("\n".join(found.lines()))
    return 1 if found.missing else 0
