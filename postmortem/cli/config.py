"""`postmortem config`: the settings in force and where each comes from
(option, environment, config file, default), secrets masked; `postmortem
config --path` prints the config file's path."""

from __future__ import annotations

from ._common import print_json, print_text


def add_parser(commands) -> None:
    sub = commands.add_parser("config", help="the settings in force and where each comes from",
                              description="The default wiki, the contact sent in the User-Agent and the "
                                          "credentials, each with where it comes from: an environment "
                                          "variable, the config file ($XDG_CONFIG_HOME/postmortem/config.toml, "
                                          "default ~/.config/postmortem/config.toml) or the default. Secrets "
                                          "are never shown. A command's option comes first of all.",
                              epilog="Example: postmortem config")
    sub.add_argument("--path", action="store_true", help="print only the config file's path")
    sub.add_argument("--format", choices=("text", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..core.config import config_path, in_force
    if args.path:
        print_text(str(config_path()))
        return 0
    settings = in_force()
    if args.format == "json":
        print_json({"file": str(config_path()), "settings": [
            {"name": s.name, "value": None if s.secret else s.value, "set": s.value is not None,
             "from": s.origin} for s in settings]})
        return 0
    width = max(len(s.name) for s in settings)
    lines = [f"config file: {config_path()}" + ("" if config_path().exists() else " (none)")]
    lines += [f"{s.name.ljust(width)}  {s.shown()}" + (f"  ({s.origin})" if s.value is not None else "")
              for s in settings]
    print_text("\n".join(lines))
    return 0
