"""The tool's marks in a page's history, by which `update` finds the text it
generated when it last saved the page (the base of the three-way merge).

Every save by the tool carries the edit summary
``postmortem <version>: publish|update report (generated <digest>)`` (``statistics``
instead of ``report`` on the statistics page), where
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
from dataclasses import dataclass

from .._version import __version__
from ..core.errors import WikiError
from ..core.nesting import load_json
from .text_merge import canonical

SUMMARY = re.compile(r"^postmortem (?P<version>\S+): (?P<action>publish|update) (?P<what>report|statistics) "
                     r"\(generated (?P<digest>[0-9a-f]{12})\)")
MARKER = re.compile(r"\n?<!-- postmortem-base:1:(?P<data>[A-Za-z0-9+/=]*) -->[ \t]*(?=\n|$)")
HISTORY_LIMIT = 500


def digest(text: str) -> str:
    """The 12-hex-digit SHA-1 of generated text, named in edit summaries."""
    return hashlib.sha1(canonical(text).encode("utf-8")).hexdigest()[:12]


def edit_summary(action: str, generated: str, what: str = "report") -> str:
    """``postmortem 0.1.0: publish report (generated 1a2b3c4d5e6f)``; ``what`` is
    ``report`` or ``statistics`` (the statistics page)."""
    return f"postmortem {__version__}: {action} {what} (generated {digest(generated)})"


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
    """The generated text a tool revision was made from (inverse of :func:`with_marker`).
    ValueError when the marker is not one the tool could have written: broken,
    or inflating to more than :func:`inflate_limit` of the page (a zip bomb)."""
    found = MARKER.search(saved)
    body = strip_marker(saved)
    if not found:
        return body
    patch = _patch(_inflate(base64.b64decode(found.group("data")), inflate_limit(saved)))
    lines, out, cursor = body.split("\n"), [], 0
    for start, stop, new in patch:
        if not (cursor <= start <= stop <= len(lines)):
            raise ValueError("patch does not fit the text")
        out.extend(lines[cursor:start])
        out.extend(new)
        cursor = stop
    out.extend(lines[cursor:])
    return "\n".join(out)


def inflate_limit(saved: str) -> int:
    """How far a base marker may inflate: the patch holds lines of the page, so a
    few times the page's size (and never more than a few MB)."""
    return min(4 * len(saved.encode("utf-8")) + 65_536, 8 * 1024 * 1024)


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib data decompressed to at most ``limit`` bytes; ValueError beyond (never
    more is held in memory: ``decompressobj().decompress(data, max_length)``)."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit)
    if inflater.unconsumed_tail or len(out) >= limit and not inflater.eof:
        raise ValueError(f"the base marker inflates to more than {limit} bytes: not the tool's")
    return out


def _patch(data: bytes) -> list:
    """The marker's JSON line patch, checked: ``[[start, stop, [lines…]], …]``."""
    patch = load_json(data.decode("utf-8"))
    if not isinstance(patch, list) or not all(
            isinstance(p, list) and len(p) == 3 and all(isinstance(n, int) for n in p[:2])
            and isinstance(p[2], list) and all(isinstance(line, str) for line in p[2]) for p in patch):
        raise ValueError("the base marker is not a line patch")
    return patch


@dataclass(frozen=True)
class Base:
    """The text the tool generated at its last save, that revision, and the
    revisions passed over on the way (each with why)."""

    text: str
    revid: int
    passed_over: tuple[str, ...] = ()


def find_base(wiki, title: str, *, accounts=()) -> Base:
    """The text the tool generated at its last save, and that revision.

    Walks the history newest first; the first revision whose summary carries the
    marker, that the tool's own account saved (the account logged in, or one of
    ``accounts``: a shared bot), and whose reconstructed text has the digest the
    summary names, is the base. A revision with the tool's summary by any other
    account is passed over (anyone may type that summary), and so is one whose
    marker does not decode within bounds; ``passed_over`` says which and why.
    """
    own = {name for name in (getattr(wiki, "user", None), *accounts) if name}
    passed = []
    for rev in wiki.revisions(title, limit=HISTORY_LIMIT):
        found = SUMMARY.match(rev.comment or "")
        if not found:
            continue
        if own and rev.user not in own:
            passed.append(f"revision {rev.revid} by {rev.user!r} has the tool's edit summary, but that account "
                          f"is not the tool's ({', '.join(sorted(own))}): not used as the base")
            continue
        try:
            text = generated_text(wiki.revision(rev.revid).text or "")
        except (ValueError, zlib.error, json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
            passed.append(f"revision {rev.revid}: its base marker is not the tool's ({err}): not used as the base")
            continue
        if digest(text) == found.group("digest"):
            return Base(text, rev.revid, tuple(passed))
        passed.append(f"revision {rev.revid}: its text does not match the digest of its summary: not used")
    raise WikiError(f"no revision of {title!r} saved by postmortem was found in its last "
                    f"{HISTORY_LIMIT} revisions, so hand edits cannot be told from generated "
                    f"text; nothing was changed" + (f" ({'; '.join(passed)})" if passed else ""),
                    code="nobase", url=wiki.api_url)
