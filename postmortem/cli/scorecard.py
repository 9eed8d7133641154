"""`postmortem scorecard INCIDENT.toml`: the scorecard computed from the records
(a written report's: `postmortem report-scorecard`)."""

from __future__ import annotations

import argparse

from . import report_scorecard
from ._common import open_records, report_arguments, warn


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
        warn("`scorecard REPORT` is deprecated: use `postmortem report-scorecard`")
        return report_scorecard.run(args)
    from ..scorecard.answers import computed_scorecard
    card = computed_scorecard(open_records(args.report))
    for disagreement in card.disagreements:  # a human answer the records contradict
        warn(disagreement.line())
    report_scorecard.show_card(card, args.format)
    return 0
