"""The pure three-way merge of report pages (postmortem/merge.py); no wiki needed."""

import pytest

from postmortem.publishing.text_merge import (MergeConflict, canonical, join_sections, merge_lines, merge_report, split_sections, unified_diff)

BASE = """{{irdoc|status=draft}}
== Summary ==
{{Incident scorecard
| task = T1
| end = 2023-10-03 14:14:54
}}
Generated summary.

==Timeline==
All times in UTC.
*14:33 first
*14:40 second
*15:08 third

==Conclusions ==
=== What went well? ===
* …
=== What went poorly? ===
* …

==Scorecard==
{| class="wikitable"
| yes
|}"""


def edit(text, old, new, count=1):
    assert old in text, old
    return text.replace(old, new, count)


# -- sections -------------------------------------------------------------------

def test_split_and_join_round_trip():
    sections = split_sections(BASE)
    assert [s.title for s in sections] == ["", "Summary", "Timeline", "Conclusions",
                                           "What went well?", "What went poorly?", "Scorecard"]
    assert join_sections(sections) == BASE


def test_split_without_lead():
    sections = split_sections("== A ==\nx\n== B ==\ny")
    assert [s.title for s in sections] == ["A", "B"]
    assert join_sections(sections) == "== A ==\nx\n== B ==\ny"


def test_heading_inside_nowiki_or_comment_is_not_a_section():
    text = "== A ==\n<nowiki>\n== fake ==\n</nowiki>\n<!--\n== hidden ==\n-->\n== B ==\nz"
    assert [s.title for s in split_sections(text)] == ["A", "B"]


def test_duplicate_headings_get_distinct_keys():
    keys = [s.key for s in split_sections("== A ==\n1\n== A ==\n2")]
    assert keys == [("a", 0), ("a", 1)]


def test_heading_spacing_does_not_change_the_key():
    assert split_sections("==Timeline==\nx")[0].key == split_sections("== Timeline ==\nx")[0].key


def test_canonical_matches_mediawiki_storage():
    assert canonical("a\r\nb  \n\n") == "a\nb"
    assert canonical("e\u0301") == "\u00e9"


# -- clean merges -----------------------------------------------------------------

def test_no_hand_edits_takes_the_new_render():
    theirs = edit(BASE, "*15:08 third", "*15:08 third\n*15:10 fourth")
    assert merge_report(BASE, BASE, theirs).text == theirs


def test_no_generated_change_keeps_the_page():
    ours = edit(BASE, "Generated summary.", "Hand summary.")
    assert merge_report(BASE, ours, BASE).text == ours


def test_hand_edits_in_summary_and_conclusions_survive_a_new_event():
    ours = edit(BASE, "Generated summary.", "Generated summary. A person explains why.")
    ours = edit(ours, "=== What went well? ===\n* …", "=== What went well? ===\n* alerts fired")
    theirs = edit(BASE, "*14:40 second", "*14:40 second\n*14:50 new event")
    merged = merge_report(BASE, ours, theirs).text
    assert "A person explains why." in merged
    assert "* alerts fired" in merged
    assert "*14:50 new event" in merged
    assert merged.index("*14:40 second") < merged.index("*14:50 new event") < merged.index("*15:08")


def test_adjacent_edits_do_not_conflict():
    ours = edit(BASE, "*14:40 second", "*14:40 second (hand note)")
    theirs = edit(BASE, "*14:40 second", "*14:40 second\n*14:41 inserted")
    merged = merge_report(BASE, ours, theirs).text
    assert "*14:40 second (hand note)\n*14:41 inserted" in merged


def test_insertion_before_a_hand_edited_line():
    ours = edit(BASE, "*15:08 third", "*15:08 third, by hand")
    theirs = edit(BASE, "*15:08 third", "*15:00 new\n*15:08 third")
    assert "*15:00 new\n*15:08 third, by hand" in merge_report(BASE, ours, theirs).text


def test_same_change_on_both_sides_is_not_a_conflict():
    both = edit(BASE, "*14:33 first", "*14:33 first (fixed)")
    assert merge_report(BASE, both, both).text == both
    ours = edit(both, "Generated summary.", "Hand.")
    assert merge_report(BASE, ours, both).text == ours


