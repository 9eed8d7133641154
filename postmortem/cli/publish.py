"""`postmortem publish INCIDENT.toml --wiki URL`: create the report page."""

from __future__ import annotations

from ._common import graph_name, open_records, page_arguments


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
    from ..wiki.publish import publish
    graph = graph_name(args)
    result = publish(open_records(args.incident), args.wiki, args.page, template=args.template, graph=graph)
    print(f"published {result.title} (revision {result.revid})")
    return 0
