"""`postmortem review INCIDENT.toml`: build the narrative in the browser."""

from __future__ import annotations


def add_parser(commands) -> None:
    sub = commands.add_parser("review", help="build the incident's narrative in a local web page",
                              description="Serve a page on 127.0.0.1 showing every record of the incident beside "
                                          "the narrative you write from them (markers with a summary, a time, "
                                          "notes and records as evidence; questions for the review meeting) and "
                                          "the report rendered with it; Save writes the narrative into "
                                          "incident.toml, keeping its comments. The address carries a random "
                                          "token. Needs the extra: pip install '.[review]' (wikitech-postmortem[review]).",
                              epilog="Example: postmortem review incident.toml --port 8377 --no-browser")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    sub.add_argument("--no-browser", action="store_true", help="print the address, open no browser")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..review import serve
    try:
        serve(args.incident, args.port, open_browser=not args.no_browser)
    except KeyboardInterrupt:
        return 0
    return 0
