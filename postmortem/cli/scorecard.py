"""`postmortem scorecard INCIDENT.toml|REPORT`: the scorecard with its evidence."""

from __future__ import annotations

from ._common import open_records, print_json, print_text, read_report, report_arguments, warn


def add_parser(commands) -> None:
    sub = commands.add_parser("scorecard", help="the scorecard of an incident or a report",
                              description="The Incident Engagement ScoreCard: answers, where they come "
                                          "from, evidence, and the score.",
                              epilog="Example: postmortem scorecard incident.toml --format json")
    report_arguments(sub, what="INCIDENT.toml|REPORT")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    card = _incident_card(args) if args.report and args.report.endswith(".toml") and not args.wiki \
        else _report_card(args)
    if args.format == "json":
        print_json(card.to_json())
    else:
        print_text(card.to_text())
    return 0


def _incident_card(args):
    from ..scorecard.answers import computed_scorecard
    card = computed_scorecard(open_records(args.report))
    for disagreement in card.disagreements:  # a human answer the records contradict
        warn(disagreement.line())
    return card


def _report_card(args):
    from ..scorecard.report_scorecard import report_scorecard
    return report_scorecard(read_report(args))
