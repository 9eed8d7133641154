"""Whether an actionable is settled: the one definition that `lint` (a report's
actionables) and the scorecard's "Are the documented action items assigned?"
(incident.toml's) both use.

Wikitech's report template asks for "a Phabricator task for every step", and
the scorecard asks whether the action items are assigned. So:

* a done actionable needs nothing more (no task, no owner);
* an open one is assigned when it has a task with an owner;
* an open one without a task is either waived (``no-task = "why"``, a decision
  `lint` accepts, but nobody is assigned to it) or missing its task (`lint`'s
  ``no-task`` finding).
"""

from __future__ import annotations

DONE = "done"           # nothing left to assign
ASSIGNED = "assigned"   # open, a task with an owner
NO_OWNER = "no-owner"   # open, a task without an owner
WAIVED = "waived"       # open, no task on purpose (a reason given)
NO_TASK = "no-task"     # open, no task and no reason


def assignment(*, has_task: bool, done: bool, waived: bool, owner: str | None = None) -> str:
    """One of DONE, ASSIGNED, NO_OWNER, WAIVED, NO_TASK."""
    if done:
        return DONE
    if not has_task:
        return WAIVED if waived else NO_TASK
    return ASSIGNED if owner else NO_OWNER


def is_assigned(verdict: str) -> bool:
    """Whether an actionable of this verdict counts as assigned on the scorecard."""
    return verdict in (DONE, ASSIGNED)
