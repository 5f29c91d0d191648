"""cl.data: registry, checked downloads, atomic writes, and the offline fallback."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
import time

import numpy as np
import pytest

import course_lib as cl
from course_lib import data


def _fake_mnist_npz(n_train=30, n_test=10) -> bytes:
    """A small file in the layout of keras' mnist.npz, so a download can be tested offline."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=np.arange(n_train, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=np.arange(n_test, dtype=np.uint8) % 10,
    )
    return buffer.getvalue()


def _point_mnist_at(monkeypatch, urls, payload: bytes):
    entry = dataclasses.replace(
        data.REGISTRY["mnist"],
        urls=tuple(urls),
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
    )
    monkeypatch.setitem(data.REGISTRY, "mnist", entry)


def _leftovers(folder):
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown data set 'cifar'; known: .*mnist"):
        data.load("cifar")
    with pytest.raises(ValueError, match="known:"):
        data.source("nope")


def test_no_network_falls_back_to_the_bundle_within_10_s(cache, monkeypatch, capsys):
    # A port where nothing listens: the connection is refused, as on a machine offline.
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], b"x")
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    assert time.perf_counter() - start < 10
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "bundled real subset" in lines[0], lines
    assert data.source("mnist") == "bundled"
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert _leftovers(cache) == []


def test_the_default_url_fails_fast_here_and_the_bundle_is_used(cache, capsys):
    """The real registry entry, unchanged: offline (as on CI) this must still give data."""
    start = time.perf_counter()
    (x_train, _), _ = cl.data.load_mnist()
    seconds = time.perf_counter() - start
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    if data.source("mnist") == "full":  # a machine with internet got the real file
        assert x_train.shape == (60000, 28, 28)
    else:
        # Fails fast: one connect timeout per mirror at most, plus reading the bundle.
        bound = data.TIMEOUT_SECONDS * len(data.REGISTRY["mnist"].urls) + 3
        assert seconds < bound, f"the fallback took {seconds:.1f} s (bound {bound} s)"
        assert "the full data set is not available" in out
        assert x_train.shape == (4000, 28, 28)
        assert _leftovers(cache) == []


def test_offline_switch_skips_the_network(cache, monkeypatch, server):
    payload = _fake_mnist_npz()
    server.routes["/mnist.npz"] = (payload, None)
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    data.load_mnist()
    assert data.source("mnist") == "bundled"
    assert server.hits == []


def test_a_good_download_is_cached_and_reused(cache, monkeypatch, server, capsys):
    payload = _fake_mnist_npz()
    server.routes["/mnist.npz"] = (payload, None)
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    (x_train, y_train), (x_test, _) = data.load_mnist()
    assert data.source("mnist") == "full"
    assert x_train.shape == (30, 28, 28) and x_test.shape == (10, 28, 28)
    with np.load(io.BytesIO(payload)) as sent:
        assert np.array_equal(x_train, sent["x_train"])
        assert np.array_equal(y_train, sent["y_train"])
        assert np.array_equal(x_test, sent["x_test"])
    assert _leftovers(cache) == ["mnist.npz"]
    assert "full data set" in capsys.readouterr().out
    data.load_mnist()
    assert server.hits == ["/mnist.npz"]  # the second load read the cache


def test_checksum_mismatch_leaves_no_file_and_falls_back(
    cache, monkeypatch, server, capsys
):
    payload = _fake_mnist_npz()
    tampered = payload[:-1] + bytes([payload[-1] ^ 1])
    server.routes["/mnist.npz"] = (tampered, None)
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    with pytest.raises(data.DownloadError, match="checksum mismatch"):
        data.fetch("mnist")
    assert _leftovers(cache) == []
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (4000, 28, 28)
    assert "checksum mismatch" in capsys.readouterr().out


