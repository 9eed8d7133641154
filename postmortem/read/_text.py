"""Wikitext as the reader sees its characters: input cleaned, comments
stripped, entities decoded, ``<nowiki>`` unwrapped; links and emphasis as the
words a reader sees (:func:`link_labels`)."""

from __future__ import annotations

import html.entities
import re

import mwparserfromhell
from mwparserfromhell.nodes import ExternalLink, Tag, Wikilink

from ..core.model import Problem


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def clean_input(text: str) -> tuple[str, list[Problem]]:
    """Normalise newlines; replace control characters (the C tokenizer stops at NUL)."""
    problems: list[Problem] = []
    text = text.lstrip("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _CONTROL.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(Problem("control-characters", line,
                                "control characters or binary data replaced by U+FFFD"))
        text = _CONTROL.sub("\ufffd", text)
    return text, problems


_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)


_NOWIKI = re.compile(r"<nowiki\s*>(.*?)</nowiki\s*>|<nowiki\s*/>", re.S | re.I)


_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def strip_comments(text: str) -> str:
    return _COMMENT.sub("", text) if "<!--" in text else text


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return match.group(0)
    return html.entities.html5.get(name + ";", match.group(0))


def decode_text(wikitext: str) -> str:
    """Wikitext as the reader sees its characters: entities decoded, nowiki unwrapped.

    The renderer escapes chat text with numeric entities (``&#123;``), so this
    gives back the original text.
    """
    if "<" in wikitext:
        wikitext = strip_comments(wikitext)
        if "nowiki" in wikitext:
            wikitext = _NOWIKI.sub(lambda m: m.group(1) or "", wikitext)
    if "&" in wikitext:
        wikitext = _ENTITY.sub(_entity, wikitext)
    return wikitext


# Inline markup whose words are the text: emphasis and code.
_INLINE_TAGS = frozenset("b i u s strong em code tt kbd var samp del ins small big".split())


def link_labels(wikitext: str) -> str:
    """``[[Page|pool check]]`` as "pool check", ``[https://x dashboard]`` as
    "dashboard" (a bare ``[https://x]`` as its URL), bold, italics and
    ``<code>x</code>`` as their words; templates and other markup stay."""
    if "[" not in wikitext and "'" not in wikitext and "<" not in wikitext:
        return wikitext
    code = mwparserfromhell.parse(wikitext)
    for node in code.filter(recursive=False, forcetype=(Wikilink, ExternalLink, Tag)):
        if isinstance(node, Wikilink):
            words = node.text if node.text is not None else node.title
        elif isinstance(node, ExternalLink):
            words = node.title if node.title is not None else node.url
        elif str(node.tag).lower() in _INLINE_TAGS and node.contents is not None:
            words = node.contents
        else:
            continue
        code.replace(node, link_labels(str(words)))
    return str(code)
