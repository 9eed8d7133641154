"""`postmortem lint REPORT`: findings, exit 1 if any."""

from __future__ import annotations

from ._common import print_json, print_text, read_report, report_arguments


def add_parser(commands) -> None:
    sub = commands.add_parser("lint", help="findings on a report; exit 1 if any",
                              description="List what a report still lacks: placeholders, unanswered or "
                                          "miscounted scorecard, actionables without a task, timeline "
                                          "problems, missing sections. Exit 1 if there are findings.",
                              epilog="Example: postmortem lint report.wiki")
    report_arguments(sub)
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..database.lint import format_findings, lint_report
    findings = lint_report(read_report(args))
    if args.format == "json":
        print_json([f.to_json() for f in findings])
    elif findings:
        print_text(format_findings(findings, args.page or args.report).rstrip("\n"))
    return 1 if findings else 0
