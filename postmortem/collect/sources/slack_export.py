"""Slack export files: a folder or a .zip, read for the incident window only.

Slack export format (https://slack.com/help/articles/220556107, "How to read
Slack data exports"): ``channels.json`` (``[{id, name, ...}]``),
``users.json`` (``[{id, name, real_name, profile: {display_name, real_name, email}}]``)
and one folder per channel with a file per day, ``<channel>/YYYY-MM-DD.json``,
each a JSON array of messages: ``ts`` (``"1695911580.000200"``, epoch
seconds), ``user``, ``text``, ``subtype``, ``thread_ts``, ``bot_id``,
``username``, ``user_profile``, ``files``, ``attachments``.

Message text uses Slack's markup (https://api.slack.com/reference/surfaces/formatting):
``<@U123>``/``<@U123|name>`` mentions, ``<#C123|chan>`` channels,
``<!here>`` specials, ``<https://url|label>`` links, and only ``&amp;``,
``&lt;`` and ``&gt;`` escaped.

Only the day files that can hold the window are opened: the window's UTC
dates widened by one day on each side (the export splits days in a zone we
do not know). A year of export with a four-hour window opens about three
files per channel.

Marks people put on a message (the same fields as in the Web API's
conversations.history, https://api.slack.com/methods/pins.list and
https://api.slack.com/methods/reactions.get): ``pinned_to`` (the channel ids
it is pinned in) and ``reactions`` (``[{name, users, count}]``, ``name``
without colons, a skin tone as ``+1::skin-tone-2``).

Event conventions: ``source`` "slack-export"; ``actor`` the user's display
name (else user name, else real name) from users.json, the message's
``user_profile`` or a bot's ``username``; ``aka`` the user's other names (id,
user name, real name, display name, e-mail: :mod:`._slack_users`), which
``[people]`` aliases may name; ``text`` with the markup resolved
to plain text, thread replies prefixed ``(in thread)``; ``url`` the message
permalink when ``workspace`` is set; ``fields`` ``channel``, ``ts``, ``file``
(the day file) and ``line`` (where the message's ``ts`` is in it), for replies
``thread_ts``, for a pinned message ``pinned = "true"``, for one with reactions
``reactions`` (their names, comma-separated); no tags; precision "second". Membership, topic,
purpose, rename, archive and pin messages are dropped; bot messages (alerts)
are kept; messages with no text at all are skipped.

Records: each value of a day file's array is one. A value that is no JSON (the
rest of the file is read from the next value's line), no message object, a
message with a field of the wrong type or a bad ``ts``, and a day file cut
short, are skipped with the file and line, and the rest is read. A day file
that is not a JSON array at all, and a broken ``users.json`` or
``channels.json`` (the export's index, not records), are errors.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
import zlib
from pathlib import Path
from typing import Callable

from ...core.errors import IncidentFileError, SourceError, SourceFormatError
from ...core.lazy_regex import LazyRegex
from ...core.model import Event, SourceConfig, Window
from ...core.nesting import TooDeep, load_json
from ...core.timeutil import from_epoch
from ...core.log_lines import relayed_log
from ...core.vocabulary import Kind, Place
from ...core.accounting import Tally
from ._json_array import NotAnArray, array_values
from ._slack_text import MarkupResolver, message_problem, message_text
from ._slack_users import SlackUsers, message_aka, message_actor
from . import DEFAULT_ENCODING, BaseSource, check_options, encoding_of, names_option, option

TYPE = "slack-export"
OPTIONS = ("path", "channels", "workspace", "encoding", "log_bots")
DAY_SLACK = dt.timedelta(days=1)
# Bounds for what an export may hold (a day file of a busy channel is a few MB).
MAX_MEMBER_BYTES = 256 << 20
MAX_MEMBERS = 500_000

# Subtypes that record channel housekeeping, not what people said.
NOISE_SUBTYPES = frozenset({
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
    "channel_archive", "channel_unarchive", "channel_convert_to_private",
    "channel_convert_to_public", "group_join", "group_leave", "group_topic",
    "group_purpose", "group_name", "group_archive", "group_unarchive",
    "pinned_item", "unpinned_item", "bot_add", "bot_remove", "bot_enable", "bot_disable",
    "reminder_add", "reminder_delete", "tombstone", "joiner_notification",
    "slackbot_response", "sh_room_created", "huddle_thread",
})

_WORKSPACE = LazyRegex(r"[A-Za-z0-9][A-Za-z0-9-]*")


class SlackExportSource(BaseSource):
    """The ``slack-export`` source (see the module docstring)."""

    type = TYPE
    label = "Slack"
    family = "slack"
    talking = True

    def check(self, config: SourceConfig) -> None:
        """Validate options: ``path`` exists (folder or .zip), ``channels``, ``workspace``."""
        check_options(config, OPTIONS)
        log_bots(config)
        export_path(config)
        wanted_channels(config)
        encoding_of(config)
        workspace = option(config, "workspace")
        if workspace is not None and not _WORKSPACE.fullmatch(workspace):
            raise IncidentFileError(f"{config.name}: 'workspace' must be a Slack workspace name "
                                    f"like 'wikimedia', got {workspace!r}",
                                    file=config.file, key="workspace")

    def read(self, config: SourceConfig, window: Window, session=None, tally: Tally | None = None) -> list[Event]:
        """Messages of the chosen channels inside ``window``, in time order."""
        tally = tally if tally is not None else Tally()
        with open_export(export_path(config)) as export:
            export.encoding = encoding_of(config)
            users = load_users(export)
            channel_ids = load_channel_ids(export)
            names = wanted_channels(config) or export.channel_names()
            resolver = MarkupResolver(users, channel_ids)
            events = []
            for name in names:
                events.extend(read_channel(export, name, window, resolver,
                                           channel_ids.get(name), option(config, "workspace"), tally))
        events.sort(key=lambda event: event.time)
        return relayed_logs(events, config)


# Options

def log_bots(config: SourceConfig) -> frozenset[str]:
    """``log_bots``: the bots (their Slack names) that post a deploy tool's log
    lines for people, as logmsgbot does on IRC (``rkapoor@deploy2002 Synchronized X``)."""
    return names_option(config, "log_bots")


def relayed_logs(events: list[Event], config: SourceConfig) -> list[Event]:
    """The ``log_bots``' lines as the log entries they relay (the person's, and the
    same fact as its SAL entry or IRC `!log`: merged with them)."""
    bots = log_bots(config)
    return [relayed_log(event, bots) for event in events] if bots else events


def export_path(config: SourceConfig) -> Path:
    """The export folder or .zip; IncidentFileError if it is neither."""
    raw = option(config, "path", required=True)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path(config.base_dir) / path
    try:
        if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
            return path
        problem = "does not exist" if not path.exists() else "is neither a folder nor a .zip"
    except OSError as err:  # a name too long for the file system
        problem = f"cannot be looked at ({err.strerror})"
    raise IncidentFileError(f"{config.name}: path {raw[:80]!r} {problem}", file=config.file, key="path")


def wanted_channels(config: SourceConfig) -> list[str]:
    """The ``channels`` option without leading ``#``; empty means all."""
    channels = option(config, "channels", list) or []
    if not all(isinstance(name, str) and name.strip("#") for name in channels):
        raise IncidentFileError(f"{config.name}: 'channels' must be a list of channel names",
                                file=config.file, key="channels")
    names = [name.lstrip("#") for name in channels]
    for name in names:
        if "/" in name or "\\" in name or name in (".", ".."):
            raise IncidentFileError(f"{config.name}: {name!r} is no channel name (a name, not a path)",
                                    file=config.file, key="channels")
    return names


