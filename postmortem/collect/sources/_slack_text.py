"""What a Slack message says, as plain text, for the slack and slack-export
sources: its ``text`` with Slack's markup resolved, else the text of its
``blocks``; then what its legacy ``attachments`` add and the ``files`` it shares.

Formats: message markup (https://api.slack.com/reference/surfaces/formatting:
``<@U123>``, ``<#C123|chan>``, ``<!here>``, ``<https://url|label>``, only ``&amp;``
``&lt;`` ``&gt;`` escaped); rich text blocks
(https://docs.slack.dev/reference/block-kit/blocks/rich-text-block, element
types as in slackapi/node-slack-sdk ``packages/types/src/block-kit/block-elements.ts``);
``section``/``header``/``context`` blocks with ``{type, text}`` objects;
legacy attachments (https://api.slack.com/reference/messaging/attachments:
``pretext``, ``title``, ``text``, ``fields``, ``fallback``); file objects
(``name``, ``title``).
"""

from __future__ import annotations

import re

from ...core.lazy_regex import LazyRegex
from ._slack_users import SlackUsers

_MARKUP = LazyRegex(r"<([^<>]*)>")
# The message fields the sources read, and the JSON types the formats give them.
MESSAGE_FIELDS = {"type": str, "user": str, "text": str, "subtype": str, "ts": (str, int, float),
                  "thread_ts": str, "username": str, "bot_id": str, "user_profile": dict,
                  "bot_profile": dict, "attachments": list, "files": list, "blocks": list,
                  "reactions": list, "pinned_to": list, "reply_count": int, "hidden": bool}
_SPECIALS = ("here", "channel", "everyone")


class MarkupResolver:
    """Turns Slack markup into plain text using the users (users.json or
    users.list) and channels.json."""

    def __init__(self, people: SlackUsers, channel_ids: dict[str, str]):
        self.people = people
        self.users = people.names
        self.channels = {cid: name for name, cid in channel_ids.items()}

    def resolve(self, text: str) -> str:
        """Resolve ``<…>`` tokens, then decode ``&lt; &gt; &amp;``."""
        text = _MARKUP.sub(self._token, text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def user(self, user_id: str) -> str:
        return "@" + (self.users.get(user_id) or user_id)

    def channel(self, channel_id: str) -> str:
        return "#" + (self.channels.get(channel_id) or channel_id)

    def _token(self, match: re.Match) -> str:
        body = match.group(1)
        target, _, label = body.partition("|")
        if target.startswith("@"):
            return "@" + (self.users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (self.channels.get(target[1:]) or label or target[1:])
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            return "@" + word if word in _SPECIALS or not label else label
        return link_text(target, label)


def link_text(url: str, label: str) -> str:
    """``label (url)``, or the url alone when there is no distinct label: the
    report shows both, the address as a link (postmortem/write/_links.py says why)."""
    bare = url.split(":", 1)[1].lstrip("/") if ":" in url else url
    if not label or label in (url, bare):
        return url
    return f"{label} ({url})"


def message_problem(message) -> str | None:
    """Why a message is not in Slack's shape (a field of another type), or None."""
    if not isinstance(message, dict):
        return f"a message that is no object: {str(message)[:60]!r}"
    for name, kind in MESSAGE_FIELDS.items():
        value = message.get(name)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            return f"a message whose {name!r} is {type(value).__name__}, not {getattr(kind, '__name__', 'a string')}"
    return None


def message_text(message: dict, resolver: MarkupResolver, actor: str | None = None) -> str:
    """Everything the message says: its text (or its blocks' text), then the
    attachments' text it does not already hold, then ``[file: name]`` per file;
    a ``/me`` message as ``* actor text``."""
    text = resolver.resolve(_string(message.get("text"))).strip()
    if not text:
        text = blocks_text(message.get("blocks"), resolver).strip()
    parts = [text] if text else []
    for extra in attachment_texts(message):
        extra = resolver.resolve(extra).strip()
        if extra and extra not in text:
            parts.append(extra)
    parts.extend(f"[file: {name}]" for name in file_names(message))
    joined = "\n".join(parts).strip()
    if message.get("subtype") == "me_message" and joined:
        joined = f"* {actor or ''} {joined}"
    return joined


def attachment_texts(message: dict) -> list[str]:
    """What each legacy attachment says: pretext, title, text and fields, else its fallback."""
    texts = []
    for attachment in _dicts(message.get("attachments")):
        fields = [f"{_string(f.get('title'))}: {_string(f.get('value'))}".strip(": ")
                  for f in _dicts(attachment.get("fields"))]
        said = [_string(attachment.get(key)) for key in ("pretext", "title", "text")] + fields
        said = [part for part in said if part.strip()]
        text = "\n".join(said) or _string(attachment.get("fallback"))
        if text.strip():
            texts.append(text)
    return texts


def file_names(message: dict) -> list[str]:
    return [name for item in _dicts(message.get("files"))
            if (name := _string(item.get("name")) or _string(item.get("title")))]


def blocks_text(blocks, resolver: MarkupResolver) -> str:
    """The text of a message's blocks, one line per block (list items on lines of their own)."""
    return "\n".join(line for block in _dicts(blocks) if (line := _block_text(block, resolver)))


def _block_text(block: dict, resolver) -> str:
    kind = block.get("type")
    if kind == "rich_text":
        return "\n".join(_rich(element, resolver) for element in _dicts(block.get("elements")))
    if kind in ("section", "header"):
        texts = [block.get("text")] + list(_dicts(block.get("fields")))
        return "\n".join(resolver.resolve(_text_object(t)) for t in texts if _text_object(t))
    if kind == "context":
        return " ".join(resolver.resolve(_text_object(e)) for e in _dicts(block.get("elements")) if _text_object(e))
    return ""


def _rich(element: dict, resolver) -> str:
    """A rich text container (section, list, quote, preformatted) as text."""
    kind = element.get("type")
    children = list(_dicts(element.get("elements")))
    if kind == "rich_text_list":
        return "\n".join(f"• {_rich(item, resolver)}" for item in children)
    text = "".join(_leaf(child, resolver) for child in children)
    if kind == "rich_text_quote":
        return "\n".join(f"> {line}" for line in text.split("\n"))
    return text


def _leaf(element: dict, resolver) -> str:
    """One rich text element: text, link, user, channel, broadcast, emoji, date, …"""
    kind = element.get("type")
    if kind == "text":
        return _string(element.get("text"))
    if kind == "link":
        return link_text(_string(element.get("url")), _string(element.get("text")))
    if kind == "user":
        return resolver.user(_string(element.get("user_id")))
    if kind == "channel":
        return resolver.channel(_string(element.get("channel_id")))
    if kind == "broadcast":
        return "@" + _string(element.get("range"))
    if kind == "emoji":
        return f":{_string(element.get('name'))}:"
    if kind in ("rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"):
        return _rich(element, resolver)
    return _string(element.get("fallback") or element.get("text") or element.get("name"))


def _text_object(value) -> str:
    return _string(value.get("text")) if isinstance(value, dict) else ""


def _dicts(value):
    return (item for item in value if isinstance(item, dict)) if isinstance(value, list) else ()


def _string(value) -> str:
    return value if isinstance(value, str) else ""
