"""The course's set-up promises: pins, Binder, CI, the lecture list, clean notebooks."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import course_lib as cl

ROOT = Path(__file__).resolve().parent.parent
COURSE_MAP = ROOT.parent / "shared" / "COURSE_MAP.md"


def _pins(path: Path) -> list[str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return sorted(line for line in lines if line)


def test_binder_installs_exactly_the_pinned_requirements():
    assert _pins(ROOT / "binder" / "requirements.txt") == _pins(
        ROOT / "requirements.txt"
    )


def test_every_requirement_is_pinned_exactly():
    for line in _pins(ROOT / "requirements.txt"):
        assert re.match(r"^[A-Za-z0-9_.\-\[\]]+==[\w.]+(\s*;.+)?$", line), line


def test_tensorflow_build_is_chosen_by_platform_markers():
    from packaging.markers import Marker

    pins = [p for p in _pins(ROOT / "requirements.txt") if p.startswith("tensorflow")]
    linux = {"sys_platform": "linux", "platform_machine": "x86_64"}
    mac = {"sys_platform": "darwin", "platform_machine": "arm64"}
    chosen = {
        name: [p.split("==")[0] for p in pins if Marker(p.split(";")[1]).evaluate(env)]
        for name, env in {"linux": linux, "mac": mac}.items()
    }
    assert chosen == {"linux": ["tensorflow-cpu"], "mac": ["tensorflow"]}


def test_binder_installs_course_lib_and_voila():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)
    assert "python-3.11" in (ROOT / "binder" / "runtime.txt").read_text()
    assert any(
        p.startswith("voila==") for p in _pins(ROOT / "binder" / "requirements.txt")
    )


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in (ROOT / "README.md").read_text()


def test_make_test_shares_the_files_between_workers_whole():
    """nbval runs a notebook's cells in order in one kernel: under pytest-xdist every
    file, so every notebook, must go to one worker (--dist loadfile)."""

    def dry_run(*args):
        return subprocess.run(
            ["make", "-n", "test", *args], cwd=ROOT, capture_output=True, text=True
        ).stdout

    assert "-n 2 --dist loadfile" in dry_run()
    assert "-n 3 --dist loadfile" in dry_run("WORKERS=3")
    serial = dry_run("WORKERS=0")
    assert "pytest" in serial and "--dist" not in serial and " -n " not in serial


def test_notebook_peaks_reach_the_main_process_in_the_report(tmp_path):
    """Under xdist the worker measures the kernel; the main process prints the table."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    plumbing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plumbing)
    plumbing.ARTIFACTS = tmp_path
    for when, peak in [("setup", None), ("call", 700.0), ("call", 650.0)]:
        plumbing.pytest_runtest_logreport(
            SimpleNamespace(
                nodeid="notebooks/x.ipynb::Cell 1",
                duration=1.5,
                when=when,
                failed=False,
                user_properties=[]
                if peak is None
                else [(plumbing.PEAK_PROPERTY, peak)],
            )
        )
    assert plumbing._notebooks["notebooks/x.ipynb"] == {
        "seconds": 4.5,
        "cells": 2,
        "peak_mb": 700.0,
        "failed": False,
    }
    lines = []
    reporter = SimpleNamespace(write_line=lines.append, section=lambda title: None)
    plumbing.pytest_terminal_summary(reporter, SimpleNamespace(workerinput={}))
    assert lines == [] and not (tmp_path / "notebooks.json").exists()  # a worker
    plumbing.pytest_terminal_summary(reporter, SimpleNamespace())
    assert any("notebooks/x.ipynb" in line and "700" in line for line in lines)
    assert (
        json.loads((tmp_path / "notebooks.json").read_text())["notebooks/x.ipynb"][
            "peak_mb"
        ]
        == 700.0
    )


@pytest.mark.skipif(
    not COURSE_MAP.exists(), reason="shared/COURSE_MAP.md is not beside the repo"
)
def test_lecture_list_matches_the_course_map():
    rows = re.findall(r"^\| (\d\d) \| `(\w+)` \|", COURSE_MAP.read_text(), re.M)
    assert [(n, s) for n, s, _ in cl.course.LECTURES] == rows


