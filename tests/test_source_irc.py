"""The irc source: four logger formats, local zones, DST, midnight, window files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from postmortem.core.errors import IncidentFileError, SourceFormatError
from postmortem.incident.load import parse_incident
from postmortem.core.model import SourceConfig, Window
from postmortem.collect.sources import get_source
from postmortem.collect.sources.irc import SOURCE

UTC = dt.timezone.utc


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def write(root: Path, name: str, lines: list[str]) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config(root: Path, path="*", **options) -> SourceConfig:
    return SourceConfig(type="irc", options={"type": "irc", "path": path, **options}, index=0,
                        base_dir=str(root), file="incident.toml")


def read(root, window, path="**/*", **options):
    return SOURCE.read(config(root, path, **options), window)


DAY_WINDOW = Window(utc(2023, 9, 28), utc(2023, 9, 29))


def summary(events):
    return [(event.time, event.actor, event.text) for event in events]


def test_registered_under_its_type():
    assert get_source("irc") is SOURCE
    assert SOURCE.type == "irc" and SOURCE.network is False


def test_wm_bot_format(tmp_path):
    write(tmp_path, "#wikimedia-operations/20230928.txt", [
        "[14:33:05] <tchin>\t enrich is failing on badrevids",
        "[14:34:00] * joal looks",
        "[14:35:10] *** Joins: someone (~s@host)",
        "[14:36:00] <@tchin>\t !log restarting the job",
    ])
    events = read(tmp_path, DAY_WINDOW)
    assert summary(events) == [
        (utc(2023, 9, 28, 14, 33, 5), "tchin", "enrich is failing on badrevids"),
        (utc(2023, 9, 28, 14, 34), "joal", "* joal looks"),
        (utc(2023, 9, 28, 14, 36), "tchin", "!log restarting the job"),
    ]
    assert {event.source for event in events} == {"irc"}
    assert {event.precision for event in events} == {"second"}
    assert {event.fields["channel"] for event in events} == {"#wikimedia-operations"}


def test_znc_format_drops_joins_parts_quits_nicks_and_modes(tmp_path):
    write(tmp_path, "libera_#wikimedia-data_2023-09-28.log", [
        "[14:30:00] *** Joins: tchin (~tchin@user/tchin)",
        "[14:31:00] <tchin> hello",
        "[14:31:30] * tchin waves",
        "[14:32:00] *** Parts: joal (~joal@host) (bye)",
        "[14:32:10] *** Quits: x (~x@host) (Quit: leaving)",
        "[14:32:20] *** tchin is now known as tchin_",
        "[14:32:30] *** ChanServ sets mode: +o tchin_",
        "[14:32:40] -NickServ- you are now identified",
        "[14:33:00] <+tchin_> back",
    ])
    events = read(tmp_path, DAY_WINDOW)
    assert summary(events) == [
        (utc(2023, 9, 28, 14, 31), "tchin", "hello"),
        (utc(2023, 9, 28, 14, 31, 30), "tchin", "* tchin waves"),
        (utc(2023, 9, 28, 14, 33), "tchin_", "back"),
    ]
    assert events[0].fields["channel"] == "#wikimedia-data"


def test_irssi_format_with_log_opened_day_changed_and_mode_prefixes(tmp_path):
    write(tmp_path, "wikimedia-operations.log", [
        "--- Log opened Thu Sep 28 00:00:00 2023",
        "14:33 <@tchin> enrich is failing",
        "14:34 < joal> looking",
        "14:35  * tchin restarts it",
        "14:36 -!- someone [~s@host] has joined #wikimedia-operations",
        "14:37 -!- mode/#wikimedia-operations [+o tchin] by ChanServ",
        "--- Day changed Fri Sep 29 2023",
        "--- Day changed Sat Sep 30 2023",
        "09:00 <+joal> a quiet day later",
        "--- Log closed Sat Sep 30 10:00:00 2023",
    ])
    window = Window(utc(2023, 9, 28), utc(2023, 10, 1))
    events = read(tmp_path, window, channel="#wikimedia-operations")
    assert summary(events) == [
        (utc(2023, 9, 28, 14, 33), "tchin", "enrich is failing"),
        (utc(2023, 9, 28, 14, 34), "joal", "looking"),
        (utc(2023, 9, 28, 14, 35), "tchin", "* tchin restarts it"),
        (utc(2023, 9, 30, 9, 0), "joal", "a quiet day later"),
    ]
    assert {event.precision for event in events} == {"minute"}
    assert {event.fields["channel"] for event in events} == {"#wikimedia-operations"}


def test_weechat_format(tmp_path):
    write(tmp_path, "irc.libera.#wikimedia-sre.weechatlog", [
        "2023-09-28 14:30:00\t-->\ttchin (~tchin@host) has joined #wikimedia-sre",
        "2023-09-28 14:31:00\t@tchin\tenrich is failing",
        "2023-09-28 14:31:30\t *\tjoal takes a look",
        "2023-09-28 14:32:00\t--\tjoal is now known as joal_",
        "2023-09-28 14:32:30\t<--\tx (~x@host) has quit (Ping timeout)",
        "2023-09-28 14:33:00\tjoal_\tdone",
    ])
    events = read(tmp_path, DAY_WINDOW)
    assert summary(events) == [
        (utc(2023, 9, 28, 14, 31), "tchin", "enrich is failing"),
        (utc(2023, 9, 28, 14, 31, 30), "joal", "* joal takes a look"),
        (utc(2023, 9, 28, 14, 33), "joal_", "done"),
    ]
    assert events[0].fields["channel"] == "#wikimedia-sre"


def test_ignored_nicks_are_dropped(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[14:33:00] <tchin> !log restart job",
                                            "[14:33:01] <stashbot> Logged the message at https://x",
                                            "[14:33:02] <wikibugs> T1 opened"])
    assert [event.actor for event in read(tmp_path, DAY_WINDOW)] == ["tchin", "wikibugs"]
    assert [event.actor for event in read(tmp_path, DAY_WINDOW, ignore_nicks=["WikiBugs"])] == \
        ["tchin", "stashbot"]


def test_format_is_detected_per_file(tmp_path):
    write(tmp_path, "a-2023-09-28.log", ["[14:31:00] <znc_user> from znc"])
    write(tmp_path, "b-2023-09-28.log", ["2023-09-28 14:32:00\tweechat_user\tfrom weechat"])
    write(tmp_path, "c-2023-09-28.log", ["14:33 <irssi_user> from irssi"])
    write(tmp_path, "d-20230928.log", ["[14:34:00] <wmbot_user>\t from wm-bot"])
    assert [event.actor for event in read(tmp_path, DAY_WINDOW, path="*.log")] == \
        ["znc_user", "weechat_user", "irssi_user", "wmbot_user"]


def test_ambiguous_head_then_message_settles_format(tmp_path):
    # `* nick action` and `***` lines fit ZNC and wm-bot; the message line decides.
    write(tmp_path, "20230928.txt", ["[14:30:00] *** Joins: a (~a@h)", "[14:31:00] * a waves",
                                     "[14:32:00] <a>\t hi"])
    assert [event.text for event in read(tmp_path, DAY_WINDOW)] == ["* a waves", "hi"]


def test_berlin_log_across_the_october_dst_change(tmp_path):
    # 2023-10-29 in Europe/Berlin: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    write(tmp_path, "#ops/2023-10-29.log", [
        "[02:30:00] <a> first 02:30 (CEST)",
        "[02:45:00] <a> still summer time",
        "[02:10:00] <b> clocks went back",
        "[02:30:00] <b> second 02:30 (CET)",
        "[03:00:00] <b> three o'clock CET",
    ])
    events = read(tmp_path, Window(utc(2023, 10, 29), utc(2023, 10, 30)), timezone="Europe/Berlin")
    assert [event.time for event in events] == [
        utc(2023, 10, 29, 0, 30), utc(2023, 10, 29, 0, 45), utc(2023, 10, 29, 1, 10),
        utc(2023, 10, 29, 1, 30), utc(2023, 10, 29, 2, 0)]
    assert events[0].text.startswith("first") and events[3].text.startswith("second")


def test_weechat_log_in_berlin_across_dst_keeps_both_0230s(tmp_path):
    write(tmp_path, "irc.libera.#ops.weechatlog", [
        "2023-10-29 02:30:00\ta\tfirst",
        "2023-10-29 02:59:00\ta\tlast summer minute",
        "2023-10-29 02:30:00\tb\tsecond",
    ])
    events = read(tmp_path, Window(utc(2023, 10, 28), utc(2023, 10, 30)), timezone="Europe/Berlin")
    assert summary(events) == [(utc(2023, 10, 29, 0, 30), "a", "first"),
                               (utc(2023, 10, 29, 0, 59), "a", "last summer minute"),
                               (utc(2023, 10, 29, 1, 30), "b", "second")]


def test_local_date_differs_from_utc_date(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[20:00:00] <tchin> evening in California"])
    events = read(tmp_path, Window(utc(2023, 9, 29), utc(2023, 9, 29, 6)), timezone="America/Los_Angeles")
    assert [event.time for event in events] == [utc(2023, 9, 29, 3, 0)]
    # The same evening is not in a window on 2023-09-28 UTC.
    assert read(tmp_path, DAY_WINDOW, timezone="America/Los_Angeles") == []


def test_time_only_lines_roll_over_midnight(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[23:58:00] <a> late", "[00:01:00] <a> after midnight",
                                            "[00:02:00] <a> still the next day"])
    write(tmp_path, "irssi/ops.log", ["--- Log opened Thu Sep 28 23:00:00 2023",
                                      "23:59 <a> irssi late", "00:03 <a> irssi after midnight"])
    events = read(tmp_path, Window(utc(2023, 9, 28, 23), utc(2023, 9, 29, 1)))
    assert summary(events) == [
        (utc(2023, 9, 28, 23, 58), "a", "late"),
        (utc(2023, 9, 28, 23, 59), "a", "irssi late"),
        (utc(2023, 9, 29, 0, 1), "a", "after midnight"),
        (utc(2023, 9, 29, 0, 2), "a", "still the next day"),
        (utc(2023, 9, 29, 0, 3), "a", "irssi after midnight"),
    ]


def test_events_outside_the_window_are_left_out(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[13:59:59] <a> before", "[14:00:00] <a> at start",
                                            "[17:59:59] <a> inside", "[18:00:00] <a> at end"])
    events = read(tmp_path, Window(utc(2023, 9, 28, 14), utc(2023, 9, 28, 18)))
    assert [event.text for event in events] == ["at start", "inside"]


def test_files_dated_outside_the_window_are_not_opened(tmp_path, monkeypatch):
    for day in range(1, 31):
        write(tmp_path, f"#ops/2023-09-{day:02d}.log", ["this is not an IRC log"])
    write(tmp_path, "#ops/2023-09-28.log", ["[14:33:00] <a> the one"])
    write(tmp_path, "#ops/2023-09-27.log", ["[23:00:00] <a> day before"])
    write(tmp_path, "#ops/2023-09-29.log", ["[01:00:00] <a> day after"])
    opened = []
    original = Path.open

    def recording(self, *args, **kwargs):
        opened.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", recording)
    events = read(tmp_path, Window(utc(2023, 9, 28, 12), utc(2023, 9, 28, 16)), path="#ops/*.log")
    assert [event.text for event in events] == ["the one"]
    # Files are named by local date; the day before may run past midnight into the window.
    assert sorted(opened) == ["2023-09-27.log", "2023-09-28.log"]


def test_files_are_chosen_by_the_log_local_date(tmp_path, monkeypatch):
    for day in range(1, 31):
        write(tmp_path, f"#ops/2023-09-{day:02d}.log", ["this is not an IRC log"])
    write(tmp_path, "#ops/2023-09-28.log", ["[19:30:00] <a> evening in Los Angeles"])
    write(tmp_path, "#ops/2023-09-27.log", ["[23:00:00] <a> day before"])
    opened = []
    original = Path.open

    def recording(self, *args, **kwargs):
        opened.append(self.name)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", recording)
    # 02:00-04:00 UTC on the 29th is 19:00-21:00 on the 28th in Los Angeles (PDT).
    events = read(tmp_path, Window(utc(2023, 9, 29, 2), utc(2023, 9, 29, 4)), path="#ops/*.log",
                  timezone="America/Los_Angeles")
    assert [(e.text, e.time) for e in events] == [("evening in Los Angeles", utc(2023, 9, 29, 2, 30))]
    assert sorted(opened) == ["2023-09-27.log", "2023-09-28.log"]


def test_garbage_file_in_the_window_names_file_and_line(tmp_path):
    path = write(tmp_path, "#ops/2023-09-28.log", ["", "this is not an IRC log", "[14:33:00] <a> x"])
    with pytest.raises(SourceFormatError) as caught:
        read(tmp_path, DAY_WINDOW)
    assert caught.value.file == str(path) and caught.value.line == 2
    assert f"{path}:2" in str(caught.value)


def test_unknown_line_in_a_detected_file_names_file_and_line(tmp_path):
    path = write(tmp_path, "#ops/2023-09-28.log", ["[14:33:00] <a> fine", "[14:34:00] <a> fine",
                                                   "garbage in the middle"])
    with pytest.raises(SourceFormatError, match="znc") as caught:
        read(tmp_path, DAY_WINDOW)
    assert (caught.value.file, caught.value.line) == (str(path), 3)


def test_forced_format_that_does_not_fit_is_an_error(tmp_path):
    write(tmp_path, "#ops/2023-09-28.log", ["[14:33:00] <a> a ZNC line"])
    assert len(read(tmp_path, DAY_WINDOW, format="znc")) == 1
    with pytest.raises(SourceFormatError, match="irssi") as caught:
        read(tmp_path, DAY_WINDOW, format="irssi")
    assert caught.value.line == 1


def test_time_only_log_without_any_date_is_an_error(tmp_path):
    write(tmp_path, "#ops/ops.log", ["14:33 <a> when?"])
    with pytest.raises(SourceFormatError, match="no date") as caught:
        read(tmp_path, DAY_WINDOW)
    assert caught.value.line == 1


@pytest.mark.parametrize("options, key", [
    ({"path": "*.log", "timezon": "UTC"}, "timezon"),
    ({"path": "*.log", "timezone": "Europe/Nowhere"}, "timezone"),
    ({}, "path"),
    ({"path": "missing/*.log"}, "path"),
    ({"path": "*.log", "format": "mirc"}, "format"),
])
def test_config_checks_raise_incident_file_errors(tmp_path, options, key):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    bad = SourceConfig(type="irc", options={"type": "irc", **options}, index=0,
                       base_dir=str(tmp_path), file="incident.toml")
    with pytest.raises(IncidentFileError) as caught:
        SOURCE.check(bad)
    assert caught.value.key == key


def test_good_config_passes_the_check(tmp_path):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    good = config(tmp_path, "*.log", timezone="Europe/Berlin", format="znc", channel="#ops")
    assert SOURCE.check(good) is None


def test_incident_file_with_a_bad_timezone_fails_to_load(tmp_path):
    write(tmp_path, "2023-09-28.log", ["[14:33:00] <a> x"])
    text = ('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n\n'
            '[[source]]\ntype = "irc"\npath = "*.log"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(IncidentFileError, match="Mars/Olympus"):
        parse_incident(text, tmp_path / "incident.toml")
