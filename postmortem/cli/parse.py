"""`postmortem parse REPORT`: a report as data."""

from __future__ import annotations

from ._common import print_json, read_report, report_arguments


def add_parser(commands) -> None:
    sub = commands.add_parser("parse", help="a report as data",
                              description="Read a report (file, - or wiki page) into data: status, metadata, "
                                          "sections, timeline in UTC, actionables, scorecard.",
                              epilog="Example: postmortem parse report.wiki --format json")
    report_arguments(sub)
    sub.add_argument("--format", choices=("json",), default="json")
    sub.set_defaults(func=run)


def run(args) -> int:
    print_json(read_report(args).to_json())
    return 0
