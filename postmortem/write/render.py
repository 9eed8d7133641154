"""Render reports with jinja2: autoescape off (the output is wikitext or
Markdown, not HTML), StrictUndefined (a typo in a template is an error, not a
blank), and a view of the incident whose fields are already escaped for the
format (:mod:`.view`), so that no template prints raw chat text.

Templates: ``templates/<name>.wiki.j2`` / ``<name>.md.j2`` (bundled) or any
path; macros in ``templates/components/``. Templates know nothing about
sources or HTTP. The filters ``wiki``, ``md`` and ``md_cell`` escape text a
template writes itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import jinja2

from ..core.errors import InputError
from ..core.files import DEFAULT_TEMPLATE, compiled_templates, templates_dir
from ..core.model import Event, Incident, Records
from .markdown import escape_markdown, markdown_cell
from .view import report_view, timeline_view
from .wikitext import escape, wiki_file_name


def _environment(extra_dir: Path | None = None) -> jinja2.Environment:
    search = [str(extra_dir)] if extra_dir else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search + [str(templates_dir())]),
        autoescape=False, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=compiled_templates())
    env.filters.update(wiki=escape, md=escape_markdown, md_cell=markdown_cell)
    return env


def _load_template(name: str | None, fmt: str) -> jinja2.Template:
    name = name or DEFAULT_TEMPLATE
    suffix = {"wikitext": ".wiki.j2", "markdown": ".md.j2"}[fmt]
    path = Path(name)
    try:
        if path.suffix == ".j2" or path.exists():
            if not path.is_file():
                raise InputError("no such template file", file=path)
            return _environment(path.resolve().parent).get_template(path.name)
        return _environment().get_template(name + suffix)
    except jinja2.TemplateNotFound:
        known = sorted(p.name[:-len(suffix)] for p in templates_dir().glob("*" + suffix))
        raise InputError(f"unknown template {name!r} (bundled: {', '.join(known)})") from None
    except jinja2.TemplateSyntaxError as err:
        raise InputError(f"template syntax error: {err.message}", file=err.filename or name,
                         line=err.lineno) from None


def render_report(records: Records, *, template: str | None = None, fmt: str = "wikitext",
                  graph: str | None = None, graph_files: Mapping[str, str] | None = None) -> str:
    """The report of the gathered ``records`` as wikitext (the Wikitech layout by
    default) or Markdown (``fmt="markdown"``). ``graph``: a file name (see
    :func:`postmortem.write.wikitext.wiki_file_name`) the Timeline section embeds,
    e.g. ``[[File:NAME|thumb|…]]``; None embeds nothing. ``graph_files``: the
    file names of the ``[[graph]]`` pictures to embed, by slug (default: each
    graph that has a picture under its wiki name, ``Incident <id> <slug>.svg``);
    the others get a line saying why they are not drawn. Pure: no I/O but
    reading the template."""
    loaded = _load_template(template, fmt)
    files = None if graph_files is None else {slug: _graph_file(name) for slug, name in graph_files.items()}
    context = report_view(records, fmt, _graph_file(graph), files)
    try:
        return loaded.render(**context)
    except jinja2.UndefinedError as err:  # a custom template naming something that is not there
        raise InputError(f"template error: {err.message}", file=loaded.filename) from None


def _graph_file(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return wiki_file_name(name)
    except ValueError as err:
        raise InputError(str(err)) from None


def render_timeline_wikitext(incident: Incident, events: list[Event]) -> str:
    """Only the timeline bullets, for pasting into an existing page."""
    macros = _environment().get_template("components/timeline.wiki.j2").module
    return macros.timeline(timeline_view(incident, events))
