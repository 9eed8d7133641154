"""postmortem: incident timelines and Wikitech-style postmortem reports.

Every CLI command is one call into this API.
"""

__version__ = "0.1.0"

from .errors import (IncidentFileError, InputError, PostmortemError, ReportError,  # noqa: E402
                     SourceError, SourceFormatError, WikiError)
from .incident import load_incident, parse_incident  # noqa: E402
from .model import Actionable, Event, Incident, Person, ScorecardAnswer, SourceConfig, Window  # noqa: E402

__all__ = [
    "__version__",
    "Actionable", "Event", "Incident", "Person", "ScorecardAnswer", "SourceConfig", "Window",
    "PostmortemError", "InputError", "IncidentFileError", "SourceFormatError", "SourceError",
    "ReportError", "WikiError",
    "load_incident", "parse_incident",
]
