"""The Markdown report: the same report as the wikitext one, and text from chat
and logs that can never act as Markdown — checked through a CommonMark parser
(markdown-it-py, with GFM tables and strikethrough, raw HTML recognised). The
one link a timeline text may make is an autolink to an http(s) address in it,
showing that address (CommonMark 0.31.2 §6.5); tests/test_links.py checks task
references and URLs."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from postmortem.incident.load import load_incident
from postmortem.write.markdown import (escape_linked, escape_markdown, inline_wikitext, markdown_cell,
                                      wikitext_to_markdown)
from postmortem.write.render import render_report
from postmortem.write.view import report_view
from postmortem.core.questions import QUESTIONS
from postmortem.timeline.gather import gather
from postmortem.core.model import Records
from tests.conftest import SAMPLE, write_incident
from tests.test_wikitext import HOSTILE, _in_irc_log, _irc_log, _slack_export

# Markdown's own constructs, on top of the wikitext ones (CommonMark / GFM spec sections).
MD_HOSTILE = {
    "inline link": "see [click](https://evil.example) and [x](<javascript:alert(1)>)",
    "reference link": "[click][r] [r]\n[r]: https://evil.example",
    "autolink": "<https://evil.example> and <mallory@evil.example>",
    "bare url": "https://evil.example/x http://a.b www.evil.example ftp://x.y",
    "email": "write to mallory@evil.example or mailto:m@evil.example",
    "image": "![alt](https://evil.example/x.png) ![ref][r]",
    "raw html": "<img src=x onerror=alert(1)> <a href='//evil'>x</a> <!-- c --> <?php ?> <![CDATA[x]]>",
    "atx heading": "# Owned",
    "heading after break": "text\n## Owned\n###### six",
    "setext": "Owned\n===\nalso\n---",
    "bullet list": "- one\n+ two\n* three",
    "ordered list": "1. one\n2) two\n10. ten",
    "blockquote": "> quoted\n>> nested",
    "code span": "`code` and ``two``",
    "fence": "```js\nalert(1)\n```\n~~~\nx\n~~~",
    "indented code": "text\n\n    code block",
    "emphasis": "*a* _b_ **c** __d__ ***e*** snake_case_name _x_",
    "strikethrough": "~~gone~~ ~one~",
    "table": "a | b\n--|--\nc | d",
    "pipe table": "| a | b |\n| --- | --- |\n| c | d |",
    "hard break": "two spaces  \nand backslash\\\nend",
    "entities": "&copy; &#35; &#x23; &amp; &lt;b&gt; &nbsp;",
    "footnote": "text[^1]\n[^1]: note",
    "math": "$x^2$ and $$y$$",
    "thematic break": "x\n***\ny\n___",
    "html block": "<div>\nblock\n</div>",
    "task list": "- [ ] todo\n- [x] done",
    "backslashes": "C:\\path\\ \\* \\\\",
    "leading spaces": "   indented\n\t\ttabbed",
    "number start": "2023. a year",
}
CASES = {**HOSTILE, **{"md " + k: v for k, v in MD_HOSTILE.items()}}


def _parser():
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _expected(text):
    cleaned = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32 and ch not in "\x7f\ufffe\uffff")
    return "\n".join(part.strip() for part in cleaned.strip().splitlines() if part.strip())


def _visible(children, urls_in=None):
    """What a reader sees of an inline token's children, or a list of the
    token types that are not plain text (a link, an image, HTML, code…).
    With ``urls_in`` (the texts), an autolink to an http(s) address written in
    them, showing just that address, counts as text."""
    out, foreign = [], []
    for index, child in enumerate(children):
        if child.type == "text":
            out.append(child.content)
        elif child.type in ("hardbreak", "softbreak"):
            out.append("\n")
        elif child.type in ("strong_open", "strong_close"):
            continue
        elif urls_in is not None and _is_plain_autolink(children, index, urls_in):
            continue
        else:
            foreign.append(child.type)
    return "".join(out), foreign


def _is_plain_autolink(children, index, texts):
    child = children[index]
    if child.markup != "autolink" or child.type not in ("link_open", "link_close"):
        return False
    opening = child if child.type == "link_open" else children[index - 2]
    shown = children[children.index(opening) + 1].content
    href = opening.attrs["href"]
    return href.startswith(("http://", "https://")) and href == shown and shown in texts


def _blocks(tokens):
    return [t.type for t in tokens if t.type != "inline"]


# -- escape_markdown, construct by construct -------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_escaped_text_in_a_list_item_is_one_plain_item(name):
    text = CASES[name]
    tokens = _parser().parse("- **14:33** " + escape_markdown(text) + "\n")
    assert _blocks(tokens) == ["bullet_list_open", "list_item_open", "paragraph_open", "paragraph_close",
                               "list_item_close", "bullet_list_close"], name
    inline = next(t for t in tokens if t.type == "inline")
    visible, foreign = _visible(inline.children)
    assert foreign == [], f"{name}: {foreign}"
    assert visible == "14:33 " + _expected(text).replace("\r", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_escaped_text_in_a_paragraph_stays_one_paragraph(name):
    tokens = _parser().parse(escape_markdown(CASES[name]) + "\n")
    assert _blocks(tokens) == ["paragraph_open", "paragraph_close"], name
    assert _visible(tokens[1].children)[1] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_escaped_text_in_a_table_cell_stays_in_its_cell(name):
    doc = "| when | what |\n| --- | --- |\n| 14:33 | " + markdown_cell(CASES[name]) + " |\n"
    tokens = _parser().parse(doc)
    cells = [t for t in tokens if t.type == "inline"]
    assert [t.type for t in tokens].count("tr_open") == 2 and len(cells) == 4, name
    visible, foreign = _visible(cells[3].children)
    assert foreign == []
    assert visible == " ".join(_expected(CASES[name]).replace("\r", "").split("\n"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_escaping_puts_in_no_character_the_text_did_not_have(name):
    """Only backslashes before ASCII punctuation (CommonMark §2.4) are added:
    no invisible character inside a URL or user@host (GFM §6.9 extended
    autolinks may link those; such a link shows its own address)."""
    for out in (escape_markdown(CASES[name]), markdown_cell(CASES[name]), escape_linked(CASES[name])):
        assert set(out) - set(CASES[name]) <= set("\\\n <>"), name   # "<>": an autolink's brackets
        assert "\u2060" not in out


def test_user_at_host_and_www_stay_as_written():
    assert escape_markdown("otto@deploy1002: helmfile apply") == "otto@deploy1002: helmfile apply"
    assert escape_markdown("mail a@b.org or see www.example.org") == "mail a@b.org or see www.example.org"
    assert escape_linked("otto@deploy1002 a@b.org") == "otto@deploy1002 a@b.org"


def test_plain_text_stays_readable():
    assert escape_markdown("restart mw-page-content-change-enrich (codfw) at 14:33, it's ok!") == \
        "restart mw-page-content-change-enrich (codfw) at 14:33, it's ok!"
    assert escape_markdown("mw_page_content_change_enrich") == "mw_page_content_change_enrich"
    assert escape_markdown("+1, let's do that") == "\\+1, let's do that"


# -- author-written wikitext ----------------------------------------------------

def test_author_wikitext_becomes_markdown():
    text = ("As part of {{PhabT|336044}}, see [[Kafka/Administration|the runbook]] and "
            "[https://grafana.example/d/x dashboard]; '''bold''' ''it'' <code>JobDown</code> [[phab:T1]]")
    assert inline_wikitext(text) == (
        "As part of [T336044](https://phabricator.wikimedia.org/T336044), see the runbook and "
        "[dashboard](https://grafana.example/d/x); **bold** *it* `JobDown` "
        "[T1](https://phabricator.wikimedia.org/T1)")
    assert wikitext_to_markdown("para one\nstill one\n\n* a\n* b") == "para one still one\n\n- a\n- b"
    assert wikitext_to_markdown("x <!-- hidden --> y <span>z</span>") == "x y z"


def test_author_wikitext_cannot_break_the_layout_either():
    tokens = _parser().parse("| a | b |\n| --- | --- |\n| Impact | " +
                             wikitext_to_markdown("a | b\n# c <script>x</script> [[x|y]]") + " |\n")
    assert [t.type for t in tokens].count("tr_open") == 2
    assert not [t for t in tokens if t.type.startswith("html")]


# -- the hostile incident end to end ------------------------------------------------

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-md")
    texts = list(CASES.values())
    _slack_export(tmp / "slack", texts)
    (tmp / "irc").mkdir()
    _irc_log(tmp / "irc" / "2023-09-28.log", texts)
    path = write_incident(tmp, ('[report]\nchat = "all"\n'     # every chat line, to check each one
                                '[[source]]\ntype = "slack-export"\npath = "slack"\n'
                                '[[source]]\ntype = "irc"\npath = "irc/*.log"\n'))
    incident = load_incident(path)
    events = list(gather(incident).events)
    report = render_report(Records(incident, events), fmt="markdown")
    return events, report, _parser().parse(report)


def _section(tokens, title):
    start = next(i for i, t in enumerate(tokens) if t.type == "inline" and t.content == title
                 and tokens[i - 1].type == "heading_open")
    end = next((i for i in range(start + 2, len(tokens)) if tokens[i].type == "heading_open"), len(tokens))
    return tokens[start + 2:end]


def test_hostile_report_has_only_the_templates_headings(hostile):
    tokens = hostile[2]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["Incident: 2023-09-28 test", "Summary", "Timeline", "Detection", "Conclusions",
                        "What went well?", "What went poorly?", "Where did we get lucky?",
                        "Links to relevant documentation", "Actionables", "Scorecard"]


SLACK_FORMATTING = {"code_inline", "em_open", "em_close", "s_open", "s_close"}


def test_hostile_timeline_is_one_plain_item_per_event(hostile):
    events, _, tokens = hostile
    timeline = _section(tokens, "Timeline")
    items = [t for t in timeline if t.type == "list_item_open"]
    assert len(items) == len(events) == len(CASES) + sum(_in_irc_log(t) for t in CASES.values())
    assert {t.type for t in timeline} <= {"paragraph_open", "paragraph_close", "inline", "bullet_list_open",
                                           "bullet_list_close", "list_item_open", "list_item_close"}
    inlines = [t for t in timeline if t.type == "inline"][1:]   # after "All times in UTC."
    seen = {}
    texts = "\n".join(CASES.values())
    for inline in inlines:
        visible, foreign = _visible(inline.children, urls_in=texts)
        slack = "(Slack #ops)" in visible
        # Slack's own formatting becomes ours (code, bold, italic, strike), and nothing else
        assert set(foreign) <= (SLACK_FORMATTING if slack else set()), (visible, foreign)
        seen.setdefault(visible.split(": ", 1)[0].split(" ", 1)[1], []).append(visible.split(": ", 1)[1])
    for prefix in ("(IRC) eve",):   # IRC text shows literally; Slack's is formatted (test_mrkdwn.py)
        for text in CASES.values():
            if prefix.startswith("(IRC)") and not _in_irc_log(text):
                continue
            assert _expected(text).replace("\r", "") in seen[prefix], (prefix, text)


def test_hostile_report_has_no_html_links_or_images_of_the_texts_making(hostile):
    _, report, tokens = hostile
    html = _parser().render(report)
    texts = "\n".join(CASES.values())
    hrefs = re.findall(r'<a href="([^"]*)">([^<]*)</a>', html)
    assert all(href == shown and href.startswith(("http://", "https://")) and shown in texts
               for href, shown in hrefs), hrefs
    # the 8 http(s) addresses of the texts, from Slack, and 7 from IRC (a log line holds no newline)
    assert html.count("<a ") == len(hrefs) == 8 + 7, hrefs
    assert "<img" not in html and "<script" not in html     # <code>, <em>, <del>: Slack's formatting
    assert "<blockquote>" not in html and "<pre>" not in html and "<hr" not in html
    raw = [t.content for t in tokens if t.type.startswith("html")]
    raw += [c.content for t in tokens if t.type == "inline" for c in t.children if c.type.startswith("html")]
    assert all(re.fullmatch(r"<!-- [^<>]* -->\n?", r) for r in raw), raw   # the template's placeholders only


# -- the sample ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    incident = load_incident(SAMPLE / "incident.toml")
    events = list(gather(incident).events)
    report = render_report(Records(incident, events), fmt="markdown")
    return events, report, _parser().parse(report)


def test_sample_sections_and_metadata_table(sample):
    _, report, tokens = sample
    assert report.startswith("# Incident: 2023-09-28 mw-page-content-change-enrich\n")
    cells = [t.content for t in _section(tokens, "Incident: 2023-09-28 mw-page-content-change-enrich")
             if t.type == "inline"]
    table = dict(zip(cells[2::2], cells[3::2]))
    assert table["Task"] == "[T347521](https://phabricator.wikimedia.org/T347521)"
    assert table["Start (UTC)"] == "2023-09-28 14:33:00" and table["End (UTC)"] == "2023-10-03 14:14:54"
    assert table["Responders"] == "4" and table["Paged"] == "0"
    assert table["Impact"].startswith("For about five days")


def test_sample_timeline_is_the_curated_list_in_two_parts(sample):
    events, report, tokens = sample
    incident = load_incident(SAMPLE / "incident.toml")
    view = report_view(Records(incident, events), "markdown")
    lead_up, entries = view["lead_up"], view["entries"]
    items = {part: [t for t in _section(tokens, part) if t.type == "list_item_open"] for part in ("Lead-up", "Incident")}
    assert (len(items["Lead-up"]), len(items["Incident"])) == (len(lead_up), len(entries)) == (2, 23)
    assert "- **2023-09-28 17:58** @joal suspects it's related to Kafka ingestion" in report
    assert "Job caught up, incident ends — **OUTAGE ENDS** *(\\+1 message)*" in report
    assert "filed [T347884](https://phabricator.wikimedia.org/T347884): mw-page-content-change-enrich" in report
    assert "troubleshooting begins *(\\+3 messages)*\n" in report
    assert "eventually dies with `Failed to send data to Kafka` 🤔\n" in report   # Slack's code and emoji


def test_sample_scorecard_table(sample):
    _, report, tokens = sample
    section = _section(tokens, "Scorecard")
    assert [t.type for t in section].count("tr_open") == 1 + 15 + 1
    cells = [t.content for t in section if t.type == "inline"]
    for question in QUESTIONS:
        assert any(question.text in c for c in cells), question.text
    assert cells[-3:] == ["**Total score (count of all “yes” answers above)**", "**10**", ""]


def test_sample_actionables_link_their_tasks(sample):
    report = sample[1]
    section = report.split("## Actionables", 1)[1].split("## Scorecard", 1)[0]
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(items) == 4
    assert items[0].startswith("- [T347884](https://phabricator.wikimedia.org/T347884) – mw-page-content")


def test_cli_markdown_with_the_graph_embedded(tmp_path, run_cli):
    out = tmp_path / "report.md"
    code, _, _ = run_cli("render", SAMPLE / "incident.toml", "--format", "markdown", "-o", out,
                         "--graph", tmp_path / "Enrich timeline.svg")
    assert code == 0 and (tmp_path / "Enrich timeline.svg").exists()
    tokens = _parser().parse(out.read_text(encoding="utf-8"))
    images = [c for t in tokens if t.type == "inline" for c in t.children if c.type == "image"]
    assert [i.attrs["src"] for i in images] == ["Enrich%20timeline.svg", "report-kafka-consumer-lag.svg"]
    assert (tmp_path / "report-kafka-consumer-lag.svg").exists()    # the sample's [[graph]], beside the report
