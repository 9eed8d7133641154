"""The pictures on the wiki — the timeline graph and the ``[[graph]]`` charts:
their file names, whose file is already there, the upload, and the embeds an
update keeps.

* The name. ``--graph NAME`` must be a usable wiki file name
  (:func:`postmortem.write.wikitext.wiki_file_name`) ending in ``.svg``:
  :func:`graph_file_name`. Without a name it is ``Incident <id> timeline.svg``
  (:func:`default_graph_name`), one per incident, so that two incidents never
  share a file.
* Whose file. Before uploading, the current version of ``File:NAME`` is looked
  up (``prop=imageinfo&iiprop=user|comment|timestamp``,
  https://www.mediawiki.org/wiki/API:Imageinfo). The tool's upload comment
  names the page, ``postmortem <version>: timeline of [[<title>]]``
  (:func:`upload_comment`). A file there that this tool did not upload for
  the same page is refused (WikiError ``fileexists``, nothing uploaded) unless
  ``replace``; a new version of our own file for the same page is fine.
* The embed. ``update`` without a graph keeps the one the tool embedded earlier
  (:func:`embedded_graph` finds ``[[File:NAME|thumb|…Timeline of the incident…]]``),
  so the merge does not drop it.
* The charts (:func:`chart_pictures`). Each ``[[graph]]`` that has a picture is
  ``File:Incident <id> <slug>.svg`` (no other name: one per incident and
  graph), uploaded with the comment ``postmortem <version>: graph <slug> of
  [[<title>]]`` under the same rules: checked before anything is uploaded or
  saved, refused over a file that is not the tool's for the same page unless
  ``replace``. A picture is uploaded only when it changed (its SHA-1 differs
  from the wiki's); the very same picture already there is embedded as it is,
  whoever uploaded it for whichever page.
* The statistics page's chart (:func:`stats_chart_picture`, incidents per
  month): the name ``--graph`` gives, the comment ``postmortem <version>:
  incidents per month of [[<title>]]``, the same rules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace as copy

from .._version import __version__
from ..core.lazy_regex import LazyRegex
from ..net.mediawiki import FileInfo, Wiki, same_page_title
from ..core.errors import InputError, WikiError
from ..core.model import GraphData, Records
from ..write.metric_chart import drawable, render_chart
from ..write.timeline_picture import render_graph
from ..write.wikitext import escape, incident_file_name, wiki_file_name

# What the tool's own upload comments look like (any version), and the page they name.
_OWN_COMMENT = LazyRegex(r"^postmortem \S+: (?:timeline|graph [\w-]+|incidents per month) of "
                         r"\[\[(?P<title>[^\[\]|]+)\]\]")
# The embed the report templates write (templates/wikitech.wiki.j2).
_EMBED = LazyRegex(r"\[\[File:(?P<name>[^|\[\]\n]+)\|thumb\|[^\[\]\n]*Timeline of the incident")
# The wiki's warnings that are no reason to refuse a new file: the same picture
# is already there under another name (another page of the same incident).
_HARMLESS = frozenset({"duplicate", "duplicate-archive"})


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
    """``Incident <id> timeline.svg``, one per incident
    (:func:`postmortem.write.wikitext.incident_file_name`)."""
    return graph_file_name(incident_file_name(incident_id, "timeline"))


def upload_comment(title: str, what: str = "timeline") -> str:
    """The upload comment that marks a file as this tool's ``what`` of page
    ``title``: "timeline", "graph <slug>", "incidents per month"."""
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


@dataclass(frozen=True)
class Picture:
    """One SVG file to upload: its name, content, upload comment, file page
    text, what to say when a file of that name is not ours, and (once
    :func:`check_picture` asked) what the wiki has there now."""

    name: str
    svg: bytes
    comment: str
    description: str
    instead: str = "choose another --graph name"
    info: FileInfo | None = None

    @property
    def changed(self) -> bool:
        """The wiki has no file of this name, or one with other content."""
        return self.info is None or not self.info.exists or self.info.sha1 != hashlib.sha1(self.svg).hexdigest()


def timeline_picture(records: Records, name: str, title: str) -> Picture:
    """The timeline graph of ``records`` as ``File:<name>`` for page ``title``."""
    return Picture(name, render_graph(records).encode("utf-8"), upload_comment(title),
                   f"Timeline of [[{title}]], made by postmortem {__version__} from its records.")


def stats_chart_picture(svg: str, name: str, title: str) -> Picture:
    """The statistics page's chart (incidents per month) as ``File:<name>`` for page ``title``."""
    return Picture(name, svg.encode("utf-8"), upload_comment(title, "incidents per month"),
                   f"Incidents per month on [[{title}]], made by postmortem {__version__} from the reports.")


