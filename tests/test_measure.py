"""benchmarks/measure.py (make measure): title cells and the README carry what it measured."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "measure", ROOT / "benchmarks" / "measure.py"
)
measure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(measure)

MACHINE = {"cpu": "Test CPU", "cores": 2}


def _notebook(tmp_path, title: str) -> Path:
    path = tmp_path / "06_example.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(title)]
    nbformat.write(notebook, path)
    return path


def test_a_measurement_replaces_the_typed_estimate(tmp_path, monkeypatch):
    full = {
        "machine": MACHINE,
        "notebooks": {"06_example.ipynb": {"seconds": 150.4, "peak_mb": 900}},
    }
    fast = {
        "machine": MACHINE,
        "notebooks": {"06_example.ipynb": {"seconds": 41, "peak_mb": 700}},
    }
    (tmp_path / "full.json").write_text(json.dumps(full))
    (tmp_path / "fast.json").write_text(json.dumps(fast))
    monkeypatch.setattr(measure, "FULL", tmp_path / "full.json")
    monkeypatch.setattr(measure, "FAST", tmp_path / "fast.json")
    path = _notebook(
        tmp_path,
        "# 06 · Example\n\n*Time on a laptop CPU:* about 2 minutes\n(typed by hand).\n"
        "*GPU:* not needed.",
    )
    assert measure.stamp_titles([path]) == ["06_example.ipynb"]
    title = nbformat.read(path, as_version=4).cells[0].source
    assert "Time on a laptop CPU" not in title and "typed by hand" not in title
    assert (
        "*Measured:* 2 min 30 s from top to bottom, at most 0.88 GB of memory" in title
    )
    assert "fast mode" not in title and "make measure" not in title
    assert title.endswith("*GPU:* not needed.")
    assert measure.stamp_titles([path]) == []  # the second time nothing changes
    full["notebooks"]["06_example.ipynb"]["peak_mb"] = 800  # measured again
    (tmp_path / "full.json").write_text(json.dumps(full))
    assert measure.stamp_titles([path]) == ["06_example.ipynb"]
    title = nbformat.read(path, as_version=4).cells[0].source
    assert "at most 0.78 GB of memory" in title and "0.88 GB" not in title
    assert title.endswith("*GPU:* not needed.")  # the next field survives a re-stamp


def test_the_readme_table_flags_what_misses_the_targets():
    full = {
        "machine": MACHINE,
        "notebooks": {"a.ipynb": {"seconds": 330, "peak_mb": 1100}},
    }
    table = measure.readme_table(full, {"notebooks": {}})
    assert "| `a.ipynb` | 5 min 30 s | 1.07 GB (above 1.0) | — | — | — |" in table
    full["notebooks"]["a.ipynb"]["private_peak_mb"] = 512
    table = measure.readme_table(full, {"notebooks": {}})
    assert "| `a.ipynb` | 5 min 30 s | 1.07 GB (above 1.0) | 0.50 GB | — | — |" in table
    assert table.startswith(measure.START) and table.endswith(measure.END)


def test_unknown_lecture_numbers_are_refused():
    with pytest.raises(SystemExit, match="no lecture notebook numbered 99"):
        measure.lecture_notebooks(["99"])


def test_title_cells_agree_with_the_measurements_when_there_are_some():
    full, fast = measure._load(measure.FULL), measure._load(measure.FAST)
    for path in measure.lecture_notebooks():
        line = measure.title_line(path.name, full, fast)
        title = nbformat.read(path, as_version=4).cells[0].source
        if line is not None:
            assert line in title, f"{path.name}: run make measure (or --stamp)"


def test_every_title_cell_says_to_shut_down_unused_kernels():
    for path in measure.lecture_notebooks():
        title = " ".join(nbformat.read(path, as_version=4).cells[0].source.split())
        assert "Shut Down Kernel" in title, path.name


def _code_notebook(path: Path, source: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell(source),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)
    return path


def test_the_ci_check_fails_when_a_notebook_fails_and_writes_nothing(
    tmp_path, capsys, monkeypatch
):
    executed = tmp_path / "executed"
    monkeypatch.setattr(measure, "EXECUTED", executed)
    good = _code_notebook(
        tmp_path / "01_good.ipynb", "import os\nprint(os.environ['COURSE_OFFLINE'])"
    )
    bad = _code_notebook(
        tmp_path / "02_bad.ipynb", "assert 0.4 > 0.97, 'did not learn'"
    )
    before = sorted(p.name for p in tmp_path.iterdir()) + ["executed"]
    assert measure.check([good], fast=False, offline=True) == 0
    assert "all 1 notebooks ran in full mode" in capsys.readouterr().out
    assert measure.check([bad, good], fast=False, offline=True) == 1
    out = capsys.readouterr().out
    assert "02_bad.ipynb ...\n  FAILED" in out and "did not learn" in out
    assert "1 of 2 notebooks failed in full mode: 02_bad.ipynb" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)
    # Only the notebook that ran cleanly is kept, executed, for the website.
    assert sorted(p.name for p in executed.iterdir()) == ["01_good.ipynb"]
    kept = nbformat.read(executed / "01_good.ipynb", as_version=4)
    assert kept.cells[1].outputs[0]["text"] == "1\n"


def test_the_site_is_built_from_the_full_mode_copies():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test-full") < ci.index("make site SITE_ARGS=--no-run")
    assert ci.index("make site") < ci.index("make test-site")
    assert measure.EXECUTED == ROOT / "build" / "executed"


def test_ci_runs_the_full_mode_pass_after_the_test_suite():
    ci = (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert ci.index("make test\n") < ci.index("make test-full")
    assert "benchmarks/measure.py --check" in makefile.split("\ntest-full:", 1)[1]


def test_the_private_peak_is_the_largest_anonymous_memory_seen():
    """A child that holds 200 MB of its own for a moment, then frees it: the sampled
    private peak sees the 200 MB; a file's pages would not count."""
    import subprocess

    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            'import time; b = b"x" * (200 * 2**20); time.sleep(0.5); del b; '
            "time.sleep(0.5)",
        ]
    )
    try:
        private = measure.PrivatePeak(child.pid, every=0.02).start()
        child.wait(timeout=30)
        mb = private.stop()
    finally:
        child.kill()
    assert 200 <= mb < 300, mb
