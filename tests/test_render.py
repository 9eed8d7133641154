"""Rendering the Wikitech report: structure, content of the sample, templates."""

import re

import mwparserfromhell
import pytest

from postmortem.core.errors import InputError
from postmortem.incident.load import load_incident, parse_incident
from postmortem.write.render import render_report
from postmortem.core.questions import QUESTIONS
from postmortem.timeline.gather import gather
from postmortem.core.model import Records
from tests.conftest import SAMPLE, SEED, write_incident

SECTIONS = ["Summary", "Timeline", "Detection", "Conclusions", "Links to relevant documentation",
            "Actionables", "Scorecard"]


@pytest.fixture(scope="module")
def report():
    return render_report(gather(load_incident(SAMPLE / "incident.toml")))


@pytest.fixture(scope="module")
def code(report):
    return mwparserfromhell.parse(report)


def test_seven_sections_in_order(code):
    assert [str(h.title).strip() for h in code.filter_headings() if h.level == 2] == SECTIONS
    subs = [str(h.title).strip() for h in code.filter_headings() if h.level == 3]
    # the Timeline in two parts ([incident] lead = "24h"), then the Conclusions' three
    assert subs == ["Lead-up", "Incident", "What went well?", "What went poorly?", "Where did we get lucky?"]


def test_irdoc_and_incident_scorecard(code):
    templates = {str(t.name).strip(): t for t in code.filter_templates()}
    assert str(templates["irdoc"].get("status").value) == "review"
    box = templates["Incident scorecard"]
    values = {str(p.name).strip(): str(p.value).strip() for p in box.params}
    assert values["task"] == "T347521"
    assert values["start"] == "2023-09-28 14:33:00"      # at the end's precision: one for both
    assert values["end"] == "2023-10-03 14:14:54"
    assert values["impact"].startswith("For about five days")
    assert values["paged-num"] == "0" and values["responders-num"] == "4"
    assert values["coordinators"] == "tchin"


def _timeline_bullets(report):
    """The Timeline's entries (not the lines saying what was left out)."""
    section = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    return [line for line in section.splitlines() if line.startswith("*") and not line.startswith("*''(")]


def _left_out_lines(report):
    section = report.split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    return [line for line in section.splitlines() if line.startswith("*''(")]


def test_curated_timeline_close_to_the_seeds(report):
    """The seed's timeline has 16 bullets (15 and the template's example "00:15");
    the sample's report shows 25 lines (2 of them the lead-up) where every event
    would be 35, each stretch left out counted once, quietly, at the end of the
    line before it ("(+3 messages)"), every message counted; no line of its own."""
    seed = SEED.read_text(encoding="utf-8").split("==Timeline==", 1)[1].split("==Detection==", 1)[0]
    assert len([line for line in seed.splitlines() if line.startswith("*")]) == 16
    events = gather(load_incident(SAMPLE / "incident.toml")).events
    bullets = _timeline_bullets(report)
    counted = sum(int(n) for line in bullets for n in re.findall(r"''\(\+(\d+) (?:message|SAL entr)", line))
    assert (len(bullets), len(_left_out_lines(report)), len(events)) == (25, 0, 35)
    assert len(bullets) + counted == len(events)
    folded = next(line for line in bullets if line.startswith("*2023-09-28 15:55 "))
    assert folded.endswith("troubleshooting begins ''(+3 messages)''")


def test_fold_none_says_nothing_of_what_is_left_out(tmp_path):
    import shutil
    shutil.copytree(SAMPLE, tmp_path / "sample")
    path = tmp_path / "sample" / "incident.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[report]\n", '[report]\nfold = "none"\n'),
                    encoding="utf-8")
    report = render_report(gather(load_incident(path)))
    assert len(_timeline_bullets(report)) == 25 and "message" not in report.split("==Timeline==")[1].split("==Det")[0]


