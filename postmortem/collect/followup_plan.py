"""What each actionable has or would get in Phabricator, from incident.toml and
the tasks `postmortem followups --create` wrote into the event cache (pure):
:func:`plan_followups` for the command (:mod:`postmortem.publishing.followup_tasks`),
:func:`with_created_tasks` for ``gather``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..core.model import Actionable, Incident
from ..net.responses import shorten
from . import cache

TITLE_LIMIT = 200   # a longer text is cut for the title and given whole in the description


@dataclass(frozen=True)
class Followup:
    """One actionable and its task: ``state`` is ``task`` (given in incident.toml),
    ``no-task``, ``done`` (nothing to create), ``created`` (made by this tool:
    ``task``), ``unconfirmed`` (tried, no answer) or ``to-create``."""

    number: int          # the actionable's place among the [[actionable]] tables, from 1
    actionable: Actionable
    state: str
    title: str
    task: str | None = None
    at: str = ""         # when it was created or tried
    key: str = ""        # what ties its created task to it in the cache (cache.actionable_key)


def plan_followups(incident: Incident, created: dict[str, cache.CreatedTask]) -> list[Followup]:
    """What each actionable has, or would get (pure)."""
    plan, seen = [], {}
    for number, item in enumerate(incident.actionables, 1):
        title = task_title(item.text)
        key = cache.actionable_key(item.text, seen.setdefault(" ".join(item.text.split()), [0]))
        known = created.get(key)
        if item.task:
            plan.append(Followup(number, item, "task", title, item.task, key=key))
        elif item.no_task:
            plan.append(Followup(number, item, "no-task", title, key=key))
        elif known is not None:
            plan.append(Followup(number, item, "created" if known.task else "unconfirmed", title, known.task,
                                 known.at, key=key))
        elif item.done:
            plan.append(Followup(number, item, "done", title, key=key))
        else:
            plan.append(Followup(number, item, "to-create", title, key=key))
    return plan


def with_created_tasks(incident: Incident, created: dict[str, cache.CreatedTask]) -> Incident:
    """The incident with each actionable that has no task of its own given the
    task this tool created for it (incident.toml itself stays as the user wrote it)."""
    if not created:
        return incident
    items = tuple(replace(f.actionable, task=f.task) if f.state == "created" else f.actionable
                  for f in plan_followups(incident, created))
    return replace(incident, actionables=items)


def task_title(text: str) -> str:
    """The task's title: the actionable's text on one line, cut at a word past TITLE_LIMIT."""
    return shorten(text, TITLE_LIMIT)
