"""One timeline from many sources: the window, de-duplication, a stable order."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Iterable

from ..collect.sources import describe
from ..core.model import Event, Window

# The same `!log` seen in IRC (seconds) and in the SAL (minutes) lies within this.
SAME_LOG_WITHIN = dt.timedelta(minutes=2)
# The same alert seen in e-mail, a chat bot and a manual entry lies within this.
SAME_ALERT_WITHIN = dt.timedelta(minutes=5)
# Two loggers of one channel (ZNC and wm-bot, irssi and ZNC) stamp the same line
# by their own machines' clocks: this far apart, beyond the coarser precision.
CLOCK_SKEW = dt.timedelta(seconds=10)
CHAT_FAMILIES = ("irc", "slack")

def merge(events: Iterable[Event], window: Window, manual: Iterable[Event] = ()) -> list[Event]:
    """Events in ``window`` plus every manual event (the author put them there on
    purpose), without duplicates, in a stable order: time, then source."""
    kept = [e for e in events if e.time in window] + list(manual)
    return dedupe(sorted(kept, key=_order))


def _order(event: Event):
    return (event.time, event.source)


# -- de-duplication -----------------------------------------------------------

def dedupe(events: list[Event]) -> list[Event]:
    """Drop events seen twice (an IRC `!log` and its SAL entry; an alert in
    e-mail and as a manual event), keeping the richer of each pair with the
    tags of both; a page from a paging service and the alert that caused it
    become the alert with the page's time, link and who it reached.
    ``events`` must be in time order; the order is kept."""
    result: list[Event] = []
    for event in events:
        for index in _recent(result, event.time):
            if _same_thing(result[index], event):
                result[index] = _richer(result[index], event)
                break
        else:
            result.append(event)
    return sorted(result, key=_order)


def _recent(result: list[Event], time: dt.datetime):
    """Indexes of kept events close enough in time to be the same thing."""
    index = len(result) - 1
    while index >= 0 and time - result[index].time <= SAME_ALERT_WITHIN:
        yield index
        index -= 1


def _same_thing(a: Event, b: Event) -> bool:
    gap = abs(a.time - b.time)
    if (a.time, a.source, a.actor, a.text) == (b.time, b.source, b.actor, b.text):
        return True
    if gap <= SAME_LOG_WITHIN and _is_log_pair(a, b) and _log_keys(a) & _log_keys(b):
        return True
    if _same_chat_line(a, b):
        return True
    if _page_and_alert(a, b) is not None:
        return True
    return a.source != b.source and _same_alert(a, b)


# Where a `!log` line shows up: stashbot writes it to a SAL (sometimes to two,
# wikimedia/labs-tools-stashbot) from the IRC line that asked for it.
LOG_ECHO_FAMILIES = ("sal", "irc")


def _is_log_pair(a: Event, b: Event) -> bool:
    """One SAL entry and its echo: the IRC line, or the same entry in another SAL."""
    families = (describe(a.source).family, describe(b.source).family)
    return "sal" in families and all(f in LOG_ECHO_FAMILIES for f in families)


_LOG_PREFIX = re.compile(r"^\s*!log\s+", re.I)
_SPACES = re.compile(r"\s+")


def _log_keys(event: Event) -> set[str]:
    """The forms a SAL message takes: ``!log msg`` by nick in IRC, ``nick: msg`` in SAL."""
    text = _SPACES.sub(" ", _LOG_PREFIX.sub("", event.text)).strip().lower()
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
    if "alert" not in a.tags or "alert" not in b.tags or abs(a.time - b.time) > SAME_ALERT_WITHIN:
        return False
    if _alert_state(a) != _alert_state(b):
        return False
    names_a, names_b = _alert_names(a), _alert_names(b)
    return bool(names_a & names_b) or any(n in b.text for n in names_a) or any(n in a.text for n in names_b)


def _alert_names(event: Event) -> set[str]:
    name = event.fields.get("alertname")
    return {name} if name else set()


def _alert_state(event: Event) -> str:
    state = event.fields.get("state")
    if state:
        return state
    return "resolved" if re.search(r"\bresolved?\b", event.text, re.I) else "firing"


def _page_and_alert(a: Event, b: Event) -> tuple[Event, Event] | None:
    """``(page, alert)`` when one is a paging service's page (or its resolution)
    and the other the alert that caused it, seen elsewhere (an e-mail,
    Alertmanager, Prometheus, a manual event): an alert or page in the same
    state, within five minutes, that names the same alert (its alertname a word
    of what paged, or what paged in its text or summary)."""
    from_pager = [e for e in (a, b) if describe(e.source).family == "page"]
    if len(from_pager) != 1 or abs(a.time - b.time) > SAME_ALERT_WITHIN:
        return None
    page = from_pager[0]
    alert = b if page is a else a
    phase = page.fields.get("phase")
    if phase not in ("triggered", "resolved") or not {"alert", "page"} & set(alert.tags):
        return None
    if alert.fields.get("incident", page.fields.get("incident")) != page.fields.get("incident"):
        return None  # already merged with another page: two pages are two pages
    if _alert_state(alert) != ("resolved" if phase == "resolved" else "firing"):
        return None
    return (page, alert) if _names_same_alert(page, alert) else None


def _names_same_alert(page: Event, alert: Event) -> bool:
    what = " ".join(v for v in (page.fields.get("what"), page.fields.get("entity")) if v)
    name = alert.fields.get("alertname")
    if name and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", what):
        return True
    said = f"{alert.text} {alert.fields.get('summary', '')}".lower()
    return bool(page.fields.get("what")) and page.fields["what"].lower() in said


def _with_page(alert: Event, page: Event) -> Event:
    """The alert, as the page it caused: the page's time, link and fields (who it
    reached), the tags of both, and the page's summary after the alert's text."""
    said = page.fields.get("page_summary") if page.fields.get("phase") == "triggered" else page.text
    return replace(alert, time=page.time, precision=page.precision, url=page.url or alert.url,
                   tags=tuple(dict.fromkeys(alert.tags + page.tags)), fields={**alert.fields, **page.fields},
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
    return (event.fields.get("origin"), event.fields.get("file"))


def _channel(event: Event) -> str:
    return (event.fields.get("channel") or "").lstrip("#").lower()


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
    return (event.url is not None, event.precision == "second", len(event.fields), len(event.text))


def _richer(a: Event, b: Event) -> Event:
    pair = _page_and_alert(a, b)
    if pair is not None:  # the alert stays (its source: another alert of that source is another alert)
        return _with_page(pair[1], pair[0])
    keep, other = (a, b) if _richness(a) >= _richness(b) else (b, a)
    tags = tuple(dict.fromkeys(keep.tags + other.tags))
    # e.g. a manual page's `paged` on the alert kept; a channel only where the kept record was said
    fields = {**{k: v for k, v in other.fields.items() if k != "channel" or _is_chat_source(keep)}, **keep.fields}
    fields["also_in"] = ",".join(dict.fromkeys([*also_in(keep), other.source, *also_in(other)]))
    return replace(keep, time=_first_time(keep, other), tags=tags, url=keep.url or other.url,
                   actor=_doer(keep, other), fields=fields)


def also_in(event: Event) -> list[str]:
    """The sources of the records merged into ``event`` (``fields["also_in"]``)."""
    return [source for source in event.fields.get("also_in", "").split(",") if source]


def _is_chat_source(event: Event) -> bool:
    return describe(event.source).family in CHAT_FAMILIES


def _first_time(keep: Event, other: Event) -> dt.datetime:
    """When it happened: the earlier of the two records, unless the other is only
    to the minute (a SAL entry's 14:33 is not before an IRC line's 14:33:40)."""
    if other.precision == "minute" and keep.precision != "minute":
        return keep.time
    return min(keep.time, other.time)


def _doer(keep: Event, other: Event) -> str | None:
    """Who did it: not the bot that logged it for them (logmsgbot's `!log` on IRC
    is the SAL entry of the user it names, :func:`..collect.sources._sal_scan.logged_by`)."""
    relay = other.fields.get("relayed_by")
    if relay and (keep.actor or "").lower() == relay.lower():
        return other.actor
    return keep.actor or other.actor
