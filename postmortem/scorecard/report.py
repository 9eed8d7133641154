"""The scorecard of an existing report: its answers as a scorecard, the
stated total and whether it matches the count of "yes"."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.model import ScorecardAnswer
from ..core.questions import QUESTIONS
from ..read.report import Report
from .answers import Scorecard, build_scorecard


@dataclass(frozen=True)
class StatedScorecard:
    """A report's scorecard: the answers as a :class:`Scorecard`, the stated total."""

    scorecard: Scorecard
    stated_total: int | None
    lines: tuple[int | None, ...] = ()

    @property
    def score(self) -> int:
        return self.scorecard.score

    @property
    def mismatch(self) -> bool:
        """True when the page states a total that is not the count of "yes"."""
        return self.stated_total is not None and self.stated_total != self.score

    def to_json(self) -> dict:
        """``scorecard --format json`` (DESIGN.md) plus ``stated_total`` and ``mismatch``."""
        data = self.scorecard.to_json()
        data["stated_total"] = self.stated_total
        data["mismatch"] = self.mismatch
        return data

    def to_text(self) -> str:
        """One line per question, then the score (and the stated total when it differs)."""
        out = []
        for question, answer in self.scorecard.rows():
            mark = answer.answer or "-"
            notes = f"  ({answer.notes})" if answer.notes else ""
            out.append(f"{question.category:<8} {mark:<4} {question.text}{notes}")
        total = f"score: {self.score}/{len(QUESTIONS)}"
        if self.stated_total is not None:
            total += f" (stated total: {self.stated_total}{', MISMATCH' if self.mismatch else ''})"
        return "\n".join(out + [total])


def report_scorecard(report: Report) -> StatedScorecard:
    """The scorecard of an existing report: answers, score, stated total, mismatch."""
    human = {}
    for answer in report.scorecard.answers:
        evidence = (f"report line {answer.line}: {answer.raw or '(empty)'}",) if answer.line else ()
        human[answer.id] = ScorecardAnswer(
            answer.id, answer.answer, answer.notes,
            "human" if answer.answer is not None else None, evidence)
    lines = tuple(a.line for a in report.scorecard.answers)
    return StatedScorecard(build_scorecard(human), report.scorecard.stated_total, lines)
