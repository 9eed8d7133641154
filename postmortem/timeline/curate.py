"""What a report's Timeline shows of the merged timeline — the lines a person
would write — and what it leaves out, said in one line per stretch (the
`timeline` command still shows everything).

From the start on, every record stays (manual events, alerts, pages, SAL and
``!log`` entries, status page updates, changes) except chat: only the
messages people marked for it stay — pinned, or with one of ``[report]
reactions`` (Slack), starting with one of ``[report] markers`` (``#info`` on
IRC, as MeetBot takes it), or matching one of ``[report] include`` — as
Dispatch builds a timeline from reactions and incident.io from pins. ``chat =
"all"`` keeps every message, ``"none"`` none.

Before the start comes the lead-up: the deploys and changes that may have led
to the incident — Gerrit changes, SAL (or ``!log``) entries of a deploy
(``Synchronized …``, ``Finished scap``, ``helmfile … apply``,
``puppet-merge``, the word deploy; not the START of one that logs its end too) — besides manual events, alerts,
pages, status page updates, chat by the same rule, and whatever ``include``
matches. Other SAL entries of the lead-up are left out (``chat = "all"`` keeps
everything there too).

Each stretch of records left out between two lines shown becomes one line:
``14 more messages in Slack #event-platform, 15:58–16:24``.

With a narrative (markers of `postmortem review`, :mod:`.narrative`), the
Timeline is the analyst's: the markers and the other ``[[event]]``s are shown;
a record that is evidence of a marker is not (the marker's line links it); the
other records are folded into such lines (``[report] others = "fold"``, the
default), left out (``"omit"``) or shown by the rules above (``"curate"``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from ..collect.sources import describe
from ..core.model import Event, Incident
from ..core.settings import ReportSettings
from ..core.timeutil import format_clock
from ..core.vocabulary import Kind, alert_name, is_alert, is_log_entry
from .merge import CHAT_FAMILIES
from .narrative import narrative
from .storms import after_the_first, alert_storms

_SKIN_TONE = re.compile(r"::skin-tone-\d$")


@dataclass(frozen=True)
class Omitted:
    """A stretch of records the report leaves out, in time order."""

    events: tuple[Event, ...]

    def text(self, with_date: bool = False) -> str:
        """``14 more messages in Slack #event-platform, 15:58–16:24`` (several
        places: ``… and 2 messages in IRC #chan, …``; a storm's ``… and 2,499
        CephOSDDown alerts``)."""
        counts = Counter(_what(event) for event in self.events)
        parts = [_counted(number, *what) for what, number in counts.items()]
        parts[0] = parts[0].replace(" ", " more ", 1)
        return f"{' and '.join(parts)}, {self._span(with_date)}"

    def count(self) -> str:
        """``+3 messages``, ``+1 SAL entry``, ``+2 messages, +1 SAL entry``,
        ``+2,499 CephOSDDown alerts``: the stretch said quietly, after the line before it."""
        counts = Counter(_what(event, where=False) for event in self.events)
        ordered = sorted(counts.items(), key=lambda item: _KINDS.index(item[0][0]))   # stable: alerts by first seen
        return ", ".join("+" + _counted(number, *what) for what, number in ordered)

    def _span(self, with_date: bool) -> str:
        """``15:58–16:24``; the date first when the timeline shows dates, and on
        the end only when it is another day; one time for a single minute."""
        first, last = self.events[0].time, self.events[-1].time
        start = format_clock(first, "minute", with_date=with_date)
        if format_clock(first, "minute", with_date=True) == format_clock(last, "minute", with_date=True):
            return start
        return f"{start}–{format_clock(last, 'minute', with_date=with_date and last.date() != first.date())}"


@dataclass(frozen=True)
class Curated:
    """The report's Timeline: the lead-up (before the start), then the incident."""

    lead_up: tuple[Event | Omitted, ...]
    incident: tuple[Event | Omitted, ...]


