"""A small MediaWiki Action API client on the shared HTTP session.

What it does, with the API pages it follows:

* log in with a bot password — ``meta=tokens&type=login``, then ``action=login``
  with ``lgname``/``lgpassword``/``lgtoken``
  (https://www.mediawiki.org/wiki/API:Login, https://www.mediawiki.org/wiki/API:Tokens);
* a CSRF token (``meta=tokens``), refreshed once on ``badtoken``;
* ``action=edit`` always with ``assert=user`` (an anonymous edit otherwise
  "succeeds"), ``basetimestamp``/``baserevid``/``starttimestamp`` so that an edit
  made since the page was read is an edit conflict, not an overwrite, and
  ``createonly``/``nocreate`` (https://www.mediawiki.org/wiki/API:Edit);
* read wikitext and history — ``prop=revisions&rvslots=main``
  (https://www.mediawiki.org/wiki/API:Revisions);
* rendered HTML and a pre-save transform — ``action=parse``
  (https://www.mediawiki.org/wiki/API:Parsing_wikitext);
* list pages by prefix — ``list=allpages`` (https://www.mediawiki.org/wiki/API:Allpages);
* who uploaded a file, when and why — ``prop=imageinfo&iiprop=user|comment|timestamp|sha1``
  (https://www.mediawiki.org/wiki/API:Imageinfo), and upload one — ``action=upload``
  (https://www.mediawiki.org/wiki/API:Upload).

Every API error becomes a :class:`~postmortem.core.errors.WikiError` carrying the
API error code and the api.php URL. The password is sent only in a POST body,
only over https (or to this machine), and never appears in a message or a log:
whatever the wiki says goes into a message through
:func:`~postmortem.net.responses.server_text` with the password (a wiki that
echoes the login request sends it back in an HTTP 500 body, an ``error.info``
or the login's ``reason``, URL-encoded, JSON-escaped or split).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from typing import Iterator

from ..core.errors import PostmortemError, WikiError
from ..core.scrub import hold, hold_url
from .responses import answer_shaped, decode_json, server_text, status_problem
from .http import new_session, require_secure, retry, retry_after_seconds, secret
from .pagination import MAX_REQUESTS, Pagination
from ._wiki_responses import MESSAGES, code_and_info, continue_of, list_at, object_at

USER_ENV = "POSTMORTEM_WIKI_USER"
PASSWORD_ENV = "POSTMORTEM_WIKI_PASSWORD"
RETRY_CODES = frozenset({"ratelimited", "maxlag", "readonly"})
CALL_DEADLINE = 120.0  # seconds for one API call, its retries included


@dataclass(frozen=True)
class Revision:
    """One revision of a page (``text`` is None when content was not asked for)."""

    title: str
    revid: int
    parentid: int
    timestamp: str
    user: str
    comment: str
    text: str | None = None
    curtimestamp: str | None = None   # server time when it was read: the edit's starttimestamp


@dataclass(frozen=True)
class FileInfo:
    """What the wiki says about ``File:<name>``: whether a file is there (and who
    uploaded its current version, when, with which comment), and whether its
    description page exists (it can without a file, e.g. after a deletion)."""

    title: str
    exists: bool                 # a current file version is there
    page_exists: bool            # the File: description page exists
    user: str = ""
    comment: str = ""
    timestamp: str = ""
    sha1: str = ""
    repository: str = ""         # "local", or a shared repository's name


@dataclass(frozen=True)
class Parsed:
    """What ``action=parse`` says about a page: HTML, categories, sections."""

    html: str
    categories: tuple[str, ...]
    sections: tuple[str, ...]
    revid: int | None


class Wiki:
    """A MediaWiki at ``api_url`` (the api.php URL).

    ``sleep`` and ``retries`` bound the waiting on ``ratelimited``/``maxlag``;
    ``max_requests`` the requests of one listing that follows ``continue``;
    tests inject a session or a sleep function.
    """

    def __init__(self, api_url: str, *, session=None, retries: int = 3, backoff: float = 2.0,
                 sleep=time.sleep, clock=time.monotonic, call_deadline: float = CALL_DEADLINE,
                 max_requests: int = MAX_REQUESTS):
        self.api_url = api_url
        self.max_requests = max_requests  # for one listing that follows `continue`
        # No deadline for the session's life: each call has its own (a long
        # `stats --wiki` makes many calls, each of them bounded).
        self.session = session if session is not None else new_session(timeout=30.0, deadline=None)
        self.retries, self.backoff, self._sleep, self._clock = retries, backoff, sleep, clock
        self.call_deadline = call_deadline
        self.user: str | None = None
        self._csrf: str | None = None
        self._secrets: tuple[str, ...] = ()   # the password, once given to login()
        self._login_name: str | None = None
        hold_url(api_url)

    # -- low level -------------------------------------------------------------

    def call(self, params: dict, *, post: bool = False) -> dict:
        """One API request (JSON, formatversion=2); API errors raise WikiError.

        ``ratelimited``/``maxlag``/``readonly`` are retried a few times with
        back-off (honouring Retry-After) before giving up.
        """
        params = {"format": "json", "formatversion": "2", **params}  # the token stays last
        with self._bounded():
            data, _ = retry(lambda number: self._request(params, post), self._wait_for,
                            retries=self.retries, deadline_at=self._clock() + self.call_deadline,
                            sleep=self._sleep, clock=self._clock)
        if "error" in data:
            raise self._error(data["error"])
        return data

    def _request(self, params: dict, post: bool, files=None) -> tuple[dict, str | None]:
        try:
            if post:
                response = self.session.post(self.api_url, data=params, files=files)
            else:
                response = self.session.get(self.api_url, params=params)
        except PostmortemError as err:   # the session's own connection/timeout error
            raise WikiError(err.message, code="http", url=self.api_url) from None
        problem = status_problem(response, self._secrets, user=self._login_name)
        if problem:
            raise self._answer_error(problem, "http", response.status_code)
        try:
            data = decode_json(response, self._secrets, user=self._login_name)
        except ValueError as err:
            raise self._answer_error(str(err), "badjson", response.status_code) from None
        if not isinstance(data, dict):
            raise self._answer_error("not an Action API answer", "badjson")
        return data, response.headers.get("Retry-After")

    def _said(self, text, limit: int = 200) -> str:
        """What the wiki said, fit for a message (without the password)."""
        return server_text(text, self._secrets, user=self._login_name, limit=limit)

    def _answer_error(self, message: str, code: str, status: int | None = None) -> WikiError:
        err = WikiError(self._said(message, limit=400), code=code, url=self.api_url)
        err.status = status
        return err

    def _bounded(self):
        """This call's deadline on the session (a plain requests session has none)."""
        bound = getattr(self.session, "deadline", None)
        return bound(self.call_deadline) if callable(bound) else contextlib.nullcontext()

    def _first_page(self, data: dict) -> dict:
        """``query.pages[0]`` of an answer (formatversion=2); WikiError badjson
        when the answer has no such list."""
        query = data.get("query")
        pages = query.get("pages") if isinstance(query, dict) else None
        if not isinstance(pages, list) or not pages or not isinstance(pages[0], dict):
            raise self._answer_error("Action API answer without query.pages", "badjson")
        return pages[0]

    def _wait_for(self, attempt: int, outcome) -> float | None:
        """After ``ratelimited``/``maxlag``/``readonly``: Retry-After (at most 30 s;
        in any form: garbage is the back-off) or the back-off; any other answer is final."""
        data, retry_after = outcome
        if "error" not in data or code_and_info(data["error"])[0] not in RETRY_CODES:
            return None
        wait = retry_after_seconds(retry_after)
        return self.backoff * (2 ** attempt) if wait is None else min(wait, 30.0)

    def _error(self, error) -> WikiError:
        code, info = code_and_info(error)
        info = self._said(info)
        message = MESSAGES.get(code, f"the wiki refused the request: {info or code}")
        return WikiError(f"{message} ({code})", code=code, url=self.api_url)

    # -- login and tokens (API:Login, API:Tokens) --------------------------------

    @answer_shaped
    def login(self, user: str | None = None, password: str | None = None) -> str:
        """Log in with a bot password (``Name@appid`` and its generated password).

        Without arguments they come from POSTMORTEM_WIKI_USER / POSTMORTEM_WIKI_PASSWORD
        or the owner-only config file (:func:`postmortem.net.http.secret`). Returns the
        wiki user name. A wrong password raises WikiError ``loginfailed``.
        """
        require_secure(self.api_url, "the wiki password")
        user = user or secret(USER_ENV, private=False)   # shown in every edit's history
        password = password or secret(PASSWORD_ENV)
        hold(password, user)
        self._secrets, self._login_name = (password,), user
        token = self._token("login")
        data = self.call({"action": "login", "lgname": user, "lgpassword": password,
                          "lgtoken": token}, post=True)
        result = object_at(data, "login")
        if result.get("result") != "Success":
            reason = self._said(result.get("reason", result.get("result", "")))
            raise WikiError(f"login as {user!r} failed: {reason or 'no reason given'} "
                            f"(use a bot password made at Special:BotPasswords)",
                            code="loginfailed", url=self.api_url)
        name = result.get("lgusername")
        self.user, self._csrf = name if isinstance(name, str) and name else user.split("@")[0], None
        return self.user

    @answer_shaped
    def csrf_token(self, *, refresh: bool = False) -> str:
        """The edit (CSRF) token of this session, fetched once."""
        if self._csrf is None or refresh:
            self._csrf = self._token("csrf")
        return self._csrf

    def _token(self, kind: str) -> str:
        data = self.call({"action": "query", "meta": "tokens", "type": kind})
        token = object_at(data, "query", "tokens").get(f"{kind}token")
        if not token or not isinstance(token, str):
            raise WikiError(f"the wiki gave no {kind} token", code="notoken", url=self.api_url)
        return token

    # -- reading (API:Revisions, API:Parsing_wikitext, API:Allpages) -------------

    @answer_shaped
    def page(self, title: str) -> Revision | None:
        """The current revision of ``title`` with its wikitext, or None if missing."""
        data = self.call({"action": "query", "prop": "revisions", "titles": title,
                          "rvslots": "main", "rvprop": "content|timestamp|ids|user|comment",
                          "curtimestamp": "1"})
        page = self._first_page(data)
        if page.get("invalid"):
            raise WikiError(f"invalid page title {title!r}: {page.get('invalidreason', '')}",
                            code="invalidtitle", url=self.api_url)
        if page.get("missing"):
            return None
        if not page.get("revisions"):
            raise self._answer_error(f"page {title!r} without revision content", "badjson")
        return _revision(page["title"], page["revisions"][0], data.get("curtimestamp"))

    @answer_shaped
    def revision(self, revid: int) -> Revision:
        """One revision with its wikitext."""
        data = self.call({"action": "query", "prop": "revisions", "revids": str(revid),
                          "rvslots": "main", "rvprop": "content|timestamp|ids|user|comment"})
        pages = [self._first_page(data)]
        if not pages[0].get("revisions"):
            raise WikiError(f"no revision {revid}", code="nosuchrevid", url=self.api_url)
        return _revision(pages[0]["title"], pages[0]["revisions"][0])

    @answer_shaped
    def revisions(self, title: str, *, limit: int = 500) -> Iterator[Revision]:
        """The page's revisions, newest first, without content (at most ``limit``)."""
        params = {"action": "query", "prop": "revisions", "titles": title,
                  "rvprop": "timestamp|ids|user|comment", "rvlimit": str(min(limit, 50))}
        seen = 0
        for data, revisions in self._continued(params, lambda data: list_at(self._first_page(data), "revisions"),
                                               "revid"):
            for rev in revisions:
                seen += 1
                yield _revision(self._first_page(data)["title"], rev)
                if seen >= limit:
                    return

    @answer_shaped
    def parse(self, title: str) -> Parsed:
        """The page rendered: HTML, categories it joins, section headings."""
        data = self.call({"action": "parse", "page": title,
                          "prop": "text|categories|sections|revid", "disablelimitreport": "1"})
        parse = data.get("parse", {})
        return Parsed(html=parse.get("text", ""),
                      categories=tuple(c.get("category", "") for c in parse.get("categories", [])),
                      sections=tuple(s.get("line", "") for s in parse.get("sections", [])),
                      revid=parse.get("revid"))

    @answer_shaped
    def pre_save_transform(self, text: str, title: str) -> str:
        """``text`` as the wiki would store it (signatures, ``subst:``, pipe tricks
        expanded), so the text the tool saves is exactly the text it generated."""
        data = self.call({"action": "parse", "title": title, "text": text, "contentmodel": "wikitext",
                          "pst": "1", "onlypst": "1"}, post=True)
        return data.get("parse", {}).get("text", text)

    @answer_shaped
    def file_info(self, filename: str) -> FileInfo:
        """Who uploaded the current version of ``File:<filename>`` and with which
        comment (``prop=imageinfo``, the newest version only)."""
        data = self.call({"action": "query", "prop": "imageinfo", "titles": f"File:{filename}",
                          "iiprop": "user|comment|timestamp|sha1", "iilimit": "1"})
        page = self._first_page(data)
        if page.get("invalid") or page.get("ns", 6) != 6:
            raise WikiError(f"invalid file name {filename!r}: {page.get('invalidreason', '')}",
                            code="invalidtitle", url=self.api_url)
        info = (page.get("imageinfo") or [{}])[0]
        return FileInfo(title=page.get("title", f"File:{filename}"), exists=bool(page.get("imageinfo")),
                        page_exists=not page.get("missing") and "pageid" in page,
                        user=info.get("user", ""), comment=info.get("comment", ""),
                        timestamp=info.get("timestamp", ""), sha1=info.get("sha1", ""),
                        repository=page.get("imagerepository", ""))

    @answer_shaped
    def all_pages(self, prefix: str, *, namespace: int = 0, limit: int = 5000) -> Iterator[str]:
        """Titles starting with ``prefix`` (e.g. ``Incidents/``), in order; not
        redirects (a moved report leaves one: the same incident twice)."""
        params = {"action": "query", "list": "allpages", "apprefix": prefix,
                  "apnamespace": str(namespace), "apfilterredir": "nonredirects", "aplimit": "max"}
        seen = 0
        for _, pages in self._continued(params, lambda data: list_at(data, "query", "allpages"), "title"):
            for page in pages:
                seen += 1
                yield page["title"]
                if seen >= limit:
                    return

    def _continued(self, params: dict, listed, key: str) -> Iterator[tuple[dict, list]]:
        """Each answer of a query with its items (``listed(answer)``), following
        ``continue`` (https://www.mediawiki.org/wiki/API:Continue) while each
        answer brings an item (told by its ``key``) not seen before, within
        ``max_requests`` (:mod:`.pagination`)."""
        pages = Pagination(lambda message: self._answer_error(message, "badjson"), what="continue",
                           most=self.max_requests)
        while True:
            pages.ask()
            data = self.call(params)
            items, token = listed(data), continue_of(data)
            going_on = pages.more(token, [item.get(key) if isinstance(item, dict) else None for item in items])
            yield data, items
            if not going_on:
                return
            params = {**params, **token}

    @answer_shaped
    def texts(self, titles, *, batch: int = 50) -> Iterator[tuple[str, str | None]]:
        """(title, current wikitext or None if missing) for many pages, 50 titles
        a request (the API:Revisions limit for content of several pages)."""
        titles = list(titles)
        for start in range(0, len(titles), batch):
            chunk = titles[start:start + batch]
            data = self.call({"action": "query", "prop": "revisions", "titles": "|".join(chunk),
                              "rvslots": "main", "rvprop": "content"})
            renamed = {n["to"]: n["from"] for n in data.get("query", {}).get("normalized", [])}
            found = {}
            for page in data.get("query", {}).get("pages", []):
                revisions = page.get("revisions") or [{}]
                found[renamed.get(page["title"], page["title"])] = revisions[0].get("slots", {}).get("main", {}).get("content")
            for title in chunk:
                yield title, found.get(title)

    # -- writing (API:Edit) --------------------------------------------------------

    @answer_shaped
    def edit(self, title: str, text: str, summary: str, *, create_only: bool = False,
             no_create: bool = False, base: Revision | None = None) -> dict:
        """Save ``text`` as ``title``; returns the API's ``edit`` result.

        ``base`` is the revision the text was made from: it sets ``baserevid``
        and ``starttimestamp`` (and ``basetimestamp`` only for a revision with
        no id), so that a revision saved since then makes MediaWiki report
        ``editconflict`` (or merge it, if it touches other lines) instead of
        overwriting it.

        Why not ``basetimestamp`` too: MediaWiki's EditPage (1.39) drops a
        conflict "with self" when no other user saved a revision *after*
        ``basetimestamp`` (RevisionStore::userWasLastToEdit compares
        ``rev_timestamp > basetimestamp`` at one-second resolution), so a hand
        edit saved in the same second as the revision read would be silently
        overwritten. With ``baserevid`` alone that check is skipped and the
        revision id decides (API:Edit: "baserevid ... used to detect edit
        conflicts"; ApiEditPage sets wpEdittime only without baserevid).
        Always ``assert=user``: if the session was lost the wiki refuses rather
        than saving an anonymous edit. ``badtoken`` refreshes the token once.
        """
        params = {"action": "edit", "title": title, "text": text, "summary": summary,
                  "assert": "user", "md5": hashlib.md5(text.encode("utf-8")).hexdigest()}
        if create_only:
            params["createonly"] = "1"
        if no_create:
            params["nocreate"] = "1"
        if base is not None:
            params["starttimestamp"] = base.curtimestamp or base.timestamp
            if base.revid:
                params["baserevid"] = str(base.revid)
            else:
                params["basetimestamp"] = base.timestamp
        for refresh in (False, True):
            try:
                data = self.call({**params, "token": self.csrf_token(refresh=refresh)}, post=True)
                break
            except WikiError as err:
                if err.code != "badtoken" or refresh:
                    raise
        result = object_at(data, "edit")
        if result.get("result") != "Success":
            raise WikiError(f"the wiki did not save the edit: {self._said(result)}", code="editfailed",
                            url=self.api_url)
        return result

    # -- files (API:Upload) ----------------------------------------------------------

    @answer_shaped
    def upload_file(self, filename: str, content: bytes, *, comment: str, text: str = "",
                    replace: bool = False, mime: str = "image/svg+xml") -> dict:
        """Upload ``content`` as ``File:<filename>``: a multipart POST of
        ``action=upload`` with the CSRF token and ``assert=user``
        (https://www.mediawiki.org/wiki/API:Upload). ``text`` is the new file
        page's wikitext. Returns the API's ``upload`` result; ``{"result":
        "Unchanged"}`` when the file is already there with this content.

        A warning (the name exists, the same file exists under another name)
        uploads nothing and raises WikiError ``uploadwarning``, whose
        ``warnings`` lists the warning codes, unless ``replace``
        (``ignorewarnings``: a new version of the file, whoever uploaded the
        one there; callers check :meth:`file_info` first). The wiki's
        own checks raise too: an SVG with script is ``verification-error``
        (UploadBase::detectScriptInSvg, https://www.mediawiki.org/wiki/Help:SVG)."""
        params = {"action": "upload", "filename": filename, "comment": comment, "text": text,
                  "assert": "user", "format": "json", "formatversion": "2"}
        if replace:
            params["ignorewarnings"] = "1"
        for refresh in (False, True):
            try:
                data = self._post_file({**params, "token": self.csrf_token(refresh=refresh)},
                                       filename, content, mime)
                break
            except WikiError as err:
                if err.code == "fileexists-no-change":
                    return {"result": "Unchanged", "filename": filename}
                if err.code != "badtoken" or refresh:
                    raise
        result = object_at(data, "upload")
        if result.get("result") != "Success":
            warnings = result.get("warnings")
            codes = sorted(str(code) for code in warnings) if isinstance(warnings, (dict, list)) else []
            err = WikiError(f"the wiki did not take the file File:{filename} "
                            f"({self._said(', '.join(codes) or result)}); nothing was uploaded",
                            code="uploadwarning", url=self.api_url)
            err.warnings = tuple(codes)
            raise err
        return result

    def _post_file(self, params: dict, filename: str, content: bytes, mime: str) -> dict:
        data, _ = self._request(params, post=True, files={"file": (filename, content, mime)})
        if "error" in data:
            raise self._error(data["error"])
        return data


