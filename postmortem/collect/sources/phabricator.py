"""Source ``phabricator``: the actionables' tasks from Phabricator Conduit.

Conduit (https://secure.phabricator.com/conduit/method/maniphest.search/,
``user.search``): ``POST <url>/api/<method>`` with form fields ``api.token``,
``constraints[ids][0]=347884``…, ``limit`` (at most 100) and ``after``::

    {"result": {"data": [{"id": 347884, "phid": "PHID-TASK-…", "fields": {"name": "…",
                "status": {"value": "open", "name": "Open"}, "ownerPHID": "PHID-USER-…"}}],
                "cursor": {"limit": 100, "after": null, "before": null}},
     "error_code": null, "error_info": null}
    {"result": null, "error_code": "ERR-INVALID-AUTH", "error_info": "API token …"}

All tasks go in batches of 100 ids (one request for up to 100 actionables);
the owners of all of them in one ``user.search`` batch. The token travels
only in the POST body, over https or to this machine.

This source gives no timeline events: :func:`fetch_tasks` returns
:class:`TaskInfo` per task — title, status, owner, ``dateCreated``,
``dateModified`` and whether ``dateClosed`` is set (``pull`` stores them in
the cache's ``tasks`` section, refreshed on every pull: tasks change after the
incident) — and :func:`enrich_actionables` puts status, owner and last change
on the actionables. Tasks Phabricator does not know are left out of the
result. The calls themselves are :class:`postmortem.net.conduit.Conduit`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Iterable

from ...core.model import Actionable, Event, SourceConfig, TaskInfo, Window
from ...core.accounting import Tally
from ...core.timeutil import from_epoch
from . import BaseSource, check_options, check_url, option, token
from ...net.conduit import BATCH, Conduit
from ...net.web import format_error

TYPE = "phabricator"


class PhabricatorSource(BaseSource):
    """``url`` of a Phabricator and ``token_env`` naming its Conduit API token."""

    type = TYPE
    label = None
    family = "tasks"
    network = True
    gives_tasks = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url`` and ``token_env`` (both required)."""
        check_options(config, ("url", "token_env"))
        check_url(config)
        option(config, "token_env", required=True)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """No timeline events: this source enriches actionables (see :func:`fetch_tasks`)."""
        return []

    def fetch_tasks(self, config: SourceConfig, task_ids: Iterable[str], session) -> dict:
        """See :func:`fetch_tasks`."""
        return fetch_tasks(config, task_ids, session)


def fetch_tasks(config: SourceConfig, task_ids: Iterable[str], session) -> dict[str, TaskInfo]:
    """``{"T123": TaskInfo}`` for the tasks Phabricator knows, in as few requests as it allows."""
    wanted = sorted({t for t in task_ids if t}, key=lambda t: int(t[1:]))
    if not wanted:
        return {}
    return task_infos(conduit_for(config, session), wanted)


def conduit_for(config: SourceConfig, session) -> Conduit:
    """The Conduit client of a ``phabricator`` source (its token, errors naming the source)."""
    url = option(config, "url").rstrip("/")
    return Conduit(url, token(config, url + "/api/", required=True), session, name=config.name)


def task_infos(conduit: Conduit, wanted: list[str]) -> dict[str, TaskInfo]:
    """``maniphest.search`` by ids, 100 a request, and the owners in one ``user.search`` batch."""
    tasks = []
    for start in range(0, len(wanted), BATCH):
        batch = [int(t[1:]) for t in wanted[start:start + BATCH]]
        tasks.extend(conduit.search("maniphest.search", {"ids": batch}))
    owners = conduit.usernames({_owner_phid(t) for t in tasks} - {None})
    infos = [(task, _task_info(task, owners, conduit)) for task in tasks]
    return {f"T{task['id']}": info for task, info in infos}


def enrich_actionables(actionables: Iterable[Actionable], tasks: dict) -> tuple[Actionable, ...]:
    """Actionables with ``status``, ``changed`` and (unless given) ``owner`` from their task."""
    result = []
    for item in actionables:
        info = tasks.get(item.task) if item.task else None
        if info is not None:
            item = replace(item, status=info.status, owner=item.owner or info.owner, changed=info.modified)
        result.append(item)
    return tuple(result)


def _owner_phid(task) -> str | None:
    fields = task.get("fields") if isinstance(task, dict) else None
    return fields.get("ownerPHID") if isinstance(fields, dict) else None


def _task_info(task, owners: dict, conduit: Conduit) -> TaskInfo:
    fields = task.get("fields") if isinstance(task, dict) else None
    status = fields.get("status") if isinstance(fields, dict) else None
    if not isinstance(status, dict) or not isinstance(task.get("id"), int) \
            or not isinstance(fields.get("name"), str):
        raise format_error(f"maniphest.search task without id, name or status: {str(task)[:80]!r}",
                           source=conduit.name, url=conduit.base + "maniphest.search")
    closed = (fields["dateClosed"] is not None) if "dateClosed" in fields else None
    return TaskInfo(title=fields["name"], status=str(status.get("value", "")),
                    owner=owners.get(fields.get("ownerPHID")), created=_epoch(fields.get("dateCreated")),
                    modified=_epoch(fields.get("dateModified")), closed=closed)


def _epoch(value) -> dt.datetime | None:
    """A ``date*`` field (integer epoch seconds, [DATES] of the Conduit notes); None when absent."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return from_epoch(value)


SOURCE = PhabricatorSource()
