"""Source ``sal-wikitext``: a Server Admin Log page's wikitext, scanned line by line.

Format (written by stashbot, github wikimedia/labs-tools-stashbot,
``stashbot/sal.py`` ``Logger._write_to_wiki``; pages ``Server Admin Log`` and
``Server admin log/Archive N`` on Wikitech)::

    == 2023-09-28 ==
    * 16:24 joal: restart mw-page-content-change-enrich {{!}} again
    * {{safesubst:SAL entry|1=14:33 brennen@deploy2002: Started scap sync-world}}

    == 2023-09-27 ==
    * 23:59 logmsgbot: tchin@deploy2002 helmfile [eqiad] DONE

- Newest first: stashbot inserts each entry at the top of the newest day
  section, opening a new ``== YYYY-MM-DD ==`` section above the others.
- Older archives have headings without a year (``== September 28 ==``); the
  year comes from the ``year`` option, else from the window (the year of its
  last instant), and it is decremented whenever going down the page the month
  increases (December below January: the page crossed New Year backwards).
  An ISO heading resets that context year.
- An entry is ``* HH:MM nick: message`` or, as stashbot writes it,
  ``* {{safesubst:SAL entry|1=HH:MM nick: message}}`` (also ``{{SAL entry|1=…}}``,
  ``subst:``); stashbot escapes ``|`` in the message as ``{{!}}``. Times are UTC,
  to the minute. Nicks look like ``tchin``, ``brennen@deploy2002`` or ``logmsgbot``.
- Other lines are no entries and are ignored: text, ``*`` bullets without a
  ``HH:MM``, entries above the first day heading or under a non-day heading
  (``== Notes ==``; a deeper ``=== sub ===`` inside a day keeps the day).

Only lines starting with ``=`` or ``*`` are looked at — never a full wikitext
parse (docs/architecture.md: a full parse of a 2 MB page takes seconds, a line scan tens
of milliseconds). The page is read to its end: every entry is a record, and
those of days outside the window are counted (read, outside the window)
without matching them. An entry of the window's days that is not understood
(a bullet with no ``HH:MM``, a time that cannot be), and every entry under a
day heading that is no real date (``== September 31 ==``), is skipped with its
file and line, and the rest is read; only a file with no day heading at all is
an error.

Events: source ``"sal-wikitext"``, actor = the nick (for logmsgbot's entries,
the user it logged for, with ``fields["relayed_by"]``), text = the message as
written except ``{{!}}`` → ``|``, precision ``"minute"``, url None (the wiki
gives SAL lines no id), no tags, fields ``{"date": "YYYY-MM-DD"}`` plus
``{"file": …, "line": …}`` when read from a file (the page title and its line
for a page read from the wiki).
"""

from __future__ import annotations


from ...core.errors import IncidentFileError, SourceError
from ...core.model import Event, SourceConfig, Window
from ...core.accounting import Tally
from . import BaseSource, check_options, encoding_of, option, resolve_paths, text_lines
from ._sal_scan import scan_sal_lines

TYPE = "sal-wikitext"
OPTIONS = ("path", "year", "wiki", "page", "encoding")

class SalWikitextSource(BaseSource):
    """A Server Admin Log page: a local file (``path``), or ``wiki`` + ``page``."""

    type = TYPE
    label = "SAL"
    family = "sal"
    talking = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``path`` or ``wiki`` + ``page``; optional integer ``year``."""
        check_options(config, OPTIONS)
        path = option(config, "path")
        wiki, page = option(config, "wiki"), option(config, "page")
        year = option(config, "year", int)
        if year is not None and not 1990 <= year <= 2200:
            raise IncidentFileError(f"{config.name}: 'year' must be a year like 2012, got {year!r}",
                                    file=config.file, key="year")
        if (wiki is None) != (page is None):
            missing = "page" if page is None else "wiki"
            raise IncidentFileError(f"{config.name}: 'wiki' and 'page' go together; {missing!r} is missing",
                                    file=config.file, key=missing)
        if path is None and wiki is None:
            raise IncidentFileError(f"{config.name} needs 'path' (or 'wiki' and 'page')",
                                    file=config.file, key="path")
        if path is not None:
            resolve_paths(config, path)
        encoding_of(config)

    def needs_pull(self, config: SourceConfig) -> bool:
        """``wiki`` + ``page`` is fetched by `pull` into the cache; ``path`` is read from disk."""
        return option(config, "path") is None

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Events in ``window`` from every file ``path`` names."""
        tally = tally if tally is not None else Tally()
        path = option(config, "path")
        if path is None and session is not None:  # the wiki variant, fetched by `pull`
            from .sal_wiki import read_wiki  # the HTTP stack, only when fetching
            return read_wiki(config, window, session, tally)
        if path is None:
            raise SourceError("not pulled yet: the wiki variant of sal-wikitext is read by `pull`",
                              source=config.name)
        year, encoding = option(config, "year", int), encoding_of(config)
        events: list[Event] = []
        for file in resolve_paths(config, path):
            lines = (line for _, line in text_lines(file, encoding, source=TYPE))
            events.extend(scan_sal_lines(lines, window, year=year, file=file, tally=tally))
        events.sort(key=lambda event: event.time)
        return events


SOURCE = SalWikitextSource()
