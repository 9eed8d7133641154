"""Escaping and small builders for wikitext; nothing else.

Text from logs, chat and alerts must never act as wikitext. Each character
that can start markup is written as a numeric character reference: the
MediaWiki preprocessor and parser see ``&#123;`` where a template would need
``{``, and the browser shows ``{``. Unlike ``<nowiki>``, this cannot be
closed early by a ``</nowiki>`` inside the text, and it works the same in
list items, table cells and template arguments. The constructs covered
(https://www.mediawiki.org/wiki/Help:Formatting, Help:Magic_words,
Help:Signatures, Manual:$wgUrlProtocols):

- templates, parser functions, ``subst:``, tables and language variants: ``{`` ``}`` ``|``
- internal/external links, categories, files: ``[`` ``]``
- HTML tags, comments, ``<nowiki>``, ``<ref>``, extension tags: ``<`` ``>``
- entities already in the text (shown literally): ``&``
- bold/italic: ``''``; signatures: ``~~~``; behaviour switches: ``__TOC__``
- free external links (``https://…``) and magic links (ISBN/RFC/PMID)
- headings, lists, ``----``, tables, ``;``/``:`` at a line start: the text is
  made one line (newlines become ``<br />`` that we write) so no part of it
  ever stands at the start of a line.

Control characters (C0 but tab and newline, DEL, C1) are removed, and
bidirectional controls and zero-width characters are shown as their code
point, ``\u202e`` (:func:`postmortem.core.scrub.visible_invisibles`): a
right-to-left override in chat would otherwise make a line read otherwise
than it was written ("Trojan Source", CVE-2021-42574), a zero-width space hide
inside a word. Shown, not removed: the report says what was written, and the
reader sees that something was there.

:func:`escape_linked` does the same for text whose task references and web
addresses should be links (timeline, event and actionable texts): the text is
first cut into pieces (:mod:`._links`), only the literal runs are escaped, each
task reference becomes one ``[[phab:T123|T123]]`` (or the person's own label,
escaped), each Gerrit change link one ``[[gerrit:1234567|label]]`` (label
escaped) and each ``http(s)://`` address a free external link, whose visible
text is the address itself (https://www.mediawiki.org/wiki/Help:Links#External_links).
Chat text never makes a ``[url label]`` link.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

from ..core.lazy_regex import LazyRegex
from ..core.scrub import visible_invisibles
from ..core.changes import change_url
from ..core.tasks import require_task_id
from ._links import ends_free_link, split_links

_ALWAYS = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;",
    "{": "&#123;", "}": "&#125;", "|": "&#124;",
}
_ALWAYS_RE = LazyRegex("[&<>\\[\\]{}|]")
# Runs that only mean something when doubled (or tripled).
_REPEATS = LazyRegex(r"'(?=')|~(?=~)|_(?=_)")
_REPEAT_ENTITY = {"'": "&#39;", "~": "&#126;", "_": "&#95;"}
# MediaWiki's default $wgUrlProtocols schemes that free-link without brackets.
_URL_SCHEME = LazyRegex(
    r"\b(bitcoin|ftps?|geo|git|gopher|https?|ircs?|magnet|mailto|matrix|mms|news|nntp|redis|"
    r"sftp|sips?|sms|ssh|svn|tel|telnet|urn|worldwind|xmpp):", re.I)
_MAGIC_LINK = LazyRegex(r"\b(ISBN|RFC|PMID)(\s)")
_NEWLINES = LazyRegex(r"\s*(?:\r\n|\r|\n)\s*")
# C0 controls (but tab and newline), DEL, C1 controls and the Unicode noncharacters MediaWiki strips.
_CONTROL = LazyRegex(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def escape(text: str) -> str:
    """Make untrusted text literal wikitext, on one line."""
    return "<br />".join(_escape_run(line) for line in _lines(text))


def escape_linked(text: str) -> str:
    """Untrusted text as literal wikitext on one line, but each task reference
    in it one link to the task and each ``http(s)://`` address a free link
    showing itself (see :mod:`._links`)."""
    return "<br />".join(_linked_line(line) for line in _lines(text))


def _lines(text: str) -> list[str]:
    text = visible_invisibles(_CONTROL.sub("", text)).strip()
    return _NEWLINES.split(text) if text else []


def _escape_run(text: str) -> str:
    text = _ALWAYS_RE.sub(lambda m: _ALWAYS[m.group()], text)
    text = _REPEATS.sub(lambda m: _REPEAT_ENTITY[m.group()], text)
    text = _URL_SCHEME.sub(lambda m: m.group(1) + "&#58;", text)
    return _MAGIC_LINK.sub(lambda m: m.group(1) + "&#32;", text)


# What ends a link and starts text the link must not take in: MediaWiki
# extends a free link over every character of Parser::EXT_LINK_URL_CLASS (an
# escaped ``&#124;`` included), and a wikilink over the letters after ``]]``
# (the link trail, ``[a-z]+`` for English, MessagesEn.php $linkTrail). An
# empty ``<nowiki/>`` stops both (its strip marker holds \x7f) and shows
# nothing; it is written only where needed.
_STOP = "<nowiki/>"
_LINK_TRAIL = LazyRegex(r"[a-z]")


def _linked_line(line: str) -> str:
    parts: list[tuple[str, str]] = []  # (kind, wikitext)
    for piece in split_links(line):
        if piece.url:
            parts.append(("url", piece.url))
        elif piece.task:
            label = escape(piece.label) if piece.label else piece.task
            parts.append(("wikilink", f"[[phab:{piece.task}|{label}]]"))
        elif piece.change:
            parts.append(("wikilink", change_link(piece.change, piece.label)))
        else:
            parts.append(("text", _escape_run(piece.text)))
    out = []
    for index, (kind, written) in enumerate(parts):
        out.append(written)
        if kind == "text":
            continue
        following = _following(parts, index)
        if kind == "url" and not ends_free_link(written, following) or \
                kind == "wikilink" and _LINK_TRAIL.match(following):
            out.append(_STOP)
    return "".join(out)


def _following(parts: list[tuple[str, str]], index: int) -> str:
    """The wikitext after part ``index``, as far as it takes to get past trailing punctuation."""
    following = ""
    for _, written in parts[index + 1:]:
        following += written
        if following.strip(",;.:!?)"):
            break
    return following


def external_link(url: str, label: str) -> str:
    """``[url label]`` for a URL we trust the shape of; the label is escaped."""
    if not re.match(r"^https?://[^\s\[\]<>\"{}|]+$", url):
        return escape(label)
    return f"[{url} {escape(label)}]"


def change_link(change: str, label: str = "") -> str:
    """``[[gerrit:1234567|label]]`` (``label`` untrusted, escaped), or
    ``[[gerrit:1234567]]``, for a change :mod:`postmortem.core.changes` reads.
    Wikitech's ``gerrit:`` interwiki fixes where it goes, whatever the label."""
    change_url(change)   # a change, nothing else
    return f"[[gerrit:{change}|{escape(label)}]]" if label else f"[[gerrit:{change}]]"


