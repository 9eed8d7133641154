"""The `postmortem` command: options in, one library call, output out.

One module per command (``add_parser`` and ``run``); no logic lives here.
Library errors become one line on stderr and exit code 2 (bad input) or 1
(failure); `--debug` shows the traceback instead (after pre-commit's and
sqlite-utils' CLIs: each command opens the library object, calls one
method, maps library errors to a clean CLI error).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from .._version import __version__
from ..core.errors import PostmortemError
from ._common import error, one_line

# The commands, in the order `postmortem --help` lists them; the module of
# `stats-page` is stats_page.
COMMANDS = ("init", "pull", "check", "timeline", "review", "render", "publish", "update", "followups",  # one incident
            "scorecard", "parse", "lint", "report-scorecard", "stats", "stats-page", "open-followups",  # the wiki's
            "missing", "pages",                                                                       # reports
            "config", "completion")
NEEDS_EVERY_COMMAND = ("completion",)  # its script describes the whole parser
EPILOG = ("Exit codes: 0 success, 1 findings or a failed check, 2 usage or input error. "
          "`postmortem help COMMAND` shows a command's options.")


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a command, only that command's module
    is imported (the others get a bare entry, enough to parse and to say that
    they exist), so that a command starts without loading the others."""
    parser = argparse.ArgumentParser(
        prog="postmortem", description="Incident timelines and Wikitech-style postmortem reports.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"postmortem {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.set_defaults(root_parser=parser)   # for `completion`, which describes the whole parser
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _command_named(argv)
    for name in COMMANDS:
        if chosen in (None, name):
            importlib.import_module(f".{name.replace('-', '_')}", __name__).add_parser(commands)
        else:
            commands.add_parser(name)
    for sub in commands.choices.values():  # `postmortem render x --debug` works too
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def _command_named(argv) -> str | None:
    """The command ``argv`` runs; None when it names none, or needs every command
    (then every command's parser is built, for the full help or the error)."""
    words = [w for w in argv if w != "--debug"] if argv is not None else None
    if not words or words[0] not in COMMANDS or words[0] in NEEDS_EVERY_COMMAND:
        return None
    return words[0]


def main(argv=None) -> int:
    try:
        argv = _help_asked(sys.argv[1:] if argv is None else list(argv))
        args = build_parser(argv).parse_args(argv)
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
