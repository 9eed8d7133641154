"""Untrusted text split into task and change references, web addresses and literal runs,
before anything is escaped; both formats write the pieces (wikitext.py,
markdown.py).

Escaping first and linking afterwards cannot work: a regex run over escaped
text finds the ``T123`` inside ``&#91;&#91;phab:T123&#124;T123&#93;&#93;`` and
links it a second time. So one line of text is cut into pieces here, and each
writer escapes only the literal runs and writes every other piece as exactly
one link it builds itself:

- a task reference in any of the forms people write (``{{PhabT|123}}``,
  ``[[phab:T123|label]]``, ``phab:T123``, bare ``T123``; the patterns are
  :data:`postmortem.core.tasks.TASK_REFERENCE`): a link to the task, with the
  person's own label of ``[[phab:T123|label]]`` (escaped) as its text;
- a Gerrit change link as Wikitech writes it (``[[gerrit:1234567|label]]``,
  ``[[gerrit:1234567]]``, ``[[gerrit:c/<project>/+/1234567|label]]``; the
  pattern is :data:`postmortem.core.changes.CHANGE_REFERENCE`): a link to the
  change with the person's label (escaped) as its text, ``gerrit:1234567``
  when none. Its target is made from the change number (and project path) only,
  so a label cannot send it elsewhere: in wikitext the ``gerrit:`` interwiki
  link itself (Wikitech's interwiki map fixes it to gerrit.wikimedia.org, as
  ``phab:`` to Phabricator, and it is what the wiki's authors write), in
  Markdown a link to ``https://gerrit.wikimedia.org/r/…``;
- an ``http(s)://`` address: a link whose visible text is exactly the address,
  never a label (``[https://evil.example login]`` in chat stays literal text
  around a link to https://evil.example that shows just that). A Phabricator
  URL stays such a link too.

A labelled link in Slack (``<https://x.org/d|the dashboard>``) reaches the
writers as the slack sources give it, ``the dashboard (https://x.org/d)``
(collect/sources/_slack_text.py): the person's words as text and the address
as a link showing itself. That is what a careful person copying it to the wiki
writes, and it stays so rather than becoming ``[https://x.org/d the dashboard]``:
Slack's label is any text (``<https://evil.example|https://grafana.wikimedia.org/d/x>``
shows the Grafana address in Slack), so a link that showed only the label is
the phishing shape above; the reader sees both here. And the writers cannot
tell such text from the same words typed on IRC, so trusting ``label (url)``
would let any chat line make a labelled link. The parentheses around the
address are ours, not its: ``Foo (https://x.org/Foo_(bar))`` links
``…Foo_(bar)`` (see below). Only an address Slack gave that itself ends in
trailing punctuation or an unmatched ``)`` loses it here: the flat text no
longer says where Slack's address ended.

What counts as the address. The characters are those of RFC 3986 (and
letters and digits of any script, for IRIs) that cannot start or end markup
in either format, so a link cannot reach past them (all of them may stand in
a CommonMark autolink, CommonMark 0.31.2 §6.5, https://spec.commonmark.org/0.31.2/#autolinks:
no space, control, ``<`` or ``>``):

- never ``'`` ``"`` (bold/italic ``''``, attribute quotes), ``[`` ``]`` (links),
  ``{`` ``}`` (templates), ``|`` (template arguments, table cells), ``<`` ``>``
  (tags, autolinks), backslash and backtick (Markdown escapes, code spans),
  ``$`` (GitHub math), ``^``, whitespace and controls;
- ``~`` and ``_`` only when not doubled (``~~~`` signatures, ``__TOC__``
  switches, ``~~`` strikethrough); ``&`` only when it does not start a
  character reference (``&lt;`` would end a MediaWiki free link and show
  differently in Markdown).

The address ends at the first other character, and then, as MediaWiki ends a
free link (Parser::makeFreeExternalLink; https://www.mediawiki.org/wiki/Help:Links#External_links),
trailing ``, ; . : ! ?`` are text, and so is a trailing ``)`` that closes no
``(`` of the address (MediaWiki keeps every ``)`` once the address holds a
``(``; we end it as GFM 0.29 §6.9 does, https://github.github.com/gfm/#autolinks-extension-,
and stop MediaWiki's link there with ``<nowiki/>``). So ``(see https://x.org/a).``
links ``https://x.org/a``, and ``Foo (https://x.org/Foo_(bar))`` links
``https://x.org/Foo_(bar)``. The address
must follow a character that is not a letter, digit or ``_`` (MediaWiki's
``\\b`` before a protocol of Manual:$wgUrlProtocols) and have a letter or digit
after ``//``. Only http and https are linked: the other protocols of
$wgUrlProtocols (``mailto:``, ``irc:``, ``ftp:``…) stay escaped text.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..core.lazy_regex import LazyRegex
from ..core.changes import CHANGE_REFERENCE
from ..core.tasks import TASK_REFERENCE

_URL_CHAR = (r"(?:[A-Za-z0-9\-.:/?#@!()*+,;=%]"      # RFC 3986 but ' $ [ ] (and & ~ _ below)
             r"|[^\W_\x00-\x7f]"                    # letters and digits of other scripts
             r"|~(?!~)|_(?!_)|&(?![A-Za-z0-9#]+;))")
_URL = rf"(?<!\w)(?P<url>(?i:https?)://(?=[^\W_]){_URL_CHAR}+)"
_PIECES = LazyRegex(rf"{_URL}|{CHANGE_REFERENCE.pattern}|{TASK_REFERENCE.pattern}",
                    TASK_REFERENCE.flags | CHANGE_REFERENCE.flags)
# MediaWiki's trailing punctuation (Parser::makeFreeExternalLink: $sep).
_TRAILING = ",;.:!?"


class Piece(NamedTuple):
    """One piece of a line: literal text, a task reference, a change reference or a URL."""

    text: str          # the characters as written
    task: str = ""     # "T123" for a task reference
    label: str = ""    # the person's label of [[phab:T123|label]] or [[gerrit:1|label]]; "" when none
    url: str = ""      # the address, for a URL
    change: str = ""   # "1234567" (or "c/<project>/+/1234567") for a change reference


def split_links(line: str) -> list[Piece]:
    """The pieces of one line of untrusted text, in order; their ``text``
    joined gives back ``line``."""
    pieces: list[Piece] = []
    pos = 0
    for match in _PIECES.finditer(line):
        piece, end = _piece(match)
        if match.start() > pos:
            pieces.append(Piece(line[pos:match.start()]))
        pieces.append(piece)
        pos = end
    if pos < len(line):
        pieces.append(Piece(line[pos:]))
    return pieces


def _piece(match: re.Match) -> tuple[Piece, int]:
    if match["url"]:
        url = trim_url(match["url"])   # still a letter or digit after "//"
        return Piece(url, url=url), match.start() + len(url)
    if match["change"]:
        label = (match["change_label"] or "").strip()
        return Piece(match.group(), change=match["change"], label=label), match.end()
    number = match["tpl"] or match["link"] or match["bare"]
    task = "T" + number
    label = (match["label"] or "").strip()
    return Piece(match.group(), task=task, label="" if label in ("", task) else label), match.end()


def trim_url(url: str) -> str:
    """``url`` without the trailing punctuation MediaWiki leaves out of a free
    link, and without a trailing ``)`` that closes no ``(`` of the address
    (GFM 0.29 §6.9: ``(https://x.org/a_(b))`` links ``https://x.org/a_(b)``)."""
    while True:
        trimmed = url.rstrip(_TRAILING)
        if trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def ends_free_link(url: str, following: str) -> bool:
    """Whether a free link to ``url`` ends there when ``following`` (wikitext)
    comes right after it: ``following`` starts, after nothing but the
    punctuation MediaWiki leaves out (see :func:`trim_url`), with the end, a
    space or one of ``[ ] < > "``. MediaWiki also ends a free link at other
    blanks and controls (Parser::EXT_LINK_URL_CLASS:
    ``[^][<>"\\x00-\\x20\\x7F\\p{Zs}\\x{FFFD}]``); mwparserfromhell, which the
    report reader uses, does not at a tab or U+00A0, so those count as not ending it."""
    trailing = _TRAILING if "(" in url else _TRAILING + ")"
    rest = following.lstrip(trailing)
    return not rest or rest[0] in " []<>\""
