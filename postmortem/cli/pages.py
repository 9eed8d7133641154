"""`postmortem pages --since DATE --until DATE …`: every page in a period."""

from __future__ import annotations

from ..core.errors import InputError
from ._common import print_json, to_stdout

SPLUNK_KEYS = ("org", "api_id_env", "api_key_env", "team", "routing_key")


def add_parser(commands) -> None:
    sub = commands.add_parser("pages", help="every page in a period: who, in or out of working hours, time to acknowledge",
                              description="Every page Splunk On-Call or PagerDuty sent in a period: who was paged, "
                                          "in or out of their working hours ([people.*] in --sources, else "
                                          "PagerDuty's time zone), the time to acknowledge, and totals.",
                              epilog="Example: postmortem pages --since 2024-03-01 --until 2024-03-31 "
                                     "--splunk-oncall --org wikimedia --api-id-env VO_ID --api-key-env VO_KEY")
    sub.add_argument("--since", required=True, metavar="DATE", help="'2024-03-01' or '2024-03-01 14:00' (UTC)")
    sub.add_argument("--until", required=True, metavar="DATE", help="a date alone: to the end of that day")
    sub.add_argument("--sources", metavar="FILE", help="a TOML file of [[source]] tables and optional [people.*]")
    splunk = sub.add_argument_group("Splunk On-Call")
    splunk.add_argument("--splunk-oncall", nargs="?", const="", metavar="URL", help="default https://api.victorops.com")
    for key in SPLUNK_KEYS:
        splunk.add_argument("--" + key.replace("_", "-"), dest=key, metavar=key.split("_")[-1].upper())
    pagerduty = sub.add_argument_group("PagerDuty")
    pagerduty.add_argument("--pagerduty", nargs="?", const="", metavar="URL", help="default https://api.pagerduty.com")
    pagerduty.add_argument("--token-env", metavar="ENV", help="the variable that holds the REST API key")
    sub.add_argument("--format", choices=("text", "csv", "json"), default="text")
    sub.set_defaults(func=run)


def run(args) -> int:
    from ..incident.load import load_sources, source_configs
    from ..database.pages import pages_in_period, period
    configs, people = load_sources(args.sources) if args.sources else ((), {})
    configs += source_configs(_option_tables(args), start=len(configs))
    report = pages_in_period(configs, people, period(args.since, args.until))
    if args.format == "json":
        print_json(report.to_json())
    else:
        to_stdout(report.to_csv() if args.format == "csv" else report.to_text())
    return 0


def _option_tables(args) -> list[dict]:
    """The sources given as options, as [[source]] tables."""
    tables = []
    if args.splunk_oncall is not None:
        tables.append({"type": "splunk-oncall", **({"url": args.splunk_oncall} if args.splunk_oncall else {}),
                       **{k: getattr(args, k) for k in SPLUNK_KEYS if getattr(args, k) is not None}})
    elif any(getattr(args, k) is not None for k in SPLUNK_KEYS):
        raise InputError("--org, --api-id-env, --api-key-env, --team and --routing-key go with --splunk-oncall")
    if args.pagerduty is not None:
        tables.append({"type": "pagerduty", **({"url": args.pagerduty} if args.pagerduty else {}),
                       **({"token_env": args.token_env} if args.token_env else {})})
    elif args.token_env:
        raise InputError("--token-env goes with --pagerduty", key="--token-env")
    return tables
