"""A simulated incident's IRC channels, written by each channel's loggers in
their default formats and their own time zones (the formats as
postmortem/collect/sources/irc.py cites them):

- wm-bot (github benapetr/wikimedia-bot; https://wm-bot.wmcloud.org/logs/):
  ``<#chan>/YYYYMMDD.txt``, ``[HH:MM:SS] <nick>\\t message``, ``[HH:MM:SS] * nick action``;
- ZNC ``log`` module (https://wiki.znc.in/Log): ``YYYY-MM-DD.log``,
  ``[HH:MM:SS] <nick> msg``, ``[HH:MM:SS] *** Joins: nick (ident@host)``;
- irssi (https://irssi.org/documentation/help/log/): one file, ``--- Log opened
  Thu Sep 28 14:00:00 2023``, ``--- Day changed Fri Sep 29 2023``, ``HH:MM <@nick> msg``
  (or ``HH:MM:SS``), ``HH:MM  * nick action``;
- WeeChat logger (https://weechat.org/files/doc/stable/weechat_user.en.html#logger):
  one file, ``YYYY-MM-DD HH:MM:SS\\tnick\\tmsg``, ``\\t *\\tnick action``.

What a channel says: its chat, the ``!log`` lines said in it (stashbot
acknowledging each, a line the source ignores), and in the first channel the
alert relays' lines — jinxer-wm's (alertmanager-irc-relay, wikitech
"Alertmanager"): ``FIRING: <alertname>: <summary> - <runbook> - <alerts link>``
and ``RESOLVED: …``; icinga-wm's (phabricator T141520's quotes):
``PROBLEM - <service> on <host> is CRITICAL: …`` and ``RECOVERY - … is OK: …``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from .facts import Channel, Incident, Logger

STASHBOT_ACK = "Logged the message at https://wikitech.wikimedia.org/wiki/Server_Admin_Log"


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    nick: str
    text: str
    action: bool = False
    mode: str = ""     # the nick's mode prefix (@ an operator, + voiced)


def said_in(incident: Incident, channel: Channel) -> list[Line]:
    """Everything said in ``channel``, in time order."""
    lines = [Line(c.at, c.person.irc, c.text, c.action, "@+"[c.id % 2] if c.id % 3 == 0 else "")
             for c in incident.chats if c.place == channel.name]
    for log in incident.logs:
        if log.channel == channel.name:
            lines.append(Line(log.at, log.nick, f"!log {log.text}"))
            lines.append(Line(log.at + dt.timedelta(seconds=1), "stashbot", STASHBOT_ACK))
    if incident.channels[0] == channel:
        lines += relay_lines(incident)
    return sorted(lines, key=lambda line: line.at)


def relay_lines(incident: Incident) -> list[Line]:
    lines = []
    for alert in incident.alerts:
        if alert.relay is None:
            continue
        lag = dt.timedelta(seconds=alert.relay_lag)
        for firing in alert.firings:
            lines.append(Line(firing.start + lag, alert.relay, _announce(alert, firing=True)))
            if firing.end is not None:
                lines.append(Line(firing.end + lag, alert.relay, _announce(alert, firing=False)))
    return lines


def _announce(alert, *, firing: bool) -> str:
    if alert.icinga:
        return (f"PROBLEM - {alert.name} is CRITICAL: CRITICAL - Socket timeout after 10 seconds "
                f"https://wikitech.wikimedia.org/wiki/Application_servers" if firing else
                f"RECOVERY - {alert.name} is OK: HTTP OK: HTTP/1.1 200 OK - 326 bytes in 0.021 second response time")
    links = (f"https://wikitech.wikimedia.org/wiki/Runbook - "
             f"https://alerts.wikimedia.org/?q=alertname%3D{alert.name}")
    return f"{'FIRING' if firing else 'RESOLVED'}: {alert.name}: {alert.summary} - {links}"


def write_channels(incident: Incident, root: Path) -> list[dict]:
    """Every logger's files under ``root``; the ``[[source]]`` of each."""
    sources = []
    for n, channel in enumerate(incident.channels):
        lines = said_in(incident, channel)
        for logger in channel.loggers if lines else ():   # a logger of a silent channel wrote nothing
            folder = root / f"irc-{n}-{logger.format}"
            sources.append(WRITERS[logger.format](folder, channel, logger, lines))
    return sources


