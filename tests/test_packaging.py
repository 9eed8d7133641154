"""A plain (non-editable) install renders from any directory: the templates
travel inside the wheel."""

import os
import shutil
import subprocess
import venv

from tests.conftest import ROOT, SAMPLE

IGNORE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                ".hypothesis", "*.events.json")


def test_installed_wheel_renders_from_another_directory(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    env_dir = tmp_path / "venv"
    # System site-packages provide the dependencies; the project itself is built and
    # installed for real (not editable), without reaching the network.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(source)],
                   check=True, cwd=tmp_path)
    shutil.rmtree(source)  # nothing may be read from the source tree any more
    # nor from the checkout running these tests (PYTHONPATH=<checkout> would import it instead)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "report.wiki"
    done = subprocess.run([env_dir / "bin" / "postmortem", "render", SAMPLE / "incident.toml", "-o", out],
                          cwd=elsewhere, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("{{irdoc|status=review}}")
    where = subprocess.run([python, "-c", "import postmortem.core.files as f; print(f.templates_dir())"],
                           cwd=elsewhere, capture_output=True, text=True, check=True, env=env).stdout.strip()
    assert where.startswith(str(env_dir)), where
    module = subprocess.run([python, "-m", "postmortem", "--version"], cwd=elsewhere,
                            capture_output=True, text=True, env=env)
    assert module.returncode == 0 and module.stdout.startswith("postmortem ")
    # the review page's files travel inside the wheel too (package data, no build step)
    page = subprocess.run([python, "-c", "from importlib import resources; s = resources.files('postmortem.review')"
                           ".joinpath('static'); print(sorted(p.name for p in s.iterdir()), s)"],
                          cwd=elsewhere, capture_output=True, text=True, check=True, env=env).stdout
    assert "['index.html', 'review.css', 'review.js']" in page and str(env_dir) in page
