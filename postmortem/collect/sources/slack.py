"""Source ``slack``: a channel read through the Slack Web API.

Slack API docs (https://api.slack.com/methods/conversations.history,
https://api.slack.com/methods/conversations.replies,
https://api.slack.com/methods/users.list, "Pagination", "Rate limits")::

    GET <url>/conversations.history?channel=C123&oldest=<unix>&latest=<unix>&inclusive=true
        &limit=999&cursor=<next_cursor>        Authorization: Bearer <token>
    {"ok": true, "messages": [{"ts": "1695911580.000200", "user": "U1", "text": "…",
      "thread_ts": "…", "reply_count": 3, "subtype": …}, …],
     "has_more": true, "response_metadata": {"next_cursor": "bmV4dF90czox"}}
    {"ok": false, "error": "channel_not_found"}              (HTTP 200)
    HTTP 429 with Retry-After: <seconds>                   (rate limited)

``conversations.replies`` (``ts`` = the thread's parent) answers the same way,
the parent first. ``users.list`` (scope ``users:read``; ``limit`` 200, as Slack
recommends; the e-mail with ``users:read.email``) pages the same way::

    {"ok": true, "members": [{"id": "U1", "name": "jdoe", "real_name": "Jo Doe",
      "profile": {"display_name": "jo", "real_name": "Jo Doe", "email": "…"}, …}],
     "response_metadata": {"next_cursor": "dXNlcjpVMEc5V0ZYTlo="}}
    {"ok": false, "error": "missing_scope", "needed": "users:read", "provided": "…"}
 Pages are as large as the API allows (``limit`` up to 999),
so the requests are the history pages plus one per thread (more for a
thread longer than a page), and the users' pages, once per pull when the
window has messages. 429s are retried by the session after
Retry-After, within its deadline. Replies in a thread whose parent was posted
before the window are not seen (the parent is not in the window's history).

The token comes from the variable ``token_env`` names (or the user's
credentials file) and goes only in the Authorization header, over https or
to this machine.

Messages become events as in ``slack-export`` (whose markup conversion,
noise filter and permalinks are reused): source ``"slack"``; actor, and the
``<@U…>`` mentions, the name ``users.list`` gives the user as the export's
users.json does (display name, else user name, else real name: :mod:`._slack_users`),
``aka`` their other names (id, user name, real name, e-mail) for ``[people]``
aliases; without the ``users:read`` scope (``missing_scope``) the pull goes on:
actors are the message's profile's name, else the user id, and the tally skips
one record saying why (so `pull` and `check` show it); fields ``channel``, ``ts``
and ``thread_ts`` for replies, ``pinned``/``reactions`` from the message's own
``pinned_to``/``reactions`` (conversations.history and conversations.replies
carry them, in the shape of https://api.slack.com/methods/reactions.get, so no
``pins.list`` or ``reactions.get`` call per message is needed), text of replies
prefixed ``(in thread)``.
"""

from __future__ import annotations

from ...core.errors import SourceError
from ...core.model import Event, SourceConfig, Window
from . import BaseSource, check_options, check_url, option, token
from ...net.responses import public_url
from ...net.pagination import Pagination
from ...net.web import format_error, json_answer, request
from ...core.accounting import Tally
from ._slack_text import MarkupResolver, message_problem
from ._slack_users import SlackUsers
from .slack_export import is_reply, log_bots, message_event, relayed_logs

TYPE = "slack"
DEFAULT_URL = "https://slack.com/api"
PAGE_LIMIT = 999  # the most conversations.history/replies return per page
USERS_LIMIT = 200  # users.list: "We recommend no more than 200 results at a time"
# "It's possible to receive fewer results than your specified limit, even when
# there are additional results to retrieve" (api.slack.com/apis/pagination):
# a page may hold nothing new; a few such pages in a row are followed.
EMPTY_PAGES = 3


class SlackSource(BaseSource):
    """``channel`` (an id like C0123), ``token_env``, ``url``, ``workspace`` for links."""

    type = TYPE
    label = "Slack"
    family = "slack"
    talking = True
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``channel`` and ``token_env`` (required), ``url``, ``workspace``, ``log_bots``."""
        check_options(config, ("channel", "token_env", "url", "workspace", "log_bots"))
        log_bots(config)
        option(config, "channel", required=True)
        option(config, "token_env", required=True)
        option(config, "workspace")
        check_url(config, required=False)

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """The channel's messages and thread replies in ``window``, oldest first."""
        api = _Api(config, session)
        channel = option(config, "channel")
        span = {"channel": channel, "oldest": f"{window.start.timestamp():.6f}",
                "latest": f"{window.end.timestamp():.6f}", "inclusive": "true"}
        messages = api.pages("conversations.history", span)
        for parent in [m for m in messages if int(m.get("reply_count") or 0) > 0 and m.get("ts")]:
            replies = api.pages("conversations.replies", {**span, "ts": parent["ts"]})
            messages.extend(r for r in replies if is_reply(r))
        tally = tally if tally is not None else Tally()
        users = api.users(tally) if messages else SlackUsers()
        return relayed_logs(_events(messages, config, window, api, tally, users), config)


