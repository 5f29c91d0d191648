"""datasets/_build.py, the one helper of the build scripts: --check finds a difference,
a rebuild is moved into place atomically and rewrites its registry and README rows, and
every script uses it (no copies of its parts)."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from course_lib.data import registry

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
SCRIPTS = sorted(
    p for p in DATASETS.glob("*.py") if p.name != "_build.py"
)  # build_*.py and train_checkpoint.py


def _load_build():
    spec = importlib.util.spec_from_file_location("_build", DATASETS / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A registry with one more shipped row, ``tiny`` (b"old\\n"), in a folder of its own,
    and copies of the registry module and README for the helper to rewrite."""
    build = _load_build()
    old = b"old\n"
    digest = hashlib.sha256(old).hexdigest()
    files = tmp_path / "files"
    files.mkdir()
    (files / "tiny.txt").write_bytes(old)
    row = registry.Entry("tiny", "tiny.txt", "txt", digest, len(old), "build_tiny.py")
    monkeypatch.setitem(registry.REGISTRY, "tiny", row)
    monkeypatch.setattr(registry, "FILES_DIR", files)
    table = tmp_path / "registry.py"
    table.write_text(
        f'    _shipped("tiny", "tiny.txt", "txt", {len(old)}, "{digest}", "build_tiny.py"),\n'
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        f"| `tiny.txt` | a tiny file | by hand | CC0 | 4 B | `{digest}` |\n"
    )
    monkeypatch.setattr(build, "REGISTRY_FILE", table)
    monkeypatch.setattr(build, "README", readme)
    return build, files, table, readme


def _writer(body: bytes):
    def build(paths, args):
        paths["tiny"].write_bytes(body)

    return build


def test_check_passes_when_the_rebuild_is_the_same(tiny, capsys):
    build, files, table, _ = tiny
    before = table.read_text()
    assert build.main(_writer(b"old\n"), ["tiny"], "Tiny.", argv=["--check"]) == 0
    assert "tiny.txt: matches" in capsys.readouterr().out
    assert table.read_text() == before


def test_check_detects_a_difference_and_leaves_the_shipped_file(tiny, capsys):
    build, files, table, readme = tiny
    before = (table.read_text(), readme.read_text())
    seen = []

    def results(name, path):
        seen.append((name, path.read_bytes()))
        return {"accuracy": 0.9 if path.read_bytes() == b"old\n" else 0.8}

    status = build.main(
        _writer(b"new\n"),
        ["tiny"],
        "Tiny.",
        results=results,
        within=0.05,
        argv=["--check"],
    )
    out = capsys.readouterr().out
    assert status == 1 and "tiny.txt: DIFFERS" in out and "so do its results" in out
    assert "accuracy: rebuilt 0.8, shipped 0.9 (within 0.05? no)" in out
    assert "shipped sha256" in out
    assert seen == [("tiny", b"new\n"), ("tiny", b"old\n")]
    assert (files / "tiny.txt").read_bytes() == b"old\n"
    assert (table.read_text(), readme.read_text()) == before
    assert [p.name for p in files.iterdir()] == ["tiny.txt"]  # no temporary left


def test_a_rebuild_with_other_bytes_passes_when_its_results_are_close(tiny, capsys):
    """Training on another CPU: other weights, the same results within the script's
    ``within`` (one number, or one per result)."""
    build, files, *_ = tiny

    def results(name, path):
        new = path.read_bytes() == b"new\n"
        return {"accuracy": 0.91 if new else 0.9, "recall": 1.0}

    within = {"accuracy": 0.02, "recall": 0.0}
    status = build.main(
        _writer(b"new\n"),
        ["tiny"],
        "Tiny.",
        results=results,
        within=within,
        argv=["--check", "--keep", str(files.parent / "kept")],
    )
    out = capsys.readouterr().out
    assert status == 0 and "tiny.txt: reproduces its results" in out, out
    assert "accuracy: rebuilt 0.91, shipped 0.9 (within 0.02)" in out
    assert (files / "tiny.txt").read_bytes() == b"old\n"
    assert (files.parent / "kept" / "tiny.txt").read_bytes() == b"new\n"
    within["accuracy"] = 0.005
    status = build.main(
        _writer(b"new\n"), ["tiny"], "Tiny.", results=results, within=within,
        argv=["--check"],
    )  # fmt: skip
    assert status == 1 and "DIFFERS" in capsys.readouterr().out


def test_a_rebuild_moves_into_place_and_rewrites_the_rows(tiny, capsys):
    build, files, table, readme = tiny
    body = b"a new body\n"
    digest = hashlib.sha256(body).hexdigest()
    assert build.main(_writer(body), ["tiny"], "Tiny.", argv=[]) == 0
    assert (files / "tiny.txt").read_bytes() == body
    assert f'"txt", {len(body)}, "{digest}", "build_tiny.py")' in table.read_text()
    assert f"| 11 B | `{digest}` |" in readme.read_text()
    assert f"sha256 {digest}" in capsys.readouterr().out
    assert sorted(p.name for p in files.iterdir()) == ["tiny.txt"]


