"""`postmortem publish` / `postmortem update` against a real MediaWiki (tests/mediawiki.py).

Each test uses its own page, so the tests are independent of each other's
order. The bot password comes from the environment, as in real use; every CLI
run is checked for the password in its output.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from pathlib import Path

import pytest
import requests

from postmortem._version import __version__
from postmortem.core.errors import WikiError
from postmortem.incident.load import load_incident
from postmortem.publishing.text_merge import MergeConflict
from postmortem.publishing.markers import SUMMARY, find_base, generated_text, with_marker
from postmortem.publishing.report_page import publish, update
from postmortem.timeline.gather import gather
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "2023-09-28-mw-page-content-change-enrich"
SECTIONS = ["Summary", "Timeline", "Detection", "Conclusions", "What went well?", "What went poorly?",
            "Where did we get lucky?", "Links to relevant documentation", "Actionables", "Scorecard"]
NEW_EVENT = "@tchin confirms the backlog is shrinking steadily"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A writable copy of the sample incident; returns its incident.toml."""
    shutil.copytree(SAMPLE, tmp_path / "sample")
    return tmp_path / "sample" / "incident.toml"


def add_event(incident_toml: Path, time: str, text: str) -> None:
    with open(incident_toml, "a", encoding="utf-8") as f:
        f.write(f"\n[[event]]\ntime = {json.dumps(time)}\ntext = {json.dumps(text)}\n")


def section_html(page_html: str, heading: str, next_heading: str) -> str:
    """The HTML between two headings (by their ids)."""
    start = page_html.index(f'id="{heading}"')
    return page_html[start:page_html.index(f'id="{next_heading}"', start)]


