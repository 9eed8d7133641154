"""``[redact]`` on records: what must not be published is found, and the
rules resolve it, once, when the records are gathered, so that every output
after that (report, Markdown, the `timeline` command, the graph, the wiki page)
only ever sees the text after the rules.

Per event, its text and what a report shows of an alert (``alertname``,
``summary``, ``team``, ``severity``) are scanned (:func:`postmortem.core.redact.scan_text`),
and so is where a message was said (``[redact] private_channels``). A ``drop``
rule matching the text leaves the event out (its findings resolved by it); the
``replace`` rules rewrite the text, and a finding whose value is gone after
them is resolved by the rule that removed it. A private channel's message is
resolved only by being dropped. The event cache keeps what sources gave: the
rules may change after a pull, and `check` shows the findings from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..collect.sources import describe
from ..core.model import Event, Finding, Records
from ..core.settings import RedactSettings
from ..core.vocabulary import Place
from ..core.redact import apply_replacements, first_match, scan_text
from .merge import CHAT_FAMILIES



@dataclass
class Redacted:
    """Events after the rules, every finding (resolved or not), and the events
    a ``drop`` rule left out, with the rule's number."""

    events: list[Event] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    dropped: list[tuple[Event, int]] = field(default_factory=list)


def redact_events(events, settings: RedactSettings, source_name=None) -> Redacted:
    """Apply ``settings`` to ``events`` (``source_name(event)`` names an event's
    source in findings; default: its origin and type)."""
    result = Redacted()
    name = source_name or _source_name
    for event in events:
        kept, findings, rule = redact_event(event, settings, name(event))
        result.findings.extend(findings)
        if kept is None:
            result.dropped.append((event, rule))
        else:
            result.events.append(kept)
    return result


def redact_event(event: Event, settings: RedactSettings, source: str) -> tuple[Event | None, list[Finding], int | None]:
    """``(the event after the rules or None when dropped, its findings, the drop rule's number)``."""
    texts = {"text": event.text, **_shown_facts(event)}
    hits = _hits(texts, settings)
    private = _in_private_channel(event, settings)
    dropped = first_match(settings.drop, event.text)
    if dropped is not None:
        how = f"[redact] drop {dropped}"
        found = [(h, how) for key in texts for h in hits[key]]
        return None, _findings(event, source, found, private, how), dropped
    rules = [(rule.pattern, rule.with_) for rule in settings.replace]
    changed, found = dict(texts), []
    for key, value in texts.items():
        changed[key], gone = apply_replacements(value, rules, hits[key]) if rules else (value, {})
        found += [(h, f"[redact] replace {gone[h]}" if h in gone else None) for h in hits[key]]
    if changed != texts:
        event = _with_texts(event, changed)
    return event, _findings(event, source, found, private, None), None


def _hits(texts: dict[str, str], settings: RedactSettings) -> dict[str, list]:
    """Each text's hits; a value the event's text holds too (an alert's summary,
    a page's note) is one finding, the text's."""
    hits = {key: scan_text(value, settings.allow) for key, value in texts.items()}
    in_text = {(h.kind, texts["text"][h.start:h.end]) for h in hits["text"]}
    return {key: found if key == "text" else [h for h in found if (h.kind, texts[key][h.start:h.end]) not in in_text]
            for key, found in hits.items()}


def _shown_facts(event: Event) -> dict[str, str]:
    """What a report or the graph shows of an alert besides the event's text:
    its summary and the labels in its table (name, team, severity); and a
    page's note (the JSON timeline has it whole)."""
    if event.page is not None and event.page.note:
        return {"note": event.page.note, **_alert_facts(event)}
    return _alert_facts(event)


def _alert_facts(event: Event) -> dict[str, str]:
    if event.alert is None:
        return {}
    shown = {"summary": event.alert.summary or "", **{f"label.{k}": event.alert.labels.get(k, "")
                                                       for k in ("alertname", "team", "severity")}}
    return {key: value for key, value in shown.items() if value}


def _with_texts(event: Event, changed: dict[str, str]) -> Event:
    if "note" in changed:
        event = replace(event, page=replace(event.page, note=changed["note"]))
    if event.alert is None:
        return replace(event, text=changed["text"])
    labels = {k.removeprefix("label."): v for k, v in changed.items() if k.startswith("label.")}
    alert = replace(event.alert, name=labels.get("alertname", event.alert.name),
                    summary=changed.get("summary", event.alert.summary),
                    labels={**event.alert.labels, **labels})
    return replace(event, text=changed["text"], alert=alert)


def _findings(event: Event, source: str, found, private: bool, private_resolved: str | None) -> list[Finding]:
    """The findings of one event: its hits with how each was resolved, and its channel's."""
    findings = [_finding(event, source, hit.kind, hit.category, how) for hit, how in found]
    if private:
        findings.append(_finding(event, source, "private-channel", "private channel", private_resolved))
    return findings


def _in_private_channel(event: Event, settings: RedactSettings) -> bool:
    if not settings.private_channels or describe(event.source).family not in CHAT_FAMILIES:
        return False
    channel = _channel_key(event.channel or "")
    return bool(channel) and channel in {_channel_key(c) for c in settings.private_channels}


def _channel_key(name: str) -> str:
    return name.strip().lstrip("#").lower()


def _finding(event: Event, source: str, kind: str, category: str, resolved: str | None) -> Finding:
    place = event.place or Place()
    return Finding(kind, category, source, event.time, file=place.file, line=place.line, url=event.url,
                   resolved=resolved)


def _source_name(event: Event) -> str:
    origin = event.origin
    if event.source == "manual":
        return "[[event]]"
    return f"source[{origin}] ({event.source})" if origin is not None else event.source


# -- what the outputs ask -----------------------------------------------------------

def findings_of(records: Records) -> list[Finding]:
    """The records' findings: those found when they were gathered, or (for
    records made by hand) those in their events as they are."""
    if records.findings is not None:
        return list(records.findings)
    return redact_events(records.events, RedactSettings(
        allow=records.incident.redact.allow, private_channels=records.incident.redact.private_channels)).findings


def unresolved(records: Records) -> list[Finding]:
    """Findings no rule resolved: what the outputs still hold."""
    return [f for f in findings_of(records) if f.resolved is None]


def blocking(records: Records) -> list[Finding]:
    """What keeps `publish` and `update` from writing: unresolved secrets, and
    with ``[redact] strict`` every unresolved finding."""
    strict = records.incident.redact.strict
    return [f for f in findings_of(records) if f.blocks(strict)]