def chart_name(incident_id: str, slug: str) -> str:
    """``Incident <id> <slug>.svg``: a ``[[graph]]`` picture's wiki file name."""
    return graph_file_name(incident_file_name(incident_id, slug))


def chart_pictures(records: Records, title: str) -> list[Picture]:
    """A picture for each ``[[graph]]`` that has something to draw."""
    return [_chart_picture(records, graph, title) for graph in records.graphs if drawable(graph)]


def _chart_picture(records: Records, graph: GraphData, title: str) -> Picture:
    config = graph.config
    asked = f"the Prometheus query <code>{escape(config.query)}</code>" if config.query else "a recorded series"
    return Picture(chart_name(records.incident.id, config.slug), render_chart(records, graph).encode("utf-8"),
                   upload_comment(title, f"graph {config.slug}"),
                   f"Graph \"{escape(config.title)}\" of [[{title}]]: {asked}, from "
                   f"{graph.window.start:%Y-%m-%d %H:%M} to {graph.window.end:%Y-%m-%d %H:%M} UTC. "
                   f"Made by postmortem {__version__}.",
                   instead="change the graph's title")


def check_picture(wiki: Wiki, picture: Picture, title: str, *, replace: bool = False) -> Picture:
    """``picture`` with what is at ``File:<name>`` now; WikiError ``fileexists``
    (nothing changed) when a file is there that this tool did not upload for
    ``title``, unless ``replace`` — or unless it is this very picture (the same
    incident on a second page): then nothing needs uploading."""
    info = wiki.file_info(picture.name)
    checked = copy(picture, info=info)
    if info.exists and not replace and checked.changed and not _ours(info, title):
        found = _OWN_COMMENT.match(info.comment)
        why = (f"postmortem uploaded it for [[{found.group('title')}]], not [[{title}]]" if found
               else f"not by postmortem (comment {info.comment[:80]!r})")
        raise WikiError(f"{info.title} already exists, uploaded by {info.user or 'someone'} at "
                        f"{info.timestamp or 'an unknown time'}, {why}; nothing was changed "
                        f"({picture.instead}, or --replace-graph to upload over it)",
                        code="fileexists", url=wiki.api_url)
    return checked


def upload_picture(wiki: Wiki, picture: Picture, *, replace: bool = False) -> dict:
    """Upload a checked ``picture``: a new version of our own file, or a new file
    if none is there (a file that appeared meanwhile, a deleted one: refused
    unless ``replace``, but for the wiki's warning that the same picture is
    there under another name)."""
    def send(ignore_warnings: bool) -> dict:
        return wiki.upload_file(picture.name, picture.svg, replace=ignore_warnings, comment=picture.comment,
                                text=picture.description)
    if picture.info.exists or replace:
        return send(True)
    try:
        return send(False)
    except WikiError as err:
        warnings = set(getattr(err, "warnings", ()))
        if err.code != "uploadwarning" or not warnings:
            raise
        if warnings <= _HARMLESS:
            return send(True)
        refused = WikiError(f"the wiki warns about File:{picture.name} ({', '.join(sorted(warnings))}); "
                            f"nothing was changed ({picture.instead}, or --replace-graph to upload anyway)",
                            code="uploadwarning", url=wiki.api_url)
        refused.warnings = err.warnings
        raise refused from None


def _ours(info: FileInfo, title: str) -> bool:
    found = _OWN_COMMENT.match(info.comment)
    return bool(found) and same_page_title(found.group("title"), title)
