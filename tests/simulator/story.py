"""A simulated incident told as text, one line per fact in time order: what
a failing example prints, so a minimal counterexample reads as a story."""

from __future__ import annotations

import datetime as dt

from .facts import Incident, Page


def _clock(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def story(incident: Incident) -> str:
    start, end = incident.window
    head = [f"incident {incident.start:%Y-%m-%d %H:%M} to {incident.end:%H:%M} UTC "
            f"(sources read {start:%H:%M} to {end:%Y-%m-%d %H:%M})",
            "people: " + "; ".join(f"{p.name} ({p.timezone} {p.hours[0]}-{p.hours[1]}h"
                                   + (f", aka {', '.join(p.aliases())}" if p.on_roster else ", not on the roster")
                                   + ")" for p in incident.people),
            "recorded by: " + ", ".join(
                [f"{c.name} ({', '.join(f'{lg.format} {lg.timezone}' for lg in c.loggers)})" for c in incident.channels]
                + [name for name, on in (("slack", incident.slack), ("SAL page", incident.sal_page),
                                         ("SAL tool", incident.sal_tool), ("mail", incident.mail),
                                         ("prometheus", incident.prometheus), ("pagerduty", incident.pagerduty),
                                         ("splunk-oncall", incident.splunk)) if on])]
    lines = [(c.at, f"{c.place} {c.person.name}: {c.text}" + (f" (in thread of {c.thread})" if c.thread else ""))
             for c in incident.chats]
    lines += [(lg.at, f"!log in {lg.channel or 'no channel we log'} by {lg.nick} for {lg.person.name}: {lg.text}")
              for lg in incident.logs]
    for alert in incident.alerts:
        seen = ", ".join(s for s, on in ((alert.relay, alert.relay), ("mailed", alert.mailed)) if on) or "not relayed"
        for firing in alert.firings:
            lines.append((firing.start, f"alert {alert.name} {dict(alert.labels)} fires ({seen})"))
            if firing.end:
                lines.append((firing.end, f"alert {alert.name} resolves"))
            if firing.page:
                lines += _page_lines(firing.page)
    for page in incident.manual_pages:
        lines += _page_lines(page)
    return "\n".join(head + [f"{_clock(at)} {text}" for at, text in sorted(lines, key=lambda line: line[0])])


def _page_lines(page: Page) -> list[tuple[dt.datetime, str]]:
    who = f"{page.by.name} pages by hand" if page.by else "pages"
    lines = [(page.at, f"{page.service} {page.label} {who} ({page.what}): "
                       + ", ".join(f"{r.person.name} at {r.at:%H:%M:%S}" for r in page.reached)
                       + (" (a team; the on-call log says whom)" if page.via_team else ""))]
    lines += [(e.at, f"{page.label} escalated by {e.by.name if e.by else 'timeout'} to {e.to.name}")
              for e in page.escalations]
    lines += [(s.at, f"{page.label} acknowledged by {s.by.name}") for s in page.acks]
    lines += [(s.at, f"{page.label} note by {s.by.name}: {s.text}") for s in page.notes]
    if page.resolved_by:
        lines.append((page.resolved_by.at, f"{page.label} resolved by {page.resolved_by.by.name}"))
    if page.resolved_at:
        lines.append((page.resolved_at, f"{page.label} resolved by monitoring"))
    return lines
