"""What report templates receive: a view of the incident whose every field is
already written for the output format.

Text from logs, chat and alerts (timeline entries, alert labels, actionable
and event texts, scorecard notes and evidence) arrives escaped, so that it
shows literally and cannot act as markup (timeline, event and actionable
texts keep their task references and http(s) addresses as links we write,
:mod:`._links`); author-written fields of
incident.toml (summary, impact, metrics, detection, conclusions, links) are
trusted wikitext, kept as such for wikitext and converted for Markdown. A
template — a user's own included — gets only this view, never the raw
records, so it cannot print raw chat text by mistake.

One :class:`Style` per output format says how each kind of field is written;
:func:`report_view` builds the view with it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple

from .._version import __version__
from ..collect.sources import describe
from ..core.model import Event, Incident, Records, pull_of
from ..core.questions import CATEGORIES, TITLE, TOTAL_LABEL
from ..core.tasks import without_task_note
from ..core.timeutil import format_clock
from ..core.vocabulary import (FIRING, TIMELINE_MARKS, alert_name, alert_state, is_about_a_page, is_alert,
                               is_log_entry, page_time)
from ..scorecard.answers import Scorecard, computed_scorecard
from ..scorecard.paging import paged_count
from ..timeline.curate import Omitted, curate
from ..timeline.narrative import Narrative, narrative
from ..timeline.storms import after_the_first, alert_storms
from . import markdown, mrkdwn, wikitext
from .axes import DISPLAY_WIDTH
from .source_names import missing_said, source_label, source_name
from .metric_chart import drawable, not_drawn
from .review_notes import detection_notes, review_questions, timeline_notes

MARKS = TIMELINE_MARKS


@dataclass(frozen=True)
class Style:
    """How one output format writes each kind of field."""

    text: Callable[[str], str]      # untrusted text, one line (or its own line breaks)
    cell: Callable[[str], str]      # untrusted text in a table cell or a label
    linked: Callable[[str], str]    # untrusted text, its task references and http(s) URLs as links
    cell_linked: Callable[[str], str]  # the same, in a table cell (one line)
    task: Callable[[str], str]      # a validated task id as a link
    link: Callable[[str | None, str], str]  # a link to an untrusted URL of a safe shape, or the label
    names: Callable[[str], str]     # author-written names in the metadata
    arg: Callable[[str | None], str]    # an author-written metadata value
    block: Callable[[str | None], str]  # author-written paragraphs
    inline: Callable[[str], str]    # an author-written list item
    constant: Callable[[str], str]  # our own text (question texts)
    slack: Callable[[str], str] = str   # a Slack message: its mrkdwn as the format's markup (:mod:`.mrkdwn`)


def _wikitext_block(text: str | None) -> str:
    return (text or "").strip()


def _markdown_block(text: str | None) -> str:
    return markdown.wikitext_to_markdown(text, newline="\\\n")


def _wikitext_link(url: str | None, label: str) -> str:
    return wikitext.external_link(url, label) if url else wikitext.escape(label)


WIKITEXT = Style(
    text=wikitext.escape, cell=wikitext.escape, linked=wikitext.escape_linked,
    cell_linked=wikitext.escape_linked, task=wikitext.phab_link,
    link=_wikitext_link, names=wikitext.template_arg, arg=wikitext.template_arg,
    block=_wikitext_block, inline=lambda text: text, constant=lambda text: text,
    slack=mrkdwn.converter(wikitext.escape_linked, wikitext.escape, mrkdwn.WIKITEXT_MARKS, "<br />"))
MARKDOWN = Style(
    text=markdown.escape_markdown, cell=markdown.markdown_cell, linked=markdown.escape_linked,
    cell_linked=lambda text: markdown.escape_linked(text, newline=" "),
    task=markdown.task_link, link=markdown.link, names=markdown.markdown_cell,
    arg=markdown.wikitext_to_markdown, block=_markdown_block, inline=markdown.inline_wikitext,
    constant=markdown.markdown_cell,
    slack=mrkdwn.converter(markdown.escape_linked, markdown.code_text, mrkdwn.MARKDOWN_MARKS, "\\\n  "))
STYLES = {"wikitext": WIKITEXT, "markdown": MARKDOWN}


# -- the parts of the view ----------------------------------------------------

class IncidentView(NamedTuple):
    """The incident's own fields, written for the format."""

    id: str
    status: str
    task: str              # the id as written in the metadata ("" when none)
    task_link: str         # the task as a link ("" when none)
    paged: str
    responders_num: str
    coordinators: str
    start: str
    end: str
    metrics: str
    impact: str
    summary: str
    detection: str
    conclusions_text: str
    went_well: tuple[str, ...]
    went_poorly: tuple[str, ...]
    lucky: tuple[str, ...]
    links: tuple[str, ...]


