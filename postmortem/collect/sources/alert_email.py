"""Source ``alert-email``: Alertmanager notification e-mails (.eml) or pasted alert text.

Formats read (cite these when changing the parser):

- Wikimedia's Alertmanager e-mail template (github wikimedia/operations-puppet,
  ``modules/alertmanager/templates/email.tmpl.erb``, ``email.default.html``):
  HTML only; ``[N] Firing`` / ``[N] Resolved`` headers, then per alert a
  ``Labels`` heading and ``name = value<br/>`` lines, an ``Annotations``
  heading and ``name = value<br/>`` lines, and ``<a href="GeneratorURL">Source</a>``.
- Alertmanager's default text template ``__text_alert_list`` (prometheus/alertmanager
  ``template/default.tmpl``): ``Labels:`` / ``Annotations:`` blocks of
  `` - name = value`` lines and ``Source: <GeneratorURL>``; templates built
  on it separate the two groups with ``Alerts Firing:`` / ``Alerts Resolved:``.
- Subject (Alertmanager ``__subject``): ``[FIRING:N] alertname …`` or ``[RESOLVED] …``.
- Pasted text (the Detection section of the 2023-09-28
  mw-page-content-change-enrich report): bare ``alertname = …`` lines with
  no headings, sometimes glued to a sentence (``Email alert fired.alertname = …``).

The time of every alert is the mail's ``Date`` header (stdlib ``email``,
``policy=email.policy.default``), else a ``Date:`` line in pasted text, else
the ``time`` option (ISO, UTC unless it has an offset). Multipart mails are
read from their text/plain part, or from the text/html part with the tags stripped.

Records: each alert of a mail is one; a file that gives none (a file that is no
alert mail, one with no time or an unreadable ``Date``, a part that cannot be
decoded) is one record skipped with the reason, an alert without an
``alertname`` is skipped and the mail's other alerts kept, and the other
files are read. Only a file that cannot be read (or, without mail headers, is
not text in the ``encoding``) is an error.

Events, one per alert: source ``"alert-email"``, actor None, precision
``"second"``; tags ``("alert",)`` plus ``"page"`` when a firing alert has
severity ``page`` or ``#page`` in its text (a resolved notice pages nobody);
text ``"<alertname> firing (<severity>): <summary>"`` (parts left out when
unknown) or ``"<alertname> resolved"``; url = the alert's Source
(generatorURL) or None; fields ``alertname``, ``severity``, ``summary``,
``team`` (``""`` when unknown), ``state`` (``firing``/``resolved``) plus
``label.<name>`` for every label and ``annotation.<name>`` for every annotation.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ...core.errors import IncidentFileError, SourceError
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import UTC, parse_time
from ...core import vocabulary
from ...core.accounting import Tally
from ...net.responses import shorten
from . import DEFAULT_ENCODING, BaseSource, check_options, encoding_of, option, resolve_paths, text_lines

TYPE = "alert-email"
OPTIONS = ("path", "time", "encoding")

# Keys that are annotations when pasted text has no Labels/Annotations headings.
ANNOTATION_KEYS = frozenset({"summary", "description", "message", "runbook", "runbook_url", "dashboard"})

_SUBJECT_STATE = re.compile(r"^\s*(?:Subject:\s*)?\[(?P<state>FIRING|RESOLVED)\b", re.IGNORECASE)
_SECTION = re.compile(r"^\s*(?:Alerts\s+(?P<a>Firing|Resolved)\s*:?|\[\d+\]\s+(?P<b>Firing|Resolved))\s*$",
                      re.IGNORECASE)
_BLOCK = re.compile(r"^\s*\**(?P<kind>Labels|Annotations)\**\s*:?\s*$", re.IGNORECASE)
_PAIR = re.compile(r"^\s*(?:[-*\u2022]\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
_GLUED_ALERTNAME = re.compile(r"[\s.:>](?P<key>alertname)\s*=\s*(?P<value>\S.*?)\s*$")
_SOURCE = re.compile(r"^\s*Source:\s*(?P<url>\S+)\s*$")
_DATE_LINE = re.compile(r"^\s*Date:\s*(?P<value>\S.*?)\s*$", re.MULTILINE)
# A person's reply or forward (RFC 5322 §3.6.5 "Re: "; mail programs' Fwd:/Fw:/AW:/WG:/SV:/VS:).
_REPLY_SUBJECT = re.compile(r"^\s*(?:Subject:\s*)?(?:re|fwd?|aw|wg|sv|vs|tr)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
# A line a mail program quoted from an earlier mail (RFC 3676 §4.5 quote marks).
_QUOTED = re.compile(r"^\s*>")


@dataclass
class Alert:
    """One alert as read from a mail: state, labels, annotations, Source URL."""

    state: str
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    url: str | None = None

    def has(self, key: str) -> bool:
        """Whether ``key`` was already given for this alert."""
        return key in self.labels or key in self.annotations


# ---------------------------------------------------------------- HTML to text

class _HTMLText(HTMLParser):
    """Text of an HTML mail: block tags become line breaks, ``<a>Source</a>``
    becomes ``Source: <href>``; head, style and script are dropped."""

    BREAKS = frozenset({"br", "p", "div", "tr", "td", "th", "li", "table", "hr",
                        "h1", "h2", "h3", "h4", "h5", "h6"})
    SKIP = frozenset({"head", "title", "style", "script"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.href: str | None = None
        self.link: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")
        elif tag == "a":
            self.href, self.link = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")
        elif tag == "a" and self.href is not None:
            label = "".join(self.link).strip()
            self.parts.append(f"\nSource: {self.href}\n" if label == "Source" and self.href else label)
            self.href = None

    def handle_data(self, data):
        if self.skipping:
            return
        (self.link if self.href is not None else self.parts).append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body, one line per block element."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# ---------------------------------------------------------------- alert blocks

def parse_alerts(text: str, state: str = "firing") -> list[Alert]:
    """The alerts in a mail body or pasted text, in the order written.

    ``state`` applies until an ``Alerts Firing:``/``[N] Resolved`` header
    changes it. With ``Labels``/``Annotations`` headings each ``Labels``
    starts an alert and ``key = value`` lines outside the blocks are ignored;
    without them (pasted text) a repeated key starts the next alert.
    """
    lines = [line for line in text.splitlines() if not _QUOTED.match(line)]  # quotes are never alerts
    if any(_BLOCK.match(line) for line in lines):
        return _parse_blocks(lines, state)
    return _parse_pasted(lines, state)


def _section_state(line: str) -> str | None:
    """``firing``/``resolved`` for an ``Alerts Firing:``/``[2] Resolved`` line."""
    match = _SECTION.match(line)
    return (match["a"] or match["b"]).lower() if match else None


def _parse_blocks(lines: list[str], state: str) -> list[Alert]:
    """Alerts from text with ``Labels``/``Annotations`` headings."""
    alerts: list[Alert] = []
    block: dict | None = None
    for line in lines:
        if (new_state := _section_state(line)) is not None:
            state, block = new_state, None
        elif heading := _BLOCK.match(line):
            if heading["kind"].lower() == "labels" or not alerts or alerts[-1].state != state:
                alerts.append(Alert(state))
            block = alerts[-1].labels if heading["kind"].lower() == "labels" else alerts[-1].annotations
        elif (source := _SOURCE.match(line)) and alerts and block is not None:
            alerts[-1].url = alerts[-1].url or source["url"]
        elif block is not None and (pair := _PAIR.match(line)):
            block.setdefault(pair["key"], pair["value"])
    return alerts


def _parse_pasted(lines: list[str], state: str) -> list[Alert]:
    """Alerts from pasted ``key = value`` lines with no headings."""
    alerts: list[Alert] = []
    for line in lines:
        if (new_state := _section_state(line)) is not None:
            state = new_state
            continue
        if (source := _SOURCE.match(line)) and alerts:
            alerts[-1].url = alerts[-1].url or source["url"]
            continue
        pair = _PAIR.match(line) or _GLUED_ALERTNAME.search(line)
        if pair is None:
            continue
        key, value = pair["key"], pair["value"]
        if not alerts or alerts[-1].has(key) or alerts[-1].state != state:
            alerts.append(Alert(state))
        target = alerts[-1].annotations if key in ANNOTATION_KEYS else alerts[-1].labels
        target[key] = value
    return alerts


# ---------------------------------------------------------------- events

def _is_page(alert: Alert) -> bool:
    """A firing alert that pages: severity ``page`` or ``#page`` anywhere in its
    text. A resolved notice pages nobody, so it never counts as a page."""
    if alert.state != "firing":
        return False
    if alert.labels.get("severity", "").lower() == "page":
        return True
    return any("#page" in value for value in (*alert.labels.values(), *alert.annotations.values()))


def alert_event(alert: Alert, time: dt.datetime) -> Event:
    """The Event for one alert seen at ``time`` (aware UTC)."""
    facts = vocabulary.Alert(alert.labels["alertname"], alert.state, alert.labels,
                             summary=alert.annotations.get("summary") or None)
    tags = ("alert", "page") if _is_page(alert) else ("alert",)
    return Event(time=time, source=TYPE, text=facts.describe(), actor=None, url=alert.url, tags=tags,
                 precision="second", alert=facts,
                 fields={f"annotation.{key}": value for key, value in alert.annotations.items()})


# ---------------------------------------------------------------- files

class NoAlertMail(ValueError):
    """A file that gives no alert (its reason is the message): one record skipped."""


@dataclass
class Mail:
    """What a file says: subject (maybe empty), time (maybe None), body texts to try."""

    subject: str
    time: dt.datetime | None
    bodies: list[str]


def _aware_utc(moment: dt.datetime) -> dt.datetime:
    """RFC 5322 ``-0000`` gives a naive datetime: that is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_date(value: str) -> dt.datetime:
    """An RFC 5322 date (``Thu, 28 Sep 2023 14:33:05 +0000``) or an ISO time, as UTC."""
    try:
        return _aware_utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return parse_time(value)[0]


