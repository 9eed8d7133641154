"""The `slack` source against a local server speaking the Slack Web API."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from postmortem.core.errors import IncidentFileError, InputError, SourceError, SourceFormatError
from postmortem.net.http import BoundedSession
from postmortem.core.model import SourceConfig, Window, utc
from postmortem.collect.sources.slack import SOURCE
from tests.cases import broken_cases, case_by_id, cases, check_answered, compare_events
from tests.clock import clocked_session
from tests.services import (
    FakeServer, assert_broken_answer, broken, html_instead_of_json, slack_app, transport_failures)

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


@pytest.mark.parametrize("case", cases("slack"))
def test_format_cases(case):
    check_answered(case, "slack", lambda url, window, tally: SOURCE.read(
        config(url, **case.get("options", {})), window, session=session(), tally=tally))


def test_history_and_threads_with_cursors():
    """The case "history-a-thread-and-users" served by the paginating API (pages of 3):
    the same events, asked page after page with the cursor, with the token."""
    case = case_by_id("slack", "history-a-thread-and-users")
    with FakeServer(slack_app(MESSAGES, REPLIES, token=TOKEN, page_size=3, users=USERS)) as server:
        s = session()
        events = SOURCE.read(config(server.url, **case["options"]), WINDOW, session=s)
    got, wanted = compare_events(events, case["events"])
    assert got == wanted
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


# Each broken answer and the one error it ends in: the source's own shapes in
# tests/fixtures/slack/cases.toml [[broken]], here those every source meets.
BROKEN = [
    *transport_failures(),
    broken("truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+: line 1 column 169 \(char 168\); 168 bytes\)"), status=200),
    html_instead_of_json(),
    broken("users-list-truncated-json", "truncated", SourceFormatError,
           re.compile(r"answer is not valid JSON \(.+; \d+ bytes\)"), status=200, path="/users.list"),
    *broken_cases("slack"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_answers(case):
    good = slack_app(MESSAGES, REPLIES, token=TOKEN, users=USERS)
    assert_broken_answer(case, lambda url, s: SOURCE.read(config(url), WINDOW, session=s), good,
                         path="/conversations.history", source="source[3] (slack)", secret=TOKEN)


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


# -- who wrote it: users.list ----------------------------------------------------------------

def read_with(app, tally=None):
    with FakeServer(app) as server:
        events = SOURCE.read(config(server.url), WINDOW, session=session(), tally=tally)
    return events, server


def test_users_list_is_asked_once_page_after_page():
    """The case "writers-and-mentions-are-named-by-users-list" served by the paginating
    API: users.list asked once per pull, page after page (``limit`` 200)."""
    case = case_by_id("slack", "writers-and-mentions-are-named-by-users-list")
    plain = [{k: v for k, v in m.items() if k != "user_profile"} for m in MESSAGES] + [
        {"type": "message", "ts": ts(30), "user": "U2", "text": "<@U1> rolled back, thanks <@U7>"}]
    events, server = read_with(slack_app(plain, REPLIES, token=TOKEN, page_size=3, users=USERS))
    got, wanted = compare_events(events, case["events"])
    assert got == wanted
    users = [r for r in server.requests if r.path == "/users.list"]
    assert [r.query.get("cursor") is None for r in users] == [True, False]  # 4 members, 3 a page
    assert all(r.query["limit"] == ["200"] for r in users)