def test_generated_template_field_changes_next_to_hand_prose():
    ours = edit(BASE, "Generated summary.", "Hand summary.")
    theirs = edit(BASE, "| end = 2023-10-03 14:14:54", "| end = 2023-10-04 09:00:00")
    merged = merge_report(BASE, ours, theirs).text
    assert "| end = 2023-10-04 09:00:00" in merged and "Hand summary." in merged


def test_lines_added_by_hand_at_the_end_of_a_section():
    ours = edit(BASE, "*15:08 third\n", "*15:08 third\n*16:00 added by a person\n")
    theirs = edit(BASE, "*14:33 first", "*14:33 first, reworded")
    merged = merge_report(BASE, ours, theirs).text
    assert "*16:00 added by a person" in merged and "*14:33 first, reworded" in merged


def test_section_added_by_hand_is_kept_in_place():
    ours = edit(BASE, "==Conclusions ==", "==Detection==\nSeen by a person.\n\n==Conclusions ==")
    theirs = edit(BASE, "*15:08 third", "*15:08 third\n*15:09 new")
    merged = merge_report(BASE, ours, theirs).text
    assert "==Detection==\nSeen by a person." in merged and "*15:09 new" in merged
    assert merged.index("==Detection==") < merged.index("==Conclusions ==")


def test_section_added_by_the_generator_goes_after_its_predecessor():
    theirs = edit(BASE, "==Conclusions ==", "==Actionables==\n* T2\n\n==Conclusions ==")
    ours = edit(BASE, "Generated summary.", "Hand.")
    merged = merge_report(BASE, ours, theirs).text
    assert merged.index("==Timeline==") < merged.index("==Actionables==") < merged.index("==Conclusions")
    assert "Hand." in merged


def test_section_deleted_by_hand_stays_deleted_when_unchanged():
    ours = edit(BASE, "==Scorecard==\n{| class=\"wikitable\"\n| yes\n|}", "")
    theirs = edit(BASE, "*14:33 first", "*14:33 changed")
    merged = merge_report(BASE, ours, theirs).text
    assert "Scorecard" not in merged and "*14:33 changed" in merged


def test_section_dropped_by_the_generator_goes_when_untouched():
    theirs = edit(BASE, "==Scorecard==\n{| class=\"wikitable\"\n| yes\n|}", "")
    assert "Scorecard" not in merge_report(BASE, BASE, theirs).text


def test_trailing_whitespace_differences_are_ignored():
    assert merge_report(BASE + "\n\n", BASE, BASE + "\n").text == BASE


def test_hostile_text_merges_as_plain_lines():
    hostile = "*14:45 <nowiki>{{subst:x}} [[Category:X]] ~~~~ </nowiki>"
    theirs = edit(BASE, "*15:08 third", hostile + "\n*15:08 third")
    assert hostile in merge_report(BASE, BASE, theirs).text


# -- conflicts ----------------------------------------------------------------------

def test_conflict_in_a_timeline_line_names_the_section():
    ours = edit(BASE, "*14:40 second", "*14:40 second, corrected by hand")
    theirs = edit(BASE, "*14:40 second", "*14:40 second (from SAL)")
    with pytest.raises(MergeConflict) as err:
        merge_report(BASE, ours, theirs)
    assert err.value.sections == ["Timeline"]
    assert "'Timeline'" in str(err.value) and "*14:40 second" in str(err.value)
    assert "--ours" in str(err.value)


def test_prefer_ours_and_theirs():
    ours = edit(BASE, "*14:40 second", "*14:40 by hand")
    ours = edit(ours, "Generated summary.", "Hand summary.")
    theirs = edit(BASE, "*14:40 second", "*14:40 generated")
    kept = merge_report(BASE, ours, theirs, prefer="ours")
    assert "*14:40 by hand" in kept.text and "Hand summary." in kept.text
    assert kept.conflicts and kept.conflicts[0].section == "Timeline"
    taken = merge_report(BASE, ours, theirs, prefer="theirs")
    assert "*14:40 generated" in taken.text and "Hand summary." in taken.text


def test_two_insertions_at_the_same_place_conflict():
    ours = edit(BASE, "*15:08 third", "*15:08 third\n*15:09 by hand")
    theirs = edit(BASE, "*15:08 third", "*15:08 third\n*15:09 generated")
    with pytest.raises(MergeConflict):
        merge_report(BASE, ours, theirs)


