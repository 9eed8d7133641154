"""Only the tool's own revisions are a base (issue 16): a revision anyone saves
with the tool's edit summary, or with a compressed marker that inflates to a
bomb, is passed over, said so, and the merge uses the tool's own last save."""

from __future__ import annotations

import base64
import shutil
import zlib

import pytest

from postmortem.publishing.markers import SUMMARY, edit_summary, generated_text, inflate_limit
from tests.conftest import SAMPLE
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (fixtures)


def bomb(inflated_bytes: int) -> str:
    """A base marker whose zlib data inflates to ``inflated_bytes`` of zeros."""
    packer = zlib.compressobj(9)
    chunk = b"0" * (1 << 20)
    parts = [packer.compress(chunk) for _ in range(inflated_bytes >> 20)]
    data = b"".join(parts) + packer.flush()
    return f"\n<!-- postmortem-base:1:{base64.b64encode(data).decode('ascii')} -->"


def test_a_bomb_marker_is_refused_without_inflating_it():
    page = "== Summary ==\nsomething\n" + bomb(64 << 20)
    assert inflate_limit(page) < 8 << 20
    with pytest.raises(ValueError, match="inflates to more than"):
        generated_text(page)


@pytest.mark.parametrize("patch", [b'{"not": "a list"}', b'[[0, 1]]', b'[["a", 1, []]]', b'[[0, 0, [1]]]'])
def test_a_marker_that_is_not_a_line_patch_is_refused(patch):
    page = f"text\n<!-- postmortem-base:1:{base64.b64encode(zlib.compress(patch)).decode()} -->"
    with pytest.raises(ValueError):
        generated_text(page)


def test_update_passes_over_a_revision_of_another_account_with_the_tools_summary(cli, bot_env, bot):  # noqa: F811
    title = "Incidents/Hostile base"
    sample = SAMPLE / "incident.toml"
    assert cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    own = bot_env.current(title)
    forged = edit_summary("update", "== Summary ==\nforged\n")
    assert SUMMARY.match(forged)
    revid = bot_env.human_edit(title, lambda text: text + "\nHAND: a line\n" + bomb(600 << 20), summary=forged)
    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title, "--dry-run")
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("postmortem: warning:")]
    assert warning == [f"postmortem: warning: revision {revid} by 'Human' has the tool's edit summary, but "
                       f"that account is not the tool's (Admin): not used as the base"]
    # the merge started from the tool's own save: the human's line is a hand edit, kept
    assert "HAND: a line" not in out and own["revid"] < revid
    code, out, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0 and "HAND: a line" in bot_env.text(title)


def test_a_conflict_still_says_which_revisions_were_passed_over(cli, bot_env, tmp_path):  # noqa: F811
    shutil.copytree(SAMPLE, tmp_path / "sample")
    sample = tmp_path / "sample" / "incident.toml"
    title = "Incidents/Hostile base and a conflict"
    line = "@joal deploys parallelism increase. Backpressure finally starts decreasing."
    assert cli("publish", sample, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    forged = edit_summary("update", "== Summary ==\nforged\n")
    revid = bot_env.human_edit(title, lambda text: text.replace(line, line + " (HAND: seen)"), summary=forged)
    sample.write_text(sample.read_text().replace(line, "@joal deploys parallelism 4."))
    before = bot_env.current(title)
    code, _, err = cli("update", sample, "--wiki", bot_env.api_url, "--page", title)
    assert code == 1 and "touch the same lines" in err and bot_env.current(title) == before
    assert f"postmortem: warning: revision {revid} by 'Human' has the tool's edit summary" in err