def visible_text(page_html: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


# -- publish ----------------------------------------------------------------------------------

def test_publish_the_sample(cli, bot_env, bot, sample):
    code, out, err = cli("publish", sample, "--wiki", bot_env.api_url)
    assert code == 0, err
    title = "Incidents/2023-09-28 mw-page-content-change-enrich"
    assert f"published {title}" in out
    # the page's address, which the wiki serves (issue 24: publish said no URL)
    published = next(line for line in out.splitlines() if line.startswith("published "))
    address = published.split(": ")[-1]
    assert address == bot_env.api_url.replace("api.php", "index.php?title=") + title.replace(" ", "_")
    assert "mw-page-content-change-enrich" in requests.get(address, timeout=30).text
    current = bot_env.current(title)
    assert current["user"] == bot_env.admin
    assert current["comment"].startswith(f"postmortem {__version__}: publish report (generated ")
    assert SUMMARY.match(current["comment"])
    parsed = bot.parse(title)
    for name in SECTIONS:
        assert name in parsed.sections
    timeline = section_html(parsed.html, "Timeline", "Detection")
    assert timeline.count("<li>") >= 15
    assert '<table class="wikitable"' in parsed.html and "Incident Engagement" in parsed.html
    assert "OUTAGE BEGINS" in timeline


def test_publish_onto_an_existing_page_changes_nothing(cli, bot_env, sample):
    title = "Incidents/Existing"
    assert cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    before = bot_env.current(title)
    code, out, err = cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code != 0
    assert "already exists" in err and "Traceback" not in err
    assert bot_env.current(title) == before


def test_wrong_password_exits_non_zero_and_edits_nothing(cli, bot_env, sample, monkeypatch):
    wrong = "q" * 32
    monkeypatch.setenv("POSTMORTEM_WIKI_PASSWORD", wrong)
    title = "Incidents/Wrong password"
    code, out, err = cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code != 0 and "login as 'Admin@postmortem' failed" in err
    assert wrong not in out + err
    assert bot_env.current(title) == {}
    s = bot_env.session()
    anon = bot_env.api(s, action="query", list="recentchanges", rcshow="anon", rclimit="max")
    assert anon["query"]["recentchanges"] == []
    touched = bot_env.api(s, action="query", list="recentchanges", rctitle=title, rclimit="max")
    assert touched["query"]["recentchanges"] == []


def test_update_needs_the_page(cli, bot_env, sample):
    code, _, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", "Incidents/Never published")
    assert code != 0 and "does not exist" in err


# -- hostile chat text ---------------------------------------------------------------------------

HOSTILE_LINES = [
    "{{Hostile template|x=1}}",
    "[[Category:Hostile]]",
    "sig ~~~~ and ~~~",
    "{{subst:PAGENAME}}",
    "</nowiki>[[Category:Nowiki]]<nowiki>",
    "{{#if:1|parser function}}",
    "__NOTOC__ __NOINDEX__",
    "[https://evil.example/ phish] [[Main Page|x]]",
    "'''not bold''' ''not italic''",
    "<!-- not a comment",
]
MULTILINE = "first line\n== Injected heading ==\n{| class=\"wikitable\"\n| injected cell\n|}\n* injected item\n----"
HTML_HOSTILE = "<script>alert(1)</script> <b>not bold</b> <div style=\"x\">d</div> &amp;lt;"


def write_hostile_incident(folder: Path) -> Path:
    """An incident whose Slack export and manual events carry hostile text."""
    channel = folder / "slack" / "incident"
    channel.mkdir(parents=True)
    (folder / "slack" / "channels.json").write_text(json.dumps([{"id": "C1", "name": "incident"}]))
    (folder / "slack" / "users.json").write_text(json.dumps([{"id": "U1", "name": "mallory"}]))
    slack_escape = lambda text: text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    texts = HOSTILE_LINES + [MULTILINE]
    messages = [{"type": "message", "user": "U1", "text": slack_escape(t), "ts": f"{1695911600 + 60 * i}.000100",
                 "pinned_to": ["C1"]} for i, t in enumerate(texts)]   # pinned: the report shows them
    (channel / "2023-09-28.json").write_text(json.dumps(messages))
    events = "".join(f"\n[[event]]\ntime = \"2023-09-28 15:{30 + i:02d}\"\ntext = {json.dumps(t)}\n"
                     for i, t in enumerate(HOSTILE_LINES + [MULTILINE, HTML_HOSTILE]))
    toml = folder / "incident.toml"
    toml.write_text('[incident]\nid = "hostile"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 18:00"\n\n'
                    '[[source]]\ntype = "slack-export"\npath = "slack"\nchannels = ["incident"]\n' + events)
    return toml


def test_hostile_chat_text_shows_literally(cli, bot_env, bot, tmp_path):
    toml = write_hostile_incident(tmp_path)
    title = "Incidents/Hostile"
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0, err
    parsed = bot.parse(title)
    shown = visible_text(parsed.html)
    for line in HOSTILE_LINES + MULTILINE.split("\n"):
        assert shown.count(line) >= 2, line          # once from Slack, once as a manual event
    assert "<script>alert(1)</script> <b>not bold</b>" in shown
    assert "&amp;lt;" in shown
    # nothing became markup
    assert parsed.categories == ()
    cats = bot_env.api(bot_env.session(), action="query", prop="categories|templates|links", titles=title)
    page = cats["query"]["pages"][0]
    assert "categories" not in page
    assert not any("Hostile" in t["title"] or "PAGENAME" in t["title"] for t in page.get("templates", []))
    assert all(link["title"] != "Main Page" for link in page.get("links", []))
    assert "Injected heading" not in parsed.sections
    # only the metadata box ({{Incident scorecard}}) and the scorecard
    assert parsed.html.count("<table") == 2 and parsed.html.count('<table class="wikitable incident-scorecard"') == 1
    assert "<script" not in parsed.html and "<b>not bold" not in parsed.html
    assert "<div style" not in parsed.html
    # the address in "[https://evil.example/ phish]" is a plain link showing itself, never "phish"
    evil = re.findall(r'<a [^>]*href="(https://evil\.example/[^"]*)"[^>]*>([^<]*)</a>', parsed.html)
    assert evil and all(href == text for href, text in evil), evil
    assert not re.search(r"<a [^>]*>[^<]*phish", parsed.html)
    assert "User:Admin" not in parsed.html                      # no signature expanded
    assert "parser function" in shown and "{{#if:1|parser function}}" in shown
    assert 'id="toc"' not in parsed.html or "__NOTOC__" in shown
    timeline = section_html(parsed.html, "Timeline", "Detection")
    assert "<hr" not in timeline and "injected item</li>" not in timeline


# -- update -------------------------------------------------------------------------------------

def hand_edit_summary_and_conclusions(text: str) -> str:
    text = text.replace("finally the backlog began to be processed.",
                        "finally the backlog began to be processed. HAND: the root cause was a starved broker.")
    return text.replace("===What went well?===\n",
                        "===What went well?===\n* HAND: people from three teams joined within an hour.\n")


def test_update_keeps_hand_edits_and_brings_the_new_event(cli, bot_env, bot, sample):
    title = "Incidents/Update"
    assert cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    bot_env.human_edit(title, hand_edit_summary_and_conclusions)
    add_event(sample, "2023-10-02 15:00", NEW_EVENT)
    hand = bot_env.current(title)

    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title, "--dry-run")
    assert code == 0, err
    assert f"+*2023-10-02 15:00 {NEW_EVENT}" in out
    assert [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == \
        [f"+*2023-10-02 15:00 {NEW_EVENT}"]
    assert bot_env.current(title) == hand                     # dry run: same revision

    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0, err
    after = bot_env.current(title)
    assert after["revid"] != hand["revid"] and after["user"] == bot_env.admin
    assert after["comment"].startswith(f"postmortem {__version__}: update report")
    assert "HAND: the root cause was a starved broker." in after["text"]
    assert "* HAND: people from three teams joined within an hour." in after["text"]
    assert NEW_EVENT in after["text"]
    shown = visible_text(bot.parse(title).html)
    assert NEW_EVENT in shown and "HAND: people from three teams" in shown
    assert "postmortem-base" not in shown                     # the base marker is hidden

    # the base is found again from history: the new render, not the merged page
    found = find_base(bot, title)
    assert found.revid == after["revid"] and NEW_EVENT in found.text and "HAND:" not in found.text

    # a second update with nothing new changes nothing
    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0 and "no change" in out
    assert bot_env.current(title)["revid"] == after["revid"]

    # and another event later still merges around the hand edits
    add_event(sample, "2023-10-03 13:00", "@joal sees the lag under one hour")
    assert cli("update", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    final = bot_env.text(title)
    assert "@joal sees the lag under one hour" in final and NEW_EVENT in final
    assert "HAND: the root cause" in final and "HAND: people from three teams" in final


GENERATED_LINE = "@joal deploys parallelism increase. Backpressure finally starts decreasing."


def test_conflicting_hand_edit_in_a_timeline_line_stops_update(cli, bot_env, sample):
    title = "Incidents/Conflict"
    assert cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    bot_env.human_edit(title, lambda t: t.replace(GENERATED_LINE, GENERATED_LINE + " (HAND: confirmed on the dashboard)"))
    sample.write_text(sample.read_text().replace(GENERATED_LINE, "@joal deploys parallelism 4."))
    before = bot_env.current(title)

    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code == 1
    # the line is in the Timeline's part from the start on, under "=== Incident ==="
    assert "'Incident'" in err and "nothing was changed" in err and "--ours" in err
    assert bot_env.current(title) == before

    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title, "--dry-run", "--ours")
    assert code == 0 and "in: Incident" in err and "no visible change" in out
    assert bot_env.current(title) == before

    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title, "--theirs")
    assert code == 0, err
    text = bot_env.text(title)
    assert "@joal deploys parallelism 4." in text and "HAND: confirmed" not in text


