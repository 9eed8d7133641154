"""`postmortem check INCIDENT.toml`: validate the incident and every source,
accounting for every record read."""

from __future__ import annotations

from ._common import error, print_json, to_stdout


def add_parser(commands) -> None:
    sub = commands.add_parser("check", help="validate the incident and its sources; account for every record",
                              description="Validate incident.toml and read every source without rendering: per "
                                          "source, the records read, those in the window, and every record "
                                          "dropped or skipped with file:line and the reason; then every "
                                          "secret and piece of personal data found ([redact]), by file:line "
                                          "and kind, never the value; with [people], the names no entry or "
                                          "alias knows. Exit 0 when all is readable, 1 when "
                                          "something was skipped or is missing or a finding would stop "
                                          "publish, 2 on an input error.",
                              epilog="Example: postmortem check incident.toml --format json")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..timeline.check import check_incident
    report = check_incident(args.incident)
    if args.format == "json":
        print_json(report.to_json())
    else:
        text = report.to_text()
        if text.strip():
            to_stdout(text)
        for line in report.problem_lines():   # input errors on the error path, as every command's
            error(line)
    return report.exit_code