def phab_link(task: str) -> str:
    """``[[phab:T123|T123]]`` for a validated task id."""
    require_task_id(task)
    return f"[[phab:{task}|{task}]]"


def template_arg(text: str | None) -> str:
    """An author-written value placed in a template argument: trusted wikitext,
    but a bare ``|`` would start the next argument, so it is written ``{{!}}``
    unless it sits inside a nested template or link."""
    if not text:
        return ""
    out, depth = [], 0
    for index, char in enumerate(text):
        pair = text[index:index + 2]
        if pair in ("{{", "[["):
            depth += 1
        elif pair in ("}}", "]]") and depth:
            depth -= 1
        out.append("{{!}}" if char == "|" and depth == 0 else char)
    return "".join(out).strip()


# Letters, digits, space and . , ( ) + - _ only: nothing that is wikitext or
# Markdown syntax (https://www.mediawiki.org/wiki/Manual:Page_title).
_FILE_NAME = LazyRegex(r"^[^\W_][\w .,()+-]*\.(svg|png)$", re.I)


def wiki_file_name(name: str) -> str:
    """A name usable in ``[[File:…]]`` and ``![…](…)`` (no link, template or
    emphasis syntax in it); ValueError otherwise."""
    name = PurePath(name).name.strip()
    if not _FILE_NAME.match(name) or "__" in name:
        raise ValueError(f"not a usable wiki file name: {name!r} (letters, digits, spaces, "
                         f"-_.,() and a .svg or .png ending)")
    return name


_MAX_NAME_BYTES = 200   # MediaWiki allows 240 bytes; room for the wiki's own additions
_MAX_WHAT_BYTES = 60


def incident_file_name(incident_id: str, what: str = "timeline") -> str:
    """``Incident <id> <what>.svg``: a picture's wiki file name, unique to the
    incident (the timeline graph is ``… timeline.svg``, a ``[[graph]]`` ``…
    <slug>.svg``). Every character a file name may not hold here becomes
    ``-``, ``_`` a space (the wiki's ``_`` is a space); a long id or ``what`` is
    cut and given a short hash of the whole, so that the name stays unique."""
    what = _cut(_file_name_text(what), _MAX_WHAT_BYTES, what)
    budget = _MAX_NAME_BYTES - max(0, len(what.encode("utf-8")) - len("timeline"))
    return wiki_file_name(f"Incident {_cut(_file_name_text(incident_id), budget, incident_id)} {what}.svg")


def _file_name_text(text: str) -> str:
    text = re.sub(r"[^\w .,()+-]+", "-", text).replace("_", " ")
    return " ".join(text.split()).strip(" -") or "-"


def _cut(text: str, most: int, whole: str) -> str:
    """``text`` within ``most`` bytes, with a hash of ``whole`` when cut."""
    if len(text.encode("utf-8")) <= most:
        return text
    digest = hashlib.sha1(whole.encode("utf-8")).hexdigest()[:8]
    return text.encode("utf-8")[:most].decode("utf-8", "ignore").rstrip() + " " + digest
