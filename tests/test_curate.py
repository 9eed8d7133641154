"""The report's Timeline (postmortem.timeline.curate): which records it shows,
the lead-up before the start, and one line for each stretch it leaves out;
[report] in incident.toml."""

from __future__ import annotations

import datetime as dt

import pytest

from postmortem.core.errors import IncidentFileError
from postmortem.core.model import utc
from postmortem.core.settings import ReportSettings
from postmortem.incident.load import parse_incident
from postmortem.database.lint import lint_report
from postmortem.read.report import parse_report
from postmortem.timeline.curate import Omitted, curate, shown, shown_in_lead_up
from postmortem.core.model import Records
from postmortem.write.render import render_report
from tests.events import record

START = utc(2023, 9, 28, 14, 0)


def event(source, text, minute=0, channel=None, tags=(), **fields):
    return record(START + dt.timedelta(minutes=minute), source, text, actor=None if source == "manual" else "nick",
                  fields=fields, tags=tags, channel=channel)


def incident(report="", lead="30m", start="2023-09-28 14:00"):
    return parse_incident(f'[incident]\nid = "t"\nstart = "{start}"\nend = "2023-09-28 18:00"\nlead = "{lead}"\n'
                          + report, "incident.toml")


DEFAULT = ReportSettings()

# (the record, the [report] settings, shown from the start on, shown in the lead-up)
RULES = [
    pytest.param(event("slack-export", "we are down", channel="ops"), DEFAULT, False, False, id="slack unmarked"),
    pytest.param(event("slack-export", "we are down", pinned="true"), DEFAULT, True, True, id="slack pinned"),
    pytest.param(event("slack", "we are down", reactions="+1,memo"), DEFAULT, True, True, id="slack memo"),
    pytest.param(event("slack", "x", reactions="point_up::skin-tone-3"), DEFAULT, True, True, id="skin tone"),
    pytest.param(event("slack", "x", reactions="+1,eyes,tada"), DEFAULT, False, False, id="other reactions"),
    pytest.param(event("slack", "x", reactions="white_check_mark"),
                 ReportSettings(reactions=("white_check_mark",)), True, True, id="own reactions"),
    pytest.param(event("slack", "x", reactions="memo"), ReportSettings(reactions=("white_check_mark",)),
                 False, False, id="own reactions replace the default"),
    pytest.param(event("irc", "#info the fix is deployed"), DEFAULT, True, True, id="irc #info"),
    pytest.param(event("irc", "  #INFO the fix is deployed"), DEFAULT, True, True, id="irc #INFO"),
    pytest.param(event("irc", "see #info above"), DEFAULT, False, False, id="#info not first"),
    pytest.param(event("irc", "#action mbsantos to file a task"), ReportSettings(markers=("#action",)),
                 True, True, id="own markers"),
    pytest.param(event("irc", "!log restart the job"), DEFAULT, True, False, id="irc !log: a SAL entry"),
    pytest.param(event("irc", "!log deploy the job"), DEFAULT, True, True, id="irc !log deploy"),
    pytest.param(event("irc", "the job is back"), ReportSettings(include=(r"\bback\b",)), True, True,
                 id="include"),
    pytest.param(event("slack", "the job is back"), ReportSettings(chat="all"), True, True, id="chat all"),
    pytest.param(event("slack", "x", pinned="true"), ReportSettings(chat="none"), False, False, id="chat none"),
    pytest.param(event("manual", "restart"), ReportSettings(chat="none"), True, True, id="manual"),
    pytest.param(event("alertmanager", "KafkaLag firing", tags=("alert",)), DEFAULT, True, True, id="alert"),
    pytest.param(event("statuspage", "Status page update"), DEFAULT, True, True, id="status page"),
    pytest.param(event("gerrit", "operations/puppet: lower max_children"), DEFAULT, True, True, id="gerrit"),
    pytest.param(event("sal", "roll-restart aqs"), DEFAULT, True, False, id="sal, no deploy"),
    pytest.param(event("sal", "roll-restart aqs"), ReportSettings(include=("aqs",)), True, True,
                 id="sal included"),
    pytest.param(event("sal-wikitext", "brennen@deploy2002 Synchronized wmf-config/InitialiseSettings.php: x"),
                 DEFAULT, True, True, id="scap sync-file"),
    pytest.param(event("sal-wikitext", "brennen@deploy2002 Finished scap: Backport for [[gerrit:1|x]]"),
                 DEFAULT, True, True, id="Finished scap"),
    pytest.param(event("sal-wikitext", "brennen@deploy2002 Started scap: Backport for x"), DEFAULT, True, False,
                 id="Started scap"),
    pytest.param(event("sal", "helmfile [eqiad] DONE helmfile.d/services/x: apply"), DEFAULT, True, True,
                 id="helmfile DONE apply"),
    pytest.param(event("sal", "helmfile [eqiad] START helmfile.d/services/x: apply"), DEFAULT, True, False,
                 id="helmfile START apply"),
    pytest.param(event("sal", "tchin@deploy2002 Finished deploy [mw-page-content-change-enrich@abc1234]"),
                 DEFAULT, True, True, id="scap3 Finished deploy"),
    pytest.param(event("sal", "tchin@deploy2002 Started deploy [mw-page-content-change-enrich@abc1234]"),
                 DEFAULT, True, False, id="scap3 Started deploy"),
    pytest.param(event("sal", "joal: deployed the new config"), DEFAULT, True, True, id="deployed"),
    pytest.param(event("sal", "puppet-merge of 1234: lower php-fpm max_children"), DEFAULT, True, True,
                 id="puppet-merge"),
    pytest.param(event("sal", "restart on deploy1002"), DEFAULT, True, False, id="deploy1002 is a host"),
]


