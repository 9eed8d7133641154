"""Wikitext as the reader sees its characters: input cleaned, comments
stripped, entities decoded, ``<nowiki>`` unwrapped."""

from __future__ import annotations

import html.entities
import re


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
