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
    from ..incident.load import load_incident
    from ..timeline.filters import check_sources, compile_pattern, filter_events
    incident = load_incident(args.incident)
    since, until = _bounds(args, incident)
    records = open_records(args.incident, incident=incident, only=_shown_window(incident, since, until))
    warn_findings(records)           # the output may be pasted somewhere: say what it holds
    shown = filter_events(records, since=since, until=until, sources=check_sources(args.source or ()),
                          pattern=compile_pattern(args.grep, "--grep") if args.grep else None)
    if not shown.events and (since or until) and not filter_events(records, since=since, until=until).events:
        _say_why_empty(args, incident)
    _show(args, shown)
    return 0


def _say_why_empty(args, incident) -> None:
    """An empty HH:MM range on an incident of several days: HH:MM is its first day."""
    from ..core.model import incident_window
    from ..timeline.filters import empty_range_note
    note = empty_range_note(incident.start.date(), incident_window(incident).end.date(), args.since, args.until)
    if note:
        warn(note)


def _bounds(args, incident):
    """``(since, until)`` of ``--since``/``--until``, each None when not given."""
    from ..timeline.filters import check_span, resolve_time
    since = resolve_time(args.since, incident, name="--since") if args.since else None
    until = resolve_time(args.until, incident, end=True, name="--until") if args.until else None
    check_span(since, until)
    return since, until


def _shown_window(incident, since, until):
    """The part of the incident's window the bounds leave (None: all of it)."""
    from ..core.model import Window, incident_window
    if since is None and until is None:
        return None
    whole = incident_window(incident)
    start = since or whole.start
    return Window(start, max(start, until or whole.end))


def _show(args, records) -> None:
    if args.format == "json":
        from ..core.redact import without_addresses
        print_json(without_addresses([e.to_json() for e in records.events]))   # people's addresses are not published
    elif args.format == "wikitext":
        from ..write.render import render_timeline_wikitext
        sys.stdout.write(render_timeline_wikitext(records.incident, list(records.events)))
    else:
        import shutil
        from ..write.textview import format_timeline, use_color
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        sys.stdout.write(format_timeline(records, color=use_color(args.color, sys.stdout), width=width))
