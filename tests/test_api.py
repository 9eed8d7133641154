"""The public API: every name in __all__ resolves, and importing the package
loads neither the HTTP stack nor the wikitext parser."""

import subprocess
import sys

import postmortem


def test_every_public_name_resolves():
    for name in postmortem.__all__:
        assert getattr(postmortem, name) is not None, name


def test_api_round_trip_on_the_sample(sample_incident_path):
    incident = postmortem.load_incident(sample_incident_path)
    report = postmortem.parse_report(postmortem.render_report(postmortem.gather(incident)))
    assert report.to_json()["metadata"]["task"] == "T347521"
    assert postmortem.lint_report(report) == []


def test_render_does_not_import_requests_or_mwparserfromhell(sample_incident_path, tmp_path):
    code = ("import sys; from postmortem.cli import main; "
            f"main(['render', {str(sample_incident_path)!r}, '-o', {str(tmp_path / 'r.wiki')!r}]); "
            "print(sorted(m for m in ('requests', 'urllib3', 'mwparserfromhell') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_field_of_an_incident_is_a_fact_or_a_setting(sample_incident_path):
    """Issue 23: the facts of what happened apart from how to gather and publish them."""
    from dataclasses import fields
    facts = {f.name for f in fields(postmortem.IncidentFacts)}
    settings = {f.name for f in fields(postmortem.IncidentSettings)}
    assert not facts & settings
    assert facts | settings == {f.name for f in fields(postmortem.Incident)}
    incident = postmortem.load_incident(sample_incident_path)
    assert incident.facts.actionables == incident.actionables and incident.settings.sources == incident.sources


def test_every_error_a_public_function_raises_is_exported_in_one_tree():
    for name in ("InputError", "IncidentFileError", "SourceFormatError", "SourceError", "ReportError", "WikiError",
                 "UnresolvedFindings", "MergeConflict"):
        assert issubclass(getattr(postmortem, name), postmortem.PostmortemError), name


def test_the_steps_after_gather_take_the_gathered_records():
    """One calling shape: ``Records`` in, a value out (the entry points load,
    pull and gather an incident; the database flow takes a report)."""
    import inspect
    steps = ("key_moments", "filter_events", "incident_metrics", "render_report", "render_graph", "render_charts",
             "format_timeline", "computed_scorecard", "publish", "update")
    for name in steps:
        first = next(iter(inspect.signature(getattr(postmortem, name)).parameters.values()))
        assert (first.name, first.annotation) == ("records", "Records"), name
    assert not hasattr(postmortem, "collect_events")   # it was gather(incident).events again


def test_a_public_function_is_not_hidden_by_a_subpackage_of_its_name():
    """Defect: ``postmortem.publish`` was the function until anything imported
    the ``postmortem/publish/`` package, then that package (Python sets a
    subpackage as an attribute of its parent on import)."""
    import pathlib
    folder = pathlib.Path(postmortem.__file__).parent
    below = {p.stem if p.is_file() else p.name for p in folder.iterdir() if p.suffix == ".py" or p.is_dir()}
    assert not below & set(postmortem.__all__)
    code = ("import postmortem, postmortem.publishing.report_page, postmortem.collect.pull; "
            "print(callable(postmortem.publish), callable(postmortem.update), callable(postmortem.pull))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]
