"""Publish a report as a wiki page, and later update it without losing hand edits.

``publish`` creates the page from the render (never over an existing page).
``update`` re-renders and three-way merges (postmortem/merge.py):

* base   — the text the tool generated when it last saved the page,
* ours   — the page as it is now,
* theirs — the new render.

Where the base lives
--------------------
Every save by the tool carries the edit summary
``postmortem <version>: publish|update report (generated <digest>)``, where
``<digest>`` is the first 12 hex digits of the SHA-1 of the generated text.
For ``publish`` the saved text *is* the generated text. For ``update`` the saved
text is the merge (generated text plus hand edits); the way back from it to the
generated text is stored in the same revision as one hidden HTML comment at the
end of the page, ``<!-- postmortem-base:1:<base64 zlib JSON line patch> -->``.
The patch holds only the lines where the page differs from the generated text
(the hand edits), so it is empty — and absent — when nobody edited the page.

Why in the revision itself: it is saved atomically with the text it describes
(a separate page or local file could be out of step, or missing on a
teammate's machine); it is found again from the page history alone (the
newest revision with the summary marker whose patched text has the digest the
summary names — hand edits to the comment later cannot mislead it, since only
the tool's own revision is read); and it is invisible in the rendered page.

Before saving, the generated text goes through the wiki's pre-save transform
(``action=parse&onlypst=1``), so what is stored is exactly what was generated.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Callable

from .._version import __version__
from ..core.errors import WikiError
from .merge import MergeConflict, canonical, merge_report, unified_diff

SUMMARY = re.compile(r"^postmortem (?P<version>\S+): (?P<action>publish|update) report "
                     r"\(generated (?P<digest>[0-9a-f]{12})\)")
MARKER = re.compile(r"\n?<!-- postmortem-base:1:(?P<data>[A-Za-z0-9+/=]*) -->[ \t]*(?=\n|$)")
HISTORY_LIMIT = 500


@dataclass
class PublishResult:
    """A page created by :func:`publish`."""

    title: str
    revid: int
    summary: str


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


def digest(text: str) -> str:
    """The 12-hex-digit SHA-1 of generated text, named in edit summaries."""
    return hashlib.sha1(canonical(text).encode("utf-8")).hexdigest()[:12]


def edit_summary(action: str, generated: str) -> str:
    """``postmortem 0.1.0: publish report (generated 1a2b3c4d5e6f)``."""
    return f"postmortem {__version__}: {action} report (generated {digest(generated)})"


# -- the hidden base patch -------------------------------------------------------

def strip_marker(text: str) -> str:
    """The page text without the tool's hidden base comment."""
    return canonical(MARKER.sub("", text))


