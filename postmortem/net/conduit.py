"""Phabricator's Conduit API: the one client, for reading tasks and creating them.

Conduit (https://secure.phabricator.com/book/phabdev/article/conduit/; the
request decoding and the envelope are phacility/phabricator
``src/applications/conduit/controller/PhabricatorConduitAPIController.php``):
``POST <url>/api/<method>`` with the form field ``api.token`` and PHP-style
nested keys (``constraints[ids][0]=347884``, ``transactions[0][type]=title``).
Every answer, errors included, is HTTP 200 with the envelope::

    {"result": …, "error_code": null, "error_info": null}
    {"result": null, "error_code": "ERR-CONDUIT-CORE", "error_info": "…"}

* ``*.search`` (``maniphest.search``, ``user.search``, ``project.search``;
  ``PhabricatorApplicationSearchEngine``): ``constraints``, ``limit`` (at most
  100) and ``after`` → ``{"data": [{"id", "phid", "fields"}], "cursor": {"after"}}``,
  followed until ``cursor.after`` is null (while each page brings a result
  not seen before, within the pages the constraints can fill:
  :mod:`postmortem.net.pagination`).
* ``maniphest.edit`` (``PhabricatorEditEngine::buildConduitResponse``): without
  ``objectIdentifier`` it creates a task from ``transactions`` (``title``,
  ``description``, ``owner`` a user PHID, ``projects.add`` a list of project
  PHIDs) → ``{"object": {"id", "phid"}, "transactions": [{"phid"}]}`` (``id`` a
  string on old installs).
* ``user.whoami`` → ``{"phid", "userName", …}``: whose token this is.

The token travels only in the POST body, over https or to this machine, and
is cut out of every message. A write is never retried: a second attempt after
an answer that did not arrive could create the same task twice. An error the
envelope names (``err.code``, e.g. ``ERR-CONDUIT-CORE``) means Conduit did
nothing; any other failure of a write leaves it unknown whether it happened.
"""

from __future__ import annotations

import contextlib

from ..core.errors import SourceError
from .responses import public_url, server_text
from .pagination import MAX_REQUESTS, Pagination
from .web import format_error, json_answer, request

BATCH = 100  # Conduit's largest page