class EntryView(NamedTuple):
    """One timeline line: clock, "(source)" label, actor, text, OUTAGE marks;
    ``note``: a line saying what was left out (only ``text``, the rest empty);
    ``more``: what was left out after it, when said on its line."""

    clock: str
    label: str
    actor: str
    text: str
    marks: tuple[str, ...]
    note: bool = False
    more: str = ""    # the records left out after it, said quietly: "+3 messages"
    notes: tuple[str, ...] = ()   # a marker's notes, a line each under it (:mod:`.review_notes`)


class AlertView(NamedTuple):
    """An alert that fired, for the Detection section."""

    clock: str
    name: str
    severity: str
    team: str
    summary: str


class ActionableView(NamedTuple):
    task: str        # the task as a link, "" when none
    text: str
    no_task: str     # why it has no task, "" when not said
    done: bool
    owner: str
    status: str = ""   # its task's status in Phabricator ("open", "resolved"…), "" when not pulled
    changed: str = ""  # when its task last changed, "2024-03-05 14:00 UTC", "" when not known


class AnswerView(NamedTuple):
    question: str
    hint: str
    answer: str      # "Yes", "No" or ""
    notes: str
    evidence: tuple[str, ...]


class MissingView(NamedTuple):
    """A source whose records could not be read, and why."""

    name: str
    reason: str


class KeptView(NamedTuple):
    """A source whose records are an earlier pull's (the last one failed), and which pull."""

    name: str
    pull: str        # "the pull of 2026-12-04 20:31 UTC"


class GraphView(NamedTuple):
    """A ``[[graph]]`` in the Timeline section: the file of its picture, or one
    line saying why it has none."""

    title: str       # the graph's title, written for the format
    file: str        # the picture's file name to embed; "" when there is none
    link: str        # its Grafana dashboard as a link; "" when none
    note: str        # why it is not drawn, one line; "" when it is


class MetricView(NamedTuple):
    label: str
    text: str


class ScorecardView(NamedTuple):
    """The ScoreCard table: answers grouped by category, in table order."""

    title: str
    total_label: str
    score: int
    groups: tuple[tuple[str, tuple[AnswerView, ...]], ...]


# -- building the view ----------------------------------------------------------

