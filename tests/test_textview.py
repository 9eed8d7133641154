"""`postmortem timeline` as text: columns, days, key moments, colour only when
wanted, untrusted text made safe for a terminal; the filters behind
--since/--until/--source/--grep."""

from __future__ import annotations

import io
import re

import pytest

from postmortem.core.errors import InputError
from postmortem.incident.load import load_incident, parse_incident
from postmortem.core.model import Event, Records, utc
from postmortem.write.textview import clean, display_width, format_timeline, use_color
from postmortem.timeline.gather import gather
from postmortem.timeline.filters import filter_events, resolve_time, source_matches
from tests.conftest import SAMPLE

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def sample():
    incident = load_incident(SAMPLE / "incident.toml")
    return incident, list(gather(incident).events)


def _incident():
    return parse_incident('[incident]\nid = "t"\nstart = "2023-09-28 14:00"\nend = "2023-09-28 18:00"\n',
                          "incident.toml")


# -- the view ------------------------------------------------------------------

def test_columns_are_aligned(sample):
    incident, events = sample
    lines = [line for line in format_timeline(Records(incident, events)).splitlines() if not line.startswith("---")]
    assert len(lines) == len(events)
    starts = set()
    for line, event in zip(lines, events):
        starts.add(line.index(clean(event.text)[:20]))
    assert len(starts) == 1, starts
    assert lines[0].startswith("16:40     sal-wikitext  otto")   # the lead-up, a day before
    assert lines[2].startswith("14:33:12  alert-email   -")
    assert "15:55     manual" in "\n".join(lines)   # minute precision shown as such, padded


def test_a_line_per_day_of_a_multi_day_incident(sample):
    incident, events = sample
    days = [line for line in format_timeline(Records(incident, events)).splitlines() if line.startswith("---")]
    assert days == [f"--- 2023-{d} (UTC) ---" for d in ("09-27", "09-28", "09-29", "10-02", "10-03")]


def test_key_moments_are_marked(sample):
    incident, events = sample
    text = format_timeline(Records(incident, events))
    marked = [line for line in text.splitlines() if "◆" in line]
    assert [line.split("◆ ", 1)[1] for line in marked] == ["OUTAGE BEGINS, DETECTION", "MITIGATION",
                                                           "OUTAGE ENDS, RESOLVED"]


def test_colour_only_when_asked_and_the_same_text_without_it(sample):
    incident, events = sample
    plain = format_timeline(Records(incident, events))
    coloured = format_timeline(Records(incident, events), color=True)
    assert "\x1b[" not in plain and "\x1b[" in coloured
    assert ANSI.sub("", coloured) == plain
    outage = next(line for line in coloured.splitlines() if "OUTAGE BEGINS" in line)
    assert "\x1b[1m\x1b[31m" in outage   # bold red


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


@pytest.mark.parametrize("mode, tty, env, expected", [
    ("auto", True, {}, True),
    ("auto", False, {}, False),
    ("auto", True, {"NO_COLOR": "1"}, False),
    ("auto", True, {"NO_COLOR": ""}, True),        # no-color.org: present *and not empty*
    ("auto", True, {"TERM": "dumb"}, False),
    ("always", False, {"NO_COLOR": "1"}, True),
    ("never", True, {}, False),
])
def test_use_color(mode, tty, env, expected):
    assert use_color(mode, _Stream(tty), env) is expected


def test_untrusted_text_cannot_drive_the_terminal():
    hostile = "red \x1b[31mX\x1b[0m, title \x1b]0;pwned\x07, bell\x07, c1 \x9b31m, bidi \u202egnp.exe\u202c\nline two"
    incident = _incident()
    event = Event(time=utc(2023, 9, 28, 14, 5), source="irc", text=hostile, actor="ev\x1bil")
    out = format_timeline(Records(incident, [event]))
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out.replace("\n", ""))
    assert "red [31mX[0m, title ]0;pwned, bell, c1 31m, bidi gnp.exe ⏎ line two" in out
    assert "evil" in out


def test_wraps_under_the_text_column_on_a_terminal():
    incident = _incident()
    event = Event(time=utc(2023, 9, 28, 14, 5, 1), source="irc", text="word " * 40, actor="eve")
    lines = format_timeline(Records(incident, [event]), width=80).splitlines()[1:]
    assert len(lines) > 1 and all(display_width(line) <= 80 for line in lines)
    indent = lines[0].index("word")
    assert all(line.startswith(" " * indent + "word") for line in lines[1:])


