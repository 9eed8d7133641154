"""Untrusted text from chat and logs can never act as wikitext.

Each construct goes through a real source (a Slack export and an IRC log),
the renderer, and then mwparserfromhell: the rendered line must hold no
template, link, heading, tag, comment or table of the text's making, and
decoding its entities must give back the text exactly. The one link a text
may make is a plain one to an http(s) address in it, showing that address
(https://www.mediawiki.org/wiki/Help:Links#External_links: a free link,
never ``[url label]``); tests/test_links.py checks task references and URLs.
"""

import html
import json

import mwparserfromhell
import pytest
from mwparserfromhell.nodes import Comment, ExternalLink, Heading, HTMLEntity, Tag, Template, Text, Wikilink

from postmortem.incident.load import load_incident
from postmortem.write.render import render_report
from postmortem.write.wikitext import escape, escape_linked, template_arg
from postmortem.timeline.gather import gather
from tests.conftest import write_incident

HOSTILE = {
    "template": "see {{Delete|reason=pwned}} now",
    "subst": "{{subst:CURRENTYEAR}} and {{safesubst:Foo}}",
    "parser function": "{{#if: 1 | yes | no}} {{#invoke:Mod|f}}",
    "magic word variable": "it is {{CURRENTTIME}} {{PAGENAME}}",
    "behaviour switch": "__NOTOC__ __FORCETOC__ __NOINDEX__",
    "internal link": "[[Main Page]] and [[:File:X.png|x]]",
    "category": "[[Category:Hacked]] [[category:Also]]",
    "file": "[[File:Evil.png|thumb|x]]",
    "external link": "[https://evil.example click here]",
    "free url": "go to https://evil.example/x?y=1 or mailto:a@b.example",
    "magic link": "ISBN 978-3-16-148410-0 RFC 1234 PMID 123",
    "table": "{| class=wikitable\n|-\n| cell || cell\n|}",
    "table break": "a |} b || c |- d",
    "heading": "intro\n== Owned ==\nmore",
    "list": "first\n* item\n# number\n: indent\n; term",
    "rule": "x\n----\ny",
    "signature": "thanks ~~~~ and ~~~ and ~~~~~",
    "html": "<script>alert(1)</script><div style=\"x\">d</div><b>b</b>",
    "comment": "before <!-- hidden --> after",
    "ref": "<ref>cite</ref><references/>",
    "nowiki escape": "</nowiki>{{Delete}}<nowiki>",
    "pre": "<pre>x</pre> <syntaxhighlight>y</syntaxhighlight>",
    "bold italic": "'''bold''' ''italic''",
    "entity": "&lt;b&gt; &amp;amp; &#123;",
    "language variant": "-{zh-hans:a;zh-hant:b}-",
    "template parameter": "{{{1|default}}}",
    "control chars": "bell\x07 and nul\x00 here",
}

ALLOWED_TAGS = {"li", "br", "b", "i"}  # bullets, our <br />, OUTAGE marks, "All times in UTC"


def _slack_export(folder, texts):
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps([{"id": "U1", "name": "mallory"}]))
    (folder / "channels.json").write_text(json.dumps([{"id": "C1", "name": "ops"}]))
    (folder / "ops").mkdir()
    messages = [{"type": "message", "user": "U1", "text": text.replace("&", "&amp;").replace("<", "&lt;")
                 .replace(">", "&gt;"), "ts": f"{1695913200 + 60 * i}.000100"} for i, text in enumerate(texts)]
    (folder / "ops" / "2023-09-28.json").write_text(json.dumps(messages))


def _in_irc_log(text):
    """An IRC log line holds no newline, and a NUL would make it a binary file."""
    return "\n" not in text and "\x00" not in text


def _irc_log(path, texts):
    lines = [f"[{15 + i // 60:02d}:{i % 60:02d}:00] <eve> {text}" for i, text in enumerate(texts)
             if _in_irc_log(text)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    _slack_export(tmp / "slack", list(HOSTILE.values()))
    (tmp / "irc").mkdir()
    _irc_log(tmp / "irc" / "2023-09-28.log", list(HOSTILE.values()))
    path = write_incident(tmp, (
        '[report]\nchat = "all"\n'            # every line in the report, to check each one
        '[[source]]\ntype = "slack-export"\npath = "slack"\n'
        '[[source]]\ntype = "irc"\npath = "irc/*.log"\n'))
    return render_report(gather(load_incident(path)))


def _timeline_lines(report):
    section = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    return [line for line in section.splitlines() if line.startswith("*")]


def _expected_literal(text):
    cleaned = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32 and ch != "\x7f")
    return "<br />".join(part.strip() for part in cleaned.strip().splitlines())


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_literal_and_inert(rendered, name):
    text = HOSTILE[name]
    expected = _expected_literal(text)
    sources = ["(Slack #ops) mallory: "] + (["(IRC) eve: "] if _in_irc_log(text) else [])
    lines = _timeline_lines(rendered)
    for prefix in sources:
        matching = [line for line in lines if prefix in line
                    and html.unescape(line.split(prefix, 1)[1]) == expected]
        assert len(matching) == 1, f"{name}: {prefix!r} line not found literally"
        _assert_inert(matching[0].split(prefix, 1)[1], name, text)


