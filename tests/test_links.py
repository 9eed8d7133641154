"""Task references and web addresses in untrusted text end as exactly one
link each, the rest literal: nothing garbled, invented or doubled.

The cases are data (tests/fixtures/links/cases.toml). Each text goes in as a
Slack message, an IRC line, a SAL entry, a manual [[event]] and an
[[actionable]]; the rendered report is read back with mwparserfromhell
(wikitext) and markdown-it-py (Markdown), and every link in a text is counted
with its target and its shown text. A task reference becomes one link to the
task, a change reference ``[[gerrit:1234567|label]]`` one link to the change; a URL becomes a plain link whose text is the URL itself (wikitext: a free
link, https://www.mediawiki.org/wiki/Help:Links#External_links; Markdown: an
autolink, CommonMark 0.31.2 §6.5), never a link with a label of the text's
choosing. The real MediaWiki of tests/mediawiki.py renders them too.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import mwparserfromhell
import pytest
import requests
from markdown_it import MarkdownIt
from mwparserfromhell.nodes import ExternalLink, HTMLEntity, Tag, Text, Wikilink

from postmortem.core.changes import GERRIT
from postmortem.core.tasks import PHABRICATOR
from postmortem.incident.load import load_incident
from postmortem.read.report import parse_report
from postmortem.timeline.gather import gather
from postmortem.write._links import split_links
from postmortem.write.markdown import escape_linked as markdown_linked
from postmortem.write.render import render_report
from postmortem.write.wikitext import escape_linked as wikitext_linked
from tests.cases import load
from tests.conftest import write_incident
from tests.mediawiki import mediawiki  # noqa: F401  (the session fixture)
from tests.test_wikitext import _slack_export

CASES = load("links")["case"]
BY_ID = {case["id"]: case for case in CASES}
SOURCES = ("slack", "irc", "sal", "event", "actionable")
LABELS = {"Slack #ops": "slack", "IRC": "irc", "SAL": "sal"}
SAL_NICK = "otto@deploy1002"
SAL_ACTOR = "otto"  # a SAL line by otto@deploy1002 is otto's


def one_line(text: str) -> bool:
    """An IRC log or SAL line holds no line break of any kind."""
    return text.splitlines() == [text] and "\x00" not in text


def shown(case) -> str:
    return case.get("shown", case["text"])


def _params():
    return [pytest.param(case["id"], source, id=f"{case['id']}-{source}") for case in CASES
            for source in SOURCES if source not in ("irc", "sal") or one_line(case["text"])]


# -- the incident: every case from every source -------------------------------------------

def _write_sources(folder: Path) -> Path:
    texts = [case["text"] for case in CASES]
    _slack_export(folder / "slack", texts)                       # 15:MM, MM = the case's index
    (folder / "irc").mkdir()
    (folder / "irc" / "2023-09-28.log").write_text("".join(
        f"[15:{i:02d}:00] <eve> {text}\n" for i, text in enumerate(texts) if one_line(text)), encoding="utf-8")
    sal = [f"* 16:{i:02d} {SAL_NICK}: {text.replace('|', '{{!}}')}"       # stashbot writes | as {{!}}
           for i, text in enumerate(texts) if one_line(text)]
    (folder / "sal.wiki").write_text("== 2023-09-28 ==\n" + "\n".join(reversed(sal)) + "\n", encoding="utf-8")
    body = ('[report]\nchat = "all"\n'          # every chat line in the report, to check each one
            '[[source]]\ntype = "slack-export"\npath = "slack"\n'
            '[[source]]\ntype = "irc"\npath = "irc/*.log"\n'
            '[[source]]\ntype = "sal-wikitext"\npath = "sal.wiki"\n')
    body += "".join(f'\n[[event]]\ntime = "2023-09-28 17:{i:02d}"\ntext = {json.dumps(text)}\n'
                    for i, text in enumerate(texts))
    body += "".join(f"\n[[actionable]]\ntext = {json.dumps(text)}\n" for text in texts)
    return write_incident(folder, body)


_WIKI_ENTRY = re.compile(r"^\*(\d\d):(\d\d)(?::\d\d)? (?:\((Slack #ops|IRC|SAL)\) (?:mallory|eve|"
                         + re.escape(SAL_ACTOR) + r"): )?(.*)$")
_MD_ENTRY = re.compile(r"^- \*\*(\d\d):(\d\d)(?::\d\d)?\*\* (?:\((Slack #ops|IRC|SAL)\) (?:mallory|eve|"
                       + re.escape(SAL_ACTOR) + r"): )?(.*)$", re.S)


def _source_of(hour: str, label: str | None) -> str:
    return LABELS[label] if label else {"17": "event"}[hour]


def _wikitext_pieces(report: str) -> dict:
    timeline = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    out = {}
    for line in timeline.split("\n"):
        match = _WIKI_ENTRY.match(line)
        if match:
            key = (CASES[int(match[2])]["id"], _source_of(match[1], match[3]))
            assert key not in out, key
            out[key] = match[4]
    actionables = report.split("==Actionables==", 1)[1].split("==Scorecard==", 1)[0]
    items = [line[2:] for line in actionables.split("\n") if line.startswith("* ")]
    assert len(items) == len(CASES)
    out.update(((case["id"], "actionable"), item) for case, item in zip(CASES, items))
    return out


def _markdown_items(section: str, start: str) -> list[str]:
    """The list items of a section, each with its continuation lines."""
    items: list[str] = []
    for line in section.split("\n"):
        if line.startswith(start):
            items.append(line)
        elif line.startswith("  ") and items:
            items[-1] += "\n" + line
    return items


def _markdown_pieces(report: str) -> dict:
    timeline = report.split("## Timeline", 1)[1].split("## Detection", 1)[0]
    out = {}
    for item in _markdown_items(timeline, "- **"):
        match = _MD_ENTRY.match(item)
        key = (CASES[int(match[2])]["id"], _source_of(match[1], match[3]))
        assert key not in out, key
        out[key] = item
    actionables = report.split("## Actionables", 1)[1].split("## Scorecard", 1)[0]
    items = _markdown_items(actionables, "- ")
    assert len(items) == len(CASES)
    out.update(((case["id"], "actionable"), item) for case, item in zip(CASES, items))
    return out


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    incident = load_incident(_write_sources(tmp_path_factory.mktemp("links")))
    records = gather(incident)
    wiki = render_report(records)
    markdown = render_report(records, fmt="markdown")
    return {"records": records, "incident": incident, "wikitext": wiki, "markdown": markdown,
            "wikitext pieces": _wikitext_pieces(wiki), "markdown pieces": _markdown_pieces(markdown)}


def test_every_text_is_in_the_report_once_from_each_source(reports):
    expected = {(case_id, source) for case_id, source in (p.values for p in _params())}
    assert set(reports["wikitext pieces"]) == expected
    assert set(reports["markdown pieces"]) == expected
    assert len(reports["records"].events) == len(expected) - len(CASES)   # actionables are no events


# -- wikitext, read with mwparserfromhell ----------------------------------------------------

def wikitext_links(wikitext: str) -> tuple[list[list[str]], str]:
    """The links of a rendered text ([target, shown] each; target "T123" for a
    task link) and what a reader sees of it. Anything else that is not text
    (a template, a bracketed or labelled external link, a tag but our <br />
    and <nowiki/>) fails."""
    links, seen = [], []
    for node in mwparserfromhell.parse(wikitext).nodes:
        if isinstance(node, Text):
            seen.append(str(node))
        elif isinstance(node, HTMLEntity):
            seen.append(node.normalize())
        elif isinstance(node, Wikilink):
            title = str(node.title)
            label = html.unescape(str(node.text)) if node.text is not None else title
            if title.startswith("gerrit:"):                # a change: the target as the case names it
                assert re.fullmatch(r"gerrit:(?:\d+|c/[\w.-]+(?:/[\w.-]+)*/\+/\d+(?:/\d+)?)", title), title
                links.append([title, label])
            else:
                assert title.startswith("phab:T") and title[6:].isdigit(), title
                links.append([title[5:], label])
            seen.append(label)
        elif isinstance(node, ExternalLink):
            assert not node.brackets and node.title is None, str(node)     # a free link: it shows its URL
            links.append([str(node.url), str(node.url)])
            seen.append(str(node.url))
        elif isinstance(node, Tag) and node.self_closing and str(node.tag) in ("br", "nowiki"):
            seen.append("\n" if str(node.tag) == "br" else "")
        else:
            pytest.fail(f"{type(node).__name__} {str(node)!r} in {wikitext!r}")
    return links, "".join(seen)


@pytest.mark.parametrize("case_id, source", _params())
def test_wikitext_has_exactly_the_links_and_the_rest_literal(reports, case_id, source):
    case, written = BY_ID[case_id], reports["wikitext pieces"][(case_id, source)]
    links, seen = wikitext_links(written)
    assert links == case["links"]
    assert seen == shown(case)
    assert "&#91;&#91;phab:" not in written           # no debris of a task link linked again
    if "wikitext" in case:
        assert written == case["wikitext"]


@pytest.mark.parametrize("case_id, source", _params())
def test_markdown_has_exactly_the_links_and_the_rest_literal(reports, case_id, source):
    case, item = BY_ID[case_id], reports["markdown pieces"][(case_id, source)]
    links, seen = markdown_links(item)
    assert links == [[_md_href(target), text] for target, text in case["links"]]
    assert seen == shown(case)
    if "markdown" in case:
        written = _MD_ENTRY.match(item)[4] if source != "actionable" else item[2:]
        assert written == case["markdown"]


# -- Markdown, read with markdown-it-py -------------------------------------------------------

_PARSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _md_href(target: str) -> str:
    if target.startswith("gerrit:"):
        return _PARSER.normalizeLink(GERRIT + target[len("gerrit:"):])
    return _PARSER.normalizeLink(PHABRICATOR + target if re.fullmatch(r"T\d+", target) else target)


def markdown_links(item: str) -> tuple[list[list[str]], str]:
    """The links of one rendered list item ([href, shown] each) and what a
    reader sees of its text (the "**clock** (source) actor: " prefix left
    out). It must be one list item of one paragraph; anything in it but text,
    our bold clock, line breaks and links fails; an autolink must show its
    own address."""
    tokens = _PARSER.parse(item + "\n")
    assert [t.type for t in tokens if t.type != "inline"] == [
        "bullet_list_open", "list_item_open", "paragraph_open", "paragraph_close", "list_item_close",
        "bullet_list_close"], item
    children = next(t for t in tokens if t.type == "inline").children
    links, seen, link = [], [], None
    for child in children:
        if child.type == "link_open":
            assert link is None
            link = child
            links.append([child.attrs["href"], ""])
        elif child.type == "link_close":
            link = None
        elif child.type == "text":
            seen.append(child.content)
            if link is not None:
                links[-1][1] += child.content
        elif child.type in ("hardbreak", "softbreak"):
            seen.append("\n")
        elif child.type in ("strong_open", "strong_close") and link is None:
            continue
        else:
            pytest.fail(f"{child.type} in {item!r}")
    for (href, text), open_token in zip(links, [c for c in children if c.type == "link_open"]):
        if open_token.markup == "autolink":
            assert _PARSER.normalizeLinkText(href) == text, (href, text)
        else:
            assert href.startswith((PHABRICATOR, GERRIT)), href        # our task and change links only
    text = "".join(seen)
    prefix = re.match(r"^(?:\d\d:\d\d(?::\d\d)? (?:\((?:Slack #ops|IRC|SAL)\) \S+: )?)?", text) \
        if item.startswith("- **") else None
    return links, text[prefix.end():] if prefix else text


# -- the pieces, the reader, a real MediaWiki --------------------------------------------------

@pytest.mark.parametrize("case_id", list(BY_ID))
def test_the_pieces_are_the_text(case_id):
    text = BY_ID[case_id]["text"]
    for line in text.split("\n"):
        assert "".join(piece.text for piece in split_links(line)) == line


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_the_view_writes_what_the_escapers_write(reports, case_id):
    case = BY_ID[case_id]
    assert reports["wikitext pieces"][(case_id, "event")] == wikitext_linked(case["text"])
    assert reports["markdown pieces"][(case_id, "actionable")] == "- " + markdown_linked(case["text"])


def test_the_reader_gives_back_what_the_timeline_shows(reports):
    """Rendered wikitext read back (postmortem/read/): a URL is the URL, a task
    link [[phab:T1|T1]] the "T1" it shows, a labelled one as written."""
    report = parse_report(reports["wikitext"], title=reports["incident"].page_title)
    assert report.problems == ()
    got = {}
    for entry in report.timeline:
        source = LABELS.get(entry.label) or "event"
        got[(CASES[entry.time.minute]["id"], source)] = entry.text
    expected = {(case_id, source): BY_ID[case_id].get("read", shown(BY_ID[case_id]))
                for case_id, source in (p.values for p in _params()) if source != "actionable"}
    assert got == expected


def test_a_real_mediawiki_renders_the_links_as_counted(mediawiki):  # noqa: F811
    """MediaWiki itself (1.39, Debian's): each text's <a> elements are exactly its links, a
    URL as an "external free" link showing its address, a task as a link to
    the page phab:T123, a change to Gerrit:1234567 (the test wiki has no phab:
    or gerrit: interwiki), and the text a
    reader sees is the case's."""
    page = "\n".join("* " + wikitext_linked(case["text"]) for case in CASES)
    answer = requests.post(mediawiki.api_url, data={
        "action": "parse", "text": page, "contentmodel": "wikitext", "prop": "text", "wrapoutputclass": "",
        "disablelimitreport": 1, "format": "json", "formatversion": "2"}, timeout=30).json()
    items = re.findall(r"<li>(.*?)</li>", answer["parse"]["text"], re.S)
    assert len(items) == len(CASES)
    for case, item in zip(CASES, items):
        links = []
        for attrs, inner in re.findall(r"<a ([^>]*)>(.*?)</a>", item, re.S):
            text = html.unescape(inner)
            if 'class="external free"' in attrs:
                href = html.unescape(re.search(r'href="([^"]*)"', attrs)[1])
                assert href == text, (case["id"], href, text)
                links.append([href, text])
            elif 'title="Gerrit:' in attrs:
                links.append(["gerrit:" + html.unescape(re.search(r'title="Gerrit:([^" ]+)', attrs)[1]), text])
            else:
                links.append([re.search(r'title="[Pp]hab:(T\d+)', attrs)[1], text])
        assert links == case["links"], case["id"]
        seen = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", item))).strip()
        # MediaWiki writes the space before "!", "?", ":" as a no-break space (French spacing)
        assert seen.replace("\xa0", " ") == shown(case).replace("\xa0", " "), case["id"]


# -- Slack's own links -------------------------------------------------------------------------

SLACK = load("links")["slack"]


@pytest.fixture(scope="module")
def slack_lines(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slack-links")
    (folder / "slack" / "ops").mkdir(parents=True)
    (folder / "slack" / "users.json").write_text(json.dumps([{"id": "U1", "name": "mallory"}]))
    (folder / "slack" / "channels.json").write_text(json.dumps([{"id": "C1", "name": "ops"}]))
    (folder / "slack" / "ops" / "2023-09-28.json").write_text(json.dumps([   # 15:MM, MM = the case's index
        {"type": "message", "user": "U1", "text": case["message"], "ts": f"{1695913200 + 60 * i}.000100"}
        for i, case in enumerate(SLACK)]))
    body = '[report]\nchat = "all"\n[[source]]\ntype = "slack-export"\npath = "slack"\n'
    records = gather(load_incident(write_incident(folder, body)))
    wiki = {int(m[2]): m[4] for m in map(_WIKI_ENTRY.match, render_report(records).split("\n")) if m and m[3]}
    markdown = {int(m[2]): item for item in _markdown_items(render_report(records, fmt="markdown"), "- **")
                if (m := _MD_ENTRY.match(item)) and m[3]}
    return wiki, markdown


@pytest.mark.parametrize("index", range(len(SLACK)), ids=[case["id"] for case in SLACK])
def test_a_slack_link_shows_its_address(slack_lines, index):
    case, (wiki, markdown) = SLACK[index], slack_lines
    assert wikitext_links(wiki[index]) == (case["links"], case["shown"])
    assert markdown_links(markdown[index]) == ([[_md_href(t), text] for t, text in case["links"]], case["shown"])


# -- an actionable's own task, shown once ---------------------------------------------------

ACTIONABLES = load("links")["actionable"]


@pytest.fixture(scope="module")
def actionable_lines(tmp_path_factory):
    body = "".join(f"\n[[actionable]]\ntext = {json.dumps(case['text'])}\ntask = {json.dumps(case['task'])}\n"
                   for case in ACTIONABLES)
    records = gather(load_incident(write_incident(tmp_path_factory.mktemp("actionables"), body)))
    wiki = render_report(records).split("==Actionables==", 1)[1].split("==Scorecard==", 1)[0]
    markdown = render_report(records, fmt="markdown").split("## Actionables", 1)[1].split("## Scorecard", 1)[0]
    return {"wikitext": [line for line in wiki.split("\n") if line.startswith("* ")],
            "markdown": [line for line in markdown.split("\n") if line.startswith("- ")]}


@pytest.mark.parametrize("index", range(len(ACTIONABLES)), ids=[case["id"] for case in ACTIONABLES])
def test_an_actionable_shows_its_own_task_once(actionable_lines, index):
    case = ACTIONABLES[index]
    assert actionable_lines["wikitext"][index] == case["wikitext"]
    assert actionable_lines["markdown"][index] == case["markdown"]