# The export container: a folder or a zip, with the same member names.

class FolderExport:
    """An export unpacked in a folder."""

    def __init__(self, root: Path):
        self.root = root

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def label(self, member: str) -> str:
        """How a member is named in errors."""
        return str(self.root / member)

    def has(self, member: str) -> bool:
        return (self.root / member).is_file()

    def read_bytes(self, member: str) -> bytes:
        path = self.root / member
        try:
            if path.stat().st_size > MAX_MEMBER_BYTES:
                raise _too_big(self.label(member))
            return path.read_bytes()
        except OSError as err:
            raise SourceError(f"cannot read: {err.strerror or err}", file=self.label(member), source=TYPE) from None

    def channel_names(self) -> list[str]:
        """Every channel folder (not its files)."""
        return sorted(entry.name for entry in self.root.iterdir() if entry.is_dir())


class ZipExport:
    """An export still in its .zip; members are opened one by one."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            raise SourceFormatError(f"not a readable zip file: {err}", file=path, source=TYPE) from None
        if len(self.archive.infolist()) > MAX_MEMBERS:
            raise SourceFormatError(f"a zip of {len(self.archive.infolist())} members is no Slack export "
                                    f"(at most {MAX_MEMBERS})", file=path, source=TYPE)
        self.names = set(self.archive.namelist())
        self.prefix = _zip_prefix(self.names)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.archive.close()
        return False

    def label(self, member: str) -> str:
        return f"{self.path}:{self.prefix}{member}"

    def has(self, member: str) -> bool:
        return self.prefix + member in self.names

    def read_bytes(self, member: str) -> bytes:
        """A member's bytes, read to at most MAX_MEMBER_BYTES whatever its header
        claims (a zip bomb is refused, not inflated)."""
        try:
            with self.archive.open(self.prefix + member) as handle:
                data = handle.read(MAX_MEMBER_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as err:
            raise SourceFormatError(f"cannot read zip member: {err}",
                                    file=self.label(member), source=TYPE) from None
        if len(data) > MAX_MEMBER_BYTES:
            raise _too_big(self.label(member))
        return data

    def channel_names(self) -> list[str]:
        folders = {name[len(self.prefix):].split("/", 1)[0] for name in self.names
                   if name.startswith(self.prefix) and "/" in name[len(self.prefix):]}
        return sorted(folder for folder in folders if folder)


def _too_big(label: str) -> SourceFormatError:
    return SourceFormatError(f"more than {MAX_MEMBER_BYTES >> 20} MB in one file: no Slack export day file "
                             f"is that big", file=label, source=TYPE)


def _zip_prefix(names: set[str]) -> str:
    """The folder inside the zip that holds users.json ("" at the top)."""
    candidates = sorted((name for name in names if name.rsplit("/", 1)[-1] == "users.json"), key=len)
    return candidates[0][: -len("users.json")] if candidates else ""


def open_export(path: Path):
    """A FolderExport or ZipExport for ``path``."""
    return FolderExport(path) if path.is_dir() else ZipExport(path)


def member_text(export, member: str) -> str:
    """One member's text (UTF-8, a byte-order mark accepted, or the source's
    ``encoding``); SourceFormatError naming the file and line."""
    data = export.read_bytes(member)
    encoding = getattr(export, "encoding", DEFAULT_ENCODING)
    try:
        return data.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as err:
        raise SourceFormatError(f"not {encoding} text: byte 0x{data[err.start]:02x} (set encoding = \"…\" "
                                f"in this [[source]])", file=export.label(member),
                                line=data[:err.start].count(b"\n") + 1, source=TYPE) from None


def load_list(export, member: str) -> list[dict]:
    """A member that must be a JSON array of objects (users.json, channels.json);
    SourceFormatError naming the file and line."""
    try:
        data = load_json(member_text(export, member))
    except TooDeep as err:
        raise SourceFormatError(str(err), file=export.label(member), source=TYPE) from None
    except json.JSONDecodeError as err:
        raise SourceFormatError(f"bad JSON: {err.msg} (column {err.colno})",
                                file=export.label(member), line=err.lineno, source=TYPE) from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SourceFormatError("expected a JSON array of objects", file=export.label(member), source=TYPE)
    return data


_TS_KEY = LazyRegex(r'"ts"\s*:\s*"([0-9.]+)"')


def ts_lines(text: str) -> dict[str, int]:
    """Message ``ts`` -> the line of the day file where it is written (the first
    time), so that a finding names the line; one pass over the text."""
    lines, line, counted = {}, 1, 0
    for match in _TS_KEY.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1), line)
    return lines


# users.json and channels.json

def load_users(export) -> SlackUsers:
    """Who each user id is; users.json is required."""
    if not export.has("users.json"):
        raise SourceFormatError("missing users.json (is this a Slack export?)",
                                file=export.label("users.json"), source=TYPE)
    return SlackUsers(load_list(export, "users.json"))


def load_channel_ids(export) -> dict[str, str]:
    """Channel name -> id from channels.json (optional: only for links and `<#C…>`)."""
    if not export.has("channels.json"):
        return {}
    return {channel["name"]: channel["id"] for channel in load_list(export, "channels.json")
            if "name" in channel and "id" in channel}


# Messages

def read_channel(export, name: str, window: Window, resolver, channel_id, workspace,
                 tally: Tally | None = None) -> list[Event]:
    """Events of one channel, opening only the day files around ``window``."""
    if not any(export.has(f"{name}/{day}.json") for day in window.dates(DAY_SLACK)) \
            and name not in export.channel_names():
        raise SourceFormatError(f"no channel {name!r} in this export", file=export.label(name), source=TYPE)
    tally = tally if tally is not None else Tally()
    events = []
    for day in window.dates(DAY_SLACK):
        member = f"{name}/{day.isoformat()}.json"
        if export.has(member):
            day_file = DayFile(export.label(member), name, channel_id, workspace, resolver, tally)
            events.extend(day_file.events(member_text(export, member), window))
    return events


class DayFile:
    """One channel's day file: its messages (the values of its array), each a record."""

    def __init__(self, label: str, channel: str, channel_id, workspace, resolver, tally: Tally):
        self.label, self.channel, self.channel_id, self.workspace = label, channel, channel_id, workspace
        self.resolver, self.tally = resolver, tally

    def events(self, text: str, window: Window) -> list[Event]:
        """The events in ``window``; every value counted, the broken ones skipped with their line."""
        earliest, latest = window.start.timestamp() - 1, window.end.timestamp() + 1
        ts_at, events = None, []
        for number, value in enumerate(self._values(text), 1):
            self.tally.count()
            if value.problem is not None:
                self.tally.skip(f"message {number}: {value.problem}", self.label, value.line)
            elif not _clearly_outside(value.value, earliest, latest):
                ts_at = ts_lines(text) if ts_at is None else ts_at
                event = self._event(value.value, number, ts_at, value.line)
                if event is not None and event.time in window:
                    events.append(event)
        return events

    def _values(self, text: str):
        try:
            yield from array_values(text)
        except NotAnArray as err:
            raise SourceFormatError(f"{err}: a day file is a JSON array of messages",
                                    file=self.label, line=1, source=TYPE) from None

    def _event(self, message, number: int, ts_at: dict, line: int) -> Event | None:
        ts_line = ts_at.get(str(message.get("ts"))) if isinstance(message, dict) else None
        return to_event(message, self.channel, self.resolver, self.channel_id, self.workspace, self.label,
                        self.tally, number, ts_line or line)