def _notebooks():
    return sorted(
        p
        for p in (ROOT / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebooks_are_small_and_carry_no_widget_state(path):
    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook["metadata"], (
        "strip widget state: make clean-notebooks"
    )
    assert path.stat().st_size < 400_000
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error"
            assert (
                "image/png" not in output.get("data", {})
                or len(output["data"]["image/png"]) < 100_000
            )


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.name)
def test_notebooks_are_valid_so_jupyterlab_opens_them_without_a_warning(path):
    import nbformat

    nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize(
    "path",
    [p for p in _notebooks() if "dashboards" not in p.parts],
    ids=lambda p: p.name,
)
def test_notebooks_follow_the_skeleton(path):
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )
    assert cells[0]["cell_type"] == "markdown" and "".join(
        cells[0]["source"]
    ).startswith("# ")
    for heading in ("## Setup", "## Summary", "## Exercises"):
        assert heading in text, heading


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_starts_jupyterlab_headless():
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")
    }
    process = subprocess.Popen(
        ["make", "-s", "lab", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api", timeout=2
                ) as r:
                    assert "version" in json.loads(r.read())
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()[-2000:]
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 90 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as r:
            assert r.status == 200
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_readme_binder_badges_open_existing_notebooks():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(
        r"mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/main\?urlpath=(\w+)/([\w/.]+)", readme
    )
    kinds = {kind for kind, _ in targets}
    assert kinds == {"lab", "voila"}, targets
    for kind, path in targets:
        path = (
            path.removeprefix("tree/")
            if kind == "lab"
            else path.removeprefix("render/")
        )
        assert (ROOT / path).exists(), path


def test_dashboards_are_named_by_lecture_and_use_the_page_helper():
    dashboards = sorted((ROOT / "notebooks" / "dashboards").glob("*.ipynb"))
    assert dashboards
    lectures = {number for number, _, _ in __import__("course_lib").course.LECTURES}
    for path in dashboards:
        assert path.name[:2] in lectures and path.name[2] == "_", path.name
        source = "".join(
            "".join(c["source"]) for c in json.loads(path.read_text())["cells"]
        )
        assert "cl.widgets.dashboard.show(" in source, path.name


def test_benchmark_tables_are_the_ones_make_bench_wrote():
    """benchmarks/README.md quotes no benchmark number by hand: its tables are
    results.json's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_run", ROOT / "benchmarks" / "run.py"
    )
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    start = readme.index(run.README_START) + len(run.README_START)
    assert readme[start : readme.index(run.README_END)].strip() == run.readme_block(
        results
    )
    assert (ROOT / "benchmarks" / "results.md").read_text() == run.markdown(results)


TEST_TOOLS = (
    "pytest",
    "nbval",
    "hypothesis",
    "playwright",
    "ruff",
    "repo2docker",
    "sphinx",
)


def test_binder_and_students_install_no_test_tool():
    for path in (ROOT / "requirements.txt", ROOT / "binder" / "requirements.txt"):
        for pin in _pins(path):
            assert not any(tool in pin for tool in TEST_TOOLS), f"{path.name}: {pin}"


def test_the_development_requirements_add_to_the_students():
    lines = _pins(ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in lines
    for line in lines:
        if line != "-r requirements.txt":
            assert re.match(r"^[A-Za-z0-9_.\-\[\]]+==[\w.]+(\s*;.+)?$", line), line
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements-dev.txt" in makefile


def test_the_version_has_one_source():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cl.__version__ == project["version"]
    assert f"## {project['version']}" in (ROOT / "CHANGELOG.md").read_text()
    assert '__version__ = "' not in (ROOT / "course_lib" / "__init__.py").read_text()


def test_a_public_course_has_its_license_and_guides():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "MIT" in (ROOT / "README.md").read_text()
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    for piece in ("Title cell", "Exercises", "nbval-check-output", "make test"):
        assert piece in contributing, piece
    assert "../shared" not in (ROOT / "README.md").read_text()


def _readme_block(name: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]
    body = block.split("```bash")[1].split("```")[0]
    return [line.strip() for line in body.strip().splitlines()]


def test_the_readme_path_without_make_is_the_students_install():
    lines = [line for line in _readme_block("no-make") if not line.startswith("#")]
    assert lines == [
        "python -m venv .venv",
        "pip install -r requirements.txt",
        "pip install -e .",
        "jupyter lab notebooks/00_welcome.ipynb",
    ]


@pytest.mark.timeout(1500)
def test_the_readme_path_without_make_works_in_a_fresh_environment(tmp_path):
    """Run the README's lines for students without `make`, exactly, in a copy of the course
    (Linux stands in for Windows and macOS): a fresh venv from requirements.txt and the
    course installed with pip open JupyterLab on the welcome notebook, and course_lib
    imports there with its version."""
    import shutil
    import sys
    import urllib.error

    course = tmp_path / "course"
    shutil.copytree(
        ROOT,
        course,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "test-artifacts",
            "_build",
            "__pycache__",
            "*.egg-info",
        ),
    )
    shims = tmp_path / "shims"  # `python` is the Python 3.11 that runs these tests
    shims.mkdir()
    (shims / "python").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    venv_bin = course / ".venv" / "bin"
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    # What `source .venv/bin/activate` does: the venv's programs come first.
    env["PATH"] = f"{venv_bin}:{shims}:/usr/bin:/bin"
    lines = [line for line in _readme_block("no-make") if not line.startswith("#")]
    *install, lab = lines
    for line in install:
        result = subprocess.run(
            line, shell=True, cwd=course, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, (
            f"{line}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    version = subprocess.run(
        [venv_bin / "python", "-c", "import course_lib; print(course_lib.__version__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert version.stdout.strip() == cl.__version__, version.stderr[-2000:]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The README's last line, headless here: no browser, a known port, no token.
    server = subprocess.Popen(
        f"{lab} --no-browser --allow-root --ServerApp.ip=127.0.0.1 "
        f"--ServerApp.port={port} --IdentityProvider.token=",
        shell=True, cwd=course, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        page = ""
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_welcome.ipynb"
                page = urllib.request.urlopen(url, timeout=5).read().decode()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        assert "JupyterLab" in page, "jupyter lab did not serve the welcome notebook"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


# --- the checks before a commit (.pre-commit-config.yaml) -------------------------------

BIN = Path(os.sys.executable).parent


def _notebook(tags: list[str], outputs: list, count=None, **metadata) -> dict:
    cell = {
        "cell_type": "code",
        "execution_count": count,
        "id": "c1",
        "metadata": {"tags": tags, **metadata},
        "outputs": outputs,
        "source": "print(1)",
    }
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


PRINTED = [{"name": "stdout", "output_type": "stream", "text": "1\n"}]


def test_pre_commit_runs_clean_on_the_repository(tmp_path):
    """ruff, ruff format, nbstripout and the checked-cells hook pass on every tracked file."""
    result = subprocess.run(
        [str(BIN / "pre-commit"), "run", "--all-files", "--color=never"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for hook in ("ruff check", "ruff format", "nbstripout", "checked cells"):
        assert hook in result.stdout


def test_the_notebook_hooks_find_a_stray_output_and_an_unmarked_checked_cell(tmp_path):
    stray = tmp_path / "stray.ipynb"
    stray.write_text(json.dumps(_notebook([], PRINTED, count=3)))
    unmarked = tmp_path / "unmarked.ipynb"
    unmarked.write_text(json.dumps(_notebook(["nbval-check-output"], PRINTED, count=1)))
    clean = tmp_path / "clean.ipynb"
    clean.write_text(
        json.dumps(
            _notebook(["nbval-check-output"], PRINTED, count=1, keep_output=True)
        )
    )
    hooks = {}
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    strip = re.search(r"nbstripout --verify[^\n]*\n\s*(--extra-keys[^\n]*)", config)
    nbstripout = [str(BIN / "nbstripout"), "--verify", "--keep-count", "--keep-id"]
    nbstripout += ["--extra-keys", strip[1].split('"')[1]]
    checked = [
        str(BIN / "python"),
        str(ROOT / "tests" / "clean_notebooks.py"),
        "--check",
    ]
    for name, path in (("stray", stray), ("unmarked", unmarked), ("clean", clean)):
        hooks[name] = [
            subprocess.run([*hook, str(path)], capture_output=True).returncode
            for hook in (nbstripout, checked)
        ]
    assert hooks["stray"][0] != 0  # nbstripout: an output outside a checked cell
    assert hooks["unmarked"][1] != 0  # a checked cell not marked keep_output
    assert hooks["clean"] == [0, 0]
