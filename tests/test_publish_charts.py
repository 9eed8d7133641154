"""The [[graph]] pictures on a real MediaWiki (tests/mediawiki.py): `publish`
uploads each under its own name, `File:Incident <id> <slug>.svg`, and the wiki
accepts and draws it; the same picture for a second page is embedded as it is;
a different picture is never uploaded over a file the tool did not upload for
the same page (unless --replace-graph); `update` uploads a picture again only
when it changed, and keeps the embed of a graph whose last pull failed.

Each test works on incidents of its own (their own ids, so their own file names).
"""

from __future__ import annotations

import json
import time

from postmortem._version import __version__
from postmortem.collect.pull import pull
from postmortem.incident.load import load_incident
from postmortem.timeline.gather import gather
from postmortem.publishing.report_page import publish, update
from tests.mediawiki import bot, bot_env, cli, mediawiki  # noqa: F401  (the fixtures)
from tests.services import Answer, FakeServer, broken_app
from tests.test_publish_graph import embeds, file_versions, incident_copy

SLUG = "kafka-consumer-lag"


def chart(incident_id: str, slug: str = SLUG) -> str:
    return f"Incident {incident_id} {slug}.svg"


def change_series(toml) -> None:
    """Double every value of the recorded answer: another picture."""
    path = toml.parent / "metrics" / "backlog.json"
    answer = json.loads(path.read_text(encoding="utf-8"))
    for item in answer["data"]["result"]:
        item["values"] = [[t, str(int(v) * 2)] for t, v in item["values"]]
    path.write_text(json.dumps(answer), encoding="utf-8")


def test_publish_uploads_each_graph_and_the_wiki_draws_it(cli, bot_env, tmp_path):
    incident_id, title = "2023-09-28 charts publish", "Incidents/Charts publish"
    toml = incident_copy(tmp_path, incident_id)
    code, out, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0, err
    assert out.splitlines()[1:] == [f"uploaded File:{chart(incident_id)}"]
    (version,) = file_versions(bot_env, chart(incident_id))
    assert version["comment"] == f"postmortem {__version__}: graph {SLUG} of [[{title}]]"
    assert f"[[File:{chart(incident_id)}|thumb|none|900px|Kafka consumer lag ([https://grafana.wikimedia.org/" in \
        bot_env.text(title)
    assert embeds(bot_env, title, chart(incident_id))        # accepted, and drawn as a thumbnail
    description = bot_env.text(f"File:{chart(incident_id)}")
    assert f"[[{title}]]" in description and "kafka&#95;burrow&#95;partition&#95;lag" not in description
    assert "<code>sum by (topic) (kafka_burrow_partition_lag&#123;group=" in description


def test_the_same_picture_for_a_second_page_is_embedded_as_it_is(cli, bot_env, tmp_path):
    incident_id = "2023-09-28 charts twice"
    toml = incident_copy(tmp_path, incident_id)
    assert cli("publish", toml, "--wiki", bot_env.api_url, "--page", "Incidents/Charts twice")[0] == 0
    before = file_versions(bot_env, chart(incident_id))
    code, out, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", "Incidents/Charts twice (copy)")
    assert code == 0, err
    assert "uploaded" not in out and file_versions(bot_env, chart(incident_id)) == before
    assert f"embedded File:{chart(incident_id)} (the same picture is there already)" in out
    assert embeds(bot_env, "Incidents/Charts twice (copy)", chart(incident_id))


def test_another_picture_is_never_uploaded_over_another_pages_file(cli, bot_env, tmp_path):
    incident_id = "2023-09-28 charts other page"
    first, second = "Incidents/Charts other page", "Incidents/Charts other page (draft)"
    toml = incident_copy(tmp_path, incident_id)
    assert cli("publish", toml, "--wiki", bot_env.api_url, "--page", first)[0] == 0
    before = file_versions(bot_env, chart(incident_id))
    change_series(toml)
    code, out, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", second)
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"File:{chart(incident_id)} already exists" in err and f"[[{first}]], not [[{second}]]" in err
    assert "change the graph's title, or --replace-graph" in err
    assert bot_env.current(second) == {} and file_versions(bot_env, chart(incident_id)) == before
    time.sleep(1.1)  # MediaWiki names archived file versions by the second
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", second, "--replace-graph")
    assert code == 0, err
    assert len(file_versions(bot_env, chart(incident_id))) == 2


