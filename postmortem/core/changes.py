"""The one place that knows how people link a Gerrit change on Wikitech.

Wikitech, like every Wikimedia wiki, has the interwiki prefix ``gerrit:``
for ``https://gerrit.wikimedia.org/r/$1`` (Meta-Wiki's Interwiki map,
https://meta.wikimedia.org/wiki/Interwiki_map), and people write a change as
``[[gerrit:1234567]]``, ``[[gerrit:1234567|Deploy the new pool]]`` or, copied
from Gerrit's web UI, ``[[gerrit:c/operations/puppet/+/1141903|this patch]]``
(reports of tests/fixtures/reports/corpus/, stashbot's SAL lines). Other
``gerrit:`` links (a file in gitiles, ``[[gerrit:plugins/gitiles/…]]``) are no
change and are not read here.
"""

from __future__ import annotations

import re

from .lazy_regex import LazyRegex

GERRIT = "https://gerrit.wikimedia.org/r/"

# A Gerrit project path (``operations/puppet``, ``mediawiki/extensions/Cite``):
# segments of letters, digits, ``. - _``, each starting with a letter or digit,
# never ``__`` (a MediaWiki behaviour switch such as ``__TOC__``).
_PROJECT = r"[A-Za-z0-9](?:[A-Za-z0-9.-]|_(?!_))*(?:/[A-Za-z0-9](?:[A-Za-z0-9.-]|_(?!_))*)*"
# A change: its number, or the web UI's ``c/<project>/+/<number>`` (and a patch set ``/2``).
_CHANGE = rf"(?:[0-9]{{1,9}}|(?-i:c/{_PROJECT})/\+/[0-9]{{1,9}}(?:/[0-9]{{1,4}})?)"
# One change reference in untrusted text, for writing it as a link
# (postmortem/write/_links.py, beside core.tasks.TASK_REFERENCE): "change" the
# change as written after ``gerrit:``; "change_label" the person's label, up to
# the first ``]]`` as MediaWiki reads it. Interwiki prefixes are case-insensitive.
CHANGE_REFERENCE = LazyRegex(
    rf"\[\[[ \t]*:?[ \t]*gerrit[ \t]*:[ \t]*(?P<change>{_CHANGE})[ \t]*"
    r"(?:\|(?P<change_label>(?:[^\]\n]|\](?!\]))*))?\]\]", re.I)
_CHANGE_ONLY = LazyRegex(_CHANGE)


def change_url(change: str) -> str:
    """``https://gerrit.wikimedia.org/r/1234567`` for a change as
    :data:`CHANGE_REFERENCE` reads it; ValueError for anything else."""
    if _CHANGE_ONLY.fullmatch(change) is None:
        raise ValueError(f"not a Gerrit change: {change!r}")
    return GERRIT + change
