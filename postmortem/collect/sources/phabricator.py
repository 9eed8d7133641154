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
:class:`TaskInfo` per task (``pull`` stores them in the cache's ``tasks``
section) and :func:`enrich_actionables` puts status and owner on the
actionables. Tasks Phabricator does not know are left out of the result.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from ...core.errors import SourceError
from ...core.model import Actionable, Event, SourceConfig, TaskInfo, Window
from ...core.accounting import Tally
from . import BaseSource, check_options, option
from ..answers import public_url, redact, shorten
from ._web import check_url, format_error, json_answer, request, token

TYPE = "phabricator"
BATCH = 100  # Conduit's largest page


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
    conduit = _Conduit(config, session)
    tasks = []
    for start in range(0, len(wanted), BATCH):
        batch = [int(t[1:]) for t in wanted[start:start + BATCH]]
        tasks.extend(conduit.search("maniphest.search", "ids", batch))
    owners = conduit.usernames({_owner_phid(t) for t in tasks} - {None})
    infos = [(task, _task_info(task, owners, conduit)) for task in tasks]
    return {f"T{task['id']}": info for task, info in infos}


def enrich_actionables(actionables: Iterable[Actionable], tasks: dict) -> tuple[Actionable, ...]:
    """Actionables with ``status`` and (unless given) ``owner`` from their task."""
    result = []
    for item in actionables:
        info = tasks.get(item.task) if item.task else None
        if info is not None:
            item = replace(item, status=info.status, owner=item.owner or info.owner)
        result.append(item)
    return tuple(result)


class _Conduit:
    """Calls to one Phabricator's Conduit API."""

    def __init__(self, config: SourceConfig, session):
        self.base = option(config, "url").rstrip("/") + "/api/"
        self.name = config.name
        self.secret = token(config, self.base, required=True)
        self.session = session

    def search(self, method: str, constraint: str, values: list) -> list[dict]:
        """Every result of a ``*.search`` method, following ``cursor.after``."""
        form = {f"constraints[{constraint}][{n}]": str(v) for n, v in enumerate(values)}
        found, after = [], None
        for _ in range(len(values) // BATCH + 2):
            result = self.call(method, {**form, "limit": str(BATCH), **({"after": after} if after else {})})
            if not all(isinstance(item, dict) for item in result["data"]):
                raise format_error(f"{method} data holding something other than objects",
                                   source=self.name, url=self.base + method)
            found.extend(result["data"])
            cursor = result.get("cursor") or {}
            after = cursor.get("after") if isinstance(cursor, dict) else None
            if not after:
                return found
        raise format_error(f"{method} kept returning pages", source=self.name, url=self.base + method)

    def usernames(self, phids: set) -> dict[str, str]:
        """``{PHID-USER-…: username}`` for every owner, in batches."""
        phids, names = sorted(phids), {}
        for start in range(0, len(phids), BATCH):
            for user in self.search("user.search", "phids", phids[start:start + BATCH]):
                fields = user.get("fields") if isinstance(user, dict) else None
                if isinstance(fields, dict) and fields.get("username"):
                    names[user.get("phid")] = fields["username"]
        return names

    def call(self, method: str, form: dict) -> dict:
        """One Conduit call; SourceError for an ``error_code``, format errors for the rest."""
        url = self.base + method
        response = request(self.session, "POST", url, data={"api.token": self.secret, **form},
                           source=self.name, secrets=[self.secret], allow_redirects=False)
        answer = json_answer(response, source=self.name, secrets=[self.secret])
        if not isinstance(answer, dict) or "error_code" not in answer or "result" not in answer:
            raise format_error("not a Conduit answer (no result/error_code)", source=self.name, url=url)
        if answer["error_code"]:
            raise _conduit_error(answer, self.secret, self.name, url)
        result = answer["result"]
        if not isinstance(result, dict) or not isinstance(result.get("data"), list):
            raise format_error("Conduit result without a 'data' list", source=self.name, url=url)
        return result


def _conduit_error(answer: dict, secret: str, name: str, url: str) -> SourceError:
    info = shorten(redact(str(answer.get("error_info") or ""), [secret]))
    return SourceError(f"Conduit error {answer['error_code']}: {info}", source=name, url=public_url(url))


def _owner_phid(task) -> str | None:
    fields = task.get("fields") if isinstance(task, dict) else None
    return fields.get("ownerPHID") if isinstance(fields, dict) else None


def _task_info(task, owners: dict, conduit: _Conduit) -> TaskInfo:
    fields = task.get("fields") if isinstance(task, dict) else None
    status = fields.get("status") if isinstance(fields, dict) else None
    if not isinstance(status, dict) or not isinstance(task.get("id"), int) \
            or not isinstance(fields.get("name"), str):
        raise format_error(f"maniphest.search task without id, name or status: {str(task)[:80]!r}",
                           source=conduit.name, url=conduit.base + "maniphest.search")
    return TaskInfo(title=fields["name"], status=str(status.get("value", "")),
                    owner=owners.get(fields.get("ownerPHID")))


SOURCE = PhabricatorSource()