def _mail_bodies(message) -> list[str]:
    """Texts to look for alerts in: the text/plain part, then the stripped text/html part;
    NoAlertMail for a part whose charset or transfer encoding cannot be decoded."""
    bodies = []
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        if part is not None:
            try:
                content = part.get_content()
            except (LookupError, ValueError, UnicodeError, AssertionError, KeyError) as err:
                raise NoAlertMail(f"the text/{subtype} part cannot be decoded ({type(err).__name__}: "
                                  f"{shorten(str(err), 80)})") from None
            bodies.append(html_to_text(content) if subtype == "html" else content)
    return bodies


def _read_mail(message) -> Mail:
    """A Mail from a message with headers."""
    header = message["Date"]
    time = getattr(header, "datetime", None) if header is not None else None
    if header is not None and time is None:
        raise NoAlertMail(f"unreadable Date header {str(header)!r}")
    return Mail(subject=str(message["Subject"] or ""), time=_aware_utc(time) if time else None,
                bodies=_mail_bodies(message))


def _read_pasted(text: str) -> Mail:
    """A Mail from pasted text: maybe a ``Date:`` and a ``[FIRING:1] …`` line."""
    time = None
    if date_line := _DATE_LINE.search(text):
        try:
            time = _parse_date(date_line["value"])
        except ValueError:
            raise NoAlertMail(f"unreadable Date: line {date_line['value']!r}") from None
    subject = next((line for line in text.splitlines() if _SUBJECT_STATE.match(line)), "")
    return Mail(subject=subject, time=time, bodies=[text])


