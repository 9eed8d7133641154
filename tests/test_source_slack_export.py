"""The slack-export source: a folder or .zip export, read for the window only."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from postmortem.core.accounting import Tally
from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.incident.load import parse_incident
from postmortem.core.model import SourceConfig, Window
from postmortem.collect.sources import get_source
from postmortem.collect.sources import slack_export
from postmortem.collect.sources.slack_export import SOURCE
from postmortem.timeline.metrics import is_human_report
from tests.cases import assert_outcome, cases, utc_window

UTC = dt.timezone.utc

USERS = [
    {"id": "U1", "name": "tchin", "real_name": "Tim Chin",
     "profile": {"display_name": "tchin", "real_name": "Tim Chin"}},
    {"id": "U2", "name": "joal", "real_name": "Jo Al", "profile": {"display_name": "", "real_name": "Jo Al"}},
]
CHANNELS = [{"id": "C100", "name": "event-platform"}, {"id": "C200", "name": "sre"}]


def epoch(*args) -> str:
    """Slack's ``ts`` for a UTC wall-clock time, computed independently of the source."""
    return f"{calendar.timegm(dt.datetime(*args).timetuple())}.000100"


def message(ts, text, user="U1", **extra):
    return {"type": "message", "ts": ts, "user": user, "text": text, **extra}


def write_export(root, days, users=USERS, channels=CHANNELS):
    """An export folder: ``days`` maps ``channel/YYYY-MM-DD`` to a message list or raw text."""
    root.mkdir(parents=True, exist_ok=True)
    if users is not None:
        (root / "users.json").write_text(json.dumps(users))
    (root / "channels.json").write_text(json.dumps(channels))
    for name, content in days.items():
        path = root / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=1))
    return root


def zip_export(folder, target, prefix=""):
    """The same export as a .zip (optionally under a top-level folder)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def config(path, **options):
    return SourceConfig(type="slack-export", options={"type": "slack-export", "path": str(path), **options},
                        index=0, base_dir=str(path.parent), file="incident.toml")


WINDOW = Window(dt.datetime(2023, 9, 28, 12, tzinfo=UTC), dt.datetime(2023, 9, 28, 16, tzinfo=UTC))


def read(path, window=WINDOW, **options):
    return SOURCE.read(config(path, **options), window)


def test_registered_under_its_type():
    assert get_source("slack-export") is SOURCE
    assert SOURCE.type == "slack-export" and SOURCE.network is False


def test_the_writers_other_names_are_aka_and_the_actor_stays_their_display_name(tmp_path):
    """users.json gives each user an id, a user name, real names, a display name and
    (with users:read.email) an e-mail: the actor is the name shown in Slack, the
    others are the event's aka, by which ``[people]`` aliases find the person."""
    from postmortem.core.model import Person
    from postmortem.core.people import Roster
    users = USERS + [{"id": "U05ABCDEF", "name": "jdoe", "real_name": "Jo Doe", "profile": {
        "display_name": "jo", "real_name": "Jo Doe", "email": "jdoe@example.org"}}]
    root = write_export(tmp_path / "export", {"event-platform/2023-09-28": [
        message(epoch(2023, 9, 28, 14, 30), "on it", user="U05ABCDEF"),
        message(epoch(2023, 9, 28, 14, 31), "me too", user="U2"),
        message(epoch(2023, 9, 28, 14, 32), "guest here", user="U9",
                user_profile={"display_name": "", "name": "guestname", "real_name": "Guest"}),
        {"type": "message", "subtype": "bot_message", "ts": epoch(2023, 9, 28, 14, 33), "bot_id": "B1",
         "username": "AlertBot", "text": "[FIRING:1] KafkaLag"},
    ]}, users=users)
    events = read(root)
    assert [(e.actor, e.aka) for e in events] == [
        ("jo", ("U05ABCDEF", "jdoe", "Jo Doe", "jdoe@example.org")),
        ("joal", ("U2", "Jo Al")),
        ("guestname", ("U9", "Guest")),
        ("AlertBot", ())]
    roster = Roster({"jodoe": Person("jodoe", aliases=("jdoe@example.org",))})
    assert [roster.named(e).actor for e in events] == ["jodoe", "joal", "guestname", "AlertBot"]