def is_plain_url_link(node, text):
    """A free external link (no brackets, no label) to an http(s) address
    written in ``text``: the address is all it shows."""
    url = str(node.url)
    return (isinstance(node, ExternalLink) and not node.brackets and node.title is None
            and url.startswith(("http://", "https://")) and url in text)


def _assert_inert(wikitext, name, text):
    outside = wikitext
    for node in mwparserfromhell.parse(wikitext).nodes:
        if isinstance(node, (Text, HTMLEntity)):
            continue
        if isinstance(node, Tag) and str(node.tag) in ("br", "nowiki") and node.self_closing:
            continue   # our line breaks, and the <nowiki/> that ends a link
        if is_plain_url_link(node, text):
            outside = outside.replace(str(node), "", 1)
            continue
        pytest.fail(f"{name}: {type(node).__name__} node {str(node)!r} in rendered text")
    assert "~~~" not in wikitext and "__" not in wikitext and "''" not in wikitext
    assert "://" not in outside and "\n" not in wikitext


def test_every_timeline_line_parses_to_known_nodes_only(rendered):
    """The whole timeline: list items, our <br />, our bold marks, nothing else."""
    section = rendered.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    code = mwparserfromhell.parse(section)
    texts = "\n".join(HOSTILE.values())
    for node in code.filter(recursive=True):
        assert not isinstance(node, (Template, Wikilink, Heading, Comment)), str(node)
        assert not isinstance(node, ExternalLink) or is_plain_url_link(node, texts), str(node)
        if isinstance(node, Tag):
            assert str(node.tag) in ALLOWED_TAGS, str(node)


def test_report_gains_no_category_template_or_heading(rendered):
    code = mwparserfromhell.parse(rendered)
    links = [str(link.title) for link in code.filter_wikilinks()]
    assert not [title for title in links if title.lower().startswith(("category:", "file:", "main page"))]
    templates = {str(t.name).strip() for t in code.filter_templates()}
    assert templates == {"irdoc", "Incident scorecard"}
    headings = [str(h.title).strip() for h in code.filter_headings()]
    assert "Owned" not in headings


def test_escape_keeps_plain_text_readable():
    assert escape("restart mw-page-content-change-enrich (codfw) at 14:33") == \
        "restart mw-page-content-change-enrich (codfw) at 14:33"
    assert escape("a_b c~d it's") == "a_b c~d it's"


def test_tasks_and_urls_are_linked_in_the_text_not_in_its_escapes():
    assert escape_linked("fixed in T347884.") == "fixed in [[phab:T347884|T347884]]."
    assert escape_linked("[[T1]]") == "&#91;&#91;[[phab:T1|T1]]&#93;&#93;"
    assert escape_linked("https://phabricator.wikimedia.org/T12") == "https://phabricator.wikimedia.org/T12"
    assert escape_linked("ET123 T12a") == "ET123 T12a"
    assert escape("https://phabricator.wikimedia.org/T12 T1") == "https&#58;//phabricator.wikimedia.org/T12 T1"


def test_template_arg_protects_pipes_outside_nested_markup():
    assert template_arg("a | b") == "a {{!}} b"
    assert template_arg("{{PhabT|1}} [[x|y]]") == "{{PhabT|1}} [[x|y]]"


# Bidirectional controls and zero-width characters (Unicode TR 9; "Trojan Source",
# CVE-2021-42574): a file name that reads "invoice exe.pdf" but is "invoice \u202efdp.exe".
INVISIBLE = ("invoice \u202efdp.exe\u202c, pass\u200bword, \ufeffBOM, \u2066isolated\u2069, "
             "joiner\u200cnon, word\u2060joiner, family \U0001F468\u200d\U0001F469\u200d\U0001F467")
SHOWN = ("invoice \\u202efdp.exe\\u202c, pass\\u200bword, \\ufeffBOM, \\u2066isolated\\u2069, "
         "joiner\\u200cnon, word\\u2060joiner, family \U0001F468\u200d\U0001F469\u200d\U0001F467")


def test_bidi_controls_and_zero_width_characters_are_shown_in_wikitext_and_markdown(tmp_path):
    """Shown as their code point, not removed: the reader sees that something
    was there; a joiner inside an emoji sequence (a family) stays one."""
    _slack_export(tmp_path / "slack", [INVISIBLE])
    path = write_incident(tmp_path, '[report]\nchat = "all"\n[[source]]\ntype = "slack-export"\npath = "slack"\n')
    records = gather(load_incident(path))
    wikitext, markdown = render_report(records), render_report(records, fmt="markdown")
    for report in (wikitext, markdown):
        assert not any(ch in report for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                                               "\u200b\u200c\u200e\u200f\u2060\ufeff")
    line, = [line for line in _timeline_lines(wikitext) if "mallory" in line]
    assert line.endswith(f"(Slack #ops) mallory: {SHOWN}")
    assert f"mallory: {SHOWN.replace(chr(92), chr(92) * 2)}" in markdown   # a backslash is \\ in Markdown
    assert escape("\u202e") == "\\u202e" and escape_linked("a\u200bb") == "a\\u200bb"