def test_concurrent_edit_between_read_and_save_is_an_edit_conflict(bot_env, bot, sample):
    title = "Incidents/Concurrent"
    incident = load_incident(sample)
    publish(gather(incident), bot_env.api_url, title, wiki=bot)
    add_event(sample, "2023-10-02 15:00", NEW_EVENT)
    incident = load_incident(sample)
    edited = {}

    def person_edits_the_timeline_meanwhile(revision):
        # rewrites the lines around the place where the new event goes
        def change(text):
            lines = text.split("\n")
            at = next(i for i, line in enumerate(lines) if line.startswith("*2023-10-02 14:06 (IRC"))
            lines[at + 1:at + 3] = ["*2023-10-02 14:07 HAND: watched backpressure, then filed T347884"]
            return "\n".join(lines)
        edited["revid"] = bot_env.human_edit(title, change)

    with pytest.raises(WikiError) as err:
        update(gather(incident), bot_env.api_url, title, wiki=bot, before_save=person_edits_the_timeline_meanwhile)
    assert err.value.code == "editconflict"
    current = bot_env.current(title)
    assert current["revid"] == edited["revid"] and current["user"] == bot_env.human
    assert "HAND: watched backpressure" in current["text"] and NEW_EVENT not in current["text"]


def test_concurrent_edit_elsewhere_is_never_overwritten(bot_env, bot, sample):
    title = "Incidents/Concurrent elsewhere"
    publish(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    add_event(sample, "2023-10-02 15:00", NEW_EVENT)

    def person_edits_the_summary(revision):
        bot_env.human_edit(title, hand_edit_summary_and_conclusions)

    try:
        result = update(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot, before_save=person_edits_the_summary)
    except WikiError as err:        # MediaWiki may refuse rather than merge: also fine
        assert err.value.code == "editconflict"
        assert NEW_EVENT not in bot_env.text(title)
    else:                           # MediaWiki merged it (diff3): both edits are there
        assert result.merged_concurrent_edit
        assert NEW_EVENT in bot_env.text(title)
    assert "HAND: the root cause was a starved broker." in bot_env.text(title)
    # the next update still finds a base and keeps everything
    add_event(sample, "2023-10-03 13:00", "@joal sees the lag under one hour")
    update(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    text = bot_env.text(title)
    assert "@joal sees the lag under one hour" in text and NEW_EVENT in text
    assert "HAND: the root cause" in text and "HAND: people from three teams" in text


def test_library_publish_and_update_results(bot_env, bot, sample):
    title = "Incidents/Library"
    published = publish(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    assert published.title == title and published.revid > 0
    with pytest.raises(WikiError) as err:
        publish(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    assert err.value.code == "articleexists"
    bot_env.human_edit(title, lambda t: t.replace(GENERATED_LINE, GENERATED_LINE + " HAND"))
    sample.write_text(sample.read_text().replace(GENERATED_LINE, "@joal deploys."))
    with pytest.raises(MergeConflict) as conflict:
        update(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot)
    assert conflict.value.sections == ["Incident"] and bot_env.api_url in str(conflict.value)
    dry = update(gather(load_incident(sample)), bot_env.api_url, title, wiki=bot, prefer="theirs", dry_run=True)
    assert dry.new_revid is None and dry.changed and dry.saves and dry.resolved == ["Incident"]
    assert "-*2023-10-02 14:06 " + GENERATED_LINE + " HAND" in dry.diff


# -- the hidden base marker (no wiki needed) -------------------------------------------------------

def test_marker_round_trip():
    generated = "== A ==\nline 1\nline 2\n== B ==\nline 3"
    page = "== A ==\nline 1 edited\nline 2\nnew line\n== B ==\nline 3"
    saved = with_marker(page, generated)
    assert saved.startswith(page + "\n<!-- postmortem-base:1:") and saved.endswith(" -->")
    assert generated_text(saved) == generated
    assert with_marker(generated, generated) == generated
    assert generated_text(generated) == generated


def test_publish_and_update_with_graph_upload_it_and_embed_it(cli, bot_env, sample):
    title, name = "Incidents/Graph via CLI", "Graph via CLI timeline.svg"
    code, out, err = cli("publish", sample, "--wiki", bot_env.api_url, "--page", title, "--graph", name)
    assert code == 0, err
    anonymous = bot_env.session()
    page = bot_env.api(anonymous, action="query", titles=f"File:{name}", prop="imageinfo",
                       iiprop="mime|sha1")["query"]["pages"][0]
    assert page["imageinfo"][0]["mime"] == "image/svg+xml"
    first_sha1 = page["imageinfo"][0]["sha1"]
    html = bot_env.api(anonymous, action="parse", page=title)["parse"]["text"]
    assert "File:" + name.replace(" ", "_") in html and "<img" in html

    with sample.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[event]]\ntime = "2023-10-02 15:00"\ntext = "{NEW_EVENT}"\n')
    time.sleep(1.1)  # MediaWiki names archived file versions by the second
    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title, "--graph", name)
    assert code == 0, err
    infos = bot_env.api(anonymous, action="query", titles=f"File:{name}", prop="imageinfo",
                        iiprop="sha1", iilimit="5")["query"]["pages"][0]["imageinfo"]
    assert len(infos) == 2 and infos[0]["sha1"] != first_sha1   # a new version: the new event's mark
