"""`postmortem publish INCIDENT.toml --wiki URL`: create the report page."""

from __future__ import annotations

from ._common import (check_graph_arguments, graph_name, open_records, page_address, page_arguments, print_text,
                      warn_findings, wiki_url)


def add_parser(commands) -> None:
    sub = commands.add_parser("publish", help="create the report page on the wiki",
                              description="Render the report and create it as a new wiki page "
                                          "(never over an existing page). Credentials: "
                                          "POSTMORTEM_WIKI_USER / POSTMORTEM_WIKI_PASSWORD (a bot password).",
                              epilog="Example: postmortem publish incident.toml "
                                     "--wiki https://wikitech.wikimedia.org/w/api.php")
    page_arguments(sub)
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..publishing.report_page import publish
    check_graph_arguments(args)      # a bad --graph NAME: exit 2 before reading anything
    records = open_records(args.incident)
    warn_findings(records, blocking=False)
    api_url = wiki_url(args)
    result = publish(records, api_url, args.page, template=args.template,
                     graph=graph_name(args, records), replace_graph=args.replace_graph)
    graph = f" with the graph File:{result.graph}" if result.graph else ""
    print_text(f"published {result.title} (revision {result.revid}){graph}: {page_address(api_url, result.title)}")
    for name in result.charts:
        print_text(f"uploaded File:{name}" if name in result.uploaded else
                   f"embedded File:{name} (the same picture is there already)")
    return 0
