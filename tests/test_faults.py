"""Nothing lost on faults (issue 16): a `pull` or an `update` killed at any point
(SIGKILL) leaves the cache and the page as before or as after, never half
written; two `update`s of one page started together: exactly one saves, the
other stops with the conflict named and changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from postmortem.net.mediawiki import Wiki
from postmortem.core.errors import WikiError
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from postmortem.publishing.report_page import publish, update
from tests.conftest import SAMPLE
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (fixtures)
from tests.services import FakeServer, sal_app, sal_entries

ROOT = Path(__file__).resolve().parents[1]
# Where the kills land: before the first answer, between answers, while writing.
KILL_AFTER = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.3]


def start(argv: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "postmortem", *map(str, argv)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process: subprocess.Popen, after: float) -> None:
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_pull_killed_at_any_point_leaves_the_old_cache_or_the_new(tmp_path):
    import datetime as dt
    from postmortem.core.model import utc
    entries = sal_entries(utc(2023, 9, 26), count=300, every=dt.timedelta(minutes=20))
    with FakeServer(sal_app(entries), latency=0.1) as server:
        path = tmp_path / "incident.toml"
        path.write_text(f'[incident]\nid = "x"\nstart = "2023-09-27 10:00"\nend = "2023-09-28 12:00"\n'
                        f'[[source]]\ntype = "sal"\nurl = "{server.url}"\n', encoding="utf-8")
        cache = tmp_path / "incident.events.json"
        assert subprocess.run([sys.executable, "-m", "postmortem", "pull", str(path)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True).returncode == 0
        old = cache.read_bytes()
        for after in KILL_AFTER:
            process = start(["pull", path, "--refresh"])
            kill(process, after)
            now = cache.read_bytes()
            if now != old:  # a new cache, then: whole, every source in it
                assert list(json.loads(now)["sources"]) == list(json.loads(old)["sources"]), after
            old = now
        from postmortem.collect.cache import EventCache
        (entry,) = EventCache(load_incident(path)).sources.values()
        assert len(entry.events) > 0


@pytest.fixture
def page(bot_env, bot, tmp_path):  # noqa: F811
    """The sample published on the test wiki, and a copy of it with one more event."""
    shutil.copytree(SAMPLE, tmp_path / "sample")
    sample = tmp_path / "sample" / "incident.toml"
    title = f"Incidents/Faults {time.monotonic_ns()}"
    publish(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    with open(sample, "a", encoding="utf-8") as handle:
        handle.write('\n[[event]]\ntime = "2023-10-02 15:00"\ntext = "@tchin confirms the backlog shrinks"\n')
    return sample, title


def test_an_update_killed_at_any_point_leaves_the_page_before_or_after(bot_env, page):  # noqa: F811
    sample, title = page
    before = bot_env.current(title)
    env = {"POSTMORTEM_WIKI_USER": bot_env.bot_user, "POSTMORTEM_WIKI_PASSWORD": bot_env.bot_password}
    seen = set()
    for after in KILL_AFTER:
        process = start(["update", sample, "--wiki", bot_env.api_url, "--page", title], env)
        kill(process, after)
        now = bot_env.current(title)
        assert now["revid"] == before["revid"] or "the backlog shrinks" in now["text"], after
        assert now["text"].count("==Timeline==") == 1  # a whole page, never a part of one
        seen.add(now["revid"])
        before = now
    assert seen


def test_two_updates_at_once_one_saves_and_the_other_names_the_conflict(bot_env, page):  # noqa: F811
    sample, title = page
    records = gather(load_incident(sample))
    first = bot_env.current(title)
    both_read = threading.Barrier(2, timeout=60)
    outcomes = {}

    def run(name):
        wiki = Wiki(bot_env.api_url)
        wiki.login(bot_env.bot_user, bot_env.bot_password)
        try:
            outcomes[name] = update(records, bot_env.api_url, title, wiki=wiki,
                                    before_save=lambda revision: both_read.wait())
        except WikiError as err:
            outcomes[name] = err

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [o for o in outcomes.values() if isinstance(o, WikiError)]
    saved = [o for o in outcomes.values() if not isinstance(o, WikiError)]
    assert len(saved) == 1 and saved[0].new_revid is not None
    assert len(errors) == 1 and errors[0].code == "editconflict", errors
    history = list(Wiki(bot_env.api_url).revisions(title))
    assert [rev.revid for rev in history[:2]] == [saved[0].new_revid, first["revid"]]
