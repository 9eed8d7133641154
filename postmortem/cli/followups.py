"""`postmortem followups INCIDENT.toml [--create]`: the Phabricator task each
actionable would get (and, with --create, gets). Across the wiki: `postmortem
open-followups`."""

from __future__ import annotations

import argparse

from ..core.errors import InputError
from ._common import print_json, print_text, warn
from .open_followups import add_options


def add_parser(commands) -> None:
    sub = commands.add_parser(
        "followups", help="Phabricator tasks for the incident's actionables",
        description="For each actionable with neither task nor no-task, the task it would get (tagged with "
                    "[followups] tags, linking the report); --create creates them over Conduit (the "
                    "incident's phabricator source). The open follow-ups of every report on the wiki: "
                    "`postmortem open-followups`.",
        epilog="Example: postmortem followups incident.toml --create --dry-run")
    sub.add_argument("incident", metavar="INCIDENT.toml", nargs="?")
    sub.add_argument("--create", action="store_true", help="create the tasks (kept in the event cache)")
    sub.add_argument("--dry-run", action="store_true", help="with --create: look up tags and owners, show "
                                                            "what would be sent, create nothing")
    sub.add_argument("--page", metavar="TITLE", help="the report's page, which the tasks link to "
                                                      "(default Incidents/<id>)")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    # `followups --wiki …`: what open-followups does now; still accepted, with a warning
    sub.add_argument("--wiki", metavar="API_URL", help=argparse.SUPPRESS)
    sub.add_argument("--prefix", metavar="PREFIX", default="Incidents/", help=argparse.SUPPRESS)
    add_options(sub, hide=True)
    sub.set_defaults(func=run)


def run(args) -> int:
    if args.wiki:
        return _across_the_wiki(args)
    if not args.incident:
        raise InputError("give INCIDENT.toml (across the wiki: `postmortem open-followups`)")
    from ..publishing.followup_tasks import followups
    from ..incident.load import load_incident
    report = followups(load_incident(args.incident), create=args.create, dry_run=args.dry_run, page=args.page)
    if args.format == "json":
        print_json(report.to_json())
    else:
        print_text("\n".join(report.lines()))
    return 0 if report.ok else 1


def _across_the_wiki(args) -> int:
    from . import open_followups
    if args.incident or args.create or args.page:
        raise InputError("--wiki lists the follow-ups of the wiki's reports: give no INCIDENT.toml, --create or --page")
    warn("`followups --wiki` is deprecated: use `postmortem open-followups`")
    return open_followups.run(args)
