"""A fake clock for BoundedSession, so tests about timeouts, retries and deadlines
assert on numbers instead of on how long the machine took.

``BoundedSession(sleep=clock.sleep, clock=clock)`` reads this clock for its
deadline and waits on it for back-off and Retry-After; ``clocked_session`` also
mounts a transport adapter that records the timeout of every attempt and, when
the attempt really times out, moves the clock on by that timeout (the time the
attempt was allowed). Answers that arrive take no time on this clock. The
requests still go to a real (local) server: only the accounting is fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter

from postmortem.net.http import BoundedSession


@dataclass
class Attempt:
    """One request as the transport saw it: when it started on the fake clock,
    the timeout it was given, and whether it timed out."""

    start: float
    timeout: float
    timed_out: bool = False


@dataclass
class FakeClock:
    """Seconds that pass only when someone sleeps or an attempt times out."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def timeouts(self) -> list[float]:
        return [a.timeout for a in self.attempts]


class ClockedAdapter(HTTPAdapter):
    """The default transport, plus the bookkeeping on a FakeClock."""

    def __init__(self, clock: FakeClock):
        super().__init__()
        self.clock = clock

    def send(self, request, timeout=None, **kwargs):
        attempt = Attempt(self.clock.now, timeout)
        self.clock.attempts.append(attempt)
        try:
            return super().send(request, timeout=timeout, **kwargs)
        except requests.Timeout:
            attempt.timed_out = True
            self.clock.now += timeout
            raise


def clocked_session(clock: FakeClock | None = None, **options) -> BoundedSession:
    """A BoundedSession on ``clock`` (a new FakeClock if not given) with the
    ``options`` of BoundedSession; the clock is ``session.fake_clock``."""
    clock = FakeClock() if clock is None else clock
    session = BoundedSession(sleep=clock.sleep, clock=clock, **options)
    adapter = ClockedAdapter(clock)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.fake_clock = clock
    return session


def fast_session() -> BoundedSession:
    """A session for a pull against a server that fails: short timeouts on a new
    FakeClock, so retries and back-off are counted, not waited."""
    return clocked_session(timeout=0.5, retries=2, deadline=2.0, backoff=0.05)
