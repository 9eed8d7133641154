"""The `postmortem` command: options in, one library call, output out.

One module per command (``add_parser`` and ``run``); no logic lives here.
Library errors become one line on stderr and exit code 2 (bad input) or 1
(failure); `--debug` shows the traceback instead (after pre-commit's and
sqlite-utils' CLIs: each command opens the library object, calls one
method, maps library errors to a clean CLI error).
"""

from __future__ import annotations

import argparse
import signal
import sys

from .._version import __version__
from ..core.errors import PostmortemError
from . import (check, completion, config, followups, init, lint, missing, open_followups, pages, parse, publish, pull,
               render, report_scorecard, review, scorecard, stats, stats_page, timeline, update)
from ._common import error, one_line

COMMANDS = (init, pull, check, timeline, review, render, publish, update, followups, scorecard,  # one incident
            parse, lint, report_scorecard, stats, stats_page, open_followups, missing, pages,  # the wiki's reports
            config, completion)
EPILOG = "Exit codes: 0 success, 1 findings or a failed check, 2 usage or input error."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postmortem", description="Incident timelines and Wikitech-style postmortem reports.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"postmortem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.set_defaults(root_parser=parser)   # for `completion`, which describes the whole parser
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    for sub in commands.choices.values():  # `postmortem render x --debug` works too
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def main(argv=None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(_help_asked(sys.argv[1:] if argv is None else list(argv)))
        return args.func(args)
    except PostmortemError as err:
        if args.debug:
            raise
        error(str(err))
        return err.exit_code
    except KeyboardInterrupt:
        # Ctrl-C: out at once, quietly. No thread holds the exit (pull's are daemons)
        # and a second Ctrl-C while leaving is ignored rather than shown as a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("postmortem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: still one line, with the way to see more
        if args.debug:
            raise
        print(f"postmortem: internal error: {type(err).__name__}: {one_line(str(err))} "
              f"(run with --debug for the traceback)", file=sys.stderr)
        return 1


def _help_asked(argv: list[str]) -> list[str]:
    """Bare `postmortem` and `postmortem help [COMMAND]` are `--help` (as gh and kubectl do)."""
    if not argv:
        return ["--help"]
    if argv[0] == "help":
        return [*argv[1:2], "--help"]
    return argv


if __name__ == "__main__":
    sys.exit(main())