def test_timeline_has_full_dates_in_ascending_order(report):
    bullets = _timeline_bullets(report)
    assert len(bullets) >= 15
    stamps = [re.match(r"^\*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?) ", line) for line in bullets]
    assert all(stamps), [line for line, m in zip(bullets, stamps) if not m]
    keys = [m.group(1) if len(m.group(1)) == 19 else m.group(1) + ":00" for m in stamps]
    assert keys == sorted(keys)
    assert "''All times in UTC.''" in report


def test_outage_marks_on_the_right_lines(report):
    bullets = _timeline_bullets(report)
    begins = [b for b in bullets if "'''OUTAGE BEGINS'''" in b]
    ends = [b for b in bullets if "'''OUTAGE ENDS'''" in b]
    assert len(begins) == 1 and begins[0].startswith("*2023-09-28 14:33")
    assert len(ends) == 1 and ends[0].startswith("*2023-10-03 14:14 ")   # every line to the minute


# Every line of the seed's timeline (tests/fixtures/reports/seed-2023-09-28-mw-page-content-change-enrich.txt),
# by the words that identify it, with the time it must appear at.
SEED_TIMELINE = [
    ("2023-09-28 14:33", "MediawikiPageContentChangeEnrichJobManagerNotRunning"),
    ("2023-09-28 15:08", "restart mw-page-content-change-enrich flink job"),
    ("2023-09-28 15:51", "Failed to send data to Kafka"),
    ("2023-09-28 15:55", "Message sent to #event-platform Slack channel, troubleshooting begins"),
    ("2023-09-28 16:24", "restarted the job again"),
    ("2023-09-28 17:33", "unaligned checkpoints"),
    ("2023-09-28 17:58", "Killed app, silenced alerts, wait for SRE"),
    ("2023-09-29 06:48", "Kafka broker reassignment"),
    ("2023-10-02 07:35", "restarting the flink app"),
    ("2023-10-02 09:42", "backpressure is not decreasing"),
    ("2023-10-02 12:10", "Suggest increasing parallelism"),
    ("2023-10-02 14:06", "Backpressure finally starts decreasing"),
    ("2023-10-02 16:14", "should not retry on badrevids if no replica lag"),
    ("2023-10-03 12:21", "Backfill speeds up &gt;8x"),
    ("2023-10-03 14:14", "Job caught up, incident ends"),
]


@pytest.mark.parametrize("stamp, words", SEED_TIMELINE)
def test_everything_in_the_seed_timeline_is_there(report, stamp, words):
    """At the minute (the seed gives seconds for some): every line of the report's timeline is to the minute."""
    assert [b for b in _timeline_bullets(report) if b.startswith(f"*{stamp} ") and words in b], (stamp, words)


def test_detection_lists_the_alert_that_fired(report):
    detection = report.split("==Detection==", 1)[1].split("==Conclusions", 1)[0]
    assert "<code>MediawikiPageContentChangeEnrichJobManagerNotRunning</code>" in detection
    assert "severity critical, team data-engineering" in detection
    assert "2023-09-28 14:33:12" in detection


def test_actionables_with_tasks_and_without(report):
    section = report.split("==Actionables==", 1)[1].split("==Scorecard==", 1)[0]
    bullets = [line for line in section.splitlines() if line.startswith("*")]
    assert len(bullets) == 4
    assert bullets[0].startswith("* [[phab:T347884|T347884]] – mw-page-content-change-enrich should not retry")
    assert bullets[3].startswith("* [[phab:T345806|T345806]] – mediawiki.page_content_change.v1")
    assert "Figure out why copying Kafka partitions caused this issue." in bullets[1]
    assert "more than 1 replica" in bullets[2]


def test_scorecard_table_has_15_questions_answers_and_total(code):
    tables = [t for t in code.filter_tags() if str(t.tag) == "table"]
    assert len(tables) == 1
    table = str(tables[0])
    for question in QUESTIONS:
        assert question.text in table
    assert table.count("|-") == 16
    assert '! rowspan="5" |People' in table and '! rowspan="5" |Process' in table
    total = re.search(r"count of all “yes” answers above\)\n\|(\d+)\n", table)
    assert total and int(total.group(1)) == 10  # the sample's [scorecard] has ten "yes"
    assert "Incident Engagement  ScoreCard" in table


