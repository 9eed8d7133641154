"""Scorecard answers: human ones over computed ones, the score, disagreements.

The questions themselves are data in :mod:`postmortem.core.questions`. The
total is always the count of "yes".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from ..core.model import Records, ScorecardAnswer
from ..core.questions import QUESTION_IDS, QUESTIONS
from ..timeline.metrics import incident_metrics
from ._rules import compute_answers




@dataclass(frozen=True)
class Disagreement:
    """A human answer the records contradict: both answers, the computed one's reasons."""

    id: str
    human: ScorecardAnswer
    computed: ScorecardAnswer

    def line(self) -> str:
        """``scorecard pages-business-hours: answered "yes" but the records say "no" (…)``."""
        why = f" ({self.computed.notes})" if self.computed.notes else ""
        return (f"scorecard {self.id}: answered \"{self.human.answer}\" but the records say "
                f"\"{self.computed.answer}\"{why}")

    def to_json(self) -> dict:
        return {"id": self.id, "human": self.human.answer, "computed": self.computed.answer,
                "notes": self.computed.notes, "evidence": list(self.computed.evidence)}


@dataclass(frozen=True)
class Scorecard:
    """Answers to all 15 questions, in table order; the disagreements between
    human and computed answers; the incident's metrics where known."""

    answers: tuple[ScorecardAnswer, ...]
    disagreements: tuple[Disagreement, ...] = ()
    metrics: tuple = ()  # postmortem.timeline.metrics.Metric, for incidents

    @property
    def score(self) -> int:
        """The count of "yes" answers — always."""
        return sum(1 for a in self.answers if a.answer == "yes")

    def rows(self):
        """(question, answer) pairs in table order."""
        return zip(QUESTIONS, self.answers)

    def to_text(self) -> str:
        """One line per question (category, answer, where it came from, question,
        notes and evidence), the score, the disagreements and the metrics."""
        lines = []
        for question, answer in self.rows():
            origin = f"[{answer.source}]" if answer.source else ""
            lines.append(f"{question.category:<8} {answer.answer or '-':<4} {origin:<10} {question.text}")
            lines.extend(f"{'':24}{line}" for line in ((answer.notes,) if answer.notes else ()) + answer.evidence)
        lines.append(f"score: {self.score}/{len(QUESTIONS)}")
        lines.extend(f"disagreement: {d.line()}" for d in self.disagreements)
        if self.metrics:
            lines.append("metrics:")
            lines.extend(f"  {m.label}: {m.text()}" for m in self.metrics)
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        """The public JSON shape of ``scorecard --format json`` (docs/formats.md), extended
        with ``disagreements`` and, for an incident, ``metrics``."""
        data = {
            "answers": [
                {"id": q.id, "category": q.category, "question": q.text, "answer": a.answer,
                 "source": a.source, "notes": a.notes, "evidence": list(a.evidence)}
                for q, a in self.rows()
            ],
            "score": self.score,
            "disagreements": [d.to_json() for d in self.disagreements],
        }
        if self.metrics:
            data["metrics"] = [m.to_json() for m in self.metrics]
        return data


def build_scorecard(human: Mapping[str, ScorecardAnswer],
                    computed: Mapping[str, ScorecardAnswer] | None = None,
                    metrics: tuple = ()) -> Scorecard:
    """Merge answers: a human answer wins over a computed one (and carries the
    computed evidence); a computed answer fills a question people left empty;
    a human answer the records contradict is kept and listed as a disagreement."""
    computed = computed or {}
    answers, disagreements = [], []
    for qid in QUESTION_IDS:
        answer, disagreement = merge_answer(human.get(qid), computed.get(qid))
        answers.append(answer or ScorecardAnswer(qid))
        if disagreement:
            disagreements.append(disagreement)
    return Scorecard(tuple(answers), tuple(disagreements), tuple(metrics))


def merge_answer(human: ScorecardAnswer | None, computed: ScorecardAnswer | None):
    """(the answer shown, a Disagreement or None) for one question."""
    if computed is None:
        return human, None
    if human is None or human.answer is None:
        notes = "; ".join(n for n in ((human.notes if human else ""), computed.notes) if n)
        said = " ".join(n for n in ((human.notes if human else ""), computed.said) if n)
        return replace(computed, notes=notes, said=said), None
    if computed.answer is None or computed.answer == human.answer:
        evidence = human.evidence + (computed.evidence if computed.answer else ())
        agreed = computed.answer is not None
        return replace(human, notes=human.notes or (computed.notes if agreed else ""), evidence=evidence,
                       said=human.notes or (computed.said if agreed else ""),
                       cited=computed.cited if agreed else ()), None
    noted = f"the records say {computed.answer}: {computed.notes}" if computed.notes else \
        f"the records say {computed.answer}"
    notes = f"{human.notes} [{noted}]" if human.notes else f"[{noted}]"
    said = " ".join(n for n in (human.notes, f"The records say {computed.answer}"
                                + (f": {_lower_first(computed.said)}" if computed.said else ".")) if n)
    shown = replace(human, notes=notes, evidence=human.evidence + computed.evidence, said=said,
                    cited=computed.cited)
    return shown, Disagreement(human.id, human, computed)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def computed_scorecard(records: Records) -> Scorecard:
    """The scorecard of an incident: its file's answers over the answers
    computed from its records (:func:`postmortem.collect.gather.gather`), with
    the metrics."""
    incident = records.incident
    return build_scorecard(incident.scorecard, compute_answers(records), incident_metrics(records))
