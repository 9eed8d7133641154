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