def read_mail_file(file: Path, encoding: str = DEFAULT_ENCODING) -> Mail:
    """Read an .eml (headers and a body, maybe multipart: its parts say their
    charsets) or a pasted text file (in ``encoding``; SourceFormatError when it is
    not text in it); NoAlertMail when it cannot give alerts."""
    raw = file.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if any(name in message for name in ("Date", "Subject", "From")):
        return _read_mail(message)
    text = "".join(line for _, line in text_lines(file, encoding, source=TYPE))
    return _read_pasted(text)


def _subject_state(subject: str) -> str:
    """``resolved`` for a ``[RESOLVED]`` subject, else ``firing``."""
    match = _SUBJECT_STATE.match(subject)
    return "resolved" if match and match["state"].upper() == "RESOLVED" else "firing"


def file_events(file: Path, fallback_time: dt.datetime | None = None, *,
                encoding: str = DEFAULT_ENCODING, tally: Tally | None = None) -> list[Event]:
    """One event per alert in ``file``, each alert a record counted in ``tally``.
    A file that gives no alert is one record skipped there with the reason, an
    alert without an alertname one alert skipped; a person's reply or forward
    (``Re: [FIRING:2] …``) holds no alert of its own: it is dropped, said so."""
    tally = tally if tally is not None else Tally()
    try:
        mail = read_mail_file(file, encoding)
        if _REPLY_SUBJECT.match(mail.subject):
            tally.count()
            tally.drop(f"a reply or forward by a person ({mail.subject.strip()[:80]!r}), not Alertmanager's mail",
                       file)
            return []
        time, alerts = _time_and_alerts(mail, fallback_time)
    except NoAlertMail as problem:
        tally.count()
        tally.skip(str(problem), file)
        return []
    tally.count(len(alerts))
    events = []
    for alert in alerts:
        if "alertname" in alert.labels:
            events.append(alert_event(alert, time))
        else:
            tally.skip(f"an alert without an alertname label: {shorten(str(alert.labels), 120)}", file)
    return events


