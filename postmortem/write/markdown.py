"""Escaping and small builders for GitHub-flavoured Markdown; nothing else.

Text from logs, chat and alerts must never act as Markdown. The rules follow
the CommonMark spec 0.31.2 (https://spec.commonmark.org/0.31.2/) and the GFM
spec 0.29-gfm (https://github.github.com/gfm/):

- every character that opens an inline construct is backslash-escaped
  (CommonMark §2.4 "Backslash escapes": any ASCII punctuation may be):
  ``\\`` ``*`` ``_`` (unless inside a word, where it cannot open or close
  emphasis, §6.2 rules 2 and 4) ``[`` ``]`` (links, images, footnotes, §6.3-6.4)
  `````` ` `````` (code spans, §6.1) ``<`` ``>`` (autolinks §6.5, raw HTML §6.6)
  ``|`` (GFM tables §4.10) ``~`` (GFM strikethrough §6.5) ``$`` (GitHub math)
  ``&`` (entity and numeric references, §2.5 — ``&lt;`` stays ``&lt;``);
- at the start of every line, block markers are escaped: ``#`` (ATX headings
  §4.2), ``>`` (block quotes §5.1), ``-`` ``+`` (lists §5.2, thematic breaks §4.1,
  setext underlines §4.3), ``=`` (setext §4.3), and the ``.``/``)`` of an ordered
  list marker ``1.`` (§5.2); leading spaces go (indented code, §4.4);
- a multi-line message keeps its breaks only as hard line breaks we write
  (``\\`` at the end of a line, §6.7), followed by an indented continuation,
  so no part of it ever starts a block; blank lines collapse (a paragraph
  break would end the list item);
- nothing is put into the text that the person did not write: a ``www.``,
  ``https://`` or ``user@host.org`` in it stays as written, so a GFM renderer
  may link it by its extended autolinks (GFM §6.9,
  https://github.github.com/gfm/#autolinks-extension-), and such a link shows
  exactly its own address (``www.x.org``, ``a@b.org``; ``otto@deploy1002``
  has no dot in its domain and is no link at all). A link with a label of the
  text's choosing cannot come of it: ``[``, ``]``, ``<`` and ``>`` are escaped;
- control characters are removed, bidirectional controls and zero-width
  characters shown as their code point (``\\u202e``), as in wikitext (:mod:`.wikitext`).

:func:`escape_linked` (timeline, event and actionable texts) also makes the
text's task references and ``http(s)://`` addresses links (the pieces of
:mod:`._links`, cut before anything is escaped): a task reference becomes
``[T123](https://phabricator.wikimedia.org/T123)`` (or the person's label of
``[[phab:T123|label]]``, escaped), a Gerrit change link
``[label](https://gerrit.wikimedia.org/r/1234567)``, an address a CommonMark autolink
``<https://…>`` (§6.5), whose text is the address itself.

Author-written fields of incident.toml (summary, impact, detection, …) are
wikitext: :func:`wikitext_to_markdown` turns the few constructs they use
(task templates, links, bold/italic, ``<code>``, bullets) into Markdown we
write, and escapes everything else, so the Markdown report never shows raw
wikitext and the author's text cannot break the layout either.
"""

from __future__ import annotations

import re

from ..core.lazy_regex import LazyRegex
from ..core.scrub import visible_invisibles
from ..core.changes import change_url
from ..core.tasks import LINK_PREFIXES, TEMPLATE_NAMES, task_url
from ._links import split_links

