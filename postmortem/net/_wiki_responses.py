"""What the wiki client reads from an Action API answer, each part checked for
its shape before use: a wiki (or something posing as one) may answer
``{"error": "boom"}``, a list where an object belongs, or no ``query`` at all,
and that must be the client's one-line error, never an internal one. The
functions raise ValueError, which the client's methods turn into a WikiError
``badjson`` naming the api.php URL (:func:`.responses.answer_shaped`).

Formats: https://www.mediawiki.org/wiki/API:Errors_and_warnings (``error`` with
``code`` and ``info``), https://www.mediawiki.org/wiki/API:Continue (``continue``:
names and values to send back with the next request).
"""

from __future__ import annotations

from .responses import shorten

# One clear sentence per API error code (https://www.mediawiki.org/wiki/API:Errors_and_warnings).
MESSAGES = {
    "badtoken": "the wiki rejected the edit token twice (session lost?); nothing was saved",
    "editconflict": "edit conflict: the page was edited after it was read; nothing was saved "
                    "— run the command again",
    "protectedpage": "the page is protected; this account may not edit it",
    "cascadeprotected": "the page is protected (cascading protection); this account may not edit it",
    "ratelimited": "the wiki's rate limit was hit and retries ran out; try again later",
    "maxlag": "the wiki's database replicas are lagged and retries ran out; try again later",
    "readonly": "the wiki is read-only right now; try again later",
    "articleexists": "the page already exists; nothing was changed (use `postmortem update`)",
    "missingtitle": "the page does not exist (use `postmortem publish` first)",
    "assertuserfailed": "not logged in any more (the session was lost); nothing was saved",
    "assertbotfailed": "this account lacks the bot right",
    "permissiondenied": "this account may not do that (check the bot password's grants)",
    "writeapidenied": "this account may not edit through the API (check the bot password's grants)",
    "spamblacklist": "the wiki's spam blacklist refused a link in the text",
    "blocked": "this account is blocked on the wiki",
    "mwoauth-invalid-authorization": "the wiki refused the credentials",
}


def code_and_info(error) -> tuple[str, str]:
    """An API error's code and info, whatever its shape: an object with ``code``
    and ``info``, or anything else (a text: its info; the code "unknown")."""
    if not isinstance(error, dict):
        return "unknown", shorten(str(error))
    code, info = error.get("code"), error.get("info", "")
    return (code if isinstance(code, str) and code else "unknown"), shorten(str(info))


def object_at(data: dict, *path: str) -> dict:
    """The object at ``path`` (``login``, ``query.tokens``…); ValueError when a
    part of it is missing or no object."""
    for depth, name in enumerate(path, 1):
        data = data.get(name) if isinstance(data, dict) else None
        if not isinstance(data, dict):
            raise ValueError(f"no object at {'.'.join(path[:depth])}")
    return data


def list_at(data: dict, *path: str) -> list:
    """The list at ``path`` (``query.allpages``); nothing there is an empty list
    (a query that found nothing), anything else there (or on the way) a ValueError."""
    for depth, name in enumerate(path, 1):
        if not isinstance(data, dict):
            raise ValueError(f"{'.'.join(path[:depth - 1])} is no object")
        data = data.get(name, [] if depth == len(path) else {})
    if not isinstance(data, list):
        raise ValueError(f"{'.'.join(path)} is no list")
    return data


def continue_of(data: dict) -> dict | None:
    """The answer's ``continue`` object, or None at the end; ValueError when it
    is not names with texts or numbers."""
    token = data.get("continue")
    if token is None:
        return None
    if not isinstance(token, dict) or not token or not all(
            isinstance(value, (str, int)) and not isinstance(value, bool) for value in token.values()):
        raise ValueError(f"a continue that is no object of texts and numbers: {shorten(repr(token), 80)}")
    return token
