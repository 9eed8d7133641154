"""The settings tables of incident.toml that steer the outputs: ``[report]``
(which chat the report's Timeline shows), ``[redact]`` (what must not be
published and how it is resolved) and ``[followups]`` (the tasks made for
actionables)."""

from __future__ import annotations

from dataclasses import dataclass


# The reactions that mark a Slack message for the report (``[report] reactions``)
# and the IRC line prefixes that do (``[report] markers``; MeetBot's ``#info``).
DEFAULT_REACTIONS = ("pushpin", "memo", "point_up")
DEFAULT_MARKERS = ("#info",)
CHAT_MODES = ("marked", "all", "none")
# Beside a narrative, the records that are evidence of no marker: folded, left out, or curated as without one.
OTHERS_MODES = ("fold", "omit", "curate")
# What the report says of the records it leaves out: "count" appends "(+3 messages)" to
# the line before each stretch, "none" says nothing.
FOLD_MODES = ("count", "none")


@dataclass(frozen=True)
class ReportSettings:
    """``[report]``: which chat lines the report's Timeline shows. ``chat``:
    "marked" (pinned, a reaction in ``reactions``, a line starting with one of
    ``markers``, or matching one of the ``include`` regexes), "all" or "none";
    ``others``: beside a narrative, the records no marker cites (OTHERS_MODES);
    ``fold``: how the records left out are said ("count" or "none")."""

    chat: str = "marked"
    reactions: tuple[str, ...] = DEFAULT_REACTIONS
    markers: tuple[str, ...] = DEFAULT_MARKERS
    include: tuple[str, ...] = ()   # regexes (checked when incident.toml is loaded)
    fold: str = "count"
    others: str = "fold"

    def __post_init__(self):
        if self.chat not in CHAT_MODES:
            raise ValueError(f"chat must be one of {', '.join(CHAT_MODES)}, got {self.chat!r}")
        if self.others not in OTHERS_MODES:
            raise ValueError(f"others must be one of {', '.join(OTHERS_MODES)}, got {self.others!r}")
        if self.fold not in FOLD_MODES:
            raise ValueError(f"fold must be one of {', '.join(FOLD_MODES)}, got {self.fold!r}")
        for name in ("reactions", "markers", "include"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class Replacement:
    """One ``[redact] replace`` rule: a regex and what its matches become."""

    pattern: str
    with_: str = "[redacted]"


@dataclass(frozen=True)
class RedactSettings:
    """``[redact]``: what may not be published and how it is resolved. ``allow``:
    IP addresses or networks that are no finding; ``private_channels``: channels
    whose messages are findings; ``strict``: personal data and private-channel
    messages block publishing like secrets do; ``replace``/``drop``: rules that
    rewrite matching text or leave matching records out of every output."""

    allow: tuple[str, ...] = ()
    private_channels: tuple[str, ...] = ()
    strict: bool = False
    replace: tuple[Replacement, ...] = ()
    drop: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("allow", "private_channels", "replace", "drop"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
# Wikitech's incident template: "add the #Sustainability (Incident Followup) and the
# #SRE-OnFIRE (Pending Review & Scorecard) Phabricator tag to these tasks".
WIKITECH_FOLLOWUP_TAGS = ("Sustainability (Incident Followup)", "SRE-OnFIRE (Pending Review & Scorecard)")
# Where the report pages are read, MediaWiki's $wgArticlePath form ($1: the title).
WIKITECH_PAGE_URL = "https://wikitech.wikimedia.org/wiki/$1"


@dataclass(frozen=True)
class FollowupSettings:
    """``[followups]``: the Phabricator tags (project names, or ``#slug``) every
    follow-up task gets, and the address of a wiki page (``$1``: its title), for
    the link from the task to the report."""

    tags: tuple[str, ...] = WIKITECH_FOLLOWUP_TAGS
    page_url: str = WIKITECH_PAGE_URL

    def __post_init__(self):
        object.__setattr__(self, "tags", tuple(self.tags))
        if "$1" not in self.page_url:
            raise ValueError(f"page_url must hold $1 where the page title goes, got {self.page_url!r}")