def form_fields(prefix: str, value) -> dict[str, str]:
    """PHP-style form keys for a nested value: ``{"ids": [1, 2]}`` under
    ``constraints`` → ``constraints[ids][0]=1``, ``constraints[ids][1]=2``."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in form_fields(f"{prefix}[{key}]", item).items()}
    if isinstance(value, (list, tuple)):
        return {k: v for n, item in enumerate(value) for k, v in form_fields(f"{prefix}[{n}]", item).items()}
    return {prefix: str(value)}


class Conduit:
    """Calls to one Phabricator's Conduit API at ``url`` with ``token``;
    errors name ``name`` (a source, or the command's Phabricator) and the URL."""

    def __init__(self, url: str, token: str, session, *, name: str = "phabricator"):
        self.url = url.rstrip("/")
        self.base = self.url + "/api/"
        self.name = name
        self.secret = token
        self.session = session

    # -- reading --------------------------------------------------------------------

    def search(self, method: str, constraints: dict, *, max_pages: int | None = None) -> list[dict]:
        """Every result of a ``*.search`` method, following ``cursor.after`` (at most
        ``max_pages`` requests, else as many as the longest constraint list fills, and one more)."""
        form = form_fields("constraints", constraints)
        longest = max((len(v) for v in constraints.values() if isinstance(v, (list, tuple))), default=0)
        found, after = [], None
        pages = Pagination(lambda message: format_error(f"{method}: {message}", source=self.name,
                                                        url=self.base + method),
                           what="after", most=min(max_pages or longest // BATCH + 2, MAX_REQUESTS))
        while True:
            pages.ask()
            result = self.call(method, {**form, "limit": str(BATCH), **({"after": after} if after else {})})
            if not isinstance(result, dict) or not isinstance(result.get("data"), list):
                raise format_error("Conduit result without a 'data' list", source=self.name, url=self.base + method)
            if not all(isinstance(item, dict) for item in result["data"]):
                raise format_error(f"{method} data holding something other than objects",
                                   source=self.name, url=self.base + method)
            found.extend(result["data"])
            cursor = result.get("cursor") or {}
            after = cursor.get("after") if isinstance(cursor, dict) else None
            if not isinstance(after, (str, int)) or isinstance(after, bool):
                after = None  # null (the last page), or no cursor Conduit sends
            if not pages.more(after or None, [item.get("phid") or item.get("id") for item in result["data"]]):
                return found

    def usernames(self, phids) -> dict[str, str]:
        """``{PHID-USER-…: username}`` for these users, in batches of 100."""
        return self._users("phids", sorted(set(phids)))

    def user_phids(self, usernames) -> dict[str, str]:
        """``{username: PHID-USER-…}`` for the users Phabricator knows (``user.search``
        by ``usernames``); a name it does not know is left out."""
        wanted = sorted(set(usernames))
        by_name = {name.lower(): phid for phid, name in self._users("usernames", wanted).items()}
        return {name: by_name[name.lower()] for name in wanted if name.lower() in by_name}

    def _users(self, constraint: str, values: list) -> dict[str, str]:
        names = {}
        for start in range(0, len(values), BATCH):
            for user in self.search("user.search", {constraint: values[start:start + BATCH]}):
                fields = user.get("fields")
                if isinstance(fields, dict) and isinstance(fields.get("username"), str) and user.get("phid"):
                    names[user["phid"]] = fields["username"]
        return names

    def whoami(self) -> str:
        """The PHID of the user whose token this is (``user.whoami``)."""
        result = self.call("user.whoami", {})
        if not isinstance(result, dict) or not isinstance(result.get("phid"), str):
            raise format_error("user.whoami without a phid", source=self.name, url=self.base + "user.whoami")
        return result["phid"]

    # -- writing --------------------------------------------------------------------

    def create_task(self, transactions: list[tuple[str, object]]) -> tuple[int, str]:
        """Create a task (``maniphest.edit`` without ``objectIdentifier``); its id and PHID.
        Sent once, never retried (see the module's docstring)."""
        form = {}
        for number, (kind, value) in enumerate(transactions):
            form[f"transactions[{number}][type]"] = kind
            form.update(form_fields(f"transactions[{number}][value]", value))
        with _no_retries(self.session):
            result = self.call("maniphest.edit", form)
        created = result.get("object") if isinstance(result, dict) else None
        task_id = created.get("id") if isinstance(created, dict) else None
        if isinstance(task_id, str) and task_id.isdigit():
            task_id = int(task_id)  # older installs send it as a string
        if not isinstance(task_id, int) or isinstance(task_id, bool) or not isinstance(created.get("phid"), str):
            raise format_error(f"maniphest.edit answer without object.id and object.phid: {str(result)[:80]!r}",
                               source=self.name, url=self.base + "maniphest.edit")
        return task_id, created["phid"]

    # -- the envelope ------------------------------------------------------------------

    def call(self, method: str, form: dict):
        """One Conduit call: its ``result``. An ``error_code`` is a SourceError
        whose ``code`` is that code; an answer that is no envelope a format error."""
        url = self.base + method
        response = request(self.session, "POST", url, data={"api.token": self.secret, **form},
                           source=self.name, secrets=[self.secret], allow_redirects=False)
        answer = json_answer(response, source=self.name, secrets=[self.secret])
        if not isinstance(answer, dict) or "error_code" not in answer or "result" not in answer:
            raise format_error("not a Conduit answer (no result/error_code)", source=self.name, url=url)
        if answer["error_code"]:
            raise conduit_error(answer, self.secret, self.name, url)
        return answer["result"]


def conduit_error(answer: dict, secret: str, name: str, url: str) -> SourceError:
    """The SourceError for an envelope's ``error_code`` (kept as ``err.code``)."""
    info = server_text(answer.get("error_info") or "", [secret])
    err = SourceError(f"Conduit error {answer['error_code']}: {info}", source=name, url=public_url(url))
    err.code = str(answer["error_code"])
    return err


@contextlib.contextmanager
def _no_retries(session):
    """No second attempt within the block (a session without ``retries`` has none anyway)."""
    saved = getattr(session, "retries", None)
    if saved is not None:
        session.retries = 0
    try:
        yield
    finally:
        if saved is not None:
            session.retries = saved


def conduit_at(url: str, token_env: str, *, session=None, name: str = "phabricator") -> Conduit:
    """A Conduit client for ``url`` with the token in ``token_env`` (the
    environment or the owner-only credentials file), only over https or to this
    machine; its own bounded session unless one is given."""
    from .http import new_session, require_secure, secret
    url = url.rstrip("/")
    require_secure(url + "/api/", f"the {token_env} token")
    token = secret(token_env)
    return Conduit(url, token, session if session is not None else new_session(timeout=30.0, deadline=600.0),
                   name=name)