def report_view(records: Records, fmt: str = "wikitext", graph_file: str | None = None,
                graph_files: Mapping[str, str] | None = None) -> dict:
    """The template context: ``incident``, ``lead_up`` and ``entries`` (the
    Timeline before and from the start, curated: :mod:`postmortem.timeline.curate`),
    ``alerts``, ``detection_notes`` and ``questions`` (:mod:`.review_notes`), ``actionables``, ``scorecard``, ``metrics``, ``missing`` (sources
    whose records could not be read), ``kept`` (sources whose records are an
    earlier pull's, the last one having failed), ``graph_file``, ``graph_width`` (the width pictures are embedded at, px), ``graphs`` (one per
    ``[[graph]]``: ``graph_files`` maps slugs to the file names embedded,
    default :func:`chart_files`), ``version``."""
    style = STYLES[fmt]
    incident, events = records.incident, list(records.events)
    card = computed_scorecard(records)
    cited = [e for m in card.metrics for e in m.cited] + [e for a in card.answers for e in a.cited]
    lead_up, entries = report_timeline_view(incident, events, style, cited=cited)
    return {
        "incident": incident_view(incident, style, paged_count(records)),
        "lead_up": lead_up,
        "entries": entries,
        "alerts": alerts_view(incident, events, style),
        "detection_notes": detection_notes(events, style), "questions": review_questions(incident, style),
        "actionables": [actionable_view(a, style) for a in incident.actionables],
        "scorecard": scorecard_view(card, style),
        "metrics": [MetricView(m.label, style.text(m.shown())) for m in card.metrics if m.value is not None],
        "metrics_left_out": style.text(metrics_left_out(card.metrics)),
        "missing": [MissingView(*(style.cell(part) for part in missing_said(m))) for m in records.missing],
        "kept": [KeptView(style.cell(k.name), style.text(pull_of(k.pulled))) for k in records.kept],
        "graph_file": graph_file,
        "graph_width": DISPLAY_WIDTH,
        "graphs": graphs_view(records, style, chart_files(records) if graph_files is None else graph_files),
        "version": __version__,
    }


def metrics_left_out(metrics) -> str:
    """One sentence on the metrics without a value: those that do not apply
    (of pages, when nobody was paged), then those the records do not give."""
    idle = [m for m in metrics if m.value is None and not m.applies]
    unknown = [m for m in metrics if m.value is None and m.applies]
    parts = []
    if idle:
        parts.append(f"{_names(idle)} do not apply: {idle[0].why_not()}" if len(idle) > 1 else
                     f"{_names(idle)} does not apply: {idle[0].why_not()}")
    if unknown:
        parts.append("not known from the records: " + "; ".join(f"{m.label.lower()} ({_unnested(m.why_not())})"
                                                                  for m in unknown))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def _unnested(reason: str) -> str:
    """A reason without its own closing parenthetical, to stand in parentheses."""
    return re.sub(r"\s*\([^()]*\)$", "", reason)


def _names(metrics) -> str:
    """``Time to acknowledge, respond and engage``."""
    words = [m.label.removeprefix("Time to ") for m in metrics]
    head = "Time to " if all(m.label.startswith("Time to ") for m in metrics) else ""
    if not head:
        words = [m.label for m in metrics]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return head + listed


def incident_view(incident: Incident, style: Style, paged: int | None = None) -> IncidentView:
    """The incident's fields; ``paged`` is ``[incident] paged``, else ``paged``
    (the people the pages reached, when the records say), else empty."""
    conclusions = incident.conclusions
    paged = incident.paged if incident.paged is not None else paged
    return IncidentView(
        id=style.cell(incident.id), status=incident.status, task=incident.task or "",
        task_link=style.task(incident.task) if incident.task else "",
        paged="" if paged is None else str(paged),
        responders_num=str(len(incident.responders)) if incident.responders else "",
        coordinators=style.names(", ".join(incident.coordinators)),
        start=_time_arg(incident.start, _seconds(incident)), end=_time_arg(incident.end, _seconds(incident)),
        metrics=style.arg(incident.metrics), impact=style.arg(incident.impact),
        summary=style.block(incident.summary), detection=style.block(incident.detection),
        conclusions_text=style.block(conclusions.get("text")),
        went_well=tuple(style.inline(i) for i in conclusions.get("went-well", ())),
        went_poorly=tuple(style.inline(i) for i in conclusions.get("went-poorly", ())),
        lucky=tuple(style.inline(i) for i in conclusions.get("lucky", ())),
        links=tuple(style.inline(i) for i in incident.links))