def test_noise_subtypes_dropped_and_bot_messages_kept(tmp_path):
    at = lambda minute: epoch(2023, 9, 28, 14, minute)  # noqa: E731
    root = write_export(tmp_path / "export", {"event-platform/2023-09-28": [
        message(at(1), "<@U2> has joined the channel", user="U2", subtype="channel_join"),
        message(at(2), "<@U2> has left the channel", user="U2", subtype="channel_leave"),
        message(at(3), "set the channel topic: x", subtype="channel_topic"),
        message(at(4), "set the channel purpose: y", subtype="channel_purpose"),
        message(at(5), "renamed the channel", subtype="channel_name"),
        message(at(6), "archived the channel", subtype="channel_archive"),
        message(at(7), "pinned a message", subtype="pinned_item"),
        {"type": "message", "subtype": "bot_message", "ts": at(8), "bot_id": "B1",
         "username": "alertmanager", "text": "[FIRING:1] KafkaLag"},
        {"type": "message", "subtype": "bot_message", "ts": at(9), "bot_id": "B1",
         "username": "alertmanager", "text": "",
         "attachments": [{"fallback": "[RESOLVED] KafkaLag"}]},
        message(at(10), "a real message"),
    ]})
    events = read(root)
    assert [(event.actor, event.text) for event in events] == [
        ("alertmanager", "[FIRING:1] KafkaLag"),
        ("alertmanager", "[RESOLVED] KafkaLag"),
        ("tchin", "a real message"),
    ]
    # a bot's post is no person reporting (a new user's trial: the PagerDuty app's post was
    # the scorecard's "first human report")
    assert [event.kind.value for event in events] == ["bot", "bot", "chat"]
    assert [is_human_report(event) for event in events] == [False, False, True]

# -- the format cases of tests/fixtures/slack-export/cases.toml

@pytest.mark.parametrize("case", cases("slack-export"))
def test_format_cases(tmp_path, case):
    """What one day file gives: its events, drops and skips (at their lines) and the records read."""
    name = case.get("file", "event-platform/2023-09-28")
    root = write_export(tmp_path / "export", {name: case["day"]})
    window = Window(*utc_window(case["window"])) if "window" in case else WINDOW
    tally = Tally()
    events = SOURCE.read(config(root, **case.get("options", {})), window, tally=tally)
    day = str(root / f"{name}.json")
    assert_outcome(case, events, tally, where=lambda record: (day, record["line"]))


@pytest.mark.parametrize("case", cases("slack-export", "mark"))
def test_message_marks(case):
    assert slack_export.message_marks({"ts": "1.0", "text": "x", **json.loads(case["message"])}) == case["fields"]



def _two_channel_export(root):
    return write_export(root, {
        "event-platform/2023-09-28": [message(epoch(2023, 9, 28, 14, 35), "b"),
                                      message(epoch(2023, 9, 28, 14, 33), "a")],
        "sre/2023-09-28": [message(epoch(2023, 9, 28, 14, 34), "from sre", user="U2")],
    })


@pytest.mark.parametrize("prefix", ["", "slack-export-2023/"])
def test_zip_and_folder_give_the_same_events(tmp_path, prefix):
    folder = _two_channel_export(tmp_path / "export")
    archive = zip_export(folder, tmp_path / "export.zip", prefix)
    from_folder = read(folder, workspace="wikimedia")
    from_zip = read(archive, workspace="wikimedia")
    assert [event.text for event in from_folder] == ["a", "from sre", "b"]
    assert from_zip == from_folder
    assert [event.channel for event in from_zip] == ["event-platform", "sre", "event-platform"]


def test_channels_option_restricts_and_names_unknown_channels(tmp_path):
    folder = _two_channel_export(tmp_path / "export")
    assert [event.text for event in read(folder, channels=["#sre"])] == ["from sre"]
    with pytest.raises(SourceFormatError, match="no channel 'nope'"):
        read(folder, channels=["nope"])