def test_truncated_download_leaves_no_file(cache, monkeypatch, server):
    payload = _fake_mnist_npz()
    # The server promises the whole file but sends half of it, then closes.
    server.routes["/mnist.npz"] = (payload[: len(payload) // 2], len(payload))
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    with pytest.raises(data.DownloadError):
        data.fetch("mnist")
    assert _leftovers(cache) == []


def test_short_download_without_length_is_caught(cache, monkeypatch, server):
    payload = _fake_mnist_npz()
    server.routes["/short.npz"] = (payload[:1000], 1000)
    _point_mnist_at(monkeypatch, [server.base + "/short.npz"], payload)
    with pytest.raises(data.DownloadError, match="truncated"):
        data.fetch("mnist")
    assert _leftovers(cache) == []


def test_second_mirror_is_tried(cache, monkeypatch, server):
    payload = _fake_mnist_npz()
    server.routes["/good.npz"] = (payload, None)
    _point_mnist_at(
        monkeypatch, [server.base + "/missing.npz", server.base + "/good.npz"], payload
    )
    assert data.fetch("mnist").read_bytes() == payload


def test_a_corrupt_cached_file_is_never_loaded(cache, monkeypatch, capsys):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], payload)
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(
        payload[:100]
    )  # a half-written file from elsewhere
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (4000, 28, 28)
    assert "corrupt" in capsys.readouterr().out
    assert _leftovers(cache) == []


def test_a_good_cached_file_is_used_offline(cache, monkeypatch):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], payload)
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(payload)
    (x_train, _), (_, y_test) = data.load_mnist()
    assert data.source("mnist") == "full" and len(x_train) == 30
    with np.load(io.BytesIO(payload)) as cached:
        assert np.array_equal(x_train, cached["x_train"])
        assert np.array_equal(y_test, cached["y_test"])


def test_the_bundle_is_real_mnist_and_matches_its_checksum():
    path = data.bundle_path("mnist")
    with np.load(path) as f:
        x, y = f["x"], f["y"]
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [500] * 10
    # Real handwriting: dark background, ink in the centre, about a fifth of the pixels inked.
    assert x[:, :2, :].max() == 0 or x[:, :2, :].mean() < 1
    assert 0.1 < (x > 127).mean() < 0.3
    # MNIST's construction (LeCun et al.): each digit is translated so that its centre
    # of mass sits at the centre of the 28x28 field, to the nearest pixel.
    rows, cols = np.indices((28, 28))
    ink = x.astype(float).sum(axis=(1, 2))
    centre_row = (x * rows).sum(axis=(1, 2)) / ink
    centre_col = (x * cols).sum(axis=(1, 2)) / ink
    assert np.abs(centre_row - 14).max() <= 0.51
    assert np.abs(centre_col - 14).max() <= 0.51
    assert len({digit.tobytes() for digit in x}) == 5000  # no digit twice


