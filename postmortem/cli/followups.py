"""`postmortem followups INCIDENT.toml [--create] [--dry-run]`: Phabricator tasks for the
actionables; `postmortem followups --wiki URL --prefix P [--older-than 90d]`: the open
follow-ups of every report on the wiki, oldest first."""

from __future__ import annotations

from ..core.errors import InputError
from ._common import print_json, print_text

WIKIMEDIA_PHABRICATOR = "https://phabricator.wikimedia.org"


def add_parser(commands) -> None:
    sub = commands.add_parser(
        "followups", help="Phabricator tasks for the actionables, or open follow-ups across the wiki",
        description="With INCIDENT.toml: for each actionable with neither task nor no-task, the task it "
                    "would get (tagged with [followups] tags, linking the report); --create creates them "
                    "over Conduit (the incident's phabricator source). With --wiki: the open follow-up "
                    "tasks of every report under --prefix, oldest first.",
        epilog="Examples: postmortem followups incident.toml --create --dry-run; postmortem followups "
               "--wiki https://wikitech.wikimedia.org/w/api.php --prefix Incidents/ --older-than 90d "
               "--token-env PM_PHAB_TOKEN")
    sub.add_argument("incident", metavar="INCIDENT.toml", nargs="?")
    sub.add_argument("--create", action="store_true", help="create the tasks (kept in the event cache)")
    sub.add_argument("--dry-run", action="store_true", help="with --create: look up tags and owners, show "
                                                            "what would be sent, create nothing")
    sub.add_argument("--page", metavar="TITLE", help="the report page the tasks link to (default Incidents/<id>)")
    across = sub.add_argument_group("across the wiki")
    across.add_argument("--wiki", metavar="API_URL", help="read every report under --prefix from this wiki")
    across.add_argument("--prefix", metavar="PREFIX", default="Incidents/", help="default Incidents/")
    across.add_argument("--older-than", metavar="AGE", help="only tasks created longer ago: 90d, 12h")
    across.add_argument("--phabricator", metavar="URL", default=WIKIMEDIA_PHABRICATOR,
                        help=f"default {WIKIMEDIA_PHABRICATOR}")
    across.add_argument("--token-env", metavar="ENV", help="the variable that holds the Conduit API token")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    if args.wiki:
        return _across_the_wiki(args)
    if not args.incident:
        raise InputError("give INCIDENT.toml, or --wiki URL --prefix PREFIX")
    from ..publishing.followup_tasks import followups
    from ..incident.load import load_incident
    report = followups(load_incident(args.incident), create=args.create, dry_run=args.dry_run, page=args.page)
    if args.format == "json":
        print_json(report.to_json())
    else:
        print_text("\n".join(report.lines()))
    return 0 if report.ok else 1


def _across_the_wiki(args) -> int:
    if args.incident or args.create or args.page:
        raise InputError("--wiki lists the follow-ups of the wiki's reports: give no INCIDENT.toml, --create or --page")
    if not args.token_env:
        raise InputError("--wiki needs --token-env ENV, the variable holding a Conduit API token", key="--token-env")
    from ..net.conduit import conduit_at
    from ..database.wiki_followups import open_followups
    found = open_followups(args.wiki, args.prefix, conduit_at(args.phabricator, args.token_env),
                           older_than=_age(args.older_than))
    if args.format == "json":
        print_json(found.to_json())
    else:
        print_text("\n".join(found.lines()))
    return 0


def _age(text: str | None):
    from ..core.timeutil import parse_duration
    try:
        return parse_duration(text) if text else None
    except ValueError as err:
        raise InputError(str(err), key="--older-than") from None
