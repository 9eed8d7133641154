"""The `slack` source against a local server speaking the Slack Web API."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, InputError, SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources.slack import SOURCE
from tests.clock import clocked_session
from tests.services import (
    Answer, FakeServer, assert_broken_answer, broken, html_instead_of_json, slack_app, transport_failures)

TOKEN = "xoxb-1234-SECRET-slack-token"
T = utc(2023, 9, 28, 14, 0)
WINDOW = Window(T, T + dt.timedelta(hours=2))


def ts(minutes, micro=200):
    return f"{(T + dt.timedelta(minutes=minutes)).timestamp():.0f}.{micro:06d}"


MESSAGES = [
    {"type": "message", "ts": ts(-10), "user": "U0", "text": "before the window"},
    {"type": "message", "ts": ts(5), "user": "U1", "text": "jobs failing <@U2|joal>",
     "user_profile": {"display_name": "tchin"}},
    {"type": "message", "ts": ts(6), "subtype": "channel_join", "user": "U3", "text": "<@U3> has joined"},
    {"type": "message", "ts": ts(8), "user": "U2", "text": "looking", "thread_ts": ts(8), "reply_count": 2,
     "user_profile": {"display_name": "joal"}},
    {"type": "message", "ts": ts(9), "bot_id": "B1", "username": "AlertBot",
     "text": "", "attachments": [{"fallback": "[FIRING:1] KafkaLag"}]},
] + [{"type": "message", "ts": ts(20 + n), "user": "U1", "text": f"update {n}"} for n in range(5)] + [
    {"type": "message", "ts": ts(130), "user": "U1", "text": "after the window"},
]
# users.list members (https://api.slack.com/types/user): U1 has set a display name, U2 not.
USERS = [
    {"id": "U0", "name": "early", "real_name": "Early Bird", "profile": {"display_name": "", "real_name": "Early Bird"}},
    {"id": "U1", "name": "tchin", "real_name": "Tim Chin", "deleted": False,
     "profile": {"display_name": "tchin", "real_name": "Tim Chin", "email": "tchin@example.org"}},
    {"id": "U2", "name": "joal", "real_name": "Jo Al", "profile": {"display_name": "", "real_name": "Jo Al",
                                                                   "email": "joal@example.org"}},
    {"id": "B1USER", "name": "alertbot", "real_name": "AlertBot", "is_bot": True,
     "profile": {"display_name": "", "real_name": "AlertBot"}},
]
REPLIES = {ts(8): [{"type": "message", "ts": ts(10), "user": "U1", "thread_ts": ts(8), "text": "restarting"},
                   {"type": "message", "ts": ts(12), "user": "U2", "thread_ts": ts(8), "text": "fixed"}]}


@pytest.fixture(autouse=True)
def slack_token(monkeypatch):
    monkeypatch.setenv("PM_SLACK_TOKEN", TOKEN)


def config(url, **options):
    return SourceConfig("slack", {"type": "slack", "url": url, "channel": "C0123",
                                  "token_env": "PM_SLACK_TOKEN", **options}, index=3)


def session(**options):
    return BoundedSession(**{"timeout": 2, "retries": 2, "deadline": 5, "backoff": 0.01, **options})


def test_history_and_threads_with_cursors():
    with FakeServer(slack_app(MESSAGES, REPLIES, token=TOKEN, page_size=3, users=USERS)) as server:
        s = session()
        events = SOURCE.read(config(server.url, workspace="wikimedia"), WINDOW, session=s)
    texts = [e.text for e in events]
    assert texts == ["jobs failing @joal", "looking", "[FIRING:1] KafkaLag", "(in thread) restarting",
                     "(in thread) fixed"] + [f"update {n}" for n in range(5)]
    assert events[0].actor == "tchin" and events[2].actor == "AlertBot"
    assert events[0].time == T + dt.timedelta(minutes=5, microseconds=200)
    assert events[0].source == "slack" and events[0].precision == "second"
    assert events[3].fields == {"ts": ts(10), "thread_ts": ts(8)} and events[3].channel == "C0123"
    assert events[0].url == f"https://wikimedia.slack.com/archives/C0123/p{ts(5).replace('.', '')}"
    history = [r for r in server.requests if r.path.endswith("conversations.history")]
    # 9 messages / 3, + 1 thread, + the 4 users / 3
    assert len(history) == 3 and len(server.requests) == 6 == s.requests_made
    assert history[0].query["oldest"] == [f"{T.timestamp():.6f}"] and history[0].query["limit"] == ["999"]
    assert "cursor" not in history[0].query and history[1].query["cursor"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)


def test_429_is_retried_after_retry_after():
    app = slack_app(MESSAGES, REPLIES, token=TOKEN, page_size=100, rate_limit={1}, retry_after="2", users=USERS)
    with FakeServer(app) as server:
        s = clocked_session(timeout=2, retries=2, deadline=5, backoff=0.01)
        events = SOURCE.read(config(server.url), WINDOW, session=s)
    assert len(events) == 10 and s.requests_made == 4
    # on the fake clock: one wait of exactly Retry-After, then the history, the thread and the users
    clock = s.fake_clock
    assert clock.sleeps == [2.0] and [a.start for a in clock.attempts] == [0.0, 2.0, 2.0, 2.0]


def test_429_past_the_deadline_is_a_clear_error():
    app = slack_app(MESSAGES, REPLIES, token=TOKEN, rate_limit=set(range(1, 100)), retry_after="30")
    with FakeServer(app) as server:
        s = clocked_session(timeout=2, retries=2, deadline=5, backoff=0.01)
        with pytest.raises(SourceError) as caught:
            SOURCE.read(config(server.url), WINDOW, session=s)
    assert caught.value.status == 429 and caught.value.url == server.url + "/conversations.history"
    assert s.fake_clock.sleeps == [] and s.requests_made == 1  # a 30 s wait would pass the 5 s deadline


def test_slack_errors_name_the_code_and_never_the_token():
    with FakeServer(slack_app(MESSAGES, REPLIES, token="another")) as server:
        with pytest.raises(SourceError, match="invalid_auth") as caught:
            SOURCE.read(config(server.url), WINDOW, session=session())
    assert TOKEN not in str(caught.value) and caught.value.source == "source[3] (slack)"


# What the source raises for each broken answer of conversations.history (tests/services.py
# Broken): the error class, its exact message, err.status, the requests made and the waits.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 169 \(char 168\); 168 bytes\)"), status=200),
    html_instead_of_json(),
    broken("no-ok", {"messages": []}, SourceFormatError, "not a Slack API answer (no 'ok')"),
    broken("not-an-object", [{"ok": True}], SourceFormatError, "not a Slack API answer (no 'ok')"),
    broken("messages-not-a-list", {"ok": True, "messages": {"ts": ts(5)}}, SourceFormatError,
           "Slack answer without a 'messages' list"),
    broken("ok-false", {"ok": False, "error": "channel_not_found"}, SourceError,
           "Slack API error: channel_not_found"),
    broken("ratelimited-429", Answer.json({"ok": False, "error": "ratelimited"}, 429, **{"Retry-After": "1"}),
           SourceError, 'HTTP 429 Too Many Requests: {"ok": false, "error": "ratelimited"}', status=429,
           attempts=3, retry_after=1.0),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    good = slack_app(MESSAGES, REPLIES, token=TOKEN)
    assert_broken_answer(case, lambda url, s: SOURCE.read(config(url), WINDOW, session=s), good,
                         path="/conversations.history", source="source[3] (slack)")


def test_the_token_goes_only_over_https_or_to_loopback():
    with pytest.raises(InputError, match="plain http"):
        SOURCE.read(config("http://slack.example.org/api"), WINDOW, session=session())


def test_no_token_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("PM_SLACK_TOKEN")
    with pytest.raises(InputError, match="PM_SLACK_TOKEN"):
        SOURCE.read(config("https://slack.com/api"), WINDOW, session=session())


def test_the_token_is_never_logged(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeServer(slack_app(MESSAGES, REPLIES, token=TOKEN)) as server:
        SOURCE.read(config(server.url), WINDOW, session=session())
    assert caplog.records and TOKEN not in caplog.text


def test_check_needs_channel_and_token_env():
    with pytest.raises(IncidentFileError, match="token_env"):
        SOURCE.check(SourceConfig("slack", {"type": "slack", "channel": "C1"}, index=0))
    SOURCE.check(config("https://slack.com/api"))


def test_pins_and_reactions_come_with_the_history_and_the_replies():
    """tests/fixtures/slack/conversations.history-page.json and
    conversations.replies-thread.json, served through the fake Web API: the
    messages carry their ``pinned_to`` and ``reactions``, no extra call is made."""
    import json
    from pathlib import Path
    fixtures = Path(__file__).resolve().parent / "fixtures" / "slack"
    history = json.loads((fixtures / "conversations.history-page.json").read_text())["messages"]
    thread = json.loads((fixtures / "conversations.replies-thread.json").read_text())["messages"]
    start = utc(2024, 3, 5, 6, 0)
    with FakeServer(slack_app(history, {thread[0]["ts"]: thread[1:]}, token=TOKEN, page_size=100)) as server:
        events = SOURCE.read(config(server.url), Window(start, start + dt.timedelta(hours=2)), session=session())
    assert [(e.fields.get("pinned"), e.fields.get("reactions")) for e in events] == [
        (None, None), ("true", None), ("true", None), (None, "+1,eyes"), (None, "chart_with_upwards_trend"),
        (None, None), (None, None)]
    assert {r.path.rsplit("/", 1)[1] for r in server.requests} == {
        "conversations.history", "conversations.replies", "users.list"}  # no pins.list, no reactions.get


def test_a_reply_also_sent_to_the_channel_is_one_event_and_one_drop():
    """A thread reply "also sent to the channel" (subtype thread_broadcast,
    https://api.slack.com/events/message/thread_broadcast) is in conversations.history and
    in conversations.replies: one event, its second record dropped as the same message, so
    that check's read = in window + outside + dropped + skipped holds (it counted it outside)."""
    broadcast = {"type": "message", "subtype": "thread_broadcast", "ts": ts(11), "user": "U1", "thread_ts": ts(8),
                 "text": "rolled back, also telling the channel"}
    replies = {ts(8): REPLIES[ts(8)] + [broadcast]}
    tally = Tally()
    with FakeServer(slack_app(MESSAGES + [broadcast], replies, token=TOKEN, page_size=3)) as server:
        events = SOURCE.read(config(server.url), WINDOW, session=session(), tally=tally)
    assert [e.text for e in events].count("(in thread) rolled back, also telling the channel") == 1
    assert [d.reason for d in tally.dropped if "same message" in d.reason] == [
        "the same message again (a thread reply also sent to the channel)"]
    # the API answers the window's messages only (oldest, latest): each record an event or a drop
    assert tally.read == len(events) + len(tally.dropped) == 13


# -- who wrote it: users.list ----------------------------------------------------------------

def read_with(app, tally=None):
    with FakeServer(app) as server:
        events = SOURCE.read(config(server.url), WINDOW, session=session(), tally=tally)
    return events, server


def test_actors_and_mentions_are_named_by_users_list_and_their_other_names_are_aka():
    """The messages carry user ids (``U2``), a profile only sometimes: users.list,
    asked once per pull page after page (``limit`` 200), names them as the export's
    users.json does; ``aka`` are the id, user name, real name and e-mail."""
    plain = [{k: v for k, v in m.items() if k != "user_profile"} for m in MESSAGES] + [
        {"type": "message", "ts": ts(30), "user": "U2", "text": "<@U1> rolled back, thanks <@U7>"}]
    events, server = read_with(slack_app(plain, REPLIES, token=TOKEN, page_size=3, users=USERS))
    by_text = {e.text: e for e in events}
    assert (by_text["jobs failing @joal"].actor, by_text["jobs failing @joal"].aka) == (
        "tchin", ("U1", "Tim Chin", "tchin@example.org"))
    assert (by_text["looking"].actor, by_text["looking"].aka) == ("joal", ("U2", "Jo Al", "joal@example.org"))
    assert by_text["@tchin rolled back, thanks @U7"].actor == "joal"  # U7 is nobody users.list knows
    assert by_text["[FIRING:1] KafkaLag"].aka == ()  # a bot's message names no user
    users = [r for r in server.requests if r.path == "/users.list"]
    assert [r.query.get("cursor") is None for r in users] == [True, False]  # 4 members, 3 a page
    assert all(r.query["limit"] == ["200"] for r in users)


def test_without_users_read_the_pull_goes_on_with_ids_and_the_tally_says_why():
    """Slack answers ``missing_scope`` to a token without ``users:read``: the
    messages are still read, their writers named by id (or their profile), and
    one record is skipped with the reason, which `pull` counts and `check` lists."""
    plain = [{k: v for k, v in m.items() if k != "user_profile"} for m in MESSAGES]
    tally = Tally()
    events, server = read_with(slack_app(plain, REPLIES, token=TOKEN, users=USERS,
                                         scopes=frozenset({"channels:history"})), tally)
    assert len(events) == 10 and {e.actor for e in events} == {"U1", "U2", "AlertBot"}
    assert [e.aka for e in events if e.actor == "U1"][0] == ()
    assert [(s.reason, s.where()) for s in tally.skipped] == [
        ("users.list: missing_scope (the token lacks users:read): people are named by their Slack user ids, "
         "not linked to [people]", f"{server.url}/users.list")]
    assert tally.read == len(events) + len(tally.dropped) + len(tally.skipped)


def test_without_users_read_email_the_other_names_have_no_email():
    events, _ = read_with(slack_app(MESSAGES, REPLIES, token=TOKEN, users=USERS,
                                    scopes=frozenset({"channels:history", "users:read"})))
    assert [e.aka for e in events if e.text == "looking"] == [("U2", "Jo Al")]


def test_no_messages_no_users_list():
    events, server = read_with(slack_app([], {}, token=TOKEN, users=USERS))
    assert events == [] and [r.path for r in server.requests] == ["/conversations.history"]


# What the source raises for each broken answer of users.list (the history and threads good).
BROKEN_USERS = [
    broken("members-not-a-list", {"ok": True, "members": {"id": "U1"}}, SourceFormatError,
           "Slack answer without a 'members' list"),
    broken("member-without-id", {"ok": True, "members": [{"name": "tchin"}]}, SourceFormatError,
           "a member that is no user with an id: \"{'name': 'tchin'}\""),
    broken("ok-false-other-than-missing-scope", {"ok": False, "error": "invalid_cursor"}, SourceError,
           "Slack API error: invalid_cursor"),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200),
]


