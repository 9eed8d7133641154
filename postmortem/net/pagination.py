"""The one rule every paginated read follows, whatever the service calls its
next page (MediaWiki's ``continue``, Slack's ``next_cursor``, PagerDuty's
``more`` and ``offset``, Splunk On-Call's ``offset``, Gerrit's ``S`` and
``_more_changes``, Conduit's ``cursor.after``, the SAL tool's ``p``).

A server may answer "there is more" forever (1,285 requests in a minute from
a wiki that always sent ``continue``), so asking goes on only while each answer
moves forward; it stops with the reader's one-line error naming the URL:

* at the stated maximum of requests for one call (:data:`MAX_REQUESTS` unless
  the reader states its own);
* when the next token (cursor, offset, continue object) is one already
  followed: the same pages again;
* when an answer that says "more" brought no item not seen before (by the
  item's key: a title, an id, a number), unless the service documents pages
  that may be empty (``empty_allowed`` in a row: Slack's cursors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

MAX_REQUESTS = 1000  # per call: 100,000 items at 100 a page, far beyond an incident's records


@dataclass
class Pagination:
    """The progress of one paginated call. ``fail(message)`` makes the reader's
    own error (naming the URL); ``what`` names the token in messages."""

    fail: Callable[[str], Exception]
    what: str = "next-page token"
    most: int = MAX_REQUESTS
    empty_allowed: int = 0
    requests: int = 0
    _tokens: set = field(default_factory=set)
    _keys: set = field(default_factory=set)
    _empty_in_a_row: int = 0
    _asked: object = None  # the token of the page last asked for (None: the first)

    def ask(self) -> None:
        """Before each request: the error once ``most`` requests were made."""
        if self.requests >= self.most:
            raise self.fail(f"still more pages after {self.most} requests, the most one call makes: "
                            f"stopped; narrow the window or the query")
        self.requests += 1

    def more(self, token, keys: Iterable) -> bool:
        """After an answer with the items of ``keys``: True to ask for the page
        ``token`` names, False at the end (``token`` None: nothing more); the
        error when the answer did not move forward."""
        new = {key if isinstance(key, (str, int)) else _comparable(key) for key in keys} - self._keys
        self._keys.update(new)
        if token is None:
            return False
        answer = "the first answer" if self._asked is None else f"the answer to {self.what}={_shown(self._asked)}"
        self._empty_in_a_row = 0 if new else self._empty_in_a_row + 1
        if self._empty_in_a_row > self.empty_allowed:
            raise self.fail(f"{answer} says there is more but brought nothing new: stopped, asking again would "
                            f"not end")
        seen = _comparable(token)
        if seen in self._tokens:
            raise self.fail(f"{answer} points back at {self.what}={_shown(token)}, asked for already: stopped, "
                            f"asking again would not end")
        self._tokens.add(seen)
        self._asked = token
        return True


def _comparable(token) -> str:
    """A token or an item's key as text that compares (a continue object is a dict)."""
    try:
        return json.dumps(token, sort_keys=True, default=str)
    except (TypeError, ValueError):  # keys of mixed types do not sort
        return repr(token)


def _shown(token) -> str:
    text = _comparable(token)
    return text if len(text) <= 60 else text[:57] + "…"
