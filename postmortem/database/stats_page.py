"""The incident statistics page on the wiki (`postmortem stats --wiki API --prefix P
--format wikitext [--publish PAGE]`): the reports read as a database, the
page written back.

:func:`statistics_page` reads the statistics (:func:`postmortem.database.stats.report_stats`)
and, with paging sources, the page records over the reports' months
(:func:`postmortem.database.pages.pages_in_period`), and writes the page
(:func:`postmortem.database._stats_page_text.stats_page`).

:func:`publish_stats` puts it on the wiki as `publish` and `update` do a
report: the chart uploaded first under the rules of :mod:`postmortem.publishing.pictures` (a name of
its own, ``<page> incidents per month.svg`` by default, never over a file
the tool did not upload for this page unless ``replace_graph``), then the page
created (``createonly``), or, when it is there, updated with the same
conflict-safe edit as `update` (:func:`postmortem.publishing.report_page.merge_and_save`: the three-way
merge from the tool's own last revision, keeping hand edits; an edit made
meanwhile is an edit conflict). The edit summaries say ``statistics``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..core.model import Window
from ..core.timeutil import UTC
from .stats import report_stats
from .pages import pages_in_period
from ._month_chart import next_month
from ._stats_page_text import StatsPage, report_start, stats_page
from ..write.wikitext import escape
from ..net.mediawiki import same_page_title
from ..publishing.pictures import Picture, check_picture, graph_file_name, stats_chart_picture
from ..publishing.markers import edit_summary, find_base
from ..publishing.text_merge import canonical
from ..publishing.report_page import UpdateResult, logged_in, merge_and_save, upload_changed

CHART = "incidents per month"


@dataclass
class StatsPublished:
    """What :func:`publish_stats` did: the page, whether it was created, its new
    revision (None: nothing changed), the chart's file, and the update's result."""

    title: str
    created: bool
    revid: int | None
    graph: str | None
    update: UpdateResult | None = None


def default_chart_name(title: str) -> str:
    """``<page> incidents per month.svg``, the page's own file (characters a file
    name may not hold turned into ``-``)."""
    stem = " ".join(re.sub(r"[^\w .,()+-]+", "-", title).replace("_", " ").split()).strip(" -") or "statistics"
    return graph_file_name(f"{stem[:150]} {CHART}.svg")


def prefix_link(prefix: str) -> str:
    """The pages under ``prefix``, as a link to Special:PrefixIndex (or text, for
    a prefix that cannot be part of a link)."""
    if re.search(r"[\[\]{}|#<>\n]", prefix):
        return f"the pages starting with {escape(prefix)}"
    return f"the pages under [[Special:PrefixIndex/{prefix}|{prefix}]]"


def statistics_page(items, *, sources=(), people=None, graph_file: str | None = None,
                    source: str = "the reports", session_factory=None) -> StatsPage:
    """The statistics page of the reports ``items`` (files, or ``(title, text)``
    pairs); ``sources``: paging sources whose page records are counted too, over
    the months of the reports."""
    stats = report_stats(items)
    pages = _page_records(stats, sources, people or {}, session_factory) if sources else None
    return stats_page(stats, pages=pages, graph_file=graph_file, source=source)


def _page_records(stats, sources, people, session_factory):
    """The page records over the months the reports start in (None without a dated report)."""
    starts = [start for r in stats.rows if r["error"] is None and (start := report_start(r))]
    if not starts:
        return None
    first, last = min(starts).date().replace(day=1), next_month(max(starts).date())
    window = Window(dt.datetime.combine(first, dt.time(), UTC), dt.datetime.combine(last, dt.time(), UTC))
    return pages_in_period(tuple(sources), people, window, session_factory=session_factory)


def publish_stats(items, api_url: str, title: str, *, graph: str | None = None, replace_graph: bool = False,
                  prefer: str | None = None, wiki=None, **page_options) -> StatsPublished:
    """Create or update the statistics page ``title`` on the wiki at ``api_url``
    with the chart uploaded and embedded (see the module's docstring); the page
    itself is never counted as a report. ``page_options`` go to :func:`statistics_page`."""
    name = graph_file_name(graph) if graph else default_chart_name(title)
    wiki = wiki or logged_in(api_url)
    items = [i for i in items if not (isinstance(i, tuple) and same_page_title(i[0], title))]
    page = statistics_page(items, graph_file=name, **page_options)
    current = wiki.page(title)
    target = current.title if current else title
    text = canonical(wiki.pre_save_transform(canonical(page.text), target))
    pictures = [check_picture(wiki, stats_chart_picture(page.svg, name, target), target, replace=replace_graph)
                ] if page.svg else []
    if current is None:
        return _create(wiki, title, text, pictures, replace_graph)
    result = merge_and_save(wiki, current, find_base(wiki, current.title), text, what="statistics",
                            prefer=prefer, pictures=pictures, replace=replace_graph)
    return StatsPublished(current.title, False, result.new_revid, name if page.svg else None, result)


def _create(wiki, title: str, text: str, pictures: list[Picture], replace: bool) -> StatsPublished:
    upload_changed(wiki, pictures, replace)
    saved = wiki.edit(title, text, edit_summary("publish", text, "statistics"), create_only=True)
    return StatsPublished(saved.get("title", title), True, int(saved["newrevid"]),
                          pictures[0].name if pictures else None)
