"""The ``sal-wikitext`` source's wiki variant (``wiki`` + ``page``), read by `pull`
through the one MediaWiki client (:class:`postmortem.net.mediawiki.Wiki`:
``prop=revisions&rvslots=main`` for the text, ``list=allpages`` for the
archives, continuation followed; https://www.mediawiki.org/wiki/API:Revisions,
https://www.mediawiki.org/wiki/API:Allpages).

The page is scanned with the shared line scanner
(:func:`~postmortem.collect.sources._sal_scan.scan_sal_lines`) to its end:
every entry of a page fetched counts as read. Only when the page does not
reach back to the window's first day are the archive pages (``<page>/Archive
N``, Wikitech's ``Server admin log/Archive N``; the highest number is the
newest) fetched, newest first, until one reaches back that far: a window on
the current page costs one request, and the archives not fetched are not read.
"""

from __future__ import annotations

import io
import re

from ...core.accounting import Tally
from ...core.errors import SourceError, SourceFormatError, WikiError
from ...core.model import Event, SourceConfig, Window
from ...net.mediawiki import Wiki
from . import option
from ._sal_scan import scan_sal_page
from ...net.responses import public_url
from ...net.web import format_error

def read_wiki(config: SourceConfig, window: Window, session, tally: Tally | None = None) -> list[Event]:
    """Events in ``window`` from the SAL page on the wiki and, when needed, its archives."""
    api, page = option(config, "wiki"), option(config, "page")
    year = option(config, "year", int)
    wiki = Wiki(api, session=session)
    tally = tally if tally is not None else Tally()
    try:
        events, reached = _scan_page(wiki, page, window, year, config.name, tally)
        if not reached:
            for title in archive_titles(wiki, page):
                found, reached = _scan_page(wiki, title, window, year, config.name, tally)
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


def _scan_page(wiki: Wiki, title: str, window: Window, year, name: str, tally: Tally):
    """(events in the window, whether the page reaches back to the window's
    first day: archives hold whole days)."""
    text = page_text(wiki, title, name)
    try:
        scan = scan_sal_page(io.StringIO(text), window, year=year, file=title, tally=tally)  # lazily: a long page
    except SourceFormatError as err:
        raise format_error(f"{title}: {err.message}" + (f" (line {err.line})" if err.line else ""),
                           source=name, url=wiki.api_url) from None
    return scan.events, scan.oldest_day is not None and scan.oldest_day <= window.start.date()


def page_text(wiki: Wiki, title: str, name: str) -> str:
    """The wikitext of a page's current revision."""
    revision = wiki.page(title)
    if revision is None:
        raise format_error(f"no page {title!r} on this wiki", source=name, url=wiki.api_url)
    if not isinstance(revision.text, str):
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
