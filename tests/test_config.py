"""The user's settings (issue 24): config.toml under $XDG_CONFIG_HOME, the
environment over it, an option over both; `postmortem config` says what is in
force and from where, never a secret; the User-Agent's contact; completion."""

from __future__ import annotations

import json

import pytest

from postmortem.net.http import secret, user_agent
from postmortem.collect.sources import REGISTRY, get_source, network_types
from postmortem.core.config import PROJECT_URL, config_path, setting
from postmortem.core.errors import InputError
from tests.services import Answer, FakeServer

PASSWORD = "s3cret-bot-password-never-shown"


def write_config(monkeypatch, tmp_path, text: str, mode: int = 0o600):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "xdg" / "postmortem" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_file_is_under_xdg_config_home_else_dot_config(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "postmortem" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "postmortem" / "config.toml"


def test_an_option_then_the_environment_then_the_file_then_the_default(monkeypatch, tmp_path):
    path = write_config(monkeypatch, tmp_path, 'wiki = "https://file.example/w/api.php"\n')
    assert setting("wiki").value == "https://file.example/w/api.php" and setting("wiki").origin == str(path)
    monkeypatch.setenv("POSTMORTEM_WIKI", "https://env.example/w/api.php")
    assert setting("wiki").origin == "the environment variable POSTMORTEM_WIKI"
    chosen = setting("wiki", "https://option.example/w/api.php")
    assert (chosen.value, chosen.origin) == ("https://option.example/w/api.php", "the option --wiki")
    assert (setting("contact").value, setting("contact").origin) == (PROJECT_URL, "the default")


def test_the_user_agent_names_the_tool_its_version_and_a_contact_never_another_project(monkeypatch, tmp_path):
    assert f"({PROJECT_URL})" in user_agent() and "pypi.org/project/postmortem/" not in user_agent()
    write_config(monkeypatch, tmp_path, 'contact = "sre-me@example.org"\n')
    assert user_agent().startswith("postmortem/") and "(sre-me@example.org)" in user_agent()


def test_credentials_in_the_config_file_only_when_only_its_owner_reads_it(monkeypatch, tmp_path):
    monkeypatch.delenv("POSTMORTEM_WIKI_PASSWORD", raising=False)
    path = write_config(monkeypatch, tmp_path, f'[credentials]\nPOSTMORTEM_WIKI_PASSWORD = "{PASSWORD}"\n', 0o644)
    with pytest.raises(InputError, match="chmod 600") as caught:
        secret("POSTMORTEM_WIKI_PASSWORD")
    assert PASSWORD not in str(caught.value) and str(path) in str(caught.value)
    path.chmod(0o600)
    assert secret("POSTMORTEM_WIKI_PASSWORD") == PASSWORD


@pytest.mark.parametrize("text, message", [
    ('wiky = "x"\n', "unknown setting 'wiky'"),
    ("wiki = 3\n", "wiki must be a non-empty string"),
    ("wiki = [\n", "not valid TOML"),
])
def test_a_bad_config_file_is_one_error_naming_it(monkeypatch, tmp_path, run_cli, text, message):
    path = write_config(monkeypatch, tmp_path, text)
    code, out, err = run_cli("config")
    assert (code, out) == (2, "") and err.startswith(f"postmortem: error: {path}: ") and message in err


def test_config_shows_what_is_in_force_and_from_where_never_a_secret(monkeypatch, tmp_path, run_cli):
    path = write_config(monkeypatch, tmp_path, 'wiki = "https://wikitech.wikimedia.org/w/api.php"\n'
                                               f'[credentials]\nPOSTMORTEM_WIKI_USER = "Me@postmortem"\n'
                                               f'POSTMORTEM_WIKI_PASSWORD = "{PASSWORD}"\nPM_PHAB_TOKEN = "api-x"\n')
    monkeypatch.setenv("POSTMORTEM_CONTACT", "me@example.org")
    code, out, err = run_cli("config")
    assert code == 0 and err == "" and PASSWORD not in out and "api-x" not in out
    lines = out.splitlines()
    assert lines[0] == f"config file: {path}"
    assert [line.split()[0] for line in lines[1:]] == ["wiki", "contact", "POSTMORTEM_WIKI_USER",
                                                         "POSTMORTEM_WIKI_PASSWORD", "PM_PHAB_TOKEN"]
    assert f"https://wikitech.wikimedia.org/w/api.php  ({path})" in lines[1]
    assert "me@example.org  (the environment variable POSTMORTEM_CONTACT)" in lines[2]
    assert "Me@postmortem" in lines[3] and "****" in lines[4] and "****" in lines[5]
    code, out, _ = run_cli("config", "--format", "json")
    data = json.loads(out)
    assert PASSWORD not in out and data["settings"][3] == {"name": "POSTMORTEM_WIKI_PASSWORD", "value": None,
                                                           "set": True, "from": str(path)}


def test_the_configured_wiki_is_every_command_s_default(monkeypatch, tmp_path, run_cli):
    """No api.php URL to type on every command: lint --page reads the configured wiki."""
    with FakeServer(lambda request: Answer.json({"batchcomplete": True, "query": {"pages": [
            {"ns": 0, "title": "Incidents/x", "missing": True}]}})) as wiki:
        write_config(monkeypatch, tmp_path, f'wiki = "{wiki.url}/w/api.php"\n')
        code, _, err = run_cli("lint", "--page", "Incidents/x")
    assert (code, err) == (2, f"postmortem: error: --page: no page 'Incidents/x' on the wiki {wiki.url}/w/api.php\n")
    assert wiki.requests[0].query["titles"] == ["Incidents/x"]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    code, _, err = run_cli("lint", "--page", "Incidents/x")
    assert code == 2 and "no wiki: give --wiki API_URL, or set POSTMORTEM_WIKI" in err


def test_the_network_types_pull_lists_are_the_sources_that_say_so():
    assert network_types() == tuple(t for t in REGISTRY if get_source(t).network)


def test_completion_scripts_name_every_command(run_cli):
    code, out, _ = run_cli("completion", "bash")
    assert code == 0 and "stats-page" in out and "open-followups" in out and "--since" in out
