"""One name per person: the ``[people.<name>]`` roster and the other names
each person goes by (``aliases``: IRC nicks, Slack ids and names, paging
services' names and e-mails, SAL and wiki users, Phabricator users).

Every record's actor, and everyone a page reached, is looked up here once,
when the records are gathered (:func:`postmortem.timeline.gather.gather`), so
the report, the metrics and the scorecard see each person under their roster
name; their ``timezone`` and ``hours`` apply under every alias. A paging
service's own lines (``… escalated to Jon Doe``, ``… resolved by Jon Doe``) name
a person as the roster does once the timeline has shown who that name is (a
person the service paged, or who acted on a page); a note's text, written by
a person, is left as written. A SAL user
written as ``user@host`` (``deployer1@deploy1002``) is ``user``. A name the
roster does not know stays as the source wrote it, and `check` lists it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Mapping

from .model import Person
from .vocabulary import NOTE, Event, Notified


# What an alert, a bot or an [[event]] names as its actor is no one the roster should list.
NAMELESS_KINDS = frozenset({"alert", "bot", "manual"})


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Roster:
    """The roster's names and aliases, case-insensitive."""

    def __init__(self, people: Mapping[str, Person]):
        self.people = dict(people)
        self._names: dict[str, str] = {}
        for name, person in self.people.items():
            for alias in (name, *person.aliases):
                self._names.setdefault(_key(alias), name)

    def __bool__(self) -> bool:
        return bool(self.people)

    def name_of(self, *names: str | None) -> str | None:
        """The roster name of the first of ``names`` it knows (``user@host`` as ``user``), else None."""
        for name in filter(None, names):
            for form in (name, name.split("@", 1)[0] if "@" in name.strip("@") else name):
                found = self._names.get(_key(form))
                if found is not None:
                    return found
        return None

    def names_of(self, names: Iterable[str]) -> tuple[str, ...]:
        """``names`` (e.g. ``[incident] responders``) under their roster names, each
        person once; a name the roster does not know stays as written."""
        return tuple(dict.fromkeys(self.name_of(name) or name for name in names))

    def person(self, *names: str | None) -> Person | None:
        name = self.name_of(*names)
        return self.people[name] if name is not None else None

    def named(self, event: Event) -> Event:
        """``event`` with its actor, the people its page reached and who acted on
        it under their roster names (its text as it is: :meth:`named_all`)."""
        actor = self.name_of(event.actor, *event.aka) if event.actor else None
        page = event.page
        if page is not None:
            by_aka = event.aka if page.by == event.actor else ()
            page = replace(page, notified=tuple(self._notified(n) for n in page.notified),
                           by=self.name_of(page.by, *by_aka) or page.by)
            page = event.page if page == event.page else page
        if actor in (None, event.actor) and page is event.page:
            return event
        return replace(event, actor=actor or event.actor, page=page)

    def named_all(self, events: Iterable[Event]) -> list[Event]:
        """Each event :meth:`named`; and each paging service's own lines name
        people as the roster does, where the service's events showed who they
        are (``paged Jo Doe``, ``escalated to Jo Doe``: jdoe), notes aside."""
        events = list(events)
        named = [self.named(event) for event in events]
        renamed: dict[str, dict[str, str]] = {}  # source -> its name of someone -> the roster's
        for before, after in zip(events, named):
            if before.page is not None:
                pairs = [(before.actor, after.actor), (before.page.by, after.page.by),
                         *((a.name, b.name) for a, b in zip(before.page.notified, after.page.notified))]
                renamed.setdefault(before.source, {}).update({old: new for old, new in pairs if old and old != new})
        return [_page_text(event, renamed.get(event.source)) for event in named]

    def _notified(self, person: Notified) -> Notified:
        name = self.name_of(person.name, *person.aka)
        if name is None or name == person.name:
            return person
        return replace(person, name=name, aka=tuple(dict.fromkeys((person.name, *person.aka))))

    def unknown(self, events: Iterable[Event]) -> dict[str, list[str]]:
        """The actors and people paged that the roster does not know (by any of
        their names), in order of appearance, each with the sources that name them;
        a bot's name is no person's."""
        found: dict[str, list[str]] = {}
        for event in events:
            names = [(event.actor, event.aka)] if event.actor and event.kind.value not in NAMELESS_KINDS else []
            names += [(n.name, n.aka) for n in event.page.notified] if event.page is not None else []
            for name, aka in names:
                if self.name_of(name, *aka) is None and event.source not in found.setdefault(name, []):
                    found[name].append(event.source)
        return found


def _page_text(event: Event, renamed: dict[str, str] | None) -> Event:
    """A paging service's line (not a note) with the names in ``renamed`` replaced, whole words only."""
    if not renamed or event.page is None or event.page.phase == NOTE:
        return event
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(old)}(?!\w)" for old in sorted(renamed, key=len, reverse=True)))
    text = pattern.sub(lambda match: renamed[match.group(0)], event.text)
    return event if text == event.text else replace(event, text=text)
