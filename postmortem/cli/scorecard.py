"""`postmortem scorecard INCIDENT.toml`: the scorecard computed from the records
(a written report's: `postmortem report-scorecard`)."""

from __future__ import annotations

import argparse

from ._common import open_records, print_json, print_text, report_arguments, warn


def add_parser(commands) -> None:
    sub = commands.add_parser("scorecard", help="the scorecard of an incident, from its records",
                              description="The Incident Engagement ScoreCard of an incident: answers, where they "
                                          "come from, evidence, and the score. A written report's: "
                                          "`postmortem report-scorecard`.",
                              epilog="Example: postmortem scorecard incident.toml --format json")
    report_arguments(sub, what="INCIDENT.toml")
    for action in sub._actions:   # a report (file or --page): report-scorecard's job, still accepted here
        if action.dest in ("page", "wiki", "title"):
            action.help = argparse.SUPPRESS
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    if args.page or args.wiki or (args.report and not args.report.endswith(".toml")):
        from . import report_scorecard
        warn("`scorecard REPORT` is deprecated: use `postmortem report-scorecard`")
        return report_scorecard.run(args)
    from ..scorecard.answers import computed_scorecard
    card = computed_scorecard(open_records(args.report))
    for disagreement in card.disagreements:  # a human answer the records contradict
        warn(disagreement.line())
    if args.format == "json":
        print_json(card.to_json())
    else:
        print_text(card.to_text())
    return 0