@pytest.mark.parametrize("case", BROKEN_USERS)
def test_broken_answers_of_users_list(case):
    good = slack_app(MESSAGES, REPLIES, token=TOKEN, page_size=100, users=USERS)
    broken_users = case.app(good)
    app = lambda request: broken_users(request) if request.path == "/users.list" else good(request)  # noqa: E731
    with FakeServer(app) as server:
        with pytest.raises((SourceError, SourceFormatError)) as caught:
            SOURCE.read(config(server.url), WINDOW, session=session())
    err = caught.value
    assert type(err) is case.error and case.says(err.message), err.message
    assert str(err) == f"{server.url}/users.list: {err.message}" and TOKEN not in str(err)


def test_a_thread_parent_without_ts_is_a_format_error_not_a_crash():
    """Found by tests/test_fuzz_sources.py: a message with replies but no ``ts`` was
    looked up as ``parent["ts"]`` (KeyError) before it was found broken."""
    parent = {"type": "message", "user": "U1", "text": "x", "reply_count": 1}
    good = slack_app([], {}, token=TOKEN, users=USERS)
    history = Answer.json({"ok": True, "messages": [parent]})
    with FakeServer(lambda request: history if request.path == "/conversations.history" else good(request)) as server:
        with pytest.raises(SourceFormatError) as caught:
            SOURCE.read(config(server.url), WINDOW, session=session())
    assert caught.value.message == "message: a bad 'ts' None"
