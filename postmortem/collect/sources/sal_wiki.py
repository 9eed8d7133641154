"""The ``sal-wikitext`` source's wiki variant (``wiki`` + ``page``), read by `pull`.

MediaWiki Action API (https://www.mediawiki.org/wiki/API:Revisions,
https://www.mediawiki.org/wiki/API:Allpages)::

    GET <api.php>?action=query&prop=revisions&rvprop=content&rvslots=main
        &titles=Server Admin Log&format=json&formatversion=2
    {"query": {"pages": [{"title": "…", "revisions": [{"slots": {"main": {"content": "…"}}}]}]}}
    {"query": {"pages": [{"title": "…", "missing": true}]}}
    {"error": {"code": "…", "info": "…"}}

    GET <api.php>?action=query&list=allpages&apprefix=Server admin log/Archive &aplimit=max

The page is scanned with the file variant's line scanner
(:func:`~postmortem.collect.sources.sal_wikitext.scan_sal_lines`), which stops at the
first day heading before the window. Only when the page ends before reaching
that far are the archive pages (``<page>/Archive N``, Wikitech's
``Server admin log/Archive N``; the highest number is the newest) fetched,
newest first, until one reaches back before the window: a window on the
current page costs one request.
"""

from __future__ import annotations

import datetime as dt
import re

from ...core.errors import SourceError, SourceFormatError
from ...core.model import Event, SourceConfig, Window
from . import option
from ._web import format_error, json_answer, public_url, request
from .sal_wikitext import scan_sal_lines


_ISO_HEADING = re.compile(r"^(=+)\s*(\d{4}-\d{2}-\d{2})\s*\1\s*$")
_ANY_HEADING = re.compile(r"^(=+)\s*[A-Za-z]+\s+\d{1,2}\s*\1\s*$")


class _Lines:
    """Lines of a page, remembering whether the scan read them all."""

    def __init__(self, text: str):
        self._lines = iter(text.splitlines())
        self.exhausted = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.exhausted = True
            raise


def read_wiki(config: SourceConfig, window: Window, session) -> list[Event]:
    """Events in ``window`` from the SAL page on the wiki and, when needed, its archives."""
    api, page = option(config, "wiki"), option(config, "page")
    year = option(config, "year", int)
    events, reached = _scan_page(session, api, page, window, year, config.name)
    if not reached:
        for title in archive_titles(session, api, page, config.name):
            found, reached = _scan_page(session, api, title, window, year, config.name)
            events.extend(found)
            if reached:
                break
    return sorted(events, key=lambda event: event.time)


def _scan_page(session, api: str, title: str, window: Window, year, name: str):
    """(events in the window, whether the page reaches back to the window's start:
    the scan stopped before the page's end, or its last day is the first day of
    the window — archives hold whole days)."""
    text = page_text(session, api, title, name)
    lines = _Lines(text)
    try:
        events = scan_sal_lines(lines, window, year=year)
    except SourceFormatError as err:
        raise format_error(f"{title}: {err.message}" + (f" (line {err.line})" if err.line else ""),
                           source=name, url=api) from None
    oldest = _last_iso_day(text)
    return events, not lines.exhausted or (oldest is not None and oldest <= window.start.date())


def _last_iso_day(text: str) -> dt.date | None:
    """The date of the page's last ``== YYYY-MM-DD ==`` heading, if it is one."""
    at = text.rfind("\n=")
    while at >= 0:
        line = text[at + 1:text.find("\n", at + 1) if text.find("\n", at + 1) >= 0 else len(text)]
        match = _ISO_HEADING.match(line)
        if match:
            try:
                return dt.date.fromisoformat(match.group(2))
            except ValueError:
                return None
        if _ANY_HEADING.match(line):
            return None  # a heading without a year: leave it to the scan
        at = text.rfind("\n=", 0, at)
    return None


def page_text(session, api: str, title: str, name: str) -> str:
    """The wikitext of a page's current revision (``rvslots=main``)."""
    params = {"action": "query", "prop": "revisions", "rvprop": "content", "rvslots": "main",
              "titles": title, "format": "json", "formatversion": "2"}
    answer = _query(session, api, params, name)
    pages = answer.get("query", {}).get("pages") if isinstance(answer.get("query"), dict) else None
    if not isinstance(pages, list) or not pages or not isinstance(pages[0], dict):
        raise format_error("Action API answer without query.pages", source=name, url=api)
    if pages[0].get("missing") or pages[0].get("invalid"):
        raise format_error(f"no page {title!r} on this wiki", source=name, url=api)
    try:
        return pages[0]["revisions"][0]["slots"]["main"]["content"]
    except (KeyError, IndexError, TypeError):
        raise format_error(f"page {title!r} without revision content", source=name, url=api) from None


def archive_titles(session, api: str, page: str, name: str) -> list[str]:
    """``<page>/Archive N`` titles, newest (highest N) first."""
    titles: list[str] = []
    for base in dict.fromkeys((page, page[:1] + page[1:].lower())):
        params = {"action": "query", "list": "allpages", "apprefix": f"{base}/Archive ",
                  "aplimit": "max", "format": "json", "formatversion": "2"}
        listed = (_query(session, api, params, name).get("query") or {}).get("allpages") or []
        titles = [item.get("title", "") for item in listed if isinstance(item, dict)]
        if titles:
            break
    numbered = [(int(m.group(1)), t) for t in titles if (m := re.search(r"/Archive (\d+)$", t))]
    return [title for _, title in sorted(numbered, reverse=True)]


def _query(session, api: str, params: dict, name: str) -> dict:
    answer = json_answer(request(session, "GET", api, params=params, source=name), source=name)
    if not isinstance(answer, dict):
        raise format_error("not an Action API answer", source=name, url=api)
    if isinstance(answer.get("error"), dict):
        error = answer["error"]
        raise SourceError(f"API error {error.get('code')}: {error.get('info', '')}"[:200],
                          source=name, url=public_url(api))
    return answer
