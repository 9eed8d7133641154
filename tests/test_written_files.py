"""The files the tool writes (issue 22, item 6): the event cache readable by
its owner only, what the user asked for with the umask; every write all or
nothing, names too long for the file system one line naming them before
anything is written; `init` of a folder that cannot be made one line."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from postmortem.collect import cache
from postmortem.core.errors import InputError
from postmortem.core.files import write_all_atomically, write_atomically
from postmortem.core.model import MAX_SLUG, graph_slug
from postmortem.incident.load import load_incident
from tests.conftest import SAMPLE, write_incident


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_the_event_cache_is_the_owner_s_alone_even_where_it_replaces_a_readable_one(tmp_path, umask_022):
    incident = load_incident(write_incident(tmp_path, ""))
    path = cache.cache_path(incident)
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)                        # a cache written before: world-readable
    pulled = cache.EventCache(incident)
    pulled.replace_pulled({})
    pulled.save()
    assert mode(path) == 0o600
    path.chmod(0o644)
    pulled = cache.EventCache(incident)
    pulled.replace_followups({})
    pulled.save()
    assert mode(path) == 0o600


def test_a_report_asked_for_keeps_the_umask(tmp_path, run_cli, umask_022):
    out = tmp_path / "report.wiki"
    assert run_cli("render", SAMPLE / "incident.toml", "-o", out)[0] == 0
    assert mode(out) == 0o644


def test_files_written_together_are_all_written_or_none(tmp_path):
    first, long = tmp_path / "first.wiki", tmp_path / ("g" * 300 + ".svg")
    first.write_text("before", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_all_atomically([(first, "after"), (long, "<svg/>")])
    assert str(caught.value).startswith(str(tmp_path / ("g" * (100 - len(str(tmp_path)) - 1))))
    assert str(caught.value).endswith("characters): cannot write: the file name is longer than the 255 bytes "
                                      "this file system allows")
    assert first.read_text(encoding="utf-8") == "before" and sorted(p.name for p in tmp_path.iterdir()) == [
        "first.wiki"]


def test_a_name_as_long_as_the_file_system_allows_is_written(tmp_path):
    # the temp file beside it must not be longer than the name itself
    path = tmp_path / ("r" * 250 + ".wiki")
    write_atomically(path, "text")
    assert path.read_text(encoding="utf-8") == "text" and len(list(tmp_path.iterdir())) == 1


def test_init_of_a_folder_that_cannot_be_made_is_one_line(tmp_path, run_cli):
    code, out, err = run_cli("init", tmp_path / ("d" * 300))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.endswith(": cannot create the folder: File name too long\n") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def sample_with_graph_title(folder, title: str):
    """The sample incident copied to ``folder``, its [[graph]] titled ``title``."""
    shutil.copytree(SAMPLE, folder)
    path = folder / "incident.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('title = "Kafka consumer lag"', f'title = "{title}"', 1), encoding="utf-8")
    return path


def test_a_graph_with_a_5000_character_title_is_written_where_the_report_says(tmp_path, run_cli):
    path = sample_with_graph_title(tmp_path / "incident", "Kafka consumer lag " * 263)
    report = tmp_path / "report.md"
    code, _, err = run_cli("render", path, "--format", "markdown", "-o", report)
    assert code == 0, err
    embedded = re.findall(r"!\[[^\]]*\]\(<?(report-[^)>]+\.svg)>?\)", report.read_text(encoding="utf-8"))
    assert len(embedded) == 1 and (tmp_path / embedded[0]).is_file()
    assert len(embedded[0]) == len("report-") + MAX_SLUG + len(".svg") and embedded[0].startswith(
        "report-kafka-consumer-lag-kafka-consumer-lag-")


def test_a_report_whose_pictures_cannot_be_written_is_not_written_either(tmp_path, run_cli):
    path = sample_with_graph_title(tmp_path / "incident", "Kafka consumer lag")
    report = tmp_path / ("r" * 240 + ".md")      # a name the file system takes; its picture's is too long
    code, out, err = run_cli("render", path, "--format", "markdown", "-o", report)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "the file name is longer than the 255 bytes this file system allows" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident"]


def test_long_titles_that_differ_past_the_cut_name_different_files():
    first, second = ("Kafka consumer lag " * 263 + "eqiad"), ("Kafka consumer lag " * 263 + "codfw")
    assert graph_slug(first) != graph_slug(second) and len(graph_slug(first)) == MAX_SLUG
    assert graph_slug("Error rate (5xx)") == "error-rate-5xx"   # a title of a usual length: as it was
