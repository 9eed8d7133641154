"""`postmortem completion SHELL`: the shell's completion script, made from the
parser by shtab (https://github.com/iterative/shtab)."""

from __future__ import annotations

from ._common import print_text

SHELLS = ("bash", "zsh", "tcsh")


def add_parser(commands) -> None:
    sub = commands.add_parser("completion", help="print the shell completion script",
                              description="Print the completion script for SHELL. Bash: "
                                          "`postmortem completion bash > ~/.local/share/bash-completion/"
                                          "completions/postmortem`; zsh: write it as `_postmortem` into a "
                                          "folder of your $fpath.",
                              epilog="Example: source <(postmortem completion bash)")
    sub.add_argument("shell", metavar="SHELL", choices=SHELLS, help=" or ".join(SHELLS))
    sub.set_defaults(func=run)


def run(args) -> int:
    import shtab
    print_text(shtab.complete(args.root_parser, shell=args.shell))
    return 0
