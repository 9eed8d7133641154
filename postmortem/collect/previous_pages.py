"""The earlier report pages `pull` fetches from ``[incident] previous_wiki``
(under ``previous_prefix``) into the cache; :mod:`postmortem.read.previous`
reads them."""

from __future__ import annotations

from ..core.model import Incident
from ..core.timeutil import date_in_title

COUNT = 5  # previous reports kept for the scorecard


def fetch_previous_pages(incident: Incident, session=None, count: int = COUNT) -> list[tuple[str, str]]:
    """For `pull`: the newest report pages under ``previous_prefix`` dated on or
    before the incident's start (by their titles), with their wikitext. A few
    more than ``count`` are kept, since a page may prove to begin later."""
    from ..net.mediawiki import Wiki
    wiki = Wiki(incident.previous_wiki, session=session)
    dated = []
    for title in wiki.all_pages(incident.previous_prefix):
        day = date_in_title(title)
        if title != incident.page_title and day is not None and day <= incident.start.date():
            dated.append((day, title))
    dated.sort(reverse=True)
    chosen = [title for _, title in dated[:count * 2]]
    return [(title, text) for title, text in wiki.texts(chosen) if text is not None]
