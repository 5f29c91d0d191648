"""The Binder / JupyterHub image: what repo2docker would build from this repository.

``jupyter-repo2docker --no-build --debug`` prints the Dockerfile it generates without
building anything (no Docker daemon needed). The same image serves Binder and a course's
own JupyterHub (see "Teaching a class" in the README).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dockerfile() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout + result.stderr


def test_the_image_uses_python_3_11(dockerfile):
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert "Building conda environment for python=3.11" in dockerfile
    assert "environment-2epy-2d3-2e11-2dlinux-2d64" in dockerfile  # the 3.11 lock file


def test_the_image_installs_the_pinned_requirements(dockerfile):
    assert "COPY --chown=0:0 src/binder/requirements.txt" in dockerfile
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    pins = (ROOT / "binder" / "requirements.txt").read_text()
    assert "tensorflow-cpu==" in pins and "voila==" in pins


def test_the_image_runs_post_build_after_copying_the_course(dockerfile):
    copy = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    post_build = dockerfile.index("RUN ./binder/postBuild")
    assert copy < post_build  # postBuild installs course_lib from the copied tree
    assert "pip install --no-deps -e ." in (ROOT / "binder" / "postBuild").read_text()


def test_the_class_link_opens_the_welcome_notebook():
    import urllib.parse

    readme = (ROOT / "README.md").read_text()
    link = re.search(r"https://<your-hub>/hub/user-redirect/git-pull\?\S+", readme)
    assert link, "the README's 'Teaching a class' gives no nbgitpuller link"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.group()).query)
    assert query["repo"] == ["https://github.com/convnets-course/convnets-course"]
    assert query["branch"] == ["main"]
    folder, _, notebook = query["urlpath"][0].removeprefix("lab/tree/").partition("/")
    assert folder == query["repo"][0].rsplit("/", 1)[1]  # nbgitpuller's folder name
    assert (ROOT / notebook).exists(), notebook


def test_nbgitpuller_is_enabled_in_the_image():
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    listing = result.stdout + result.stderr
    assert re.search(r"nbgitpuller\s+(\x1b\[\d+m)?enabled", listing), listing[-1000:]
