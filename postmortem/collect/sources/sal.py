"""Source ``sal``: the Server Admin Log tool's HTML pages (sal.toolforge.org).

The tool (github bd808/SAL) has no JSON API: its pages are the interface.
``GET /<project>?q=<query>&d=YYYY-MM-DD&p=<page from 0>&i=<1..200>`` lists
entries newest first, ``d`` meaning "on or before the end of that day"
(``src/Logs.php``: range ``@timestamp lte d||/d``, sort desc; ``src/Pages/Sal.php``:
``i`` from 1 to 200). The markup (``data/templates/sal.html``, ``inc/log.html``)::

    <div class="hits">1-200 of 1234 results (12ms)</div>   ("N results (…)" on one page)
    <table class="sal">
      <tbody>
      <tr><th colspan="4"><a class="day" href="/production?d=2023-09-28">2023-09-28</a>
          <span class="section">§</span></th></tr>
      <tr>
        <td class="time"><a href="/log/AWxyz">14:33</a></td>
        <td class="nick">&lt;brennen&gt;</td>
        <td class="message">…linkified message…</td>
      </tr>

A day's ``<tbody>`` appears only where the day changes, so a page may start
in the middle of a day with its heading repeated. Times are UTC, minutes.

Fewest requests: ``d`` is the window's last day and ``i=200``; pages are
walked back until an entry older than the window's start is seen or the
hits say there are no more — ``ceil(entries since the window start / 200)``
pages, the least the tool allows (a page that says more follow but holds no
entry not seen before is an error, not asked again:
:mod:`postmortem.net.pagination`). Every row of the pages fetched counts as
read (the older pages, not fetched, are not read); an entry logged while the
pages are walked shifts them, and an entry seen again on the next page is
dropped as the same entry.

Events: source ``"sal"``, actor = the nick (for logmsgbot's entries, the user it
logged for, :func:`postmortem.core.log_lines.logged_by`), text = the message's text, url
``<base>/log/<id>``, precision ``"minute"``, fields ``{"sal_id"}`` (and
``relayed_by``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

from ...core.lazy_regex import LazyRegex
from ...core.model import Event, SourceConfig, Window
from ...core.timeutil import UTC
from ...core.log_lines import logged_by
from ...core.accounting import Tally
from . import BaseSource, check_options, check_url, option
from ...net.web import format_error, html_answer, request
from ...net.pagination import Pagination

TYPE = "sal"
DEFAULT_URL = "https://sal.toolforge.org"
PAGE_SIZE = 200  # the most the tool gives per page (src/Pages/Sal.php, max_range 200)

_HITS = LazyRegex(r"^\s*(?:(?P<first>\d+)-(?P<last>\d+) of )?(?P<total>\d+) results?\b")
_LOG_ID = LazyRegex(r"/log/(?P<id>[^/?#]+)$")
_CLOCK = LazyRegex(r"^(?P<h>\d{2}):(?P<m>\d{2})$")


@dataclass
class SalRow:
    """One entry as shown: its day heading, ``HH:MM``, id, nick and message."""

    day: str | None
    clock: str = ""
    log_id: str | None = None
    nick: str = ""
    message: str = ""


@dataclass
class SalPage:
    """A parsed page: its rows (newest first) and the hit counter."""

    rows: list = field(default_factory=list)
    hits: str | None = None
    has_table: bool = False


class _SalParser(HTMLParser):
    """Collects ``div.hits``, ``a.day`` headings and ``tr`` rows of ``table.sal``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = SalPage()
        self.day: str | None = None
        self.row: SalRow | None = None
        self.capture: str | None = None  # "hits" | "day" | a td class
        self.buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "table" and "sal" in classes:
            self.page.has_table = True
        elif tag == "div" and "hits" in classes:
            self._start("hits")
        elif tag == "a" and "day" in classes:
            self._start("day")
        elif tag == "tr" and self.page.has_table:
            self.row = SalRow(day=self.day)
        elif tag == "td" and self.row is not None and classes:
            self._start(classes[0])
        elif tag == "a" and self.capture == "time" and self.row is not None:
            match = _LOG_ID.search(attrs.get("href") or "")
            self.row.log_id = match["id"] if match else None

    def handle_endtag(self, tag):
        if tag in ("div", "a", "td") and self.capture in _ENDS.get(tag, ()):
            self._finish()
        elif tag == "tr" and self.row is not None:
            if self.row.clock or self.row.log_id:
                self.page.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.capture is not None:
            self.buffer.append(data)

    def _start(self, what: str) -> None:
        self.capture, self.buffer = what, []

    def _finish(self) -> None:
        text = " ".join("".join(self.buffer).split())
        what, self.capture = self.capture, None
        if what == "hits":
            self.page.hits = text
        elif what == "day":
            self.day = text
        elif what == "time":
            self.row.clock = text
        elif what == "nick":
            self.row.nick = text.removeprefix("<").removesuffix(">")
        elif what == "message":
            self.row.message = text