def test_a_failed_build_leaves_no_half_file(tiny):
    build, files, _, _ = tiny

    def broken(paths, args):
        paths["tiny"].write_bytes(b"half")
        raise RuntimeError("the training diverged")

    with pytest.raises(RuntimeError):
        build.main(broken, ["tiny"], "Tiny.", argv=[])
    assert [p.name for p in files.iterdir()] == ["tiny.txt"]
    assert (files / "tiny.txt").read_bytes() == b"old\n"


def test_script_options_reach_the_build(tiny):
    build, *_ = tiny
    got = []

    def record(paths, args):
        got.append(args.jobs)
        paths["tiny"].write_bytes(b"old\n")

    def options(parser):
        parser.add_argument("--jobs", type=int, default=3)

    build.main(record, ["tiny"], "Tiny.", options=options, argv=["--check", "--jobs=2"])
    assert got == [2]


def test_the_registry_rows_are_one_line_each_so_the_helper_can_rewrite_them():
    build = _load_build()
    text = build.REGISTRY_FILE.read_text()
    for name in registry.shipped_names():
        row = registry.REGISTRY[name]
        assert build.registry_row(name, row.size, row.sha256, text) == text, name


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_uses_the_helper_and_copies_none_of_it(script):
    text = script.read_text()
    assert "import _build" in text and "_build.main(" in text
    for copy in ("sys.path.insert", "def bundled_mnist", "def save_reproducibly"):
        assert copy not in text, f"{script.name} has its own {copy}"
    assert not re.search(r"hashlib\.sha256|tempfile\.", text), script.name
    assert 'add_argument(\n        "--check"' not in text


def test_the_helper_is_importable_from_the_scripts_folder():
    sys.path.insert(0, str(DATASETS))
    try:
        import _build  # noqa: F401 - what every script does
    finally:
        sys.path.remove(str(DATASETS))


def test_a_results_file_that_differs_only_in_its_run_record_passes(tmp_path):
    build = _load_build()
    old, new, other = (tmp_path / n for n in ("old.json", "new.json", "other.json"))
    old.write_text('{"accuracy": [0.91, 0.9], "seconds": 872, "machine": "2 cores"}')
    new.write_text('{"accuracy": [0.91, 0.9], "seconds": 95, "machine": "16 cores"}')
    other.write_text('{"accuracy": [0.91, 0.8], "seconds": 872, "machine": "2 cores"}')
    assert build.largest_difference(new, old) == 0.0
    assert build.largest_difference(other, old) == pytest.approx(0.1)


def test_every_number_of_a_results_file_is_a_result_but_its_run_record(tmp_path):
    build = _load_build()
    path = tmp_path / "r.json"
    path.write_text(
        '{"what": "text", "a": {"acc": [0.9, 1]}, "ok": true, "seconds": 3, '
        '"machine": "x"}'
    )
    assert build.every_number("r", path) == {"/a/acc/0": 0.9, "/a/acc/1": 1.0}


UNTRAINED = {"build_bundles.py", "build_shakespeare.py", "build_dashboard_outputs.py"}
"""Scripts that train nothing (they copy data, or run shipped networks once)."""
TRAINING = [p for p in SCRIPTS if p.name not in UNTRAINED]


def _load_script(path: Path):
    """Import a build script as a module (its top level only: no training), leaving
    the environment as it was (some scripts set defaults such as COURSE_OFFLINE)."""
    import os
    from unittest import mock

    sys.path.insert(0, str(DATASETS))
    try:
        with mock.patch.dict(os.environ):
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(DATASETS))
    return module


@pytest.mark.parametrize("script", TRAINING, ids=lambda p: p.name)
def test_every_training_script_measures_the_results_of_its_shipped_files(script):
    """Training is not bit-reproducible across CPUs, so each training script names the
    results its lecture reads (``results``) and how close a rebuild's must be
    (``WITHIN``); measured here on its shipped files, every result is a finite number
    with an allowance."""
    import math

    call = script.read_text().split("_build.main(", 1)[1]
    assert "results=results" in call and "within=WITHIN" in call, script.name
    module = _load_script(script)
    build = _load_build()
    names = [n for n, row in registry.REGISTRY.items() if row.script == script.name]
    assert names, script.name
    for name in names:
        found = module.results(name, registry.location(name))
        assert found and all(math.isfinite(v) for v in found.values()), (name, found)
        for key, value in found.items():  # every result has an allowance that bites
            allowed = build.allowance(key, module.WITHIN)
            step = allowed or 1.0
            moved = dict(found, **{key: value + 1.5 * step})
            assert not build._same_results(moved, found, module.WITHIN)[0], key
            if allowed:
                moved[key] = value + 0.5 * allowed
                assert build._same_results(moved, found, module.WITHIN)[0], key


def test_a_result_without_an_allowance_is_named():
    build = _load_build()
    assert build.allowance("/vae/3/kl", {"kl": 0.1, "seed": 0}) == 0.1
    assert build.allowance("accuracy", 0.02) == 0.02
    with pytest.raises(ValueError, match="no allowance for the result '/vae/3/mse'"):
        build.allowance("/vae/3/mse", {"kl": 0.1})
