"""The Incident Engagement ScoreCard: its 15 questions as data, and answers.

Question text is exactly as in Wikitech's report template (see the
Scorecard table of shared/reference/wikitech/*.wiki); ids are the public
contract of DESIGN.md. The total is always the count of "yes".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .model import Incident, ScorecardAnswer


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    text: str
    hint: str = ""  # the italic "Answer “no” if …" part, where there is one


QUESTIONS: tuple[Question, ...] = (
    Question("people-different", "People",
             "Were the people responding to this incident sufficiently different than the previous five incidents?"),
    Question("people-prepared", "People",
             "Were the people who responded prepared enough to respond effectively"),
    Question("people-paged-fewer-than-five", "People", "Were fewer than five people paged?"),
    Question("pages-right-team", "People", "Were pages routed to the correct sub-team(s)?"),
    Question("pages-business-hours", "People",
             "Were pages routed to online (business hours) engineers?",
             "Answer “no” if engineers were paged after business hours."),
    Question("status-doc-updated", "Process",
             'Was the "Incident status" section atop the Google Doc kept up-to-date during the incident?'),
    Question("status-page-entry", "Process", "Was a public wikimediastatus.net entry created?"),
    Question("phabricator-task", "Process", "Is there a phabricator task for the incident?"),
    Question("actionables-assigned", "Process", "Are the documented action items assigned?"),
    Question("not-a-repeat", "Process",
             "Is this incident sufficiently different from earlier incidents so as not to be a repeat occurrence?"),
    Question("task-queue-clear", "Tooling",
             "To the best of your knowledge was the open task queue free of any tasks that would have prevented this incident?",
             "Answer “no” if there are open tasks that would prevent this incident or make mitigation easier if implemented."),
    Question("communication-ok", "Tooling",
             "Were the people responding able to communicate effectively during the incident with the existing tooling?"),
    Question("monitoring-notified", "Tooling", "Did existing monitoring notify the initial responders?"),
    Question("tools-available", "Tooling",
             "Were the engineering tools that were to be used during the incident, available and in service?"),
    Question("runbook-used", "Tooling", "Were the steps taken to mitigate guided by an existing runbook?"),
)

QUESTION_IDS = tuple(q.id for q in QUESTIONS)
CATEGORIES = ("People", "Process", "Tooling")
TOTAL_LABEL = "Total score (count of all “yes” answers above)"
TITLE = "Incident Engagement  ScoreCard"  # two spaces, as on Wikitech


@dataclass(frozen=True)
class Scorecard:
    """Answers to all 15 questions, in table order."""

    answers: tuple[ScorecardAnswer, ...]

    @property
    def score(self) -> int:
        return sum(1 for a in self.answers if a.answer == "yes")

    def rows(self):
        """(question, answer) pairs in table order."""
        return zip(QUESTIONS, self.answers)

    def to_text(self) -> str:
        """One line per question (category, answer, where it came from, question,
        notes and evidence), then the score."""
        lines = []
        for question, answer in self.rows():
            origin = f"[{answer.source}]" if answer.source else ""
            lines.append(f"{question.category:<8} {answer.answer or '-':<4} {origin:<10} {question.text}")
            lines.extend(f"{'':24}{line}" for line in ((answer.notes,) if answer.notes else ()) + answer.evidence)
        lines.append(f"score: {self.score}/{len(QUESTIONS)}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        """The public JSON shape of ``scorecard --format json`` (DESIGN.md)."""
        return {
            "answers": [
                {"id": q.id, "category": q.category, "question": q.text, "answer": a.answer,
                 "source": a.source, "notes": a.notes, "evidence": list(a.evidence)}
                for q, a in self.rows()
            ],
            "score": self.score,
        }


def build_scorecard(human: Mapping[str, ScorecardAnswer],
                    computed: Mapping[str, ScorecardAnswer] | None = None) -> Scorecard:
    """Merge answers: a human answer wins over a computed one; the rest stay empty."""
    computed = computed or {}
    answers = []
    for qid in QUESTION_IDS:
        answer = human.get(qid)
        if answer is None or answer.answer is None and qid in computed:
            answer = computed.get(qid, answer)
        answers.append(answer or ScorecardAnswer(qid))
    return Scorecard(tuple(answers))


def incident_scorecard(incident: Incident) -> Scorecard:
    """The scorecard of an incident from the answers its file gives."""
    return build_scorecard(incident.scorecard)