def timeline_view(incident: Incident, events: list[Event], style: Style = WIKITEXT) -> list[EntryView]:
    """Every event as a line, to the minute as in a report (the `timeline` command's wikitext)."""
    with_date = spans_days(incident, events)
    return [_entry(e, style, with_date, precision="minute") for e in events]


def report_timeline_view(incident: Incident, events: list[Event], style: Style = WIKITEXT,
                         cited=()) -> tuple[list[EntryView], list[EntryView]]:
    """The report's Timeline as lines, curated (``cited``: the records the
    metrics name, always shown): the lead-up, then the incident. Every line
    to the minute, as people write a timeline; each stretch left out is said
    after the line before it ("(+3 messages)"), or not at all
    (``[report] fold = "none"``)."""
    with_date = spans_days(incident, events)
    curated, story = curate(incident, events, cited), narrative(events)
    fold = incident.report.fold
    return (_folded(curated.lead_up, style, with_date, fold, story),
            _folded(curated.incident, style, with_date, fold, story))


def _folded(items, style: Style, with_date: bool, fold: str, story: Narrative) -> list[EntryView]:
    lines: list[EntryView] = []
    for item in items:
        if not isinstance(item, Omitted):
            links = evidence_links(story.evidence_of(item), style)
            lines.append(_entry(item, style, with_date, links, "minute")._replace(notes=timeline_notes(item, style)))
        elif fold == "none":
            continue
        elif lines and not lines[-1].note:
            lines[-1] = lines[-1]._replace(more=style.text(item.count()))
        else:   # before the first line shown: nothing to append it to
            lines.append(EntryView(clock="", label="", actor="", text=style.text(item.text(with_date)), marks=(),
                                   note=True))
    return lines


def _entry(event: Event, style: Style, with_date: bool, links: str = "", precision: str | None = None) -> EntryView:
    text = style.slack(event.text) if describe(event.source).family == "slack" else style.linked(event.text)
    return EntryView(clock=format_clock(event.time, precision or event.precision, with_date=with_date),
                     label=source_label(event, style), actor=_actor(event, style), text=text + links,
                     marks=tuple(MARKS[t] for t in event.tags if t in MARKS))


def evidence_links(evidence, style: Style) -> str:
    """A marker's evidence, compact: `` ([permalink Slack #chan 17:58], SAL 18:01)``; "" for none."""
    if not evidence:
        return ""
    labels = [(e.url, f"{source_name(e) or 'note'} {format_clock(e.time, 'minute', with_date=False)}")
              for e in evidence]
    return " (" + ", ".join(style.link(url, label) for url, label in labels) + ")"


def _actor(event: Event, style: Style) -> str:
    """Who said it, for "actor: text"; "" for an action (``* nick waves``: the nick is in the text)."""
    if not event.actor or event.fields.get("action"):
        return ""
    return style.cell(event.actor)


def alerts_view(incident: Incident, events: list[Event], style: Style) -> list[AlertView]:
    """Alert events that fired (not their resolutions); a storm's as one line,
    its first alert's, saying how many more fired until when."""
    with_date = spans_days(incident, events)
    fired = [e for e in events if is_alert(e) and alert_state(e) == FIRING]
    storms = {id(storm.first): storm for storm in alert_storms(fired)}
    counted = after_the_first(storms.values())
    return [_alert_view(e, storms.get(id(e)), with_date, style) for e in fired if id(e) not in counted]


def _alert_view(event: Event, storm, with_date: bool, style: Style) -> AlertView:
    summary = event.alert.summary or "" if event.alert else ""
    if storm is not None:
        until = format_clock(storm.last.time, "minute", with_date=False)
        summary = f"{summary} (and {len(storm.events) - 1:,} more until {until})" if summary \
            else f"{len(storm.events):,} alerts until {until}"
    return AlertView(clock=format_clock(event.time, event.precision, with_date=with_date),
                     name=style.cell(alert_name(event)),
                     severity=style.cell(event.alert.severity or "" if event.alert else ""),
                     team=style.cell(event.alert.team or "" if event.alert else ""),
                     summary=style.cell(summary))


