"""What the command modules share: opening an incident, reading a report
argument, writing output, one-line messages."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from ..core.errors import InputError
from ..core.files import write_all_atomically, write_atomically
from ..core.scrub import clean, printable


def open_records(path: str, *, incident=None, only=None):
    """The incident file at ``path`` (or ``incident``, already loaded from it),
    its records gathered (once); a warning line for each source (and
    ``[[graph]]``) whose records could not be read, and for each source whose
    records are an earlier pull's. With ``only``, the one window the command
    shows: the sources are read just around it."""
    from ..core.model import pull_of
    from ..incident.load import load_incident
    from ..timeline.gather import gather
    records = gather(incident or load_incident(path), only)
    for kept in records.kept:
        warn(f"{kept.name}: the last pull failed ({kept.reason}); using the records of {pull_of(kept.pulled)}")
    for missing in records.missing:
        warn(f"{missing.name} is missing from the timeline: the last pull could not read it ({missing.reason}); "
             f"run `postmortem pull` again")
    for graph in (g for g in records.graphs if g.missing is not None):
        warn(f"{graph.config.name} is not drawn: the last pull could not read it ({graph.missing}); "
             f"run `postmortem pull` again")
    if records.skipped:
        warn(skipped_warning(records.skipped))
    return records


def skipped_warning(skipped) -> str:
    """One line for the records skipped as not understood: how many, by source, the first."""
    from collections import Counter
    count = len(skipped)
    sources = ", ".join(f"{name} {number}" for name, number in Counter(name for name, _ in skipped).items())
    first = skipped[0][1]
    return (f"{count} record{'s' if count > 1 else ''} skipped as not understood ({sources}), the first at "
            f"{first.where()}: {first.reason}; the rest was read, `postmortem check` lists "
            f"{'them all' if count > 1 else 'it'}")


SHOWN_FINDINGS = 10


def warn_findings(records, *, blocking: bool = True) -> None:
    """A warning for each finding no ``[redact]`` rule resolved (kind and place,
    never the value), the first ten of them, then how many more; ``blocking=False``:
    only those that do not stop publishing (publish and update say the others)."""
    from ..timeline.redact_events import unresolved
    strict = records.incident.redact.strict
    found = [f for f in unresolved(records) if blocking or not f.blocks(strict)]
    for finding in found[:SHOWN_FINDINGS]:
        effect = "publish and update refuse it" if finding.blocks(strict) else "publish only warns"
        warn(f"{finding.where()}: {finding.kind} ({finding.category}) in the records, not resolved by "
             f"[redact]: {effect} (the value is not shown)")
    if len(found) > SHOWN_FINDINGS:
        warn(f"and {len(found) - SHOWN_FINDINGS} more findings: `postmortem check` lists them all")


def write_output(text: str, output: str | None) -> None:
    """To stdout, or atomically to a file (nothing is left half-written)."""
    if output and output != "-":
        write_atomically(Path(output), text)
        said(f"wrote {output}")
    else:
        to_stdout(text)


def write_report(text: str, output: str | None, pictures=()) -> None:
    """The report (to stdout, or to the file ``output``) and the pictures it
    embeds, ``(path, SVG)``, written all or none: a report never names a
    picture that is not there, and a picture is never left without its report."""
    to_file = bool(output and output != "-")
    files = [(Path(output), text)] if to_file else []
    files += [(Path(path), svg) for path, svg in pictures]
    write_all_atomically(files)
    for path, _ in files:
        said(f"wrote {path}")
    if not to_file:
        to_stdout(text)


def print_json(data) -> None:
    to_stdout(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_text(text: str) -> None:
    to_stdout(text if text.endswith("\n") else text + "\n")


def to_stdout(text: str) -> None:
    """``text`` on stdout; on a terminal without what would act on it (escape
    sequences, controls, bidirectional overrides: titles and reasons are
    servers' text), as it is into a pipe or a file."""
    isatty = getattr(sys.stdout, "isatty", None)
    sys.stdout.write(printable(text) if isatty and isatty() else text)


def one_line(text: str) -> str:
    """A message on one line, cleaned (:func:`postmortem.core.scrub.clean`): no
    credential the process holds, nothing that acts on a terminal."""
    return " ".join(clean(text).split())


def error(message: str) -> None:
    """The one way an error line is said: ``postmortem: error: …`` on stderr."""
    print(f"postmortem: error: {one_line(message)}", file=sys.stderr)


def said(message: str) -> None:
    """What a command did (``wrote X``, ``published …``) on stderr, apart from its output."""
    print(one_line(message), file=sys.stderr)


def warn(message: str) -> None:
    print(f"postmortem: warning: {one_line(message)}", file=sys.stderr)


@contextmanager
def passed_over_said():
    """The revisions an update did not take as its base, said also when a
    conflict stops it (they may be why it conflicts)."""
    from ..publishing.text_merge import MergeConflict
    try:
        yield
    except MergeConflict as conflict:
        for passed in conflict.passed_over:
            warn(passed)
        raise


WIKI_HELP = "the wiki's api.php URL (default: POSTMORTEM_WIKI or wiki in config.toml; `postmortem config`)"


def wiki_argument(sub, what: str = "") -> None:
    """--wiki API_URL: always the wiki's api.php URL, defaulting to the configured wiki."""
    sub.add_argument("--wiki", metavar="API_URL", help=WIKI_HELP + (f"; {what}" if what else ""))


def wiki_url(args) -> str:
    """--wiki, else POSTMORTEM_WIKI, else ``wiki`` in config.toml; InputError when none."""
    from ..core.config import setting
    found = setting("wiki", getattr(args, "wiki", None)).value
    if not found:
        raise InputError("no wiki: give --wiki API_URL, or set POSTMORTEM_WIKI or wiki in "
                         "~/.config/postmortem/config.toml", key="--wiki")
    return found


def prefix_argument(sub) -> None:
    sub.add_argument("--prefix", metavar="PREFIX", default="Incidents/",
                     help="the reports are the wiki's pages under PREFIX (default Incidents/)")


def report_items(args):
    """REPORT files when given, else every page under --prefix on the wiki."""
    if args.reports:
        if args.wiki:
            raise InputError("give REPORT files or --wiki (to read the pages under --prefix), not both", key="--wiki")
        return args.reports
    from ..net.mediawiki import read_pages_under
    from ..core.config import setting
    if not setting("wiki", args.wiki).value:
        raise InputError("give REPORT files, or --wiki API_URL (or a configured wiki) to read the pages under --prefix")
    return read_pages_under(wiki_url(args), args.prefix)


def page_address(api_url: str, title: str) -> str:
    """The page's address beside the wiki's api.php: ``…/index.php?title=Title``,
    which every MediaWiki serves (Manual:index.php), spaces as underscores."""
    from urllib.parse import quote, urljoin
    return urljoin(api_url, "index.php") + "?title=" + quote(title.replace(" ", "_"), safe="/:@$!*(),;~")


def report_arguments(sub, *, what: str = "REPORT") -> None:
    """REPORT (a file or -), or --page TITLE on the --wiki; --title for dates."""
    sub.add_argument("report", metavar=what, nargs="?", help="a report file, or - for stdin")
    sub.add_argument("--page", metavar="TITLE", help="read the report page TITLE from the wiki instead")
    wiki_argument(sub)
    sub.add_argument("--title", metavar="TITLE",
                     help="the page title, for dates (Incidents/YYYY-MM-DD …) when the report has none")


def read_report(args):
    """The REPORT argument: a file, ``-`` for stdin, or ``--wiki URL --page TITLE``
    (a page that is not there is an input error, exit 2)."""
    from ..read.report import decode_report, parse_report, read_report_file
    if args.page:
        if args.report:
            raise InputError("give a REPORT file or --page TITLE, not both", key="--page")
        return parse_report(_wiki_page_text(wiki_url(args), args.page), title=args.title or args.page)
    if args.wiki:
        raise InputError("--wiki needs --page TITLE", key="--wiki")
    if not args.report:
        raise InputError("give a REPORT file, - for stdin, or --page TITLE (on the --wiki)")
    if args.report == "-":
        return parse_report(decode_report(sys.stdin.buffer.read(), "<stdin>"), title=args.title)
    return read_report_file(args.report, title=args.title)


def _wiki_page_text(api_url: str, title: str) -> str:
    from ..net.mediawiki import read_page_text
    from ..core.errors import WikiError
    try:
        return read_page_text(api_url, title)
    except WikiError as err:
        if err.code not in ("missingtitle", "invalidtitle"):
            raise
        what = "no page" if err.code == "missingtitle" else "not a valid page title:"
        raise InputError(f"{what} {title!r} on the wiki {api_url}", key="--page") from None


DEFAULT_GRAPH = object()   # --graph without a name


def page_arguments(sub) -> None:
    """What publish and update share: the incident, the wiki, the page, the graph."""
    import argparse
    sub.add_argument("incident", metavar="INCIDENT.toml")
    wiki_argument(sub)
    sub.add_argument("--page", metavar="TITLE", default=None, help="the report's page (default Incidents/<id>)")
    sub.add_argument("--template", metavar="NAME|PATH", default=None, help=argparse.SUPPRESS)
    sub.add_argument("--graph", metavar="NAME.svg", nargs="?", const=DEFAULT_GRAPH, default=None,
                     help="upload the timeline graph as File:NAME.svg (default name: "
                          "'Incident <id> timeline.svg') and embed it in the report; a file of that "
                          "name that postmortem did not upload for this page is refused")
    sub.add_argument("--replace-graph", action="store_true",
                     help="upload the timeline graph (--graph) and the [[graph]] pictures over files of "
                          "their names whoever uploaded them")


def check_graph_arguments(args) -> None:
    """--graph NAME for publish/update: InputError (exit 2) before anything is
    read or requested."""
    from ..publishing.pictures import graph_file_name
    if args.graph is not None and args.graph is not DEFAULT_GRAPH:
        graph_file_name(args.graph)


def graph_name(args, records) -> str | None:
    """The graph's wiki file name: --graph NAME (a usable file name ending in
    .svg), the incident's default name for --graph alone, or None.
    --replace-graph without --graph is an InputError unless the incident has
    a [[graph]] (whose pictures it then concerns), before any request."""
    from ..publishing.pictures import default_graph_name, graph_file_name
    check_graph_arguments(args)
    if args.graph is None and args.replace_graph and not records.incident.graphs:
        raise InputError("--replace-graph needs --graph (or a [[graph]] in the incident)", key="--replace-graph")
    if args.graph is None:
        return None
    if args.graph is DEFAULT_GRAPH:
        return default_graph_name(records.incident.id)
    return graph_file_name(args.graph)
