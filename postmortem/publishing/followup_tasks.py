"""Follow-up tasks in Phabricator for an incident's actionables (`postmortem followups`).

Wikitech's report template asks authors to "Link to or create a Phabricator
task for every step" and to add the ``#Sustainability (Incident Followup)`` and
``#SRE-OnFIRE (Pending Review & Scorecard)`` tags by hand. Here each
``[[actionable]]`` with neither ``task`` nor ``no-task`` (and not ``done``) is
a task to create: its text the title, a description linking the report page,
the tags of ``[followups] tags`` and, where the actionable names one, its owner.

* :func:`plan_followups` says, purely, what each actionable has or would get.
* :func:`create_followups` looks up everything first — the tags' project PHIDs
  (``project.search`` by ``constraints[query]``, or ``slugs`` for a ``#slug``)
  and the owners' user PHIDs (``user.search`` by ``usernames``) — so that a
  wrong tag or owner creates nothing; then creates the tasks one by one over
  ``maniphest.edit`` (:mod:`postmortem.net.conduit`), writing each one's id into the event
  cache as soon as Phabricator gave it (``followups`` section,
  :meth:`postmortem.collect.cache.EventCache.replace_followups`): a second run creates nothing twice, and the
  user's incident.toml is never rewritten (the report prints the
  ``task = "T…"`` lines to paste). The first failure stops the run; the report
  says which tasks exist, which one failed and how, and which were not tried.
* A request that got no answer may have created its task: it is kept as
  *unconfirmed*, and the next run first looks for it (``maniphest.search`` of
  the tasks the token's user created since then, ``authorPHIDs`` +
  ``createdStart``, with that exact title) before creating it.
* :func:`postmortem.collect.followup_plan.with_created_tasks` gives the incident
  its actionables with the created tasks, for render, update and the scorecard
  (``gather``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from .._version import __version__
from ..core.errors import InputError, PostmortemError, SourceError
from ..core.model import Incident
from ..core.timeutil import UTC, format_utc, parse_instant
from ..core.words import counted
from ..collect import cache
from ..collect.followup_plan import Followup, plan_followups
from ..net.responses import shorten

# How far before an unanswered request a task it created may carry as its creation time (clock skew).
SKEW = dt.timedelta(minutes=10)


def page_url(incident: Incident, page: str | None = None) -> str:
    """The report page's address: ``[followups] page_url`` with the title for ``$1``,
    encoded as MediaWiki does (spaces as underscores; wfUrlencode's safe characters)."""
    title = (page or incident.page_title).replace(" ", "_")
    return incident.followups.page_url.replace("$1", quote(title, safe="/:@$!*(),;~"))


def description(incident: Incident, item: Followup, page: str | None = None) -> str:
    """Remarkup: a link to the report, the whole text when the title had to be cut
    (as ``%%%`` literal text, so that nothing in it mentions or embeds), the tool."""
    name = page or incident.page_title
    lines = [f"Follow-up of the incident [[ {page_url(incident, page)} | {name} ]] "
             f"(actionable {item.number} of its report)."]
    if item.title != " ".join(item.actionable.text.split()):
        lines += ["", "%%%" + " ".join(item.actionable.text.split()).replace("%%%", "% % %") + "%%%"]
    return "\n".join(lines + ["", f"Created by postmortem {__version__} from the incident's actionables."])


# -- creating -----------------------------------------------------------------------

@dataclass
class FollowupReport:
    """What `followups` saw and did: the plan (states as they are now), the
    ones created in this run, the one that failed and why, and whether it only
    looked (``dry_run``: the transactions it would send). ``tags`` and ``link``
    are what new tasks get; ``tasks`` what the last pull said about tasks."""

    plan: list[Followup]
    tags: tuple[str, ...] = ()
    link: str = ""
    tasks: dict = field(default_factory=dict)
    created: list[Followup] = field(default_factory=list)
    failed: Followup | None = None
    error: PostmortemError | None = None
    dry_run: bool = False
    transactions: dict[int, list] = field(default_factory=dict)
    found: list[Followup] = field(default_factory=list)   # unconfirmed ones found in Phabricator
    unrecorded: Followup | None = None   # created, but the cache could not be written

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def not_tried(self) -> list[Followup]:
        """Tasks still to create after a failure (the next run creates them)."""
        return [f for f in self.plan if f.state in ("to-create", "unconfirmed") and f is not self.failed] \
            if self.error else []

    def to_json(self) -> dict:
        """``{"tags", "link", "actionables": [{"number", "text", "state", "done", "task", "title", "at"}],
        "created": [task ids], "failed": number or null, "error", "not_tried": [numbers]}``."""
        return {"tags": list(self.tags), "link": self.link,
                "actionables": [{"number": f.number, "text": f.actionable.text, "state": f.state,
                                 "done": f.actionable.done, "task": f.task, "title": f.title, "at": f.at or None}
                                for f in self.plan],
                "created": [f.task for f in self.created + self.found],
                "failed": self.failed.number if self.failed else None,
                "error": str(self.error) if self.error else None,
                "not_tried": [f.number for f in self.not_tried]}

    def lines(self) -> list[str]:
        """A line per actionable, then what this run did, then the lines to paste."""
        if not self.plan:
            return ["no [[actionable]] in the incident: no follow-up task to create"]
        lines = [self._line(f) for f in self.plan]
        lines += [f"found {f.task} for actionable {f.number}: the request that got no answer had created it"
                  for f in self.found]
        if self.created:
            lines.append(f"created {counted(len(self.created), 'task')}: "
                         + ", ".join(f"{f.task} (actionable {f.number})" for f in self.created))
        if self.unrecorded is not None:
            item = self.unrecorded
            lines.append(f"{item.task} was created for actionable {item.number} but could not be kept in the "
                         f"event cache ({self.error}): add task = \"{item.task}\" to that [[actionable]] before "
                         f"running the command again, or it creates the task a second time")
        if self.error is not None:
            existing = [f.task for f in self.plan if f.state in ("task", "created")]
            lines.append("the tasks that exist: " + (", ".join(existing) if existing else "none"))
            left = [f"actionable {f.number} (failed)" for f in (self.failed,) if f is not None] + \
                [f"actionable {f.number} (not tried)" for f in self.not_tried]
            lines.append(f"still to create: {', '.join(left)}: run the command again to create them")
        made = [f for f in self.plan if f.state == "created"]
        if made:
            lines.append("the tasks made for actionables are kept in the event cache, so render and update "
                         "show them; to have them in incident.toml, add to each [[actionable]]:")
            lines += [f"  actionable {f.number} ({shorten(f.actionable.text, 50)!r}): task = \"{f.task}\""
                      for f in made]
        return lines

    def _line(self, item: Followup) -> str:
        head = f"actionable {item.number}: "
        if item.actionable.done and item.state != "done":   # said, not left to the reason's words
            head += "done, "
        if item is self.failed:
            return head + _failure(self.error)
        if item.state in ("task", "created"):
            origin = "given in incident.toml" if item.state == "task" else f"created by postmortem {_when(item.at)}"
            return head + f"{item.task} ({origin}){_task_state(self.tasks.get(item.task))}"
        if item.state == "no-task":
            return head + f"no task ({item.actionable.no_task})"
        if item.state == "done":
            return head + "done, without a task: none is created (give it task or no-task to settle it)"
        if item.state == "unconfirmed" and not self.transactions:
            return head + (f"unconfirmed: asked at {_when(item.at)}, no answer came; the next --create run looks "
                           f"for it in Phabricator before creating it")
        steps = self.transactions.get(item.number)
        if self.dry_run and steps is not None:
            return head + "would send maniphest.edit " + "; ".join(f"{k} = {_shown(v)}" for k, v in steps)
        if self.error is not None:
            return head + f"not tried: {item.title!r}"
        tags = ", ".join(self.tags) or "no tags"
        owner = f", owner {item.actionable.owner}" if item.actionable.owner else ""
        return head + f"to create: {item.title!r} tagged {tags}{owner}, linking {self.link}"


def _failure(err) -> str:
    if getattr(err, "code", None):
        return f"NOT created (Conduit refused it; nothing was changed for it): {err}"
    return ("UNKNOWN whether created: the request got no usable answer; the next --create run looks "
            f"for it before creating it: {err}")


def _when(at: str) -> str:
    """``2024-03-05T12:00:00Z`` as ``2024-03-05 12:00 UTC``."""
    return f"{at[:10]} {at[11:16]} UTC" if len(at) >= 16 else at


def _task_state(info) -> str:
    if info is None:
        return ""
    changed = f", last changed {info.modified:%Y-%m-%d %H:%M} UTC" if info.modified else ""
    owner = f", owner {info.owner}" if info.owner else ""
    return f": {info.status}{owner}{changed}"


def _shown(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(shorten(value, 80))


def followups(incident: Incident, *, create: bool = False, dry_run: bool = False, page: str | None = None,
              session=None, clock=None) -> FollowupReport:
    """`postmortem followups INCIDENT.toml`: without ``create`` (or with nothing
    to create), what each actionable has or would get (no network); with it,
    :func:`create_followups` over the Conduit of the incident's ``phabricator`` source."""
    pulled = cache.EventCache(incident)
    plan = plan_followups(incident, pulled.followups)
    if not create or not any(f.state in ("to-create", "unconfirmed") for f in plan):
        return _report(incident, plan, page, pulled)   # nothing to ask Phabricator
    from ..collect.sources.phabricator import conduit_for
    config = next((s for s in incident.sources if s.type == "phabricator"), None)
    if config is None:
        raise InputError("followups --create needs a [[source]] of type \"phabricator\" (url, token_env)",
                         file=incident.path)
    if session is None:
        from ..net.http import new_session
        session = new_session(timeout=30.0, retries=2, deadline=300.0)
    return create_followups(incident, conduit_for(config, session), page=page, dry_run=dry_run, clock=clock,
                            pulled=pulled)


def _report(incident: Incident, plan: list[Followup], page, pulled: cache.EventCache, **fields) -> FollowupReport:
    return FollowupReport(plan, tags=incident.followups.tags, link=page_url(incident, page),
                          tasks=pulled.tasks, **fields)


def create_followups(incident: Incident, conduit, *, page: str | None = None, dry_run: bool = False,
                     clock=None, pulled: cache.EventCache | None = None) -> FollowupReport:
    """Create the tasks of :func:`plan_followups` (see the module's docstring).
    ``conduit`` is a :class:`~postmortem.net.conduit.Conduit`; ``clock()``
    the current UTC time (for the cache); ``pulled`` the cache the command
    read (default: read now). Lookup errors (a tag or owner
    Phabricator does not know) raise before anything is created; a failure
    while creating stops there and is in the report."""
    now = clock or (lambda: dt.datetime.now(UTC))
    pulled = pulled or cache.EventCache(incident)
    created = dict(pulled.followups)
    report = _report(incident, plan_followups(incident, created), page, pulled, dry_run=dry_run)
    pending = [f for f in report.plan if f.state in ("to-create", "unconfirmed")]
    if not pending:
        return report
    try:
        if any(f.state == "unconfirmed" for f in pending):
            pending = _settle_unconfirmed(conduit, report, created, pending, dry_run, pulled)
        tags = project_phids(conduit, incident.followups.tags)
        owners = _owner_phids(conduit, pending)
    except SourceError as err:  # a lookup failed: say that nothing was created
        err.message = f"{err.message.rstrip('.')}; no task was created"
        raise
    for item in pending:
        report.transactions[item.number] = _transactions(incident, item, page, tags, owners)
    if dry_run:
        return report
    for item in pending:
        if not _create_one(conduit, report, created, item, now, pulled):
            break
    return report


def _create_one(conduit, report: FollowupReport, created: dict, item: Followup, now, pulled) -> bool:
    """One task; its id into the cache at once. False (and the report says why) when it failed."""
    tried = format_utc(now())
    try:
        task_id, _ = conduit.create_task(report.transactions[item.number])
    except SourceError as err:
        if not getattr(err, "code", None):  # no Conduit answer: it may exist; the next run looks
            created[item.key] = cache.CreatedTask(item.key, item.actionable.text, item.title, None, tried)
            _record(pulled, created)
            item = report.plan[item.number - 1] = replace(item, state="unconfirmed", at=tried)
        report.failed, report.error = item, err
        return False
    done = replace(item, state="created", task=f"T{task_id}", at=tried)
    report.created.append(done)
    report.plan[item.number - 1] = done
    created[item.key] = cache.CreatedTask(item.key, item.actionable.text, item.title, done.task, tried)
    try:
        _record(pulled, created)
    except PostmortemError as err:  # the task exists; only the user can keep it now
        report.unrecorded, report.error = done, err
        return False
    return True


def _settle_unconfirmed(conduit, report: FollowupReport, created: dict, pending: list, dry_run: bool,
                        pulled) -> list[Followup]:
    """Look for the tasks of unanswered requests among those the token's user
    created since; the ones found are created, the others still to create."""
    unconfirmed = [f for f in pending if f.state == "unconfirmed"]
    since = min(parse_instant(f.at) for f in unconfirmed) - SKEW
    mine = conduit.search("maniphest.search", {"authorPHIDs": [conduit.whoami()],
                                               "createdStart": int(since.timestamp())}, max_pages=10)
    by_title = {}
    for task in sorted(mine, key=lambda t: t.get("id", 0)):
        fields = task.get("fields") if isinstance(task.get("fields"), dict) else {}
        by_title.setdefault(fields.get("name"), task.get("id"))
    still = []
    for item in pending:
        found = by_title.get(item.title) if item.state == "unconfirmed" else None
        if not isinstance(found, int):
            still.append(item)
            continue
        done = replace(item, state="created", task=f"T{found}")
        report.found.append(done)
        report.plan[item.number - 1] = done
        if not dry_run:
            created[item.key] = cache.CreatedTask(item.key, item.actionable.text, item.title, done.task, item.at)
            _record(pulled, created)
    return still


def _record(pulled: cache.EventCache, created: dict) -> None:
    """The created tasks into the cache at once (a task that exists must never be made twice)."""
    pulled.replace_followups(created)
    pulled.save()


def project_phids(conduit, tags) -> list[str]:
    """The PHID of each tag: a ``#slug`` by ``slugs``, a name by ``query`` and then
    the project of exactly that name (case aside). InputError for a tag
    Phabricator has no project for, or several."""
    phids = []
    for tag in tags:
        if tag.startswith("#"):
            slug = tag[1:].strip().lower().replace(" ", "_")
            found = conduit.search("project.search", {"slugs": [slug]})
            found = [p for p in found if str(_field(p, "slug")).lower() == slug] or found  # an extra hashtag
        else:
            found = [p for p in conduit.search("project.search", {"query": tag}, max_pages=5)
                     if str(_field(p, "name")).casefold() == tag.casefold()]
        if len(found) != 1:
            what = "no project" if not found else f"{len(found)} projects"
            raise InputError(f"Phabricator has {what} for the follow-up tag {tag!r} "
                             f"([followups] tags: a project's name, or #slug); nothing was created",
                             url=conduit.base + "project.search", key="tags")
        phids.append(found[0]["phid"])
    return phids


def _field(item: dict, name: str):
    fields = item.get("fields")
    return fields.get(name) if isinstance(fields, dict) else None


def _owner_phids(conduit, pending: list[Followup]) -> dict[str, str]:
    names = {f.actionable.owner for f in pending if f.actionable.owner}
    if not names:
        return {}
    found = conduit.user_phids(names)
    for item in pending:
        if item.actionable.owner and item.actionable.owner not in found:
            raise InputError(f"actionable {item.number}: Phabricator has no user {item.actionable.owner!r} "
                             f"(its owner); nothing was created", url=conduit.base + "user.search", key="owner")
    return found


def _transactions(incident, item: Followup, page, tags: list[str], owners: dict) -> list:
    """``maniphest.edit`` transactions: title, description, projects.add, owner."""
    steps = [("title", item.title), ("description", description(incident, item, page))]
    steps += [("projects.add", list(tags))] if tags else []
    owner = item.actionable.owner
    return steps + ([("owner", owners[owner])] if owner else [])
