"""The `postmortem` command: options in, one library call, output out.

No logic lives here. Library errors become one line on stderr and exit code
2 (bad input) or 1 (failure); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._version import __version__
from ..core.errors import InputError, PostmortemError


def _write_output(text: str, output: str | None) -> None:
    """To stdout, or atomically to a file (nothing is left half-written)."""
    if output and output != "-":
        from ..collect.cache import write_atomically
        write_atomically(Path(output), text)
    else:
        sys.stdout.write(text)


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# -- commands -----------------------------------------------------------------

def cmd_init(args) -> int:
    from ..incident.skeleton import write_skeleton
    path = write_skeleton(Path(args.dir), force=args.force)
    print(f"wrote {path}")
    return 0


def cmd_pull(args) -> int:
    from ..incident.load import load_incident
    from ..collect.pull import pull
    incident = load_incident(args.incident)
    progress = _progress_line if sys.stderr.isatty() else None
    report = pull(incident, refresh=args.refresh, strict=args.strict, progress=progress)
    for line in report.lines():
        print(line)
    if report.cache_path:
        print(f"wrote {report.cache_path}", file=sys.stderr)
    for failed in report.failed:
        print(f"postmortem: error: {_one_line(failed.line())}", file=sys.stderr)
    return 0 if report.ok else 1


def _progress_line(done: int, total: int, name: str) -> None:
    """``[2/5] source[1] (sal)`` over itself on a terminal; cleared at the end."""
    text = "" if done >= total else f"[{done + 1}/{total}] {name}"
    sys.stderr.write("\r\x1b[K" + text)
    sys.stderr.flush()


def cmd_timeline(args) -> int:
    from ..incident.load import load_incident
    from ..timeline.merge import collect_events
    from ..timeline.merge import compile_pattern, filter_events, resolve_time
    incident = load_incident(args.incident)
    events = filter_events(
        collect_events(incident),
        since=resolve_time(args.since, incident, name="--since") if args.since else None,
        until=resolve_time(args.until, incident, end=True, name="--until") if args.until else None,
        sources=args.source or (), pattern=compile_pattern(args.grep, "--grep") if args.grep else None)
    if args.format == "json":
        _print_json([e.to_json() for e in events])
    elif args.format == "wikitext":
        from ..write.render import render_timeline_wikitext
        sys.stdout.write(render_timeline_wikitext(incident, events))
    else:
        import shutil
        from ..write.textview import format_timeline, use_color
        tty = sys.stdout.isatty()
        sys.stdout.write(format_timeline(incident, events, color=use_color(args.color, sys.stdout),
                                         width=shutil.get_terminal_size().columns if tty else None))
    return 0


def cmd_render(args) -> int:
    from ..incident.load import load_incident
    from ..write.render import render_report
    from ..timeline.merge import collect_events
    incident = load_incident(args.incident)
    events = collect_events(incident)
    embed = args.embed_graph or (Path(args.graph).name if args.graph else None)
    text = render_report(incident, template=args.template, fmt=args.format, events=events, graph=embed)
    if args.graph:
        from ..write.graph import write_graph
        write_graph(incident, Path(args.graph), events)
        print(f"wrote {args.graph}", file=sys.stderr)
    _write_output(text, args.output)
    if args.output and args.output != "-":
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _graph_name(args) -> str | None:
    """--graph NAME for publish/update: a valid wiki file name, checked before any request."""
    if not args.graph:
        return None
    from ..write.graph import wiki_file_name
    try:
        return wiki_file_name(args.graph)
    except ValueError as err:
        raise InputError(str(err), key="--graph") from None


def cmd_publish(args) -> int:
    from ..incident.load import load_incident
    from ..wiki.publish import publish
    incident = load_incident(args.incident)
    result = publish(incident, args.wiki, args.page, template=args.template, graph=_graph_name(args))
    print(f"published {result.title} (revision {result.revid})")
    return 0


def cmd_update(args) -> int:
    from ..incident.load import load_incident
    from ..wiki.publish import update
    incident = load_incident(args.incident)
    prefer = "ours" if args.ours else "theirs" if args.theirs else None
    result = update(incident, args.wiki, args.page, dry_run=args.dry_run, prefer=prefer,
                    template=args.template, graph=_graph_name(args))
    if result.resolved:
        side = "the page" if prefer == "ours" else "the new render"
        print(f"conflicts resolved in favour of {side} in: {', '.join(result.resolved)}",
              file=sys.stderr)
    if args.dry_run and not result.diff and result.saves:
        print(f"{result.title}: no visible change (only the hidden record of the generated text "
              f"would be refreshed)")
    elif args.dry_run:
        sys.stdout.write(result.diff or f"{result.title}: no change\n")
    elif result.new_revid is None:
        print(f"{result.title}: no change (revision {result.old_revid})")
    else:
        print(f"updated {result.title} (revision {result.old_revid} -> {result.new_revid})")
    return 0


def _read_report(args):
    """The REPORT argument: a file, ``-`` for stdin, or ``--wiki URL --page TITLE``."""
    from ..read.report import decode_report, parse_report, read_report_file
    if args.wiki:
        from ..collect.mediawiki import read_page_text
        if not args.page:
            raise InputError("--wiki needs --page TITLE")
        return parse_report(read_page_text(args.wiki, args.page), title=args.title or args.page)
    if not args.report:
        raise InputError("give a REPORT file, - for stdin, or --wiki URL --page TITLE")
    if args.report == "-":
        return parse_report(decode_report(sys.stdin.buffer.read(), "<stdin>"), title=args.title)
    return read_report_file(args.report, title=args.title)


def cmd_parse(args) -> int:
    _print_json(_read_report(args).to_json())
    return 0


def cmd_lint(args) -> int:
    from ..read.lint import format_findings, lint_report
    findings = lint_report(_read_report(args))
    if args.format == "json":
        _print_json([f.to_json() for f in findings])
    elif findings:
        print(format_findings(findings, args.page or args.report).rstrip("\n"))
    return 1 if findings else 0


def cmd_scorecard(args) -> int:
    if args.report and args.report.endswith(".toml") and not args.wiki:
        from ..incident.load import load_incident
        from ..scorecard.answers import computed_scorecard
        card = computed_scorecard(load_incident(args.report))
        for disagreement in card.disagreements:  # a human answer the records contradict
            print(f"postmortem: warning: {_one_line(disagreement.line())}", file=sys.stderr)
    else:
        from ..read.report import report_scorecard
        card = report_scorecard(_read_report(args))
    if args.format == "json":
        _print_json(card.to_json())
    else:
        text = card.to_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_stats(args) -> int:
    from ..read.stats import report_stats
    if args.wiki:
        from ..collect.mediawiki import read_pages_under
        items = read_pages_under(args.wiki, args.prefix)
    elif args.reports:
        items = args.reports
    else:
        raise InputError("give REPORT files, or --wiki URL --prefix PREFIX")
    stats = report_stats(items)
    if args.format == "csv":
        sys.stdout.write(stats.to_csv())
    else:
        _print_json(stats.to_json())
    return 0


def _page_arguments(sub) -> None:
    """What publish and update share: the incident, the wiki, the page, the graph."""
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--wiki", required=True, metavar="API_URL", help="the wiki's api.php URL")
    sub.add_argument("--page", metavar="TITLE", default=None, help="page title (default Incidents/<id>)")
    sub.add_argument("--template", metavar="NAME|PATH", default=None, help=argparse.SUPPRESS)
    sub.add_argument("--graph", metavar="FILE.svg", default=None,
                     help="upload the timeline graph as File:FILE.svg (a new version if it changed) "
                          "and embed it in the report")


def _report_arguments(sub, *, what: str = "REPORT") -> None:
    sub.add_argument("report", metavar=what, nargs="?", help="a report file, or - for stdin")
    sub.add_argument("--wiki", metavar="API_URL", help="read the report from this wiki (api.php URL)")
    sub.add_argument("--page", metavar="TITLE", help="with --wiki: the page to read")
    sub.add_argument("--title", metavar="TITLE",
                     help="the page title, for dates (Incidents/YYYY-MM-DD …) when the report has none")


# -- parser -------------------------------------------------------------------

EPILOG = "Exit codes: 0 success, 1 findings or a failed check, 2 usage or input error."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postmortem", description="Incident timelines and Wikitech-style postmortem reports.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"postmortem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub = commands.add_parser("init", help="write DIR/incident.toml skeleton",
                              description="Write a commented incident.toml skeleton into DIR.",
                              epilog="Example: postmortem init incidents/2023-09-28-enrich")
    sub.add_argument("dir", metavar="DIR")
    sub.add_argument("--force", action="store_true", help="overwrite an existing incident.toml")
    sub.set_defaults(func=cmd_init)

    sub = commands.add_parser("pull", help="fetch the network sources into the event cache",
                              description="Fetch every service [[source]] (SAL, Alertmanager, Prometheus, "
                                          "Slack, Phabricator, SAL on the wiki) for the incident window "
                                          "into the event cache next to the incident file.",
                              epilog="Example: postmortem pull incident.toml --refresh")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--refresh", action="store_true", help="fetch again sources already in the cache")
    sub.add_argument("--strict", action="store_true", help="fail the whole pull (write nothing) if a source fails")
    sub.set_defaults(func=cmd_pull)

    sub = commands.add_parser("timeline", help="the merged UTC timeline",
                              description="Merge every source and manual event into one UTC timeline.",
                              epilog="Example: postmortem timeline incident.toml --since 14:30 "
                                     "--until '2023-09-29 08:00' --source irc --grep restart")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--format", choices=("text", "json", "wikitext"), default="text")
    sub.add_argument("--since", metavar="TIME", help="from TIME: '2023-09-28 14:33' (UTC) or HH:MM "
                                                     "on the incident's first day")
    sub.add_argument("--until", metavar="TIME", help="up to and including TIME (same forms)")
    sub.add_argument("--source", action="append", metavar="TYPE",
                     help="only this source type (repeatable; 'slack' also matches slack-export)")
    sub.add_argument("--grep", metavar="REGEX", help="only events whose text or actor matches "
                                                     "(case-insensitive)")
    sub.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="ANSI colour in the text view (auto: on a terminal, unless NO_COLOR is set)")
    sub.set_defaults(func=cmd_timeline)

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
    sub.set_defaults(func=cmd_render)

    sub = commands.add_parser("publish", help="create the report page on the wiki",
                              description="Render the report and create it as a new wiki page "
                                          "(never over an existing page). Credentials: "
                                          "POSTMORTEM_WIKI_USER / POSTMORTEM_WIKI_PASSWORD (a bot password).",
                              epilog="Example: postmortem publish incident.toml "
                                     "--wiki https://wikitech.wikimedia.org/w/api.php")
    _page_arguments(sub)
    sub.set_defaults(func=cmd_publish)

    sub = commands.add_parser("update", help="bring new generated content into the page, keep hand edits",
                              description="Re-render the report and three-way merge what changed since "
                                          "the last publish/update into the live page, keeping hand "
                                          "edits. Stops, changing nothing, where both touched the same lines.",
                              epilog="Example: postmortem update incident.toml "
                                     "--wiki https://wikitech.wikimedia.org/w/api.php --dry-run")
    _page_arguments(sub)
    sub.add_argument("--dry-run", action="store_true", help="print the diff it would apply; edit nothing")
    side = sub.add_mutually_exclusive_group()
    side.add_argument("--ours", action="store_true", help="on conflict keep the page's lines")
    side.add_argument("--theirs", action="store_true", help="on conflict take the new render's lines")
    sub.set_defaults(func=cmd_update)

    sub = commands.add_parser("parse", help="a report as data",
                              description="Read a report (file, - or wiki page) into data: status, metadata, "
                                          "sections, timeline in UTC, actionables, scorecard.",
                              epilog="Example: postmortem parse report.wiki --format json")
    _report_arguments(sub)
    sub.add_argument("--format", choices=("json",), default="json")
    sub.set_defaults(func=cmd_parse)

    sub = commands.add_parser("lint", help="findings on a report; exit 1 if any",
                              description="List what a report still lacks: placeholders, unanswered or "
                                          "miscounted scorecard, actionables without a task, timeline "
                                          "problems, missing sections. Exit 1 if there are findings.",
                              epilog="Example: postmortem lint report.wiki")
    _report_arguments(sub)
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=cmd_lint)

    sub = commands.add_parser("scorecard", help="the scorecard of an incident or a report",
                              description="The Incident Engagement ScoreCard: answers, where they come "
                                          "from, evidence, and the score.",
                              epilog="Example: postmortem scorecard incident.toml --format json")
    _report_arguments(sub, what="INCIDENT.toml|REPORT")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=cmd_scorecard)

    sub = commands.add_parser("stats", help="one row per report, and totals",
                              description="Statistics over many reports: durations, scores, people paged, "
                                          "actionables. A report that cannot be read is a row with its error.",
                              epilog="Example: postmortem stats reports/*.wiki --format csv")
    sub.add_argument("reports", metavar="REPORT", nargs="*")
    sub.add_argument("--wiki", metavar="API_URL", help="read every page under --prefix from this wiki")
    sub.add_argument("--prefix", metavar="PREFIX", default="Incidents/", help="with --wiki (default Incidents/)")
    sub.add_argument("--format", choices=("csv", "json"), default="json")
    sub.set_defaults(func=cmd_stats)

    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except PostmortemError as err:
        if args.debug:
            raise
        print(f"postmortem: error: {_one_line(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("postmortem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: still one line, with the way to see more
        if args.debug:
            raise
        print(f"postmortem: internal error: {type(err).__name__}: {_one_line(str(err))} "
              f"(run with --debug for the traceback)", file=sys.stderr)
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
