"""`postmortem render INCIDENT.toml`: the report (and its graphs)."""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import open_records, warn_findings, write_report


def add_parser(commands) -> None:
    sub = commands.add_parser("render", help="the report as wikitext (or Markdown)",
                              description="Render the report from incident.toml and its sources. With -o FILE, "
                                          "each [[graph]] is also written next to FILE as <stem>-<slug>.svg.",
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
    from ..write.metric_chart import render_charts
    from ..write.render import render_report
    records = open_records(args.incident)
    warn_findings(records)
    embed = args.embed_graph or (Path(args.graph).name if args.graph else None)
    charts = _beside(args.output, render_charts(records))
    local = args.format == "markdown" and charts     # Markdown shows the pictures beside it
    names = {slug: path.name for slug, (path, _) in charts.items()} if local else None
    text = render_report(records, template=args.template, fmt=args.format, graph=embed, graph_files=names)
    pictures = [(args.graph, _graph(records))] if args.graph else []
    write_report(text, args.output, pictures + list(charts.values()))   # all or none
    _not_written(args.output, records)
    return 0


def _beside(output: str | None, charts: dict[str, str]) -> dict:
    """``{slug: (FILE's folder/<stem>-<slug>.svg, SVG)}``; nothing without a FILE."""
    if not output or output == "-":
        return {}
    out = Path(output)
    return {slug: (out.with_name(f"{out.stem}-{slug}.svg"), svg) for slug, svg in charts.items()}


def _not_written(output: str | None, records) -> None:
    """Without a FILE, a line on stderr says which pictures were not written."""
    from ..write.metric_chart import drawable
    count = sum(1 for graph in records.graphs if drawable(graph))
    if count and (not output or output == "-"):
        print(f"postmortem: {count} [[graph]] picture{'s' if count > 1 else ''} not written: "
              f"-o FILE writes each next to the report as <stem>-<slug>.svg", file=sys.stderr)


def _graph(records) -> str:
    from ..write.timeline_picture import render_graph
    return render_graph(records)
