"""Slack's message formatting written as wikitext and Markdown in a report's
Timeline (postmortem.write.mrkdwn); the cases are tests/fixtures/slack/mrkdwn.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from postmortem.write.view import MARKDOWN, WIKITEXT

CASES = tomllib.loads((Path(__file__).resolve().parent / "fixtures" / "slack" / "mrkdwn.toml")
                      .read_text(encoding="utf-8"))["case"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_slack_formatting_in_wikitext(case):
    assert WIKITEXT.slack(case["text"]) == case["wikitext"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_slack_formatting_in_markdown(case):
    assert MARKDOWN.slack(case["text"]) == case["markdown"]


def test_a_multi_line_message_keeps_its_lines():
    assert WIKITEXT.slack("*one*\ntwo") == "'''one'''<br />two"
    assert MARKDOWN.slack("*one*\ntwo") == "**one**\\\n  two"