def test_a_file_drawn_by_hand_under_the_name_is_refused(cli, bot_env, tmp_path):
    from postmortem.net.mediawiki import Wiki
    incident_id = "2023-09-28 charts by hand"
    human = Wiki(bot_env.api_url)
    human.login(bot_env.human, bot_env.human_password)
    hand = b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
    assert human.upload_file(chart(incident_id), hand, comment="my own drawing")["result"] == "Success"
    toml = incident_copy(tmp_path, incident_id)
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", "Incidents/Charts by hand",
                       "--graph")
    assert code == 1 and "uploaded by Human" in err and "not by postmortem" in err
    assert file_versions(bot_env, f"Incident {incident_id} timeline.svg") == []   # nothing, not even the timeline
    assert bot_env.current("Incidents/Charts by hand") == {}


def test_update_uploads_a_picture_again_only_when_it_changed(cli, bot_env, tmp_path):
    incident_id, title = "2023-09-28 charts update", "Incidents/Charts update"
    toml = incident_copy(tmp_path, incident_id)
    assert cli("publish", toml, "--wiki", bot_env.api_url, "--page", title)[0] == 0
    code, out, err = cli("update", toml, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0 and "upload" not in err and len(file_versions(bot_env, chart(incident_id))) == 1
    change_series(toml)
    code, out, err = cli("update", toml, "--wiki", bot_env.api_url, "--page", title, "--dry-run")
    assert code == 0 and f"would upload File:{chart(incident_id)}" in err
    assert len(file_versions(bot_env, chart(incident_id))) == 1
    time.sleep(1.1)
    code, out, err = cli("update", toml, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0 and f"uploaded File:{chart(incident_id)}" in err, err
    assert f"{title}: no change" in out                           # the page text is the same, the picture not
    versions = file_versions(bot_env, chart(incident_id))
    assert len(versions) == 2 and versions[0]["sha1"] != versions[1]["sha1"]


def pulled_incident(tmp_path, incident_id: str, url: str, query: str = "sum(lag)"):
    path = tmp_path / "incident.toml"
    path.write_text(f'''[incident]
id = "{incident_id}"
start = "2023-09-28 14:00"
end = "2023-09-28 15:00"

[[graph]]
title = "Lag"
url = "{url}"
query = "{query}"
''', encoding="utf-8")
    return path


def answer():
    t0 = 1695907800   # 2023-09-28 13:30 UTC
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {}, "values": [[t0 + 60 * n, str(n % 7)] for n in range(121)]}]}}


def test_update_keeps_the_embed_of_a_graph_whose_pull_failed(cli, bot_env, bot, tmp_path):
    incident_id, title = "2023-09-28 charts kept", "Incidents/Charts kept"
    with FakeServer(lambda request: Answer.json(answer())) as good:
        path = pulled_incident(tmp_path, incident_id, good.url)
        assert pull(load_incident(path)).ok
    assert publish(gather(load_incident(path)), bot_env.api_url, title, wiki=bot).charts == [chart(incident_id, "lag")]
    with FakeServer(broken_app("500")) as broken:      # a new query, and its pull fails
        path = pulled_incident(tmp_path, incident_id, broken.url, query="sum(lag) by (pod)")
        assert not pull(load_incident(path)).ok
    code, out, err = cli("update", path, "--wiki", bot_env.api_url, "--page", title)
    assert code == 0, err
    assert "warning: graph[0] (lag) is not drawn: the last pull could not read it" in err
    assert f"kept File:{chart(incident_id, 'lag')} embedded earlier" in err and "uploaded" not in err
    assert f"[[File:{chart(incident_id, 'lag')}|thumb|none|900px|Lag]]" in bot_env.text(title)
    assert len(file_versions(bot_env, chart(incident_id, "lag"))) == 1
    result = update(gather(load_incident(path)), bot_env.api_url, title, wiki=bot)
    assert result.charts_kept == [chart(incident_id, "lag")] and result.uploaded == []


def test_the_timeline_graph_may_not_take_a_charts_name(cli, bot_env, tmp_path):
    incident_id = "2023-09-28 charts clash"
    toml = incident_copy(tmp_path, incident_id)
    code, _, err = cli("publish", toml, "--wiki", bot_env.api_url, "--page", "Incidents/Charts clash",
                       "--graph", chart(incident_id))
    assert code == 2 and "is the file of a [[graph]] of this incident" in err
    assert file_versions(bot_env, chart(incident_id)) == []
