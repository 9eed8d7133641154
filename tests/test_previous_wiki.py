"""The scorecard's previous five incidents, read from a real wiki by `pull`
([incident] previous_wiki), then used offline."""

import json

import pytest

from postmortem.core.errors import InputError
from postmortem.incident.load import load_incident
from postmortem.read.previous import read_previous
from postmortem.collect.pull import pull
from tests.conftest import REFERENCE, SEED
from tests.mediawiki import mediawiki  # noqa: F401  (the session fixture)

PREFIX = "Reports test/"
PAGES = {  # title -> reference report (start dates as the pages state them)
    "2023-09-28 mw-page-content-change-enrich": SEED.name,
    "2024-11-25 WMCS proxy nginx failure": "wikitech/wmcs-proxy-nginx.wiki",
    "2025-03-29 Upload cache unavailability": "wikitech/upload-cache.wiki",
    "2025-03-31 sessionstore unavailability": "wikitech/sessionstore.wiki",
    "2025-07-17 Cite VisualEditor references": "wikitech/cite-visualeditor-references.wiki",
    "2025-11-11 WMCS toolsdb primary down": "wikitech/toolsdb-primary-down.wiki",
    "2026-01-05 after this incident": "wikitech/sessionstore.wiki",
}


@pytest.fixture(scope="module")
def wiki_with_reports(mediawiki):  # noqa: F811
    session = mediawiki.session(mediawiki.human, mediawiki.human_password)
    for title, file in PAGES.items():
        token = mediawiki.api(session, action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        mediawiki.api(session, post=True, action="edit", title=PREFIX + title, token=token,
                      text=(REFERENCE / file).read_text(encoding="utf-8"), summary="earlier report")
    return mediawiki


def _incident(tmp_path, api_url):
    (tmp_path / "alert.txt").write_text("Date: Mon, 01 Dec 2025 10:05:00 +0000\n"
                                        "alertname = SessionStoreErrorRateHigh\nseverity = page\n")
    path = tmp_path / "incident.toml"
    path.write_text(f'''[incident]
id = "2025-12-01 sessionstore again"
start = "2025-12-01 10:00"
end = "2025-12-01 11:00"
responders = ["swfrench-wmf", "newcomer"]
previous_wiki = "{api_url}"
previous_prefix = "{PREFIX}"

[[source]]
type = "alert-email"
path = "alert.txt"
''')
    return load_incident(path)


def test_pull_reads_the_newest_earlier_reports_and_the_scorecard_uses_them(tmp_path, wiki_with_reports, run_cli):
    incident = _incident(tmp_path, wiki_with_reports.api_url)
    with pytest.raises(InputError, match="not been pulled"):
        read_previous(incident)
    result = pull(incident)
    assert result.ok and [r.line().split(":")[0] for r in result.results] == ["previous reports (wiki)"]
    assert "6 reports" in result.results[0].line()
    previous = read_previous(incident)
    assert [p.name for p in previous.reports] == [PREFIX + t for t in (
        "2025-11-11 WMCS toolsdb primary down", "2025-07-17 Cite VisualEditor references",
        "2025-03-31 sessionstore unavailability", "2025-03-29 Upload cache unavailability",
        "2024-11-25 WMCS proxy nginx failure")]

    code, out, _ = run_cli("scorecard", incident.path, "--format", "json")
    answers = {a["id"]: a for a in json.loads(out)["answers"]}
    repeat = answers["not-a-repeat"]
    assert (repeat["answer"], repeat["source"]) == ("no", "computed")
    assert any("2025-03-31 sessionstore" in e and "SessionStoreErrorRateHigh" in e for e in repeat["evidence"])
    different = answers["people-different"]
    assert different["answer"] == "no"  # swfrench-wmf coordinated the sessionstore incident: 1 of 2
    assert any(e.startswith("swfrench-wmf also in") for e in different["evidence"])


def test_a_second_pull_uses_the_cache_unless_refresh(tmp_path, wiki_with_reports):
    incident = _incident(tmp_path, wiki_with_reports.api_url)
    assert pull(incident).results[0].status == "fetched"
    assert pull(incident).results[0].status == "cached"
    assert pull(incident, refresh=True).results[0].status == "fetched"


def test_previous_folder_and_wiki_together_are_refused(tmp_path):
    path = tmp_path / "incident.toml"
    path.write_text('[incident]\nid = "x"\nstart = "2025-12-01 10:00"\nprevious = "."\n'
                    'previous_wiki = "http://127.0.0.1:1/api.php"\n')
    with pytest.raises(InputError, match="not both"):
        load_incident(path)