_CONTROL = LazyRegex(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_NEWLINES = LazyRegex(r"[ \t]*(?:\r\n|\r|\n)\s*")
_ALWAYS = set("\\`*[]<>|~$&")
_LINE_START = set("#>+-=")
_ORDERED = LazyRegex(r"^(\d{1,9})([.)])")


def escape_markdown(text: str, *, newline: str = "\\\n  ") -> str:
    """Make untrusted text literal Markdown. Line breaks in ``text`` become
    ``newline`` (a hard break and a 2-space continuation: right inside a
    ``- `` list item or a paragraph; use ``" "`` in a table cell)."""
    return newline.join(_escape_line(line) for line in _lines(text))


def escape_linked(text: str, *, newline: str = "\\\n  ") -> str:
    """Untrusted text as literal Markdown (as :func:`escape_markdown`), but
    each task reference in it one link to the task and each ``http(s)://``
    address an autolink showing itself (see :mod:`._links`)."""
    return newline.join(_linked_line(line.strip()) for line in _lines(text))


def _lines(text: str) -> list[str]:
    """The text's lines without control characters and blank lines, its
    bidirectional controls and zero-width characters shown (``\\u202e``, as
    in wikitext: :mod:`.wikitext`)."""
    return [line for line in _NEWLINES.split(visible_invisibles(_CONTROL.sub("", text)).strip()) if line.strip()]


def code_text(text: str) -> str:
    """Untrusted text inside a code span we open and close with one backtick
    (it holds none): literal there, only control characters removed (§6.1)."""
    return " ".join(_lines(text.replace("`", "'")))


def markdown_cell(text: str | None) -> str:
    """Untrusted text for a GFM table cell: one line."""
    return escape_markdown(text or "", newline=" ")


def _escape_line(line: str) -> str:
    return _line_start(_escape_run(line.strip()))


def _escape_run(text: str) -> str:
    out = []
    for index, char in enumerate(text):
        if char in _ALWAYS or (char == "_" and not _inside_word(text, index)):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _line_start(escaped: str) -> str:
    """Block markers at the start of a line escaped (see the module's notes)."""
    if escaped[:1] in _LINE_START:
        escaped = "\\" + escaped
    return _ORDERED.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _linked_line(line: str) -> str:
    out: list[str] = []
    for index, piece in enumerate(split_links(line)):
        if piece.url:
            out.append(f"<{piece.url}>")         # CommonMark 0.31.2 §6.5 autolink
        elif piece.task or piece.change:
            if out and out[-1].endswith("!"):    # "![…](…)" would be an image (§6.4)
                out[-1] = out[-1][:-1] + "\\!"
            out.append(task_link(piece.task, piece.label) if piece.task else change_link(piece.change, piece.label))
        else:
            escaped = _escape_run(piece.text)
            out.append(_line_start(escaped) if index == 0 else escaped)
    return "".join(out)


def _inside_word(line: str, index: int) -> bool:
    return 0 < index < len(line) - 1 and line[index - 1].isalnum() and line[index + 1].isalnum()


# -- builders -----------------------------------------------------------------

def task_link(task: str, label: str = "") -> str:
    """``[T123](https://phabricator.wikimedia.org/T123)`` for a validated task
    id; ``label`` (untrusted text, escaped) instead of the id when given."""
    return f"[{markdown_cell(label) if label else task}]({task_url(task)})"


def change_link(change: str, label: str = "") -> str:
    """``[label](https://gerrit.wikimedia.org/r/1234567)`` for a change
    :mod:`postmortem.core.changes` reads (``label`` untrusted, escaped;
    ``gerrit:1234567`` when none, as the wiki shows ``[[gerrit:1234567]]``)."""
    return f"[{markdown_cell(label or 'gerrit:' + change)}]({change_url(change)})"


_SAFE_URL = LazyRegex(r"^https?://[^\s<>()\[\]\"'`\\|]+$")


def link(url: str | None, label: str) -> str:
    """``[label](url)`` for a URL of a trusted shape (the label escaped);
    only the escaped label otherwise."""
    if url and _SAFE_URL.match(url):
        return f"[{markdown_cell(label)}]({url})"
    return markdown_cell(label)


# -- author-written wikitext ----------------------------------------------------

_WIKI_TOKEN = LazyRegex(
    r"(?P<comment><!--.*?-->)"
    rf"|\{{\{{\s*{TEMPLATE_NAMES}\s*\|\s*T?(?P<tpl>\d+)\s*\}}\}}"
    rf"|\[\[\s*:?\s*{LINK_PREFIXES}\s*:\s*(?P<plink>T\d+)\s*(?:\|(?P<plabel>[^\]]*))?\]\]"
    r"|\[\[(?P<target>[^\[\]|]+)(?:\|(?P<label>[^\[\]]*))?\]\]"
    r"|\[(?P<url>https?://[^\s\[\]]+)(?:\s+(?P<ulabel>[^\]]*))?\]"
    r"|'''(?P<bold>.+?)'''"
    r"|''(?P<italic>.+?)''"
    r"|<code>(?P<code>[^`|\n]*?)</code>"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<tag></?[a-zA-Z][^<>]*>)",
    re.I | re.S)


def wikitext_to_markdown(text: str | None, *, newline: str = " ") -> str:
    """Author-written wikitext as Markdown: paragraphs kept, ``*`` lines as a
    list, tasks and external links as links, internal links as their label,
    bold/italic/``<code>`` as such, other tags dropped, the rest escaped."""
    if not text or not text.strip():
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(_paragraph(p, newline) for p in paragraphs if p.strip())


def _paragraph(paragraph: str, newline: str) -> str:
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    if all(line.startswith(("*", "#")) for line in lines):
        return "\n".join("- " + inline_wikitext(line.lstrip("*#").strip()) for line in lines)
    return inline_wikitext(" ".join(lines), newline=newline)


def inline_wikitext(text: str, *, newline: str = " ") -> str:
    """One piece of author-written wikitext as inline Markdown."""
    out, pos = [], 0
    for match in _WIKI_TOKEN.finditer(text):
        out.append(_segment(text[pos:match.start()], newline))
        out.append(_convert(match, newline))
        pos = match.end()
    out.append(_segment(text[pos:], newline))
    return re.sub(r"(?<=\S)  +", " ", "".join(out)).strip()


def _segment(text: str, newline: str) -> str:
    """Escaped text between two converted constructs, keeping a space at
    either end (escape_markdown strips them)."""
    if not text.strip():
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return lead + escape_markdown(text, newline=newline) + trail


def _convert(match: re.Match, newline: str) -> str:
    kind = match.lastgroup if match.lastgroup in ("comment", "br", "tag") else None
    groups = match.groupdict()
    if kind in ("comment", "tag"):
        return ""
    if kind == "br":
        return newline
    if groups["tpl"]:
        return task_link("T" + groups["tpl"])
    if groups["plink"]:
        return task_link(groups["plink"].upper(), groups["plabel"] or "")
    if groups["target"]:
        return markdown_cell(groups["label"] or groups["target"].lstrip(":"))
    if groups["url"]:
        return link(groups["url"], groups["ulabel"] or groups["url"])
    if groups["bold"]:
        return f"**{inline_wikitext(groups['bold'])}**"
    if groups["italic"]:
        return f"*{inline_wikitext(groups['italic'])}*"
    return f"`{groups['code']}`" if groups["code"] else ""
