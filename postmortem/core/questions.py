"""The Incident Engagement ScoreCard's 15 questions, as data.

Question text is exactly as in Wikitech's report template (the Scorecard
table of tests/fixtures/reports/wikitech/*.wiki); ids are the public contract
(docs/formats.md). The score is always the count of "yes".
"""

from __future__ import annotations

from dataclasses import dataclass


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
