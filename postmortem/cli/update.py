"""`postmortem update INCIDENT.toml --wiki URL`: bring the generated changes
into the page, keeping hand edits."""

from __future__ import annotations

import sys

from ._common import (check_graph_arguments, graph_name, open_records, page_address, page_arguments,
                      passed_over_said, to_stdout, warn, warn_findings, wiki_url)


def add_parser(commands) -> None:
    sub = commands.add_parser("update", help="bring new generated content into the page, keep hand edits",
                              description="Re-render the report and three-way merge what changed since "
                                          "the last publish/update into the live page, keeping hand "
                                          "edits. Stops, changing nothing, where both touched the same lines.",
                              epilog="Example: postmortem update incident.toml "
                                     "--wiki https://wikitech.wikimedia.org/w/api.php --dry-run")
    page_arguments(sub)
    sub.add_argument("--dry-run", action="store_true", help="print the diff it would apply; edit nothing")
    side = sub.add_mutually_exclusive_group()
    side.add_argument("--ours", action="store_true", help="on conflict keep the page's lines")
    side.add_argument("--theirs", action="store_true", help="on conflict take the new render's lines")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..publishing.report_page import update
    prefer = "ours" if args.ours else "theirs" if args.theirs else None
    check_graph_arguments(args)      # a bad --graph NAME: exit 2 before reading anything
    records = open_records(args.incident)
    warn_findings(records, blocking=False)
    with passed_over_said():
        api_url = wiki_url(args)
        result = update(records, api_url, args.page, dry_run=args.dry_run, prefer=prefer,
                        template=args.template, graph=graph_name(args, records),
                        replace_graph=args.replace_graph)
    _notes(result, prefer, args.dry_run)
    to_stdout(_outcome(result, args.dry_run, page_address(api_url, result.title)))
    return 0


def _notes(result, prefer: str | None, dry_run: bool) -> None:
    """What happened besides the page text, on stderr."""
    for passed in result.passed_over:
        warn(passed)
    if result.resolved:
        side = "the page" if prefer == "ours" else "the new render"
        print(f"conflicts resolved in favour of {side} in: {', '.join(result.resolved)}", file=sys.stderr)
    if result.graph_kept:
        print(f"kept the graph File:{result.graph} embedded earlier (not uploaded again; "
              f"--graph '{result.graph}' refreshes it)", file=sys.stderr)
    for name in result.charts_kept:
        print(f"kept File:{name} embedded earlier: the last pull could not read its series", file=sys.stderr)
    for name in result.uploaded:
        print(f"{'would upload' if dry_run else 'uploaded'} File:{name}", file=sys.stderr)


def _outcome(result, dry_run: bool, address: str) -> str:
    if dry_run and not result.diff and result.saves:
        return (f"{result.title}: no visible change (only the hidden record of the generated text "
                f"would be refreshed)\n")
    if dry_run:
        return result.diff or f"{result.title}: no change\n"
    if result.new_revid is None:
        return f"{result.title}: no change (revision {result.old_revid}): {address}\n"
    return f"updated {result.title} (revision {result.old_revid} -> {result.new_revid}): {address}\n"