def test_the_split_is_reproducible(cache, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    first = data.load_mnist()
    second = data.load_mnist()
    assert np.array_equal(first[0][0], second[0][0])
    assert np.array_equal(first[1][1], second[1][1])
    # Train and test together are exactly the bundle, each digit once, labels kept.
    (x_train, y_train), (x_test, y_test) = first
    with np.load(data.bundle_path("mnist")) as f:
        bundle = {d.tobytes(): label for d, label in zip(f["x"], f["y"], strict=True)}
    train = {d.tobytes(): label for d, label in zip(x_train, y_train, strict=True)}
    test = {d.tobytes(): label for d, label in zip(x_test, y_test, strict=True)}
    both = len(train.keys() & test.keys())
    assert both == 0, f"{both} digits are in both train and test"
    assert (train | test) == bundle, "train + test is not the bundle, labels kept"


def test_a_damaged_bundle_gives_a_clear_error(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data.registry, "FILES_DIR", tmp_path)
    with pytest.raises(
        FileNotFoundError,
        match="mnist_5k.npz is missing .*rebuild it with: .*datasets/build_bundles.py",
    ):
        data.load_mnist()
    (tmp_path / "mnist_5k.npz").write_bytes(b"junk")
    with pytest.raises(
        data.BadDataFile, match="has 4 bytes, not the 806,783 .*build_bundles.py"
    ):
        data.load_mnist()
    (tmp_path / "mnist_5k.npz").write_bytes(b"j" * 806_783)
    with pytest.raises(ValueError, match="mnist_5k.npz fails its sha256 check"):
        data.load_mnist()


@pytest.mark.parametrize("name", data.sample_image_names())
def test_sample_images_are_real_photos(name):
    image = data.sample_image(name)
    assert image.dtype == np.uint8 and image.ndim in (2, 3)
    assert min(image.shape[:2]) >= 150
    assert image.std() > 10  # a photo, not a flat array
    np.testing.assert_array_equal(image, _original_photo(name))


def _original_photo(name):
    """The photo straight from scikit-image or scikit-learn (RGB, no alpha)."""
    import skimage.data
    from sklearn.datasets import load_sample_image

    if name in ("china", "flower"):
        photo = load_sample_image(f"{name}.jpg")
    else:
        photo = getattr(skimage.data, name)()
    return photo[..., :3] if photo.ndim == 3 else photo


def _box_resized(photo, height, width):
    """An independent resize: Pillow's box filter (the mean of each source area)."""
    from PIL import Image

    mode = "F" if photo.ndim == 2 else None
    picture = Image.fromarray(
        photo.astype(np.float32) if mode else photo.astype(np.uint8), mode
    )
    return np.asarray(picture.resize((width, height), Image.BOX), dtype=float)


def test_sample_image_gray_and_size():
    image = data.sample_image("astronaut", gray=True, size=128)
    assert image.shape == (128, 128) and image.dtype == np.uint8
    # Gray is the ITU-R 709 luminance of the colour photo, shrunk 4x.
    luminance = _original_photo("astronaut") @ np.array([0.2125, 0.7154, 0.0721])
    reference = _box_resized(luminance, 128, 128)
    assert np.abs(image - reference).mean() < 3
    assert np.corrcoef(image.ravel(), reference.ravel())[0, 1] > 0.99
    cat = data.sample_image("chelsea", size=100)
    assert cat.shape == (67, 100, 3)
    assert np.abs(cat - _box_resized(_original_photo("chelsea"), 67, 100)).mean() < 3


def test_sample_image_bad_input():
    with pytest.raises(ValueError, match="unknown image 'lena'.*known: astronaut"):
        data.sample_image("lena")
    with pytest.raises(ValueError, match="size must be"):
        data.sample_image("camera", size=2)


def test_stratified_split_is_disjoint_and_balanced():
    labels = np.repeat(np.arange(10), 50)
    train, test = data.stratified_split(labels, test_size=100, seed=1)
    assert len(set(train) | set(test)) == 500 and not set(train) & set(test)
    assert np.bincount(labels[test]).tolist() == [10] * 10
    with pytest.raises(ValueError, match="multiple of 10"):
        data.stratified_split(labels, test_size=55)


def test_a_corrupt_cache_and_the_fallback_say_so_in_one_line(
    cache, monkeypatch, capsys
):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], payload)
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"half")
    data.load_mnist()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines
    assert "corrupt" in lines[0] and "bundled" in lines[0]


def test_the_fallback_notice_is_a_plain_sentence(cache, monkeypatch, capsys):
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], b"x")
    data.load_mnist()
    line = capsys.readouterr().out.strip()
    assert "no connection to 127.0.0.1:9" in line
    assert "<" not in line and "Error" not in line, line


def test_a_file_where_the_cache_folder_should_be_falls_back(
    tmp_path, monkeypatch, server, capsys
):
    payload = _fake_mnist_npz()
    server.routes["/mnist.npz"] = (payload, None)
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (4000, 28, 28)
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and "cannot be written" in line


def test_a_read_only_cache_folder_falls_back(cache, monkeypatch, server, capsys):
    payload = _fake_mnist_npz()
    server.routes["/mnist.npz"] = (payload, None)
    _point_mnist_at(monkeypatch, [server.base + "/mnist.npz"], payload)
    cache.mkdir(parents=True)
    cache.chmod(0o555)
    # root may write anywhere; make the check see what a student's account would see
    monkeypatch.setattr(data.os, "access", lambda path, mode: False)
    try:
        (x_train, _), _ = data.load_mnist()
    finally:
        cache.chmod(0o755)
    assert x_train.shape == (4000, 28, 28)
    assert "cannot be written" in capsys.readouterr().out
    assert server.hits == []


