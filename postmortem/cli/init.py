"""`postmortem init DIR`: a commented incident.toml to start from."""

from __future__ import annotations

from pathlib import Path


def add_parser(commands) -> None:
    sub = commands.add_parser("init", help="write DIR/incident.toml skeleton",
                              description="Write a commented incident.toml skeleton into DIR.",
                              epilog="Example: postmortem init incidents/2023-09-28-enrich")
    sub.add_argument("dir", metavar="DIR")
    sub.add_argument("--force", action="store_true", help="overwrite an existing incident.toml")
    sub.add_argument("--id", metavar="ID", help="the incident's id (its page is Incidents/<id>)")
    sub.add_argument("--start", metavar="TIME", help="when it started: '2024-03-05 06:58' (UTC)")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..incident.skeleton import write_skeleton
    print(f"wrote {write_skeleton(Path(args.dir), force=args.force, incident_id=args.id, start=args.start)}")
    return 0
