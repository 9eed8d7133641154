"""postmortem: incident timelines and Wikitech-style postmortem reports.

Every CLI command is one call into this API::

    incident = postmortem.load_incident("incident.toml")
    postmortem.pull(incident)                       # network sources -> cache
    events = postmortem.collect_events(incident)    # one UTC timeline
    text = postmortem.render_report(incident)       # Wikitech wikitext
    report = postmortem.parse_report(text)          # and back
    findings = postmortem.lint_report(report)

The heavier functions are imported on first use (PEP 562), so that reading
local files never loads the HTTP stack or the wikitext parser.
"""

import importlib

from ._version import __version__
from .core.errors import (IncidentFileError, InputError, PostmortemError, ReportError, SourceError, SourceFormatError, WikiError)
from .core.model import Actionable, Event, Incident, Person, ScorecardAnswer, SourceConfig, Window
from .incident.load import load_incident, parse_incident

# public name -> module that defines it, imported when first used
_LAZY = {
    "collect_events": "timeline.merge", "merge": "timeline.merge", "key_moments": "timeline.merge",
    "incident_window": "timeline.merge", "filter_events": "timeline.merge",
    "write_graph": "write.graph", "format_timeline": "write.textview", "escape_markdown": "write.markdown",
    "render_report": "write.render", "render_graph": "write.graph",
    "incident_scorecard": "scorecard.answers", "QUESTIONS": "scorecard.answers",
    "computed_scorecard": "scorecard.answers", "incident_metrics": "timeline.metrics",
    "parse_report": "read.report", "read_report_file": "read.report", "report_scorecard": "read.report",
    "lint_report": "read.lint", "report_stats": "read.stats",
    "pull": "collect.pull", "publish": "wiki.publish", "update": "wiki.publish",
}

__all__ = [
    "__version__",
    "Actionable", "Event", "Incident", "Person", "ScorecardAnswer", "SourceConfig", "Window",
    "PostmortemError", "InputError", "IncidentFileError", "SourceFormatError", "SourceError",
    "ReportError", "WikiError",
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
