"""`postmortem init DIR`: a commented incident.toml to start from."""

from __future__ import annotations

from pathlib import Path


def add_parser(commands) -> None:
    sub = commands.add_parser("init", help="write DIR/incident.toml skeleton",
                              description="Write a commented incident.toml skeleton into DIR.",
                              epilog="Example: postmortem init incidents/2023-09-28-enrich")
    sub.add_argument("dir", metavar="DIR")
    sub.add_argument("--force", action="store_true", help="overwrite an existing incident.toml")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..incident.skeleton import write_skeleton
    print(f"wrote {write_skeleton(Path(args.dir), force=args.force)}")
    return 0
