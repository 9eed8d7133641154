"""Bounded network reads (issue 16): a 500 MB body, a server that drips, a
connection reset mid-body and a redirect to another port carrying a token each
end in the project's own error (or a retry) within the deadline, and the token
never reaches the other port."""

from __future__ import annotations

import itertools

import pytest

from postmortem.net.http import BoundedSession
from postmortem.core.errors import SourceError
from tests.services import Answer, FakeServer

MB = 1 << 20


def big(request):
    """500 MB of JSON-looking bytes, made lazily (never all in memory), no length announced."""
    return Answer(headers={"Content-Type": "application/json"},
                  chunks=itertools.islice(itertools.repeat(b" " * MB), 500))


def test_a_500_mb_answer_is_refused_after_the_bound_not_buffered():
    with FakeServer(big) as server:
        session = BoundedSession(retries=0, deadline=30, max_body=4 * MB)
        with pytest.raises(SourceError) as caught:
            session.get(server.url + "/api")
    assert caught.value.message == "the answer is larger than the 4 MB this tool reads: refused, not buffered"
    assert caught.value.url == server.url + "/api"


def test_an_announced_500_mb_answer_is_refused_before_reading():
    with FakeServer(lambda r: Answer(chunks=[b"x"], length=500 * MB)) as server:
        with pytest.raises(SourceError, match=r": the answer announces 524288000 bytes, more than the 128 MB"):
            BoundedSession(retries=0, deadline=30).get(server.url + "/api")


def test_a_server_dripping_a_byte_a_second_is_cut_off_at_the_deadline():
    drip = lambda r: Answer(chunks=itertools.repeat(b"x", 60), pause=1.0, length=60)  # noqa: E731
    with FakeServer(drip) as server:
        session = BoundedSession(retries=0, deadline=2.5, timeout=5)
        with pytest.raises(SourceError) as caught:
            session.get(server.url + "/api")
    assert caught.value.message.startswith("the answer was still arriving (")
    assert caught.value.message.endswith("bytes) when the 2.5 s deadline passed")


def test_a_connection_reset_mid_body_is_retried():
    answers = iter([Answer(chunks=[b'{"partial": '], length=100, reset=True),
                    Answer.json({"ok": True})])
    with FakeServer(lambda r: next(answers)) as server:
        session = BoundedSession(retries=2, deadline=30, backoff=0.01)
        response = session.get(server.url + "/api")
    assert response.json() == {"ok": True} and session.requests_made == 2 and len(server.requests) == 2


def test_a_reset_on_every_attempt_is_one_clear_error():
    with FakeServer(lambda r: Answer(chunks=[b"{"], length=100, reset=True)) as server:
        with pytest.raises(SourceError, match=r"\(3 attempts\)") as caught:
            BoundedSession(retries=2, deadline=30, backoff=0.01).get(server.url + "/api")
    assert caught.value.url == server.url + "/api"


def test_a_redirect_to_another_port_is_not_followed_and_the_token_stays_home():
    with FakeServer(lambda r: Answer.json({"stolen": True})) as elsewhere:
        redirect = lambda r: Answer(302, headers={"Location": elsewhere.url + "/collect"})  # noqa: E731
        with FakeServer(redirect) as server:
            session = BoundedSession(retries=0, deadline=30)
            session.cookies.set("session", "cookie-secret", domain="127.0.0.1")
            with pytest.raises(SourceError) as caught:
                session.get(server.url + "/api", headers={"Authorization": "Bearer token-secret",
                                                          "X-VO-Api-Key": "key-secret"})
    assert elsewhere.requests == []
    assert caught.value.message.startswith(f"HTTP 302: redirected to {elsewhere.url}/collect, not followed")
    assert "secret" not in str(caught.value)


def test_a_redirect_on_the_same_origin_is_followed():
    def app(request):
        if request.path == "/old":
            return Answer(301, headers={"Location": "/new?x=1"})
        return Answer.json({"path": request.path, "auth": request.headers.get("Authorization")})
    with FakeServer(app) as server:
        answer = BoundedSession(retries=0, deadline=30).get(server.url + "/old",
                                                            headers={"Authorization": "Bearer t"}).json()
    assert answer == {"path": "/new", "auth": "Bearer t"}


def test_a_post_is_never_redirected_with_its_form():
    with FakeServer(lambda r: Answer.json({})) as elsewhere:
        with FakeServer(lambda r: Answer(307, headers={"Location": elsewhere.url + "/api"})) as server:
            with pytest.raises(SourceError, match="not followed"):
                BoundedSession(retries=0, deadline=30).post(server.url + "/api", data={"api.token": "t"})
    assert elsewhere.requests == []