def curate(incident: Incident, events, cited: Iterable[Event] = ()) -> Curated:
    """Split ``events`` (in time order) at the incident's start and keep what the
    report shows, each stretch left out as one :class:`Omitted`. ``cited``: the
    records a metric runs from or to (the first reply…), always shown so the
    reader can check the number."""
    settings, cited = incident.report, set(cited)
    lead_up_rule, rule = shown_in_lead_up, shown
    story = narrative(events)
    if story:
        evidence = story.cited()
        events = [e for e in events if id(e) not in evidence and not _omitted(e, settings, cited)]
        if settings.others != "curate":
            lead_up_rule = rule = _written
    counted = after_the_first(alert_storms(events))   # a storm: its first alert, the rest counted
    before = [e for e in events if e.time < incident.start]
    after = [e for e in events if e.time >= incident.start]
    return Curated(_stretches(before, lambda e: e in cited or (id(e) not in counted and lead_up_rule(e, settings))),
                   _stretches(after, lambda e: e in cited or (id(e) not in counted and rule(e, settings))))


def _written(event: Event, settings: ReportSettings) -> bool:
    """Beside a narrative: what incident.toml says (markers and other ``[[event]]``s)."""
    return event.kind is Kind.MANUAL


def _omitted(event: Event, settings: ReportSettings, cited: set) -> bool:
    return settings.others == "omit" and event.kind is not Kind.MANUAL and event not in cited


def _stretches(events: list[Event], keep) -> tuple[Event | Omitted, ...]:
    out: list[Event | Omitted] = []
    pending: list[Event] = []
    for event in events:
        if keep(event):
            if pending:
                out.append(Omitted(tuple(pending)))
                pending = []
            out.append(event)
        else:
            pending.append(event)
    if pending:
        out.append(Omitted(tuple(pending)))
    return tuple(out)


# -- the rule ----------------------------------------------------------------------

def shown(event: Event, settings: ReportSettings) -> bool:
    """From the start on: everything but chat nobody marked."""
    if not is_chat(event) or settings.chat == "all":
        return True
    return settings.chat == "marked" and is_marked(event, settings)


def shown_in_lead_up(event: Event, settings: ReportSettings) -> bool:
    """Before the start: changes and deploys, and what is shown anyway."""
    if settings.chat == "all":
        return True
    if is_log_entry(event):
        return is_change(event) or _included(event, settings)
    return shown(event, settings)


def is_chat(event: Event) -> bool:
    """Talk in a channel (IRC, Slack), people's or a bot's; a ``!log`` line is
    a SAL entry, an alert relayed by a bot an alert."""
    return event.kind in (Kind.CHAT, Kind.BOT)


def is_marked(event: Event, settings: ReportSettings) -> bool:
    """Pinned, with one of the reactions, starting with a marker, or included."""
    if event.fields.get("pinned") == "true":
        return True
    reactions = {_SKIN_TONE.sub("", name) for name in (event.fields.get("reactions") or "").split(",") if name}
    if reactions & set(settings.reactions):
        return True
    text = event.text.lstrip().lower()
    return any(text.startswith(marker.lower()) for marker in settings.markers) or _included(event, settings)


def is_change(event: Event) -> bool:
    """A change (Gerrit) or a deploy logged in the SAL."""
    return event.kind in (Kind.CHANGE, Kind.DEPLOY)


def _included(event: Event, settings: ReportSettings) -> bool:
    return any(re.search(pattern, event.text) for pattern in settings.include)  # re caches them


def _place(event: Event) -> str:
    source = describe(event.source)
    name, channel = source.label or event.source, event.channel
    if channel and source.family in CHAT_FAMILIES:
        name = f"{name} #{channel.lstrip('#')}"
    return name


_KINDS = ("message", "SAL entry", "alert")


def _what(event: Event, where: bool = True) -> tuple[str, str]:
    """What a left-out record is counted as: an alert of its name, a SAL entry,
    or a message (in its place, with ``where``)."""
    if is_alert(event):
        return "alert", alert_name(event) or "other"
    place = _place(event)
    if is_log_entry(event) and place == "SAL":
        return "SAL entry", ""
    return "message", place if where else ""


def _counted(number: int, kind: str, detail: str) -> str:
    """``3 messages in IRC #chan``, ``1 SAL entry``, ``2,499 CephOSDDown alerts``."""
    if kind == "alert":
        return f"{number:,} {detail} {'alert' if number == 1 else 'alerts'}"
    if kind == "SAL entry":
        return f"{number:,} SAL {'entry' if number == 1 else 'entries'}"
    return f"{number:,} {'message' if number == 1 else 'messages'}" + (f" in {detail}" if detail else "")
