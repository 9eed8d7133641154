"""The scorecard of an existing report: its answers as a scorecard, the
stated total and whether it matches the count of "yes" — or, for the older
rubric (``(0/5pt)`` questions), the points given and whether the total is
their sum."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.model import ScorecardAnswer
from ..core.questions import QUESTIONS
from ..read.report import Report
from ..read.scorecard_table import ReportScorecard
from .answers import Scorecard, build_scorecard


@dataclass(frozen=True)
class StatedScorecard:
    """A report's scorecard: the answers as a :class:`Scorecard`, and the table
    as read (its kind, stated total, lines, and the rubric's points and wording).
    "Stated": what the report says, beside an incident's computed :class:`Scorecard`."""

    scorecard: Scorecard
    table: ReportScorecard

    @property
    def kind(self) -> str | None:
        """"15-question", "rubric", None (no table)."""
        return self.table.kind

    @property
    def stated_total(self) -> int | None:
        return self.table.stated_total

    @property
    def score(self) -> int | None:
        """The count of "yes"; for the rubric, the sum of its points; None when
        the page has no scorecard table (no score, rather than a score of 0)."""
        return self.table.score if self.kind is not None else None

    @property
    def mismatch(self) -> bool:
        """True when the page states a total that is not the count of "yes"."""
        return self.stated_total is not None and self.stated_total != self.score

    def to_json(self) -> dict:
        """``scorecard --format json`` (docs/formats.md) plus ``stated_total`` and ``mismatch``."""
        data = self.scorecard.to_json()
        data["kind"] = self.kind
        data["score"] = self.score
        if self.kind == "rubric":
            for answer, read in zip(data["answers"], self.table.answers):
                answer.update(question=read.question, points=read.points, max_points=read.max_points)
        data["stated_total"] = self.stated_total
        data["mismatch"] = self.mismatch
        return data

    def to_text(self) -> str:
        """One line per question, then the score (and the stated total when it differs);
        the rubric shows the questions the page asks, in its words, with their points."""
        out = []
        rubric = self.kind == "rubric"
        for (question, answer), read in zip(self.scorecard.rows(), self.table.answers):
            if rubric and read.line is None:
                continue  # a question the rubric did not ask
            mark = _points_mark(read.points, read.max_points) if rubric else answer.answer or "-"
            notes = f"  ({answer.notes})" if answer.notes else ""
            out.append(f"{question.category:<8} {mark:<4} {read.question if rubric else question.text}{notes}")
        most = sum(max(a.max_points, 0) for a in self.table.answers if a.max_points) if rubric else len(QUESTIONS)
        if self.kind is None:
            return "\n".join(out + ["score: none, the page has no scorecard table"])
        total = f"{'points' if rubric else 'score'}: {self.score}/{most}"
        if self.stated_total is not None:
            total += f" (stated total: {self.stated_total}{', MISMATCH' if self.mismatch else ''})"
        return "\n".join(out + [total])


def _points_mark(points: int | None, most: int | None) -> str:
    """``3/5`` (points of the most), ``-/5`` when not scored."""
    return f"{'-' if points is None else points}/{most if most is not None else '?'}"


def report_scorecard(report: Report) -> StatedScorecard:
    """The scorecard of an existing report: answers, score, stated total, mismatch."""
    human = {}
    for answer in report.scorecard.answers:
        evidence = (f"report line {answer.line}: {answer.raw or '(empty)'}",) if answer.line else ()
        human[answer.id] = ScorecardAnswer(
            answer.id, answer.answer, answer.notes,
            "human" if answer.answer is not None else None, evidence)
    return StatedScorecard(build_scorecard(human), report.scorecard)
