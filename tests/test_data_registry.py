"""cl.data's registry: one row per shipped or downloaded file, and the verified lookup."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from course_lib import data
from course_lib.data import registry

SHIPPED = data.shipped_names()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_entry_verifies(name):
    row = data.REGISTRY[name]
    file = data.path(name)
    assert file.name == row.filename and file.parent == data.FILES_DIR
    assert file.stat().st_size == row.size
    assert hashlib.sha256(file.read_bytes()).hexdigest() == row.sha256
    assert row.format == row.filename.rsplit(".", 1)[1]


def test_the_folder_holds_exactly_the_shipped_entries():
    files = {
        p.name
        for p in data.FILES_DIR.iterdir()
        if p.is_file() and p.suffix not in {".py", ".md"}
    }
    assert files == {data.REGISTRY[name].filename for name in SHIPPED}


def test_every_row_says_where_it_comes_from():
    scripts = Path(__file__).resolve().parent.parent / "datasets"
    for name, row in data.REGISTRY.items():
        if row.shipped:  # a script that exists, or written by hand (no script)
            assert not row.script or (scripts / row.script).exists(), name
        else:  # a download: its URLs, and a checksum or a content check
            assert row.urls and all(u.startswith("https://") for u in row.urls), name
            assert row.sha256 or (row.check and row.size_range), name
        if row.bundle:
            assert registry.by_filename(row.bundle).shipped


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A copy of the shipped folder that a test may damage."""
    folder = tmp_path / "files"
    shutil.copytree(data.FILES_DIR, folder)
    monkeypatch.setattr(registry, "FILES_DIR", folder)
    return folder


def test_a_truncated_file_names_itself_and_the_script_that_rebuilds_it(files):
    target = files / "vae_2d.npy"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(data.BadDataFile) as info:
        data.path("vae_2d")
    message = str(info.value)
    assert "vae_2d.npy has 1,000 bytes, not the 808,616" in message
    assert "datasets/build_vae.py" in message


def test_a_changed_file_fails_its_sha256(files):
    target = files / "remedy_curves.json"
    body = bytearray(target.read_bytes())
    body[100] ^= 1
    target.write_bytes(bytes(body))
    with pytest.raises(ValueError, match="remedy_curves.json fails its sha256 check"):
        data.path("remedy_curves")
    (files / "face_benchmark.json").write_text("{}")  # written by hand: no script
    with pytest.raises(ValueError, match="written by hand"):
        data.path("face_benchmark")


def test_a_missing_file_says_how_to_get_it_back(files):
    (files / "text_model.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"text_model.npz is missing.*build_t"):
        data.path("text_model")


def test_the_check_runs_once_per_process_and_again_for_a_changed_file(
    files, monkeypatch
):
    calls = []
    real = registry.sha256_of
    monkeypatch.setattr(registry, "sha256_of", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        data.path("vae_beta")
    assert len(calls) == 1
    target = files / "vae_beta.json"
    body = target.read_bytes()
    target.write_bytes(body[:-2] + b"0\n")  # same size, other bytes, a new mtime
    os.utime(target, ns=(0, 0))
    with pytest.raises(ValueError, match="sha256"):
        data.path("vae_beta")
    assert len(calls) == 2


def test_unknown_names_and_downloads_are_told_apart():
    with pytest.raises(ValueError, match="unknown data set 'cifar'"):
        data.path("cifar")
    with pytest.raises(ValueError, match="downloaded, not shipped"):
        data.path("mnist")


def test_hashing_is_one_function_for_sha256_and_keras_md5(tmp_path):
    file = tmp_path / "f.bin"
    file.write_bytes(b"course")
    assert data.sha256_of(file) == hashlib.sha256(b"course").hexdigest()
    assert registry.hash_matches(file, "md5:" + hashlib.md5(b"course").hexdigest())
    assert not registry.hash_matches(file, "md5:" + "0" * 32)
    assert not registry.hash_matches(file, "")


def test_the_shipped_loaders_read_the_verified_files():
    (x_train, y_train), (x_test, _) = data.load_mnist_5k()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert data.load_shakespeare().startswith("MACBETH")
    assert data.load_ilsvrc_history()[0]["year"] == 2011