class _Api:
    """Authenticated, paginated calls to one Slack Web API."""

    def __init__(self, config: SourceConfig, session):
        self.base = (option(config, "url") or DEFAULT_URL).rstrip("/")
        self.name = config.name
        self.secret = token(config, self.base, required=True)
        self.session = session

    def users(self, tally: Tally) -> SlackUsers:
        """Every user of the workspace (``users.list``); none, said in the tally,
        when the token lacks the ``users:read`` scope."""
        try:
            return SlackUsers(self.pages("users.list", {}, key="members", limit=USERS_LIMIT))
        except SourceError as err:
            if getattr(err, "slack_error", None) != "missing_scope":
                raise
        tally.count()  # the users asked for and not given: a record read, and skipped
        tally.skip("users.list: missing_scope (the token lacks users:read): people are named by their Slack "
                   "user ids, not linked to [people]", f"{self.base}/users.list")
        return SlackUsers()

    def pages(self, method: str, params: dict, key: str = "messages", limit: int = PAGE_LIMIT) -> list[dict]:
        """Every item (``key``) of a paginated method, following ``next_cursor``."""
        url, items, cursor = f"{self.base}/{method}", [], None
        pages = Pagination(lambda message: format_error(message, source=self.name, url=url), what="cursor",
                           empty_allowed=EMPTY_PAGES)
        while True:
            pages.ask()
            answer = self.call(url, {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}, key)
            items.extend(answer[key])
            cursor = _next_cursor(answer, self.name, url)
            if not pages.more(cursor, [item.get("ts") or item.get("id") for item in answer[key]]):
                return items

    def call(self, url: str, params: dict, key: str = "messages") -> dict:
        """One call, whose answer has the list ``key``; SourceError for ``ok: false`` with Slack's error code."""
        response = request(self.session, "GET", url, params=params, source=self.name,
                           headers={"Authorization": f"Bearer {self.secret}"}, secrets=[self.secret])
        answer = json_answer(response, source=self.name, secrets=[self.secret])
        if not isinstance(answer, dict) or "ok" not in answer:
            raise format_error("not a Slack API answer (no 'ok')", source=self.name, url=url)
        if not answer["ok"]:
            error = str(answer.get("error", "unknown error")).replace(self.secret, "***")
            raise _slack_error(error, self.name, url)
        if not isinstance(answer.get(key), list):
            raise format_error(f"Slack answer without a '{key}' list", source=self.name, url=url)
        for item in answer[key]:
            if problem := (message_problem(item) if key == "messages" else _member_problem(item)):
                raise format_error(problem, source=self.name, url=url)
        return answer


def _next_cursor(answer: dict, name: str, url: str) -> str | None:
    """``response_metadata.next_cursor`` ("" or absent on the last page)."""
    metadata = answer.get("response_metadata") or {}
    cursor = metadata.get("next_cursor") if isinstance(metadata, dict) else None
    if cursor is not None and not isinstance(cursor, str):
        raise format_error(f"a next_cursor that is no string: {cursor!r}", source=name, url=url)
    return cursor or None


def _member_problem(member) -> str | None:
    """Why a users.list member is not a Slack user object (one with an id), or None."""
    if not isinstance(member, dict) or not isinstance(member.get("id"), str) or not member["id"]:
        return f"a member that is no user with an id: {str(member)[:60]!r}"
    return None


def _slack_error(code: str, name: str, url: str) -> SourceError:
    error = SourceError(f"Slack API error: {code}", source=name, url=public_url(url))
    error.slack_error = code
    return error


def _events(messages: list[dict], config: SourceConfig, window: Window, api: _Api, tally: Tally,
            users: SlackUsers) -> list[Event]:
    resolver = MarkupResolver(users, {})
    channel, workspace = option(config, "channel"), option(config, "workspace")
    seen: dict[str, Event | None] = {}   # ts -> its event when in the window
    where = f"{api.base}/conversations.history"
    for message in messages:
        tally.count()
        event = _to_event(message, channel, workspace, resolver, api, tally, where)
        if event is not None and event.fields["ts"] in seen:
            tally.drop("the same message again (a thread reply also sent to the channel)",
                       f"{where} (ts {event.fields['ts']})")
        elif event is not None:
            seen[event.fields["ts"]] = event if event.time in window else None
    return sorted((event for event in seen.values() if event is not None), key=lambda event: event.time)


def _to_event(message, channel, workspace, resolver, api, tally: Tally, where: str) -> Event | None:
    ts = message.get("ts") if isinstance(message, dict) else None
    return message_event(message, resolver, source=TYPE, channel=channel, channel_id=channel, workspace=workspace,
                         where=(f"{where} (ts {ts})", None), place=None, tally=tally,
                         fail=lambda why: format_error(f"message: {why}", source=api.name, url=where))


SOURCE = SlackSource()