def with_marker(page_text: str, generated: str) -> str:
    """``page_text`` plus the hidden comment leading back to ``generated``."""
    page_text, generated = canonical(page_text), canonical(generated)
    if page_text == generated:
        return page_text
    old, new = page_text.split("\n"), generated.split("\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    patch = [[i1, i2, new[j1:j2]] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    data = base64.b64encode(zlib.compress(json.dumps(patch).encode("utf-8"), 9)).decode("ascii")
    return f"{page_text}\n<!-- postmortem-base:1:{data} -->"


def generated_text(saved: str) -> str:
    """The generated text a tool revision was made from (inverse of :func:`with_marker`)."""
    found = MARKER.search(saved)
    body = strip_marker(saved)
    if not found:
        return body
    patch = json.loads(zlib.decompress(base64.b64decode(found.group("data"))).decode("utf-8"))
    lines, out, cursor = body.split("\n"), [], 0
    for start, stop, new in patch:
        if not (cursor <= start <= stop <= len(lines)):
            raise ValueError("patch does not fit the text")
        out.extend(lines[cursor:start])
        out.extend(new)
        cursor = stop
    out.extend(lines[cursor:])
    return "\n".join(out)


# -- publish ------------------------------------------------------------------------

def publish(incident, api_url: str, title: str | None = None, *, wiki=None,
            events=None, template=None, graph: str | None = None) -> PublishResult:
    """Create the report page (default ``Incidents/<id>``).

    Refuses, changing nothing, when the page exists (WikiError ``articleexists``;
    the edit also carries ``createonly``, so a page created meanwhile is safe).
    With ``graph`` (a file name), the timeline SVG is uploaded under that name
    first and the report embeds it.
    """
    wiki = wiki or _logged_in(api_url)
    title = title or incident.page_title
    if wiki.page(title) is not None:
        raise WikiError(f"page {title!r} already exists; nothing was changed "
                        f"(use `postmortem update`)", code="articleexists", url=api_url)
    events = _events(incident, events)
    text = _generate(wiki, incident, title, events, template, graph)
    if graph:
        upload_graph(wiki, incident, events, graph, title)
    summary = edit_summary("publish", text)
    result = wiki.edit(title, text, summary, create_only=True)
    return PublishResult(title=result.get("title", title), revid=int(result["newrevid"]),
                         summary=summary)


# -- update -------------------------------------------------------------------------

def update(incident, api_url: str, title: str | None = None, *, dry_run: bool = False,
           prefer: str | None = None, wiki=None, events=None, template=None,
           graph: str | None = None, before_save: Callable | None = None) -> UpdateResult:
    """Bring the generated changes since the last publish/update into the page.

    Stops with :class:`~postmortem.wiki.merge.MergeConflict` (naming the section,
    changing nothing) where a hand edit and a generated change touch the same
    lines, unless ``prefer`` is "ours" or "theirs". With ``dry_run`` nothing is
    saved; the result's ``diff`` is what would change. The save names the
    revision it was made from, so an edit made meanwhile is an edit conflict.
    ``before_save(revision)`` is called just before saving (a hook for tests).
    """
    wiki = wiki or _logged_in(api_url)
    title = title or incident.page_title
    current = wiki.page(title)
    if current is None:
        raise WikiError(f"page {title!r} does not exist (use `postmortem publish` first)",
                        code="missingtitle", url=api_url)
    base, base_rev = find_base(wiki, current.title)
    events = _events(incident, events)
    theirs = _generate(wiki, incident, current.title, events, template, graph)
    ours = strip_marker(current.text or "")
    try:
        merged = merge_report(base, ours, theirs, prefer=prefer)
    except MergeConflict as conflict:
        conflict.url = api_url
        raise
    new_text = with_marker(merged.text, theirs)
    result = UpdateResult(title=current.title, diff=unified_diff(ours, merged.text, title=current.title),
                          changed=merged.text != ours, dry_run=dry_run, old_revid=current.revid,
                          base_revid=base_rev, resolved=[c.section for c in merged.conflicts])
    result.saves = new_text != canonical(current.text or "")
    if dry_run or not result.saves:
        return result
    if graph:
        upload_graph(wiki, incident, events, graph, current.title)
    if before_save is not None:
        before_save(current)
    saved = wiki.edit(current.title, new_text, edit_summary("update", theirs),
                      no_create=True, base=current)
    result.new_revid = saved.get("newrevid")
    result.merged_concurrent_edit = int(saved.get("oldrevid", current.revid)) != current.revid
    return result


def find_base(wiki, title: str) -> tuple[str, int]:
    """The text the tool generated at its last save, and that revision's id.

    Walks the history newest first; the first revision whose summary carries the
    marker and whose reconstructed text has the digest it names is the base.
    """
    for rev in wiki.revisions(title, limit=HISTORY_LIMIT):
        found = SUMMARY.match(rev.comment or "")
        if not found:
            continue
        try:
            text = generated_text(wiki.revision(rev.revid).text or "")
        except (ValueError, zlib.error, json.JSONDecodeError, TypeError):
            continue
        if digest(text) == found.group("digest"):
            return text, rev.revid
    raise WikiError(f"no revision of {title!r} saved by postmortem was found in its last "
                    f"{HISTORY_LIMIT} revisions, so hand edits cannot be told from generated "
                    f"text; nothing was changed", code="nobase", url=wiki.api_url)


# -- helpers --------------------------------------------------------------------------

def _logged_in(api_url: str):
    from ..collect.mediawiki import Wiki
    wiki = Wiki(api_url)
    wiki.login()
    return wiki


def upload_graph(wiki, incident, events, name: str, title: str) -> dict:
    """Upload the timeline SVG as ``File:<name>`` (a new version if it changed)."""
    from ..write.graph import render_graph, wiki_file_name
    svg = render_graph(incident, events).encode("utf-8")
    return wiki.upload_file(wiki_file_name(name), svg, replace=True,
                            comment=f"postmortem {__version__}: timeline of [[{title}]]",
                            text=f"Timeline of [[{title}]], made by postmortem {__version__} from its records.")


def _events(incident, events):
    if events is not None:
        return events
    from ..timeline.merge import collect_events
    return collect_events(incident)


def _generate(wiki, incident, title: str, events, template, graph: str | None = None) -> str:
    """The new render, as the wiki will store it."""
    from ..write.render import render_report
    text = render_report(incident, template=template, events=events, graph=graph)
    return canonical(wiki.pre_save_transform(canonical(text), title))
