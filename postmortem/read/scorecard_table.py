"""The Incident Engagement ScoreCard table of a report: as wikitext, as a
table the parser could not close, or flattened to plain text — tab-separated
(the seed in tests/fixtures/reports/), or "question answer notes" lines
(asw-a4-codfw-2022-06-30.txt in tests/fixtures/reports/corpus/); answers
normalised to yes/no/None.

Two kinds of table: the 15 yes/no questions (2022 on, ``kind`` "15-question"),
and the older rubric (2021, "Incident Engagement™ ScoreCard", ``kind``
"rubric") whose questions carry their points, ``(0/5pt)`` / ``(0/1pt)``, and
whose Score column holds the points given: there the points are read, and
the score is their sum, and each row keeps the question as the page words it.
Questions are matched to the 15 ids by their words, including the wordings of
2021 and 2022 (:data:`ALIASES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


from ..core.questions import QUESTIONS
from ._layout import Page, find_section, section_lines, tables_in
from ._tables import Cell, cell_text, rows_from_markup, rows_of_table
from ._text import decode_text, strip_comments


@dataclass(frozen=True)
class ReportAnswer:
    """One scorecard row as written: normalised answer, the raw cell, notes, line;
    for the rubric, the points given and the question's maximum.

    Not a :class:`~postmortem.core.model.ScorecardAnswer`: it keeps the cell as
    written and the row's question and category as the page words them
    (older reports and the rubric differ from the 15 questions);
    :class:`~postmortem.scorecard.report_scorecard.StatedScorecard` turns the
    rows into ScorecardAnswers."""

    id: str
    category: str
    question: str
    answer: str | None = None
    raw: str = ""
    notes: str = ""
    line: int | None = None
    points: int | None = None
    max_points: int | None = None

    def to_json(self, kind: str | None = None) -> dict:
        data = {"category": self.category, "question": self.question,
                "answer": self.answer, "notes": self.notes}
        if kind == "rubric":
            data.update(points=self.points, max_points=self.max_points)
        return data


@dataclass(frozen=True)
class ReportScorecard:
    """The scorecard table of a report: 15 answers in table order, the stated total."""

    answers: tuple[ReportAnswer, ...]
    stated_total: int | None = None
    found: bool = False
    line: int | None = None
    total_line: int | None = None
    kind: str | None = None   # "15-question", "rubric"; None when the page has no scorecard

    @property
    def score(self) -> int:
        """The computed score: the count of "yes" answers (the rubric: the sum of its points)."""
        if self.kind == "rubric":
            return sum(a.points for a in self.answers if a.points is not None)
        return sum(1 for a in self.answers if a.answer == "yes")

    @property
    def answered(self) -> int:
        if self.kind == "rubric":
            return sum(1 for a in self.answers if a.points is not None)
        return sum(1 for a in self.answers if a.answer is not None)

    def to_json(self) -> dict:
        """``{"answers", "score", "stated_total"}`` (docs/formats.md) and ``kind``; rubric
        answers also carry ``points`` and ``max_points``."""
        return {"kind": self.kind, "answers": [a.to_json(self.kind) for a in self.answers],
                "score": self.score if self.kind else None,  # no table: no score, not 0
                "stated_total": self.stated_total}


def read_scorecard(page: Page) -> ReportScorecard:
    """The Incident Engagement ScoreCard from the Scorecard section: a wiki table,
    a table the parser could not close, or plain text (tab-separated, or one
    question per line); on a copy without headings, the lines after its title."""
    section = find_section(page.sections, "Scorecard", "Incident Engagement")
    candidates = [rows_of_table(t) for t in tables_in(page, section)]
    candidates.append(_rows_from_lines(section_lines(page, section)))
    if section is None:
        candidates = [rows_of_table(t) for t in page.tables]
        candidates.append(_rows_from_lines(_titled_lines(page)))
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


_TITLE = re.compile(r"Incident Engagement\W*Score\s*Card", re.I)


def _titled_lines(page: Page):
    """The lines after the ScoreCard's title, on a page whose headings are lost."""
    start = next((n for n, text in enumerate(page.lines, 1) if "ngagement" in text and _TITLE.search(text)), None)
    if start is None:
        return []
    return [(n, page.lines[n - 1]) for n in range(start + 1, len(page.lines) + 1)]


def _rows_from_lines(lines) -> list[list[Cell]]:
    """Rows from lines: wiki-table markup the parser left as text, a table
    flattened to tab-separated lines (the seed), or one question per line."""
    if any(text.lstrip().startswith("{|") for _, text in lines):
        return rows_from_markup(lines)
    if any("\t" in text for _, text in lines):
        return _rows_from_tabs(lines)
    return _rows_from_plain(lines)


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


_CATEGORY = re.compile(r"^(?:People|Process|Tooling|Rubric)\s+(?=\S)")


# "(0/5pt)", "(0/5p)", "(0/1 point)"; "(0/-5pt)" is a penalty, 0 or -5 points. Early
# 2022's card scores each question 1 or 0 and says which answer earns the point:
# "(score 1 for yes, 0 for no)", "(score 0 for yes, 1 for no)" (esams-banner-sampling-2022-03-04.txt).
_POINTS_MARK = re.compile(r"\(\s*0\s*/\s*(-?\d{1,2})\s*(?:pts?|points?|p)\.?\s*\)"
                          r"|\(\s*score\s+(\d)\s+for\s+(?:yes|no)\s*,\s*(\d)\s+(?:for|if)\b[^()]*\)", re.I)


