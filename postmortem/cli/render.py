"""`postmortem render INCIDENT.toml`: the report (and its graph)."""

from __future__ import annotations

from pathlib import Path

from ._common import open_records, warn_findings, write_output


def add_parser(commands) -> None:
    sub = commands.add_parser("render", help="the report as wikitext (or Markdown)",
                              description="Render the report from incident.toml and its sources.",
                              epilog="Example: postmortem render incident.toml -o report.wiki "
                                     "--graph timeline.svg")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    sub.add_argument("--template", metavar="NAME|PATH", default=None,
                     help="a bundled template name or a path to a .j2 file")
    sub.add_argument("--format", choices=("wikitext", "markdown"), default="wikitext")
    sub.add_argument("--graph", metavar="FILE.svg", default=None,
                     help="also write the timeline graph (SVG) to FILE.svg and embed it in the report")
    sub.add_argument("--embed-graph", metavar="NAME", default=None,
                     help="embed the wiki file NAME ([[File:NAME|thumb]]) in the Timeline section "
                          "(default with --graph: the name of FILE.svg)")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..write.render import render_report
    records = open_records(args.incident)
    warn_findings(records)
    embed = args.embed_graph or (Path(args.graph).name if args.graph else None)
    text = render_report(records, template=args.template, fmt=args.format, graph=embed)
    svg = _graph(records) if args.graph else None
    write_output(text, args.output)  # the report first: if it cannot be written, no graph is left behind
    if svg is not None:
        write_output(svg, args.graph)
    return 0


def _graph(records) -> str:
    from ..write.graph import render_graph
    return render_graph(records)
