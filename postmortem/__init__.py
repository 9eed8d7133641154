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

__version__ = "0.1.0"

from .errors import (IncidentFileError, InputError, PostmortemError, ReportError,  # noqa: E402
                     SourceError, SourceFormatError, WikiError)
from .incident import load_incident, parse_incident  # noqa: E402
from .model import Actionable, Event, Incident, Person, ScorecardAnswer, SourceConfig, Window  # noqa: E402

# public name -> module that defines it, imported when first used
_LAZY = {
    "collect_events": "timeline", "merge": "timeline", "key_moments": "timeline",
    "incident_window": "timeline", "filter_events": "timeline",
    "write_graph": "graph", "format_timeline": "textview", "escape_markdown": "markdown",
    "render_report": "render", "render_graph": "graph",
    "incident_scorecard": "scorecard", "QUESTIONS": "scorecard",
    "computed_scorecard": "scorecard", "incident_metrics": "metrics",
    "parse_report": "report", "read_report_file": "report", "report_scorecard": "report",
    "lint_report": "lint", "report_stats": "stats",
    "pull": "pull", "publish": "publish", "update": "publish",
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
