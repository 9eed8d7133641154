"""`lint`/`parse`/`report-scorecard --wiki URL --page TITLE` when the page is not
there: an input error (exit 2), one line naming the page and the wiki."""

from __future__ import annotations

import pytest

from tests.mediawiki import mediawiki  # noqa: F401  (the fixture)


@pytest.mark.parametrize("command", ["lint", "parse", "report-scorecard"])
def test_a_page_that_does_not_exist_is_exit_2(run_cli, mediawiki, command):  # noqa: F811
    code, out, err = run_cli(command, "--wiki", mediawiki.api_url, "--page", "Incidents/None such")
    assert code == 2 and out == ""
    assert err.splitlines() == [f"postmortem: error: --page: no page 'Incidents/None such' "
                                f"on the wiki {mediawiki.api_url}"]


def test_an_invalid_title_is_exit_2(run_cli, mediawiki):  # noqa: F811
    code, _, err = run_cli("lint", "--wiki", mediawiki.api_url, "--page", "Incidents/a{b}")
    assert code == 2 and len(err.splitlines()) == 1
    assert "'Incidents/a{b}'" in err and mediawiki.api_url in err

