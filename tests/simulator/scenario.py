"""A simulated incident laid out as a user would have it: a folder with its
incident.toml (``[incident]``, the ``[people.*]`` roster with time zones, hours
and aliases, a ``[[source]]`` per logger, page, mail folder and export), the
file sources beside it, and the network sources' recorded answers served on
127.0.0.1 (tests/services.py) while the caller pulls."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from tests.services import FakeServer, pagerduty_app, prometheus_app, sal_app, splunk_app

from .facts import Incident
from .irc_logs import write_channels
from .mails import write_mails
from .paging import pagerduty_answers, splunk_answers
from .prometheus import QUERY, alert_series
from .sal import tool_entries, write_page
from .slack import write_export

TOKENS = {"PM_SIM_PAGERDUTY": "u+sim-pagerduty-token", "PM_SIM_VO_ID": "sim-id", "PM_SIM_VO_KEY": "sim-key"}


def file_sources(incident: Incident, folder: Path) -> list[dict]:
    sources = write_channels(incident, folder)
    if incident.sal_page:
        sources.append(write_page(incident, folder / "sal.wiki"))
    if incident.mail:
        sources += filter(None, [write_mails(incident, folder / "mails")])
    if incident.slack:
        sources.append(write_export(incident, folder / "slack"))
    return sources


class Servers:
    """One local server per network service, started once for many incidents:
    each incident puts its answers in them (:func:`network_sources`)."""

    NAMES = ("sal", "prometheus", "pagerduty", "splunk-oncall")

    def __enter__(self) -> "Servers":
        self._stack = ExitStack()
        self.by_name = {name: self._stack.enter_context(FakeServer(_nothing)) for name in self.NAMES}
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def serve(self, name: str, app) -> str:
        self.by_name[name].app = app
        return self.by_name[name].url


def _nothing(request):
    raise AssertionError(f"no incident is served here: {request.path}")


def network_sources(incident: Incident, servers: Servers) -> list[dict]:
    """Serve the recorded answers; the ``[[source]]`` of each."""
    sources = []
    if incident.sal_tool:
        sources.append({"type": "sal", "url": servers.serve("sal", sal_app(tool_entries(incident)))})
    if incident.prometheus:
        app = prometheus_app(alert_series(incident), query=QUERY)
        sources.append({"type": "prometheus", "url": servers.serve("prometheus", app)})
    if incident.pagerduty:
        app = pagerduty_app(*pagerduty_answers(incident), token=TOKENS["PM_SIM_PAGERDUTY"])
        sources.append({"type": "pagerduty", "url": servers.serve("pagerduty", app), "token_env": "PM_SIM_PAGERDUTY"})
    if incident.splunk:
        app = splunk_app(*splunk_answers(incident), api_id=TOKENS["PM_SIM_VO_ID"], api_key=TOKENS["PM_SIM_VO_KEY"])
        sources.append({"type": "splunk-oncall", "url": servers.serve("splunk-oncall", app), "org": "wikimedia",
                        "api_id_env": "PM_SIM_VO_ID", "api_key_env": "PM_SIM_VO_KEY"})
    return sources


def incident_toml(incident: Incident, sources: list[dict]) -> str:
    lines = ["[incident]", f'id = "simulated {incident.number}"', f'start = "{incident.start:%Y-%m-%d %H:%M}"',
             f'end = "{incident.end:%Y-%m-%d %H:%M}"', ""]
    for person in incident.people:
        if person.on_roster:
            lines += [f"[people.{person.name}]", f"timezone = {json.dumps(person.timezone)}",
                      f'hours = "{person.hours[0]:02d}:00-{person.hours[1]:02d}:00"',
                      f"aliases = {json.dumps(list(person.aliases()))}", ""]
    for source in sources:
        lines += ["[[source]]"] + [f"{key} = {json.dumps(value)}" for key, value in source.items()] + [""]
    return "\n".join(lines)


@contextmanager
def laid_out(incident: Incident, folder: Path, servers: Servers) -> Iterator[Path]:
    """Write ``incident`` into ``folder`` and serve its answers (with the
    tokens in the environment) while the caller uses it: yields incident.toml."""
    sources = file_sources(incident, folder) + network_sources(incident, servers)
    path = folder / "incident.toml"
    path.write_text(incident_toml(incident, sources), encoding="utf-8")
    saved = {name: os.environ.get(name) for name in TOKENS}
    os.environ.update(TOKENS)
    try:
        yield path
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