def _clearly_outside(message, earliest: float, latest: float) -> bool:
    """A cheap look at ``ts`` before building the event (most of a day file is
    outside a few-hour window); a bad ``ts`` is left for to_event to report."""
    try:
        return not earliest <= float(message.get("ts")) <= latest
    except (TypeError, ValueError, AttributeError):
        return False


def to_event(message: dict, channel: str, resolver, channel_id, workspace, label,
             tally: Tally | None = None, number: int | None = None, line: int | None = None) -> Event | None:
    """One message of a day file as an Event (see :func:`message_event`);
    ``number`` is the message's place in its day file, ``line`` the line its ``ts``
    is on; a message not in Slack's shape is skipped there, said so."""
    return message_event(message, resolver, source=TYPE, channel=channel, channel_id=channel_id,
                         workspace=workspace, where=(label, line), place=Place(str(label), line),
                         tally=tally if tally is not None else Tally(), number=number)


def message_event(message: dict, resolver, *, source: str, channel: str, channel_id, workspace,
                  where: tuple, place: Place | None, tally: Tally, fail: Callable[[str], Exception] | None = None,
                  number: int | None = None) -> Event | None:
    """One Slack message (an export's or the Web API's: the same message
    object) as an Event; None for housekeeping (dropped) and empty messages
    (skipped), said at ``where`` (file or URL, line). A message that is no
    message raises ``fail(why)``, or without ``fail`` is skipped (``message
    <number>: why``). The reasons name no message, so `check` counts them
    together; the place says which."""
    problem = message_problem(message)
    if problem is None and not is_noise(message):
        try:
            time = from_epoch(message.get("ts"))
        except (TypeError, ValueError, OverflowError):
            problem = f"a bad 'ts' {message.get('ts')!r}"
    if problem is not None:
        if fail is not None:
            raise fail(problem)
        tally.skip(f"message {number}: {problem}" if number is not None else problem, *where)
        return None
    if is_noise(message):
        tally.drop(f"Slack housekeeping message ({message.get('subtype') or 'hidden'})", *where)
        return None
    ts = message.get("ts")
    actor = message_actor(message, resolver.people)
    text = message_text(message, resolver, actor)
    if not text:
        tally.skip("a message with no text, blocks, attachment or file", *where)
        return None
    fields = {"ts": str(ts), **message_marks(message)}
    if message.get("subtype") == "me_message":
        fields["action"] = "true"
    if is_reply(message):
        fields["thread_ts"] = str(message["thread_ts"])
        text = f"(in thread) {text}"
    return Event(time=time, source=source, text=text, actor=actor,
                 url=permalink(workspace, channel_id, message), precision="second", fields=fields,
                 channel=channel, place=place, aka=message_aka(message, resolver.people, actor),
                 kind=Kind.BOT if _by_a_bot(message) else None)


