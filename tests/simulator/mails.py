"""A simulated incident's alerts as Alertmanager mails them: one mail per
alert firing and per recovery (``send_resolved``), as .eml files.

Formats (as postmortem/collect/sources/alert_email.py cites them): the
subject of Alertmanager's ``__subject`` (``[FIRING:1] alertname (label
values)``, ``[RESOLVED] …``); the body either Alertmanager's default text
template ``__text_alert_list`` (``Alerts Firing:``, ``Labels:`` / ``Annotations:``
blocks of `` - name = value`` lines, ``Source: <generatorURL>``) or Wikimedia's
HTML template (github wikimedia/operations-puppet
``modules/alertmanager/templates/email.tmpl.erb``: ``[1] Firing``, ``Labels`` and
``Annotations`` headings, ``name = value<br />`` lines, ``<a href>Source</a>``),
alone or with the text part; the ``Date`` in the sending host's zone, the
alert's mail lag (its group_wait) after the change.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from email.message import EmailMessage
from html import escape
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .facts import Alert, Incident

MAIL_ZONES = ("UTC", "Europe/Berlin", "America/Chicago")


def write_mails(incident: Incident, folder: Path) -> dict | None:
    """The mails, and their ``[[source]]`` (None when no alert was mailed). Alerts
    of one name whose change is mailed at the same moment (a rule firing for
    several instances at one evaluation) are one mail, as Alertmanager groups them."""
    folder.mkdir(parents=True, exist_ok=True)
    mails: dict[tuple, list[Alert]] = {}
    for alert in incident.alerts:
        for firing in alert.firings if alert.mailed else ():
            for state, at in (("firing", firing.start), ("resolved", firing.end)):
                if at is not None:
                    mails.setdefault((alert.name, state, at + dt.timedelta(seconds=alert.mail_lag)), []).append(alert)
    for n, ((_, state, at), alerts) in enumerate(sorted(mails.items(), key=lambda item: item[0][2])):
        mail = alert_mail(alerts, state, at, variant=alerts[0].id + n)
        (folder / f"{n:03d}-{state}.eml").write_bytes(mail.as_bytes(policy=email.policy.SMTP))
    return {"type": "alert-email", "path": f"{folder.name}/*.eml"} if mails else None


def alert_mail(alerts: list[Alert], state: str, at: dt.datetime, variant: int) -> EmailMessage:
    values = " ".join(v for k, v in alerts[0].labels if k not in ("alertname", "instance"))
    mail = EmailMessage()
    mail["From"] = "alertmanager@wikimedia.org"
    mail["To"] = "sre-alerts@lists.wikimedia.org"
    mail["Subject"] = f"[{f'FIRING:{len(alerts)}' if state == 'firing' else 'RESOLVED'}] {alerts[0].name} ({values})"
    mail["Date"] = email.utils.format_datetime(at.astimezone(ZoneInfo(MAIL_ZONES[variant % 3])))
    source = f"https://prometheus-eqiad.wikimedia.org/ops/graph?g0.expr={quote(alerts[0].name)}"
    text = "\n".join([f"Alerts {'Firing' if state == 'firing' else 'Resolved'}:"]
                     + [_text(a.label_map, a.summary, source) for a in alerts])
    html = _html(alerts, state, source)
    if variant % 3 == 0:
        mail.set_content(text)
    elif variant % 3 == 1:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
    return mail


def _text(labels: dict, summary: str, source: str) -> str:
    lines = ["Labels:"] + [f" - {k} = {v}" for k, v in labels.items()]
    lines += ["Annotations:", f" - summary = {summary}", f"Source: {source}", ""]
    return "\n".join(lines)


def _html(alerts: list[Alert], state: str, source: str) -> str:
    blocks = "".join(
        "<tr><td><strong>Labels</strong><br />" + "".join(f"{escape(k)} = {escape(v)}<br />" for k, v in a.labels)
        + f"<strong>Annotations</strong><br />summary = {escape(a.summary)}<br />"
        f"<a href=\"{escape(source)}\">Source</a><br /></td></tr>" for a in alerts)
    return ("<html><body><table>"
            f"<tr><td><strong>[{len(alerts)}] {'Firing' if state == 'firing' else 'Resolved'}</strong></td></tr>"
            f"{blocks}</table></body></html>\n")
