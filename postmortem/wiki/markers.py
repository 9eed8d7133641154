"""The tool's marks in a page's history, by which `update` finds the text it
generated when it last saved the page (the base of the three-way merge).

Every save by the tool carries the edit summary
``postmortem <version>: publish|update report (generated <digest>)``, where
``<digest>`` is the first 12 hex digits of the SHA-1 of the generated text.
For ``publish`` the saved text *is* the generated text. For ``update`` the saved
text is the merge (generated text plus hand edits); the way back from it to the
generated text is stored in the same revision as one hidden HTML comment at the
end of the page, ``<!-- postmortem-base:1:<base64 zlib JSON line patch> -->``.
The patch holds only the lines where the page differs from the generated text
(the hand edits), so it is empty — and absent — when nobody edited the page.

Why in the revision itself: it is saved atomically with the text it describes
(a separate page or local file could be out of step, or missing on a
teammate's machine); it is found again from the page history alone (the
newest revision with the summary marker whose patched text has the digest the
summary names — hand edits to the comment later cannot mislead it, since only
the tool's own revision is read); and it is invisible in the rendered page.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import zlib

from .._version import __version__
from ..core.errors import WikiError
from .merge import canonical

SUMMARY = re.compile(r"^postmortem (?P<version>\S+): (?P<action>publish|update) report "
                     r"\(generated (?P<digest>[0-9a-f]{12})\)")
MARKER = re.compile(r"\n?<!-- postmortem-base:1:(?P<data>[A-Za-z0-9+/=]*) -->[ \t]*(?=\n|$)")
HISTORY_LIMIT = 500


def digest(text: str) -> str:
    """The 12-hex-digit SHA-1 of generated text, named in edit summaries."""
    return hashlib.sha1(canonical(text).encode("utf-8")).hexdigest()[:12]


def edit_summary(action: str, generated: str) -> str:
    """``postmortem 0.1.0: publish report (generated 1a2b3c4d5e6f)``."""
    return f"postmortem {__version__}: {action} report (generated {digest(generated)})"


def strip_marker(text: str) -> str:
    """The page text without the tool's hidden base comment."""
    return canonical(MARKER.sub("", text))


def with_marker(page_text: str, generated: str) -> str:
    """``page_text`` plus the hidden comment leading back to ``generated``."""
    page_text, generated = canonical(page_text), canonical(generated)
    if page_text == generated:
        return page_text
    old, new = page_text.split("\n"), generated.split("\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    patch = [[i1, i2, new[j1:j2]] for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    data = base64.b64encode(zlib.compress(json.dumps(patch).encode("utf-8"), 9)).decode("ascii")
    return f"{page_text}\n<!-- postmortem-base:1:{data} -->"


def generated_text(saved: str) -> str:
    """The generated text a tool revision was made from (inverse of :func:`with_marker`)."""
    found = MARKER.search(saved)
    body = strip_marker(saved)
    if not found:
        return body
    patch = json.loads(zlib.decompress(base64.b64decode(found.group("data"))).decode("utf-8"))
    lines, out, cursor = body.split("\n"), [], 0
    for start, stop, new in patch:
        if not (cursor <= start <= stop <= len(lines)):
            raise ValueError("patch does not fit the text")
        out.extend(lines[cursor:start])
        out.extend(new)
        cursor = stop
    out.extend(lines[cursor:])
    return "\n".join(out)


def find_base(wiki, title: str) -> tuple[str, int]:
    """The text the tool generated at its last save, and that revision's id.

    Walks the history newest first; the first revision whose summary carries the
    marker and whose reconstructed text has the digest it names is the base.
    """
    for rev in wiki.revisions(title, limit=HISTORY_LIMIT):
        found = SUMMARY.match(rev.comment or "")
        if not found:
            continue
        try:
            text = generated_text(wiki.revision(rev.revid).text or "")
        except (ValueError, zlib.error, json.JSONDecodeError, TypeError):
            continue
        if digest(text) == found.group("digest"):
            return text, rev.revid
    raise WikiError(f"no revision of {title!r} saved by postmortem was found in its last "
                    f"{HISTORY_LIMIT} revisions, so hand edits cannot be told from generated "
                    f"text; nothing was changed", code="nobase", url=wiki.api_url)
