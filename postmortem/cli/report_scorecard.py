"""`postmortem report-scorecard REPORT`: the scorecard a written report states."""

from __future__ import annotations

from ._common import print_json, print_text, read_report, report_arguments


def add_parser(commands) -> None:
    sub = commands.add_parser("report-scorecard", help="the scorecard a report states, checked",
                              description="The Incident Engagement ScoreCard as a written report states it "
                                          "(a file, - or a --page on the wiki): answers, the score, and whether "
                                          "the stated total matches. An incident's own: `postmortem scorecard`.",
                              epilog="Example: postmortem report-scorecard report.wiki --format json")
    report_arguments(sub)
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..scorecard.report_scorecard import report_scorecard
    show_card(report_scorecard(read_report(args)), args.format)
    return 0


def show_card(card, fmt: str) -> None:
    """A scorecard (an incident's or a report's) as JSON or text."""
    if fmt == "json":
        print_json(card.to_json())
    else:
        print_text(card.to_text())