def test_a_folder_where_the_cached_file_should_be_falls_back(
    cache, monkeypatch, capsys
):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, ["http://127.0.0.1:9/mnist.npz"], payload)
    (cache / "mnist.npz").mkdir(parents=True)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (4000, 28, 28)
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and "is a folder" in line


def test_an_oversized_download_is_stopped_and_not_called_truncated(
    cache, monkeypatch, server
):
    payload = _fake_mnist_npz()
    server.routes["/big.npz"] = (payload + b"\0" * 200_000, None)
    _point_mnist_at(monkeypatch, [server.base + "/big.npz"], payload)
    with pytest.raises(data.DownloadError, match="larger than the expected") as info:
        data.fetch("mnist")
    assert "truncated" not in str(info.value)
    assert _leftovers(cache) == []


def test_a_server_error_is_named(cache, monkeypatch, server):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, [server.base + "/missing.npz"], payload)
    with pytest.raises(data.DownloadError, match="answered 404"):
        data.fetch("mnist")
    assert _leftovers(cache) == []


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers (a stalled mirror).

    Closed after 15 s whatever happens, so a missing timeout fails the test, not the run.
    """
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.listen(8)
    closer = threading.Timer(15, listener.close)
    closer.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    closer.cancel()
    listener.close()


def test_a_stalled_mirror_times_out_and_falls_back(
    cache, monkeypatch, silent_server, capsys
):
    payload = _fake_mnist_npz()
    _point_mnist_at(monkeypatch, [silent_server + "/mnist.npz"], payload)
    monkeypatch.setattr(data.download, "TIMEOUT_SECONDS", 0.5)
    start = time.perf_counter()
    (x_train, _), _ = data.load_mnist()
    seconds = time.perf_counter() - start
    assert seconds < 5, f"a 0.5 s timeout took {seconds:.1f} s to give up"
    line = capsys.readouterr().out.strip()
    assert "did not answer within 0.5 s" in line, line
    assert data.source("mnist") == "bundled" and x_train.shape == (4000, 28, 28)
    assert _leftovers(cache) == []


# --- issue 12: sizes with a maximum, wrong types and paths a clear error ----------------


def test_sample_image_refuses_a_huge_size_before_resizing():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="size must be an int from 8 to 2,048"):
        data.sample_image("camera", size=20_000)
    assert time.perf_counter() - start < 1
    with pytest.raises(ValueError, match="name must be non-empty text"):
        data.sample_image(["camera"])


def test_files_and_folders_are_told_apart(tmp_path):
    with pytest.raises(ValueError, match="got the folder"):
        data.sha256_of(tmp_path)
    with pytest.raises(ValueError, match="path must be a file name"):
        data.sha256_of(0)  # not file descriptor 0
    with pytest.raises(FileNotFoundError):
        data.sha256_of(tmp_path / "missing")
    table = tmp_path / "table.csv"
    table.write_text("year,team\n2012,SuperVision\n")
    with pytest.raises(ValueError, match="is not the ILSVRC table"):
        data.load_ilsvrc_history(table)
    with pytest.raises(ValueError, match="got the folder"):
        data.load_ilsvrc_history(tmp_path)


def test_stratified_split_checks_its_labels_and_size():
    labels = np.array([0] * 10 + [1] * 2)
    with pytest.raises(
        ValueError, match="class 1 has only 2 examples, fewer than the 3"
    ):
        data.stratified_split(labels, test_size=6)
    with pytest.raises(ValueError, match="labels must be a non-empty list of integer"):
        data.stratified_split([], test_size=4)
    with pytest.raises(ValueError, match="test_size must be an int"):
        data.stratified_split(labels, test_size=[4])
    with pytest.raises(ValueError, match="test_size must be an int from 1 to 12"):
        data.stratified_split(labels, test_size=14)
    train, test = data.stratified_split(labels.tolist(), test_size=4)  # a list works
    assert sorted(np.concatenate([train, test])) == list(range(12))
