"""The incident's metrics, from its key moments: outage duration and the times
to detect, acknowledge, respond, engage, mitigate and resolve.

Every metric runs from one event to another (``start`` → ``end``); where a
moment is missing the metric has no value and its ``note`` says why
("unknown: no event tagged mitigation"), so a report never shows a number
the timeline does not give.

* outage: OUTAGE BEGINS → OUTAGE ENDS (tags ``outage-begins``/``outage-ends``);
* detect: outage begins → the event tagged ``detection``, else the first alert
  or page that fired, or the first human report (chat, IRC, SAL, a manual
  event), at or after the outage began;
* acknowledge: the first page → the first acknowledgement of a page (from a
  paging source: ``splunk-oncall``, ``pagerduty``);
* respond: the first page → the first message after it from a responder
  (``[incident] responders``; anyone in chat/IRC/SAL when none are listed);
* engage: the first page → the first message after it from someone a page
  reached (its ``paged`` people, by name or another name the service knows);
* mitigate: outage begins → the event tagged ``mitigation``;
* resolve: outage begins → the event tagged ``resolved``, else the incident's ``end``.

Where the outage begins: the event tagged ``outage-begins``, else the
incident's ``start`` (said in the note). Wikitech's report template asks for
the same moments (Timeline: "OUTAGE BEGINS"/"OUTAGE ENDS"; Detection: "how
long after the start did we notice").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from ..collect.sources import describe
from ..core.errors import InputError
from ..core.model import Event, Incident, Records
from ..core.timeutil import format_duration, format_duration_seconds, format_utc
from ..core.vocabulary import (TRIGGERED, Kind, first_of_moment, is_about_a_page, is_acknowledgement, is_alert,
                               is_alert_firing, is_manual_page, page_time, paged_people, pages_sent)

__all__ = ["Metric", "incident_metrics", "is_alert_firing", "is_human_report", "first_page"]

LABELS = {"outage": "Outage duration", "detect": "Time to detect", "acknowledge": "Time to acknowledge",
          "respond": "Time to respond", "engage": "Time to engage", "mitigate": "Time to mitigate",
          "resolve": "Time to resolve"}


NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Metric:
    """One metric: its id, the moments it runs between, and a note on its basis."""

    id: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    note: str = ""
    # the records its moments come from, which the report's Timeline must show
    cited: tuple[Event, ...] = field(default=(), compare=False)
    to_the_second: bool = field(default=False, compare=False)   # both ends known to the second: shown so

    @property
    def label(self) -> str:
        return LABELS[self.id]

    @property
    def value(self) -> dt.timedelta | None:
        """``end - start``, or None when a moment is unknown."""
        if self.start is None or self.end is None:
            return None
        return max(self.end - self.start, dt.timedelta(0))

    @property
    def minutes(self) -> int | None:
        return None if self.value is None else int(self.value.total_seconds() // 60)

    def text(self) -> str:
        """``3 h 25 min (2023-09-28 14:33 → 17:58 UTC; outage start → mitigation)``,
        or the note saying why it is unknown."""
        if self.value is None:
            return self.note
        value, span = self._value_and_span()
        return f"{value} ({span}; {self.note})"

    @property
    def applies(self) -> bool:
        """False for a metric of pages when nobody was paged."""
        return not self.note.startswith(NOT_APPLICABLE)

    def shown(self) -> str:
        """The value at the precision it was computed, with its ends:
        ``1 min 40 s (2023-09-28 23:41:20 → 23:43:00 UTC)``; "" when unknown."""
        if self.value is None:
            return ""
        value, span = self._value_and_span()
        return f"{value} ({span})"

    def _value_and_span(self) -> tuple[str, str]:
        """The value and its ends, both to the second or both to the minute: a
        minute's value runs between the minutes shown (02:58:30 → 03:12, an end
        known only to its minute, is "14 min (02:58 → 03:12)", as a reader counts)."""
        if self.to_the_second:
            return format_duration_seconds(self.value), _span(self.start, self.end, "%H:%M:%S")
        minutes = max(_minute(self.end) - _minute(self.start), dt.timedelta(0))
        value = "under 1 min" if minutes < dt.timedelta(minutes=1) else format_duration(minutes)
        return value, _span(self.start, self.end)

    def why_not(self) -> str:
        """Why it has no value, without the "unknown: " or "not applicable: " of the note."""
        return self.note.split(": ", 1)[1] if ": " in self.note else self.note

    def to_json(self) -> dict:
        """``{"id", "label", "seconds", "minutes", "from", "to", "note"}``."""
        return {"id": self.id, "label": self.label,
                "seconds": None if self.value is None else int(self.value.total_seconds()),
                "minutes": self.minutes,
                "from": format_utc(self.start) if self.start else None,
                "to": format_utc(self.end) if self.end else None, "note": self.note}


def incident_metrics(records: Records) -> tuple[Metric, ...]:
    """Outage, detect, acknowledge, respond, engage, mitigate, resolve — in that order."""
    incident, events = records.incident, sorted(records.events, key=lambda e: e.time)
    begins, begins_note = _outage_start(incident, events)
    metrics = (_outage(events, begins, begins_note, incident.path), _detect(events, begins, begins_note),
               _acknowledge(incident, events), _respond(incident, events), _engage(incident, events),
               _tagged("mitigate", "mitigation", events, begins, begins_note),
               _resolve(incident, events, begins, begins_note))
    # Each end the time of a record to the second, or the metric is to the minute
    # (a time of incident.toml, ``start = "2025-02-14 03:58"``, is to the minute).
    precise = {t for e in events if e.precision == "second" for t in (e.time, page_time(e))}
    return tuple(replace(m, to_the_second=all(t in precise for t in (m.start, m.end) if t is not None))
                 for m in metrics)


def _cite(event: Event) -> str:
    text = " ".join(event.text.split())
    return f"{event.time:%Y-%m-%d %H:%M:%S} ({event.source}) {text[:60]!r}"


def _describe(event: Event) -> str:
    """``alert-email``, ``irc tchin``: where a moment comes from."""
    return f"{event.source} {event.actor}" if event.actor else event.source


def _describe_page(event: Event) -> str:
    """``PagerDuty``: the service that sent a page (also when it is merged into its alert)."""
    if event.page is not None and event.page.service and event.page.phase == TRIGGERED:
        return event.page.service
    return _describe(event)


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def _span(start: dt.datetime, end: dt.datetime, clock: str = "%H:%M") -> str:
    """``2023-09-28 14:33 → 17:58 UTC``, the end's date only when it differs."""
    until = end.strftime(clock if end.date() == start.date() else f"%Y-%m-%d {clock}")
    return f"{start.strftime('%Y-%m-%d ' + clock)} → {until} UTC"


