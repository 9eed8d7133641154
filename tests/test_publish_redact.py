"""`publish` and `update` on the real test MediaWiki (tests/mediawiki.py) refuse
while a secret said in chat is unresolved — exit 1, nothing written, the page
not created — and with a [redact] rule the page, its graph and the hidden record
of the generated text hold neither value."""

from __future__ import annotations

import requests

from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)
from tests.test_redact import PASSWORD, REPLACE, SLACK_TOKEN, slack_incident


def changes_to(bot_env, title: str) -> list:
    s = bot_env.session()
    return bot_env.api(s, action="query", list="recentchanges", rctitle=title, rclimit="max")["query"]["recentchanges"]


def test_publish_refuses_a_secret_and_creates_nothing(cli, bot_env, tmp_path):
    title = "Incidents/Secret in chat"
    path = slack_incident(tmp_path)
    code, out, err = cli("publish", path, "--wiki", bot_env.api_url, "--page", title, "--graph", "Secret chat.svg")
    assert code == 1 and out == ""
    assert "refusing to publish: 2 findings not resolved" in err and "nothing was written" in err
    assert "slack-token" in err and "password" in err and "email (personal data)" in err  # the warning first
    assert SLACK_TOKEN not in out + err and PASSWORD not in out + err
    assert bot_env.current(title) == {} and changes_to(bot_env, title) == []
    assert changes_to(bot_env, "File:Secret chat.svg") == []


def test_with_replace_rules_the_page_holds_neither_value(cli, bot_env, tmp_path):
    title = "Incidents/Secret replaced"
    path = slack_incident(tmp_path, REPLACE)
    code, out, err = cli("publish", path, "--wiki", bot_env.api_url, "--page", title, "--graph", "Secret replaced.svg")
    assert code == 0, err
    assert "email (personal data) in the records" in err        # personal data: a warning, not a refusal
    text = bot_env.text(title)
    html = bot_env.api(bot_env.session(), action="parse", page=title, prop="text")["parse"]["text"]
    info = bot_env.api(bot_env.session(), action="query", titles="File:Secret replaced.svg", prop="imageinfo",
                       iiprop="url")["query"]["pages"][0]["imageinfo"][0]
    svg = requests.get(info["url"], timeout=30).text
    for shown in (text, html, svg):
        assert SLACK_TOKEN not in shown and PASSWORD not in shown
        assert "xoxb-(revoked)" in shown
    assert "the bot token is xoxb-(revoked), can someone rotate it" in text

    # update re-renders: with the rule gone it refuses, and the page stays as it was
    before = bot_env.current(title)
    path.write_text(path.read_text().split("[redact]")[0])
    code, out, err = cli("update", path, "--wiki", bot_env.api_url, "--page", title)
    assert code == 1 and "refusing to update: 2 findings not resolved" in err
    assert SLACK_TOKEN not in out + err and PASSWORD not in out + err
    assert bot_env.current(title) == before
    code, out, err = cli("update", path, "--wiki", bot_env.api_url, "--page", title, "--dry-run")
    assert code == 1 and SLACK_TOKEN not in out + err   # not even a diff to show