def test_only_window_day_files_are_read(tmp_path, monkeypatch):
    days = {f"event-platform/{dt.date(2023, 1, 1) + dt.timedelta(days=n)}": "[" for n in range(365)}
    days["event-platform/2023-09-28"] = [message(epoch(2023, 9, 28, 14, 33), "in window")]
    days["event-platform/2023-09-27"] = []
    days["event-platform/2023-09-29"] = []
    folder = write_export(tmp_path / "export", days)
    archive = zip_export(folder, tmp_path / "export.zip")
    opened = []
    for export_class in (slack_export.FolderExport, slack_export.ZipExport):
        original = export_class.read_bytes

        def recording(self, member, _original=original, _opened=opened):
            _opened.append(member)
            return _original(self, member)
        monkeypatch.setattr(export_class, "read_bytes", recording)
    # Every other day file is broken JSON: reading any of them would raise.
    for path in (folder, archive):
        opened.clear()
        assert [event.text for event in read(path)] == ["in window"]
        day_files = [name for name in opened if name.startswith("event-platform/")]
        assert sorted(day_files) == ["event-platform/2023-09-27.json", "event-platform/2023-09-28.json",
                                     "event-platform/2023-09-29.json"]


def test_bad_json_inside_a_zip_names_the_member(tmp_path):
    folder = write_export(tmp_path / "export", {"event-platform/2023-09-28": "{not json"})
    archive = zip_export(folder, tmp_path / "export.zip")
    with pytest.raises(SourceFormatError) as caught:
        read(archive)
    assert "export.zip" in caught.value.file and "event-platform/2023-09-28.json" in caught.value.file
    assert caught.value.line == 1


def test_missing_users_json_is_a_format_error(tmp_path):
    root = write_export(tmp_path / "export", {"event-platform/2023-09-28": []}, users=None)
    with pytest.raises(SourceFormatError, match="users.json") as caught:
        read(root)
    assert caught.value.file.endswith("users.json")


def test_a_day_file_that_is_no_json_array_is_an_error_naming_it(tmp_path):
    root = write_export(tmp_path / "export", {"event-platform/2023-09-28": '{"ok": true}'})
    with pytest.raises(SourceFormatError) as caught:
        read(root)
    assert (caught.value.file, caught.value.line) == (str(root / "event-platform" / "2023-09-28.json"), 1)
    assert "not a JSON array" in caught.value.message


def test_not_a_zip_is_a_format_error(tmp_path):
    fake = tmp_path / "export.zip"
    fake.write_text("not a zip")
    with pytest.raises(SourceFormatError) as caught:
        read(fake)
    assert caught.value.file == str(fake)


@pytest.mark.parametrize("options, key", [
    ({"path": "export", "chanels": ["sre"]}, "chanels"),
    ({}, "path"),
    ({"path": "missing-folder"}, "path"),
    ({"path": "export", "channels": "sre"}, "channels"),
    ({"path": "export", "workspace": "https://wikimedia.slack.com"}, "workspace"),
])
def test_config_checks_raise_incident_file_errors(tmp_path, options, key):
    write_export(tmp_path / "export", {})
    bad = SourceConfig(type="slack-export", options={"type": "slack-export", **options}, index=0,
                       base_dir=str(tmp_path), file="incident.toml")
    with pytest.raises(IncidentFileError) as caught:
        SOURCE.check(bad)
    assert caught.value.key == key


def test_good_config_passes_the_check(tmp_path):
    write_export(tmp_path / "export", {})
    good = SourceConfig(type="slack-export", options={"type": "slack-export", "path": "export",
                                                      "channels": ["sre"], "workspace": "wikimedia"},
                        index=0, base_dir=str(tmp_path), file="incident.toml")
    assert SOURCE.check(good) is None


def test_incident_file_with_a_bad_slack_option_fails_to_load(tmp_path):
    text = ('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n\n'
            '[[source]]\ntype = "slack-export"\npath = "nowhere"\n')
    with pytest.raises(IncidentFileError, match="nowhere"):
        parse_incident(text, tmp_path / "incident.toml")