def _time_and_alerts(mail: Mail, fallback_time: dt.datetime | None) -> tuple[dt.datetime, list[Alert]]:
    """When the mail was sent and its alerts; NoAlertMail when either is missing."""
    state = _subject_state(mail.subject)
    alerts = next((found for body in mail.bodies if (found := parse_alerts(body, state))), [])
    if not alerts:
        raise NoAlertMail("no alert found (expected Labels/Annotations blocks or 'alertname = …' lines): "
                          "not an Alertmanager mail")
    time = mail.time or fallback_time
    if time is None:
        raise NoAlertMail("no Date header or 'Date:' line; set the source's 'time' option")
    return time, alerts


# ---------------------------------------------------------------- the source

def _time_option(config: SourceConfig) -> dt.datetime | None:
    """The ``time`` option as aware UTC, or None; IncidentFileError when bad."""
    value = config.options.get("time")
    if value is None:
        return None
    try:
        return parse_time(value)[0]
    except ValueError as err:
        raise IncidentFileError(f"{config.name}: 'time': {err}", file=config.file, key="time") from None


class AlertEmailSource(BaseSource):
    """Alertmanager e-mails: ``path`` is a glob of .eml or pasted text files."""

    type = TYPE
    label = "alert"
    family = "alert"

    def check(self, config: SourceConfig) -> None:
        """Options: ``path`` (required glob), ``time`` (fallback time for headerless text)."""
        check_options(config, OPTIONS)
        path = option(config, "path", required=True)
        _time_option(config)
        resolve_paths(config, path)
        encoding_of(config)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Events in ``window`` from every file, in time order (mail order within a file)."""
        fallback, encoding = _time_option(config), encoding_of(config)
        events: list[Event] = []
        for file in resolve_paths(config, option(config, "path", required=True)):
            try:
                found = file_events(file, fallback, encoding=encoding, tally=tally)
                events.extend(event for event in found if event.time in window)
            except OSError as err:
                raise SourceError(f"cannot read: {err.strerror}", file=file, source=TYPE) from None
        events.sort(key=lambda event: event.time)
        return events


SOURCE = AlertEmailSource()
