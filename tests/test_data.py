"""cl.data: registry, checked downloads, atomic writes, and the offline fallback."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
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


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, int | None]] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server wants
        self.hits.append(self.path)
        body, length = self.routes.get(self.path, (b"", None))
        if not body:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header(
            "Content-Length", str(length if length is not None else len(body))
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A local HTTP server: set ``server.routes[path] = (bytes, content_length)``."""
    _Handler.routes, _Handler.hits = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.routes, httpd.hits = _Handler.routes, _Handler.hits
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty data cache for each test; the network allowed (tests point URLs locally)."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    return tmp_path / "cache"


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
    with pytest.raises(ValueError, match=r"unknown data set 'cifar'.*known: mnist"):
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
    (x_train, _), _ = cl.data.load_mnist()
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    if data.source("mnist") == "full":  # a machine with internet got the real file
        assert x_train.shape == (60000, 28, 28)
    else:
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
    (x_train, _), _ = data.load_mnist()
    assert data.source("mnist") == "full" and len(x_train) == 30


def test_the_bundle_is_real_mnist_and_matches_its_checksum():
    path = data.bundle_path("mnist")
    with np.load(path) as f:
        x, y = f["x"], f["y"]
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [500] * 10
    # Real handwriting: dark background, ink in the centre, about a fifth of the pixels inked.
    assert x[:, :2, :].max() == 0 or x[:, :2, :].mean() < 1
    assert 0.1 < (x > 127).mean() < 0.3


def test_the_split_is_reproducible(cache, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    first = data.load_mnist()
    second = data.load_mnist()
    assert np.array_equal(first[0][0], second[0][0])
    assert np.array_equal(first[1][1], second[1][1])


def test_a_damaged_bundle_gives_a_clear_error(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data, "BUNDLE_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="bundled data .* is missing"):
        data.load_mnist()
    (tmp_path / "mnist_5k.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="fails its checksum"):
        data.load_mnist()


@pytest.mark.parametrize("name", data.sample_image_names())
def test_sample_images_are_real_photos(name):
    image = data.sample_image(name)
    assert image.dtype == np.uint8 and image.ndim in (2, 3)
    assert min(image.shape[:2]) >= 150
    assert image.std() > 10  # a photo, not a flat array


def test_sample_image_gray_and_size():
    image = data.sample_image("astronaut", gray=True, size=128)
    assert image.shape == (128, 128) and image.dtype == np.uint8
    assert data.sample_image("chelsea", size=100).shape == (67, 100, 3)


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


def test_a_corrupt_cache_and_the_fallback_say_so_in_one_line(cache, monkeypatch, capsys):
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