def _outage_start(incident: Incident, events) -> tuple[dt.datetime, str]:
    begins = first_of_moment(events, "outage-begins")
    if begins is not None:
        return begins.time, "outage start"
    return incident.start, "incident start (no event tagged outage-begins)"


def _outage(events, begins, begins_note, file=None) -> Metric:
    ends = first_of_moment(events, "outage-ends")
    if ends is None:
        return Metric("outage", begins, None, "unknown: no event tagged outage-ends")
    started = first_of_moment(events, "outage-begins")
    if started is not None and ends.time < started.time:
        raise InputError(f"the outage ends before it begins: outage-ends on {_cite(ends)} comes before "
                         f"outage-begins on {_cite(started)}; fix the tags", file=file, key="tags")
    return Metric("outage", begins, ends.time, f"{begins_note} → outage end",
                  tuple(e for e in (started, ends) if e is not None))


def _detect(events, begins, begins_note) -> Metric:
    tagged = first_of_moment(events, "detection")
    if tagged is not None:
        return Metric("detect", begins, tagged.time, f"{begins_note} → detection ({_describe(tagged)})", (tagged,))
    first = next((e for e in events if e.time >= begins
                  and (is_alert_firing(e) or is_human_report(e) or is_manual_page(e))), None)
    if first is None:
        return Metric("detect", begins, None, "unknown: no event tagged detection, and no alert or "
                                              "report after the outage began")
    kind = "alert" if is_alert_firing(first) else "report"
    return Metric("detect", begins, first.time, f"{begins_note} → first {kind} ({_describe(first)})", (first,))


