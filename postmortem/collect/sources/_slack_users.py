"""Who wrote a Slack message, for the slack and slack-export sources: the
name a source shows for them, and the other names Slack gives them, which a
``[people]`` roster's ``aliases`` can name (:mod:`postmortem.core.people`).

Formats: a Slack export's ``users.json`` and the Web API's ``users.list``
``members`` hold the same user objects (https://api.slack.com/types/user):
``id``, ``name`` (the handle), ``real_name``, and ``profile`` with
``display_name``, ``real_name`` and ``email`` (``email`` only with the
``users:read.email`` scope); a message's ``user_profile`` has ``name``,
``real_name`` and ``display_name``.
"""

from __future__ import annotations


class SlackUsers:
    """User id -> the name shown for them, and -> their other names."""

    def __init__(self, users: list[dict] = ()):
        self.names: dict[str, str] = {}
        self.aka: dict[str, tuple[str, ...]] = {}
        for user in users:
            if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]:
                self.names[user["id"]] = user_name(user)
                self.aka[user["id"]] = other_names(user, self.names[user["id"]])


def user_name(user: dict) -> str:
    """Display name, else user name, else real name, else the id."""
    profile = _profile(user)
    for candidate in (profile.get("display_name"), user.get("name"),
                      profile.get("real_name"), user.get("real_name")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return user.get("id", "")


def other_names(user: dict, shown: str | None) -> tuple[str, ...]:
    """A user's names other than ``shown``: id, user name, real names, display name, e-mail."""
    profile = _profile(user)
    names = (user.get("id"), user.get("name"), user.get("real_name"), profile.get("real_name"),
             profile.get("display_name"), profile.get("name"), profile.get("email"))
    return tuple(dict.fromkeys(name.strip() for name in names
                               if isinstance(name, str) and name.strip() and name.strip() != shown))


def message_actor(message: dict, users: SlackUsers) -> str | None:
    """Who wrote it: the users' list, else the message's user_profile, else a bot name."""
    user = message.get("user")
    if user and user in users.names:
        return users.names[user]
    profile = message.get("user_profile") or {}
    for candidate in (profile.get("display_name"), profile.get("name"),
                      profile.get("real_name"), message.get("username")):
        if candidate:
            return candidate
    bot_profile = message.get("bot_profile") or {}
    return bot_profile.get("name") or user or message.get("bot_id")


def message_aka(message: dict, users: SlackUsers, actor: str | None) -> tuple[str, ...]:
    """The writer's other names: the users' list's, else their id and user_profile's names."""
    user = message.get("user")
    if not isinstance(user, str) or not user:
        return ()
    if user in users.aka:
        return users.aka[user]
    return other_names({"id": user, "profile": message.get("user_profile") or {}}, actor)


def _profile(user: dict) -> dict:
    profile = user.get("profile")
    return profile if isinstance(profile, dict) else {}
