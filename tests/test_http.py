"""postmortem.collect.http: timeouts, bounded retry with Retry-After and a deadline,
User-Agent, where secrets come from and where they may go."""

from __future__ import annotations

import os
import time

import pytest

from postmortem.core.errors import InputError, SourceError
from postmortem.collect.http import BoundedSession, new_session, require_secure, secret, user_agent
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


def test_retries_5xx_then_returns_the_good_answer():
    waits = []
    with FakeServer(sequence(Answer(503), Answer(502), Answer.json({"ok": 1}))) as server:
        session = BoundedSession(retries=3, backoff=0.01, sleep=waits.append)
        response = session.get(server.url + "/x")
    assert response.json() == {"ok": 1}
    assert session.requests_made == 3 and waits == [0.01, 0.02]


def test_retry_after_is_honoured():
    waits = []
    with FakeServer(sequence(Answer(429, headers={"Retry-After": "7"}), Answer.json({}))) as server:
        session = BoundedSession(retries=3, deadline=30, sleep=waits.append)
        assert session.get(server.url + "/x").status_code == 200
    assert waits == [7.0]


def test_retry_after_beyond_the_deadline_gives_up_with_the_429():
    waits = []
    with FakeServer(sequence(Answer(429, headers={"Retry-After": "120"}))) as server:
        session = BoundedSession(retries=3, deadline=5, sleep=waits.append)
        assert session.get(server.url + "/x").status_code == 429
    assert waits == [] and session.requests_made == 1


def test_retries_are_bounded_in_number():
    with FakeServer(sequence(Answer(500))) as server:
        session = BoundedSession(retries=2, backoff=0.001)
        assert session.get(server.url + "/x").status_code == 500
    assert session.requests_made == 3


def test_a_silent_server_fails_within_the_deadline_naming_the_url_without_query():
    with FakeServer(sequence(Answer.json({}, delay=3))) as server:
        session = BoundedSession(timeout=0.3, retries=10, deadline=1.0, backoff=0.05)
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            session.get(server.url + "/slow?token=abc")
        elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed
    assert str(caught.value).startswith(server.url + "/slow: ")
    assert "abc" not in str(caught.value) and "no answer within" in str(caught.value)
    assert session.requests_made >= 2


def test_no_attempt_starts_after_the_deadline():
    clock = [0.0]
    session = BoundedSession(deadline=1.0, clock=lambda: clock[0])
    clock[0] = 2.0
    with pytest.raises(SourceError, match="deadline passed"):
        session.get("http://127.0.0.1:9/x")
    assert session.requests_made == 0


def test_connection_refused_is_a_source_error():
    from tests.services import free_port
    session = BoundedSession(retries=1, backoff=0.01, deadline=5)
    with pytest.raises(SourceError, match="cannot connect"):
        session.get(f"http://127.0.0.1:{free_port()}/x")
    assert session.requests_made == 2


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
