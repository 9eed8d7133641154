"""The text of an HTML mail body (the text/html part of an alert e-mail when it
has no text/plain one), in a module of its own so that reading plain mails
never imports ``html.parser``."""

from __future__ import annotations

from html.parser import HTMLParser


class _HTMLText(HTMLParser):
    """Text of an HTML mail: block tags become line breaks, ``<a>Source</a>``
    becomes ``Source: <href>``; head, style and script are dropped."""

    BREAKS = frozenset({"br", "p", "div", "tr", "td", "th", "li", "table", "hr",
                        "h1", "h2", "h3", "h4", "h5", "h6"})
    SKIP = frozenset({"head", "title", "style", "script"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.href: str | None = None
        self.link: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")
        elif tag == "a":
            self.href, self.link = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")
        elif tag == "a" and self.href is not None:
            label = "".join(self.link).strip()
            self.parts.append(f"\nSource: {self.href}\n" if label == "Source" and self.href else label)
            self.href = None

    def handle_data(self, data):
        if self.skipping:
            return
        (self.link if self.href is not None else self.parts).append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body, one line per block element."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
