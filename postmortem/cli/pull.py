"""`postmortem pull INCIDENT.toml`: fetch the network sources into the cache."""

from __future__ import annotations

from ..collect.sources import network_types
from ..core.errors import PostmortemError
from ._common import print_text, said
from ._progress import PullProgress


def add_parser(commands) -> None:
    sub = commands.add_parser("pull", help="fetch the network sources into the event cache",
                              description="Fetch every network [[source]] (" + ", ".join(network_types()) +
                                          ") and every [[graph]] with a url for the incident window into the "
                                          "event cache next to the incident file. Ctrl-C stops it at once, "
                                          "the cache as it was.",
                              epilog="Example: postmortem pull incident.toml --refresh")
    sub.add_argument("incident", metavar="INCIDENT.toml")
    sub.add_argument("--refresh", action="store_true", help="fetch again sources already in the cache")
    sub.add_argument("--strict", action="store_true", help="fail the whole pull (write nothing) if a source fails")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..collect.pull import pull
    from ..incident.load import load_incident
    incident = load_incident(args.incident)
    shown = PullProgress(strict=args.strict)
    report = pull(incident, refresh=args.refresh, strict=args.strict, progress=shown.progress,
                  finished=shown.finished, tick=shown.tick)
    if not report.results:
        tables = "[[source]] and [[graph]]" if incident.graphs else "[[source]]"
        said(f"nothing to pull: every {tables} of this incident is a file, read by each command as it runs")
    for result in report.results:
        if result.status != "failed":  # a failure was said once, as it happened
            print_text(result.line())
    _say_written(report)
    bugs = [f.error.__cause__ for f in report.failed if isinstance(f.error.__cause__, Exception)
            and not isinstance(f.error.__cause__, PostmortemError)]
    if bugs and args.debug:
        raise bugs[0]  # the traceback of a source's internal error (the cache is written already)
    return 0 if report.ok else 1


def _say_written(report) -> None:
    if report.cache_path:
        if report.replaced_damaged:
            said(f"the event cache could not be read ({report.replaced_damaged}): replaced")
        said(f"wrote {report.cache_path}")
