"""One timeline from many sources: the window, de-duplication, a stable order."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from dataclasses import replace
from typing import Iterable, Iterator

from ..collect.sources import describe
from ..core.lazy_regex import LazyRegex
from ..core.model import Event, Window
from ..core.vocabulary import RESOLVED, TRIGGERED, Kind, alert_state, is_alert, is_log_entry, is_manual_page, is_page

# The same `!log` seen in IRC (seconds) and in the SAL (minutes) lies within this.
SAME_LOG_WITHIN = dt.timedelta(minutes=2)
# The same alert seen in e-mail, a chat bot and a manual entry lies within this.
SAME_ALERT_WITHIN = dt.timedelta(minutes=5)
# Two loggers of one channel (ZNC and wm-bot, irssi and ZNC) stamp the same line
# by their own machines' clocks: this far apart, beyond the coarser precision.
CLOCK_SKEW = dt.timedelta(seconds=10)
# The farthest apart two records can be and still merge: an alert's window, both
# ends off by the skew, one of them only to the minute. A record farther than this
# from a span cannot change what the span's events merged into.
MERGE_REACH = max(SAME_ALERT_WITHIN, SAME_LOG_WITHIN) + 2 * CLOCK_SKEW + dt.timedelta(seconds=59)
CHAT_FAMILIES = ("irc", "slack")

def merge(events: Iterable[Event], window: Window, manual: Iterable[Event] = ()) -> list[Event]:
    """Events in ``window`` plus every manual event (the author put them there on
    purpose), without duplicates, in a stable order: time, then source."""
    ordered = [e for e in events if e.time in window]
    ordered += manual
    ordered.sort(key=_order)
    return _dedupe(_drained(ordered))


def _drained(events: list[Event]) -> Iterator[Event]:
    """The events of ``events`` (a list of merge's own) in order, each let go of
    as it is given: a record merged into another is freed at once, not when the
    whole timeline is done (an alert storm's two records of each alert)."""
    events.reverse()
    while events:
        yield events.pop()


def _order(event: Event):
    return (event.time, event.source)


# -- de-duplication -----------------------------------------------------------

def dedupe(events: list[Event]) -> list[Event]:
    """Merge the records of one fact seen twice (an IRC `!log` and its SAL
    entry; one alert in e-mail and on IRC; a page and the alert that caused
    it), keeping the richer of each pair with the tags and facts of both and
    the sources it was also seen in. Only the same fact of the same kind
    merges: an alert with its page keeps the alert's own time (the page keeps
    its own in its facts); a person resolving a page is not monitoring's
    recovery. ``events`` must be in time order; the order is kept.

    Each record is compared only with the kept events that share a key with
    it (:func:`_keys`, :func:`_wanted`) and lie within five minutes, so the
    cost of a record does not grow with how many others share its minutes."""
    return _dedupe(iter(events))


def _dedupe(events: Iterator[Event]) -> list[Event]:
    kept = _Kept()
    for event in events:
        keys = _keys(event)
        index = next((i for i in kept.candidates(event, keys) if _same_thing(kept.events[i], event)), None)
        if index is None:
            kept.add(event, keys)
        else:
            kept.replace(index, _richer(kept.events[index], event))
    return sorted(kept.events, key=_order)


class _Kept:
    """The events kept so far, indexed by the keys under which a later record
    may be the same fact (the newest first, none older than five minutes)."""

    def __init__(self):
        self.events: list[Event] = []
        self._index: dict[tuple, list[int]] = defaultdict(list)
        self._swept: dt.datetime | None = None

    def add(self, event: Event, keys: list[tuple]) -> None:
        self.events.append(event)
        self._file(len(self.events) - 1, keys)

    def replace(self, index: int, event: Event) -> None:
        self.events[index] = event
        self._file(index, _keys(event))

    def _file(self, index: int, keys: list[tuple]) -> None:
        for key in keys:
            found = self._index[key]
            if not found or found[-1] != index:
                found.append(index)

    def candidates(self, event: Event, keys: list[tuple]) -> list[int]:
        """Indexes of kept events that may be ``event`` (whose keys are ``keys``)'s fact, newest first."""
        self._sweep(event.time)
        found = set()
        for key in _wanted(event, keys):
            found.update(i for i in self._index.get(key, ()) if event.time - self.events[i].time <= SAME_ALERT_WITHIN)
        return sorted(found, reverse=True)

    def _sweep(self, now: dt.datetime) -> None:
        """Forget the keys of events too old to match (every five minutes of
        the timeline), so the index holds only the last minutes' events."""
        if self._swept is not None and now - self._swept <= SAME_ALERT_WITHIN:
            return
        self._index = defaultdict(list, {key: found for key, found in self._index.items()
                                         if now - self.events[found[-1]].time <= SAME_ALERT_WITHIN})
        self._swept = now


def _keys(event: Event) -> list[tuple]:
    """What a later record of the same fact looks this event up by."""
    keys = [("exact", event.time, event.source, event.actor, event.text)]
    family = _family(event.source)
    if family in LOG_ECHO_FAMILIES and is_log_entry(event):
        keys += [("log", key) for key in _log_keys(event)]
    if family in CHAT_FAMILIES:
        keys.append(_chat_key(event))
    if is_alert(event) or is_page(event):
        state = alert_state(event)
        keys.append(("alerting", state))
        if event.alert is None:
            keys.append(("written alert", state))
        else:
            keys += [("alert", state, event.alert.name, _detail_key(event)), ("alert", state, event.alert.name)]
    if _is_from_pager(event):
        keys.append(("pager",))
    return keys


def _wanted(event: Event, own: list[tuple]) -> list[tuple]:
    """The keys of the kept events that may be the same fact as ``event`` (its own keys: ``own``)."""
    keys = [key for key in own if key[0] in ("exact", "log", "chat")]
    if _is_from_pager(event):
        return keys + [("alerting", event.page.state)]
    if is_alert(event) or is_page(event):
        state = alert_state(event)
        keys.append(("pager",))
        if event.alert is None:  # a line written as an alert names it in its text: any alert
            return keys + [("alerting", state)]
        keys.append(("written alert", state))
        name, detail = event.alert.name, _detail_key(event)
        # by what it says of itself; without that, any alert of its name
        keys += [("alert", state, name, detail), ("alert", state, name, None)] if detail is not None \
            else [("alert", state, name)]
    return keys


def _chat_key(event: Event) -> tuple:
    return ("chat", _family(event.source), _channel(event), (event.actor or "").lower(), _words(event.text))


@functools.lru_cache(maxsize=None)
def _family(source: str) -> str:
    return describe(source).family


def _same_thing(a: Event, b: Event) -> bool:
    gap = abs(a.time - b.time)
    if _exact_repeat(a, b):
        return True
    if gap <= SAME_LOG_WITHIN and _is_log_pair(a, b) and _log_keys(a) & _log_keys(b):
        return True
    if _same_chat_line(a, b):
        return True
    if _page_and_alert(a, b) is not None:
        return True
    return _two_sources(a, b) and _same_alert(a, b)


def _two_sources(a: Event, b: Event) -> bool:
    """Records of two sources: of two types, or two ``[[source]]`` of one type
    (the loggers of one channel, each relaying the same alert line)."""
    return a.source != b.source or a.origin != b.origin


def _exact_repeat(a: Event, b: Event) -> bool:
    """One record read twice (overlapping files): the same time, source, actor
    and text — and for alerts the same alert: a rule firing for two instances at
    once gives two records alike but for their labels."""
    return (a.time, a.source, a.actor, a.text) == (b.time, b.source, b.actor, b.text) and \
        (a.alert is None) == (b.alert is None) and (a.alert is None or a.alert.is_same_alert(b.alert))


# Where a `!log` line shows up: stashbot writes it to a SAL (sometimes to two,
# wikimedia/labs-tools-stashbot) from the IRC line that asked for it; a deploy
# tool's bot posts the same line to IRC (logmsgbot) or Slack (a source's log_bots).
LOG_ECHO_FAMILIES = ("sal", "irc", "slack")


def _is_log_pair(a: Event, b: Event) -> bool:
    """One log entry seen twice: a SAL entry and its echo (the IRC line, the same
    entry in another SAL), or a deploy tool's line its bots posted to IRC and Slack."""
    families = (describe(a.source).family, describe(b.source).family)
    if not all(f in LOG_ECHO_FAMILIES for f in families):
        return False
    return "sal" in families or (families[0] != families[1] and is_log_entry(a) and is_log_entry(b))


_LOG_PREFIX = LazyRegex(r"^\s*!log\s+", re.I)
_SPACES = LazyRegex(r"\s+")
# A wiki link written on a SAL page ([[phab:T1|T1]], [[Page]]) or an external
# one ([https://… label]) reads as its label, as the `!log` that asked for it wrote it.
_WIKI_LINK = LazyRegex(r"\[\[(?:[^\]|]*\|)?([^\]|]*)\]\]")
_EXTERNAL_LINK = LazyRegex(r"\[(?:https?:)?//\S+\s+([^\]]*)\]")


def _log_keys(event: Event) -> set[str]:
    """The forms a SAL message takes: ``!log msg`` by nick in IRC, ``nick: msg`` in SAL."""
    text = _EXTERNAL_LINK.sub(r"\1", _WIKI_LINK.sub(r"\1", _LOG_PREFIX.sub("", event.text)))
    text = _SPACES.sub(" ", text).strip().lower()
    if len(text) < 8:  # "ok", "+1": too short to call two of them the same
        return set()
    keys = {text}
    if event.actor:
        keys.add(f"{event.actor.lower()} {text}")
        keys.add(f"{event.actor.lower()}: {text}")
    if ": " in text:  # "nick@host: msg" relayed as a message of its own
        keys.add(text.replace(": ", " ", 1))
    return keys


def _same_alert(a: Event, b: Event) -> bool:
    """One alert in one state seen by two sources (a relay on IRC and a mail,
    Alertmanager, a line written by hand), within five minutes."""
    if not (is_alert(a) and is_alert(b)) or abs(a.time - b.time) > SAME_ALERT_WITHIN:
        return False
    if alert_state(a) != alert_state(b) or _is_from_pager(a) or _is_from_pager(b):
        return False
    if a.alert is not None and b.alert is not None:
        return a.alert.is_same_alert(b.alert) and _same_instance(a, b)
    named = a.alert or b.alert
    written = b if named is a.alert else a   # a line written by hand names the alert in its text
    return named is not None and _names(written.text, named.name)


def _same_instance(a: Event, b: Event) -> bool:
    """A relay's line names the alert without its labels ("FIRING: ProbeDown:
    text-https:443 down - <runbook>", :mod:`postmortem.core.alerts`): where it
    gives a summary, that is the summary of the labelled record it is, not of
    another alert of that name (a line cut short by IRC's length still is)."""
    if bool(a.alert.labels) == bool(b.alert.labels):
        return True
    detail_a, detail_b = _detail(a), _detail(b)
    return not detail_a or not detail_b or detail_a.startswith(detail_b) or detail_b.startswith(detail_a)


# Details compared in the index this far: a relay line cut by IRC's length keeps at least this much.
DETAIL_KEY = 40


def _detail(event: Event) -> str:
    """What an alert says of itself beyond its name: its summary."""
    return _words(event.alert.summary or "").lower()


def _detail_key(event: Event) -> str | None:
    return _detail(event)[:DETAIL_KEY] or None


def _names(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def _is_from_pager(event: Event) -> bool:
    """A paging service's record not merged with its alert yet."""
    return event.kind is Kind.PAGE and event.alert is None


def _page_and_alert(a: Event, b: Event) -> tuple[Event, Event] | None:
    """``(page, alert)`` when one is a paging service's page (or its resolution
    by monitoring) and the other the alert that caused it, seen elsewhere (an
    e-mail, Alertmanager, Prometheus, IRC, a line written by hand): in the same
    state, within five minutes, naming the same alert (its name a word of what
    paged, or what paged in its text or summary). A page a person started (even
    naming the alert) is that person reporting, and a person resolving the page
    is not the alert's recovery."""
    from_pager = [e for e in (a, b) if _is_from_pager(e)]
    if len(from_pager) != 1 or abs(a.time - b.time) > SAME_ALERT_WITHIN:
        return None
    page = from_pager[0]
    alert = b if page is a else a
    if page.page.phase not in (TRIGGERED, RESOLVED) or (page.page.phase == RESOLVED and page.page.by) \
            or is_manual_page(page):
        return None
    if not (is_alert(alert) or is_page(alert)) or alert_state(alert) != page.page.state:
        return None
    if alert.page is not None and alert.page.incident != page.page.incident:
        return None  # already merged with another page: two pages are two pages
    return (page, alert) if _names_same_alert(page, alert) else None


def _names_same_alert(page: Event, alert: Event) -> bool:
    what = " ".join(v for v in (page.page.what, page.page.entity) if v)
    if alert.alert is not None and _names(what, alert.alert.name):
        return True
    summary = alert.alert.summary if alert.alert is not None else None
    said = f"{alert.text} {summary or ''}".lower()
    return bool(page.page.what) and page.page.what.lower() in said


def _with_page(alert: Event, page: Event) -> Event:
    """The alert with the page it caused: at the alert's own time (the page's is
    in its facts), the page's link, the tags of both, and whom it reached after
    the alert's text."""
    said = page.page.summary() if page.page.phase == TRIGGERED else page.text
    return replace(alert, url=page.url or alert.url, tags=tuple(dict.fromkeys(alert.tags + page.tags)),
                   page=page.page, also_in=_also_in(alert, page),
                   text=f"{alert.text}; {said}" if said else alert.text)


def _same_chat_line(a: Event, b: Event) -> bool:
    """One line of a channel logged twice, by two loggers (two sources or two
    files): same channel, nick and words, at the same time within the coarser
    record's precision and the loggers' clock skew. Never a line with itself:
    a person who says "restart" twice in one minute said it twice."""
    family = describe(a.source).family
    if family not in CHAT_FAMILIES or describe(b.source).family != family:
        return False
    if _origin(a) == _origin(b):
        return False
    if (_channel(a), (a.actor or "").lower(), _words(a.text)) != (_channel(b), (b.actor or "").lower(), _words(b.text)):
        return False
    return _close_within_precision(a, b)


def _origin(event: Event) -> tuple:
    return (event.origin, event.place.file if event.place is not None else None)


def _channel(event: Event) -> str:
    return (event.channel or "").lstrip("#").lower()


def _words(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _close_within_precision(a: Event, b: Event) -> bool:
    """A minute-precision record covers its whole minute; both ends may be off by the skew."""
    start_a, end_a = _span(a)
    start_b, end_b = _span(b)
    return start_a - CLOCK_SKEW <= end_b and start_b - CLOCK_SKEW <= end_a


def _span(event: Event) -> tuple[dt.datetime, dt.datetime]:
    if event.precision == "minute":
        return event.time, event.time + dt.timedelta(seconds=59)
    return event.time, event.time


def _richness(event: Event):
    """A record with a link, to the second, with an alert's labels (Alertmanager's,
    not a relay's line), with more facts, fields, words: in that order."""
    facts = sum(f is not None for f in (event.alert, event.page, event.log))
    labelled = event.alert is not None and bool(event.alert.labels)
    return (event.url is not None, event.precision == "second", labelled, facts, len(event.fields), len(event.text))


def _richer(a: Event, b: Event) -> Event:
    pair = _page_and_alert(a, b)
    if pair is not None:  # the alert stays (its source: another alert of that source is another alert)
        return _with_page(pair[1], pair[0])
    keep, other = (a, b) if _richness(a) >= _richness(b) else (b, a)
    return replace(keep, time=_first_time(keep, other), precision=_precise(keep, other).precision,
                   tags=tuple(dict.fromkeys(keep.tags + other.tags)), url=keep.url or other.url,
                   actor=_doer(keep, other), fields=_both_fields(keep, other),
                   alert=_both_alerts(keep, other), page=keep.page or other.page, log=keep.log or other.log,
                   # a channel only where the kept record was said
                   channel=keep.channel if _is_chat_source(keep) else None, also_in=_also_in(keep, other))


def _both_fields(keep: Event, other: Event):
    """The kept record's fields, with what only the other shows (no copy when it adds nothing)."""
    if other.fields.keys() <= keep.fields.keys():
        return keep.fields
    return {**other.fields, **keep.fields}


def _both_alerts(keep: Event, other: Event):
    if keep.alert is not None and other.alert is not None:
        return keep.alert.with_labels_of(other.alert)
    return keep.alert or other.alert


def _also_in(keep: Event, other: Event) -> tuple[str, ...]:
    """The source of each record merged into the kept one, once per record (so
    that `check` counts every merge: a line logged twice and seen in a mail)."""
    return (*keep.also_in, other.source, *other.also_in)


def also_in(event: Event) -> list[str]:
    """The sources of the records merged into ``event``, one per record."""
    return list(event.also_in)


def _is_chat_source(event: Event) -> bool:
    return describe(event.source).family in CHAT_FAMILIES


def _first_time(keep: Event, other: Event) -> dt.datetime:
    """When it happened: the earlier of the two records, except that a record
    only to the minute never wins over one to the second, whichever of the two
    is kept (a SAL entry's 14:33 is not before an IRC line's 14:33:40)."""
    if keep.precision != other.precision:
        return _precise(keep, other).time
    return min(keep.time, other.time)


def _precise(keep: Event, other: Event) -> Event:
    """The record to the second of a pair where one is only to the minute (else ``keep``)."""
    return other if keep.precision == "minute" and other.precision != "minute" else keep


def _doer(keep: Event, other: Event) -> str | None:
    """Who did it: not the bot that logged it for them (logmsgbot's entry is
    the user's it names, :func:`postmortem.core.log_lines.logged_by`; an alert
    a bot relayed to a channel is monitoring's, as its mail or API record says)."""
    if keep.alert is not None and other.alert is not None and _is_chat_source(keep) != _is_chat_source(other):
        return other.actor if _is_chat_source(keep) else keep.actor
    relay = other.log.relayed_by if other.log is not None else None
    if relay and (keep.actor or "").lower() == relay.lower():
        return other.actor
    return keep.actor or other.actor
