"""A real MediaWiki for the tests: Debian's ``mediawiki`` package, SQLite, ``php -S``.

``mediawiki`` (session scope) installs a fresh wiki into a temporary
directory with ``maintenance/install.php``, makes a bot password for Admin with
``createBotPassword.php`` and a second account, Human, with
``createAndPromote.php`` (for edits made "by hand" through the API, as a person
would), serves it on 127.0.0.1 with PHP's built-in server and stops that server
by its PID. If MediaWiki, PHP or rsvg-convert is missing the fixture fails:
these tests are the proof that publishing works, so they must not silently skip.

The wiki looks like Wikitech to a report (tests/fixtures/wiki/README.md): the
settings in ``tests/fixtures/wiki/LocalSettings.wikitech.php`` (the ``phab:``
interwiki, SVG uploads with rsvg-convert thumbnails, subpages) and stand-ins for
Wikitech's templates (``{{irdoc}}``, ``{{Incident scorecard}}``, ``{{PhabT}}``,
``{{Done}}``…) and the ``Incident Scorecard`` page, imported before the server
starts with ``importTextFiles.php`` (no HTTP, about half a second).

Import the fixtures into a test module with ``from tests.mediawiki import
mediawiki`` (and ``bot_env``, ``cli``, ``bot`` for the publishing tests: the bot
password in the environment, the CLI run in-process with a check that no
password is printed, a logged-in client).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

MEDIAWIKI = Path("/usr/share/mediawiki")
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wiki"
WIKITECH_SETTINGS = FIXTURE / "LocalSettings.wikitech.php"
# Page text of Template:<file name> and of <file name> (main namespace).
TEMPLATES = FIXTURE / "templates"
PAGES = FIXTURE / "pages"
BOT_PASSWORD = re.compile(r"password:'([0-9a-w]{32,})'")

# Extra settings for the test wiki: people's accounts count as autoconfirmed at
# once (MediaWiki's default limits a "newbie" to 8 edits a minute), and nothing
# is cached between requests so every read sees the last write. Then what makes
# it look like Wikitech (uploads, SVG, rsvg-convert, phab: interwiki, subpages:
# Manual:$wgEnableUploads, Manual:$wgFileExtensions, Manual:$wgSVGConverter).
EXTRA_SETTINGS = """
$wgAutoConfirmAge = 0;
$wgAutoConfirmCount = 0;
$wgMainCacheType = CACHE_NONE;
$wgParserCacheType = CACHE_NONE;
$wgShowExceptionDetails = true;
require {settings};
$wgSVGConverterPath = {rsvg_dir};
"""


def php_string(text: str) -> str:
    """A single-quoted PHP string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class MediaWikiServer:
    """How to reach the test wiki and who may edit it."""

    api_url: str
    root: Path
    bot_user: str        # "Admin@postmortem" — a bot password login
    bot_password: str
    admin: str           # the wiki user behind the bot password
    human: str
    human_password: str
    startup_seconds: float

    def session(self, user: str | None = None, password: str | None = None) -> requests.Session:
        """A plain requests session, logged in as ``user`` (or anonymous)."""
        s = requests.Session()
        if user:
            token = self.api(s, action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
            data = self.api(s, post=True, action="login", lgname=user, lgpassword=password, lgtoken=token)
            assert data["login"]["result"] == "Success", data
        return s

    def api(self, s: requests.Session, *, post: bool = False, **params) -> dict:
        """One raw API call (tests use it to look at the wiki independently)."""
        params = {**params, "format": "json", "formatversion": "2"}
        r = s.post(self.api_url, data=params, timeout=30) if post else \
            s.get(self.api_url, params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def human_edit(self, title: str, change, summary: str = "hand edit") -> int:
        """Human logs in with the normal login form flow and edits ``title``:
        ``change(text) -> text`` ("" for a page not there yet), with ``summary``.
        Returns the new revision id."""
        s = self.session(self.human, self.human_password)
        text = self.current(title, s).get("text", "")
        token = self.api(s, action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        data = self.api(s, post=True, action="edit", title=title, text=change(text),
                        summary=summary, token=token, **{"assert": "user"})
        assert data.get("edit", {}).get("result") == "Success", data
        return data["edit"]["newrevid"]

    def current(self, title: str, s: requests.Session | None = None) -> dict:
        """The current revision (``revid``, ``user``, ``comment``, ``text``) or {}."""
        data = self.api(s or requests.Session(), action="query", prop="revisions", titles=title,
                        rvslots="main", rvprop="content|ids|user|comment")
        page = data["query"]["pages"][0]
        if page.get("missing"):
            return {}
        rev = page["revisions"][0]
        return {"revid": rev["revid"], "user": rev["user"], "comment": rev["comment"],
                "text": rev["slots"]["main"]["content"]}

    def text(self, title: str, s: requests.Session | None = None) -> str:
        """The current wikitext of ``title``."""
        return self.current(title, s)["text"]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], env: dict, what: str) -> str:
    done = subprocess.run(args, cwd=MEDIAWIKI, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def install(root: Path, port: int) -> tuple[dict, str]:
    """Install a wiki into ``root``; returns (environment for PHP, admin password)."""
    admin_password = "Admin-" + secrets.token_hex(12)
    env = {**os.environ, "MW_CONFIG_FILE": str(root / "LocalSettings.php")}
    _run(["php", "maintenance/install.php", "--dbtype", "sqlite", "--dbpath", str(root),
          "--confpath", str(root), "--server", f"http://127.0.0.1:{port}", "--scriptpath", "",
          "--pass", admin_password, "--skins", "", "--quiet", "Wiki", "Admin"],
         {k: v for k, v in env.items() if k != "MW_CONFIG_FILE"}, "install.php")
    rsvg = Path(shutil.which("rsvg-convert")).resolve()
    with open(root / "LocalSettings.php", "a", encoding="utf-8") as settings:
        settings.write(EXTRA_SETTINGS.format(settings=php_string(str(WIKITECH_SETTINGS)),
                                             rsvg_dir=php_string(str(rsvg.parent))))
    (root / "images").mkdir(exist_ok=True)
    return env, admin_password


def import_pages(env: dict) -> None:
    """The stand-in templates and pages, straight into the database (no server
    needed): one ``importTextFiles.php`` run per namespace, each file's name
    without ``.wiki`` the title."""
    common = ["--overwrite", "--bot", "--user", "Admin", "--summary", "postmortem test wiki stand-in"]
    for prefix, folder in (("Template:", TEMPLATES), ("", PAGES)):
        files = sorted(str(p) for p in folder.glob("*.wiki"))
        _run(["php", "maintenance/importTextFiles.php", *common, *(["--prefix", prefix] if prefix else []),
              *files], env, f"importTextFiles.php ({folder.name})")


def serve(root: Path, port: int, env: dict) -> subprocess.Popen:
    """``php -S`` on 127.0.0.1:port, in its own process group."""
    log = open(root / "php-server.log", "wb")
    return subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(MEDIAWIKI)], cwd=MEDIAWIKI,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_api(api_url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until api.php answers siteinfo (or fail with the server's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"php -S exited with {process.returncode}")
        try:
            r = requests.get(api_url, params={"action": "query", "meta": "siteinfo", "format": "json"},
                             timeout=5)
            if r.status_code == 200 and "query" in r.json():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    pytest.fail(f"MediaWiki did not answer at {api_url} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Stop the server we started, by its PID (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def mediawiki(tmp_path_factory) -> MediaWikiServer:
    """A fresh MediaWiki on 127.0.0.1 for this test session."""
    if not (MEDIAWIKI / "maintenance" / "install.php").exists() or shutil.which("php") is None:
        pytest.fail("MediaWiki is not installed: apt-get install -y --no-install-recommends "
                    "mediawiki php-sqlite3 php-cli (listed in .ci/apt-packages)")
    if shutil.which("rsvg-convert") is None:
        pytest.fail("rsvg-convert (SVG thumbnails) is not installed: apt-get install -y "
                    "--no-install-recommends librsvg2-bin (listed in .ci/apt-packages)")
    started = time.monotonic()
    root = tmp_path_factory.mktemp("mediawiki")
    port = free_port()
    env, _ = install(root, port)
    import_pages(env)
    out = _run(["php", "maintenance/createBotPassword.php", "--appid", "postmortem",
                "--grants", "basic,editpage,createeditmovepage,uploadfile,uploadeditmovefile", "Admin"], env, "createBotPassword.php")
    bot_password = BOT_PASSWORD.search(out).group(1)
    human_password = "Human-" + secrets.token_hex(12)
    _run(["php", "maintenance/createAndPromote.php", "Human", human_password], env,
         "createAndPromote.php")
    process = serve(root, port, env)
    api_url = f"http://127.0.0.1:{port}/api.php"
    try:
        wait_for_api(api_url, process)
        yield MediaWikiServer(api_url=api_url, root=root, bot_user="Admin@postmortem",
                              bot_password=bot_password, admin="Admin", human="Human",
                              human_password=human_password,
                              startup_seconds=time.monotonic() - started)
    finally:
        stop(process)


# -- what the publishing tests share -----------------------------------------------------------

@pytest.fixture
def bot_env(mediawiki, monkeypatch):  # noqa: F811
    """The test wiki, with its bot password in the environment, as in real use."""
    monkeypatch.setenv("POSTMORTEM_WIKI_USER", mediawiki.bot_user)
    monkeypatch.setenv("POSTMORTEM_WIKI_PASSWORD", mediawiki.bot_password)
    return mediawiki


@pytest.fixture
def cli(bot_env, capsys, caplog):  # noqa: F811
    """Run the CLI in-process; (exit code, stdout, stderr). Fails if the
    password shows up anywhere: stdout, stderr or the log."""
    from postmortem.cli import main
    caplog.set_level(logging.DEBUG)

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        for text in (out, err, caplog.text):
            assert bot_env.bot_password not in text
            assert bot_env.human_password not in text
        return code, out, err
    return run


@pytest.fixture
def bot(mediawiki):  # noqa: F811
    """A :class:`postmortem.net.mediawiki.Wiki` logged in with the bot password."""
    from postmortem.net.mediawiki import Wiki
    wiki = Wiki(mediawiki.api_url)
    wiki.login(mediawiki.bot_user, mediawiki.bot_password)
    return wiki