def _local(line: Line, logger: Logger) -> dt.datetime:
    """When ``logger``'s clock says the line came."""
    return (line.at + dt.timedelta(seconds=logger.skew)).astimezone(ZoneInfo(logger.timezone))


def _source(folder: Path, path: str, channel: Channel, logger: Logger) -> dict:
    options = {"type": "irc", "path": f"{folder.name}/{path}", "timezone": logger.timezone, "channel": channel.name}
    return options if logger.detect else {**options, "format": logger.format}


def _by_day(lines: list[Line], logger: Logger) -> dict[dt.date, list[Line]]:
    days: dict[dt.date, list[Line]] = {}
    for line in lines:
        days.setdefault(_local(line, logger).date(), []).append(line)
    return days


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _bracketed(line: Line, logger: Logger, after_nick: str) -> str:
    """``[HH:MM:SS] <nick>…msg`` or ``[HH:MM:SS] * nick action`` (wm-bot, ZNC)."""
    said = f"* {line.nick} {line.text}" if line.action else f"<{line.mode}{line.nick}>{after_nick}{line.text}"
    return f"[{_local(line, logger):%H:%M:%S}] {said}"


def write_wmbot(folder: Path, channel: Channel, logger: Logger, lines: list[Line]) -> dict:
    for day, said in _by_day(lines, logger).items():
        _write(folder / channel.name / f"{day:%Y%m%d}.txt", [_bracketed(s, logger, "\t ") for s in said])
    return _source(folder, "*/*.txt", channel, logger)


def write_znc(folder: Path, channel: Channel, logger: Logger, lines: list[Line]) -> dict:
    for day, said in _by_day(lines, logger).items():
        first = said[0]
        out = [f"[{_local(first, logger):%H:%M:%S}] *** Joins: {first.nick} (~{first.nick}@user/{first.nick})"]
        out += [_bracketed(s, logger, " ") for s in said]
        _write(folder / f"{day:%Y-%m-%d}.log", out)
    return _source(folder, "*.log", channel, logger)


def write_irssi(folder: Path, channel: Channel, logger: Logger, lines: list[Line]) -> dict:
    clock = "%H:%M:%S" if logger.seconds else "%H:%M"
    out, day = [], None
    for s in lines:
        local = _local(s, logger)
        if day is None:
            out.append(f"--- Log opened {local:%a %b %d %H:%M:%S %Y}")
        elif local.date() != day:
            out.append(f"--- Day changed {local:%a %b %d %Y}")
        day = local.date()
        out.append(f"{local:{clock}}  * {s.nick} {s.text}" if s.action else
                   f"{local:{clock}} <{s.mode or ' '}{s.nick}> {s.text}")
    _write(folder / f"{channel.name.lstrip('#')}.log", out)
    return _source(folder, "*.log", channel, logger)


def write_weechat(folder: Path, channel: Channel, logger: Logger, lines: list[Line]) -> dict:
    stamp = "%Y-%m-%d %H:%M:%S"
    _write(folder / f"irc.libera.{channel.name}.weechatlog",
           [f"{_local(s, logger):{stamp}}\t *\t{s.nick} {s.text}" if s.action else
            f"{_local(s, logger):{stamp}}\t{s.mode}{s.nick}\t{s.text}" for s in lines])
    return _source(folder, "*.weechatlog", channel, logger)


WRITERS = {"wm-bot": write_wmbot, "znc": write_znc, "irssi": write_irssi, "weechat": write_weechat}
