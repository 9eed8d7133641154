"""Publish a report as a wiki page, and later update it without losing hand edits.

``publish`` creates the page from the render (never over an existing page).
``update`` re-renders and three-way merges (:mod:`.text_merge`):

* base   — the text the tool generated when it last saved the page
  (found again from the page history, :mod:`.markers`),
* ours   — the page as it is now,
* theirs — the new render.

Before saving, the generated text goes through the wiki's pre-save transform
(``action=parse&onlypst=1``), so what is stored is exactly what was generated.
Both take the gathered records (:func:`postmortem.timeline.gather.gather`),
and both refuse before any request, writing nothing, while the records hold a
secret no ``[redact]`` rule resolved (with ``[redact] strict``, any finding):
:class:`~postmortem.core.errors.UnresolvedFindings`.

The timeline graph (:mod:`.pictures`): with ``graph`` (a file name ending in
``.svg``; :func:`.pictures.default_graph_name` gives the incident's own) the SVG is
uploaded as ``File:<graph>`` and embedded, refused when a file of that name is
there that the tool did not upload for the same page (unless
``replace_graph``). ``update`` without ``graph`` keeps the graph it embedded
earlier, without uploading it again.

The ``[[graph]]`` charts (:func:`.pictures.chart_pictures`): each one that has a
picture is uploaded as ``File:Incident <id> <slug>.svg`` and embedded, under
the same rules — every file is checked before anything is uploaded or saved,
and only a changed picture is uploaded again. A chart whose series the last
pull could not read keeps the embed the tool made earlier, not uploaded again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..core.errors import InputError, UnresolvedFindings, WikiError
from ..net.mediawiki import Wiki
from ..core.model import Records
from ..timeline.redact_events import blocking
from ..write.render import render_report
from ..write.view import chart_files
from .pictures import (Picture, chart_name, chart_pictures, check_picture, embedded_graph, graph_file_name,
                    timeline_picture, upload_picture)
from .markers import edit_summary, find_base, strip_marker, with_marker
from .text_merge import MergeConflict, canonical, merge_report, unified_diff


@dataclass
class PublishResult:
    """A page created by :func:`publish`."""

    title: str
    revid: int
    summary: str
    graph: str | None = None         # the file uploaded and embedded
    charts: list[str] = field(default_factory=list)    # the [[graph]] files embedded
    uploaded: list[str] = field(default_factory=list)  # the files uploaded (the same picture already there: not)


@dataclass
class UpdateResult:
    """What :func:`update` did (or, with ``dry_run``, would do)."""

    title: str
    diff: str                        # unified diff of the visible page text
    changed: bool                    # the visible page text would change
    dry_run: bool
    old_revid: int
    new_revid: int | None = None     # None when nothing was saved
    base_revid: int | None = None    # the tool's revision the merge started from
    resolved: list[str] = field(default_factory=list)   # sections where prefer decided
    merged_concurrent_edit: bool = False  # MediaWiki merged an edit made meanwhile
    saves: bool = False              # an edit is (or would be) saved; False: page already current
    graph: str | None = None         # the file embedded (uploaded unless graph_kept)
    graph_kept: bool = False         # no graph given: the one embedded earlier, not uploaded again
    passed_over: list[str] = field(default_factory=list)  # revisions not taken as the base, and why
    uploaded: list[str] = field(default_factory=list)     # files uploaded (a dry run: that would be)
    charts_kept: list[str] = field(default_factory=list)  # [[graph]] files embedded earlier, kept as they are


# -- publish ------------------------------------------------------------------------

def publish(records: Records, api_url: str, title: str | None = None, *, wiki=None,
            template=None, graph: str | None = None, replace_graph: bool = False) -> PublishResult:
    """Create the report page (default ``Incidents/<id>``).

    Refuses, changing nothing, when the page exists (WikiError ``articleexists``;
    the edit also carries ``createonly``, so a page created meanwhile is safe).
    With ``graph`` (a file name ending in ``.svg``, checked before any request),
    the timeline SVG is uploaded under that name first and the report embeds
    it; a file of that name that the tool did not upload for this page is
    refused (WikiError ``fileexists``, nothing changed) unless ``replace_graph``.
    """
    graph = graph_file_name(graph) if graph is not None else None
    refuse_unresolved(records, "publish")
    wiki = wiki or logged_in(api_url)
    title = title or records.incident.page_title
    if wiki.page(title) is not None:
        raise WikiError(f"page {title!r} already exists; nothing was changed "
                        f"(use `postmortem update`)", code="articleexists", url=api_url)
    pictures = _checked(wiki, records, title, graph, replace_graph)
    text = _generate(wiki, records, title, template, graph)
    upload_changed(wiki, pictures, replace_graph)
    summary = edit_summary("publish", text)
    result = wiki.edit(title, text, summary, create_only=True)
    return PublishResult(title=result.get("title", title), revid=int(result["newrevid"]),
                         summary=summary, graph=graph, charts=[p.name for p in pictures if p.name != graph],
                         uploaded=[p.name for p in pictures if p.changed])


# -- update -------------------------------------------------------------------------

def update(records: Records, api_url: str, title: str | None = None, *, dry_run: bool = False,
           prefer: str | None = None, wiki=None, template=None, graph: str | None = None,
           replace_graph: bool = False, before_save: Callable | None = None) -> UpdateResult:
    """Bring the generated changes since the last publish/update into the page.

    Stops with :class:`~postmortem.publishing.text_merge.MergeConflict` (naming the section,
    changing nothing) where a hand edit and a generated change touch the same
    lines, unless ``prefer`` is "ours" or "theirs". With ``dry_run`` nothing is
    saved; the result's ``diff`` is what would change. The save names the
    revision it was made from, so an edit made meanwhile is an edit conflict.
    ``graph`` as for :func:`publish` (checked before the merge, also in a dry
    run); without it the graph embedded earlier stays. ``before_save(revision)``
    is called just before saving (a hook for tests).
    """
    graph = graph_file_name(graph) if graph is not None else None
    refuse_unresolved(records, "update")
    wiki = wiki or logged_in(api_url)
    title = title or records.incident.page_title
    current = wiki.page(title)
    if current is None:
        raise WikiError(f"page {title!r} does not exist (use `postmortem publish` first)",
                        code="missingtitle", url=api_url)
    found = find_base(wiki, current.title, accounts=records.incident.wiki_accounts)
    ours = strip_marker(current.text or "")
    kept = graph is None and (embedded_graph(found.text) or embedded_graph(ours))
    kept_charts = _kept_charts(records, found.text, ours)
    pictures = _checked(wiki, records, current.title, graph, replace_graph)
    theirs = _generate(wiki, records, current.title, template, graph or kept or None,
                       {**chart_files(records), **kept_charts})
    result = merge_and_save(wiki, current, found, theirs, prefer=prefer, dry_run=dry_run, pictures=pictures,
                            replace=replace_graph, before_save=before_save)
    result.graph, result.graph_kept = graph or kept or None, bool(kept)
    result.charts_kept = list(kept_charts.values())
    return result


def merge_and_save(wiki: Wiki, current, found, theirs: str, *, what: str = "report", prefer: str | None = None,
                   dry_run: bool = False, pictures: list[Picture] = (), replace: bool = False,
                   before_save: Callable | None = None) -> UpdateResult:
    """The conflict-safe edit of `update`, for any page the tool generates
    (the report, the statistics page): three-way merge the page as it is
    (``current``) with ``theirs`` on the base ``found``
    (:func:`.markers.find_base`) — MergeConflict where both touched the same
    lines, unless ``prefer`` — then, unless ``dry_run``, upload the checked
    ``pictures`` that changed (even when the text did not), call
    ``before_save(current)`` (a test hook) and save, naming the revision read
    so that an edit made meanwhile is an edit conflict."""
    ours = strip_marker(current.text or "")
    try:
        merged = merge_report(found.text, ours, theirs, prefer=prefer)
    except MergeConflict as conflict:
        conflict.url, conflict.passed_over = wiki.api_url, list(found.passed_over)
        raise
    new_text = with_marker(merged.text, theirs)
    result = UpdateResult(title=current.title, diff=unified_diff(ours, merged.text, title=current.title),
                          changed=merged.text != ours, dry_run=dry_run, old_revid=current.revid,
                          base_revid=found.revid, resolved=[c.section for c in merged.conflicts],
                          passed_over=list(found.passed_over), uploaded=[p.name for p in pictures if p.changed])
    result.saves = new_text != canonical(current.text or "")
    if not dry_run:
        upload_changed(wiki, pictures, replace)
    if dry_run or not result.saves:
        return result
    if before_save is not None:
        before_save(current)
    saved = wiki.edit(current.title, new_text, edit_summary("update", theirs, what), no_create=True, base=current)
    if "nochange" in saved:  # someone saved this very text since we read the page
        raise WikiError(f"edit conflict: {current.title!r} was saved by someone else while this update ran, "
                        f"and it already holds what this update would save; nothing was saved",
                        code="editconflict", url=wiki.api_url)
    result.new_revid = saved.get("newrevid")
    result.merged_concurrent_edit = int(saved.get("oldrevid", current.revid)) != current.revid
    return result


# -- helpers --------------------------------------------------------------------------

def refuse_unresolved(records: Records, action: str) -> None:
    """UnresolvedFindings (before anything is requested) while a finding blocks
    writing (:func:`postmortem.timeline.redact_events.blocking`); it names each by kind
    and place, never by value."""
    findings = blocking(records)
    if not findings:
        return
    shown = "; ".join(f"{f.where()}: {f.kind}" for f in findings[:5])
    more = f"; and {len(findings) - 5} more" if len(findings) > 5 else ""
    what = "finding" if len(findings) == 1 else "findings"
    raise UnresolvedFindings(f"refusing to {action}: {len(findings)} {what} not resolved ({shown}{more}); "
                             f"nothing was written. Add [redact] replace or drop rules to incident.toml "
                             f"(`postmortem check` lists them all; the values are never shown)",
                             findings=findings, file=records.incident.path)


def logged_in(api_url: str) -> Wiki:
    wiki = Wiki(api_url)
    wiki.login()
    return wiki


def _checked(wiki: Wiki, records: Records, title: str, graph: str | None, replace: bool) -> list[Picture]:
    """The timeline graph (with ``graph``) and the charts to upload, each checked
    against what the wiki has — all before anything is changed."""
    charts = chart_pictures(records, title)
    if graph in {chart.name for chart in charts}:
        raise InputError(f"{graph!r} is the file of a [[graph]] of this incident: give the timeline graph "
                         f"another name", key="--graph")
    pictures = ([timeline_picture(records, graph, title)] if graph else []) + charts
    return [check_picture(wiki, picture, title, replace=replace) for picture in pictures]


def upload_changed(wiki: Wiki, pictures: list[Picture], replace: bool) -> None:
    """Upload the checked pictures the wiki does not have as they are."""
    for picture in (p for p in pictures if p.changed):
        upload_picture(wiki, picture, replace=replace)


def _kept_charts(records: Records, *texts: str | None) -> dict[str, str]:
    """``{slug: file}`` of the charts whose series could not be read this time
    (the last pull failed) but that the tool embedded earlier in ``texts``."""
    kept = {}
    for graph in (g for g in records.graphs if g.missing is not None):
        name = chart_name(records.incident.id, graph.config.slug)
        if any(f"[[File:{form}|" in (text or "") for text in texts for form in (name, name.replace(" ", "_"))):
            kept[graph.config.slug] = name
    return kept


def _generate(wiki: Wiki, records: Records, title: str, template, graph: str | None = None,
              graph_files: dict | None = None) -> str:
    """The new render, as the wiki will store it."""
    text = render_report(records, template=template, graph=graph, graph_files=graph_files)
    return canonical(wiki.pre_save_transform(canonical(text), title))
