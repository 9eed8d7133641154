"""`postmortem check`: validate an incident and every one of its sources, and
account for every record read.

Per source: how many records were read, how many fall in the incident's
window, every record dropped on purpose (with the reason, ``[redact] drop``
rules included) and every record skipped as not understood, each with its file
and line (or URL). Then every finding (:mod:`.redact_events`: secrets, personal data,
private channels' messages) with its file and line and its kind, never its
value, and how it was resolved; and how the records in the window become the
timeline: how many are the same fact seen twice (a `!log` and its SAL entry, an
alert on IRC and in a mail), merged into one event, by pair of sources. With
``[people]``, the names in the timeline (actors, people paged) that no
``[people]`` entry or alias knows, with the sources that give them: not a
failure, a list of aliases to add. File sources are read now; network sources are reported from what `pull` cached
(or why their pull failed). A source that cannot be read at all is a problem
naming file and line; the other sources are still checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.accounting import Skip, Tally
from ..core.errors import PostmortemError
from ..core.model import Finding, KeptSource, SourceConfig, incident_window, pull_of
from ..core.people import Roster
from ..core.timeutil import format_utc
from ..core.vocabulary import Place
from ..incident.load import load_incident
from .gather import Merged, SourceRecords, merge_sources, read_sources_one_by_one
from .merge import also_in
from .narrative import Narrative, narrative
from .redact_events import redact_events


@dataclass
class SourceCheck:
    """What one source gave: its records read are those in the window, those
    outside it, those dropped and those skipped (each record in one of them)."""

    config: SourceConfig
    in_window: int = 0           # records in the window, not dropped
    tally: Tally = field(default_factory=Tally)
    missing: str | None = None   # why a network source has no records (its pull failed)
    kept: KeptSource | None = None  # its records are an earlier pull's: the last one failed

    @property
    def outside(self) -> int:
        """Records neither in the window nor dropped nor skipped: outside it."""
        return self.tally.read - self.in_window - len(self.tally.dropped) - len(self.tally.skipped)

    def to_json(self) -> dict:
        data = {"index": self.config.index, "type": self.config.type, "name": self.config.name,
                "read": self.tally.read, "in_window": self.in_window, "outside": self.outside,
                "skipped": [s.to_json() for s in self.tally.skipped],
                "dropped": [s.to_json() for s in self.tally.dropped], "hints": list(self.tally.hints)}
        if self.missing:
            data["missing"] = self.missing
        if self.kept:
            data["last_pull_failed"] = {"error": self.kept.reason,
                                        "records_pulled": format_utc(self.kept.pulled) if self.kept.pulled else None}
        return data

    def lines(self) -> list[str]:
        records = "1 record" if self.tally.read == 1 else f"{self.tally.read} records"
        head = f"{self.config.name}: {records} read, {self.in_window} in the window"
        if self.outside:
            head += f", {self.outside} outside it"
        out = [head + (f"; NOT READ: {self.missing}" if self.missing else "")]
        if self.kept:
            out.append(f"  the last pull FAILED ({self.kept.reason}): "
                       f"these are the records of {pull_of(self.kept.pulled)}")
        if self.tally.dropped:
            reasons = "; ".join(f"{reason} ({count})" for reason, count in self.tally.dropped_by_reason().items())
            out.append(f"  dropped {len(self.tally.dropped)}: {reasons}")
        out += [f"  skipped {s.where()}: {s.reason}" for s in self.tally.skipped]
        return out + [f"  hint: {hint}" for hint in self.tally.hints]


@dataclass(frozen=True)
class Problem:
    """An input that could not be read at all: where, and why."""

    message: str
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}

    def line_text(self) -> str:
        return f"{Skip('', self.file, self.line).where()}: {self.message}"


@dataclass
class CheckReport:
    """Every source's account, the findings and the problems; ``exit_code`` 0
    when everything was read, 1 when some record was skipped, a source's records
    are missing or an earlier pull's (the last one failed) or a finding would
    stop `publish`, 2 on a problem."""

    sources: list[SourceCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    merged: "MergeCount | None" = None
    unlinked: dict | None = None  # name -> its sources, with [people]; None without
    story: Narrative | None = None   # the markers of the narrative and their evidence

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        blocked = any(f.blocks(self.strict) for f in self.findings) or (self.story and self.story.missing())
        return 1 if blocked or any(s.tally.skipped or s.missing or s.kept for s in self.sources) else 0

    def problem_lines(self) -> list[str]:
        """Each input error, ``file:line: message``."""
        return [p.line_text() for p in self.problems]

    def to_json(self) -> dict:
        data = {"sources": [s.to_json() for s in self.sources], "problems": [p.to_json() for p in self.problems],
                "findings": [{**f.to_json(), "blocks": f.blocks(self.strict)} for f in self.findings]}
        if self.merged is not None:
            data["timeline"] = self.merged.to_json()
        if self.unlinked is not None:
            data["unlinked_people"] = [{"name": name, "sources": sources} for name, sources in self.unlinked.items()]
        if self.story:
            data["narrative"] = {"markers": len(self.story.steps), "missing_evidence": [
                {"place": str(marker.place or ""), "kind": marker.marker.kind, "summary": marker.text, "ref": ref}
                for marker, ref in self.story.missing()]}
        return data

    def to_text(self) -> str:
        """The report for a person; the problems are not in it (the CLI says each on
        the error path, :meth:`problem_lines`)."""
        lines = [line for source in self.sources for line in source.lines()]
        lines += [self.merged.line()] if self.merged is not None and self.sources else []
        lines += [unlinked_line(self.unlinked)] if self.unlinked else []
        lines += narrative_lines(self.story) if self.story else []
        lines += finding_lines(self.findings, self.strict)
        if not self.sources and not self.problems:
            lines.append("no [[source]]: only the [[event]]s of incident.toml")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MergeCount:
    """How the records in the window and the [[event]]s became the timeline."""

    records: int
    manual: int
    events: int
    pairs: dict   # "irc + sal-wikitext" -> how many records were merged into another

    def to_json(self) -> dict:
        return {"records_in_window": self.records, "manual_events": self.manual, "events": self.events,
                "merged": dict(self.pairs)}

    def line(self) -> str:
        merged = sum(self.pairs.values())
        head = (f"timeline: {self.events} events from {self.records} records in the window and "
                f"{self.manual} [[event]]s")
        if not merged:
            return head + "; none was the same fact seen twice"
        pairs = ", ".join(f"{pair} {count}" for pair, count in self.pairs.items())
        return head + f"; {merged} merged into another, the same fact seen twice ({pairs})"


def merge_count(merged: Merged) -> MergeCount:
    """How the sources' records merged as the timeline does (:func:`.gather.merge_sources`): the pairs."""
    pairs: dict = {}
    for event in merged.events:
        for other in also_in(event):
            pair = " + ".join(sorted({event.source, other}))
            pairs[pair] = pairs.get(pair, 0) + 1
    return MergeCount(merged.records, merged.manual, len(merged.events), pairs)