def test_no_template_placeholder_is_left(report):
    seed = SEED.read_text(encoding="utf-8")
    placeholders = [line.strip() for line in seed.splitlines()
                    if line.startswith(("Write a step", "Consider including", "Link to a specific", "TODO",
                                        "OPTIONAL", "Add links", "Add the #"))]
    assert len(placeholders) >= 8
    for sentence in placeholders:
        assert sentence not in report
    # The seed's "…" lines and items (an ellipsis inside a text, as a shortened citation, is no placeholder).
    assert not re.search(r"^[*#:\s]*…\s*$", report, re.M) and "00:15 (post-outage cleanup finished)" not in report


def test_minimal_incident_renders_with_gaps_left_for_people(tmp_path):
    report = render_report(gather(load_incident(write_incident(
        tmp_path, '[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n'))))
    code = mwparserfromhell.parse(report)
    assert [str(h.title).strip() for h in code.filter_headings() if h.level == 2] == SECTIONS
    assert "|0\n" in report  # total of an empty scorecard
    assert "<!-- To fill in: what happened" in report


def test_single_day_incident_shows_clock_only(tmp_path):
    path = write_incident(tmp_path, '[[event]]\ntime = "2023-09-28 14:35"\ntext = "restart"\n')
    assert "\n*14:35 restart\n" in render_report(gather(load_incident(path)))


def test_template_by_path_and_errors(tmp_path):
    inc = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n', tmp_path / "i.toml")
    custom = tmp_path / "short.wiki.j2"
    custom.write_text("{% from 'components/timeline.wiki.j2' import timeline %}"
                      "= {{ incident.id | wiki }} =\n{{ timeline(entries) }}")
    assert render_report(Records(inc, []), template=str(custom)).startswith("= x =")
    with pytest.raises(InputError, match="unknown template 'nope'"):
        render_report(Records(inc, []), template="nope")
    broken = tmp_path / "broken.wiki.j2"
    broken.write_text("line one\n{% if %}\n")
    with pytest.raises(InputError) as caught:
        render_report(Records(inc, []), template=str(broken))
    assert caught.value.line == 2 and "broken.wiki.j2" in str(caught.value)


def test_strict_undefined_in_a_custom_template_is_a_clear_error(tmp_path):
    inc = parse_incident('[incident]\nid = "x"\nstart = "2023-09-28 14:33"\n', tmp_path / "i.toml")
    bad = tmp_path / "typo.wiki.j2"
    bad.write_text("{{ incident.tsk }}")
    with pytest.raises(InputError, match="tsk"):
        render_report(Records(inc, []), template=str(bad))


def test_sample_matches_its_expected_report(report):
    """samples/…/report.wiki is the reviewed output; regenerate it (see the
    sample's README) only for a deliberate change."""
    assert report == (SAMPLE / "report.wiki").read_text(encoding="utf-8")


def test_chat_all_gives_the_report_as_it_was_before_curation(tmp_path):
    """With [report] chat = "all" (and the default 30-minute lead) the Timeline is
    every event, as the `timeline` command shows them, with no Lead-up heading:
    the report as it was before [report] existed (checked by hand against the
    sample's report.wiki of that time, byte for byte)."""
    import shutil
    from postmortem.write.render import render_timeline_wikitext
    shutil.copytree(SAMPLE, tmp_path / "sample")
    path = tmp_path / "sample" / "incident.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'^lead = "24h".*\n', "", text, flags=re.M)
    path.write_text(text.replace('include = ["partition reassignment to the new brokers"]', 'chat = "all"'),
                    encoding="utf-8")
    records = gather(load_incident(path))
    report = render_report(records)
    timeline = report.split("''All times in UTC.''\n\n", 1)[1].split("\n==Detection==", 1)[0]
    timeline = re.sub(r"^\[\[File:[^\n]*\n\n", "", timeline)  # the [[graph]] picture (not a record)
    assert timeline == render_timeline_wikitext(records.incident, list(records.events))
    assert len(timeline.splitlines()) == len(records.events) == 33 and "more message" not in report
