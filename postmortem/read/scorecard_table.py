"""The Incident Engagement ScoreCard table of a report: as wikitext, as a
table the parser could not close, or flattened to tab-separated plain text
(the seed in tests/fixtures/reports/); answers normalised to yes/no/None."""

from __future__ import annotations

import re
from dataclasses import dataclass


from ..core.questions import QUESTIONS
from .layout import Page, Section, find_section, section_lines, tables_in
from .tables import Cell, cell_text, rows_from_markup, rows_of_table
from .text import decode_text, strip_comments


@dataclass(frozen=True)
class ReportAnswer:
    """One scorecard row as written: normalised answer, the raw cell, notes, line."""

    id: str
    category: str
    question: str
    answer: str | None = None
    raw: str = ""
    notes: str = ""
    line: int | None = None

    def to_json(self) -> dict:
        return {"category": self.category, "question": self.question,
                "answer": self.answer, "notes": self.notes}


@dataclass(frozen=True)
class ReportScorecard:
    """The scorecard table of a report: 15 answers in table order, the stated total."""

    answers: tuple[ReportAnswer, ...]
    stated_total: int | None = None
    found: bool = False
    line: int | None = None
    total_line: int | None = None

    @property
    def score(self) -> int:
        """The computed score: the count of "yes" answers."""
        return sum(1 for a in self.answers if a.answer == "yes")

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers if a.answer is not None)

    def to_json(self) -> dict:
        return {"answers": [a.to_json() for a in self.answers], "score": self.score,
                "stated_total": self.stated_total}


def read_scorecard(page: Page) -> ReportScorecard:
    """The Incident Engagement ScoreCard from the Scorecard section: a wiki table,
    a table the parser could not close, or tab-separated plain text (the seed)."""
    section = find_section(page.sections, "Scorecard", "Incident Engagement")
    candidates = [rows_of_table(t) for t in tables_in(page, section)]
    candidates.append(_rows_from_lines(page, section))
    if section is None:
        candidates = [rows_of_table(t) for t in page.tables]
    best = None
    for rows in candidates:
        card = _interpret_rows(rows)
        if card.found and (best is None or card.answered + _matched(card) > best.answered + _matched(best)):
            best = card
    return best or _empty_scorecard()


def _matched(card: ReportScorecard) -> int:
    return sum(1 for a in card.answers if a.line is not None)


def _empty_scorecard() -> ReportScorecard:
    return ReportScorecard(tuple(ReportAnswer(q.id, q.category, q.text) for q in QUESTIONS))


def _rows_from_lines(page: Page, section: Section | None) -> list[list[Cell]]:
    """Rows from the section's lines: wiki-table markup the parser left as text,
    or a table flattened to tab-separated lines (the seed in tests/fixtures/reports/)."""
    lines = section_lines(page, section)
    if any(text.lstrip().startswith("{|") for _, text in lines):
        return rows_from_markup(lines)
    return _rows_from_tabs(lines)


_ROW_START = re.compile(r"^\s*(?:People|Process|Tooling|Total score)\b|^\t", re.I)


def _rows_from_tabs(lines) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for number, text in lines:
        if "\t" not in text:
            continue
        fields = text.split("\t")
        if rows and not _ROW_START.match(text) and not _match_question(fields[0]):
            last = rows[-1][-1]  # a cell that wrapped onto the next line
            rows[-1][-1] = Cell(last.raw + " " + fields[0], cell_text(last.raw + " " + fields[0]), last.line)
            rows[-1].extend(Cell(f, cell_text(f), number) for f in fields[1:])
        else:
            rows.append([Cell(f, cell_text(f), number) for f in fields])
    return rows


_WORDS = re.compile(r"[a-z0-9]+")


_QUESTION_WORDS = [(q, _WORDS.findall(q.text.lower())) for q in QUESTIONS]


def _match_question(cell_text: str):
    """The scorecard question a cell asks (its words start like the question's)."""
    words = _WORDS.findall(cell_text.lower())
    if len(words) < 4:
        return None
    for question, qwords in _QUESTION_WORDS:
        head = qwords[:8]
        if words[:len(head)] == head:
            return question
    best, best_score = None, 0.0
    wordset = set(words)
    for question, qwords in _QUESTION_WORDS:  # reworded questions in older tables
        score = len(wordset & set(qwords)) / len(set(qwords))
        if score > best_score:
            best, best_score = question, score
    return best if best_score >= 0.8 else None


def _interpret_rows(rows) -> ReportScorecard:
    answers = {}
    stated, total_line, first_line = None, None, None
    for row in rows:
        for index, cell in enumerate(row):
            if cell.text.lower().startswith("total score"):
                stated, total_line = _stated_total(row[index + 1:]), cell.line
                break
            question = _match_question(cell.text)
            if question is not None and not cell.header:
                if question.id not in answers:
                    answers[question.id] = _answer(question, row[index + 1:], cell.line)
                first_line = first_line or cell.line
                break
    ordered = tuple(answers.get(q.id) or ReportAnswer(q.id, q.category, q.text) for q in QUESTIONS)
    return ReportScorecard(ordered, stated, bool(answers), first_line, total_line)


def _answer(question, rest: list[Cell], line: int) -> ReportAnswer:
    raw = rest[0].text if rest else ""
    notes = rest[1].text if len(rest) > 1 else ""
    return ReportAnswer(question.id, question.category, question.text,
                        normalize_answer(rest[0].raw if rest else ""), raw, notes, line)


def _stated_total(rest: list[Cell]) -> int | None:
    for cell in rest:
        if cell.text.lower().startswith("total score"):
            continue  # the label repeated by a flattened colspan
        match = re.match(r"^\W*(\d{1,3})\b", cell.text)
        return int(match.group(1)) if match else None
    return None


_ANSWER_TEMPLATE = re.compile(r"\{\{\s*(yes|y|tick|done|no|n|cross|x)\s*(?:\|[^{}]*)?\}\}", re.I)


_ANSWER = re.compile(r"^(yes|y|no|n)(?![\w/])", re.I)


def normalize_answer(raw: str) -> str | None:
    """``Yes``/``y``/``{{Yes}}`` → "yes", ``No``/``N`` → "no"; N/A, ``?``, empty → None."""
    raw = strip_comments(raw)
    template = _ANSWER_TEMPLATE.search(raw)
    if template:
        return "yes" if template.group(1).lower() in ("yes", "y", "tick", "done") else "no"
    text = re.sub(r"'{2,}|<[^>]*>", "", decode_text(raw)).strip(" \t\n\u00a0*")
    match = _ANSWER.match(text)
    if not match:
        return None
    return "yes" if match.group(1).lower().startswith("y") else "no"