def _no_page(metric: str, incident: Incident) -> Metric:
    if incident.paged == 0:
        return Metric(metric, note=f"{NOT_APPLICABLE}: nobody was paged")
    return Metric(metric, note="unknown: no event tagged page")


def _acknowledge(incident: Incident, events) -> Metric:
    page = first_page(events)
    if page is None:
        return _no_page("acknowledge", incident)
    ack = next((e for e in events if e.time >= page_time(page) and is_acknowledgement(e)), None)
    if ack is None:
        return Metric("acknowledge", page_time(page), None, "unknown: no acknowledgement of a page recorded after the "
                                                      "first page (a paging service's records have them)")
    return Metric("acknowledge", page_time(page), ack.time,
                  f"first page ({_describe_page(page)}) → first acknowledgement ({_describe(ack)})", (page, ack))


def _engage(incident: Incident, events) -> Metric:
    """The first page → the first message from someone a page reached (by the
    name the paging service gives, or another name it knows them by)."""
    page = first_page(events)
    if page is None:
        return _no_page("engage", incident)
    reached = _reached_names(events)
    if not reached:
        return Metric("engage", page_time(page), None, "unknown: the pages do not say whom they reached")
    reply = next((e for e in events if e.time >= page_time(page) and e.source != "manual" and is_human_report(e)
                  and (e.actor or "").lower() in reached), None)
    if reply is None:
        return Metric("engage", page_time(page), None,
                      "unknown: no message after the first page from someone it paged")
    return Metric("engage", page_time(page), reply.time,
                  f"first page ({_describe_page(page)}) → first message from someone paged ({_describe(reply)})",
                  (page, reply))


def _reached_names(events) -> set[str]:
    """Every name of everyone the pages reached, lower-case."""
    return {name.lower() for person in paged_people(events) for name in (person.name, *person.aka)}


def _respond(incident: Incident, events) -> Metric:
    page = first_page(events)
    if page is None:
        return _no_page("respond", incident)
    who = set(incident.responders)
    reply = next((e for e in events if e.time >= page_time(page) and e.source != "manual"
                  and is_human_report(e) and (not who or e.actor in who)), None)
    if reply is None:
        return Metric("respond", page_time(page), None, "unknown: no message from a responder after the first page")
    return Metric("respond", page_time(page), reply.time, f"first page ({_describe_page(page)}) → first reply "
                                                    f"({_describe(reply)})", (page, reply))


def _tagged(metric: str, tag: str, events, begins, begins_note) -> Metric:
    event = first_of_moment(events, tag)
    if event is None:
        return Metric(metric, begins, None, f"unknown: no event tagged {tag}")
    return Metric(metric, begins, event.time, f"{begins_note} → {tag} ({_describe(event)})", (event,))


def _resolve(incident: Incident, events, begins, begins_note) -> Metric:
    if first_of_moment(events, "resolved") is not None or incident.end is None:
        metric = _tagged("resolve", "resolved", events, begins, begins_note)
        if metric.end is None:
            return Metric("resolve", begins, None, "unknown: no event tagged resolved and no incident end")
        return metric
    return Metric("resolve", begins, incident.end,
                  f"{begins_note} → incident end (no event tagged resolved)")


# -- what counts as what ---------------------------------------------------------

def is_human_report(event: Event) -> bool:
    """A person writing: chat, IRC, SAL, or a manual event that is not an alert,
    a page or the mark of the outage's start (that one says when, not who noticed)."""
    if not describe(event.source).talking or event.kind is Kind.BOT:  # people: chat, IRC, SAL, manual entries
        return False
    return not (is_alert(event) or is_about_a_page(event) or "outage-begins" in event.tags)


def first_page(events) -> Event | None:
    """The first page that went out (by the page's own time)."""
    return min(pages_sent(events), key=page_time, default=None)
