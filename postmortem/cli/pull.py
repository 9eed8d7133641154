"""`postmortem pull INCIDENT.toml`: fetch the network sources into the cache."""

from __future__ import annotations

import sys

from ..core.errors import PostmortemError
from ._common import one_line, print_text


def add_parser(commands) -> None:
    sub = commands.add_parser("pull", help="fetch the network sources into the event cache",
                              description="Fetch every service [[source]] (SAL, Alertmanager, Prometheus, "
                                          "Slack, Phabricator, SAL on the wiki) for the incident window "
                                          "into the event cache next to the incident file.",
                              epilog="Example: postmortem pull incident.toml --refresh")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--refresh", action="store_true", help="fetch again sources already in the cache")
    sub.add_argument("--strict", action="store_true", help="fail the whole pull (write nothing) if a source fails")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..collect.pull import pull
    from ..incident.load import load_incident
    progress = _progress_line if sys.stderr.isatty() else None
    incident = load_incident(args.incident)
    report = pull(incident, refresh=args.refresh, strict=args.strict, progress=progress)
    if not report.results:
        tables = "[[source]] and [[graph]]" if incident.graphs else "[[source]]"
        print(f"nothing to pull: every {tables} of this incident is a file, read by each command as it runs")
    for line in report.lines():
        print_text(line)
    _say_written(report)
    for failed in report.failed:
        print(f"postmortem: error: {one_line(failed.line())}", file=sys.stderr)
    bugs = [f.error.__cause__ for f in report.failed if isinstance(f.error.__cause__, Exception)
            and not isinstance(f.error.__cause__, PostmortemError)]
    if bugs and args.debug:
        raise bugs[0]  # the traceback of a source's internal error (the cache is written already)
    return 0 if report.ok else 1


def _say_written(report) -> None:
    if report.cache_path:
        if report.replaced_damaged:
            print(f"the event cache could not be read ({report.replaced_damaged}): replaced", file=sys.stderr)
        print(f"wrote {report.cache_path}", file=sys.stderr)


def _progress_line(done: int, total: int, name: str) -> None:
    """``[2/5] source[1] (sal)`` over itself on a terminal; cleared at the end."""
    text = "" if done >= total else f"[{done + 1}/{total}] {name}"
    sys.stderr.write("\r\x1b[K" + text)
    sys.stderr.flush()