def test_wide_characters_keep_the_columns():
    incident = _incident()
    events = [Event(time=utc(2023, 9, 28, 14, 5), source="slack-export", text="a", actor="山田"),
              Event(time=utc(2023, 9, 28, 14, 6), source="slack-export", text="b", actor="bob")]
    lines = format_timeline(Records(incident, events)).splitlines()[1:]
    assert display_width(lines[0]) == display_width(lines[1])


# -- filters ----------------------------------------------------------------------

def test_filter_by_time_source_and_pattern(sample):
    incident, events = sample
    since = resolve_time("15:00", incident)
    until = resolve_time("2023-09-28 16:24", incident, end=True)
    kept = filter_events(Records(incident, events), since=since, until=until, sources=["irc", "slack"],
                         pattern="restart|kafka")
    assert [(e.time.strftime("%H:%M:%S"), e.source) for e in kept.events] == [
        ("15:05:40", "irc"), ("15:08:24", "irc"), ("15:51:40", "slack-export"),
        ("15:55:10", "slack-export"), ("16:01:09", "slack-export"), ("16:24:30", "slack-export"),
        ("16:24:41", "irc")]   # --until 16:24 keeps all of that minute


def test_until_keeps_the_whole_stated_minute_or_second(sample):
    incident, _ = sample
    assert resolve_time("16:24", incident, end=True) == utc(2023, 9, 28, 16, 25)
    assert resolve_time("16:24:30", incident, end=True) == utc(2023, 9, 28, 16, 24, 31)
    assert resolve_time("2023-10-02 09:00+02:00", incident) == utc(2023, 10, 2, 7)


def test_pattern_is_case_insensitive_and_matches_actors(sample):
    records = Records(*sample)
    assert {e.actor for e in filter_events(records, pattern="^BROUBEROL$").events} == {"brouberol"}
    assert filter_events(records, pattern="TADA").events[0].text == "job caught up with the stream :tada:"


def test_source_names():
    assert source_matches("slack-export", ["slack"]) and source_matches("sal-wikitext", ["SAL"])
    assert not source_matches("salt", ["sal"]) and not source_matches("irc", ["slack"])


@pytest.mark.parametrize("value", ["25:00", "yesterday", "2023-13-01 10:00", "14"])
def test_bad_times_are_input_errors(sample, value):
    with pytest.raises(InputError, match="--since"):
        resolve_time(value, sample[0], name="--since")


# -- the command ------------------------------------------------------------------

def test_cli_filters_and_json(run_cli):
    code, out, _ = run_cli("timeline", SAMPLE / "incident.toml", "--format", "json", "--since", "2023-10-02 00:00",
                           "--until", "2023-10-02 23:59", "--source", "irc")
    assert code == 0
    import json
    events = json.loads(out)
    assert [e["time"] for e in events] == ["2023-10-02T07:35:50Z", "2023-10-02T14:06:40Z", "2023-10-02T14:07:12Z"]


def test_cli_text_is_plain_when_piped_and_coloured_when_forced(run_cli):
    code, out, _ = run_cli("timeline", SAMPLE / "incident.toml", "--grep", "outage|caught up")
    assert code == 0 and "\x1b[" not in out
    code, out, _ = run_cli("timeline", SAMPLE / "incident.toml", "--grep", "caught up", "--color", "always")
    assert code == 0 and "\x1b[" in out and "OUTAGE ENDS" in out


def test_cli_bad_filter_is_exit_2_one_line(run_cli):
    code, out, err = run_cli("timeline", SAMPLE / "incident.toml", "--grep", "(")
    assert code == 2 and out == "" and err.startswith("postmortem: error: --grep: bad regular expression")
    code, out, err = run_cli("timeline", SAMPLE / "incident.toml", "--until", "noon")
    assert code == 2 and "--until" in err and len(err.splitlines()) == 1


def test_an_empty_clock_range_on_an_incident_of_several_days_says_so(run_cli):
    """Issue 24: `--since 00:10 --until 00:20` printed nothing, exit 0, on an incident
    that crosses midnight (HH:MM is the first day, as documented)."""
    code, out, err = run_cli("timeline", SAMPLE / "incident.toml", "--since", "00:10", "--until", "00:20")
    assert (code, out) == (0, "")
    assert err == ("postmortem: warning: no event in --since 00:10 --until 00:20: HH:MM means the incident's first "
                   "day (2023-09-28), and it goes on to 2023-10-03; give the date for another day, e.g. "
                   "'2023-09-29 00:10'\n")
    # a range with a date, or with events outside the --source asked for, is no such case
    assert run_cli("timeline", SAMPLE / "incident.toml", "--since", "2023-09-29 00:10",
                   "--until", "2023-09-29 00:20")[2] == ""