@pytest.mark.parametrize("record, settings, from_start, in_lead_up", RULES)
def test_what_the_report_shows(record, settings, from_start, in_lead_up):
    assert shown(record, settings) is from_start
    assert shown_in_lead_up(record, settings) is (in_lead_up or settings.chat == "all")


def test_stretches_left_out_are_one_line_each_and_every_record_is_counted():
    events = [event("slack-export", f"chat {n}", 10 + n, channel="event-platform") for n in range(14)]
    events.insert(5, event("manual", "restart", 14))
    events.append(event("irc", "more chat", 40, channel="#wikimedia-operations"))
    events.append(event("slack", "in the API source", 41, channel="C0123"))
    curated = curate(incident(), events)
    assert curated.lead_up == ()
    texts = [part.text() if isinstance(part, Omitted) else part.text for part in curated.incident]
    assert texts == ["5 more messages in Slack #event-platform, 14:10–14:14", "restart",
                     "9 more messages in Slack #event-platform and 1 message in IRC #wikimedia-operations "
                     "and 1 message in Slack #C0123, 14:15–14:41"]
    assert sum(len(p.events) if isinstance(p, Omitted) else 1 for p in curated.incident) == len(events)


@pytest.mark.parametrize("minutes, with_date, text", [
    ((0,), False, "1 more message in IRC #ops, 14:00"),
    ((0, 0.5), False, "2 more messages in IRC #ops, 14:00"),          # the same minute: one time
    ((0, 59), False, "2 more messages in IRC #ops, 14:00–14:59"),
    ((0, 59), True, "2 more messages in IRC #ops, 2023-09-28 14:00–14:59"),
    ((0, 60 * 24), True, "2 more messages in IRC #ops, 2023-09-28 14:00–2023-09-29 14:00"),
])
def test_the_time_span_of_a_stretch(minutes, with_date, text):
    stretch = Omitted(tuple(event("irc", "x", m, channel="#ops") for m in minutes))
    assert stretch.text(with_date) == text


def test_sal_entries_left_out_of_the_lead_up_are_counted_as_entries():
    stretch = Omitted((event("sal", "a", -50), event("sal-wikitext", "b", -40), event("irc", "!log c", -30)))
    assert stretch.text() == "2 more SAL entries and 1 message in IRC, 13:10–13:30"


def test_lead_up_first_then_the_incident_in_the_report(tmp_path):
    inc = incident(lead="24h")
    events = [event("sal", "helmfile [eqiad] DONE helmfile.d/services/x: apply", -180),
              event("sal", "roll-restart aqs", -100), event("slack-export", "hmm", -5, channel="ops"),
              event("manual", "alert fires", 0, tags=("outage-begins",)),
              event("slack-export", "looking", 3, channel="ops"),  # the first report: Time to detect ends here
              event("slack-export", "brb", 5, channel="ops"),
              event("slack-export", "it was the deploy", 9, channel="ops", pinned="true")]
    report = render_report(Records(inc, events))
    timeline = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    assert timeline.split("\n", 3)[3] == (
        "=== Lead-up ===\n"
        "*11:00 (SAL) nick: helmfile &#91;eqiad&#93; DONE helmfile.d/services/x: apply ''(+1 message, +1 SAL entry)''\n"
        "\n=== Incident ===\n"
        "*14:00 alert fires — '''OUTAGE BEGINS'''\n"
        "*14:03 (Slack #ops) nick: looking ''(+1 message)''\n"
        "*14:09 (Slack #ops) nick: it was the deploy\n\n")
    markdown = render_report(Records(inc, events), fmt="markdown")
    assert "### Lead-up\n\n- **11:00** (SAL) nick: helmfile" in markdown
    assert "\n- **14:03** (Slack #ops) nick: looking *(\\+1 message)*\n" in markdown
    assert "### Incident\n\n- **14:00**" in markdown
    # read back: the lines saying what was left out are no entries, nothing to lint there
    back = parse_report(report, title="Incidents/2023-09-28 t")
    assert [e.text for e in back.timeline] == ["helmfile [eqiad] DONE helmfile.d/services/x: apply",
                                               "alert fires", "looking", "it was the deploy"]
    assert not [f for f in lint_report(back) if f.kind in ("no-time", "out-of-order", "no-lead-up")]


