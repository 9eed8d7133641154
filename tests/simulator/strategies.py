"""Hypothesis strategies that draw simulated incidents (:mod:`.facts`).

An incident starts near a moment worth testing (a daylight-saving change in
the US, Europe or Australia, UTC midnight, a Friday night) and lasts 20
minutes to 5 hours. Its people (two to five on the roster, up to two not)
live in several time zones. It is recorded by up to two IRC channels, each
logged by one or two loggers in their own formats and zones; maybe a Slack
channel, the SAL page and tool, Alertmanager's mails, Prometheus, PagerDuty
and Splunk On-Call. Then come its alerts (firing once or twice, paging or
not), the pages people start by hand, the ``!log`` entries and deploys, and
the chat — a few of them outside the window the sources are read for.

What the sources cannot tell apart is not drawn (the tool cannot be asked
for it, and neither could a person reading the records):

* an alert relayed on IRC, or paging, has a name no other alert of the
  incident has (the relay line and the page name the alert, not its labels);
* a firing ends at least a minute after it starts and fires again at least
  six minutes later;
* a local-time IRC log in a zone that repeats an hour (the end of DST) has a
  line just before the repeat ("`[02:59:59]`"), as a busy channel would: a
  line after it whose clock is earlier is the second of the two hours (no line
  is drawn at the repeat's own 02:59:59, which reads the same). A log that
  writes only minutes is kept to zones without that repeat (its last minute
  would read the same in both hours), and so is a logger whose clock is ahead.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from .facts import (PAGERDUTY, SPLUNK, UTC, Alert, Channel, Chat, Escalation, Firing, Incident, Log, Logger,
                    Page, Person, Reach, Step, host)

MINUTE = dt.timedelta(minutes=1)
# roster name (and shell user), IRC nick, Slack display name, PagerDuty name
ROSTER = (("akowalski", "ana", "Ana K", "Ana Kowalski"), ("bnguyen", "bnguyen", "Bao", "Bao Nguyen"),
          ("cdubois", "claire_d", "claire", "Claire Dubois"), ("dsingh", "dev", "Dev Singh", "Dev Singh"),
          ("emorales", "emo", "Eva M", "Eva Morales"), ("fwang", "fwang", "Fei", "Fei Wang"),
          ("gokafor", "grace", "Grace O.", "Grace Okafor"), ("hlindqvist", "hlind", "Henrik", "Henrik Lindqvist"))
OTHERS = ("kzhou", "lmartin", "mpatel")
ZONES = ("UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
         "Australia/Sydney")
ZONES_WITHOUT_REPEATS = ("UTC", "Asia/Kolkata")
HOURS = ((9, 17), (8, 16), (10, 18), (7, 15))
BASES = tuple(dt.datetime(*args, tzinfo=UTC) for args in (
    (2024, 3, 10, 7), (2024, 11, 3, 6),        # New York: DST begins, ends
    (2024, 3, 31, 1), (2024, 10, 27, 1),       # Europe: DST begins, ends
    (2024, 4, 6, 16), (2024, 10, 5, 16),       # Sydney: DST ends, begins
    (2024, 5, 15, 0), (2024, 6, 7, 22)))       # UTC midnight; a Friday night
CHANNELS = ("#wikimedia-operations", "#wikimedia-sre")
FORMATS = ("wm-bot", "znc", "irssi", "weechat")
ALERT_NAMES = {"MediaWikiLatency": "p99 latency above 2 s", "ProbeDown": "service has failed probes",
               "PHPFPMTooBusy": "not enough idle php-fpm workers", "KafkaUnderReplicatedPartitions":
               "under-replicated partitions"}
ICINGA_CHECKS = ("Apache HTTP", "MariaDB Replica Lag: s1", "SSH")
TEAMS = ("sre", "serviceops", "data-engineering")
CHAT = ("looking at", "I see errors from", "graphs & logs for", "is anyone on", "restarting things on",
        "back to normal on")
LOGS = ("restart php-fpm on {host}", "depool {host} for the reimage", "dbctl commit (dc=all): 'Depool {host} | slow'",
        "{host}: clear the stuck varnish ban")
DEPLOYS = ("{user}@deploy1002 Synchronized wmf-config/InitialiseSettings.php: Config: raise the limit on {host} "
           "(duration: 00m 41s)",
           "{user}@deploy1002 Finished scap: Backport for [[gerrit:961234|Fix probes of {host}]] (duration: 08m 12s)",
           "{user}@deploy1002 helmfile [eqiad] DONE helmfile.d/services/mw-api-int: apply on {host}")


@st.composite
def people(draw) -> tuple[Person, ...]:
    chosen = draw(st.lists(st.sampled_from(ROSTER), min_size=2, max_size=5, unique=True))
    found = []
    for n, (name, irc, slack, pager) in enumerate(chosen):
        zone = draw(st.sampled_from(ZONES))
        stale = draw(st.sampled_from(ZONES)) if draw(st.booleans()) else zone
        found.append(Person(name, zone, draw(st.sampled_from(HOURS)), True, irc, slack, f"U0R{n}", pager,
                            f"PR{n:04d}", pager.lower().replace(" ", ".") + "@example.org", stale,
                            draw(st.sampled_from(("name", "email", "id")))))
    for n, name in enumerate(draw(st.lists(st.sampled_from(OTHERS), max_size=2, unique=True))):
        zone = draw(st.sampled_from(ZONES))
        found.append(Person(name, zone, (9, 17), False, name, name, f"U0X{n}", name, f"PX{n:04d}",
                            f"{name}@example.org", zone))
    return tuple(found)


@st.composite
def channels(draw) -> tuple[Channel, ...]:
    found = []
    for name in draw(st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True)):
        loggers = []
        for fmt in draw(st.lists(st.sampled_from(FORMATS), min_size=1, max_size=2, unique=True)):
            seconds = fmt != "irssi" or draw(st.booleans())
            zone = draw(st.sampled_from(ZONES if seconds else ZONES_WITHOUT_REPEATS))
            skew = draw(st.integers(0, 4)) if zone in ZONES_WITHOUT_REPEATS else 0
            loggers.append(Logger(fmt, zone, seconds, draw(st.booleans()), skew))
        found.append(Channel(name, tuple(loggers)))
    return tuple(found)


@st.composite
def incidents(draw) -> Incident:
    """One simulated incident (see the module's docstring)."""
    start = draw(st.sampled_from(BASES)) + draw(st.integers(-240, 240)) * MINUTE
    end = start + draw(st.integers(20, 300)) * MINUTE
    flags = {name: draw(st.booleans()) for name in ("sal_page", "sal_tool", "mail", "prometheus", "pagerduty",
                                                      "splunk")}
    bare = Incident(draw(st.integers(1, 999)), start, end, draw(people()), draw(channels()),
                    "ops-incidents" if draw(st.booleans()) else None, **flags)
    facts = _Facts(draw, bare)
    alerts = facts.alerts()
    manual = facts.manual_pages(alerts)
    logs = facts.logs()
    chats = facts.chats()
    return Incident(bare.number, start, end, bare.people, bare.channels, bare.slack, **flags, alerts=alerts,
                    manual_pages=manual, logs=logs, chats=chats + facts.fold_fillers())


class _Facts:
    """Draws the facts of one incident, numbering them."""

    def __init__(self, draw, incident: Incident):
        self.draw, self.incident = draw, incident
        self.start, self.end = incident.start, incident.end
        self.next_id = 1
        self.numbers = {PAGERDUTY: 1400, SPLUNK: 4800}
        self.services = [s for s, on in ((PAGERDUTY, incident.pagerduty), (SPLUNK, incident.splunk)) if on]
        self.latest = incident.window[1] - 5 * MINUTE   # nothing that matters happens in the window's last minutes
        lo, hi = self.start - 4 * dt.timedelta(hours=1), self.end + 4 * dt.timedelta(hours=1)
        # a repeated hour's last second reads, in a local log, as the line written just before the repeat
        self.hazards = {t + dt.timedelta(seconds=3599) for c in incident.channels for lg in c.loggers
                        for t in repeated_hours(lg.timezone, lo, hi)}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def moment(self, after: dt.datetime, seconds_from: int, seconds_to: int) -> dt.datetime:
        return self.clear(after + dt.timedelta(seconds=self.draw(st.integers(seconds_from, seconds_to))))

    def clear(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the second before when a local log could not tell it from the line before it."""
        return moment - dt.timedelta(seconds=1) if moment in self.hazards else moment

    def person(self, among=None) -> Person:
        return self.draw(st.sampled_from(among or self.incident.people))

    # -- alerts and their pages -----------------------------------------------------

    def alerts(self) -> tuple[Alert, ...]:
        """Alertmanager's and Icinga's alerts; a "twin" is the rule before it firing
        for another instance at the same evaluations (mailed with it)."""
        kinds = self.draw(st.lists(st.sampled_from(["am", "am", "twin"] + ["icinga"] * bool(self.incident.channels)),
                                   max_size=5))
        names: list[str] = []
        for n, kind in enumerate(kinds):
            twin = kind == "twin" and n > 0 and kinds[n - 1] in ("am", "twin")
            names.append(names[-1] if twin else self.draw(st.sampled_from(sorted(ALERT_NAMES))))
            kinds[n] = "twin" if twin else ("am" if kind == "twin" else kind)
        twice = {name for name, count in Counter(n for n, k in zip(names, kinds) if k != "icinga").items() if count > 1}
        found: list[Alert | None] = []
        for kind, name in zip(kinds, names):
            if kind == "twin":
                found.append(self._twin(found[-1]) if found[-1] is not None else None)
            else:
                found.append(self._icinga() if kind == "icinga" else self._alertmanager(name, name in twice))
        return tuple(a for a in found if a is not None)

    def _twin(self, alert: Alert) -> Alert | None:
        mailed = self.incident.mail and self.draw(st.booleans())
        if not (mailed or self.incident.prometheus):
            return None   # an alert no source saw is no fact of this incident
        twin_id = self.new_id()
        labels = tuple((k, f"{host(twin_id)}:9100" if k == "instance" else v) for k, v in alert.labels)
        return replace(alert, id=twin_id, labels=labels, summary=f"{ALERT_NAMES[alert.name]} on {host(twin_id)}",
                       mailed=mailed)

    def _icinga(self) -> Alert:
        alert_id = self.new_id()
        name = f"{self.draw(st.sampled_from(ICINGA_CHECKS))} on {host(alert_id)}"
        firings = self._firings(name, pages=False)
        return Alert(alert_id, name, (), "", "icinga-wm", False, firings, icinga=True,
                     relay_lag=self._relay_lag(firings))

    def _alertmanager(self, name: str, shared_name: bool) -> Alert | None:
        inc = self.incident
        relay = "jinxer-wm" if inc.channels and not shared_name and self.draw(st.booleans()) else None
        mailed = inc.mail and self.draw(st.booleans())
        if not (relay or mailed or inc.prometheus):
            return None   # an alert no source saw is no fact of this incident
        severity = self.draw(st.sampled_from(("warning", "critical", "page")))
        if severity == "page" and (shared_name or not self.services):
            severity = "critical"
        alert_id = self.new_id()
        labels = (("alertname", name), ("instance", f"{host(alert_id)}:9100"), ("severity", severity),
                  ("team", self.draw(st.sampled_from(TEAMS))), ("site", "eqiad"))
        what = f"[FIRING:1] {name} ({host(alert_id)}:9100 {severity} eqiad)"
        firings = self._firings(what, pages=severity == "page")
        return Alert(alert_id, name, labels, f"{ALERT_NAMES[name]} on {host(alert_id)}", relay, mailed, firings,
                     relay_lag=self._relay_lag(firings), mail_lag=self.draw(st.integers(0, 60)))

    def _relay_lag(self, firings) -> int:
        """Seconds the relay takes to say a change (one more where a local log could not place the line)."""
        lag = self.draw(st.integers(0, 15))
        changes = [t for f in firings for t in (f.start, f.end) if t is not None]
        return lag + any(t + dt.timedelta(seconds=lag) in self.hazards for t in changes)

    def _firings(self, what: str, pages: bool) -> tuple[Firing, ...]:
        found, start = [], self.moment(self.start, -600, int((self.end - self.start).total_seconds()))
        for _ in range(self.draw(st.integers(1, 2))):
            if start > self.end + 20 * MINUTE:
                break
            end = self.moment(start, 60, 90 * 60)
            end = end if end <= self.end + 20 * MINUTE else None
            page = self._page(start + dt.timedelta(seconds=self.draw(st.integers(0, 90))), what, end) if pages else None
            found.append(Firing(start, end, page))
            if end is None:
                break
            start = self.moment(end, 360, 2400)
        return tuple(found)

    def _page(self, at: dt.datetime, what: str, alert_ends: dt.datetime | None, by: Person | None = None) -> Page:
        service = self.draw(st.sampled_from(self.services))
        self.numbers[service] += 1
        pd = service == PAGERDUTY
        chosen = self.draw(st.lists(st.sampled_from(self.incident.people), min_size=1, max_size=3,
                                    unique_by=lambda p: p.name))
        reached = tuple(Reach(p, self.moment(at, 1, 5) if pd else at, self.draw(st.sampled_from(("sms", "push"))))
                        for p in chosen)
        ends = min(alert_ends or self.latest, self.latest)
        escalations = self._escalation(at, chosen, ends) if pd else ()
        can_act = list(chosen) + [e.to for e in escalations]
        after = escalations[-1].notified_at if escalations else at
        acks = self._steps(after, 30, 300, can_act, ends, 1)
        notes = self._steps(at, 20, 1200, can_act, ends, 1, text=f"looking into {what}") if pd else ()
        last = max([after] + [s.at for s in acks + notes])
        resolved_by, resolved_at = self._resolution(last, can_act, alert_ends, manual=by is not None)
        return Page(service, self.numbers[service], at, what, reached, by, escalations, acks, notes, resolved_by,
                    resolved_at, via_team=not pd and self.draw(st.booleans()))

    def _escalation(self, at, chosen, ends) -> tuple[Escalation, ...]:
        others = [p for p in self.incident.people if p not in chosen]
        when = self.moment(at, 300, 900)
        if not others or when >= ends - MINUTE or not self.draw(st.booleans()):
            return ()
        by = self.person(chosen) if self.draw(st.booleans()) else None
        return (Escalation(when, by, self.person(others), when + dt.timedelta(seconds=2)),)

    def _steps(self, after, least, most, who, ends, at_most, text="") -> tuple[Step, ...]:
        steps = []
        for _ in range(self.draw(st.integers(0, at_most))):
            when = self.moment(after, least, most)
            if when < ends - 30 * dt.timedelta(seconds=1):
                steps.append(Step(when, self.person(who), text))
        return tuple(steps)

    def _resolution(self, last, who, alert_ends, *, manual: bool):
        """(a person resolving it, monitoring resolving it): monitoring with the
        alert's recovery, or a person before it; a page left open otherwise."""
        if not manual and alert_ends is not None and (alert_ends - last < 2 * MINUTE or self.draw(st.booleans())):
            return None, self.moment(alert_ends, 0, 60)
        ends = alert_ends or self.latest
        if ends - last < 2 * MINUTE or not self.draw(st.booleans()):
            return None, None
        return Step(self.moment(last, 30, int((ends - last).total_seconds()) - 30), self.person(who)), None

    def manual_pages(self, alerts) -> tuple[Page, ...]:
        if not self.services or not self.draw(st.booleans()):
            return ()
        by, page_id = self.person(), self.new_id()
        named = [a.name for a in alerts]
        what = (f"{self.draw(st.sampled_from(named))} is bad, paging for {host(page_id)}"
                if named and self.draw(st.booleans()) else f"users report errors, paging for {host(page_id)}")
        at = self.moment(self.start, 0, int((self.end - self.start).total_seconds()))
        return (self._page(at, what, None, by=by),)

    # -- logs and chat ------------------------------------------------------------------

    def _when(self) -> dt.datetime:
        """Mostly in the incident and its lead and trail, sometimes hours away (outside the window)."""
        if self.draw(st.integers(0, 9)) == 0:
            return self.moment(self.start, -3 * 3600, -45 * 60) if self.draw(st.booleans()) else \
                self.moment(self.end, 45 * 60, 3 * 3600)
        return self.moment(self.start, -25 * 60, int((self.end - self.start).total_seconds()) + 25 * 60)

    def logs(self) -> tuple[Log, ...]:
        inc = self.incident
        names = [c.name for c in inc.channels]
        if not (names or inc.sal_page or inc.sal_tool):
            return ()
        found = []
        for _ in range(self.draw(st.integers(0, 8))):
            log_id, person = self.new_id(), self.person()
            channel = self.draw(st.sampled_from([None] + names)) if inc.sal_page or inc.sal_tool else \
                self.draw(st.sampled_from(names))
            deploy = self.draw(st.booleans())
            template = self.draw(st.sampled_from(DEPLOYS if deploy else LOGS))
            text = template.format(user=person.name, host=host(log_id))
            task = f"T{340000 + log_id}" if self.draw(st.booleans()) else None
            text = f"{text} ({task})" if task else text
            found.append(Log(log_id, self._when(), person, text, deploy, channel, inc.sal_page, inc.sal_tool,
                             task, linked=bool(task) and self.draw(st.booleans()),
                             sal_lag=self.draw(st.integers(0, 3))))
        return tuple(found)

    def chats(self) -> tuple[Chat, ...]:
        places = [c.name for c in self.incident.channels] + (["slack"] if self.incident.slack else [])
        if not places:
            return ()
        drawn = sorted((self._when(), self.new_id()) for _ in range(self.draw(st.integers(3, 30))))
        found: list[Chat] = []
        for at, chat_id in drawn:
            place = self.draw(st.sampled_from(places))
            text = f"{self.draw(st.sampled_from(CHAT))} {host(chat_id)}"
            parents = [c.id for c in found if c.place == "slack" and c.thread is None and c.at < at]
            thread = self.draw(st.sampled_from(parents)) if place == "slack" and parents and \
                self.draw(st.booleans()) else None
            found.append(Chat(chat_id, at, self.person(), place, text,
                              action=place != "slack" and self.draw(st.integers(0, 4)) == 0, thread=thread))
        return tuple(found)

    def fold_fillers(self) -> tuple[Chat, ...]:
        """A line just before each repeated hour of a channel's local-time loggers."""
        lo, hi = self.start - 4 * dt.timedelta(hours=1), self.end + 4 * dt.timedelta(hours=1)
        found = []
        for channel in self.incident.channels:
            repeats = sorted({t for lg in channel.loggers for t in repeated_hours(lg.timezone, lo, hi)})
            for moment in repeats:
                filler_id = self.new_id()
                found.append(Chat(filler_id, moment - dt.timedelta(seconds=1), self.person(), channel.name,
                                  f"still here {host(filler_id)}"))
        return tuple(found)


def repeated_hours(zone: str, lo: dt.datetime, hi: dt.datetime) -> list[dt.datetime]:
    """The UTC instants in [lo, hi] where ``zone``'s clock goes back (DST ends)."""
    tz, found, moment = ZoneInfo(zone), [], lo.replace(minute=0, second=0)
    while moment < hi:
        following = moment + dt.timedelta(hours=1)
        if following.astimezone(tz).utcoffset() < moment.astimezone(tz).utcoffset():
            found.append(following)
        moment = following
    return found