def test_a_day_file_with_a_byte_order_mark_is_read_and_bad_bytes_name_the_line(tmp_path):
    root = write_export(tmp_path / "export", {})
    day = root / "event-platform" / "2023-09-28.json"
    day.parent.mkdir(parents=True)
    day.write_bytes("\ufeff".encode() + json.dumps([message(epoch(2023, 9, 28, 14, 5), "ok")]).encode())
    assert [e.text for e in read(root)] == ["ok"]
    day.write_bytes(b'[\n{"type": "message", "ts": "1695909900.0", "text": "caf\xe9"}\n]')
    with pytest.raises(SourceFormatError) as caught:
        read(root)
    assert caught.value.line == 2 and "encoding" in str(caught.value)


def test_a_zip_member_is_read_to_its_bound_never_further(tmp_path, monkeypatch):
    """A zip bomb: a day file that inflates far beyond any real day of chat."""
    monkeypatch.setattr(slack_export, "MAX_MEMBER_BYTES", 1 << 20)
    folder = write_export(tmp_path / "export", {"event-platform/2023-09-28": [message(epoch(2023, 9, 28, 14, 5), "ok")]})
    (folder / "event-platform" / "2023-09-28.json").write_text("[" + " " * (8 << 20) + "]")
    target = zip_export(folder, tmp_path / "bomb.zip")
    assert target.stat().st_size < 100_000  # 8 MB of spaces compress to a few KB
    with pytest.raises(SourceFormatError, match="more than 1 MB in one file") as caught:
        read(target)
    assert caught.value.file.endswith("bomb.zip:event-platform/2023-09-28.json")


def test_a_zip_of_too_many_members_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(slack_export, "MAX_MEMBERS", 3)
    folder = write_export(tmp_path / "export", {f"event-platform/2023-09-{day}": [] for day in (26, 27, 28)})
    with pytest.raises(SourceFormatError, match="a zip of 5 members is no Slack export"):
        read(zip_export(folder, tmp_path / "many.zip"))


@pytest.mark.parametrize("name", ["../secrets", "event-platform/../../x", "..", "a\\\\b"])
def test_a_channel_name_cannot_lead_out_of_the_export(tmp_path, name):
    folder = write_export(tmp_path / "export", {"event-platform/2023-09-28": []})
    with pytest.raises(IncidentFileError, match="is no channel name"):
        SOURCE.check(config(folder, channels=[name]))


# -- marks and places: what people pinned or reacted to, and where each message is written

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"


def test_pins_and_reactions_of_the_export_day_file_become_fields(tmp_path):
    """tests/fixtures/slack/export-day-2024-03-05.json: a bot alert, a pinned bot
    message, a pinned message, one with reactions and a thread, a file share with
    a reaction, two replies."""
    day = (FIXTURES / "export-day-2024-03-05.json").read_text(encoding="utf-8")
    root = write_export(tmp_path / "export", {"incident/2024-03-05": day}, channels=[{"id": "C05INC1DNT",
                                                                                       "name": "incident"}])
    config = SourceConfig("slack-export", {"type": "slack-export", "path": str(root)}, index=0)
    events = SOURCE.read(config, Window(dt.datetime(2024, 3, 5, 6, tzinfo=UTC), dt.datetime(2024, 3, 5, 8, tzinfo=UTC)))
    marks = [(e.fields.get("pinned"), e.fields.get("reactions")) for e in events]
    assert marks == [(None, None), ("true", None), ("true", None), (None, "+1,eyes"),
                     (None, "chart_with_upwards_trend"), (None, None), (None, None)]
    # each message names the line of its "ts" in the day file, for findings (`check`)
    lines = day.splitlines()
    for event in events:
        assert event.place.file == str(root / "incident" / "2024-03-05.json")
        assert f'"ts": "{event.fields["ts"]}"' in lines[event.place.line - 1]


# -- a broken message among good ones (issue 21): skipped with its line, the rest read

