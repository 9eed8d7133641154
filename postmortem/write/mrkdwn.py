"""Slack's message formatting ("mrkdwn") in a report: a Slack message's
``code``, *bold*, _italic_ and ~strike~ written as wikitext or Markdown, its
emoji shortcodes as the emoji.

Slack's rules (https://api.slack.com/reference/surfaces/formatting#basic-formatting):
a span opens with its mark after the start of the text, a space or
punctuation, and closes with the same mark before the end, a space or
punctuation; the text inside neither starts nor ends with a space and stays on
one line; inside a code span nothing else is formatting. Emoji are ``:name:``
(skin tones ``:name::skin-tone-2:`` are dropped with their base kept).

The message is cut into spans here, before anything is escaped: the text of
each span is escaped (and linked) by the format's own writer, and only the
marks around it are ours, so chat text still never acts as markup.
"""

from __future__ import annotations

import re
from typing import Callable, NamedTuple

from .emoji import EMOJI

_SPAN = re.compile(r"(?<![\w*_~`])(?:```(?P<block>[^\n]+?)```|`(?P<code>[^`\n]+)`"
                   r"|(?P<mark>[*_~])(?P<inner>[^\s*_~](?:[^\n]*?[^\s*_~])?)(?P=mark))(?![\w*_~`])")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):(?::skin-tone-\d:)?")


class Span(NamedTuple):
    """A piece of a message: its text and how it is formatted ("" for plain)."""

    text: str
    style: str = ""   # "code", "bold", "italic", "strike" or ""


STYLES = {"*": "bold", "_": "italic", "~": "strike"}


def spans(text: str) -> list[Span]:
    """``text`` cut into plain and formatted spans, emoji shortcodes replaced (not in code)."""
    out: list[Span] = []
    position = 0
    for match in _SPAN.finditer(text):
        if match.start() > position:
            out.append(Span(emoji(text[position:match.start()])))
        if match.group("block") is not None or match.group("code") is not None:
            out.append(Span(match.group("block") or match.group("code"), "code"))
        else:
            out.append(Span(emoji(match.group("inner")), STYLES[match.group("mark")]))
        position = match.end()
    if position < len(text):
        out.append(Span(emoji(text[position:])))
    return out


def emoji(text: str) -> str:
    """``:thinking_face:`` as 🤔; a name not in the table stays as written."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


# Each format's marks around a span's escaped text.
WIKITEXT_MARKS = {"code": ("<code>", "</code>"), "bold": ("'''", "'''"), "italic": ("''", "''"),
                  "strike": ("<s>", "</s>")}
MARKDOWN_MARKS = {"code": ("`", "`"), "bold": ("**", "**"), "italic": ("*", "*"), "strike": ("~~", "~~")}


def converter(linked: Callable[[str], str], literal: Callable[[str], str], marks: dict,
              line_break: str) -> Callable[[str], str]:
    """A function writing a Slack message in a format: each line's spans
    escaped by ``linked`` (plain, bold, italic, strike: task references and
    addresses become links) or ``literal`` (code), within ``marks``; lines
    joined by ``line_break``."""
    def write(text: str) -> str:
        lines = [_line(line, linked, literal, marks) for line in text.split("\n")]
        return line_break.join(line for line in lines if line)
    return write


def _line(line: str, linked, literal, marks: dict) -> str:
    out = []
    for span in spans(line.strip()):
        body = span.text.strip()
        if not body:
            out.append(span.text)
            continue
        written = literal(body) if span.style == "code" else linked(body)
        if marks is WIKITEXT_MARKS:   # a quote mark at an edge would join our two or three beside it
            written = _quote_edges(written)
        if span.style:
            opening, closing = marks[span.style]
            written = f"{opening}{written}{closing}"
        lead, trail = span.text[:len(span.text) - len(span.text.lstrip())], span.text[len(span.text.rstrip()):]
        out.append(lead + written + trail)
    return "".join(out)


def _quote_edges(written: str) -> str:
    """A quote mark at the start or end of a written span as a character reference."""
    if written.startswith("'"):
        written = "&#39;" + written[1:]
    if written.endswith("'"):
        written = written[:-1] + "&#39;"
    return written
