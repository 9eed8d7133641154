"""A simulated incident's Slack channel as a Slack export folder
(https://slack.com/help/articles/220556107, as postmortem/collect/sources/slack_export.py
cites it): ``users.json`` (``id``, ``name``, ``profile.display_name``),
``channels.json``, and ``<channel>/YYYY-MM-DD.json`` per UTC day, each a JSON
array of messages (``type``, ``user``, ``text`` in Slack's markup, ``ts``; a
reply in a thread ``thread_ts``, its parent ``reply_count``), a channel join first.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .facts import Chat, Incident

CHANNEL_ID = "C05INC1DNT"


def ts(chat: Chat) -> str:
    """A message's ``ts``: its epoch second and a sequence number, as Slack writes them."""
    return f"{int(chat.at.timestamp())}.{chat.id:06d}"


def write_export(incident: Incident, folder: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    users = [{"id": p.slack_id, "name": p.name, "real_name": p.pager,
              "profile": {"display_name": p.slack, "real_name": p.pager}} for p in incident.people]
    (folder / "users.json").write_text(json.dumps(users, indent=1), encoding="utf-8")
    channel = incident.slack
    (folder / "channels.json").write_text(json.dumps([{"id": CHANNEL_ID, "name": channel}]), encoding="utf-8")
    chats = sorted((c for c in incident.chats if c.place == "slack"), key=lambda c: c.at)
    by_id = {c.id: c for c in chats}
    (folder / channel).mkdir(exist_ok=True)
    days: dict[dt.date, list[dict]] = {}
    for chat in chats:
        days.setdefault(chat.at.date(), []).append(_message(chat, by_id, incident.people))
    for day, messages in days.items():
        first = messages[0]
        join = {"type": "message", "subtype": "channel_join", "user": first["user"],
                "text": f"<@{first['user']}> has joined the channel", "ts": f"{float(first['ts']) - 1:.6f}"}
        (folder / channel / f"{day:%Y-%m-%d}.json").write_text(json.dumps([join, *messages], indent=1),
                                                               encoding="utf-8")
    return {"type": "slack-export", "path": folder.name, "channels": [channel]}


def _markup(chat: Chat, people) -> str:
    """The text as Slack stores it: ``&``, ``<`` and ``>`` escaped, and now and then
    someone mentioned by their id (``<@U0R1>``)."""
    text = chat.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<@{people[chat.id % len(people)].slack_id}> {text}" if chat.id % 4 == 0 else text


def _message(chat: Chat, by_id: dict[int, Chat], people) -> dict:
    message = {"type": "message", "user": chat.person.slack_id, "text": _markup(chat, people), "ts": ts(chat)}
    if chat.thread is not None:
        message["thread_ts"] = ts(by_id[chat.thread])
    replies = sum(1 for c in by_id.values() if c.thread == chat.id)
    if replies:
        message.update(thread_ts=ts(chat), reply_count=replies)
    return message