def test_no_lead_up_no_headings_and_lint_says_so():
    inc = incident()
    report = render_report(Records(inc, [event("manual", "alert fires", 0, tags=("outage-begins",))]))
    assert "=== Lead-up ===" not in report and "=== Incident ===" not in report
    findings = [f for f in lint_report(parse_report(report)) if f.kind == "no-lead-up"]
    assert len(findings) == 1 and findings[0].line == report.split("\n").index("==Timeline==") + 1


@pytest.mark.parametrize("note", [
    "*''(1 more SAL entry, 2023-09-27 16:00)''",
    "*''(3 more SAL entries, 09:00–13:02)''",
    "*''(1 more message in IRC #ops, 14:00)''",
    "*''(14 more messages in Slack #event-platform and 2 messages in IRC #ops, 15:58–16:24)''",
])
def test_the_reader_takes_no_note_for_an_entry(note):
    text = f"==Timeline==\n*2023-09-28 14:00 alert fires\n{note}\n*2023-09-28 16:30 fixed\n"
    assert [e.text for e in parse_report(text).timeline] == ["alert fires", "fixed"]


@pytest.mark.parametrize("timeline", [
    "=== Lead-up ===\n*14:00 alert fires\n",
    "'''Lead-up'''\n*14:00 alert fires\n",
    "*13:10 deploy of the new config\n*14:00 alert fires\n",
])
def test_lint_accepts_a_lead_up_written_by_hand(timeline):
    text = ("{{irdoc|status=draft}}\n== Summary ==\n{{Incident scorecard\n| start = 2023-09-28 14:00\n}}\n"
            f"==Timeline==\n{timeline}==Detection==\n")
    assert "no-lead-up" not in [f.kind for f in lint_report(parse_report(text))]


def test_chat_all_shows_every_line_and_none_only_counts_them():
    events = [event("slack-export", "a", 1, channel="ops"), event("irc", "b", 2, channel="#ops"),
              event("manual", "c", 3)]
    every = curate(incident('[report]\nchat = "all"\n'), events).incident
    assert every == tuple(events)
    none = curate(incident('[report]\nchat = "none"\n'), events).incident
    assert [p.text() if isinstance(p, Omitted) else p.text for p in none] == [
        "1 more message in Slack #ops and 1 message in IRC #ops, 14:01–14:02", "c"]


def test_report_table_is_read_with_its_defaults():
    assert incident().report == ReportSettings(chat="marked", reactions=("pushpin", "memo", "point_up"),
                                               markers=("#info",), include=())
    settings = incident('[report]\nchat = "all"\nreactions = [":white_check_mark:"]\nmarkers = []\n'
                        'include = ["(?i)rollback"]\n').report
    assert settings == ReportSettings("all", ("white_check_mark",), (), ("(?i)rollback",))


@pytest.mark.parametrize("table, line, message", [
    ('chat = "some"', 7, "expected 'marked', 'all', 'none', got 'some'"),
    ('reactions = "memo"', 7, "expected a list of strings, got 'memo'"),
    ('include = ["(unclosed"]', 7, "not a valid regex '(unclosed': missing ), unterminated subpattern at position 0"),
    ('include = ["x*"]', 7, "the regex 'x*' matches empty text, so it would match everything"),
    ('pins = true', 7, "unknown key (expected one of chat, fold, include, markers, others, reactions)"),
    ('others = "hide"', 7, "expected 'fold', 'omit', 'curate', got 'hide'"),
])
def test_report_table_errors_name_the_line_and_key(table, line, message):
    with pytest.raises(IncidentFileError) as caught:
        incident(f"[report]\n{table}\n")
    assert (caught.value.line, caught.value.message) == (line, message)


def test_a_message_a_metric_names_stays_in_the_report_whatever_the_chat_setting():
    """"Time to respond … → first reply (irc nick)": the reader must find that
    line in the Timeline to check the number, marked or not, even with chat = "none"."""
    inc = incident('[report]\nchat = "none"\n')
    events = [event("manual", "ProbeDown pages SRE", 0, tags=("page", "outage-begins")),
              event("irc", "morning", 2, channel="#ops"),
              event("irc", "looking at the probes", 4, channel="#ops"),
              event("irc", "it was the deploy", 9, channel="#ops")]
    report = render_report(Records(inc, events))
    timeline = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    assert "* Time to respond: 2 min (2023-09-28 14:00:00 → 14:02:00 UTC)\n" in report   # records to the second
    # the reply the metric names, and the rest counted on its line
    assert "*14:02 (IRC #ops) nick: morning ''(+2 messages)''\n" in timeline
