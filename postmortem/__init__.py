"""postmortem: incident timelines and Wikitech-style postmortem reports.

Every CLI command is one call into this API. One incident: incident.toml in,
its records gathered once, then steps that take the gathered ``Records`` and
give a value::

    incident = postmortem.load_incident("incident.toml")
    postmortem.pull(incident)                       # network sources -> cache: a PullReport
    records = postmortem.gather(incident)           # one UTC timeline, tasks, previous reports
    text = postmortem.render_report(records)        # Wikitech wikitext (pure)
    scorecard = postmortem.computed_scorecard(records)
    shown = postmortem.format_timeline(postmortem.filter_events(records, pattern="restart"))

The wiki as the incident database: a report's text in, a value out::

    report = postmortem.parse_report(text)          # and back
    findings = postmortem.lint_report(report)
    stats = postmortem.report_stats([report])

Every error is a :class:`PostmortemError` (one tree, :mod:`postmortem.core.errors`).
The heavier functions are imported on first use (PEP 562), so that reading
local files never loads the HTTP stack or the wikitext parser.
"""

import importlib

from ._version import __version__
from .core.errors import (IncidentFileError, InputError, MergeConflict, PostmortemError, ReportError, SourceError,
                          SourceFormatError, UnresolvedFindings, WikiError)
from .core.model import (Actionable, Event, GraphData, Incident, Person, Problem, Records, ScorecardAnswer,
                         SourceConfig, Window, incident_window)
from .core.questions import QUESTIONS
from .incident.load import load_incident, parse_incident

# public name -> module that defines it, imported when first used
_LAZY = {
    "gather": "timeline.gather", "key_moments": "timeline.moments", "filter_events": "timeline.filters",
    "incident_metrics": "timeline.metrics",
    "render_report": "write.render", "render_graph": "write.timeline_picture", "render_charts": "write.metric_chart",
    "format_timeline": "write.textview", "escape_markdown": "write.markdown",
    "computed_scorecard": "scorecard.answers", "report_scorecard": "scorecard.report_scorecard",
    "parse_report": "read.report", "read_report_file": "read.report",
    "lint_report": "database.lint", "report_stats": "database.stats",
    "pull": "collect.pull", "publish": "publishing.report_page", "update": "publishing.report_page",
    # the values they give
    "IncidentFacts": "core.incident_parts", "IncidentSettings": "core.incident_parts",
    "KeyMoments": "timeline.moments", "Metric": "timeline.metrics", "Scorecard": "scorecard.answers",
    "StatedScorecard": "scorecard.report_scorecard", "Report": "read.report", "TimelineEntry": "read.timeline",
    "ReportActionable": "read.report", "ReportAnswer": "read.scorecard_table", "ReportStats": "database.stats",
    "PullReport": "collect.pull", "PublishResult": "publishing.report_page", "UpdateResult": "publishing.report_page",
}

__all__ = [
    "__version__",
    "Actionable", "Event", "GraphData", "Incident", "Person", "Problem", "Records", "ScorecardAnswer", "SourceConfig", "Window", "QUESTIONS", "incident_window",
    "PostmortemError", "InputError", "IncidentFileError", "SourceFormatError", "SourceError",
    "ReportError", "WikiError", "UnresolvedFindings", "MergeConflict",
    "load_incident", "parse_incident",
    *_LAZY,
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'postmortem' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
