"""Downloads without a published checksum (cats vs dogs, Nietzsche): a content check
vouches for the first download, its sha256 is recorded in the cache, and every later load
is checked against that. Served by the local test server (tests/conftest.py).

The fixtures are small fakes in the real layout: a zip of 2,000 + 1,000 tiny JPEGs that
decode, and a text that opens with the preface and has the corpus' length. Only the cats
entry's size range is widened (the real zip is 68 MB); the photo counts are the real ones.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import pytest

from course_lib import data
from course_lib.data import checks

ROOT = checks.CATS_VS_DOGS_ROOT


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def _cats_zip(counts=None, broken: str = "") -> bytes:
    """A zip in the tutorials' layout with ``counts`` JPEGs per folder (the real ones by
    default); ``broken="photo"`` makes one photo undecodable."""
    counts = counts or checks.CATS_VS_DOGS_COUNTS
    photo = _jpeg(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{ROOT}/vectorize.py", "# not a photo\n")
        for (part, animal), count in counts.items():
            for i in range(count):
                body = photo
                if broken == "photo" and (part, animal, i) == ("validation", "dogs", 7):
                    body = photo[:20]  # a JPEG header and nothing else
                archive.writestr(f"{ROOT}/{part}/{animal}/{animal[:-1]}.{i}.jpg", body)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def good_zip() -> bytes:
    return _cats_zip()


def _serve_cats(monkeypatch, server, payload: bytes, path="/cats.zip"):
    server.routes[path] = payload
    entry = dataclasses.replace(
        data.REGISTRY["cats_vs_dogs"],
        urls=(server.base + path,),
        size_range=(1_000_000, 10_000_000),  # the fake is ~3 MB, the real zip 68 MB
    )
    monkeypatch.setitem(data.REGISTRY, "cats_vs_dogs", entry)
    return entry


def _files(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_the_real_entries_have_no_checksum_but_a_content_check():
    for name in ("cats_vs_dogs", "nietzsche"):
        row = data.REGISTRY[name]
        assert row.sha256 == "" and row.check is not None
        low, high = row.size_range
        assert low < row.size < high


def test_a_good_zip_passes_is_recorded_once_and_then_checked_by_sha256(
    cache, monkeypatch, server, good_zip, capsys
):
    entry = _serve_cats(monkeypatch, server, good_zip)
    folder = data.fetch_cats_vs_dogs()
    out = capsys.readouterr().out
    assert out.count("passed its content check") == 1 and "sha256" in out
    assert len(list((folder / "train" / "cats").glob("*.jpg"))) == 1000
    assert len(list((folder / "validation" / "dogs").glob("*.jpg"))) == 500
    import hashlib

    recorded = data.recorded_sha256(entry)
    assert recorded == hashlib.sha256(good_zip).hexdigest()
    # The second load reads the cache, checked against the recorded sha256, silently.
    assert data.fetch_cats_vs_dogs() == folder
    assert capsys.readouterr().out == "" and server.hits == ["/cats.zip"]
    # A cached file that no longer matches the record is deleted, and a new download
    # must match the record too (not just pass the content check again).
    archive = cache / entry.filename
    archive.write_bytes(good_zip[:1000] + bytes([good_zip[1000] ^ 1]) + good_zip[1001:])
    other = _cats_zip()  # the same listing, other bytes (a later zip's timestamps)
    other = other.replace(b"# not a photo", b"# other photo")
    server.routes["/cats.zip"] = other
    with pytest.raises(data.DownloadError) as info:
        data.fetch("cats_vs_dogs")
    message = str(info.value)
    assert "removed a corrupt cached file" in message
    assert "not the file first downloaded and recorded" in message
    assert entry.filename not in _files(cache)


@pytest.mark.parametrize(
    "case, payload, reason",
    [
        ("truncated", lambda z: (z[: len(z) // 2], len(z)), "truncated"),
        ("too small", lambda z: z[:500_000], "500,000 of at least 1,000,000 bytes"),
        (
            "wrong listing",
            lambda z: _cats_zip({**checks.CATS_VS_DOGS_COUNTS, ("train", "dogs"): 999}),
            "train/dogs holds 999 JPEG photos, not 1000",
        ),
        ("corrupt zip", lambda z: z[:-200] + b"\0" * 200, "not a zip archive"),
        ("a photo that does not decode", lambda z: _cats_zip(broken="photo"), "dog.7"),
    ],
)
def test_a_bad_zip_is_refused_deleted_and_the_lesson_says_so_in_one_line(
    cache, monkeypatch, server, good_zip, case, payload, reason
):
    import course_lib as cl

    served = payload(good_zip)
    _serve_cats(monkeypatch, server, b"")
    server.routes["/cats.zip"] = served
    with pytest.raises(data.DownloadError, match=reason):
        data.fetch_cats_vs_dogs()
    assert _files(cache) == []  # no half file, no record
    ok, line = cl.transfer.online_lesson_available()
    assert not ok and reason.split(",")[0] in line and "\n" not in line


NIETZSCHE = (
    "PREFACE\n\n\nSUPPOSING that Truth is a woman--what then? Is there not ground\n"
    "for suspecting that all philosophers, in so far as they have been\n"
    "dogmatists, have failed to understand women--that the terrible\n"
)


def _nietzsche(length=600_893, opening=NIETZSCHE) -> bytes:
    filler = "and so the philosopher speaks of himself. " * (length // 40 + 1)
    return (opening + filler)[:length].encode()


def _serve_nietzsche(monkeypatch, server, payload):
    server.routes["/nietzsche.txt"] = payload
    entry = dataclasses.replace(
        data.REGISTRY["nietzsche"], urls=(server.base + "/nietzsche.txt",)
    )
    monkeypatch.setitem(data.REGISTRY, "nietzsche", entry)
    return entry


def test_a_good_text_passes_once_and_is_checked_by_its_recorded_sha256(
    cache, monkeypatch, server, capsys
):
    payload = _nietzsche()
    entry = _serve_nietzsche(monkeypatch, server, payload)
    assert data.fetch_nietzsche() == payload.decode()
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and "using the full data set" in line
    assert "passed its content check" in line
    assert data.source("nietzsche") == "full"
    assert data.fetch_nietzsche() == payload.decode()
    second = capsys.readouterr().out
    assert "content check" not in second and server.hits == ["/nietzsche.txt"]
    assert sorted(_files(cache)) == ["nietzsche.txt", "nietzsche.txt.sha256"]
    (cache / entry.filename).write_bytes(payload.replace(b"woman", b"women", 1))
    server.routes.clear()  # offline now: the changed cache must not be used
    assert data.fetch_nietzsche().startswith("MACBETH")
    assert "removed a corrupt cached file" in capsys.readouterr().out
    assert data.source("nietzsche") == "bundled"


@pytest.mark.parametrize(
    "case, payload, reason",
    [
        ("truncated", (_nietzsche()[:300_000], 600_893), "truncated"),
        ("too short", _nietzsche(300_000), "300,000 of at least 590,000 bytes"),
        ("another text", _nietzsche(opening="MACBETH\n\n"), "does not open with"),
        ("not text", b"\xff\xfe" * 300_000, "not UTF-8"),
    ],
)
def test_a_bad_text_falls_back_to_shakespeare_in_one_line(
    cache, monkeypatch, server, capsys, case, payload, reason
):
    _serve_nietzsche(monkeypatch, server, payload)
    corpus = data.fetch_nietzsche()
    assert corpus.startswith("MACBETH") and data.source("nietzsche") == "bundled"
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and reason in line and "Shakespeare" in line
    assert _files(cache) == []
