"""`postmortem init DIR`: a commented incident.toml to start from."""

from __future__ import annotations

from pathlib import Path

from ._common import said


def add_parser(commands) -> None:
    sub = commands.add_parser("init", help="write DIR/incident.toml skeleton",
                              description="Write a commented incident.toml skeleton into DIR.",
                              epilog="Example: postmortem init incidents/2023-09-28-enrich")
    sub.add_argument("dir", metavar="DIR", help="a YYYY-MM-DD-name folder gives the id 'YYYY-MM-DD name' and the "
                                                 "start date (--id and --start say otherwise)")
    sub.add_argument("--force", action="store_true", help="overwrite an existing incident.toml")
    sub.add_argument("--id", metavar="ID", help="the incident's id (its page is Incidents/<id>)")
    sub.add_argument("--start", metavar="TIME", help="when it started: '2024-03-05 06:58' (UTC)")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..incident.skeleton import write_skeleton
    from ..core.nesting import load_toml
    path = write_skeleton(Path(args.dir), force=args.force, incident_id=args.id, start=args.start)
    incident = load_toml(path.read_text(encoding="utf-8"))["incident"]
    said(f"wrote {path}: id {incident['id']!r}, start {incident['start']} UTC; edit it, then "
         f"`postmortem check {path}`")
    return 0
