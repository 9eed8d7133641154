"""Publish a report as a wiki page, and later update it without losing hand edits.

``publish`` creates the page from the render (never over an existing page).
``update`` re-renders and three-way merges (:mod:`.merge`):

* base   — the text the tool generated when it last saved the page
  (found again from the page history, :mod:`.markers`),
* ours   — the page as it is now,
* theirs — the new render.

Before saving, the generated text goes through the wiki's pre-save transform
(``action=parse&onlypst=1``), so what is stored is exactly what was generated.
Both take the gathered records (:func:`postmortem.timeline.gather.gather`).

The timeline graph (:mod:`.graph`): with ``graph`` (a file name ending in
``.svg``; :func:`.graph.default_graph_name` gives the incident's own) the SVG is
uploaded as ``File:<graph>`` and embedded, refused when a file of that name is
there that the tool did not upload for the same page (unless
``replace_graph``). ``update`` without ``graph`` keeps the graph it embedded
earlier, without uploading it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..core.errors import WikiError
from ..collect.mediawiki import Wiki
from ..core.model import Records
from ..write.render import render_report
from .graph import check_graph, embedded_graph, graph_file_name, upload_graph
from .markers import edit_summary, find_base, strip_marker, with_marker
from .merge import MergeConflict, canonical, merge_report, unified_diff


@dataclass
class PublishResult:
    """A page created by :func:`publish`."""

    title: str
    revid: int
    summary: str
    graph: str | None = None         # the file uploaded and embedded


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
    wiki = wiki or logged_in(api_url)
    title = title or records.incident.page_title
    if wiki.page(title) is not None:
        raise WikiError(f"page {title!r} already exists; nothing was changed "
                        f"(use `postmortem update`)", code="articleexists", url=api_url)
    text = _generate(wiki, records, title, template, graph)
    if graph:
        upload_graph(wiki, records, graph, title, replace=replace_graph)
    summary = edit_summary("publish", text)
    result = wiki.edit(title, text, summary, create_only=True)
    return PublishResult(title=result.get("title", title), revid=int(result["newrevid"]),
                         summary=summary, graph=graph)


# -- update -------------------------------------------------------------------------

def update(records: Records, api_url: str, title: str | None = None, *, dry_run: bool = False,
           prefer: str | None = None, wiki=None, template=None, graph: str | None = None,
           replace_graph: bool = False, before_save: Callable | None = None) -> UpdateResult:
    """Bring the generated changes since the last publish/update into the page.

    Stops with :class:`~postmortem.wiki.merge.MergeConflict` (naming the section,
    changing nothing) where a hand edit and a generated change touch the same
    lines, unless ``prefer`` is "ours" or "theirs". With ``dry_run`` nothing is
    saved; the result's ``diff`` is what would change. The save names the
    revision it was made from, so an edit made meanwhile is an edit conflict.
    ``graph`` as for :func:`publish` (checked before the merge, also in a dry
    run); without it the graph embedded earlier stays. ``before_save(revision)``
    is called just before saving (a hook for tests).
    """
    graph = graph_file_name(graph) if graph is not None else None
    wiki = wiki or logged_in(api_url)
    title = title or records.incident.page_title
    current = wiki.page(title)
    if current is None:
        raise WikiError(f"page {title!r} does not exist (use `postmortem publish` first)",
                        code="missingtitle", url=api_url)
    found = find_base(wiki, current.title, accounts=records.incident.wiki_accounts)
    ours = strip_marker(current.text or "")
    kept = graph is None and (embedded_graph(found.text) or embedded_graph(ours))
    checked = check_graph(wiki, graph, current.title, replace=replace_graph) if graph else None
    theirs = _generate(wiki, records, current.title, template, graph or kept or None)

    def upload():
        upload_graph(wiki, records, graph, current.title, replace=replace_graph, checked=checked)
    result = merge_and_save(wiki, current, found, theirs, prefer=prefer, dry_run=dry_run,
                            before_edit=upload if graph else None, before_save=before_save)
    result.graph, result.graph_kept = graph or kept or None, bool(kept)
    return result


def merge_and_save(wiki, current, found, theirs: str, *, what: str = "report", prefer: str | None = None,
                   dry_run: bool = False, before_edit: Callable | None = None,
                   before_save: Callable | None = None) -> UpdateResult:
    """The conflict-safe edit of `update`, for any page the tool generates:
    three-way merge the page as it is (``current``) with ``theirs`` on the base
    ``found`` (:func:`.markers.find_base`), then — unless ``dry_run`` or nothing
    would change — ``before_edit()`` (an upload), ``before_save(current)`` (a
    test hook) and the save, naming the revision read so that an edit made
    meanwhile is an edit conflict. MergeConflict where both touched the same
    lines, unless ``prefer``."""
    ours = strip_marker(current.text or "")
    try:
        merged = merge_report(found.text, ours, theirs, prefer=prefer)
    except MergeConflict as conflict:
        conflict.url = wiki.api_url
        raise
    new_text = with_marker(merged.text, theirs)
    result = UpdateResult(title=current.title, diff=unified_diff(ours, merged.text, title=current.title),
                          changed=merged.text != ours, dry_run=dry_run, old_revid=current.revid,
                          base_revid=found.revid, resolved=[c.section for c in merged.conflicts],
                          passed_over=list(found.passed_over))
    result.saves = new_text != canonical(current.text or "")
    if dry_run or not result.saves:
        return result
    if before_edit is not None:
        before_edit()
    if before_save is not None:
        before_save(current)
    saved = wiki.edit(current.title, new_text, edit_summary("update", theirs, what), no_create=True, base=current)
    result.new_revid = saved.get("newrevid")
    result.merged_concurrent_edit = int(saved.get("oldrevid", current.revid)) != current.revid
    return result


# -- helpers --------------------------------------------------------------------------

def logged_in(api_url: str) -> Wiki:
    wiki = Wiki(api_url)
    wiki.login()
    return wiki


def _generate(wiki: Wiki, records: Records, title: str, template, graph: str | None = None) -> str:
    """The new render, as the wiki will store it."""
    text = render_report(records, template=template, graph=graph)
    return canonical(wiki.pre_save_transform(canonical(text), title))