# Which capture an end tag closes: </a> closes the day link, but not the time
# cell's link (the <td> does) nor links inside a message.
_ENDS = {"div": ("hits",), "a": ("day",), "td": ("time", "nick", "message")}


def parse_sal_page(html: str) -> SalPage:
    """Parse one SAL page (bd808/SAL ``data/templates/sal.html``)."""
    parser = _SalParser()
    parser.feed(html)
    parser.close()
    return parser.page


def page_exhausted(page: SalPage) -> bool:
    """True when no page follows this one (from ``div.hits``)."""
    match = _HITS.match(page.hits or "")
    if match is None or match["last"] is None:  # "N results": all on one page
        return True
    return int(match["last"]) >= int(match["total"])


def row_event(row: SalRow, base: str, *, source: str, url: str) -> Event:
    """The Event of one row; SourceFormatError for a row without day, time or id."""
    clock = _CLOCK.match(row.clock)
    if row.day is None or clock is None or not row.log_id:
        raise format_error(f"SAL row without day, HH:MM time or /log/<id> link: {row.clock!r} "
                           f"{row.nick!r} (day {row.day!r})", source=source, url=url)
    try:
        day = dt.date.fromisoformat(row.day)
        moment = dt.datetime.combine(day, dt.time(int(clock["h"]), int(clock["m"])), tzinfo=UTC)
    except ValueError:
        raise format_error(f"not a SAL day and time: {row.day!r} {row.clock!r}",
                           source=source, url=url) from None
    actor, text, entry = logged_by(row.nick or None, row.message)
    return Event(time=moment, source=TYPE, text=text, actor=actor,
                 url=f"{base}/log/{quote(row.log_id)}", precision="minute",
                 fields={"sal_id": row.log_id}, log=entry)


def last_day(window: Window) -> dt.date:
    """The last UTC date with an instant of the half-open window."""
    return max(window.start, window.end - dt.timedelta(microseconds=1)).date()


class SalSource(BaseSource):
    """sal.toolforge.org (or a copy of the tool): ``url``, ``project``, ``query``."""

    type = TYPE
    label = "SAL"
    family = "sal"
    talking = True
    network = True

    def check(self, config: SourceConfig) -> None:
        """Options: ``url`` (default sal.toolforge.org), ``project`` (default production), ``query``."""
        check_options(config, ("url", "project", "query"))
        check_url(config, required=False)
        option(config, "project")
        option(config, "query")

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Every entry in ``window``, oldest first; pages walked back from its last day."""
        base = (option(config, "url") or DEFAULT_URL).rstrip("/")
        page_url = f"{base}/{quote(option(config, 'project') or 'production', safe='')}"
        params = {"d": last_day(window).isoformat(), "i": PAGE_SIZE}
        if option(config, "query"):
            params["q"] = option(config, "query")
        tally = tally if tally is not None else Tally()
        found: dict[str, Event | None] = {}  # every entry seen: its event when in the window
        pages = Pagination(lambda message: format_error(message, source=config.name, url=page_url), what="p")
        number = 0
        while True:
            pages.ask()
            page = self._page(session, page_url, {**params, "p": number}, config.name)
            tally.count(len(page.rows))
            oldest = self._collect(page, base, found, window, (config.name, page_url), tally)
            number += 1
            last = page_exhausted(page) or not page.rows or oldest < window.start
            if not pages.more(None if last else number, [row.log_id for row in page.rows]):
                break
        return sorted((event for event in found.values() if event is not None), key=lambda event: event.time)

    def _page(self, session, url: str, params: dict, name: str) -> SalPage:
        response = request(session, "GET", url, params=params, source=name)
        page = parse_sal_page(html_answer(response, source=name))
        if not page.has_table or page.hits is None or _HITS.match(page.hits) is None:
            raise format_error('not a SAL page (no <div class="hits"> "N results" and <table class="sal">)',
                               source=name, url=url)
        return page

    def _collect(self, page: SalPage, base: str, found: dict, window: Window, where: tuple,
                 tally: Tally) -> dt.datetime:
        """Add the page's entries to ``found`` (their events when in ``window``), an
        entry seen on the page before dropped; return the page's oldest time."""
        name, url = where
        oldest = window.end
        for row in page.rows:
            event = row_event(row, base, source=name, url=url)
            oldest = min(oldest, event.time)
            if row.log_id in found:
                tally.drop("the same SAL entry again on the next page (an entry logged while the pages "
                           "were fetched shifted them)", event.url)
            else:
                found[row.log_id] = event if event.time in window else None
        return oldest


SOURCE = SalSource()