def actionable_view(item, style: Style) -> ActionableView:
    """An actionable; its task's state where the last pull read it (gather puts
    it, and the tasks `followups --create` made, on the actionables)."""
    return ActionableView(task=style.task(item.task) if item.task else "",
                          # its task is shown before it: a "(T123)" in the text would show it twice
                          text=style.linked(without_task_note(item.text, item.task) if item.task else item.text),
                          no_task=style.text(item.no_task) if item.no_task else "",
                          done=item.done, owner=style.cell(item.owner) if item.owner else "",
                          status=style.cell(item.status) if item.status else "",
                          changed=item.changed.strftime("%Y-%m-%d %H:%M UTC") if item.changed else "")


def chart_files(records: Records) -> dict[str, str]:
    """The wiki file names of the graphs that have a picture, by slug:
    ``Incident <id> <slug>.svg``, unique to the incident."""
    return {g.config.slug: wikitext.incident_file_name(records.incident.id, g.config.slug)
            for g in records.graphs if drawable(g)}


def graphs_view(records: Records, style: Style, files: Mapping[str, str]) -> list[GraphView]:
    """A :class:`GraphView` per ``[[graph]]``: embedded when ``files`` names its
    file, else the line saying why not."""
    views = []
    for graph in records.graphs:
        config, name = graph.config, files.get(graph.config.slug)
        link = style.link(config.grafana, "Grafana dashboard") if config.grafana else ""
        note = "" if name else (not_drawn(graph) or f"Graph \"{config.title}\": its picture is not embedded.")
        views.append(GraphView(style.cell(config.title), name or "", link, style.text(note) if note else ""))
    return views


def scorecard_view(card: Scorecard, style: Style) -> ScorecardView:
    """Each answer with its reason in one plain sentence (people's notes, or the
    computed answer's) and the records it rests on as links."""
    rows = [(question.category, AnswerView(
        question=style.constant(question.text), hint=style.constant(question.hint) if question.hint else "",
        answer=(answer.answer or "").capitalize(), notes=style.cell_linked(answer.reason) if answer.reason else "",
        evidence=(" · ".join(cited_link(e, style) for e in answer.cited),) if answer.cited else ()))
        for question, answer in card.rows()]
    groups = tuple((category, tuple(view for c, view in rows if c == category)) for category in CATEGORIES)
    return ScorecardView(style.constant(TITLE), style.constant(TOTAL_LABEL), card.score, groups)


# -- helpers ---------------------------------------------------------------------

def cited_link(event: Event, style: Style) -> str:
    """A record a scorecard answer rests on: ``the alert at 2023-09-28 14:33:12`` (UTC, as the
    whole report) as a link to it where it has an address, else with where it was written."""
    later = event.alert is not None and page_time(event) != event.time  # an alert and the page it caused
    what = ("the alert" if later else "the page" if is_about_a_page(event) else "the alert" if is_alert(event)
            else "the SAL entry" if is_log_entry(event) else "the message")
    label = f"{what} at {format_clock(event.time, event.precision, with_date=True)}"
    if later:
        label += f", its page at {format_clock(page_time(event), 'second', with_date=False)}"
    if event.url:
        return style.link(event.url, label)
    name = source_name(event)
    return style.cell(f"{label} on {name}" if name and name != "link" else label)


def spans_days(incident: Incident, events: list[Event]) -> bool:
    """True when the timeline needs full dates on every line."""
    times = [e.time for e in events] + [incident.start] + ([incident.end] if incident.end else [])
    return min(times).date() != max(times).date()


def _seconds(incident: Incident) -> bool:
    """Start and end are shown at one precision: to the second when either has seconds."""
    return any(t is not None and t.second for t in (incident.start, incident.end))


def _time_arg(moment: dt.datetime | None, seconds: bool = False) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds or moment.second else "%Y-%m-%d %H:%M")
