"""One name per person: the ``[people.<name>]`` roster and the other names
each person goes by (``aliases``: IRC nicks, Slack ids and names, paging
services' names and e-mails, SAL and wiki users, Phabricator users).

Every record's actor, and everyone a page reached, is looked up here once,
when the records are gathered (:func:`postmortem.timeline.gather.gather`), so
the report, the metrics and the scorecard see each person under their roster
name; their ``timezone`` and ``hours`` apply under every alias. A SAL user
written as ``user@host`` (``deployer1@deploy1002``) is ``user``. A name the
roster does not know stays as the source wrote it, and `check` lists it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from .model import Person
from .vocabulary import TRIGGERED, Event, Notified


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

    def person(self, *names: str | None) -> Person | None:
        name = self.name_of(*names)
        return self.people[name] if name is not None else None

    def named(self, event: Event) -> Event:
        """``event`` with its actor and the people its page reached under their roster names."""
        actor = self.name_of(event.actor, *event.aka) if event.actor else None
        page = event.page
        if page is not None and page.notified:
            page = replace(page, notified=tuple(self._notified(n) for n in page.notified),
                           by=self.name_of(page.by) or page.by)
        if actor in (None, event.actor) and page is event.page:
            return event
        text = event.text
        if page is not event.page and page.phase == TRIGGERED:  # "paged Jo Doe" is "paged jdoe"
            text = text.replace(event.page.summary(), page.summary())
        return replace(event, actor=actor or event.actor, page=page, text=text)

    def _notified(self, person: Notified) -> Notified:
        name = self.name_of(person.name, *person.aka)
        if name is None or name == person.name:
            return person
        return replace(person, name=name, aka=tuple(dict.fromkeys((person.name, *person.aka))))

    def unknown(self, events: Iterable[Event]) -> dict[str, list[str]]:
        """The actors and people paged that the roster does not know (by any of
        their names), in order of appearance, each with the sources that name them."""
        found: dict[str, list[str]] = {}
        for event in events:
            names = [(event.actor, event.aka)] if event.actor and event.kind.value not in ("alert", "manual") else []
            names += [(n.name, n.aka) for n in event.page.notified] if event.page is not None else []
            for name, aka in names:
                if self.name_of(name, *aka) is None and event.source not in found.setdefault(name, []):
                    found[name].append(event.source)
        return found
