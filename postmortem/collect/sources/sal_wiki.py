"""The ``sal-wikitext`` source's wiki variant (``wiki`` + ``page``), read by `pull`
through the one MediaWiki client (:class:`postmortem.collect.mediawiki.Wiki`:
``prop=revisions&rvslots=main`` for the text, ``list=allpages`` for the
archives, continuation followed; https://www.mediawiki.org/wiki/API:Revisions,
https://www.mediawiki.org/wiki/API:Allpages).

The page is scanned with the shared line scanner
(:func:`~postmortem.collect.sources._sal_scan.scan_sal_lines`), which stops at
the first day heading before the window. Only when the page ends before
reaching that far are the archive pages (``<page>/Archive N``, Wikitech's
``Server admin log/Archive N``; the highest number is the newest) fetched,
newest first, until one reaches back before the window: a window on the
current page costs one request.
"""

from __future__ import annotations

import datetime as dt
import re

from ...core.errors import SourceError, SourceFormatError, WikiError
from ...core.model import Event, SourceConfig, Window
from ..mediawiki import Wiki
from . import option
from ._sal_scan import scan_sal_lines
from ..answers import public_url
from ._web import format_error

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
    wiki = Wiki(api, session=session)
    try:
        events, reached = _scan_page(wiki, page, window, year, config.name)
        if not reached:
            for title in archive_titles(wiki, page):
                found, reached = _scan_page(wiki, title, window, year, config.name)
                events.extend(found)
                if reached:
                    break
    except WikiError as err:
        raise _source_error(err, config.name, api) from None
    return sorted(events, key=lambda event: event.time)


def _source_error(err: WikiError, name: str, api: str) -> SourceError:
    """The wiki client's error as this source's: an answer not in the API's
    format is a SourceFormatError, the rest SourceError; the status is kept."""
    kind = SourceFormatError if err.code == "badjson" else SourceError
    error = kind(err.message, source=name, url=public_url(api))
    error.status = getattr(err, "status", None)
    return error


def _scan_page(wiki: Wiki, title: str, window: Window, year, name: str):
    """(events in the window, whether the page reaches back to the window's start:
    the scan stopped before the page's end, or its last day is the first day of
    the window — archives hold whole days)."""
    text = page_text(wiki, title, name)
    lines = _Lines(text)
    try:
        events = scan_sal_lines(lines, window, year=year)
    except SourceFormatError as err:
        raise format_error(f"{title}: {err.message}" + (f" (line {err.line})" if err.line else ""),
                           source=name, url=wiki.api_url) from None
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


def page_text(wiki: Wiki, title: str, name: str) -> str:
    """The wikitext of a page's current revision."""
    revision = wiki.page(title)
    if revision is None:
        raise format_error(f"no page {title!r} on this wiki", source=name, url=wiki.api_url)
    if revision.text is None:
        raise format_error(f"page {title!r} without revision content", source=name, url=wiki.api_url)
    return revision.text


def archive_titles(wiki: Wiki, page: str) -> list[str]:
    """``<page>/Archive N`` titles, newest (highest N) first."""
    titles: list[str] = []
    for base in dict.fromkeys((page, page[:1] + page[1:].lower())):
        titles = list(wiki.all_pages(f"{base}/Archive "))
        if titles:
            break
    numbered = [(int(m.group(1)), t) for t in titles if (m := re.search(r"/Archive (\d+)$", t))]
    return [title for _, title in sorted(numbered, reverse=True)]
