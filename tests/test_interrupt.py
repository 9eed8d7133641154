"""Ctrl-C: a `pull` waiting on a server that drips stops at once, quietly, the
cache as it was (issue 24: it waited for the download threads, up to the 60 s
deadline, and three Ctrl-Cs gave a traceback); and what a pull shows meanwhile."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading

from postmortem.cli import main
from postmortem.cli._progress import PullProgress
from postmortem.collect.pull import SourceResult
from tests.clock import FakeClock
from tests.conftest import ROOT
from tests.services import Answer, FakeServer, sal_app, sal_entries

START = dt.datetime(2023, 9, 28, 14, 0, tzinfo=dt.timezone.utc)
SAL = sal_entries(START - dt.timedelta(hours=1), 10, dt.timedelta(minutes=10))
DRIP_PIECES, DRIP_PAUSE = 200, 0.1  # 20 s of dripping: far longer than any wait below


class Dripping:
    """The SAL tool until ``drip`` is set; then an answer of one byte every
    DRIP_PAUSE seconds. ``asked`` is set when the dripping answer began,
    ``ended`` when its last byte was sent (or the client went away)."""

    def __init__(self):
        self.good, self.drip = sal_app(SAL), False
        self.asked, self.ended = threading.Event(), threading.Event()

    def __call__(self, request):
        if not self.drip:
            return self.good(request)
        self.asked.set()
        return Answer(200, headers={"Content-Type": "text/html"}, chunks=self._pieces(),
                      pause=DRIP_PAUSE, length=DRIP_PIECES)

    def _pieces(self):
        yield from (b" " for _ in range(DRIP_PIECES - 1))
        self.ended.set()  # before the last byte is sent: a client that has it all sees this set
        yield b" "


def incident(tmp_path, url: str):
    path = tmp_path / "incident.toml"
    path.write_text(f'[incident]\nid = "2023-09-28 drip"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 15:00"\n'
                    f'\n[[source]]\ntype = "sal"\nurl = "{url}"\n', encoding="utf-8")
    return path


def pulled_then_dripping(tmp_path, server, app):
    """The incident pulled once from the good server, which drips from now on:
    its path, and the cache's bytes that an interrupted pull must leave."""
    path = incident(tmp_path, server.url)
    assert main(["pull", str(path)]) == 0
    app.drip = True
    return path, (tmp_path / "incident.events.json").read_bytes()


def test_ctrl_c_stops_a_pull_at_once_without_waiting_for_the_download(tmp_path, capsys):
    app = Dripping()
    with FakeServer(app) as server:
        path, before = pulled_then_dripping(tmp_path, server, app)
        capsys.readouterr()
        threading.Thread(target=_interrupt_when, args=(app.asked,), daemon=True).start()
        saved = signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the suite inherited
        try:
            code = main(["pull", str(path), "--refresh"])
        finally:
            signal.signal(signal.SIGINT, saved)
        still_dripping = not app.ended.is_set()
    out, err = capsys.readouterr()
    assert code == 130 and still_dripping
    assert err == "postmortem: interrupted\n" and out == ""
    assert (tmp_path / "incident.events.json").read_bytes() == before


def test_ctrl_c_ends_the_process_while_the_server_still_drips(tmp_path):
    """The process as a user runs it: the interpreter's exit does not wait for the
    thread still reading the answer either, and there is no traceback."""
    app = Dripping()
    with FakeServer(app) as server:
        path, before = pulled_then_dripping(tmp_path, server, app)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen([sys.executable, "-m", "postmortem", "pull", str(path), "--refresh"],
                                   cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=_ctrl_c_as_a_terminal_sends_it)
        assert app.asked.wait(30)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        still_dripping = not app.ended.is_set()
    assert process.returncode == 130 and still_dripping
    assert "Traceback" not in err and err.endswith("postmortem: interrupted\n")
    assert (tmp_path / "incident.events.json").read_bytes() == before


def _ctrl_c_as_a_terminal_sends_it() -> None:
    """SIGINT as in a shell's foreground job: a suite started in the background by a
    non-interactive shell inherits it ignored, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_when(event: threading.Event) -> None:
    if event.wait(30):
        os.kill(os.getpid(), signal.SIGINT)


# -- what a pull shows --------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self):
        return True


def result(name, status="fetched", events=3, error=None):
    return SourceResult(name, name, status, events=events, requests=1, seconds=0.5, error=error)


def test_piped_a_line_per_source_as_it_ends_with_the_time_so_far():
    clock, stream = FakeClock(), io.StringIO()
    shown = PullProgress(stream, clock=clock)
    shown.progress(0, 2, "source[0] (sal)")
    clock.now = 1.5
    shown.finished(result("source[1] (slack)"))
    shown.tick()
    clock.now = 4.25
    shown.finished(result("source[0] (sal)", status="cached", events=0))
    shown.progress(2, 2, "done")
    assert stream.getvalue() == "source[1] (slack): done, 3 events (1.5 s)\nsource[0] (sal): cached (4.2 s)\n"


def test_on_a_terminal_one_line_redrawn_with_what_it_waits_for_and_the_time(capsys):
    clock, stream = FakeClock(), Terminal()
    shown = PullProgress(stream, clock=clock)
    shown.progress(0, 2, "source[0] (sal)")
    clock.now = 2.0
    shown.tick()
    assert stream.getvalue().endswith("\r\x1b[K[0/2 done] waiting for source[0] (sal) and 1 more, 2.0 s")
    shown.finished(result("source[1] (slack)"))     # the second ends first: one still runs
    assert stream.getvalue().endswith("\r\x1b[K[1/2 done] waiting for source[0] (sal), 2.0 s")
    shown.progress(2, 2, "done")
    assert stream.getvalue().endswith("\r\x1b[K")


def test_a_failed_source_is_said_once_on_the_error_path(capsys):
    from postmortem.core.errors import SourceError
    shown = PullProgress(io.StringIO(), clock=FakeClock())
    shown.progress(0, 1, "source[0] (sal)")
    shown.finished(result("source[0] (sal)", status="failed", error=SourceError("HTTP 500")))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("postmortem: error: source[0] (sal): FAILED after 1 request")
    assert shown.stream.getvalue() == ""
