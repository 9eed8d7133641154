"""Render reports with jinja2: autoescape off (the output is wikitext, not
HTML), StrictUndefined (a typo in a template is an error, not a blank), and
an explicit ``wiki`` filter for every piece of untrusted text.

Templates: ``templates/<name>.wiki.j2`` (bundled) or any path; macros in
``templates/components/``. Templates know nothing about sources or HTTP: they
receive the incident and a prepared view of its timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .._version import __version__
from ..core.errors import InputError
from ..core.model import Event, Incident
from ..core.questions import CATEGORIES, TITLE, TOTAL_LABEL
from ..scorecard.answers import computed_scorecard
from ..timeline.merge import collect_events
from ..core.timeutil import format_clock
from .wikitext import escape, external_link, link_tasks, phab_link, template_arg

DEFAULT_TEMPLATE = "wikitech"
SOURCE_LABELS = {
    "sal": "SAL", "sal-wikitext": "SAL", "irc": "IRC", "slack-export": "Slack", "slack": "Slack",
    "alert-email": "alert", "alertmanager": "alert", "prometheus": "alert",
    "statuspage": "status page",
}
MARKS = {"outage-begins": "OUTAGE BEGINS", "outage-ends": "OUTAGE ENDS"}


def templates_dir() -> Path:
    """Bundled templates: templates/ beside this package in a checkout (even when
    another checkout is installed in editable mode), else inside the installed package."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if (checkout / "__init__.py").exists() and (checkout / f"{DEFAULT_TEMPLATE}.wiki.j2").exists():
        return checkout
    try:
        from importlib.resources import files
        bundled = Path(str(files("postmortem.templates")))
        if (bundled / f"{DEFAULT_TEMPLATE}.wiki.j2").exists():
            return bundled
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (compiling them costs about as much
    as the rest of a render). Jinja keys entries by template path and checksum
    of the source, in a per-user folder it checks; none when that is unsafe."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except RuntimeError:
        return None


def _environment(extra_dir: Path | None = None) -> jinja2.Environment:
    search = [str(extra_dir)] if extra_dir else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search + [str(templates_dir())]),
        autoescape=False, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache())
    env.filters.update(wiki=escape, tasks=link_tasks, arg=template_arg, phab=phab_link)
    from .markdown import FILTERS as MARKDOWN_FILTERS  # for *.md.j2 templates
    env.filters.update(MARKDOWN_FILTERS)
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


# -- the view templates receive ---------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    """One timeline line, its parts ready for the template."""

    event: Event
    clock: str       # "2023-09-28 14:33" or "14:33:05"
    label: str       # wikitext: "(SAL)" linked, "(Slack #chan)"; "" for manual events
    actor: str       # escaped, "" when unknown
    text: str        # escaped, tasks linked
    marks: tuple     # "OUTAGE BEGINS", …


def spans_days(incident: Incident, events: list[Event]) -> bool:
    """True when the timeline needs full dates on every line."""
    times = [e.time for e in events] + [incident.start] + ([incident.end] if incident.end else [])
    return min(times).date() != max(times).date()


def timeline_entries(incident: Incident, events: list[Event]) -> list[TimelineEntry]:
    with_date = spans_days(incident, events)
    return [TimelineEntry(event=e, clock=format_clock(e.time, e.precision, with_date=with_date),
                          label=_label(e), actor=escape(e.actor) if e.actor else "",
                          text=link_tasks(escape(e.text)),
                          marks=tuple(MARKS[t] for t in e.tags if t in MARKS))
            for e in events]


def source_name(event: Event) -> str | None:
    """``Slack #chan``, ``IRC #chan``, ``SAL``, ``alert``; None for manual events."""
    name = SOURCE_LABELS.get(event.source)
    channel = event.fields.get("channel")
    if name and channel and event.source not in ("sal", "sal-wikitext"):
        name = f"{name} #{channel.lstrip('#')}"
    return name


def _label(event: Event) -> str:
    name = source_name(event)
    if name is None:
        return ""
    if event.url:
        return f"({external_link(event.url, name)})"
    return f"({escape(name)})"


def _time_arg(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _alerts(events: list[Event]) -> list[Event]:
    """Alert events that fired (not their resolutions), for the Detection section."""
    return [e for e in events if "alert" in e.tags and e.fields.get("state", "firing") != "resolved"]


def report_context(incident: Incident, events: list[Event]) -> dict:
    """Everything a report template may use."""
    with_date = spans_days(incident, events)
    scorecard = computed_scorecard(incident, events)
    return {
        "incident": incident,
        "version": __version__,
        "start": _time_arg(incident.start),
        "end": _time_arg(incident.end),
        "responders_num": str(len(incident.responders)) if incident.responders else "",
        "entries": timeline_entries(incident, events),
        "alerts": [(format_clock(e.time, e.precision, with_date=with_date), e) for e in _alerts(events)],
        "scorecard": scorecard,
        "metrics": scorecard.metrics,   # postmortem.timeline.metrics.Metric: outage, detect, respond, mitigate, resolve
        "categories": CATEGORIES,
        "scorecard_title": TITLE,
        "total_label": TOTAL_LABEL,
        "graph_file": None,   # a file name to embed in the Timeline section (render_report(graph=…))
    }


def render_report(incident: Incident, *, template: str | None = None, fmt: str = "wikitext",
                  events: list[Event] | None = None, graph: str | None = None) -> str:
    """The report for ``incident`` as wikitext (the Wikitech layout by default)
    or Markdown (``fmt="markdown"``). ``graph``: a file name (see
    :func:`postmortem.write.graph.wiki_file_name`) the Timeline section embeds, e.g.
    ``[[File:NAME|thumb|…]]``; None embeds nothing."""
    if events is None:
        events = collect_events(incident)
    loaded = _load_template(template, fmt)
    context = report_context(incident, events)
    if graph is not None:
        from .graph import wiki_file_name
        try:
            context["graph_file"] = wiki_file_name(graph)
        except ValueError as err:
            raise InputError(str(err)) from None
    try:
        return loaded.render(**context)
    except jinja2.UndefinedError as err:  # a custom template naming something that is not there
        raise InputError(f"template error: {err.message}", file=loaded.filename) from None


def render_timeline_wikitext(incident: Incident, events: list[Event]) -> str:
    """Only the timeline bullets, for pasting into an existing page."""
    macros = _environment().get_template("components/timeline.wiki.j2").module
    return macros.timeline(timeline_entries(incident, events))