def _most_points(mark: re.Match) -> int:
    """The question's maximum: "(0/5pt)" 5; "(score 1 for yes, 0 for no)" 1."""
    return int(mark.group(1)) if mark.group(1) else max(int(mark.group(2)), int(mark.group(3)))


_HINT = re.compile(r"^(?:Answer\s+[“\"']?no[”\"']?\s+if\b[^.]*(?:\.|$)|\((?:score|answer)\b[^)]*\))\s*", re.I)


_TOTAL = re.compile(r"^Total score\b(?:\s*\([^)]*\))?\s*", re.I)


def _rows_from_plain(lines) -> list[list[Cell]]:
    """"People Were fewer than five people paged? yes Not paging": a question,
    its answer (or points) and notes on one line of a plain-text copy."""
    rows = []
    for number, text in lines:
        text = " ".join(text.split())
        if not text or text.startswith(("Retrieved from", "Categories")):
            continue
        total = _TOTAL.match(text)
        if total:
            rows.append([Cell("Total score", "Total score", number), _cell(text[total.end():], number)])
            continue
        text = _CATEGORY.sub("", text)
        split = _split_question(text)
        if split is not None:
            question, answer, notes = split
            rows.append([Cell(question, question, number), _cell(answer, number), _cell(notes, number)])
    return rows


def _cell(text: str, number: int) -> Cell:
    return Cell(text, cell_text(text), number)


def _split_question(text: str):
    """(question text, answer word, notes) of a line that asks a question; None otherwise."""
    points = _POINTS_MARK.search(text)  # the rubric: the question runs to its "(0/5pt)"
    if points:
        end = points.end() + (text[points.end():points.end() + 1] == "?")
        head, rest = text[:end], text[end:]
        question = _match_question(head)
    else:
        mark = text.find("?")
        head = text[:mark + 1] if mark >= 0 else text
        question = _match_question(head)
        rest = text[mark + 1:] if mark >= 0 else (_after_words(text, question) if question else "")
    if question is None:
        return None
    rest = _HINT.sub("", rest.strip(), count=1).strip()
    answer, _, notes = rest.partition(" ")
    return head, answer, notes


def _after_words(text: str, question) -> str:
    """What follows the question's own words in ``text`` (a question without "?")."""
    qwords = _WORDS.findall(question.text.lower())
    position = 0
    for word in qwords:
        match = re.compile(rf"\b{re.escape(word)}\b", re.I).search(text, position)
        if match is None:
            break
        position = match.end()
    return text[position:]


_WORDS = re.compile(r"[a-z0-9]+")


# Wordings of the questions on older pages (2021's rubric, 2022's table), as
# real pages show them (tests/fixtures/reports/corpus/ulsfo-network-2022-03-01.txt,
# beta-cluster-502-2022-08-16.txt); matched like the current wording.
ALIASES = {
    "people-different": ("Were the people responding to this incident sufficiently different than the previous N incidents?",),
    "people-paged-fewer-than-five": ("Did fewer than 5 people get paged?",
                                     "Were more than 5 people paged?"),  # early 2022: its point is for "no"
    "pages-business-hours": ("Were pages routed to online (working hours) engineers?",),
    "status-doc-updated": ("Was the incident status section actively updated during the incident?",),
    "status-page-entry": ("Was the public status page updated?",),
    "task-queue-clear": ("Was the open task queue free of any tasks that would have prevented this incident?",),
    "tools-available": ("Were all engineering tools required available and in service?",),
    "runbook-used": ("Was there a runbook for all known issues present?",),
}


_BY_ID = {q.id: q for q in QUESTIONS}
_QUESTION_WORDS = [(q, _WORDS.findall(q.text.lower())) for q in QUESTIONS] + [
    (_BY_ID[qid], _WORDS.findall(text.lower())) for qid, texts in ALIASES.items() for text in texts]


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
    stated, total_line, first_line, rubric = None, None, None, False
    for row in rows:
        for index, cell in enumerate(row):
            if cell.text.lower().startswith("total score"):
                stated, total_line = _stated_total(row[index + 1:]), cell.line
                break
            question = _match_question(cell.text)
            if question is not None and not cell.header:
                if question.id not in answers:
                    answers[question.id] = _answer(question, cell, row[index + 1:])
                    rubric = rubric or answers[question.id].max_points is not None
                first_line = first_line or cell.line
                break
    ordered = tuple(answers.get(q.id) or ReportAnswer(q.id, q.category, q.text) for q in QUESTIONS)
    kind = ("rubric" if rubric else "15-question") if answers else None
    return ReportScorecard(ordered, stated, bool(answers), first_line, total_line, kind)


def _answer(question, cell: Cell, rest: list[Cell]) -> ReportAnswer:
    raw = rest[0].text if rest else ""
    notes = rest[1].text if len(rest) > 1 else ""
    mark = _POINTS_MARK.search(cell.text)
    if mark is not None:
        most = _most_points(mark)
        return ReportAnswer(question.id, question.category, cell.text, None, raw, notes, cell.line,
                            _points(raw, most), most)
    return ReportAnswer(question.id, question.category, question.text,
                        normalize_answer(rest[0].raw if rest else ""), raw, notes, cell.line)


def _points(raw: str, most: int) -> int | None:
    """``3``, ``3/5``, ``3pt``, ``-5`` (a penalty): the points given, when within
    the question's range (0 to ``most``, which is negative for a penalty)."""
    match = re.match(r"^\s*([-−]?\d{1,2})\s*(?:/\s*-?\d{1,2})?\s*(?:pts?|points?|p)?\s*$", raw)
    if not match:
        return None
    given = int(match.group(1).replace("−", "-"))
    return given if min(0, most) <= given <= max(0, most) else None


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