def unlinked_line(unlinked: dict) -> str:
    """``people: 2 names not in [people]: Jo Doe (pagerduty), kroe (irc, slack)``."""
    names = "1 name" if len(unlinked) == 1 else f"{len(unlinked)} names"
    listed = ", ".join(f"{name} ({', '.join(sources)})" for name, sources in unlinked.items())
    return f"people: {names} not in [people]: {listed}"


def narrative_lines(story: Narrative) -> list[str]:
    """``narrative: 4 markers, 9 records as evidence`` and a line per reference that
    names no record (the record is gone after a re-pull, or its text changed)."""
    missing = story.missing()
    cited = sum(len(step.evidence) for step in story.steps)
    markers = "1 marker" if len(story.steps) == 1 else f"{len(story.steps)} markers"
    head = f"narrative: {markers}, {cited} records as evidence"
    if not missing:
        return [head]
    lines = [head + f"; {len(missing)} evidence {'reference names' if len(missing) == 1 else 'references name'} "
                    "no record (gone since the last pull, or changed): edit them in `postmortem review`"]
    return lines + [f"  {marker.place}: {marker.marker.kind} \"{marker.text[:60]}\": {ref}" for marker, ref in missing]


def finding_lines(findings: list[Finding], strict: bool = False) -> list[str]:
    """``findings: N (values not shown)`` and one line per finding:
    ``  file:line: slack-token (secret): not resolved, publish refuses``."""
    if not findings:
        return []
    out = [f"findings: {len(findings)} (secrets and personal data; the values are not shown)"]
    for finding in findings:
        out.append(f"  {finding.where()}: {finding.kind} ({finding.category}): {finding_state(finding, strict)}")
    return out


def finding_state(finding: Finding, strict: bool = False) -> str:
    if finding.resolved:
        return f"resolved by {finding.resolved}"
    if finding.blocks(strict):
        way = ("a [redact] drop rule, or take the channel off private_channels" if finding.kind == "private-channel"
               else "a [redact] replace or drop rule")
        return f"NOT RESOLVED: publish and update refuse (add {way})"
    return "not resolved: a warning (refused with [redact] strict = true)"


def check_incident(path) -> CheckReport:
    """Load the incident file and read every source, accounting for each record."""
    report = CheckReport()
    try:
        incident = load_incident(path)
    except PostmortemError as err:
        report.problems.append(_problem(err))
        return report
    report.strict = incident.redact.strict
    report.findings += redact_events(incident.events, incident.redact).findings
    read: list[SourceRecords] = []
    for config, outcome in read_sources_one_by_one(incident):
        if isinstance(outcome, PostmortemError):
            report.problems.append(_problem(outcome))
            report.sources.append(SourceCheck(config))
        else:
            report.sources.append(_source_check(outcome, incident, report.findings))
            read.append(outcome)
    merged = merge_sources(incident, read)
    report.merged = merge_count(merged)
    roster = Roster(incident.people)
    report.unlinked = roster.unknown(merged.events) if roster else None
    report.story = narrative(merged.events)
    return report


def _source_check(records: SourceRecords, incident, findings: list[Finding]) -> SourceCheck:
    """The source's account, its ``[redact] drop``s counted as dropped records
    (and no more in the window); a network source's events pulled for a wider
    window than the incident's now are outside it."""
    window = incident_window(incident)
    redacted = redact_events([e for e in records.events if e.time in window], incident.redact,
                             lambda event: records.config.name)
    findings += redacted.findings
    for event, rule in redacted.dropped:
        place = event.place or Place()
        records.tally.drop(f"[redact] drop {rule}", place.file or event.url, place.line)
    return SourceCheck(records.config, len(redacted.events), records.tally, records.missing, records.kept)


def _problem(err: PostmortemError) -> Problem:
    message = f"{err.key}: {err.message}" if err.key else err.message
    return Problem(message if not err.url else f"{err.url}: {message}", err.file, err.line)
