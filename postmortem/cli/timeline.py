"""`postmortem timeline INCIDENT.toml`: the merged timeline, filtered."""

from __future__ import annotations

import sys

from ._common import open_records, print_json, warn, warn_findings


def add_parser(commands) -> None:
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
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..timeline.filters import (check_sources, check_span, compile_pattern, empty_range_note, filter_events,
                                    resolve_time)
    records = open_records(args.incident)
    warn_findings(records)           # the output may be pasted somewhere: say what it holds
    incident = records.incident
    since = resolve_time(args.since, incident, name="--since") if args.since else None
    until = resolve_time(args.until, incident, end=True, name="--until") if args.until else None
    check_span(since, until)
    events = filter_events(records.events, since=since, until=until, sources=check_sources(args.source or ()),
                           pattern=compile_pattern(args.grep, "--grep") if args.grep else None)
    if not events and (since or until):
        in_span = filter_events(records.events, since=since, until=until)
        note = None if in_span else empty_range_note(records.events, incident.start.date(), args.since, args.until)
        if note:
            warn(note)
    _show(args, incident, events)
    return 0


def _show(args, incident, events) -> None:
    if args.format == "json":
        print_json([e.to_json() for e in events])
    elif args.format == "wikitext":
        from ..write.render import render_timeline_wikitext
        sys.stdout.write(render_timeline_wikitext(incident, events))
    else:
        import shutil
        from ..write.textview import format_timeline, use_color
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        sys.stdout.write(format_timeline(incident, events, color=use_color(args.color, sys.stdout), width=width))