def _revision(title: str, rev, curtimestamp: str | None = None) -> Revision:
    """A revision from its API answer (formatversion=2); ValueError for one not in that shape."""
    slots = rev.get("slots", {}) if isinstance(rev, dict) else None
    slot = slots.get("main", {}) if isinstance(slots, dict) else None
    if not isinstance(slot, dict) or not all(isinstance(rev.get(key, ""), str) for key in ("timestamp", "user", "comment")):
        raise ValueError(f"a revision not in the API's shape: {str(rev)[:80]!r}")
    content = slot.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError("revision content that is no text")
    return Revision(title=str(title), revid=_number(rev.get("revid", 0)), parentid=_number(rev.get("parentid", 0)),
                    timestamp=rev.get("timestamp", ""), user=rev.get("user", ""),
                    comment=rev.get("comment", ""), text=content, curtimestamp=curtimestamp)


def _number(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"a revision id that is no number: {value!r}")
    return value


def same_page_title(a: str, b: str) -> bool:
    """Page titles equal as MediaWiki would normalise them (underscores,
    runs of spaces, the first letter's case)."""
    def norm(t: str) -> str:
        t = " ".join(t.replace("_", " ").split())
        return t[:1].upper() + t[1:]
    return norm(a) == norm(b)


def read_page_text(api_url: str, title: str, *, session=None) -> str:
    """The current wikitext of one page (read without logging in); WikiError if missing."""
    revision = Wiki(api_url, session=session).page(title)
    if revision is None or revision.text is None:
        raise WikiError(f"no page {title!r}", code="missingtitle", url=api_url)
    return revision.text


def read_pages_under(api_url: str, prefix: str, *, session=None) -> list[tuple[str, str | None]]:
    """(title, wikitext) of every page whose title starts with ``prefix``."""
    wiki = Wiki(api_url, session=session)
    return list(wiki.texts(wiki.all_pages(prefix)))
