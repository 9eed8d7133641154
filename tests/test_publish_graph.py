"""The timeline graph of `publish`/`update --graph` on a real MediaWiki
(tests/mediawiki.py): one file per incident by default, never over a file the
tool did not upload for the same page (unless --replace-graph), an update
without --graph keeps the graph, an unusable name is exit 2 before any request.

Each test works on incidents of its own (their own ids, so their own default
file names) and pages of its own.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from postmortem._version import __version__
from postmortem.net.mediawiki import Wiki
from postmortem.core.errors import InputError, WikiError
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from postmortem.publishing.pictures import default_graph_name, embedded_graph, graph_file_name
from postmortem.publishing.report_page import publish, update
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "2023-09-28-mw-page-content-change-enrich"
NEW_EVENT = "@tchin confirms the backlog is shrinking steadily"


def incident_copy(tmp_path: Path, incident_id: str) -> Path:
    """A writable copy of the sample incident under another id; its incident.toml."""
    folder = tmp_path / incident_id
    shutil.copytree(SAMPLE, folder)
    toml = folder / "incident.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('id = "2023-09-28 mw-page-content-change-enrich"',
                                 f"id = {json.dumps(incident_id)}", 1), encoding="utf-8")
    assert load_incident(toml).id == incident_id
    return toml


def add_event(toml: Path, text: str = NEW_EVENT) -> None:
    with open(toml, "a", encoding="utf-8") as f:
        f.write(f'\n[[event]]\ntime = "2023-10-02 15:00"\ntext = {json.dumps(text)}\n')


def file_versions(mw, name: str) -> list[dict]:
    """Every version of File:<name>, newest first (user, comment, sha1); [] if none."""
    page = mw.api(mw.session(), action="query", titles=f"File:{name}", prop="imageinfo",
                  iiprop="user|comment|sha1|timestamp", iilimit="max")["query"]["pages"][0]
    return page.get("imageinfo", [])


def embeds(mw, title: str, name: str) -> bool:
    """The page's HTML shows File:<name> as a picture: the thumbnail MediaWiki
    drew from the SVG (a missing file would be a red link to Special:Upload)."""
    html = mw.api(mw.session(), action="parse", page=title, prop="text")["parse"]["text"]
    return name.replace(" ", "_") + ".png" in html and f'title="File:{name}"' not in html


# -- the README's own example name, for two incidents ------------------------------------------

def test_a_second_incident_may_not_take_the_first_ones_graph(cli, bot_env, tmp_path):
    first, second = incident_copy(tmp_path, "graph-first"), incident_copy(tmp_path, "graph-second")
    page_1, page_2 = "Incidents/Graph first", "Incidents/Graph second"
    code, out, err = cli("publish", first, "--wiki", bot_env.api_url, "--page", page_1, "--graph", "Timeline.svg")
    assert code == 0, err
    assert "with the graph File:Timeline.svg" in out
    before = file_versions(bot_env, "Timeline.svg")
    assert len(before) == 1 and before[0]["comment"] == f"postmortem {__version__}: timeline of [[{page_1}]]"

    code, out, err = cli("publish", second, "--wiki", bot_env.api_url, "--page", page_2, "--graph", "Timeline.svg")
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "File:Timeline.svg already exists" in err and f"[[{page_1}]]" in err
    assert "nothing was changed" in err and "--replace-graph" in err
    assert file_versions(bot_env, "Timeline.svg") == before        # nothing uploaded
    assert bot_env.current(page_2) == {}                              # the page not created
    assert embeds(bot_env, page_1, "Timeline.svg")                    # the first page keeps its graph

    # the same again as an update of a page of the second incident: refused, the page untouched
    assert cli("publish", second, "--wiki", bot_env.api_url, "--page", page_2)[0] == 0
    add_event(second)
    untouched = bot_env.current(page_2)
    for dry in ((), ("--dry-run",)):
        code, _, err = cli("update", second, "--wiki", bot_env.api_url, "--page", page_2,
                           "--graph", "Timeline.svg", *dry)
        assert code == 1 and "File:Timeline.svg already exists" in err
    assert bot_env.current(page_2) == untouched and file_versions(bot_env, "Timeline.svg") == before

    time.sleep(1.1)  # MediaWiki names archived file versions by the second
    code, out, err = cli("update", second, "--wiki", bot_env.api_url, "--page", page_2,
                         "--graph", "Timeline.svg", "--replace-graph")
    assert code == 0, err
    after = file_versions(bot_env, "Timeline.svg")
    assert len(after) == 2 and after[0]["sha1"] != before[0]["sha1"]
    assert after[0]["comment"] == f"postmortem {__version__}: timeline of [[{page_2}]]"
    assert embeds(bot_env, page_2, "Timeline.svg")


def test_a_new_version_of_our_own_file_for_the_same_page_is_fine(cli, bot_env, tmp_path):
    toml, title = incident_copy(tmp_path, "graph-own"), "Incidents/Graph own"
    assert cli("publish", toml, "--wiki", bot_env.api_url, "--page", title, "--graph", "Graph own.svg")[0] == 0
    add_event(toml)
    time.sleep(1.1)
    code, out, err = cli("update", toml, "--wiki", bot_env.api_url, "--page", title, "--graph", "Graph own.svg")
    assert code == 0, err
    versions = file_versions(bot_env, "Graph own.svg")
    assert len(versions) == 2 and {v["comment"] for v in versions} == {
        f"postmortem {__version__}: timeline of [[{title}]]"}
    # the title as the wiki normalises it is the same page
    add_event(toml, "@joal sees the lag under one hour")
    time.sleep(1.1)
    code, _, err = cli("update", toml, "--wiki", bot_env.api_url, "--page", "Incidents/Graph_own",
                       "--graph", "Graph own.svg")
    assert code == 0, err


def test_a_file_uploaded_by_hand_is_refused_unless_replace(cli, bot_env, tmp_path):
    human = Wiki(bot_env.api_url)
    human.login(bot_env.human, bot_env.human_password)
    hand = b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
    assert human.upload_file("Drawn by hand.svg", hand, comment="my own drawing")["result"] == "Success"
    toml, title = incident_copy(tmp_path, "graph-hand"), "Incidents/Graph hand"
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", title, "--graph", "Drawn by hand.svg")
    assert code == 1 and "uploaded by Human" in err and "not by postmortem" in err
    assert bot_env.current(title) == {} and len(file_versions(bot_env, "Drawn by hand.svg")) == 1
    time.sleep(1.1)
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", title,
                       "--graph", "Drawn by hand.svg", "--replace-graph")
    assert code == 0, err
    assert file_versions(bot_env, "Drawn by hand.svg")[0]["user"] == bot_env.admin


def test_a_file_page_without_a_file_is_refused(cli, bot_env, tmp_path):
    bot_env.human_edit("File:Only a description.svg", lambda _: "A description someone wrote.")
    toml, title = incident_copy(tmp_path, "graph-description"), "Incidents/Graph description"
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", title,
                       "--graph", "Only a description.svg")
    assert code == 1 and "page-exists" in err and "--replace-graph" in err
    assert bot_env.current(title) == {} and file_versions(bot_env, "Only a description.svg") == []


# -- the default name ----------------------------------------------------------------------------

def test_default_graph_names_differ_per_incident(cli, bot_env, tmp_path):
    names = {}
    for incident_id in ("2023-09-28 graph default a", "2023-09-28 graph default b"):
        toml = incident_copy(tmp_path, incident_id)
        title = f"Incidents/{incident_id}"
        code, out, err = cli("publish", toml, "--wiki", bot_env.api_url, "--graph")   # --graph last, no name
        assert code == 0, err
        names[incident_id] = name = f"Incident {incident_id} timeline.svg"
        assert f"published {title} (revision " in out and f"with the graph File:{name}" in out
        assert embeds(bot_env, title, name)
        assert file_versions(bot_env, name)[0]["comment"].endswith(f"timeline of [[{title}]]")
    assert len(set(names.values())) == 2


@pytest.mark.parametrize("incident_id, name", [
    ("2023-09-28 mw-page-content-change-enrich", "Incident 2023-09-28 mw-page-content-change-enrich timeline.svg"),
    ("2024-01-02 db: primary/replica lag", "Incident 2024-01-02 db- primary-replica lag timeline.svg"),
    ("2024-01-02 'quoted' ~~~ __x__ & co", "Incident 2024-01-02 -quoted- - x - co timeline.svg"),
    ("2024-01-02  two   spaces ", "Incident 2024-01-02 two spaces timeline.svg"),
])
def test_default_graph_name(incident_id, name):
    assert default_graph_name(incident_id) == name
    assert graph_file_name(name) == name


def test_a_long_id_gives_a_short_name_still_its_own():
    one, other = "2024-01-02 " + "x" * 300, "2024-01-02 " + "x" * 301
    assert len(default_graph_name(one).encode()) < 240
    assert default_graph_name(one) != default_graph_name(other)


def test_embedded_graph_finds_the_tools_embed_only():
    text = ("==Timeline==\n[[File:Incident a timeline.svg|thumb|upright=2|Timeline of the incident (UTC): "
            "alerts firing as bars]]\n[[File:Other.svg|thumb|A picture]]")
    assert embedded_graph(text) == "Incident a timeline.svg"
    assert embedded_graph("[[File:Other.svg|thumb|A picture]]") is None
    assert embedded_graph(None) is None


# -- update without --graph ----------------------------------------------------------------------

def test_update_without_graph_keeps_the_graph(cli, bot_env, tmp_path):
    incident_id = "2023-09-28 graph kept"
    toml, title = incident_copy(tmp_path, incident_id), f"Incidents/{incident_id}"
    name = f"Incident {incident_id} timeline.svg"
    assert cli("publish", toml, "--wiki", bot_env.api_url, "--graph")[0] == 0
    bot_env.human_edit(title, lambda t: t.replace("==Detection==\n", "==Detection==\nHAND: seen by a person.\n"))
    add_event(toml)

    code, out, err = cli("update", toml, "--wiki", bot_env.api_url, "--dry-run")
    assert code == 0, err
    assert f"kept the graph File:{name}" in err
    changes = [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changes == [f"+*2023-10-02 15:00 {NEW_EVENT}"]           # the embed is not dropped

    code, out, err = cli("update", toml, "--wiki", bot_env.api_url)
    assert code == 0 and f"updated {title}" in out, err
    text = bot_env.text(title)
    assert f"[[File:{name}|thumb|" in text and NEW_EVENT in text and "HAND: seen by a person." in text
    assert embeds(bot_env, title, name)
    assert len(file_versions(bot_env, name)) == 1                   # not uploaded again


def test_library_update_reports_the_kept_graph(bot_env, bot, tmp_path):
    toml = incident_copy(tmp_path, "graph-library")
    title, name = "Incidents/Graph library", default_graph_name("graph-library")
    published = publish(gather(load_incident(toml)), bot_env.api_url, title, wiki=bot, graph=name)
    assert published.graph == name
    add_event(toml)
    result = update(gather(load_incident(toml)), bot_env.api_url, title, wiki=bot)
    assert result.graph == name and result.graph_kept and result.new_revid
    assert f"[[File:{name}|thumb|" in bot_env.text(title)


# -- unusable names: exit 2, no request ----------------------------------------------------------

@pytest.fixture
def no_requests(monkeypatch):
    """Fails the test on any request to a wiki; the list of attempted calls."""
    made = []

    def refuse(self, *args, **kwargs):
        made.append(args)
        raise AssertionError("a request was made")
    monkeypatch.setattr(Wiki, "call", refuse)
    monkeypatch.setattr(Wiki, "_request", refuse)
    return made


@pytest.mark.parametrize("args, message", [
    (("--graph", "Timeline.png"), "must end in .svg"),
    (("--graph", "x]]{{evil}}"), "not a usable wiki file name"),
    (("--graph", "x]]{{evil}}.svg"), "not a usable wiki file name"),
    (("--graph", "[[evil]].svg"), "not a usable wiki file name"),
    (("--graph", "Timeline"), "not a usable wiki file name"),
])
@pytest.mark.parametrize("command", ["publish", "update"])
def test_unusable_graph_name_is_exit_2_before_any_request(cli, bot_env, tmp_path, no_requests, command,
                                                          args, message):
    toml = incident_copy(tmp_path, "graph-bad")
    code, out, err = cli(command, toml, "--wiki", bot_env.api_url, "--page", "Incidents/Bad graph", *args)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert no_requests == []


@pytest.mark.parametrize("command", ["publish", "update"])
def test_replace_graph_with_no_picture_to_replace_is_exit_2_before_any_request(cli, bot_env, tmp_path,
                                                                               no_requests, command):
    toml = incident_copy(tmp_path, "graph-nothing-to-replace")
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[:text.index("[[graph]]")] + text[text.index("[[event]]"):], encoding="utf-8")
    assert load_incident(toml).graphs == ()
    code, out, err = cli(command, toml, "--wiki", bot_env.api_url, "--page", "Incidents/Bad graph", "--replace-graph")
    assert code == 2 and "--replace-graph needs --graph (or a [[graph]] in the incident)" in err
    assert len(err.splitlines()) == 1 and no_requests == []


def test_library_refuses_an_unusable_name_before_any_request(no_requests):
    records = gather(load_incident(SAMPLE / "incident.toml"))
    for call in (publish, update):
        with pytest.raises(InputError, match="must end in .svg"):
            call(records, "https://wiki.invalid/w/api.php", graph="Timeline.png")
    assert no_requests == []


def test_the_wiki_refusing_our_svg_is_a_wiki_error(bot_env, bot, tmp_path, monkeypatch):
    """(The wiki's own SVG check is in test_upload.py; here: its error reaches
    the caller and the page is not created.)"""
    import postmortem.publishing.pictures as graph
    monkeypatch.setattr(graph, "render_graph", lambda records: '<svg xmlns="http://www.w3.org/2000/svg">'
                                                               '<script>alert(1)</script></svg>')
    toml, title = incident_copy(tmp_path, "graph-evil"), "Incidents/Graph evil"
    with pytest.raises(WikiError) as caught:
        publish(gather(load_incident(toml)), bot_env.api_url, title, wiki=bot, graph="Graph evil.svg")
    assert caught.value.code == "verification-error"
    assert bot_env.current(title) == {}
