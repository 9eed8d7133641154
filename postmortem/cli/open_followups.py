"""`postmortem open-followups`: the open follow-up tasks of every report on the
wiki, oldest first."""

from __future__ import annotations

from ..core.errors import InputError
from ._common import prefix_argument, print_json, print_text, wiki_argument, wiki_url

WIKIMEDIA_PHABRICATOR = "https://phabricator.wikimedia.org"


def add_parser(commands) -> None:
    sub = commands.add_parser(
        "open-followups", help="open follow-up tasks of every report on the wiki, oldest first",
        description="The open Phabricator tasks linked from the actionables of every report under --prefix "
                    "on the wiki, oldest first, asked over Conduit.",
        epilog="Example: postmortem open-followups --prefix Incidents/ --older-than 90d --token-env PM_PHAB_TOKEN")
    wiki_argument(sub)
    prefix_argument(sub)
    add_options(sub)
    sub.set_defaults(func=run)


def add_options(sub, hide: bool = False) -> None:
    """What open-followups takes beside the wiki (also followups' deprecated --wiki form)."""
    import argparse
    sub.add_argument("--older-than", metavar="AGE",
                     help=argparse.SUPPRESS if hide else "only tasks created longer ago: 90d, 12h")
    sub.add_argument("--phabricator", metavar="URL", default=WIKIMEDIA_PHABRICATOR,
                     help=argparse.SUPPRESS if hide else f"default {WIKIMEDIA_PHABRICATOR}")
    sub.add_argument("--token-env", metavar="ENV",
                     help=argparse.SUPPRESS if hide else "the variable that holds the Conduit API token")
    if not hide:
        sub.add_argument("--format", choices=("text", "json"), default="text")


def run(args) -> int:
    if not args.token_env:
        raise InputError("open-followups needs --token-env ENV, the variable holding a Conduit API token",
                         key="--token-env")
    from ..net.conduit import conduit_at
    from ..database.wiki_followups import open_followups
    found = open_followups(wiki_url(args), args.prefix, conduit_at(args.phabricator, args.token_env),
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
