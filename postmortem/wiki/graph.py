"""The timeline graph on the wiki: its file name, whose file is already there,
the upload, and the embed an update keeps.

* The name. ``--graph NAME`` must be a usable wiki file name
  (:func:`postmortem.write.wikitext.wiki_file_name`) ending in ``.svg``:
  :func:`graph_file_name`. Without a name it is ``Incident <id> timeline.svg``
  (:func:`default_graph_name`), one per incident, so that two incidents never
  share a file.
* Whose file. Before uploading, the current version of ``File:NAME`` is looked
  up (``prop=imageinfo&iiprop=user|comment|timestamp``,
  https://www.mediawiki.org/wiki/API:Imageinfo). The tool's upload comment
  names the page, ``postmortem <version>: timeline of [[<title>]]``
  (:func:`upload_comment`; ``incidents per month of`` for the statistics chart). A file there that this tool did not upload for
  the same page is refused (WikiError ``fileexists``, nothing uploaded) unless
  ``replace``; a new version of our own file for the same page is fine.
* The embed. ``update`` without a graph keeps the one the tool embedded earlier
  (:func:`embedded_graph` finds ``[[File:NAME|thumb|…Timeline of the incident…]]``),
  so the merge does not drop it.
"""

from __future__ import annotations

import hashlib
import re

from .._version import __version__
from ..collect.mediawiki import FileInfo, Wiki
from ..core.errors import InputError, WikiError
from ..core.model import Records
from ..write.graph import render_graph
from ..write.wikitext import wiki_file_name

# What the tool's own upload comment looks like (any version), and the page it names.
_OWN_COMMENT = re.compile(r"^postmortem \S+: (?:timeline|incidents per month) of \[\[(?P<title>[^\[\]|]+)\]\]")
# The embed the report templates write (templates/wikitech.wiki.j2).
_EMBED = re.compile(r"\[\[File:(?P<name>[^|\[\]\n]+)\|thumb\|[^\[\]\n]*Timeline of the incident")
# The wiki's warnings that are no reason to refuse a new file: the same picture
# is already there under another name (another page of the same incident).
_HARMLESS = frozenset({"duplicate", "duplicate-archive"})
_MAX_NAME_BYTES = 200   # MediaWiki allows 240 bytes; room for the wiki's own additions


def graph_file_name(name: str) -> str:
    """A ``--graph`` name as given: a usable wiki file name ending in ``.svg``;
    InputError (key ``--graph``) otherwise, before any request."""
    try:
        name = wiki_file_name(name)
    except ValueError as err:
        raise InputError(str(err), key="--graph") from None
    if not name.lower().endswith(".svg"):
        raise InputError(f"the timeline graph is an SVG picture, so its file name must end in "
                         f".svg: {name!r}", key="--graph")
    return name


def default_graph_name(incident_id: str) -> str:
    """``Incident <id> timeline.svg``, with every character a wiki file name may
    not hold (here) turned into ``-`` and ``_`` into a space; a long id is cut and given a short hash
    of the whole id, so that the name stays unique to the incident."""
    stem = re.sub(r"[^\w .,()+-]+", "-", incident_id).replace("_", " ")  # the wiki's _ is a space
    stem = " ".join(stem.split()).strip(" -") or "-"
    if len(stem.encode("utf-8")) > _MAX_NAME_BYTES:
        digest = hashlib.sha1(incident_id.encode("utf-8")).hexdigest()[:8]
        stem = stem.encode("utf-8")[:_MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip() + " " + digest
    return graph_file_name(f"Incident {stem} timeline.svg")


def upload_comment(title: str, what: str = "timeline") -> str:
    """The upload comment that marks a file as this tool's graph of ``title``
    (``what``: "timeline", or "incidents per month" for the statistics chart)."""
    return f"postmortem {__version__}: {what} of [[{title}]]"


def embedded_graph(text: str | None) -> str | None:
    """The file the tool embedded as the timeline graph in ``text``, or None."""
    found = _EMBED.search(text or "")
    if not found:
        return None
    try:
        return wiki_file_name(found.group("name").replace("_", " "))
    except ValueError:
        return None


def check_graph(wiki: Wiki, name: str, title: str, *, replace: bool = False) -> FileInfo:
    """What is at ``File:<name>`` now; WikiError ``fileexists`` (nothing changed)
    when a file is there that this tool did not upload for ``title``, unless
    ``replace``."""
    info = wiki.file_info(name)
    if info.exists and not replace and not _ours(info, title):
        found = _OWN_COMMENT.match(info.comment)
        why = (f"postmortem uploaded it for [[{found.group('title')}]], not [[{title}]]" if found
               else f"not by postmortem (comment {info.comment[:80]!r})")
        raise WikiError(f"{info.title} already exists, uploaded by {info.user or 'someone'} at "
                        f"{info.timestamp or 'an unknown time'}, {why}; nothing was changed "
                        f"(choose another --graph name, or --replace-graph to upload over it)",
                        code="fileexists", url=wiki.api_url)
    return info


def upload_graph(wiki: Wiki, records: Records, name: str, title: str, *,
                 replace: bool = False, checked: FileInfo | None = None) -> dict:
    """Upload the timeline SVG as ``File:<name>`` for page ``title``: a new
    version of our own file if it changed, a new file if none is there; see
    :func:`check_graph` for a file that is not ours (``checked``: its answer,
    if already asked)."""
    return upload_svg(wiki, render_graph(records), name, title, replace=replace, checked=checked)


def upload_svg(wiki: Wiki, svg: str, name: str, title: str, *, what: str = "timeline", replace: bool = False,
               checked: FileInfo | None = None) -> dict:
    """Upload ``svg`` as ``File:<name>``, the ``what`` of page ``title``, by the
    rules of :func:`upload_graph`."""
    info = checked or check_graph(wiki, name, title, replace=replace)
    svg = svg.encode("utf-8")

    def send(ignore_warnings: bool) -> dict:
        return wiki.upload_file(name, svg, replace=ignore_warnings, comment=upload_comment(title, what),
                                text=f"{what[:1].upper()}{what[1:]} of [[{title}]], made by postmortem "
                                     f"{__version__} from its records.")
    if info.exists or replace:
        return send(True)
    try:
        return send(False)   # a file that appeared meanwhile, a deleted one: the wiki warns
    except WikiError as err:
        warnings = set(getattr(err, "warnings", ()))
        if err.code != "uploadwarning" or not warnings:
            raise
        if warnings <= _HARMLESS:
            return send(True)
        refused = WikiError(f"the wiki warns about File:{name} ({', '.join(sorted(warnings))}); "
                            f"nothing was changed (choose another --graph name, or --replace-graph "
                            f"to upload anyway)", code="uploadwarning", url=wiki.api_url)
        refused.warnings = err.warnings
        raise refused from None


def _ours(info: FileInfo, title: str) -> bool:
    found = _OWN_COMMENT.match(info.comment)
    return bool(found) and _same_title(found.group("title"), title)


def _same_title(a: str, b: str) -> bool:
    """Page titles equal as MediaWiki would normalise them (underscores,
    runs of spaces, the first letter's case)."""
    def norm(t: str) -> str:
        t = " ".join(t.replace("_", " ").split())
        return t[:1].upper() + t[1:]
    return norm(a) == norm(b)
