"""Source ``gerrit``: the changes merged in the window, from Gerrit's REST API
(gerrit.wikimedia.org), for the lead-up of a report.

Gerrit REST API ("Query Changes",
https://gerrit-review.googlesource.com/Documentation/rest-api-changes.html#list-changes;
"Output Format" and "Timestamp" in .../rest-api.html; search operators in
.../user-search.html)::

    GET {url}/changes/?q=status:merged after:"2023-09-27 14:33:00" before:"2023-10-10 14:44:54"
        &o=DETAILED_ACCOUNTS&n=100&S=0
    )]}'
    [{"id": "operations%2Fpuppet~production~I3f1c…", "project": "operations/puppet",
      "branch": "production", "change_id": "I3f1c…", "subject": "…", "status": "MERGED",
      "created": "…", "updated": "2024-03-05 06:52:40.000000000",
      "submitted": "2024-03-05 06:50:03.000000000", "_number": 1008811,
      "owner": {"_account_id": 4821, "name": "…", "username": "akowalski"},
      "submitter": {…}, "_more_changes": true}]

- Every JSON answer starts with the line ``)]}'`` (against cross-site script
  inclusion), stripped before parsing; an answer without it is no Gerrit answer.
- Times are UTC, ``yyyy-mm-dd hh:mm:ss.fffffffff`` (nanoseconds).
- Results come newest update first, ``n`` at a time; the last change of a page
  carries ``_more_changes: true`` when there are more, fetched with ``S``
  (changes to skip). A change updated while paging may move a page: changes
  are kept once, by number. A page saying ``_more_changes`` without a change
  not seen before is an error, not asked again (:mod:`postmortem.net.pagination`).
- ``o=DETAILED_ACCOUNTS`` gives accounts their ``username`` and ``name``
  (otherwise only ``_account_id``).

``after:``/``before:`` filter on a change's last update, not on its merge. A
change merged in the window was last updated at or after its merge, so
``after:`` the window's start loses none; but it may be updated again later
(a comment, stashbot's "Mentioned in SAL"), so ``before:`` is the window's end
plus ``updated_within`` (default 7 days) and the merge time (``submitted``) is
checked here: changes merged outside the window are dropped, said so. A change
merged in the window and touched again more than ``updated_within`` later is
not found: widen it for an old incident.

Options: ``url`` (default https://gerrit.wikimedia.org/r, the site's root with
``/r``), ``query`` (more search terms, e.g. ``"project:operations/puppet"``),
``updated_within``. No token: anonymous access sees public changes.

Events: source ``"gerrit"``, time = ``submitted``, actor = the owner's username
(else display name, else name; never the e-mail), text ``<project>: <subject>``
(``(merged by <submitter>)`` when someone else merged it), url
``<url>/c/<project>/+/<number>`` (the web UI's form), precision "second",
fields ``project``, ``branch``, ``number``, ``change_id``.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from ...core.accounting import Tally
from ...core.errors import IncidentFileError
from ...core.model import Event, SourceConfig, Window
from ...core.nesting import TooDeep, load_json
from ...core.timeutil import UTC, parse_duration
from ...core.vocabulary import Kind
from ...net.responses import looks_like_html
from ...net.pagination import Pagination
from . import BaseSource, check_options, check_url, option
from ...net.web import format_error, json_answer, request

TYPE = "gerrit"
DEFAULT_URL = "https://gerrit.wikimedia.org/r"
PAGE_SIZE = 100
DEFAULT_UPDATED_WITHIN = dt.timedelta(days=7)
XSSI_PREFIX = b")]}'"
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$")


class GerritSource(BaseSource):
    """Merged changes: ``url``, ``query``, ``updated_within``."""

    type = TYPE
    label = "Gerrit"
    family = "change"
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url``, ``query`` (search terms), ``updated_within`` (a duration)."""
        check_options(config, ("url", "query", "updated_within"))
        check_url(config, required=False)
        query = option(config, "query")
        if query is not None and re.search(r"\b(?:after|before|since|until|status):", query):
            raise IncidentFileError(f"{config.name}: 'query' adds search terms; status, after and before "
                                    f"are the source's own", file=config.file, key="query")
        updated_within(config)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Changes merged in ``window``, oldest first."""
        tally = tally if tally is not None else Tally()
        base = (option(config, "url") or DEFAULT_URL).rstrip("/")
        changes = _query(session, base, _search(config, window), config.name, tally)
        events = [_event(change, base, config.name, f"{base}/changes/", window, tally) for change in changes]
        return sorted((e for e in events if e is not None), key=lambda e: (e.time, e.text))


def updated_within(config: SourceConfig) -> dt.timedelta:
    raw = option(config, "updated_within")
    if raw is None:
        return DEFAULT_UPDATED_WITHIN
    try:
        return parse_duration(raw)
    except ValueError as err:
        raise IncidentFileError(f"{config.name}: 'updated_within': {err}", file=config.file,
                                key="updated_within") from None


def _search(config: SourceConfig, window: Window) -> str:
    """``status:merged [query] after:"…" before:"…"`` (UTC, the operators' own format)."""
    until = window.end + updated_within(config)
    terms = ["status:merged", option(config, "query") or "",
             f'after:"{window.start:%Y-%m-%d %H:%M:%S}"', f'before:"{until:%Y-%m-%d %H:%M:%S}"']
    return " ".join(term for term in terms if term)


def _query(session, base: str, search: str, name: str, tally: Tally) -> list[dict]:
    """Every change of the search, page by page (``S``: the results had so far),
    each once by number; what is no change is kept for :func:`_event` to skip."""
    url, seen, changes, received = f"{base}/changes/", set(), [], 0
    pages = Pagination(lambda message: format_error(message, source=name, url=url), what="S")
    while True:
        pages.ask()
        params = {"q": search, "o": "DETAILED_ACCOUNTS", "n": PAGE_SIZE, "S": received}
        page = gerrit_json(request(session, "GET", url, params=params, source=name), source=name, url=url)
        if not isinstance(page, list):
            raise format_error("expected a JSON list of changes", source=name, url=url)
        tally.count(len(page))
        received += len(page)
        numbers = [change.get("_number") if isinstance(change, dict) else None for change in page]
        for change, number in zip(page, numbers):
            if isinstance(number, int) and number in seen:
                tally.drop(f"change {number} was on two pages (updated while paging)", url)
                continue
            if isinstance(number, int):
                seen.add(number)
            changes.append(change)
        more = bool(page) and isinstance(page[-1], dict) and page[-1].get("_more_changes") is True
        if not pages.more(received if more else None, [n for n in numbers if isinstance(n, int)]):
            return changes


def gerrit_json(response, *, source: str, url: str):
    """The JSON of a Gerrit answer, its first line ``)]}'`` stripped."""
    body = response.content
    if looks_like_html(response):
        return json_answer(response, source=source)  # raises, naming the HTML page
    if not body.startswith(XSSI_PREFIX):
        raise format_error(f"not a Gerrit REST answer: it does not start with the line )]}}' "
                           f"({body[:20]!r})", source=source, url=url)
    try:
        return load_json(body[len(XSSI_PREFIX):].lstrip(b"\r\n"))
    except TooDeep as err:
        raise format_error(f"the answer is {err}", source=source, url=url) from None
    except ValueError as err:
        raise format_error(f"answer is not valid JSON after )]}}' ({err}; {len(body)} bytes)",
                           source=source, url=url) from None


def _event(change, base: str, name: str, url: str, window: Window, tally: Tally) -> Event | None:
    """One merged change as an Event; None (dropped or skipped, said why) otherwise."""
    if not isinstance(change, dict) or not all(isinstance(change.get(k), str) for k in ("project", "subject")) \
            or not isinstance(change.get("_number"), int):
        tally.skip(f"not a change (no project, subject or _number): {str(change)[:80]!r}", url)
        return None
    number, project = change["_number"], change["project"]
    merged = gerrit_time(change.get("submitted"))
    if change.get("status") != "MERGED" or merged is None:
        tally.skip(f"change {number} is {change.get('status')!r} with submitted {change.get('submitted')!r}: "
                   f"no merge time", url)
        return None
    if merged not in window:
        tally.drop(f"change {number} merged at {merged:%Y-%m-%d %H:%M} UTC, outside the window "
                   f"(updated in it)", url)
        return None
    owner, submitter = account(change.get("owner")), account(change.get("submitter"))
    by = f" (merged by {submitter})" if submitter and submitter != owner else ""
    return Event(time=merged, source=TYPE, text=f"{project}: {change['subject']}{by}", actor=owner,
                 url=f"{base}/c/{quote(project, safe='/')}/+/{number}", precision="second",
                 fields={"project": project, "branch": str(change.get("branch") or ""),
                         "number": str(number), "change_id": str(change.get("change_id") or "")}, kind=Kind.CHANGE)


def gerrit_time(value) -> dt.datetime | None:
    """``2024-03-05 07:10:00.000000000`` (UTC, nanoseconds) as aware UTC; None if not one."""
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    day, clock, fraction = match.groups()
    try:
        moment = dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment + dt.timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))


def account(info) -> str | None:
    """An AccountInfo's username, else display name, else name (never the e-mail)."""
    if not isinstance(info, dict):
        return None
    for key in ("username", "display_name", "name"):
        if isinstance(info.get(key), str) and info[key].strip():
            return info[key].strip()
    return None


SOURCE = GerritSource()