DAY = FIXTURES / "export-day-2024-03-05.json"
DAY_WINDOW = Window(dt.datetime(2024, 3, 5, 6, tzinfo=UTC), dt.datetime(2024, 3, 5, 8, tzinfo=UTC))


def read_day(tmp_path, text: str, tally: Tally):
    root = write_export(tmp_path / "export", {"incident/2024-03-05": text},
                        channels=[{"id": "C05INC1DNT", "name": "incident"}])
    config = SourceConfig("slack-export", {"type": "slack-export", "path": str(root)}, index=0)
    return SOURCE.read(config, DAY_WINDOW, tally=tally), root / "incident" / "2024-03-05.json"


def message_starts(text: str) -> list[int]:
    """The lines where the day file's messages begin (it is indented by two)."""
    return [number for number, line in enumerate(text.splitlines(), 1) if line == "  {"]


def test_a_broken_message_of_a_day_file_is_skipped_with_its_line_and_the_others_read(tmp_path):
    text = DAY.read_text(encoding="utf-8")
    starts = message_starts(text)
    assert text.count('"text": "Status doc: ') == 1
    broken = text.replace('"text": "Status doc: ', '"text": Status doc: ')  # the third message's opening quote lost
    tally = Tally()
    events, path = read_day(tmp_path, broken, tally)
    whole, _ = read_day(tmp_path / "whole", text, Tally())
    assert [e.fields["ts"] for e in events] == [e.fields["ts"] for e in whole if e.fields["ts"] != "1709622100.000900"]
    [skip] = tally.skipped
    assert (skip.file, skip.line) == (str(path), starts[2]) and skip.reason.startswith("message 3: bad JSON: ")
    assert tally.read == len(starts)


def test_a_day_file_cut_short_is_read_up_to_the_cut(tmp_path):
    text = DAY.read_text(encoding="utf-8")
    starts = message_starts(text)
    cut = text[:text.index('"text": "watching, latency back')]  # written up to inside the sixth message
    tally = Tally()
    events, path = read_day(tmp_path, cut, tally)
    assert [e.fields["ts"] for e in events][-1] == "1709622400.001200"  # the fifth message
    assert [(s.file, s.line, s.reason) for s in tally.skipped] == [
        (str(path), starts[5], "message 6: the file ends inside this value (cut short?)")]
    assert tally.read == 6 and len(events) + len(tally.dropped) + len(tally.skipped) == 6


@pytest.mark.parametrize("text, expected", [
    pytest.param('[{"a": 1}, {"b": x}, {"c": 3}]',
                 [(1, {"a": 1}, None), (1, None, "bad JSON: Expecting value (line 1 column 18); the rest of the "
                                                "file is skipped with it (its values share lines)")], id="one-line"),
    pytest.param('[\n {"a": 1}\n {"b": 2}\n]', [(2, {"a": 1}, None), (3, {"b": 2}, None)], id="a-comma-missing"),
    pytest.param('[\n {"a": 1} x\n {"b": 2}\n]', [(2, {"a": 1}, None), (2, None, "bad JSON: Expecting value "
                                                   "(line 2 column 11)"), (3, {"b": 2}, None)], id="garbage-after-a-value"),
    pytest.param('[\n {"a": 1}\n] and more', [(2, {"a": 1}, None),
                                              (3, None, "bad JSON: text after the array's closing ']': 'and more'")],
                 id="text-after-the-array"),
    pytest.param('[\n {"a": 1},\n', [(2, {"a": 1}, None), (3, None, "the file ends before the array's closing ']' "
                                                                      "(cut short?)")], id="cut-after-a-comma"),
    pytest.param('[\n {"a": 1}', [(2, {"a": 1}, None), (2, None, "the file ends before the array's closing ']' "
                                                                  "(cut short?)")], id="cut-after-a-value"),
])
def test_the_values_of_a_json_array_one_by_one(text, expected):
    from postmortem.collect.sources._json_array import array_values
    assert [(v.line, v.value, v.problem) for v in array_values(text)] == expected
