"""postmortem.net.http: timeouts, bounded retry with Retry-After and a deadline,
User-Agent, where secrets come from and where they may go."""

from __future__ import annotations

import os

import pytest

from postmortem.core.errors import InputError, SourceError
from postmortem.net.http import BoundedSession, new_session, require_secure, secret, user_agent
from tests.clock import FakeClock, clocked_session
from tests.services import Answer, FakeServer


def sequence(*answers):
    """An app answering with ``answers`` in turn, then the last one forever."""
    queue = list(answers)

    def app(request):
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return app


def test_every_request_has_the_user_agent_with_a_contact(monkeypatch):
    monkeypatch.setenv("POSTMORTEM_CONTACT", "https://example.org/wiki/User:Ops; ops@example.org")
    with FakeServer(sequence(Answer.json({}))) as server:
        new_session().get(server.url + "/x")
    agent = server.requests[0].headers["User-Agent"]
    assert agent.startswith("postmortem/") and "ops@example.org" in agent
    assert user_agent() == agent


# Retries, back-off, Retry-After and the deadline run on a fake clock (tests/clock.py):
# the assertions are on the waits and timeouts the session chose, never on wall time.

def test_retries_5xx_then_returns_the_good_answer():
    with FakeServer(sequence(Answer(503), Answer(502), Answer.json({"ok": 1}))) as server:
        session = clocked_session(retries=3, backoff=0.01)
        response = session.get(server.url + "/x")
    assert response.json() == {"ok": 1}
    assert session.requests_made == 3 and session.fake_clock.sleeps == [0.01, 0.02]


def test_retry_after_is_honoured():
    with FakeServer(sequence(Answer(429, headers={"Retry-After": "7"}), Answer.json({}))) as server:
        session = clocked_session(retries=3, deadline=30)
        assert session.get(server.url + "/x").status_code == 200
    clock = session.fake_clock
    assert clock.sleeps == [7.0] and [a.start for a in clock.attempts] == [0.0, 7.0]


def test_retry_after_beyond_the_deadline_gives_up_with_the_429():
    with FakeServer(sequence(Answer(429, headers={"Retry-After": "120"}))) as server:
        session = clocked_session(retries=3, deadline=5)
        assert session.get(server.url + "/x").status_code == 429
    assert session.fake_clock.sleeps == [] and session.requests_made == 1


def test_ratelimit_reset_stands_in_for_retry_after():
    # PagerDuty's 429 carries ratelimit-reset (seconds), not Retry-After (docs/REST-API/04-Rate-Limits.md)
    with FakeServer(sequence(Answer(429, headers={"ratelimit-reset": "4"}), Answer.json({}))) as server:
        session = clocked_session(retries=3, deadline=30)
        assert session.get(server.url + "/x").status_code == 200
    assert session.fake_clock.sleeps == [4.0]


def test_a_pause_waits_on_the_sessions_clock_within_its_deadline():
    session = clocked_session(deadline=90)
    session.pause(60, "https://api.example.org/x?key=secret")
    assert session.fake_clock.sleeps == [60]
    with pytest.raises(SourceError) as caught:
        session.pause(60, "https://api.example.org/x?key=secret")
    assert str(caught.value) == "https://api.example.org/x: rate limited: waiting 60 s would pass the 90 s deadline"
    assert session.fake_clock.sleeps == [60]


def test_retries_are_bounded_in_number():
    with FakeServer(sequence(Answer(500))) as server:
        session = clocked_session(retries=2, backoff=0.001)
        assert session.get(server.url + "/x").status_code == 500
    assert session.requests_made == 3 and session.fake_clock.sleeps == [0.001, 0.002]


def test_a_silent_server_fails_within_the_deadline_naming_the_url_without_query():
    with FakeServer(sequence(Answer.json({}, delay=3))) as server:
        session = clocked_session(timeout=0.3, retries=10, deadline=1.0, backoff=0.05)
        with pytest.raises(SourceError) as caught:
            session.get(server.url + "/slow?token=abc")
    clock = session.fake_clock
    # Each attempt times out (0.3 s), backs off (0.05, then 0.1 s); the third is cut to the
    # 0.25 s left, and no fourth starts: the session gives up exactly at its deadline.
    assert [a.timed_out for a in clock.attempts] == [True, True, True]
    assert [a.start for a in clock.attempts] == pytest.approx([0.0, 0.35, 0.75])
    assert clock.timeouts == pytest.approx([0.3, 0.3, 0.25])
    assert clock.sleeps == [0.05, 0.1]
    assert clock.now == pytest.approx(1.0)
    assert str(caught.value) == f"{server.url}/slow: no answer within 0.25 s (3 attempts)"
    assert "abc" not in str(caught.value)
    assert session.requests_made == 3


def test_no_attempt_starts_after_the_deadline():
    clock = FakeClock()
    session = BoundedSession(deadline=1.0, clock=clock, sleep=clock.sleep)
    clock.now = 2.0
    with pytest.raises(SourceError, match="deadline passed"):
        session.get("http://127.0.0.1:9/x")
    assert session.requests_made == 0


def test_connection_refused_is_a_source_error():
    from tests.services import free_port
    session = clocked_session(retries=1, backoff=0.01, deadline=5)
    port = free_port()
    with pytest.raises(SourceError) as raised:
        session.get(f"http://127.0.0.1:{port}/x")
    assert session.requests_made == 2 and session.fake_clock.sleeps == [0.01]
    # one readable sentence, never a repr of urllib3's exception with its parenthesis left open
    assert str(raised.value) == f"http://127.0.0.1:{port}/x: refused the connection (2 attempts)"


@pytest.mark.parametrize("url", ["https://example.org/api", "http://127.0.0.1:8080/x",
                                 "http://localhost/x", "http://[::1]:9/x"])
def test_secrets_may_go_over_https_or_to_loopback(url):
    require_secure(url)


@pytest.mark.parametrize("url", ["http://example.org/api", "http://10.0.0.1/x", "ftp://127.0.0.2.example/x"])
def test_secrets_never_go_over_plain_http_elsewhere(url):
    with pytest.raises(InputError, match="refusing"):
        require_secure(url)


def test_secret_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setenv("PM_TEST_TOKEN", "from-env")
    assert secret("PM_TEST_TOKEN", config_file=tmp_path / "none.toml") == "from-env"


def test_secret_from_a_private_config_file(monkeypatch, tmp_path):
    monkeypatch.delenv("PM_TEST_TOKEN", raising=False)
    path = tmp_path / "credentials.toml"
    path.write_text('PM_TEST_TOKEN = "from-file"\n')
    os.chmod(path, 0o600)
    assert secret("PM_TEST_TOKEN", config_file=path) == "from-file"


def test_secret_refuses_a_file_others_can_read(monkeypatch, tmp_path):
    monkeypatch.delenv("PM_TEST_TOKEN", raising=False)
    path = tmp_path / "credentials.toml"
    path.write_text('PM_TEST_TOKEN = "from-file"\n')
    os.chmod(path, 0o644)
    with pytest.raises(InputError, match="chmod 600") as caught:
        secret("PM_TEST_TOKEN", config_file=path)
    assert "from-file" not in str(caught.value)


def test_missing_secret_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("PM_TEST_TOKEN", raising=False)
    with pytest.raises(InputError, match="PM_TEST_TOKEN"):
        secret("PM_TEST_TOKEN", config_file=tmp_path / "none.toml")