def test_conflicts_in_several_sections_are_all_named():
    ours = edit(edit(BASE, "*14:33 first", "*14:33 a"), "| yes", "| no (hand)")
    theirs = edit(edit(BASE, "*14:33 first", "*14:33 b"), "| yes", "| yes, computed")
    with pytest.raises(MergeConflict) as err:
        merge_report(BASE, ours, theirs)
    assert err.value.sections == ["Timeline", "Scorecard"]


def test_hand_deleted_section_changed_by_the_generator_conflicts():
    ours = edit(BASE, "==Scorecard==\n{| class=\"wikitable\"\n| yes\n|}", "")
    theirs = edit(BASE, "| yes", "| no")
    with pytest.raises(MergeConflict) as err:
        merge_report(BASE, ours, theirs)
    assert err.value.sections == ["Scorecard"]
    assert "Scorecard" not in merge_report(BASE, ours, theirs, prefer="ours").text
    assert "| no" in merge_report(BASE, ours, theirs, prefer="theirs").text


def test_hand_edited_section_dropped_by_the_generator_conflicts():
    ours = edit(BASE, "| yes", "| yes, a person agrees")
    theirs = edit(BASE, "==Scorecard==\n{| class=\"wikitable\"\n| yes\n|}", "")
    with pytest.raises(MergeConflict):
        merge_report(BASE, ours, theirs)
    assert "a person agrees" in merge_report(BASE, ours, theirs, prefer="ours").text


def test_bad_prefer_is_refused():
    with pytest.raises(ValueError):
        merge_report(BASE, BASE, BASE, prefer="mine")


# -- line merge ----------------------------------------------------------------------

@pytest.mark.parametrize("base, ours, theirs, expected", [
    ("abc", "abc", "abXc", "abXc"),
    ("abc", "aYbc", "abc", "aYbc"),
    ("abcde", "aYcde", "abcdZ", "aYcdZ"),
    ("abcde", "acde", "abcd", "acd"),          # deletions on both ends
    ("abc", "Xabc", "abcY", "XabcY"),
    ("", "", "xy", "xy"),
    ("ab", "aXb", "aXb", "aXb"),
    ("abcd", "aBcd", "abCd", "aBCd"),          # adjacent replacements
])
def test_merge_lines_clean(base, ours, theirs, expected):
    lines, conflicts = merge_lines(list(base), list(ours), list(theirs))
    assert conflicts == [] and "".join(lines) == expected


@pytest.mark.parametrize("base, ours, theirs", [
    ("abc", "aXc", "aYc"),
    ("abc", "ac", "aYc"),           # deleted by one, changed by the other
    ("abcd", "aXYd", "abZd"),       # overlapping ranges
    ("abc", "abXc", "abYc"),        # two insertions at one place
    ("abcd", "ad", "abYcd"),        # insertion inside a deleted range
])
def test_merge_lines_conflicts(base, ours, theirs):
    _, conflicts = merge_lines(list(base), list(ours), list(theirs))
    assert len(conflicts) == 1


def test_unified_diff_shows_the_change():
    diff = unified_diff(BASE, edit(BASE, "*15:08 third", "*15:08 third\n*15:10 new"), title="P")
    assert "+*15:10 new" in diff and diff.startswith("--- P (current)")
    assert unified_diff(BASE, BASE + "\n") == ""


# -- properties ------------------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

LINES = st.lists(st.sampled_from(["a", "b", "c", "", "* x", "== H =="]), max_size=12)


@given(LINES, LINES)
def test_one_sided_changes_are_taken_whole(base, other):
    assert merge_lines(base, base, other) == (other, [])
    assert merge_lines(base, other, base) == (other, [])
    assert merge_lines(base, other, other) == (other, [])


@given(LINES, LINES, LINES)
def test_merge_is_symmetric_in_its_conflicts(base, ours, theirs):
    lines, conflicts = merge_lines(base, ours, theirs)
    swapped, swapped_conflicts = merge_lines(base, theirs, ours)
    assert bool(conflicts) == bool(swapped_conflicts)
    if not conflicts:
        assert lines == swapped