def _by_a_bot(message: dict) -> bool:
    """Posted by a bot or an app (Slack's ``bot_message``, or a ``bot_id`` with no user):
    a PagerDuty or monitoring app in a channel is no person reporting."""
    return message.get("subtype") == "bot_message" or (bool(message.get("bot_id")) and not message.get("user"))


def message_marks(message: dict) -> dict[str, str]:
    """``pinned`` ("true" when ``pinned_to`` names a channel) and ``reactions``
    (the reaction names, comma-separated) for a message people marked."""
    marks = {}
    if isinstance(message.get("pinned_to"), list) and message["pinned_to"]:
        marks["pinned"] = "true"
    reactions = message.get("reactions")
    names = [r["name"] for r in reactions if isinstance(r, dict) and isinstance(r.get("name"), str)
             and r["name"]] if isinstance(reactions, list) else []
    if names:
        marks["reactions"] = ",".join(dict.fromkeys(names))
    return marks


def is_noise(message: dict) -> bool:
    """Housekeeping messages (joins, topics, pins...) and hidden ones."""
    return message.get("subtype") in NOISE_SUBTYPES or bool(message.get("hidden"))


def is_reply(message: dict) -> bool:
    """A reply inside a thread (not the thread's parent)."""
    thread_ts = message.get("thread_ts")
    return bool(thread_ts) and thread_ts != message.get("ts")


def permalink(workspace, channel_id, message: dict) -> str | None:
    """``https://<workspace>.slack.com/archives/<channel id>/p<ts without dot>``."""
    if not workspace or not channel_id:
        return None
    url = f"https://{workspace}.slack.com/archives/{channel_id}/p{str(message['ts']).replace('.', '')}"
    if is_reply(message):
        url += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
    return url


SOURCE = SlackExportSource()
